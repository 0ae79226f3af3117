package bot

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/discord"
)

// TestACatchUpLeavesAnotherInstancesWatchItsNews: two instances on one
// PostgreSQL schema. Instance B resumes watch 1 and polls its feed; a
// /watch command on instance A, whose catalog is not yet B's (it takes
// the change in within watchesCheck), resumes or adds another watch on
// the same feed, or resumes watch 1 again. A took the feed for one no watch polls, and its catch-up
// marked seen, without alerts, the item published since B's resume, which
// watch 1 never posted. The catch-up is for a feed no watch in the store
// polls.
func TestACatchUpLeavesAnotherInstancesWatchItsNews(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// meanwhile is instance A's command, after the item appeared;
		// first is watch 1, other A's paused watch on the feed.
		meanwhile func(w discord.Watches, feedURL string, first, other int64) error
	}{
		{"resumed", func(w discord.Watches, _ string, _, other int64) error {
			return w.SetPaused(ctx, watchGuild, other, false)
		}},
		{"watch 1 resumed again", func(w discord.Watches, _ string, first, _ int64) error {
			return w.SetPaused(ctx, watchGuild, first, false)
		}},
		{"added", func(w discord.Watches, feedURL string, _, _ int64) error {
			_, err := w.Add(ctx, discord.AddRequest{GuildID: watchGuild, ChannelID: watchOtherChannel, FeedURL: feedURL, Query: "kerry"})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wi := newWatchInstances(t)
			dc, clk, feed := wi.dc, wi.clk, wi.feed
			feedURL := feed.URL + "/rss"
			open := func() *Service { return wi.open(t, openShared(t, wi.dsn)) }
			a := open()
			first, err := a.Watches().Add(ctx, discord.AddRequest{GuildID: watchGuild, ChannelID: watchChannel, FeedURL: feedURL, Query: "aleppo"})
			mustDo(t, err)
			other, err := a.Watches().Add(ctx, discord.AddRequest{GuildID: watchGuild, ChannelID: watchOtherChannel, FeedURL: feedURL, Query: "aleppo"})
			mustDo(t, err)
			mustDo(t, a.Watches().SetPaused(ctx, watchGuild, first.ID, true))
			mustDo(t, a.Watches().SetPaused(ctx, watchGuild, other.ID, true))
			b := open()
			mustDo(t, b.Watches().SetPaused(ctx, watchGuild, first.ID, false))
			clk.advance(time.Minute)
			feed.Publish(item(2, "Aleppo ceasefire holds overnight", clk.now()))
			clk.advance(time.Minute)
			mustDo(t, tt.meanwhile(a.Watches(), feedURL, first.ID, other.ID))
			clk.advance(11 * time.Minute)
			if _, err := b.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			if got, want := embedTitles(dc, watchChannel), []string{"**Aleppo** ceasefire holds overnight"}; !slices.Equal(got, want) {
				t.Errorf("watch %d, resumed on B before the item: alerts %q, want %q", first.ID, got, want)
			}
		})
	}
}
