package story

import (
	"flag"
	"fmt"
	"strings"
	"testing"
)

var diag = flag.Bool("diag", false, "log why stories of the UCI tune half are swallowed")

// TestUCIDiag logs, for each shuffle of the tune half on which a story is
// swallowed, the swallowed story's reports and the openers of the
// messages they joined, to find why.
func TestUCIDiag(t *testing.T) {
	if !*diag {
		t.Skip("diagnosis: run with -diag")
	}
	tuneHalf, _ := loadUCI(t)
	for seed := uint64(1); seed <= tuneShuffles; seed++ {
		traceSwallowed(t, tuneHalf, DefaultOptions, seed)
	}
}

func traceSwallowed(t *testing.T, rows []ucReport, opt Options, seed uint64) {
	items := shuffled(rows, seed)
	idx := NewIndex(opt)
	type rec struct {
		pred   string
		score  float64
		joined bool
	}
	recs := make([]rec, len(items))
	opener := map[string]int{}
	opened := map[string]int{}
	for i, it := range items {
		s, sc, j := idx.Group(fmt.Sprint(i), Make(it.title, ""), it.at)
		recs[i] = rec{s, sc, j}
		if !j {
			opener[s] = i
			opened[it.story]++
		}
	}
	seen := map[string]bool{}
	for i, it := range items {
		if opened[it.story] > 0 || seen[it.story] {
			continue
		}
		seen[it.story] = true
		var b strings.Builder
		fmt.Fprintf(&b, "seed %d: story %.8s swallowed:", seed, it.story)
		for j := range items {
			if items[j].story != it.story {
				continue
			}
			o := items[opener[recs[j].pred]]
			fmt.Fprintf(&b, "\n\t#%d %q (%.2f) → #%d %.8s %q", j, items[j].title, recs[j].score, opener[recs[j].pred], o.story, o.title)
		}
		_ = i
		t.Log(b.String())
	}
}
