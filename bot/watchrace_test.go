package bot

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/discord"
	"github.com/newshound/newshound/store"
)

// commitBarrier runs meanwhile once, inside the first CommitPoll that
// carries alerts, before the commit reaches the store: after the poll
// read its catalog and matched, before its alerts are enqueued. It puts
// a /watch command exactly into a poll's window, with no sleep.
type commitBarrier struct {
	store.Store
	meanwhile func()
	once      sync.Once
}

func (s *commitBarrier) CommitPoll(ctx context.Context, feedID string, p store.Poll) (int, error) {
	if len(p.Alerts) > 0 && s.meanwhile != nil {
		s.once.Do(s.meanwhile)
	}
	return s.Store.CommitPoll(ctx, feedID, p)
}

// TestWatchChangedWhilePollInFlight: a watch is removed, paused or edited
// (a /watch command, here or on another instance) while a poll of its feed
// is in flight, after the poll matched its items with the catalog of
// before. The removal dropped the watch's pending alerts, but the poll
// commits its match afterwards: that alert went out to the channel of a
// watch that no longer exists, and so did a paused watch's, and an edited
// one's matched under the query the edit replaced. The store now refuses,
// in the commit, an alert whose watch is gone, paused, or has another
// query (even one that matches the item too: the store cannot match it
// again, see store.Alert.WatchQuery); an edit of the role alone leaves
// the alert, and another watch's alert in the same poll goes out as ever.
func TestWatchChangedWhilePollInFlight(t *testing.T) {
	ctx := context.Background()
	const headline = "Aleppo convoy reaches the city"
	str := func(s string) *string { return &s }
	edit := func(req discord.EditRequest) func(t *testing.T, o *oneWatch) {
		return func(t *testing.T, o *oneWatch) {
			req.GuildID, req.ID = watchGuild, o.id
			_, err := o.w.Edit(ctx, req)
			mustDo(t, err)
		}
	}
	tests := []struct {
		name string
		// other adds a second watch on the feed, into another channel,
		// that stays.
		other bool
		// meanwhile is the command run in the poll's window.
		meanwhile func(t *testing.T, o *oneWatch)
		want      map[string][]string // embed titles by channel
	}{
		{name: "not changed", meanwhile: func(*testing.T, *oneWatch) {}, want: map[string][]string{watchChannel: {headline}}},
		{name: "removed", meanwhile: func(t *testing.T, o *oneWatch) { mustDo(t, o.w.Remove(ctx, watchGuild, o.id)) },
			want: map[string][]string{watchChannel: nil}},
		{name: "removed, another watch on the feed stays", other: true,
			meanwhile: func(t *testing.T, o *oneWatch) { mustDo(t, o.w.Remove(ctx, watchGuild, o.id)) },
			want:      map[string][]string{watchChannel: nil, watchOtherChannel: {headline}}},
		{name: "paused", meanwhile: func(t *testing.T, o *oneWatch) { mustDo(t, o.w.SetPaused(ctx, watchGuild, o.id, true)) },
			want: map[string][]string{watchChannel: nil}},
		{name: "paused, another watch on the feed stays", other: true,
			meanwhile: func(t *testing.T, o *oneWatch) { mustDo(t, o.w.SetPaused(ctx, watchGuild, o.id, true)) },
			want:      map[string][]string{watchChannel: nil, watchOtherChannel: {headline}}},
		{name: "query edited to one the item does not match", meanwhile: edit(discord.EditRequest{Query: str("kerry")}),
			want: map[string][]string{watchChannel: nil}},
		{name: "query edited to one the item matches too", meanwhile: edit(discord.EditRequest{Query: str("convoy")}),
			want: map[string][]string{watchChannel: nil}},
		{name: "role edited", meanwhile: edit(discord.EditRequest{Role: str("123456")}),
			want: map[string][]string{watchChannel: {headline}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			barrier := &commitBarrier{}
			o := newOneWatch(t, func(s store.Store) store.Store { barrier.Store = s; return barrier })
			if tt.other {
				_, err := o.w.Add(ctx, discord.AddRequest{GuildID: watchGuild, ChannelID: watchOtherChannel, FeedURL: o.feed.URL + "/rss", Query: "convoy"})
				mustDo(t, err)
			}
			if _, err := o.svc.RunOnce(ctx); err != nil { // first sight
				t.Fatal(err)
			}
			ran := false
			barrier.meanwhile = func() {
				tt.meanwhile(t, o)
				ran = true
			}
			o.feed.Publish(item(2, headline, o.clk.now()))
			o.clk.advance(time.Hour)
			if _, err := o.svc.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			if !ran {
				t.Fatal("the command did not run inside the poll's commit")
			}
			for channel, want := range tt.want {
				got := embedTitles(o.dc, channel)
				for i := range got {
					got[i] = strings.ReplaceAll(got[i], "**", "") // the matched words' highlight
				}
				if !slices.Equal(got, want) {
					t.Errorf("posted in %s: %q, want %q", channel, got, want)
				}
			}
		})
	}
}
