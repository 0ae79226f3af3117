package bot

import (
	"context"
	"errors"
	"io"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
)

// failingMarks fails the next fail writes that make a feed await a first
// sight (a reload dropped it), as a full disk or a lost connection would.
type failingMarks struct {
	store.Store
	fail atomic.Int32
}

func (s *failingMarks) failsMark(sts ...store.FeedState) bool {
	return slices.ContainsFunc(sts, awaitsFirstSight) && s.fail.Add(-1) >= 0
}

func (s *failingMarks) SaveFeedState(ctx context.Context, st store.FeedState) error {
	if s.failsMark(st) {
		return errors.New("disk I/O error")
	}
	return s.Store.SaveFeedState(ctx, st)
}

func (s *failingMarks) SaveFeedStates(ctx context.Context, sts []store.FeedState) error {
	if s.failsMark(sts...) {
		return errors.New("disk I/O error")
	}
	return s.Store.SaveFeedStates(ctx, sts)
}

// sharedFailingMarks is failingMarks over a shared store: its leases too.
type sharedFailingMarks struct {
	*failingMarks
	store.Leaser
}

// TestFailedMarkOfADroppedFeedIsTriedAgain: a reload drops a feed and
// the write that makes it await a first sight fails. The next sweep tries
// again, so that when the feed comes back what it published while out of
// the config is its backlog, not posted. On a shared store the failed mark
// was never tried again (the sweep after a failure took the catalog for
// done), and the re-added feed posted what piled up.
func TestFailedMarkOfADroppedFeedIsTriedAgain(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			ctx := context.Background()
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			var st store.Store
			var err error
			if db == "postgres" {
				dsn := pgtest.Schema(t)
				h.clock = time.Now().UTC().Truncate(time.Second) // the database's clock times leases
				st, err = store.OpenPostgres(ctx, dsn)
			} else {
				st, err = store.OpenSQLite(ctx, h.db, store.WithClock(func() time.Time { return h.clock }))
			}
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			marks := &failingMarks{Store: st}
			var wrapped store.Store = marks
			if l, ok := st.(store.Leaser); ok {
				wrapped = sharedFailingMarks{marks, l}
			}
			svc, err := New(ctx, h.options(wrapped, h.rec, io.Discard))
			if err != nil {
				t.Fatal(err)
			}
			all := slices.Clone(h.cfg.Feeds)
			pass := func(feeds []config.Feed) { t.Helper(); h.passWith(svc, feeds) }
			pass(all) // first sight
			marks.fail.Store(1)
			pass(all[1:]) // wire is dropped; marking it fails
			pass(all[1:]) // the next sweep
			if got := marks.fail.Load(); got >= 0 {
				t.Errorf("the mark of the dropped feed was not tried again (failures left %d)", got)
			}
			h.write("wire.xml", item(1, "Aleppo talks resume", h.clock.Add(-time.Minute)))
			pass(all) // wire comes back
			h.wantTitles()
		})
	}
}

// passWith reloads svc with h's config listing feeds, runs it once, and
// moves the clock past the feeds' interval.
func (h *harness) passWith(svc *Service, feeds []config.Feed) {
	h.t.Helper()
	cfg := *h.cfg
	cfg.Feeds = feeds
	if err := svc.Reload(context.Background(), &cfg); err != nil {
		h.t.Fatal(err)
	}
	if _, err := svc.RunOnce(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	h.clock = h.clock.Add(11 * time.Minute)
}
