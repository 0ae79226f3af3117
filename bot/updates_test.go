package bot

import (
	"context"
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
