package bot

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
)

// TestAnOwedReplanDoesNotHoldUpPolls: while another instance holds the
// stories lease, a re-plan a reload owes waits lockStories' budget (39 s)
// at each try; the poll loop's tries, a minute apart, must not make the
// feeds due meanwhile wait with it. Its failure is logged once: the
// shutdown that cuts a try short is no failure of its own.
func TestAnOwedReplanDoesNotHoldUpPolls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: eightDaily()})
		st := h.sqlite(t)
		defer st.Close()
		h.clock = time.Now()
		logs := &logBuffer{}
		svc, err := New(context.Background(), testOptions(h.cfg, st, map[string]notify.Notifier{"desk": h.rec}, slog.New(slog.NewTextHandler(logs, nil)), time.Now))
		if err != nil {
			t.Fatal(err)
		}
		svc.leases.leaser = elsewhereLeaser{}
		ctx := context.Background()
		runOnce := func() {
			if _, err := svc.RunOnce(ctx); err != nil {
				t.Fatalf("RunOnce: %v", err)
			}
		}
		runOnce() // first sight
		h.write("wire.xml", item(10, "Aleppo story", time.Now()))
		runOnce() // held for 08:00

		svc.leases.leaser = elsewhereLeaser{held: map[string]bool{storiesLease: true}}
		next := *h.cfg
		next.Subscriptions = slices.Clone(h.cfg.Subscriptions)
		next.Subscriptions[0].Delivery = config.Delivery{}
		if err := svc.Reload(ctx, &next); err != nil {
			t.Fatal(err)
		}

		polls := loopPolls(svc, "other", 3*time.Hour+time.Minute)
		wantPolledWhenDue(t, "the other feed", polls, h.cfg.Feeds[1].Interval)
		if got := strings.Count(logs.String(), "level=ERROR"); got != 1 {
			t.Errorf("got %d errors logged, want the re-plan's failure once:\n%s", got, logs)
		}
	})
}

// replanLogSteps are the steps of TestAnOwedReplanIsLoggedOncePerState's
// cases after a reload at 07:30 (switching an 08:00 digest subscription
// to instant) whose re-plan the store refused: each at a minute, the
// store refusing or not, a reload to the delivery given or a poll.
type replanLogStep struct {
	at     time.Time
	refuse bool
	reload *config.Delivery // nil: a poll
}

// TestAnOwedReplanIsLoggedOncePerState: the lines an owed re-plan logs,
// by the service's clock.
func TestAnOwedReplanIsLoggedOncePerState(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2026, 12, 2, 7, m, 0, 0, time.UTC) }
	daily := eightDaily()
	cases := []struct {
		name  string
		steps []replanLogStep
		want  []string // lines of the log, each with what it must hold
	}{
		{
			name:  "made at the next poll",
			steps: []replanLogStep{{at: at(31)}},
			want: []string{
				`level=ERROR msg="re-planning held alerts for their subscription's new delivery failed`,
				`msg="re-planning held alerts works again" alerts=3 failures=1 failing_since=2026-12-02T07:30:00Z`,
				`msg="alerts held for a digest re-planned for their subscription's new delivery" subscriptions=1 alerts=3`,
			},
		},
		{
			name: "given back the delivery it was held by, then failing again",
			steps: []replanLogStep{
				{at: at(31), refuse: true, reload: &daily},
				{at: at(40), refuse: true, reload: &config.Delivery{}},
			},
			want: []string{
				`level=ERROR msg="re-planning held alerts for their subscription's new delivery failed`,
				`msg="held alerts owed a re-plan need none now: their subscriptions were removed or given back the delivery they were held by" failures=1 failing_since=2026-12-02T07:30:00Z`,
				`level=ERROR msg="re-planning held alerts for their subscription's new delivery failed`,
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			logs := replanLogged(t, c.steps)
			var lines []string
			for l := range strings.Lines(logs) {
				if strings.Contains(l, "re-plan") {
					lines = append(lines, l)
				}
			}
			if len(lines) != len(c.want) {
				t.Fatalf("got %d lines of the re-plan, want %d:\n%s", len(lines), len(c.want), strings.Join(lines, ""))
			}
			for i, w := range c.want {
				if !strings.Contains(lines[i], w) {
					t.Errorf("line %d: got %s want it to hold %s", i, lines[i], w)
				}
			}
		})
	}
}

// replanLogged runs the reload at 07:30 the store refuses to re-plan, then
// steps, and returns the service's log.
func replanLogged(t *testing.T, steps []replanLogStep) string {
	t.Helper()
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: eightDaily()})
	h.clock = time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	h.afterFirstSight()
	logs := &logBuffer{}
	r := newRefusingReplans(t, h, logs)
	h.write("wire.xml", item(10, "Aleppo story 0", h.clock), item(11, "Aleppo story 1", h.clock), item(12, "Aleppo story 2", h.clock))
	r.runTwice(t, "06:00")
	h.clock = time.Date(2026, 12, 2, 7, 30, 0, 0, time.UTC)
	r.refused.refuse.Store(true)
	r.reload(t, config.Delivery{})
	for _, s := range steps {
		h.clock = s.at
		r.refused.refuse.Store(s.refuse)
		if s.reload != nil {
			r.reload(t, *s.reload)
			continue
		}
		r.runTwice(t, s.at.Format("15:04"))
	}
	return logs.String()
}

// eightDaily is a digest at 08:00 UTC.
func eightDaily() config.Delivery {
	return config.Delivery{Mode: config.Digest, At: []config.ClockTime{{Hour: 8}}, Location: time.UTC}
}

// TestAnOwedReplanKeepsWhatTheNewCapHeld: a reload at 21:40 adds
// max_per_hour 1 and quiet hours from 22:00, and cannot re-plan; at 21:45
// the new cap holds a second match, its "also matched" digest of 22:00
// pushed into the quiet hours. The re-plan made at 21:46 must read that
// row as held by the cap the new delivery has, not as one the old
// delivery (no cap, no quiet hours) would have sent at once: it waits.
func TestAnOwedReplanKeepsWhatTheNewCapHeld(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: config.Delivery{Location: time.UTC}})
	h.clock = time.Date(2026, 12, 2, 21, 0, 0, 0, time.UTC)
	h.afterFirstSight()
	r := newRefusingReplans(t, h, io.Discard)
	r.runTwice(t, "21:00")
	h.clock = time.Date(2026, 12, 2, 21, 40, 0, 0, time.UTC)
	r.refused.refuse.Store(true)
	r.reload(t, config.Delivery{MaxPerHour: 1, Location: time.UTC,
		QuietHours: &config.TimeWindow{Start: config.ClockTime{Hour: 22}, End: config.ClockTime{Hour: 7}}})
	h.clock = time.Date(2026, 12, 2, 21, 45, 0, 0, time.UTC)
	h.write("wire.xml", item(10, "Aleppo story 0", h.clock), item(11, "Aleppo story 1", h.clock.Add(time.Second)))
	wantSent(t, "21:45", r.runTwice(t, "21:45"), []string{"Aleppo story 0"}, nil)
	r.refused.refuse.Store(false)
	h.clock = time.Date(2026, 12, 2, 21, 46, 0, 0, time.UTC)
	wantSent(t, "21:46, the re-plan made", r.runTwice(t, "21:46"), nil, nil)
	h.clock = time.Date(2026, 12, 3, 7, 1, 0, 0, time.UTC)
	wantSent(t, "07:01", r.runTwice(t, "07:01"), nil, [][]string{{"Aleppo story 1"}})
}
