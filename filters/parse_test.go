package filters

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

var testDefines = withBomb(map[string]string{
	"syria":  `aleppo OR halab OR حلب`,
	"truce":  `ceasefire OR truce OR "cessation of hostilities"`,
	"both":   `@syria @truce`,
	"loop1":  `kerry @loop2`,
	"loop2":  `lavrov OR @loop1`,
	"self":   `x @self`,
	"broken": `aleppo (truce`,
	"neg":    `NOT x1`,
	"cyc1":   `x OR @cyc2`,
	"cyc2":   `y @cyc3`,
	"cyc3":   `z @cyc1`,
	"tocyc":  `x1 @cyc2`,
	"lost":   `x1 @nowhere`,
	"regex":  `/[a-z ]{600}Q/`,
	"nears":  `x0 NEAR/1 x1 NEAR/1 x2 NEAR/1 x3 NEAR/1 x4 NEAR/1 x5 NEAR/1 x6 NEAR/1 x7 NEAR/1 x8 NEAR/1 x9 NEAR/1 x10`,
})

// withBomb adds defines where @bomb0 would expand to 2^20 words.
func withBomb(defines map[string]string) map[string]string {
	for i := 0; i < 20; i++ {
		defines[fmt.Sprintf("bomb%d", i)] = fmt.Sprintf("@bomb%d @bomb%d", i+1, i+1)
	}
	defines["bomb20"] = "boom"
	names := make([]string, 1000)
	for i := range names {
		names[i] = fmt.Sprintf("name%d", i)
	}
	defines["names"] = strings.Join(names, " OR ") // 10,886 bytes
	return defines
}

func TestParseString(t *testing.T) {
	tests := []struct {
		name, query, want string
	}{
		{"implicit and", "aleppo ceasefire", "aleppo AND ceasefire"},
		{"or and precedence", "a1 OR b1 c1", "a1 OR b1 AND c1"},
		{"parens kept where needed", "(a1 OR b1) c1", "(a1 OR b1) AND c1"},
		{"redundant parens dropped", "(a1 b1) OR c1", "a1 AND b1 OR c1"},
		{"nested same op kept", "a1 AND (b1 AND c1)", "a1 AND (b1 AND c1)"},
		{"minus", "kerry -lavrov", "kerry AND NOT lavrov"},
		{"not", "kerry NOT lavrov", "kerry AND NOT lavrov"},
		{"not group", "kerry -(lavrov OR putin)", "kerry AND NOT (lavrov OR putin)"},
		{"not not", "kerry NOT (NOT lavrov)", "kerry AND NOT (NOT lavrov)"},
		{"phrase", `"cessation of  hostilities"`, `"cessation of  hostilities"`},
		{"curly phrase", `“cease fire”`, `“cease fire”`},
		{"field", "title:aleppo", "title:aleppo"},
		{"field group", "title:(aleppo OR halab)", "title:(aleppo OR halab)"},
		{"field in field", "title:(summary:aleppo)", "title:(summary:aleppo)"},
		{"site in field", "title:(site:bbc.co.uk)", "title:(site:bbc.co.uk)"},
		{"field phrase", `summary:"peace talks"`, `summary:"peace talks"`},
		{"site", "site:WWW.BBC.co.uk syria", "site:bbc.co.uk AND syria"},
		{"site then no-break space", "site:bbc.co.uk\u00a0syria", "site:bbc.co.uk AND syria"},
		{"site then curly quote", "site:bbc.co.uk“cease fire”", "site:bbc.co.uk AND “cease fire”"},
		{"site www twice", "site:www.www.bbc.co.uk syria", "site:bbc.co.uk AND syria"},
		{"site dots around", "site:.www.bbc.co.uk. syria", "site:bbc.co.uk AND syria"},
		{"prefix", "ceasefire*", "ceasefire*"},
		{"near", "aleppo NEAR/10 ceasefire", "aleppo NEAR/10 ceasefire"},
		{"onear chain", "a1 ONEAR/3 b1 NEAR/2 c1", "a1 ONEAR/3 b1 NEAR/2 c1"},
		{"near right group", "a1 NEAR/3 (b1 NEAR/2 c1)", "a1 NEAR/3 (b1 NEAR/2 c1)"},
		{"near binds tighter than and", "x1 a1 NEAR/3 b1", "x1 AND a1 NEAR/3 b1"},
		{"near or operand", "(a1 OR b1) NEAR/3 c1", "(a1 OR b1) NEAR/3 c1"},
		{"regex", `/\bUS\b/ election`, `/\bUS\b/ AND election`},
		{"regex of names", `/\b(?:Putin|Lavrov|Kerry|Assad|Erdogan|Rouhani|Netanyahu|Abbas|Merkel|Macron)\b/ x`, `/\b(?:Putin|Lavrov|Kerry|Assad|Erdogan|Rouhani|Netanyahu|Abbas|Merkel|Macron)\b/ AND x`},
		{"regex slash", `/a\/b/ x`, `/a\/b/ AND x`},
		{"define", "@syria truce", "@syria AND truce"},
		{"nested define", "@both", "@both"},
		{"lowercase operators are words", "aleppo and or not near", "aleppo AND and AND or AND not AND near"},
		{"hyphen word", "cease-fire", "cease-fire"},
		{"arabic", "حلب", "حلب"},
		{"time is a word", "10:30", "10:30"},
		{"score is a word", "2:1 win", "2:1 AND win"},
		{"url is a word", "https://example.com/a?b=c", "https://example.com/a?b=c"},
		{"url in link field", "link:https://www.bbc.co.uk/news syria", "link:https://www.bbc.co.uk/news AND syria"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, err := Parse(tc.query, testDefines)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.query, err)
			}
			if got := q.String(); got != tc.want {
				t.Errorf("Parse(%q).String()\n got %s\nwant %s", tc.query, got, tc.want)
			}
			again, err := Parse(q.String(), testDefines)
			if err != nil {
				t.Fatalf("round trip Parse(%q): %v", q.String(), err)
			}
			if again.String() != q.String() {
				t.Errorf("round trip: got %s, want %s", again.String(), q.String())
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, query, want string
	}{
		{"empty", "   ", "query:4: empty query"},
		{"unclosed paren", "aleppo (truce OR ceasefire", "query:27: expected ')' to close '(' at 8, found end of query"},
		{"stray close", "aleppo)", "query:7: unexpected ')' without a matching '('"},
		{"unclosed quote", `aleppo "cease fire`, `query:8: unclosed quote "\""`},
		{"unclosed German quote", `aleppo „cease fire`, `query:8: unclosed quote "„"`},
		{"guillemet closed the other way", `aleppo «cease fire«`, `query:8: unclosed quote "«"`},
		{"exclusion alone", "-football", "query:1: a query needs at least one word to look for; an exclusion alone would match almost everything"},
		{"not alone", "NOT football NOT rugby", "query:1: a query needs at least one word to look for; an exclusion alone would match almost everything"},
		{"not or", "NOT kerry OR lavrov", "query:1: NOT kerry, a side of OR, only excludes, so it would match almost every item (NOT binds tighter than OR: the query reads (NOT kerry) OR lavrov); " +
			"write lavrov NOT kerry for lavrov without kerry, or WORD NOT (kerry OR lavrov), with a word to look for, to leave them all out"},
		{"or not", "lavrov OR -kerry", "query:11: -kerry, a side of OR, only excludes, so it would match almost every item (NOT binds tighter than OR: the query reads lavrov OR (NOT kerry)); " +
			"write lavrov NOT kerry for lavrov without kerry, or WORD NOT (lavrov OR kerry), with a word to look for, to leave them all out"},
		{"not or not", "NOT football OR NOT rugby", "query:1: NOT football, a side of OR, only excludes, so it would match almost every item (NOT binds tighter than OR: the query reads (NOT football) OR (NOT rugby)); " +
			"write WORD NOT (football OR rugby), with a word to look for, to leave them all out"},
		{"define or", "x1 OR @neg", "query:7: @neg, a side of OR, only excludes, so it would match almost every item; every side of an OR needs a word to look for"},
		{"dangling or", "aleppo OR", "query:10: OR at 8 needs a term after it, found end of query"},
		{"leading and", "AND aleppo", "query:1: expected a word, a phrase or '(' but found AND"},
		{"double or", "a1 OR OR b1", "query:7: OR at 4 needs a term after it, found OR"},
		{"short prefix", "ab*", `query:1: a prefix needs at least 3 letters before '*' ("ab*" has 2)`},
		{"hyphen prefix", "cease-f*", `query:1: a prefix must be one word of letters or digits followed by '*', not "cease-f*"`},
		{"near without distance", "a1 NEAR b1", "query:4: NEAR needs a distance in words, e.g. NEAR/10"},
		{"near too far", "a1 NEAR/21 b1", `query:4: NEAR/n needs a whole number of words from 1 to 20, not "21"`},
		{"near zero", "a1 ONEAR/0 b1", `query:4: ONEAR/n needs a whole number of words from 1 to 20, not "0"`},
		{"near with not", "a1 NEAR/3 -b1", "query:4: NEAR joins words, phrases, prefixes or an OR of those; NOT, AND and regular expressions cannot be near something"},
		{"near with regex", "/x/ NEAR/3 b1", "query:5: NEAR joins words, phrases, prefixes or an OR of those; NOT, AND and regular expressions cannot be near something"},
		{"unknown field", "titel:aleppo", `query:1: unknown field "titel" (fields are title: summary: content: author: category: link: site: feed:); put the word in quotes to search for it`},
		{"unknown field with a digit", "aleppo title2:x", `query:8: unknown field "title2" (fields are title: summary: content: author: category: link: site: feed:); put the word in quotes to search for it`},
		{"unknown field scheme-like", "x mailto:someone", `query:3: unknown field "mailto" (fields are title: summary: content: author: category: link: site: feed:); put the word in quotes to search for it`},
		{"field then no-break space", "title:\u00a0aleppo", "query:1: title: must be followed directly by a word, a phrase or '('"},
		{"field then space", "title: aleppo", "query:1: title: must be followed directly by a word, a phrase or '('"},
		{"bad site", "site:(bbc)", "query:1: site: must be followed by a host name such as site:bbc.co.uk"},
		{"site empty label", "x site:www..0", "query:3: site: must be followed by a host name such as site:bbc.co.uk"},
		{"bad regex", "/a(b/ x", "query:1: bad regular expression: missing closing ) in `a(b`"},
		{"costly regex", "x /[a-z ]{1000}Q/", "query:3: the regular expression compiles to 1003 steps, more than 1000: it would take seconds on a long item (a repeat such as {100} copies what it repeats: use + or *; for a list of names, words joined by OR cost far less)"},
		{"costly repeat of a group", `x /(?:\w\s?){500}/`, "query:3: the regular expression compiles to 1502 steps, more than 1000: it would take seconds on a long item (a repeat such as {100} copies what it repeats: use + or *; for a list of names, words joined by OR cost far less)"},
		{"costly regexes together", "x /[a-z ]{600}Q/ OR /[a-z ]{600}Q/", "query:21: the regular expressions of the query compile to 1206 steps in all, more than 1000: " +
			"they would take seconds on a long item (a repeat such as {100} copies what it repeats: use + or *; for a list of names, words joined by OR cost far less)"},
		{"costly regexes through defines", "x @regex OR @regex", `query:13: in @regex ("/[a-z ]{600}Q/") at 1: the regular expressions of the query compile to 1206 steps in all, more than 1000: ` +
			"they would take seconds on a long item (a repeat such as {100} copies what it repeats: use + or *; for a list of names, words joined by OR cost far less)"},
		{"unclosed regex", "/abc x", `query:1: unclosed regular expression: a '/' must end it (write \/ for a slash inside)`},
		{"unknown define", "@nowhere x", "query:1: unknown define @nowhere"},
		{"define cycle", "@loop1", `query:1: @loop1 refers to itself: @loop1 → @loop2 (in @loop1 at 7) → @loop1 (in @loop2 at 11)`},
		{"define cycle of three", "news @cyc1", `query:6: @cyc1 refers to itself: @cyc1 → @cyc2 (in @cyc1 at 6) → @cyc3 (in @cyc2 at 3) → @cyc1 (in @cyc3 at 3)`},
		{"define cycle entered later", "@cyc3", `query:1: @cyc3 refers to itself: @cyc3 → @cyc1 (in @cyc3 at 3) → @cyc2 (in @cyc1 at 6) → @cyc3 (in @cyc2 at 3)`},
		{"define cycle through another", "@tocyc", `query:1: in @tocyc ("x1 @cyc2") at 4: @cyc2 refers to itself: @cyc2 → @cyc3 (in @cyc2 at 3) → @cyc1 (in @cyc3 at 3) → @cyc2 (in @cyc1 at 6)`},
		{"define self", "news @self", `query:6: @self refers to itself: @self → @self (in @self at 3)`},
		{"broken define", "@broken", `query:1: in @broken ("aleppo (truce") at 14: expected ')' to close '(' at 8, found end of query`},
		{"no letters", "aleppo !!!", `query:8: the word "!!!" has no letters or digits to search for`},
		{"empty phrase", `aleppo ""`, `query:8: the phrase "" has no letters or digits to search for`},
		{"rune columns", `حلب (x`, "query:7: expected ')' to close '(' at 5, found end of query"},
		{"too deep", strings.Repeat("(", 51) + "x" + strings.Repeat(")", 51), "query:51: parentheses nested more than 50 deep"},
		{"too long", strings.Repeat("x ", 9000), "query:1: the query is 18000 bytes long; the limit is 16384"},
		{"too many near", "a1" + strings.Repeat(" NEAR/1 a1", 51), "query:504: more than 50 NEAR or ONEAR in the query: each is a pass over an item's words (defines expanded)"},
		{"too many near in defines", "@nears @nears @nears @nears @nears @nears", `query:36: in @nears ("x0 NEAR/1 x1 NEAR/1 x2 NEAR/1 x3 NEAR/1 x4 NEAR/1 x5 NEAR/1 x6 NEAR/1 x7 NEAR/1 x8 NEAR/1 x9 NEAR/1 x10") at 4: ` +
			"more than 50 NEAR or ONEAR in the query: each is a pass over an item's words (defines expanded)"},
		{"expanded too long", strings.TrimSpace(strings.Repeat("@names ", 7)), "query:43: @names: the query with its defines expanded is more than 65536 bytes long"},
		{"expansion bomb", "@bomb0", `query:1: in @bomb18 ("@bomb19 @bomb19") at 9: @bomb19: defines expand to more than 1000 @names in all`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.query, testDefines)
			if err == nil {
				t.Fatalf("Parse(%q): no error, want %s", tc.query, tc.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q): error %T, want *ParseError", tc.query, err)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("Parse(%q)\n got %s\nwant %s", tc.query, got, tc.want)
			}
		})
	}
}

// TestParseErrorUnknownDefine: a query naming a define the defines lack,
// itself or through one it expands, says which by UnknownDefine, so that
// a caller need not read Msg; other problems, at an @ too, leave it "".
func TestParseErrorUnknownDefine(t *testing.T) {
	tests := []struct{ name, query, want string }{
		{"named by the query", "aleppo AND @nowhere", "nowhere"},
		{"named by a define", "@lost", "nowhere"},
		{"in a field", "title:@nowhere", "nowhere"},
		{"@ without a name", "aleppo @", ""},
		{"a broken define", "@broken", ""},
		{"a cycle", "@loop1", ""},
		{"another problem", "aleppo (truce", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.query, testDefines)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q): got %v (%T), want a *ParseError", tc.query, err, err)
			}
			if pe.UnknownDefine != tc.want {
				t.Errorf("Parse(%q): got UnknownDefine %q, want %q (%v)", tc.query, pe.UnknownDefine, tc.want, err)
			}
		})
	}
}

func TestParseErrorCaret(t *testing.T) {
	longQuery := strings.Repeat("kerry ", 40) + "!!! " + strings.Repeat("lavrov ", 40) // "!!!" at column 241
	tests := []struct {
		name, query, want string
	}{
		{"end of query", "aleppo (truce OR ceasefire", "aleppo (truce OR ceasefire\n                          ^"},
		{"tabs are copied", "aleppo\t(truce", "aleppo\t(truce\n      \t      ^"},
		{"wide characters count twice", "北京 (truce", "北京 (truce\n           ^"},
		{"combining marks take no column", "Zu\u0308rich (x", "Zu\u0308rich (x\n         ^"},
		{"caret under the line of the error", "aleppo OR\n  (truce\nOR x", "aleppo OR\n  (truce\nOR x\n    ^"},
		{"later lines follow the caret", "(aleppo\nOR\n\"truce", "(aleppo\nOR\n\"truce\n^"},
		{
			"long line cut around the caret",
			longQuery,
			"…" + longQuery[191:289] + "…\n" + strings.Repeat(" ", 50) + "^",
		},
		{
			"far lines left out",
			"a1 OR\nb1 OR\nc1 OR\nd1 OR\ne1 !!!\nf1\ng1\nh1\ni1",
			"…\nb1 OR\nc1 OR\nd1 OR\ne1 !!!\n   ^\nf1\ng1\nh1\n…",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.query, nil)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a *ParseError", err)
			}
			if got := pe.Caret(); got != tc.want {
				t.Errorf("Caret of %v:\n%s\nwant:\n%s", pe, got, tc.want)
			}
		})
	}
}

// TestParseErrorCaretHugeQuery checks that a mistake in a 5 MB query shows
// about a hundred characters of it, not the whole query.
func TestParseErrorCaretHugeQuery(t *testing.T) {
	huge := strings.Repeat("aleppo ", 5<<20/7)
	_, err := Parse(huge, nil)
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a *ParseError", err)
	}
	got := pe.Caret()
	want := strings.Repeat("aleppo ", 15)[:99] + "…\n^"
	if got != want {
		t.Errorf("Caret:\n%s\nwant:\n%s", got, want)
	}
}

// TestRegexOfManyNamesIsAccepted: the cap on a regex's compiled steps
// refuses costly repeats, not a desk's list of names (about seven steps
// a name).
func TestRegexOfManyNamesIsAccepted(t *testing.T) {
	names := make([]string, 120)
	for i := range names {
		names[i] = fmt.Sprintf("Minister%03d", i)
	}
	q := `x /\b(?:` + strings.Join(names, "|") + `)\b/`
	if _, err := Parse(q, nil); err != nil {
		t.Errorf("a regex of %d names: %v", len(names), err)
	}
}

// TestPhraseInEachLanguagesQuotes: a newsroom types a phrase in the quotes
// of its language, and each pair is a phrase, not its words ANDed: "cease
// fire" matches where the two words stand together and not "fire … cease".
// The straight quote closes any of them, as editors mix them when pasting.
// ‘…’ is not a pair: ‘ is an apostrophe (README), so its words are words.
func TestPhraseInEachLanguagesQuotes(t *testing.T) {
	tests := []struct {
		name, query, want string
		phrase            bool
	}{
		{"straight", `"cease fire"`, `"cease fire"`, true},
		{"English", `“cease fire”`, `“cease fire”`, true},
		{"Swedish", `”cease fire”`, `”cease fire”`, true},
		{"German", `„cease fire“`, `„cease fire“`, true},
		{"Polish", `„cease fire”`, `„cease fire”`, true},
		{"German closed straight", `„cease fire"`, `„cease fire"`, true},
		{"French", "«\u00a0cease fire\u00a0»", "«\u00a0cease fire\u00a0»", true},
		{"Russian", `«cease fire»`, `«cease fire»`, true},
		{"German guillemets", `»cease fire«`, `»cease fire«`, true},
		{"Finnish guillemets", `»cease fire»`, `»cease fire»`, true},
		{"Japanese", `「cease fire」`, `「cease fire」`, true},
		{"Japanese double", `『cease fire』`, `『cease fire』`, true},
		{"full-width straight", `＂cease fire＂`, `＂cease fire＂`, true},
		{"after a word", `aleppo„cease fire“`, `aleppo AND „cease fire“`, true},
		{"single curly quotes are apostrophes", `‘cease fire’`, `‘cease AND fire’`, false},
	}
	together := &Document{Title: "Talks on a cease fire in Aleppo"}
	apart := &Document{Title: "Aleppo: fire, then calls to cease"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, err := Parse(tc.query, nil)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.query, err)
			}
			if got := q.String(); got != tc.want {
				t.Errorf("Parse(%q).String()\n got %s\nwant %s", tc.query, got, tc.want)
			}
			if _, ok := q.Match(together); !ok {
				t.Errorf("%s does not match %q, want a match", tc.query, together.Title)
			}
			if _, ok := q.Match(apart); ok == tc.phrase {
				t.Errorf("%s matches %q: %v, want %v", tc.query, apart.Title, ok, !tc.phrase)
			}
			excluded, err := Parse("aleppo -"+tc.query, nil)
			if err != nil {
				t.Fatalf("Parse(%q): %v", "aleppo -"+tc.query, err)
			}
			if _, ok := excluded.Match(together); ok {
				t.Errorf("aleppo -%s matches %q, want no match", tc.query, together.Title)
			}
		})
	}
}
