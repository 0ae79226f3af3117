package bot

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/store"
)

// pollTick bounds how long the poll loop sleeps (poller.tick): feed
// intervals have a one-minute floor, so a second is plenty of precision,
// and a clock that jumps (a resumed laptop) is noticed within a second.
// Tests that move a fake clock under a running loop shorten it.
const pollTick = time.Second

// loop polls each feed when it falls due, at most p.workers at once, until
// ctx is cancelled; it then waits for the polls in progress. Due times are
// kept in a heap, so an idle pass costs one look at its top, not a scan of
// every feed.
func (p *poller) loop(ctx context.Context) {
	q := &dueQueue{index: map[string]*due{}}
	inFlight := map[string]bool{}
	type polled struct {
		id   string
		next time.Time
	}
	done := make(chan polled)
	// replan holds the feeds a reload found in flight, with the catalog
	// before it: they are planned as the reload asks once their poll ends
	// (else the poll's own next time, set after, would undo that).
	replan := map[string]replanAfter{}
	var planned *alert.Catalog
	plannedReloads := 0
	var replans sync.WaitGroup // an owed re-plan's retry (heldReplans.retryBehind)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		p.live.refresh(ctx) // another instance's /watch change, within watchesCheck
		if snap := p.live.now(); snap.catalog != planned {
			p.planNew(ctx, snap.catalog, replanAfter{planned, snap.reloads != plannedReloads}, q, inFlight, replan)
			planned, plannedReloads = snap.catalog, snap.reloads
		}
		now := p.now()
		p.beat.beat(now)
		storeOK := !p.storePaused(now)
		if storeOK {
			p.forgetRemoved(ctx, planned, inFlight) // feeds the config stopped listing
		}
		for storeOK && len(inFlight) < p.workers {
			d := q.popDue(now)
			if d == nil {
				break
			}
			f, ok := planned.Feed(d.id)
			if !ok {
				// removed by a reload or a /watch command (the stretch of
				// one whose poll was in flight then is forgotten now)
				p.putOff.forget(d.id)
				p.reasons.forget(d.id)
				continue
			}
			inFlight[d.id] = true
			go func(f *alert.Feed, mode pollMode) {
				next := p.pollFeed(ctx, f, mode, nil)
				if p.polledHook != nil {
					p.polledHook(f.ID)
				}
				done <- polled{f.ID, next}
			}(f, d.mode)
		}
		wait := q.wait(now, p.tick)
		if len(inFlight) >= p.workers || !storeOK {
			wait = p.tick // every worker busy (a poll ending wakes us), or the store is failing
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			for len(inFlight) > 0 {
				delete(inFlight, (<-done).id)
			}
			replans.Wait()
			p.flushStates(context.WithoutCancel(ctx))
			p.storeQueuedMovesAtExit(ctx)
			return
		case r := <-done:
			delete(inFlight, r.id)
			p.polledAfter(ctx, planned, r.id)
			q.set(r.id, r.next, p.putOff.modeAfter(r.id))
			if after, ok := replan[r.id]; ok {
				delete(replan, r.id)
				p.replanOne(ctx, planned, after, r.id, q)
			}
		case <-p.live.changed:
		case <-timer.C:
		}
		p.flushed(p.states.flushDue(ctx))
		p.retryQueuedMoves(ctx)
		p.replans.retryBehind(ctx, &replans) // a reload's that failed
	}
}

// replanAfter is what a new catalog follows: the catalog planned before
// it (nil at start-up), and whether a config reload made it (not a /watch
// change alone).
type replanAfter struct {
	prev     *alert.Catalog
	reloaded bool
}

// planNew puts the feeds of the catalog that the queue does not know yet
// (all of them at start-up, new ones after a reload) on the queue, reading
// their stored states in one go. After a rebuild (after.prev, the catalog
// planned before, not nil) it also plans afresh, as at start-up, the
// queued feeds whose url changed (the new url is a new feed) and, after a
// config reload, those that are disabled (a reload retries them once,
// like a restart); a feed in flight goes in replan, to be planned so when
// its poll ends. The failure stretches of feeds cat no longer lists are
// forgotten: no poll of theirs ends them.
func (p *poller) planNew(ctx context.Context, cat *alert.Catalog, after replanAfter, q *dueQueue, inFlight map[string]bool, replan map[string]replanAfter) {
	prev := after.prev
	p.reasons.keepOnly(func(id string) bool { _, listed := cat.Feed(id); return listed })
	var fresh []*alert.Feed
	for _, f := range cat.Feeds() {
		if inFlight[f.ID] {
			if prev != nil {
				if was, ok := replan[f.ID]; !ok {
					replan[f.ID] = after // prev: the catalog its poll was planned by
				} else if after.reloaded {
					replan[f.ID] = replanAfter{was.prev, true}
				}
			}
			continue
		}
		if !q.has(f.ID) || prev != nil {
			fresh = append(fresh, f)
		}
	}
	if len(fresh) == 0 {
		return
	}
	now := p.now()
	// Taken before the read: a catch-up's note taken after it would be
	// read by a state from before that catch-up, and lost.
	caught := p.caughtUp.takeQueued(fresh, q)
	states, err := p.store.FeedStates(ctx)
	if err != nil {
		p.caughtUp.addAll(caught)
		p.storeErrs.Fail("read", "reading feed state failed; each feed retries in a minute", err)
		for _, f := range fresh {
			if !q.has(f.ID) {
				q.set(f.ID, now.Add(storeRetry), pollNow)
			}
		}
		return
	}
	p.states.rememberAll(states)
	for _, f := range fresh {
		st, found := states[f.ID]
		if found {
			p.feeds.recordStored(f.ID, st)
		}
		if q.has(f.ID) {
			if p.states.oneOwner { // the cache holds this process's writes not yet flushed
				if st, found, err = p.states.load(ctx, f.ID); err != nil {
					if caught[f.ID] {
						p.caughtUp.add(f.ID) // for the next rebuild
					}
					continue
				}
			}
			if !p.reloadChanges(f, st, after, caught[f.ID]) {
				continue // planned already, and nothing a reload changes
			}
		}
		p.planAfresh(q, f, st, found, now)
	}
}

// planAfresh plans feed f as at start-up (firstPlan). A disabled feed's
// retry so planned, a start's or a reload's, is a first try: the tries a
// busy host put off before are forgotten, so that it is logged as a
// start's and, put off again, made again a minute later, not after the
// back-off they had reached (retryPutOffUntil).
func (p *poller) planAfresh(q *dueQueue, f *alert.Feed, st store.FeedState, found bool, now time.Time) {
	p.caughtUp.take(f.ID) // a new watch's feed, planned so already
	at, mode := p.firstPlan(f, st, found, now)
	if mode == pollRetryDisabled {
		p.putOff.forget(f.ID)
	}
	q.set(f.ID, at, mode)
}

// reloadChanges reports whether a rebuild from the catalog after.prev
// plans a queued feed afresh: it is disabled and a config reload made the
// new catalog, or its url or its schedule changed (a shorter interval
// applies from the last poll: dueAt), or after.prev did not list it, or a
// watch's catch-up fetched it since the loop planned it, and it is
// enabled. Such a feed comes back (a watch resumed or added again, a
// reload): its place in the queue is from before it left, a year out if
// it was disabled (plannedAfter), or the end of its back-off, though the
// catch-up of a resumed watch may have enabled it since. A watch paused
// and resumed (or removed and added) within one pass of the loop leaves
// after.prev listing its feed: the catch-up says so (caughtUp). One still
// disabled stays so: the catch-up was its try, and planned afresh it
// would be fetched again at once, as a start's retry.
func (p *poller) reloadChanges(f *alert.Feed, st store.FeedState, after replanAfter, caught bool) bool {
	old, listed := after.prev.Feed(f.ID)
	if !listed || caught {
		return !st.Disabled || after.reloaded
	}
	return st.Disabled && after.reloaded || old.URL != f.URL || p.schedule(old) != p.schedule(f)
}

// replanOne plans, as planNew would have, feed id of cat that a rebuild
// found in flight, now that its poll has ended.
func (p *poller) replanOne(ctx context.Context, cat *alert.Catalog, after replanAfter, id string, q *dueQueue) {
	f, ok := cat.Feed(id)
	if !ok {
		return // removed meanwhile
	}
	caught := p.caughtUp.take(id) // before the state, as in planNew
	st, found, err := p.states.load(ctx, id)
	if err != nil {
		if caught {
			p.caughtUp.add(id)
		}
		return
	}
	if !p.reloadChanges(f, st, after, caught) {
		return
	}
	p.planAfresh(q, f, st, found, p.now())
}

// caughtUpFeeds are the feeds a watch's catch-up (poller.catchUp) wrote a
// state for since the loop last planned them, which the loop's queue
// does not know: the catch-up runs on the /watch command's goroutine.
type caughtUpFeeds struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (c *caughtUpFeeds) add(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ids == nil {
		c.ids = map[string]bool{}
	}
	c.ids[id] = true
}

// takeQueued takes the notes of the feeds of fresh that q holds (those
// reloadChanges decides on), and returns them.
func (c *caughtUpFeeds) takeQueued(fresh []*alert.Feed, q *dueQueue) map[string]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	taken := map[string]bool{}
	for _, f := range fresh {
		if c.ids[f.ID] && q.has(f.ID) {
			taken[f.ID] = true
			delete(c.ids, f.ID)
		}
	}
	return taken
}

// addAll notes again the feeds of ids, whose notes a read of their
// states that failed left undecided.
func (c *caughtUpFeeds) addAll(ids map[string]bool) {
	for id := range ids {
		c.add(id)
	}
}

// take reports whether feed id was caught up, and forgets it.
func (c *caughtUpFeeds) take(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	caught := c.ids[id]
	delete(c.ids, id)
	return caught
}

// due is one feed's place in the queue.
type due struct {
	id   string
	at   time.Time
	mode pollMode
	pos  int
}

// dueQueue is a min-heap of feeds by due time, with an index by feed ID.
type dueQueue struct {
	items []*due
	index map[string]*due
}

func (q *dueQueue) Len() int           { return len(q.items) }
func (q *dueQueue) Less(i, j int) bool { return q.items[i].at.Before(q.items[j].at) }
func (q *dueQueue) Swap(i, j int) {
	q.items[i], q.items[j] = q.items[j], q.items[i]
	q.items[i].pos, q.items[j].pos = i, j
}
func (q *dueQueue) Push(x any) {
	d := x.(*due)
	d.pos = len(q.items)
	q.items = append(q.items, d)
}
func (q *dueQueue) Pop() any {
	d := q.items[len(q.items)-1]
	q.items = q.items[:len(q.items)-1]
	return d
}

func (q *dueQueue) has(id string) bool { _, ok := q.index[id]; return ok }

// set plans the feed at at, replacing an earlier plan.
func (q *dueQueue) set(id string, at time.Time, mode pollMode) {
	if d, ok := q.index[id]; ok {
		d.at, d.mode = at, mode
		heap.Fix(q, d.pos)
		return
	}
	d := &due{id: id, at: at, mode: mode}
	q.index[id] = d
	heap.Push(q, d)
}

// popDue removes and returns the earliest feed due by now, or nil.
func (q *dueQueue) popDue(now time.Time) *due {
	if len(q.items) == 0 || q.items[0].at.After(now) {
		return nil
	}
	d := heap.Pop(q).(*due)
	delete(q.index, d.id)
	return d
}

// wait is how long until the earliest feed is due, at most limit.
func (q *dueQueue) wait(now time.Time, limit time.Duration) time.Duration {
	if len(q.items) == 0 {
		return limit
	}
	return min(max(q.items[0].at.Sub(now), 0), limit)
}
