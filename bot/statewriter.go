package bot

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/newshound/newshound/store"
)

// Group commit of feed states. Most polls end in a 304 or an unchanged
// body, and each used to cost a write transaction (and a read before it):
// at thousands of polls a minute the transactions, not the bytes, were the
// cost (issue 11: 61 % of the CPU of a 304). On a store with one owner
// (SQLite) feedStates queues the states of such polls and writes them
// together with store.SaveFeedStates: when stateBatch are waiting, when
// the poll loop ticks (at least every stateFlushEvery), and at the end of
// a pass or of the service. It also keeps every state it read in bulk or
// wrote, so a poll reads nothing: this process is the only writer.
//
// What a crash loses is at most a second of 304 outcomes: those feeds are
// polled again after the restart, with the validators they had, and answer
// 304 again. Polls with new items are not deferred: CommitPoll writes their
// state with the items and the alerts, in one transaction.
//
// On a shared store (PostgreSQL) nothing is deferred or cached: an
// instance releases a feed's lease right after the poll, and the next
// instance to take it must find the poll's state (its next-poll time)
// already written, or it polls the feed again.
type feedStates struct {
	store    store.Store
	oneOwner bool // states are deferred and known is authoritative
	maxBatch int

	mu        sync.Mutex
	known     map[string]knownState      // cache mode only
	pending   map[string]store.FeedState // queued writes, latest per feed
	flushing  map[string]store.FeedState // being written now
	flushMu   sync.Mutex                 // one flush at a time
	flushed   time.Time                  // when the last flush started
	preloaded bool                       // every state was read once
}

// knownState is a cached state; found false: the store has none.
type knownState struct {
	st    store.FeedState
	found bool
}

const (
	stateBatch      = 256
	stateFlushEvery = time.Second
)

func newFeedStates(st store.Store, oneOwner bool) *feedStates {
	return &feedStates{
		store: st, oneOwner: oneOwner, maxBatch: stateBatch,
		known: map[string]knownState{}, pending: map[string]store.FeedState{}, flushing: map[string]store.FeedState{},
	}
}

// load returns feedID's state as last written by this process or read
// from the store; found is false when there is none.
func (s *feedStates) load(ctx context.Context, feedID string) (st store.FeedState, found bool, err error) {
	s.mu.Lock()
	if st, ok := s.pending[feedID]; ok {
		s.mu.Unlock()
		return st, true, nil
	}
	if st, ok := s.flushing[feedID]; ok {
		s.mu.Unlock()
		return st, true, nil
	}
	if k, ok := s.known[feedID]; ok && s.oneOwner {
		s.mu.Unlock()
		return k.st, k.found, nil
	}
	s.mu.Unlock()
	st, err = s.store.FeedState(ctx, feedID)
	switch {
	case err == nil:
		s.rememberRead(st, true)
		return st, true, nil
	case errors.Is(err, store.ErrNotFound):
		s.rememberRead(store.FeedState{FeedID: feedID}, false)
		return st, false, nil
	default:
		return st, false, err
	}
}

// rememberRead keeps a state read from the store (cache mode only), unless
// a write of this process came meanwhile: the read may be older than it.
func (s *feedStates) rememberRead(st store.FeedState, found bool) {
	if !s.oneOwner {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.known[st.FeedID]; !ok {
		s.known[st.FeedID] = knownState{st, found}
	}
}

// preload reads every state in one query, once, so that passes over all
// feeds read none (one owner only; a shared store is read per poll; a feed
// added later is read when first polled).
func (s *feedStates) preload(ctx context.Context) error {
	s.mu.Lock()
	done := !s.oneOwner || s.preloaded
	s.mu.Unlock()
	if done {
		return nil
	}
	all, err := s.store.FeedStates(ctx)
	if err != nil {
		return err
	}
	s.rememberAll(all)
	return nil
}

// rememberAll keeps states read in bulk (cache mode only).
func (s *feedStates) rememberAll(all map[string]store.FeedState) {
	if !s.oneOwner {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, st := range all {
		// What this process wrote or read before is at least as new.
		if _, ok := s.known[id]; !ok {
			s.known[id] = knownState{st, true}
		}
	}
	s.preloaded = true
}

// remember keeps a state this process read or wrote (cache mode only).
func (s *feedStates) remember(st store.FeedState, found bool) {
	if !s.oneOwner {
		return
	}
	s.mu.Lock()
	s.known[st.FeedID] = knownState{st, found}
	s.mu.Unlock()
}

// forget drops a cached state whose write failed: the next poll reads
// the store.
func (s *feedStates) forget(feedID string) {
	s.mu.Lock()
	delete(s.known, feedID)
	s.mu.Unlock()
}

// queue defers the write of a state to the next group commit, flushing at
// once when stateBatch are waiting. On a shared store it writes at once.
// wrote says whether anything was written (so that a success means the
// store takes writes again).
func (s *feedStates) queue(ctx context.Context, st store.FeedState) (wrote bool, err error) {
	if !s.oneOwner {
		return true, s.store.SaveFeedState(ctx, st)
	}
	s.mu.Lock()
	s.pending[st.FeedID] = st
	if s.oneOwner {
		s.known[st.FeedID] = knownState{st, true}
	}
	full := len(s.pending) >= s.maxBatch
	s.mu.Unlock()
	if full {
		return s.flush(ctx)
	}
	return false, nil
}

// settle drops a queued write of feedID and waits for a flush that is
// writing it, so that a write the caller makes now (CommitPoll, a
// failure's state) is not overwritten by an older one.
func (s *feedStates) settle(feedID string) {
	for {
		s.mu.Lock()
		delete(s.pending, feedID)
		_, inFlush := s.flushing[feedID]
		s.mu.Unlock()
		if !inFlush {
			return
		}
		// A failed flush queues its states again: look once more.
		s.flushMu.Lock()
		s.flushMu.Unlock()
	}
}

// flushDue flushes when states are waiting and the last flush is at
// least stateFlushEvery old (on the wall clock: this is about batching
// writes, not about the feeds' schedule).
func (s *feedStates) flushDue(ctx context.Context) (wrote bool, err error) {
	s.mu.Lock()
	due := len(s.pending) > 0 && time.Since(s.flushed) >= stateFlushEvery
	s.mu.Unlock()
	if !due {
		return false, nil
	}
	return s.flush(ctx)
}

// flush writes every queued state in one transaction. On failure the
// states stay queued (unless a newer one was queued meanwhile) and are
// tried again at the next flush.
func (s *feedStates) flush(ctx context.Context) (wrote bool, err error) {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	s.mu.Lock()
	if len(s.pending) == 0 {
		s.mu.Unlock()
		return false, nil
	}
	s.flushing, s.pending = s.pending, s.flushing
	s.flushed = time.Now()
	batch := make([]store.FeedState, 0, len(s.flushing))
	for _, st := range s.flushing {
		batch = append(batch, st)
	}
	// In key order: the rows are written (and locked) in the same order
	// by every transaction, and the B-tree is walked once.
	slices.SortFunc(batch, func(a, b store.FeedState) int { return strings.Compare(a.FeedID, b.FeedID) })
	s.mu.Unlock()

	err = s.store.SaveFeedStates(ctx, batch)

	s.mu.Lock()
	defer s.mu.Unlock()
	for id, st := range s.flushing {
		if _, newer := s.pending[id]; err != nil && !newer {
			s.pending[id] = st
		}
		delete(s.flushing, id)
	}
	return true, err
}
