package bot

import (
	"context"
	"slices"
	"testing"
	"time"
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
