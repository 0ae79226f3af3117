package bot

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/discord"
	"github.com/newshound/newshound/internal/fakediscord"
	"github.com/newshound/newshound/store"
	"github.com/prometheus/client_golang/prometheus"
)

// commitBarrier runs meanwhile once, inside the first CommitPoll once it
// is set, before the commit reaches the store: after the poll read its
// catalog and matched, before its alerts are enqueued. It puts a /watch
// command exactly into a poll's window, with no sleep.
type commitBarrier struct {
	store.Store
	meanwhile func()
	once      sync.Once
}

func (s *commitBarrier) CommitPoll(ctx context.Context, feedID string, p store.Poll) (int, error) {
	if s.meanwhile != nil {
		s.once.Do(s.meanwhile)
	}
	return s.Store.CommitPoll(ctx, feedID, p)
}

// TestWatchChangedWhilePollInFlight: a watch is removed, paused or edited
// (a /watch command, here or on another instance) while a poll of its feed
// is in flight, after the poll matched its items with the catalog of
// before. The removal dropped the watch's pending alerts, but the poll
// commits its match afterwards: that alert went out to the channel of a
// watch that no longer exists, and so did a paused watch's. An edited
// watch's items are matched again under the query it has at the commit
// (the poll is as if made after the edit): what the new query matches goes
// out once, an item only the new query matches too, and what it does not
// match does not; before, the alert matched under the query replaced was
// dropped and the items marked seen, so a desk that widened its watch
// during a poll missed a story. So for every change of the feed's watches
// (the poll is as if made after it): a watch added or resumed during the
// poll gets what it matches (before, the poll's items were marked seen
// unmatched for it); a watch moved to another channel posts there only
// (before, in the channel it left); of two watches of one channel that
// both matched an item, the alert goes out once, under the one still
// running (before, the pause of the first, whose alert it was, dropped
// it); a watch whose role was edited pings the new role (before, its alert
// was not matched again and pinged the old one). A change made on another
// instance (the store's watches changed, this instance's catalog not yet)
// is matched again under the catalog rebuilt from the store, not under
// the one the poll matched with, which the store would refuse again.
// Another watch's alert in the same poll goes out as ever, and a stored
// watch whose query does not compile, which does not run, changes
// nothing. README ("Run it in Discord"; "No loss") says so.
func TestWatchChangedWhilePollInFlight(t *testing.T) {
	ctx := context.Background()
	const (
		both  = "Aleppo convoy reaches the city" // matches aleppo, and aleppo OR kerry
		onlyB = "Kerry meets Lavrov in Geneva"   // matches kerry alone
	)
	str, edit := ptrTo[string], editWatch
	pause := func(t *testing.T, o *oneWatch) { mustDo(t, o.w.SetPaused(ctx, watchGuild, o.id, true)) }
	// second is the id of the second watch a case adds (secondPaused,
	// sameChannel), for its command.
	var second int64
	tests := []struct {
		name string
		// other adds a second watch on the feed, into another channel,
		// that stays.
		other bool
		// secondPaused adds a second watch on the feed ("convoy", into
		// another channel), paused; sameChannel adds it into the watch's
		// channel, not paused.
		secondPaused, sameChannel bool
		// broken stores a second watch on the feed whose query does not
		// compile (saved by an older version): it does not run, and is
		// no change of the feed's watches either.
		broken bool
		// raw compares the titles with the matched words' highlight: the
		// query the alert was matched under.
		raw bool
		// onlyB publishes only the item the watch's query does not match.
		onlyB bool
		// meanwhile is the command run in the poll's window.
		meanwhile func(t *testing.T, o *oneWatch)
		want      map[string][]string // embed titles by channel, sorted
		roles     []string            // the roles the posts ping, in any channel
	}{
		{name: "not changed", meanwhile: func(*testing.T, *oneWatch) {}, want: map[string][]string{watchChannel: {both}}},
		{name: "removed", meanwhile: func(t *testing.T, o *oneWatch) { mustDo(t, o.w.Remove(ctx, watchGuild, o.id)) },
			want: map[string][]string{watchChannel: nil}},
		{name: "removed, another watch on the feed stays", other: true,
			meanwhile: func(t *testing.T, o *oneWatch) { mustDo(t, o.w.Remove(ctx, watchGuild, o.id)) },
			want:      map[string][]string{watchChannel: nil, watchOtherChannel: {both}}},
		{name: "paused", meanwhile: pause, want: map[string][]string{watchChannel: nil}},
		// Another instance's command: the store changes, this instance's
		// catalog only at its next check of the watches' version.
		{name: "removed on another instance", meanwhile: func(t *testing.T, o *oneWatch) { mustDo(t, o.svc.store.RemoveWatch(ctx, o.id)) },
			want: map[string][]string{watchChannel: nil}},
		{name: "paused on another instance", meanwhile: func(t *testing.T, o *oneWatch) {
			mustDo(t, o.svc.store.SetWatchPaused(ctx, o.id, true, ""))
		}, want: map[string][]string{watchChannel: nil}},
		{name: "paused, another watch on the feed stays", other: true, meanwhile: pause,
			want: map[string][]string{watchChannel: nil, watchOtherChannel: {both}}},
		{name: "query widened", meanwhile: edit(discord.EditRequest{Query: str("aleppo OR kerry")}),
			want: map[string][]string{watchChannel: {both, onlyB}}},
		{name: "query widened, another watch on the feed stays", other: true,
			meanwhile: edit(discord.EditRequest{Query: str("aleppo OR kerry")}),
			want:      map[string][]string{watchChannel: {both, onlyB}, watchOtherChannel: {both}}},
		{name: "query widened, the poll has only an item it newly matches", onlyB: true,
			meanwhile: edit(discord.EditRequest{Query: str("aleppo OR kerry")}),
			want:      map[string][]string{watchChannel: {onlyB}}},
		{name: "query widened, then paused", meanwhile: func(t *testing.T, o *oneWatch) {
			edit(discord.EditRequest{Query: str("aleppo OR kerry")})(t, o)
			pause(t, o)
		}, want: map[string][]string{watchChannel: nil}},
		{name: "query edited to one neither item matches", meanwhile: edit(discord.EditRequest{Query: str("truce")}),
			want: map[string][]string{watchChannel: nil}},
		{name: "query edited to one the item matches too", meanwhile: edit(discord.EditRequest{Query: str("convoy")}),
			want: map[string][]string{watchChannel: {both}}},
		{name: "query edited to one only the other item matches", meanwhile: edit(discord.EditRequest{Query: str("kerry")}),
			want: map[string][]string{watchChannel: {onlyB}}},
		{name: "role edited", meanwhile: edit(discord.EditRequest{Role: str("123456")}),
			want: map[string][]string{watchChannel: {both}}, roles: []string{"123456"}},
		{name: "role edited on another instance", meanwhile: func(t *testing.T, o *oneWatch) {
			_, err := o.svc.store.UpdateWatch(ctx, o.id, store.WatchChange{MentionRole: str("123456")})
			mustDo(t, err)
		}, want: map[string][]string{watchChannel: {both}}, roles: []string{"123456"}},
		{name: "a watch added on the feed", meanwhile: func(t *testing.T, o *oneWatch) {
			_, err := o.w.Add(ctx, discord.AddRequest{GuildID: watchGuild, ChannelID: watchOtherChannel, FeedURL: o.feed.URL + "/rss", Query: "convoy"})
			mustDo(t, err)
		}, want: map[string][]string{watchChannel: {both}, watchOtherChannel: {both}}},
		{name: "a paused watch of the feed resumed", secondPaused: true,
			meanwhile: func(t *testing.T, o *oneWatch) { mustDo(t, o.w.SetPaused(ctx, watchGuild, second, false)) },
			want:      map[string][]string{watchChannel: {both}, watchOtherChannel: {both}}},
		{name: "moved to another channel", meanwhile: edit(discord.EditRequest{ChannelID: str(watchOtherChannel)}),
			want: map[string][]string{watchChannel: nil, watchOtherChannel: {both}}},
		{name: "two watches of one channel match, the first paused", sameChannel: true, raw: true, meanwhile: pause,
			want: map[string][]string{watchChannel: {"Aleppo **convoy** reaches the city"}}},
		{name: "a watch of the feed whose query does not compile", broken: true, meanwhile: func(*testing.T, *oneWatch) {},
			want: map[string][]string{watchChannel: {both}, watchOtherChannel: nil}},
		{name: "two watches of one channel match, the second paused", sameChannel: true, raw: true,
			meanwhile: func(t *testing.T, o *oneWatch) { mustDo(t, o.w.SetPaused(ctx, watchGuild, second, true)) },
			want:      map[string][]string{watchChannel: {"**Aleppo** convoy reaches the city"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			barrier := &commitBarrier{}
			o := newOneWatch(t, func(s store.Store) store.Store { barrier.Store = s; return barrier })
			if tt.other {
				_, err := o.w.Add(ctx, discord.AddRequest{GuildID: watchGuild, ChannelID: watchOtherChannel, FeedURL: o.feed.URL + "/rss", Query: "convoy"})
				mustDo(t, err)
			}
			if tt.secondPaused || tt.sameChannel {
				channel := watchOtherChannel
				if tt.sameChannel {
					channel = watchChannel
				}
				info, err := o.w.Add(ctx, discord.AddRequest{GuildID: watchGuild, ChannelID: channel, FeedURL: o.feed.URL + "/rss", Query: "convoy"})
				mustDo(t, err)
				second = info.ID
				if tt.secondPaused {
					mustDo(t, o.w.SetPaused(ctx, watchGuild, second, true))
				}
			}
			if tt.broken {
				if _, err := o.svc.store.AddWatch(ctx, store.Watch{GuildID: watchGuild, ChannelID: watchOtherChannel, FeedURL: o.feed.URL + "/rss", Query: "aleppo AND ("}); err != nil {
					t.Fatal(err)
				}
				mustDo(t, o.svc.live.rebuild(ctx, nil))
			}
			if _, err := o.svc.RunOnce(ctx); err != nil { // first sight
				t.Fatal(err)
			}
			ran := false
			barrier.meanwhile = func() {
				tt.meanwhile(t, o)
				ran = true
			}
			if !tt.onlyB {
				o.feed.Publish(item(2, both, o.clk.now()))
			}
			o.feed.Publish(item(3, onlyB, o.clk.now()))
			// The poll that runs the command, then one more: an item
			// goes out once.
			for range 2 {
				o.clk.advance(time.Hour)
				o.committedPass(t)
			}
			if !ran {
				t.Fatal("the command did not run inside the poll's commit")
			}
			for channel, want := range tt.want {
				got := embedTitles(o.dc, channel)
				for i := range got {
					if !tt.raw {
						got[i] = strings.ReplaceAll(got[i], "**", "") // the matched words' highlight
					}
				}
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("posted in %s: %q, want %q", channel, got, want)
				}
			}
			if got := pingedRoles(o.dc, watchChannel, watchOtherChannel); !slices.Equal(got, tt.roles) {
				t.Errorf("the posts ping roles %q, want %q", got, tt.roles)
			}
		})
	}
}

// pingedRoles are the roles the messages of channels ping, each once,
// sorted.
func pingedRoles(dc *fakediscord.Server, channels ...string) []string {
	var roles []string
	for _, channel := range channels {
		for _, m := range dc.Messages(channel) {
			if m.AllowedMentions != nil {
				roles = append(roles, m.AllowedMentions.Roles...)
			}
		}
	}
	slices.Sort(roles)
	return slices.Compact(roles)
}

// editWatch is a /watch edit of o's watch, req with its guild and id.
func editWatch(req discord.EditRequest) func(t *testing.T, o *oneWatch) {
	return func(t *testing.T, o *oneWatch) {
		req.GuildID, req.ID = watchGuild, o.id
		_, err := o.w.Edit(context.Background(), req)
		mustDo(t, err)
	}
}

// committedPass runs one RunOnce pass of o's service, whose commits
// must all be made, and returns its report.
func (o *oneWatch) committedPass(t *testing.T) OnceReport {
	t.Helper()
	rep, err := o.svc.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.StoreFailed {
		t.Error("a pass's commit failed")
	}
	return rep
}

// editingStore runs a /watch edit inside each of the first edits
// CommitPolls once armed, before the commit reaches the store: every try
// of a poll's commit finds its watch edited.
type editingStore struct {
	store.Store
	edit  func(n int) // the nth edit, from 0
	edits int
	n     int
}

func (s *editingStore) CommitPoll(ctx context.Context, feedID string, p store.Poll) (int, error) {
	if s.edit != nil && s.n < s.edits {
		s.edit(s.n)
		s.n++
	}
	return s.Store.CommitPoll(ctx, feedID, p)
}

// TestWatchEditedAtEveryTryOfACommit: a poll whose watch is edited again
// before each commit it tries is matched again each time, up to
// rematches times, and posts what the last query matches, once; edited
// once more, it records nothing, reported as a failed commit, and its
// items go out, once, at the next poll.
func TestWatchEditedAtEveryTryOfACommit(t *testing.T) {
	ctx := context.Background()
	const (
		both  = "Aleppo convoy reaches the city"
		onlyB = "Kerry meets Lavrov in Geneva"
	)
	tests := []struct {
		name  string
		edits int
		// want are the titles posted after the first pass, then after
		// the second.
		want [2][]string
		// failed: the first pass's commit failed, as a store failure.
		failed bool
	}{
		{name: "edited before every try", edits: rematches, want: [2][]string{{both, onlyB}, {both, onlyB}}},
		{name: "edited once more", edits: rematches + 1, want: [2][]string{nil, {both, onlyB}}, failed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			editing := &editingStore{edits: tt.edits}
			o := newOneWatch(t, func(s store.Store) store.Store { editing.Store = s; return editing })
			if _, err := o.svc.RunOnce(ctx); err != nil { // first sight
				t.Fatal(err)
			}
			editing.edit = func(n int) {
				// Both match both items; the last is "aleppo OR kerry".
				query := "aleppo OR kerry"
				if (tt.edits-1-n)%2 == 1 {
					query = "kerry OR aleppo"
				}
				_, err := o.w.Edit(ctx, discord.EditRequest{GuildID: watchGuild, ID: o.id, Query: &query})
				mustDo(t, err)
			}
			o.feed.Publish(item(2, both, o.clk.now()))
			o.feed.Publish(item(3, onlyB, o.clk.now()))
			for pass, want := range tt.want {
				o.clk.advance(time.Hour)
				rep, err := o.svc.RunOnce(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if pass == 0 && rep.StoreFailed != tt.failed {
					t.Errorf("the first pass's StoreFailed: %v, want %v", rep.StoreFailed, tt.failed)
				}
				got := embedTitles(o.dc, watchChannel)
				for i := range got {
					got[i] = strings.ReplaceAll(got[i], "**", "")
				}
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("posted after pass %d: %q, want %q", pass+1, got, want)
				}
			}
			if editing.n != tt.edits {
				t.Errorf("%d edits made in the commits, want %d", editing.n, tt.edits)
			}
		})
	}
}

// TestWatchGoneDuringAPollIsNeitherLoggedNorCounted: README ("No loss")
// says a watch removed or paused while a poll of its feed is under way
// gets nothing of it, "neither logged nor counted": the poll is matched
// again without it, as if it came after the change, so no alert of the
// watch is enqueued and then dropped. Nothing is posted in the watch's
// channel, no line says alerts were dropped, and neither
// newshound_alerts_dropped_total nor newshound_send_errors_total moves,
// while the feed's other watch gets its alert.
func TestWatchGoneDuringAPollIsNeitherLoggedNorCounted(t *testing.T) {
	ctx := context.Background()
	const both = "Aleppo convoy reaches the city" // matches both watches
	tests := []struct {
		name      string
		meanwhile func(t *testing.T, o *oneWatch)
	}{
		{"removed", func(t *testing.T, o *oneWatch) { mustDo(t, o.w.Remove(ctx, watchGuild, o.id)) }},
		{"removed on another instance", func(t *testing.T, o *oneWatch) { mustDo(t, o.svc.store.RemoveWatch(ctx, o.id)) }},
		{"paused", func(t *testing.T, o *oneWatch) { mustDo(t, o.w.SetPaused(ctx, watchGuild, o.id, true)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			barrier := &commitBarrier{}
			o := newOneWatch(t, func(s store.Store) store.Store { barrier.Store = s; return barrier })
			_, err := o.w.Add(ctx, discord.AddRequest{GuildID: watchGuild, ChannelID: watchOtherChannel, FeedURL: o.feed.URL + "/rss", Query: "convoy"})
			mustDo(t, err)
			if _, err := o.svc.RunOnce(ctx); err != nil { // first sight
				t.Fatal(err)
			}
			ran := false
			barrier.meanwhile = func() { tt.meanwhile(t, o); ran = true }
			o.feed.Publish(item(2, both, o.clk.now()))
			var rep OnceReport
			for range 2 { // the poll the change lands in, then one more
				o.clk.advance(time.Hour)
				rep = o.committedPass(t)
			}
			if !ran {
				t.Fatal("the change did not land inside the poll's commit")
			}
			if got := embedTitles(o.dc, watchChannel); len(got) != 0 {
				t.Errorf("posted for the watch gone: %q, want nothing", got)
			}
			if got := embedTitles(o.dc, watchOtherChannel); len(got) != 1 {
				t.Errorf("posted for the watch that stays: %q, want %q once", got, both)
			}
			if rep.Dropped != 0 { // run --once's summary, and this process's drops
				t.Errorf("alerts counted as dropped: %d, want 0", rep.Dropped)
			}
			// The series of a channel no watch names stay retireAfter
			// after the change (metrics.retire), so a drop counted for
			// the removed watch's channel would show here, as would one
			// for the paused watch's channel.
			for name, got := range counterTotals(t, o.svc.sender.metrics.dropped, o.svc.sender.metrics.sendErrors) {
				if got != 0 {
					t.Errorf("%s: %v, want 0", name, got)
				}
			}
			for line := range strings.Lines(o.logs.String()) {
				if strings.Contains(line, "dropped") || strings.Contains(line, "level=ERROR") {
					t.Errorf("logged: %s", line)
				}
			}
		})
	}
}

// counterTotals sums each counter vector's series, by metric name, as a
// scrape would read them.
func counterTotals(t *testing.T, vecs ...*prometheus.CounterVec) map[string]float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	for _, v := range vecs {
		reg.MustRegister(v)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	totals := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			totals[f.GetName()] += m.GetCounter().GetValue()
		}
	}
	return totals
}
