package bot

import (
	"context"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/store"
)

// TestRunOnceListsAReportWhoseStorysMessageIsOnALaterPage: of two feeds
// polled by one run --once, the one whose report opened a story committed
// last, so its first alert came after the other feed's further report of
// it, and a page (100 rows) later. The pass met the report first, found
// its story's message not out yet and held the report for 2 s; the run
// ended without a pass after that, said pending=0 and exited 0, and the
// report was listed under its story only by a later run. Found replaying
// the corpus series (BBC, CNN, WSJ, LA Times of 17 October 2021): five
// "also:" lines missing from the run that found them. A run --once
// commits nothing after its polls, so the story's message goes out in the
// same pass and the report is listed under it in a pass right after.
func TestRunOnceListsAReportWhoseStorysMessageIsOnALaterPage(t *testing.T) {
	h, rec := storyHarness(t, kesslerSub())
	h.cfg.Subscriptions = append(h.cfg.Subscriptions, config.Subscription{Name: "bulletins", Query: "bulletin", Destination: "desk"})
	h.cfg.Service.Workers = 2
	ctx := context.Background()
	st := h.sqlite(t)
	defer st.Close()
	race := &mergeRaceStore{Store: st, opener: "courier", report: "herald", reportFirst: true,
		committing: make(chan struct{}), reported: make(chan struct{}), t: t}
	svc, err := New(ctx, h.options(race, rec, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	runOnce := func() store.Store {
		t.Helper()
		h.clock = h.clock.Add(time.Minute)
		if _, err := svc.RunOnce(ctx); err != nil {
			t.Fatalf("RunOnce: %v", err)
		}
		return st
	}
	runOnce() // first sight of every feed
	first := testItem{GUID: "urn:courier:1", Title: outlets[0].title, Link: "https://courier.example/kessler", Description: kesslerLead, Published: h.clock}
	report := testItem{GUID: "urn:herald:1", Title: outlets[1].title, Link: "https://herald.example/kessler", Description: kesslerLead, Published: h.clock.Add(time.Minute)}
	herald := []testItem{report}
	for i := range 100 { // a page of the outbox after the report
		herald = append(herald, testItem{GUID: fmt.Sprintf("urn:herald:b%d", i), Title: fmt.Sprintf("Bulletin %d", i),
			Link: fmt.Sprintf("https://herald.example/bulletin/%d", i), Published: h.clock.Add(2 * time.Minute)})
	}
	h.write("courier.xml", first)
	h.write("herald.xml", herald...)
	h.clock = h.clock.Add(3 * time.Minute)
	race.armed = true
	runOnce()
	race.armed = false
	if got := rec.titles(); len(got) != 101 || got[len(got)-1] != first.Title {
		t.Fatalf("messages: got %d, the last %q; want 101, the last the story's %q", len(got), got[len(got)-1:], first.Title)
	}
	if got, want := rec.also(), []string{"herald: " + report.Title}; !slices.Equal(got, want) {
		t.Errorf("the story's message lists after the run that found the report: got %q, want %q", got, want)
	}
}
