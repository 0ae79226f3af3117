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

// TestFeedURLPasswordStaysOutOfTheLog: a feed whose URL carries a user and
// password (https://user:pass@host/feed, the password often from ${ENV})
// is logged by its URL when it fails, recovers, moves and is disabled;
// each of those lines shows the user but never the password, nor the API
// key in its query (README: status's url hides them "as in the log").
func TestFeedURLPasswordStaysOutOfTheLog(t *testing.T) {
	const password, apiKey = "s3cret-Pw", "K3y-s3cret"
	var mode atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pass, ok := r.BasicAuth(); !ok || pass != password || r.URL.Path == "/rss" && r.URL.Query().Get("api_key") != apiKey {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch {
		case mode.Load() == "500":
			w.WriteHeader(http.StatusInternalServerError)
		case mode.Load() == "410":
			w.WriteHeader(http.StatusGone)
		case mode.Load() == "moved" && r.URL.Path == "/rss":
			http.Redirect(w, r, "/feed", http.StatusMovedPermanently)
		default:
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprint(w, feedtest.RSS("Private", testItem{GUID: "p1", Title: "Aleppo", Link: "https://private.example/1"}))
		}
	}))
	defer srv.Close()
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	h.cfg.Defaults.AllowPrivateNetworks = true
	h.cfg.Feeds = []config.Feed{{Name: "private", URL: strings.Replace(srv.URL, "://", "://alice:"+password+"@", 1) + "/rss?api_key=" + apiKey, Interval: 10 * time.Minute}}
	logs := &logBuffer{}
	tests := []struct {
		mode, wantMsg string
	}{
		{"500", "feed failed"},
		{"ok", "feed recovered"},
		{"moved", "feed moved permanently"},
		{"410", "feed disabled"},
	}
	for _, tc := range tests {
		mode.Store(tc.mode)
		svc, st := h.openLogging(logs)
		if _, err := svc.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		st.Close()
		h.clock = h.clock.Add(7 * time.Hour) // past any back-off
		if !strings.Contains(logs.String(), tc.wantMsg) {
			t.Errorf("after a poll answered %s: no %q line in the log:\n%s", tc.mode, tc.wantMsg, logs)
		}
	}
	if strings.Contains(logs.String(), password) {
		t.Errorf("the log shows the feed URL's password:\n%s", logs)
	}
	if strings.Contains(logs.String(), apiKey) {
		t.Errorf("the log shows the API key in the feed URL's query:\n%s", logs)
	}
	if !strings.Contains(logs.String(), "api_key=xxxxx") {
		t.Errorf("the log does not show the feed URL with its API key hidden (api_key=xxxxx):\n%s", logs)
	}
	if !strings.Contains(logs.String(), "alice:xxxxx@") {
		t.Errorf("the log does not show the feed URL with its password hidden (alice:xxxxx@):\n%s", logs)
	}
}
