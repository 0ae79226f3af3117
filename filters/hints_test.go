package filters

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/newshound/newshound/internal/caret"
)

func TestHints(t *testing.T) {
	orHint := `"or" is searched for as a word (only capital OR is an operator): did you mean OR?`
	tests := []struct {
		name, query string
		want        []string // Hint.String() of each hint
	}{
		{"lowercase or between words", "ukraine or gaza", []string{"query:9: " + orHint}},
		{"lowercase and", "ukraine and gaza", []string{`query:9: "and" is searched for as a word (only capital AND is an operator): did you mean AND? Words are all required anyway, so it can go`}},
		{"lowercase not", "kerry not lavrov", []string{`query:7: "not" is searched for as a word (only capital NOT is an operator): did you mean NOT?`}},
		{"mixed case", "Ukraine Or Gaza", []string{`query:9: "Or" is searched for as a word (only capital OR is an operator): did you mean OR?`}},
		{"capital operators", "ukraine OR gaza AND kyiv NOT moscow", nil},
		{"single word query", "or", nil},
		{"first word", "or gaza", nil},
		{"last word", "ukraine or", nil},
		{"inside a phrase", `"ukraine or gaza"`, nil},
		{"after a field", "title:or gaza", nil},
		{"between phrases", `"west bank" or "gaza strip"`, []string{"query:13: " + orHint}},
		{"between groups", "(kyiv kiev) or (gaza)", []string{"query:13: " + orHint}},
		{"before a field", "ukraine or title:gaza", []string{"query:9: " + orHint}},
		{"before an exclusion", "ukraine or -gaza", []string{"query:9: " + orHint}},
		{"after a define", "@syria or truce", []string{"query:8: " + orHint}},
		{"next to an operator", "ukraine OR or", nil},
		{"two hints", "a1 or b1 and c1", []string{"query:4: " + orHint, `query:10: "and" is searched for as a word (only capital AND is an operator): did you mean AND? Words are all required anyway, so it can go`}},
		{"rune columns", "حلب or aleppo", []string{"query:5: " + orHint}},
		{"a word that only contains or", "ukraine order gaza", nil},
		{"does not parse", `ukraine or "gaza`, nil},
		{"too long", strings.Repeat("a or ", 4000), nil},
		// "near/5" is searched for as the words near and 5: the query
		// silently asks for them rather than for a distance.
		{"lowercase near", "kerry near/5 lavrov", []string{`query:7: "near/5" is searched for as words (only capital NEAR/5 is an operator): did you mean NEAR/5?`}},
		{"lowercase onear", "kerry Onear/12 lavrov", []string{`query:7: "Onear/12" is searched for as words (only capital ONEAR/12 is an operator): did you mean ONEAR/12?`}},
		{"near alone is a word", "kerry near lavrov", nil},
		{"near/ without a number", "kerry near/x lavrov", nil},
		// A dash other than "-" (a word processor's or a phone's en dash)
		// is no exclusion: "kerry –lavrov" requires lavrov, the opposite.
		{"en dash before a word", "kerry –lavrov", []string{`query:7: "–lavrov" is searched for as the word after the dash (only "-" excludes): did you mean -lavrov?`}},
		{"em dash first", "—lavrov kerry", []string{`query:1: "—lavrov" is searched for as the word after the dash (only "-" excludes): did you mean -lavrov?`}},
		{"minus sign", "kerry −lavrov", []string{`query:7: "−lavrov" is searched for as the word after the dash (only "-" excludes): did you mean -lavrov?`}},
		{"a dash inside a word", "kerry–lavrov", nil},
		{"a dash alone", "kerry – lavrov", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, h := range Hints(tc.query) {
				if h.Query != tc.query {
					t.Errorf("hint query %q, want %q", h.Query, tc.query)
				}
				got = append(got, h.String())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("Hints(%q):\n got %q\nwant %q", tc.query, got, tc.want)
			}
		})
	}
}

// TestHintsKeepMeaning checks that a hinted query still means what it
// says: "ukraine or gaza" needs all three words.
func TestHintsKeepMeaning(t *testing.T) {
	q, err := Parse("ukraine or gaza", nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		title string
		want  bool
	}{
		{"Ukraine talks", false},
		{"Ukraine or Gaza: where aid goes", true},
		{"Ukraine and Gaza", false},
	}
	for _, tc := range tests {
		if _, got := q.Match(&Document{Title: tc.title}); got != tc.want {
			t.Errorf("%q matched %v, want %v", tc.title, got, tc.want)
		}
	}
}

func TestHintCaret(t *testing.T) {
	h := Hints("ukraine or gaza")
	if len(h) != 1 {
		t.Fatalf("got %d hints, want 1", len(h))
	}
	want := "ukraine or gaza\n        ^"
	if got := h[0].Caret(); got != want {
		t.Errorf("Caret:\n%s\nwant:\n%s", got, want)
	}
}

// FuzzHints checks that Hints never panics, that every hint points at a
// lowercase operator word inside the query, and that the caret picture
// stays within a few lines of caret width however long the query.
func FuzzHints(f *testing.F) {
	seedQueries(f)
	f.Add("ukraine or gaza and (kyiv not kiev)")
	f.Fuzz(func(t *testing.T, query string) {
		for _, h := range Hints(query) {
			runes := []rune(query)
			if h.Pos < 1 || h.Pos > len(runes) {
				t.Fatalf("Hints(%q): position %d outside the query", query, h.Pos)
			}
			end := h.Pos - 1
			for end < len(runes) && !isWordBreak(runes[end]) {
				end++
			}
			if word := string(runes[h.Pos-1 : end]); lowercaseOperator(word) == "" && !dashedWord(word) {
				t.Fatalf("Hints(%q): hint at %d is on %q, not an operator word", query, h.Pos, word)
			}
			if c := h.Caret(); len(c) > 20*(caret.Width+1)*utf8.UTFMax {
				t.Fatalf("Hints(%q): caret picture of %d bytes", query, len(c))
			}
		}
	})
}
