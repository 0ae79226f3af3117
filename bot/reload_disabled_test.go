package bot

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/feedtest"
	"github.com/newshound/newshound/store"
)

// TestReloadRetriesADisabledFeed: a feed disabled by disable_after (or a
// 410) stays disabled "until the config is reloaded" (examples/newshound.yaml):
// a reload of a running service polls it once more, and a reload that gives
// it a new url polls the new url, as a restart would.
func TestReloadRetriesADisabledFeed(t *testing.T) {
	tests := []struct {
		name string
		// fix is what the operator does before the reload; it returns the
		// feed's url in the reloaded config.
		fix func(h *harness, srv *feedtest.Server) string
	}{
		{"fixed at the publisher", func(h *harness, srv *feedtest.Server) string {
			srv.SetStatus(http.StatusOK)
			return srv.URL
		}},
		{"url changed in the config", func(h *harness, srv *feedtest.Server) string {
			h.write("moved.xml", item(1, "Aleppo old story", h.clock))
			return h.feedURL("moved.xml")
		}},
	}
	for _, tt := range tests {
		for _, inFlight := range []bool{false, true} {
			name := tt.name
			if inFlight {
				name += ", reloaded before the loop learns the start-up retry ended"
			}
			t.Run(name, func(t *testing.T) { reloadDisabledFeed(t, tt.fix, inFlight) })
		}
	}
}

// reloadDisabledFeed is one case of TestReloadRetriesADisabledFeed. With
// inFlight, the poll loop learns that the start-up retry ended only after
// the reload (a loaded machine: the retry's goroutine had saved the state
// but not yet told the loop); the loop then set the feed's next poll from
// that retry, a disabled feed's, and the reload's retry was lost.
func reloadDisabledFeed(t *testing.T, fix func(h *harness, srv *feedtest.Server) string, inFlight bool) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	srv := newFlakyFeed(t, http.StatusGone)
	h.cfg.Defaults.AllowPrivateNetworks = true
	h.cfg.Feeds = []config.Feed{{Name: "wire", URL: srv.URL}}
	h.runOnce() // 410: disabled

	ctx := context.Background()
	clk := &clock{}
	clk.set(h.clock.Add(time.Hour))
	release := make(chan struct{})
	var hold func(*Service)
	if inFlight {
		var once sync.Once
		hold = func(svc *Service) {
			svc.poller.polledHook = func(id string) {
				if id == "wire" {
					once.Do(func() { <-release })
				}
			}
		}
	} else {
		close(release)
		hold = func(*Service) {}
	}
	st, svc, halt := runService(t, h, clk, hold)
	defer halt()
	wire := func() store.FeedState { return feedState(t, st, "wire") }
	waitUntil := func(what string, ok func() bool) {
		t.Helper()
		waitUntilState(t, what, ok, wire)
	}
	// The start-up retry finds the feed still gone.
	waitUntil("the start-up retry disables the feed again", func() bool {
		s := wire()
		return s.Disabled && s.LastPolled.Equal(clk.now())
	})

	url := fix(h, srv)
	clk.advance(time.Hour)
	next := *h.cfg
	next.Feeds = []config.Feed{{Name: "wire", URL: url}}
	next.Subscriptions = slices.Clone(h.cfg.Subscriptions)
	if err := svc.Reload(ctx, &next); err != nil {
		t.Fatal(err)
	}
	if inFlight {
		time.Sleep(100 * time.Millisecond) // the loop plans the reload
		close(release)
	}
	waitUntil("the reload polls the feed", func() bool {
		s := wire()
		return !s.Disabled && s.ConfigURL == url && s.LastPolled.Equal(clk.now())
	})
}

// TestWatchChangeDoesNotRetryADisabledFeed: a disabled feed gets one more
// try at a start or a config reload, as the example config says, not at
// every rebuild of the catalog: a /watch command, here or (through the
// watches version) on another instance, rebuilds it too.
func TestWatchChangeDoesNotRetryADisabledFeed(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	srv := newFlakyFeed(t, http.StatusGone)
	h.cfg.Defaults.AllowPrivateNetworks = true
	h.cfg.Defaults.HostGap = 0 // the retry would wait for the host otherwise
	h.cfg.Feeds = []config.Feed{{Name: "wire", URL: srv.URL}}
	h.runOnce() // 410: disabled

	ctx := context.Background()
	clk := &clock{}
	clk.set(h.clock.Add(time.Hour))
	st, svc, halt := runService(t, h, clk)
	defer halt()
	wire := func() store.FeedState { return feedState(t, st, "wire") }
	waitUntilState(t, "the start-up retry disables the feed again", func() bool {
		s := wire()
		return s.Disabled && s.LastPolled.Equal(clk.now())
	}, wire)
	retried := clk.now()

	clk.advance(time.Hour)
	if err := svc.live.rebuild(ctx, nil); err != nil { // what a /watch command does
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the loop plans the new catalog
	// The poller's own view: its state writes may wait for a group flush.
	if s, _, err := svc.poller.states.load(ctx, "wire"); err != nil || !s.LastPolled.Equal(retried) {
		t.Errorf("a /watch change polled the disabled feed again (last polled %v, want %v)", s.LastPolled, retried)
	}

	next := *h.cfg
	next.Subscriptions = slices.Clone(h.cfg.Subscriptions)
	if err := svc.Reload(ctx, &next); err != nil {
		t.Fatal(err)
	}
	waitUntilState(t, "the reload retries the feed", func() bool { return wire().LastPolled.Equal(clk.now()) }, wire)
}
