package filters

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type itemKind uint8

const (
	itemEOF    itemKind = iota
	itemWord            // a bare word; text is as written
	itemPrefix          // word*; text is without the '*'
	itemPhrase          // "quoted words"; text is inside the quotes
	itemRegex           // /re/; text is inside the slashes
	itemDefine          // @name; text is the name
	itemField           // title: and friends; text is the field name
	itemSite            // site:host; text is the host
	itemAnd
	itemOr
	itemNot   // NOT or a leading '-'
	itemNear  // NEAR/n or ONEAR/n; n in item.n
	itemOpen  // (
	itemClose // )
)

// item is one lexical element of a query, with its 1-based rune column.
type item struct {
	kind    itemKind
	text    string
	col     int
	n       int  // NEAR distance
	ordered bool // ONEAR
	minus   bool // itemNot written as '-'
	quotes  [2]rune
}

// fieldNames lists the field scopes a query may use, in display order.
var fieldNames = []Field{FieldTitle, FieldSummary, FieldContent, FieldAuthor, FieldCategory, FieldLink, FieldSite, FieldFeed}

const maxNear = 20

// lexer splits a query into items. It reports the first problem as a
// *ParseError.
type lexer struct {
	src   string
	i     int // byte offset
	items []item
}

func (l *lexer) col(byteOff int) int { return utf8.RuneCountInString(l.src[:byteOff]) + 1 }

func (l *lexer) errorf(byteOff int, format string, args ...any) *ParseError {
	return &ParseError{Query: l.src, Pos: l.col(byteOff), Msg: fmt.Sprintf(format, args...)}
}

func lex(src string) ([]item, error) {
	l := &lexer{src: src}
	for {
		it, err := l.next()
		if err != nil {
			return nil, err
		}
		l.items = append(l.items, it)
		if it.kind == itemEOF {
			return l.items, nil
		}
	}
}

func isSpace(r rune) bool { return unicode.IsSpace(r) }

// isWordBreak reports whether r ends a bare word.
func isWordBreak(r rune) bool {
	return isSpace(r) || r == '(' || r == ')' || opensPhrase(r)
}

// closers lists, for each quote that opens a phrase, the quotes that close
// it: the pairs newsrooms type in their languages (“…” English, ”…”
// Swedish, „…“ German, „…” Polish, «…» French and Russian, »…« German and
// Danish, »…» Finnish, 「…」 and 『…』 Japanese and Chinese, ＂…＂
// full-width). A straight quote closes any of them: editors mix them when
// pasting. ‘ and ‚ open nothing, since ‘ is an apostrophe (see Normalize)
// and ‚ a comma's look-alike.
var closers = map[rune]string{
	'"': `"`,
	'“': `”"`,
	'”': `”"`,
	'„': `“”"`,
	'«': `»"`,
	'»': `«»"`,
	'「': `」"`,
	'『': `』"`,
	'＂': `＂"`,
}

func opensPhrase(r rune) bool { return closers[r] != "" }

func (l *lexer) skipSpace() {
	for l.i < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[l.i:])
		if !isSpace(r) {
			return
		}
		l.i += size
	}
}

func (l *lexer) next() (item, error) {
	l.skipSpace()
	start := l.i
	it := item{col: l.col(start)}
	if l.i >= len(l.src) {
		it.kind = itemEOF
		return it, nil
	}
	r, size := utf8.DecodeRuneInString(l.src[l.i:])
	switch {
	case r == '(':
		l.i += size
		it.kind = itemOpen
		return it, nil
	case r == ')':
		l.i += size
		it.kind = itemClose
		return it, nil
	case opensPhrase(r):
		return l.phrase(it, r)
	case r == '/':
		return l.regex(it)
	case r == '@':
		return l.define(it)
	case r == '-':
		next, _ := utf8.DecodeRuneInString(l.src[l.i+size:])
		if l.i+size < len(l.src) && !isWordBreak(next) || next == '(' || opensPhrase(next) {
			l.i += size
			it.kind, it.text, it.minus = itemNot, "-", true
			return it, nil
		}
	}
	return l.bare(it)
}

func (l *lexer) phrase(it item, open rune) (item, error) {
	start := l.i
	l.i += utf8.RuneLen(open)
	end := strings.IndexAny(l.src[l.i:], closers[open])
	if end < 0 {
		return it, l.errorf(start, "unclosed quote %q", string(open))
	}
	closing, size := utf8.DecodeRuneInString(l.src[l.i+end:])
	it.kind = itemPhrase
	it.text = l.src[l.i : l.i+end]
	it.quotes = [2]rune{open, closing}
	l.i += end + size
	return it, nil
}

func (l *lexer) regex(it item) (item, error) {
	start := l.i
	l.i++
	var b strings.Builder
	for l.i < len(l.src) {
		c := l.src[l.i]
		switch {
		case c == '\\' && l.i+1 < len(l.src):
			b.WriteString(l.src[l.i : l.i+2])
			l.i += 2
			continue
		case c == '/':
			l.i++
			it.kind, it.text = itemRegex, b.String()
			if it.text == "" {
				return it, l.errorf(start, "empty regular expression //")
			}
			return it, nil
		}
		b.WriteByte(c)
		l.i++
	}
	return it, l.errorf(start, "unclosed regular expression: a '/' must end it (write \\/ for a slash inside)")
}

func isNameByte(c byte) bool {
	return isASCIILetter(c) || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}

func (l *lexer) define(it item) (item, error) {
	start := l.i
	l.i++
	j := l.i
	for j < len(l.src) && isNameByte(l.src[j]) {
		j++
	}
	if j == l.i {
		return it, l.errorf(start, "'@' must be followed by the name of a define")
	}
	it.kind, it.text = itemDefine, l.src[l.i:j]
	l.i = j
	return it, nil
}

// bare lexes an operator, a field scope, a prefix or a plain word.
func (l *lexer) bare(it item) (item, error) {
	start := l.i
	for l.i < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[l.i:])
		if isWordBreak(r) {
			break
		}
		if r == ':' && l.i > start && isFieldName(l.src[start:l.i]) {
			return l.field(it, start)
		}
		l.i += size
	}
	word := l.src[start:l.i]
	switch word {
	case "AND":
		it.kind = itemAnd
		return it, nil
	case "OR":
		it.kind = itemOr
		return it, nil
	case "NOT":
		it.kind = itemNot
		return it, nil
	}
	if op, ok := strings.CutPrefix(word, "NEAR"); ok && (op == "" || op[0] == '/') {
		return l.near(it, start, op, false)
	}
	if op, ok := strings.CutPrefix(word, "ONEAR"); ok && (op == "" || op[0] == '/') {
		return l.near(it, start, op, true)
	}
	if name, rest, ok := strings.Cut(word, ":"); ok && isFieldLike(name) && !strings.HasPrefix(rest, "//") {
		return it, l.errorf(start, "unknown field %q (fields are %s); put the word in quotes to search for it", name, fieldList())
	}
	if w, ok := strings.CutSuffix(word, "*"); ok {
		it.kind, it.text = itemPrefix, w
		return it, nil
	}
	it.kind, it.text = itemWord, word
	return it, nil
}

func (l *lexer) near(it item, start int, op string, ordered bool) (item, error) {
	name := "NEAR"
	if ordered {
		name = "ONEAR"
	}
	if op == "" {
		return it, l.errorf(start, "%s needs a distance in words, e.g. %s/10", name, name)
	}
	n, err := strconv.Atoi(op[1:])
	if err != nil || n < 1 || n > maxNear {
		return it, l.errorf(start, "%s/n needs a whole number of words from 1 to %d, not %q", name, maxNear, op[1:])
	}
	it.kind, it.n, it.ordered = itemNear, n, ordered
	return it, nil
}

func (l *lexer) field(it item, start int) (item, error) {
	name := l.src[start:l.i]
	l.i++ // ':'
	if Field(name) == FieldSite {
		return l.site(it, start)
	}
	if r, _ := utf8.DecodeRuneInString(l.src[l.i:]); l.i >= len(l.src) || isSpace(r) {
		return it, l.errorf(start, "%s: must be followed directly by a word, a phrase or '('", name)
	}
	it.kind, it.text = itemField, name
	return it, nil
}

func (l *lexer) site(it item, start int) (item, error) {
	j := l.i
	for j < len(l.src) && (isNameByte(l.src[j])) {
		j++
	}
	// The host is printed as it is kept, so what is taken off must leave
	// nothing to take off again: dots around it, every leading "www.". A
	// host with an empty label ("www..bbc") is none.
	next, _ := utf8.DecodeRuneInString(l.src[j:]) // what follows the host (RuneError at the end)
	host := strings.Trim(strings.ToLower(l.src[l.i:j]), ".")
	for strings.HasPrefix(host, "www.") {
		host = host[len("www."):]
	}
	if host == "" || strings.Contains(strings.Trim(l.src[l.i:j], "."), "..") || j < len(l.src) && !isWordBreak(next) {
		return it, l.errorf(start, "site: must be followed by a host name such as site:bbc.co.uk")
	}
	l.i = j
	it.kind, it.text = itemSite, host
	return it, nil
}

func isFieldName(s string) bool {
	for _, f := range fieldNames {
		if string(f) == s {
			return true
		}
	}
	return false
}

// isFieldLike reports whether name, written before a ':', looks meant as
// a field: an ASCII letter, then ASCII letters and digits ("titel",
// "title2"). A word with a colon that does not ("10:30", "2:1", a word in
// another script) is searched for as its words; so is a URL, whose scheme
// is followed by "//" (see bare).
func isFieldLike(name string) bool {
	if name == "" || !isASCIILetter(name[0]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		if c := name[i]; !isASCIILetter(c) && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func fieldList() string {
	names := make([]string, len(fieldNames))
	for i, f := range fieldNames {
		names[i] = string(f) + ":"
	}
	return strings.Join(names, " ")
}
