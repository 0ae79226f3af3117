package bot

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/newshound/newshound/store"
)

// lateGiveBacks is a PostgreSQL store whose network holds up the
// give-backs while hold is set: the caller hears nothing, as when its
// deadline ends, and the database runs the give-back when the test
// calls it from late. While lose is set, the answer of a take the
// database granted is lost (lostGrants).
type lateGiveBacks struct {
	store.Leaser
	hold, lose bool
	late       chan func()
}

func (s *lateGiveBacks) Lease(ctx context.Context, name, owner string, take int64, ttl time.Duration) (bool, error) {
	if s.lose {
		return lostGrants{s.Leaser}.Lease(ctx, name, owner, take, ttl)
	}
	return s.Leaser.Lease(ctx, name, owner, take, ttl)
}

func (s *lateGiveBacks) Release(ctx context.Context, name, owner string, take int64) error {
	if !s.hold {
		return s.Leaser.Release(ctx, name, owner, take)
	}
	s.late <- func() {
		if err := s.Leaser.Release(context.Background(), name, owner, take); err != nil {
			panic(err)
		}
	}
	return context.DeadlineExceeded
}

// TestALateGiveBackLeavesANewerTakeAlone: a give-back of a lease (a
// release, or that of a take cut short) that the database runs late,
// after another worker of this process took the lease anew under the
// same owner, deleted that new take, as the give-back named the owner
// alone: another instance then took the lease while this one worked
// under it. A give-back deletes only the take it gives back.
func TestALateGiveBackLeavesANewerTakeAlone(t *testing.T) {
	const name = "feed:wire"
	tests := []struct {
		name string
		// giveBack makes the give-back the database runs late
		giveBack func(t *testing.T, l *leases, s *lateGiveBacks)
	}{
		{"a release", func(t *testing.T, l *leases, s *lateGiveBacks) {
			if took, err := l.tryTake(context.Background(), name); !took || err != nil {
				t.Fatalf("the first take: %v, %v; want the lease", took, err)
			}
			s.hold = true
			l.release(context.Background(), name)
		}},
		{"the give-back of a take a shutdown cut short", func(t *testing.T, l *leases, s *lateGiveBacks) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			s.lose, s.hold = true, true
			if took, err := l.tryTake(ctx, name); took || err == nil {
				t.Fatalf("the take cut short: %v, %v; want it cut", took, err)
			}
			s.lose = false
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			pg := openSchema(t)
			s := &lateGiveBacks{Leaser: pg, late: make(chan func(), 1)}
			l := leasesOf(s, "me", time.Minute, slog.New(slog.NewTextHandler(io.Discard, nil)))
			tt.giveBack(t, l, s)
			s.hold = false
			if took, err := l.tryTake(ctx, name); !took || err != nil {
				t.Fatalf("a sibling worker's take: %v, %v; want the lease", took, err)
			}
			select {
			case giveBack := <-s.late: // sent before the give-back returned
				giveBack() // the database runs it now
			default:
				t.Fatal("nothing was given back")
			}
			if !l.holds(name) {
				t.Fatal("the sibling's take is not held")
			}
			if got, err := pg.Lease(ctx, name, "other", 1, time.Minute); got || err != nil {
				t.Errorf("another instance's take while this one holds the lease: %v, %v; want false (the late give-back deleted the sibling's take)", got, err)
			}
		})
	}
}

// lateTakes is a PostgreSQL store whose network holds up the takes while
// hold is set: the caller's context ends before an answer, and the
// database runs the take when the test calls it from late.
type lateTakes struct {
	store.Leaser
	hold bool
	late chan func()
}

func (s *lateTakes) Lease(ctx context.Context, name, owner string, take int64, ttl time.Duration) (bool, error) {
	if !s.hold {
		return s.Leaser.Lease(ctx, name, owner, take, ttl)
	}
	s.late <- func() {
		if _, err := s.Leaser.Lease(context.Background(), name, owner, take, ttl); err != nil {
			panic(err)
		}
	}
	<-ctx.Done()
	return false, ctx.Err()
}

// TestALateTakeLeavesTheLeaseToTheGiveBackOfTheTakeAfter: a take cut
// short (the end of lockStories' budget, callTimeout) that the database
// runs late, after the next try of the same worker took the lease,
// wrote its own number over that try's: the give-back of the take that
// held the lease then deleted nothing, and the other instances waited
// the ttl for a lease no one used. A late take leaves a later take's
// number alone.
func TestALateTakeLeavesTheLeaseToTheGiveBackOfTheTakeAfter(t *testing.T) {
	const name = "stories"
	ctx := context.Background()
	pg := openSchema(t)
	s := &lateTakes{Leaser: pg, late: make(chan func(), 1)}
	l := leasesOf(s, "me", time.Minute, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.hold = true
	budget, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if took, err := l.tryTake(budget, name); took || err == nil {
		t.Fatalf("the take cut short: %v, %v; want it cut", took, err)
	}
	s.hold = false
	if took, err := l.tryTake(ctx, name); !took || err != nil {
		t.Fatalf("the next try: %v, %v; want the lease", took, err)
	}
	select {
	case take := <-s.late:
		take() // the database runs the first take now
	default:
		t.Fatal("the first take never reached the store")
	}
	l.release(ctx, name)
	if got, err := pg.Lease(ctx, name, "other", 1, time.Minute); !got || err != nil {
		t.Errorf("another instance's take once this one gave the lease back: %v, %v; want true (the late take's number kept the row from the give-back)", got, err)
	}
}
