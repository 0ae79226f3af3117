package alert

import (
	"slices"
	"sort"
	"time"

	"github.com/newshound/newshound/alert/story"
	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/filters"
)

// Input is one poll's worth of news from one feed.
type Input struct {
	FeedID    string
	FeedTitle string       // the title the feed gives itself, shown in alerts
	Items     []feeds.Item // the items not seen before, in feed order
	// FirstSight says the feed's backlog is being seen for the first time:
	// nothing is posted but each subscription's newest Backfill matches.
	FirstSight bool
	Now        time.Time
}

// Entry is one alert to enqueue: a rendered item for one destination,
// naming every subscription of that destination that matched it.
type Entry struct {
	Destination  string
	Subscription string // the first matching subscription's ID
	FeedID       string
	ItemKey      string
	// DedupeKeys name the story the item tells (see StoryKeys).
	DedupeKeys []string
	Alert      Alert
	CreatedAt  time.Time // the item's published (or first-seen) time
	// Release says whether the alert waits for a digest (set by Schedule).
	Release Release

	// Story names the story the alert belongs to in its destination, set
	// by Stories.Group ("" when its subscription does not group); Joins
	// says it is a further report (or an update) of that story, shown
	// under the story's first message, and Fingerprint is what the story
	// index keeps of the item (stored so a restart restores the index).
	Story       string
	Joins       bool
	Fingerprint []byte
	// Takes are earlier reports of the destination (by ItemID) that this
	// entry's story takes from the stories they were listed under: the
	// first reports of a story another story swallowed, found by a
	// re-split (see story.Index.Moved). Their stored story becomes Story,
	// so that a restart restores the re-split.
	Takes []story.Move
	// window is the subscription's StoryWindow; eachReport its
	// ReportsAsMessages.
	window     time.Duration
	eachReport bool
}

// Result is what a step decided, with the counts a log line reports.
type Result struct {
	Entries []Entry // oldest item first
	// Matched counts the items that matched at least one subscription.
	Matched int
	// TooOld counts the matches not posted because the item is older than
	// the subscription's max_age.
	TooOld int
	// HeldBack counts the alerts of a first sight not posted: an item's
	// for a destination none of whose subscriptions' backfill took it
	// (not a repeat of an item posted there, which is no second alert).
	// Counted as alerts are, so that a log line puts it beside them.
	HeldBack int
}

// Alerts matches the new items against the subscriptions that watch the
// feed and returns the alerts to enqueue: one per item and destination,
// naming every subscription of that destination that matched. On a first
// sight only each subscription's newest Backfill matches are posted;
// dated items older than a subscription's MaxAge never are.
func (c *Catalog) Alerts(in Input) Result {
	f, ok := c.feeds[in.FeedID]
	if !ok || len(in.Items) == 0 || !c.Watched(in.FeedID) {
		return Result{}
	}
	var res Result
	docs := make([]*filters.Document, len(in.Items))
	chosen := make([][]matched, len(in.Items)) // per item, in subscription order
	for i := range in.Items {
		docs[i] = documentOf(f, &in.Items[i])
		any := false
		for _, m := range c.set.Match(docs[i]) {
			s := c.subs[m.ID]
			if s == nil || !s.covers(f, c.byFeed) {
				continue
			}
			any = true
			if !fresh(&in.Items[i], s.MaxAge, in.Now) {
				res.TooOld++
				continue
			}
			chosen[i] = append(chosen[i], matched{s, m})
		}
		if any {
			res.Matched++
		}
		slices.SortStableFunc(chosen[i], func(a, b matched) int { return a.sub.rank - b.sub.rank })
	}
	if in.FirstSight {
		res.HeldBack = holdBacklog(in.FeedID, chosen, in.Items)
	}
	for i := range in.Items {
		for _, group := range byDestination(chosen[i]) {
			res.Entries = append(res.Entries, entryFor(group, f, in.FeedTitle, &in.Items[i], docs[i]))
		}
	}
	sort.SliceStable(res.Entries, func(i, j int) bool { return res.Entries[i].CreatedAt.Before(res.Entries[j].CreatedAt) })
	return res
}

// holdBacklog keeps, for each subscription, only its newest Backfill
// matches of a first sight, and returns how many alerts it held back (see
// Result.HeldBack). An item that repeats one kept for the subscription's
// destination (see backfilled) is not one of those matches: the duplicate
// check refuses it, and the backfill would post fewer items than it says.
func holdBacklog(feedID string, chosen [][]matched, items []feeds.Item) (held int) {
	before := destinationsOf(chosen)
	picks := map[*sub][]int{}
	var order []*sub
	for i, ms := range chosen {
		for _, m := range ms {
			if _, ok := picks[m.sub]; !ok {
				order = append(order, m.sub)
			}
			picks[m.sub] = append(picks[m.sub], i)
		}
	}
	kept := backfilled{feedID: feedID, items: items, under: map[destKey]int{}, keys: map[int][]string{}}
	repeated := map[repeat]bool{}
	for _, s := range order {
		// Feeds list their items newest first: reversed, the stable sort
		// puts the later of two items of one date (undated items have
		// the time of the fetch) first, as the older.
		byAge := slices.Clone(picks[s])
		slices.Reverse(byAge)
		byAge = newestN(byAge, len(byAge), func(i int) time.Time { return items[i].Published })
		var keep []int
		for k := len(byAge) - 1; k >= 0 && len(keep) < s.Backfill; k-- {
			if i := byAge[k]; kept.repeats(i, s.Destination) {
				repeated[repeat{i, s.Destination}] = true
			} else {
				keep = append(keep, i)
				kept.add(i, s.Destination)
			}
		}
		for _, i := range picks[s] {
			if !slices.Contains(keep, i) {
				chosen[i] = slices.DeleteFunc(chosen[i], func(m matched) bool { return m.sub == s })
			}
		}
	}
	after := destinationsOf(chosen)
	for r := range before {
		// A repeat is the duplicate check's to refuse, no alert held.
		if !after[r] && !repeated[r] {
			held++
		}
	}
	return held
}

// repeat is an item (its index) for one destination.
type repeat struct {
	item        int
	destination string
}

// destinationsOf is each item's alerts: one per destination it matched for.
func destinationsOf(chosen [][]matched) map[repeat]bool {
	out := map[repeat]bool{}
	for i, ms := range chosen {
		for _, m := range ms {
			out[repeat{i, m.sub.Destination}] = true
		}
	}
	return out
}

type destKey struct{ destination, key string }

// backfilled is what a first sight's backfill keeps for each destination,
// by the keys the duplicate check refuses a repeat by (the item's story
// keys but its headline's: the same GUID, or the same link under the
// same headline), which it keeps apart for each destination: a feed may
// list an article twice under two GUIDs, and an item under the link of one
// held back, or kept for another destination only, repeats nothing.
type backfilled struct {
	feedID string
	items  []feeds.Item
	under  map[destKey]int  // the item kept under a destination's key
	keys   map[int][]string // by item, worked out once
}

func (b *backfilled) keysOf(i int) []string {
	if _, ok := b.keys[i]; !ok {
		b.keys[i] = withoutTitleKey(StoryKeys(b.feedID, &b.items[i]))
	}
	return b.keys[i]
}

// repeats reports whether item i repeats another item kept for dest.
func (b *backfilled) repeats(i int, dest string) bool {
	return slices.ContainsFunc(b.keysOf(i), func(k string) bool {
		j, ok := b.under[destKey{dest, k}]
		return ok && j != i
	})
}

func (b *backfilled) add(i int, dest string) {
	for _, k := range b.keysOf(i) {
		if _, ok := b.under[destKey{dest, k}]; !ok {
			b.under[destKey{dest, k}] = i
		}
	}
}

// matched is one subscription's match of an item.
type matched struct {
	sub   *sub
	match filters.Match
}

// byDestination groups one item's matches by destination, keeping order.
func byDestination(ms []matched) [][]matched {
	var groups [][]matched
	index := map[string]int{}
	for _, m := range ms {
		i, ok := index[m.sub.Destination]
		if !ok {
			i = len(groups)
			index[m.sub.Destination] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], m)
	}
	return groups
}

// fresh reports whether an item is young enough to post. Undated items
// are posted: their Published is the first-seen time.
func fresh(it *feeds.Item, maxAge time.Duration, now time.Time) bool {
	return maxAge <= 0 || !it.Dated || now.Sub(it.Published) <= maxAge
}

// newestN keeps the n newest entries, oldest first.
func newestN[T any](xs []T, n int, at func(T) time.Time) []T {
	if n <= 0 {
		return nil
	}
	sort.SliceStable(xs, func(i, j int) bool { return at(xs[i]).Before(at(xs[j])) })
	if len(xs) > n {
		xs = xs[len(xs)-n:]
	}
	return xs
}

func documentOf(f *Feed, it *feeds.Item) *filters.Document {
	return &filters.Document{
		Title: it.Title, Summary: it.Summary, Content: it.Content, Author: it.Author,
		Categories: it.Categories, Link: it.Link, Feed: f.Name,
	}
}

func entryFor(group []matched, f *Feed, feedTitle string, it *feeds.Item, doc *filters.Document) Entry {
	first := group[0].sub
	keys := StoryKeys(f.ID, it)
	window := first.StoryWindow
	if window > 0 && !first.ReportsAsMessages {
		// Wire copy under the same headline on another feed is another
		// outlet's report: listed under the story (Stories.Group, or
		// GroupDigest in a digest), not refused as a duplicate.
		keys = withoutTitleKey(keys)
	}
	var digestWindow time.Duration
	if first.Delivery.Digest != nil {
		// Grouped when the digest goes out (GroupDigest): a digest is
		// one message, never edited.
		window, digestWindow = 0, window
	}
	e := Entry{
		Destination: first.Destination, Subscription: first.ID, FeedID: f.ID, ItemKey: it.Key,
		DedupeKeys: keys, Alert: compose(group, f, feedTitle, it, doc), CreatedAt: it.Published,
		window: window, eachReport: first.ReportsAsMessages,
	}
	e.Alert.DigestStoryWindow = digestWindow
	return e
}
