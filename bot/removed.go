package bot

import (
	"context"
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
// Feeds of Discord watches are left alone: /watch catches a feed up
// itself when a watch brings it back (watches.Add, catchUpResumed).
//
// On a shared store an instance marks only the feeds its own reloads
// drop (not those a config it starts with lacks: the stored states are
// every instance's), and only while it holds the feed's lease: one polling
// it right now still lists it. So with several instances, a feed dropped
// while they were all stopped posts what piled up when it comes back.

// removals remembers the catalog whose config feeds the store's states
// were last brought in line with; nil: none yet, or a mark failed, so the
// next sweep reads every stored state.
type removals struct {
	mu   sync.Mutex
	seen *alert.Catalog
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
// looked at, later only the feeds the last catalog listed. A feed in busy
// (being polled) is skipped; the end of its poll marks it (polledAfter).
// It is cheap when cat is the catalog of the last call.
func (p *poller) forgetRemoved(ctx context.Context, cat *alert.Catalog, busy map[string]bool) {
	p.removals.mu.Lock()
	defer p.removals.mu.Unlock()
	if p.removals.seen == cat {
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
	var ids []string
	if p.removals.seen == nil {
		states, err := p.store.FeedStates(ctx)
		if err != nil {
			p.storeErrs.Fail("read", "reading feed states failed; feeds no longer in the config are marked later", err)
			return
		}
		p.states.rememberAll(states)
		for id, st := range states {
			// A shared store has no writes waiting in this process: what it
			// holds is current. On one owner the cache decides (forgetFeed).
			if _, listed := cat.Feed(id); !listed && !isWatchFeed(id) && !awaitsFirstSight(st) {
				ids = append(ids, id)
			}
		}
	} else {
		for _, f := range p.removals.seen.Feeds() {
			if _, listed := cat.Feed(f.ID); !listed && !f.FromDiscord {
				ids = append(ids, f.ID)
			}
		}
	}
	ok := true
	for _, id := range ids {
		if !busy[id] {
			ok = p.forgetFeed(ctx, id) && ok
		}
	}
	p.removals.seen = nil
	if ok {
		p.removals.seen = cat
	}
}

// polledAfter marks a config feed whose poll ended after cat, the
// catalog now planned, stopped listing it.
func (p *poller) polledAfter(ctx context.Context, cat *alert.Catalog, id string) {
	if _, listed := cat.Feed(id); listed || isWatchFeed(id) {
		return
	}
	p.removals.mu.Lock()
	defer p.removals.mu.Unlock()
	if !p.forgetFeed(ctx, id) {
		p.removals.seen = nil
	}
}

// forgetFeed makes the stored state of a feed the config no longer lists
// await a first sight. It reports false when that could not be written
// (or, on a shared store, when the lease could not be asked for).
func (p *poller) forgetFeed(ctx context.Context, id string) bool {
	lease := "feed:" + id
	if !p.leases.take(ctx, lease) {
		// Another instance polls it, so its config still lists the feed;
		// or asking failed (logged), and the next sweep tries again.
		return !p.leases.takeFailing()
	}
	defer p.leases.release(ctx, lease)
	st, found, err := p.states.load(ctx, id)
	if err != nil {
		p.storeErrs.Fail("read", "reading feed state failed; polling pauses until the store answers again", err, "feed", id)
		p.storeDown.failed(p.now(), &p.count)
		return false
	}
	if !found || awaitsFirstSight(st) {
		return true
	}
	p.memos.set(id, nil)
	if !p.saveState(ctx, awaitFirstSight(st)) {
		return false
	}
	p.log.Info("feed no longer in the config; if it comes back, what it published meanwhile is remembered, not posted", "feed", id)
	return true
}
