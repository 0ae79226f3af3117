package story

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/corpus"
)

// syntheticTexts invents n reports of n/15 stories: each story has six
// names of its own, and each report of it takes two or three of them plus
// general words drawn from a Zipf-distributed vocabulary of 20,000, so
// that common words are common and names rare, as in news. Leads, when
// asked for, take eight of the story's words and general words.
func syntheticTexts(n int, leadWords int) []report {
	rng := rand.New(rand.NewPCG(7, 7))
	zipf := rand.NewZipf(rng, 1.2, 2, 20000-1)
	general := func() string { return fmt.Sprintf("g%dx", zipf.Uint64()) }
	texts := make([]report, n)
	for i := range texts {
		story := rng.IntN(max(1, n/15))
		name := func() string { return fmt.Sprintf("s%dn%d", story, rng.IntN(6)) }
		var title, lead []string
		for range 2 + rng.IntN(2) {
			title = append(title, name())
		}
		for len(title) < 8 {
			title = append(title, general())
		}
		for j := range leadWords {
			if j%5 == 0 {
				lead = append(lead, name())
			} else {
				lead = append(lead, general())
			}
		}
		texts[i] = report{strings.Join(title, " "), strings.Join(lead, " ")}
	}
	return texts
}

// benchTexts returns at least n reports for the benchmarks: when the
// corpus is present, the UCI headlines and the items of the staged feeds
// (with their summaries as leads when leads is set), shuffled, since real
// headlines share words as real headlines do; else invented ones (see
// syntheticTexts, with 40-word leads when leads is set).
func benchTexts(b *testing.B, n int, leads bool) (texts []report, source string) {
	b.Helper()
	corpusDir, ok, err := corpus.Locate()
	if err != nil {
		b.Fatal(err)
	}
	if !ok {
		leadWords := 0
		if leads {
			leadWords = 40
		}
		return syntheticTexts(n, leadWords), "synthetic"
	}
	uci, err := os.ReadFile(filepath.Join(corpusDir, "topics", "uci_news_stories.tsv"))
	if err != nil {
		b.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSpace(string(uci)), "\n") {
		if fs := strings.Split(line, "\t"); i > 0 && len(fs) == 7 {
			texts = append(texts, report{title: fs[1]})
		}
	}
	staged, err := os.ReadFile(filepath.Join(corpusDir, "topics", "items_from_staged_feeds.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(staged)), "\n") {
		var item struct{ Title, Summary string }
		if err := json.Unmarshal([]byte(line), &item); err != nil {
			b.Fatalf("staged feed item %q: %v", line, err)
		}
		r := report{title: item.Title}
		if leads {
			r.lead = item.Summary
		}
		texts = append(texts, r)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	rng.Shuffle(len(texts), func(i, j int) { texts[i], texts[j] = texts[j], texts[i] })
	for len(texts) < n {
		texts = append(texts, texts...)
	}
	return texts, "corpus"
}

// BenchmarkGroup measures the grouping cost per item (Index.Group: best
// match, then add and evict) with 10,000 items in the window, items
// arriving at the rate that keeps the window that full: real headlines
// (and feed summaries as leads) when the corpus is present, invented ones
// otherwise; the sub-benchmark's name says which. The measured items
// follow the 10,000 that filled the window in the same shuffled list,
// which holds more than 12,000, so that no item meets its own copy.
// Fingerprinting is measured apart (BenchmarkMake). Run it with:
//
//	go test -run '^$' -bench 'Group|Make' -benchmem -cpu 1 ./alert/story/
func BenchmarkGroup(b *testing.B) {
	const inWindow = 10000
	for _, leads := range []bool{false, true} {
		texts, source := benchTexts(b, 2*inWindow, leads)
		b.Run(fmt.Sprintf("window=%d/%s/leads=%v", inWindow, source, leads), func(b *testing.B) {
			fps := make([]Fingerprint, len(texts))
			for i, r := range texts {
				fps[i] = Make(r.title, r.lead)
			}
			idx := NewIndex(Options{})
			step := DefaultOptions.Window / inWindow
			at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			for i := range inWindow {
				at = at.Add(step)
				idx.Group(fmt.Sprint(i), fps[i], at)
			}
			ids := make([]string, len(fps))
			for i := range ids {
				ids[i] = fmt.Sprint(i)
			}
			joined := 0
			b.ReportAllocs()
			for i := inWindow; b.Loop(); i++ {
				at = at.Add(step)
				if _, _, ok := idx.Group(ids[i%len(ids)], fps[i%len(fps)], at); ok {
					joined++
				}
			}
			if n := idx.Len(); n < inWindow-1 || n > inWindow+1 {
				b.Fatalf("%d items in the window, want %d", n, inWindow)
			}
			b.ReportMetric(float64(joined)/float64(b.N), "joined/item")
		})
	}
}

// BenchmarkMake measures fingerprinting one item.
func BenchmarkMake(b *testing.B) {
	for _, leadWords := range []int{0, 40} {
		b.Run(fmt.Sprintf("lead=%d", leadWords), func(b *testing.B) {
			texts := syntheticTexts(1000, leadWords)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				r := texts[i%len(texts)]
				Make(r.title, r.lead)
			}
		})
	}
}
