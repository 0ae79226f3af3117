package bot

import (
	"cmp"
	"context"
	"html"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
)

// TestLiveUpdateOfAnItemPostedAtFirstSight: a live blog posted on its
// feed's first sight (backfill) that gains a matching paragraph before
// the next poll gets that paragraph as an update under its message, in
// the same process or after a restart between the two polls: the first
// sight remembers the texts it saw.
func TestLiveUpdateOfAnItemPostedAtFirstSight(t *testing.T) {
	const (
		first = "Updated 16:05 GMT.\n\nEngineers reopened the Kessler Dam spillway on Tuesday."
		added = "A second spillway gate opened at noon, officials said."
	)
	for _, restart := range []bool{false, true} {
		name := map[bool]string{false: "the same process", true: "a restart between the polls"}[restart]
		t.Run(name, func(t *testing.T) {
			sub := config.Subscription{Name: "dams", Query: "kessler OR spillway", StoryWindow: 48 * time.Hour, Updates: true, Backfill: 1}
			h, rec := storyHarness(t, sub)
			blog := func(body string) {
				h.write("courier.xml", testItem{GUID: "urn:courier:blog", Title: "Kessler Dam: live", Link: "https://courier.example/live",
					Description: body, Published: h.clock})
			}
			ctx := context.Background()
			blog(first)
			svc, closeStore := h.openWith(rec)
			if _, err := svc.RunOnce(ctx); err != nil { // first sight: the blog is backfilled
				t.Fatal(err)
			}
			if got := rec.titles(); len(got) != 1 {
				t.Fatalf("first sight posted %q, want the live blog (backfill: 1)", got)
			}
			if restart {
				closeStore()
				svc, closeStore = h.openWith(rec)
			}
			defer closeStore()
			h.clock = h.clock.Add(10 * time.Minute)
			blog("Updated 17:15 GMT.\n\n" + added + "\n\nEngineers reopened the Kessler Dam spillway on Tuesday.")
			if _, err := svc.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			if got, want := rec.updates(), []string{added}; !slices.Equal(got, want) {
				t.Errorf("updates under the story: %q, want %q", got, want)
			}
			if got := rec.titles(); len(got) != 1 {
				t.Errorf("messages %q, want the live blog's alone", got)
			}
		})
	}
}

// TestLiveBlogWhoseTimestampMovesEveryPollPostsNothing: a live blog whose
// text carries the time of its last update in a sentence that matches,
// written as British and German papers write it or as an ISO timestamp,
// posts its message once: the time moving on at every poll is no update.
func TestLiveBlogWhoseTimestampMovesEveryPollPostsNothing(t *testing.T) {
	tests := []struct {
		name  string
		stamp func(at time.Time) string
	}{
		{"17.15 GMT", func(at time.Time) string { return at.Format("15.04") + " GMT" }},
		{"5.15pm", func(at time.Time) string { return at.Format("3.04pm") }},
		{"12.03.2026, 17.15 Uhr", func(at time.Time) string { return at.Format("02.01.2006, 15.04") + " Uhr" }},
		{"ISO", func(at time.Time) string { return at.Format(time.RFC3339) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, rec, svc, _ := liveBlog(t)
			for poll := range 4 {
				h.clock = h.clock.Add(25 * time.Hour / 24)
				stamp := tt.stamp(h.clock)
				h.write("courier.xml", testItem{GUID: "urn:courier:blog", Title: "Kessler Dam: live", Link: "https://courier.example/live",
					Description: "Kessler Dam spillway, as of " + stamp + ".\n\nEngineers reopened the Kessler Dam spillway on Tuesday.", Published: h.clock})
				if _, err := svc.RunOnce(context.Background()); err != nil {
					t.Fatal(err)
				}
				if got := rec.updates(); len(got) != 0 {
					t.Fatalf("poll %d (%s): updates %q, want none", poll, stamp, got)

				}
			}
			if got := rec.titles(); len(got) != 1 || len(rec.edits) != 0 {
				t.Errorf("messages %q and %d edits; want the live blog's message alone", got, len(rec.edits))
			}
		})
	}
}

// TestLiveUpdateKeepsToTheStoryWindow: an update goes under its story's
// message while the subscription's story_window takes further reports;
// past it (the subscription's own window, shorter than the default, or a
// quiet destination's window long gone) it is a message of its own, as a
// further report would be.
func TestLiveUpdateKeepsToTheStoryWindow(t *testing.T) {
	const (
		first = "Engineers reopened the Kessler Dam spillway on Tuesday."
		added = "A second spillway gate opened at noon, officials said."
	)
	tests := []struct {
		name      string
		window    time.Duration
		after     time.Duration
		wantJoins bool
	}{
		{"within the subscription's story_window", time.Hour, 30 * time.Minute, true},
		{"past the subscription's own story_window", time.Hour, 3 * time.Hour, false},
		{"past the window, nothing grouped since", 48 * time.Hour, 72 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := config.Subscription{Name: "dams", Query: "kessler OR spillway", StoryWindow: tt.window, Updates: true}
			h, rec := storyHarness(t, sub)
			svc, closeStore := h.openWith(rec)
			defer closeStore()
			ctx := context.Background()
			svc.RunOnce(ctx) // first sight
			blog := func(body string) {
				h.write("courier.xml", testItem{GUID: "urn:courier:blog", Title: "Kessler Dam: live", Link: "https://courier.example/live",
					Description: body, Published: h.clock})
			}
			h.clock = h.clock.Add(time.Minute)
			blog(first)
			svc.RunOnce(ctx)
			h.clock = h.clock.Add(tt.after)
			blog(added + "\n\n" + first)
			if _, err := svc.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			joined := len(rec.edits) > 0
			if got := rec.titles(); joined != tt.wantJoins || len(got) != map[bool]int{true: 1, false: 2}[tt.wantJoins] {
				t.Errorf("%s after the story opened: messages %q and %d edits; want the update under the story: %v",
					tt.after, got, len(rec.edits), tt.wantJoins)
			}
		})
	}
}

// TestLiveBlogWhoseHeadlineChangesUnderTheSameLink: a live blog whose
// headline changes at every poll under the same GUID and link (the time
// of its last update, a day count) is a new item key at every poll. The
// duplicate check does not post the edited headline again (it keeps a
// significant word under the same link), and the paragraph each poll adds
// is an update under the story's message, as for an unchanged headline:
// compared with the text of the item it edits, whose signature the new
// key then keeps (so the next edit compares with it, also after a restart
// on the same SQLite file). The headline's change alone is no update.
//
// A headline rewritten entirely under the same GUID and link shares no
// such word: the duplicate check takes it for a new story (README, "No
// duplicate": real feeds reuse a link or a GUID for other stories) and
// enqueues it whole, as a report of its own (its lead, the live blog's,
// lists it under the story's message); its text is not compared with the
// earlier item's, so what it added is not shown a second time as an
// update.
func TestLiveBlogWhoseHeadlineChangesUnderTheSameLink(t *testing.T) {
	const (
		body   = "Engineers reopened the Kessler Dam spillway on Tuesday."
		second = "A second spillway gate opened at noon, officials said."
		third  = "Water levels below the spillway fell by a metre overnight, the authority said."
	)
	type poll struct {
		title, text string
		updates     []string // under the story after the poll
	}
	updated := func(at string) string { return "Kessler Dam live: updated " + at + " GMT" }
	moving := []poll{
		{updated("13:00"), body, nil},
		{updated("14:00"), second + "\n\n" + body, []string{second}},
		{updated("15:00"), second + "\n\n" + body, []string{second}}, // the headline moved on alone
		{updated("16:00"), third + "\n\n" + second + "\n\n" + body, []string{second, third}},
	}
	tests := []struct {
		name    string
		polls   []poll
		restart bool     // between the polls
		posted  string   // the one message; "" the first poll's title
		also    []string // listed under the story at the end
	}{
		{"the time of the last update", moving, false, "", nil},
		{"the time, a restart between the polls", moving, true, "", nil},
		{"a day count", []poll{
			{"LIVE: Kessler Dam flood, day 2", body, nil},
			{"LIVE: Kessler Dam flood, day 3", second + "\n\n" + body, []string{second}},
			{"LIVE: Kessler Dam flood, day 4", third + "\n\n" + second + "\n\n" + body, []string{second, third}},
		}, false, "", nil},
		// A live page dated to its day, kept under its link past midnight:
		// an edit, not another day's page (story.dateSpan).
		{"a date", []poll{
			{"LIVE: Kessler Dam flood, March 10", body, nil},
			{"LIVE: Kessler Dam flood, March 11", second + "\n\n" + body, []string{second}},
		}, false, "", nil},
		// The earlier item matched nothing, so the edited headline's
		// alert, the whole item, is posted: its update is not.
		{"the earlier headline never posted", []poll{
			{"Dam live: updated 13:00 GMT", "Engineers reopened the dam on Tuesday.", nil},
			{"Dam live: updated 14:00 GMT", second + "\n\nEngineers reopened the dam on Tuesday.", nil},
		}, false, "Dam live: updated 14:00 GMT", nil},
		{"a headline rewritten entirely", []poll{
			{updated("13:00"), body, nil},
			{"Valley towns told to evacuate as reservoir rises", second + "\n\n" + body, nil},
		}, false, "", []string{"courier: Valley towns told to evacuate as reservoir rises"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, rec, svc, restart := restartableLiveBlog(t)
			for i, p := range tt.polls {
				h.clock = h.clock.Add(time.Hour)
				h.write("courier.xml", testItem{GUID: "urn:courier:blog", Title: p.title, Link: "https://courier.example/live",
					Description: p.text, Published: h.clock})
				if tt.restart && i > 0 {
					svc = restart()
				}
				if _, err := svc.RunOnce(context.Background()); err != nil {
					t.Fatal(err)
				}
				if got := rec.updates(); !slices.Equal(got, p.updates) {
					t.Errorf("poll %d (%q): updates %q, want %q", i, p.title, got, p.updates)
				}
			}
			want := []string{cmp.Or(tt.posted, tt.polls[0].title)}
			if got := rec.titles(); !slices.Equal(got, want) {
				t.Errorf("messages %q, want %q alone", got, want)
			}
			if got := rec.also(); !slices.Equal(got, tt.also) {
				t.Errorf("listed under the story: %q, want %q", got, tt.also)
			}
		})
	}
}

// TestLiveUpdateFromFullContent: a live blog whose feed gives its full
// text beside a summary that stays the same — an Atom entry's <content>,
// an RSS item's content:encoded — gets the paragraph its full text gains
// as an update through the poller: the full text is what is compared.
func TestLiveUpdateFromFullContent(t *testing.T) {
	const (
		summary = "Live coverage of the Kessler Dam spillway."
		body    = "<p>Engineers reopened the Kessler Dam spillway on Tuesday.</p>"
		added   = "A second spillway gate opened at noon, officials said."
	)
	tests := []struct {
		name string
		doc  func(content string, at time.Time) string
	}{
		{"Atom content", func(content string, at time.Time) string {
			return `<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Courier</title>
<id>urn:courier</id><updated>` + at.Format(time.RFC3339) + `</updated>
<entry><id>urn:courier:blog</id><title>Kessler Dam: live</title><link href="https://courier.example/live"/>
<updated>` + at.Format(time.RFC3339) + `</updated><summary>` + summary + `</summary>
<content type="html">` + html.EscapeString(content) + `</content></entry></feed>`
		}},
		{"RSS content:encoded", func(content string, at time.Time) string {
			return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Courier</title><link>https://courier.example/</link>
<item><guid>urn:courier:blog</guid><title>Kessler Dam: live</title><link>https://courier.example/live</link>
<pubDate>` + at.Format(time.RFC1123Z) + `</pubDate><description>` + summary + `</description>
<content:encoded><![CDATA[` + content + `]]></content:encoded></item></channel></rss>`
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, rec, svc, _ := liveBlog(t)
			for _, content := range []string{body, "<p>" + added + "</p>" + body} {
				h.clock = h.clock.Add(time.Hour)
				if err := os.WriteFile(filepath.Join(h.dir, "courier.xml"), []byte(tt.doc(content, h.clock)), 0o644); err != nil {
					t.Fatal(err)
				}
				if _, err := svc.RunOnce(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if got, want := rec.updates(), []string{added}; !slices.Equal(got, want) {
				t.Errorf("updates under the story: %q, want %q", got, want)
			}
			if got := rec.titles(); !slices.Equal(got, []string{"Kessler Dam: live"}) {
				t.Errorf("messages %q, want the live blog's alone", got)
			}
		})
	}
}
