package story

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRemoveRandomSubset: along the UCI headlines, with re-splits among
// them, a random subset of the items removed in a random order (not only
// newest first, as alert.Stories.Ungroup does) leaves the window's counts
// as those of an index built from the rest alone, each item under the
// story it has after the removals; and no item lists a removed one as its
// follower or leader, which would count it toward a re-split it is no
// longer part of.
func TestRemoveRandomSubset(t *testing.T) {
	tune, _ := loadUCI(t)
	rows := tune[:min(len(tune), 1200)]
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	for seed := uint64(1); seed <= 8; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(seed, 0))
			x := NewIndex(Options{})
			for i, r := range rows {
				x.Group(fmt.Sprint(i), Make(r.title, ""), at(i))
			}
			order := rnd.Perm(len(rows))[:len(rows)/4]
			removed := map[int]bool{}
			for _, i := range order {
				if !x.Remove(fmt.Sprint(i)) {
					t.Fatalf("Remove(%d) found no item", i)
				}
				removed[i] = true
			}
			rest := NewIndex(Options{})
			for i, r := range rows {
				if removed[i] {
					continue
				}
				story, ok := x.StoryOf(fmt.Sprint(i))
				if !ok {
					t.Fatalf("item %d left the index though not removed", i)
				}
				rest.Add(fmt.Sprint(i), story, Make(r.title, ""), at(i))
			}
			if got, want := countsState(x), countsState(rest); got != want {
				t.Errorf("counts after removing %d items:\n%s\nwant, as built from the rest:\n%s", len(order), firstDiff(got, want), firstDiff(want, got))
			}
			if refs := removedRefs(x); len(refs) > 0 {
				t.Errorf("items still naming a removed one: %v", refs)
			}
		})
	}
}

// countsState is windowState without what only grouping decides (weak,
// doubtful, leaders, followers, takes): what an index rebuilt from stored
// rows knows too.
func countsState(x *Index) string {
	var b strings.Builder
	for _, line := range strings.Split(windowState(x), "\n") {
		if strings.HasPrefix(line, "  took ") {
			continue
		}
		if strings.HasPrefix(line, "item ") {
			line, _, _ = strings.Cut(line, " weak ")
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// removedRefs lists the items whose leader or followers name an item
// Remove took out (the test's window evicts none).
func removedRefs(x *Index) []string {
	var refs []string
	for i := range x.entries {
		e := &x.entries[i]
		if e.story == removedStory {
			continue
		}
		if e.leader > 0 && !x.present(e.leader-1) {
			refs = append(refs, e.id+" leader")
		}
		if slices.ContainsFunc(e.followers, func(f int) bool { return !x.present(f) }) {
			refs = append(refs, e.id+" followers")
		}
	}
	return refs
}

// firstDiff is a's lines from the first that b lacks at its place, a few.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range al {
		if i >= len(bl) || al[i] != bl[i] {
			return strings.Join(al[i:min(len(al), i+6)], "\n")
		}
	}
	return "(none)"
}

// TestRemoveRandomPolls: along the UCI headlines, polls of a few items
// (the next headlines, under other ids: reports that join, open or
// re-split stories among themselves too) grouped, then removed newest
// first as alert.Stories.Ungroup does, leave the window as one that never
// had them, weak marks, followers and takes included, and change no
// later decision.
func TestRemoveRandomPolls(t *testing.T) {
	tune, _ := loadUCI(t)
	rows := tune[:min(len(tune), 1000)]
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	for seed := uint64(1); seed <= 2; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(seed, 1))
			with, without := NewIndex(Options{}), NewIndex(Options{})
			for i, r := range rows {
				groupAlike(t, with, without, fmt.Sprint(i), r.title, at(i))
				if rnd.IntN(5) != 0 {
					continue
				}
				poll := rows[i+1 : min(len(rows), i+2+rnd.IntN(8))]
				for j, p := range poll {
					with.Group(fmt.Sprint("poll", j), Make(p.title, ""), at(i))
				}
				for j := len(poll) - 1; j >= 0; j-- {
					with.Remove(fmt.Sprint("poll", j))
				}
				if g, w := windowState(with), windowState(without); g != w {
					t.Fatalf("after removing the poll at #%d, the window:\n%s\nwant:\n%s", i, firstDiff(g, w), firstDiff(w, g))
				}
			}
		})
	}
}
