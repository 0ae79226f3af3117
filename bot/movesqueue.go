package bot

import (
	"errors"
	"sync"
	"time"

	"github.com/newshound/newshound/store"
)

// errMovesQueued is the sender's wait for a destination whose story moves
// are queued (movesQueue): its rows are not in the stories the index
// lists them under until the moves are stored, so none is read or posted
// alone meanwhile. The destination waits; it is no failure of the outbox.
var errMovesQueued = errors.New("story moves of the destination wait to be stored")

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
// (commitLock.lockMoves, errMovesQueued). The zero value is ready to use.
type movesQueue struct {
	mu    sync.Mutex
	moves []queuedMove // oldest first
	last  uint64       // the seq of the last move queued
	dests map[string]int
	// dropped counts the moves dropped for the bound since the queue was
	// last empty.
	dropped int
	// failures counts the tries failed in a row; no try is due before
	// retryAt.
	failures int
	retryAt  time.Time
}

// queuedMove is a move and its place in the queue.
type queuedMove struct {
	seq uint64
	store.StoryMove
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
	for _, m := range moves {
		q.last++
		q.moves = append(q.moves, queuedMove{seq: q.last, StoryMove: m})
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

// forget takes gone's moves out of the destinations' counts; the caller
// holds mu.
func (q *movesQueue) forget(gone []queuedMove) {
	for _, m := range gone {
		if q.dests[m.Destination]--; q.dests[m.Destination] <= 0 {
			delete(q.dests, m.Destination)
		}
	}
}

// holds reports whether moves of dest's rows are queued.
func (q *movesQueue) holds(dest string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dests[dest] > 0
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

// size is how many moves are queued.
func (q *movesQueue) size() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.moves)
}
