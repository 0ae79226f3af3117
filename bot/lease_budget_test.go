package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestStoriesLeaseGivesUpAtTwiceItsTTL: README promises that a wait for
// the stories lease gives up after twice the lease's ttl. Each try, and
// the give-up's question of who holds the lease, was bounded by
// leases.callTimeout alone: a try in flight when the budget ran out, and
// the question after it, each added up to callTimeout (5 s), and a give-up
// came up to 50 s after the wait began, and a worker queued behind, which
// waited for the lease while the one ahead asked who holds it, 45 s
// after. Both are bounded by the time left in the budget. A wait gives
// up at 2 x ttl, not before: its last try was made a fortieth of the
// budget before its end, to leave the question that time, and the wait
// gave up once the store answered it, a second early. The give-back of
// a last try that the end of the tries cut short (a store that hangs)
// came a second after 2 x ttl; the tries end that second before it
// (maxCutRelease), so that the give-up comes at 2 x ttl at the latest,
// and not before the tries end.
func TestStoriesLeaseGivesUpAtTwiceItsTTL(t *testing.T) {
	const ttl = 20 * time.Second // the default: callTimeout 5 s
	tests := []struct {
		name     string
		leaser   *stuckLeaser
		queued   bool // the wait measured is a worker's queued behind another's
		wantWait bool // errStoriesLeaseNotTaken, else a failure of the store
		// wantNamed: the give-up names the holder ("another")
		wantNamed bool
	}{
		{"takes hang", &stuckLeaser{takes: true}, false, false, false},
		{"takes answered late, who holds it hangs", &stuckLeaser{answerAfter: 4900 * time.Millisecond, holder: true}, false, true, false},
		{"takes answered at once, who holds it hangs", &stuckLeaser{holder: true}, false, true, false},
		{"queued behind a wait whose question of who holds it hangs", &stuckLeaser{holder: true}, true, true, false},
		{"takes and who holds it answered", &stuckLeaser{answerAfter: 10 * time.Millisecond}, false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := slog.New(slog.NewTextHandler(io.Discard, nil))
				l := leasesOf(tt.leaser, "me", ttl, log)
				c := newCommitLock(l, time.Now, log)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
				defer cancel()
				var ahead sync.WaitGroup
				if tt.queued {
					ahead.Go(func() { c.lockStories(ctx) })
					time.Sleep(time.Second) // the worker ahead waits for the lease
				}
				start := time.Now()
				_, err := c.lockStories(ctx)
				took := time.Since(start)
				ahead.Wait()
				// A store that hangs answers no give-back of the last try
				// either (leases.giveBackCut), which waits maxCutRelease:
				// within the budget, not after it.
				if took > 2*ttl {
					t.Errorf("lockStories gave up after %v, want at most %v (2 x ttl, the give-back of a try cut short included)", took, 2*ttl)
				}
				// A worker queued behind counts the wait of the one ahead.
				if !tt.queued && took < 2*ttl-maxCutRelease {
					t.Errorf("lockStories gave up after %v, want at least %v (2 x ttl, less the give-back's %v)", took, 2*ttl-maxCutRelease, maxCutRelease)
				}
				switch {
				case err == nil || ctx.Err() != nil:
					t.Errorf("lockStories: %v (the caller's context: %v), want a give-up", err, ctx.Err())
				case errors.Is(err, errStoriesLeaseNotTaken) != tt.wantWait:
					t.Errorf("lockStories: %v, want a wait for another instance: %v", err, tt.wantWait)
				case strings.Contains(err.Error(), `: "another"`) != tt.wantNamed:
					t.Errorf("lockStories: %v, want the holder named: %v", err, tt.wantNamed)
				}
			})
		})
	}
}

// TestQueuedStoriesLeaseGiveUpsNameTheHolder: workers of this process
// queued behind one that waits for the stories lease another instance
// holds give up with it, at 2 x ttl since they began. The worker ahead
// asks who holds the lease and names it; those behind asked nothing, and
// their give-ups said "another instance holds it", whichever of the
// lines the log kept. Each names the holder the workers ahead were told
// of, and the store is asked once.
func TestQueuedStoriesLeaseGiveUpsNameTheHolder(t *testing.T) {
	const ttl = 20 * time.Second
	synctest.Test(t, func(t *testing.T) {
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		leaser := &stuckLeaser{answerAfter: 10 * time.Millisecond} // held by "another"
		c := newCommitLock(leasesOf(leaser, "me", ttl, log), time.Now, log)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		errs := make([]error, 3)
		var workers sync.WaitGroup
		for i := range errs {
			workers.Go(func() { _, errs[i] = c.lockStories(ctx) })
			time.Sleep(time.Millisecond) // the worker ahead holds the slot
		}
		workers.Wait()
		for i, err := range errs {
			if !errors.Is(err, errStoriesLeaseNotTaken) || !strings.Contains(err.Error(), `: "another"`) {
				t.Errorf("worker %d (%d ahead of it): lockStories: %v, want a wait naming the holder %q", i, i, err, "another")
			}
		}
		if got := leaser.asked.Load(); got != 1 {
			t.Errorf("the store was asked %d times who holds the lease, want once", got)
		}
	})
}

// handedLeaser is a shared store whose stories lease the test hands from
// instance to instance (holder; "" free, for the first to take it), and
// whose questions of who holds it hang once hang is set.
type handedLeaser struct {
	mu     sync.Mutex
	holder string
	hang   bool
}

func (s *handedLeaser) set(holder string, hang bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holder, s.hang = holder, hang
}

func (s *handedLeaser) Lease(ctx context.Context, name, owner string, take int64, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holder == "" || s.holder == owner {
		s.holder = owner
		return true, nil
	}
	return false, nil
}

func (s *handedLeaser) RenewLeases(ctx context.Context, names []string, owner string, ttl time.Duration) ([]string, error) {
	return renewEach(ctx, s.Lease, names, owner, ttl)
}

func (s *handedLeaser) Release(ctx context.Context, name, owner string, take int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holder == owner {
		s.holder = ""
	}
	return nil
}

func (s *handedLeaser) LeaseHolder(ctx context.Context, name string) (string, error) {
	s.mu.Lock()
	holder, hang := s.holder, s.hang
	s.mu.Unlock()
	if hang {
		<-ctx.Done()
		return "", ctx.Err()
	}
	return holder, nil
}

// TestAStoriesLeaseGiveUpNamesNoHolderThisProcessTookItFrom: a worker's
// give-up names the holder a question asked during its wait found. Asked
// by a worker ahead, that holder ("X") then gave the lease up and another
// worker of this process took it; the lease went to another instance
// ("Y"), and the worker's own question went unanswered: its give-up named
// "X", which had not held the lease since.
func TestAStoriesLeaseGiveUpNamesNoHolderThisProcessTookItFrom(t *testing.T) {
	const ttl = 20 * time.Second // budget 39 s
	synctest.Test(t, func(t *testing.T) {
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		leaser := &handedLeaser{holder: "X"}
		c := newCommitLock(leasesOf(leaser, "me", ttl, log), time.Now, log)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		var workers sync.WaitGroup
		committed := make(chan struct{})
		errs := make([]error, 3)
		for i, after := range []time.Duration{0, 20 * time.Second, 10 * time.Second} {
			time.Sleep(after)
			workers.Go(func() {
				unlock, err := c.lockStories(ctx)
				if errs[i] = err; err == nil {
					<-committed
					unlock()
				}
			})
		}
		// The first asks who holds the lease at 38 s ("X") and gives up
		// at 39 s (2 x ttl less a give-back's second); the two queued
		// behind it since before that wait on.
		time.Sleep(9*time.Second + 500*time.Millisecond)
		leaser.set("", false) // "X" gives the lease up: one of the two takes it
		time.Sleep(500 * time.Millisecond)
		leaser.set("Y", true) // "Y" holds it once given back; who holds it goes unanswered
		close(committed)
		workers.Wait()
		if !strings.Contains(fmt.Sprint(errs[0]), `: "X"`) {
			t.Fatalf("the first worker: %v, want a give-up naming %q", errs[0], "X")
		}
		took, gaveUp := errs[1], errs[2]
		if took != nil {
			took, gaveUp = gaveUp, took
		}
		if took != nil || !errors.Is(gaveUp, errStoriesLeaseNotTaken) || strings.Contains(gaveUp.Error(), `"X"`) {
			t.Errorf("the two queued: %v and %v; want one to take the lease, the other a wait naming no holder: %q gave the lease up, and this process took it after", errs[1], errs[2], "X")
		}
	})
}
