package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/newshound/newshound/config"
)

// TestAFailingLeaseTakeIsLoggedOncePerChangeOfState: a failing take was
// one state of its kind of lease, which any take of that kind the store
// answered ended: one feed's lease the store kept failing (its row
// locked) beside a feed whose lease it gave logged the failure and its
// end at every run. A kind fails from its first failing take until every
// lease whose take failed has been answered: one line when it begins,
// one with the count when it ends, whether one feed's lease fails or
// every feed's.
func TestAFailingLeaseTakeIsLoggedOncePerChangeOfState(t *testing.T) {
	const runs = 3
	tests := []struct {
		name   string
		prefix string // the leases whose takes fail
		feeds  int    // the feeds whose leases those are
	}{
		{"one feed's lease fails beside one given", "feed:wire", 1},
		{"every feed's lease fails", "feed:", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			logs := &logBuffer{}
			svc, st := h.openLogging(logs)
			defer st.Close()
			leaser := &leasesFailing{prefix: tt.prefix}
			svc.leases.leaser = leaser
			leaser.fail.Store(true)
			for range runs {
				if _, err := svc.RunOnce(ctx); err != nil {
					t.Fatal(err)
				}
				h.clock = h.clock.Add(11 * time.Minute)
			}
			leaser.fail.Store(false)
			if _, err := svc.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			wantFailures := fmt.Sprintf(`works again" leases=feed failures=%d`, runs*tt.feeds)
			wantLogged(t, logs.String(), map[string]int{
				"taking a lease failed":     1,
				"taking leases works again": 1,
				wantFailures:                1,
			})
		})
	}
}

// TestALeaseNoLongerTakenDoesNotKeepItsKindFailing: a lease whose take
// failed and that is not taken again (its destination's alerts delivered
// by another instance, its feed dropped) says nothing of the store after
// a while: a take of its kind answered then ends the failure, and so does
// the renewals' round when none comes: it ended only at such a take, and
// with no other destination's lease taken, the log said the outbox leases
// failed until an alert came, days later perhaps.
func TestALeaseNoLongerTakenDoesNotKeepItsKindFailing(t *testing.T) {
	tests := []struct {
		name     string
		takeMail bool // else no take comes, and the renewals' round runs
	}{
		{"the mail's take answered", true},
		{"no take since", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				logs := &logBuffer{}
				log := slog.New(slog.NewTextHandler(logs, nil))
				leaser := &leasesFailing{prefix: "outbox:desk"}
				l := leasesOf(leaser, "me", 20*time.Second, log)
				ctx, cancel := context.WithCancel(context.Background())
				leaser.fail.Store(true)
				if _, err := l.tryTake(ctx, outboxLease("desk")); !errors.Is(err, errDiskFull) {
					t.Fatalf("the desk's take: %v, want %v", err, errDiskFull)
				}
				var renewals sync.WaitGroup
				defer renewals.Wait()
				defer cancel()
				if !tt.takeMail {
					renewals.Go(func() { l.renewLoop(ctx) })
				}
				// README: "or it was not tried for 10 minutes" (written
				// out, not forgetTakeFailureAfter, so that the test pins it).
				steps := []struct {
					after       time.Duration
					want        int  // "works again" lines so far
					wantFailing bool // the outbox leases keep the service not ready
				}{
					{9 * time.Minute, 0, true},
					{2 * time.Minute, 1, false},
				}
				var elapsed time.Duration
				for _, s := range steps {
					time.Sleep(s.after)
					elapsed += s.after
					synctest.Wait()
					if tt.takeMail {
						if _, err := l.tryTake(ctx, outboxLease("mail")); err != nil {
							t.Fatal(err)
						}
					}
					if got := strings.Count(logs.String(), "taking leases works again"); got != s.want {
						t.Errorf("%v after the desk's failed take: %d lines say the takes work again, want %d:\n%s", elapsed, got, s.want, logs)
					}
					if got := l.failing("outbox"); got != s.wantFailing {
						t.Errorf("%v after the desk's failed take: the outbox leases failing %v, want %v", elapsed, got, s.wantFailing)
					}
				}
			})
		})
	}
}
