package bot

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/discord"
	"github.com/newshound/newshound/store"
)

// TestInstancesWatchChangedOnAnotherMidPoll: README ("Several instances")
// gives another instance about 5 seconds to take in a /watch command one
// answered; README ("No loss") that a watch changed while a poll of its
// feed is under way gets what it has at the commit. Two instances on one
// PostgreSQL schema: B, whose catalog still has the watch as it was (its
// next check of the watches' version is seconds away), polls the watch's
// feed, and A answers the command between B's match and B's commit.
// Nothing is posted under the old watch: B's commit is refused and its
// items matched again under the watches as stored.
func TestInstancesWatchChangedOnAnotherMidPoll(t *testing.T) {
	const (
		both  = "Aleppo convoy reaches the city" // matches aleppo, and aleppo OR kerry
		onlyK = "Kerry meets Lavrov in Geneva"
	)
	ctx := context.Background()
	tests := []struct {
		name   string
		change func(w discord.Watches, id int64) error
		want   []string
	}{
		{"edited to a query only the other item matches", func(w discord.Watches, id int64) error {
			_, err := w.Edit(ctx, discord.EditRequest{GuildID: watchGuild, ID: id, Query: ptrTo("kerry")})
			return err
		}, []string{onlyK}},
		{"widened", func(w discord.Watches, id int64) error {
			_, err := w.Edit(ctx, discord.EditRequest{GuildID: watchGuild, ID: id, Query: ptrTo("aleppo OR kerry")})
			return err
		}, []string{both, onlyK}},
		{"paused", func(w discord.Watches, id int64) error { return w.SetPaused(ctx, watchGuild, id, true) }, nil},
		{"removed", func(w discord.Watches, id int64) error { return w.Remove(ctx, watchGuild, id) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wi := newWatchInstances(t)
			dsn, dc, clk, feed := wi.dsn, wi.dc, wi.clk, wi.feed
			open := func(st store.Store) *Service { return wi.open(t, st) }
			a := open(openShared(t, dsn)) // answers the command
			info, err := a.Watches().Add(ctx, discord.AddRequest{GuildID: watchGuild, ChannelID: watchChannel, FeedURL: feed.URL + "/rss", Query: "aleppo"})
			mustDo(t, err)
			bst := &instanceStore{Postgres: openShared(t, dsn)}
			b := open(bst)                            // polls
			if _, err := b.RunOnce(ctx); err != nil { // first sight
				t.Fatal(err)
			}
			ran := false
			bst.arm(onCommit, func() {
				mustDo(t, tt.change(a.Watches(), info.ID))
				ran = true
			})
			feed.Publish(item(2, both, clk.now()))
			feed.Publish(item(3, onlyK, clk.now()))
			for range 2 { // the poll the command lands in, then one more: an item goes out once
				clk.advance(time.Hour)
				if rep, err := b.RunOnce(ctx); err != nil || rep.StoreFailed {
					t.Fatalf("B's pass: %+v, %v; want its commits made", rep, err)
				}
			}
			if !ran {
				t.Fatal("the command did not land between B's match and its commit")
			}
			var got []string
			for _, title := range embedTitles(dc, watchChannel) {
				got = append(got, strings.ReplaceAll(title, "**", "")) // the matched words' highlight
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("posted in the watch's channel: %q, want %q", got, tt.want)
			}
		})
	}
}
