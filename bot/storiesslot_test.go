package bot

import (
	"context"
	"errors"
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
