package filters

import "slices"


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
	if !e.collect {
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

func (e *evaluator) matchTerm(t *term, scope fieldMask) bool {
	ok := false
	for _, o := range e.look.occurrences(t) {
		if e.inScope(o.slot, scope) {
			if !e.collect {
				return true
			}
			ok = true
			e.addHit(o.slot, o.start, o.end)
		}
	}
	return ok
}

func (e *evaluator) matchText(n *node) bool {
	if len(n.phrase) == 1 && len(n.phrase[0]) == 1 && len(n.phrase[0][0]) == 1 {
		return e.matchTerm(n.phrase[0][0][0], n.scope)
	}
	ok := false
	e.phraseSpans(n, func(s span) bool {
		ok = true
		e.addHit(s.slot, s.start, s.end)
		return e.collect
	})
	return ok
}

// phraseSpans calls yield for each place the phrase of n occurs, until yield
// returns false.
func (e *evaluator) phraseSpans(n *node, yield func(span) bool) {
	seen := map[tok]bool(nil)
	for _, alt := range n.phrase[0] {
		for _, o := range e.look.occurrences(alt[0]) {
			if !e.inScope(o.slot, n.scope) {
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
			if last, end, ok := e.phraseFrom(n.phrase, o.slot, o.pos); ok {
				if !yield(span{slot: o.slot, p0: o.pos, p1: last, start: o.start, end: end}) {
					return
				}
			}
		}
	}
}

// phraseFrom matches elems starting at word position pos of slot, and
// returns the last position and the end byte of the match.
func (e *evaluator) phraseFrom(elems []element, slot, pos int32) (last, end int32, ok bool) {
	for _, alt := range elems[0] {
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
		if len(elems) == 1 {
			return p - 1, o.end, true
		}
		if last, end, ok := e.phraseFrom(elems[1:], slot, p); ok {
			return last, end, true
		}
	}
	return 0, 0, false
}

func (e *evaluator) occurrenceAt(t *term, slot, pos int32) (tok, bool) {
	for _, o := range e.look.occurrences(t) {
		if o.slot == slot && o.pos == pos {
			return o, true
		}
	}
	return tok{}, false
}

func (e *evaluator) matchRegex(n *node) bool {
	ok := false
	for slot, t := range e.doc.texts {
		if t.mask&n.scope == 0 {
			continue
		}
		if !e.collect {
			if n.re.MatchString(t.text) {
				return true
			}
			continue
		}
		for _, m := range n.re.FindAllStringIndex(t.text, -1) {
			ok = true
			if m[1] > m[0] {
				e.addHit(int32(slot), int32(m[0]), int32(m[1]))
			}
		}
	}
	return ok
}

func (e *evaluator) matchNear(n *node) bool {
	base := len(e.spanBuf)
	e.spanBuf = e.spans(n, e.spanBuf)
	found := len(e.spanBuf) > base
	e.spanBuf = e.spanBuf[:base]
	if found && e.collect {
		e.nearHits(n)
	}
	return found
}

// spans lists where the positional node n occurs, appending to dst. For
// NEAR it uses dst past its length as scratch space for the operands.
func (e *evaluator) spans(n *node, dst []span) []span {
	switch n.kind {
	case nodeText:
		e.phraseSpans(n, func(s span) bool {
			dst = append(dst, s)
			return true
		})
	case nodePrefix:
		for _, o := range e.look.occurrences(n.term) {
			if e.inScope(o.slot, n.scope) {
				dst = append(dst, span{slot: o.slot, p0: o.pos, p1: o.pos + o.width - 1, start: o.start, end: o.end})
			}
		}
	case nodeOr:
		for _, k := range n.kids {
			dst = e.spans(k, dst)
		}
	case nodeField, nodeDefine:
		dst = e.spans(n.kids[0], dst)
	case nodeNear:
		base := len(dst)
		dst = e.spans(n.kids[0], dst)
		mid := len(dst)
		if mid == base {
			return dst
		}
		dst = e.spans(n.kids[1], dst)
		end := len(dst)
		for i := base; i < mid; i++ {
			for j := mid; j < end; j++ {
				a, b := dst[i], dst[j]
				if near(a, b, n.near, n.ordered) {
					dst = append(dst, span{slot: a.slot, p0: min(a.p0, b.p0), p1: max(a.p1, b.p1),
						start: min(a.start, b.start), end: max(a.end, b.end)})
				}
			}
		}
		k := copy(dst[base:], dst[end:])
		dst = dst[:base+k]
	}
	return dst
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
	for i := base; i < mid; i++ {
		for j := mid; j < len(e.spanBuf); j++ {
			if a, b := e.spanBuf[i], e.spanBuf[j]; near(a, b, n.near, n.ordered) {
				e.addHit(a.slot, a.start, a.end)
				e.addHit(b.slot, b.start, b.end)
			}
		}
	}
	e.spanBuf = e.spanBuf[:base]
}

// scanLookup is the reference lookup: it compares the term with every token.
type scanLookup struct{ doc *normDoc }

func (l scanLookup) occurrences(t *term) []tok {
	var out []tok
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
	return evaluate(q.root, nd, scanLookup{nd}, &evalBuffers{})
}

// evalBuffers are an evaluator's reusable buffers.
type evalBuffers struct {
	hits  []Hit
	spans []span
}

// evaluate matches root against nd in one pass that collects hits as it
// goes; buf may be reused across calls, the hits returned are not.
func evaluate(root *node, nd *normDoc, look lookup, buf *evalBuffers) ([]Hit, bool) {
	e := evaluator{doc: nd, look: look, collect: true, hits: buf.hits[:0], spanBuf: buf.spans}
	ok := e.match(root)
	buf.hits, buf.spans = e.hits, e.spanBuf
	if !ok {
		return nil, false
	}
	return slices.Clone(mergeHits(e.hits)), true
}
