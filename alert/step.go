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
		res.HeldBack = holdBacklog(chosen, in.Items, repeats(in.FeedID, in.Items, chosen))
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
// Result.HeldBack). An item repeated for a subscription's destination
// (see repeats) is not one of those matches: the duplicate check refuses
// it, and the backfill would post fewer items than it says.
func holdBacklog(chosen [][]matched, items []feeds.Item, repeated map[repeat]bool) (held int) {
	for i, ms := range chosen {
		for _, group := range byDestination(ms) {
			// A repeat is the duplicate check's to refuse, no alert held.
			if !repeated[repeat{i, group[0].sub.Destination}] {
				held++
			}
		}
	}
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
	for _, s := range order {
		// Feeds list their items newest first: reversed, the stable sort
		// puts the later of two items of one date (undated items have
		// the time of the fetch) first, as the older.
		byAge := slices.DeleteFunc(slices.Clone(picks[s]), func(i int) bool { return repeated[repeat{i, s.Destination}] })
		slices.Reverse(byAge)
		keep := newestN(byAge, s.Backfill, func(i int) time.Time { return items[i].Published })
		for _, i := range picks[s] {
			if !slices.Contains(keep, i) {
				chosen[i] = slices.DeleteFunc(chosen[i], func(m matched) bool { return m.sub == s })
			}
		}
	}
	for _, ms := range chosen {
		held -= len(byDestination(ms))
	}
	return held
}

// repeat is an item (its index) for one destination.
type repeat struct {
	item        int
	destination string
}

// repeats marks the items of a feed that repeat, for a destination, an
// item listed before them that matched for it (the same link under the
// same headline, or the same GUID: what the duplicate check, which keeps
// the keys of each destination apart, takes for one item), as a feed may
// list an article twice under two GUIDs. An item under the link of one
// that matched nowhere, or for another destination only, repeats nothing
// the duplicate check would refuse.
func repeats(feedID string, items []feeds.Item, chosen [][]matched) map[repeat]bool {
	type destKey struct{ destination, key string }
	seen := map[destKey]bool{}
	out := map[repeat]bool{}
	for i := range items {
		if len(chosen[i]) == 0 {
			continue
		}
		keys := withoutTitleKey(StoryKeys(feedID, &items[i]))
		for _, group := range byDestination(chosen[i]) {
			dest := group[0].sub.Destination
			if slices.ContainsFunc(keys, func(k string) bool { return seen[destKey{dest, k}] }) {
				out[repeat{i, dest}] = true
			}
			for _, k := range keys {
				seen[destKey{dest, k}] = true
			}
		}
	}
	return out
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
