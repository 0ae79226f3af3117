package bot

import (
	"slices"
	"testing"

	"github.com/newshound/newshound/internal/pgtest"
)

// TestRefusedEditKeepsItsWordsAcrossARestart: an item already posted (A)
// comes back under its link with its headline rewritten (A2), which the
// duplicate check refuses and which is listed under A's story, so that A2's
// words help further reports of the story find it. A2 has no outbox row, and
// a restart rebuilt the stories from the rows alone: A2 was forgotten, and
// another outlet's report (B) that resembles A2, not A, opened a story of its
// own, a second message. B goes under A's message, restarted or not.
func TestRefusedEditKeepsItsWordsAcrossARestart(t *testing.T) {
	tests := []struct {
		name    string
		restart bool // the service restarts between A2's poll and B's
	}{
		{name: "one process throughout"},
		{name: "restarted between the edit and the report", restart: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, rec := storyHarness(t, kesslerSub())
			svc, closeStore := h.openWith(rec)
			defer func() { closeStore() }()
			poll := minutePasses(t, h, func() *Service { return svc })
			weather, first, edited, report := postFirstReport(h, poll)
			h.write("courier.xml", weather, edited)
			poll()
			if got, want := rec.titles(), []string{first.Title}; !slices.Equal(got, want) {
				t.Fatalf("messages posted after the edit: got %q, want %q", got, want)
			}
			if tt.restart {
				closeStore()
				svc, closeStore = h.openWith(rec)
			}
			h.write("herald.xml", weather, report)
			poll()
			if got, want := rec.titles(), []string{first.Title}; !slices.Equal(got, want) {
				t.Errorf("got %d messages %q, want 1: %q", len(got), got, want)
			}
			if got, want := rec.also(), []string{"herald: " + report.Title}; !slices.Equal(got, want) {
				t.Errorf("the story's message lists: got %q, want %q", got, want)
			}
		})
	}
}

// TestRefusedEditKeepsItsWordsForAnotherInstance: on a shared store, the
// refused edit (see above) that one instance listed under A's story is
// taken in by the instance that polls B, which groups B under A's message.
func TestRefusedEditKeepsItsWordsForAnotherInstance(t *testing.T) {
	dsn := pgtest.Schema(t)
	h, rec := storyHarness(t, kesslerSub())
	clk, at := h.sharedClock(rec)
	a, _ := h.openInstance(dsn, clk, rec, "courier")
	b, _ := h.openInstance(dsn, clk, rec, "herald")
	passOf := sharedMinutePasses(t, at)
	passOf(b)() // first sight of the herald's feed
	weather, first, edited, report := postFirstReport(h, passOf(a))
	h.write("courier.xml", weather, edited)
	passOf(a)()
	h.write("herald.xml", weather, report)
	passOf(b)()
	if got, want := rec.titles(), []string{first.Title}; !slices.Equal(got, want) {
		t.Errorf("got %d messages %q, want 1: %q", len(got), got, want)
	}
	if got, want := rec.also(), []string{"herald: " + report.Title}; !slices.Equal(got, want) {
		t.Errorf("the story's message lists: got %q, want %q", got, want)
	}
}
