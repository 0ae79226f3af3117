package bot

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
)

// storiesLeaseBlock keeps svc's instance from taking the stories lease
// on the shared store at dsn until the returned func is called.
type storiesLeaseBlock func(t *testing.T, svc *Service, dsn string) (unblock func())

// otherInstance is the owner that holdStoriesLeaseElsewhere takes the
// lease for.
const otherInstance = "newsroom-2/4242/feedbeef"

// holdStoriesLeaseElsewhere has another live instance hold the stories
// lease (for an hour: renewed, as far as this instance can tell).
func holdStoriesLeaseElsewhere(t *testing.T, svc *Service, _ string) func() {
	t.Helper()
	l := svc.store.(store.Leaser)
	if got, err := l.Lease(context.Background(), storiesLease, otherInstance, time.Hour); err != nil || !got {
		t.Fatalf("taking the stories lease for another instance: %v, %v", got, err)
	}
	return func() {
		if err := l.Release(context.Background(), storiesLease, otherInstance); err != nil {
			t.Fatal(err)
		}
	}
}

// refusedLease is what PostgreSQL answers failTakingStoriesLease's takes.
const refusedLease = "the stories lease is refused by a trigger"

// failTakingStoriesLease makes PostgreSQL refuse, with an error, every
// take of the stories lease (and of no other lease) in dsn's schema.
func failTakingStoriesLease(t *testing.T, _ *Service, dsn string) func() {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, q := range []string{
		`CREATE FUNCTION refuse_stories_lease() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.name = 'stories' THEN RAISE EXCEPTION '` + refusedLease + `'; END IF;
			RETURN NEW;
		END $$`,
		`CREATE TRIGGER refuse_stories_lease BEFORE INSERT ON leases FOR EACH ROW EXECUTE FUNCTION refuse_stories_lease()`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		if _, err := db.Exec(`DROP TRIGGER refuse_stories_lease ON leases`); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStoriesLeaseGiveUpSaysWhy: lockStories' give-up said "another
// instance holds it, or taking it fails" whichever it was. It names the
// instance holding the lease (a wait, no failure of the store), or gives
// the store's error (a failure of the store).
func TestStoriesLeaseGiveUpSaysWhy(t *testing.T) {
	cases := []struct {
		name      string
		block     storiesLeaseBlock
		want      string
		wantWaits bool
	}{
		{"another instance holds it", holdStoriesLeaseElsewhere, `another instance holds it: "` + otherInstance + `"`, true},
		{"taking it fails", failTakingStoriesLease, refusedLease, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dsn := pgtest.Schema(t)
			svc, _ := pollingInstance(t, dsn, time.Second, slog.New(slog.NewTextHandler(io.Discard, nil)))
			tc.block(t, svc, dsn)

			unlock, err := svc.poller.commits.lockStories(context.Background())
			if err == nil {
				unlock()
				t.Fatal("lockStories took the lease")
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), " or ") {
				t.Errorf("lockStories: %v\nwant it to say %q, and not which it may be", err, tc.want)
			}
			if got := errors.Is(err, errStoriesLeaseNotTaken); got != tc.wantWaits {
				t.Errorf("errors.Is(err, errStoriesLeaseNotTaken) = %v, want %v (a wait, not a failure of the store)", got, tc.wantWaits)
			}
		})
	}
}
