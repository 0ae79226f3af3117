package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"testing"
	"time"

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
		// The bench farm's changed poll: 20 items, one new.
		b.Run(backend+"/items=20/new=1", func(b *testing.B) {
			benchCommitPoll(b, open(b), 20, 1)
		})
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

// BenchmarkCommitPollTexts is BenchmarkCommitPoll's typical news poll (a
// 100-item feed, one item new) for a feed whose updates are followed:
// the new item's text signature, and a changed one for a seen item (a
// live blog that grew).
func BenchmarkCommitPollTexts(b *testing.B) {
	const items = 100
	for _, backend := range []string{"sqlite", "postgres"} {
		open, ok := benchBackends(b)[backend]
		if !ok {
			continue
		}
		b.Run(backend+"/new=1", func(b *testing.B) {
			s := open(b)
			defer s.Close()
			ctx := context.Background()
			old := seenKeys(b, s, items-1)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				key := fmt.Sprintf("https://example.com/new/%d", i)
				p := store.Poll{
					State: store.FeedState{FeedID: "feed", Initialized: true}, Keys: append(slices.Clone(old), key),
					Alerts: []store.Alert{{Destination: "console", ItemKey: key, DedupeKeys: []string{"link:" + key},
						Payload: []byte(`{"title":"Aleppo ceasefire talks resume"}`)}},
					Texts: map[string][]byte{key: []byte("sig-new-0123456789ab"), old[0]: fmt.Appendf(nil, "sig-%016d", i)},
				}
				if n, err := s.CommitPoll(ctx, "feed", p); err != nil || n != 1 {
					b.Fatalf("CommitPoll = %d, %v; want 1", n, err)
				}
			}
		})
	}
}

// BenchmarkCommitPollWatched is BenchmarkCommitPoll's typical news poll
// (a 100-item feed, one item new) of a feed behind Discord watches, on a
// store holding 500 watches, 2 of them on that feed: with the alert of
// one of them, and with none (the item matched no watch). Its commit
// reads the feed's watches (Poll.WatchFeed) before it commits.
func BenchmarkCommitPollWatched(b *testing.B) {
	const items, feedURL = 100, "https://a.example/rss"
	for _, backend := range []string{"sqlite", "postgres"} {
		open, ok := benchBackends(b)[backend]
		if !ok {
			continue
		}
		for _, alerted := range []bool{true, false} {
			b.Run(fmt.Sprintf("%s/new=1/alert=%v", backend, alerted), func(b *testing.B) {
				s := open(b)
				defer s.Close()
				ctx := context.Background()
				var watches []store.Watch
				for i := range 500 {
					url := fmt.Sprintf("https://w%d.example/rss", i)
					if i%250 == 0 {
						url = feedURL
					}
					w, err := s.AddWatch(ctx, store.Watch{GuildID: "g", ChannelID: fmt.Sprintf("c%d", i), FeedURL: url, Query: "aleppo"})
					if err != nil {
						b.Fatal(err)
					}
					if url == feedURL {
						watches = append(watches, w)
					}
				}
				old := seenKeys(b, s, items-1)
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					key := fmt.Sprintf("https://example.com/new/%d", i)
					p := store.Poll{
						State: store.FeedState{FeedID: "feed", Initialized: true}, Keys: append(slices.Clone(old), key),
						WatchFeed: feedURL, Watches: watches,
					}
					want := 0
					if alerted {
						p.Alerts, want = []store.Alert{{Destination: "channel:c0", Subscription: store.WatchSubscription(watches[0].ID), ItemKey: key,
							DedupeKeys: []string{"link:" + key}, Payload: []byte(`{"title":"Aleppo ceasefire talks resume"}`)}}, 1
					}
					if n, err := s.CommitPoll(ctx, "feed", p); err != nil || n != want {
						b.Fatalf("CommitPoll = %d, %v; want %d", n, err, want)
					}
				}
			})
		}
	}
}

// seenKeys commits n keys of feed "feed", seen, and returns them.
func seenKeys(b *testing.B, s store.Store, n int) []string {
	old := make([]string, n)
	for i := range old {
		old[i] = fmt.Sprintf("https://example.com/news/%06d", i)
	}
	if _, err := s.CommitPoll(context.Background(), "feed", store.Poll{Keys: old}); err != nil {
		b.Fatal(err)
	}
	return old
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

// BenchmarkCommitPollHuge commits one poll of 100,000 new items, each with
// an alert: a feed that dumps its archive, or a first sight with backfill.
// Besides -benchmem's bytes allocated it reports the peak of the live heap
// during the commit (peak-heap-MB), sampled every few milliseconds, minus
// the heap before it (the poll itself, about 30 MB, is held by the caller).
func BenchmarkCommitPollHuge(b *testing.B) {
	const n = 100_000
	for _, backend := range []string{"sqlite", "postgres"} {
		open, ok := benchBackends(b)[backend]
		if !ok {
			continue
		}
		b.Run(fmt.Sprintf("%s/alerts=%d", backend, n), func(b *testing.B) {
			s := open(b)
			defer s.Close()
			ctx := context.Background()
			b.ReportAllocs()
			var peak uint64
			for i := 0; b.Loop(); i++ {
				p := store.Poll{State: store.FeedState{FeedID: "archive", Initialized: true}}
				for j := range n {
					key := fmt.Sprintf("https://example.com/archive/%d/%06d", i, j)
					p.Keys = append(p.Keys, key)
					p.Alerts = append(p.Alerts, store.Alert{
						Destination: "console", ItemKey: key,
						DedupeKeys: []string{"link:" + key, fmt.Sprintf("title:%d/%d", i, j)},
						Payload:    []byte(`{"title":"Aleppo ceasefire talks resume in Geneva","link":"https://example.com/archive"}`),
					})
				}
				var got int
				var err error
				peak = max(peak, peakHeapDuring(func() { got, err = s.CommitPoll(ctx, "archive", p) }))
				if err != nil {
					b.Fatal(err)
				}
				if got != n {
					b.Fatalf("enqueued %d, want %d", got, n)
				}
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
	}
}

// peakHeapDuring runs fn and returns how far the live heap rose above its
// level at the start, sampled every 2 ms.
func peakHeapDuring(fn func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	base := read()
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			peak = max(peak, read())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	fn()
	close(done)
	wg.Wait()
	peak = max(peak, read())
	if peak < base {
		return 0
	}
	return peak - base
}

// BenchmarkSaveFeedStates stores the outcomes of 100 polls that produced
// no items (304s): one transaction each, as a poller without group commit
// does, against one transaction for all.
func BenchmarkSaveFeedStates(b *testing.B) {
	states := make([]store.FeedState, 100)
	for i := range states {
		states[i] = store.FeedState{FeedID: fmt.Sprintf("feed-%03d", i), ETag: `W/"5f3a"`, Initialized: true}
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		open, ok := benchBackends(b)[backend]
		if !ok {
			continue
		}
		b.Run(backend+"/one-by-one", func(b *testing.B) {
			s := open(b)
			defer s.Close()
			for b.Loop() {
				for _, st := range states {
					if err := s.SaveFeedState(context.Background(), st); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		b.Run(backend+"/together", func(b *testing.B) {
			s := open(b)
			defer s.Close()
			for b.Loop() {
				if err := s.SaveFeedStates(context.Background(), states); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOpenSQLite opens and closes a database already at the current
// schema, as each `run --once` does, and as the tests that run the
// service as processes do hundreds of times.
func BenchmarkOpenSQLite(b *testing.B) {
	path := filepath.Join(b.TempDir(), "open.db")
	s, err := store.OpenSQLite(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	s.Close()
	for b.Loop() {
		s, err := store.OpenSQLite(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateSQLite opens a new database file, migrating it from
// nothing, and closes it: the first open of every test's store.
func BenchmarkCreateSQLite(b *testing.B) {
	dir := b.TempDir()
	n := 0
	for b.Loop() {
		n++
		s, err := store.OpenSQLite(context.Background(), filepath.Join(dir, fmt.Sprintf("new%d.db", n)))
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
