package alert

import (
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"time"

	"github.com/newshound/newshound/alert/story"
	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/filters"
)

// This file holds live updates: a subscription with Updates follows the
// text of items already posted, and text an item gains (a live blog's new
// paragraph) is matched alone and shown under the story's message.

// Change is an item already seen whose text grew: Added is the new text
// alone. Of names, for an item whose headline edits an earlier item's
// (see edits.go), that item's key and the key of the first item of their
// chain of edits: the story the update goes under is theirs.
type Change struct {
	Item  feeds.Item
	Added string
	Of    []string
}

// FollowsUpdates reports whether a subscription that follows updates
// watches the feed: only then are its items' texts remembered. (Answered
// from sets made with the catalog: the poller asks on every changed poll.)
func (c *Catalog) FollowsUpdates(feedID string) bool {
	f, ok := c.feeds[feedID]
	if !ok {
		return false
	}
	return c.updateFeeds[feedID] || c.updatesAllFile && !f.FromDiscord
}

// Changes signs the text of a fetch's items and compares it with the
// signatures remembered for them (stored, by key: see Keys and
// EditedKeys): it returns the items whose text grew, with the added text,
// and the signatures to remember (new items and changed ones, and what
// the items' links carried). A change that is only cosmetic (spacing, a
// date, a tracking parameter) is no change.
//
// A new item whose headline edits an earlier item's under the same link
// (the duplicate check's rule, see StoryKeys: the edited headline is not
// posted again) is compared with that item's signature, its headline left
// out (the edit is no update), and keeps the signature from then on; a
// headline rewritten entirely is a new story, posted whole, and starts
// afresh.
func (p *TextPoll) Changes(stored map[string][]byte) (changes []Change, sigs map[string][]byte) {
	sigs = map[string][]byte{}
	editOf := map[int]headline{}
	for i := range p.items {
		it := &p.items[i]
		text := updateText(it)
		sig := story.SignText(it.Title, text)
		old, own := stored[it.Key]
		seen, title := own, it.Title
		var of []string
		if h, ok := p.edited(i, stored); ok {
			editOf[i] = h
			if old, seen = stored[h.key]; seen {
				title, of = "", []string{h.key}
				if h.start() != h.key {
					of = append(of, h.start())
				}
			}
		}
		var prev story.TextSig
		if seen && prev.UnmarshalBinary(old) != nil {
			seen = false // written by another version: start afresh
		}
		if seen {
			if added := story.Added(prev, title, text); added != "" {
				changes = append(changes, Change{Item: *it, Added: added, Of: of})
			}
			// Everything the item ever said stays known: a feed that
			// alternates between a summary and the full text does not
			// post the same "update" each time it flips back.
			sig = prev.Union(sig)
		}
		b, err := sig.MarshalBinary()
		if err != nil || own && string(b) == string(old) {
			continue
		}
		sigs[it.Key] = b
	}
	p.remember(sigs, stored, editOf)
	return changes, sigs
}

// WithoutRereads leaves out of changes (see Changes) what reading the
// items' text otherwise alone makes: asBefore gives an item's sentences as
// the reading before made them (feeds.Feed.ReadBefore). A change compared
// with a signature that reading made keeps only what is new as that
// reading reads it (story.AddedAsRead), and none when nothing is. The
// signatures to remember (sigs) of the poll's items are marked as made
// from the text read right (story.TextSig.ReadRight), the stored ones
// unmarked too: a change of a marked one, what an item gains after the
// upgrade, is news as Changes found it, whatever letters the reading
// before garbled.
func (p *TextPoll) WithoutRereads(changes []Change, stored, sigs map[string][]byte, asBefore func(*feeds.Item) func(string) string) []Change {
	kept := changes[:0]
	for _, c := range changes {
		title, text := c.Item.Title, updateText(&c.Item)
		key := c.Item.Key
		if len(c.Of) > 0 {
			title, key = "", c.Of[0] // an edited headline: compared as Changes does
		}
		before := asBefore(&c.Item)
		rereads := func(s string) bool { return before(s) != s }
		var prev story.TextSig
		if (rereads(title) || rereads(text)) && prev.UnmarshalBinary(stored[key]) == nil && !prev.IsReadRight() {
			c.Added = story.AddedAsRead(prev, title, text, before)
		}
		if c.Added != "" {
			kept = append(kept, c)
		}
	}
	p.markReadRight(stored, sigs)
	return kept
}

// markReadRight puts in sigs the signature of each item of the poll
// marked as made from text read right, where it is not yet.
func (p *TextPoll) markReadRight(stored, sigs map[string][]byte) {
	for i := range p.items {
		key := p.items[i].Key
		b, ok := sigs[key]
		if !ok {
			b = stored[key]
		}
		var sig story.TextSig
		if sig.UnmarshalBinary(b) != nil || sig.IsReadRight() {
			continue
		}
		sigs[key], _ = sig.ReadRight().MarshalBinary()
	}
}

// updateText is the text of an item a live update is looked for in: the
// full content when the feed gives it, else the summary.
func updateText(it *feeds.Item) string {
	if it.Content != "" {
		return it.Content
	}
	return it.Summary
}

// UpdateKey names one update of an item in the feed's seen keys and the
// outbox: the item's key and a hash of the added text, so that the same
// update is enqueued once however often it is fetched.
func UpdateKey(itemKey, added string) string {
	sum := sha256.Sum256([]byte(added))
	return itemKey + "~u" + base64.RawURLEncoding.EncodeToString(sum[:9])
}

// Updates matches the text added to items already seen against the
// subscriptions of the feed that follow updates; the added text alone is
// matched. Each match is an entry of the item's update key, its alert's
// Join JoinUpdate and Text the added text; storyOf (the poller's story
// index, see Stories.StoryWithin) tells the story it belongs under while
// that story takes further reports within the subscription's
// StoryWindow (an edited headline's: the story of the item it edits, see
// Change.Of), and an update of an item whose story is past that window
// (or that does not group) is a message of its own.
func (c *Catalog) Updates(in Input, changes []Change, storyOf func(destination, feedID, itemKey string, window time.Duration) (string, bool)) []Entry {
	f, ok := c.feeds[in.FeedID]
	if !ok {
		return nil
	}
	var out []Entry
	for _, ch := range changes {
		it := ch.Item
		it.Summary, it.Content = ch.Added, ""
		doc := &filters.Document{Summary: ch.Added, Categories: it.Categories, Link: it.Link, Feed: f.Name}
		var ms []matched
		for _, m := range c.set.Match(doc) {
			s := c.subs[m.ID]
			if s == nil || !s.Updates || !s.covers(f, c.byFeed) || !hitsAddedText(m) {
				continue
			}
			ms = append(ms, matched{s, m})
		}
		for _, group := range byDestination(ms) {
			e := Entry{
				Destination: group[0].sub.Destination, Subscription: group[0].sub.ID, FeedID: f.ID,
				ItemKey: UpdateKey(it.Key, ch.Added), Alert: compose(group, f, in.FeedTitle, &it, doc), CreatedAt: in.Now,
			}
			e.DedupeKeys = []string{"item:" + f.ID + "/" + e.ItemKey}
			if len(ch.Of) > 0 {
				// An edited headline's own alert, enqueued with this
				// update (the earlier item's was not posted to the
				// destination, or long ago), carries the whole text:
				// the update, after it in the poll, is then refused.
				e.DedupeKeys = append(e.DedupeKeys, "item:"+f.ID+"/"+ch.Item.Key)
			}
			e.Alert.Join = JoinUpdate
			for _, key := range storyItems(ch) {
				if name, ok := storyOf(e.Destination, f.ID, key, group[0].sub.StoryWindow); ok {
					// Where messages cannot be edited the update is a
					// message of its own (capped and counted as one),
					// named with the story like the item's own.
					e.Story, e.Alert.Story, e.Joins = name, name, !group[0].sub.ReportsAsMessages
					break
				}
			}
			out = append(out, e)
		}
	}
	return out
}

// hitsAddedText reports whether a match of an update's document found a
// word of the added text (its Summary): one the item's categories, link or
// feed name alone satisfy matched what the item said before, not the
// update.
func hitsAddedText(m filters.Match) bool {
	return slices.ContainsFunc(m.Hits, func(h filters.Hit) bool { return h.Field == filters.FieldSummary })
}

// storyItems are the keys of the items whose story a change's update goes
// under, the first in the story index: the item's own, or for an edited
// headline (new in this poll, so in no story yet) the items it edits.
func storyItems(ch Change) []string {
	if len(ch.Of) > 0 {
		return ch.Of
	}
	return []string{ch.Item.Key}
}
