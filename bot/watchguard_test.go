package bot

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/fakediscord"
	"github.com/newshound/newshound/internal/feedtest"
	"github.com/newshound/newshound/store"
)

// TestStoredWatchIsPolledThroughTheGuard: README "No harm" says feeds
// added from Discord can never make newshound read loopback or private
// addresses, allow_private_networks: true or not. /watch add refuses such
// a URL (TestWatchAddRefusesPrivateAndFileFeeds); this pins the polls. A
// watch already stored whose feed is on loopback (its name answered a
// public address when it was added, or an earlier version took it) is
// fetched through the guarded fetcher: the loopback server gets no
// request and the feed's state names the refusal, while the config allows
// private networks.
func TestStoredWatchIsPolledThroughTheGuard(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(feedtest.RSS("Loopback wire", testItem{GUID: "l1", Title: "Aleppo truce holds", Link: "https://wire.example/1"})))
	}))
	defer srv.Close()
	clk := &clock{}
	clk.set(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "state.db"), store.WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w, err := st.AddWatch(ctx, store.Watch{GuildID: watchGuild, ChannelID: watchChannel, FeedURL: srv.URL + "/rss", Query: "aleppo"})
	if err != nil {
		t.Fatal(err)
	}
	svc := discordServiceOn(t, fakediscord.New(t), clk, nil, st) // allow_private_networks: true
	polled := 0
	for _, f := range svc.live.catalog().Feeds() {
		if f.FromDiscord {
			polled++
		}
	}
	if polled != 1 {
		t.Fatalf("the catalog has %d feeds from Discord, want the stored watch's one (watch %+v)", polled, w)
	}
	svc.poller.pollAll(ctx, svc.live.catalog().Feeds(), pollNow)
	if n := requests.Load(); n != 0 {
		t.Errorf("the loopback server got %d requests for a feed added from Discord, want none", n)
	}
	states, err := st.FeedStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	refused := false
	for _, s := range states {
		refused = refused || strings.Contains(s.LastError, "loopback")
	}
	if !refused {
		t.Errorf("no feed state names the loopback refusal: %+v", states)
	}
}
