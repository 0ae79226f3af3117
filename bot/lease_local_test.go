package bot

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/pgtest"
)

// TestWaitBehindThisProcesssStoriesLeaseHolderIsNoGiveUp: a worker of
// this process holds the stories lease, and this process's part of it
// (commitLock.stories), for longer than twice the lease's time to live
// (two polls retrying their moves in a store outage, ~22 s each, hold
// it 44 s at the default 20 s). The wait behind it counted towards
// lockStories' give-up: a poll queued behind it gave up, was counted as
// a store failure (polling paused, run --once exited 3), and the sender's
// pass gave up too; both said that another instance held the lease. Only
// the wait for the shared lease counts: both wait for the worker and go on.
func TestWaitBehindThisProcesssStoriesLeaseHolderIsNoGiveUp(t *testing.T) {
	t.Parallel() // seconds of real waits for the stories lease, on a schema of its own
	const ttl = time.Second
	cases := []struct {
		name string
		open func(t *testing.T, dsn string, log *slog.Logger) (*Service, func() (map[string]string, int))
	}{
		{"a poll that enqueues an alert", func(t *testing.T, dsn string, log *slog.Logger) (*Service, func() (map[string]string, int)) {
			return pollingInstance(t, dsn, ttl, log)
		}},
		{"the sender's pass", func(t *testing.T, dsn string, log *slog.Logger) (*Service, func() (map[string]string, int)) {
			h, _, clk, n, delivered := talksEnqueued(t, dsn, ttl)
			b, _ := countingSender(t, h, dsn, clk, map[string]notify.Notifier{"desk": n}, log)
			return b, delivered
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dsn := pgtest.Schema(t)
			logs := &logBuffer{}
			svc, delivered := tc.open(t, dsn, slog.New(slog.NewTextHandler(logs, nil)))
			const held = 3 * ttl
			holdStoriesLeaseLocally(t, svc, held)

			start := time.Now()
			r, err := svc.RunOnce(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("run --once took %v behind a worker of this process holding the stories lease %v (give-up: %v)", time.Since(start), held, 2*ttl)
			if got, want := r.Trouble(), ""; got != want {
				t.Errorf("Trouble() = %q, want %q (report %+v)", got, want, r)
			}
			if _, mails := delivered(); mails != 1 {
				t.Errorf("%d mails sent, want 1", mails)
			}
			if strings.Contains(logs.String(), "another instance") {
				t.Errorf("the log blames another instance, where a worker of this process held the lease:\n%s", logs.String())
			}
		})
	}
}

// holdStoriesLeaseLocally has a worker of svc's process (a poll storing
// its moves) hold the stories lease, and this process's part of it, for d.
func holdStoriesLeaseLocally(t *testing.T, svc *Service, d time.Duration) {
	t.Helper()
	unlock, err := svc.poller.commits.lockStories(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(d) // the hold itself, not a wait for another goroutine
		unlock()
	}()
	t.Cleanup(func() { <-done })
}

// pollingInstance is an instance on the shared store at dsn (stories
// lease ttl) polling the wire, seen once, which now has an item for the
// desk (email).
func pollingInstance(t *testing.T, dsn string, ttl time.Duration, log *slog.Logger) (*Service, func() (map[string]string, int)) {
	t.Helper()
	p := newPollingInstance(t, dsn, ttl, log)
	return p.svc, p.delivered
}

// pollingSetup is what pollingInstance made, for a test that writes the
// wire again or opens another instance beside it.
type pollingSetup struct {
	svc       *Service
	delivered func() (map[string]string, int)
	h         *harness
	clk       *clock
	desk      notify.Notifier
}

func newPollingInstance(t *testing.T, dsn string, ttl time.Duration, log *slog.Logger) pollingSetup {
	t.Helper()
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	h.cfg.Service.LeaseTTL = ttl
	n, delivered, _ := storyOutlets[0].open(t)
	clk := &clock{}
	clk.set(h.clock)
	svc, _ := h.openLoggingInstance(dsn, clk, n, log, "wire")
	svc.poller.pollAll(context.Background(), svc.live.catalog().Feeds(), pollNow) // first sight
	h.write("wire.xml", item(1, "Aleppo talks resume", clk.now()))
	clk.advance(time.Minute)
	return pollingSetup{svc, delivered, h, clk, n}
}
