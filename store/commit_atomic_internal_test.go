package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// refusedInsert is what a database answers failAlertInsert's insert.
const refusedInsert = "database or disk is full"

// failAlertInsert makes the database refuse, with an error, the insert of
// the alert of itemKey into the outbox, as a disk that fills up at that
// point of a commit would; the returned func lifts the refusal.
type failAlertInsert func(t *testing.T, db *sql.DB, itemKey string) func()

func sqliteRefusal(t *testing.T, db *sql.DB, itemKey string) func() {
	t.Helper()
	mustExec(t, db, fmt.Sprintf(`CREATE TRIGGER refuse_alert BEFORE INSERT ON alerts
		WHEN NEW.item_key = '%s' BEGIN SELECT RAISE(ABORT, '%s'); END`, itemKey, refusedInsert))
	return func() { mustExec(t, db, `DROP TRIGGER refuse_alert`) }
}

func postgresRefusal(t *testing.T, db *sql.DB, itemKey string) func() {
	t.Helper()
	mustExec(t, db, fmt.Sprintf(`CREATE FUNCTION refuse_alert() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.item_key = '%s' THEN RAISE EXCEPTION '%s'; END IF;
			RETURN NEW;
		END $$`, itemKey, refusedInsert))
	mustExec(t, db, `CREATE TRIGGER refuse_alert BEFORE INSERT ON alerts FOR EACH ROW EXECUTE FUNCTION refuse_alert()`)
	return func() { mustExec(t, db, `DROP TRIGGER refuse_alert ON alerts`) }
}

func mustExec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatal(err)
	}
}

// TestCommitRefusedMidwayLeavesThePollUnseen holds README's "No loss: a
// matched item is written to the outbox in the same transaction that
// marks it seen" where it matters: a commit the database refuses part way,
// after its keys are marked seen and some of its alerts are in the outbox
// (a full disk at the tenth alert of a busy wire's poll of three
// statements' worth of items). Nothing of it may stay: an item marked
// seen without its alert is never matched again, so its alert is lost.
// The next commit, which the database takes, enqueues every alert once.
func TestCommitRefusedMidwayLeavesThePollUnseen(t *testing.T) {
	cases := []struct {
		name   string
		open   func(t *testing.T) *sqlStore
		refuse failAlertInsert
	}{
		{"sqlite", func(t *testing.T) *sqlStore {
			s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "atomic.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s.sqlStore
		}, sqliteRefusal},
		{"postgres", func(t *testing.T) *sqlStore {
			s, err := OpenPostgres(context.Background(), postgresTestSchema(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s.sqlStore
		}, postgresRefusal},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			s := c.open(t)
			p := busyPoll("wire", 3*rowsPerStatement, 40)
			lift := c.refuse(t, s.w, p.Alerts[9].ItemKey)
			if n, err := s.CommitPoll(ctx, "wire", p); err == nil {
				t.Errorf("CommitPoll with the outbox refusing an insert = %d, nil; want the database's error", n)
			}
			if _, err := s.FeedState(ctx, "wire"); !errors.Is(err, ErrNotFound) {
				t.Errorf("FeedState after the refused commit: err = %v, want ErrNotFound (nothing written)", err)
			}
			unseen, err := s.UnseenKeys(ctx, "wire", p.Keys)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(unseen), len(p.Keys); got != want {
				t.Errorf("after the refused commit %d of %d keys are unseen, want all: the rest would never alert", got, want)
			}
			if got := pendingCount(t, s, "desk"); got != 0 {
				t.Errorf("after the refused commit %d alerts are pending, want 0", got)
			}

			lift()
			if n, err := s.CommitPoll(ctx, "wire", p); err != nil || n != len(p.Alerts) {
				t.Fatalf("CommitPoll once the database takes it = %d, %v; want %d, nil", n, err, len(p.Alerts))
			}
			if got, want := pendingCount(t, s, "desk"), len(p.Alerts); got != want {
				t.Errorf("pending after the commit taken: %d alerts, want %d", got, want)
			}
		})
	}
}

// busyPoll is one poll of a feed of items keys of which the first alerts
// matched, each a story of its own.
func busyPoll(feed string, items, alerts int) Poll {
	p := Poll{State: FeedState{FeedID: feed, URL: "https://example.com/" + feed, Initialized: true}}
	for i := range items {
		key := fmt.Sprintf("https://example.com/%s/item-%04d", feed, i)
		p.Keys = append(p.Keys, key)
		if i < alerts {
			p.Alerts = append(p.Alerts, Alert{
				Destination: "desk", Subscription: "aleppo", FeedID: feed, ItemKey: key,
				DedupeKeys: []string{"story:" + key}, Payload: []byte(fmt.Sprintf(`{"title":"item %d"}`, i)),
			})
		}
	}
	return p
}

func pendingCount(t *testing.T, s *sqlStore, dest string) int {
	t.Helper()
	as, err := s.PendingAlerts(context.Background(), dest, time.Now().Add(time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(as)
}
