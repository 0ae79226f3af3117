package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/newshound/newshound/store"
)

// BenchmarkDueAlertsPastHeld reads a destination's due alerts behind
// 10,000 alerts held for a digest, as the sender does every 2 s: held
// rows must cost little to skip.
func BenchmarkDueAlertsPastHeld(b *testing.B) {
	const held, due = 10000, 10
	for name, open := range benchBackends(b) {
		b.Run(name, func(b *testing.B) {
			s := open(b)
			defer s.Close()
			ctx := context.Background()
			now := time.Now()
			var keys []string
			var alerts []store.Alert
			for i := range held + due {
				key := fmt.Sprintf("k%d", i)
				a := store.Alert{Destination: "desk", Subscription: "cfg:digest", FeedID: "f", ItemKey: key, Payload: []byte(`{}`)}
				if i < held {
					a.HoldUntil, a.Digest = now.Add(time.Hour), "digest|x"
				}
				keys, alerts = append(keys, key), append(alerts, a)
			}
			if _, err := s.CommitPoll(ctx, "f", store.Poll{State: store.FeedState{FeedID: "f", Initialized: true}, Keys: keys, Alerts: alerts}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				got, err := s.DueAlerts(ctx, "desk", now, 100)
				if err != nil || len(got) != due {
					b.Fatalf("DueAlerts = %d, %v; want %d", len(got), err, due)
				}
			}
			b.StopTimer()
			start := time.Now()
			if n, err := s.CountUnheld(ctx, "cfg:digest", now.Add(-time.Hour)); err != nil || n != due {
				b.Fatalf("CountUnheld = %d, %v", n, err)
			}
			b.ReportMetric(float64(time.Since(start).Microseconds()), "count-µs")
		})
	}
}
