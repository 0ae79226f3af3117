package bot

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
)

// lostGrants is a shared store whose answer to a take that the database
// granted is lost on its way (a network that drops it, a reply that comes
// after the caller gave up): the caller hears nothing until its context
// ends. Takes the database refuses, and every other call, are answered.
type lostGrants struct{ store.Leaser }

func (s lostGrants) Lease(ctx context.Context, name, owner string, take int64, ttl time.Duration) (bool, error) {
	got, err := s.Leaser.Lease(context.WithoutCancel(ctx), name, owner, take, ttl)
	if err != nil || !got {
		return got, err
	}
	<-ctx.Done()
	return false, ctx.Err()
}

// TestALeaseTakeCutShortIsGivenBack: a take the caller stopped waiting for
// (leases.callTimeout, a shutdown, the end of lockStories' budget) may
// have been granted by the database all the same. It was left there,
// renewed by no one, so the other instances waited up to the ttl for a
// lease no one used. A take cut short is given back (Release, which takes
// nothing from another owner).
func TestALeaseTakeCutShortIsGivenBack(t *testing.T) {
	t.Parallel() // a second of real waits for the stories lease, on a schema of its own
	// callTimeout 250 ms; lockStories tries for 750 ms (2 x ttl less the
	// give-back of a try cut short).
	const ttl = 500 * time.Millisecond
	tests := []struct {
		name string
		take func(t *testing.T, l *leases, pg store.Leaser)
	}{
		{"the store did not answer within callTimeout", func(t *testing.T, l *leases, _ store.Leaser) {
			if got, err := l.tryTake(context.Background(), storiesLease); got || err == nil {
				t.Fatalf("tryTake: %v, %v; want the take failed", got, err)
			}
		}},
		{"a shutdown cut it short", func(t *testing.T, l *leases, _ store.Leaser) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if got, err := l.tryTake(ctx, storiesLease); got || err == nil {
				t.Fatalf("tryTake: %v, %v; want the take failed", got, err)
			}
		}},
		{"the end of a wait for the stories lease cut it short", func(t *testing.T, l *leases, pg store.Leaser) {
			// Another instance holds the lease, and gives it back just
			// before the wait's end: the wait's last try is granted.
			if got, err := pg.Lease(context.Background(), storiesLease, otherInstance, 1, time.Hour); err != nil || !got {
				t.Fatalf("taking the stories lease for another instance: %v, %v", got, err)
			}
			c := newCommitLock(l, time.Now, l.log)
			freed := time.AfterFunc(c.storiesBudget()-100*time.Millisecond, func() { pg.Release(context.Background(), storiesLease, otherInstance, 1) })
			defer freed.Stop()
			if _, err := c.lockStories(context.Background()); err == nil {
				t.Fatal("lockStories took the lease, want a give-up")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			pg := openSchema(t)
			l := leasesOf(lostGrants{pg}, "me", ttl, slog.New(slog.NewTextHandler(io.Discard, nil)))
			tt.take(t, l, pg)
			if got, err := pg.LeaseHolder(ctx, storiesLease); err != nil || got != "" {
				t.Errorf("after the take cut short, %q holds the stories lease (%v), want no one: the others wait up to the ttl for it", got, err)
			}
		})
	}
}

// openSchema opens a PostgreSQL schema of the test's own, closed when the
// test ends.
func openSchema(t *testing.T) *store.Postgres {
	t.Helper()
	return openShared(t, pgtest.Schema(t))
}

// openShared opens the PostgreSQL database dsn as one more instance
// sharing it would, closed when the test ends.
func openShared(t *testing.T, dsn string) *store.Postgres {
	t.Helper()
	pg, err := store.OpenPostgres(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	return pg
}

// lateGrants is a shared store whose takes reach the database late: the
// caller hears nothing until its context ends, and a take so cut short
// is run after the next give-back of its lease, which finds no row to
// delete.
type lateGrants struct {
	store.Leaser
	mu      sync.Mutex
	pending map[string]func()
}

func (s *lateGrants) Lease(ctx context.Context, name, owner string, take int64, ttl time.Duration) (bool, error) {
	<-ctx.Done()
	s.mu.Lock()
	s.pending[name] = func() { s.Leaser.Lease(context.Background(), name, owner, take, ttl) }
	s.mu.Unlock()
	return false, ctx.Err()
}

func (s *lateGrants) Release(ctx context.Context, name, owner string, take int64) error {
	err := s.Leaser.Release(ctx, name, owner, take)
	s.mu.Lock()
	late := s.pending[name]
	delete(s.pending, name)
	s.mu.Unlock()
	if late != nil {
		late()
	}
	return err
}

// TestALeaseTakeThatLandsAfterItsGiveBackIsGivenBackAtTheNextRound: a
// take cut short whose INSERT reaches the database after its give-back
// left a row renewed by no one, and the other instances waited up to the
// ttl (20 s by default) for a lease no one used. The next renewal round
// (ttl/3) gives it back again.
func TestALeaseTakeThatLandsAfterItsGiveBackIsGivenBackAtTheNextRound(t *testing.T) {
	ctx := context.Background()
	pg := openSchema(t)
	l := leasesOf(&lateGrants{Leaser: pg, pending: map[string]func(){}}, "me", time.Minute, slog.New(slog.NewTextHandler(io.Discard, nil)))
	cut, cancel := context.WithCancel(ctx)
	cancel() // a shutdown, or callTimeout: cut short either way
	if got, err := l.tryTake(cut, storiesLease); got || err == nil {
		t.Fatalf("tryTake: %v, %v; want the take failed", got, err)
	}
	if got, err := pg.LeaseHolder(ctx, storiesLease); err != nil || got != "me" {
		t.Fatalf("after the give-back, the late take: %q holds the stories lease (%v), want \"me\": the test shows nothing", got, err)
	}
	l.renewHeld(ctx)
	if got, err := pg.LeaseHolder(ctx, storiesLease); err != nil || got != "" {
		t.Errorf("after a renewal round, %q holds the stories lease (%v), want no one: the others wait up to the ttl for it", got, err)
	}
	if got, err := pg.Lease(ctx, storiesLease, otherInstance, 1, time.Minute); err != nil || !got {
		t.Errorf("another instance's take after the round: %v, %v; want it taken", got, err)
	}
}
