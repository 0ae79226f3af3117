package bot

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
)

// replanStep is a moment of 2 December 2026 (UTC) in a re-plan's story:
// what is published then (feed name → headline), whether the reload comes
// then, and what the service sends in the two runs that follow.
type replanStep struct {
	at      string
	publish map[string]string
	reload  bool
	instant []string
	digests [][]string
}

// runReplanSteps runs steps on one service over h, the reload giving the
// first subscription edit's delivery, and reports each step whose
// messages differ from what it wants.
func runReplanSteps(t *testing.T, h *harness, edit func(*config.Delivery), steps []replanStep) {
	t.Helper()
	svc, _ := h.openAndRunOnce()
	ctx := context.Background()
	published := map[string][]testItem{}
	read := 0
	h.rec.since(&read)
	for i, st := range steps {
		at, err := time.Parse("15:04", st.at)
		if err != nil {
			t.Fatal(err)
		}
		h.clock = time.Date(2026, 12, 2, at.Hour(), at.Minute(), 0, 0, time.UTC)
		if st.reload {
			next := *h.cfg
			next.Subscriptions = slices.Clone(h.cfg.Subscriptions)
			edit(&next.Subscriptions[0].Delivery)
			if err := svc.Reload(ctx, &next); err != nil {
				t.Fatal(err)
			}
		}
		for feed, title := range st.publish {
			it := item(100+i, title, h.clock)
			it.GUID, it.Link = "urn:"+feed+":"+st.at, "https://"+feed+".example/"+st.at
			published[feed] = append(published[feed], it)
			h.write(feed+".xml", published[feed]...)
		}
		for range 2 {
			if _, err := svc.RunOnce(ctx); err != nil {
				t.Fatalf("at %s: RunOnce: %v", st.at, err)
			}
		}
		var instant []string
		msgs := h.rec.since(&read)
		for _, m := range msgs {
			if m.Digest == nil {
				instant = append(instant, messageTitles(m)...)
			}
		}
		if digests := digestTitles(msgs); !slices.Equal(instant, st.instant) || !slices.EqualFunc(digests, st.digests, slices.Equal) {
			t.Errorf("at %s: got alerts %q and digests %q, want alerts %q and digests %q", st.at, instant, digests, st.instant, st.digests)
		}
	}
}

// TestAReloadReplansHeldAlertsAsOneDigestOfWhatIsDue: what a reload's
// re-plan finds due (its new slots passed, or no hold at all) goes out at
// the reload as one digest, then the new schedule goes on.
func TestAReloadReplansHeldAlertsAsOneDigestOfWhatIsDue(t *testing.T) {
	every := func(d time.Duration) config.Delivery {
		return config.Delivery{Mode: config.Digest, Every: d, Location: time.UTC}
	}
	tests := []struct {
		name  string
		from  config.Delivery
		edit  func(*config.Delivery)
		steps []replanStep
	}{
		{"every 6h to every 1h, three slots passed", every(6 * time.Hour), func(d *config.Delivery) { *d = every(time.Hour) }, []replanStep{
			{at: "06:10", publish: map[string]string{"wire": "Aleppo story 0"}},
			{at: "07:10", publish: map[string]string{"wire": "Aleppo story 1"}},
			{at: "08:10", publish: map[string]string{"wire": "Aleppo story 2"}},
			{at: "09:30", reload: true, digests: [][]string{{"Aleppo story 2", "Aleppo story 1", "Aleppo story 0"}}},
			{at: "09:40", publish: map[string]string{"wire": "Aleppo story after the reload"}},
			{at: "10:01", digests: [][]string{{"Aleppo story after the reload"}}},
			{at: "12:01"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: tt.from})
			h.clock = time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
			h.afterFirstSight()
			runReplanSteps(t, h, tt.edit, tt.steps)
		})
	}
}

// TestAReloadKeepsWhatMaxPerHourHeldCapped: a match max_per_hour held
// at 21:30, whose "also matched" digest of 22:00 fell in quiet hours, is
// held by the cap, not by quiet hours: when a reload moves their start to
// 23:00 it goes in that digest at 22:00, not at once, past the cap.
func TestAReloadKeepsWhatMaxPerHourHeldCapped(t *testing.T) {
	quiet := func(start int) *config.TimeWindow {
		return &config.TimeWindow{Start: config.ClockTime{Hour: start}, End: config.ClockTime{Hour: 7}}
	}
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo",
		Delivery: config.Delivery{MaxPerHour: 1, QuietHours: quiet(22), Location: time.UTC}})
	h.clock = time.Date(2026, 12, 2, 21, 0, 0, 0, time.UTC)
	h.afterFirstSight()
	runReplanSteps(t, h, func(d *config.Delivery) { d.QuietHours = quiet(23) }, []replanStep{
		{at: "21:20", publish: map[string]string{"wire": "Aleppo story 0"}, instant: []string{"Aleppo story 0"}},
		{at: "21:30", publish: map[string]string{"wire": "Aleppo story 1"}},
		{at: "21:45", reload: true},
		{at: "22:01", digests: [][]string{{"Aleppo story 1"}}},
		{at: "23:30"},
	})
}
