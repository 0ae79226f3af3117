package bot

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
)

// TestAlertsHeldForADigestOutliveAReloadOfTheirSubscription: a reload that
// switches a digest subscription to instant, moves its schedule or removes
// it, while matches wait for its 08:00 digest, loses none of them: they go
// out at 08:00 as the digest they were held for, and matches after the
// reload follow the subscription as it is.
func TestAlertsHeldForADigestOutliveAReloadOfTheirSubscription(t *testing.T) {
	daily := config.Delivery{Mode: config.Digest, At: []config.ClockTime{{Hour: 8}}, Location: time.UTC}
	tests := []struct {
		name string
		edit func(*config.Subscription) bool // false: remove it
		// wantAfter is what a match found at 07:30, after the reload, gets:
		// "instant", "held" (for the 12:00 digest) or "none".
		wantAfter string
	}{
		{"switched to instant", func(s *config.Subscription) bool { s.Delivery = config.Delivery{}; return true }, "instant"},
		{"schedule moved", func(s *config.Subscription) bool {
			s.Delivery.At = []config.ClockTime{{Hour: 12}}
			return true
		}, "held"},
		{"removed", func(*config.Subscription) bool { return false }, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: daily})
			h.clock = time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
			h.afterFirstSight()
			svc, _ := h.openAndRunOnce()
			var held []testItem
			for i := range 3 {
				held = append(held, item(10+i, fmt.Sprintf("Aleppo story %d", i), h.clock))
			}
			h.write("wire.xml", held...)
			runOnce := func() {
				t.Helper()
				if _, err := svc.RunOnce(context.Background()); err != nil {
					t.Fatalf("RunOnce: %v", err)
				}
			}
			runOnce()
			read := 0
			if got := h.rec.since(&read); len(got) != 0 {
				t.Fatalf("before 08:00: %d messages, want none", len(got))
			}

			next := *h.cfg
			next.Subscriptions = slices.Clone(h.cfg.Subscriptions)
			if !tt.edit(&next.Subscriptions[0]) {
				next.Subscriptions = nil
			}
			h.clock = time.Date(2026, 12, 2, 7, 30, 0, 0, time.UTC)
			if err := svc.Reload(context.Background(), &next); err != nil {
				t.Fatal(err)
			}
			after := item(20, "Aleppo story after the reload", h.clock)
			h.write("wire.xml", append(held, after)...)
			runOnce()
			gotInstant := h.rec.since(&read)

			h.clock = time.Date(2026, 12, 2, 8, 1, 0, 0, time.UTC)
			runOnce()
			runOnce()
			digests := digestTitles(h.rec.since(&read))
			want := [][]string{{"Aleppo story 2", "Aleppo story 1", "Aleppo story 0"}}
			if !slices.EqualFunc(digests, want, slices.Equal) {
				t.Errorf("by 08:01: digests %q, want %q (the matches held before the reload)", digests, want)
			}
			h.clock = time.Date(2026, 12, 2, 12, 1, 0, 0, time.UTC)
			runOnce()
			runOnce()
			later := digestTitles(h.rec.since(&read))
			gotAfter := fmt.Sprintf("%d messages at 07:30, digests %q at 12:00", len(gotInstant), later)
			switch {
			case len(gotInstant) == 1 && gotInstant[0].Digest == nil && slices.Equal(messageTitles(gotInstant[0]), []string{after.Title}) && len(later) == 0:
				gotAfter = "instant"
			case len(gotInstant) == 0 && slices.EqualFunc(later, [][]string{{after.Title}}, slices.Equal):
				gotAfter = "held"
			case len(gotInstant) == 0 && len(later) == 0:
				gotAfter = "none"
			}
			if gotAfter != tt.wantAfter {
				t.Errorf("a match after the reload: got %s, want %s", gotAfter, tt.wantAfter)
			}
		})
	}
}
