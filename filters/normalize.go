package filters

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Token is one normalized word of a text.
type Token struct {
	Text  string // normalized: NFKC, case-folded, without combining marks
	Start int    // byte offset of the word in the original text
	End   int    // byte offset just past the word in the original text
	Pos   int    // word position, counted from 0 within the text
	// Width is the number of word positions the token covers: 1, or the
	// number of parts for the joined form of a hyphenated word ("cease-fire"
	// yields "cease" at Pos p, "fire" at p+1 and "ceasefire" at p, Width 2).
	Width int
}

// Normalize splits text into normalized word tokens. Its code is the one
// normalizer for item text and query words alike (matching runs it with
// matchFold on both sides), so that both sides of a comparison are always
// produced the same way:
//
//   - HTML tags are skipped and entities decoded ("&#039;" is an apostrophe);
//   - each word is NFKC-normalized, case-folded and stripped of combining
//     marks ("Zürich" gives "zurich", Arabic harakat and tatweel are
//     dropped); letters with a stroke lose it ("Łódź" gives "lodz"); in
//     matching only, æ, œ, þ and ð are spelled ae, oe, th and d, and the
//     marks that make letters of their own are kept (see lettersMark:
//     "ガ" is not "カ", "й" not "и");
//   - words are runs of letters and digits (a soft hyphen inside one is
//     dropped: "Bundes&shy;regierung" gives "bundesregierung"); Han and kana characters are one
//     word each, since those scripts do not separate words with spaces;
//   - a possessive "'s" (straight or curly apostrophe) is dropped; "ʼ"
//     (U+02BC), "ʻ" (U+02BB) and "´" (U+00B4) count as apostrophes;
//   - words joined by hyphens or apostrophes, and single letters joined by
//     dots, yield their parts and the joined form ("cease-fire" gives
//     "cease", "fire" and "ceasefire"; "U.S." gives "u", "s" and "us").
//
// Matching folds a few letters further (see matchFold); Normalize does
// not, because alert and alert/story keep sums of its words in the store.
func Normalize(text string) []Token {
	return normalizeWith(normalizer{}, text)
}

// normalizeMatch is Normalize as matching needs it: with matchFold, as
// documents are (normDoc), for query words.
func normalizeMatch(text string) []Token {
	return normalizeWith(normalizer{matchFold: true}, text)
}

func normalizeWith(n normalizer, text string) []Token {
	toks := n.tokenize(text, 0, nil)
	if len(toks) == 0 {
		return nil
	}
	arena := string(n.arena) // one allocation for every token's text
	out := make([]Token, len(toks))
	for i, t := range toks {
		out[i] = Token{
			Text:  arena[t.textStart:t.textEnd],
			Start: int(t.start), End: int(t.end),
			Pos: int(t.pos), Width: int(t.width),
		}
	}
	return out
}

// tok is the internal form of Token: its text lives in normalizer.arena so
// that a whole document is tokenized without one allocation per word.
type tok struct {
	textStart, textEnd int32 // normalized text in the arena
	start, end         int32 // byte offsets in the original text
	pos, width         int32
	slot               int32 // which field of a document (see docText)
}

// normalizer holds the reusable buffers of tokenize. The zero value is ready.
type normalizer struct {
	// matchFold also spells æ, œ, þ and ð as ae, oe, th and d (letterFold),
	// so that "caesar" matches "Cæsar", and keeps the marks of letters
	// such as ガ and й (lettersMark): what a query and a document are
	// matched with. It is off for Normalize, whose words other packages
	// keep sums of in the store (text signatures, story fingerprints,
	// headline keys): an upgrade must not change them.
	matchFold bool
	arena     []byte // normalized text of all tokens, back to back
	segs      []segment
	buf       []byte
}

// segment is one run of letters and digits inside a word group.
type segment struct {
	start, end int       // byte offsets in the original text
	plain      bool      // the original bytes are the segment's text (no entity inside)
	text       []rune    // the decoded text when plain is false
	conn       charClass // the connector before this segment, or classSpace
}

// char is one decoded character of the original text.
type char struct {
	r          rune
	start, end int
}

// scanner walks the original text yielding characters, skipping HTML tags and
// decoding entities, while remembering where each character came from.
type scanner struct {
	text    string
	i       int
	pending []rune // decoded runes of an entity not yet returned
	pStart  int
	pEnd    int
}

func (s *scanner) next() (char, bool) {
	for {
		if len(s.pending) > 0 {
			r := s.pending[0]
			s.pending = s.pending[1:]
			return char{r, s.pStart, s.pEnd}, true
		}
		if s.i >= len(s.text) {
			return char{}, false
		}
		c := s.text[s.i]
		if c == '<' {
			if end, ok := tagEnd(s.text, s.i); ok {
				s.i = end
				return char{' ', end - 1, end}, true // a tag separates words
			}
		}
		if c == '&' {
			if end, decoded, ok := entityAt(s.text, s.i); ok {
				s.pending = []rune(decoded)
				s.pStart, s.pEnd = s.i, end
				s.i = end
				continue
			}
		}
		if c < utf8.RuneSelf {
			s.i++
			return char{rune(c), s.i - 1, s.i}, true
		}
		r, size := utf8.DecodeRuneInString(s.text[s.i:])
		s.i += size
		return char{r, s.i - size, s.i}, true
	}
}

// tagEnd reports where an HTML tag starting at i ends. Only '<' followed by a
// letter, '/', '!' or '?' starts a tag, so "a < b" stays text.
func tagEnd(text string, i int) (int, bool) {
	if i+1 >= len(text) {
		return 0, false
	}
	c := text[i+1]
	if !(isASCIILetter(c) || c == '/' || c == '!' || c == '?') {
		return 0, false
	}
	j := strings.IndexByte(text[i+1:], '>')
	if j < 0 {
		return 0, false
	}
	return i + 1 + j + 1, true
}

// entityAt decodes an HTML entity such as "&amp;" or "&#039;" at i.
func entityAt(text string, i int) (end int, decoded string, ok bool) {
	const maxEntity = 40
	j := i + 1
	for j < len(text) && j-i < maxEntity {
		c := text[j]
		if c == ';' {
			break
		}
		if !(isASCIILetter(c) || c >= '0' && c <= '9' || c == '#') {
			return 0, "", false
		}
		j++
	}
	if j >= len(text) || text[j] != ';' || j == i+1 {
		return 0, "", false
	}
	raw := text[i : j+1]
	decoded = html.UnescapeString(raw)
	if decoded == raw {
		return 0, "", false
	}
	return j + 1, decoded, true
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

type charClass uint8

const (
	classSpace charClass = iota
	classWord
	classSingle // a Han or kana character: a word on its own
	classHyphen
	classApostrophe
	classDot  // joins single letters: "U.S."
	classSoft // a soft hyphen: invisible, inside a word it is not there
)

func classify(r rune) charClass {
	if r < utf8.RuneSelf {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return classWord
		case r == '-':
			return classHyphen
		case r == '\'':
			return classApostrophe
		case r == '.':
			return classDot
		}
		return classSpace
	}
	switch r {
	case '\u2010', '\u2011': // hyphen, non-breaking hyphen
		return classHyphen
	case '\u2019', '\u2018', // curly apostrophes
		'\u02bc', '\u02bb', // modifier letter apostrophe (Ukrainian's), ʻokina
		'\u00b4': // an acute accent typed for an apostrophe
		return classApostrophe
	case '\u00ad': // soft hyphen (&shy;), a place a word may break
		return classSoft
	}
	if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) {
		return classSingle
	}
	if unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r) {
		return classWord
	}
	return classSpace
}

// tokenize appends the tokens of text to toks, tagged with slot, writing
// their normalized text to n.arena.
func (n *normalizer) tokenize(text string, slot int32, toks []tok) []tok {
	s := scanner{text: text}
	g := grouper{n: n, text: text, slot: slot, toks: toks}
	n.segs = n.segs[:0]
	for {
		c, ok := s.next()
		if !ok {
			break
		}
		if g.single {
			if n.matchFold && g.voices(c) {
				continue
			}
			g.flush()
		}
		switch cl := classify(c.r); cl {
		case classWord:
			g.word(c)
		case classSingle:
			g.flush()
			g.word(c)
			g.single = true // a voicing mark may follow (see voices)
		case classHyphen, classApostrophe, classDot:
			g.connector(c, cl)
		case classSoft:
			g.soft(c)
		default:
			g.flush()
		}
	}
	g.flush()
	return g.toks
}

// grouper collects the segments of one word group: runs of letters and
// digits, possibly joined by single hyphens or apostrophes.
type grouper struct {
	n       *normalizer
	text    string
	slot    int32
	toks    []tok
	pos     int32
	conn    charClass // a connector directly after the last segment, or classSpace
	connEnd int
	single  bool // the group is one Han or kana character
}

// voices extends the kana the group is with c, a voicing mark right after
// it, and reports whether it did. Decomposed (カ followed by U+3099) or
// half-width (ｶﾞ), the mark is part of the letter (ガ), which matching
// keeps (see lettersMark); alone it would be a word of nothing.
func (g *grouper) voices(c char) bool {
	last := &g.n.segs[len(g.n.segs)-1]
	switch c.r {
	case '\u3099', '\u309a', '\u309b', '\u309c', '\uff9e', '\uff9f':
		if c.start == last.end {
			g.extend(last, c, isPlainChar(g.text, c))
			return true
		}
	}
	return false
}

func (g *grouper) word(c char) {
	n := g.n
	plain := isPlainChar(g.text, c)
	if len(n.segs) > 0 {
		last := &n.segs[len(n.segs)-1]
		switch {
		case g.conn == classSpace && c.start <= last.end:
			g.extend(last, c, plain)
			return
		case g.conn != classSpace && c.start <= g.connEnd:
			// a new part of the same group
		default:
			g.flush()
		}
	}
	seg := segment{start: c.start, end: c.end, plain: plain, conn: g.conn}
	if !plain {
		seg.text = []rune{c.r}
	}
	n.segs = append(n.segs, seg)
	g.conn = classSpace
}

func (g *grouper) extend(last *segment, c char, plain bool) {
	if last.plain && !plain {
		last.text = []rune(g.text[last.start:last.end])
		last.plain = false
	}
	if !last.plain {
		last.text = append(last.text, c.r)
	}
	last.end = c.end
}

func (g *grouper) connector(c char, cl charClass) {
	segs := g.n.segs
	if len(segs) > 0 && g.conn == classSpace && c.start <= segs[len(segs)-1].end && g.canJoin(cl) {
		g.conn, g.connEnd = cl, c.end
		return
	}
	g.flush()
}

// soft continues the word a soft hyphen is inside ("Bundes&shy;regierung"
// is "bundesregierung"): the segment grows over it, and normalization
// drops it. Anywhere else it separates, as a space does.
func (g *grouper) soft(c char) {
	segs := g.n.segs
	if len(segs) > 0 && g.conn == classSpace && c.start <= segs[len(segs)-1].end {
		g.extend(&segs[len(segs)-1], c, isPlainChar(g.text, c))
		return
	}
	g.flush()
}

// canJoin reports whether connector cl may continue the current group:
// dots only join single letters ("U.S."), never digits ("3.5") or words
// ("end.Next"), and do not mix with hyphens and apostrophes.
func (g *grouper) canJoin(cl charClass) bool {
	segs := g.n.segs
	dotted := len(segs) > 1 && segs[1].conn == classDot
	if cl != classDot {
		return !dotted
	}
	return (len(segs) == 1 || dotted) && g.singleLetter(segs[len(segs)-1])
}

func (g *grouper) singleLetter(sg segment) bool {
	if !sg.plain {
		return len(sg.text) == 1 && unicode.IsLetter(sg.text[0])
	}
	r, size := utf8.DecodeRuneInString(g.text[sg.start:sg.end])
	return size == sg.end-sg.start && unicode.IsLetter(r)
}

func (g *grouper) flush() {
	g.toks, g.pos = g.n.emitGroup(g.text, g.slot, g.toks, g.pos)
	g.n.segs = g.n.segs[:0]
	g.conn, g.single = classSpace, false
}

// isPlainChar reports whether the original bytes of c spell c.r, i.e. c did
// not come from an entity.
func isPlainChar(text string, c char) bool {
	if c.r < utf8.RuneSelf {
		return c.end-c.start == 1
	}
	r, size := utf8.DecodeRuneInString(text[c.start:c.end])
	return size == c.end-c.start && r == c.r
}

// emitGroup turns the segments of one word group into tokens.
func (n *normalizer) emitGroup(text string, slot int32, toks []tok, pos int32) ([]tok, int32) {
	segs := n.segs
	if len(segs) == 0 {
		return toks, pos
	}
	first := len(toks)
	for _, sg := range segs {
		a := len(n.arena)
		n.appendNormalized(text, sg)
		if len(n.arena) == a {
			continue // only marks or symbols that normalize to nothing
		}
		toks = append(toks, tok{
			textStart: int32(a), textEnd: int32(len(n.arena)),
			start: int32(sg.start), end: int32(sg.end),
			pos: pos, width: 1, slot: slot,
		})
		pos++
	}
	parts := toks[first:]
	if len(segs) > 1 && segs[1].conn == classDot && !n.allSingle(parts) {
		return toks, pos // "A.Smith": separate words, no joined form
	}
	if len(parts) > 1 && segs[len(segs)-1].conn == classApostrophe && n.isPossessiveS(parts[len(parts)-1]) {
		toks = toks[:len(toks)-1]
		parts = parts[:len(parts)-1]
		pos--
	}
	if len(parts) > 1 {
		a := len(n.arena)
		for _, p := range parts {
			n.arena = append(n.arena, n.arena[p.textStart:p.textEnd]...)
		}
		toks = append(toks, tok{
			textStart: int32(a), textEnd: int32(len(n.arena)),
			start: parts[0].start, end: parts[len(parts)-1].end,
			pos: parts[0].pos, width: int32(len(parts)), slot: slot,
		})
	}
	return toks, pos
}

// allSingle reports whether every part is one character, which a dotted
// acronym needs; the last part is checked here because the grouper could
// not know how long it would grow.
func (n *normalizer) allSingle(parts []tok) bool {
	for _, p := range parts {
		if utf8.RuneCount(n.arena[p.textStart:p.textEnd]) != 1 {
			return false
		}
	}
	return true
}

func (n *normalizer) isPossessiveS(t tok) bool {
	return t.textEnd-t.textStart == 1 && n.arena[t.textStart] == 's'
}

// appendNormalized writes the normalized text of one segment to the arena.
func (n *normalizer) appendNormalized(text string, sg segment) {
	if sg.plain {
		raw := text[sg.start:sg.end]
		if isASCII(raw) {
			for i := 0; i < len(raw); i++ {
				c := raw[i]
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				n.arena = append(n.arena, c)
			}
			return
		}
		n.buf = append(n.buf[:0], raw...)
	} else {
		n.buf = n.buf[:0]
		for _, r := range sg.text {
			n.buf = utf8.AppendRune(n.buf, r)
		}
	}
	n.arena = appendFolded(n.arena, n.buf, n.matchFold)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// strokeFold maps letters whose diacritic is drawn through them, which no
// decomposition removes, to their base letter, as accents are removed:
// "Łódź" gives "lodz", "København" "kobenhavn", "Diyarbakır" "diyarbakir".
// Keys are lowercase: they are looked up after case folding.
var strokeFold = map[rune]rune{
	'ł': 'l', 'ø': 'o', 'đ': 'd', 'ı': 'i', 'ħ': 'h', 'ŧ': 't', 'ƀ': 'b', 'ɨ': 'i', 'ƶ': 'z',
}

// letterFold spells letters that have a usual spelling in other letters
// ("Cæsar" as "caesar", "œuvre" as "oeuvre", "Þór" as "thor",
// "Guðmundsson" as "gudmundsson"), for matching only (normalizer.matchFold).
// Keys are lowercase, as for strokeFold; ß is "ss" by case folding itself.
var letterFold = map[rune]string{'æ': "ae", 'œ': "oe", 'þ': "th", 'ð': "d"}

// lettersMark reports whether mark, on base (case-folded), makes a letter
// of its own rather than an accent, for matching only: folding it conflated
// words. The kana voicing marks (ガス, gas, is not カス, dregs; パ is not ハ
// nor バ), the Cyrillic breve and diaeresis (мой is not мои, ў not у, ї
// not і; but ё, which Russian mostly writes е, folds to е) and the acute
// of Macedonian ѓ and ќ (Russian stress marks sit on vowels and still
// fold). Normalize drops them all: its words are kept in the store.
func lettersMark(base, mark rune) bool {
	switch mark {
	case '\u3099', '\u309a': // dakuten, handakuten
		return unicode.In(base, unicode.Hiragana, unicode.Katakana)
	case '\u0306': // breve
		return unicode.Is(unicode.Cyrillic, base)
	case '\u0308': // diaeresis
		return unicode.Is(unicode.Cyrillic, base) && base != 'е'
	case '\u0301': // acute
		return base == 'г' || base == 'к'
	}
	return false
}

// appendFolded applies the slow path of normalization to a non-ASCII word:
// compatibility decomposition, case folding, removal of combining marks, and
// recomposition; with matchFold, letterFold too, and the marks that make
// letters of their own are kept (lettersMark). Only letters and digits are
// kept, so that what NFKC expands into punctuation ("㈱" into "(株)") cannot
// split or pollute a word.
func appendFolded(dst, word []byte, matchFold bool) []byte {
	b := norm.NFKD.Bytes(word)
	b = cases.Fold().Bytes(b)
	b = norm.NFKD.Bytes(b) // folding may produce decomposable letters
	kept := b[:0]
	base := rune(0) // the letter the marks that follow sit on
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		i += size
		if unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || r == '\u0640' { // marks, Arabic tatweel
			if matchFold && lettersMark(base, r) {
				kept = utf8.AppendRune(kept, r)
			}
			continue
		}
		if !unicode.IsSpace(r) { // ゛ decomposes to a space and the mark
			base = r
		}
		if f, ok := strokeFold[r]; ok {
			r = f
		}
		if f, ok := letterFold[r]; ok && matchFold {
			kept = append(kept, f...)
			continue
		}
		if unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mc, r) {
			kept = utf8.AppendRune(kept, r)
		}
	}
	return append(dst, norm.NFC.Bytes(kept)...)
}
