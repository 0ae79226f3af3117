package filters

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// BenchmarkMatch measures, on the corpus items, (a) normalization alone,
// (b) the Set at 1, 100 and 10,000 queries and (c) a loop over one compiled
// regexp per query, the way most bots match. One op is one item; items/s is
// reported alongside. Run it with:
//
//	go test -run '^$' -bench . -benchmem -cpu 1 ./filters/
func BenchmarkMatch(b *testing.B) {
	docs := loadCorpus(b)
	v := buildVocabulary(docs)

	b.Run("a-normalize/Normalize", func(b *testing.B) {
		b.ReportAllocs()
		tokens := 0
		for i := 0; b.Loop(); i++ {
			d := &docs[i%len(docs)]
			tokens += len(Normalize(d.Title)) + len(Normalize(d.Summary)) + len(Normalize(d.Content))
			for _, c := range d.Categories {
				tokens += len(Normalize(c))
			}
		}
		reportItems(b)
	})
	b.Run("a-normalize/reused-buffers", func(b *testing.B) {
		// The normalization a Set does per item, buffers reused: the floor.
		b.ReportAllocs()
		var nd normDoc
		for i := 0; b.Loop(); i++ {
			nd.load(&docs[i%len(docs)], maskDefault)
		}
		reportItems(b)
	})
	for _, n := range []int{1, 100, 10000} {
		queries := generateQueries(v, n, 42, false)
		b.Run(fmt.Sprintf("b-set/queries=%d", n), func(b *testing.B) {
			set := NewSet(nil)
			for i, q := range queries {
				if err := set.Add(fmt.Sprint(i), q); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			matches := 0
			for i := 0; b.Loop(); i++ {
				matches += len(set.Match(&docs[i%len(docs)]))
			}
			reportItems(b)
			b.ReportMetric(float64(matches)/float64(b.N), "matches/item")
		})
	}
	b.Run("build/queries=10000", func(b *testing.B) {
		// The cost of compiling a whole Set, as on a config reload. One op
		// is one Set; items/s does not apply.
		queries := generateQueries(v, 10000, 42, false)
		b.ReportAllocs()
		for b.Loop() {
			set := NewSet(nil)
			for i, q := range queries {
				if err := set.Add(fmt.Sprint(i), q); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	for _, n := range []int{1, 100, 10000} {
		queries := generateQueries(v, n, 42, false)
		b.Run(fmt.Sprintf("c-regexp-loop/queries=%d", n), func(b *testing.B) {
			res := make([]*regexp.Regexp, len(queries))
			for i, q := range queries {
				res[i] = regexp.MustCompile(regexpFor(q))
			}
			b.ReportAllocs()
			matches := 0
			for i := 0; b.Loop(); i++ {
				d := &docs[i%len(docs)]
				text := d.Title + "\n" + d.Summary + "\n" + d.Content + "\n" + strings.Join(d.Categories, "\n")
				for _, re := range res {
					if re.MatchString(text) {
						matches++
					}
				}
			}
			reportItems(b)
			b.ReportMetric(float64(matches)/float64(b.N), "matches/item")
		})
	}
}

func reportItems(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}

// regexpFor writes a generated query (words, "phrases", ORs, AND of two
// words, NEAR/n) as the one case-insensitive regexp a typical bot would
// compile for it. It does no accent folding, so it does less than a Set.
func regexpFor(q string) string {
	word := func(w string) string { return `\b` + regexp.QuoteMeta(w) + `\b` }
	switch {
	case strings.HasPrefix(q, `"`):
		w := strings.Fields(strings.Trim(q, `"`))
		return `(?i)` + word(w[0]) + `\W+` + word(w[1])
	case strings.HasPrefix(q, "("):
		w := strings.Split(strings.Trim(q, "()"), " OR ")
		for i := range w {
			w[i] = regexp.QuoteMeta(w[i])
		}
		return `(?i)\b(?:` + strings.Join(w, "|") + `)\b`
	case strings.Contains(q, " NEAR/"):
		var a, c string
		var n int
		fmt.Sscanf(strings.Replace(q, "NEAR/", "", 1), "%s %d %s", &a, &n, &c)
		gap := fmt.Sprintf(`\W+(?:\w+\W+){0,%d}`, n-1)
		return `(?i)` + word(a) + gap + word(c) + `|` + word(c) + gap + word(a)
	case strings.Contains(q, " "):
		w := strings.Fields(q)
		return `(?is)` + word(w[0]) + `.*` + word(w[1]) + `|` + word(w[1]) + `.*` + word(w[0])
	}
	return `(?i)` + word(q)
}
