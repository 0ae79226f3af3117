package bot

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/feedtest"
	"github.com/newshound/newshound/store"
)

// TestBusyHostIsLoggedOncePerState: three feeds on one host that answers
// in a second, one request at a time and a 1.5 s timeout: each pass, the
// third feed waits past its timeout for the host's slot and is not
// fetched. That is logged once for the host over two such passes (though
// its other feeds get through in between), not as a failing feed, and once
// more when the host has kept up for 10 minutes, not sooner.
func TestBusyHostIsLoggedOncePerState(t *testing.T) {
	var delay atomic.Int64
	delay.Store(int64(time.Second))
	h := busyHostHarness(t, &delay)
	logs := &logBuffer{}
	svc, st := h.openLogging(logs)
	defer st.Close()
	// A pass polls every feed as the scheduled loop does when all are due
	// (RunOnce would wait for the host's slot).
	run := func(after time.Duration) {
		h.clock = h.clock.Add(after) // every feed due again
		svc.poller.pollAll(context.Background(), svc.live.catalog().Feeds(), pollNow)
	}
	busySince := h.clock.Format(time.RFC3339)
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
	// README: "once more when its feeds have all got through for 10
	// minutes" (busyQuiet; written out here, so that the test pins it).
	run(2 * time.Minute) // kept up, but not yet for 10 minutes
	run(7 * time.Minute) // a minute short of them
	if strings.Contains(logs.String(), `msg="the feeds of a busy host are all fetched again"`) {
		t.Errorf("the recovery logged after the host kept up for 9m0s, want it only after 10m0s:\n%s", logs)
	}
	run(time.Minute)
	if got := strings.Count(logs.String(), `msg="the feeds of a busy host are all fetched again"`); got != 1 {
		t.Errorf("the recovery logged %d times, want once:\n%s", got, logs)
	}
	// By the service's clock, as the feeds' own lines are.
	if want := "failing_since=" + busySince; !strings.Contains(logs.String(), want) {
		t.Errorf("the recovery lacks %s, the first pass's time:\n%s", want, logs)
	}
}

// busyHostHarness is a harness whose config adds three feeds (a, b, c)
// on one loopback host that answers each request after delay, one request
// at a time (host_concurrency 1), with a 1.5 s timeout: with a delay of a
// second, a pass that polls all three at once leaves the third waiting
// past its timeout for the host's slot.
func busyHostHarness(t *testing.T, delay *atomic.Int64) *harness {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Duration(delay.Load()))
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(feedtest.RSS("Slow "+r.URL.Path, testItem{GUID: "s1", Title: "Weather stays mild", Link: "https://slow.example" + r.URL.Path})))
	}))
	t.Cleanup(srv.Close)
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	h.cfg.Defaults.AllowPrivateNetworks = true
	h.cfg.Defaults.HostConcurrency, h.cfg.Defaults.HostGap, h.cfg.Defaults.Timeout = 1, 0, 1500*time.Millisecond
	for _, name := range []string{"a", "b", "c"} {
		h.cfg.Feeds = append(h.cfg.Feeds, config.Feed{Name: name, URL: srv.URL + "/" + name, Interval: time.Minute})
	}
	h.cfg.Subscriptions[0].Feeds = nil
	return h
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

// TestRunOnceFetchesOtherHostsBesideABusyOne: `run --once` with two
// workers and a slow host whose four feeds come first in the config (one
// request at a time on it): the other host's feeds are fetched while the
// slow host serves its first, not after its workers all queued for its
// slot.
func TestRunOnceFetchesOtherHostsBesideABusyOne(t *testing.T) {
	var mu sync.Mutex
	var events []string // "slow" or "fast", as requests start
	serve := func(kind string, delay time.Duration) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			events = append(events, kind)
			mu.Unlock()
			time.Sleep(delay)
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Write([]byte(feedtest.RSS(kind+r.URL.Path, testItem{GUID: "s1", Title: "Weather stays mild", Link: "https://" + kind + ".example" + r.URL.Path})))
		}))
	}
	slow, fast := serve("slow", 300*time.Millisecond), serve("fast", 0)
	defer slow.Close()
	defer fast.Close()
	fastURL := strings.Replace(fast.URL, "127.0.0.1", "localhost", 1) // another host to the fetcher
	h := newHarness(t)
	h.cfg.Service.Workers = 2
	h.cfg.Defaults.AllowPrivateNetworks = true
	h.cfg.Defaults.HostConcurrency, h.cfg.Defaults.HostGap = 1, 0
	h.cfg.Feeds = nil
	for _, name := range []string{"a", "b", "c", "d"} {
		h.cfg.Feeds = append(h.cfg.Feeds, config.Feed{Name: "slow-" + name, URL: slow.URL + "/" + name})
	}
	for _, name := range []string{"e", "f"} {
		h.cfg.Feeds = append(h.cfg.Feeds, config.Feed{Name: "fast-" + name, URL: fastURL + "/" + name})
	}
	svc, st := h.open()
	defer st.Close()
	r, err := svc.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.FeedsPolled != len(h.cfg.Feeds) {
		t.Errorf("polled %d feeds, want %d", r.FeedsPolled, len(h.cfg.Feeds))
	}
	mu.Lock()
	defer mu.Unlock()
	lastFast := -1
	for i, e := range events {
		if e == "fast" {
			lastFast = i
		}
	}
	if slowBefore := strings.Count(strings.Join(events[:lastFast+1], " "), "slow"); slowBefore > 1 {
		t.Errorf("requests in order: %q; the fast host's feeds waited for %d of the slow host's, want at most its first", events, slowBefore)
	}
}

// heldCommits is a store whose first CommitPoll waits until release is
// closed or a while has passed, noting which.
type heldCommits struct {
	store.Store
	release  chan struct{}
	once     sync.Once
	timedOut atomic.Bool
}

func (s *heldCommits) CommitPoll(ctx context.Context, feedID string, p store.Poll) (int, error) {
	s.once.Do(func() {
		select {
		case <-s.release:
		case <-time.After(3 * time.Second):
			s.timedOut.Store(true)
		}
	})
	return s.Store.CommitPoll(ctx, feedID, p)
}

// TestRunOnceFetchesWhileAnotherFeedOfTheHostIsRecorded: `run --once`
// with two workers and two feeds on a host that takes one request at a
// time. The host's slot is for fetching: the second feed is fetched while
// the first one's items are recorded. hostTurns used to count a feed
// against its host until its whole poll ended (parse, grouping, the
// store's commit), so a pass of many feeds on one host ran one poll at a
// time, store round trips and all.
func TestRunOnceFetchesWhileAnotherFeedOfTheHostIsRecorded(t *testing.T) {
	held := &heldCommits{release: make(chan struct{})}
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) == 2 {
			close(held.release)
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(feedtest.RSS("Host "+r.URL.Path, testItem{GUID: "s1", Title: "Weather stays mild", Link: "https://host.example" + r.URL.Path})))
	}))
	defer srv.Close()
	h := newHarness(t)
	h.cfg.Service.Workers = 2
	h.cfg.Defaults.AllowPrivateNetworks = true
	h.cfg.Defaults.HostConcurrency, h.cfg.Defaults.HostGap = 1, 0
	h.cfg.Feeds = []config.Feed{{Name: "a", URL: srv.URL + "/a"}, {Name: "b", URL: srv.URL + "/b"}}
	st, err := store.OpenSQLite(context.Background(), h.db, store.WithClock(func() time.Time { return h.clock }))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	held.Store = st
	svc, err := New(context.Background(), h.options(held, h.rec, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.FeedsPolled != 2 {
		t.Errorf("polled %d feeds, want 2", r.FeedsPolled)
	}
	if held.timedOut.Load() {
		t.Error("the second feed was fetched only after the first one's commit (held 3 s), want while the first one was recorded")
	}
}
