package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/newshound/newshound/store"
)

// BenchmarkMoveStories stores a merge's or a re-split's 100 moves over an
// outbox of 2,000 story alerts: each move is of one item's alerts (and
// its refused report, where the store keeps them) from one story to
// another, and back the next time round.
func BenchmarkMoveStories(b *testing.B) {
	const alerts, moves = 2000, 100
	for _, backend := range []string{"sqlite", "postgres"} {
		open, ok := benchBackends(b)[backend]
		if !ok {
			continue
		}
		b.Run(backend, func(b *testing.B) {
			ctx := context.Background()
			s := open(b)
			defer s.Close()
			p := store.Poll{State: store.FeedState{FeedID: "feed", Initialized: true}}
			for i := range alerts {
				key := fmt.Sprintf("k%d", i)
				p.Keys = append(p.Keys, key)
				p.Alerts = append(p.Alerts, store.Alert{
					Destination: "desk", ItemKey: key, Story: fmt.Sprintf("feed/s%d", i%50),
					Fingerprint: []byte("fp"), DedupeKeys: []string{"link:" + key}, Payload: []byte(`{}`),
				})
			}
			if _, err := s.CommitPoll(ctx, "feed", p); err != nil {
				b.Fatal(err)
			}
			forth := make([]store.StoryMove, moves)
			back := make([]store.StoryMove, moves)
			for i := range moves {
				item, from := fmt.Sprintf("feed/k%d", i), fmt.Sprintf("feed/s%d", i%50)
				forth[i] = store.StoryMove{Destination: "desk", Item: item, From: from, To: "feed/merged"}
				back[i] = store.StoryMove{Destination: "desk", Item: item, From: "feed/merged", To: from}
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				m := forth
				if i%2 == 1 {
					m = back
				}
				if err := s.MoveStories(ctx, m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
