package bot

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
	_ "modernc.org/sqlite"
)

// runRestartSteps runs steps as `newshound run --once` processes on h's
// SQLite file, two a step; the step marked reload is the first with the
// config edit makes (false: its first subscription removed), as a
// restart after the file was edited, and every run after it.
func runRestartSteps(t *testing.T, h *harness, edit func(*config.Subscription) bool, steps []replanStep) {
	t.Helper()
	h.runOnce()
	runSteps(t, h, steps, func(next *config.Config) {
		if !edit(&next.Subscriptions[0]) {
			next.Subscriptions = next.Subscriptions[1:]
		}
		h.cfg = next
	}, func(string) { h.runOnce() })
}

// TestAlertsHeldForADigestFollowARestartWithTheirSubscriptionChanged:
// TestAlertsHeldForADigestFollowAReloadOfTheirSubscription's changes, and
// TestAReloadKeepsWhatMaxPerHourHeldCapped's, made by stopping with the
// old config and starting with the new one: what is held follows as at a
// reload, none of it lost or sent twice.
func TestAlertsHeldForADigestFollowARestartWithTheirSubscriptionChanged(t *testing.T) {
	quiet := config.Delivery{QuietHours: &config.TimeWindow{End: config.ClockTime{Hour: 8}}, Location: time.UTC}
	quietFrom := func(start int) *config.TimeWindow {
		return &config.TimeWindow{Start: config.ClockTime{Hour: start}, End: config.ClockTime{Hour: 7}}
	}
	const after = "Aleppo story after the restart"
	held := []string{"Aleppo story 2", "Aleppo story 1", "Aleppo story 0"}
	heldSteps := []replanStep{
		{at: "05:50", publish: map[string]string{"wire": "Aleppo story 0"}},
		{at: "05:55", publish: map[string]string{"wire": "Aleppo story 1"}},
		{at: "06:00", publish: map[string]string{"wire": "Aleppo story 2"}},
	}
	tests := []struct {
		name  string
		from  config.Delivery
		start string
		edit  func(*config.Subscription) bool
		steps []replanStep
	}{
		{"switched to instant", eightDaily(), "05:00", func(s *config.Subscription) bool { s.Delivery = config.Delivery{}; return true }, append(heldSteps,
			replanStep{at: "07:30", reload: true, publish: map[string]string{"other": after}, instant: []string{after}, digests: [][]string{held}},
			replanStep{at: "08:01"}, replanStep{at: "12:01"},
		)},
		{"schedule moved earlier", eightDaily(), "05:00", func(s *config.Subscription) bool {
			s.Delivery.At = []config.ClockTime{{Hour: 7}}
			return true
		}, append(heldSteps,
			replanStep{at: "06:30", reload: true, publish: map[string]string{"other": after}},
			replanStep{at: "07:01", digests: [][]string{append([]string{after}, held...)}},
			replanStep{at: "08:01"},
		)},
		{"quiet hours shortened", quiet, "05:00", func(s *config.Subscription) bool {
			s.Delivery.QuietHours = &config.TimeWindow{End: config.ClockTime{Hour: 7}}
			return true
		}, append(heldSteps,
			replanStep{at: "06:30", reload: true, publish: map[string]string{"other": after}},
			replanStep{at: "07:01", digests: [][]string{append([]string{after}, held...)}},
			replanStep{at: "08:01"},
		)},
		{"removed", eightDaily(), "05:00", func(*config.Subscription) bool { return false }, append(heldSteps,
			replanStep{at: "07:30", reload: true},
			replanStep{at: "08:01", digests: [][]string{held}},
			replanStep{at: "12:01"},
		)},
		{"max_per_hour kept", config.Delivery{MaxPerHour: 1, QuietHours: quietFrom(22), Location: time.UTC}, "21:00", func(s *config.Subscription) bool {
			s.Delivery.QuietHours = quietFrom(23)
			return true
		}, []replanStep{
			{at: "21:20", publish: map[string]string{"wire": "Aleppo story 0"}, instant: []string{"Aleppo story 0"}},
			{at: "21:30", publish: map[string]string{"wire": "Aleppo story 1"}},
			{at: "21:45", reload: true},
			{at: "22:01", digests: [][]string{{"Aleppo story 1"}}},
			{at: "23:30"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: tt.from})
			h.setClock(tt.start)
			runRestartSteps(t, h, tt.edit, tt.steps)
		})
	}
}

// TestAReplanOwedAtTheStopIsMadeAtTheStart: a reload at 07:30 switches an
// 08:00 digest subscription to instant and cannot re-plan what it holds;
// newshound is stopped before a retry makes it. Started at 07:31 with that
// config, it sends what was held then, not at 08:00.
func TestAReplanOwedAtTheStopIsMadeAtTheStart(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: eightDaily()})
	h.setClock("06:00")
	h.afterFirstSight()
	r := newRefusingReplans(t, h, io.Discard)
	h.write("wire.xml", item(10, "Aleppo story 0", h.clock))
	r.runTwice(t, "06:00")
	h.setClock("07:30")
	r.refused.refuse.Store(true)
	r.reload(t, config.Delivery{})
	if got := r.runTwice(t, "07:30"); len(got) != 0 {
		t.Fatalf("at 07:30, the re-plan refused: %d messages, want none", len(got))
	}

	if err := r.refused.Store.Close(); err != nil { // stopped
		t.Fatal(err)
	}
	h.setClock("07:31")
	h.cfg.Subscriptions[0].Delivery = config.Delivery{}
	h.runOnce()
	wantSent(t, "07:31", h.rec.since(&r.read), nil, [][]string{{"Aleppo story 0"}})
	h.setClock("08:01")
	h.runOnce()
	wantSent(t, "08:01", h.rec.since(&r.read), nil, nil)
}

// TestARestartAfterTheUpgradeFollowsAChangedDelivery: a database written
// before deliveries were written down with held alerts (planned_deliveries
// and its schema step taken away) holds matches for the 08:00 digest. The
// first start after the upgrade, with the same config, keeps them for
// 08:00; a restart at 07:30 switched to instant sends them then, once.
func TestARestartAfterTheUpgradeFollowsAChangedDelivery(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: eightDaily()})
	h.setClock("06:00")
	h.afterFirstSight()
	h.write("wire.xml", item(10, "Aleppo story 0", h.clock))
	h.runOnce()
	db, err := sql.Open("sqlite", h.db)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TABLE IF EXISTS planned_deliveries`, `DELETE FROM schema_migrations WHERE version = 19`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	read := 0
	h.setClock("06:30")
	h.runOnce()
	if got := h.rec.since(&read); len(got) != 0 {
		t.Fatalf("at 06:30, the upgrade's start: %d messages, want none", len(got))
	}
	h.setClock("07:30")
	h.cfg.Subscriptions[0].Delivery = config.Delivery{}
	h.runOnce()
	wantSent(t, "07:30", h.rec.since(&read), nil, [][]string{{"Aleppo story 0"}})
	h.setClock("08:01")
	h.runOnce()
	wantSent(t, "08:01", h.rec.since(&read), nil, nil)
}

// TestInstancesStartingAtOnceWithAChangedDeliverySendOneDigest: two
// instances on one PostgreSQL store, stopped with an 08:00 digest
// subscription holding matches, start at once at 07:30 with it switched
// to instant: what was held goes out as one digest, once, then nothing
// at 08:00.
func TestInstancesStartingAtOnceWithAChangedDeliverySendOneDigest(t *testing.T) {
	h, dsn, clk, held := heldOnPostgres(t)

	clk.set(time.Date(2026, 12, 2, 7, 30, 0, 0, time.UTC))
	h.cfg.Subscriptions[0].Delivery = config.Delivery{}
	a, _ := h.openInstance(dsn, clk, h.rec, "wire")
	b, _ := h.openInstance(dsn, clk, h.rec, "wire")
	both := func() { runAtOnce(t, a, b) }
	read := 0
	h.rec.since(&read)
	both()
	both()
	wantSent(t, "07:30", h.rec.since(&read), nil, [][]string{held})
	clk.set(time.Date(2026, 12, 2, 8, 1, 0, 0, time.UTC))
	both()
	wantSent(t, "08:01", h.rec.since(&read), nil, nil)
}

// replansCounted is a store that counts its re-plans: each is made under
// the stories lease, which a start waits for (39 s at most) while another
// instance holds it.
type replansCounted struct {
	store.Store
	n *atomic.Int32
}

func (c replansCounted) ReplanDigests(ctx context.Context, plan func([]store.Alert, map[string]string) ([]store.Alert, map[string]string)) (int, error) {
	c.n.Add(1)
	return c.Store.ReplanDigests(ctx, plan)
}

// TestAStartWithNoDeliveryChangedTakesNoLease: a start, a `run --once`
// every 5 minutes, or a reload that only adds a subscription, re-plans
// nothing, and takes no lease for it, nor does one that adds back a
// subscription removed before, with another delivery (what was written
// down of it went with it); a start with a changed delivery re-plans
// once, and the runs after it do not.
func TestAStartWithNoDeliveryChangedTakesNoLease(t *testing.T) {
	type step struct {
		reload bool // else a new process's run --once
		edit   func(*config.Config)
	}
	same := func(*config.Config) {}
	addedAs := func(d config.Delivery) func(*config.Config) {
		return func(c *config.Config) {
			c.Subscriptions = append(c.Subscriptions, config.Subscription{Name: "beirut", Query: "beirut", Destination: "desk", MaxAge: 24 * time.Hour, Delivery: d})
		}
	}
	added, addedInstant := addedAs(eightDaily()), addedAs(config.Delivery{})
	removed := func(c *config.Config) { c.Subscriptions = c.Subscriptions[:1] }
	instant := func(c *config.Config) { c.Subscriptions[0].Delivery = config.Delivery{} }
	tests := []struct {
		name  string
		steps []step
		want  int
	}{
		{"run --once three times, the config unchanged", []step{{edit: same}, {edit: same}, {edit: same}}, 0},
		{"a reload that adds a subscription", []step{{edit: same}, {reload: true, edit: added}}, 0},
		{"a start that adds a subscription", []step{{edit: same}, {edit: added}, {edit: same}}, 0},
		{"a start with a changed delivery, then run --once again", []step{{edit: same}, {edit: instant}, {edit: same}, {edit: same}}, 1},
		{"starts that remove a subscription, then add it back with another delivery", []step{{edit: added}, {edit: removed}, {edit: addedInstant}}, 0},
		{"reloads that remove a subscription, then add it back with another delivery", []step{{edit: added}, {reload: true, edit: removed}, {reload: true, edit: addedInstant}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: eightDaily()})
			h.setClock("06:00")
			ctx := context.Background()
			var replans atomic.Int32
			var svc *Service
			var sqlite *store.SQLite
			t.Cleanup(func() { sqlite.Close() })
			for i, st := range tt.steps {
				next := *h.cfg
				next.Subscriptions = slices.Clone(h.cfg.Subscriptions)
				st.edit(&next)
				h.cfg = &next
				if st.reload {
					if err := svc.Reload(ctx, &next); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if sqlite != nil {
					sqlite.Close() // the process before stopped
				}
				sqlite = h.sqlite(t)
				var err error
				if svc, err = New(ctx, h.options(replansCounted{Store: sqlite, n: &replans}, h.rec, io.Discard)); err != nil {
					t.Fatal(err)
				}
				if _, err := svc.RunOnce(ctx); err != nil {
					t.Fatalf("step %d: RunOnce: %v", i, err)
				}
			}
			if got := replans.Load(); got != int32(tt.want) {
				t.Errorf("got %d re-plans (each under the stories lease), want %d", got, tt.want)
			}
		})
	}
}

// plannedUnread is a store whose PlannedDeliveries fails while fail is set.
type plannedUnread struct {
	store.Store
	fail *atomic.Bool
}

func (p plannedUnread) PlannedDeliveries(ctx context.Context) (map[string]string, error) {
	if p.fail.Load() {
		return nil, errors.New("database is locked")
	}
	return p.Store.PlannedDeliveries(ctx)
}

// TestAStartThatCouldNotReadTheDeliveriesLogsItsRetry: a start that
// cannot read the deliveries held alerts were planned under logs it
// failed; the retry that reads them logs re-planning working again, not
// subscriptions removed or given back their delivery, which none was.
func TestAStartThatCouldNotReadTheDeliveriesLogsItsRetry(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: eightDaily()})
	h.setClock("06:00")
	sqlite := h.sqlite(t)
	t.Cleanup(func() { sqlite.Close() })
	var fail atomic.Bool
	fail.Store(true)
	logs := &logBuffer{}
	svc, err := New(context.Background(), h.options(plannedUnread{Store: sqlite, fail: &fail}, h.rec, logs))
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []string{"06:00", "06:01"} {
		h.setClock(at)
		if _, err := svc.RunOnce(context.Background()); err != nil {
			t.Fatalf("at %s: RunOnce: %v", at, err)
		}
		fail.Store(false)
	}
	var got []string
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, "re-plan") {
			got = append(got, line)
		}
	}
	if len(got) != 2 || !strings.Contains(got[0], "level=ERROR") || !strings.Contains(got[1], `msg="re-planning held alerts works again"`) {
		t.Errorf("the re-plan's lines: got %q, want its failure, then \"re-planning held alerts works again\"", got)
	}
}

// TestInstancesStartingAtOnceWithDifferentDeliveriesSendWhatIsHeldOnce:
// two instances on one PostgreSQL store, stopped with an 08:00 digest
// subscription holding matches, start at once at 06:30, one with it moved
// to 07:00, the other with it as it was: whichever re-plans last, what
// was held goes out as one digest, once, at 07:00 or at 08:00.
func TestInstancesStartingAtOnceWithDifferentDeliveriesSendWhatIsHeldOnce(t *testing.T) {
	h, dsn, clk, held := heldOnPostgres(t)

	clk.set(time.Date(2026, 12, 2, 6, 30, 0, 0, time.UTC))
	b, _ := h.openInstance(dsn, clk, h.rec, "wire")
	h.cfg.Subscriptions[0].Delivery.At = []config.ClockTime{{Hour: 7}}
	a, _ := h.openInstance(dsn, clk, h.rec, "wire")
	both := func() { runAtOnce(t, a, b) }
	read := 0
	h.rec.since(&read)
	both()
	wantSent(t, "06:30", h.rec.since(&read), nil, nil)
	var sent []notify.Message
	for _, at := range []int{7, 8} {
		clk.set(time.Date(2026, 12, 2, at, 1, 0, 0, time.UTC))
		both()
		sent = append(sent, h.rec.since(&read)...)
	}
	wantSent(t, "07:01 and 08:01", sent, nil, [][]string{held})
}

// heldOnPostgres is a harness on a PostgreSQL store (dsn) on which an
// instance, stopped since, held three matches for an 08:00 digest
// subscription by clk, at 06:00: held, newest first.
func heldOnPostgres(t *testing.T) (h *harness, dsn string, clk *clock, held []string) {
	t.Helper()
	dsn = pgtest.Schema(t)
	h = newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: eightDaily()})
	clk = &clock{}
	clk.set(time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC))
	first, _ := h.openInstance(dsn, clk, h.rec, "wire")
	runAtOnce(t, first) // first sight
	for i := range 3 {
		title := fmt.Sprintf("Aleppo story %d", i)
		h.write("wire.xml", item(10+i, title, clk.now()))
		held = append([]string{title}, held...)
		runAtOnce(t, first) // held for 08:00
	}
	return h, dsn, clk, held
}

// runAtOnce runs each of svcs once, at once.
func runAtOnce(t *testing.T, svcs ...*Service) {
	var wg sync.WaitGroup
	for _, svc := range svcs {
		wg.Go(func() {
			if _, err := svc.RunOnce(context.Background()); err != nil {
				t.Errorf("RunOnce: %v", err)
			}
		})
	}
	wg.Wait()
}
