package filters

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// seedQueries adds the golden queries to a fuzz corpus.
func seedQueries(f *testing.F) {
	file, err := os.Open(filepath.Join("testdata", "queries.txt"))
	if err != nil {
		f.Fatal(err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		if _, q, ok := strings.Cut(sc.Text(), "\t"); ok {
			f.Add(q)
		}
	}
	for _, q := range []string{`a NEAR/3 (b OR c*) NOT "d e"`, `title:(x OR summary:y) -z`, `“curly” /re\/x/ @syria`,
		`site:www.Example.com U.S.`, `(((a)))`, `-(a) b`, `a ONEAR/20 b ONEAR/1 c`, `x:y`, `10:30 AND`, `„a b“ -«c» 「d」 »e«`} {
		f.Add(q)
	}
}

// FuzzParse checks that the parser never panics, that every query it
// accepts prints to a form that parses back to the same query, and that
// matching an accepted query neither panics nor disagrees with a Set.
func FuzzParse(f *testing.F) {
	seedQueries(f)
	defines := map[string]string{"syria": "aleppo OR halab", "truce": `ceasefire OR "cessation of hostilities"`}
	f.Fuzz(func(t *testing.T, query string) {
		var q *Query
		var err error
		bounded(t, "Parse", func() { q, err = Parse(query, defines) })
		if err != nil {
			pe, ok := err.(*ParseError)
			if !ok {
				t.Fatalf("Parse(%q) error %T, want *ParseError", query, err)
			}
			if pe.Pos < 1 || pe.Pos > utf8.RuneCountInString(query)+1 {
				t.Fatalf("Parse(%q): position %d outside the query", query, pe.Pos)
			}
			return
		}
		printed := q.String()
		again, err := Parse(printed, defines)
		if err != nil {
			t.Fatalf("Parse(%q) printed %q, which does not parse: %v", query, printed, err)
		}
		if again.String() != printed {
			t.Fatalf("round trip of %q: %q then %q", query, printed, again.String())
		}
		if again.Normal() != q.Normal() {
			t.Fatalf("%q and its printed form %q have other normal forms: %q, %q", query, printed, q.Normal(), again.Normal())
		}
		doc := &Document{Title: query, Summary: printed, Categories: []string{query}, Link: "https://example.com/" + query, Feed: query}
		var hits []Hit
		var ok bool
		bounded(t, "Match", func() { hits, ok = q.Match(doc) })
		if againHits, againOK := again.Match(doc); againOK != ok || !equalMatches([]Match{{Hits: hits}}, []Match{{Hits: againHits}}) {
			t.Fatalf("%q and its printed form %q match differently: %v %v, then %v %v", query, printed, ok, hits, againOK, againHits)
		}
		set := NewSet(defines)
		if set.Add("q", query) != nil {
			return // not indexable: nothing to compare
		}
		var setHits []Hit
		ms := set.Match(doc)
		if len(ms) == 1 {
			setHits = ms[0].Hits
		}
		if ok != (len(ms) == 1) || !equalMatches([]Match{{Hits: hits}}, []Match{{Hits: setHits}}) {
			t.Fatalf("query %q on itself: Query.Match %v %v, Set.Match %v", query, ok, hits, ms)
		}
	})
}

// FuzzNormalize checks that the normalizer never panics, that its tokens
// point inside the text in order, and that a text normalizes the same
// inside a sentence as alone: queries are normalized alone, items whole.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"Assad&#039;s cease-fire in Zürich", "<p>حَلَب</p>", "U.S.-led 3.5% O'Brien",
		"北京市 ＡＢＣ ﬁnance İstanbul", "a--b '-' &amp;&bogus; <b", "Straße\u0301 e\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var toks []Token
		bounded(t, "Normalize", func() { toks = Normalize(s) })
		words := 0 // tokens of width 1 so far: they take positions 0, 1, 2...
		for i, tk := range toks {
			if tk.Start < 0 || tk.Start >= tk.End || tk.End > len(s) {
				t.Fatalf("Normalize(%q) token %d %+v: span outside the text", s, i, tk)
			}
			if tk.Text == "" || tk.Width < 1 {
				t.Fatalf("Normalize(%q) token %d %+v: empty", s, i, tk)
			}
			if tk.Width == 1 && tk.Pos != words || tk.Width > 1 && (tk.Pos < 0 || tk.Pos+tk.Width > words) {
				t.Fatalf("Normalize(%q) token %d %+v: position out of sequence (%d words before)", s, i, tk, words)
			}
			if tk.Width == 1 {
				words++
			}
		}
		if strings.ContainsAny(s, "<>&") {
			return // a tag or entity could reach across the added context
		}
		inside := Normalize("x " + s + " y")
		if len(inside) != len(toks)+2 {
			t.Fatalf("Normalize(%q) gives %d tokens alone, %d inside a sentence", s, len(toks), len(inside)-2)
		}
		for i, tk := range toks {
			in := inside[i+1]
			if in.Text != tk.Text || in.Start != tk.Start+2 || in.Pos != tk.Pos+1 || in.Width != tk.Width {
				t.Fatalf("Normalize(%q) token %+v alone, %+v inside a sentence", s, tk, in)
			}
		}
	})
}

// fuzzTimeLimit bounds one call in the fuzz targets: a hostile query or
// text must cost bounded time. Generous, since fuzzing workers share the CPU.
const fuzzTimeLimit = 5 * time.Second

// bounded runs fn and fails when it takes longer than fuzzTimeLimit.
func bounded(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(fuzzTimeLimit):
		t.Fatalf("%s did not return within %v", what, fuzzTimeLimit)
	}
}

// hasRegex reports whether a regular expression is under n.
func hasRegex(n *node) bool {
	if n.kind == nodeRegex {
		return true
	}
	for _, k := range n.kids {
		if hasRegex(k) {
			return true
		}
	}
	return false
}

// FuzzMatch checks, for a query and an item generated apart, that a Set
// and the query alone agree, and that the hits of a match are in bounds,
// in order, apart, and there (an item matched by words has a word to bold).
func FuzzMatch(f *testing.F) {
	queries := []string{"aleppo ceasefire", `aleppo AND (ceasefire OR truce OR "cessation of hostilities")`,
		"kerry -lavrov", "title:aleppo", "ceasefire*", "aleppo NEAR/10 ceasefire", "aleppo ONEAR/2 ceasefire",
		`/\bUS\b/ election`, "@syria", `"cease-fire" NEAR/3 (zürich OR u.s.)`, `site:example.com germany's`}
	titles := []string{"Aleppo cease-fire holds in Zürich, U.S. says", "Kerry and Lavrov meet on Aleppo ceasefire",
		"<b>Germany’s</b> truce &amp; the cessation of hostilities", "ceasefire ceasefire aleppo aleppo ceasefire"}
	for i, q := range queries {
		f.Add(q, titles[i%len(titles)], titles[(i+1)%len(titles)])
	}
	defines := map[string]string{"syria": "aleppo OR halab", "truce": `ceasefire OR "cessation of hostilities"`}
	f.Fuzz(func(t *testing.T, query, title, content string) {
		q, err := Parse(query, defines)
		if err != nil {
			return
		}
		doc := &Document{Title: title, Content: content, Categories: []string{content, title},
			Link: "https://www.example.com/" + title, Feed: content}
		var hits []Hit
		var ok bool
		bounded(t, "Match", func() { hits, ok = q.Match(doc) })
		if !ok && hits != nil {
			t.Fatalf("%q on %q/%q: no match but hits %v", query, title, content, hits)
		}
		if ok && len(hits) == 0 && !hasRegex(q.root) {
			t.Fatalf("%q on %q/%q: a match without hits", query, title, content)
		}
		for i, h := range hits {
			text := doc.Text(h.Field, h.Index)
			if h.Start < 0 || h.Start >= h.End || h.End > len(text) {
				t.Fatalf("%q on %q/%q: hit %+v outside its text %q", query, title, content, h, text)
			}
			if i > 0 && compareHits(hits[i-1], h) >= 0 || i > 0 && hits[i-1].Field == h.Field && hits[i-1].Index == h.Index && hits[i-1].End > h.Start {
				t.Fatalf("%q on %q/%q: hits %v out of order or overlapping", query, title, content, hits)
			}
		}
		set := NewSet(defines)
		if set.Add("q", query) != nil {
			return
		}
		var ms []Match
		bounded(t, "Set.Match", func() { ms = set.Match(doc) })
		var setHits []Hit
		if len(ms) == 1 {
			setHits = ms[0].Hits
		}
		if ok != (len(ms) == 1) || !slices.Equal(hits, setHits) {
			t.Fatalf("%q on %q/%q: Query.Match %v %v, Set.Match %v", query, title, content, ok, hits, ms)
		}
	})
}
