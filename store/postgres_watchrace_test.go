package store_test

import (
	"context"
	"database/sql"
	"errors"
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
	ctx := context.Background()
	// The hold-up: a transaction that inserted the commit's new key.
	s, w, state, db, holdUp, holdUpPID := watchRace(t, `INSERT INTO seen_items (feed_id, item_key, first_seen, last_seen) VALUES ('feed', 'k1', 0, 0)`)
	committed, commitPID := commitHeldUp(t, s, w, state, db, holdUpPID)

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

// watchRace opens a PostgreSQL store with watch w on feed "feed" (at
// https://a.example/rss), polled once (state), and begins a transaction
// of another connection to db, holdUp (backend holdUpPID), that runs
// hold, to hold up a commit or a change of the watches with.
func watchRace(t *testing.T, hold string) (s store.Store, w store.Watch, state store.FeedState, db *sql.DB, holdUp *sql.Tx, holdUpPID int) {
	t.Helper()
	pgtest.DSN(t)
	ctx := context.Background()
	dsn := pgtest.Schema(t)
	s = openPostgres(t, dsn)
	t.Cleanup(func() { s.Close() })
	w, err := s.AddWatch(ctx, store.Watch{GuildID: "g", ChannelID: "c1", FeedURL: "https://a.example/rss", Query: "aleppo"})
	if err != nil {
		t.Fatal(err)
	}
	state = store.FeedState{FeedID: "feed", URL: w.FeedURL, Initialized: true}
	if _, err := s.CommitPoll(ctx, "feed", store.Poll{State: state, Keys: []string{"k0"}}); err != nil {
		t.Fatal(err)
	}
	if db, err = sql.Open("pgx", dsn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if holdUp, err = db.BeginTx(ctx, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holdUp.Rollback() })
	if err := holdUp.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&holdUpPID); err != nil {
		t.Fatal(err)
	}
	if _, err := holdUp.ExecContext(ctx, hold); err != nil {
		t.Fatal(err)
	}
	return s, w, state, db, holdUp, holdUpPID
}

// commitResult is what a CommitPoll returned.
type commitResult struct {
	n   int
	err error
}

// commitHeldUp starts the commit of a poll of "feed" with new item k1,
// matched for watch w (the feed's only watch then), and returns where it
// will send its result, once the commit waits for backend holdUpPID, and
// the backend of the commit.
func commitHeldUp(t *testing.T, s store.Store, w store.Watch, state store.FeedState, db *sql.DB, holdUpPID int) (<-chan commitResult, int) {
	t.Helper()
	committed := make(chan commitResult, 1)
	go func() {
		a := store.Alert{Destination: "channel:c1", Subscription: store.WatchSubscription(w.ID), FeedID: "feed", ItemKey: "k1", Payload: []byte(`{}`)}
		n, err := s.CommitPoll(context.Background(), "feed", store.Poll{State: state, Keys: []string{"k1"}, Alerts: []store.Alert{a},
			WatchFeed: w.FeedURL, Watches: []store.Watch{w}})
		committed <- commitResult{n, err}
	}()
	commitPID := waitBlockedBy(t, db, holdUpPID, nil)
	if commitPID == 0 {
		r := <-committed
		t.Fatalf("CommitPoll was not held up (enqueued %d, err %v)", r.n, r.err)
	}
	return committed, commitPID
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

// TestPostgresWatchAddedDuringACommit: on a shared store a watch is added
// on a feed (AddWatch, /watch add on any instance) while another
// instance's CommitPoll of that feed, matched under its watches before the
// add, is under way. Whatever the order, the new watch may not miss the
// poll's new items: the add waits for the commit (as if made after the
// poll), or the commit sees the watch and records nothing
// (ErrWatchesEdited), for the poll to be matched again. The add locks no
// row the commit reads; only the commit's lock of the watches' version,
// which every change of the watches moves on, orders the two.
func TestPostgresWatchAddedDuringACommit(t *testing.T) {
	pgtest.DSN(t)
	ctx := context.Background()
	tests := []struct {
		name string
		// addFirst: the add's transaction has written its watch and
		// moved the version on, not committed, when the commit starts;
		// else the commit is held up past its read of the watches when
		// the add starts.
		addFirst bool
	}{
		{name: "added after the commit read the watches"},
		{name: "added before the commit read the watches, committed after", addFirst: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hold := `INSERT INTO seen_items (feed_id, item_key, first_seen, last_seen) VALUES ('feed', 'k1', 0, 0)`
			if tt.addFirst {
				hold = `INSERT INTO watches (guild_id, channel_id, feed_url, query, created_at) VALUES ('g', 'c2', 'https://a.example/rss', 'kerry', 0);
					UPDATE watches_version SET version = version + 1 WHERE id = 1`
			}
			s, w, state, db, holdUp, holdUpPID := watchRace(t, hold)
			committed, commitPID := commitHeldUp(t, s, w, state, db, holdUpPID)
			added := make(chan error, 1)
			addWaited := false
			if !tt.addFirst {
				go func() {
					_, err := s.AddWatch(ctx, store.Watch{GuildID: "g", ChannelID: "c2", FeedURL: w.FeedURL, Query: "kerry"})
					added <- err
				}()
				// Either the add waits for the commit, or (no lock) it
				// is over.
				addWaited = waitBlockedBy(t, db, commitPID, added) != 0
			}
			end := holdUp.Rollback
			if tt.addFirst {
				end = holdUp.Commit
			}
			if err := end(); err != nil {
				t.Fatal(err)
			}
			r := <-committed
			if !tt.addFirst {
				if err := <-added; err != nil {
					t.Fatalf("adding the watch: %v", err)
				}
			}
			switch {
			case errors.Is(r.err, store.ErrWatchesEdited):
				if unseen, err := s.UnseenKeys(ctx, "feed", []string{"k1"}); err != nil || len(unseen) != 1 {
					t.Errorf("unseen keys after the refused commit: %q (err %v), want k1", unseen, err)
				}
			case r.err != nil:
				t.Fatalf("CommitPoll: %v", r.err)
			case !addWaited:
				t.Errorf("CommitPoll recorded the poll (enqueued %d), matched without the watch added before it committed, want ErrWatchesEdited or the add after the commit", r.n)
			}
		})
	}
}
