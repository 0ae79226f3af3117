package alert

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/newshound/newshound/alert/story"
	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/internal/storycorpus"
)

// report is one outlet's item as a poll finds it.
type report struct {
	feed, title, lead string
	after             time.Duration // since the first poll
}

const wireLead = `Engineers reopened the Kessler Dam spillway on Tuesday after three days of
record rainfall pushed the reservoir above its emergency line, forcing the evacuation of
about 4,000 residents from the valley towns of Marbeck and Ostry, the regional water
authority said. Officials said the structure was sound but that releases would continue
through Thursday.`

// groupReports runs reports through the alerting core as polls of their
// feeds (one poll per report, in order) and says what each became:
// "new: TITLE" for a message of its own, "also TITLE: FIRST TITLE" for a
// further report listed under its story's first message, "new under FIRST
// TITLE: TITLE" for a further report posted as a message of its own
// (ReportsAsMessages).
func groupReports(t *testing.T, subs []Subscription, reports []report) []string {
	t.Helper()
	var feedList []Feed
	for _, r := range reports {
		if !slices.ContainsFunc(feedList, func(f Feed) bool { return f.ID == r.feed }) {
			feedList = append(feedList, Feed{ID: r.feed, Name: r.feed})
		}
	}
	cat, skipped := NewCatalog(nil, feedList, subs)
	if len(skipped) > 0 {
		t.Fatalf("skipped: %v", skipped)
	}
	stories := NewStories(48 * time.Hour)
	titles := map[string]string{} // story → its first report's title
	var got []string
	for i, r := range reports {
		at := now.Add(r.after)
		item := feeds.Item{
			Key: fmt.Sprintf("k%d", i), Title: r.title, Summary: r.lead, Link: fmt.Sprintf("https://%s.example/%d", r.feed, i),
			Published: at, Dated: true,
		}
		res := cat.Alerts(Input{FeedID: r.feed, Items: []feeds.Item{item}, Now: at})
		stories.Group(res.Entries, at)
		for _, e := range res.Entries {
			if e.Alert.Story != e.Story {
				t.Errorf("%s: the alert names story %q, the entry %q", e.Alert.Title, e.Alert.Story, e.Story)
			}
			switch {
			case e.Joins:
				got = append(got, "also "+e.Alert.Title+": "+titles[e.Story])
			case titles[e.Story] != "":
				got = append(got, "new under "+titles[e.Story]+": "+e.Alert.Title)
			default:
				if e.Story != "" {
					titles[e.Story] = e.Alert.Title
				}
				got = append(got, "new: "+e.Alert.Title)
			}
		}
	}
	return got
}

func TestStoriesGroupReportsOfOneStory(t *testing.T) {
	grouping := []Subscription{{ID: "s", Name: "s", Query: anyTestStory, AllFileFeeds: true, Destination: "desk", StoryWindow: 48 * time.Hour}}
	tests := []struct {
		name    string
		subs    []Subscription
		reports []report
		want    []string
	}{
		{
			name: "one wire text under five outlets' headlines: one message, four also",
			subs: grouping,
			reports: []report{
				{"courier", "Kessler Dam spillway reopened as valley towns evacuate", wireLead, 0},
				{"herald", "Thousands flee Marbeck and Ostry as Kessler reservoir rises - Herald", wireLead, 10 * time.Minute},
				{"post", "Dam authority: Kessler structure sound, releases to continue | The Post", wireLead, 20 * time.Minute},
				{"wire", "UPDATE 1-Kessler Dam spillway reopened after record rain", wireLead, 30 * time.Minute},
				{"gazette", "Record rain forces evacuations below Kessler Dam (AP)", wireLead, 40 * time.Minute},
			},
			want: []string{
				"new: Kessler Dam spillway reopened as valley towns evacuate",
				"also Thousands flee Marbeck and Ostry as Kessler reservoir rises - Herald: Kessler Dam spillway reopened as valley towns evacuate",
				"also Dam authority: Kessler structure sound, releases to continue | The Post: Kessler Dam spillway reopened as valley towns evacuate",
				"also UPDATE 1-Kessler Dam spillway reopened after record rain: Kessler Dam spillway reopened as valley towns evacuate",
				"also Record rain forces evacuations below Kessler Dam (AP): Kessler Dam spillway reopened as valley towns evacuate",
			},
		},
		{
			name: "U.S. and US are one word",
			subs: grouping,
			reports: []report{
				{"courier", "U.S. frigate Halvorsen docks in Tallinn for Baltic drills", "", 0},
				{"herald", "US frigate Halvorsen docks in Tallinn for Baltic drills", "", time.Hour},
			},
			want: []string{
				"new: U.S. frigate Halvorsen docks in Tallinn for Baltic drills",
				"also US frigate Halvorsen docks in Tallinn for Baltic drills: U.S. frigate Halvorsen docks in Tallinn for Baltic drills",
			},
		},
		{
			name: "dated live-blog titles of two days: two stories",
			subs: grouping,
			reports: []report{
				{"courier", "Markets: as it happened - March 10, 2026", "", 0},
				{"courier", "Markets: as it happened - March 11, 2026", "", 24 * time.Hour},
			},
			want: []string{"new: Markets: as it happened - March 10, 2026", "new: Markets: as it happened - March 11, 2026"},
		},
		{
			name: "generic titles never group",
			subs: grouping,
			reports: []report{
				{"courier", "Live updates", "", 0},
				{"herald", "Live updates", "", time.Minute},
				{"post", "Latest news", "", 2 * time.Minute},
			},
			want: []string{"new: Live updates", "new: Live updates", "new: Latest news"},
		},
		{
			name: "two stories sharing a place and a day: two messages",
			subs: grouping,
			reports: []report{
				{"courier", "Airstrike hits Aleppo children's hospital, medics say", "", 0},
				{"herald", "Aleppo ceasefire talks resume in Geneva with UN envoy", "", time.Hour},
			},
			want: []string{"new: Airstrike hits Aleppo children's hospital, medics say", "new: Aleppo ceasefire talks resume in Geneva with UN envoy"},
		},
		{
			name: "a story older than the subscription's window opens a new message",
			subs: []Subscription{{ID: "s", Name: "s", Query: anyTestStory, AllFileFeeds: true, Destination: "desk", StoryWindow: 2 * time.Hour}},
			reports: []report{
				{"courier", "Kessler Dam spillway reopened as valley towns evacuate", wireLead, 0},
				{"herald", "Kessler Dam spillway reopened, valley towns evacuate", wireLead, time.Hour},
				{"post", "Kessler Dam spillway reopened as valley towns evacuate", wireLead, 3 * time.Hour},
			},
			want: []string{
				"new: Kessler Dam spillway reopened as valley towns evacuate",
				"also Kessler Dam spillway reopened, valley towns evacuate: Kessler Dam spillway reopened as valley towns evacuate",
				"new: Kessler Dam spillway reopened as valley towns evacuate",
			},
		},
		{
			name: "story_window 0: every report is a message (only identical wire headlines are refused, as before)",
			subs: []Subscription{{ID: "s", Name: "s", Query: anyTestStory, AllFileFeeds: true, Destination: "desk"}},
			reports: []report{
				{"courier", "Kessler Dam spillway reopened as valley towns evacuate", wireLead, 0},
				{"herald", "Thousands flee Marbeck and Ostry as Kessler reservoir rises", wireLead, 10 * time.Minute},
			},
			want: []string{"new: Kessler Dam spillway reopened as valley towns evacuate", "new: Thousands flee Marbeck and Ostry as Kessler reservoir rises"},
		},
		{
			name: "a destination that cannot edit: each report a message, named with its story",
			subs: []Subscription{{ID: "s", Name: "s", Query: anyTestStory, AllFileFeeds: true, Destination: "desk", StoryWindow: 48 * time.Hour, ReportsAsMessages: true}},
			reports: []report{
				{"courier", "Kessler Dam spillway reopened as valley towns evacuate", wireLead, 0},
				{"herald", "Thousands flee Marbeck and Ostry as Kessler reservoir rises - Herald", wireLead, 10 * time.Minute},
				{"post", "Aleppo hospital hit as talks stall in Geneva", "", 20 * time.Minute},
				{"wire", "UPDATE 1-Kessler Dam spillway reopened after record rain", wireLead, 30 * time.Minute},
			},
			want: []string{
				"new: Kessler Dam spillway reopened as valley towns evacuate",
				"new under Kessler Dam spillway reopened as valley towns evacuate: Thousands flee Marbeck and Ostry as Kessler reservoir rises - Herald",
				"new: Aleppo hospital hit as talks stall in Geneva",
				"new under Kessler Dam spillway reopened as valley towns evacuate: UPDATE 1-Kessler Dam spillway reopened after record rain",
			},
		},
		{
			name: "a digest subscription's reports come in ungrouped (GroupDigest groups them as the digest goes out)",
			subs: []Subscription{{ID: "s", Name: "s", Query: anyTestStory, AllFileFeeds: true, Destination: "desk", StoryWindow: 48 * time.Hour,
				Delivery: Delivery{Digest: &DigestSchedule{At: []TimeOfDay{{Hour: 8}}}, Location: time.UTC}}},
			reports: []report{
				{"courier", "Kessler Dam spillway reopened as valley towns evacuate", wireLead, 0},
				{"herald", "Thousands flee Marbeck and Ostry as Kessler reservoir rises", wireLead, 10 * time.Minute},
			},
			want: []string{"new: Kessler Dam spillway reopened as valley towns evacuate", "new: Thousands flee Marbeck and Ostry as Kessler reservoir rises"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := groupReports(t, tt.subs, tt.reports)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got:\n  %s\nwant:\n  %s", join(got), join(tt.want))
			}
		})
	}
}

func join(lines []string) string {
	out := ""
	for i, l := range lines {
		if i > 0 {
			out += "\n  "
		}
		out += l
	}
	return out
}

// TestBackfillKeepsReportsOfOtherYearsApart checks that a first sight
// with a backfill and no age limit, which brings in a feed's reports of
// several years at once, does not list one year's report under another
// year's story of the same words: reports published further apart than
// the story window and two days are two stories.
func TestBackfillKeepsReportsOfOtherYearsApart(t *testing.T) {
	subs := []Subscription{{ID: "s", Name: "s", Query: "hostages", AllFileFeeds: true, Destination: "desk", StoryWindow: 48 * time.Hour, Backfill: 10}}
	cat, skipped := NewCatalog(nil, []Feed{{ID: "wire", Name: "wire"}}, subs)
	if len(skipped) > 0 {
		t.Fatalf("skipped: %v", skipped)
	}
	item := func(key, title string, published time.Time) feeds.Item {
		return feeds.Item{Key: key, Title: title, Link: "https://wire.example/" + key, Published: published, Dated: true}
	}
	jan := time.Date(2025, 1, 20, 9, 0, 0, 0, time.UTC)
	items := []feeds.Item{
		item("a", "Who are the hostages released by Hamas in Gaza?", jan),
		item("b", "Who are the hostages released by Hamas in Gaza this week?", jan.AddDate(1, 0, 0)),
		item("c", "Families greet the hostages released by Hamas in Gaza", jan.AddDate(1, 0, 0).Add(3*time.Hour)),
	}
	stories := NewStories(48 * time.Hour)
	res := cat.Alerts(Input{FeedID: "wire", Items: items, FirstSight: true, Now: jan.AddDate(1, 0, 1)})
	stories.Group(res.Entries, jan.AddDate(1, 0, 1))
	var got []string
	for _, e := range res.Entries {
		got = append(got, fmt.Sprintf("%s joins=%v", e.ItemKey, e.Joins))
	}
	want := []string{"a joins=false", "b joins=false", "c joins=true"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestReportsApartByTheirOwnStoryWindow checks README's "reports
// published further apart than story_window, and more than two days
// apart, are never one story" for the story_window of the report's own
// subscription, when another subscription of the destination has a
// longer one (the destination's index keeps reports for the longest).
func TestReportsApartByTheirOwnStoryWindow(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		name   string
		window time.Duration // the reports' subscription's story_window
		gap    time.Duration // between the two reports' publication
		want   bool          // the second joins the first's story
	}{
		{"two days' window, five days apart", 2 * day, 5 * day, false},
		{"two days' window, a day apart", 2 * day, day, true},
		{"a week's window, five days apart", 7 * day, 5 * day, true},
		{"a week's window, eight days apart", 7 * day, 8 * day, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subs := []Subscription{
				{ID: "s", Name: "s", Query: "hostages", AllFileFeeds: true, Destination: "desk", StoryWindow: tt.window, Backfill: 10},
				{ID: "long", Name: "long", Query: "glaciers", AllFileFeeds: true, Destination: "desk", StoryWindow: 10 * day},
			}
			cat, skipped := NewCatalog(nil, []Feed{{ID: "wire", Name: "wire"}}, subs)
			if len(skipped) > 0 {
				t.Fatalf("skipped: %v", skipped)
			}
			first := time.Date(2025, 1, 20, 9, 0, 0, 0, time.UTC)
			now := first.Add(tt.gap + time.Hour)
			items := []feeds.Item{
				{Key: "a", Title: "Who are the hostages released by Hamas in Gaza?", Link: "https://wire.example/a", Published: first, Dated: true},
				{Key: "b", Title: "Who are the hostages released by Hamas in Gaza this week?", Link: "https://wire.example/b", Published: first.Add(tt.gap), Dated: true},
			}
			stories := NewStories(10 * day) // the longest story_window
			res := cat.Alerts(Input{FeedID: "wire", Items: items, FirstSight: true, Now: now})
			stories.Group(res.Entries, now)
			if len(res.Entries) != 2 {
				t.Fatalf("got %d entries, want 2", len(res.Entries))
			}
			if got := res.Entries[1].Joins; got != tt.want {
				t.Errorf("the report published %v after the first joins its story: %v, want %v", tt.gap, got, tt.want)
			}
		})
	}
}

// TestIdenticalWireHeadlinesAreListedNotRefused: with grouping, the same
// wire headline on a second feed is another outlet's report, so its entry
// must reach the store (no title: key refuses it) and join the story.
func TestIdenticalWireHeadlinesAreListedNotRefused(t *testing.T) {
	subs := []Subscription{{ID: "s", Name: "s", Query: anyTestStory, AllFileFeeds: true, Destination: "desk", StoryWindow: 48 * time.Hour}}
	got := groupReports(t, subs, []report{
		{"courier", "Kessler Dam spillway reopened as valley towns evacuate", "", 0},
		{"herald", "Kessler Dam spillway reopened as valley towns evacuate", "", time.Minute},
	})
	want := []string{
		"new: Kessler Dam spillway reopened as valley towns evacuate",
		"also Kessler Dam spillway reopened as valley towns evacuate: Kessler Dam spillway reopened as valley towns evacuate",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	cat, _ := NewCatalog(nil, []Feed{{ID: "herald", Name: "herald"}}, subs)
	res := cat.Alerts(Input{FeedID: "herald", Items: []feeds.Item{{Key: "k", Title: "Kessler Dam spillway reopened as valley towns evacuate", Link: "https://herald.example/1"}}, Now: now})
	for _, k := range res.Entries[0].DedupeKeys {
		if len(k) > 6 && k[:6] == "title:" {
			t.Errorf("dedupe keys of a grouping subscription include %q", k)
		}
	}
}

// TestReportsAsMessagesKeepTheHeadlineKey: where each report is a message
// (a destination that cannot edit), the same wire headline on a second
// feed is still refused as a duplicate, as without grouping.
func TestReportsAsMessagesKeepTheHeadlineKey(t *testing.T) {
	subs := []Subscription{{ID: "s", Name: "s", Query: anyTestStory, AllFileFeeds: true, Destination: "desk", StoryWindow: 48 * time.Hour, ReportsAsMessages: true}}
	cat, _ := NewCatalog(nil, []Feed{{ID: "herald", Name: "herald"}}, subs)
	res := cat.Alerts(Input{FeedID: "herald", Items: []feeds.Item{{Key: "k", Title: "Kessler Dam spillway reopened as valley towns evacuate", Link: "https://herald.example/1"}}, Now: now})
	if !slices.ContainsFunc(res.Entries[0].DedupeKeys, func(k string) bool { return strings.HasPrefix(k, "title:") }) {
		t.Errorf("dedupe keys %q, want a title: key", res.Entries[0].DedupeKeys)
	}
}

// TestStoriesRestoreGroupsLikeBefore: a restart restores the index from
// the stored rows and groups a later report as the process before would.
func TestStoriesRestoreGroupsLikeBefore(t *testing.T) {
	subs := []Subscription{{ID: "s", Name: "s", Query: anyTestStory, AllFileFeeds: true, Destination: "desk", StoryWindow: 48 * time.Hour}}
	cat, _ := NewCatalog(nil, []Feed{{ID: "courier", Name: "courier"}, {ID: "herald", Name: "herald"}}, subs)
	first := NewStories(48 * time.Hour)
	res := cat.Alerts(Input{FeedID: "courier", Items: []feeds.Item{{Key: "a", Title: "Kessler Dam spillway reopened as valley towns evacuate", Summary: wireLead}}, Now: now})
	first.Group(res.Entries, now)
	e := res.Entries[0]

	restarted := NewStories(48 * time.Hour)
	restarted.Restore([]StoryRow{{Destination: e.Destination, ID: ItemID(e.FeedID, e.ItemKey), Story: e.Story, Fingerprint: e.Fingerprint, At: now}})
	later := now.Add(time.Hour)
	res = cat.Alerts(Input{FeedID: "herald", Items: []feeds.Item{{Key: "b", Title: "Thousands flee as Kessler reservoir rises", Summary: wireLead}}, Now: later})
	restarted.Group(res.Entries, later)
	if got := res.Entries[0]; !got.Joins || got.Story != e.Story || got.Alert.Join != JoinAlso {
		t.Errorf("after a restart: joins %v story %q join %q; want a further report of %q", got.Joins, got.Story, got.Alert.Join, e.Story)
	}
	if s, ok := restarted.StoryOf("desk", "herald", "b"); !ok || s != e.Story {
		t.Errorf("StoryOf(herald/b) = %q, %v; want %q", s, ok, e.Story)
	}
}

// anyTestStory matches every report of these tests.
const anyTestStory = "kessler OR frigate OR markets OR live OR latest OR aleppo OR thousands OR dam OR rain"

func TestFollowsUpdates(t *testing.T) {
	feedList := []Feed{{ID: "wire", Name: "wire"}, {ID: "blog", Name: "blog"}, {ID: "watch:1", Name: "example.org", FromDiscord: true}}
	tests := []struct {
		name string
		subs []Subscription
		want map[string]bool
	}{
		{"no subscription follows updates", []Subscription{{ID: "a", Query: "x", AllFileFeeds: true, Destination: "d"}},
			map[string]bool{"wire": false, "blog": false, "watch:1": false}},
		{"a list", []Subscription{{ID: "a", Query: "x", Feeds: []string{"blog"}, Destination: "d", Updates: true}},
			map[string]bool{"wire": false, "blog": true, "watch:1": false}},
		{"every file feed, not Discord's", []Subscription{{ID: "a", Query: "x", AllFileFeeds: true, Destination: "d", Updates: true}},
			map[string]bool{"wire": true, "blog": true, "watch:1": false}},
		{"a watch's feed listed", []Subscription{{ID: "a", Query: "x", Feeds: []string{"watch:1"}, Destination: "d", Updates: true}},
			map[string]bool{"wire": false, "blog": false, "watch:1": true, "unknown": false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat, _ := NewCatalog(nil, feedList, tt.subs)
			for feed, want := range tt.want {
				if got := cat.FollowsUpdates(feed); got != want {
					t.Errorf("FollowsUpdates(%s) = %v, want %v", feed, got, want)
				}
			}
		})
	}
}

// TestResplitSurvivesARestart: the report that re-splits a story (its first
// report joined another story weakly, and its next reports followed it)
// names in Takes the reports it takes, the same again when its commit is
// retried; the stored rows, with those moves made, restore an index in
// which the story's next report joins its own message. Restored without
// the moves, it would join the other story.
func TestResplitSurvivesARestart(t *testing.T) {
	subs := []Subscription{{ID: "s", Name: "s", Query: "olive OR drought", AllFileFeeds: true, Destination: "desk", StoryWindow: 48 * time.Hour}}
	titles := storycorpus.ResplitSequence()
	later := titles[len(titles)-1]
	titles = titles[:len(titles)-1]
	var feedList []Feed
	for i := range titles {
		feedList = append(feedList, Feed{ID: fmt.Sprintf("f%d", i), Name: fmt.Sprintf("f%d", i)})
	}
	cat, _ := NewCatalog(nil, feedList, subs)
	poll := func(s *Stories, i int, title string) Entry {
		t.Helper()
		at := now.Add(time.Duration(i) * time.Minute)
		item := feeds.Item{Key: fmt.Sprintf("k%d", i), Title: title, Link: fmt.Sprintf("https://f%d.example/", i), Published: at, Dated: true}
		res := cat.Alerts(Input{FeedID: fmt.Sprintf("f%d", i%len(feedList)), Items: []feeds.Item{item}, Now: at})
		if len(res.Entries) != 1 {
			t.Fatalf("%q: %d entries, want 1", title, len(res.Entries))
		}
		s.Group(res.Entries, at)
		return res.Entries[0]
	}

	s := NewStories(48 * time.Hour)
	var rows []StoryRow
	opener := -1
	for i, title := range titles {
		e := poll(s, i, title)
		if len(e.Takes) > 0 {
			if opener >= 0 || e.Joins {
				t.Fatalf("#%d %q takes %v (joins %v), want only the report that opens B's message", i, title, e.Takes, e.Joins)
			}
			opener = i
			if again := poll(s, i, title); !slices.Equal(again.Takes, e.Takes) || again.Story != e.Story {
				t.Errorf("retried: story %s takes %v, want %s and %v", again.Story, again.Takes, e.Story, e.Takes)
			}
		}
		rows = append(rows, StoryRow{Destination: "desk", ID: ItemID(e.FeedID, e.ItemKey), Story: e.Story,
			Fingerprint: e.Fingerprint, At: now.Add(time.Duration(i) * time.Minute)})
	}
	if opener < 0 {
		t.Fatal("no report re-split B's story")
	}
	openerStory := rows[opener].Story
	withMoves := slices.Clone(rows)
	for _, take := range poll(s, opener, titles[opener]).Takes {
		for j := range withMoves {
			if withMoves[j].ID == take.ID && withMoves[j].Story == take.From {
				withMoves[j].Story = openerStory
			}
		}
	}
	next := len(titles)
	for _, tc := range []struct {
		name string
		rows []StoryRow
		want string
	}{
		{"restored with the moves", withMoves, openerStory},
		{"restored without them", rows, rows[0].Story},
	} {
		restored := NewStories(48 * time.Hour)
		restored.Restore(tc.rows)
		if e := poll(restored, next, later); !e.Joins || e.Story != tc.want {
			t.Errorf("%s: B's next report: story %s, joins %v; want %s", tc.name, e.Story, e.Joins, tc.want)
		}
	}
}

// TestRestoreOpensAStoryAtItsFirstReport: a story restored from stored
// rows is as old as its first report (the row named like the story), not
// as its oldest row: a re-split takes older reports into a story, and
// where each report is a message no row is a join. A report 8 h after the
// rows then joins, or is named with, the story opened 4 h before it in a
// 6 h window.
func TestRestoreOpensAStoryAtItsFirstReport(t *testing.T) {
	fp := func(title string) []byte { return storedFingerprint(t, title) }
	rows := []StoryRow{
		{Destination: "desk", ID: "courier/a", Story: "herald/b", Fingerprint: fp("Kessler Dam spillway reopened as valley towns evacuate"), At: now},
		{Destination: "desk", ID: "herald/b", Story: "herald/b", Fingerprint: fp("Kessler Dam spillway reopened, valley towns evacuate"), At: now.Add(4 * time.Hour)},
	}
	for _, each := range []bool{false, true} {
		subs := []Subscription{{ID: "s", Name: "s", Query: anyTestStory, AllFileFeeds: true, Destination: "desk", StoryWindow: 6 * time.Hour, ReportsAsMessages: each}}
		cat, _ := NewCatalog(nil, []Feed{{ID: "post", Name: "post"}}, subs)
		s := NewStories(6 * time.Hour)
		s.Restore(rows)
		at := now.Add(8 * time.Hour)
		res := cat.Alerts(Input{FeedID: "post", Items: []feeds.Item{{Key: "c", Title: "Kessler Dam spillway reopened as valley towns evacuate again", Summary: wireLead, Link: "https://post.example/c", Published: at, Dated: true}}, Now: at})
		s.Group(res.Entries, at)
		if e := res.Entries[0]; e.Story != "herald/b" || e.Joins == each {
			t.Errorf("reports as messages %v: story %q, joins %v; want herald/b, joins %v", each, e.Story, e.Joins, !each)
		}
	}
}

// TestDoubtfulJoinsAreMarked: a further report that joined its story
// through the story's keywords alone is marked Doubtful (its headline is
// then shown under the story), the same on a retried step, and the mark
// survives the stored payload; reports that join through the story's
// names are not marked.
func TestDoubtfulJoinsAreMarked(t *testing.T) {
	subs := []Subscription{{ID: "s", Name: "s", Query: "bankruptcy", AllFileFeeds: true, Destination: "desk", StoryWindow: 48 * time.Hour}}
	reports := []struct {
		title    string
		doubtful bool
	}{
		{"Mt. Gox files for US bankruptcy", false},
		{"Mt. Gox bankruptcy filing in Texas court", false},
		{"Bitcoin exchange Mt. Gox seeks bankruptcy protection", false},
		{"Sbarro Files For Second Bankruptcy Protection", true},
	}
	feedList := []Feed{{ID: "a", Name: "a"}, {ID: "b", Name: "b"}}
	cat, _ := NewCatalog(nil, feedList, subs)
	s := NewStories(48 * time.Hour)
	for i, r := range reports {
		at := now.Add(time.Duration(i) * time.Minute)
		item := feeds.Item{Key: fmt.Sprintf("k%d", i), Title: r.title, Link: fmt.Sprintf("https://example.org/%d", i), Published: at, Dated: true}
		for _, attempt := range []string{"first", "retried"} {
			res := cat.Alerts(Input{FeedID: feedList[i%2].ID, Items: []feeds.Item{item}, Now: at})
			if len(res.Entries) != 1 {
				t.Fatalf("%q: %d entries, want 1", r.title, len(res.Entries))
			}
			s.Group(res.Entries, at)
			a, err := Decode(Encode(res.Entries[0].Alert))
			if err != nil {
				t.Fatal(err)
			}
			if a.Doubtful != r.doubtful || a.Doubtful && a.Join != JoinAlso {
				t.Errorf("%s %q: Join %q, Doubtful %v, want Doubtful %v", attempt, r.title, a.Join, a.Doubtful, r.doubtful)
			}
		}
	}
}

// TestLeadIsOneLine: a report's fingerprint is made of its text in one
// line, so that a text that keeps its lines groups as it did in one line
// (the fingerprints stored before compare alike).
func TestLeadIsOneLine(t *testing.T) {
	oneLine := "ANALYSIS KESSLER, March 3 (Reuters) - " + strings.Join(strings.Fields(wireLead), " ")
	lines := "ANALYSIS\nKESSLER, March 3 (Reuters) - " + strings.ReplaceAll(wireLead, ". ", ".\n")
	title := "Kessler Dam spillway reopened as valley towns evacuate"
	if !story.Make(title, leadOf(lines)).Equal(story.Make(title, leadOf(oneLine))) {
		t.Errorf("fingerprints differ for the lead in lines and in one line")
	}
	for _, n := range []int{leadBytes - 1, leadBytes, leadBytes + 1, leadBytes + 2, leadBytes + utf8.UTFMax, 4 * leadBytes} {
		long := strings.Repeat("Dam\né", n)[:n]
		if got := leadOf(long); len(got) > leadBytes || strings.Contains(got, "\n") || !utf8.ValidString(got) && utf8.ValidString(long) {
			t.Errorf("leadOf of %d bytes: %d bytes, newlines %v, valid %v", n, len(got), strings.Contains(got, "\n"), utf8.ValidString(got))
		}
	}
}

// TestGroupDigest: a digest subscription's reports are grouped when the
// digest goes out as a channel's would be as they come, within the
// subscription's story_window.
func TestGroupDigest(t *testing.T) {
	five := []report{
		{"courier", "Kessler Dam spillway reopened as valley towns evacuate", wireLead, 0},
		{"herald", "Thousands flee Marbeck and Ostry as Kessler reservoir rises - Herald", wireLead, 10 * time.Minute},
		{"post", "Dam authority: Kessler structure sound, releases to continue | The Post", wireLead, 20 * time.Minute},
		{"wire", "UPDATE 1-Kessler Dam spillway reopened after record rain", wireLead, 30 * time.Minute},
		{"gazette", "Record rain forces evacuations below Kessler Dam (AP)", wireLead, 40 * time.Minute},
	}
	tests := []struct {
		name    string
		reports []report
		window  time.Duration // the subscription's story_window (DigestStoryWindow)
		story   string        // a story the alerts already have
		want    []int         // each alert's story, by the index of its first report; -1 for none, -2 for story
	}{
		{"one wire text under five outlets' headlines", five, 48 * time.Hour, "", []int{0, 0, 0, 0, 0}},
		{"two stories sharing a place and a day", []report{
			{"courier", "Airstrike hits Aleppo children's hospital, medics say", "", 0},
			{"herald", "Aleppo ceasefire talks resume in Geneva with UN envoy", "", 0},
		}, 48 * time.Hour, "", []int{0, 1}},
		{"generic titles", []report{{"courier", "Live updates", "", 0}, {"herald", "Live updates", "", 0}}, 48 * time.Hour, "", []int{0, 1}},
		{"dated live-blog titles of two days", []report{
			{"courier", "Markets: as it happened - March 10, 2026", "", 0},
			{"courier", "Markets: as it happened - March 11, 2026", "", 0},
		}, 48 * time.Hour, "", []int{0, 1}},
		{"story_window 15m: reports of one wire text 20 minutes apart are two stories", five[:3], 15 * time.Minute, "", []int{0, 0, 2}},
		{"a subscription that does not group (story_window 0)", five, 0, "", []int{-1, -1, -1, -1, -1}},
		{"alerts grouped as they came (quiet hours, max_per_hour)", five[:2], 48 * time.Hour, "wire/1", []int{-2, -2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alerts := make([]Alert, len(tt.reports))
			enqueued := make([]time.Time, len(tt.reports))
			for i, r := range tt.reports {
				// Newest first, as a digest sorts them; IDs in outbox order.
				j := len(alerts) - 1 - i
				alerts[j] = Alert{ID: int64(100 + i), Title: r.title, Text: r.lead, Feed: r.feed, DigestStoryWindow: tt.window, Story: tt.story}
				enqueued[j] = now.Add(r.after)
			}
			GroupDigest(alerts, enqueued)
			first := map[string]int{}
			for i := range tt.reports {
				a := alerts[len(alerts)-1-i]
				got := -1
				switch {
				case a.Story == tt.story && tt.story != "":
					got = -2
				case a.Story != "":
					if _, ok := first[a.Story]; !ok {
						first[a.Story] = i
					}
					got = first[a.Story]
				}
				if got != tt.want[i] {
					t.Errorf("%q: in the story of report %d (story %q), want %d", a.Title, got, a.Story, tt.want[i])
				}
				if a.DigestStory != (got >= 0) {
					t.Errorf("%q: DigestStory %v, want %v (named by GroupDigest)", a.Title, a.DigestStory, got >= 0)
				}
			}
		})
	}
}

// TestMergeDuplicateListsAStorysReportsUnderAnother: MergeDuplicate puts
// every report of a story whose first report was refused as a duplicate
// of a report of another story under that story, which takes further
// reports while its first report is within the window, as before; into a
// story the window no longer holds, the story is renamed, and takes none.
// A join, an update, a subscription that does not group, and a first
// report published days from every report of the other story (which the
// grouping never joins to it) move nothing.
func TestMergeDuplicateListsAStorysReportsUnderAnother(t *testing.T) {
	fp := func(title string, published time.Time) []byte {
		b, err := story.Make(title, wireLead).WithPublished(published).MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	rows := func(edited time.Time) []StoryRow {
		return []StoryRow{
			{Destination: "desk", ID: "courier/a", Story: "courier/a", Fingerprint: fp("Kessler Dam spillway reopened as valley towns evacuate", now), At: now},
			{Destination: "desk", ID: "courier/a2", Story: "courier/a2", Fingerprint: fp("Kessler evacuation order lifted, officials say", edited), At: now.Add(time.Hour)},
			{Destination: "desk", ID: "herald/b", Story: "courier/a2", Fingerprint: fp("Kessler evacuation order lifted: residents may go home", edited), At: now.Add(time.Hour)},
		}
	}
	edit := Entry{Destination: "desk", FeedID: "courier", ItemKey: "a2", Story: "courier/a2", window: 48 * time.Hour}
	with := func(change func(e *Entry)) Entry {
		e := edit
		change(&e)
		return e
	}
	moved := []story.Move{{ID: "courier/a2", From: "courier/a2"}, {ID: "herald/b", From: "courier/a2"}}
	at := now.Add(2 * time.Hour)
	tests := []struct {
		name      string
		published time.Time // the edit's and herald/b's
		e         Entry
		into      string
		want      []story.Move
		storyOfB  string // herald/b's story after
		reports   int    // in that story
		takes     bool   // that story takes further reports at at
	}{
		{"into a story of the window", now, edit, "courier/a", moved, "courier/a", 3, true},
		{"into a story past the window", now, edit, "courier/old", moved, "courier/old", 2, false},
		{"published a day after", now.Add(24 * time.Hour), edit, "courier/a", moved, "courier/a", 3, true},
		{"published 20 days after", now.Add(20 * 24 * time.Hour), edit, "courier/a", nil, "courier/a2", 2, true},
		{"no story to go into", now, edit, "", nil, "courier/a2", 2, true},
		{"into itself", now, edit, "courier/a2", nil, "courier/a2", 2, true},
		{"a story the window does not hold", now, with(func(e *Entry) { e.ItemKey, e.Story = "none", "courier/none" }), "courier/a", nil, "courier/a2", 2, true},
		{"another destination's", now, with(func(e *Entry) { e.Destination = "wire" }), "courier/a", nil, "courier/a2", 2, true},
		{"a join", now, with(func(e *Entry) { e.Joins = true }), "courier/a", nil, "courier/a2", 2, true},
		{"an update", now, with(func(e *Entry) { e.Alert.Join = JoinUpdate }), "courier/a", nil, "courier/a2", 2, true},
		{"a report of another story", now, with(func(e *Entry) { e.Story = "courier/a" }), "courier/x", nil, "courier/a2", 2, true},
		{"a subscription that does not group", now, with(func(e *Entry) { e.window = 0 }), "courier/a", nil, "courier/a2", 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewStories(48 * time.Hour)
			s.Restore(rows(tt.published))
			if got := s.MergeDuplicate(tt.e, tt.into); !slices.Equal(got, tt.want) {
				t.Errorf("MergeDuplicate = %v, want %v", got, tt.want)
			}
			if got, _ := s.StoryOf("desk", "herald", "b"); got != tt.storyOfB {
				t.Errorf("herald/b is in story %q, want %q", got, tt.storyOfB)
			}
			if got := s.Reports("desk", tt.storyOfB); got != tt.reports {
				t.Errorf("story %q has %d reports, want %d", tt.storyOfB, got, tt.reports)
			}
			if _, got := s.StoryWithin("desk", "herald", "b", 48*time.Hour, at); got != tt.takes {
				t.Errorf("herald/b's story takes further reports: %v, want %v", got, tt.takes)
			}
		})
	}
}

// TestRestoreOpensAGhostStoryAtItsLeadsTime: a story whose first report
// the outbox refused as a duplicate, and that could not go under the other
// story (MergeDuplicate), has rows but none of its first report: Restore,
// opening a story only at that row, left it unopened, and its next report
// opened a story of its own (another message). Restore names such
// stories, and OpenStory opens one at its first report's time (the
// caller's store knows when it was seen): its window counts from then,
// not from its earliest row. A story with its first report's row, or
// already open, is not named.
func TestRestoreOpensAGhostStoryAtItsLeadsTime(t *testing.T) {
	fp := func(title string) []byte { return storedFingerprint(t, title) }
	const ghost = "courier/edit" // its first report, refused, has no row
	rows := []StoryRow{
		{Destination: "desk", ID: "herald/b", Story: ghost, Fingerprint: fp("Kessler Dam spillway reopened as valley towns evacuate"), At: now.Add(-time.Hour)},
		{Destination: "desk", ID: "ledger/x", Story: "ledger/x", Fingerprint: fp("Markets rally as central bank holds rates"), At: now.Add(-time.Hour)},
	}
	subs := []Subscription{{ID: "s", Name: "s", Query: anyTestStory, AllFileFeeds: true, Destination: "desk", StoryWindow: 48 * time.Hour}}
	cat, _ := NewCatalog(nil, []Feed{{ID: "post", Name: "post"}}, subs)
	tests := []struct {
		name     string
		open     bool
		lead     time.Time // when the ghost story's first report was seen
		wantJoin bool
	}{
		{name: "opened at its first report's time", open: true, lead: now.Add(-2 * time.Hour), wantJoin: true},
		{name: "its first report past the window, its row within it", open: true, lead: now.Add(-47 * time.Hour)},
		{name: "not opened", lead: now.Add(-2 * time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewStories(48 * time.Hour)
			got := s.Restore(rows)
			if want := []UnopenedStory{{Destination: "desk", Story: ghost}}; !slices.Equal(got, want) {
				t.Fatalf("Restore names %v as unopened, want %v", got, want)
			}
			if tt.open {
				s.OpenStory("desk", ghost, tt.lead)
				later := StoryRow{Destination: "desk", ID: "gazette/d", Story: ghost, Fingerprint: fp("Kessler Dam spillway reopened, valley towns evacuate"), At: now}
				if got := s.Restore([]StoryRow{later}); len(got) != 0 {
					t.Errorf("Restore of a further row of the opened story names %v as unopened, want none", got)
				}
			}
			at := now.Add(2 * time.Hour)
			res := cat.Alerts(Input{FeedID: "post", Items: []feeds.Item{{Key: "c", Title: "Kessler Dam spillway reopened as valley towns evacuate again", Summary: wireLead, Link: "https://post.example/c", Published: at, Dated: true}}, Now: at})
			s.Group(res.Entries, at)
			e := res.Entries[0]
			if e.Joins != tt.wantJoin || (tt.wantJoin && e.Story != ghost) {
				t.Errorf("the story's next report: story %q, joins %v; want joins %v (of %q)", e.Story, e.Joins, tt.wantJoin, ghost)
			}
		})
	}
}

// storedFingerprint is the stored fingerprint of a report of title with
// wireLead as its lead.
func storedFingerprint(t *testing.T, title string) []byte {
	t.Helper()
	b, err := story.Make(title, wireLead).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSplitItemID(t *testing.T) {
	tests := []struct {
		id, feed, key string
		ok            bool
	}{
		{"courier/k1", "courier", "k1", true},
		{"wire/courier/k1", "wire/courier", "k1", true}, // a feed named under another's name
		{"k1", "", "", false},
		{"courier/", "", "", false},
		{"/k1", "", "", false},
	}
	for _, tt := range tests {
		feed, key, ok := SplitItemID(tt.id)
		if feed != tt.feed || key != tt.key || ok != tt.ok {
			t.Errorf("SplitItemID(%q) = %q, %q, %v; want %q, %q, %v", tt.id, feed, key, ok, tt.feed, tt.key, tt.ok)
		}
		if ok && ItemID(feed, key) != tt.id {
			t.Errorf("ItemID(SplitItemID(%q)) = %q", tt.id, ItemID(feed, key))
		}
	}
}

// TestUngroupTakesBackAGroup: a poll whose commit was refused (its watches
// changed) is ungrouped before it is matched and grouped again. Its
// reports leave every destination's index, the re-split one made gives
// back the reports it took, still joined weakly, and the story it opened
// is forgotten; grouped again, the poll gets what its first grouping got
// (the re-split, its moves). A report a Group found grouped before (a
// failed commit retried) stays: that Group did not add it.
func TestUngroupTakesBackAGroup(t *testing.T) {
	subs := []Subscription{
		{ID: "s", Name: "s", Query: "olive OR drought", AllFileFeeds: true, Destination: "desk", StoryWindow: 48 * time.Hour},
		{ID: "w", Name: "w", Query: "olive OR drought", AllFileFeeds: true, Destination: "web", StoryWindow: 48 * time.Hour},
	}
	titles := storycorpus.ResplitSequence()
	cat, _ := NewCatalog(nil, []Feed{{ID: "f", Name: "f"}}, subs)
	at := func(i int) time.Time { return now.Add(time.Duration(i) * time.Minute) }
	entries := func(i int) []Entry {
		item := feeds.Item{Key: fmt.Sprintf("k%d", i), Title: titles[i], Link: fmt.Sprintf("https://f.example/%d", i), Published: at(i), Dated: true}
		return cat.Alerts(Input{FeedID: "f", Items: []feeds.Item{item}, Now: at(i)}).Entries
	}
	probe, resplit := NewStories(48*time.Hour), -1
	for i := range titles {
		es := entries(i)
		probe.Group(es, at(i))
		if len(es[0].Takes) > 0 {
			resplit = i
			break
		}
	}
	if resplit < 0 {
		t.Fatal("no report re-split B's story")
	}
	s := NewStories(48 * time.Hour)
	for i := range resplit {
		s.Group(entries(i), at(i))
	}
	storiesOf := func() map[string][]string { // by destination, each report's story, "" when none
		got := map[string][]string{}
		for _, dest := range []string{"desk", "web"} {
			for i := range resplit + 1 {
				name, _ := s.StoryOf(dest, "f", fmt.Sprintf("k%d", i))
				got[dest] = append(got[dest], name)
			}
		}
		return got
	}
	before := storiesOf()
	first := entries(resplit)
	refused := s.Group(first, at(resplit))
	s.Ungroup(refused)
	after := storiesOf()
	for _, dest := range []string{"desk", "web"} {
		if got, want := after[dest], before[dest]; !slices.Equal(got, want) {
			t.Errorf("%s after Ungroup: stories %q, want %q", dest, got, want)
		}
		if name, ok := s.StoryWithin(dest, "f", fmt.Sprintf("k%d", resplit), 48*time.Hour, at(resplit)); ok {
			t.Errorf("%s: the re-split's story %s still takes reports", dest, name)
		}
	}
	again := entries(resplit)
	s.Group(again, at(resplit))
	for i := range again {
		if a, b := again[i], first[i]; a.Story != b.Story || a.Joins != b.Joins || !slices.Equal(a.Takes, b.Takes) || len(b.Takes) == 0 {
			t.Errorf("%s grouped again: story %s joins %v takes %v, want as at first: %s, %v, %v (a re-split)", a.Destination, a.Story, a.Joins, a.Takes, b.Story, b.Joins, b.Takes)
		}
	}
	s.Ungroup(s.Group(entries(resplit), at(resplit))) // grouped before: nothing added
	for _, dest := range []string{"desk", "web"} {
		if name, ok := s.StoryOf(dest, "f", fmt.Sprintf("k%d", resplit)); !ok || name != ItemID("f", fmt.Sprintf("k%d", resplit)) {
			t.Errorf("%s: the report grouped before, ungrouped by a Group that found it, is in story %q (%v), want its own", dest, name, ok)
		}
	}
}

// TestUngroupKeepsAStoryOthersJoined: a report of another feed grouped
// into the story a refused grouping opened, and committed as its join
// (another worker's poll, between that grouping and the refusal), stays
// in it; the story stays open, as a restart opens it (Restore names it,
// OpenStory opens it at its first report's first sight), so the story's
// next report joins it. Before, Ungroup forgot the story while its join
// stayed in the index, and the next report opened another message for it
// until a restart. Grouped again in the same destination, the refused
// report is its own story's first report, not a join of it.
func TestUngroupKeepsAStoryOthersJoined(t *testing.T) {
	subs := []Subscription{{ID: "s", Name: "s", Query: "olive", AllFileFeeds: true, Destination: "desk", StoryWindow: 48 * time.Hour}}
	cat, _ := NewCatalog(nil, []Feed{{ID: "f", Name: "f"}, {ID: "g", Name: "g"}}, subs)
	titles := storycorpus.ResplitSequence()
	at := func(i int) time.Time { return now.Add(time.Duration(i) * time.Minute) }
	entries := func(feed string, i int) []Entry {
		item := feeds.Item{Key: fmt.Sprintf("k%d", i), Title: titles[i], Link: fmt.Sprintf("https://%s.example/%d", feed, i), Published: at(i), Dated: true}
		return cat.Alerts(Input{FeedID: feed, Items: []feeds.Item{item}, Now: at(i)}).Entries
	}
	s := NewStories(48 * time.Hour)
	opener := entries("f", 0)
	refused := s.Group(opener, at(0))
	join := entries("g", 1)
	s.Group(join, at(1))
	if !join[0].Joins || join[0].Story != opener[0].Story {
		t.Fatalf("the other feed's report: story %s joins %v, want a join of %s", join[0].Story, join[0].Joins, opener[0].Story)
	}
	s.Ungroup(refused)

	restarted := NewStories(48 * time.Hour) // the store holds the join alone
	rows := []StoryRow{{Destination: "desk", ID: ItemID("g", "k1"), Story: join[0].Story, Fingerprint: join[0].Fingerprint, At: at(1)}}
	for _, u := range restarted.Restore(rows) {
		restarted.OpenStory(u.Destination, u.Story, at(0))
	}
	for _, tt := range []struct {
		name string
		s    *Stories
	}{{"after Ungroup", s}, {"after a restart", restarted}} {
		next := entries("g", 2)
		tt.s.Group(next, at(2))
		if !next[0].Joins || next[0].Story != opener[0].Story {
			t.Errorf("%s, the story's next report: story %s joins %v, want a join of %s", tt.name, next[0].Story, next[0].Joins, opener[0].Story)
		}
	}
	again := entries("f", 0)
	s.Group(again, at(3))
	if again[0].Joins || again[0].Story != opener[0].Story {
		t.Errorf("the refused report grouped again: story %s joins %v, want its own story's first report", again[0].Story, again[0].Joins)
	}
}

// TestStoredFingerprintsKeepTheLinksSlug: a report is grouped, and its
// fingerprint stored, with its link's slug words (story.WithLink), so
// that a restart groups as the live index did. A report with a lead, whose
// slug words never count, is stored as version 5 wrote it, which a release
// before the slug words reads: a row it cannot read is skipped, and the
// story's next report posted as a message of its own.
func TestStoredFingerprintsKeepTheLinksSlug(t *testing.T) {
	const link = "https://post.example/2026/03/11/kessler-dam-spillway-reopened-valley-evacuation-orders/"
	tests := []struct {
		name, summary string
		wantVersion   byte
	}{
		{"a headline alone", "", 6},
		{"a headline and a lead", wireLead, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subs := []Subscription{{ID: "s", Name: "s", Query: anyTestStory, AllFileFeeds: true, Destination: "desk", StoryWindow: 48 * time.Hour}}
			cat, _ := NewCatalog(nil, []Feed{{ID: "post", Name: "post"}}, subs)
			item := feeds.Item{Key: "a", Title: "Kessler Dam spillway reopened", Summary: tt.summary, Link: link, Published: now, Dated: true}
			res := cat.Alerts(Input{FeedID: "post", Items: []feeds.Item{item}, Now: now})
			NewStories(48*time.Hour).Group(res.Entries, now)
			if len(res.Entries) != 1 {
				t.Fatalf("got %d entries, want 1", len(res.Entries))
			}
			e := res.Entries[0]
			var got story.Fingerprint
			if err := got.UnmarshalBinary(e.Fingerprint); err != nil {
				t.Fatal(err)
			}
			want := story.Make(e.Alert.Title, leadOf(e.Alert.Text)).WithLink(link).WithPublished(e.Alert.Published)
			if !got.Equal(want) {
				t.Errorf("stored fingerprint %v, want %v (with the slug's words)", got, want)
			}
			if e.Fingerprint[0] != tt.wantVersion {
				t.Errorf("stored as version %d, want %d", e.Fingerprint[0], tt.wantVersion)
			}
		})
	}
}

// TestVersion5RowsTakeLinkedReports: after an upgrade, the rows a version
// before the link's words stored (encoding version 5, with a lead or a
// headline alone) are restored, and a new report under a slugged link
// joins their story, or not, as the same report without its link does.
func TestVersion5RowsTakeLinkedReports(t *testing.T) {
	version5 := func(title, lead string) []byte {
		b, err := story.Make(title, lead).MarshalBinary()
		if err != nil || b[0] != 5 {
			t.Fatalf("%q encoded as %x, %v: want version 5", title, b, err)
		}
		return b
	}
	rows := []StoryRow{
		{Destination: "desk", ID: "herald/b", Story: "herald/b", Fingerprint: version5("Kessler Dam spillway reopened as valley towns evacuate", ""), At: now.Add(-time.Hour)},
		{Destination: "desk", ID: "ledger/x", Story: "ledger/x", Fingerprint: version5("Markets rally as central bank holds rates", wireLead), At: now.Add(-time.Hour)},
		{Destination: "desk", ID: "wire/f", Story: "wire/f", Fingerprint: version5("Frigate sinks off the coast", ""), At: now.Add(-time.Hour)},
	}
	const slug = "https://post.example/2026/03/11/kessler-dam-spillway-reopened-valley-evacuation-orders/"
	tests := []struct {
		title, link, want string // want: the story joined, "" for none
	}{
		{"Valley towns evacuate as Kessler Dam spillway reopens", slug, "herald/b"},
		{"Kessler Dam: towns below told to leave", slug, "herald/b"},
		{"Markets rally again as the central bank holds rates", "https://post.example/2026/03/11/markets-rally-again-central-bank/", "ledger/x"},
		{"Live: thousands rally for rain in the capital", "https://post.example/2026/03/11/thousands-rally-rain-capital/", ""},
	}
	subs := []Subscription{{ID: "s", Name: "s", Query: anyTestStory, AllFileFeeds: true, Destination: "desk", StoryWindow: 48 * time.Hour}}
	cat, _ := NewCatalog(nil, []Feed{{ID: "post", Name: "post"}}, subs)
	for _, tt := range tests {
		for _, link := range []string{tt.link, ""} {
			s := NewStories(48 * time.Hour)
			s.Restore(rows)
			res := cat.Alerts(Input{FeedID: "post", Items: []feeds.Item{{Key: "c", Title: tt.title, Link: link, Published: now, Dated: true}}, Now: now})
			s.Group(res.Entries, now)
			if len(res.Entries) != 1 {
				t.Fatalf("%q: %d entries, want 1", tt.title, len(res.Entries))
			}
			got := ""
			if e := res.Entries[0]; e.Joins {
				got = e.Story
			}
			if got != tt.want {
				t.Errorf("%q under %q: joined %q, want %q", tt.title, link, got, tt.want)
			}
		}
	}
}
