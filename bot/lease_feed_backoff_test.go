package bot

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/store"
)

// TestAFeedWhoseLeaseTheStoreFailsBacksOffAlone: a take of a feed's lease
// the store failed paused every feed's polling (poller.leaseDown), and
// only a take of another feed's lease the store answered ended the pause:
// one feed's locked row, tried again each minute, beside feeds that come
// due every ten, doubled the pause up to a minute and more, and the
// others waited through it. That feed alone backs off; the others are
// polled when due, and the store's failure is still reported.
func TestAFeedWhoseLeaseTheStoreFailsBacksOffAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		leaser := &leasesFailing{prefix: "feed:wire", hang: true} // its row locked
		leaser.fail.Store(true)
		h, svc := withLeaser(t, leaser)
		polls := loopPolls(svc, "other", time.Hour+time.Minute)
		wantPolledWhenDue(t, "the other feed", polls, h.cfg.Feeds[1].Interval)
		if hl := svc.Health(); hl.Ready {
			t.Errorf("Health: ready, want not ready while the store fails a feed's lease (reasons %q)", hl.Reasons)
		}
	})
}

// withLeaser is a harness and its service, on the wall clock (synctest's
// in a bubble), whose leases leaser gives as a shared store would.
func withLeaser(t *testing.T, leaser store.Leaser) (*harness, *Service) {
	t.Helper()
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	st := h.sqlite(t)
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := New(context.Background(), testOptions(h.cfg, st, map[string]notify.Notifier{"desk": h.rec}, log, time.Now))
	if err != nil {
		t.Fatal(err)
	}
	svc.leases.leaser = leaser
	return h, svc
}

// wantPolledWhenDue reports a feed polled at polls, each an interval after
// the last, more than two of the loop's ticks late.
func wantPolledWhenDue(t *testing.T, feed string, polls []time.Time, interval time.Duration) {
	t.Helper()
	if len(polls) < 2 {
		t.Fatalf("%s polled %d times, want one each %v", feed, len(polls), interval)
	}
	var gaps []time.Duration
	for i := 1; i < len(polls); i++ {
		gaps = append(gaps, polls[i].Sub(polls[i-1]))
	}
	if late := slices.Max(gaps) - interval; late > 2*pollTick {
		t.Errorf("%s polled up to %v after it fell due, want at most %v (gaps between its polls %v)", feed, late, 2*pollTick, gaps)
	}
}

// loopPolls runs svc's poll loop for d and returns when it polled the
// feed id.
func loopPolls(svc *Service, id string, d time.Duration) []time.Time {
	var mu sync.Mutex
	var polls []time.Time
	svc.poller.polledHook = func(polled string) {
		if polled == id {
			mu.Lock()
			polls = append(polls, time.Now())
			mu.Unlock()
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	svc.poller.loop(ctx)
	return polls // the loop has waited for its polls
}

// TestAFeedWhoseLeaseTheStoreFailsIsTriedAgainAMinuteLater: README, "that
// feed alone is tried again a minute later": after each take the store
// refuses or leaves unanswered (5 s), the next comes a minute after its
// failure, not when the feed is next due (10 minutes) nor sooner.
func TestAFeedWhoseLeaseTheStoreFailsIsTriedAgainAMinuteLater(t *testing.T) {
	tests := []struct {
		name   string
		hang   bool
		answer time.Duration // how long a take takes to fail
	}{
		{"refused", false, 0},
		{"unanswered", true, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				leaser := &takesTimed{leasesFailing: leasesFailing{prefix: "feed:wire", hang: tt.hang}}
				leaser.fail.Store(true)
				_, svc := withLeaser(t, leaser)
				loopPolls(svc, "other", 30*time.Minute)
				takes := leaser.times()
				if len(takes) < 2 {
					t.Fatalf("the failing feed's lease taken %d times in 30 minutes, want about one a minute", len(takes))
				}
				for i := 1; i < len(takes); i++ {
					gap := takes[i].Sub(takes[i-1]) - tt.answer
					if gap < time.Minute || gap > time.Minute+2*pollTick {
						t.Errorf("take %d came %v after the one before failed, want a minute (to %v)", i, gap, time.Minute+2*pollTick)
					}
				}
			})
		})
	}
}

// takesTimed is leasesFailing that records when a take of its prefix's
// lease was asked.
type takesTimed struct {
	leasesFailing
	mu    sync.Mutex
	asked []time.Time
}

func (l *takesTimed) Lease(ctx context.Context, name, owner string, take int64, ttl time.Duration) (bool, error) {
	if strings.HasPrefix(name, l.prefix) {
		l.mu.Lock()
		l.asked = append(l.asked, time.Now())
		l.mu.Unlock()
	}
	return l.leasesFailing.Lease(ctx, name, owner, take, ttl)
}

func (l *takesTimed) times() []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.asked)
}
