package bot

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify"
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

// betweenTakes is a log handler that runs hook, once, when a failed take
// of a lease is logged: what another goroutine's take of another lease,
// ending then, does before the failed take's caller goes on.
type betweenTakes struct {
	slog.Handler
	hook *atomic.Pointer[func()]
}

func (b betweenTakes) Handle(ctx context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, "taking a lease failed") {
		if hook := b.hook.Swap(nil); hook != nil {
			(*hook)()
		}
	}
	return b.Handler.Handle(ctx, r)
}

func (b betweenTakes) WithAttrs(as []slog.Attr) slog.Handler {
	return betweenTakes{b.Handler.WithAttrs(as), b.hook}
}

func (b betweenTakes) WithGroup(name string) slog.Handler {
	return betweenTakes{b.Handler.WithGroup(name), b.hook}
}

// TestADroppedFeedWhoseLeaseTakeFailedIsMarkedLater: a reload drops a
// feed and the take of its lease, to mark it, fails while a take of
// another lease (the sender's, on another goroutine) works. The sweep
// read whether the last take of any lease failed, found the other's, took
// the feed for one another instance polls and never tried again: the
// re-added feed posted what piled up. A take's own error says it failed.
func TestADroppedFeedWhoseLeaseTakeFailedIsMarkedLater(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	st := h.sqlite(t)
	defer st.Close()
	hook := &atomic.Pointer[func()]{}
	log := slog.New(betweenTakes{slog.NewTextHandler(io.Discard, nil), hook})
	svc, err := New(ctx, testOptions(h.cfg, st, map[string]notify.Notifier{"desk": h.rec}, log, func() time.Time { return h.clock }))
	if err != nil {
		t.Fatal(err)
	}
	leaser := &leasesFailing{prefix: "feed:wire"}
	svc.leases.leaser = leaser
	const other = "outbox:desk"
	if svc.leases.stripe(other) == svc.leases.stripe(leaser.prefix) {
		t.Fatalf("%q and %q share a stripe: the other take would wait for the failed one", other, leaser.prefix)
	}
	another := func() {
		if got, err := svc.leases.tryTake(ctx, other); !got || err != nil {
			t.Errorf("the take of %q failed, want it to work", other)
		}
		svc.leases.release(ctx, other)
	}
	all := slices.Clone(h.cfg.Feeds)
	h.passWith(svc, all) // first sight
	leaser.fail.Store(true)
	hook.Store(&another)
	h.passWith(svc, all[1:]) // wire is dropped; the take of its lease fails
	if hook.Load() != nil {
		t.Fatal("no take of the dropped feed's lease failed")
	}
	leaser.fail.Store(false)
	h.passWith(svc, all[1:]) // the next sweep
	h.write("wire.xml", item(1, "Aleppo talks resume", h.clock.Add(-time.Minute)))
	h.passWith(svc, all) // wire comes back
	h.wantTitles()
}
