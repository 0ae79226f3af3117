package bot

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/store"
)

// TestAReloadBeforeAnOwedReplanKeepsWhatTheDeliveryBetweenHeld: a
// subscription of instant delivery (A) is reloaded at 21:40 to B, whose
// re-plan the store refuses (owed); B decides what two matches at 21:45
// do; a reload at 21:50 to C, whose re-plan is made, must read what B
// held as held by B, not as A would have sent it (at once).
func TestAReloadBeforeAnOwedReplanKeepsWhatTheDeliveryBetweenHeld(t *testing.T) {
	quiet := func(start int) *config.TimeWindow {
		return &config.TimeWindow{Start: config.ClockTime{Hour: start}, End: config.ClockTime{Hour: 7}}
	}
	instant := config.Delivery{Location: time.UTC}
	tests := []struct {
		name    string
		b, c    config.Delivery
		instant []string   // sent at 21:45, under B
		atC     [][]string // the digests sent at the reload to C
		later   [][]string // those sent at 22:01
	}{
		{
			// B's cap holds story 1 for its "also matched" digest of 22:00,
			// which B's quiet hours push to 07:00; C keeps the cap and
			// starts quiet hours at 23:00: it goes at 22:00, not at once.
			name:    "max_per_hour's digest pushed into quiet hours, then the quiet hours moved",
			b:       config.Delivery{MaxPerHour: 1, QuietHours: quiet(22), Location: time.UTC},
			c:       config.Delivery{MaxPerHour: 1, QuietHours: quiet(23), Location: time.UTC},
			instant: []string{"Aleppo story 0"},
			later:   [][]string{{"Aleppo story 1"}},
		},
		{
			// B's quiet hours hold both; C gives back A's delivery, which
			// holds nothing: they go at the reload, not at 07:00.
			name:  "quiet hours, then the delivery before them again",
			b:     config.Delivery{QuietHours: quiet(21), Location: time.UTC},
			c:     instant,
			atC:   [][]string{{"Aleppo story 1", "Aleppo story 0"}},
			later: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, r := heldWhileReplanOwed(t, tt.b, tt.instant)
			h.setClock("21:50")
			r.refused.refuse.Store(false)
			r.reload(t, tt.c)
			wantSent(t, "21:50, the reload to C", r.runTwice(t, "21:50"), nil, tt.atC)
			h.setClock("22:01")
			wantSent(t, "22:01", r.runTwice(t, "22:01"), nil, tt.later)
		})
	}
}

// TestAStopBeforeAnOwedReplanKeepsWhatTheDeliveryBetweenHeld: as
// TestAReloadBeforeAnOwedReplanKeepsWhatTheDeliveryBetweenHeld's case of
// the delivery before given back, but newshound is stopped before the
// owed re-plan is made and started with that delivery (instant): what B's
// quiet hours held goes at the start, not at 07:00.
func TestAStopBeforeAnOwedReplanKeepsWhatTheDeliveryBetweenHeld(t *testing.T) {
	b := config.Delivery{QuietHours: &config.TimeWindow{Start: config.ClockTime{Hour: 21}, End: config.ClockTime{Hour: 7}}, Location: time.UTC}
	h, r := heldWhileReplanOwed(t, b, nil)
	if err := r.refused.Store.Close(); err != nil { // stopped
		t.Fatal(err)
	}
	h.setClock("21:50")
	h.runOnce()
	wantSent(t, "21:50, started with A", h.rec.since(&r.read), nil, [][]string{{"Aleppo story 1", "Aleppo story 0"}})
	h.setClock("22:01")
	h.runOnce()
	wantSent(t, "22:01", h.rec.since(&r.read), nil, nil)
}

// heldWhileReplanOwed runs a subscription of instant delivery (A) to a
// reload at 21:40 to b, whose re-plan the store refuses, and two matches
// at 21:45, of which b sends instant.
func heldWhileReplanOwed(t *testing.T, b config.Delivery, instant []string) (*harness, *refusingReplans) {
	t.Helper()
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: config.Delivery{Location: time.UTC}})
	h.clock = time.Date(2026, 12, 2, 21, 0, 0, 0, time.UTC)
	h.afterFirstSight()
	r := newRefusingReplans(t, h, io.Discard)
	r.runTwice(t, "21:00")
	h.setClock("21:40")
	r.refused.refuse.Store(true)
	r.reload(t, b)
	h.setClock("21:45")
	h.write("wire.xml", item(10, "Aleppo story 0", h.clock), item(11, "Aleppo story 1", h.clock.Add(time.Second)))
	wantSent(t, "21:45, under B", r.runTwice(t, "21:45"), instant, nil)
	return h, r
}

// TestAReloadAfterAStartsFailedReplanKeepsWhatWasWrittenDown: as
// TestAReloadBeforeAnOwedReplanKeepsWhatTheDeliveryBetweenHeld's case of
// the cap, but newshound is stopped before the owed re-plan is made and
// started at 21:50 with the cap alone (D), whose re-plan fails too; a
// reload at 21:52 to C must read what B's cap held as held by it, as the
// deliveries written down say, not as D would have held it: story 1 goes
// in the 22:00 "also matched" digest, not at once, past the cap.
func TestAReloadAfterAStartsFailedReplanKeepsWhatWasWrittenDown(t *testing.T) {
	quiet := func(start int) *config.TimeWindow {
		return &config.TimeWindow{Start: config.ClockTime{Hour: start}, End: config.ClockTime{Hour: 7}}
	}
	b := config.Delivery{MaxPerHour: 1, QuietHours: quiet(22), Location: time.UTC}
	h, r := heldWhileReplanOwed(t, b, []string{"Aleppo story 0"})
	if err := r.refused.Store.Close(); err != nil { // stopped
		t.Fatal(err)
	}
	h.setClock("21:50")
	h.cfg.Subscriptions[0].Delivery = config.Delivery{MaxPerHour: 1, Location: time.UTC}
	started := newRefusingReplans(t, h, io.Discard)
	started.read = r.read
	started.refused.refuse.Store(true)
	wantSent(t, "21:50, started with D", started.runTwice(t, "21:50"), nil, nil)
	h.setClock("21:52")
	started.refused.refuse.Store(false)
	started.reload(t, config.Delivery{MaxPerHour: 1, QuietHours: quiet(23), Location: time.UTC})
	wantSent(t, "21:52, the reload to C", started.runTwice(t, "21:52"), nil, nil)
	h.setClock("22:01")
	wantSent(t, "22:01", started.runTwice(t, "22:01"), nil, [][]string{{"Aleppo story 1"}})
}

// replanCutByStop is a store whose ReplanDigests is cut short by a
// shutdown, as the stories lease's wait is when newshound is stopped.
type replanCutByStop struct {
	store.Store
	stop context.CancelFunc
}

func (s replanCutByStop) ReplanDigests(ctx context.Context, _ func([]store.Alert, map[string]string) ([]store.Alert, map[string]string)) (int, error) {
	s.stop()
	return 0, ctx.Err()
}

// TestAReplanCutByTheStopWritesDownWhatIsOwed: a reload from instant (A)
// to quiet hours (B) whose re-plan a shutdown cuts short owes it; both
// deliveries must be written down for the start after the stop, which
// reads rows B held meanwhile by them (as
// TestAStopBeforeAnOwedReplanKeepsWhatTheDeliveryBetweenHeld's), though
// the context that cut it is done.
func TestAReplanCutByTheStopWritesDownWhatIsOwed(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: config.Delivery{Location: time.UTC}})
	h.clock = time.Date(2026, 12, 2, 21, 0, 0, 0, time.UTC)
	h.afterFirstSight()
	st := h.sqlite(t)
	t.Cleanup(func() { st.Close() })
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	svc, err := New(context.Background(), h.options(replanCutByStop{Store: st, stop: stop}, h.rec, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	id := configSubID("aleppo")
	delivery := func() string {
		sub, _ := svc.live.catalog().Subscription(id)
		return deliveryText(sub.Delivery)
	}
	a := delivery()
	d := h.cfg.Subscriptions[0].Delivery
	d.QuietHours = &config.TimeWindow{Start: config.ClockTime{Hour: 21}, End: config.ClockTime{Hour: 7}}
	_ = svc.Reload(ctx, h.withDelivery(d)) // cut short by the stop: its error is the stop's
	b := delivery()
	planned, err := st.PlannedDeliveries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := planned[id], "["+a+","+b+"]"; got != want {
		t.Errorf("written down for %s after the stop: got %s, want %s", id, got, want)
	}
}
