package bot

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
)

// TestReaddedFeedDoesNotPostWhatPiledUp: a feed that comes back into the
// config after being out of it is added again: what it published while it
// was not polled is its backlog, remembered and not posted, and what it
// publishes afterwards is posted (README: No flood). A feed that stays in
// the config across a restart is not "added": what it published while
// newshound was down is posted (README: No loss).
func TestReaddedFeedDoesNotPostWhatPiledUp(t *testing.T) {
	type step func(r *readdRun)
	reload := func(with bool) step {
		return func(r *readdRun) { r.reload(with) }
	}
	restart := func(with bool) step {
		return func(r *readdRun) { r.restart(with) }
	}
	tests := []struct {
		name          string
		remove, readd step
		backfill      int
		wantWhileAway []string // posted when the feed is polled again
		// wantShared, when set, is what a shared store posts instead: an
		// instance starting without a feed leaves its state alone, since
		// the others may still list it.
		wantShared []string
	}{
		{name: "re-added by reload", remove: reload(false), readd: reload(true)},
		{
			name: "re-added by reload with backfill", remove: reload(false), readd: reload(true), backfill: 1,
			wantWhileAway: []string{"Aleppo undated"}, // the newest match: an undated item is dated when first seen
		},
		{name: "removed by reload, re-added at restart", remove: reload(false), readd: restart(true)},
		{name: "removed while stopped then restarted", remove: restart(false), readd: restart(true),
			wantShared: []string{"Aleppo one", "Aleppo two", "Aleppo undated"}},
		{name: "removed while stopped, re-added by reload", remove: restart(false), readd: reload(true),
			wantShared: []string{"Aleppo one", "Aleppo two", "Aleppo undated"}},
		{
			name: "still listed across a restart", remove: restart(true), readd: restart(true),
			wantWhileAway: []string{"Aleppo one", "Aleppo two", "Aleppo undated"},
		},
		{
			name: "still listed across a reload", remove: reload(true), readd: reload(true),
			wantWhileAway: []string{"Aleppo one", "Aleppo two", "Aleppo undated"},
		},
	}
	for _, db := range []string{"sqlite", "postgres"} {
		for _, tt := range tests {
			t.Run(db+"/"+tt.name, func(t *testing.T) {
				r := newReaddRun(t, db, tt.backfill)
				now := r.h.clock
				r.h.write("wire.xml", item(1, "Unrelated", now))
				r.runOnce() // first sight of both feeds
				tt.remove(r)
				r.runOnce() // the other feed is polled; wire only if still listed
				r.h.clock = now.Add(6 * time.Hour)
				away := []testItem{
					item(1, "Unrelated", now), item(2, "Aleppo one", now.Add(time.Hour)), item(3, "Aleppo two", now.Add(2*time.Hour)),
					{GUID: "u1", Title: "Aleppo undated", Link: "https://wire.example/u1"},
				}
				r.h.write("wire.xml", away...)
				r.runOnce()
				r.h.clock = r.h.clock.Add(time.Hour)
				tt.readd(r)
				r.runOnce()
				want := tt.wantWhileAway
				if db == "postgres" && tt.wantShared != nil {
					want = tt.wantShared
				}
				if got := r.h.rec.titles(); !slices.Equal(got, want) {
					t.Errorf("posted when wire was polled again: %q, want %q", got, want)
				}
				// What the feed publishes from then on is news.
				r.h.clock = r.h.clock.Add(time.Hour)
				r.h.write("wire.xml", append(away, item(4, "Aleppo three", r.h.clock))...)
				r.runOnce()
				if got, want := r.h.rec.titles(), append(slices.Clone(want), "Aleppo three"); !slices.Equal(got, want) {
					t.Errorf("posted after wire's next item: %q, want %q", got, want)
				}
			})
		}
	}
}

// readdRun is one service at a time over the harness's feeds, on SQLite
// or on PostgreSQL, whose config lists the wire feed or not.
type readdRun struct {
	t    *testing.T
	h    *harness
	dsn  string // PostgreSQL; empty: the harness's SQLite file
	all  []config.Feed
	svc  *Service
	stop func()
}

func newReaddRun(t *testing.T, db string, backfill int) *readdRun {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Backfill: backfill})
	r := &readdRun{t: t, h: h, all: slices.Clone(h.cfg.Feeds)}
	if db == "postgres" {
		r.dsn = pgtest.Schema(t)
		h.clock = time.Now().UTC().Truncate(time.Second) // the database's clock times leases
	}
	r.restart(true)
	t.Cleanup(func() { r.stop() })
	return r
}

func (r *readdRun) config(withWire bool) *config.Config {
	cfg := *r.h.cfg
	cfg.Feeds = slices.Clone(r.all)
	if !withWire {
		cfg.Feeds = slices.DeleteFunc(cfg.Feeds, func(f config.Feed) bool { return f.Name == "wire" })
	}
	return &cfg
}

// restart stops the service, if one runs, and starts another.
func (r *readdRun) restart(withWire bool) {
	r.t.Helper()
	if r.stop != nil {
		r.stop()
	}
	ctx := context.Background()
	var st store.Store
	var err error
	if r.dsn != "" {
		st, err = store.OpenPostgres(ctx, r.dsn)
	} else {
		st, err = store.OpenSQLite(ctx, r.h.db, store.WithClock(func() time.Time { return r.h.clock }))
	}
	if err != nil {
		r.t.Fatal(err)
	}
	r.h.cfg = r.config(withWire)
	r.svc, err = New(ctx, r.h.options(st, r.h.rec, io.Discard))
	if err != nil {
		st.Close()
		r.t.Fatal(err)
	}
	r.stop = func() { st.Close() }
}

func (r *readdRun) reload(withWire bool) {
	r.t.Helper()
	r.h.cfg = r.config(withWire)
	if err := r.svc.Reload(context.Background(), r.h.cfg); err != nil {
		r.t.Fatal(err)
	}
}

func (r *readdRun) runOnce() {
	r.t.Helper()
	if _, err := r.svc.RunOnce(context.Background()); err != nil {
		r.t.Fatal(err)
	}
}

// TestFeedReaddedToARunningServiceDoesNotPostWhatPiledUp: the poll loop of
// a running service (not run --once) marks a feed a reload drops, and the
// reload that brings it back gets a first sight.
func TestFeedReaddedToARunningServiceDoesNotPostWhatPiledUp(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	now := h.clock
	h.write("wire.xml", item(1, "Unrelated", now))
	h.runOnce() // first sight of both feeds
	all := slices.Clone(h.cfg.Feeds)

	ctx := context.Background()
	clk := &clock{}
	clk.set(now)
	st, svc, halt := runService(t, h, clk)
	defer halt()
	wire := func() store.FeedState { return feedState(t, st, "wire") }
	waitUntil := func(what string, ok func() bool) {
		t.Helper()
		waitUntilState(t, what, ok, wire)
	}
	reload := func(feeds []config.Feed) {
		t.Helper()
		cfg := *h.cfg
		cfg.Feeds = feeds
		if err := svc.Reload(ctx, &cfg); err != nil {
			t.Fatal(err)
		}
	}

	reload(all[1:]) // wire is dropped
	waitUntil("the dropped feed awaits a first sight", func() bool { return awaitsFirstSight(wire()) })
	h.write("wire.xml", item(1, "Unrelated", now), item(2, "Aleppo one", now.Add(time.Hour)),
		testItem{GUID: "u1", Title: "Aleppo undated", Link: "https://wire.example/u1"})
	clk.advance(6 * time.Hour)
	reload(all) // and comes back
	waitUntil("the re-added feed is polled", func() bool { s := wire(); return s.Initialized && s.LastPolled.Equal(clk.now()) })
	halt() // deliveries in flight finish
	if got := h.rec.titles(); len(got) != 0 {
		t.Errorf("the re-added feed posted what it published while out of the config: %q", got)
	}
	if stats, err := st.OutboxStats(ctx); err != nil || len(stats) != 0 {
		t.Errorf("outbox: %+v (err %v), want nothing waiting", stats, err)
	}
}

// TestAnInstanceStartingWithoutAFeedLeavesItAlone: on a shared store, an
// instance whose config lacks a feed the others list (a rolling config
// change) does not make that feed await a first sight: the others' next
// poll of it posts what it published.
func TestAnInstanceStartingWithoutAFeedLeavesItAlone(t *testing.T) {
	dsn := pgtest.Schema(t)
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	h.clock = time.Now().UTC().Truncate(time.Second)
	ctx := context.Background()
	open := func(withWire bool) (*Service, func()) {
		st, err := store.OpenPostgres(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		cfg := *h.cfg
		cfg.Feeds = slices.Clone(h.cfg.Feeds)
		if !withWire {
			cfg.Feeds = slices.DeleteFunc(cfg.Feeds, func(f config.Feed) bool { return f.Name == "wire" })
		}
		o := h.options(st, h.rec, io.Discard)
		o.Config = &cfg
		svc, err := New(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		return svc, func() { st.Close() }
	}
	a, closeA := open(true)
	defer closeA()
	if _, err := a.RunOnce(ctx); err != nil { // first sight
		t.Fatal(err)
	}
	h.clock = h.clock.Add(11 * time.Minute)
	h.write("wire.xml", item(1, "Aleppo ceasefire holds", h.clock.Add(-time.Minute)))
	b, closeB := open(false) // another instance, without wire
	defer closeB()
	if _, err := b.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	h.wantTitles("Aleppo ceasefire holds")
}

// runService runs h's service on the harness's SQLite file, on clk, until
// halt (which the caller defers) stops it and checks what Run returned.
// Its poll loop looks at clk every 20 ms, not every second (pollTick),
// so that a move of clk takes effect at once.
func runService(t *testing.T, h *harness, clk *clock, prepare ...func(*Service)) (st *store.SQLite, svc *Service, halt func()) {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, h.db, store.WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err = New(ctx, testOptions(h.cfg, st, map[string]notify.Notifier{"desk": h.rec}, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.now))
	if err != nil {
		t.Fatal(err)
	}
	svc.poller.tick = 20 * time.Millisecond
	for _, f := range prepare {
		f(svc)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- svc.Run(runCtx) }()
	var once sync.Once
	return st, svc, func() {
		once.Do(func() {
			stop()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
}

// feedState is the stored state of feed id.
func feedState(t *testing.T, st store.Store, id string) store.FeedState {
	t.Helper()
	s, err := st.FeedState(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitUntilState waits for ok, every 10 ms, and fails the test with the
// feed's state after 30 s: a loaded CI machine (two cores, -race) may take
// seconds, and the wait ends as soon as ok holds.
func waitUntilState(t *testing.T, what string, ok func() bool, state func() store.FeedState) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting until %s: state %+v", what, state())
		}
	}
}
