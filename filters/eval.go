package filters

import (
	"cmp"
	"slices"
)

// lookup finds the occurrences of a term in a normalized document. The
// reference implementation scans every token; a Set uses its term index.
type lookup interface {
	occurrences(t *term) []tok
}

// evaluator decides whether a query matches one normalized document and,
// when collect is set, records the spans that made it match.
type evaluator struct {
	doc     *normDoc
	look    lookup
	collect bool
	hits    []Hit
	spanBuf []span // scratch for NEAR
	// failed holds the (element, slot, position) triples of a phrase that
	// did not match from one start, or from any in a search (see phraseAt).
	failed map[[3]int32]struct{}
	memo   bool  // the phrase has a choice, so failures are noted
	keep   bool  // failed holds for every start of the search (see phraseSpans)
	steps  int32 // elements tried by this search
}

// span is a matched run of word positions [p0, p1] in one text, with its
// bytes [start, end) in the original.
type span struct {
	slot, p0, p1, start, end int32
}

func (e *evaluator) inScope(slot int32, scope fieldMask) bool {
	return e.doc.texts[slot].mask&scope != 0
}

func (e *evaluator) addHit(slot, start, end int32) {
	if !e.collect || e.full() {
		return
	}
	t := e.doc.texts[slot]
	e.hits = append(e.hits, Hit{Field: t.field, Index: t.index, Start: int(start), End: int(end)})
}

// match evaluates n. In collect mode it keeps the hits of the branches that
// matched and drops those of branches that did not.
func (e *evaluator) match(n *node) bool {
	switch n.kind {
	case nodeOr:
		ok := false
		for _, k := range n.kids {
			if e.match(k) {
				ok = true
				if !e.collect {
					return true
				}
			}
		}
		return ok
	case nodeAnd:
		mark := len(e.hits)
		for _, k := range n.kids {
			if !e.match(k) {
				e.hits = e.hits[:mark]
				return false
			}
		}
		return true
	case nodeNot:
		collect := e.collect
		e.collect = false // what is excluded is not highlighted
		ok := e.match(n.kids[0])
		e.collect = collect
		return !ok
	case nodeField, nodeDefine:
		return e.match(n.kids[0])
	case nodeNear:
		return e.matchNear(n)
	case nodeText:
		return e.matchText(n)
	case nodePrefix, nodeSite:
		return e.matchTerm(n.term, n.scope)
	case nodeRegex:
		return e.matchRegex(n)
	}
	return false
}

// full reports whether the match keeps no more hits (see maxHits).
func (e *evaluator) full() bool { return len(e.hits) >= maxHits }

// maxHits bounds the hits one match keeps, as maxSpans bounds those of one
// word, phrase, regex or NEAR: a query repeating a word kept its places
// once per repeat ("war war …" 100 times took 2 GB on a long item).
// Places past either bound are not highlighted.
const maxHits = 16 * maxSpans

func (e *evaluator) matchTerm(t *term, scope fieldMask) bool {
	found := 0
	for _, o := range e.look.occurrences(t) {
		if !e.inScope(o.slot, scope) {
			continue
		}
		if !e.collect || e.full() {
			return true
		}
		e.addHit(o.slot, o.start, o.end)
		if found++; found == maxSpans {
			return true
		}
	}
	return found > 0
}

func (e *evaluator) matchText(n *node) bool {
	if n.word != nil {
		return e.matchTerm(n.word, n.scope)
	}
	if !e.mayOccur(n) {
		return false
	}
	ok := false
	e.phraseSpans(n, func(s span) bool {
		ok = true
		e.addHit(s.slot, s.start, s.end)
		return e.collect && !e.full()
	})
	return ok
}

// phraseSpans calls yield for each place the phrase of n occurs, until yield
// returns false or maxSpans places were reported. A start is tried only if
// the phrase's rarest element occurs where it would have to (see anchor),
// so a long phrase against an item repeating its words costs about the
// item's length, not that times the phrase's.
//
// A long phrase of plain words whose anchor is common is found by one
// Knuth-Morris-Pratt scan of the item (see phraseScan), whose cost does
// not depend on how nearly the phrase matches. Any other phrase is searched from each allowed start,
// remembering the (element, position) pairs that failed, and gives up
// after maxPhraseSteps steps: a phrase of hyphenated words that almost
// occurs from every start of a long item is then not found past there.
func (e *evaluator) phraseSpans(n *node, yield func(span) bool) {
	a := e.anchor(n.phrase)
	if a.occ != nil && e.phraseScan(n, len(a.occ)*len(n.phrase), yield) {
		return
	}
	seen := map[tok]bool(nil)
	found := 0
	// Whether an (element, position) pair fails does not depend on the
	// start, so what failed is kept for the whole search.
	e.memo = slices.ContainsFunc(n.phrase, func(el element) bool { return len(el) > 1 })
	clear(e.failed)
	e.steps, e.keep = 0, true
	defer func() { e.keep = false }()
	for _, alt := range n.phrase[0] {
		for _, o := range e.look.occurrences(alt[0]) {
			if !e.inScope(o.slot, n.scope) || !a.allows(o) {
				continue
			}
			if len(n.phrase[0]) > 1 {
				// Two alternatives may start at the same place: report it once.
				key := tok{slot: o.slot, pos: o.pos}
				if seen[key] {
					continue
				}
				if seen == nil {
					seen = map[tok]bool{}
				}
				seen[key] = true
			}
			last, end, ok := e.phraseFrom(n.phrase, o.slot, o.pos)
			if e.steps > maxPhraseSteps {
				return // too costly: not found from here on
			}
			if ok {
				found++
				if !yield(span{slot: o.slot, p0: o.pos, p1: last, start: o.start, end: end}) || found == maxSpans {
					return
				}
			}
		}
	}
}

// maxPhraseSteps bounds the element matches one phrase search may try
// (see phraseSpans): about a quarter of a second.
const maxPhraseSteps = 1 << 18

// phraseScan reports the places of a phrase of plain words, as the
// search from every start would, with one Knuth-Morris-Pratt pass over
// the positions where the phrase's words occur, in (slot, pos) order. It
// returns false, having reported nothing, when the phrase is not all
// plain words or one of them occurs as the joined form of a hyphenated
// word: the item is then not one sequence of words. It also returns false
// when the phrase's words occur more often than fromStarts, the steps the
// search from the anchored starts costs at most.
func (e *evaluator) phraseScan(n *node, fromStarts int, yield func(span) bool) bool {
	ids := map[string]int32{}
	pat := make([]int32, len(n.phrase))
	words := make([]*term, 0, len(n.phrase))
	total := 0
	for i, el := range n.phrase {
		if len(el) != 1 || len(el[0]) != 1 {
			return false
		}
		t := el[0][0]
		id, ok := ids[t.text]
		if !ok {
			id = int32(len(ids))
			ids[t.text] = id
			words = append(words, t)
			for _, o := range e.look.occurrences(t) {
				if o.width != 1 {
					return false
				}
			}
			total += len(e.look.occurrences(t))
		}
		pat[i] = id
	}
	if total >= fromStarts {
		return false
	}
	type occ struct {
		tok
		id int32
	}
	seq := make([]occ, 0, total)
	for id, t := range words {
		for _, o := range e.look.occurrences(t) {
			seq = append(seq, occ{o, int32(id)})
		}
	}
	// fail[k] is the length of the longest proper border of pat[:k+1].
	fail := make([]int, len(pat))
	for i, k := 1, 0; i < len(pat); i++ {
		for k > 0 && pat[i] != pat[k] {
			k = fail[k-1]
		}
		if pat[i] == pat[k] {
			k++
		}
		fail[i] = k
	}
	slices.SortFunc(seq, func(a, b occ) int { return compareTokPos(a.tok, b.tok) })
	found, k := 0, 0
	for i, o := range seq {
		if !e.inScope(o.slot, n.scope) {
			continue
		}
		if i == 0 || seq[i-1].slot != o.slot || seq[i-1].pos != o.pos-1 {
			k = 0 // a word not in the phrase, or another text, came between
		}
		for k > 0 && pat[k] != o.id {
			k = fail[k-1]
		}
		if pat[k] == o.id {
			k++
		}
		if k < len(pat) {
			continue
		}
		first := seq[i-len(pat)+1]
		found++
		if !yield(span{slot: o.slot, p0: first.pos, p1: o.pos, start: first.start, end: o.end}) || found == maxSpans {
			return true
		}
		k = fail[k-1]
	}
	return true
}

// phraseAnchor is a necessary condition on a phrase's start: its element
// of fewest occurrences (a plain word, after the first element) occurs
// between minOff and maxOff positions after the start, in the same text.
type phraseAnchor struct {
	occ            []tok // nil: no anchor, every start may match
	minOff, maxOff int32
}

// minAnchoredPhrase is the length from which a phrase is anchored: a
// shorter one costs at most that many steps per start anyway.
const minAnchoredPhrase = 4

// anchor picks the phrase's rarest plain-word element after the first and
// the range of its offsets from the start. An element covers at least as
// many positions as its shortest alternative has words, and at most the
// sum of its words' widest occurrences in the item.
func (e *evaluator) anchor(elems []element) phraseAnchor {
	if len(elems) < minAnchoredPhrase {
		return phraseAnchor{}
	}
	best := -1
	var occ []tok
	for j := 1; j < len(elems); j++ {
		if len(elems[j]) != 1 || len(elems[j][0]) != 1 {
			continue
		}
		if o := e.look.occurrences(elems[j][0][0]); best < 0 || len(o) < len(occ) {
			best, occ = j, o
		}
	}
	if best < 0 {
		return phraseAnchor{}
	}
	widest := map[term]int32{}
	a := phraseAnchor{occ: occ}
	for _, el := range elems[:best] {
		lo, hi := int32(-1), int32(0)
		for _, alt := range el {
			w := int32(0)
			for _, t := range alt {
				if _, ok := widest[*t]; !ok {
					widest[*t] = 1
					for _, o := range e.look.occurrences(t) {
						widest[*t] = max(widest[*t], o.width)
					}
				}
				w += widest[*t]
			}
			if lo < 0 || int32(len(alt)) < lo {
				lo = int32(len(alt))
			}
			hi = max(hi, w)
		}
		a.minOff += lo
		a.maxOff += hi
	}
	return a
}

// allows reports whether the anchor occurs where a match starting at o
// needs it.
func (a phraseAnchor) allows(o tok) bool {
	if a.occ == nil {
		return true
	}
	i, _ := slices.BinarySearchFunc(a.occ, tok{slot: o.slot, pos: o.pos + a.minOff}, compareTokPos)
	return i < len(a.occ) && a.occ[i].slot == o.slot && a.occ[i].pos <= o.pos+a.maxOff
}

func compareTokPos(o, target tok) int {
	return cmp.Or(cmp.Compare(o.slot, target.slot), cmp.Compare(o.pos, target.pos))
}

// phraseFrom matches elems starting at word position pos of slot, and
// returns the last position and the end byte of the match.
func (e *evaluator) phraseFrom(elems []element, slot, pos int32) (last, end int32, ok bool) {
	if !e.keep {
		e.memo = slices.ContainsFunc(elems, func(el element) bool { return len(el) > 1 })
		if e.memo && len(e.failed) > 0 {
			clear(e.failed)
		}
	}
	return e.phraseAt(elems, 0, slot, pos)
}

// phraseAt matches elems[i:] from pos, depth first, the parts of a
// hyphenated word before its joined form. Both alternatives can lead to
// the same position, so each (element, position) that failed is noted and
// not tried again: without that, a phrase of n hyphenated words that
// almost occurs costs 2^n steps (26 of them took half a minute).
func (e *evaluator) phraseAt(elems []element, i int, slot, pos int32) (last, end int32, ok bool) {
	key := [3]int32{int32(i), slot, pos}
	if _, bad := e.failed[key]; bad {
		return 0, 0, false
	}
	if e.keep {
		if e.steps++; e.steps > maxPhraseSteps {
			return 0, 0, false
		}
	}
	for _, alt := range elems[i] {
		p := pos
		var o tok
		found := true
		for _, t := range alt {
			if o, found = e.occurrenceAt(t, slot, p); !found {
				break
			}
			p = o.pos + o.width
		}
		if !found {
			continue
		}
		if i == len(elems)-1 {
			return p - 1, o.end, true
		}
		if last, end, ok := e.phraseAt(elems, i+1, slot, p); ok {
			return last, end, true
		}
	}
	if e.memo && i > 0 && e.steps <= maxPhraseSteps {
		if e.failed == nil {
			e.failed = map[[3]int32]struct{}{}
		}
		e.failed[key] = struct{}{}
	}
	return 0, 0, false
}

// occurrenceAt finds the occurrence of t at a position. A term's
// occurrences are in (slot, pos) order, whichever lookup produced them,
// so a long text full of one word costs a binary search, not a scan.
func (e *evaluator) occurrenceAt(t *term, slot, pos int32) (tok, bool) {
	occ := e.look.occurrences(t)
	i, found := slices.BinarySearchFunc(occ, tok{slot: slot, pos: pos}, compareTokPos)
	if !found {
		return tok{}, false
	}
	return occ[i], true
}

func (e *evaluator) matchRegex(n *node) bool {
	ok, found := false, 0
	for slot, t := range e.doc.texts {
		if t.mask&n.scope == 0 {
			continue
		}
		text := e.doc.oneLine(slot)
		if !e.collect || e.full() { // a place listed past maxHits would be dropped
			if n.re.MatchString(text) {
				return true
			}
			continue
		}
		// Matches past maxSpans are not highlighted, nor even listed: an
		// empty match counts among them.
		for _, m := range n.re.FindAllStringIndex(text, maxSpans-found) {
			ok = true
			if m[1] > m[0] {
				e.addHit(int32(slot), int32(m[0]), int32(m[1]))
			}
			found++
		}
		if found == maxSpans || ok && e.full() {
			return true
		}
	}
	return ok
}

func (e *evaluator) matchNear(n *node) bool {
	if !e.mayOccur(n) {
		return false
	}
	base := len(e.spanBuf)
	e.spanBuf = e.spans(n, e.spanBuf)
	found := len(e.spanBuf) > base
	e.spanBuf = e.spanBuf[:base]
	if found && e.collect {
		e.nearHits(n)
	}
	return found
}

// mayOccur is a quick necessary condition for a positional node: each word
// it needs occurs somewhere in the document. It spares the position checks
// for most candidates that do not match.
func (e *evaluator) mayOccur(n *node) bool {
	switch n.kind {
	case nodeText:
		if n.word != nil {
			return len(e.look.occurrences(n.word)) > 0
		}
		for _, el := range n.phrase {
			if !e.someAltOccurs(el) {
				return false
			}
		}
		return true
	case nodePrefix:
		return len(e.look.occurrences(n.term)) > 0
	case nodeOr:
		for _, k := range n.kids {
			if e.mayOccur(k) {
				return true
			}
		}
		return false
	case nodeNear:
		return e.mayOccur(n.kids[0]) && e.mayOccur(n.kids[1])
	case nodeField, nodeDefine:
		return e.mayOccur(n.kids[0])
	}
	return true
}

func (e *evaluator) someAltOccurs(el element) bool {
alts:
	for _, alt := range el {
		for _, t := range alt {
			if len(e.look.occurrences(t)) == 0 {
				continue alts
			}
		}
		return true
	}
	return false
}

// spans lists where the positional node n occurs, appending to dst. For
// NEAR it uses dst past its length as scratch space for the operands.
func (e *evaluator) spans(n *node, dst []span) []span {
	switch n.kind {
	case nodeText:
		if n.word != nil {
			return e.termSpans(n.word, n.scope, dst)
		}
		e.phraseSpans(n, func(s span) bool {
			dst = append(dst, s)
			return true
		})
	case nodePrefix:
		return e.termSpans(n.term, n.scope, dst)
	case nodeOr:
		for _, k := range n.kids {
			dst = e.spans(k, dst)
		}
	case nodeField, nodeDefine:
		dst = e.spans(n.kids[0], dst)
	case nodeNear:
		// A NEAR's spans are at most maxSpans, a word's are all its
		// places: the nested side is listed first, so that a word's places
		// are not held in dst through every level of "(a NEAR/1 (a …))".
		first, second := n.kids[0], n.kids[1]
		if hasNear(second) {
			first, second = second, first
		}
		base := len(dst)
		dst = e.spans(first, dst)
		mid := len(dst)
		if mid == base {
			return dst
		}
		dst = e.spans(second, dst)
		end := len(dst)
		left, right := dst[base:mid], dst[mid:end]
		if first != n.kids[0] {
			left, right = right, left
		}
		nearPairs(left, right, n, func(a, b span) bool {
			dst = append(dst, span{slot: a.slot, p0: min(a.p0, b.p0), p1: max(a.p1, b.p1),
				start: min(a.start, b.start), end: max(a.end, b.end)})
			return len(dst)-end < maxSpans
		})
		k := copy(dst[base:], dst[end:])
		dst = dst[:base+k]
	}
	return dst
}

// hasNear reports whether a NEAR is under n.
func hasNear(n *node) bool {
	return n.kind == nodeNear || slices.ContainsFunc(n.kids, hasNear)
}

func (e *evaluator) termSpans(t *term, scope fieldMask, dst []span) []span {
	for _, o := range e.look.occurrences(t) {
		if e.inScope(o.slot, scope) {
			dst = append(dst, span{slot: o.slot, p0: o.pos, p1: o.pos + o.width - 1, start: o.start, end: o.end})
		}
	}
	return dst
}

// maxSpans bounds the pairs one NEAR reports, so that an item repeating a
// word thousands of times costs bounded time and memory. Pairs beyond it
// are not highlighted, and an enclosing NEAR does not see them.
const maxSpans = 1024

// nearPairs calls yield for each pair of spans of left and right that are
// near in the sense of n, until yield returns false. It sorts both slices
// in place and looks at each left span's window only, so a long item costs
// O(n log n) rather than the product of the operands' occurrences.
func nearPairs(left, right []span, n *node, yield func(a, b span) bool) {
	bySlotPos := func(a, b span) int { return cmp.Or(cmp.Compare(a.slot, b.slot), cmp.Compare(a.p0, b.p0)) }
	slices.SortFunc(left, bySlotPos)
	slices.SortFunc(right, bySlotPos)
	widest := int32(0)
	for _, b := range right {
		widest = max(widest, b.p1-b.p0)
	}
	dist := n.near
	for _, a := range left {
		// b may end up to dist before a starts, so start up to widest earlier.
		from, _ := slices.BinarySearchFunc(right, span{slot: a.slot, p0: a.p0 - dist - widest}, bySlotPos)
		for _, b := range right[from:] {
			if b.slot != a.slot || b.p0 > a.p1+dist {
				break
			}
			if near(a, b, int(n.near), n.ordered) && !yield(a, b) {
				return
			}
		}
	}
}

// near reports whether b follows a (or, unordered, either follows the
// other) in the same text with at most dist-1 words between them.
func near(a, b span, dist int, ordered bool) bool {
	if a.slot != b.slot {
		return false
	}
	if b.p0 > a.p1 && int(b.p0-a.p1) <= dist {
		return true
	}
	return !ordered && a.p0 > b.p1 && int(a.p0-b.p1) <= dist
}

// nearHits highlights both sides of each pair that satisfies the top NEAR
// of n; a nested NEAR contributes the window it spans.
func (e *evaluator) nearHits(n *node) {
	base := len(e.spanBuf)
	e.spanBuf = e.spans(n.kids[0], e.spanBuf)
	mid := len(e.spanBuf)
	e.spanBuf = e.spans(n.kids[1], e.spanBuf)
	pairs := 0
	nearPairs(e.spanBuf[base:mid], e.spanBuf[mid:], n, func(a, b span) bool {
		e.addHit(a.slot, a.start, a.end)
		e.addHit(b.slot, b.start, b.end)
		pairs++
		return pairs < maxSpans
	})
	e.spanBuf = e.spanBuf[:base]
}

// scanLookup is the reference lookup: it compares the term with every
// token, once per term (the result is kept, since phrases ask again). The
// result is kept by the term's value: a query alone does not share the
// terms of a word it repeats, and a phrase of 2,000 of them must not scan
// the item 2,000 times.
type scanLookup struct {
	doc  *normDoc
	seen map[term][]tok
}

func (l *scanLookup) occurrences(t *term) []tok {
	if occ, ok := l.seen[*t]; ok {
		return occ
	}
	out := []tok{}
	nd := l.doc
	switch t.kind {
	case termSite:
		if nd.linkSlot >= 0 && hostMatches(nd.host, t.text) {
			out = append(out, nd.hostTok())
		}
	case termWord:
		for _, o := range nd.toks {
			if string(nd.n.arena[o.textStart:o.textEnd]) == t.text {
				out = append(out, o)
			}
		}
	case termPrefix:
		for _, o := range nd.toks {
			text := nd.n.arena[o.textStart:o.textEnd]
			if len(text) >= len(t.text) && string(text[:len(t.text)]) == t.text {
				out = append(out, o)
			}
		}
	}
	l.seen[*t] = out
	return out
}

// allFields is what a lone query needs normalized.
const allFields = ^fieldMask(0)

// Match evaluates the query alone against doc and returns the spans that
// made it match. It is the reference behaviour that a Set reproduces.
func (q *Query) Match(doc *Document) ([]Hit, bool) {
	var nd normDoc
	nd.load(doc, allFields)
	return q.matchNormalized(&nd)
}

// matchNormalized is Match on a document already normalized with allFields.
func (q *Query) matchNormalized(nd *normDoc) ([]Hit, bool) {
	hits, ok := evaluate(q.root, nd, &scanLookup{doc: nd, seen: map[term][]tok{}}, &evalBuffers{})
	return slices.Clone(hits), ok
}

// evalBuffers are an evaluator's reusable buffers.
type evalBuffers struct {
	hits  []Hit
	spans []span
}

// evaluate matches root against nd in one pass that collects hits as it
// goes. The hits returned live in buf, which the next call reuses.
func evaluate(root *node, nd *normDoc, look lookup, buf *evalBuffers) ([]Hit, bool) {
	e := evaluator{doc: nd, look: look, collect: true, hits: buf.hits[:0], spanBuf: buf.spans}
	ok := e.match(root)
	buf.hits, buf.spans = e.hits, e.spanBuf
	if !ok {
		return nil, false
	}
	return mergeHits(e.hits), true
}
