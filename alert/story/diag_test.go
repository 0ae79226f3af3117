package story

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var (
	diag     = flag.Bool("diag", false, "log why stories of the UCI tune half are swallowed")
	shuffles = flag.Int("shuffles", tuneShuffles, "shuffles of the tune half to diagnose")
)

// TestUCIDiag logs, for each shuffle of the tune half on which a story is
// swallowed, the swallowed story's reports and the openers of the
// messages they joined, to find why. DIAG_REPORT=1 traces the report
// half instead, to explain a figure reported on it; options are never
// chosen by it.
func TestUCIDiag(t *testing.T) {
	if !*diag {
		t.Skip("diagnosis: run with -diag")
	}
	tuneHalf, rep := loadUCI(t)
	if os.Getenv("DIAG_REPORT") != "" {
		tuneHalf = rep
	}
	kin := newLabelKin(tuneHalf)
	for seed := uint64(1); seed <= uint64(*shuffles); seed++ {
		traceSwallowed(t, thinned(tuneHalf, seed), kin, DefaultOptions, seed)
	}
}

// traceSwallowed logs each story swallowed on the shuffle of rows by
// seed, saying whether by another event or into its kin's message (see
// labelKin).
func traceSwallowed(t *testing.T, rows []ucReport, kin labelKin, opt Options, seed uint64) {
	items := shuffled(rows, seed)
	idx := NewIndex(opt)
	type rec struct {
		pred   string
		score  float64
		joined bool
		best   int // -1: through keywords
		weak   bool
	}
	recs := make([]rec, len(items))
	opener := map[string]int{}
	opened := map[string]int{}
	for i, it := range items {
		fp := Make(it.title, "").WithLink(it.url)
		s, sc, j := idx.Best(fp, it.at)
		best := idx.last.best
		if !j {
			s = fmt.Sprint(i)
		}
		idx.Add(fmt.Sprint(i), s, fp, it.at)
		recs[i] = rec{s, sc, j, best, idx.entries[len(idx.entries)-1].weak}
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
		how := "by another event"
		fmt.Fprintf(&b, "seed %d: story %.8s swallowed:", seed, it.story)
		for j := range items {
			if items[j].story != it.story {
				continue
			}
			o := items[opener[recs[j].pred]]
			if kin.of(it.story, o.ucReport) {
				how = "into its kin's message (label noise)"
			}
			via := "keywords"
			if bs := recs[j].best; bs >= 0 {
				via = fmt.Sprintf("#%d %.8s %q", bs, items[bs].story, items[bs].title)
			}
			fmt.Fprintf(&b, "\n\t#%d %q (%.2f weak %v via %s) → #%d %.8s %q", j, items[j].title, recs[j].score, recs[j].weak, via, opener[recs[j].pred], o.story, o.title)
		}
		_ = i
		t.Logf("%s\n\t%s", b.String(), how)
	}
}

var openers = flag.Int("openers", 0, "log the openers of the stories of one shuffle of the tune half")

// TestUCIOpeners logs, for one shuffle of the tune half, every story's
// messages after its first and what their reports were most like, to find
// why they opened a message.
func TestUCIOpeners(t *testing.T) {
	if *openers == 0 {
		t.Skip("diagnosis: run with -openers SEED")
	}
	tuneHalf, _ := loadUCI(t)
	items := shuffled(tuneHalf, uint64(*openers))
	idx := NewIndex(DefaultOptions)
	byStory := map[string][]string{}
	for i, it := range items {
		fp := Make(it.title, "").WithLink(it.url)
		s, sc, j := idx.Best(fp, it.at)
		best, resplit := idx.last.best, idx.last.resplit
		if !j {
			s = fmt.Sprint(i)
		}
		idx.Add(fmt.Sprint(i), s, fp, it.at)
		if j {
			continue
		}
		why := fmt.Sprintf("best %.2f", sc)
		if resplit >= 0 {
			why += " resplit"
		}
		if best >= 0 {
			why += fmt.Sprintf(" #%d %.8s %q", best, items[best].story, items[best].title)
		}
		byStory[it.story] = append(byStory[it.story], fmt.Sprintf("#%d %q (%s)", i, it.title, why))
	}
	for s, os := range byStory {
		t.Logf("%.8s: %d messages\n\t%s", s, len(os), strings.Join(os, "\n\t"))
	}
}
