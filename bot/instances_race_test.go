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

// barrier holds each poll commit of its instance until the other
// instance's commit has started too: both have grouped by then.
type barrier struct {
	store.Store
	on      *bool
	arrive  chan struct{}
	other   chan struct{}
	timeout *bool
}

func (b *barrier) Lease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	return b.Store.(store.Leaser).Lease(ctx, name, owner, ttl)
}

func (b *barrier) Release(ctx context.Context, name, owner string) error {
	return b.Store.(store.Leaser).Release(ctx, name, owner)
}

func (b *barrier) CommitPoll(ctx context.Context, feedID string, p store.Poll) (int, error) {
	if *b.on && len(p.Alerts) > 0 {
		close(b.arrive)
		select {
		case <-b.other:
		case <-time.After(10 * time.Second):
			*b.timeout = true
		}
	}
	return b.Store.CommitPoll(ctx, feedID, p)
}

// TestInstancesGroupingAtOnceOpenOneStory: two instances on one
// PostgreSQL store poll two outlets' reports of one new story at once:
// each groups before the other's commit is visible. Known defect, not
// fixed: each opens the story and posts its own first message (two
// messages for one story in one destination). Closing it needs the
// instances' grouping and commit of a destination serialized (or a
// regroup when the commit finds rows it did not take in).
func TestInstancesGroupingAtOnceOpenOneStory(t *testing.T) {
	t.Skip("known defect: instances grouping one story at once each post its first message")
	dsn := pgtest.Schema(t)
	h, rec := storyHarness(t, kesslerSub())
	h.clock = time.Now().UTC()
	ctx := context.Background()
	on, timeout := false, false
	ca, cb := make(chan struct{}), make(chan struct{})
	open := func(feed string, arrive, other chan struct{}) *Service {
		st, err := store.OpenPostgres(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		cfg := *h.cfg
		cfg.Feeds = nil
		for _, f := range h.cfg.Feeds {
			if f.Name == feed {
				cfg.Feeds = append(cfg.Feeds, f)
			}
		}
		o := testOptions(&cfg, &barrier{Store: st, on: &on, arrive: arrive, other: other, timeout: &timeout},
			map[string]notify.Notifier{"desk": rec}, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return h.clock })
		svc, err := New(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	a := open("courier", ca, cb)
	b := open("herald", cb, ca)
	a.RunOnce(ctx)
	b.RunOnce(ctx)
	h.publishReport(0)
	h.publishReport(1)
	h.clock = h.clock.Add(time.Minute)
	on = true
	var wg sync.WaitGroup
	wg.Go(func() { a.RunOnce(ctx) })
	wg.Go(func() { b.RunOnce(ctx) })
	wg.Wait()
	on = false
	if timeout {
		t.Fatal("the polls did not interleave")
	}
	for range 3 {
		h.clock = h.clock.Add(time.Minute)
		a.RunOnce(ctx)
		b.RunOnce(ctx)
	}
	if got := rec.titles(); len(got) != 1 {
		t.Errorf("messages %q, want one: two instances grouping one story at once post it once", got)
	}
}
