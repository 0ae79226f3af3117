package story

// Live updates: an item already seen whose text grows (a live blog adds a
// paragraph) is posted again as an update of its story, with only the text
// it added. What counts as added is decided sentence by sentence against
// the TextSig remembered from the previous fetch, so that the store keeps a
// few bytes per sentence, never the text itself.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/newshound/newshound/filters"
)

const (
	// textSigVersion is the first byte of an encoded TextSig. Change it
	// when sentence splitting or normalization changes: the sums of an
	// older release would make every sentence look added.
	// 2: counts count (see SignText); 3: feeds keep an item's paragraphs
	// (feeds.ParagraphText), where before a heading with no full stop ran
	// on into the next sentence; 4: times and dates written with full
	// stops ("17.15 BST", "12.03.2026") and an ISO timestamp's time are
	// left out, where before they counted; 5: feeds give an item with no
	// summary or content its media:description (a YouTube video's) and
	// one with no title its media:title, which would look added; 6: that
	// media text read as plain text unless typed html, where 5 read it as
	// HTML ("x<y for a while" lost as a tag), which would look added; 7:
	// feeds read an Atom summary or content of type text and a JSON
	// Feed's content_text as plain text, where 6 read them as HTML
	// ("yields<inflation" and "<script> tags" lost as tags), and decode
	// plain media text once, where 6 decoded it twice ("&lt;b&gt;" read
	// "<b>", lost as a tag), which would look added; 8: feeds read a JSON
	// Feed's title and summary as plain text unless written as HTML,
	// where 7 read them as HTML ("yields<inflation" and "<b>" lost as
	// tags), which would look added.
	textSigVersion = 8
	// maxSignedSentences bounds the work and memory of one item: only the
	// first 500 sentences that have words (title first) are signed and
	// compared, so a signature takes at most about 4 KB and text past
	// them is never an update. A live blog that adds at the top (most do)
	// is covered however long it grows; one that adds at the bottom of a
	// text longer than that is not.
	maxSignedSentences = 500
	// sentencesPerChunk is how many sentences are normalized at once: few
	// enough that a huge paragraph is not normalized far past the limit.
	sentencesPerChunk = 32
	// maxPieceWords is the longest old sentence that Added looks for
	// inside or across the sentences old lacks (see coverRun).
	maxPieceWords = 100
	// minSharedWords is how many words a sentence found in old needs to
	// show that the text is the item's own: a label ("UPDATE 17:15 GMT:")
	// or boilerplate ("Advertisement", "Read more") does not.
	minSharedWords = 3
)

// ErrTextSig is returned (wrapped) for an encoded TextSig that cannot be
// decoded: corrupt, truncated, or of another version.
var ErrTextSig = errors.New("story: bad text signature encoding")

// A TextSig is the remembered signature of an item's text: a 64-bit sum of
// each of its sentences, normalized so that cosmetic changes leave it
// unchanged (see [SignText]). It encodes in 8 bytes a sentence plus two or
// three ([TextSig.MarshalBinary]). The zero TextSig is an item never seen.
type TextSig struct {
	sums []uint64 // sorted, distinct
}

// SignText signs an item's title and plain text (as feeds.PlainText
// gives it). Text is split into paragraphs at newlines (the title is a
// paragraph of its own) and paragraphs into sentences at ".", "!", "?"
// (and "…", "؟", "。") followed by a space and a capital or a letter of a
// script without case, but not after an abbreviation ("Mr.", "Jan.",
// "U.S.", an initial). A colon followed by a capital ends a sentence too:
// a live blog's label "UPDATE 17:15 GMT:" is then a sentence of its own,
// which is the same ("update") in every entry, so that a new entry's
// added text does not repeat the label, and so that an entry whose
// paragraph break was lost (plain text in one line) still starts a
// sentence. Each sentence is summed over its words normalized
// as the query language normalizes them (NFKC, case-folded, without
// accents or marks, HTML entities decoded), without what changes while the
// text does not:
//
//   - punctuation and spacing, including where words are joined ("U.S." and
//     "US", "cease-fire" and "ceasefire" are the same);
//   - the numbers of times and dates: words that are numbers with a short
//     suffix ("11th", "4pm", "1715GMT"), years ("2014"), numbers written
//     with a leading zero ("03"), next to a month, weekday or time-zone
//     word ("March 11", "17 GMT"), or joined to another number by ":", "/"
//     or "-" ("17:15", "12/03/2026"), or written with full stops ("17.15
//     BST", "5.15pm", "12.03.2026"); the digits inside other words. Other
//     numbers count: "27 killed" revised to "31 killed", "40,000" to
//     "52,000" is an update (version 1 of the signature left every number
//     out);
//   - month and weekday names (English, German, French, Spanish, Arabic),
//     "today", "yesterday", "tomorrow", "tonight", "a.m.", "p.m." and time
//     zones ("GMT", "UTC", "EST", …);
//   - "ago" phrases ("3 hours ago", "an hour ago");
//   - in links, the scheme, "www." and everything from "?" or "#" on
//     (tracking parameters: utm_*, fbclid, gclid, …).
//
// A sentence left with no words (a date, a time) is not signed. At most
// maxSignedSentences (500) sentences are.
func SignText(title, text string) TextSig {
	var sums []uint64
	eachSentence(title, text, func(s sentence) { sums = append(sums, s.sum) })
	slices.Sort(sums)
	return TextSig{sums: slices.Compact(sums)}
}

// IsZero reports whether the signature holds no sentence: an item never
// seen, or one whose text had no words.
func (s TextSig) IsZero() bool { return len(s.sums) == 0 }

// Len is the number of distinct sentences signed.
func (s TextSig) Len() int {
	if s.IsReadRight() {
		return len(s.sums) - 1
	}
	return len(s.sums)
}

func (s TextSig) has(sum uint64) bool {
	_, found := slices.BinarySearch(s.sums, sum)
	return found
}

// Union is s with the sentences of newer, at most maxSignedSentences (all
// of newer's, then as many of s's as fit), and s's ReadRight mark. Store
// old.Union(SignText(…)) rather than the new signature alone, so that
// text which disappears from an item and comes back (a feed that
// alternates a summary and the full text, a paragraph cut and restored)
// is not posted again.
func (s TextSig) Union(newer TextSig) TextSig {
	sums := slices.Clone(newer.sums)
	n := newer.Len()
	for _, v := range s.sums {
		switch {
		case newer.has(v):
		case v == readRightSum:
			sums = append(sums, v)
		case n < maxSignedSentences:
			sums = append(sums, v)
			n++
		}
	}
	slices.Sort(sums)
	return TextSig{sums: sums}
}

// Added returns the sentences of title and text that old does not have, in
// their order: runs of consecutive added sentences of one paragraph are
// joined by a space, and runs are kept apart by a blank line. It returns ""
// when nothing was added or the change is cosmetic (see [SignText]: a date
// or time, spacing, punctuation, a link's tracking parameters, the same
// sentences in another order, text removed).
//
// Where sentences end can change with punctuation or spacing alone (a
// colon made a dash, a line break lost), so a sentence old lacks is not
// added when old sentences cover all its words: one after the other inside
// it, or running on into the next sentences old lacks.
//
// Added is only meaningful with the signature of the item's previous text:
// with a zero old (an item never seen) it returns "", and the caller
// decides what a first sight means. It also returns "" when title and text
// share no sentence of three words or more with old: that is another story
// under a reused key (a feed reusing a GUID), or a rewrite, not text added
// to an item.
func Added(old TextSig, title, text string) string {
	return addedWith(old, title, text, nil)
}

// AddedAsRead is Added of text that versions before read otherwise, when
// old was signed from their reading: before gives a sentence as they read
// it (a legacy charset's letters as U+FFFD). A sentence old knows as read
// now or as they read it is not added, one with no words as they read it
// is none old could know and is not added either, and the words of the
// others are compared as they read them, so that sentences their reading
// ran into one (a capital it could not read began none) are covered as
// Added covers a sentence split otherwise. What is added is written as
// read now.
func AddedAsRead(old TextSig, title, text string, before func(sentence string) string) string {
	return addedWith(old, title, text, func(s sentence) sentence {
		if old.has(s.sum) {
			return s
		}
		if b := before(s.text); b != s.text {
			s.words = keptWords(b, chunkWords(b, 0, nil), nil)
			s.sum = sumWords(s.words)
		}
		return s
	})
}

// addedWith is Added, each sentence compared as read (when not nil) makes it.
func addedWith(old TextSig, title, text string, read func(sentence) sentence) string {
	if old.IsZero() {
		return ""
	}
	a := adder{old: old, lastPara: -1}
	fn := a.sentence
	if read != nil {
		fn = func(s sentence) { a.sentence(read(s)) }
	}
	eachSentence(title, text, fn)
	a.flush()
	if !a.shared {
		return ""
	}
	return a.b.String()
}

// readRightSum is the sum a signature signed from text read right holds
// (ReadRight) besides its sentences', past maxSignedSentences too; no
// sentence sums to it but by a chance of 2⁻⁶⁴.
const readRightSum = 0x6e68_7265_6164_7269

// ReadRight is s marked as signed from text read right, where versions
// before read it otherwise (see AddedAsRead): s itself when it is marked.
// A signature of maxSignedSentences takes the mark too: unmarked, every
// change of its item would be compared as read before for good, where
// sentences that differ only in letters that reading garbles are one (all
// of a Russian sentence's), so that an update could read as known.
func (s TextSig) ReadRight() TextSig {
	if s.IsReadRight() {
		return s
	}
	sums := append(slices.Clone(s.sums), readRightSum)
	slices.Sort(sums)
	return TextSig{sums: sums}
}

// IsReadRight reports whether s was marked by ReadRight.
func (s TextSig) IsReadRight() bool { return s.has(readRightSum) }

// adder is the state of one call of Added: sentences old lacks are held in
// a run until a sentence old has (or the end) closes it, since whether
// they are covered depends on the sentences after them.
type adder struct {
	old      TextSig
	b        strings.Builder
	run      []heldSentence
	words    []string // the run's words, back to back
	covered  []bool   // which of words old sentences cover
	emitted  []uint64 // sums written: a sentence repeated is added once
	shared   bool     // a sentence (or a piece) of old was found
	gap      bool     // a sentence was left out since the last written
	lastPara int
}

// heldSentence is a sentence of a run: its text, paragraph, sum and its
// words in adder.words.
type heldSentence struct {
	text     string
	para     int
	sum      uint64
	from, to int
}

func (a *adder) sentence(s sentence) {
	if a.old.has(s.sum) {
		a.flush()
		a.shared = a.shared || len(s.words) >= minSharedWords
		a.gap = true
		return
	}
	from := len(a.words)
	a.words = append(a.words, s.words...)
	a.run = append(a.run, heldSentence{text: s.text, para: s.para, sum: s.sum, from: from, to: len(a.words)})
}

// flush writes the sentences of the run that old does not cover.
func (a *adder) flush() {
	if len(a.run) == 0 {
		return
	}
	a.coverRun()
	for _, s := range a.run {
		if !slices.Contains(a.covered[s.from:s.to], false) {
			a.shared = a.shared || s.to-s.from >= minSharedWords
			a.gap = true
			continue
		}
		if slices.Contains(a.emitted, s.sum) {
			a.gap = true
			continue
		}
		a.write(s)
	}
	a.run, a.words = a.run[:0], a.words[:0]
}

func (a *adder) write(s heldSentence) {
	if a.b.Len() > 0 {
		if a.gap || s.para != a.lastPara {
			a.b.WriteString("\n\n")
		} else if !endsFullWidth(a.b.String()) {
			a.b.WriteByte(' ')
		}
	}
	a.b.WriteString(collapseSpaces(s.text))
	a.emitted = append(a.emitted, s.sum)
	a.gap, a.lastPara = false, s.para
}

// endsFullWidth reports whether s ends a sentence the CJK way, which takes
// no space before the next one.
func endsFullWidth(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return isFullWidthEnd(r)
}

func isFullWidthEnd(r rune) bool { return strings.ContainsRune("。！？」』", r) }

// coverRun marks the words of the run that pieces summing to an old
// sentence cover. A piece starts where a sentence of the run starts or
// where another piece ended, and is at most maxPieceWords long: the work is
// bounded by that times the sentences and pieces of the run.
func (a *adder) coverRun() {
	n := len(a.words)
	a.covered = slices.Grow(a.covered[:0], n)[:n]
	clear(a.covered)
	starts := make([]bool, n+1) // rare enough (a changed item) to allocate
	for _, s := range a.run {
		starts[s.from] = true
	}
	for i := range n {
		if !starts[i] {
			continue
		}
		h := uint64(fnvOffset)
		for j := i; j < min(n, i+maxPieceWords); j++ {
			h, _ = addWord(h, a.words[j])
			if a.old.has(mix64(h)) {
				for k := i; k <= j; k++ {
					a.covered[k] = true
				}
				starts[j+1] = true
			}
		}
	}
}

// MarshalBinary encodes the signature: a version byte, the number of sums
// as a varint, then each sum in 8 bytes, ascending.
func (s TextSig) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 1+binary.MaxVarintLen16+8*len(s.sums))
	b = append(b, textSigVersion)
	b = binary.AppendUvarint(b, uint64(len(s.sums)))
	for _, v := range s.sums {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	return b, nil
}

// UnmarshalBinary decodes what MarshalBinary encoded. An empty b is an
// error, not a zero TextSig: a caller with nothing stored has no blob.
func (s *TextSig) UnmarshalBinary(b []byte) error {
	sums, err := decodeTextSig(b)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrTextSig, err)
	}
	*s = TextSig{sums: sums}
	return nil
}

func decodeTextSig(b []byte) ([]uint64, error) {
	if len(b) == 0 || b[0] != textSigVersion {
		return nil, fmt.Errorf("version %v, want %d", b[:min(1, len(b))], textSigVersion)
	}
	n, k := binary.Uvarint(b[1:])
	switch {
	case k <= 0:
		return nil, errors.New("truncated count")
	case n > maxSignedSentences+1:
		return nil, fmt.Errorf("%d sums, at most %d and the ReadRight mark", n, maxSignedSentences)
	}
	rest := b[1+k:]
	if uint64(len(rest)) != 8*n {
		return nil, fmt.Errorf("%d sums in %d bytes", n, len(rest))
	}
	if n == 0 {
		return nil, nil
	}
	sums := make([]uint64, n)
	for i := range sums {
		sums[i] = binary.LittleEndian.Uint64(rest[8*i:])
		if i > 0 && sums[i] <= sums[i-1] {
			return nil, errors.New("sums not ascending")
		}
	}
	if n > maxSignedSentences && !(TextSig{sums: sums}).IsReadRight() {
		return nil, fmt.Errorf("%d sums, at most %d without the ReadRight mark", n, maxSignedSentences)
	}
	return sums, nil
}

// sentence is what eachSentence passes on of a sentence: its text as
// written (trimmed), its paragraph (the title's lines first, then text's,
// counting non-blank lines), the words its sum is made of (valid only
// during the call) and the sum.
type sentence struct {
	text  string
	para  int
	words []string
	sum   uint64
}

// eachSentence calls fn with each sentence of title and text that has
// words once normalized, in order, at most maxSignedSentences.
func eachSentence(title, text string, fn func(sentence)) {
	sc := sentenceScanner{fn: fn}
	para := 0
	for _, block := range [2]string{title, text} {
		off := 0
		for line := range strings.Lines(block) {
			base := off + countSpaces(line)
			off += len(line)
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			sp := splitter{p: line}
			for s, ok := sp.next(); ok; s, ok = sp.next() {
				sc.pending = append(sc.pending, placedSpan{span{base + s.start, base + s.end}, para})
				if len(sc.pending) == sentencesPerChunk && !sc.flush(block) {
					return
				}
			}
			para++
		}
		if !sc.flush(block) {
			return
		}
	}
}

// sentenceScanner normalizes sentences a chunk at a time, reusing its
// buffers, and counts the sentences signed.
type sentenceScanner struct {
	fn      func(sentence)
	pending []placedSpan
	words   []normWord
	kept    []string
	signed  int
}

// span is a byte range [start, end) of a text.
type span struct{ start, end int }

// placedSpan is a sentence's span in its block and its paragraph.
type placedSpan struct {
	span
	para int
}

// normWord is a normalized word and where it starts in its block.
type normWord struct {
	text   string
	start  int
	joined bool // the join of the parts of a word written with hyphens ("2026-03-12")
}

// flush passes the pending sentences of block on to fn; it returns false
// once maxSignedSentences have been signed.
func (sc *sentenceScanner) flush(block string) bool {
	if len(sc.pending) == 0 {
		return true
	}
	from, to := sc.pending[0].start, sc.pending[len(sc.pending)-1].end
	sc.words = chunkWords(block[from:to], from, sc.words[:0])
	words := sc.words
	for _, s := range sc.pending {
		n := 0
		for n < len(words) && words[n].start < s.end {
			n++
		}
		sc.kept = keptWords(block, words[:n], sc.kept[:0])
		words = words[n:]
		if len(sc.kept) == 0 {
			continue
		}
		sc.fn(sentence{text: block[s.start:s.end], para: s.para, words: sc.kept, sum: sumWords(sc.kept)})
		if sc.signed++; sc.signed == maxSignedSentences {
			return false
		}
	}
	sc.pending = sc.pending[:0]
	return true
}

// splitter cuts a paragraph into sentences, one at a time.
type splitter struct {
	p   string
	pos int
}

// next returns the span of the next sentence, trimmed of the spaces
// between sentences.
func (sp *splitter) next() (span, bool) {
	p, start := sp.p, sp.pos
	for i := start; i < len(p); {
		r, size := utf8.DecodeRuneInString(p[i:])
		i += size
		if !isSentenceEnd(r) {
			continue
		}
		end := i
		for end < len(p) {
			r2, size2 := utf8.DecodeRuneInString(p[end:])
			if !isSentenceEnd(r2) && !isCloser(r2) {
				break
			}
			end += size2
		}
		next := end + countSpaces(p[end:])
		if next == len(p) {
			break
		}
		// CJK full stops need no space after them.
		if !isFullWidthEnd(r) && (next == end || !opensSentence(p[next:])) {
			continue
		}
		if r == '.' && isAbbreviation(p[start:i-size]) {
			continue
		}
		sp.pos = next
		return span{start, end}, true
	}
	sp.pos = len(p)
	if end := len(strings.TrimRightFunc(p, unicode.IsSpace)); start < end {
		return span{start, end}, true
	}
	return span{}, false
}

// sentenceBounds is the spans of p's sentences.
func sentenceBounds(p string) []span {
	var out []span
	sp := splitter{p: p}
	for s, ok := sp.next(); ok; s, ok = sp.next() {
		out = append(out, s)
	}
	return out
}

func isSentenceEnd(r rune) bool {
	switch r {
	case '.', '!', '?', '…', '؟', '۔', '。', '！', '？', ':':
		return true
	}
	return false
}

// isCloser reports the quotes and brackets that close a sentence after its
// full stop: `he said.” The`.
func isCloser(r rune) bool {
	switch r {
	case '"', '\'', '”', '’', '»', '›', ')', ']', '」', '』':
		return true
	}
	return false
}

func isOpener(r rune) bool {
	switch r {
	case '"', '\'', '“', '‘', '„', '«', '‹', '(', '[', '「', '『':
		return true
	}
	return false
}

func countSpaces(s string) int {
	return len(s) - len(strings.TrimLeftFunc(s, unicode.IsSpace))
}

// opensSentence reports whether s starts like a sentence: a capital, or a
// letter of a script without case (Arabic, Hebrew, CJK), perhaps after an
// opening quote or bracket. A lower-case letter or a digit does not ("No.
// 5", "approx. three").
func opensSentence(s string) bool {
	r, size := utf8.DecodeRuneInString(s)
	if isOpener(r) {
		r, _ = utf8.DecodeRuneInString(s[size:])
	}
	return unicode.IsLetter(r) && !unicode.IsLower(r)
}

// abbreviations end with a full stop that does not end a sentence; they
// are compared lower-cased. Single letters (initials) and short letters
// with dots between ("U.S.", "e.g.", "a.m.") are abbreviations without a
// list.
var abbreviations = setOf(
	"mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "ft", "gen", "col", "lt",
	"sgt", "capt", "cmdr", "adm", "maj", "gov", "sen", "rep", "rev", "hon", "pres",
	"inc", "ltd", "co", "corp", "bros", "no", "nos", "vs", "fig", "approx", "dept",
	"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
)

// isAbbreviation reports whether the last word of before (the text up to a
// full stop) is an abbreviation.
func isAbbreviation(before string) bool {
	i := strings.LastIndexFunc(before, func(r rune) bool { return !unicode.IsLetter(r) && r != '.' })
	word := before[i+1:]
	if i >= 0 {
		_, size := utf8.DecodeRuneInString(before[i:])
		word = before[i+size:]
	}
	if word == "" {
		return false
	}
	if utf8.RuneCountInString(word) == 1 || abbreviations[strings.ToLower(word)] {
		return true
	}
	if !strings.Contains(word, ".") {
		return false
	}
	// "U.S", "e.g", "Ph.D", but not "example.com"
	for part := range strings.SplitSeq(word, ".") {
		if utf8.RuneCountInString(part) > 2 {
			return false
		}
	}
	return true
}

// linkPattern finds links: with a scheme, with "www.", or a bare domain
// followed by a path ("example.com/live?utm_source=x").
var linkPattern = regexp.MustCompile(`(?i)(?:\b[a-z][a-z0-9+.-]{0,15}://|\bwww\.|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/)\S*`)

// chunkWords appends to out the normalized words of chunk (a run of whole
// sentences starting at byte offset base of its block), each with its
// offset in the block: a joined form ("us" of "U.S.") in place of its
// parts, and without the words of links' schemes, queries and fragments.
func chunkWords(chunk string, base int, out []normWord) []normWord {
	toks := filters.Normalize(chunk)
	out = slices.Grow(out, len(toks))
	var skip []span
	if mayHaveLinkNoise(chunk) {
		skip = linkNoise(chunk)
	}
	for _, t := range toks {
		if t.Width > 1 {
			// its parts came just before it
			out = out[:max(0, len(out)-t.Width)]
		}
		out = append(out, normWord{text: t.Text, start: base + t.Start, joined: t.Width > 1})
	}
	if len(skip) == 0 {
		return out
	}
	kept := out[:0]
	for _, w := range out {
		if !inSpans(skip, w.start-base) {
			kept = append(kept, w)
		}
	}
	return kept
}

// mayHaveLinkNoise is a quick test that spares most text the link pattern:
// a link has noise to drop only with a scheme, "www.", a query or a
// fragment.
func mayHaveLinkNoise(s string) bool {
	return strings.Contains(s, "://") || strings.Contains(s, "www.") || strings.Contains(s, "WWW.") ||
		strings.IndexByte(s, '/') >= 0 && strings.ContainsAny(s, "?#")
}

// linkNoise returns the spans of s's links that change while the link does
// not: the scheme with "://" and "www.", and the query and fragment.
func linkNoise(s string) []span {
	var noise []span
	for _, m := range linkPattern.FindAllStringIndex(s, -1) {
		link := s[m[0]:m[1]]
		host := 0
		if i := strings.Index(link, "://"); i >= 0 {
			host = i + len("://")
		}
		if strings.HasPrefix(strings.ToLower(link[host:]), "www.") {
			host += len("www.")
		}
		if host > 0 {
			noise = append(noise, span{m[0], m[0] + host})
		}
		if q := strings.IndexAny(link, "?#"); q >= 0 {
			noise = append(noise, span{m[0] + q, m[1]})
		}
	}
	return noise
}

func inSpans(spans []span, at int) bool {
	for _, sp := range spans {
		if at >= sp.start && at < sp.end {
			return true
		}
	}
	return false
}

// keptWords appends to out the words of a sentence of block that are
// summed: not those that change while the text does not (see SignText).
// Each has a letter or a mark at least, left once its digits are dropped,
// but a count, which is kept as countMark and its digits.
func keptWords(block string, words []normWord, out []string) []string {
	out = slices.Grow(out, len(words))
	for i := 0; i < len(words); i++ {
		switch w := words[i]; {
		case isTimeWord(w.text) || inAgoPhrase(words, i):
		case dottedTime(block, words, i) > 0:
			i += dottedTime(block, words, i) - 1
		case isCount(block, words, i):
			// "40,000" and "40000" are one count, as "3.5" is one number.
			count := countMark + w.text
			for i+1 < len(words) && joinedAsNumber(block, words[i], words[i+1]) {
				i++
				count += words[i].text
			}
			out = append(out, count)
		case !isNumber(w.text):
			out = append(out, w.text)
		}
	}
	return out
}

// countMark starts a kept word whose digits count (see addWord); no
// normalized word starts with it.
const countMark = "\x00"

// isCount reports whether words[i] of block is a number that counts
// something rather than part of a time or date (see SignText): digits
// alone, no year, no leading zero, not next to a time word nor before a
// unit of time ("3 hours"), not joined to another number by ":", "/" or
// "-" ("2026-03-12" is one word of its parts joined, and no count).
func isCount(block string, words []normWord, i int) bool {
	w := words[i].text
	if !allDigits(w) || w[0] == '0' || words[i].joined || len(w) == 4 && (w[:2] == "19" || w[:2] == "20") {
		return false
	}
	if i > 0 && (isTimeWord(words[i-1].text) || joinedAsTime(block, words[i-1], words[i])) {
		return false
	}
	if i+1 < len(words) && (isTimeWord(words[i+1].text) || agoUnits[words[i+1].text] || joinedAsTime(block, words[i], words[i+1])) {
		return false
	}
	return true
}

// joinedAsTime reports whether the numbers a and b, one after the other
// in block, are written as parts of a time or date: "17:15", "12/03", and
// "T17:15" of an ISO timestamp, where a is the date and hour joined
// ("20260312t17").
func joinedAsTime(block string, a, b normWord) bool {
	if a.text == "" || !isASCIIDigit(a.text[len(a.text)-1]) || !allDigits(b.text) || b.start == 0 || b.start > len(block) {
		return false
	}
	return strings.ContainsRune(":/-", rune(block[b.start-1]))
}

// dottedTime returns how many of the words from words[i] on write a time
// or a date with full stops, as British, Australian and German papers do,
// 0 when they do not: a date of day, month and year ("12.03.2026",
// "1.3.26"), or hours and minutes with "am" or "pm" ("5.15pm", "9.05
// a.m.") or a time zone ("17.15 BST", "17.15 Uhr"). A decimal ("3.5
// million") or a count in thousands ("1.234.567") is none.
func dottedTime(block string, words []normWord, i int) int {
	if i+1 >= len(words) || !byFullStop(block, words[i], words[i+1]) {
		return 0
	}
	hours, mins := words[i].text, words[i+1].text
	if len(hours) > 2 || !allDigits(hours) {
		return 0
	}
	if i+2 < len(words) && len(mins) <= 2 && allDigits(mins) && byFullStop(block, words[i+1], words[i+2]) {
		if year := words[i+2].text; allDigits(year) && (len(year) == 2 || len(year) == 4) {
			return 3
		}
		return 0
	}
	if len(mins) < 2 || !allDigits(mins[:2]) || mins[0] > '5' || hours > "24" && len(hours) == 2 {
		return 0
	}
	switch suffix := mins[2:]; {
	case suffix == "am" || suffix == "pm":
		return 2
	case suffix == "" && i+2 < len(words) && isTimeWord(words[i+2].text):
		return 2
	}
	return 0
}

// byFullStop reports whether the word b follows the digits that end a
// in block after a full stop alone ("17.15", "5.15pm").
func byFullStop(block string, a, b normWord) bool {
	if a.text == "" || !isASCIIDigit(a.text[len(a.text)-1]) || b.text == "" || !isASCIIDigit(b.text[0]) ||
		b.start < 2 || b.start > len(block) {
		return false
	}
	return block[b.start-1] == '.' && isASCIIDigit(block[b.start-2])
}

func isASCIIDigit(c byte) bool { return c >= '0' && c <= '9' }

// joinedAsNumber reports whether the digits b follow the digits a in block
// after a "," or "." alone: the groups of "40,000" or "3.5".
func joinedAsNumber(block string, a, b normWord) bool {
	if !allDigits(a.text) || !allDigits(b.text) || b.start < 2 || b.start > len(block) {
		return false
	}
	sep, before := block[b.start-1], block[b.start-2]
	return (sep == ',' || sep == '.') && before >= '0' && before <= '9'
}

// allDigits reports whether w is ASCII digits only.
func allDigits(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return w != ""
}

// sumWords is the sum of a sentence's kept words.
func sumWords(words []string) uint64 {
	h := uint64(fnvOffset)
	for _, w := range words {
		h, _ = addWord(h, w)
	}
	return mix64(h)
}

// addWord adds w without its digits to the running FNV-1a sum h, and
// reports whether anything was left to add. Words are added without a
// separator, so that "cease-fire" and "ceasefire", "U.S." and "US" sum
// alike whichever way they are split, and a sentence sums as its pieces
// one after the other do.
func addWord(h uint64, w string) (uint64, bool) {
	if count, ok := strings.CutPrefix(w, countMark); ok {
		return fnvAdd(h, count), true
	}
	added := false
	for i := 0; i < len(w); {
		c := w[i]
		if c < utf8.RuneSelf {
			i++
			if c >= '0' && c <= '9' {
				continue
			}
			h = (h ^ uint64(c)) * fnvPrime
			added = true
			continue
		}
		r, size := utf8.DecodeRuneInString(w[i:])
		if !unicode.IsDigit(r) {
			h = fnvAdd(h, w[i:i+size])
			added = true
		}
		i += size
	}
	return h, added
}

// isNumber reports whether w is digits (of any script) followed by at
// most three other characters: "2014", "11th", "4pm", "1715gmt", "10m".
func isNumber(w string) bool {
	digits := 0
	for _, r := range w {
		if !unicode.IsDigit(r) {
			break
		}
		digits += utf8.RuneLen(r)
	}
	return digits > 0 && utf8.RuneCountInString(w[digits:]) <= 3
}

// inAgoPhrase reports whether words[i] is part of a phrase like "3 hours
// ago" or "an hour ago": "ago", the unit before it, and the quantity
// before that.
func inAgoPhrase(words []normWord, i int) bool {
	at := func(j int) string {
		if j < len(words) {
			return words[j].text
		}
		return ""
	}
	switch {
	case words[i].text == "ago":
		return true
	case agoUnits[words[i].text]:
		return at(i+1) == "ago"
	default:
		return agoQuantities[words[i].text] && agoUnits[at(i+1)] && at(i+2) == "ago"
	}
}

var (
	agoUnits = setOf("second", "seconds", "sec", "secs", "minute", "minutes", "min", "mins",
		"hour", "hours", "hr", "hrs", "h", "day", "days", "week", "weeks", "wk", "wks",
		"month", "months", "mo", "mos", "year", "years", "yr", "yrs", "moment", "moments")
	agoQuantities = setOf("a", "an", "one", "few", "several", "some", "many")
)

// timeWords are dropped from sentences wherever they stand: the words of
// dates and times. Some are also other words ("may", "sun", "am"); leaving
// them out of a sum only makes an edit of them go unnoticed.
var timeWords = normalizedSet(
	"january", "february", "march", "april", "may", "june", "july", "august",
	"september", "october", "november", "december",
	"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
	"mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
	"today", "yesterday", "tomorrow", "tonight",
	"am", "pm", "a.m.", "p.m.",
	"gmt", "utc", "bst", "cet", "cest", "eet", "eest", "msk",
	"est", "edt", "cst", "cdt", "mst", "mdt", "pst", "pdt", "akst", "hst",
	"ist", "pkt", "jst", "kst", "hkt", "sgt", "aest", "aedt", "awst", "nzst", "nzdt",
	// German
	"januar", "februar", "märz", "mai", "juni", "juli", "oktober", "dezember",
	"montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonnabend", "sonntag",
	"heute", "gestern", "morgen", "uhr", "mez", "mesz",
	// French
	"janvier", "février", "mars", "avril", "juin", "juillet", "août", "septembre",
	"octobre", "novembre", "décembre",
	"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
	"aujourd'hui", "hier", "demain",
	// Spanish
	"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
	"septiembre", "setiembre", "octubre", "noviembre", "diciembre",
	"lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo",
	"hoy", "ayer", "mañana",
	// Arabic: Gregorian months (Egyptian and Levantine names) and weekdays
	"يناير", "فبراير", "مارس", "أبريل", "إبريل", "مايو", "يونيو", "يوليو", "أغسطس",
	"سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر",
	"كانون", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول", "تشرين",
	"الاثنين", "الإثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد",
	"اليوم", "أمس", "الأمس", "غدا",
)

func isTimeWord(w string) bool { return timeWords[w] }

// normalizedSet is setOf words as filters.Normalize gives them (the
// joined form of "a.m.", "märz" without its umlaut, Arabic without hamza).
func normalizedSet(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		if toks := filters.Normalize(w); len(toks) > 0 {
			m[toks[len(toks)-1].Text] = true
		}
	}
	return m
}

// collapseSpaces makes each run of white space in s one space.
func collapseSpaces(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r != ' ' && unicode.IsSpace(r) }) &&
		!strings.Contains(s, "  ") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}
