package bot

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
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
			var got []string
			var last string
			for line := range strings.Lines(logs.String()) {
				if strings.Contains(line, "feed=flaky") && !strings.Contains(line, "level=DEBUG") && !strings.Contains(line, "first sight") {
					_, msg, _ := strings.Cut(line, `msg="`)
					msg, _, _ = strings.Cut(msg, `"`)
					got, last = append(got, msg), line
				}
			}
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
