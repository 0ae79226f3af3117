package bot

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/store"
)

// storyGroups is the poller's story grouper (alert.Stories) with its lock
// and its durable side: the index is rebuilt from the outbox's story rows
// at start, and on a shared store it first takes in what other instances
// enqueued, so that instances group into one another's stories.
type storyGroups struct {
	store  store.Store
	shared bool

	mu      sync.Mutex
	stories *alert.Stories
	// caughtUp is the time up to which other instances' rows were taken
	// in (shared stores only).
	caughtUp time.Time
}

// catchUpSlack is how far back a catch-up looks before the last one: rows
// of a transaction that began earlier but committed later, and the clocks
// of instances (and of the database) that differ a little.
const catchUpSlack = 5 * time.Minute

func newStoryGroups(st store.Store, shared bool, window time.Duration) *storyGroups {
	return &storyGroups{store: st, shared: shared, stories: alert.NewStories(window)}
}

// restore rebuilds the index from the stored rows of the window ending at
// now.
func (g *storyGroups) restore(ctx context.Context, now time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.rebuild(ctx, g.stories.Window(), now)
}

// rebuild replaces the index by one of window, filled from the store; the
// caller holds mu. Reports this process grouped but has not committed yet
// are lost to it, which costs at most a second message for their story.
func (g *storyGroups) rebuild(ctx context.Context, window time.Duration, now time.Time) error {
	fresh := &storyGroups{store: g.store, stories: alert.NewStories(window)}
	if err := fresh.takeIn(ctx, now.Add(-window), now); err != nil {
		return err
	}
	g.stories, g.caughtUp = fresh.stories, now
	return nil
}

// takeIn adds the stored rows enqueued since then that the index lacks
// (the rows this process grouped are known to it already). A row it knows
// keeps the story it had here: when another instance's re-split moved it
// (store.Alert.Takes), this instance learns of the move at its next start.
func (g *storyGroups) takeIn(ctx context.Context, since, now time.Time) error {
	if g.stories.Window() <= 0 {
		return nil
	}
	rows, err := g.store.StoryRows(ctx, since)
	if err != nil {
		return err
	}
	add := make([]alert.StoryRow, 0, len(rows))
	for _, r := range rows {
		if _, known := g.stories.StoryOf(r.Destination, r.FeedID, r.ItemKey); known {
			continue
		}
		add = append(add, alert.StoryRow{
			Destination: r.Destination, ID: alert.ItemID(r.FeedID, r.ItemKey), Story: r.Story,
			Fingerprint: r.Fingerprint, At: r.EnqueuedAt,
		})
	}
	if err := g.openAtFirstSight(ctx, g.stories.Restore(add)); err != nil {
		return err
	}
	g.caughtUp = now
	return nil
}

// openAtFirstSight opens the stories Restore left unopened at the time
// their first report's item was first seen, where the store has seen it:
// a story whose first report the commit refused as a duplicate, and that
// could not go under the other story (mergeDuplicates), has no row of
// that report when a version before the store kept refused reports
// (StoryRows) committed it, yet its further reports join it, and its window counts
// from that report, not from its earliest row. Unopened, the story's next
// report would open a story of its own, another message, after every
// restart (or on another instance sharing the store). Only those stories'
// keys are looked up, by the seen keys' primary key.
func (g *storyGroups) openAtFirstSight(ctx context.Context, unopened []alert.UnopenedStory) error {
	keys := map[string][]string{} // feed → its items' keys
	for _, u := range unopened {
		if feedID, key, ok := alert.SplitItemID(u.Story); ok {
			keys[feedID] = append(keys[feedID], key)
		}
	}
	firstSeen := map[string]time.Time{} // story → when its first report's item was first seen
	for feedID, ks := range keys {
		slices.Sort(ks) // a story may be in several destinations
		seen, err := g.store.FirstSeen(ctx, feedID, slices.Compact(ks))
		if err != nil {
			return err
		}
		for key, at := range seen {
			firstSeen[alert.ItemID(feedID, key)] = at
		}
	}
	for _, u := range unopened {
		if at, ok := firstSeen[u.Story]; ok {
			g.stories.OpenStory(u.Destination, u.Story, at)
		}
	}
	return nil
}

// group assigns the entries of one poll their stories. It returns what
// it added to the index, for ungroup.
func (g *storyGroups) group(ctx context.Context, entries []alert.Entry, now time.Time) (alert.Grouping, error) {
	if len(entries) == 0 {
		return alert.Grouping{}, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shared {
		if err := g.takeIn(ctx, g.caughtUp.Add(-catchUpSlack), now); err != nil {
			return alert.Grouping{}, err
		}
	}
	return g.stories.Group(entries, now), nil
}

// ungroup takes back what a group added (alert.Stories.Ungroup), for a
// poll whose commit the store refused because the watches it was matched
// under changed: it is matched and grouped again, and its first try
// leaves nothing in the index (a report in the channel a watch left, a
// re-split there), while what other workers grouped meanwhile stays.
func (g *storyGroups) ungroup(grouping alert.Grouping) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stories.Ungroup(grouping)
}

// joinLateOpeners makes a join of each entry that opens a story (its
// first report) when the story already has a report posted as a message
// of its own: the opener's commit came late (it failed and was retried,
// or the process stopped before it and polled the item again after a
// restart), and meanwhile a further report of the story, having waited
// leadGrace for it, was posted alone and leads the story (StoryLeads).
// Posted as a message too, it would be the story's second one; as a
// join it is listed under the first. The index knows of such a story's
// other reports, so the store is asked only then.
func (g *storyGroups) joinLateOpeners(ctx context.Context, entries []alert.Entry) error {
	for i := range entries {
		e := &entries[i]
		if e.Story == "" || e.Joins || e.Alert.Join != "" || e.Story != alert.ItemID(e.FeedID, e.ItemKey) {
			continue
		}
		g.mu.Lock()
		others := g.stories.Reports(e.Destination, e.Story) > 1
		g.mu.Unlock()
		if !others {
			continue
		}
		leads, err := g.store.StoryLeads(ctx, e.Destination, e.Story)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if slices.ContainsFunc(leads, func(l store.Alert) bool { return l.Joins && !l.Dropped }) {
			e.Joins, e.Alert.Join = true, alert.JoinAlso
		}
	}
	return nil
}

// mergeDuplicates lists the reports of each story whose first report a
// commit refused as a duplicate (dups, of entries, as CommitPoll reports
// them) under the story of the alert holding the duplicate's key
// (alert.Stories.MergeDuplicate): an item already posted whose headline
// was rewritten under its link, say, which the grouping did not list
// under its story (the duplicate check and the grouping judge
// differently). Left as it was, that story would have no message, and its
// further reports, having waited leadGrace for one, would go alone: the
// story's second message. It returns the moves the caller stores
// (followMoves): every report the index moved, the refused one too (the
// commit kept it as a refused report, which a restart, or another
// instance, puts back into the story it is stored under: StoryRows), not
// only the commit's own,
// since another worker may have grouped a report into the refused story
// and committed it between this commit and the merge (that worker's
// followMoves, done before the merge, found nothing to move); a report
// grouped but committed after the merge is moved by its own worker's
// followMoves. A story that cannot be listed so (its first report
// published days from the other story's reports, or that alert has no
// story) stays as it is: its first further report goes alone at once and
// leads it (sender.openerCommitted).
func (g *storyGroups) mergeDuplicates(entries []alert.Entry, dups []store.Duplicate) []store.StoryMove {
	g.mu.Lock()
	defer g.mu.Unlock()
	var moves []store.StoryMove
	for _, d := range dups {
		e := entries[d.Alert]
		for _, m := range g.stories.MergeDuplicate(e, d.Story) {
			moves = append(moves, store.StoryMove{Destination: e.Destination, Item: m.ID, From: m.From, To: d.Story})
		}
	}
	return moves
}

// window is how long reports stay candidates.
func (g *storyGroups) window() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stories.Window()
}

// storyOf returns the story of an item reported to destination.
func (g *storyGroups) storyOf(destination, feedID, itemKey string) (string, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stories.StoryOf(destination, feedID, itemKey)
}

// storyWithin returns the story of an item reported to destination while
// it takes further reports at now under window (alert.Stories.StoryWithin).
func (g *storyGroups) storyWithin(now time.Time) func(destination, feedID, itemKey string, window time.Duration) (string, bool) {
	return func(destination, feedID, itemKey string, window time.Duration) (string, bool) {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.stories.StoryWithin(destination, feedID, itemKey, window, now)
	}
}

// movedSince returns the moves that bring the story rows of a commit
// (rows, as committed; dups, those it refused as duplicates) up to the
// index: each report of rows, and each report their re-splits took
// (Alert.Takes), that the index now lists under another story than the
// one committed goes there. A refused row was committed as a refused
// report, in its story, but its re-split took nothing in the store. See
// poller.followMoves.
func (g *storyGroups) movedSince(rows []store.Alert, dups []store.Duplicate) []store.StoryMove {
	g.mu.Lock()
	defer g.mu.Unlock()
	refused := make(map[int]bool, len(dups))
	for _, d := range dups {
		refused[d.Alert] = true
	}
	var moves []store.StoryMove
	check := func(destination, item, committed string) {
		if now, ok := g.stories.StoryOfItem(destination, item); ok && now != committed {
			moves = append(moves, store.StoryMove{Destination: destination, Item: item, From: committed, To: now})
		}
	}
	for i, a := range rows {
		if a.Story == "" {
			continue
		}
		check(a.Destination, alert.ItemID(a.FeedID, a.ItemKey), a.Story)
		for _, t := range a.Takes {
			if refused[i] {
				check(a.Destination, t.Item, t.From)
			} else {
				check(a.Destination, t.Item, a.Story)
			}
		}
	}
	return moves
}

// current brings moves up to the index as it is now, for a try that
// stores them later than they were made (poller.tryMoves): each goes to
// the story the index lists its item under now, since a later re-split
// may have moved it on, and that re-split's own move (Alert.Takes) found
// it still where the store had it; one whose item the index lists where
// the store has it (From: moved back, or the index rebuilt from the
// store) is left out. An item the index no longer holds keeps its move.
func (g *storyGroups) current(moves []store.StoryMove) []store.StoryMove {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]store.StoryMove, 0, len(moves))
	for _, m := range moves {
		if now, ok := g.stories.StoryOfItem(m.Destination, m.Item); ok && now != "" {
			m.To = now
		}
		if m.To != m.From {
			out = append(out, m)
		}
	}
	return out
}

// resize makes reports stay candidates for window (a reload that changed
// the longest story_window), rebuilding the index from the store: a longer
// window takes in the older reports, a shorter one forgets them, so that
// the index's memory and word weights are what a restart would give.
func (g *storyGroups) resize(ctx context.Context, window time.Duration, now time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if window == g.stories.Window() {
		return nil
	}
	return g.rebuild(ctx, window, now)
}

// longestStoryWindow is how long reports must stay candidates for every
// subscription of cfg (and the watches, which take the default).
func longestStoryWindow(cfg *config.Config) time.Duration {
	w := cfg.Defaults.StoryWindow
	for _, s := range cfg.Subscriptions {
		w = max(w, s.StoryWindow)
	}
	return w
}
