package story

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
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

// BenchmarkGroup measures the grouping cost per item (Index.Group: best
// match, then add and evict) with 10,000 items in the window, items
// arriving at the rate that keeps the window that full. Fingerprinting is
// measured apart (BenchmarkMake). Run it with:
//
//	go test -run '^$' -bench 'Group|Make' -benchmem -cpu 1 ./alert/story/
func BenchmarkGroup(b *testing.B) {
	const inWindow = 10000
	for _, leadWords := range []int{0, 40} {
		b.Run(fmt.Sprintf("window=%d/lead=%d", inWindow, leadWords), func(b *testing.B) {
			texts := syntheticTexts(2*inWindow, leadWords)
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
			for i := 0; b.Loop(); i++ {
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
