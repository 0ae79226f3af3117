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
			q, err := Parse(tt.query, nil)
			if err != nil {
				t.Fatal(err)
			}
			set := NewSet(nil)
			if err := set.Add("q", tt.query); err != nil {
				t.Fatal(err)
			}
			done := make(chan [2]string, 1)
			go func() {
				hits, ok := q.Match(&tt.doc)
				alone := "-"
				if ok {
					alone = strings.Join(MatchedWords(&tt.doc, hits), "|")
				}
				inSet := "-"
				if m := set.Match(&tt.doc); len(m) == 1 {
					inSet = strings.Join(MatchedWords(&tt.doc, m[0].Hits), "|")
				}
				done <- [2]string{alone, inSet}
			}()
			select {
			case got := <-done:
				if got[0] != tt.want || got[1] != tt.want {
					t.Errorf("Query.Match %q, Set.Match %q; want %q", got[0], got[1], tt.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("matching %d bytes against a phrase of 41 words took over 10s", len(tt.doc.Title))
			}
		})
	}
}
