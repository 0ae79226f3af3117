package bot

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/pgtest"
)

// TestAFlappingFeedIsLoggedOncePerStretch: a feed that fails and recovers
// in turn (a CDN that answers 503 every other poll) is one condition, not
// two lines a poll cycle: its first failure and recovery are logged, its
// first relapse as flapping, then nothing until it has held either way
// for flapHold (recovered: "feed no longer flapping"; down: "feed failed"
// again). A feed that fails once a day is logged each time.
func TestAFlappingFeedIsLoggedOncePerStretch(t *testing.T) {
	const down, up = http.StatusServiceUnavailable, http.StatusOK
	type run struct {
		status int // the feed server's answer
		polls  int
	}
	flap := func(cycles int) []run {
		var rs []run
		for range cycles {
			rs = append(rs, run{down, 1}, run{up, 1})
		}
		return rs
	}
	tests := []struct {
		name string
		runs []run
		want []string // the feed's lines at INFO or above, by message
		last string   // in the last of them
	}{
		{"every other poll for a day, then well", append(flap(144), run{up, 8}),
			[]string{"feed failed", "feed recovered", "feed flapping", "feed no longer flapping"}, "relapses=143 failures=144 flapping_since=2026-11-21T12:00:00Z"},
		{"flapping, then down for hours", append(flap(3), run{down, 6}, run{up, 1}),
			[]string{"feed failed", "feed recovered", "feed flapping", "feed failed", "feed recovered"}, "after_errors="},
		{"a relapse in another way", []run{{down, 1}, {up, 1}, {http.StatusNotFound, 1}, {up, 1}},
			[]string{"feed failed", "feed recovered", "feed failed", "feed recovered"}, "after_errors=1 "},
		{"a failure, a healthy day, a failure", []run{{down, 1}, {up, 150}, {down, 1}, {up, 1}},
			[]string{"feed failed", "feed recovered", "feed failed", "feed recovered"}, "after_errors=1 "},
		// Below flapHold either way: a relapse half an hour after a
		// recovery (six polls 5 minutes apart), and half an hour down
		// (four failures, the back-off doubling from 5 minutes), are the
		// stretch going on, not its end.
		{"a relapse half an hour after its recovery", []run{{down, 1}, {up, 6}, {down, 1}, {up, 1}},
			[]string{"feed failed", "feed recovered", "feed flapping"}, "failures=2 "},
		{"flapping, then down half an hour", append(flap(3), run{down, 4}, run{up, 1}),
			[]string{"feed failed", "feed recovered", "feed flapping"}, "failures=2 "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			srv := newFlakyFeed(t, up)
			h.cfg.Defaults.AllowPrivateNetworks = true
			h.cfg.Feeds = []config.Feed{{Name: "flaky", URL: srv.URL + "/rss", Interval: 5 * time.Minute}}
			logs := &logBuffer{}
			svc, st := h.openLogging(logs)
			defer st.Close()
			for _, r := range tt.runs {
				for range r.polls {
					srv.SetStatus(r.status)
					if _, err := svc.RunOnce(context.Background()); err != nil {
						t.Fatal(err)
					}
					// The next poll when the service plans it.
					h.clock = h.clock.Add(time.Second)
					if next := feedState(t, st, "flaky").NextPoll; next.After(h.clock) {
						h.clock = next.Add(time.Second)
					}
				}
			}
			got, last := flakyLines(logs)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("the feed's lines: got %d %q, want %q", len(got), got, tt.want)
			}
			if strings.Contains(logs.String(), `previous_error=""`) {
				t.Errorf("a line names an empty previous error:\n%s", logs)
			}
			if !strings.Contains(last, tt.last) {
				t.Errorf("the feed's last line lacks %q:\n%s", tt.last, last)
			}
		})
	}
}

// flakyLines are the messages of the flaky feed's lines at INFO or above
// in logs, and the last of those lines.
func flakyLines(logs *logBuffer) (msgs []string, last string) {
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, "feed=flaky") && !strings.Contains(line, "level=DEBUG") && !strings.Contains(line, "first sight") {
			_, msg, _ := strings.Cut(line, `msg="`)
			msg, _, _ = strings.Cut(msg, `"`)
			msgs, last = append(msgs, msg), line
		}
	}
	return msgs, last
}

// TestAFlappingFeedOnTwoInstancesIsLoggedOncePerStretch: on a shared
// store the instances take a feed's polls in turn, and one may see its
// every failure and the other its every recovery. Each judged a relapse
// by the polls it made itself: the one seeing failures logged "feed
// failed" at each (the recovery between was not its), the other "feed
// recovered" at each. A relapse is judged by the stored state, whichever
// instance polled: each logs the stretch once, as flapping, and its end,
// and a failure after hours of polls that worked on the other is a new
// stretch, not a relapse of the one it saw recover.
func TestAFlappingFeedOnTwoInstancesIsLoggedOncePerStretch(t *testing.T) {
	dsn := pgtest.Schema(t)
	const down, up = http.StatusServiceUnavailable, http.StatusOK
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	srv := newFlakyFeed(t, up)
	h.cfg.Defaults.AllowPrivateNetworks = true
	h.cfg.Feeds = []config.Feed{{Name: "flaky", URL: srv.URL + "/rss", Interval: 5 * time.Minute}}
	clk := &clock{}
	clk.set(h.clock)
	sees := &logBuffer{} // the instance polling while the feed fails
	a, st := h.openLoggingInstance(dsn, clk, h.rec, slog.New(slog.NewTextHandler(sees, nil)), "flaky")
	seesUp := &logBuffer{}
	b, _ := h.openLoggingInstance(dsn, clk, h.rec, slog.New(slog.NewTextHandler(seesUp, nil)), "flaky")
	poll := func(svc *Service, status int) {
		t.Helper()
		srv.SetStatus(status)
		if _, err := svc.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		clk.advance(time.Second)
		if next := feedState(t, st, "flaky").NextPoll; next.After(clk.now()) {
			clk.set(next.Add(time.Second))
		}
	}
	for range 24 { // two hours at its interval
		poll(a, down)
		poll(b, up)
	}
	for range 12 { // up for an hour and more, on either
		poll(a, up)
		poll(b, up)
	}
	poll(a, down) // a new stretch, which one instance sees recover
	poll(a, up)
	for range 36 { // then up for three hours, on the other
		poll(b, up)
	}
	poll(a, down) // a new stretch again, not a relapse
	for _, tt := range []struct {
		name string
		logs *logBuffer
		want []string
	}{
		{"the instance seeing it fail", sees, []string{"feed failed", "feed flapping", "feed no longer flapping", "feed failed", "feed recovered", "feed failed"}},
		{"the instance seeing it recover", seesUp, []string{"feed recovered", "feed flapping", "feed no longer flapping"}},
	} {
		if got, _ := flakyLines(tt.logs); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: the feed's lines: got %d %q, want %q", tt.name, len(got), got, tt.want)
		}
	}
}

// TestAReloadForgetsTheStretchesOfRemovedFeeds: a feed's failure stretch
// (failReasons) ends only by a poll of it, so one the config no longer
// lists, failing or recovered within flapHold, was kept for as long as
// the process ran, each reload's removals adding to it. The poll loop's
// plan of the new catalog forgets them.
func TestAReloadForgetsTheStretchesOfRemovedFeeds(t *testing.T) {
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusOK} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			srv := newFlakyFeed(t, http.StatusServiceUnavailable)
			h.cfg.Defaults.AllowPrivateNetworks = true
			kept := h.cfg.Feeds
			h.cfg.Feeds = append(kept, config.Feed{Name: "flaky", URL: srv.URL + "/rss", Interval: 5 * time.Minute})
			svc, st := h.open()
			defer st.Close()
			ctx := context.Background()
			before := svc.live.catalog()
			q := &dueQueue{index: map[string]*due{}}
			svc.poller.planNew(ctx, before, replanAfter{}, q, map[string]bool{}, map[string]replanAfter{})
			flaky, _ := before.Feed("flaky")
			svc.poller.pollFeed(ctx, flaky, pollNow, nil) // failed
			srv.SetStatus(status)
			h.clock = h.clock.Add(10 * time.Minute)
			svc.poller.pollFeed(ctx, flaky, pollNow, nil) // failing still, or recovered

			cfg := *h.cfg
			cfg.Feeds = kept
			if err := svc.Reload(ctx, &cfg); err != nil {
				t.Fatal(err)
			}
			svc.poller.planNew(ctx, svc.live.catalog(), replanAfter{prev: before, reloaded: true}, q, map[string]bool{}, map[string]replanAfter{})
			if got := svc.poller.reasons.kept(); len(got) > 0 {
				t.Errorf("after a reload without it: failure stretches kept for %q, want none", got)
			}
		})
	}
}

// kept are the feeds whose stretches r keeps.
func (r *failReasons) kept() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(maps.Keys(r.by))
}

// TestAFeedWhoseURLChangedFailsAsANewFeed: a feed whose url the config
// changes starts afresh (startedState), so its first failure is a feed's
// first, "feed failed", not a relapse of the stretch the old url was in,
// failing or just recovered: nothing at the new url recovered.
func TestAFeedWhoseURLChangedFailsAsANewFeed(t *testing.T) {
	for _, oldEnds := range []int{http.StatusServiceUnavailable, http.StatusOK} {
		t.Run("old url "+http.StatusText(oldEnds), func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			oldSrv := newFlakyFeed(t, http.StatusServiceUnavailable)
			newSrv := newFlakyFeed(t, http.StatusServiceUnavailable)
			h.cfg.Defaults.AllowPrivateNetworks = true
			h.cfg.Feeds = []config.Feed{{Name: "flaky", URL: oldSrv.URL + "/rss", Interval: 5 * time.Minute}}
			logs := &logBuffer{}
			svc, st := h.openLogging(logs)
			defer st.Close()
			ctx := context.Background()
			poll := func() {
				f, _ := svc.live.catalog().Feed("flaky")
				svc.poller.pollFeed(ctx, f, pollNow, nil)
				h.clock = h.clock.Add(10 * time.Minute)
			}
			poll()
			oldSrv.SetStatus(oldEnds)
			poll()
			cfg := *h.cfg
			cfg.Feeds = []config.Feed{{Name: "flaky", URL: newSrv.URL + "/rss", Interval: 5 * time.Minute}}
			if err := svc.Reload(ctx, &cfg); err != nil {
				t.Fatal(err)
			}
			poll()
			if got, last := flakyLines(logs); got[len(got)-1] != "feed failed" || !strings.Contains(last, newSrv.URL) {
				t.Errorf("the new url's first failure: got the lines %q, the last:\n%s\nwant it \"feed failed\" at %s", got, last, newSrv.URL)
			}
		})
	}
}
