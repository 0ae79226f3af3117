package bot

import (
	"testing"
	"time"

	"github.com/newshound/newshound/config"
)

// TestEditedHeadlineAfterTheDuplicateWindow: an item keeps its GUID and
// link and its headline is edited (it keeps a significant word). Within
// 48 h of its alert the edit is not posted (README, "No duplicate"). Past
// that, where max_age cannot refuse it (an undated item, max_age: 0), the
// edited headline is posted once, as a new alert, and its further edits
// within 48 h of that alert are not: from the feed an edit cannot be told
// from another story a site puts under a link it reuses (live pages,
// /collections/ pages) whose headline keeps a word of the last one, and a
// duplicate days later costs less than a lost story. A dated item whose
// date stays is refused by max_age, as any old item.
func TestEditedHeadlineAfterTheDuplicateWindow(t *testing.T) {
	const title = "Aleppo truce holds for second night"
	edits := []string{"Aleppo ceasefire holds for a second night", "Aleppo ceasefire holds for a third night"}
	tests := []struct {
		name     string
		dated    bool
		noAgeCap bool          // max_age: 0, else 24h
		after    time.Duration // from the alert to the first edit
		want     []string
	}{
		{name: "undated, edited after 20 minutes", after: 20 * time.Minute, want: []string{title}},
		{name: "undated, edited after 46 hours", after: 46 * time.Hour, want: []string{title}},
		{name: "undated, edited after 3 days", after: 72 * time.Hour, want: []string{title, edits[0]}},
		{name: "max_age 0, edited after 3 days", dated: true, noAgeCap: true, after: 72 * time.Hour, want: []string{title, edits[0]}},
		{name: "dated, max_age 24h, edited after 3 days", dated: true, after: 72 * time.Hour, want: []string{title}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			if tt.noAgeCap {
				h.cfg.Subscriptions[0].MaxAge = 0 // newHarness takes 0 for 24h
			}
			first := testItem{GUID: "https://wire.example/?p=4711", Title: title,
				Link: "https://wire.example/2026/11/21/aleppo-truce-holds-for-second-night/"}
			if tt.dated {
				first.Published = h.clock
			}
			h.afterFirstSight(first)
			h.runOnce()
			// The item stays in the feed meanwhile.
			h.runDailyUntil(h.clock.Add(tt.after))
			for i, edit := range edits { // the second an hour after the first
				edited := first
				edited.Title = edit
				h.write("wire.xml", edited)
				h.clock = h.clock.Add(time.Duration(i) * time.Hour)
				h.runOnce()
				h.runOnce()
			}
			h.wantTitles(tt.want...)
		})
	}
}
