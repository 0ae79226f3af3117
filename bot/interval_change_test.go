package bot

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/feedtest"
	"github.com/newshound/newshound/store"
)

// TestShorterIntervalAppliesFromTheLastPoll: a feed's interval shortened
// in the config, at a reload or a restart, applies from the feed's last
// poll, not once the plan made under the old interval comes due: 6h
// shortened to 5m polled a healthy feed up to 6 hours late. A feed
// without its own interval still lets its hints stretch the new one, up
// to an hour; a plan under an unchanged interval is kept.
func TestShorterIntervalAppliesFromTheLastPoll(t *testing.T) {
	tests := []struct {
		name    string
		own     bool          // the feed sets its own interval (its hints do not stretch it)
		elapsed time.Duration // since the last poll, when the new interval is read
	}{
		{"the feed's own interval", true, 30 * time.Minute},
		{"an interval its hints may stretch to an hour", false, 90 * time.Minute},
	}
	for _, tt := range tests {
		for _, reload := range []bool{false, true} {
			name := tt.name + ", at a restart"
			if reload {
				name = tt.name + ", at a reload"
			}
			t.Run(name, func(t *testing.T) { shortenInterval(t, tt.own, tt.elapsed, reload) })
		}
	}
}

func shortenInterval(t *testing.T, own bool, elapsed time.Duration, reload bool) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	srv := feedtest.NewServer(t, "Wire", testItem{GUID: "w1", Title: "Weather stays mild", Link: "https://wire.example/1"})
	h.cfg.Defaults.AllowPrivateNetworks = true
	h.cfg.Defaults.HostGap = 0
	feed := func(interval time.Duration) []config.Feed {
		return []config.Feed{{Name: "wire", URL: srv.URL, Interval: interval, OwnInterval: own}}
	}
	h.cfg.Feeds = feed(6 * time.Hour)
	h.runOnce()
	polled := h.clock

	ctx := context.Background()
	clk := &clock{}
	clk.set(polled.Add(elapsed))
	if !reload {
		h.cfg.Feeds = feed(5 * time.Minute)
	}
	_, svc, halt := runService(t, h, clk)
	defer halt()
	wire := pollerState(t, svc, "wire")
	if reload {
		time.Sleep(300 * time.Millisecond) // the loop plans the feed
		if s := wire(); !s.LastPolled.Equal(polled) {
			t.Fatalf("polled at %v under the 6h interval, %v after its last poll", s.LastPolled, elapsed)
		}
		next := *h.cfg
		next.Feeds = feed(5 * time.Minute)
		next.Subscriptions = slices.Clone(h.cfg.Subscriptions)
		if err := svc.Reload(ctx, &next); err != nil {
			t.Fatal(err)
		}
	}
	waitUntilState(t, "the feed is polled under its new interval", func() bool {
		return wire().LastPolled.Equal(clk.now())
	}, wire)
}

// pollerState returns a reader of feed id's state as svc's poller knows it:
// its own writes may wait for a group flush.
func pollerState(t *testing.T, svc *Service, id string) func() store.FeedState {
	return func() store.FeedState {
		s, _, err := svc.poller.states.load(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}
