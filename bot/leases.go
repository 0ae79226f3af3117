package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/newshound/newshound/internal/statelog"
	"github.com/newshound/newshound/store"
)

// leases lets instances that share a store (PostgreSQL) split the work:
// a feed is polled, a destination's outbox sent and the Discord gateway
// held by one instance at a time. A lease lasts ttl unrenewed; renew keeps
// every lease this instance holds alive, so a dead instance's work is taken
// over within ttl. A store that is not shared (SQLite has one owner, held
// by an OS lock) has no leases at all: take always succeeds and nothing is
// written.
type leases struct {
	leaser store.Leaser // nil: not shared
	owner  string
	ttl    time.Duration
	log    *slog.Logger

	mu sync.Mutex
	// held maps each lease this instance holds to when it runs out unless
	// renewed, by this process's clock: the time of the last successful
	// take or renewal's start plus ttl, never later than the database's
	// own expiry of it.
	held map[string]time.Time
	// stripes serialize the taking, renewing and giving back of one lease
	// (by a hash of its name), so a renewal racing with a release and a new
	// take cannot give the new take back.
	stripes [64]sync.Mutex
	errs    *statelog.Log
}

func newLeases(st store.Store, ttl time.Duration, log *slog.Logger) *leases {
	l := &leases{owner: instanceName(), ttl: ttl, log: log, held: map[string]time.Time{}, errs: statelog.New(log)}
	if leaser, ok := st.(store.Leaser); ok {
		l.leaser = leaser
	}
	return l
}

// takeFailing reports whether the last try to take a lease failed (an
// error, not another instance holding it).
func (l *leases) takeFailing() bool { return l.errs.Failing("lease") }

// shared reports whether the store is shared, so that leases matter.
func (l *leases) shared() bool { return l.leaser != nil }

// instanceName identifies this process among instances sharing a store.
func instanceName() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// take claims the named lease ("feed:ID", "outbox:DEST", "gateway") and
// reports whether this instance holds it now. A held lease is renewed by
// renewLoop until release.
func (l *leases) take(ctx context.Context, name string) bool {
	got, _ := l.tryTake(ctx, name)
	return got
}

// tryTake is take with the store's error when taking the lease failed;
// false and no error: another instance holds it.
func (l *leases) tryTake(ctx context.Context, name string) (bool, error) {
	if l.leaser == nil {
		return true, nil
	}
	stripe := l.stripe(name)
	stripe.Lock()
	defer stripe.Unlock()
	until := time.Now().Add(l.ttl)
	got, err := l.lease(ctx, name)
	if err != nil {
		if ctx.Err() == nil {
			l.errs.Fail("lease", "taking a lease failed; the work waits for the next try", err, "lease", name)
		}
		return false, err
	}
	l.errs.OK("lease", "taking leases works again")
	if got {
		l.mu.Lock()
		l.held[name] = until
		l.mu.Unlock()
	}
	return got, nil
}

// maxLeaseCall bounds one call to the store about a lease. A lease is
// one row written or read, answered in milliseconds; a store that has
// not answered in 5 s hangs (a network partition without a reset, a
// locked row), and a try that waits for it would hold up a poll or a
// destination for as long as the hang, lockStories' give-up included.
const maxLeaseCall = 5 * time.Second

// callTimeout is how long one call about a lease may take: maxLeaseCall,
// and never more than half the ttl, so that a take leaves at least half
// the ttl to the work under it, lockStories' 2 x ttl holds several
// tries, and a renewal (every ttl/3) given up still ends before the lease
// it renews runs out.
func (l *leases) callTimeout() time.Duration { return min(l.ttl/2, maxLeaseCall) }

// callCtx bounds one call about a lease by callTimeout.
func (l *leases) callCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, l.callTimeout())
}

// lease takes or renews name within callTimeout; a take the store did not
// answer in time fails, as one the store refused.
func (l *leases) lease(ctx context.Context, name string) (bool, error) {
	callCtx, cancel := l.callCtx(ctx)
	defer cancel()
	got, err := l.leaser.Lease(callCtx, name, l.owner, l.ttl)
	if err != nil && ctx.Err() == nil && callCtx.Err() != nil {
		err = fmt.Errorf("the store did not answer within %v: %w", l.callTimeout(), err)
	}
	return got, err
}

// holder names the instance holding the lease, "" when the store cannot
// tell: it is a detail of a wait's give-up, which goes on without it.
func (l *leases) holder(ctx context.Context, name string) string {
	if l.leaser == nil {
		return ""
	}
	callCtx, cancel := l.callCtx(ctx)
	defer cancel()
	owner, err := l.leaser.LeaseHolder(callCtx, name)
	if err != nil {
		l.log.Debug("asking who holds a lease", "lease", name, "err", err)
	}
	return owner
}

// release gives a lease back at once, so another instance need not wait
// for it to expire.
func (l *leases) release(ctx context.Context, name string) {
	if l.leaser == nil {
		return
	}
	stripe := l.stripe(name)
	stripe.Lock()
	defer stripe.Unlock()
	l.mu.Lock()
	delete(l.held, name)
	l.mu.Unlock()
	// Release even when ctx was cancelled (Ctrl-C mid-poll).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), maxLeaseCall)
	defer cancel()
	if err := l.leaser.Release(ctx, name, l.owner); err != nil {
		l.log.Debug("releasing a lease", "lease", name, "err", err)
	}
}

// holds reports whether this instance still holds the lease: renewLoop
// forgets a lease that another instance took over, and one whose renewal
// is overdue (past its expiry by this process's clock: renewLoop not
// running, stalled, or the store unreachable) counts as lost, since
// another instance may have taken it from the database meanwhile; a
// renewal does not bring it back (see renew).
func (l *leases) holds(name string) bool {
	if l.leaser == nil {
		return true
	}
	l.mu.Lock()
	until, ok := l.held[name]
	l.mu.Unlock()
	return ok && time.Now().Before(until)
}

// renewLoop renews every held lease each ttl/3 until ctx ends. A lease
// found lost (this instance stalled past its ttl and another took it) is
// forgotten; the work under it stops at its next check of holds.
func (l *leases) renewLoop(ctx context.Context) {
	if l.leaser == nil {
		return
	}
	t := time.NewTicker(l.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		l.mu.Lock()
		names := make([]string, 0, len(l.held))
		for n := range l.held {
			names = append(names, n)
		}
		l.mu.Unlock()
		for _, n := range names {
			l.renew(ctx, n)
		}
	}
}

// renew extends one held lease; one given back meanwhile is left alone,
// and one found lost is forgotten. So is one overdue (past its expiry by
// this process's clock, which is never later than the database's): while
// it was not renewed, another instance may have taken it, done its work
// and given it back, and the database would let this instance take it
// again as if it had held it all along; the work under it, read before
// the stall, must stop (holds) and begin again with a new take.
func (l *leases) renew(ctx context.Context, name string) {
	stripe := l.stripe(name)
	stripe.Lock()
	defer stripe.Unlock()
	l.mu.Lock()
	until, held := l.held[name]
	overdue := held && !time.Now().Before(until)
	if overdue {
		delete(l.held, name)
	}
	l.mu.Unlock()
	if overdue {
		l.log.Warn("lease ran out before it was renewed (this instance stalled, or the store did not answer); its work stops and is taken up again", "lease", name)
		return
	}
	if !held {
		return
	}
	until = time.Now().Add(l.ttl)
	got, err := l.lease(ctx, name)
	if err != nil {
		if ctx.Err() == nil {
			l.errs.Fail("renew", "renewing leases failed; retrying", err, "lease", name)
		}
		return
	}
	l.errs.OK("renew", "renewing leases works again")
	l.mu.Lock()
	defer l.mu.Unlock()
	if !got {
		l.log.Warn("lease lost to another instance", "lease", name)
		delete(l.held, name)
		return
	}
	l.held[name] = until
}

// stripe is the lock that serializes the operations on one lease.
func (l *leases) stripe(name string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(name))
	return &l.stripes[h.Sum32()%uint32(len(l.stripes))]
}
