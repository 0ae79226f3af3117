package bot

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/newshound/newshound/config"
)

// stuckLeaser is a store that does not answer (a network partition
// without a reset, a locked row): its takes, or its answers of who holds
// a lease, return only once the caller's context ends. A take it answers,
// after answerAfter, finds the lease held by another instance.
type stuckLeaser struct {
	takes, holder bool // which calls hang
	answerAfter   time.Duration
	asked         atomic.Int64 // the questions of who holds a lease
}

func (s *stuckLeaser) Lease(ctx context.Context, name, owner string, take int64, ttl time.Duration) (bool, error) {
	var answer <-chan time.Time
	if !s.takes {
		answer = time.After(s.answerAfter)
	}
	select {
	case <-answer:
		return false, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

func (s *stuckLeaser) RenewLeases(ctx context.Context, names []string, owner string, ttl time.Duration) ([]string, error) {
	return renewEach(ctx, s.Lease, names, owner, ttl)
}

// Release hangs as takes do: what gives back a take cut short waits too.
func (s *stuckLeaser) Release(ctx context.Context, name, owner string, take int64) error {
	if s.takes {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func (s *stuckLeaser) LeaseHolder(ctx context.Context, name string) (string, error) {
	s.asked.Add(1)
	if s.holder {
		<-ctx.Done()
		return "", ctx.Err()
	}
	return "another", nil
}

// TestStoriesLeaseGiveUpIsBoundedByAStoreThatHangs: lockStories gives up
// after 2 x ttl, whether the store answers or not. Each try to take the
// lease, and the give-up's question of who holds it, ran on the caller's
// context, which has no deadline for a poll or a destination: a store
// that hung made the give-up wait as long as the hang. A try the store
// does not answer within callTimeout fails, a failure of the store.
func TestStoriesLeaseGiveUpIsBoundedByAStoreThatHangs(t *testing.T) {
	const ttl = 20 * time.Second // the default
	const hang = 10 * time.Minute
	tests := []struct {
		name      string
		leaser    *stuckLeaser
		wantWait  bool // errStoriesLeaseNotTaken (else a failure of the store)
		wantAtMax time.Duration
	}{
		{"takes hang", &stuckLeaser{takes: true}, false, 2*ttl + 6*time.Second},
		{"who holds the lease hangs", &stuckLeaser{holder: true}, true, 2*ttl + 6*time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := slog.New(slog.NewTextHandler(io.Discard, nil))
				l := leasesOf(tt.leaser, "me", ttl, log)
				c := newCommitLock(l, time.Now, log)
				ctx, cancel := context.WithTimeout(context.Background(), hang)
				defer cancel()
				start := time.Now()
				_, err := c.lockStories(ctx)
				took := time.Since(start)
				if took > tt.wantAtMax {
					t.Errorf("lockStories gave up after %v, want at most %v (2 x ttl %v)", took, tt.wantAtMax, ttl)
				}
				switch {
				case err == nil || ctx.Err() != nil:
					t.Errorf("lockStories: %v (the caller's context: %v), want a give-up before the caller's context ends", err, ctx.Err())
				case errors.Is(err, errStoriesLeaseNotTaken) != tt.wantWait:
					t.Errorf("lockStories: %v, want a wait for another instance: %v", err, tt.wantWait)
				}
			})
		})
	}
}

// TestALeaseRenewalIsBoundedByAStoreThatHangs: a renewal the store does
// not answer ends within callTimeout, before the lease it renews runs
// out.
func TestALeaseRenewalIsBoundedByAStoreThatHangs(t *testing.T) {
	const ttl = 20 * time.Second
	synctest.Test(t, func(t *testing.T) {
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		l := leasesOf(&stuckLeaser{takes: true}, "me", ttl, log)
		l.held["outbox:desk"] = heldLease{until: time.Now().Add(ttl)}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		start := time.Now()
		l.renewHeld(ctx)
		if took, want := time.Since(start), ttl/2; took > want {
			t.Errorf("a renewal the store did not answer took %v, want at most %v", took, want)
		}
	})
}

// TestALeaseTakeTheStoreDoesNotAnswerFailsWithin5s: README, "a feed's
// lease the database fails to give, or does not give within 5 seconds,
// is a failure of the store", and so is a destination's outbox lease:
// with the default ttl (20 s) a take the store does not answer fails
// after 5 s, saying so, and the take is given back within a second more.
func TestALeaseTakeTheStoreDoesNotAnswerFailsWithin5s(t *testing.T) {
	ttl := config.Default().Service.LeaseTTL
	for _, name := range []string{"feed:wire", outboxLease("desk")} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := slog.New(slog.NewTextHandler(io.Discard, nil))
				l := leasesOf(&stuckLeaser{takes: true}, "me", ttl, log)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
				defer cancel()
				start := time.Now()
				got, err := l.tryTake(ctx, name)
				took := time.Since(start)
				if got || err == nil || ctx.Err() != nil {
					t.Fatalf("take: got %v, %v (the caller's context: %v), want a failure before the caller's context ends", got, err, ctx.Err())
				}
				if want := "the store did not answer within 5s"; !strings.Contains(err.Error(), want) {
					t.Errorf("take: got %q, want it to say %q", err, want)
				}
				if want := 5*time.Second + time.Second; took > want {
					t.Errorf("the take and its give-back took %v, want at most %v", took, want)
				}
			})
		})
	}
}
