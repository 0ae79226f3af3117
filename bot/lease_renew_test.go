package bot

import (
	"bytes"
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

// slowLeaser is a loaded store, slow but not dead: it answers every call
// after delay, with fail once fail is set, and else grants every lease.
type slowLeaser struct {
	delay time.Duration
	mu    sync.Mutex
	fail  error
}

func (s *slowLeaser) answer(ctx context.Context) error {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fail
}

func (s *slowLeaser) Lease(ctx context.Context, name, owner string, take int64, ttl time.Duration) (bool, error) {
	err := s.answer(ctx)
	return err == nil, err
}

// RenewLeases takes one call's time, however many leases it renews.
func (s *slowLeaser) RenewLeases(ctx context.Context, names []string, owner string, ttl time.Duration) ([]string, error) {
	if err := s.answer(ctx); err != nil {
		return nil, err
	}
	return names, nil
}

func (s *slowLeaser) Release(ctx context.Context, name, owner string, take int64) error {
	return s.answer(ctx)
}

func (s *slowLeaser) LeaseHolder(ctx context.Context, name string) (string, error) {
	return "", s.answer(ctx)
}

// slowLeases is leases over leaser, holding names just taken, its log
// written to buf.
func slowLeases(leaser *slowLeaser, ttl time.Duration, buf *bytes.Buffer, names ...string) *leases {
	log := slog.New(slog.NewTextHandler(buf, nil))
	l := leasesOf(leaser, "me", ttl, log)
	for _, n := range names {
		l.held[n] = heldLease{until: time.Now().Add(ttl)}
	}
	return l
}

// leaseNames is n names of leases an instance holds at once.
func leaseNames(n int) []string {
	names := []string{storiesLease, gatewayLease, outboxLease("desk")}
	for i := 0; len(names) < n; i++ {
		names = append(names, fmt.Sprintf("feed:wire-%d", i))
	}
	return names[:n]
}

// renewFor runs l.renewLoop for d of the bubble's time.
func renewFor(l *leases, d time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { l.renewLoop(ctx) })
	time.Sleep(d)
	cancel()
	wg.Wait()
}

// TestLeaseRenewalKeepsManyLeasesOnASlowStore: an instance holding a few
// dozen leases on a store that answers each call in a second or two
// (loaded, not dead) keeps them all, round after round. Renewed one call
// after another, a round outlasted the ttl, and the leases renewed last
// ran out (renew's overdue branch) though the store answered every call.
func TestLeaseRenewalKeepsManyLeasesOnASlowStore(t *testing.T) {
	const ttl = 20 * time.Second // the default
	tests := []struct {
		leases int
		delay  time.Duration
	}{
		{1, 2 * time.Second},
		{12, 300 * time.Millisecond},
		{40, time.Second},
		{40, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d leases, %v a call", tt.leases, tt.delay), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var buf bytes.Buffer
				names := leaseNames(tt.leases)
				l := slowLeases(&slowLeaser{delay: tt.delay}, ttl, &buf, names...)
				renewFor(l, 3*ttl)
				var lost []string
				for _, n := range names {
					if !l.holds(n) {
						lost = append(lost, n)
					}
				}
				if len(lost) > 0 {
					t.Errorf("after 3 x ttl, %d of %d leases lost: %q, want none (the store answered every call)\n%s", len(lost), len(names), lost, &buf)
				}
			})
		})
	}
}

// gatedLeaser grants every lease; a call about the lease named slow
// waits until answer is closed, entered closed as the first such call
// begins: a store slow for one lease's row (a locked row).
type gatedLeaser struct {
	slow            string
	entered, answer chan struct{}
	enter           sync.Once
}

func (g *gatedLeaser) Lease(ctx context.Context, name, owner string, take int64, ttl time.Duration) (bool, error) {
	if name != g.slow {
		return true, nil
	}
	g.enter.Do(func() { close(g.entered) })
	select {
	case <-g.answer:
		return true, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

func (g *gatedLeaser) RenewLeases(ctx context.Context, names []string, owner string, ttl time.Duration) ([]string, error) {
	return renewEach(ctx, g.Lease, names, owner, ttl)
}

func (g *gatedLeaser) Release(ctx context.Context, name, owner string, take int64) error { return nil }

func (g *gatedLeaser) LeaseHolder(ctx context.Context, name string) (string, error) {
	return "", nil
}

// TestALeaseTakeWaitsForNoRenewal: a take of a lease, or its release,
// waits for no renewal under way, though the lease renewed shares its
// stripe. A renewal held the stripe for its whole call to the store, on a
// slow store a second or two. (Real time, not a synctest bubble: a take
// that waits, waits on a sync.Mutex, which does not let a bubble's clock
// move; the bound only limits how long the test takes to fail.)
func TestALeaseTakeWaitsForNoRenewal(t *testing.T) {
	const ttl = 20 * time.Second
	held := outboxLease("desk")
	g := &gatedLeaser{slow: held, entered: make(chan struct{}), answer: make(chan struct{})}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	l := leasesOf(g, "me", ttl, log)
	l.held[held] = heldLease{until: time.Now().Add(ttl)}
	other := ""
	for i := 0; other == ""; i++ {
		if n := fmt.Sprintf("feed:wire-%d", i); l.stripe(n) == l.stripe(held) {
			other = n
		}
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(g.answer)
	wg.Go(func() { l.renewHeld(ctx) })
	<-g.entered // the renewal's call is under way
	done := make(chan bool, 1)
	wg.Go(func() {
		got, _ := l.tryTake(ctx, other)
		l.release(ctx, other)
		done <- got
	})
	select {
	case got := <-done:
		if !got {
			t.Errorf("take %s refused", other)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("a take and release of %s waited for the renewal of %s, on the same stripe, to be answered", other, held)
	}
}

// TestALeaseRenewalFailingLogsOncePerState: a store that fails every
// renewal is logged once, not once a lease a round, and the leases that
// run out meanwhile in one line with their count.
func TestALeaseRenewalFailingLogsOncePerState(t *testing.T) {
	const ttl = 20 * time.Second
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		names := leaseNames(5)
		l := slowLeases(&slowLeaser{delay: 100 * time.Millisecond, fail: errors.New("connection reset by peer")}, ttl, &buf, names...)
		renewFor(l, 2*ttl)
		var lines []string
		for line := range strings.Lines(buf.String()) {
			if !strings.Contains(line, "level=DEBUG") {
				lines = append(lines, line)
			}
		}
		wants := []string{`level=ERROR msg="renewing leases failed; retrying" leases=5`, `level=WARN msg="leases ran out before they were renewed`}
		if len(lines) != len(wants) {
			t.Errorf("%d lines logged, want %d: the renewals failing, and the %d leases that ran out:\n%s", len(lines), len(wants), len(names), strings.Join(lines, ""))
		}
		for i, want := range wants {
			if i < len(lines) && !strings.Contains(lines[i], want) {
				t.Errorf("line %d logged %q, want it to hold %q", i, lines[i], want)
			}
		}
		if len(lines) == len(wants) && !strings.Contains(lines[1], "count=5") {
			t.Errorf("line %q does not count the 5 leases that ran out", lines[1])
		}
		for _, n := range names {
			if l.holds(n) {
				t.Errorf("%s still held after 2 x ttl of failed renewals", n)
			}
		}
	})
}

// TestALeaseRunOutDuringItsRenewalStaysLost: a renewal begun just before
// a lease ran out and answered after counted the lease held again, though
// holds had counted it lost meanwhile and work under it had stopped on
// that: a lease past its expiry by this process's clock stays lost (see
// holds), whatever a renewal under way then answers; one answered in time
// keeps it.
func TestALeaseRunOutDuringItsRenewalStaysLost(t *testing.T) {
	const ttl = 3 * time.Second
	tests := []struct {
		name     string
		answerIn time.Duration // the renewal's, begun 2.5 s after the take
		want     bool
	}{
		{"answered before the lease runs out", 400 * time.Millisecond, true},
		{"answered after the lease ran out", time.Second, false},
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			var buf bytes.Buffer
			l := slowLeases(&slowLeaser{delay: tt.answerIn}, ttl, &buf, "feed:wire")
			time.Sleep(2500 * time.Millisecond)
			l.renewHeld(context.Background())
			if got := l.holds("feed:wire"); got != tt.want {
				t.Errorf("%s: held %v, want %v\n%s", tt.name, got, tt.want, buf.String())
			}
		})
	}
}
