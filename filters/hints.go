package filters

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Hint is a warning about a query that parses but probably does not mean
// what its writer meant, such as a lowercase "or" between two words. The
// query still means what it says; a hint never stops it being used.
type Hint struct {
	Query string
	Pos   int // 1-based rune column in Query
	Msg   string
}

func (h Hint) String() string { return fmt.Sprintf("query:%d: %s", h.Pos, h.Msg) }

// Caret returns the query and, on a second line, a caret under Pos, as
// ParseError.Caret does.
func (h Hint) Caret() string { return caretPicture(h.Query, h.Pos) }

// Hints returns warnings about query, in query order. It looks at the query
// itself, not at the defines it names (check those on their own), and
// returns nothing for a query that does not parse: its error says more.
//
// A lowercase or mixed-case "or", "and", "not" or "near/5" standing
// between two terms gets a hint, because "ukraine or gaza" searches for three words,
// "or" among them, and reads as if it meant "ukraine OR gaza". The same
// word first or last in the query, inside a phrase or after a field
// ("title:or") is taken as meant. A word after an en or em dash or a
// minus sign ("–lavrov") gets a hint wherever it stands: only "-" excludes.
func Hints(query string) []Hint {
	if len(query) > maxQueryBytes {
		return nil
	}
	items, err := lex(query)
	if err != nil {
		return nil
	}
	var hints []Hint
	for _, it := range items {
		if it.kind == itemWord && dashedWord(it.text) {
			_, size := utf8.DecodeRuneInString(it.text)
			hints = append(hints, Hint{Query: query, Pos: it.col,
				Msg: fmt.Sprintf("%q is searched for as the word after the dash (only \"-\" excludes): did you mean -%s?", it.text, it.text[size:])})
		}
	}
	for i := 1; i+1 < len(items); i++ {
		it := items[i]
		if it.kind != itemWord || !endsTerm(items[i-1].kind) || !startsTerm(items[i+1].kind) {
			continue
		}
		if op := lowercaseOperator(it.text); op != "" {
			hints = append(hints, Hint{Query: query, Pos: it.col, Msg: operatorHint(it.text, op)})
		}
	}
	slices.SortStableFunc(hints, func(a, b Hint) int { return a.Pos - b.Pos })
	return hints
}

// lowercaseOperator returns the operator word is a lowercase or mixed-case
// spelling of, or "": OR, AND, NOT, or NEAR/n or ONEAR/n with n written
// in digits (a bare "near" is a word people search for). Capital
// operators never reach here: the lexer makes them operators.
func lowercaseOperator(word string) string {
	for _, op := range []string{"OR", "AND", "NOT"} {
		if strings.EqualFold(word, op) {
			return op
		}
	}
	name, n, ok := strings.Cut(word, "/")
	if ok && (strings.EqualFold(name, "NEAR") || strings.EqualFold(name, "ONEAR")) && n != "" && strings.Trim(n, "0123456789") == "" {
		return strings.ToUpper(name) + "/" + n
	}
	return ""
}

func operatorHint(word, op string) string {
	if strings.Contains(op, "/") { // "near/5" is the words near and 5
		return fmt.Sprintf("%q is searched for as words (only capital %s is an operator): did you mean %s?", word, op, op)
	}
	msg := fmt.Sprintf("%q is searched for as a word (only capital %s is an operator): did you mean %s?", word, op, op)
	if op == "AND" {
		msg += " Words are all required anyway, so it can go"
	}
	return msg
}

// endsTerm reports whether an item of kind k can end a term, so that a
// word after it stands between terms.
func endsTerm(k itemKind) bool {
	switch k {
	case itemWord, itemPrefix, itemPhrase, itemRegex, itemDefine, itemSite, itemClose:
		return true
	}
	return false
}

// startsTerm reports whether an item of kind k can start a term.
func startsTerm(k itemKind) bool {
	switch k {
	case itemWord, itemPrefix, itemPhrase, itemRegex, itemDefine, itemField, itemSite, itemOpen, itemNot:
		return true
	}
	return false
}

// dashedWord reports a word written after a dash other than "-" (an en
// or em dash, a minus sign: what word processors and phones type), which
// the lexer does not take for an exclusion: the word is required.
func dashedWord(word string) bool {
	r, size := utf8.DecodeRuneInString(word)
	if !strings.ContainsRune("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", r) {
		return false
	}
	next, _ := utf8.DecodeRuneInString(word[size:])
	return unicode.IsLetter(next) || unicode.IsDigit(next)
}
