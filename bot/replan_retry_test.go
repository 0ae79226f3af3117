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

// TestAnOwedReplanDoesNotHoldUpPolls: while another instance holds the
// stories lease, a re-plan a reload owes waits lockStories' budget (39 s)
// at each try; the poll loop's tries, a minute apart, must not make the
// feeds due meanwhile wait with it.
func TestAnOwedReplanDoesNotHoldUpPolls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		daily := config.Delivery{Mode: config.Digest, At: []config.ClockTime{{Hour: 8}}, Location: time.UTC}
		h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: daily})
		st := h.sqlite(t)
		defer st.Close()
		h.clock = time.Now()
		svc, err := New(context.Background(), testOptions(h.cfg, st, map[string]notify.Notifier{"desk": h.rec}, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now))
		if err != nil {
			t.Fatal(err)
		}
		svc.leases.leaser = elsewhereLeaser{}
		ctx := context.Background()
		runOnce := func() {
			if _, err := svc.RunOnce(ctx); err != nil {
				t.Fatalf("RunOnce: %v", err)
			}
		}
		runOnce() // first sight
		h.write("wire.xml", item(10, "Aleppo story", time.Now()))
		runOnce() // held for 08:00

		svc.leases.leaser = elsewhereLeaser{held: map[string]bool{storiesLease: true}}
		next := *h.cfg
		next.Subscriptions = slices.Clone(h.cfg.Subscriptions)
		next.Subscriptions[0].Delivery = config.Delivery{}
		if err := svc.Reload(ctx, &next); err != nil {
			t.Fatal(err)
		}

		var mu sync.Mutex
		var polls []time.Time // the other feed's
		svc.poller.polledHook = func(id string) {
			if id == "other" {
				mu.Lock()
				polls = append(polls, time.Now())
				mu.Unlock()
			}
		}
		loopCtx, cancel := context.WithTimeout(ctx, 3*time.Hour+time.Minute)
		defer cancel()
		svc.poller.loop(loopCtx)
		interval := h.cfg.Feeds[1].Interval
		if len(polls) < 2 {
			t.Fatalf("the other feed polled %d times in three hours, want one each %v", len(polls), interval)
		}
		var gaps []time.Duration
		for i := 1; i < len(polls); i++ {
			gaps = append(gaps, polls[i].Sub(polls[i-1]))
		}
		if late := slices.Max(gaps) - interval; late > 2*pollTick {
			t.Errorf("the other feed polled up to %v after it fell due, want at most %v (gaps between its polls %v)", late, 2*pollTick, gaps)
		}
	})
}
