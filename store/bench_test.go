package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
)

// benchBackends opens an empty store of each backend available: SQLite
// always, PostgreSQL when NEWSHOUND_TEST_POSTGRES_DSN is set.
func benchBackends(b *testing.B) map[string]func(b *testing.B) store.Store {
	backends := map[string]func(b *testing.B) store.Store{
		"sqlite": func(b *testing.B) store.Store {
			s, err := store.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
	}
	if os.Getenv(pgtest.DSNEnv) != "" {
		backends["postgres"] = func(b *testing.B) store.Store {
			s, err := store.OpenPostgres(context.Background(), pgtest.Schema(b))
			if err != nil {
				b.Fatal(err)
			}
			return s
		}
	}
	return backends
}

// BenchmarkCommitPoll commits a 100-item feed of which 0, 1 or all 100
// items are new, each new item matching one subscription: the steady state,
// a typical news poll, and a feed's first sight (or a feed that rotates its
// GUIDs).
func BenchmarkCommitPoll(b *testing.B) {
	const items = 100
	for _, backend := range []string{"sqlite", "postgres"} {
		open, ok := benchBackends(b)[backend]
		if !ok {
			continue
		}
		for _, fresh := range []int{0, 1, 100} {
			b.Run(fmt.Sprintf("%s/new=%d", backend, fresh), func(b *testing.B) {
				benchCommitPoll(b, open(b), items, fresh)
			})
		}
	}
}

func benchCommitPoll(b *testing.B, s store.Store, items, fresh int) {
	ctx := context.Background()
	defer s.Close()
	old := make([]string, items-fresh)
	for i := range old {
		old[i] = fmt.Sprintf("https://example.com/news/%06d", i)
	}
	if _, err := s.CommitPoll(ctx, "feed", store.Poll{Keys: old}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p := store.Poll{State: store.FeedState{FeedID: "feed", Initialized: true}, Keys: old}
		for j := range fresh {
			key := fmt.Sprintf("https://example.com/new/%d/%d", i, j)
			p.Keys = append(p.Keys, key)
			p.Alerts = append(p.Alerts, store.Alert{
				Destination: "console", ItemKey: key,
				DedupeKeys: []string{"link:" + key, fmt.Sprintf("title:%d/%d", i, j)},
				Payload:    []byte(`{"title":"Aleppo ceasefire talks resume"}`),
			})
		}
		n, err := s.CommitPoll(ctx, "feed", p)
		if err != nil {
			b.Fatal(err)
		}
		if n != fresh {
			b.Fatalf("enqueued %d, want %d", n, fresh)
		}
	}
}

// BenchmarkUnseenKeys asks which of a 100-item feed's keys are new when
// none is: what the poll loop does before matching.
func BenchmarkUnseenKeys(b *testing.B) {
	ctx := context.Background()
	s, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	keys := make([]string, 100)
	for i := range keys {
		keys[i] = fmt.Sprintf("https://example.com/news/%06d", i)
	}
	if _, err := s.CommitPoll(ctx, "feed", store.Poll{Keys: keys}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		unseen, err := s.UnseenKeys(ctx, "feed", keys)
		if err != nil {
			b.Fatal(err)
		}
		if len(unseen) != 0 {
			b.Fatalf("unseen = %d, want 0", len(unseen))
		}
	}
}
