package bot

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/feedtest"
)

// TestAFlappingFeedIsLoggedOncePerStretch: a feed that fails and recovers
// in turn (a CDN that answers 503 every other poll) is one condition, not
// two lines a poll cycle: its first failure and recovery are logged, its
// first relapse as flapping, then nothing until it has held either way
// for flapHold (recovered: "feed no longer flapping"; down: "feed failed"
// again). A feed that fails once a day is logged each time.
func TestAFlappingFeedIsLoggedOncePerStretch(t *testing.T) {
	type run struct {
		mode  string // "503" or "ok"
		polls int
	}
	flap := func(cycles int) []run {
		var rs []run
		for range cycles {
			rs = append(rs, run{"503", 1}, run{"ok", 1})
		}
		return rs
	}
	tests := []struct {
		name string
		runs []run
		want []string // the feed's lines at INFO or above, by message
		last string   // in the last of them
	}{
		{"every other poll for a day, then well", append(flap(144), run{"ok", 8}),
			[]string{"feed failed", "feed recovered", "feed flapping", "feed no longer flapping"}, "relapses=143 failures=144 flapping_since=2026-11-21T12:00:00Z"},
		{"flapping, then down for hours", append(flap(3), run{"503", 6}, run{"ok", 1}),
			[]string{"feed failed", "feed recovered", "feed flapping", "feed failed", "feed recovered"}, "after_errors="},
		{"a failure, a healthy day, a failure", []run{{"503", 1}, {"ok", 150}, {"503", 1}, {"ok", 1}},
			[]string{"feed failed", "feed recovered", "feed failed", "feed recovered"}, "after_errors=1 "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			var failing atomic.Bool
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if failing.Load() {
					http.Error(w, "upstream busy", http.StatusServiceUnavailable)
					return
				}
				w.Header().Set("Content-Type", "application/rss+xml")
				fmt.Fprint(w, feedtest.RSS("Flaky", testItem{GUID: "f1", Title: "Weather", Link: "https://flaky.example/1"}))
			}))
			defer srv.Close()
			h.cfg.Defaults.AllowPrivateNetworks = true
			h.cfg.Feeds = []config.Feed{{Name: "flaky", URL: srv.URL + "/rss", Interval: 5 * time.Minute}}
			logs := &logBuffer{}
			svc, st := h.openLogging(logs)
			defer st.Close()
			for _, r := range tt.runs {
				for range r.polls {
					failing.Store(r.mode == "503")
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
			if !strings.Contains(last, tt.last) {
				t.Errorf("the feed's last line lacks %q:\n%s", tt.last, last)
			}
		})
	}
}
