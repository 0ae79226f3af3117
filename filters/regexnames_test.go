package filters

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// TestRegexOfManyNamesPasses pins README's "a list of up to about 140
// names passes" against the regex step limit, on real names: the distinct
// capitalised words of four letters or more in the corpus's headlines
// (Coronavirus, Turkey, Branson, Warwickshire, …; 6.4 letters on average,
// which makes 136 of them the most that pass), taken in the corpus's
// order. A list of 130 must pass; one of 160 is refused with the limit.
func TestRegexOfManyNamesPasses(t *testing.T) {
	docs := loadCorpus(t)
	seen := map[string]bool{}
	var names []string
	word := regexp.MustCompile(`\p{L}+`)
	for _, d := range docs {
		for _, w := range word.FindAllString(d.Title, -1) {
			r := []rune(w)
			if len(r) >= 4 && unicode.IsUpper(r[0]) && !unicode.IsUpper(r[1]) && !seen[w] {
				seen[w] = true
				names = append(names, w)
			}
		}
	}
	if len(names) < 160 {
		t.Fatalf("found %d names in the corpus's headlines, want at least 160", len(names))
	}
	tests := []struct {
		name    string
		n       int
		wantErr string // "" when the query must parse
	}{
		{"130 names pass", 130, ""},
		{"160 names are refused", 160, "more than 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := `election /\b(?:` + strings.Join(names[:tt.n], "|") + `)\b/`
			_, err := Parse(q, nil)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("a regex of %d names: got %v, want it accepted", tt.n, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("a regex of %d names: got error %v, want one saying %q", tt.n, err, tt.wantErr)
			}
		})
	}
}
