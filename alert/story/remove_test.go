package story

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/storycorpus"
)

// TestRemoveUndoesAnAdd: an item added, then removed (a caller whose
// store refused it), leaves the window as if it had never been added:
// every count the window keeps (words and the stories carrying them, how
// titles write them, MinHash bands, stories' items and dates) and every
// item's story and flags, the items its re-split took back in the stories
// they came from, still weak, so that a later report re-splits them as
// before; an item added after it stays as it is. Each case's window with
// the item removed is compared with one that never had it, then both group
// the rest of the sequence alike.
func TestRemoveUndoesAnAdd(t *testing.T) {
	titles := storycorpus.ResplitSequence()
	resplit := resplitAt(t, titles) // the report of B that takes B's first report out of A's story
	tests := []struct {
		name   string
		remove int    // the report added, then removed
		after  string // a report of another story added after it, before its removal
	}{
		{name: "A's first report", remove: 0},
		{name: "a report joining A", remove: 2},
		{name: "B's first report, joining A weakly", remove: 3},
		{name: "a report following B's first", remove: 5},
		{name: "the report that re-splits B", remove: resplit},
		{name: "the report that re-splits B, one of another story after it", remove: resplit, after: "Central bank holds interest rates steady"},
		{name: "B's later report", remove: len(titles) - 1},
	}
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			with, without := NewIndex(Options{}), NewIndex(Options{})
			for i, title := range titles[:tt.remove] {
				with.Group(fmt.Sprint(i), Make(title, ""), at(i))
				without.Group(fmt.Sprint(i), Make(title, ""), at(i))
			}
			_, _, _ = with.Group("x", Make(titles[tt.remove], ""), at(tt.remove))
			if tt.after != "" {
				with.Group("after", Make(tt.after, ""), at(tt.remove))
				without.Group("after", Make(tt.after, ""), at(tt.remove))
			}
			if !with.Remove("x") {
				t.Fatal("Remove found no item x")
			}
			if with.Remove("x") {
				t.Error("Remove found item x again")
			}
			if got, want := windowState(with), windowState(without); got != want {
				t.Fatalf("window after the removal:\n%s\nwant, as never added:\n%s", got, want)
			}
			for i := tt.remove; i < len(titles); i++ {
				groupAlike(t, with, without, fmt.Sprint(i), titles[i], at(i+1))
			}
			if got, want := windowState(with), windowState(without); got != want {
				t.Errorf("window after the rest:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// resplitAt is the index of the report of titles whose Add, under the
// default options, re-splits a story (moves reports into its own), found
// by grouping them: a number written into the test went stale when
// resplitAfter changed, and the cases meant to remove the re-splitting
// report removed a report that took nothing.
func resplitAt(t *testing.T, titles []string) int {
	t.Helper()
	x := NewIndex(Options{})
	for i, title := range titles {
		x.Group(fmt.Sprint(i), Make(title, ""), t0.Add(time.Duration(i)*time.Minute))
		if len(x.Moved()) > 0 {
			return i
		}
	}
	t.Fatal("no report of the sequence re-splits a story")
	return -1
}

// TestRemoveForgetsAtTheWindowsEnd: an item removed leaves the window in
// its turn without touching another's counts, and Len counts it no more.
func TestRemoveForgetsAtTheWindowsEnd(t *testing.T) {
	x := NewIndex(Options{Window: time.Hour})
	x.Group("a", Make("Olive oil prices jump", ""), t0)
	x.Group("b", Make("Olive oil prices jump worldwide", ""), t0.Add(time.Minute))
	x.Group("c", Make("Poor harvest lifts olive oil prices", ""), t0.Add(2*time.Minute))
	x.Remove("b")
	if got := x.Len(); got != 2 {
		t.Errorf("Len after the removal = %d, want 2", got)
	}
	x.Group("d", Make("Central bank holds interest rates steady", ""), t0.Add(time.Hour+90*time.Second))
	if got := x.Len(); got != 2 {
		t.Errorf("Len once a and b left the window = %d, want 2 (c and d)", got)
	}
	want := NewIndex(Options{Window: time.Hour}) // b never added
	want.Group("a", Make("Olive oil prices jump", ""), t0)
	want.Group("c", Make("Poor harvest lifts olive oil prices", ""), t0.Add(2*time.Minute))
	want.Group("d", Make("Central bank holds interest rates steady", ""), t0.Add(time.Hour+90*time.Second))
	if got, want := windowState(x), windowState(want); got != want {
		t.Errorf("window:\n%s\nwant:\n%s", got, want)
	}
}

// windowState is what the window knows, written by item ids and story
// names, not by the sequence numbers and story numbers it keeps them
// under (which an item removed leaves out of step).
func windowState(x *Index) string {
	var b strings.Builder
	idOf := func(seq int) string {
		if seq < x.base || x.entries[seq-x.base].story == removedStory {
			return "-"
		}
		return x.entries[seq-x.base].id
	}
	ids := func(seqs []int) []string {
		out := make([]string, 0, len(seqs))
		for _, s := range seqs {
			out = append(out, idOf(s))
		}
		return out
	}
	fmt.Fprintf(&b, "len %d\n", x.Len())
	for i := range x.entries {
		e := &x.entries[i]
		if e.story == removedStory {
			continue
		}
		fmt.Fprintf(&b, "item %s story %s at %s weak %v doubtful %v leader %s followers %v\n",
			e.id, x.storyRefs[e.story].name, e.at.Format(time.TimeOnly), e.weak, e.doubtful, idOf(e.leader-1), ids(e.followers))
		for _, tk := range e.took {
			fmt.Fprintf(&b, "  took %s from %s weak %v doubtful %v leader %s followers %v\n",
				idOf(tk.seq), tk.from, tk.weak, tk.doubtful, idOf(tk.leader-1), ids(tk.followers))
		}
		if seq, ok := x.ids[e.id]; !ok || seq != x.base+i {
			fmt.Fprintf(&b, "  not found by its id\n")
		}
	}
	fmt.Fprintf(&b, "ids %d\n", len(x.ids))
	for _, h := range slices.Sorted(maps.Keys(x.postings)) {
		p := x.postings[h]
		fmt.Fprintf(&b, "word %d items %v stories %d lower %d proper %d\n", h, ids(p.items), p.stories, p.lower, p.proper)
	}
	words := map[string]int32{}
	for k, n := range x.wordStory {
		words[fmt.Sprintf("%d/%s", k>>32, x.storyRefs[int32(uint32(k))].name)] = n
	}
	for _, k := range slices.Sorted(maps.Keys(words)) {
		fmt.Fprintf(&b, "word/story %s %d\n", k, words[k])
	}
	for _, k := range slices.Sorted(maps.Keys(x.bands)) {
		fmt.Fprintf(&b, "band %d %v\n", k, ids(x.bands[k]))
	}
	refs := map[string]*storyRef{}
	for num, r := range x.storyRefs {
		if x.storyNums[r.name] != num {
			fmt.Fprintf(&b, "story %s not found by its name\n", r.name)
		}
		refs[r.name] = r
	}
	for _, name := range slices.Sorted(maps.Keys(refs)) {
		r := refs[name]
		fmt.Fprintf(&b, "story %s items %d first %d last %d undated %d\n", name, r.items, r.first, r.last, r.undated)
	}
	fmt.Fprintf(&b, "story names %d\n", len(x.storyNums))
	return b.String()
}

// TestRemoveInTheUCIStream: along the UCI news headlines, an item added
// then removed at every 7th report (the next report's headline, under
// another id: a report of the same story, which joins it or re-splits it)
// leaves the window as one that never had it, and changes no later
// decision. (The words' IDF first counted the removed items among the
// window's: later scores drifted, and a report joined another story.)
func TestRemoveInTheUCIStream(t *testing.T) {
	tune, _ := loadUCI(t)
	rows := tune[:min(len(tune), 1500)]
	with, without := NewIndex(Options{}), NewIndex(Options{})
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	for i, r := range rows {
		groupAlike(t, with, without, fmt.Sprint(i), r.title, at(i))
		if i%7 == 0 && i+1 < len(rows) {
			with.Group("probe", Make(rows[i+1].title, ""), at(i))
			with.Remove("probe")
			if g, w := windowState(with), windowState(without); g != w {
				t.Fatalf("after the removal at #%d (%q), the window:\n%s\nwant:\n%s", i, rows[i+1].title, g, w)
			}
		}
	}
	if got, want := windowState(with), windowState(without); got != want {
		t.Errorf("the window at the end:\n%s\nwant, as never had the removed items:\n%s", got, want)
	}
}

// groupAlike groups the item id into both indexes, which must decide
// alike: the same story, join and moves (with is to be as without, which
// never had the items removed from it).
func groupAlike(t *testing.T, with, without *Index, id, title string, at time.Time) {
	t.Helper()
	gs, _, gj := with.Group(id, Make(title, ""), at)
	ws, _, wj := without.Group(id, Make(title, ""), at)
	if gs != ws || gj != wj || !slices.Equal(with.Moved(), without.Moved()) {
		t.Fatalf("#%s %q: Group = (%s, %v) moving %v, want (%s, %v) moving %v", id, title, gs, gj, with.Moved(), ws, wj, without.Moved())
	}
}

// TestRemoveOutOfOrder: items removed oldest first, a follower that a
// re-split took and then the report that re-split (a caller removing the
// items of a refused commit in their order, not newest first), leave the
// window as one that never had either: the weak first report given back
// does not list the removed follower among its followers, where it
// counted toward the next re-split, which came one report early.
func TestRemoveOutOfOrder(t *testing.T) {
	titles := storycorpus.ResplitSequence()
	resplit := resplitAt(t, titles)
	const follower = 5 // a report following B's first, which the re-split takes
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	with, without := NewIndex(Options{}), NewIndex(Options{})
	for i, title := range titles[:resplit+1] {
		with.Group(fmt.Sprint(i), Make(title, ""), at(i))
		if i != follower && i != resplit {
			without.Group(fmt.Sprint(i), Make(title, ""), at(i))
		}
	}
	for _, id := range []string{fmt.Sprint(follower), fmt.Sprint(resplit)} {
		if !with.Remove(id) {
			t.Fatalf("Remove found no item %s", id)
		}
	}
	if got, want := windowState(with), windowState(without); got != want {
		t.Fatalf("window after the removals:\n%s\nwant, as never added:\n%s", got, want)
	}
	for i := resplit; i < len(titles); i++ {
		groupAlike(t, with, without, fmt.Sprint(i), titles[i], at(i+1))
	}
}
