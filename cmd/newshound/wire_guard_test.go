package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/internal/feedtest"
)

// TestFeedsFromDiscordNeverReadAPrivateAddress: README's "No harm" lets
// the config's own feeds read private addresses with
// allow_private_networks: true, but feeds added from Discord never: any
// server member could otherwise have the bot read the operator's network.
// Each fetcher the service is wired with fetches a feed served on loopback.
func TestFeedsFromDiscordNeverReadAPrivateAddress(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(feedtest.RSS("Intranet", feedtest.Item{GUID: "1", Title: "Internal memo", Link: "http://intranet.example/1"})))
	}))
	defer srv.Close()
	for _, allow := range []bool{false, true} {
		d := config.Default().Defaults
		d.AllowPrivateNetworks = allow
		fetcher, watchFetcher := newFetchers(d)
		for _, f := range []struct {
			name      string
			fetcher   *feeds.Fetcher
			wantReads bool
		}{
			{"the config's feeds", fetcher, allow},
			{"feeds added from Discord", watchFetcher, false},
		} {
			_, err := feeds.Refresh(context.Background(), f.fetcher, feeds.NewParser(), feeds.Request{URL: srv.URL + "/rss"}, time.Now())
			switch {
			case f.wantReads && err != nil:
				t.Errorf("allow_private_networks: %v: %s: %v, want the loopback feed read", allow, f.name, err)
			case !f.wantReads && (err == nil || !strings.Contains(err.Error(), "loopback")):
				t.Errorf("allow_private_networks: %v: %s read the loopback feed (err %v), want it refused as loopback", allow, f.name, err)
			}
		}
	}
}
