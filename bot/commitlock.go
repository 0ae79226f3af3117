package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/newshound/newshound/store"
)

// commitLock serializes what decides against the outbox as it stands with
// the commits that change it: a poll's grouping (and its late openers) and
// its holds (max_per_hour's count, a digest's period) until its commit,
// against the sender's forming of a digest and its decision to post a
// story's report alone (which counts towards max_per_hour, and leads a
// story that has no first alert yet). Both are store writes (a batch);
// the sends that follow are outside it, since a send may wait out a rate
// limit for seconds, and every poll that enqueues alerts would wait too.
//
// holds is this process's part: the poller takes it from deciding holds to
// the commit, the sender while it forms digests or decides which reports
// go alone.
// On a shared store the stories lease extends it to the other instances:
// the poller takes it (lockStories) from grouping to the commit of a poll
// that enqueues alerts, the sender before holds (lockHolds). Both take the
// lease first, so they wait for each other in one order.
//
// moves is this process's part of the stories lease for a commit's
// moves: a poll that enqueues alerts holds it (read) from its grouping to
// the moves that follow its commit (poller.followMoves), the sender
// (write) while it decides to post reports alone (in lockHolds), and
// while it reads the outbox rows of a destination whose messages name
// their story (lockSettled). So a report committed into a story whose
// first report a commit refused, which the merge then moves under another
// story, is in that story when the sender decides (store.PostAlone
// refuses one moved since it was read) or reads it, and none is sent
// under the story a move takes it out of. Held from the grouping, not the
// commit, it covers another worker's report grouped into a story the
// poll opens and committed before the poll's opener. Polls and the sender
// take moves before holds. On a shared store the stories lease covers
// it: a poll that enqueues alerts holds the lease until its moves are
// stored. A poll whose moves fail (a store in an outage) tries them again
// outside moves, which would otherwise stall every poll and the sender's
// reads for the retries' ~22 s; until they are stored, or given up and
// queued, the sender waits for them where they move rows, its
// destinations (pending, lockMoves), and goes on elsewhere. Moves given
// up stay queued until a later try stores them (queued), and the sender
// leaves their destinations' rows alone meanwhile, for maxMovesHold at
// most.
type commitLock struct {
	leases  *leases
	holds   sync.Mutex
	moves   sync.RWMutex
	pending pendingMoves
	queued  movesQueue
	log     *slog.Logger
	// stories is held with the stories lease (lockStories).
	stories *storiesSlot
}

func newCommitLock(ls *leases, now func() time.Time, log *slog.Logger) *commitLock {
	return &commitLock{leases: ls, queued: movesQueue{now: now}, log: log, stories: newStoriesSlot()}
}

// storiesLease serializes, among the instances sharing a store, the polls
// that enqueue alerts, from grouping to commit, and the sender's decisions
// that depend on them (see commitLock).
const storiesLease = "stories"

// errStoriesLeaseNotTaken is lockStories giving up: what waits is not
// failing, but waiting for another instance.
var errStoriesLeaseNotTaken = errors.New("not taken")

// lockStories holds the stories lease, and this process's part of it,
// until unlock. An instance groups into the stories other instances
// committed (storyGroups.takeIn); two instances grouping the first reports
// of one story at once would each see nothing of the other's and post the
// story twice to a destination. Polls that enqueue nothing take no lease,
// and those that do are few and commit in milliseconds, so the wait is
// short: it backs off from 20 ms to a second, and gives up by twice the
// lease's time to live (its tries end up to a second before:
// storiesBudget), by which a dead holder's lease has run out; each
// try, and the give-up's question of who holds it, is bounded by the time
// left (and by leases.callTimeout), so that neither a store that hangs
// nor one that answers slowly stretches it. The tries end the give-back
// of a try cut short (leases.cutReleaseTimeout) before that: the end of
// the tries cuts the last one short, which is then given back, and a
// store that hangs does not answer the give-back either (storiesBudget).
// It then says why (gaveUp: another instance holds it, or taking it
// fails).
// A poll that gives up for another instance leaves its items for a later
// poll (poller.leftForLease); one that gives up for a failing take fails
// as a store that cannot write would. The wait for this
// process's part counts towards that time while the worker ahead waits
// for the lease too, its question of who holds it included, so the
// sender's destinations waiting for a lease another instance holds give
// up together, not one after another; while a worker of this process
// holds the lease it does not (storiesSlot).
func (c *commitLock) lockStories(ctx context.Context) (unlock func(), err error) {
	budget := c.storiesBudget()
	since := c.stories.triesSoFar()
	queued, err := c.stories.take(ctx, budget)
	if errors.Is(err, errStoriesLeaseNotTaken) {
		// The workers ahead used the whole budget: no time is left to ask
		// who holds the lease, but they may have asked.
		return nil, c.gaveUp(budget, c.stories.failedTry(since), c.stories.named(since))
	}
	if err != nil {
		return nil, err
	}
	if err := c.waitForStoriesLease(ctx, time.Now().Add(budget-queued), budget, since); err != nil {
		c.stories.give()
		return nil, err
	}
	return func() {
		c.leases.release(ctx, storiesLease)
		c.stories.give()
	}, nil
}

// storiesBudget is how long lockStories tries to take the lease: twice
// its ttl, less the time a give-back of the last try may take, so that
// the give-up comes at twice the ttl at the latest. A dead holder's lease
// runs out after one ttl, so the tries still outlast it by far.
func (c *commitLock) storiesBudget() time.Duration {
	return 2*c.leases.ttl - c.leases.cutReleaseTimeout()
}

// gaveUp is lockStories' error once the lease was not taken within
// budget. When the wait's last try to take it failed (takeErr), taking it
// fails: the store's error, a failure of the store. Else another instance
// holds it (errStoriesLeaseNotTaken), named when the store told which
// (owner): a wait.
func (c *commitLock) gaveUp(budget time.Duration, takeErr error, owner string) error {
	if takeErr != nil {
		return fmt.Errorf("taking the %q lease failed (tried for %v): %w", storiesLease, budget, takeErr)
	}
	holder := "another instance holds it"
	if owner != "" {
		holder += fmt.Sprintf(": %q", owner)
	}
	return fmt.Errorf("waiting for the %q lease: %w within %v: %s", storiesLease, errStoriesLeaseNotTaken, budget, holder)
}

// askHolderShare is the part of lockStories' budget left when it asks
// who holds the lease (about 1 s of the default 39 s), after a try made then:
// a question left to the moments after the budget's last try would name
// no one. Its tries go on after the question until the budget's end.
const askHolderShare = 40

// waitForStoriesLease takes the stories lease for the holder of
// c.stories, trying until giveUp, with the slot's clock running until
// it takes the lease or has its give-up's error (gaveUp, the tries since
// read while this worker holds the slot: the next holder's are not this
// wait's).
func (c *commitLock) waitForStoriesLease(ctx context.Context, giveUp time.Time, budget time.Duration, since uint64) error {
	c.stories.waitingForLease(true)
	defer c.stories.waitingForLease(false)
	inBudget, cancel := context.WithDeadline(ctx, giveUp)
	defer cancel()
	err := c.tryStoriesLease(ctx, inBudget, giveUp.Add(-budget/askHolderShare))
	if !errors.Is(err, errStoriesLeaseNotTaken) {
		return err
	}
	return c.gaveUp(budget, c.stories.failedTry(since), c.stories.named(since))
}

// tryStoriesLease tries to take the stories lease, each try within
// inBudget, backing off, until inBudget ends, and asks who holds it
// after a try the store answered at askAt or later (a try is made at
// askAt). The answer goes to the slot (storiesSlot.toldHolder), for the
// workers queued behind too. A try the end of the budget cut short is not
// counted (failedTry): the store may have been about to answer.
func (c *commitLock) tryStoriesLease(ctx, inBudget context.Context, askAt time.Time) error {
	asked := false
	for wait := 20 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		took, err := c.leases.tryTake(inBudget, storiesLease)
		if err != nil && ctx.Err() != nil {
			return ctx.Err() // a try cut short says nothing of the store
		}
		if err != nil && inBudget.Err() != nil {
			return errStoriesLeaseNotTaken
		}
		if c.stories.tried(took, err) {
			return nil // taken: the caller's unlock gives it back, cancelled or not
		}
		if !asked && err == nil && !time.Now().Before(askAt) {
			c.stories.toldHolder(c.leases.holder(inBudget, storiesLease))
			asked = true
		}
		sleepInBudget(inBudget, wait, askAt, asked)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if inBudget.Err() != nil {
			return errStoriesLeaseNotTaken
		}
	}
}

// sleepInBudget waits wait, or until askAt when the holder is still to
// be asked, or until inBudget ends.
func sleepInBudget(inBudget context.Context, wait time.Duration, askAt time.Time, asked bool) {
	if untilAsk := time.Until(askAt); !asked && untilAsk > 0 {
		wait = min(wait, untilAsk)
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-inBudget.Done():
	}
}

// storiesSlot is this process's part of the stories lease: its workers
// share one owner name, for which the lease is taken again at once, so
// one worker at a time holds the slot, from before it takes the lease
// until it gives it back. A worker queued for the slot waits either for
// a worker of this process that holds the lease (a poll storing its
// moves, ~22 s of retries in a store outage; the sender deciding which
// reports go alone), which is no reason to give up, or for the worker
// ahead of it that waits for the lease another instance holds, which is
// the wait it would make itself. So the slot keeps a clock of its
// holders' waits for the lease (leaseWaited), and a worker's give-up
// (lockStories) counts the time that clock ran while it was queued, and
// nothing else.
type storiesSlot struct {
	slot chan struct{}

	mu sync.Mutex
	// waited is the time the slot's holders waited for the lease, up to
	// since, when the present holder began to wait (zero: none waits).
	waited time.Duration
	since  time.Time
	// changed is closed, and forgotten, when a holder begins or ends a
	// wait for the lease: the workers queued look at the clock again.
	changed chan struct{}
	// takeErr is the store's error at the holders' last try to take the
	// lease, nil when it answered; tries counts the tries, so that a
	// worker giving up reads the last of those made while it waited.
	takeErr error
	tries   uint64
	// holder is the instance a holder's question found holding the
	// lease, after the try numbered holderAt: the workers that give up
	// name it without asking again (named).
	holder   string
	holderAt uint64
}

// errTakeUnanswered is a wait's give-up when no try to take the lease
// ended while it waited: the store did not answer for all that time.
var errTakeUnanswered = errors.New("the store answered no try to take it")

// tried notes a holder's try to take the lease, and reports whether it
// took it. A take forgets the holder a question found before: that
// instance holds the lease no more, and a worker still queued names no
// one rather than it (named).
func (s *storiesSlot) tried(took bool, err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.takeErr = err
	s.tries++
	if took {
		s.holder, s.holderAt = "", 0
	}
	return took
}

// toldHolder notes the instance a holder's question found holding the
// lease; "" (the store did not tell) forgets none found before.
func (s *storiesSlot) toldHolder(owner string) {
	if owner == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holder, s.holderAt = owner, s.tries
}

// named is the instance a holder's question found holding the lease
// after a try made since triesSoFar was since, "" when none did: a
// question asked before the wait tells nothing of it.
func (s *storiesSlot) named(since uint64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holderAt <= since {
		return ""
	}
	return s.holder
}

// triesSoFar is the count of tries to read failedTry and named by.
func (s *storiesSlot) triesSoFar() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tries
}

// failedTry is why a wait that began when triesSoFar was since gave up:
// the store's error at the holders' last try since, nil when the store
// answered it (another instance held the lease), errTakeUnanswered when
// none ended since. A try made before the wait tells nothing of it.
func (s *storiesSlot) failedTry(since uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tries == since {
		return errTakeUnanswered
	}
	return s.takeErr
}

func newStoriesSlot() *storiesSlot {
	return &storiesSlot{slot: make(chan struct{}, 1)}
}

// leaseWaited reads the clock at now: the time the slot's holders have
// waited for the lease, whether it runs (a holder waits now), and a
// channel closed when it starts or stops.
func (s *storiesSlot) leaseWaited(now time.Time) (waited time.Duration, running bool, changed <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	waited, running = s.waited, !s.since.IsZero()
	if running {
		waited += now.Sub(s.since)
	}
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return waited, running, s.changed
}

// take waits for the slot until ctx ends or the holders ahead have
// waited for the lease for budget, and returns the part of budget spent
// so.
func (s *storiesSlot) take(ctx context.Context, budget time.Duration) (spent time.Duration, err error) {
	start, _, _ := s.leaseWaited(time.Now())
	for {
		waited, running, changed := s.leaseWaited(time.Now())
		if spent = waited - start; spent >= budget {
			return spent, errStoriesLeaseNotTaken
		}
		took, err := s.takeWhile(ctx, changed, running, budget-spent)
		if took || err != nil {
			return spent, err
		}
	}
}

// takeWhile waits for the slot until ctx ends, changed is closed, or,
// while the clock runs, left has passed, and reports whether it took it.
func (s *storiesSlot) takeWhile(ctx context.Context, changed <-chan struct{}, running bool, left time.Duration) (took bool, err error) {
	var outOfBudget <-chan time.Time
	if running {
		timer := time.NewTimer(left)
		defer timer.Stop()
		outOfBudget = timer.C
	}
	select {
	case s.slot <- struct{}{}:
		return true, nil
	case <-ctx.Done():
		return false, ctx.Err()
	case <-changed:
	case <-outOfBudget:
	}
	return false, nil
}

// waitingForLease starts the clock (true), while the holder waits for
// the lease, or stops it (false).
func (s *storiesSlot) waitingForLease(waiting bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if waiting == !s.since.IsZero() {
		return
	}
	if waiting {
		s.since = time.Now()
	} else {
		s.waited += time.Since(s.since)
		s.since = time.Time{}
	}
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
}

// give hands the slot to the next worker queued.
func (s *storiesSlot) give() { <-s.slot }

// lockHolds holds moves, and on a shared store the stories lease before
// it, and then holds, until unlock: the sender decides under it what polls
// decide under theirs (see commitLock). A poll takes moves before holds
// too (it holds moves from its grouping), so the two wait in one order.
func (c *commitLock) lockHolds(ctx context.Context, dest string) (unlock func(), err error) {
	unlockStories, err := c.lockSharedStories(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.lockMoves(ctx, dest); err != nil {
		unlockStories()
		return nil, err
	}
	c.holds.Lock()
	return func() {
		c.holds.Unlock()
		c.moves.Unlock()
		unlockStories()
	}, nil
}

// lockHoldsAll holds, on a shared store, the stories lease and then
// holds, until unlock: no poll decides or commits holds, and no digest of
// any destination is formed, on any instance, while the caller moves held
// alerts between digests.
func (c *commitLock) lockHoldsAll(ctx context.Context) (unlock func(), err error) {
	unlockStories, err := c.lockSharedStories(ctx)
	if err != nil {
		return nil, err
	}
	c.holds.Lock()
	return func() {
		c.holds.Unlock()
		unlockStories()
	}, nil
}

// lockSettled holds moves, and on a shared store the stories lease before
// it, until unlock: no commit's moves are pending under it, on any
// instance, so the outbox rows read under it are in the stories the
// index lists them under. The sender reads the rows of a destination
// whose messages name their story under it (sender.readSettled).
func (c *commitLock) lockSettled(ctx context.Context, dest string) (unlock func(), err error) {
	unlockStories, err := c.lockSharedStories(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.lockMoves(ctx, dest); err != nil {
		unlockStories()
		return nil, err
	}
	return func() {
		c.moves.Unlock()
		unlockStories()
	}, nil
}

// lockMoves holds moves (write) once no poll's moves of dest's rows are
// tried again outside it (pendingMoves), until the caller unlocks moves.
// (On a shared store the poll holds the stories lease through its
// retries, so a caller holding the lease finds none pending.) While moves
// of dest's rows are queued (movesQueue), which may last as long as an
// outage, it does not wait but returns errMovesQueued: the destination
// waits, the sender goes on with the others, for maxMovesHold at most.
func (c *commitLock) lockMoves(ctx context.Context, dest string) error {
	for {
		c.moves.Lock()
		if c.queued.holds(dest, c.log) {
			c.moves.Unlock()
			return errMovesQueued
		}
		changed := c.pending.of(dest)
		if changed == nil {
			return nil
		}
		c.moves.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// pendingMoves counts, by destination, the polls whose moves failed and
// are tried again outside commitLock.moves (poller.storeMoves). Between
// their commit and their moves a destination's rows are not in the
// stories the index lists them under, and the sender waits for them
// (commitLock.lockMoves).
type pendingMoves struct {
	mu    sync.Mutex
	dests map[string]int
	// changed is closed, and forgotten, when a poll's moves are done:
	// the destinations waiting look again.
	changed chan struct{}
}

// add counts the destinations of moves as pending; the caller holds
// moves (read), so the sender sees them pending, or the moves stored.
func (m *pendingMoves) add(moves []store.StoryMove) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dests == nil {
		m.dests = map[string]int{}
	}
	for _, d := range moveDestinations(moves) {
		m.dests[d]++
	}
}

// done takes back add, once the moves are stored or queued (movesQueue).
func (m *pendingMoves) done(moves []store.StoryMove) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range moveDestinations(moves) {
		if m.dests[d]--; m.dests[d] <= 0 {
			delete(m.dests, d)
		}
	}
	if m.changed != nil {
		close(m.changed)
		m.changed = nil
	}
}

// of returns nil when no moves of dest are pending, else a channel closed
// when a poll's pending moves are done.
func (m *pendingMoves) of(dest string) <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dests[dest] == 0 {
		return nil
	}
	if m.changed == nil {
		m.changed = make(chan struct{})
	}
	return m.changed
}

// moveDestinations lists the destinations moves move rows of, each once.
func moveDestinations(moves []store.StoryMove) []string {
	dests := make([]string, 0, len(moves))
	for _, m := range moves {
		dests = append(dests, m.Destination)
	}
	slices.Sort(dests)
	return slices.Compact(dests)
}

// lockSharedStories is lockStories on a shared store; on a store of this
// process's own it takes nothing.
func (c *commitLock) lockSharedStories(ctx context.Context) (unlock func(), err error) {
	if !c.leases.shared() {
		return func() {}, nil
	}
	return c.lockStories(ctx)
}

// settledRows remembers the outbox rows the sender read under the stories
// lease (commitLock.lockSettled), so that a read of those rows again need
// not take the lease (sender.readSettled). Rows are inserted by
// CommitPoll alone, which on a shared store a poll runs under the stories
// lease, held until its moves are stored. So a row read under the lease
// was committed, and its poll's moves stored, before that read: a later
// poll moves the rows it commits itself and those of the stories its
// grouping opens, none of them read then. (A re-split moves older rows in
// its commit's own transaction: no window.) Rows are known by their ids,
// not by a bound on them: an id is handed out at the insert, not the
// commit, and a transaction whose instance's lease ran out during its
// commit may commit after another instance's later insert, its rows' ids
// below those read under the lease meanwhile.
type settledRows struct {
	mu   sync.Mutex
	read map[int64]bool // the ids of the rows read under the lease
}

// maxSettledRows bounds what settledRows remembers: past it, it forgets
// all, and the next read of each destination takes the lease once.
const maxSettledRows = 1 << 14

// note records rows, read under the stories lease.
func (s *settledRows) note(rows []store.Alert) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.read == nil || len(s.read)+len(rows) > maxSettledRows {
		s.read = make(map[int64]bool, len(rows))
	}
	for _, r := range rows {
		s.read[r.ID] = true
	}
}

// covers reports whether every row of rows is past its poll's moves: each
// was read under the lease before.
func (s *settledRows) covers(rows []store.Alert) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rows {
		if !s.read[r.ID] {
			return false
		}
	}
	return true
}
