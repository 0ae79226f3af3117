package bot

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/store"
)

// TestAReloadReplansAHoldFromWhenItWasDecided: a re-plan gives a held
// alert the digest the new delivery would have held it for when its hold
// was decided, which is not always when its row was committed. Here a
// reload at 13:30 moves the end of quiet hours (13:00-15:00) to 16:00.
// A story's report enqueued at 12:59:57 to be edited into its story's
// message was held by the sender at 13:00:02, its message gone, for the
// quiet hours' digest: it waits for 16:00, not sent at once as if found
// before quiet hours.
func TestAReloadReplansAHoldFromWhenItWasDecided(t *testing.T) {
	h, rec, svc := reportHeldInQuietHours(t)
	ctx := context.Background()
	runOnce := func() {
		t.Helper()
		if _, err := svc.RunOnce(ctx); err != nil {
			t.Fatalf("RunOnce: %v", err)
		}
	}
	read := 0
	rec.since(&read)

	h.clock = time.Date(2026, 11, 21, 13, 30, 0, 0, time.UTC)
	d := h.cfg.Subscriptions[0].Delivery
	d.QuietHours = &config.TimeWindow{Start: config.ClockTime{Hour: 13}, End: config.ClockTime{Hour: 16}}
	if err := svc.Reload(ctx, h.withDelivery(d)); err != nil {
		t.Fatal(err)
	}
	for _, at := range []string{"13:30", "15:01", "16:01"} {
		hm, _ := time.Parse("15:04", at)
		h.clock = time.Date(2026, 11, 21, hm.Hour(), hm.Minute(), 0, 0, time.UTC)
		runOnce()
		runOnce()
		var want [][]string
		if at == "16:01" {
			want = [][]string{{outlets[2].title}}
		}
		wantSent(t, at, rec.since(&read), nil, want)
	}
}

// TestAReloadReplansACapsHoldCommittedAfterItsHour: a match max_per_hour
// held at 10:59:59.98 for the "also matched" digest of 11:00, its row
// committed at 11:00:00.03 (the commit's clock 50 ms on), is re-planned by
// a reload at 11:00:00.10, before the sender took it, that adds quiet
// hours from 23:00: its digest's time passed, it goes at the reload, not
// in the next hour's digest at 12:00.
func TestAReloadReplansACapsHoldCommittedAfterItsHour(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: config.Delivery{MaxPerHour: 1, Location: time.UTC}})
	h.clock = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	h.afterFirstSight()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, h.db, store.WithClock(func() time.Time { return h.clock.Add(50 * time.Millisecond) }))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, err := New(ctx, h.options(st, h.rec, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	runOnce := func() {
		t.Helper()
		if _, err := svc.RunOnce(ctx); err != nil {
			t.Fatalf("RunOnce: %v", err)
		}
	}
	read := 0
	h.clock = time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC)
	h.write("wire.xml", item(10, "Aleppo story 0", h.clock))
	runOnce()
	wantSent(t, "10:30", h.rec.since(&read), []string{"Aleppo story 0"}, nil)

	h.clock = time.Date(2026, 12, 2, 10, 59, 59, 980e6, time.UTC)
	h.write("wire.xml", item(10, "Aleppo story 0", h.clock), item(11, "Aleppo story 1", h.clock))
	svc.poller.pollAll(ctx, svc.live.catalog().Feeds(), pollEvery)
	h.clock = time.Date(2026, 12, 2, 11, 0, 0, 100e6, time.UTC)
	d := h.cfg.Subscriptions[0].Delivery
	d.QuietHours = &config.TimeWindow{Start: config.ClockTime{Hour: 23}, End: config.ClockTime{Hour: 7}}
	if err := svc.Reload(ctx, h.withDelivery(d)); err != nil {
		t.Fatal(err)
	}
	runOnce()
	wantSent(t, "11:00:00.10", h.rec.since(&read), nil, [][]string{{"Aleppo story 1"}})
	h.clock = time.Date(2026, 12, 2, 12, 1, 0, 0, time.UTC)
	runOnce()
	wantSent(t, "12:01", h.rec.since(&read), nil, nil)
}
