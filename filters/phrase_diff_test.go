package filters

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// phraseSpansBefore is phraseSpans as it was before it anchored on the
// phrase's rarest element and capped its matches: every start tried, every
// match reported. The differential test holds the new one to it.
func (e *evaluator) phraseSpansBefore(n *node, yield func(span) bool) {
	seen := map[tok]bool(nil)
	for _, alt := range n.phrase[0] {
		for _, o := range e.look.occurrences(alt[0]) {
			if !e.inScope(o.slot, n.scope) {
				continue
			}
			if len(n.phrase[0]) > 1 {
				key := tok{slot: o.slot, pos: o.pos}
				if seen[key] {
					continue
				}
				if seen == nil {
					seen = map[tok]bool{}
				}
				seen[key] = true
			}
			if last, end, ok := e.phraseFrom(n.phrase, o.slot, o.pos); ok {
				if !yield(span{slot: o.slot, p0: o.pos, p1: last, start: o.start, end: end}) {
					return
				}
			}
		}
	}
}

// corpusPhrases takes up to n phrases of 2 to 12 words from the corpus
// titles and summaries, hyphenated words included, in a fixed order.
func corpusPhrases(docs []Document, n int) []string {
	var out []string
	seen := map[string]bool{}
	plain := func(w string) bool {
		if w == "OR" || w == "AND" || w == "NOT" || strings.HasPrefix(w, "NEAR") || strings.Trim(w, "-") != w {
			return false
		}
		return !strings.ContainsFunc(w, func(r rune) bool {
			return !(r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
		})
	}
	for i := 0; len(out) < n && i < len(docs); i++ {
		d := docs[(i*7919)%len(docs)]
		words := strings.Fields(d.Title + " " + d.Summary)
		for start, k := 0, 2; start+k <= len(words) && len(out) < n; start, k = start+k+3, k%11+2 {
			w := words[start : start+k]
			if !slices.ContainsFunc(w, func(s string) bool { return !plain(s) }) {
				ph := `"` + strings.Join(w, " ") + `"`
				if !seen[ph] {
					seen[ph] = true
					out = append(out, ph)
				}
			}
		}
	}
	return out
}

// phraseNode finds the first phrase of a query.
func phraseNode(n *node) *node {
	if n.kind == nodeText && n.word == nil {
		return n
	}
	for _, k := range n.kids {
		if p := phraseNode(k); p != nil {
			return p
		}
	}
	return nil
}

// TestPhraseSpansDifferential: on the corpus items, the phrases taken
// from them (plus hyphenated and repeated-word ones) are found at the same
// places, in the same order, as before.
func TestPhraseSpansDifferential(t *testing.T) {
	docs := loadCorpus(t)
	phrases := corpusPhrases(docs, 400)
	hyphenated := 0
	for _, d := range docs {
		for _, w := range strings.Fields(d.Title) {
			if len(phrases) < 500 && strings.Count(w, "-") == 1 && strings.Trim(w, "-") == w && !strings.ContainsAny(w, `"():*`) {
				phrases = append(phrases, `"`+w+` `+w+`"`, `"the `+w+`"`, `"`+w+` of"`)
				hyphenated++
			}
		}
	}
	phrases = append(phrases, `"the the"`, `"of the of"`, `"a a a"`, `"in the"`, `"of the"`, `"to the"`,
		`"the"`+strings.Repeat(" the", 5)+`"`, `"covid-19 pandemic"`, `"cease-fire"`, `"x-y x-y x"`)
	if hyphenated == 0 {
		t.Fatal("no hyphenated phrases in the corpus: the test lost its point")
	}
	var nodes []*node
	for _, ph := range phrases {
		q, err := Parse(ph, nil)
		if err != nil {
			continue
		}
		if n := phraseNode(q.root); n != nil {
			nodes = append(nodes, n)
		}
	}
	if len(nodes) < 300 {
		t.Fatalf("only %d phrases parsed", len(nodes))
	}
	step := 1
	if testing.Short() || raceDetector {
		step = 7
	}
	matched, scans := 0, 0
	for di := 0; di < len(docs); di += step {
		var nd normDoc
		nd.load(&docs[di], allFields)
		look := &scanLookup{doc: &nd, seen: map[term][]tok{}}
		for _, n := range nodes {
			var before, after []span
			e := evaluator{doc: &nd, look: look, collect: true}
			e.phraseSpansBefore(n, func(s span) bool { before = append(before, s); return true })
			e.phraseSpans(n, func(s span) bool { after = append(after, s); return true })
			if !slices.Equal(before, after) {
				t.Fatalf("item %d, phrase %s: before %v, after %v", di, fmt.Sprint(n.phrase), before, after)
			}
			// The scan, whichever way phraseSpans chose.
			var scanned []span
			if e.phraseScan(n, math.MaxInt, func(s span) bool { scanned = append(scanned, s); return true }) {
				scans++
				if !slices.Equal(before, scanned) {
					t.Fatalf("item %d, phrase %s: before %v, scanned %v", di, fmt.Sprint(n.phrase), before, scanned)
				}
			}
			matched += len(after)
		}
	}
	if matched < len(nodes) {
		t.Fatalf("only %d matches of %d phrases: the phrases should come from the items", matched, len(nodes))
	}
	if scans == 0 {
		t.Fatal("no phrase was scanned: the test lost its point")
	}
	t.Logf("%d phrases, %d matches compared, %d scans", len(nodes), matched, scans)
}
