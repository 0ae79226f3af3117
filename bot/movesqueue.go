package bot

import (
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/newshound/newshound/store"
)

// errMovesQueued is the sender's wait for a destination whose story moves
// are queued (movesQueue): its rows are not in the stories the index
// lists them under until the moves are stored, so none is read or posted
// alone meanwhile. The destination waits; it is no failure of the outbox.
var errMovesQueued = errors.New("story moves of the destination wait to be stored")

// maxMovesHold is how long the sender leaves a destination's rows alone
// for its queued moves: past it, what waits goes out under the stories
// the store has (a report perhaps posted alone, or under a stale story
// id), as it did before moves were queued. A desk is better served by an
// alert in the wrong message than by none for as long as the moves fail,
// and a move that can never be stored must not hold a destination for
// good. The moves are still tried.
const maxMovesHold = 2 * time.Minute

// maxQueuedMoves bounds movesQueue: past it the oldest moves are dropped,
// and their reports stay in the stories the store has them under.
const maxQueuedMoves = 1000

// movesQueue keeps, in memory and in order, the story moves a poll gave up
// storing (poller.storeMoves: a store in an outage), until a later try
// stores them: the next poll's moves, stored after them in one
// transaction, or the poll loop's try once their back-off has passed
// (poller.retryQueuedMoves). Without it the store kept the reports in the
// story they were committed under for good, while the index listed them
// under their new one: the sender posted them there, another instance
// or a restart grouped the story's later reports apart. While a
// destination's moves are queued the sender leaves its rows alone
// (commitLock.lockMoves, errMovesQueued), for maxMovesHold at most. The
// zero value is ready to use, on the wall clock.
type movesQueue struct {
	mu    sync.Mutex
	now   func() time.Time // nil: time.Now
	moves []queuedMove     // oldest first
	last  uint64           // the seq of the last move queued
	dests map[string]int
	// released are the destinations held for maxMovesHold, which go on
	// now, until none of their moves is queued.
	released map[string]bool
	// dropped counts the moves dropped for the bound since the queue was
	// last empty.
	dropped int
	// failures counts the tries failed in a row; no try is due before
	// retryAt.
	failures int
	retryAt  time.Time
}

// queuedMove is a move, its place in the queue and when it was queued.
type queuedMove struct {
	seq uint64
	at  time.Time
	store.StoryMove
	// aloneFailures counts the tries it failed alone while other moves
	// were stored (poller.moveOneByOne).
	aloneFailures int
}

// add queues moves after those queued, the oldest dropped past
// maxQueuedMoves; it returns how many were dropped now and since the
// queue was last empty.
func (q *movesQueue) add(moves []store.StoryMove) (droppedNow, dropped int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.dests == nil {
		q.dests = map[string]int{}
	}
	now := q.clock()
	for _, m := range moves {
		q.last++
		q.moves = append(q.moves, queuedMove{seq: q.last, at: now, StoryMove: m})
		q.dests[m.Destination]++
	}
	if over := len(q.moves) - maxQueuedMoves; over > 0 {
		q.forget(q.moves[:over])
		q.moves = append(q.moves[:0], q.moves[over:]...)
		droppedNow = over
		q.dropped += over
	}
	return droppedNow, q.dropped
}

// take takes the first move queued equal to m out of the queue: stored,
// or dropped for good, alone (poller.moveOneByOne). It counts in no drop
// for the bound, and leaves the back-off as it is.
func (q *movesQueue) take(m store.StoryMove) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if i := q.index(m); i >= 0 {
		q.forget(q.moves[i : i+1])
		q.moves = slices.Delete(q.moves, i, i+1)
	}
}

// toBack puts the first move queued equal to m after the others, its
// hold's start kept: it failed alone. alone says other moves were stored
// meanwhile (the store works): toBack counts it, and returns how many
// times the move failed so.
func (q *movesQueue) toBack(m store.StoryMove, alone bool) (aloneFailures int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	i := q.index(m)
	if i < 0 {
		return 0
	}
	qm := q.moves[i]
	if alone {
		qm.aloneFailures++
	}
	q.last++
	qm.seq = q.last
	q.moves = append(slices.Delete(q.moves, i, i+1), qm)
	return qm.aloneFailures
}

// index is the place of the first move queued equal to m, -1 if none;
// the caller holds mu.
func (q *movesQueue) index(m store.StoryMove) int {
	return slices.IndexFunc(q.moves, func(qm queuedMove) bool { return qm.StoryMove == m })
}

// splitting reports whether the queued moves failed splitAfter tries in
// a row: they are then tried one by one.
func (q *movesQueue) splitting() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.failures >= splitAfter
}

// forget takes gone's moves out of the destinations' counts; the caller
// holds mu.
func (q *movesQueue) forget(gone []queuedMove) {
	for _, m := range gone {
		if q.dests[m.Destination]--; q.dests[m.Destination] <= 0 {
			delete(q.dests, m.Destination)
			delete(q.released, m.Destination)
		}
	}
}

// holds reports whether moves of dest's rows are queued, the oldest for
// less than maxMovesHold; past it, it logs once that dest goes on.
func (q *movesQueue) holds(dest string, log *slog.Logger) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.dests[dest] == 0 || q.released[dest] {
		return false
	}
	if q.clock().Sub(q.oldest(dest)) < maxMovesHold {
		return true
	}
	if q.released == nil {
		q.released = map[string]bool{}
	}
	q.released[dest] = true
	log.Warn("story moves not stored for too long: the destination's alerts go out under the stories the store has, the moves are still tried",
		"destination", dest, "moves", q.dests[dest], "held", maxMovesHold)
	return false
}

// oldest is when the oldest move of dest queued was queued (a move that
// failed alone went to the queue's back with its time); the caller holds
// mu, and one is queued.
func (q *movesQueue) oldest(dest string) time.Time {
	var at time.Time
	for _, m := range q.moves {
		if m.Destination == dest && (at.IsZero() || m.at.Before(at)) {
			at = m.at
		}
	}
	return at
}

func (q *movesQueue) clock() time.Time {
	if q.now == nil {
		return time.Now()
	}
	return q.now()
}

// snapshot returns the queued moves, oldest first, and the seq up to
// which stored takes them out once they are stored.
func (q *movesQueue) snapshot() (moves []store.StoryMove, upTo uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	moves = make([]store.StoryMove, len(q.moves))
	for i, m := range q.moves {
		moves[i] = m.StoryMove
	}
	return moves, q.last
}

// stored takes the moves queued up to seq upTo out, and ends the back-off:
// the store works. Moves queued since stay, in order. It returns how many
// moves were dropped since the queue was last empty, when it is empty
// now (0 otherwise).
func (q *movesQueue) stored(upTo uint64) (dropped int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for n < len(q.moves) && q.moves[n].seq <= upTo {
		n++
	}
	q.forget(q.moves[:n])
	q.moves = append(q.moves[:0], q.moves[n:]...)
	q.failures, q.retryAt = 0, time.Time{}
	if len(q.moves) > 0 {
		return 0
	}
	dropped, q.dropped = q.dropped, 0
	return dropped
}

// due reports whether moves are queued and their back-off has passed.
func (q *movesQueue) due(now time.Time) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.moves) > 0 && !now.Before(q.retryAt)
}

// failed backs the next try off as polling backs off a failing store.
func (q *movesQueue) failed(now time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.failures++
	q.retryAt = now.Add(storeBackoffStep(q.failures))
}

// nextTry is when the back-off lets the next try be made.
func (q *movesQueue) nextTry() time.Time {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.retryAt
}

// lost returns how many moves are queued, and how many were dropped for
// the bound since the queue was last empty: what a process that stops
// now loses.
func (q *movesQueue) lost() (queued, dropped int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.moves), q.dropped
}

// size is how many moves are queued.
func (q *movesQueue) size() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.moves)
}
