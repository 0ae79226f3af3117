package config

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/newshound/newshound/internal/caret"
)

// The YAML library reports where its parser gave up, in its own words: a
// bad indent on line 4 comes out as "line 1: did not find expected '-'
// indicator", and `query: "a b" OR c` as "did not find expected key". So
// when it fails, yamlScan reads the raw lines the way a person would and
// finds the line where the mistake is, for the common mistakes: tabs, an
// indent that lines up with nothing, a value that needs quotes. Its answer
// is only used for a file the YAML library refused, so a heuristic that
// misreads some valid YAML cannot reject a good config.

// yamlMistake is a mistake found in the raw text: where, what, and what to
// write instead.
type yamlMistake struct {
	line int // 1-based
	off  int // byte offset in the line
	msg  string
	hint string
}

// frame is one open block of the YAML text: a mapping whose keys stand at
// col, or a list whose "-" stand at col.
type frame struct {
	col  int // byte column, 0-based; indentation is spaces, so also characters
	seq  bool
	key  string // the latest key of a mapping, for messages
	line int    // 1-based line of that key or of the latest "-"
}

// yamlScan is the state of findYAMLMistake's walk over the lines.
type yamlScan struct {
	lines []string
	// yamlMsg is the YAML library's message, for mistakes only it can
	// tell apart from valid YAML.
	yamlMsg string
	stack   []frame
	// pending: the last line ended in "key:" or "-" with nothing after,
	// so the next line may open a deeper block.
	pending bool
	// skipUntil, when set, skips the lines of a value that goes on over
	// several (a block scalar, a quoted string, a flow list) until it
	// returns true for the 0-based line i.
	skipUntil func(i int, line string) bool
}

// findYAMLMistake returns the first mistake it recognises in the lines of
// a file the YAML library refused with yamlMsg.
func findYAMLMistake(lines []string, yamlMsg string) (yamlMistake, bool) {
	s := &yamlScan{lines: lines, yamlMsg: yamlMsg}
	for _, line := range lines {
		if t := strings.TrimLeft(line, " -"); strings.HasPrefix(t, "? ") || strings.TrimSpace(t) == "?" {
			return yamlMistake{}, false // explicit keys: beyond this reading, and no config needs them
		}
	}
	for i, raw := range lines {
		line := strings.TrimSuffix(raw, "\r")
		if strings.HasPrefix(line, "%") {
			continue // a directive such as %YAML 1.2
		}
		if s.skipUntil != nil {
			if !s.skipUntil(i, line) {
				continue
			}
			s.skipUntil = nil
		}
		if m, ok := s.scanLine(i+1, line); ok {
			return m, true
		}
	}
	return yamlMistake{}, false
}

// scanLine checks one line and updates the open blocks.
func (s *yamlScan) scanLine(n int, line string) (yamlMistake, bool) {
	indent := len(line) - len(strings.TrimLeft(line, " "))
	rest := line[indent:]
	if strings.HasPrefix(rest, "\t") && (strings.TrimSpace(rest) != "" || strings.Contains(s.yamlMsg, "tab")) {
		return yamlMistake{n, indent, "a tab indents this line; YAML indents with spaces only",
			"replace the tab with spaces, lining the line up with the ones it belongs with"}, true
	}
	if strings.TrimSpace(rest) == "" || rest[0] == '#' {
		return yamlMistake{}, false
	}
	if indent == 0 && (strings.HasPrefix(rest, "---") || strings.HasPrefix(rest, "...")) {
		s.stack, s.pending = nil, false
		return yamlMistake{}, false
	}
	if len(rest) > 1 && rest[0] == '-' && rest[1] != ' ' && rest[1] != '-' && keyColon(rest, 0) > 0 {
		return yamlMistake{n, indent, "a list item needs a space after '-'",
			"write it as " + shorten("- "+rest[1:])}, true
	}
	l := parseLine(line, indent)
	if m, ok := s.checkIndent(n, line, l); ok {
		return m, true
	}
	if m, ok := s.checkValue(n, line, l); ok {
		return m, true
	}
	return yamlMistake{}, false
}

// yamlLine is the structure of one line: "- " markers, a key, a value.
type yamlLine struct {
	indent   int
	dashes   []int // byte columns of the "-" list markers
	start    int   // where the key or value starts, after the markers
	key      string
	colon    int // byte offset of the key's ':' or -1
	value    string
	valueOff int
}

func parseLine(line string, indent int) yamlLine {
	l := yamlLine{indent: indent, colon: -1}
	p := indent
	for p < len(line) && line[p] == '-' && (p+1 == len(line) || line[p+1] == ' ') {
		l.dashes = append(l.dashes, p)
		p++
		for p < len(line) && line[p] == ' ' {
			p++
		}
	}
	l.start, l.valueOff = p, p
	if c := keyColon(line, p); c > 0 {
		l.colon = c
		l.key = strings.Trim(strings.TrimSpace(line[p:c]), `"'`)
		l.valueOff = c + 1
		for l.valueOff < len(line) && line[l.valueOff] == ' ' {
			l.valueOff++
		}
	}
	l.value = line[l.valueOff:]
	return l
}

// keyColon returns the offset of the ':' that ends a key starting at p, or
// -1: a ':' followed by a space or the end of the line, outside quotes and
// before any comment.
func keyColon(line string, p int) int {
	if p >= len(line) {
		return -1
	}
	switch line[p] {
	case '"', '\'':
		end := closingQuote(line, p)
		if end < 0 || end+1 >= len(line) || line[end+1] != ':' {
			return -1
		}
		if end+2 == len(line) || line[end+2] == ' ' {
			return end + 1
		}
		return -1
	case '[', '{', '|', '>', '#', '&', '*', '!', '@', '`', '%':
		return -1
	}
	for i := p; i < len(line); i++ {
		switch {
		case line[i] == '#' && i > p && line[i-1] == ' ':
			return -1
		case line[i] == ':' && (i+1 == len(line) || line[i+1] == ' '):
			return i
		}
	}
	return -1
}

// closingQuote returns the offset of the quote that closes the one at
// open, or -1. In double quotes a backslash escapes; in single quotes a
// doubled single quote stands for one.
func closingQuote(line string, open int) int {
	q := line[open]
	for i := open + 1; i < len(line); i++ {
		switch {
		case q == '"' && line[i] == '\\':
			i++
		case line[i] == q && q == '\'' && i+1 < len(line) && line[i+1] == '\'':
			i++
		case line[i] == q:
			return i
		}
	}
	return -1
}

// checkIndent checks that the line starts where a block above it can take
// it, and updates the open blocks.
func (s *yamlScan) checkIndent(n int, line string, l yamlLine) (yamlMistake, bool) {
	c := l.indent
	isDash := len(l.dashes) > 0
	hasKey := l.colon >= 0
	top := len(s.stack) - 1
	wantsKey := true // the line stands where a mapping's key belongs
	switch {
	case top < 0:
		// the first line opens the root
	case s.pending && (c > s.stack[top].col || c == s.stack[top].col && isDash && !s.stack[top].seq):
		// a deeper block under "key:", or a list lined up with its key
		wantsKey = false
	default:
		i := s.frameAt(c, isDash)
		if i < 0 {
			if c > s.stack[top].col && !isDash && !hasKey {
				return yamlMistake{}, false // a plain value going on over lines
			}
			return s.unalignedLine(n, l), true
		}
		switch f := s.stack[i]; {
		case f.seq && !isDash:
			return s.keyUnderDash(n, l, i), true
		case !f.seq && isDash:
			return s.dashUnderKey(n, l, i), true
		}
		s.stack = s.stack[:i+1]
	}
	if wantsKey && !isDash && !hasKey {
		return missingColon(n, line, l), true
	}
	s.push(n, l)
	s.pending = opensBlock(l)
	return yamlMistake{}, false
}

// push opens the blocks the line starts: a list for each "-", a mapping
// for its key, unless the innermost open block is that one already.
func (s *yamlScan) push(n int, l yamlLine) {
	same := func(col int, seq bool) bool {
		t := len(s.stack) - 1
		return t >= 0 && s.stack[t].col == col && s.stack[t].seq == seq
	}
	for _, d := range l.dashes {
		if same(d, true) {
			s.stack[len(s.stack)-1].line = n
			continue
		}
		s.stack = append(s.stack, frame{col: d, seq: true, line: n})
	}
	if l.colon < 0 {
		return
	}
	if same(l.start, false) {
		t := &s.stack[len(s.stack)-1]
		t.key, t.line = l.key, n
		return
	}
	s.stack = append(s.stack, frame{col: l.start, key: l.key, line: n})
}

// frameAt finds the open block whose keys or "-" stand at column c,
// innermost first. A list lined up with its parent key shares the key's
// column: a "-" belongs to the list, a key to the mapping.
func (s *yamlScan) frameAt(c int, isDash bool) int {
	for i := len(s.stack) - 1; i >= 0; i-- {
		if s.stack[i].col != c {
			continue
		}
		if s.stack[i].seq && !isDash && i > 0 && s.stack[i-1].col == c {
			return i - 1
		}
		return i
	}
	return -1
}

// opensBlock reports whether the line ends so that a deeper block may
// follow: "key:" or "-" with no value (or only an anchor or a tag).
func opensBlock(l yamlLine) bool {
	v := strings.TrimSpace(stripComment(l.value))
	if v == "" {
		return true
	}
	return (v[0] == '&' || v[0] == '!') && !strings.Contains(v, " ")
}

func stripComment(v string) string {
	if strings.HasPrefix(v, "#") {
		return ""
	}
	if i := strings.Index(v, " #"); i >= 0 {
		return v[:i]
	}
	return v
}

// keyUnderDash reports a key in the column of a list's "-": it belongs to
// no item.
func (s *yamlScan) keyUnderDash(n int, l yamlLine, seq int) yamlMistake {
	what := lineName(l)
	hint := "start a new list item with '- '"
	if seq+1 < len(s.stack) && !s.stack[seq+1].seq {
		item := s.stack[seq+1]
		hint = fmt.Sprintf("indent it to column %d to line up with %s (line %d), or start a new list item with '- '", item.col+1, item.key, item.line)
	}
	return yamlMistake{n, l.indent, fmt.Sprintf("%s stands in the column of the '-' on line %d, so it belongs to no list item", what, s.stack[seq].line), hint}
}

// dashUnderKey reports a list item in the column of a mapping's keys that
// did not just open a list.
func (s *yamlScan) dashUnderKey(n int, l yamlLine, m int) yamlMistake {
	for i := len(s.stack) - 1; i > m; i-- {
		if s.stack[i].seq {
			return yamlMistake{n, l.indent, fmt.Sprintf("this list item is indented less than the list it belongs to (line %d)", s.stack[i].line),
				fmt.Sprintf("indent the '-' to column %d, like the one on line %d", s.stack[i].col+1, s.stack[i].line)}
		}
	}
	key := s.stack[m].key
	return yamlMistake{n, l.indent, fmt.Sprintf("a list item ('- ') stands where a key like %s is expected", key),
		"indent the list under the key it belongs to, or remove the '- '"}
}

// unalignedLine reports a line whose indent matches no open block.
func (s *yamlScan) unalignedLine(n int, l yamlLine) yamlMistake {
	what := lineName(l)
	top := s.stack[len(s.stack)-1]
	if l.indent > top.col {
		above := fmt.Sprintf("%s on line %d already has a value", top.key, top.line)
		if top.seq {
			above = fmt.Sprintf("the list item on line %d already has a value", top.line)
		}
		return yamlMistake{n, l.indent, fmt.Sprintf("%s is indented more than the line above it, but %s, so nothing can nest under it", what, above),
			fmt.Sprintf("indent it to column %d to line up with %s (line %d)", top.col+1, frameName(top), top.line)}
	}
	var options []string
	for i := len(s.stack) - 1; i >= 0 && len(options) < 2; i-- {
		f := s.stack[i]
		if f.seq && i+1 < len(s.stack) && !s.stack[i+1].seq {
			continue // named by the item's first key instead
		}
		options = append(options, fmt.Sprintf("to column %d to line up with %s (line %d)", f.col+1, frameName(f), f.line))
	}
	return yamlMistake{n, l.indent, fmt.Sprintf("%s is indented to column %d, which lines up with no key above it", what, l.indent+1),
		"indent it " + strings.Join(options, ", or ")}
}

// lineName names the line in messages: by its key, as a list item, or as
// "this line".
func lineName(l yamlLine) string {
	switch {
	case l.key != "":
		return l.key
	case len(l.dashes) > 0:
		return "this list item"
	}
	return "this line"
}

func frameName(f frame) string {
	if f.seq {
		return "the '-'"
	}
	return f.key
}

// missingColon reports a line where a mapping expects "key: value".
func missingColon(n int, line string, l yamlLine) yamlMistake {
	text := strings.TrimSpace(stripComment(line[l.start:]))
	if i := strings.IndexAny(text, ":="); i > 0 && isKeyWord(strings.TrimSpace(text[:i])) {
		key, value := strings.TrimSpace(text[:i]), strings.TrimSpace(text[i+1:])
		fixed := shorten(key + ": " + value)
		if text[i] == '=' {
			return yamlMistake{n, l.start + i, "YAML separates a key from its value with ': ', not '='", "write " + fixed}
		}
		return yamlMistake{n, l.start + i, "a key needs a space after its ':'", "write " + fixed}
	}
	hint := "write it as key: value"
	if !strings.Contains(text, " ") {
		hint = "if " + shorten(text) + " is a key, add a colon: " + shorten(text+":")
	}
	return yamlMistake{n, l.start, "expected key: value here, but this line has no ':'", hint}
}

// checkValue looks for values that need quotes, and starts skipping the
// lines a value continues over.
func (s *yamlScan) checkValue(n int, line string, l yamlLine) (yamlMistake, bool) {
	v := l.value
	if v == "" || (l.colon < 0 && len(l.dashes) == 0) {
		return yamlMistake{}, false
	}
	name := "the value"
	if l.key != "" {
		name = "the value of " + l.key
	}
	switch v[0] {
	case '@', '`', '%':
		return yamlMistake{n, l.valueOff, fmt.Sprintf("%s starts with %q, which YAML reserves", name, v[:1]),
			"quote it: " + quotedFix(line, l, strings.TrimSpace(stripComment(v)))}, true
	case '"', '\'':
		return s.checkQuoted(n, line, l, name)
	case '|', '>':
		parent := l.indent
		s.skipUntil = func(_ int, next string) bool {
			t := strings.TrimLeft(next, " ")
			return t != "" && len(next)-len(t) <= parent
		}
		return yamlMistake{}, false
	case '[', '{':
		return s.checkFlow(n, line, l, name)
	case '*':
		if strings.Contains(s.yamlMsg, "unknown anchor") {
			return yamlMistake{n, l.valueOff, fmt.Sprintf("%s starts with '*', which YAML reads as a reference to an anchor (&name)", name),
				"quote it: " + quotedFix(line, l, strings.TrimSpace(stripComment(v)))}, true
		}
		return yamlMistake{}, false
	case '-':
		if l.colon >= 0 && (len(v) == 1 || v[1] == ' ') {
			return yamlMistake{n, l.valueOff, fmt.Sprintf("%s starts with '- ', which YAML reads as a list item", name),
				"quote it: " + quotedFix(line, l, strings.TrimSpace(stripComment(v)))}, true
		}
	}
	plain := stripComment(v)
	if i := strings.Index(plain+" ", ": "); i >= 0 && l.colon >= 0 {
		return yamlMistake{n, l.valueOff + i, fmt.Sprintf("%s contains ': ', which YAML reads as the start of another key", name),
			"quote it: " + quotedFix(line, l, strings.TrimSpace(plain))}, true
	}
	return yamlMistake{}, false
}

// checkQuoted finds text after a closing quote and quotes never closed.
func (s *yamlScan) checkQuoted(n int, line string, l yamlLine, name string) (yamlMistake, bool) {
	if line[l.valueOff] == '"' {
		if m, ok := badEscape(n, line, l, name); ok {
			return m, true
		}
	}
	end := closingQuote(line, l.valueOff)
	if end >= 0 {
		after := line[end+1:]
		t := strings.TrimLeft(after, " ")
		if t == "" || t[0] == '#' && len(t) < len(after) {
			return yamlMistake{}, false
		}
		whole := strings.TrimSpace(stripComment(line[l.valueOff:]))
		if line[end] == '\'' && isWordByte(after[0]) && strings.HasSuffix(whole, "'") {
			return yamlMistake{n, end, fmt.Sprintf("%s is in single quotes, so its ' ends the quotes early", name),
				"to put a ' inside single quotes, double it: " + strings.TrimLeft(line[:l.valueOff], " ") + shorten(doubleInnerQuotes(whole))}, true
		}
		what := "the whole value"
		if l.key == "query" {
			what = "the whole query"
		}
		return yamlMistake{n, end + 1 + len(after) - len(t),
			fmt.Sprintf("%s ends at its closing quote, so YAML cannot read the text after it", name),
			"quote " + what + ": " + quotedFix(line, l, whole)}, true
	}
	// A quoted value may go on over lines, indented more than its key;
	// one that meets a line indented like a key, or the end of the file,
	// was never closed.
	q := line[l.valueOff]
	keyCol := l.start
	for i := n; i < len(s.lines); i++ {
		next := strings.TrimSuffix(s.lines[i], "\r")
		t := strings.TrimLeft(next, " ")
		if t != "" && len(next)-len(t) <= keyCol {
			break
		}
		if strings.IndexByte(next, q) >= 0 {
			last := i
			s.skipUntil = func(j int, _ string) bool { return j > last }
			return yamlMistake{}, false
		}
	}
	text := strings.TrimRight(line[l.valueOff:], " ")
	return yamlMistake{n, l.valueOff, fmt.Sprintf("%s opens a quote (%c) that is never closed", name, q),
		"close it on the same line: " + strings.TrimLeft(line[:l.valueOff], " ") + shorten(text) + string(q)}, true
}

// checkFlow follows a [list] or {mapping} written on one line, and reports
// text after it or a bracket never closed.
func (s *yamlScan) checkFlow(n int, line string, l yamlLine, name string) (yamlMistake, bool) {
	end := flowEnd(line, l.valueOff)
	if end < 0 {
		if strings.Contains(s.yamlMsg, "did not find expected ',' or") {
			return yamlMistake{n, l.valueOff, fmt.Sprintf("%s opens %q but does not close it", name, line[l.valueOff:l.valueOff+1]),
				"close it, or quote the value if it is text: " + quotedFix(line, l, strings.TrimSpace(stripComment(line[l.valueOff:])))}, true
		}
		// a list over several lines: trust the YAML library inside it
		s.skipUntil = func(_ int, next string) bool {
			t := strings.TrimLeft(next, " ")
			return t != "" && len(next)-len(t) <= l.indent
		}
		return yamlMistake{}, false
	}
	after := line[end+1:]
	t := strings.TrimLeft(after, " ")
	if t == "" || t[0] == '#' && len(t) < len(after) {
		return yamlMistake{}, false
	}
	return yamlMistake{n, end + 1 + len(after) - len(t),
		fmt.Sprintf("%s starts with %q, so YAML reads a list or mapping that ends at the closing bracket, and cannot read the text after it", name, line[l.valueOff:l.valueOff+1]),
		"quote it if it is text: " + quotedFix(line, l, strings.TrimSpace(stripComment(line[l.valueOff:])))}, true
}

// flowEnd returns the offset of the bracket that closes the one at open on
// the same line, or -1.
func flowEnd(line string, open int) int {
	depth := 0
	for i := open; i < len(line); i++ {
		switch line[i] {
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				return i
			}
		case '"', '\'':
			end := closingQuote(line, i)
			if end < 0 {
				return -1
			}
			i = end
		}
	}
	return -1
}

// quotedFix is the line as it should be written: its key (or "- ") and the
// value quoted.
func quotedFix(line string, l yamlLine, value string) string {
	return strings.TrimLeft(line[:l.valueOff], " ") + yamlQuote(value)
}

// fixWidth is the most characters of a value a hint repeats.
const fixWidth = 60

// shorten cuts s to fixWidth characters, marking the cut with "…".
func shorten(s string) string {
	if utf8.RuneCountInString(s) <= fixWidth {
		return s
	}
	return string([]rune(s)[:fixWidth-1]) + "…"
}

// yamlQuote quotes s for YAML: single quotes, which need no escapes but a
// doubled ', unless s has a ' and no ".
// A long value is shortened, the cut marked with "…" inside the quotes.
func yamlQuote(s string) string {
	if strings.Contains(s, "'") && !strings.ContainsAny(s, "\"\\") {
		return `"` + shorten(s) + `"`
	}
	return "'" + shorten(strings.ReplaceAll(s, "'", "''")) + "'"
}

// column converts a byte offset in line to a 1-based character column.
func column(line string, off int) int {
	off = min(max(off, 0), len(line))
	return utf8.RuneCountInString(line[:off]) + 1
}

// isWordByte reports whether c is part of a word, as in the "s" of
// 'Assad's forces'.
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// doubleInnerQuotes rewrites a single-quoted value with stray quotes inside
// ('Assad's forces') as YAML wants it: each inner quote doubled.
func doubleInnerQuotes(v string) string {
	inner := strings.TrimSuffix(strings.TrimPrefix(v, "'"), "'")
	inner = strings.ReplaceAll(strings.ReplaceAll(inner, "''", "'"), "'", "''")
	return "'" + inner + "'"
}

// yamlEscapes are the characters that may follow a backslash in a
// double-quoted YAML string.
const yamlEscapes = "0abt\tnvfre \"/\\N_LPxuU"

// badEscape finds a backslash in a double-quoted value that YAML refuses,
// as in "/\d+/": a regular expression belongs in single quotes.
func badEscape(n int, line string, l yamlLine, name string) (yamlMistake, bool) {
	end := closingQuote(line, l.valueOff)
	if end < 0 {
		end = len(line)
	}
	for i := l.valueOff + 1; i < end; i++ {
		if line[i] != '\\' {
			continue
		}
		if i+1 < len(line) && !strings.ContainsRune(yamlEscapes, rune(line[i+1])) {
			inner := line[l.valueOff+1 : end]
			return yamlMistake{n, i, fmt.Sprintf("%s is in double quotes, where a backslash starts an escape, and \\%c is not one", name, line[i+1]),
				"use single quotes, where a backslash is just a backslash: " + strings.TrimLeft(line[:l.valueOff], " ") + yamlQuote(inner)}, true
		}
		i++
	}
	return yamlMistake{}, false
}

// isEscapedControl reports control characters that a double-quoted YAML
// escape makes (\b, \a, \v, \f, \e, \0) and no query means to contain.
func isEscapedControl(r rune) bool {
	return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r'
}

// escapedControl reports a double-quoted query such as "/\bUS\b/", which
// YAML reads without complaint as a backspace: the regular expression
// would never match, in silence.
func (d *decoder) escapedControl(key string, v *yaml.Node) {
	msg := fmt.Sprintf("%s: in double quotes YAML reads a backslash as an escape, here one for a control character", key)
	hint := "use single quotes, where a backslash is just a backslash"
	line, off := "", -1
	if v.Line >= 1 && v.Line <= len(d.lines) {
		line = strings.TrimSuffix(d.lines[v.Line-1], "\r")
		off = byteOffset(line, v.Column)
	}
	if off < 0 || off >= len(line) || line[off] != '"' {
		d.errorf(v, "%s\nhint: %s", msg, hint)
		return
	}
	end := closingQuote(line, off)
	if end < 0 {
		end = len(line)
	} else {
		hint += ": " + strings.TrimLeft(line[:off], " ") + yamlQuote(line[off+1:end])
	}
	at := off
	for i := off + 1; i+1 < end; i++ {
		if line[i] != '\\' {
			continue
		}
		if strings.IndexByte("abvfe0", line[i+1]) >= 0 {
			at = i
			if line[i+1] == 'b' {
				msg = fmt.Sprintf("%s: in double quotes YAML reads \\b as a backspace, not a word boundary", key)
			}
			break
		}
		i++
	}
	col := column(line, at)
	d.problemAt(v.Line, col, "%s\n%s\nhint: %s", msg, caret.Under(line, col), hint)
}

// byteOffset converts a 1-based character column to a byte offset in
// line, or -1 when the line is shorter.
func byteOffset(line string, col int) int {
	n := 1
	for i := range line {
		if n == col {
			return i
		}
		n++
	}
	if n == col {
		return len(line)
	}
	return -1
}

// isKeyWord reports whether s looks like a config key: letters, digits and
// "_" or "-".
func isKeyWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) && s[i] != '_' && s[i] != '-' {
			return false
		}
	}
	return s != ""
}

// hashtagComment warns of `query: aleppo #ceasefire`: YAML reads " #" as
// the start of a comment, so the query is "aleppo" alone. A comment that
// starts "# " is taken as meant.
func (d *decoder) hashtagComment(key string, v *yaml.Node) {
	c := v.LineComment
	if v.Style != 0 || len(c) < 2 || c[0] != '#' || c[1] == ' ' || c[1] == '#' || v.Line < 1 || v.Line > len(d.lines) {
		return
	}
	line := strings.TrimSuffix(d.lines[v.Line-1], "\r")
	i := strings.Index(line, " "+c)
	if i < 0 {
		return
	}
	col := column(line, i+1)
	start := byteOffset(line, v.Column)
	if start < 0 {
		return
	}
	fix := strings.TrimLeft(line[:start], " ") + yamlQuote(strings.TrimSpace(line[start:]))
	d.problems = append(d.problems, Problem{
		File: d.file, Line: v.Line, Col: col, Warning: true,
		Msg: fmt.Sprintf("%s: YAML reads %q as a comment, so the query is only %q\n%s\nhint: if the # is part of the query, quote it all: %s",
			key, c, v.Value, caret.Under(line, col), fix),
	})
}
