package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
)

// shutdownMidTake is a shared store a shutdown interrupts while it takes
// a feed's lease: the take stops the run (cancel) and ends with its
// context; the store fails no other take.
type shutdownMidTake struct {
	elsewhereLeaser
	cancel context.CancelFunc
}

func (s shutdownMidTake) Lease(ctx context.Context, name, owner string, take int64, ttl time.Duration) (bool, error) {
	if !strings.HasPrefix(name, "feed:") {
		return true, nil
	}
	s.cancel()
	<-ctx.Done()
	return false, ctx.Err()
}

// TestAFeedLeaseTakeCutShortIsNoFeedPolledElsewhere: a take of a feed's
// lease that a shutdown cut short counted the feed as polled by another
// instance (run --once's FeedsElsewhere), and ended the pause of a store
// whose takes had failed, though it says nothing of the store or of other
// instances: it counts as neither.
func TestAFeedLeaseTakeCutShortIsNoFeedPolledElsewhere(t *testing.T) {
	tests := []struct {
		name string
		// failedBefore: a run before found the store failing the feeds'
		// leases, which keeps the service not ready
		failedBefore bool
	}{
		{"the store answered the takes before", false},
		{"the store failed the takes before", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			svc, st := h.open()
			defer st.Close()
			if tt.failedBefore {
				failing := &leasesFailing{prefix: "feed:"}
				failing.fail.Store(true)
				svc.leases.leaser = failing
				if _, err := svc.RunOnce(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			svc.leases.leaser = shutdownMidTake{cancel: cancel}
			rep, err := svc.RunOnce(ctx)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("RunOnce: %v, want it stopped", err)
			}
			if rep.FeedsElsewhere != 0 {
				t.Errorf("%d feeds polled elsewhere, want none (report %+v)", rep.FeedsElsewhere, rep)
			}
			if got := svc.Health(); got.Ready == tt.failedBefore {
				t.Errorf("Health: ready %v (reasons %q), want %v", got.Ready, got.Reasons, !tt.failedBefore)
			}
		})
	}
}
