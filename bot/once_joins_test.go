package bot

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
)

// TestRunOnceDeliversAJoinWhoseStoryHasNoAlert: a story's further report
// waits for its story's first alert (leadGrace: another poll may be
// committing it). Where that first report was never enqueued (here an
// item under a link already posted, refused by the duplicate check, whose
// rewritten headline still opened a story of its own), run --once
// delivered nothing of the report: it ended with the report held, said
// pending=0 and exited 0, and the report waited for a later run. Found
// replaying the BBC snapshots of the corpus series: two reports of 18 May
// 2020 were not printed by the run that found them. A run --once polls
// everything before it delivers, so no first report comes later: the
// first report found goes out as the story's message in the same run, and
// the next is listed under that message in the same run too (it waited
// for the message to be out, and so was left to a later run as well).
func TestRunOnceDeliversAJoinWhoseStoryHasNoAlert(t *testing.T) {
	const link = "https://wire.example/news/health-51943612"
	h := newHarness(t, config.Subscription{Name: "covid", Query: "coronavirus", StoryWindow: 48 * time.Hour})
	h.cfg.Subscriptions[0].MaxAge = 0 // newHarness takes 0 for 24h
	desk := &editRecorder{clock: func() time.Time { return h.clock }}
	runOnce := func() {
		t.Helper()
		svc, closeStore := h.openWith(desk)
		defer closeStore()
		if _, err := svc.RunOnce(context.Background()); err != nil {
			t.Fatalf("RunOnce: %v", err)
		}
	}
	unrelated := item(1, "Unrelated", h.clock)
	h.write("wire.xml", unrelated)
	runOnce()
	first := testItem{GUID: "urn:bbc:1", Title: "Coronavirus: How close is the UK to 100,000 tests a day?", Link: link,
		Description: "How many tests", Published: time.Date(2020, 4, 28, 20, 16, 0, 0, time.UTC)}
	h.write("wire.xml", unrelated, first)
	runOnce()

	rewritten := testItem{GUID: "urn:bbc:2", Title: "Coronavirus: What tests are being done in the UK?", Link: link,
		Description: "What are the tests for coronavirus, who are they for and how do they work?", Published: time.Date(2020, 5, 18, 16, 6, 45, 0, time.UTC)}
	report := testItem{GUID: "urn:bbc:3", Title: "Coronavirus: Five and overs in UK now eligible for test", Link: "https://wire.example/news/uk-52713127",
		Description: "Coronavirus testing has been extended to everyone aged five and over in the UK with symptoms.", Published: time.Date(2020, 5, 18, 19, 25, 55, 0, time.UTC)}
	evening := testItem{GUID: "urn:bbc:4", Title: "Coronavirus: Evening update as tests made available to five and overs in UK", Link: "https://wire.example/news/uk-52713662",
		Description: "Five things you need to know about the coronavirus outbreak this evening.", Published: time.Date(2020, 5, 18, 17, 14, 16, 0, time.UTC)}
	h.write("wire.xml", unrelated, rewritten, evening, report)
	h.clock = h.clock.Add(10 * time.Minute)
	runOnce()
	shown := desk.titles()
	for _, e := range desk.edits {
		for _, a := range e.Message.Alerts {
			for _, r := range a.Also {
				shown = append(shown, "also: "+r.Title)
			}
		}
	}
	want := []string{first.Title, evening.Title, "also: " + report.Title}
	if !slices.Equal(shown, want) {
		t.Errorf("shown after the run that found the report:\ngot  %q\nwant %q", shown, want)
	}
}
