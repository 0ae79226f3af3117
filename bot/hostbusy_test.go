package bot

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/feedtest"
)

// TestBusyHostIsLoggedOncePerState: three feeds on one host that answers
// in a second, one request at a time and a 1.5 s timeout: each pass, the
// third feed waits past its timeout for the host's slot and is not
// fetched. That is logged once for the host over two such passes (though
// its other feeds get through in between), not as a failing feed, and once
// more when the host has kept up for a while.
func TestBusyHostIsLoggedOncePerState(t *testing.T) {
	var delay atomic.Int64
	delay.Store(int64(time.Second))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Duration(delay.Load()))
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(feedtest.RSS("Slow "+r.URL.Path, testItem{GUID: "s1", Title: "Weather stays mild", Link: "https://slow.example" + r.URL.Path})))
	}))
	defer srv.Close()
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	h.cfg.Defaults.AllowPrivateNetworks = true
	h.cfg.Defaults.HostConcurrency, h.cfg.Defaults.HostGap, h.cfg.Defaults.Timeout = 1, 0, 1500*time.Millisecond
	for _, name := range []string{"a", "b", "c"} {
		h.cfg.Feeds = append(h.cfg.Feeds, config.Feed{Name: name, URL: srv.URL + "/" + name, Interval: time.Minute})
	}
	h.cfg.Subscriptions[0].Feeds = nil
	logs := &logBuffer{}
	svc, st := h.openLogging(logs)
	defer st.Close()
	// A pass polls every feed as the scheduled loop does when all are due
	// (RunOnce would wait for the host's slot).
	run := func(after time.Duration) {
		h.clock = h.clock.Add(after) // every feed due again
		svc.poller.pollAll(context.Background(), svc.live.catalog().Feeds(), pollNow)
	}
	run(0)
	run(2 * time.Minute)
	busy := `msg="feeds not fetched: their host is busy`
	if got := strings.Count(logs.String(), busy); got != 1 {
		t.Errorf("the busy host logged %d times over two passes, want once:\n%s", got, logs)
	}
	if strings.Contains(logs.String(), `msg="feed failed"`) {
		t.Errorf("a feed not fetched was logged as failing:\n%s", logs)
	}
	delay.Store(0)
	run(2 * time.Minute) // kept up, but not yet for busyQuiet
	run(busyQuiet)
	if got := strings.Count(logs.String(), `msg="the feeds of a busy host are all fetched again"`); got != 1 {
		t.Errorf("the recovery logged %d times, want once:\n%s", got, logs)
	}
}

// TestRunOnceFetchesEveryFeedOfABusyHost: `run --once` polls every feed
// once. A feed queued behind its host's other feeds past `timeout` was
// left out of the run (it would be tried "a minute later", but a one-shot
// run has no later), so under cron the same last feeds of a busy host
// were never fetched. The run now waits for the host's slot.
func TestRunOnceFetchesEveryFeedOfABusyHost(t *testing.T) {
	var served atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Second)
		served.Add(1)
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(feedtest.RSS("Slow "+r.URL.Path, testItem{GUID: "s1", Title: "Aleppo " + r.URL.Path, Link: "https://slow.example" + r.URL.Path})))
	}))
	defer srv.Close()
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	h.cfg.Defaults.AllowPrivateNetworks = true
	h.cfg.Defaults.HostConcurrency, h.cfg.Defaults.HostGap, h.cfg.Defaults.Timeout = 1, 0, 1500*time.Millisecond
	for _, name := range []string{"a", "b", "c"} {
		h.cfg.Feeds = append(h.cfg.Feeds, config.Feed{Name: name, URL: srv.URL + "/" + name})
	}
	h.cfg.Subscriptions[0].Feeds = nil
	svc, st := h.open()
	defer st.Close()
	r, err := svc.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.FeedsPolled != len(h.cfg.Feeds) || served.Load() != 3 {
		t.Errorf("polled %d feeds of %d, the slow host served %d of its 3", r.FeedsPolled, len(h.cfg.Feeds), served.Load())
	}
}
