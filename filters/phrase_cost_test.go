package filters

import (
	"strings"
	"testing"
	"time"
)

// TestPhraseOfHyphenatedWordsCost: each hyphenated word of a phrase is a
// choice (its parts or its joined form) that leads to the same place. A
// phrase of 40 of them that almost occurs once cost 2^40 steps; it must
// cost about as many as it has words, in a Set as alone.
func TestPhraseOfHyphenatedWordsCost(t *testing.T) {
	run := strings.Repeat("x-y ", 40)
	tests := []struct {
		name  string
		query string
		doc   Document
		want  string // MatchedWords joined by "|", or "-"
	}{
		{"almost occurs", `"` + run + `zz"`, Document{Title: run + "end", Summary: "zz"}, "-"},
		{"occurs", `"` + run + `zz"`, Document{Title: "a " + run + "zz"}, strings.TrimSpace(run) + " zz"},
		{"joined forms", `"` + run + `zz"`, Document{Title: strings.Repeat("xy ", 40) + "zz"}, strings.Repeat("xy ", 40) + "zz"},
		{"almost, joined forms", `"` + run + `zz"`, Document{Title: strings.Repeat("xy x y ", 20) + "end", Summary: "zz"}, "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alone, inSet := matchBoth(t, tt.query, &tt.doc)
			if alone != tt.want || inSet != tt.want {
				t.Errorf("Query.Match %q, Set.Match %q; want %q", alone, inSet, tt.want)
			}
		})
	}
}

// matchBoth matches doc against query alone and in a Set and returns the
// matched words of each, joined by "|", or "-" for no match. It fails the
// test when that takes over 10 s: a cost without bound, since fixed it
// takes milliseconds.
func matchBoth(t *testing.T, query string, doc *Document) (alone, inSet string) {
	t.Helper()
	q, err := Parse(query, nil)
	if err != nil {
		t.Fatal(err)
	}
	set := NewSet(nil)
	if err := set.Add("q", query); err != nil {
		t.Fatal(err)
	}
	done := make(chan [2]string, 1)
	go func() {
		hits, ok := q.Match(doc)
		alone := "-"
		if ok {
			alone = strings.Join(MatchedWords(doc, hits), "|")
		}
		inSet := "-"
		if m := set.Match(doc); len(m) == 1 {
			inSet = strings.Join(MatchedWords(doc, m[0].Hits), "|")
		}
		done <- [2]string{alone, inSet}
	}()
	select {
	case got := <-done:
		return got[0], got[1]
	case <-time.After(10 * time.Second):
		t.Fatalf("matching %d bytes against the query took over 10s", len(doc.Title)+len(doc.Summary))
		return "", ""
	}
}
