package store_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
)

// TestPostgresWatchRemovedDuringACommitLeavesNoAlert: on a shared store a
// watch is removed (RemoveWatch, then DropUnwatched, as /watch remove
// does on any instance) while another instance's CommitPoll of a match
// for it is under way: past its read of the watches, held up before its
// commit (here by another transaction's insert of the same seen key,
// which it must wait for). Whatever the order, no alert of the removed
// watch may be left pending: the removal waits for the commit (whose
// alert its DropUnwatched then drops), or the commit sees the watch gone.
// The commit's read of the watches alone, without a lock, saw the watch
// as before the removal and enqueued its alert after DropUnwatched ran.
func TestPostgresWatchRemovedDuringACommitLeavesNoAlert(t *testing.T) {
	pgtest.DSN(t)
	ctx := context.Background()
	dsn := pgtest.Schema(t)
	s := openPostgres(t, dsn)
	defer s.Close()
	w, err := s.AddWatch(ctx, store.Watch{GuildID: "g", ChannelID: "c1", FeedURL: "https://a.example/rss", Query: "aleppo"})
	if err != nil {
		t.Fatal(err)
	}
	state := store.FeedState{FeedID: "feed", URL: "https://a.example/rss", Initialized: true}
	if _, err := s.CommitPoll(ctx, "feed", store.Poll{State: state, Keys: []string{"k0"}}); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The hold-up: a transaction that inserted the commit's new key.
	holdUp, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holdUp.Rollback()
	var holdUpPID int
	if err := holdUp.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&holdUpPID); err != nil {
		t.Fatal(err)
	}
	if _, err := holdUp.ExecContext(ctx, `INSERT INTO seen_items (feed_id, item_key, first_seen, last_seen) VALUES ('feed', 'k1', 0, 0)`); err != nil {
		t.Fatal(err)
	}

	type result struct {
		n   int
		err error
	}
	committed := make(chan result, 1)
	go func() {
		a := store.Alert{Destination: "channel:c1", Subscription: store.WatchSubscription(w.ID), FeedID: "feed", ItemKey: "k1", Payload: []byte(`{}`)}
		n, err := s.CommitPoll(ctx, "feed", store.Poll{State: state, Keys: []string{"k1"}, Alerts: []store.Alert{a},
			Watches: map[string]string{a.Subscription: w.Query}})
		committed <- result{n, err}
	}()
	commitPID := waitBlockedBy(t, db, holdUpPID, nil)
	if commitPID == 0 {
		r := <-committed
		t.Fatalf("CommitPoll was not held up by the insert of its key (enqueued %d, err %v)", r.n, r.err)
	}

	removed := make(chan error, 1)
	go func() {
		err := s.RemoveWatch(ctx, w.ID)
		if err == nil {
			_, err = s.DropUnwatched(ctx, "its watch was removed")
		}
		removed <- err
	}()
	// Either the removal waits for the commit, or (no lock) it is over.
	waitBlockedBy(t, db, commitPID, removed)

	if err := holdUp.Rollback(); err != nil {
		t.Fatal(err)
	}
	r := <-committed
	if r.err != nil {
		t.Fatalf("CommitPoll: %v", r.err)
	}
	if err := <-removed; err != nil {
		t.Fatalf("removing the watch: %v", err)
	}
	if got, err := s.PendingAlerts(ctx, "channel:c1", time.Now().Add(time.Hour), 0); err != nil || len(got) != 0 {
		t.Errorf("alerts of the removed watch pending: %d (err %v), want 0 (CommitPoll enqueued %d)", len(got), err, r.n)
	}
}

// waitBlockedBy waits until a backend waits for a lock that backend pid
// holds, and returns that backend's pid; it returns 0 when done is
// closed or sends first (the awaited statement ended without waiting).
func waitBlockedBy(t *testing.T, db *sql.DB, pid int, done chan error) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			done <- err // for the caller
			return 0
		default:
		}
		var blocked sql.NullInt64
		err := db.QueryRowContext(context.Background(),
			`SELECT MIN(pid) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, pid).Scan(&blocked)
		if err != nil {
			t.Fatal(err)
		}
		if blocked.Valid {
			return int(blocked.Int64)
		}
	}
	t.Fatalf("no backend waited for backend %d within 10 s", pid)
	return 0
}
