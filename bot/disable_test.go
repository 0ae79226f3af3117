package bot

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/feedtest"
)

// TestFeedFailingFor3DaysIsDisabled: a feed that fails without a break
// for 3 days, over restarts, is disabled, whatever the failure (a server
// error, a page that is no feed); one that got through in between is not,
// its 3 days counted from the failure after that.
func TestFeedFailingFor3DaysIsDisabled(t *testing.T) {
	tests := []struct {
		name         string
		answer       func(w http.ResponseWriter) // a failure
		okFrom       time.Duration               // the feed works for 12 h from this long after the first failure; 0: never
		wantDisabled bool
	}{
		{"HTTP 500 throughout", func(w http.ResponseWriter) { http.Error(w, "down", http.StatusInternalServerError) }, 0, true},
		{"an HTML page throughout", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html><body>We are moving our site</body></html>"))
		}, 0, true},
		{"HTTP 500 with a success on day 2", func(w http.ResponseWriter) { http.Error(w, "down", http.StatusInternalServerError) }, 36 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			var failing atomic.Bool
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if failing.Load() {
					tt.answer(w)
					return
				}
				w.Header().Set("Content-Type", "application/rss+xml")
				w.Write([]byte(feedtest.RSS("Flaky", item(1, "Weather stays mild", h.clock))))
			}))
			defer srv.Close()
			h.cfg.Defaults.AllowPrivateNetworks = true
			h.cfg.Feeds = []config.Feed{{Name: "flaky", URL: srv.URL, Interval: 10 * time.Minute}}
			h.runOnce() // seen once, healthy
			failing.Store(true)
			start := h.clock
			for h.clock.Sub(start) <= 73*time.Hour {
				h.clock = h.clock.Add(time.Hour)
				since := h.clock.Sub(start)
				failing.Store(tt.okFrom == 0 || since < tt.okFrom || since >= tt.okFrom+12*time.Hour)
				h.runOnce()
			}
			_, st := h.open()
			defer st.Close()
			fs := feedState(t, st, "flaky")
			if fs.Disabled != tt.wantDisabled {
				t.Errorf("after 73 h: disabled %v (%q), want %v", fs.Disabled, fs.DisabledReason, tt.wantDisabled)
			}
			if tt.wantDisabled && !strings.Contains(fs.DisabledReason, "failing since") {
				t.Errorf("reason %q, want it to say since when the feed fails", fs.DisabledReason)
			}
		})
	}
}
