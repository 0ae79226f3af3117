package bot

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
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
		h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
		st := h.sqlite(t)
		defer st.Close()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		svc, err := New(context.Background(), testOptions(h.cfg, st, map[string]notify.Notifier{"desk": h.rec}, log, time.Now))
		if err != nil {
			t.Fatal(err)
		}
		leaser := &leasesFailing{prefix: "feed:wire", hang: true} // its row locked
		leaser.fail.Store(true)
		svc.leases.leaser = leaser
		polls := loopPolls(svc, "other", time.Hour+time.Minute)
		wantPolledWhenDue(t, "the other feed", polls, h.cfg.Feeds[1].Interval)
		if hl := svc.Health(); hl.Ready {
			t.Errorf("Health: ready, want not ready while the store fails a feed's lease (reasons %q)", hl.Reasons)
		}
	})
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
