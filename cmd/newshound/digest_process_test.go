package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/fakediscord"
)

// TestDigestSentOnceAcrossKillAndRestart: matches of a daily digest wait
// in the outbox; newshound is SIGKILLed while they wait and is down at the
// digest time; the next process sends the digest on start and is killed
// while Discord has created the message but its answer is lost; the
// process after that finishes the send. The channel shows one digest with
// every story.
func TestDigestSentOnceAcrossKillAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts several processes")
	}
	names := []string{"f0", "f1", "f2"}
	f := newFarm(t, names...)
	dc := fakediscord.New(t)
	g := newGate(t, dc)
	dir := t.TempDir()
	db := filepath.Join(dir, "state.db")
	cfg := writeCrashConfig(t, dir, fmt.Sprintf("store:\n  path: %q", db), f, g, names)
	addDelivery(t, cfg, `{mode: digest, at: ["08:00"], timezone: Europe/Berlin}`)

	first := startNewshound(t, "run", "--once", "--config", cfg) // first sight
	<-first.done
	if !first.exitOK {
		t.Fatalf("first run failed:\n%s", first.out)
	}
	for _, n := range names {
		f.publish(n, "x1", "Exclusive report from "+n)
	}
	makeDue(t, db)
	holding := startNewshound(t, "run", "--config", cfg)
	waitFor(t, 10*time.Second, "every story held for the digest", func() bool { return heldAlerts(t, db) == len(names) })
	holding.kill()
	if posted := dc.Messages(crashChannel); len(posted) != 0 {
		t.Fatalf("%d messages posted before the digest time, want none", len(posted))
	}

	passDigestTime(t, db) // 08:00 went by while newshound was down
	g.close()
	sending := startNewshound(t, "run", "--config", cfg)
	waitFor(t, 10*time.Second, "the digest sent on start", func() bool { return g.sendsWaiting() > 0 })
	sending.kill()
	g.open()

	restarted := startNewshound(t, "run", "--config", cfg)
	waitFor(t, 10*time.Second, "the digest's delivery recorded", func() bool { return pendingAlerts(t, db) == 0 })
	time.Sleep(500 * time.Millisecond) // a duplicate would have arrived by now
	restarted.cmd.Process.Signal(os.Interrupt)
	<-restarted.done

	msgs := dc.Messages(crashChannel)
	if len(msgs) != 1 || len(msgs[0].Embeds) != 1 {
		t.Fatalf("%d messages posted, want one digest:\n%s", len(msgs), restarted.out)
	}
	e := msgs[0].Embeds[0]
	if want := "Digest: exclusives — 3 stories since 08:00"; e.Title != want {
		t.Errorf("digest title %q, want %q", e.Title, want)
	}
	for _, n := range names {
		if !strings.Contains(e.Description, "Exclusive report from "+n) {
			t.Errorf("the digest does not list %s's story:\n%s", n, e.Description)
		}
	}
}

// addDelivery gives the config's subscription a delivery.
func addDelivery(t *testing.T, cfg, delivery string) {
	t.Helper()
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(b), "    destination: desk\n", "    destination: desk\n    delivery: "+delivery+"\n", 1)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func countAlerts(t *testing.T, db, where string) int {
	t.Helper()
	var n int
	if !readSQLite(t, db, `SELECT COUNT(*) FROM alerts WHERE `+where, &n) {
		return -1 // not created yet, or busy: ask again
	}
	return n
}

// readSQLite scans the one row of query on the SQLite file db that a
// newshound process writes, and reports whether it could: false while
// there is no such row, table or file yet, or the database is busy.
func readSQLite(t *testing.T, db, query string, dest ...any) bool {
	t.Helper()
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.QueryRow(query).Scan(dest...) == nil
}

func heldAlerts(t *testing.T, db string) int {
	return countAlerts(t, db, `hold_until > 0 AND delivered_at = 0`)
}

func pendingAlerts(t *testing.T, db string) int {
	return countAlerts(t, db, `delivered_at = 0 AND NOT dropped`)
}

// passDigestTime moves the held alerts' release into the past, as if the
// digest time had come while no process ran.
func passDigestTime(t *testing.T, db string) {
	t.Helper()
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Exec(`UPDATE alerts SET hold_until = $1 WHERE hold_until > 0`, time.Now().Add(-time.Minute).UnixMicro()); err != nil {
		t.Fatal(err)
	}
}
