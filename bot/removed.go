package bot

import (
	"context"
	"slices"
	"sync"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/store"
)

// Feeds removed from the config. A feed that comes back into the config
// after being out of it is added again, as a new feed is: what it
// published while nobody polled it is its backlog, remembered and not
// posted (but for backfill). A feed that stayed in the config while
// newshound was stopped is not added again: what it published meanwhile
// is posted. The two are told apart in the store: when the config stops
// listing a feed (a reload drops it, or the service starts with a config
// that does not list it) its stored state is made to await a first sight
// (awaitFirstSight), so that its next fetch with items, whenever the feed
// is back, is one.
//
// Feeds of Discord watches are not marked: /watch catches a feed up
// itself when a watch brings it back (watches.Add, catchUpResumed). One
// that no watch names any more, paused or not, is forgotten instead: its
// state and seen keys are deleted (forgetWatchFeeds), so that a removed
// watch leaves nothing behind. A feed without state is a new feed: should
// a watch bring it back without catching it up, its first poll is a first
// sight, so forgetting never floods.
//
// On a shared store an instance marks only the feeds its own reloads
// drop (not those a config it starts with lacks: the stored states are
// every instance's), and only while it holds the feed's lease: one polling
// it right now still lists it. So with several instances, a feed dropped
// while they were all stopped posts what piled up when it comes back.

// A shared store's mark is another instance's business only while that
// instance drops the feed: one that still lists it, and has followed it
// (polled it into, or with, a state that no longer awaits a first sight)
// while its catalogs listed it, keeps following it. It takes the mark
// for a rolling config change under it and polls on from where it was,
// so what the feed published since its last poll is news, not backlog.
// An instance that never followed the feed (one started since) takes the
// mark as it is.

// removals remembers the catalog whose config feeds the store's states
// were last brought in line with (nil: none yet, so the first sweep reads
// every stored state), and the feeds it stopped listing whose mark (or,
// a watch feed, forgetting) failed: each sweep tries those again while
// the catalog does not list them.
type removals struct {
	mu    sync.Mutex
	seen  *alert.Catalog
	retry map[string]bool
	// followed are the feeds this process has followed since its
	// catalogs last stopped listing them (see above); its own mu.
	followedMu sync.Mutex
	followed   map[string]bool
	// watchFeeds is held from reading which feeds the watches name to
	// forgetting the others, and by /watch add from catching a feed up to
	// saving its watch: a feed is not forgotten in between.
	watchFeeds sync.Mutex
}

// awaitFirstSight is st made to await a first sight, as a feed never
// polled does: not initialized, and without the validators and body hash
// that would let a 304 or an unchanged body put the first sight off to a
// later change, whose new items it would then take for backlog.
func awaitFirstSight(st store.FeedState) store.FeedState {
	st.Initialized = false
	st.ETag, st.LastModified, st.BodyHash = "", "", ""
	return st
}

func awaitsFirstSight(st store.FeedState) bool {
	return !st.Initialized && st.ETag == "" && st.LastModified == "" && st.BodyHash == ""
}

// forgetRemoved marks the config feeds that cat does not list and were
// not marked yet (see above): at the first call every stored state is
// looked at, later only the feeds the last catalog listed, and those
// whose mark failed (tried again at every sweep until it is written or
// the feed is listed again). A feed in busy (being polled) is skipped;
// the end of its poll marks it (polledAfter). It is cheap when cat is the
// catalog of the last call and no mark failed.
func (p *poller) forgetRemoved(ctx context.Context, cat *alert.Catalog, busy map[string]bool) {
	p.removals.mu.Lock()
	defer p.removals.mu.Unlock()
	if p.removals.seen == cat && len(p.removals.retry) == 0 {
		return
	}
	if p.removals.seen == nil && !p.states.oneOwner {
		// On a shared store the stored states are every instance's: one
		// starting with a config without a feed (a rolling change) must
		// not reset a feed the others still poll. Only what this process
		// itself stops listing is marked.
		p.removals.seen = cat
		return
	}
	var ids, watchIDs []string
	for id := range p.removals.retry {
		if _, listed := cat.Feed(id); listed {
			continue // back in the config: nothing to mark
		}
		if isWatchFeed(id) {
			watchIDs = append(watchIDs, id)
		} else {
			ids = append(ids, id)
		}
	}
	switch {
	case p.removals.seen == cat:
	case p.removals.seen == nil:
		states, err := p.store.FeedStates(ctx)
		if err != nil {
			p.storeErrs.Fail("read", "reading feed states failed; feeds no longer in the config are marked later", err)
			return
		}
		p.states.rememberAll(states)
		for id, st := range states {
			// A shared store has no writes waiting in this process: what it
			// holds is current. On one owner the cache decides (forgetFeed).
			if _, listed := cat.Feed(id); listed {
				continue
			}
			switch {
			case p.removals.retry[id]:
			case isWatchFeed(id):
				watchIDs = append(watchIDs, id)
			case !awaitsFirstSight(st):
				ids = append(ids, id)
			}
		}
	default:
		for _, f := range p.removals.seen.Feeds() {
			if _, listed := cat.Feed(f.ID); listed || p.removals.retry[f.ID] {
				continue
			}
			if f.FromDiscord {
				watchIDs = append(watchIDs, f.ID)
			} else {
				ids = append(ids, f.ID)
			}
		}
	}
	p.removals.seen, p.removals.retry = cat, nil
	p.removals.unfollow(ids...)
	p.removals.unfollow(watchIDs...)
	for _, id := range ids {
		if !busy[id] && !p.forgetFeed(ctx, id) {
			p.removals.again(id)
		}
	}
	watchIDs = slices.DeleteFunc(watchIDs, func(id string) bool { return busy[id] })
	if !p.forgetWatchFeeds(ctx, watchIDs) {
		for _, id := range watchIDs {
			p.removals.again(id)
		}
	}
}

// follow notes that this process follows feed id: it polled it with, or
// into, a state that does not await a first sight.
func (r *removals) follow(id string) {
	r.followedMu.Lock()
	defer r.followedMu.Unlock()
	if r.followed == nil {
		r.followed = map[string]bool{}
	}
	r.followed[id] = true
}

// unfollow notes that this process's catalog stopped listing the feeds
// ids: should they come back, they are not followed.
func (r *removals) unfollow(ids ...string) {
	r.followedMu.Lock()
	defer r.followedMu.Unlock()
	for _, id := range ids {
		delete(r.followed, id)
	}
}

// keepFollowing is st with the mark of another instance undone (see
// above) when this process still follows the feed on a shared store. A
// state that was never polled (a feed without one, or started afresh for
// a new URL) is no mark, and nor is a watch feed's: its state is deleted,
// not marked, and a watch feed without state is a new feed, whoever
// followed it before (forgetting never floods).
func (p *poller) keepFollowing(st store.FeedState) store.FeedState {
	if p.states.oneOwner || isWatchFeed(st.FeedID) || st.LastPolled.IsZero() || !awaitsFirstSight(st) {
		return st
	}
	p.removals.followedMu.Lock()
	followed := p.removals.followed[st.FeedID]
	p.removals.followedMu.Unlock()
	if !followed {
		return st
	}
	p.log.Info("another instance stopped listing the feed and marked it to await a first sight; this one still lists it and goes on from its last poll", "feed", st.FeedID)
	st.Initialized = true
	return st
}

// again notes that feed id, which the catalog no longer lists, is to be
// marked (or forgotten) at the next sweep; the caller holds mu.
func (r *removals) again(id string) {
	if r.retry == nil {
		r.retry = map[string]bool{}
	}
	r.retry[id] = true
}

// polledAfter marks a config feed whose poll ended after cat, the
// catalog now planned, stopped listing it (and forgets such a watch feed).
func (p *poller) polledAfter(ctx context.Context, cat *alert.Catalog, id string) {
	if _, listed := cat.Feed(id); listed {
		return
	}
	p.removals.mu.Lock()
	defer p.removals.mu.Unlock()
	p.removals.unfollow(id)
	ok := false
	if isWatchFeed(id) {
		ok = p.forgetWatchFeeds(ctx, []string{id})
	} else {
		ok = p.forgetFeed(ctx, id)
	}
	if !ok {
		p.removals.again(id)
	}
}

// forgetWatchFeeds deletes the state and seen keys of the watch feeds
// among ids that no watch names, paused or not. It reports false when
// something could not be read or written (the next sweep tries again).
func (p *poller) forgetWatchFeeds(ctx context.Context, ids []string) bool {
	if len(ids) == 0 {
		return true
	}
	p.removals.watchFeeds.Lock()
	defer p.removals.watchFeeds.Unlock()
	ws, err := p.store.Watches(ctx)
	if err != nil {
		p.storeErrs.Fail("read", "reading watches failed; the feeds of removed watches are forgotten later", err)
		return false
	}
	named := map[string]bool{}
	for _, w := range ws {
		named[WatchFeedID(w.FeedURL)] = true
	}
	ok := true
	for _, id := range ids {
		if !named[id] {
			ok = p.forgetWatchFeed(ctx, id) && ok
		}
	}
	return ok
}

// forgetWatchFeed deletes a watch feed's state and seen keys, under its
// lease: no poll of it is under way, here or on another instance.
func (p *poller) forgetWatchFeed(ctx context.Context, id string) bool {
	return p.underFeedLease(ctx, id, func() bool {
		p.states.settle(id) // a queued write would bring the state back
		if err := p.store.ForgetFeeds(ctx, []string{id}); err != nil {
			p.states.forget(id)
			p.storeFailed("write", "forgetting the feed of removed watches failed; polling pauses until the store takes writes again", err, id)
			return false
		}
		p.states.remember(store.FeedState{FeedID: id}, false)
		p.memos.forget(id)
		p.log.Info("no watch names the feed any more: its state and seen items are deleted; watched again, it is a new feed", "feed", id)
		return true
	})
}

// forgetFeed makes the stored state of a feed the config no longer lists
// await a first sight. It reports false when that could not be written
// (or, on a shared store, when the lease could not be asked for).
func (p *poller) forgetFeed(ctx context.Context, id string) bool {
	return p.underFeedLease(ctx, id, func() bool {
		st, found, err := p.states.load(ctx, id)
		if err != nil {
			p.storeFailed("read", "reading feed state failed; polling pauses until the store answers again", err, id)
			return false
		}
		if !found || awaitsFirstSight(st) {
			return true
		}
		p.memos.forget(id)
		if !p.saveState(ctx, awaitFirstSight(st)) {
			return false
		}
		p.log.Info("feed no longer in the config; if it comes back, what it published meanwhile is remembered, not posted", "feed", id)
		return true
	})
}

// underFeedLease runs do under feed id's lease and reports what it
// reports. Without the lease it reports true when another instance holds
// it (that one polls the feed, so its config or watches still name it)
// and false when asking failed (logged; the next sweep tries again): the
// take's own error, not the leases' last, which may be another take's.
func (p *poller) underFeedLease(ctx context.Context, id string, do func() bool) bool {
	lease := "feed:" + id
	took, err := p.leases.tryTake(ctx, lease)
	if !took {
		return err == nil
	}
	defer p.leases.release(ctx, lease)
	return do()
}
