package bot

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// TestStoriesSlotCountsOnlyTheWaitForTheLease: a worker queued for this
// process's part of the stories lease gives up (lockStories) once the
// workers ahead of it have waited for the lease for its budget, and
// waits, without counting, while one of them holds the lease.
func TestStoriesSlotCountsOnlyTheWaitForTheLease(t *testing.T) {
	const budget = 300 * time.Millisecond
	type phase struct {
		waitingForLease bool
		d               time.Duration
	}
	cases := []struct {
		name      string
		holder    []phase // what the worker ahead does, in turn, before it gives the slot
		wantErr   error
		wantSpent time.Duration
	}{
		{"behind a holder of the lease", []phase{{false, 2 * budget}}, nil, 0},
		{"behind a holder waiting for the lease", []phase{{true, 3 * budget}}, errStoriesLeaseNotTaken, budget},
		{"behind a holder that waited, then took the lease", []phase{{true, budget / 2}, {false, 2 * budget}}, nil, budget / 2},
	}
	const slack = 150 * time.Millisecond // timers and the scheduler, under -race on shared cores
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStoriesSlot()
			ctx := context.Background()
			if _, err := s.take(ctx, budget); err != nil {
				t.Fatal(err)
			}
			s.waitingForLease(tc.holder[0].waitingForLease)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for i, p := range tc.holder {
					s.waitingForLease(p.waitingForLease)
					time.Sleep(p.d) // the holder's work, not a wait for another goroutine
					if i == len(tc.holder)-1 {
						s.waitingForLease(false)
					}
				}
				s.give()
			}()
			spent, err := s.take(ctx, budget)
			<-done
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("take: %v, want %v", err, tc.wantErr)
			}
			if spent < tc.wantSpent-slack/10 || spent > tc.wantSpent+slack {
				t.Errorf("spent %v of the budget, want %v", spent, tc.wantSpent)
			}
		})
	}
}

// hangingLeaser answers every take of a lease as held by another
// instance, until hang: the takes from then on do not return before the
// caller's context ends or answer is closed, and then answer as before.
type hangingLeaser struct {
	mu      sync.Mutex
	hanging bool
	enter   sync.Once
	entered chan struct{} // closed when the first hanging take begins
	answer  chan struct{}
}

func (h *hangingLeaser) hang() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hanging, h.entered, h.answer = true, make(chan struct{}), make(chan struct{})
}

func (h *hangingLeaser) Lease(ctx context.Context, name, owner string, take int64, ttl time.Duration) (bool, error) {
	h.mu.Lock()
	hanging, entered, answer := h.hanging, h.entered, h.answer
	h.mu.Unlock()
	if hanging {
		h.enter.Do(func() { close(entered) })
		select {
		case <-answer:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	return false, nil
}

func (h *hangingLeaser) RenewLeases(ctx context.Context, names []string, owner string, ttl time.Duration) ([]string, error) {
	return renewEach(ctx, h.Lease, names, owner, ttl)
}

func (h *hangingLeaser) Release(ctx context.Context, name, owner string, take int64) error {
	return nil
}

func (h *hangingLeaser) LeaseHolder(ctx context.Context, name string) (string, error) {
	return "another", nil
}

// TestStoriesLeaseGiveUpSaysWhyOfItsOwnWait: a worker queued for this
// process's part of the stories lease gives up once the holders ahead
// waited for the lease its budget, for the reason of their tries made
// meanwhile. The slot's last try was read whenever it was made: a worker
// that gave up behind a holder whose tries the store did not answer for
// the whole budget was told another instance held the lease (a wait, no
// failure of the store), from a try of a holder before. (Each try is
// given up after callTimeout since, a failure of the store.)
func TestStoriesLeaseGiveUpSaysWhyOfItsOwnWait(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := &hangingLeaser{}
	const ttl = 50 * time.Millisecond
	l := leasesOf(h, "me", ttl, log)
	c := newCommitLock(l, time.Now, log)
	ctx := context.Background()

	if _, err := c.lockStories(ctx); !errors.Is(err, errStoriesLeaseNotTaken) {
		t.Fatalf("another instance holding the lease: lockStories: %v, want a wait (errStoriesLeaseNotTaken)", err)
	}

	h.hang()
	holderCtx, stopHolder := context.WithCancel(ctx)
	defer stopHolder()
	var holder sync.WaitGroup
	holder.Go(func() { c.lockStories(holderCtx) })
	defer holder.Wait()
	<-h.entered // the holder of the slot waits for the store's answer
	_, err := c.lockStories(ctx)
	close(h.answer)
	if err == nil || errors.Is(err, errStoriesLeaseNotTaken) {
		t.Errorf("behind takes the store did not answer for the whole wait: lockStories: %v, want a failure of the store", err)
	}
}
