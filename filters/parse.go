package filters

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"

	"github.com/newshound/newshound/internal/caret"
)

// ParseError is a problem in a query, with the rune column where it is.
type ParseError struct {
	Query string
	Pos   int // 1-based rune column in Query
	Msg   string
	// Cycle is set when the query reaches an @define that refers to
	// itself: every define of the cycle in order, each with the column in
	// its own query where it names the next (the last names the first).
	// Msg ends with the cycle, each step placed "in @name at col"; see
	// Placed.
	Cycle []DefineRef
	// UnknownDefine is the name, without '@', of a define the query names,
	// itself or through a define it expands, that the defines lack: a
	// caller can say where defines come from (preview takes them from
	// --config) without reading Msg. "" for any other problem.
	UnknownDefine string
}

// DefineRef is a place in a define's query: column Pos of define Name.
type DefineRef struct {
	Name string
	Pos  int
}

// Placed is Msg with the steps of a Cycle placed by at (given a define's
// name and a column of its query, say a file:line:col) rather than as
// "in @name at col". Without a Cycle it is Msg.
func (e *ParseError) Placed(at func(define string, col int) string) string {
	if len(e.Cycle) == 0 {
		return e.Msg
	}
	return strings.TrimSuffix(e.Msg, cycleMsg(e.Cycle, nil)) + cycleMsg(e.Cycle, at)
}

// cycleMsg describes a cycle of defines, placing each step with at, or
// as "in @name at col" when at is nil.
func cycleMsg(cycle []DefineRef, at func(define string, col int) string) string {
	if at == nil {
		at = func(define string, col int) string { return fmt.Sprintf("in @%s at %d", define, col) }
	}
	var b strings.Builder
	fmt.Fprintf(&b, "@%s refers to itself: @%s", cycle[0].Name, cycle[0].Name)
	for i, r := range cycle {
		next := cycle[(i+1)%len(cycle)].Name
		fmt.Fprintf(&b, " → @%s (%s)", next, at(r.Name, r.Pos))
	}
	return b.String()
}

func (e *ParseError) Error() string { return fmt.Sprintf("query:%d: %s", e.Pos, e.Msg) }

// Caret returns the query and, on a second line, a caret under Pos, for
// showing the error to the person who wrote the query. See caretPicture.
func (e *ParseError) Caret() string { return caretPicture(e.Query, e.Pos) }

// Lines of a query shown before and after the caret's line.
const caretContext = 3

// caretPicture draws query with a caret under 1-based rune column pos. The
// caret lines up in a terminal (tabs copied, wide characters counted twice,
// combining marks not at all); a long line is cut around the caret with "…"
// on the cut sides. In a query of several lines the caret goes right after
// the line pos is on, with at most caretContext lines either side.
func caretPicture(query string, pos int) string {
	runes := []rune(query)
	before := min(max(pos, 1)-1, len(runes)) // runes before pos
	lineStart := 0
	for i, r := range runes[:before] {
		if r == '\n' {
			lineStart = i + 1
		}
	}
	lineEnd := before
	for lineEnd < len(runes) && runes[lineEnd] != '\n' {
		lineEnd++
	}
	var lines []string
	if lineStart > 0 {
		above := strings.Split(string(runes[:lineStart-1]), "\n")
		lines = append(lines, cutLines(above, len(above)-caretContext, len(above))...)
	}
	lines = append(lines, caret.Under(string(runes[lineStart:lineEnd]), before-lineStart+1))
	if lineEnd < len(runes) {
		below := strings.Split(string(runes[lineEnd+1:]), "\n")
		lines = append(lines, cutLines(below, 0, caretContext)...)
	}
	return strings.Join(lines, "\n")
}

// cutLines returns lines[from:to] (clamped), each cut to caret.Width, with
// a "…" line standing for the lines left out.
func cutLines(lines []string, from, to int) []string {
	from, to = max(from, 0), min(to, len(lines))
	var out []string
	if from > 0 {
		out = append(out, "…")
	}
	for _, l := range lines[from:to] {
		out = append(out, caret.Cut(l))
	}
	if to < len(lines) {
		out = append(out, "…")
	}
	return out
}

// Query is one parsed query. A Query is immutable after Parse and may be
// matched from several goroutines.
type Query struct {
	src  string
	root *node
}

type nodeKind uint8

const (
	nodeOr nodeKind = iota
	nodeAnd
	nodeNot
	nodeNear
	nodeField  // a field scope around kids[0]
	nodeDefine // an expanded @name around kids[0]
	nodeText   // a word or a phrase
	nodePrefix
	nodeRegex
	nodeSite
)

// fieldMask is a set of fields, one bit per Field in fieldNames order.
type fieldMask uint16

const (
	maskTitle fieldMask = 1 << iota // in fieldNames order
	maskSummary
	maskContent
	maskAuthor
	maskCategory
	maskLink
	maskSite
	maskFeed

	maskDefault = maskTitle | maskSummary | maskContent | maskCategory
)

func maskOf(f Field) fieldMask {
	return 1 << fieldRank(f) // 1<<8 for an unknown field: in no scope
}

// node is one element of a query's syntax tree.
//
// The small fields come last, packed: a Set holds a node for every word of
// every query (112 bytes each rather than 128).
type node struct {
	kids []*node

	text   string // as written: a word, a phrase's inside, a regex, a host, a define or field name
	quotes [2]rune

	phrase []element      // nodeText
	word   *term          // nodeText of a single word: phrase[0][0][0], for speed
	term   *term          // nodePrefix, nodeSite
	re     *regexp.Regexp // nodeRegex
	near   int32          // nodeNear
	col    int32          // 1-based rune column where the node starts in the query (or define) it was parsed from

	scope   fieldMask // fields a leaf looks in
	kind    nodeKind
	ordered bool // nodeNear: ONEAR
	minus   bool // nodeNot written as '-'
}

// element is one position of a phrase: a word, or a hyphenated word whose
// alternatives are its parts in sequence and its joined form.
type element [][]*term

type termKind uint8

const (
	termWord termKind = iota
	termPrefix
	termSite
)

// term is a normalized word, prefix or host that documents are searched for.
type term struct {
	kind termKind
	text string
	id   int32 // index in a Set's dictionary; -1 when the query is not in a Set
}

// Parse parses one query. defines maps the names usable as @name to their
// query text (the config's define: section). The error is a *ParseError.
//
// The language, loosest binding first:
//
//	a OR b            either
//	a b, a AND b      both (AND is implicit)
//	a NEAR/n b        at most n-1 words between them in one field, either
//	a ONEAR/n b       order; ONEAR: a then b (1 <= n <= 20; NEAR/1: side by
//	                  side; a hyphenated word counts each part, a phrase from
//	                  its edge words); operands are words, phrases,
//	                  prefixes, or ORs of those
//	NOT a, -a         exclusion; a query needs something positive besides
//	( ... )           grouping
//	word              whole word, case- and accent-insensitive ("cease-fire"
//	                  also matches "ceasefire" and "cease fire")
//	"some words"      consecutive words, in the quotes of a language too
//	                  (“…”, „…“, «…», »…«, 「…」: see closers)
//	word*             prefix of at least 3 letters
//	/re/              RE2 regular expression on the original text (\/ for /);
//	                  a query's compile to at most 1000 steps in all
//	                  (see maxRegexSteps)
//	@name             the query defined as name
//	field:x           x in one field only: title, summary, content, author,
//	                  category, link, feed; site:host matches the link's host
//	                  and its subdomains. Without a field: title, summary,
//	                  content and categories. A word of ASCII letters and
//	                  digits before a ':' that is no field is an error;
//	                  "10:30", "2:1" and URLs ("https://…") are words.
//
// Only uppercase AND, OR, NOT, NEAR and ONEAR are operators; Hints warns
// of a lowercase "or", "and" or "not" between two terms. A query is
// refused past maxQueryBytes, maxDepth, maxNears, maxExpansions or
// maxExpandedBytes.
func Parse(query string, defines map[string]string) (*Query, error) {
	if len(query) > maxQueryBytes {
		return nil, &ParseError{Query: query, Pos: 1, Msg: fmt.Sprintf("the query is %d bytes long; the limit is %d", len(query), maxQueryBytes)}
	}
	left := budget{expansions: maxExpansions, nears: maxNears, regexSteps: maxRegexSteps, bytes: maxExpandedBytes - len(query)}
	root, err := parseWith(query, defines, nil, &left)
	if err != nil {
		return nil, err
	}
	if !hasPositive(root) {
		if or, side := exclusionSide(root); or != nil {
			return nil, &ParseError{Query: query, Pos: int(side.col), Msg: exclusionSideMsg(or, side)}
		}
		return nil, &ParseError{Query: query, Pos: 1, Msg: "a query needs at least one word to look for; an exclusion alone would match almost everything"}
	}
	return &Query{src: query, root: root}, nil
}

// Limits that keep a hostile or mistaken query from costing unbounded time
// or memory when it is parsed or matched.
const (
	maxQueryBytes = 16 << 10
	maxDepth      = 50   // nested parentheses
	maxExpansions = 1000 // @define expansions, which can nest and repeat
	// maxExpandedBytes bounds a query with its defines' text expanded,
	// which maxQueryBytes does not: "@names" 999 times, a define of
	// 1,000 names, took 13 s and 115 MB to add to a Set.
	maxExpandedBytes = 4 * maxQueryBytes
	// maxNears bounds the NEAR and ONEAR of a query, defines expanded:
	// each lists every place of its operands in the item, so 1,600 of
	// them on "a a a …" (16 KiB) took 4 s an item of 50,000 words.
	maxNears = 50
)

// budget is what is left of the limits a query counts across its defines.
type budget struct{ expansions, nears, regexSteps, bytes int }

// expansion is a define being expanded, named at column col of the query
// (or define) that names it.
type expansion struct {
	name string
	col  int
}

// parseWith parses src; expanding lists the defines being expanded, to
// detect cycles, and left is what the query may still spend of the limits
// it counts across its defines (budget).
func parseWith(src string, defines map[string]string, expanding []expansion, left *budget) (*node, error) {
	items, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, items: items, defines: defines, expanding: expanding, budget: left}
	if p.peek().kind == itemEOF {
		return nil, p.errorf(p.peek(), "empty query")
	}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if it := p.peek(); it.kind != itemEOF {
		if it.kind == itemClose {
			return nil, p.errorf(it, "unexpected ')' without a matching '('")
		}
		return nil, p.errorf(it, "unexpected %s", describe(it))
	}
	return n, nil
}

type parser struct {
	src       string
	items     []item
	i         int
	defines   map[string]string
	expanding []expansion
	budget    *budget
	depth     int
}

func (p *parser) peek() item { return p.items[p.i] }

func (p *parser) advance() item {
	it := p.items[p.i]
	if it.kind != itemEOF {
		p.i++
	}
	return it
}

func (p *parser) errorf(it item, format string, args ...any) *ParseError {
	return &ParseError{Query: p.src, Pos: it.col, Msg: fmt.Sprintf(format, args...)}
}

func describe(it item) string {
	switch it.kind {
	case itemEOF:
		return "end of query"
	case itemAnd:
		return "AND"
	case itemOr:
		return "OR"
	case itemNot:
		if it.minus {
			return "'-'"
		}
		return "NOT"
	case itemNear:
		if it.ordered {
			return "ONEAR"
		}
		return "NEAR"
	case itemOpen:
		return "'('"
	case itemClose:
		return "')'"
	case itemField:
		return it.text + ":"
	}
	return fmt.Sprintf("%q", it.text)
}

// startsOperand reports whether it can begin an operand, which is what makes
// juxtaposition an implicit AND.
func startsOperand(it item) bool {
	switch it.kind {
	case itemWord, itemPrefix, itemPhrase, itemRegex, itemDefine, itemField, itemSite, itemNot, itemOpen:
		return true
	}
	return false
}

func (p *parser) or() (*node, error) {
	first, err := p.and()
	if err != nil {
		return nil, err
	}
	kids := []*node{first}
	for p.peek().kind == itemOr {
		op := p.advance()
		if !startsOperand(p.peek()) {
			return nil, p.errorf(p.peek(), "OR at %d needs a term after it, found %s", op.col, describe(p.peek()))
		}
		n, err := p.and()
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return &node{kind: nodeOr, kids: kids, col: first.col}, nil
}

func (p *parser) and() (*node, error) {
	if it := p.peek(); !startsOperand(it) {
		return nil, p.errorf(it, "expected a word, a phrase or '(' but found %s", describe(it))
	}
	first, err := p.near()
	if err != nil {
		return nil, err
	}
	kids := []*node{first}
	for {
		it := p.peek()
		if it.kind == itemAnd {
			p.advance()
			if !startsOperand(p.peek()) {
				return nil, p.errorf(p.peek(), "AND at %d needs a term after it, found %s", it.col, describe(p.peek()))
			}
		} else if !startsOperand(it) {
			break
		}
		n, err := p.near()
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return &node{kind: nodeAnd, kids: kids, col: first.col}, nil
}

func (p *parser) near() (*node, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == itemNear {
		op := p.advance()
		if !startsOperand(p.peek()) {
			return nil, p.errorf(p.peek(), "%s at %d needs a term after it, found %s", describe(op), op.col, describe(p.peek()))
		}
		if p.budget.nears--; p.budget.nears < 0 {
			return nil, p.errorf(op, "more than %d NEAR or ONEAR in the query: each is a pass over an item's words (defines expanded)", maxNears)
		}
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		for _, side := range []*node{left, right} {
			if !positional(side) {
				return nil, p.errorf(op, "%s joins words, phrases, prefixes or an OR of those; NOT, AND and regular expressions cannot be near something", describe(op))
			}
		}
		left = &node{kind: nodeNear, kids: []*node{left, right}, near: int32(op.n), ordered: op.ordered, col: left.col}
	}
	return left, nil
}

// positional reports whether n has word positions, which NEAR needs.
func positional(n *node) bool {
	switch n.kind {
	case nodeText, nodePrefix:
		return true
	case nodeOr:
		for _, k := range n.kids {
			if !positional(k) {
				return false
			}
		}
		return true
	case nodeNear, nodeField, nodeDefine:
		return positional(n.kids[0]) && (n.kind != nodeNear || positional(n.kids[1]))
	}
	return false
}

func (p *parser) unary() (*node, error) {
	it := p.peek()
	if it.kind != itemNot {
		return p.primary(maskDefault)
	}
	p.advance()
	if !startsOperand(p.peek()) || p.peek().kind == itemNot {
		return nil, p.errorf(p.peek(), "%s at %d needs a term after it, found %s", describe(it), it.col, describe(p.peek()))
	}
	kid, err := p.unary()
	if err != nil {
		return nil, err
	}
	return &node{kind: nodeNot, kids: []*node{kid}, minus: it.minus, col: int32(it.col)}, nil
}

func (p *parser) primary(scope fieldMask) (*node, error) {
	it := p.advance()
	switch it.kind {
	case itemOpen:
		if p.depth++; p.depth > maxDepth {
			return nil, p.errorf(it, "parentheses nested more than %d deep", maxDepth)
		}
		defer func() { p.depth-- }()
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.peek(); c.kind != itemClose {
			return nil, p.errorf(c, "expected ')' to close '(' at %d, found %s", it.col, describe(c))
		}
		p.advance()
		n.col = int32(it.col) // a group starts at its '('
		return n, nil
	case itemWord, itemPhrase:
		return p.text(it, scope)
	case itemPrefix:
		return p.prefix(it, scope)
	case itemRegex:
		re, err := regexp.Compile(it.text)
		if err != nil {
			return nil, p.errorf(it, "bad regular expression: %v", unwrapRegexpError(err))
		}
		n := regexSteps(it.text)
		if n > maxRegexSteps {
			return nil, p.errorf(it, "the regular expression compiles to %d steps, more than %d: it would take seconds on a long item%s", n, maxRegexSteps, regexStepsHint)
		}
		if p.budget.regexSteps -= n; p.budget.regexSteps < 0 {
			return nil, p.errorf(it, "the regular expressions of the query compile to %d steps in all, more than %d: they would take seconds on a long item%s",
				maxRegexSteps-p.budget.regexSteps, maxRegexSteps, regexStepsHint)
		}
		return &node{kind: nodeRegex, text: it.text, re: re, scope: scope, col: int32(it.col)}, nil
	case itemSite:
		return &node{kind: nodeSite, text: it.text, scope: maskSite, term: &term{kind: termSite, text: it.text, id: -1}, col: int32(it.col)}, nil
	case itemDefine:
		return p.define(it, scope)
	case itemField:
		return p.field(it)
	}
	return nil, p.errorf(it, "expected a word, a phrase or '(' but found %s", describe(it))
}

// regexStepsHint is what to write instead of a regular expression over
// maxRegexSteps, alone or with the query's others.
const regexStepsHint = " (a repeat such as {100} copies what it repeats: use + or *; for a list of names, words joined by OR cost far less)"

// maxRegexSteps bounds the instructions of a query's compiled regular
// expressions, all of them together: each is run on the item. RE2 runs in
// time linear in the text, but times the program's size at worst:
// /[a-z ]{1000}Q/ (1,003 steps) took three seconds on an item of 220 KB,
// every item, and 16 of /[a-z ]{900}Q/, each under the bound, 30 s. A
// list of names is about seven steps a name and costs far less (few of
// its steps are alive at once), so 140 names still pass; [a-z ]{n}Q with
// n up to about 900 too, under a second on such an item, and it runs only
// on items with the query's words.
const maxRegexSteps = 1000

// regexSteps is the number of instructions of expr compiled as regexp
// compiles it; expr is known to compile.
func regexSteps(expr string) int {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return 0
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return 0
	}
	return len(prog.Inst)
}

func unwrapRegexpError(err error) string {
	var se *syntax.Error
	if errors.As(err, &se) {
		return fmt.Sprintf("%s in `%s`", se.Code, se.Expr)
	}
	return err.Error()
}

func (p *parser) field(it item) (*node, error) {
	next := p.peek()
	switch next.kind {
	case itemOpen, itemWord, itemPhrase, itemPrefix, itemRegex, itemDefine:
	default:
		return nil, p.errorf(next, "%s: must be followed by a word, a phrase, a regex or '(' but found %s", it.text, describe(next))
	}
	kid, err := p.primary(maskOf(Field(it.text)))
	if err != nil {
		return nil, err
	}
	rescope(kid, maskOf(Field(it.text)))
	return &node{kind: nodeField, text: it.text, kids: []*node{kid}, col: int32(it.col)}, nil
}

// rescope sets the scope of the leaves under n that have no field of their
// own: an inner field scope wins over an outer one.
func rescope(n *node, scope fieldMask) {
	switch n.kind {
	case nodeField, nodeSite:
		return
	case nodeText, nodePrefix, nodeRegex:
		n.scope = scope
		return
	}
	for _, k := range n.kids {
		rescope(k, scope)
	}
}

func (p *parser) text(it item, scope fieldMask) (*node, error) {
	toks := normalizeMatch(it.text)
	if len(toks) == 0 {
		what := "word"
		if it.kind == itemPhrase {
			what = "phrase"
		}
		return nil, p.errorf(it, "the %s %q has no letters or digits to search for", what, it.text)
	}
	n := &node{kind: nodeText, text: it.text, scope: scope, phrase: phraseOf(toks), col: int32(it.col)}
	if len(n.phrase) == 1 && len(n.phrase[0]) == 1 && len(n.phrase[0][0]) == 1 {
		n.word = n.phrase[0][0][0]
	}
	if it.kind == itemPhrase {
		n.quotes = it.quotes
	}
	return n, nil
}

// phraseOf turns the tokens of one text into phrase elements: a joined
// hyphenated form becomes an alternative to its parts.
func phraseOf(toks []Token) []element {
	var joined []Token
	parts := map[int]Token{}
	maxPos := 0
	for _, t := range toks {
		if t.Width > 1 {
			joined = append(joined, t)
		} else {
			parts[t.Pos] = t
		}
		maxPos = max(maxPos, t.Pos+t.Width-1)
	}
	var out []element
	for pos := 0; pos <= maxPos; {
		if j, ok := joinedAt(joined, pos); ok {
			seq := make([]*term, 0, j.Width)
			for k := pos; k < pos+j.Width; k++ {
				seq = append(seq, newWord(parts[k].Text))
			}
			out = append(out, element{seq, {newWord(j.Text)}})
			pos += j.Width
			continue
		}
		out = append(out, element{{newWord(parts[pos].Text)}})
		pos++
	}
	return out
}

func joinedAt(joined []Token, pos int) (Token, bool) {
	for _, j := range joined {
		if j.Pos == pos {
			return j, true
		}
	}
	return Token{}, false
}

func newWord(text string) *term { return &term{kind: termWord, text: text, id: -1} }

const minPrefix = 3

func (p *parser) prefix(it item, scope fieldMask) (*node, error) {
	toks := normalizeMatch(it.text)
	if len(toks) != 1 || toks[0].Start != 0 || toks[0].End != len(it.text) {
		return nil, p.errorf(it, "a prefix must be one word of letters or digits followed by '*', not %q", it.text+"*")
	}
	if n := len([]rune(toks[0].Text)); n < minPrefix {
		return nil, p.errorf(it, "a prefix needs at least %d letters before '*' (%q has %d)", minPrefix, it.text+"*", n)
	}
	return &node{kind: nodePrefix, text: it.text, scope: scope, term: &term{kind: termPrefix, text: toks[0].Text, id: -1}, col: int32(it.col)}, nil
}

func (p *parser) define(it item, scope fieldMask) (*node, error) {
	body, ok := p.defines[it.text]
	if !ok {
		pe := p.errorf(it, "unknown define @%s", it.text)
		pe.UnknownDefine = it.text
		return nil, pe
	}
	if p.budget.expansions--; p.budget.expansions < 0 {
		return nil, p.errorf(it, "@%s: defines expand to more than %d @names in all", it.text, maxExpansions)
	}
	if p.budget.bytes -= len(body); p.budget.bytes < 0 {
		return nil, p.errorf(it, "@%s: the query with its defines expanded is more than %d bytes long", it.text, maxExpandedBytes)
	}
	for i, e := range p.expanding {
		if e.name == it.text {
			// Each define of the cycle names the next where that one was
			// expanded from; the last names the first here.
			var cycle []DefineRef
			for j, c := range p.expanding[i:] {
				col := it.col
				if i+j+1 < len(p.expanding) {
					col = p.expanding[i+j+1].col
				}
				cycle = append(cycle, DefineRef{Name: c.name, Pos: col})
			}
			pe := p.errorf(it, "%s", cycleMsg(cycle, nil))
			pe.Cycle = cycle
			return nil, pe
		}
	}
	kid, err := parseWith(body, p.defines, append(slices.Clone(p.expanding), expansion{it.text, it.col}), p.budget)
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) {
			return nil, err
		}
		var out *ParseError
		inCycle := slices.ContainsFunc(pe.Cycle, func(r DefineRef) bool { return r.Name == it.text })
		switch {
		case inCycle || strings.HasPrefix(pe.Msg, "in @"):
			out = p.errorf(it, "%s", pe.Msg) // the cycle, or the innermost define's body, says where
		default:
			out = p.errorf(it, "in @%s (%q) at %d: %s", it.text, body, pe.Pos, pe.Msg)
		}
		out.Cycle, out.UnknownDefine = pe.Cycle, pe.UnknownDefine
		return nil, out
	}
	if scope != maskDefault {
		rescope(kid, scope)
	}
	return &node{kind: nodeDefine, text: it.text, kids: []*node{kid}, col: int32(it.col)}, nil
}

// exclusionSide finds why a query with nothing positive has nothing
// positive when an OR is why: the OR and its first side that only
// excludes. It returns nils when no OR is to blame ("-a", "NOT a NOT b").
func exclusionSide(n *node) (or, side *node) {
	switch n.kind {
	case nodeAnd, nodeField:
		for _, k := range n.kids {
			if or, side := exclusionSide(k); or != nil {
				return or, side
			}
		}
	case nodeOr:
		for _, k := range n.kids {
			if !hasPositive(k) {
				return n, k
			}
		}
	}
	return nil, nil
}

// exclusionSideMsg says why side, a side of or that only excludes, is
// refused, and when every such side is a NOT, the queries that were
// probably meant: the positive sides without the excluded ones, and the
// whole OR excluded, both parenthesised as they need.
func exclusionSideMsg(or, side *node) string {
	var b strings.Builder
	if side.kind == nodeNot && side.minus {
		b.WriteByte('-')
		writeChild(&b, side.kids[0], precedence(side.kids[0].kind) <= precedence(nodeNot))
	} else {
		writeNode(&b, side)
	}
	what := b.String()
	var pos, neg, all, reads []*node
	for _, k := range or.kids {
		switch {
		case hasPositive(k):
			pos = append(pos, k)
			all = append(all, k)
		case k.kind == nodeNot:
			neg = append(neg, k.kids[0])
			all = append(all, k.kids[0])
		default:
			return what + ", a side of OR, only excludes, so it would match almost every item; every side of an OR needs a word to look for"
		}
		reads = append(reads, k)
	}
	b.Reset()
	fmt.Fprintf(&b, "%s, a side of OR, only excludes, so it would match almost every item (NOT binds tighter than OR: the query reads ", what)
	for i, k := range reads {
		if i > 0 {
			b.WriteString(" OR ")
		}
		writeChild(&b, k, k.kind == nodeNot || precedence(k.kind) <= precedence(nodeOr))
	}
	b.WriteString("); write ")
	if len(pos) > 0 {
		p, n := orOf(pos), orOf(neg)
		writeChild(&b, p, precedence(p.kind) <= precedence(nodeAnd))
		b.WriteString(" NOT ")
		writeChild(&b, n, precedence(n.kind) <= precedence(nodeNot))
		b.WriteString(" for ")
		writeNode(&b, p)
		b.WriteString(" without ")
		writeNode(&b, n)
		b.WriteString(", or ")
	}
	b.WriteString("WORD NOT ")
	writeChild(&b, orOf(all), len(all) > 1)
	b.WriteString(", with a word to look for, to leave them all out")
	return b.String()
}

// orOf is the OR of kids, or its one kid.
func orOf(kids []*node) *node {
	if len(kids) == 1 {
		return kids[0]
	}
	return &node{kind: nodeOr, kids: kids}
}

// hasPositive reports whether n can match by finding something, rather than
// only by the absence of something.
func hasPositive(n *node) bool {
	switch n.kind {
	case nodeNot:
		return false
	case nodeAnd:
		for _, k := range n.kids {
			if hasPositive(k) {
				return true
			}
		}
		return false
	case nodeOr:
		for _, k := range n.kids {
			if !hasPositive(k) {
				return false
			}
		}
		return true
	case nodeField, nodeDefine:
		return hasPositive(n.kids[0])
	}
	return true
}
