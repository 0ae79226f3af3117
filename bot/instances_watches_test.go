package bot

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/discord"
	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/internal/fakediscord"
	"github.com/newshound/newshound/internal/feedtest"
	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
)

// TestInstancesTakeInAnothersWatchChange: two instances on one PostgreSQL
// schema; one answers a /watch command (add, edit, pause, remove), the
// other runs. The running one took in the change only at a reload or a
// restart: it went on polling and posting to a removed or paused watch's
// channel, with an edited watch's old query, and never polled a watch
// added elsewhere (when it holds the feed's lease, or the gateway, that
// watch is dead). It now takes it in within watchesCheck, and a watch
// added on the other instance posts from it.
func TestInstancesTakeInAnothersWatchChange(t *testing.T) {
	t.Parallel() // seconds of real waits for a running instance, on a schema of its own
	ctx := context.Background()
	tests := []struct {
		name string
		// existing: a watch of "aleppo" made before the running instance
		// starts; change is made on the other instance.
		existing bool
		change   func(w discord.Watches, feedURL string, id int64) error
		// wantQuery is the watch's query in the running instance's
		// catalog; "" means the watch is not in it (removed or paused).
		wantQuery string
	}{
		{
			name: "add",
			change: func(w discord.Watches, feedURL string, _ int64) error {
				_, err := w.Add(ctx, discord.AddRequest{GuildID: watchGuild, ChannelID: watchChannel, FeedURL: feedURL, Query: "aleppo"})
				return err
			},
			wantQuery: "aleppo",
		},
		{
			name: "edit", existing: true,
			change: func(w discord.Watches, _ string, id int64) error {
				_, err := w.Edit(ctx, discord.EditRequest{GuildID: watchGuild, ID: id, Query: ptrTo("kerry")})
				return err
			},
			wantQuery: "kerry",
		},
		{
			name: "pause", existing: true,
			change: func(w discord.Watches, _ string, id int64) error { return w.SetPaused(ctx, watchGuild, id, true) },
		},
		{
			name: "remove", existing: true,
			change: func(w discord.Watches, _ string, id int64) error { return w.Remove(ctx, watchGuild, id) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wi := newWatchInstances(t)
			dsn, dc, clk, feed := wi.dsn, wi.dc, wi.clk, wi.feed
			feedURL := feed.URL + "/rss"
			open := func() *Service { return wi.open(t, openShared(t, dsn)) }
			commands := open() // answers the /watch command; not running
			var id int64
			if tt.existing {
				info, err := commands.Watches().Add(ctx, discord.AddRequest{GuildID: watchGuild, ChannelID: watchChannel, FeedURL: feedURL, Query: "aleppo"})
				mustDo(t, err)
				id = info.ID
			}
			running := open()
			// Asked each poll loop's turn rather than every watchesCheck
			// (5 s), which each case otherwise waited out.
			running.live.checkEvery = 0
			runCtx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { defer close(done); running.Run(runCtx) }()
			t.Cleanup(func() { cancel(); <-done })

			mustDo(t, tt.change(commands.Watches(), feedURL, id))
			if id == 0 {
				id = 1
			}
			sub := store.WatchSubscription(id)
			query := func() string {
				if s, ok := running.live.catalog().Subscription(sub); ok {
					return s.Query
				}
				return ""
			}
			// A loaded CI machine (two cores, -race) may take seconds; the
			// wait ends as soon as the change is in.
			for deadline := time.Now().Add(30 * time.Second); query() != tt.wantQuery && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			if got := query(); got != tt.wantQuery {
				t.Fatalf("the running instance's catalog: watch %d's query %q, want %q (\"\": not in it)", id, got, tt.wantQuery)
			}
			if tt.name != "add" {
				return
			}
			// The watch added elsewhere posts from the running instance.
			feed.Publish(item(2, "Aleppo ceasefire holds overnight", clk.now()))
			clk.advance(11 * time.Minute)
			dc.WaitFor(30*time.Second, func() bool { return len(dc.Messages(watchChannel)) > 0 })
			if got, want := embedTitles(dc, watchChannel), []string{"**Aleppo** ceasefire holds overnight"}; !slices.Equal(got, want) {
				t.Errorf("alerts: got %q, want %q", got, want)
			}
		})
	}
}

// watchInstances is what tests of instances answering /watch commands on
// one PostgreSQL schema share: the fake Discord, the clock, and a feed
// with one item an hour old.
type watchInstances struct {
	dsn  string
	dc   *fakediscord.Server
	clk  *clock
	feed *feedtest.Server
}

func newWatchInstances(t *testing.T) *watchInstances {
	t.Helper()
	wi := &watchInstances{dsn: pgtest.Schema(t), dc: fakediscord.New(t), clk: &clock{}}
	wi.clk.set(time.Now().UTC())
	wi.feed = feedtest.NewServer(t, "Loopback wire", item(1, "Markets rally", wi.clk.now().Add(-time.Hour)))
	return wi
}

// open makes one more instance on st, a store of wi.dsn.
func (wi *watchInstances) open(t *testing.T, st store.Store) *Service {
	t.Helper()
	return discordServiceOn(t, wi.dc, wi.clk, feeds.NewFetcher(feeds.FetcherOptions{AllowPrivate: true}), st)
}
