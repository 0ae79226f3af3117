package alert

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/newshound/newshound/alert/story"
)

// Stories groups each destination's alerts into stories: the first report
// of a story is a message of its own; a further report, from any feed, of a
// story whose message is younger than the subscription's StoryWindow joins
// it (Entry.Joins) and is listed under that message instead. Like the rest
// of the core it does no I/O and keeps no clock; it is not safe for
// concurrent use (the poller holds a lock around it).
type Stories struct {
	window time.Duration // how long an item remains a candidate
	dests  map[string]*destStories
}

// destStories is one destination's window of reports.
type destStories struct {
	index  *story.Index
	opened map[string]time.Time // story → when its first report came
	swept  time.Time            // when opened was last rid of stories past the window
	// takes are the reports each story's first report took (a re-split),
	// kept while the story is in opened, for a retried commit of it.
	takes map[string][]story.Move
}

// StoryRow is a stored report that Restore puts back into the index.
type StoryRow struct {
	Destination string
	ID          string // ItemID of the report
	Story       string
	Fingerprint []byte
	At          time.Time
}

// NewStories returns an empty grouper whose reports stay candidates for
// window (the longest StoryWindow of the subscriptions).
func NewStories(window time.Duration) *Stories {
	return &Stories{window: window, dests: map[string]*destStories{}}
}

// Window is how long reports stay candidates.
func (s *Stories) Window() time.Duration { return s.window }

// ItemID names a feed's item in a story index and in the outbox's story
// column: a story is named after its first report.
func ItemID(feedID, itemKey string) string { return feedID + "/" + itemKey }

// SplitItemID returns the feed's ID and the item's key an ItemID names, or
// false for a name no ItemID gives. An item's key has no "/" (a letter and
// base64url, see feeds.Item.Key); a feed's ID may ("bbc/world", next to a
// feed "bbc"): the name is cut at its last "/".
func SplitItemID(id string) (feedID, itemKey string, ok bool) {
	i := strings.LastIndexByte(id, '/')
	if i <= 0 || i == len(id)-1 {
		return "", "", false
	}
	return id[:i], id[i+1:], true
}

// UnopenedStory is a story Restore took reports of but could not open.
type UnopenedStory struct{ Destination, Story string }

// Restore puts stored reports back, oldest first, so that a restart
// groups as the process before it would have. A row whose fingerprint
// cannot be read is skipped (it was written by a newer version).
//
// It returns the stories of rows that it left unopened, none of their
// rows being their first report and the index having no such story open:
// those whose first report is older than the rows, and those whose first
// report has no row at all (a store that did not keep the reports it
// refused), the outbox having refused it as a duplicate
// and MergeDuplicate not having listed it under the other story (a ghost
// story, led by its first further report posted alone). Left so, such a
// story takes no further report: its next one opens a story, another
// message. The caller opens those it can at their first report's time
// (OpenStory).
func (s *Stories) Restore(rows []StoryRow) []UnopenedStory {
	var further []UnopenedStory // the stories of rows that are not their first report
	named := map[UnopenedStory]bool{}
	for _, r := range rows {
		var fp story.Fingerprint
		if err := fp.UnmarshalBinary(r.Fingerprint); err != nil {
			continue
		}
		d := s.dest(r.Destination)
		d.index.Add(r.ID, r.Story, fp, r.At)
		if r.ID == r.Story {
			// The story's first report (a story is named after it), not
			// any row that is no join: where each report is a message
			// (ReportsAsMessages), none is, and the rows a re-split took
			// into a story are older than its first report.
			d.open(r.Story, r.At)
		} else if u := (UnopenedStory{Destination: r.Destination, Story: r.Story}); !named[u] {
			named[u] = true
			further = append(further, u)
		}
	}
	return slices.DeleteFunc(further, func(u UnopenedStory) bool {
		_, open := s.dests[u.Destination].opened[u.Story]
		return open
	})
}

// OpenStory opens a story Restore left unopened at the time its first
// report came (in the store: when its item was first seen), from which its
// window counts, however much later its earliest row is.
func (s *Stories) OpenStory(destination, story string, at time.Time) {
	s.dest(destination).open(story, at)
}

func (s *Stories) dest(name string) *destStories {
	d := s.dests[name]
	if d == nil {
		d = &destStories{index: story.NewIndex(story.Options{Window: s.window}), opened: map[string]time.Time{}, takes: map[string][]story.Move{}}
		s.dests[name] = d
	}
	return d
}

// open records a story's first report.
func (d *destStories) open(name string, at time.Time) {
	if _, ok := d.opened[name]; !ok {
		d.opened[name] = at
	}
}

// forgetBefore forgets stories opened before cutoff: no subscription may
// join them any more.
func (d *destStories) forgetBefore(cutoff time.Time, window time.Duration) {
	// A sweep every 1/48 of the window keeps opened within ~2 % of the
	// window's stories without walking it on every report.
	if cutoff.Sub(d.swept) < window/48 {
		return
	}
	d.swept = cutoff
	for name, at := range d.opened {
		if at.Before(cutoff) {
			delete(d.opened, name)
			delete(d.takes, name)
		}
	}
}

// Group assigns each entry of a step (in their order) its story, at time
// now: it fills in Story, Alert.Story and Fingerprint, and for a further
// report of a story younger than the entry's StoryWindow sets Joins,
// Alert.Join and Alert.Doubtful (see story.Index.Doubtful), unless the
// subscription posts each report (ReportsAsMessages). An
// entry whose subscription does not group (StoryWindow 0) is left as it
// is; so is an update (Alert.Join already set), which keeps the story
// Update gave it. It returns what it added, for Ungroup.
func (s *Stories) Group(entries []Entry, now time.Time) Grouping {
	var g Grouping
	for i := range entries {
		e := &entries[i]
		if e.window <= 0 || e.Alert.Join != "" {
			continue
		}
		d := s.dest(e.Destination)
		fp := story.Make(e.Alert.Title, leadOf(e.Alert.Text)).WithLink(e.Alert.Link).WithPublished(e.Alert.Published)
		id := ItemID(e.FeedID, e.ItemKey)
		if name, ok := d.index.StoryOf(id); ok {
			// Grouped before, not committed (a failed commit, retried):
			// the same decision again, the index unchanged.
			e.Story, e.Alert.Story, e.Joins = name, name, name != id && !e.eachReport
			e.Fingerprint, _ = fp.MarshalBinary()
			if e.Joins {
				e.Alert.Join, e.Alert.Doubtful = JoinAlso, d.index.Doubtful(id)
			} else {
				e.Takes = d.takes[name]
			}
			continue
		}
		name, _, joined := d.index.BestWithin(fp, now, e.window)
		if joined {
			opened, ok := d.opened[name]
			// A story named after the entry is its own, which others
			// joined while a refused grouping of it was taken back
			// (Ungroup): it is the story's first report, not a join.
			joined = ok && now.Sub(opened) <= e.window && name != id
		}
		if !joined {
			name = id
			d.open(name, now)
		}
		g.added = append(g.added, grouped{destination: e.Destination, id: id, opened: !joined})
		d.index.Add(id, name, fp, now)
		if moved := d.index.Moved(); len(moved) > 0 { // a re-split: only an opener moves reports
			e.Takes = slices.Clone(moved)
			d.takes[name] = e.Takes
		}
		e.Story, e.Alert.Story = name, name
		e.Fingerprint, _ = fp.MarshalBinary()
		if joined && !e.eachReport {
			e.Joins = true
			e.Alert.Join, e.Alert.Doubtful = JoinAlso, d.index.Doubtful(id)
		}
	}
	for _, d := range s.dests {
		d.forgetBefore(now.Add(-s.window), s.window)
	}
	return g
}

// A Grouping is what one Group added: the reports it put in the index,
// and the stories they opened.
type Grouping struct{ added []grouped }

type grouped struct {
	destination, id string
	opened          bool // the report opened a story, named after it
}

// Ungroup takes back what Group added (g), newest first: each report
// leaves the index, the items its re-split took go back to the stories
// they came from, and a story it opened is forgotten unless reports
// grouped since are in it (see story.Index.Remove). A report grouped
// before that Group, which it found in the index, stays, and so does what
// others grouped since. A caller
// whose commit of the entries was refused, and who will match and group
// them anew (the watches they were matched under changed), ungroups them,
// so that the index holds no report the store has not, and regrouped
// they take the place a first grouping would.
func (s *Stories) Ungroup(g Grouping) {
	for _, a := range slices.Backward(g.added) {
		d := s.dests[a.destination]
		if d == nil {
			continue
		}
		d.index.Remove(a.id)
		delete(d.takes, a.id) // what its re-split took is given back
		if a.opened && d.index.Items(a.id) == 0 {
			// Not while reports another poll grouped into it since stay:
			// committed as its joins, they keep it open, as a restart
			// would open it (Restore, OpenStory).
			delete(d.opened, a.id)
		}
	}
}

// MergeDuplicate lists the reports of e's story under story into from now
// on, when e is the first report of its story (not a join, not an update)
// and the outbox's duplicate check refused it as a report of into (an
// item already posted under into, its headline rewritten under its link):
// the grouping told it apart, so its story has no message of its own. The
// caller moves its stored rows likewise, so that a restart lists them so
// too. It returns the reports moved, each from e's story. Whether into
// takes further reports stays as it was: while its first report is within
// the window. A first report published too far from into's reports to
// join them (see story.Index.BestWithin) is no report of it for the
// grouping: its story stays as it is.
func (s *Stories) MergeDuplicate(e Entry, into string) []story.Move {
	d, ok := s.dests[e.Destination]
	if !ok || into == "" || e.window <= 0 || e.Joins || e.Alert.Join != "" || e.Story != ItemID(e.FeedID, e.ItemKey) {
		return nil
	}
	moves := d.index.Merge(e.Story, into, e.window)
	if len(moves) > 0 {
		delete(d.opened, e.Story)
		delete(d.takes, e.Story)
	}
	return moves
}

// StoryOf returns the story of an item reported to destination, while it
// is in the window.
func (s *Stories) StoryOf(destination, feedID, itemKey string) (string, bool) {
	return s.StoryOfItem(destination, ItemID(feedID, itemKey))
}

// Reports returns how many reports of the window story has in
// destination.
func (s *Stories) Reports(destination, story string) int {
	d, ok := s.dests[destination]
	if !ok {
		return 0
	}
	return d.index.Items(story)
}

// StoryWithin is StoryOf for an item whose story may still take further
// reports at now under a subscription's window: its first report came at
// most window before now (as Group decides a join). A window of 0 (never
// group) takes none.
func (s *Stories) StoryWithin(destination, feedID, itemKey string, window time.Duration, now time.Time) (string, bool) {
	name, ok := s.StoryOf(destination, feedID, itemKey)
	if !ok || window <= 0 {
		return "", false
	}
	opened, ok := s.dests[destination].opened[name]
	if !ok || now.Sub(opened) > window {
		return "", false
	}
	return name, true
}

// StoryOfItem is StoryOf for an item named by its ItemID (as Entry.Takes
// name them).
func (s *Stories) StoryOfItem(destination, id string) (string, bool) {
	d, ok := s.dests[destination]
	if !ok {
		return "", false
	}
	return d.index.StoryOf(id)
}

// leadBytes bounds the lead a fingerprint is made of: the first paragraph
// or so is what a rewrite of a report keeps.
const leadBytes = 1200

// digestStoryPrefix starts the names GroupDigest gives stories.
const digestStoryPrefix = "digest/"

// GroupDigest groups the reports of a scheduled digest into stories, as
// Group groups a destination's reports as they come: in outbox order, each
// at the time it was enqueued (enqueued[i] is alerts[i]'s), a report
// joining a story whose first report is at most the subscription's
// story_window older. Each alert whose subscription groups
// (DigestStoryWindow over 0) and that has no story yet gets Story, named
// after the story's first report in the digest (its outbox ID), with
// DigestStory set, and Doubtful when it joined the way a swallowed story's
// first report does. The digest then lists each story once (see
// notify.DigestLines). The grouping sees the digest's reports only: a
// story reported in two periods is in both digests, under two names.
func GroupDigest(alerts []Alert, enqueued []time.Time) {
	order := make([]int, 0, len(alerts))
	var window time.Duration
	for i, a := range alerts {
		if a.DigestStoryWindow > 0 && a.Story == "" && a.Join == "" {
			order = append(order, i)
			window = max(window, a.DigestStoryWindow)
		}
	}
	if len(order) < 2 {
		return
	}
	slices.SortStableFunc(order, func(i, j int) int {
		return cmp.Or(cmp.Compare(alerts[i].ID, alerts[j].ID), enqueued[i].Compare(enqueued[j]))
	})
	idx := story.NewIndex(story.Options{Window: window})
	opened := map[string]time.Time{} // story → when its first report was enqueued
	byID := make(map[string]int, len(order))
	for n, i := range order {
		a, at := &alerts[i], enqueued[i]
		id := digestStoryPrefix + strconv.FormatInt(a.ID, 10) + "/" + strconv.Itoa(n)
		byID[id] = i
		fp := story.Make(a.Title, leadOf(a.Text)).WithLink(a.Link).WithPublished(a.Published)
		name, _, joined := idx.BestWithin(fp, at, a.DigestStoryWindow)
		if joined {
			joined = at.Sub(opened[name]) <= a.DigestStoryWindow
		}
		if !joined {
			name = id
			opened[name] = at
		}
		idx.Add(id, name, fp, at)
		a.Story, a.DigestStory, a.Doubtful = name, true, joined && idx.Doubtful(id)
		for _, m := range idx.Moved() { // a re-split: the earlier reports it took
			alerts[byID[m.ID]].Story, alerts[byID[m.ID]].Doubtful = name, false
		}
	}
}

// leadOf is the start of an alert's text in one line (as fingerprints
// were made before texts kept their lines, so that a story's stored
// fingerprints and a new report's compare alike), cut at a character
// boundary.
func leadOf(text string) string {
	text = strings.ReplaceAll(text[:min(len(text), leadBytes+utf8.UTFMax)], "\n", " ")
	if len(text) <= leadBytes {
		return text
	}
	cut := leadBytes
	for cut > 0 && !isRuneStart(text[cut]) {
		cut--
	}
	return text[:cut]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
