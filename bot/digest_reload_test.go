package bot

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
)

// TestAlertsHeldForADigestFollowAReloadOfTheirSubscription: matches wait
// from 06:00 for their subscription's digest (08:00) or the end of its
// quiet hours (08:00) when a reload changes its delivery. What they wait
// for follows the subscription as it is: switched to instant, they go out
// at the reload as one digest; a schedule, zone or quiet hours moved, at
// the new time (at once when it has passed), with what matches after the
// reload; a subscription removed keeps them for the 08:00 digest they
// were held for. None is lost or sent twice, and a second instance reloading the
// same config moves nothing again.
func TestAlertsHeldForADigestFollowAReloadOfTheirSubscription(t *testing.T) {
	daily := config.Delivery{Mode: config.Digest, At: []config.ClockTime{{Hour: 8}}, Location: time.UTC}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	quiet := config.Delivery{QuietHours: &config.TimeWindow{End: config.ClockTime{Hour: 8}}, Location: time.UTC}
	const after = "Aleppo story after the reload"
	held := []string{"Aleppo story 2", "Aleppo story 1", "Aleppo story 0"}
	withAfter := append([]string{after}, held...)
	// A step runs the service at a time of the day (the first is the
	// reload's, with the match after it) and names what it sends.
	type step struct {
		at      string
		instant []string
		digests [][]string
	}
	tests := []struct {
		name  string
		from  config.Delivery
		edit  func(*config.Subscription) bool // false: remove it
		steps []step
	}{
		{"switched to instant", daily, func(s *config.Subscription) bool { s.Delivery = config.Delivery{}; return true }, []step{
			{at: "07:30", instant: []string{after}, digests: [][]string{held}},
			{at: "08:01"}, {at: "12:01"},
		}},
		{"schedule moved earlier", daily, func(s *config.Subscription) bool {
			s.Delivery.At = []config.ClockTime{{Hour: 7}}
			return true
		}, []step{
			{at: "06:30"},
			{at: "07:01", digests: [][]string{withAfter}},
			{at: "08:01"},
		}},
		{"schedule moved earlier, to a time passed", daily, func(s *config.Subscription) bool {
			s.Delivery.At = []config.ClockTime{{Hour: 7}}
			return true
		}, []step{
			{at: "07:30", digests: [][]string{held}},
			{at: "08:01"}, {at: "12:01"},
		}},
		{"schedule moved later", daily, func(s *config.Subscription) bool {
			s.Delivery.At = []config.ClockTime{{Hour: 12}}
			return true
		}, []step{
			{at: "07:30"}, {at: "08:01"},
			{at: "12:01", digests: [][]string{withAfter}},
		}},
		{"time zone moved", daily, func(s *config.Subscription) bool {
			s.Delivery.Location = berlin // 08:00 there is 07:00 UTC
			return true
		}, []step{
			{at: "06:30"},
			{at: "07:01", digests: [][]string{withAfter}},
			{at: "08:01"},
		}},
		{"quiet hours shortened", quiet, func(s *config.Subscription) bool {
			s.Delivery.QuietHours = &config.TimeWindow{End: config.ClockTime{Hour: 7}}
			return true
		}, []step{
			{at: "06:30"},
			{at: "07:01", digests: [][]string{withAfter}},
			{at: "08:01"},
		}},
		{"removed", daily, func(*config.Subscription) bool { return false }, []step{
			{at: "07:30"},
			{at: "08:01", digests: [][]string{held}},
			{at: "12:01"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: tt.from})
			h.clock = time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
			h.afterFirstSight()
			svc, _ := h.openAndRunOnce()
			var items []testItem
			for i := range 3 {
				items = append(items, item(10+i, fmt.Sprintf("Aleppo story %d", i), h.clock))
			}
			h.write("wire.xml", items...)
			runOnce := func() {
				t.Helper()
				if _, err := svc.RunOnce(context.Background()); err != nil {
					t.Fatalf("RunOnce: %v", err)
				}
			}
			runOnce()
			read := 0
			if got := h.rec.since(&read); len(got) != 0 {
				t.Fatalf("at 06:00: %d messages, want none", len(got))
			}

			next := *h.cfg
			next.Subscriptions = slices.Clone(h.cfg.Subscriptions)
			if !tt.edit(&next.Subscriptions[0]) {
				next.Subscriptions = nil
			}
			for i, st := range tt.steps {
				at, err := time.Parse("15:04", st.at)
				if err != nil {
					t.Fatal(err)
				}
				h.clock = time.Date(2026, 12, 2, at.Hour(), at.Minute(), 0, 0, time.UTC)
				if i == 0 {
					before := svc.live.catalog()
					if err := svc.Reload(context.Background(), &next); err != nil {
						t.Fatal(err)
					}
					if n := svc.replans.afterReload(context.Background(), before, svc.live.catalog()); n != 0 {
						t.Errorf("the same reload again (another instance): %d alerts moved, want 0", n)
					}
					h.write("wire.xml", append(items, item(20, after, h.clock))...)
				}
				runOnce()
				runOnce()
				wantSent(t, st.at, h.rec.since(&read), st.instant, st.digests)
			}
		})
	}
}
