package bot

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/store"
)

// fillDisk makes every write to the SQLite database at path fail as a full
// disk fails it (triggers that abort every insert, update and delete of
// every table), whatever the store writes; the returned func makes room.
func fillDisk(t *testing.T, path string) (makeRoom func()) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	var triggers []string
	for _, table := range tables {
		for _, op := range []string{"INSERT", "UPDATE", "DELETE"} {
			name := fmt.Sprintf("full_%s_%s", table, strings.ToLower(op))
			if _, err := db.Exec(fmt.Sprintf(`CREATE TRIGGER %s BEFORE %s ON %s BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`, name, op, table)); err != nil {
				t.Fatal(err)
			}
			triggers = append(triggers, name)
		}
	}
	return func() {
		for _, name := range triggers {
			if _, err := db.Exec(`DROP TRIGGER ` + name); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestDiskFullForAnHourIsLoggedOnce holds README's "Quiet when healthy,
// loud when not: a store that cannot write (a full disk) pauses polling,
// backing off, and is logged once per change with a count" and "No loss"
// to a disk full for an hour, every write of every table refused (the
// store's errors as it makes them, each naming the feed whose write it
// refused), while two feeds are polled and a matching item is published
// every minute: one process polls, when its pause is over, and delivers
// every minute, as run does. The failure is logged a handful of times,
// not at each feed's poll, each line naming what failed; once there is
// room, the alert enqueued before and every item published meanwhile are
// posted, each once.
func TestDiskFullForAnHourIsLoggedOnce(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	h.afterFirstSight(item(2, "Aleppo convoy reaches the city", h.clock))
	st, err := store.OpenSQLite(context.Background(), h.db, store.WithClock(func() time.Time { return h.clock }))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var logs logBuffer
	svc, err := New(context.Background(), h.options(st, h.rec, &logs))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	svc.poller.pollAll(ctx, svc.live.catalog().Feeds(), pollNow) // enqueued while there was room
	makeRoom := fillDisk(t, h.db)
	var published []testItem
	for i := range 60 {
		h.clock = h.clock.Add(time.Minute)
		published = append([]testItem{item(100+i, fmt.Sprintf("Aleppo report number %d", i), h.clock)}, published...)
		h.write("wire.xml", published...)
		if !svc.poller.storePaused(h.clock) { // as the poll loop asks
			svc.poller.pollAll(ctx, svc.live.catalog().Feeds(), pollNow)
		}
		svc.sender.reportPass(ctx, svc.sender.deliverAll(ctx))
	}
	var bad []string
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			bad = append(bad, line)
		}
	}
	if len(bad) > 5 {
		t.Errorf("%d warnings and errors over an hour of a full disk, want a handful:\n%s", len(bad), strings.Join(bad, ""))
	}
	// The outbox is read, and its batches are written: the line names the
	// write the full disk refused, not a read.
	wantLogged(t, strings.Join(bad, ""), map[string]int{
		"writing the outbox failed": 1,
		"reading the outbox failed": 0,
	})
	makeRoom()
	h.clock = h.clock.Add(time.Minute) // past the pause
	svc.poller.pollAll(ctx, svc.live.catalog().Feeds(), pollNow)
	svc.sender.reportPass(ctx, svc.sender.deliverAll(ctx))
	got := h.rec.titles()
	if distinct := len(slices.Compact(slices.Sorted(slices.Values(got)))); len(got) != 61 || distinct != 61 {
		t.Errorf("alerts once there is room: %d, %d of them distinct, want 61 (the one before and the 60 published meanwhile), each once", len(got), distinct)
	}
	if !strings.Contains(logs.String(), "works again") {
		t.Errorf("the recovery is not logged:\n%s", logs.String())
	}
}

// TestAStoreThatCannotWritePausesPollingBackingOff: README, "A store that
// cannot write (a full disk) pauses polling, backing off": each failure in
// a row pauses polling twice as long as the one before, from a second up
// to a minute (and a fifth more at most, the jitter that spreads
// instances out), and a write that works ends the pause and the back-off.
func TestAStoreThatCannotWritePausesPollingBackingOff(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	svc, st := h.open()
	defer st.Close()
	p := svc.poller
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second,
		16 * time.Second, 32 * time.Second, time.Minute, time.Minute}
	check := func(after string, want time.Duration) {
		t.Helper()
		p.storeFailed("write", "saving feed state failed", errDiskFull, "wire")
		got := p.storeDown.pausedUntil().Sub(h.clock)
		if got < want || got > want+want/5 {
			t.Errorf("%s: polling paused for %v, want %v (to %v)", after, got, want, want+want/5)
		}
		if !p.storePaused(h.clock.Add(want - time.Millisecond)) {
			t.Errorf("%s: polling goes on before the pause of %v ends", after, want)
		}
	}
	for i, w := range want {
		check(fmt.Sprintf("failure %d in a row", i+1), w)
	}
	p.storeDown.ok()
	if p.storePaused(h.clock) {
		t.Errorf("polling paused after a write that worked")
	}
	check("a failure after a write that worked", time.Second)
}
