package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
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

	mu    sync.Mutex
	held  map[string]heldLease
	takes uint64 // the number of the last take, counted under mu
	// holdings number, by name, the leases taken and not given back
	// since, as the store knows them (store.Leaser's take): a give-back
	// names its holding's, so that one the database runs late, after a
	// worker of this process took the lease anew, leaves that new
	// holding alone. lastHolding is the last number given, under mu.
	holdings    map[string]int64
	lastHolding int64
	// stripes serialize the taking and giving back of one lease (by a
	// hash of its name). A renewal takes none: see renewHeld.
	stripes [64]sync.Mutex
	errs    *statelog.Log
	// failedTakes are the leases whose last take failed, by name, with
	// when it did: a kind of lease fails while one of its leases does
	// (takeFailed, takeAnswered).
	takeMu      sync.Mutex
	failedTakes map[string]time.Time
	// cut are the holdings whose take was cut short (giveBackCut), with
	// when their ttl is over, under mu: the take's INSERT may reach the
	// database after its give-back, and its row, renewed by no one, keeps
	// the other instances waiting until then. Each renewal round gives
	// them back again (giveBackCutAgain).
	cut map[cutHolding]time.Time
}

// cutHolding is a holding of a lease whose take was cut short.
type cutHolding struct {
	name    string
	holding int64
}

// heldLease is a lease this instance holds.
type heldLease struct {
	// until is when it runs out unless renewed, by this process's clock:
	// the time of the last successful take or renewal's start plus ttl,
	// never later than the database's own expiry of it.
	until time.Time
	// take numbers the take that holds it, so that the answer of a
	// renewal under way when it was given back and taken again is not
	// taken for the new take's.
	take uint64
}

func newLeases(st store.Store, ttl time.Duration, log *slog.Logger) *leases {
	leaser, _ := st.(store.Leaser)
	return leasesOf(leaser, instanceName(), ttl, log)
}

// leasesOf is newLeases with its leaser (nil: not shared) and owner given.
func leasesOf(leaser store.Leaser, owner string, ttl time.Duration, log *slog.Logger) *leases {
	return &leases{leaser: leaser, owner: owner, ttl: ttl, log: log, held: map[string]heldLease{}, holdings: map[string]int64{}, cut: map[cutHolding]time.Time{}, errs: statelog.New(log)}
}

// shared reports whether the store is shared, so that leases matter.
func (l *leases) shared() bool { return l.leaser != nil }

// instanceName identifies this process among instances sharing a store.
func instanceName() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// tryTake claims the named lease ("feed:ID", "outbox:DEST", "gateway",
// "stories") and reports whether this instance holds it now, renewed by
// renewLoop until release; false and no error: another instance holds it.
// A take the store failed, or did not answer within callTimeout, returns
// its error: a failure of the store, which a caller must not read as
// another instance holding the lease (there is no take without the error,
// since every caller that had one read it so).
func (l *leases) tryTake(ctx context.Context, name string) (bool, error) {
	if l.leaser == nil {
		return true, nil
	}
	stripe := l.stripe(name)
	stripe.Lock()
	defer stripe.Unlock()
	until := time.Now().Add(l.ttl)
	holding, ours := l.holding(name)
	got, cut, err := l.lease(ctx, name, holding)
	if cut && !ours {
		l.giveBackCut(ctx, name, holding)
	}
	if err != nil {
		if ctx.Err() == nil {
			l.takeFailed(name, err)
		}
		return false, err
	}
	l.takeAnswered(name)
	if got {
		l.mu.Lock()
		l.takes++
		l.held[name] = heldLease{until: until, take: l.takes}
		l.holdings[name] = holding
		l.mu.Unlock()
	}
	return got, nil
}

// holding is the number a take of name goes by in the store: its
// holding's when this instance took it and has not given it back (ours;
// a take of it renews it), else a new one.
func (l *leases) holding(name string) (n int64, ours bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n, ours = l.holdings[name]; ours {
		return n, true
	}
	l.lastHolding++
	return l.lastHolding, false
}

// leaseKind is what a lease is for ("feed", "outbox", "gateway",
// "stories"): a failing take is logged once per change of state of its
// kind, so that an outage is a line per kind, not per feed. The kind
// fails while a lease of it does, so that a take of another lease that
// works meanwhile (the store answers the feeds' leases but not a feed's
// or an outbox's locked row) neither logs the failure over nor ends it.
func leaseKind(name string) string {
	kind, _, _ := strings.Cut(name, ":")
	return kind
}

// forgetTakeFailureAfter is how long a lease whose take failed, and
// that no take tried since, keeps its kind failing. Every lease whose
// work waits is tried again far sooner (a feed's within a minute,
// storeRetry; a destination's within seconds): one left this long is
// taken no more (its feed dropped, its destination's alerts delivered by
// another instance), and says nothing of the store now.
const forgetTakeFailureAfter = 10 * time.Minute

// takeFailed logs a failed take of name, once per change of state of its
// kind. (A take of another lease of the kind answered meanwhile may log
// the kind's end before this failure counts, which is then logged anew:
// a line too many, never one missed; the log is written under no lock,
// so that a slow log holds up no take.)
func (l *leases) takeFailed(name string, err error) {
	l.takeMu.Lock()
	if l.failedTakes == nil {
		l.failedTakes = map[string]time.Time{}
	}
	l.failedTakes[name] = time.Now()
	l.takeMu.Unlock()
	l.errs.Fail("take:"+leaseKind(name), "taking a lease failed; the work waits for the next try", err, "lease", name)
}

// takeAnswered ends the failure of name, and logs its kind's end once no
// other lease of that kind fails.
func (l *leases) takeAnswered(name string) {
	kind := leaseKind(name)
	if l.kindFailing(name, kind) {
		return
	}
	l.errs.OK("take:"+kind, "taking leases works again", "leases", kind)
}

// kindFailing forgets the failure of name, and those not tried for
// forgetTakeFailureAfter, and reports whether another lease of kind
// fails still.
func (l *leases) kindFailing(name, kind string) bool {
	l.takeMu.Lock()
	defer l.takeMu.Unlock()
	delete(l.failedTakes, name)
	l.forgetUntriedLocked()
	return l.failingLocked(kind)
}

// failing reports whether a lease of kind fails: its last take failed,
// within forgetTakeFailureAfter. Readiness asks it of the feeds' leases,
// each of which fails apart (a locked row), so that one whose take fails
// keeps the service not ready though the others' are answered.
func (l *leases) failing(kind string) bool {
	l.takeMu.Lock()
	defer l.takeMu.Unlock()
	return l.failingLocked(kind)
}

// failingLocked is failing; the caller holds takeMu.
func (l *leases) failingLocked(kind string) bool {
	stale := time.Now().Add(-forgetTakeFailureAfter)
	for n, at := range l.failedTakes {
		if leaseKind(n) == kind && !at.Before(stale) {
			return true
		}
	}
	return false
}

// forgetUntriedLocked forgets the failures of the leases not tried for
// forgetTakeFailureAfter, and returns their kinds; the caller holds
// takeMu.
func (l *leases) forgetUntriedLocked() (kinds []string) {
	stale := time.Now().Add(-forgetTakeFailureAfter)
	for n, at := range l.failedTakes {
		if at.Before(stale) {
			delete(l.failedTakes, n)
			kinds = append(kinds, leaseKind(n))
		}
	}
	slices.Sort(kinds)
	return slices.Compact(kinds)
}

// endUntriedFailures logs the end of each kind whose failing leases
// were all taken no more for forgetTakeFailureAfter (a destination whose
// alerts another instance delivered, and no other destination's lease
// taken since): else its failure would last in the log until a take of
// its kind, which may be days away.
func (l *leases) endUntriedFailures() {
	l.takeMu.Lock()
	var ended []string
	for _, kind := range l.forgetUntriedLocked() {
		if !l.failingLocked(kind) {
			ended = append(ended, kind)
		}
	}
	l.takeMu.Unlock()
	for _, kind := range ended {
		l.errs.OK("take:"+kind, "taking leases works again", "leases", kind)
	}
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

// bounded runs call within callTimeout, and says so in its error when it
// was given up for that (not for ctx's end).
func bounded[T any](ctx context.Context, l *leases, call func(context.Context) (T, error)) (T, error) {
	v, _, err := boundedCut(ctx, l, call)
	return v, err
}

// boundedCut is bounded, and reports whether the call was cut short
// (within callTimeout or by ctx's end) before the store answered: the
// store may have done what it was asked all the same.
func boundedCut[T any](ctx context.Context, l *leases, call func(context.Context) (T, error)) (v T, cut bool, err error) {
	callCtx, cancel := l.callCtx(ctx)
	defer cancel()
	v, err = call(callCtx)
	cut = err != nil && callCtx.Err() != nil
	if cut && ctx.Err() == nil {
		err = fmt.Errorf("the store did not answer within %v: %w", l.callTimeout(), err)
	}
	return v, cut, err
}

// lease takes name, as its holding numbered holding, within callTimeout;
// a take the store did not answer in time fails, as one the store
// refused, and is cut (see boundedCut).
func (l *leases) lease(ctx context.Context, name string, holding int64) (got, cut bool, err error) {
	return boundedCut(ctx, l, func(ctx context.Context) (bool, error) {
		return l.leaser.Lease(ctx, name, l.owner, holding, l.ttl)
	})
}

// maxCutRelease bounds giveBackCut's release: one row deleted by its key,
// answered in milliseconds. A store slower than that is the one that did
// not answer the take, and the lease then runs out by its ttl.
const maxCutRelease = time.Second

// giveBackCut releases the holding numbered holding of name after its
// take was cut short (shutdown, callTimeout, the end of lockStories'
// budget): the database may have granted it, and then, renewed by no
// one, it kept the other instances waiting up to the ttl. The caller
// holds name's stripe, and calls it only for a new holding: the take of
// one this instance has (a renewal) is given back by its release.
// Release takes nothing from another owner, nor another holding.
func (l *leases) giveBackCut(ctx context.Context, name string, holding int64) {
	l.mu.Lock()
	l.cut[cutHolding{name, holding}] = time.Now().Add(l.ttl)
	l.mu.Unlock()
	l.releaseWithin(ctx, name, holding, l.cutReleaseTimeout())
}

// giveBackCutAgain gives back once more, all within cutReleaseTimeout,
// the holdings whose take was cut short within the ttl: a take whose
// INSERT reached the database after its give-back's DELETE (run on
// another connection, which found no row to delete) is given back a
// renewal round (ttl/3) later, not at its ttl. A
// holding cut short is never taken again (holding), so this deletes no
// take that holds the lease.
func (l *leases) giveBackCutAgain(ctx context.Context) {
	now := time.Now()
	l.mu.Lock()
	var again []cutHolding
	for c, over := range l.cut {
		if now.Before(over) {
			again = append(again, c)
		} else {
			delete(l.cut, c)
		}
	}
	l.mu.Unlock()
	if len(again) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, l.cutReleaseTimeout())
	defer cancel()
	for _, c := range again {
		if err := l.leaser.Release(ctx, c.name, l.owner, c.holding); err != nil {
			l.log.Debug("giving back again a lease whose take was cut short", "lease", c.name, "err", err)
		}
	}
}

// cutReleaseTimeout is how long giveBackCut waits for the store.
func (l *leases) cutReleaseTimeout() time.Duration { return min(l.callTimeout(), maxCutRelease) }

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
	holding, ok := l.holdings[name]
	delete(l.holdings, name)
	l.mu.Unlock()
	if ok {
		l.releaseWithin(ctx, name, holding, maxLeaseCall)
	}
}

// releaseWithin gives name's holding numbered holding back in the store
// within d, even when ctx was cancelled (Ctrl-C mid-poll).
func (l *leases) releaseWithin(ctx context.Context, name string, holding int64, d time.Duration) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d)
	defer cancel()
	if err := l.leaser.Release(ctx, name, l.owner, holding); err != nil {
		l.log.Debug("releasing a lease", "lease", name, "err", err)
	}
}

// holds reports whether this instance still holds the lease: renewLoop
// forgets a lease that another instance took over, and one whose renewal
// is overdue (past its expiry by this process's clock: renewLoop not
// running, stalled, or the store unreachable) counts as lost, since
// another instance may have taken it from the database meanwhile; a
// renewal does not bring it back (dueForRenewal, recordRenewals).
func (l *leases) holds(name string) bool {
	if l.leaser == nil {
		return true
	}
	l.mu.Lock()
	h, ok := l.held[name]
	l.mu.Unlock()
	return ok && time.Now().Before(h.until)
}

// renewLoop renews every held lease each ttl/3 until ctx ends. A lease
// found lost (this instance stalled past its ttl and another took it) is
// forgotten; the work under it stops at its next check of holds. Each
// round also ends the failures of leases taken no more
// (endUntriedFailures).
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
		l.renewHeld(ctx)
		l.endUntriedFailures()
	}
}

// renewHeld is a renewal round: the held leases renewed (renewDue), then
// the takes cut short given back again (giveBackCutAgain), which lasts at
// most cutReleaseTimeout more.
func (l *leases) renewHeld(ctx context.Context) {
	l.renewDue(ctx)
	l.giveBackCutAgain(ctx)
}

// renewDue renews every held lease in one call to the store, so that a
// round lasts one call however many leases this instance holds: renewed
// one call each, a round on a store answering in a second outlasted the
// ttl with a few dozen leases, and those renewed last ran out though the
// store answered every call.
//
// It holds no stripe across the call, so no take or release waits for it:
// the store renews only leases this owner still holds, so a renewal that
// reaches the database after a release takes nothing back, and its answer
// is applied only to the take it renewed (heldLease.take).
func (l *leases) renewDue(ctx context.Context) {
	due := l.dueForRenewal()
	if len(due) == 0 {
		return
	}
	names := slices.Sorted(maps.Keys(due))
	start := time.Now()
	renewed, err := bounded(ctx, l, func(ctx context.Context) ([]string, error) {
		return l.leaser.RenewLeases(ctx, names, l.owner, l.ttl)
	})
	if err != nil {
		if ctx.Err() == nil {
			l.errs.Fail("renew", "renewing leases failed; retrying", err, "leases", len(names))
		}
		return
	}
	l.errs.OK("renew", "renewing leases works again")
	lost, ranOut := l.recordRenewals(due, renewed, start.Add(l.ttl))
	if len(lost) > 0 {
		l.log.Warn("leases lost to another instance", "count", len(lost), "leases", lost)
	}
	l.logRanOut(ranOut)
}

// dueForRenewal returns the take of each held lease to renew, and forgets
// those overdue (past their expiry by this process's clock, which is never
// later than the database's). holds has counted such a lease lost since it
// ran out, and work that checked has stopped; it stays lost, so the work
// under it begins again with a new take whether or not it checked holds
// during the stall.
func (l *leases) dueForRenewal() map[string]uint64 {
	now := time.Now()
	due := map[string]uint64{}
	var overdue []string
	l.mu.Lock()
	for name, h := range l.held {
		if !now.Before(h.until) {
			overdue = append(overdue, name)
			delete(l.held, name)
			continue
		}
		due[name] = h.take
	}
	l.mu.Unlock()
	slices.Sort(overdue)
	l.logRanOut(overdue)
	return due
}

// logRanOut logs the leases forgotten for running out unrenewed.
func (l *leases) logRanOut(names []string) {
	if len(names) > 0 {
		l.log.Warn("leases ran out before they were renewed (this instance stalled, or the store did not answer); their work stops and is taken up again", "count", len(names), "leases", names)
	}
}

// recordRenewals extends each lease of due the store renewed until until,
// forgets each it did not (lost), and each that ran out while the call was
// under way (ranOut): holds has counted it lost since, and work that
// checked has stopped, so a renewal answered late does not bring it back.
// A lease given back or taken again since due was read is left as it is
// now.
func (l *leases) recordRenewals(due map[string]uint64, renewed []string, until time.Time) (lost, ranOut []string) {
	got := make(map[string]bool, len(renewed))
	for _, name := range renewed {
		got[name] = true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	for _, name := range slices.Sorted(maps.Keys(due)) {
		h, ok := l.held[name]
		if !ok || h.take != due[name] {
			continue
		}
		if !now.Before(h.until) {
			delete(l.held, name)
			ranOut = append(ranOut, name)
			continue
		}
		if got[name] {
			l.held[name] = heldLease{until: until, take: h.take}
			continue
		}
		delete(l.held, name)
		lost = append(lost, name)
	}
	return lost, ranOut
}

// stripe is the lock that serializes the operations on one lease.
func (l *leases) stripe(name string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(name))
	return &l.stripes[h.Sum32()%uint32(len(l.stripes))]
}
