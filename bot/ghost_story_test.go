package bot

import (
	"context"
	"io"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
)

// TestEditedOpenerRefusedAsDuplicateLeavesNoGhostStory: an item already
// posted (A) comes back under its link with its headline rewritten (A2):
// the duplicate check refuses it (README, "No duplicate"), but it shares
// too little with A for the grouping to list it under A, so the grouping
// had made it the first report of a story of its own. That story had no
// message: another outlet's report of it (B), in the same poll or a later
// one, joined it, found no first alert and was posted alone (after
// waiting leadGrace under Run), the story's second message. B goes under
// A's message, at once, and a restart, which rebuilds the stories from
// the stored rows, keeps it there.
func TestEditedOpenerRefusedAsDuplicateLeavesNoGhostStory(t *testing.T) {
	tests := []struct {
		name       string
		reportFeed string // the feed B comes in
		reportLate bool   // B comes a poll after A2
	}{
		{name: "edit and report in one commit (an aggregator's feed)", reportFeed: "courier"},
		{name: "edit, then another feed's report in the same round", reportFeed: "herald"},
		{name: "edit, then the report a poll later", reportFeed: "herald", reportLate: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, rec := storyHarness(t, kesslerSub())
			// One worker polls the feeds in the config's order: the
			// courier's edit is grouped before the herald's report. (The
			// other way round, the report opens a story of its own that
			// the edit joins.)
			h.cfg.Service.Workers = 1
			svc, closeStore := h.openWith(rec) // one process throughout, as under Run
			defer closeStore()
			poll := minutePasses(t, h, func() *Service { return svc })
			weather, first, edited, report := postFirstReport(h, poll)
			if tt.reportFeed == "courier" {
				h.write("courier.xml", weather, edited, report)
			} else {
				h.write("courier.xml", weather, edited)
				if tt.reportLate {
					poll()
				}
				h.write(tt.reportFeed+".xml", weather, report)
			}
			poll()
			reported := h.clock
			if got, want := rec.titles(), []string{first.Title}; !slices.Equal(got, want) {
				t.Errorf("messages posted: got %q, want %q", got, want)
			}
			if got, want := rec.also(), []string{tt.reportFeed + ": " + report.Title}; !slices.Equal(got, want) {
				t.Errorf("the story's message lists: got %q, want %q", got, want)
			}
			rec.emu.Lock()
			if len(rec.editAt) == 0 || !rec.editAt[len(rec.editAt)-1].Equal(reported) {
				t.Errorf("edits at %v: want the report's at %v, the poll that found it", rec.editAt, reported)
			}
			rec.emu.Unlock()

			// A restart rebuilds the stories from the stored rows: a
			// third outlet's report of B's story goes under A's message
			// too.
			closeStore()
			svc, closeStore = h.openWith(rec)
			defer closeStore()
			later := testItem{GUID: "urn:post:1", Title: laterTitle, Link: "https://post.example/kessler-home", Description: reportLead, Published: h.clock}
			h.write("post.xml", weather, later)
			poll()
			if got, want := rec.titles(), []string{first.Title}; !slices.Equal(got, want) {
				t.Errorf("after a restart, messages posted: got %q, want %q", got, want)
			}
			if got, want := rec.also(), []string{tt.reportFeed + ": " + report.Title, "post: " + later.Title}; !slices.Equal(got, want) {
				t.Errorf("after a restart, the story's message lists: got %q, want %q", got, want)
			}
		})
	}
}

// minutePasses returns a pass of the service svc returns, run a minute
// after the last.
func minutePasses(t *testing.T, h *harness, svc func() *Service) func() {
	return func() {
		t.Helper()
		h.clock = h.clock.Add(time.Minute)
		if _, err := svc().RunOnce(context.Background()); err != nil {
			t.Fatalf("RunOnce: %v", err)
		}
	}
}

// sharedMinutePasses is minutePasses for services sharing the clock that
// at moves on: a pass of svc run a minute after the last.
func sharedMinutePasses(t *testing.T, at func(time.Duration)) func(svc *Service) func() {
	return func(svc *Service) func() {
		return func() {
			t.Helper()
			at(time.Minute)
			if _, err := svc.RunOnce(context.Background()); err != nil {
				t.Fatalf("RunOnce: %v", err)
			}
		}
	}
}

// postFirstReport runs the first sight of every feed (poll), then posts
// the courier's first report of the story (A), and returns the edit of A
// under its link (A2) and the herald's report (B) for the caller to
// publish, with the feeds' unrelated item.
func postFirstReport(h *harness, poll func()) (weather, first, edited, report testItem) {
	const link = "https://courier.example/kessler"
	poll() // first sight of every feed
	weather = item(0, "Weather stays mild", h.clock.Add(-time.Hour))
	first = testItem{GUID: "urn:courier:1", Title: outlets[0].title, Link: link, Description: kesslerLead, Published: h.clock}
	h.write("courier.xml", weather, first)
	poll()
	edited = testItem{GUID: "urn:courier:2", Title: editedTitle, Link: link, Description: editedLead, Published: h.clock}
	report = testItem{GUID: "urn:herald:1", Title: reportTitle, Link: "https://herald.example/kessler-return", Description: reportLead, Published: h.clock}
	return weather, first, edited, report
}

const (
	editedTitle = "Kessler evacuation order lifted, officials say"
	editedLead  = `Officials lifted the evacuation order on Thursday evening and said residents could go back to
their homes from Friday morning once engineers had checked the roads and bridges, the county
emergency office announced at a news conference.`
	reportTitle = "Kessler evacuation order lifted: residents may go home Friday"
	laterTitle  = "Kessler evacuees may go home on Friday as order is lifted"
	reportLead  = `The county emergency office lifted the evacuation order on Thursday evening, saying residents
could go back to their homes from Friday morning once engineers had checked the roads and
bridges.`
)

// TestGhostStoryThatCannotMergeLeadsItselfAtOnce: the refused edit's
// story (see above) cannot go under the story of the alert holding its
// key when the edit was published days from that story's reports (README:
// reports days apart are never one story), nor when that alert is a
// subscription's that does not group (its row has no story). The commit
// tells that the edit's story will never have a first alert, yet its
// further report waited leadGrace (30 s) for one, and only then was posted
// alone. It is posted at the pass that found it, as the story's message,
// once: the story's later reports go under it. When the store fails to
// move the story's stored reports under the other story (logged), the
// report waits for the move (posted alone, it would lead its own story in
// the store, a second message), the story's later reports go under the
// other story's message, where the index lists the story, and so does the
// report once the store works again. Past the
// subscription's max_per_hour it goes in the hour's digest, as a report
// posted alone after leadGrace did, and so does the story's next report
// (which, having waited leadGrace, was posted alone after that digest).
func TestGhostStoryThatCannotMergeLeadsItselfAtOnce(t *testing.T) {
	const link = "https://courier.example/kessler"
	dams := config.Subscription{Name: "dams", Query: "kessler", StoryWindow: 48 * time.Hour, MaxAge: 7 * 24 * time.Hour}
	tests := []struct {
		name       string
		subs       []config.Subscription
		firstDays  int    // the first item published that many days before the edit
		moveFails  bool   // the store's MoveStories fails
		oneCommit  bool   // the report is in the edit's feed, not the herald's
		laterUnder string // the message the story's next report goes under, "" for the hour's digest
		courier    string // the courier's feed name, when not "courier"
	}{
		{
			name:       "the edit published days after the story's reports",
			subs:       []config.Subscription{dams},
			firstDays:  3,
			laterUnder: "m2",
		},
		{
			// The story is named "wire/courier/<key>": not an item
			// "courier/<key>" of the wire feed.
			name:       "the edit's feed named under another feed's name",
			subs:       []config.Subscription{dams},
			firstDays:  3,
			laterUnder: "m2",
			courier:    "wire/courier",
		},
		{
			name: "the alert holding the key has no story",
			subs: []config.Subscription{
				{Name: "spillways", Query: "spillway", MaxAge: 24 * time.Hour}, // never groups: story_window 0
				{Name: "lifted", Query: "lifted", StoryWindow: 48 * time.Hour, MaxAge: 24 * time.Hour, Destination: "desk"},
			},
			laterUnder: "m2",
		},
		{
			name: "past max_per_hour",
			subs: []config.Subscription{{Name: "dams", Query: "kessler", StoryWindow: 48 * time.Hour, MaxAge: 7 * 24 * time.Hour,
				Delivery: config.Delivery{MaxPerHour: 1}}},
			firstDays: 3,
		},
		{
			name:       "moving the story's stored reports fails",
			subs:       []config.Subscription{dams},
			moveFails:  true,
			oneCommit:  true, // else the report joins the other story in the index
			laterUnder: "m1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, rec := storyHarness(t, tt.subs[0])
			h.cfg.Subscriptions = append(h.cfg.Subscriptions, tt.subs[1:]...)
			h.cfg.Service.Workers = 1 // the courier's edit is grouped before the herald's report
			for i := range h.cfg.Feeds {
				if h.cfg.Feeds[i].Name == "courier" && tt.courier != "" {
					h.cfg.Feeds[i].Name = tt.courier
				}
			}
			ctx := context.Background()
			st := h.sqlite(t)
			defer st.Close()
			var s store.Store = st
			failing := &failMovesFirst{Store: st, failures: math.MaxInt} // every try
			if tt.moveFails {
				s = failing
			}
			svc, err := New(ctx, h.options(s, rec, io.Discard))
			if err != nil {
				t.Fatal(err)
			}
			// The poll's tries of the moves wait no wall time.
			svc.poller.sleep = noWait
			pass := func(d time.Duration) { // a poll of every feed and a send pass, as under Run
				t.Helper()
				h.clock = h.clock.Add(d)
				svc.poller.pollAll(ctx, svc.live.catalog().Feeds(), pollNow)
				if err := svc.sender.deliverAll(ctx); err != nil {
					t.Fatalf("deliverAll: %v", err)
				}
			}
			pass(time.Minute) // first sight of every feed
			weather := item(0, "Weather stays mild", h.clock.Add(-time.Hour))
			first := testItem{GUID: "urn:courier:1", Title: outlets[0].title, Link: link, Description: kesslerLead,
				Published: h.clock.Add(-time.Duration(tt.firstDays) * 24 * time.Hour)}
			h.write("courier.xml", weather, first)
			pass(time.Minute)
			if got, want := rec.titles(), []string{first.Title}; !slices.Equal(got, want) {
				t.Fatalf("messages posted: got %q, want %q", got, want)
			}
			edited := testItem{GUID: "urn:courier:2", Title: editedTitle, Link: link, Description: editedLead, Published: h.clock}
			report := testItem{GUID: "urn:herald:1", Title: reportTitle, Link: "https://herald.example/kessler-return", Description: reportLead, Published: h.clock}
			if tt.oneCommit {
				h.write("courier.xml", weather, edited, report)
			} else {
				h.write("courier.xml", weather, edited)
				h.write("herald.xml", weather, report)
			}
			pass(time.Minute)
			want := []string{first.Title, report.Title}
			if tt.laterUnder == "" || tt.moveFails {
				want = want[:1] // the report waits for the digest, or for its move
			}
			if got := rec.titles(); !slices.Equal(got, want) {
				t.Errorf("messages posted at the pass that found the report: got %q, want %q", got, want)
			}
			pass(leadGrace + editGap)
			if got := rec.titles(); !slices.Equal(got, want) {
				t.Errorf("messages posted after leadGrace: got %q, want %q", got, want)
			}
			later := testItem{GUID: "urn:post:1", Title: laterTitle, Link: "https://post.example/kessler-home", Description: reportLead, Published: h.clock}
			h.write("post.xml", weather, later)
			pass(time.Minute)
			pass(editGap)
			if got := rec.titles(); !slices.Equal(got, want) {
				t.Errorf("messages posted after the story's next report: got %q, want %q", got, want)
			}
			if tt.laterUnder == "" {
				pass(time.Hour)
				rec.mu.Lock()
				defer rec.mu.Unlock()
				if got := len(rec.msgs); got != 2 || rec.msgs[1].Digest == nil {
					t.Fatalf("messages posted after the hour: %d, want the first report's and the hour's digest", got)
				}
				var digest []string
				for _, a := range rec.msgs[1].Alerts {
					digest = append(digest, a.Title)
				}
				if want := []string{report.Title, later.Title}; !sameSet(digest, want) {
					t.Errorf("the hour's digest lists %q, want %q", digest, want)
				}
				return
			}
			if e, ok := rec.lastEditOf(tt.laterUnder); !ok || !slices.Equal(alsoTitles(e), []string{later.Title}) {
				t.Errorf("message %s lists %q (edited: %v), want %q", tt.laterUnder, alsoTitles(e), ok, []string{later.Title})
			}
			if !tt.moveFails {
				return
			}
			failing.mu.Lock()
			failing.failures = 0 // the store works again
			failing.mu.Unlock()
			pass(time.Minute) // past the moves' back-off (8 s after four failures)
			if got := rec.titles(); !slices.Equal(got, want) {
				t.Errorf("messages posted once the moves are stored: got %q, want %q", got, want)
			}
			if e, ok := rec.lastEditOf(tt.laterUnder); !ok || !sameSet(alsoTitles(e), []string{later.Title, report.Title}) {
				t.Errorf("once the moves are stored, message %s lists %q (edited: %v), want %q", tt.laterUnder, alsoTitles(e), ok, []string{later.Title, report.Title})
			}
		})
	}
}

// TestGhostStoryKeepsItsMessageAcrossARestart: a ghost story that cannot
// go under the other story (see above) is led by its first further report,
// posted alone. Its first report, refused, has no row in the outbox, and
// the restart rebuilt the stories from the rows, opening a story only at
// its first report's row: the ghost story was never opened again, so its
// next report could not join it and was posted as a third message. It goes
// under the message of the report that leads the story.
func TestGhostStoryKeepsItsMessageAcrossARestart(t *testing.T) {
	tests := []struct {
		name      string
		subs      []config.Subscription
		firstDays int // the first item published that many days before the edit
	}{
		{
			name:      "the edit published days after the story's reports",
			subs:      []config.Subscription{{Name: "dams", Query: "kessler", StoryWindow: 48 * time.Hour, MaxAge: 7 * 24 * time.Hour}},
			firstDays: 3,
		},
		{
			name: "the alert holding the key has no story",
			subs: []config.Subscription{
				{Name: "spillways", Query: "spillway", MaxAge: 24 * time.Hour}, // never groups: story_window 0
				{Name: "lifted", Query: "lifted", StoryWindow: 48 * time.Hour, MaxAge: 24 * time.Hour, Destination: "desk"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, rec := storyHarness(t, tt.subs[0])
			h.cfg.Subscriptions = append(h.cfg.Subscriptions, tt.subs[1:]...)
			h.cfg.Service.Workers = 1 // the courier's edit is grouped before the herald's report
			svc, closeStore := h.openWith(rec)
			defer func() { closeStore() }()
			poll := minutePasses(t, h, func() *Service { return svc })
			poll() // first sight of every feed
			want := postGhostStory(t, h, rec, tt.firstDays, poll)

			closeStore()
			svc, closeStore = h.openWith(rec)
			later := publishGhostsNextReport(h)
			poll()
			if got := rec.titles(); !slices.Equal(got, want) {
				t.Errorf("messages posted after the restart: got %q, want %q", got, want)
			}
			if e, ok := rec.lastEditOf("m2"); !ok || !slices.Equal(alsoTitles(e), []string{later.Title}) {
				t.Errorf("message m2 lists %q (edited: %v), want %q", alsoTitles(e), ok, []string{later.Title})
			}
		})
	}
}

// TestGhostStoryTakesAnotherInstancesReport: on a shared store, the
// ghost story one instance posted (see above) takes the report another
// instance polls, which takes in the story's rows (none of its first
// report) as the poll groups: it goes under the story's message, not in
// a message of its own.
func TestGhostStoryTakesAnotherInstancesReport(t *testing.T) {
	dsn := pgtest.Schema(t)
	h, rec := storyHarness(t, config.Subscription{Name: "dams", Query: "kessler", StoryWindow: 48 * time.Hour, MaxAge: 7 * 24 * time.Hour})
	h.cfg.Service.Workers = 1 // the courier's edit is grouped before the herald's report
	clk, at := h.sharedClock(rec)
	a, _ := h.openInstance(dsn, clk, rec, "courier", "herald")
	b, _ := h.openInstance(dsn, clk, rec, "post")
	passOf := sharedMinutePasses(t, at)
	passOf(b)() // first sight of the post's feed
	passOf(a)() // and of the others
	want := postGhostStory(t, h, rec, 3, passOf(a))

	later := publishGhostsNextReport(h)
	passOf(b)()
	if got := rec.titles(); !slices.Equal(got, want) {
		t.Errorf("messages posted after the other instance's poll: got %q, want %q", got, want)
	}
	if e, ok := rec.lastEditOf("m2"); !ok || !slices.Equal(alsoTitles(e), []string{later.Title}) {
		t.Errorf("message m2 lists %q (edited: %v), want %q", alsoTitles(e), ok, []string{later.Title})
	}
}

// postGhostStory posts the courier's first report of the story (A, its
// item published firstDays before), then polls the edit of A under its
// link (A2), which the outbox refuses as a duplicate, and the herald's
// report (B), which joins A2's story and, that story having no first alert
// and not going under A's (published days apart, or A's alert has no
// story), is posted alone, leading it. It returns the messages posted:
// A's and B's.
func postGhostStory(t *testing.T, h *harness, rec *editRecorder, firstDays int, poll func()) []string {
	t.Helper()
	const link = "https://courier.example/kessler"
	weather := item(0, "Weather stays mild", h.clock.Add(-time.Hour))
	first := testItem{GUID: "urn:courier:1", Title: outlets[0].title, Link: link, Description: kesslerLead,
		Published: h.clock.Add(-time.Duration(firstDays) * 24 * time.Hour)}
	h.write("courier.xml", weather, first)
	poll()
	edited := testItem{GUID: "urn:courier:2", Title: editedTitle, Link: link, Description: editedLead, Published: h.clock}
	report := testItem{GUID: "urn:herald:1", Title: reportTitle, Link: "https://herald.example/kessler-return", Description: reportLead, Published: h.clock}
	h.write("courier.xml", weather, edited)
	h.write("herald.xml", weather, report)
	poll()
	want := []string{first.Title, report.Title}
	if got := rec.titles(); !slices.Equal(got, want) {
		t.Fatalf("messages posted for the ghost story: got %q, want %q", got, want)
	}
	return want
}

// publishGhostsNextReport publishes the post's report of the ghost story
// (see postGhostStory).
func publishGhostsNextReport(h *harness) testItem {
	later := testItem{GUID: "urn:post:1", Title: laterTitle, Link: "https://post.example/kessler-home", Description: reportLead, Published: h.clock}
	h.write("post.xml", item(0, "Weather stays mild", h.clock.Add(-time.Hour)), later)
	return later
}
