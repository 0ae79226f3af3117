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

// TestWatchRemovedWhilePollInFlightPostsNothing: a watch is removed
// (/watch remove, here or on another instance) while a poll of its feed
// is in flight, after the poll matched its items with the catalog of
// before. The removal dropped the watch's pending alerts, but the poll
// commits its match afterwards: that alert went out to the channel of a
// watch that no longer exists. The store now refuses, in the commit, an
// alert whose watch is gone; another watch's alert in the same poll goes
// out as ever.
func TestWatchRemovedWhilePollInFlightPostsNothing(t *testing.T) {
	ctx := context.Background()
	const headline = "Aleppo convoy reaches the city"
	tests := []struct {
		name string
		// other adds a second watch on the feed, into another channel,
		// that stays.
		other bool
		// remove says whether the first watch is removed in the window.
		remove bool
		want   map[string][]string // embed titles by channel
	}{
		{name: "not removed", remove: false, want: map[string][]string{watchChannel: {headline}}},
		{name: "removed", remove: true, want: map[string][]string{watchChannel: nil}},
		{name: "removed, another watch on the feed stays", remove: true, other: true,
			want: map[string][]string{watchChannel: nil, watchOtherChannel: {headline}}},
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
			removed := false
			barrier.meanwhile = func() {
				if tt.remove {
					mustDo(t, o.w.Remove(ctx, watchGuild, o.id))
					removed = true
				}
			}
			o.feed.Publish(item(2, headline, o.clk.now()))
			o.clk.advance(time.Hour)
			if _, err := o.svc.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			if removed != tt.remove {
				t.Fatalf("the removal ran inside the poll's commit: %v, want %v", removed, tt.remove)
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
