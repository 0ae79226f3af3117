package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/store"
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
	runSteps(t, h, steps, func(next *config.Config) {
		edit(&next.Subscriptions[0].Delivery)
		if err := svc.Reload(ctx, next); err != nil {
			t.Fatal(err)
		}
	}, func(at string) {
		if _, err := svc.RunOnce(ctx); err != nil {
			t.Fatalf("at %s: RunOnce: %v", at, err)
		}
	})
}

// runSteps runs steps over h, run twice a step, change given a copy of
// h's config at the step marked reload, and reports each step whose
// messages differ from what it wants.
func runSteps(t *testing.T, h *harness, steps []replanStep, change func(next *config.Config), run func(at string)) {
	t.Helper()
	published := map[string][]testItem{}
	read := 0
	h.rec.since(&read)
	for i, st := range steps {
		h.setClock(st.at)
		if st.reload {
			next := *h.cfg
			next.Subscriptions = slices.Clone(h.cfg.Subscriptions)
			change(&next)
		}
		h.publish(i, st, published)
		run(st.at)
		run(st.at)
		wantSent(t, st.at, h.rec.since(&read), st.instant, st.digests)
	}
}

// setClock sets h's clock to at ("15:04") on 2 December 2026, UTC.
func (h *harness) setClock(at string) {
	h.t.Helper()
	t, err := time.Parse("15:04", at)
	if err != nil {
		h.t.Fatal(err)
	}
	h.clock = time.Date(2026, 12, 2, t.Hour(), t.Minute(), 0, 0, time.UTC)
}

// publish publishes st's headlines, the i-th step's, beside what each
// feed published before (published, which it extends).
func (h *harness) publish(i int, st replanStep, published map[string][]testItem) {
	for feed, title := range st.publish {
		it := item(100+i, title, h.clock)
		it.GUID, it.Link = "urn:"+feed+":"+st.at, "https://"+feed+".example/"+st.at
		published[feed] = append(published[feed], it)
		h.write(feed+".xml", published[feed]...)
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
	runReplanSteps(t, h, func(d *config.Delivery) { d.QuietHours = quiet(23) }, []replanStep{
		{at: "21:20", publish: map[string]string{"wire": "Aleppo story 0"}, instant: []string{"Aleppo story 0"}},
		{at: "21:30", publish: map[string]string{"wire": "Aleppo story 1"}},
		{at: "21:45", reload: true},
		{at: "22:01", digests: [][]string{{"Aleppo story 1"}}},
		{at: "23:30"},
	})
}

// TestAReloadReplansAJoinWithItsStory: another outlet's report found at
// 22:00:05, held in the "also matched" digest of 21:00 that holds its
// story's first report (max_per_hour 1), as the sender of instances
// sharing a store holds it while that digest waits clockSkew, goes with
// that report when a reload at 22:00:07 adds quiet hours from 23:00: in
// one digest now, not the first report now and the other at 07:00, apart
// from its story, as re-planned from its own time (the next hour's
// digest, pushed into the quiet hours).
func TestAReloadReplansAJoinWithItsStory(t *testing.T) {
	sub := kesslerSub()
	sub.Query, sub.Delivery = "kessler OR aleppo", config.Delivery{MaxPerHour: 1, Location: time.UTC}
	h, rec := storyHarness(t, sub)
	h.clock = time.Date(2026, 12, 2, 21, 0, 0, 0, time.UTC)
	svc, closeStore := h.openWith(rec)
	defer closeStore()
	ctx := context.Background()
	runOnce := func() {
		t.Helper()
		if _, err := svc.RunOnce(ctx); err != nil {
			t.Fatalf("RunOnce: %v", err)
		}
	}
	runOnce()
	at := func(hour, minute, second int) { h.clock = time.Date(2026, 12, 2, hour, minute, second, 0, time.UTC) }
	at(21, 20, 0)
	h.write("wire.xml", item(1, "Aleppo talks resume", h.clock))
	runOnce()
	at(21, 40, 0)
	h.publishReport(0) // capped: the hour's second alert
	runOnce()
	read := 0
	if got := rec.since(&read); len(got) != 1 {
		t.Fatalf("by 21:40: %d messages, want the Aleppo alert alone", len(got))
	}

	at(22, 0, 5)
	h.publishReport(1)
	svc.poller.pollAll(ctx, svc.live.catalog().Feeds(), pollEvery)
	pending, err := svc.store.PendingAlerts(ctx, "desk", h.clock, 100)
	if err != nil {
		t.Fatal(err)
	}
	if _, joins := splitJoins(pending); len(joins) != 1 {
		t.Fatalf("at 22:00:05: joins %v, want the Herald's report", joins)
	} else if _, ok := svc.sender.joinDigests(ctx, "desk", joins); !ok {
		t.Fatal("the sender failed to hold the join")
	}
	at(22, 0, 7)
	d := h.cfg.Subscriptions[0].Delivery
	d.QuietHours = &config.TimeWindow{Start: config.ClockTime{Hour: 23}, End: config.ClockTime{Hour: 7}}
	if err := svc.Reload(ctx, h.withDelivery(d)); err != nil {
		t.Fatal(err)
	}
	runOnce()
	want := [][]string{{outlets[1].title, outlets[0].title}}
	if got := digestTitles(rec.since(&read)); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("at 22:00:07: digests %q, want %q", got, want)
	}
	at(23, 30, 0)
	runOnce()
	h.clock = time.Date(2026, 12, 3, 7, 1, 0, 0, time.UTC)
	runOnce()
	if got := digestTitles(rec.since(&read)); len(got) != 0 {
		t.Errorf("by 07:01 the next day: digests %q, want none", got)
	}
}

// replanRefused is a store whose ReplanDigests fails while refuse is set,
// as a reload finds it when another instance holds the stories lease past
// its budget (lockHoldsAll's error comes the same way).
type replanRefused struct {
	store.Store
	refuse atomic.Bool
}

func (r *replanRefused) ReplanDigests(ctx context.Context, plan func([]store.Alert, map[string]string) ([]store.Alert, map[string]string)) (int, error) {
	if r.refuse.Load() {
		return 0, errors.New("waiting for the \"stories\" lease: not taken within 39s: another instance holds it")
	}
	return r.Store.ReplanDigests(ctx, plan)
}

// refusingReplans is a service over a harness's database whose store
// refuses to re-plan while refused.refuse is set.
type refusingReplans struct {
	h       *harness
	svc     *Service
	refused *replanRefused
	read    int // the messages runTwice has returned
}

// newRefusingReplans opens it, logging to logs; the store is closed when
// the test ends.
func newRefusingReplans(t *testing.T, h *harness, logs io.Writer) *refusingReplans {
	t.Helper()
	st := h.sqlite(t)
	t.Cleanup(func() { st.Close() })
	refused := &replanRefused{Store: st}
	svc, err := New(context.Background(), h.options(refused, h.rec, logs))
	if err != nil {
		t.Fatal(err)
	}
	return &refusingReplans{h: h, svc: svc, refused: refused}
}

// runTwice runs it twice (a poll, then the sends it makes due), at at,
// and returns what it sent since the last call.
func (r *refusingReplans) runTwice(t *testing.T, at string) []notify.Message {
	t.Helper()
	for range 2 {
		if _, err := r.svc.RunOnce(context.Background()); err != nil {
			t.Fatalf("at %s: RunOnce: %v", at, err)
		}
	}
	return r.h.rec.since(&r.read)
}

// reload reloads the harness's config with its first subscription's
// delivery d.
func (r *refusingReplans) reload(t *testing.T, d config.Delivery) {
	t.Helper()
	if err := r.svc.Reload(context.Background(), r.h.withDelivery(d)); err != nil {
		t.Fatal(err)
	}
}

// withDelivery is a copy of h's config whose first subscription has the
// delivery d; h's is left as it is.
func (h *harness) withDelivery(d config.Delivery) *config.Config {
	next := *h.cfg
	next.Subscriptions = slices.Clone(h.cfg.Subscriptions)
	next.Subscriptions[0].Delivery = d
	return &next
}

// TestAReplanThatFailedIsMadeLater: a reload at 07:30 that switches an
// 08:00 digest subscription to instant and cannot re-plan what it holds
// leaves it for 08:00 for the moment; once the store takes it again, the
// next poll, or the next reload (of the same config), re-plans it: it goes
// out then, not at 08:00.
func TestAReplanThatFailedIsMadeLater(t *testing.T) {
	held := []string{"Aleppo story 2", "Aleppo story 1", "Aleppo story 0"}
	for _, again := range []string{"the next poll", "the next reload"} {
		t.Run(again, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: eightDaily()})
			h.clock = time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
			h.afterFirstSight()
			r := newRefusingReplans(t, h, io.Discard)
			var items []testItem
			for i := range 3 {
				items = append(items, item(10+i, fmt.Sprintf("Aleppo story %d", i), h.clock))
			}
			h.write("wire.xml", items...)
			r.runTwice(t, "06:00")

			h.clock = time.Date(2026, 12, 2, 7, 30, 0, 0, time.UTC)
			r.refused.refuse.Store(true)
			r.reload(t, config.Delivery{})
			if got := digestTitles(r.runTwice(t, "07:30")); len(got) != 0 {
				t.Fatalf("at 07:30, the re-plan refused: digests %q, want none", got)
			}
			r.refused.refuse.Store(false)
			h.clock = time.Date(2026, 12, 2, 7, 31, 0, 0, time.UTC)
			if again == "the next reload" {
				r.reload(t, config.Delivery{})
			}
			if got, want := digestTitles(r.runTwice(t, "07:31")), [][]string{held}; !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("at 07:31, after %s: digests %q, want %q", again, got, want)
			}
		})
	}
}
