package bot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/store"
)

// TestReadinessTellsEachFaultAndRecovers: for each fault an operator's
// probe must see, the service turns unready with the reason, and ready
// again once the fault is gone.
func TestReadinessTellsEachFaultAndRecovers(t *testing.T) {
	type rig struct {
		h    *harness
		svc  *Service
		n    *flaky
		full *bool
	}
	// pass is one poll of every feed and one delivery pass, a second later.
	pass := func(r rig) {
		ctx := context.Background()
		r.svc.poller.pollAll(ctx, r.svc.live.catalog().Feeds(), pollNow)
		r.svc.sender.deliverAll(ctx)
		r.h.clock = r.h.clock.Add(time.Second)
	}
	tests := []struct {
		name   string
		fault  func(r rig)
		reason string
		mend   func(r rig)
		quiet  bool // no news published during the fault
	}{
		{
			name:   "destination failing for over a minute",
			fault:  func(r rig) { r.n.down = true },
			reason: "destination desk failing for",
			mend:   func(r rig) { r.n.down = false },
		},
		{
			name: "destination paused",
			fault: func(r rig) {
				r.n.fail = []error{fmt.Errorf("HTTP 404: Unknown Channel: %w", notify.ErrGone)}
			},
			reason: "destination desk paused",
			mend:   func(r rig) { r.svc.sender.resume("desk") },
		},
		{
			name:   "store cannot write",
			fault:  func(r rig) { *r.full = true },
			reason: "store:",
			mend:   func(r rig) { *r.full = false },
		},
		{
			name: "every feed failing",
			fault: func(r rig) {
				for _, name := range []string{"wire.xml", "other.xml"} {
					os.WriteFile(filepath.Join(r.h.dir, name), []byte("<html>not a feed</html>"), 0o644)
				}
			},
			reason: "every feed is failing (2)",
			quiet:  true,
			mend: func(r rig) {
				r.h.write("wire.xml", item(90, "Weather stays mild", r.h.clock))
				r.h.write("other.xml", item(91, "Weather stays mild", r.h.clock))
				r.h.clock = r.h.clock.Add(time.Hour) // past the feeds' back-off
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			h.runOnce()
			full := false
			st, err := store.OpenSQLite(context.Background(), h.db, store.WithClock(func() time.Time { return h.clock }))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			n := &flaky{clock: &h.clock}
			svc, err := New(context.Background(), h.options(fullDisk{st, &full}, n, io.Discard))
			if err != nil {
				t.Fatal(err)
			}
			r := rig{h: h, svc: svc, n: n, full: &full}
			pass(r)
			if got := svc.Health(); !got.Ready || !got.Live {
				t.Fatalf("before the fault: %+v, want ready", got)
			}
			tt.fault(r)
			for i := range 90 { // a news item each second keeps the destination busy
				if !tt.quiet {
					h.write("wire.xml", item(100+i, fmt.Sprintf("Aleppo update %d", i), h.clock))
				}
				pass(r)
			}
			got := svc.Health()
			if got.Ready || !strings.Contains(strings.Join(got.Reasons, "; "), tt.reason) {
				t.Fatalf("during the fault: %+v, want unready because %q", got, tt.reason)
			}
			tt.mend(r)
			for range 30 {
				pass(r)
			}
			if got := svc.Health(); !got.Ready {
				t.Errorf("after the fault: %+v, want ready again", got)
			}
		})
	}
}

func TestOnceReportCountsWhatHappened(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	h.afterFirstSight(item(2, "Aleppo convoy reaches the city", h.clock), item(3, "Aleppo talks", h.clock))
	full := true
	st, err := store.OpenSQLite(context.Background(), h.db, store.WithClock(func() time.Time { return h.clock }))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, err := New(context.Background(), h.options(fullDisk{st, &full}, h.rec, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !r.StoreFailed || r.Trouble() != "store" || r.FeedsPolled != 2 {
		t.Errorf("on a full disk: %+v (trouble %q), want the store named", r, r.Trouble())
	}
	full = false
	svc, err = New(context.Background(), h.options(st, h.rec, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	r, err = svc.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.StoreFailed || r.NewItems != 2 || r.Enqueued != 2 || r.Delivered != 2 || r.Pending != 0 || r.Trouble() != "" {
		t.Errorf("with room on the disk: %+v (trouble %q), want 2 new, 2 enqueued, 2 delivered", r, r.Trouble())
	}
}

// TestReadinessCountsOnlyTheFeedsPolledNow: a feed a reload dropped, or
// whose watch was removed, no longer counts: when every feed still listed
// fails, the service is unready.
func TestReadinessCountsOnlyTheFeedsPolledNow(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	h.runOnce()
	svc, _ := h.open()
	os.WriteFile(filepath.Join(h.dir, "other.xml"), []byte("<html>not a feed</html>"), 0o644)
	if _, err := svc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := svc.Health(); !got.Ready {
		t.Fatalf("one feed of two failing: %+v, want ready", got)
	}
	cfg := *h.cfg
	cfg.Feeds = []config.Feed{h.cfg.Feeds[1]} // other only
	if err := svc.Reload(ctx, &cfg); err != nil {
		t.Fatal(err)
	}
	h.clock = h.clock.Add(time.Hour) // past the failing feed's back-off
	if _, err := svc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	got := svc.Health()
	if want := "every feed is failing (1)"; got.Ready || !strings.Contains(strings.Join(got.Reasons, "; "), want) {
		t.Errorf("the one feed listed failing: %+v, want unready because %q", got, want)
	}
}

// slowPoster takes each alert as a post of its own, each send taking
// step of the harness's clock, and asks the service's health at each.
// Its clock is the service's: the sender's loop reads it while a
// destination sends (a poll's wake, a tick).
type slowPoster struct {
	step  time.Duration
	svc   *Service
	lives []bool
	done  chan struct{}
	want  int

	mu sync.Mutex
	at time.Time
}

func (n *slowPoster) PostsEach() bool { return true }

func (n *slowPoster) now() time.Time {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.at
}

func (n *slowPoster) Send(ctx context.Context, m notify.Message) (notify.Receipt, error) {
	n.mu.Lock()
	n.at = n.at.Add(n.step)
	n.mu.Unlock()
	n.lives = append(n.lives, n.svc.Health().Live)
	if len(n.lives) == n.want {
		close(n.done)
	}
	return notify.Receipt{MessageID: fmt.Sprint(len(n.lives))}, nil
}

// TestDeliveringABacklogKeepsTheServiceLive: /healthz says whether "the
// service's loops turn"; a probe restarts a service that is not live. A
// backlog (after an outage, at Discord's pace of a post a second or so per
// channel) can take the sender minutes to deliver in one pass while every
// send gets its answer: that is work going on, not a stall, and a restart
// would only cut the backlog's delivery short again and again. A send
// left unanswered for longer than stallAfter is still a stall.
func TestDeliveringABacklogKeepsTheServiceLive(t *testing.T) {
	tests := []struct {
		name     string
		step     time.Duration // each send's time
		wantLive bool          // while each send is on its way
	}{
		{"sends of 30 s", 30 * time.Second, true},
		{"sends of 50 s", 50 * time.Second, true},
		{"sends of 150 s: no answer for longer than stallAfter", 150 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			titles := []string{"Aleppo convoy reaches the city", "Aleppo water plant repaired", "Aleppo schools reopen",
				"Aleppo airport resumes flights", "Aleppo market rebuilt", "Aleppo bakery queues shorten"}
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			var items []testItem
			for i, title := range titles {
				items = append(items, item(2+i, title, h.clock))
			}
			h.afterFirstSight(items...)
			// Each pass of the sender takes longer than stallAfter.
			n := &slowPoster{step: tt.step, done: make(chan struct{}), want: len(titles), at: h.clock}
			ctx := context.Background()
			st, err := store.OpenSQLite(ctx, h.db, store.WithClock(n.now))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			svc, err := New(ctx, testOptions(h.cfg, st, map[string]notify.Notifier{"desk": n}, slog.New(slog.NewTextHandler(io.Discard, nil)), n.now))
			if err != nil {
				t.Fatal(err)
			}
			n.svc = svc
			svc.poller.pollAll(ctx, svc.live.catalog().Feeds(), pollNow)
			runCtx, stop := context.WithCancel(ctx)
			loopDone := make(chan struct{})
			go func() {
				defer close(loopDone)
				svc.sender.loop(runCtx, ctx)
			}()
			select {
			case <-n.done:
			case <-time.After(30 * time.Second):
				t.Fatalf("%d of %d alerts sent in 30 s", len(n.lives), len(titles))
			}
			stop()
			<-loopDone
			if total := tt.step * time.Duration(len(titles)); total <= stallAfter {
				t.Fatalf("the pass takes %v, not over stallAfter (%v): the test shows nothing", total, stallAfter)
			}
			for i, live := range n.lives {
				if live != tt.wantLive {
					t.Errorf("send %d (%v into the pass, each send %v): live %v, want %v", i+1, tt.step*time.Duration(i+1), tt.step, live, tt.wantLive)
				}
			}
		})
	}
}

// TestReadinessKnowsTheFeedsFailingBeforeARestart: after a restart, a feed
// backing off after failing is failing, as run --once counts it (exit 4),
// not unknown until its back-off ends, up to 6 hours later. /readyz said
// ready while every feed was failing; a feed whose last poll worked still
// keeps the service ready beside a failing one.
func TestReadinessKnowsTheFeedsFailingBeforeARestart(t *testing.T) {
	tests := []struct {
		name      string
		broken    []string
		wantReady bool
	}{
		{"every feed failing", []string{"wire.xml", "other.xml"}, false},
		{"one feed failing", []string{"wire.xml"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			h.runOnce()
			for _, name := range tt.broken {
				if err := os.WriteFile(filepath.Join(h.dir, name), []byte("<html>not a feed</html>"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			h.clock = h.clock.Add(time.Hour)
			h.runOnce()
			h.clock = h.clock.Add(time.Minute) // a restart, inside the back-off
			svc, st := h.open()
			defer st.Close()
			q := &dueQueue{index: map[string]*due{}}
			svc.poller.planNew(ctx, svc.live.now().catalog, replanAfter{}, q, map[string]bool{}, map[string]replanAfter{})
			got := svc.Health()
			if got.Ready != tt.wantReady {
				t.Errorf("after a restart: got %+v, want ready %v", got, tt.wantReady)
			}
			if want := "every feed is failing (2)"; !tt.wantReady && !strings.Contains(strings.Join(got.Reasons, "; "), want) {
				t.Errorf("reasons: got %q, want %q", got.Reasons, want)
			}
		})
	}
}
