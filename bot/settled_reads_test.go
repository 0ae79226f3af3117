package bot

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
)

// leaseCountingStore is a shared PostgreSQL store that counts the takes
// of each lease (each a write to the store, and its release another).
type leaseCountingStore struct {
	*store.Postgres
	mu    sync.Mutex
	takes map[string]int
}

func (s *leaseCountingStore) Lease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	s.takes[name]++
	s.mu.Unlock()
	return s.Postgres.Lease(ctx, name, owner, ttl)
}

func (s *leaseCountingStore) taken(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.takes[name]
}

// TestIdleDigestDestinationTakesNoStoriesLeaseEachTick: an email
// destination (its messages name their story) whose outbox holds a match
// for the 08:00 digest is looked at on every 2 s tick of the sender. Each
// look took the stories lease, a write and a release on the shared store:
// 30 a minute while the match waits for 08:00, and again on each tick of
// the clockSkew after it, when the due rows are read and left for later,
// with nothing committed and nothing moving. The lease is taken only for
// rows committed since the last read under it.
func TestIdleDigestDestinationTakesNoStoriesLeaseEachTick(t *testing.T) {
	dsn := pgtest.Schema(t)
	h := digestAtEight(t)
	n, _, _ := storyOutlets[0].open(t) // email
	clk := &clock{}
	a, _ := h.openInstance(dsn, clk, n, "wire")
	ctx := context.Background()
	talksHeldForEight(h, clk.set, func() { a.RunOnce(ctx) })

	pg, err := store.OpenPostgres(ctx, dsn, store.WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	st := &leaseCountingStore{Postgres: pg, takes: map[string]int{}}
	cfg := *h.cfg
	cfg.Feeds = nil // sends only
	b, err := New(ctx, testOptions(&cfg, st, map[string]notify.Notifier{"desk": n}, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.now))
	if err != nil {
		t.Fatal(err)
	}
	phases := []struct {
		name    string
		from    time.Time
		ticks   int
		maxTake int
	}{
		{"held for 08:00, a minute of ticks", time.Date(2026, 12, 2, 7, 30, 0, 0, time.UTC), int(time.Minute / sendTick), 1},
		{"due, left for clockSkew", time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC), int((clockSkew - time.Second) / sendTick), 1},
	}
	for _, ph := range phases {
		clk.set(ph.from)
		before, outbox := st.taken(storiesLease), st.taken(outboxLease("desk"))
		for range ph.ticks {
			clk.advance(sendTick)
			if err := b.sender.deliverAll(ctx); err != nil {
				t.Fatalf("%s: deliverAll: %v", ph.name, err)
			}
		}
		if got := st.taken(outboxLease("desk")) - outbox; got != ph.ticks {
			t.Fatalf("%s: the outbox lease taken %d times in %d ticks: the destination was not looked at each tick", ph.name, got, ph.ticks)
		}
		got := st.taken(storiesLease) - before
		t.Logf("%s: the stories lease taken %d times in %d ticks", ph.name, got, ph.ticks)
		if got > ph.maxTake {
			t.Errorf("%s: the stories lease taken %d times in %d ticks with nothing moving, want at most %d", ph.name, got, ph.ticks, ph.maxTake)
		}
	}
}
