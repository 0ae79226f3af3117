package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/internal/statelog"
	"github.com/newshound/newshound/store"
)

// sender delivers the outbox: each destination's pending alerts in order,
// destinations in parallel, through their notifiers, recording each
// outcome (delivered, retry later, dropped, destination paused).
type sender struct {
	store     store.Store
	notifiers map[string]notify.Notifier // by destination name
	// channel returns the notifier for a Discord channel that a watch
	// delivers to; nil when no bot token is configured.
	channel   func(channelID string) notify.Notifier
	forum     func(channelID string) notify.Notifier // likewise, for a forum channel
	live      *live                                  // to pause the watches of a destination that is gone
	leases    *leases
	log       *slog.Logger
	now       func() time.Time
	metrics   *metrics
	burst     int // more pending alerts than this go as bursts
	retryBase time.Duration
	retryMax  time.Duration // a failing destination is tried again at least this often
	// nonceWindow is how long a retry's nonce still lets Discord answer the
	// earlier message; a retry later than that first looks for a ghost.
	nonceWindow time.Duration
	wake        chan struct{} // poked after a poll enqueued alerts
	capped      *capLog       // max_per_hour reported (shared with the poller)
	commits     *commitLock   // held while forming digests and deciding reports alone (shared with the poller)
	settled     settledRows   // the outbox rows read once no moves were pending (readSettled)
	storeErrs   *statelog.Log
	// leaseWaits logs the outbox's wait for the stories lease another
	// instance holds: no failure of the store, so not among storeErrs,
	// which health and run --once's exit code count.
	leaseWaits *statelog.Log
	// drops logs the alerts a destination refuses, by destination and
	// reason: one that refuses every alert (a format that makes every
	// embed invalid) is one failure, not an ERROR line per alert. Not
	// among storeErrs: health does not count it.
	drops *statelog.Log
	// pauses logs the pauses of a destination, by destination and
	// reason: one paused again the same way after a reload tried it
	// (Service.retryUnchecked) is counted, not logged again, and its
	// next delivery ends the run.
	pauses    *statelog.Log
	beat      heartbeat
	delivered atomic.Int64 // alerts delivered by this process
	// skewMu guards skewedUntil: the latest time at which a digest found
	// due, but left for clockSkew, is formed (zero: none since taken).
	skewMu      sync.Mutex
	skewedUntil time.Time
	dropped     atomic.Int64
	// pollsOver says this process polls no more before it ends (run
	// --once, after its polls): see leadGrace.
	pollsOver atomic.Bool
	// deliverAgain says a join of this pass waits for a message the pass
	// posts: run --once makes one more pass.
	deliverAgain atomic.Bool
	// passFailed says a read or write of the outbox failed during this
	// pass where the pass goes on (outboxFailed): reportPass then does
	// not log the store as working again.
	passFailed atomic.Bool

	mu     sync.Mutex
	paused map[string]string      // destination -> reason it was paused
	health map[string]*destHealth // destinations that failed lately
	// leaseFailing are the destinations whose last take of their outbox
	// lease the store failed (errOutboxLeaseNotGiven): a failure of the
	// store for health, apart from storeErrs, since the leases log it.
	// Each lasts until a take of its lease is answered, or a pass finds
	// nothing pending for it: a pass's end, which may not have tried it,
	// or tried it long before, says nothing of it.
	leaseFailing map[string]bool
	// unrecorded are alerts a destination took whose delivery could not be
	// written down yet (outbox row id -> message id): they are recorded,
	// never sent again.
	unrecorded map[int64]string
	warned     map[string]bool // problems already reported, by key
	// lastEdit is when each story message was last edited, by destination
	// and message; editGap the least time between two edits of one.
	lastEdit map[string]time.Time
	editGap  time.Duration
	dead     map[string]bool // story messages that cannot be edited, by destination and id
}

// destHealth is a destination's run of failures. Back-off belongs to the
// destination (it is Discord that is down, not the alert): while it fails,
// its alerts wait in order, and it is tried again within retryMax.
type destHealth struct {
	failures   int
	since      time.Time // first failure of the run
	waitUntil  time.Time // no send before
	lastErr    string    // the latest error's full text
	state      string    // its statelog.State: a change of state is logged
	stateCount int       // failures in this state
	logged     statelog.Logged
}

// sendTick is how often the sender looks for retries that fell due.
const sendTick = 2 * time.Second

func (s *sender) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// loop delivers pending alerts whenever a poll enqueued some, when a
// failing destination's wait ends, and on a tick for what else fell due,
// until runCtx ends; sendCtx bounds in-flight sends.
func (s *sender) loop(runCtx, sendCtx context.Context) {
	t := time.NewTicker(sendTick)
	defer t.Stop()
	retry := &retryTimer{t: time.NewTimer(time.Hour), s: s}
	defer retry.t.Stop()
	for {
		s.beat.beat(s.now())
		s.reportPass(sendCtx, s.deliverWhile(sendCtx, passStarts{wake: s.wake, tick: t.C, retry: retry, stop: runCtx.Done()}))
		if runCtx.Err() != nil {
			return // a wake pending too must not start a pass in the shutdown grace
		}
		retry.arm()
		select {
		case <-runCtx.Done():
			return
		case <-s.wake:
		case <-t.C:
		case <-retry.t.C:
		}
	}
}

// retryTimer fires when the first failing destination's wait (its
// back-off, or the Retry-After it asked for) ends, so that its alerts are
// tried then, not up to a tick later.
type retryTimer struct {
	t *time.Timer
	s *sender
}

// arm sets the timer to the earliest wait still running, or stops it.
func (r *retryTimer) arm() {
	r.t.Stop()
	if wait, ok := r.s.firstWaitEnds(); ok {
		r.t.Reset(wait)
	}
}

// c is the timer's channel; nil (never ready) for a pass without one.
func (r *retryTimer) c() <-chan time.Time {
	if r == nil {
		return nil
	}
	return r.t.C
}

// firstWaitEnds returns how long until the first failing destination's
// wait ends, if one is still waiting. A wait already over is left out:
// the destination was tried, or is tried by the pass under way.
func (s *sender) firstWaitEnds() (time.Duration, bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var first time.Time
	for _, h := range s.health {
		if h.waitUntil.After(now) && (first.IsZero() || h.waitUntil.Before(first)) {
			first = h.waitUntil
		}
	}
	return first.Sub(now), !first.IsZero()
}

// reportPass logs what kept a delivery pass from reading the outbox,
// once per change of state: the stories lease another instance holds
// (readSettled, digests formed and reports posted alone under
// commitLock), which is no failure of the store, apart from the store's
// errors. A destination's outbox lease the store did not give is one,
// which the leases logged: it is counted (health), not logged again. It
// reports whether the store failed (run --once's exit code).
func (s *sender) reportPass(ctx context.Context, err error) (storeFailed bool) {
	if err != nil && ctx.Err() != nil {
		return false // a shutdown cut the pass short
	}
	waits, failed := splitOff(err, errStoriesLeaseNotTaken)
	if waits != nil {
		// One state however many destinations wait, and which: the
		// waits, named by destination, are its detail.
		s.leaseWaits.Fail("stories-lease", "the outbox waits for the stories lease, which another instance holds (a poll grouping and committing alerts, or one stalled until the lease runs out): the rows of destinations whose messages name their story, digests and reports that go alone wait for it",
			fmt.Errorf("the %q lease: %w", storiesLease, errStoriesLeaseNotTaken), "waits", waits)
	} else {
		s.leaseWaits.OK("stories-lease", "the stories lease is free again; the outbox is read")
	}
	notGiven, failed := splitOff(failed, errOutboxLeaseNotGiven) // logged by the leases
	if failed != nil {
		s.outboxFailed(failed)
	}
	if !s.passFailed.Swap(false) {
		s.storeErrs.OK("outbox", "reading and writing the outbox work again")
	}
	return failed != nil || notGiven != nil
}

// outboxFailed logs a failed read or write of the outbox, once per change
// of state, and marks the pass failed, so that its end (reportPass) does
// not log the store as working again: a failure that recurs on every pass
// is one line, not two a pass. The line says which it was: a full disk
// refuses the writes (outboxWrite) while the reads still work.
func (s *sender) outboxFailed(err error) {
	s.passFailed.Store(true)
	msg := "reading the outbox failed; retrying"
	if errors.As(err, new(writeError)) {
		msg = "writing the outbox failed; retrying"
	}
	s.storeErrs.Fail("outbox", msg, err)
}

// writeError is a failed write of the outbox (a batch assigned, a report
// set to go alone), told apart from a read for the log (outboxFailed).
type writeError struct{ err error }

func (e writeError) Error() string { return e.err.Error() }
func (e writeError) Unwrap() error { return e.err }

// outboxWrite marks err, if any, as a failed write of the outbox.
func outboxWrite(err error) error {
	if err == nil {
		return nil
	}
	return writeError{err}
}

// splitOff parts err, or the errors errors.Join made it of, into those
// that are target and the others, each joined (nil for none).
func splitOff(err, target error) (is, others error) {
	errs := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap()
	}
	var a, b []error
	for _, e := range errs {
		if errors.Is(e, target) {
			a = append(a, e)
		} else {
			b = append(b, e)
		}
	}
	return errors.Join(a...), errors.Join(b...)
}

// deliverAll sends everything that is due, destination by destination,
// oldest first, until nothing due is left or a destination must wait (a
// destination whose story moves are queued waits: errMovesQueued).
func (s *sender) deliverAll(ctx context.Context) error {
	return s.deliverWhile(ctx, passStarts{})
}

// passStarts are what starts, while a pass's slower destinations still
// send, the destinations that are not sending: wake (a poll enqueued
// alerts), retry (a failing destination's wait ended; armed again as each
// destination ends) or tick (what else may have fallen due), until stop is
// closed (a shutdown: a send begun in the grace may be cut off by its end
// after it reached the destination, and be posted again by the next run).
type passStarts struct {
	wake  <-chan struct{}
	tick  <-chan time.Time
	retry *retryTimer
	stop  <-chan struct{}
}

// deliverWhile is deliverAll, which also starts destinations as starts
// says. Destinations are independent: one that is slow or down (a post
// waiting out a rate limit inside its notifier, a page of paced messages,
// an SMTP server's timeout) must not hold up the others' new alerts until
// it is done. A destination sending at a wake that ends without reading
// its outbox after it (destinationRun.missedWake) may have read before the
// poll's commit: while others still send it is started again at once, and
// when it ends the pass, the wake is given back, so the next pass reads it
// again at once. One that read again since saw the commit, and costs no
// extra read. The pass returns each destination's latest outcome: one
// started again and again while another sends is one state, not one error
// a tick.
func (s *sender) deliverWhile(ctx context.Context, starts passStarts) error {
	p := destinationPass{done: make(chan destinationDone), errs: map[string]error{}}
	outcomes := s.delivered.Load() + s.dropped.Load()
	first := s.startPending(ctx, &p)
	handOn := false
	for p.sending > 0 {
		select {
		case d := <-p.done:
			missed := p.ended(d)
			if missed && p.sending > 0 && starts.wake != nil {
				// The pass's end, where the wake is handed on, waits for
				// the slower destinations: start this one again now.
				missed = !s.startAgain(ctx, &p)
			}
			handOn = handOn || missed
			if starts.retry != nil && p.sending > 0 {
				starts.retry.arm() // d may have failed
			}
		case <-starts.wake:
			p.woken()
			s.startAgain(ctx, &p)
		case <-starts.tick:
			s.startAgain(ctx, &p)
		case <-starts.retry.c():
			s.startAgain(ctx, &p)
			starts.retry.arm()
		case <-starts.stop:
			starts = passStarts{}
		}
	}
	if handOn {
		s.poke()
	}
	errs := []error{first}
	for _, d := range slices.Sorted(maps.Keys(p.errs)) {
		errs = append(errs, p.errs[d])
	}
	if s.delivered.Load()+s.dropped.Load() != outcomes {
		errs = append(errs, s.settleRetired(ctx))
	}
	return errors.Join(errs...)
}

// destinationPass is the destinations a pass is sending to, each by one
// goroutine of the pass's, which it waits for, and the latest outcome of
// each destination it sent to.
type destinationPass struct {
	busy    map[string]*destinationRun
	sending int
	done    chan destinationDone
	errs    map[string]error
}

// destinationRun is one destination's goroutine of a pass: reads counts
// its reads of its outbox, each counted before it begins; wokenAt is
// reads when the pass last took a wake while it ran (woken).
type destinationRun struct {
	reads   atomic.Uint64
	woken   bool
	wokenAt uint64
}

// woken notes a wake (a poll's commit before it) for the destinations
// sending now.
func (p *destinationPass) woken() {
	for _, r := range p.busy {
		r.woken, r.wokenAt = true, r.reads.Load()
	}
}

// ended takes d's end into p, and reports whether d missed a wake
// (missedWake).
func (p *destinationPass) ended(d destinationDone) (missedWake bool) {
	p.sending--
	missedWake = p.busy[d.dest].missedWake()
	delete(p.busy, d.dest)
	p.errs[d.dest] = d.err
	return missedWake
}

// missedWake reports whether the destination ended without a read begun
// after the pass's last wake while it ran: it may not have seen the
// alerts committed before that wake.
func (r *destinationRun) missedWake() bool {
	return r.woken && r.reads.Load() == r.wokenAt
}

type destinationDone struct {
	dest string
	err  error
}

// startAgain is startPending while other destinations send: a read of the
// outbox that fails is logged at once (outboxFailed), as the pass may go
// on for long after, and once per change of state however many ticks it
// fails on. It reports whether the read worked.
func (s *sender) startAgain(ctx context.Context, p *destinationPass) bool {
	err := s.startPending(ctx, p)
	if err != nil && ctx.Err() == nil {
		s.outboxFailed(err)
	}
	return err == nil
}

// startPending starts a goroutine of p for each destination with alerts
// pending that p is not sending to.
func (s *sender) startPending(ctx context.Context, p *destinationPass) error {
	dests, err := s.store.PendingDestinations(ctx)
	if err != nil {
		return err
	}
	s.metrics.outboxHolds(dests)
	s.leaseFailingOnly(dests)
	if p.busy == nil {
		p.busy = map[string]*destinationRun{}
	}
	for _, d := range dests {
		if p.busy[d] != nil {
			continue
		}
		run := &destinationRun{}
		p.busy[d] = run
		p.sending++
		go func() { p.done <- destinationDone{d, s.deliverOne(ctx, d, &run.reads)} }()
	}
	return nil
}

// deliverOne is deliverDestination, its wait for queued moves logged
// rather than returned.
func (s *sender) deliverOne(ctx context.Context, dest string, reads *atomic.Uint64) error {
	err := s.deliverDestination(ctx, dest, reads)
	if errors.Is(err, errMovesQueued) {
		// The poller logs the moves' failure, and pokes the sender once
		// they are stored.
		s.log.Debug("alerts wait for their story moves to be stored", "destination", dest)
		return nil
	}
	if err != nil {
		return fmt.Errorf("destination %q: %w", dest, err)
	}
	return nil
}

// settleRetired reads the outbox again at the end of a pass that sent or
// dropped alerts while a retired destination (a channel no watch names
// any more) had alerts left in it: they may have been the last, and its
// series' retireAfter runs from then (metrics.outboxHolds). A pass that
// sent and dropped nothing leaves the outbox to the next pass's read, so
// that an alert waiting for the channel (a back-off, up to a day's
// Retry-After) costs no second read every pass.
func (s *sender) settleRetired(ctx context.Context) error {
	if !s.metrics.retiredWaiting() {
		return nil
	}
	dests, err := s.store.PendingDestinations(ctx)
	if err != nil {
		return err
	}
	s.metrics.outboxHolds(dests)
	return nil
}

// outboxLease names the lease under which one instance sends dest's outbox.
func outboxLease(dest string) string { return "outbox:" + dest }

// outboxLeaseFailing records whether the store failed dest's last take of
// its outbox lease.
func (s *sender) outboxLeaseFailing(dest string, failing bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !failing {
		delete(s.leaseFailing, dest)
		return
	}
	s.leaseFailing[dest] = true
}

// leaseFailingOnly forgets the failing outbox leases of the destinations
// not among pending: no alert waits for them (another instance delivered
// them), and no pass takes them until one does.
func (s *sender) leaseFailingOnly(pending []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for dest := range s.leaseFailing {
		if !slices.Contains(pending, dest) {
			delete(s.leaseFailing, dest)
		}
	}
}

// outboxLeasesFailing reports whether the store failed the last take of
// a destination's outbox lease.
func (s *sender) outboxLeasesFailing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.leaseFailing) > 0
}

// errOutboxLeaseNotGiven is a destination's pass that the store did not
// give its outbox lease: a failure of the store, which the leases log.
var errOutboxLeaseNotGiven = errors.New("taking the outbox's lease failed")

// deliverDestination sends dest's due alerts, reading its outbox again
// after each page until it is empty or dest must wait; reads counts each
// read before it begins (destinationRun).
func (s *sender) deliverDestination(ctx context.Context, dest string, reads *atomic.Uint64) error {
	if s.waiting(dest) {
		return nil
	}
	lease := outboxLease(dest)
	took, err := s.leases.tryTake(ctx, lease)
	if err != nil && ctx.Err() == nil {
		// A take the store failed, or did not answer within
		// leases.callTimeout, is a failure of the store, not another
		// instance sending to dest.
		s.outboxLeaseFailing(dest, true)
		return fmt.Errorf("%w: %w", errOutboxLeaseNotGiven, err)
	}
	if err == nil {
		s.outboxLeaseFailing(dest, false)
	}
	if !took {
		return nil // another instance is sending to it
	}
	defer s.leases.release(ctx, lease)
	// A batch is sent at most once per pass, so an alert whose outcome
	// could not be recorded is not sent again and again.
	sent := map[string]bool{}
	placed := map[int64]bool{}     // joins looked at this pass (likewise)
	formedNow := map[string]bool{} // batches of joins posted alone, formed this pass
	for ctx.Err() == nil {
		if !s.leases.holds(lease) {
			return nil // this instance stalled and another took the outbox over
		}
		if reason, paused := s.destinationPaused(dest); paused {
			s.log.Debug("destination paused; alerts kept", "destination", dest, "reason", reason)
			return nil
		}
		n, ok := s.notifierFor(dest)
		if !ok {
			s.warnOnce("no-notifier:"+dest, "alerts wait for a destination that is no longer configured; they stay in the outbox", "destination", dest)
			return nil
		}
		reads.Add(1)
		pending, err := s.duePrefix(ctx, dest, n)
		if err != nil {
			return err
		}
		if len(pending) == 0 {
			return nil
		}
		pending, joins := splitJoins(pending)
		joins = slices.DeleteFunc(joins, func(j store.Alert) bool { return placed[j.ID] })
		// Batches the page brought in already formed may have been sent
		// before (a crash or a shutdown after the send): see findGhost.
		formedBefore := map[string]bool{}
		for _, a := range pending {
			if a.Batch != "" && !formedNow[a.Batch] {
				formedBefore[a.Batch] = true
			}
		}
		// A join whose story's first alert waits for a digest goes in it
		// before the digest is formed: after, it would find the story out
		// in the digest and go alone, past max_per_hour.
		if joins, ok = s.joinDigests(ctx, dest, joins); !ok {
			return nil
		}
		batches, err := s.batch(ctx, n, pending)
		if err != nil {
			return err
		}
		switch s.sendBatches(ctx, dest, n, batches, formedBefore, sent) {
		case sendStop:
			return nil
		case sendReread:
			continue
		}
		// Joins go under messages sent before them, this pass's included.
		for _, j := range joins {
			placed[j.ID] = true
		}
		if len(joins) > 0 {
			out, err := s.editStories(ctx, dest, n, joins, formedNow)
			if err != nil || out == sendStop {
				return err
			}
		}
		if len(batches) == 0 && len(joins) == 0 {
			return nil // only joins already looked at this pass: the next pass looks again
		}
	}
	return ctx.Err()
}

// sendBatches sends a page's messages in order; a batch is sent at most
// once per pass (sent), so an alert whose outcome could not be recorded is
// not sent again and again. Each message is sent only while this instance
// still holds the outbox lease: a page of slow (paced) messages can outlast
// it.
func (s *sender) sendBatches(ctx context.Context, dest string, n notify.Notifier, batches [][]store.Alert, formedBefore, sent map[string]bool) sendOutcome {
	for _, b := range batches {
		if sent[b[0].Batch] {
			return sendStop
		}
		if !s.leases.holds(outboxLease(dest)) {
			return sendStop // this instance stalled and another may have taken the outbox over
		}
		sent[b[0].Batch] = true
		out := s.sendBatch(ctx, dest, n, b, formedBefore[b[0].Batch])
		s.beat.progress(s.now()) // a message answered: a long backlog is no stall
		if out != sendNext {
			return out
		}
	}
	return sendNext
}

// sendOutcome says how a destination's pass goes on after one message.
type sendOutcome int

const (
	sendNext   sendOutcome = iota // on to the next message
	sendStop                      // the destination must wait (rate limited, failing, gone, shutting down)
	sendReread                    // the outbox changed under the pass (a burst was split): read it again, in order
)

// stopUnless is sendStop unless ok.
func stopUnless(ok bool) sendOutcome {
	if ok {
		return sendNext
	}
	return sendStop
}

// duePrefix returns the oldest pending alerts of dest that are due, in
// order, stopping at the first that is not due yet: a destination that asked
// to wait gets its alerts in their original order when it is ready, not the
// newer ones first. Alerts held for a later digest are skipped, not waited
// for.
func (s *sender) duePrefix(ctx context.Context, dest string, n notify.Notifier) ([]store.Alert, error) {
	now := s.now()
	pending, err := s.readSettled(ctx, dest, n, func() ([]store.Alert, error) {
		return s.store.DueAlerts(ctx, dest, now, 100)
	})
	if err != nil {
		return nil, err
	}
	for i, a := range pending {
		if a.NextAttempt.After(now) {
			return pending[:i], nil
		}
	}
	return pending, nil
}

// readSettled runs read, a read of outbox rows for n, once no commit's
// moves are pending (commitLock.lockSettled), when n's messages name their
// story (it cannot edit: each report is a message, an email threaded by
// its story, a webhook's story_id): a row read between a poll's commit
// and the moves that follow it (a refused opener's story merged into
// another, another worker's re-split) would be sent under the story it
// leaves, and so would another worker's report of a story whose opener a
// poll has grouped but not yet committed (polls hold moves from their
// grouping). The wait is for the read alone, not the send: polls commit
// meanwhile. A destination that edits lists a moved report where its
// story is when it edits (storyedits), and reads without waiting.
//
// Why the sender waits, rather than the commit's transaction making the
// moves: they are known only once the commit is durable. The merge needs
// the commit's refused duplicates (store.Poll.Duplicates), and the index
// must not list a story under another for a commit that may yet fail.
// Another worker's re-split is caught by looking at the index after the
// commit (poller.followMoves); looked at inside the transaction, on
// PostgreSQL, a re-split made just after the look whose move ran before
// this commit was visible (read committed) would miss this poll's rows,
// and the look had missed the re-split. (SQLite, one writer at a time,
// would not miss it; PostgreSQL's workers commit concurrently.) So the
// window stays, and the reads that name stories wait it out: in this
// process for the polls holding moves, on a shared store for the stories
// lease, which a poll that enqueues alerts holds until its moves are
// stored.
//
// On a shared store the lease is a write to take and one to give back,
// and a destination is read on every tick (one whose rows wait for a
// digest every 2 s), so it is taken only when the rows read may still be
// moving: read first without it (under this process's moves), and again
// under it only when the page holds a row not read under it before
// (settledRows).
func (s *sender) readSettled(ctx context.Context, dest string, n notify.Notifier, read func() ([]store.Alert, error)) ([]store.Alert, error) {
	if _, edits := n.(notify.Editor); edits {
		return read()
	}
	if s.leases.shared() {
		rows, err := s.readUnderMoves(ctx, dest, read)
		if err != nil || s.settled.covers(rows) {
			return rows, err
		}
	}
	unlock, err := s.commits.lockSettled(ctx, dest)
	if err != nil {
		return nil, err
	}
	defer unlock()
	rows, err := read()
	if err == nil {
		s.settled.note(rows)
	}
	return rows, err
}

// readUnderMoves runs read, of dest's rows, while no poll of this process
// is between its grouping and its moves (commitLock.moves, lockMoves).
func (s *sender) readUnderMoves(ctx context.Context, dest string, read func() ([]store.Alert, error)) ([]store.Alert, error) {
	if err := s.commits.lockMoves(ctx, dest); err != nil {
		return nil, err
	}
	defer s.commits.moves.Unlock()
	return read()
}

// batch groups pending alerts into messages for n (one alert each where
// every alert is a post of its own, notify.PostsEach). Alerts that already
// carry a batch (a send was tried) keep it, so a retry is the same message
// with the same nonce; the rest are batched now and the batch is stored
// before the first attempt.
func (s *sender) batch(ctx context.Context, n notify.Notifier, pending []store.Alert) ([][]store.Alert, error) {
	var out [][]store.Alert
	index := map[string]int{}
	var fresh []store.Alert
	var digests []store.Alert // the first row of each released digest
	now := s.now()
	for _, a := range pending {
		if a.Batch == "" && a.Digest != "" {
			if s.leases.shared() && now.Before(a.HoldUntil.Add(clockSkew)) {
				s.formLater(a.HoldUntil.Add(clockSkew))
				continue // formed later: see clockSkew
			}
			if !slices.ContainsFunc(digests, func(d store.Alert) bool { return d.Digest == a.Digest }) {
				digests = append(digests, a)
			}
			continue
		}
		if a.Batch == "" {
			fresh = append(fresh, a)
			continue
		}
		if i, ok := index[a.Batch]; ok {
			out[i] = append(out[i], a)
			continue
		}
		index[a.Batch] = len(out)
		out = append(out, []store.Alert{a})
	}
	if err := s.completeBatches(ctx, n, out); err != nil {
		return nil, err
	}
	out, err := s.batchDigests(ctx, n, out, digests)
	if err != nil {
		return nil, err
	}
	size := 1
	if len(fresh) > s.burst && !notify.PostsEach(n) {
		size = notify.MaxBurst
	}
	for len(fresh) > 0 {
		k := min(size, len(fresh))
		group := fresh[:k]
		fresh = fresh[k:]
		name := batchName(group)
		ids := make([]int64, len(group))
		for i := range group {
			ids[i] = group[i].ID
			group[i].Batch = name
		}
		if err := s.store.AssignBatch(ctx, ids, name); err != nil {
			return nil, outboxWrite(err)
		}
		out = append(out, group)
	}
	return out, nil
}

// clockSkew is how far apart the clocks of instances sharing a store may
// be. Each decides by its own clock which digest a match is held for, so
// on a shared store a digest is formed this long after its time: an
// instance whose clock is behind, up to this much, has gone past that
// time by then, and holds its matches for the next digest, not for one
// already sent (where they would make a second digest of the period).
const clockSkew = 10 * time.Second

// formLater notes that a digest found due is formed at at (clockSkew), or
// that a join waits until at for its story's first alert (leadGrace).
func (s *sender) formLater(at time.Time) {
	s.skewMu.Lock()
	defer s.skewMu.Unlock()
	if at.After(s.skewedUntil) {
		s.skewedUntil = at
	}
}

// takeFormLater returns, and forgets, the latest time at which a digest
// found due since the last call is formed (clockSkew); zero for none.
func (s *sender) takeFormLater() time.Time {
	s.skewMu.Lock()
	defer s.skewMu.Unlock()
	at := s.skewedUntil
	s.skewedUntil = time.Time{}
	return at
}

// batchName is derived from the first outbox row and the size, so it is
// unique and short enough to serve as a Discord nonce (≤ 25 characters).
func batchName(group []store.Alert) string {
	return "nh" + strconv.FormatInt(group[0].ID, 36) + "x" + strconv.Itoa(len(group))
}

// batchSize is the number of alerts a batch was formed with, from its
// name; 0 when the name does not say.
func batchSize(name string) int {
	i := strings.LastIndexByte(name, 'x')
	if !strings.HasPrefix(name, "nh") || i < 0 {
		return 0
	}
	n, err := strconv.Atoi(name[i+1:])
	if err != nil {
		return 0
	}
	return n
}

// batchFirstID is the id of the first row of a message batch, from its
// name ("nh", the id in base 36, then "x" and the size for a burst, or
// "d" and perhaps a size for a digest or a half of one).
func batchFirstID(name string) (int64, bool) {
	if !strings.HasPrefix(name, "nh") {
		return 0, false
	}
	for _, sep := range []byte{'x', 'd'} {
		i := strings.LastIndexByte(name, sep)
		if i < 2 || strings.Trim(name[i+1:], "0123456789") != "" || sep == 'x' && i == len(name)-1 {
			continue
		}
		if id, err := strconv.ParseInt(name[2:i], 36, 64); err == nil {
			return id, true
		}
	}
	return 0, false
}

// deliveredBefore returns a row of b's message batch recorded delivered,
// or store.ErrNotFound: versions before MarkDelivered marked a message's
// rows in one statement recorded them one by one, and one that died
// between them left the rest of the message pending. The message went
// out whole, so the rest is recorded with it, not sent again as a message
// of its own (under another Idempotency-Key or Message-ID).
func (s *sender) deliveredBefore(ctx context.Context, b []store.Alert) (store.Alert, error) {
	first, ok := batchFirstID(b[0].Batch)
	if !ok {
		return store.Alert{}, store.ErrNotFound
	}
	return s.store.BatchDelivered(ctx, b[0].Destination, b[0].Batch, first)
}

// completeBatches fills in the bursts the page of due alerts cut short:
// a message must go out whole, or the rest of it, sent later under the
// same nonce, would be taken for a repeat and never posted. (Digests are
// completed by batchDigests.)
func (s *sender) completeBatches(ctx context.Context, n notify.Notifier, out [][]store.Alert) error {
	for i, b := range out {
		if b[0].Digest != "" || len(b) >= batchSize(b[0].Batch) && batchSize(b[0].Batch) > 0 {
			continue
		}
		all, err := s.readSettled(ctx, b[0].Destination, n, func() ([]store.Alert, error) {
			return s.store.BatchAlerts(ctx, b[0].Destination, b[0].Batch)
		})
		if err != nil {
			return err
		}
		if len(all) > len(b) {
			out[i] = all
		}
	}
	return nil
}

// sendBatch sends one message and records the outcome. maybeSent says the
// batch was formed before this pass, so an earlier send of it may have
// reached the destination unrecorded.
func (s *sender) sendBatch(ctx context.Context, dest string, n notify.Notifier, b []store.Alert, maybeSent bool) sendOutcome {
	rec, cancel := recordCtx(ctx)
	defer cancel()
	if id, ok := s.takenEarlier(b); ok {
		return stopUnless(s.recordDelivered(rec, dest, b, notify.Receipt{MessageID: id}))
	}
	if maybeSent {
		a, err := s.deliveredBefore(rec, b)
		switch {
		case err == nil:
			s.log.Info("a row of this message was recorded delivered before; the rest of it is recorded with it, not sent again",
				"destination", dest, "batch", b[0].Batch, "message", a.MessageID)
			return stopUnless(s.recordDelivered(rec, dest, b, notify.Receipt{MessageID: a.MessageID}))
		case !errors.Is(err, store.ErrNotFound):
			s.outboxFailed(err)
			return sendStop
		}
	}
	msg := notify.Message{Nonce: b[0].Batch}
	var enqueued []time.Time
	for _, row := range b {
		a, err := alert.Decode(row.Payload)
		if err != nil {
			s.drop(ctx, row, fmt.Sprintf("unreadable payload: %v", err))
			continue
		}
		a.ID = row.ID
		if row.Story != "" {
			// The row's story, not the payload's: a re-split or the merge
			// of a refused duplicate's story (store.MoveStories) moves the
			// row after the payload was written, and a restart groups by
			// the row. (composeEdit reads the payload's: where it was
			// listed.)
			a.Story = row.Story
		}
		msg.Alerts = append(msg.Alerts, a)
		enqueued = append(enqueued, row.EnqueuedAt)
	}
	if len(msg.Alerts) == 0 {
		return sendNext
	}
	if b[0].Digest != "" {
		alert.GroupDigest(msg.Alerts, enqueued) // each story once, however many reports
		msg.Digest = s.digestOf(b[0].Digest, msg.Alerts)
	}
	receipt, found, err := s.findGhost(ctx, n, msg, b, maybeSent)
	if err == nil && !found {
		receipt, err = n.Send(ctx, msg)
	}
	sent, cancelSent := recordCtx(ctx)
	defer cancelSent()
	if err != nil {
		return s.handleSendError(ctx, sent, dest, b, err)
	}
	if found {
		s.log.Info("an earlier attempt had reached the destination; not posting it again", "destination", dest, "message", receipt.MessageID)
	}
	s.recovered(dest)
	s.drops.OK(dest, "destination takes alerts again; failures is how many alerts it refused that were dropped", "destination", dest)
	s.pauses.OK(dest, "destination delivered again: its pause ended; failures is how many times it was paused", "destination", dest)
	return stopUnless(s.recordDelivered(sent, dest, b, receipt))
}

// recordTimeout bounds a write of what a send did.
const recordTimeout = 5 * time.Second

// recordCtx is the context a send's outcome is recorded under, made once
// the send is over: the send may take longer than recordTimeout (a rate
// limit waited out in the notifier, an HTTP timeout), and what happened
// is recorded even when shutdown cancelled ctx during it: a message
// Discord accepted must be marked delivered. What a re-plan cut short
// owes is written down under it too (heldReplans.noteOwed).
func recordCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
}

// findGhost looks in the destination for an earlier send of this batch
// that reached it unanswered, when no nonce can catch it: the batch may
// have been sent before (it was formed before this pass: a failed
// attempt, or a crash or shutdown right after a send, which leaves no
// attempt recorded), and either the notifier sends no nonce (a webhook)
// or the batch was enqueued longer ago than the nonce window.
func (s *sender) findGhost(ctx context.Context, n notify.Notifier, msg notify.Message, b []store.Alert, maybeSent bool) (notify.Receipt, bool, error) {
	f, ok := n.(notify.Finder)
	if !ok || (!maybeSent && b[0].Attempts == 0) || s.insideNonceWindow(n, b) {
		return notify.Receipt{}, false, nil
	}
	return f.Find(ctx, msg)
}

// insideNonceWindow reports whether n's nonces still catch any earlier
// send of rows: n sends them, and every row was enqueued (or, a join, made
// a message of its own) less than the nonce window ago: no send of a
// message can be older than that.
func (s *sender) insideNonceWindow(n any, rows []store.Alert) bool {
	if ns, ok := n.(notify.NonceSender); !ok || !ns.SendsNonce() {
		return false
	}
	now := s.now()
	for _, r := range rows {
		if now.Sub(latest(r.EnqueuedAt, r.SentAloneAt)) >= s.nonceWindow {
			return false
		}
	}
	return true
}

// recordDelivered writes down that the destination took the batch. A row
// whose record fails is kept in memory and recorded on a later pass, never
// sent again; it reports whether every row was recorded.
func (s *sender) recordDelivered(ctx context.Context, dest string, b []store.Alert, r notify.Receipt) bool {
	now := s.now()
	ok := true
	for _, row := range b {
		s.mu.Lock()
		_, again := s.unrecorded[row.ID]
		s.mu.Unlock()
		if !again {
			s.metrics.delivered.WithLabelValues(dest).Inc()
			s.delivered.Add(1)
			// the recipients that missed it: the exception to No loss
			// that the email notifier logs, counted here to show
			s.metrics.missed.WithLabelValues(dest).Add(float64(r.Missed))
		}
		if err := s.store.MarkDelivered(ctx, row.ID, r.MessageID, now); err != nil {
			s.storeErrs.Fail("delivered", "recording delivered alerts failed; they are recorded later, not sent again", err, "id", row.ID)
			s.mu.Lock()
			s.unrecorded[row.ID] = r.MessageID
			s.mu.Unlock()
			ok = false
			continue
		}
		s.storeErrs.OK("delivered", "recording delivered alerts works again")
		s.mu.Lock()
		delete(s.unrecorded, row.ID)
		s.mu.Unlock()
	}
	return ok
}

// takenEarlier reports whether the destination already took this batch in
// this process (its record failed), with the message id.
func (s *sender) takenEarlier(b []store.Alert) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.unrecorded[b[0].ID]
	return id, ok
}

// handleSendError decides what a failed send means; rec is the context
// for recording it, which outlives a shutdown.
func (s *sender) handleSendError(ctx, rec context.Context, dest string, b []store.Alert, err error) sendOutcome {
	var retry *notify.RetryError
	switch {
	case ctx.Err() != nil:
		return sendStop
	case errors.As(err, &retry):
		s.metrics.sendErrors.WithLabelValues(dest, "retry").Inc()
		s.markFailed(rec, b, err, s.failed(dest, err, retry.After))
		return sendStop
	case errors.Is(err, notify.ErrGone):
		s.metrics.sendErrors.WithLabelValues(dest, "gone").Inc()
		if s.dropUnwatched(rec)[dest] > 0 {
			// The watch was removed (on another instance, while this one
			// polled with the catalog of before): its alerts are dropped,
			// and the destination is no reason to pause.
			return sendReread
		}
		if s.unwatched(dest) {
			// A watch's former channel (the watch was edited to another):
			// what waits for it can go nowhere, and pausing it would keep
			// /readyz at 503 with no watch left to resume.
			s.dropNowhere(rec, dest, b, err)
			return sendReread
		}
		s.pauseDestination(rec, dest, err.Error())
		return sendStop
	case errors.Is(err, notify.ErrRejected) && len(b) == 1:
		s.drop(rec, b[0], err.Error())
		return sendNext
	case errors.Is(err, notify.ErrRejected) && b[0].Digest != "":
		// One alert of the digest is bad: the digest goes out in two
		// halves, each a digest, until the bad one is alone and dropped.
		// Singles would post each of its alerts as a message: a flood of
		// what max_per_hour or quiet hours held back.
		s.log.Warn("digest rejected; retrying it in two halves", "destination", dest, "alerts", len(b), "err", err)
		for _, half := range [][]store.Alert{b[:len(b)/2], b[len(b)/2:]} {
			ids := make([]int64, len(half))
			for i := range half {
				ids[i] = half[i].ID
			}
			// Named apart from the digest (and from each other half of
			// it) by their size, so each is sent in this pass.
			name := digestBatchName(half) + strconv.Itoa(len(half))
			if err := s.store.AssignBatch(rec, ids, name); err != nil {
				s.log.Error("splitting a digest", "ids", ids, "err", err)
			}
		}
		return sendReread
	case errors.Is(err, notify.ErrRejected):
		// One alert of the burst is bad: unbatch them so each is tried
		// (and if need be dropped) alone.
		s.log.Warn("burst rejected; retrying its alerts one by one", "destination", dest, "err", err)
		for _, row := range b {
			if err := s.store.AssignBatch(rec, []int64{row.ID}, batchName([]store.Alert{row})); err != nil {
				s.log.Error("unbatching", "id", row.ID, "err", err)
			}
		}
		return sendReread // in order: the singles before the messages after them
	default:
		s.metrics.sendErrors.WithLabelValues(dest, "error").Inc()
		s.markFailed(rec, b, err, s.failed(dest, err, 0))
		return sendStop
	}
}

// maxAskedWait bounds how long a destination's Retry-After holds its
// alerts, as feeds.maxRetryAfter bounds a feed's: a receiver asking for a
// year (or for milliseconds it wrote as seconds) would park them that
// long, past restarts, since each alert's next attempt is stored.
const maxAskedWait = 24 * time.Hour

// failed records a failure of the destination and returns when to try it
// again: after wait when it named one (Retry-After, up to maxAskedWait;
// the log says what was asked when that is longer), else after a back-off
// that doubles from retryBase up to retryMax, so that a destination that
// recovers is noticed within retryMax. The first failure of a run and each
// change of state (statelog.State: the kind of failure, not its full text,
// which may carry a response body with a fresh request id) are logged,
// the change with the count of the state before, but for a change back to
// a state the run was logged with (statelog.Logged); repeats only count.
func (s *sender) failed(dest string, err error, wait time.Duration) time.Time {
	now := s.now()
	state := statelog.State(err)
	s.mu.Lock()
	h := s.health[dest]
	if h == nil {
		h = &destHealth{since: now}
		s.health[dest] = h
	}
	h.failures++
	asked, askedFor := wait > 0, wait
	wait = min(wait, maxAskedWait)
	if wait <= 0 {
		wait = s.retryBase << min(h.failures-1, 20)
		wait = min(wait, s.retryMax)
	}
	h.waitUntil = now.Add(wait)
	changed := h.failures == 1 || h.state != state
	prevErr, prevCount := h.lastErr, h.stateCount
	if changed {
		h.state, h.stateCount = state, 0
	}
	h.stateCount++
	h.lastErr = err.Error()
	failures, since := h.failures, h.since
	firstTime := h.logged.First(state)
	s.mu.Unlock()
	if !changed || !firstTime {
		return now.Add(wait)
	}
	msg := "delivery failing; the destination's alerts wait in order"
	if asked {
		msg = "destination asks to wait; its alerts wait in order"
	}
	args := []any{"destination", dest, "err", err, "failures", failures, "failing_since", since.Format(time.RFC3339), "retry_in", wait}
	if askedFor > wait {
		args = append(args, "asked", askedFor)
	}
	if failures > 1 {
		args = append(args, "previous_error", prevErr, "previous_count", prevCount)
	}
	s.log.Warn(msg, args...)
	return now.Add(wait)
}

// recovered ends a destination's run of failures, and says so once, with
// how many failures there were.
func (s *sender) recovered(dest string) {
	s.mu.Lock()
	h := s.health[dest]
	delete(s.health, dest)
	s.mu.Unlock()
	if h != nil {
		s.log.Info("destination recovered", "destination", dest, "failures", h.failures, "last_error", h.lastErr, "down_for", s.now().Sub(h.since).Round(time.Second))
	}
}

// waiting reports whether a failing destination's next try is not due.
func (s *sender) waiting(dest string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.health[dest]
	return h != nil && s.now().Before(h.waitUntil)
}

func (s *sender) markFailed(ctx context.Context, b []store.Alert, err error, next time.Time) {
	for _, row := range b {
		if e := s.store.MarkFailed(ctx, row.ID, err.Error(), next); e != nil {
			s.storeErrs.Fail("failed", "recording failed deliveries failed; the alerts are tried again as before", e, "id", row.ID)
			continue
		}
		s.storeErrs.OK("failed", "recording failed deliveries works again")
	}
}

func (s *sender) drop(ctx context.Context, row store.Alert, reason string) {
	s.metrics.dropped.WithLabelValues(row.Destination).Inc()
	s.dropped.Add(1)
	s.log.Debug("alert dropped", "id", row.ID, "destination", row.Destination, "reason", reason)
	s.drops.Fail(row.Destination, "alert dropped: the destination will not accept it; further drops for this reason are counted until it takes an alert", errors.New(reason),
		"id", row.ID, "destination", row.Destination, "subscription", row.Subscription)
	if err := s.store.MarkDropped(ctx, row.ID, reason); err != nil {
		s.storeErrs.Fail("dropped", "recording dropped alerts failed; they are tried again and dropped again", err, "id", row.ID)
		return
	}
	s.storeErrs.OK("dropped", "recording dropped alerts works again")
}

func (s *sender) destinationPaused(dest string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	reason, ok := s.paused[dest]
	return reason, ok
}

// pauseDestination stops deliveries to a destination that is gone (channel
// deleted, webhook deleted, access removed). Its alerts stay in the outbox;
// watches delivering there are paused with the reason.
func (s *sender) pauseDestination(ctx context.Context, dest, reason string) {
	s.mu.Lock()
	s.paused[dest] = reason
	s.mu.Unlock()
	s.pauses.Fail(dest, "destination paused: it no longer accepts messages; fix it, then reload (SIGHUP), which checks it or tries it again, or restart (a watch's channel: /watch resume); paused again for the same reason, it is counted", errors.New(reason), "destination", dest)
	watches, err := s.store.Watches(ctx)
	if err != nil {
		s.log.Error("listing watches to pause", "err", err)
		return
	}
	changed := false
	for _, w := range watches {
		if watchDestination(w) == dest && !w.Paused {
			if err := s.store.SetWatchPaused(ctx, w.ID, true, reason); err != nil {
				s.log.Error("pausing watch", "watch", w.ID, "err", err)
			}
			changed = true
		}
	}
	if changed {
		if err := s.live.rebuild(ctx, nil); err != nil {
			s.log.Error("reloading subscriptions", "err", err)
		}
	}
}

// takeInWatches is what a change of the watches (here or on another
// instance) means for delivery: the pending alerts of removed watches
// are dropped, and a watch destination no watch names any more is no
// longer paused or failing (see forgetUnwatched).
func (s *sender) takeInWatches(ctx context.Context) {
	s.dropUnwatched(ctx)
	s.forgetUnwatched()
}

// dropUnwatched drops the pending alerts of watches that no longer exist:
// removing a watch means its alerts are no longer wanted. Each
// destination's are logged once, with their count, and counted as
// dropped. It returns the counts by destination.
func (s *sender) dropUnwatched(ctx context.Context) map[string]int {
	dropped, err := s.store.DropUnwatched(ctx, "its watch was removed")
	if err != nil {
		if ctx.Err() == nil {
			s.storeErrs.Fail("unwatched", "dropping the alerts of removed watches failed; tried again at the next change of the watches or start", err)
		}
		return nil
	}
	s.storeErrs.OK("unwatched", "dropping the alerts of removed watches works again")
	for dest, n := range dropped {
		s.metrics.dropped.WithLabelValues(dest).Add(float64(n))
		s.dropped.Add(int64(n))
		s.log.Warn("alerts dropped: their watch was removed", "destination", dest, "alerts", n)
	}
	return dropped
}

// forgetUnwatched lifts the pause, and ends the run of failures and of
// drops (sender.drops, so that a watch brought back onto it later logs
// its own first drop), of each watch destination (a channel or forum)
// that no watch names any more, paused or not: nothing more is sent
// there, so it no longer makes the service unready; its metric series
// are retired (metrics.retire: they go once scrapes have read their last
// counts, the alerts dropUnwatched dropped among them, and those of the
// alerts still in the outbox for it, whose delivery or drop each pass
// looks for: deliverAll, settleRetired). A destination a paused watch
// still names stays paused.
func (s *sender) forgetUnwatched() {
	unwatched := s.unwatched
	s.mu.Lock()
	var lifted []string
	for dest := range s.paused {
		if unwatched(dest) {
			delete(s.paused, dest)
			lifted = append(lifted, dest)
		}
	}
	for _, dest := range lifted {
		s.pauses.Forget(dest)
	}
	for dest := range s.health {
		if unwatched(dest) {
			delete(s.health, dest)
		}
	}
	s.mu.Unlock()
	s.drops.ForgetIf(unwatched)
	for _, dest := range lifted {
		s.log.Info("destination no longer paused: no watch names it any more", "destination", dest)
	}
	s.metrics.retire(unwatched)
}

// unwatched reports whether dest is a watch destination (a channel or
// forum) that neither the config nor any watch, paused or not, names.
func (s *sender) unwatched(dest string) bool {
	_, configured := s.notifiers[dest]
	return !configured && isWatchDestination(dest) && !s.live.now().watched[dest]
}

// dropNowhere drops batch b of dest, a destination that is gone and that
// no watch names any more (the watch moved to another channel): nothing
// can deliver it. The destination's first such drop in this process is
// logged as a warning, later ones at debug level; each is counted.
func (s *sender) dropNowhere(ctx context.Context, dest string, b []store.Alert, cause error) {
	reason := "its channel is gone and no watch names it any more"
	for _, row := range b {
		if err := s.store.MarkDropped(ctx, row.ID, reason); err != nil {
			s.storeErrs.Fail("dropped", "recording dropped alerts failed; they are tried again and dropped again", err, "id", row.ID)
			return
		}
		s.metrics.dropped.WithLabelValues(dest).Inc()
		s.dropped.Add(1)
	}
	s.storeErrs.OK("dropped", "recording dropped alerts works again")
	s.warnOnce("nowhere:"+dest, "alerts dropped: their channel is gone and no watch names it any more", "destination", dest, "alerts", len(b), "err", cause)
}

func (s *sender) notifierFor(dest string) (notify.Notifier, bool) {
	return destinationNotifier(s.notifiers, s.channel, s.forum, dest)
}

// destinationNotifier finds the notifier of a configured destination or
// of a watch's channel or forum.
func destinationNotifier(notifiers map[string]notify.Notifier, channel, forum func(string) notify.Notifier, dest string) (notify.Notifier, bool) {
	if n, ok := notifiers[dest]; ok {
		return n, true
	}
	if id, ok := strings.CutPrefix(dest, "channel:"); ok && channel != nil {
		return channel(id), true
	}
	if id, ok := strings.CutPrefix(dest, "forum:"); ok && forum != nil {
		return forum(id), true
	}
	return nil, false
}

// lift is resume where the pause is told ended (a check passed, a
// moderator resumed a watch of the destination), not merely tried again
// (Service.retryUnchecked): a pause after it is logged as a new one, not
// counted in the run a line said was over.
func (s *sender) lift(dest string) {
	s.pauses.Forget(dest)
	s.resume(dest)
}

// resume lifts a pause.
func (s *sender) resume(dest string) {
	s.mu.Lock()
	delete(s.paused, dest)
	s.mu.Unlock()
	s.poke() // what waited for it goes now, not at the next tick
}

// warnOnce logs a warning the first time key is seen in this process, and
// at debug level after that, so a lasting condition does not flood the log.
func (s *sender) warnOnce(key, msg string, args ...any) {
	s.mu.Lock()
	seen := s.warned[key]
	s.warned[key] = true
	s.mu.Unlock()
	if seen {
		s.log.Debug(msg, args...)
		return
	}
	s.log.Warn(msg, args...)
}
