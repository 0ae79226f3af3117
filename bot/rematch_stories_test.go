package bot

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/discord"
	"github.com/newshound/newshound/internal/storycorpus"
	"github.com/newshound/newshound/store"
)

// TestRematchedPollLeavesNoGroupingBehind: a poll of a watch's feed whose
// commit the store refuses because the watch changed meanwhile
// (store.ErrWatchesEdited) is matched, grouped and committed again. Its
// first try had grouped its reports into the story index already, and
// that grouping stayed: a watch moved to another channel left the report
// listed as the first report of a story in the channel it left, which has
// no such row; a re-split the first try made there left the reports it
// took in its story in the index, in their old one in the store, until a
// restart. The story index now holds, for every report, the story the
// store holds (what a restart would rebuild), and a retry that lands in
// the same channel re-splits again and stores the moves.
func TestRematchedPollLeavesNoGroupingBehind(t *testing.T) {
	ctx := context.Background()
	titles := storycorpus.ResplitSequence()
	const resplit = 9 // the report of B that takes B's first report out of A's story (3 + resplitAfter, 6)
	str, edit := ptrTo[string], editWatch
	moved := edit(discord.EditRequest{ChannelID: str(watchOtherChannel)})
	tests := []struct {
		name      string
		at        int // the report whose poll the command lands in
		meanwhile func(t *testing.T, o *oneWatch)
		stories   map[string]int // the stories of the stored reports, by channel
	}{
		{name: "moved to another channel", at: 0, meanwhile: moved,
			stories: map[string]int{watchChannel: 0, watchOtherChannel: 1}},
		{name: "moved to another channel at a re-split", at: resplit, meanwhile: moved,
			stories: map[string]int{watchChannel: 1, watchOtherChannel: 1}},
		{name: "paused at a re-split", at: resplit, meanwhile: func(t *testing.T, o *oneWatch) {
			mustDo(t, o.w.SetPaused(ctx, watchGuild, o.id, true))
		}, stories: map[string]int{watchChannel: 1, watchOtherChannel: 0}},
		// Matched again into the same channel: re-split again, A's story
		// and B's.
		{name: "role edited at a re-split", at: resplit, meanwhile: edit(discord.EditRequest{Role: str("123456")}),
			stories: map[string]int{watchChannel: 2, watchOtherChannel: 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			barrier := &commitBarrier{}
			o := newOneWatch(t, func(s store.Store) store.Store { barrier.Store = s; return barrier })
			// The test is about the story index, not the edit bucket:
			// Discord's 5 edits per 5 s made each pass of joins wait it out.
			o.dc.SetEditLimit(100, time.Second)
			edit(discord.EditRequest{Query: str("olive OR drought")})(t, o)
			if _, err := o.svc.RunOnce(ctx); err != nil { // first sight
				t.Fatal(err)
			}
			ran := false
			for i := range tt.at + 1 {
				if i == tt.at {
					barrier.meanwhile = func() { tt.meanwhile(t, o); ran = true }
				}
				o.clk.advance(time.Minute)
				o.feed.Publish(testItem{GUID: fmt.Sprintf("urn:olive:%d", i), Title: titles[i],
					Link: fmt.Sprintf("https://wire.example/olive/%d", i), Published: o.clk.now()})
				o.committedPass(t)
			}
			if !ran {
				t.Fatal("the command did not run inside the poll's commit")
			}
			indexAgreesWithStore(t, o)
			rows, err := o.svc.store.StoryRows(ctx, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			for channel, want := range tt.stories {
				stories := map[string]bool{}
				for _, r := range rows {
					if r.Destination == channelDestination(channel) {
						stories[r.Story] = true
					}
				}
				if len(stories) != want {
					t.Errorf("the reports stored for %s are of %d stories, want %d", channel, len(stories), want)
				}
			}
		})
	}
}

// indexAgreesWithStore checks that the running service's story index
// lists every stored report, in both watch channels, under the story a
// story index rebuilt from the store (a restart's) lists it under, or
// nowhere when that one does not list it.
func indexAgreesWithStore(t *testing.T, o *oneWatch) {
	t.Helper()
	ctx := context.Background()
	rows, err := o.svc.store.StoryRows(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	restarted := newStoryGroups(o.svc.store, false, o.svc.poller.stories.window())
	if err := restarted.restore(ctx, o.clk.now()); err != nil {
		t.Fatal(err)
	}
	type report struct{ feedID, itemKey string }
	var reports []report
	for _, r := range rows {
		if rep := (report{r.FeedID, r.ItemKey}); !slices.Contains(reports, rep) {
			reports = append(reports, rep)
		}
	}
	if len(reports) == 0 {
		t.Fatal("no report stored")
	}
	for _, dest := range []string{channelDestination(watchChannel), channelDestination(watchOtherChannel)} {
		for _, r := range reports {
			got, gotOK := o.svc.poller.stories.storyOf(dest, r.feedID, r.itemKey)
			want, wantOK := restarted.storyOf(dest, r.feedID, r.itemKey)
			if got != want || gotOK != wantOK {
				t.Errorf("in %s, %s is in story %q (listed %v), want %q (listed %v), as the store has it", dest, r.itemKey, got, gotOK, want, wantOK)
			}
		}
	}
}
