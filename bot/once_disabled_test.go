package bot

import (
	"net/http"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
)

// TestRunOnceRetriesADisabledFeedOnceItsBackOffIsOver: the service tries
// a disabled feed once more when it starts or reloads its config; a cron
// job's run --once never tried it again, however long after, so a feed
// whose site came back stayed disabled for good unless someone ran the
// service. Each run --once tries it once the longest back-off of a
// failing feed (6 h) has passed since it was last polled, and no sooner.
func TestRunOnceRetriesADisabledFeedOnceItsBackOffIsOver(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	srv := newFlakyFeed(t, http.StatusGone)
	h.cfg.Defaults.AllowPrivateNetworks = true
	h.cfg.Feeds = []config.Feed{{Name: "wire", URL: srv.URL}}
	steps := []struct {
		name                     string
		after                    time.Duration // since the run before
		status                   int
		wantPolled, wantDisabled bool
	}{
		{"gone: disabled", 0, http.StatusGone, true, true},
		{"an hour later, back: within the back-off", time.Hour, http.StatusOK, false, true},
		{"6 h after its last poll, gone again: tried, disabled again", 5 * time.Hour, http.StatusGone, true, true},
		{"5 h later, back: within the back-off", 5 * time.Hour, http.StatusOK, false, true},
		{"6 h after its last poll, back: tried, recovered", time.Hour, http.StatusOK, true, false},
	}
	for _, s := range steps {
		h.clock = h.clock.Add(s.after)
		srv.SetStatus(s.status)
		h.runOnce()
		st := h.sqlite(t)
		got := feedState(t, st, "wire")
		st.Close()
		if polled := got.LastPolled.Equal(h.clock); polled != s.wantPolled || got.Disabled != s.wantDisabled {
			t.Errorf("%s: polled %v, disabled %v (%q); want %v, %v", s.name, polled, got.Disabled, got.DisabledReason, s.wantPolled, s.wantDisabled)
		}
	}
}
