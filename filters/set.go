package filters

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// Set is every subscription's query compiled into one matcher, after the
// idea of Lucene Monitor: each query is indexed under terms that must occur
// in any document it matches, so that matching a document costs one
// normalization, one index lookup per word, and the evaluation of the few
// queries whose terms occur, however many queries the Set holds.
//
// Add is not safe for concurrent use; once built, Match is.
type Set struct {
	defines map[string]string
	ids     []string      // by query index
	roots   []*node       // by query index
	simple  []simpleQuery // by query index
	known   map[string]bool
	ranks   atomic.Pointer[[]int32] // query index to rank in ID order; nil after Add

	// The dictionary: every term of every query, by kind. An entry holds
	// the query groups the term is in, so that one lookup finds them.
	words, prefixes, sites map[string]termEntry
	terms                  int       // number of distinct terms; ids are 0..terms-1
	prefixLens             []int     // distinct byte lengths of prefixes, ascending
	need                   fieldMask // fields some query looks at

	// shared holds one copy of each term and of each single-word phrase,
	// which every query's nodes point to (see share).
	shared  map[term]*term
	singles map[*term][]element

	scratch sync.Pool // *matchScratch
}

// keyRef says that a term belongs to index group bit of query q, whose
// groups are all seen when the mask equals full.
type keyRef struct {
	q         int32
	bit, full uint8
}

// NewSet returns an empty Set whose queries may use the given defines.
func NewSet(defines map[string]string) *Set {
	return &Set{
		defines:  defines,
		known:    map[string]bool{},
		words:    map[string]termEntry{},
		prefixes: map[string]termEntry{},
		sites:    map[string]termEntry{},
		need:     maskDefault,
		shared:   map[term]*term{},
		singles:  map[*term][]element{},
	}
}

// Len returns the number of queries in the Set.
func (s *Set) Len() int { return len(s.ids) }

// Add parses query and adds it under id. The error is a *ParseError for a
// bad query, including one with no word that must occur in every item it
// matches (such a query would have to be evaluated against every item), and
// a plain error for a duplicate id.
func (s *Set) Add(id, query string) error {
	if s.known[id] {
		return fmt.Errorf("filters: duplicate query id %q", id)
	}
	q, err := Parse(query, s.defines)
	if err != nil {
		return err
	}
	groups, ok := indexGroups(q.root)
	if !ok {
		if side := unindexedSide(q.root); side != nil {
			var b strings.Builder
			writeNode(&b, side)
			return &ParseError{Query: query, Pos: int(side.col), Msg: fmt.Sprintf("the query needs a word, phrase, prefix or site: that every match contains, and %s, a side of OR, has none: "+
				"a regular expression or an exclusion cannot stand alone, since it would be tested on every item (add a word beside it: (%s AND WORD))", b.String(), b.String())}
		}
		return &ParseError{Query: query, Pos: 1, Msg: "the query needs a word, phrase, prefix or site: that every match contains; " +
			"a regular expression or an exclusion cannot stand alone, since it would be tested on every item (add a word, e.g. `/\\bUS\\b/ election`)"}
	}
	groups = pickGroups(groups)
	qi := int32(len(s.ids))
	s.ids = append(s.ids, id)
	s.roots = append(s.roots, q.root)
	s.simple = append(s.simple, simpleQuery{})
	s.known[id] = true
	s.ranks.Store(nil)
	s.intern(q.root)
	s.share(q.root)
	s.simple[qi] = simplify(q.root)
	s.need |= fieldsOf(q.root)
	for g, group := range groups {
		ref := keyRef{q: qi, bit: 1 << g, full: uint8(1)<<len(groups) - 1}
		for _, t := range group {
			dict := s.dictFor(t)
			if e := dict[t.text]; !slices.Contains(e.refs, ref) {
				e.refs = append(e.refs, ref)
				dict[t.text] = e
			}
		}
	}
	return nil
}

// termEntry is a dictionary entry: the term's id and the index groups of
// queries it belongs to.
type termEntry struct {
	id   int32
	refs []keyRef
}

func (s *Set) dictFor(t *term) map[string]termEntry {
	switch t.kind {
	case termPrefix:
		return s.prefixes
	case termSite:
		return s.sites
	}
	return s.words
}

// intern gives every term under n its id in the dictionary.
func (s *Set) intern(n *node) {
	walkTerms(n, func(t *term) {
		dict := s.dictFor(t)
		e, ok := dict[t.text]
		if !ok {
			e = termEntry{id: int32(s.terms)}
			s.terms++
			dict[t.text] = e
			if t.kind == termPrefix && !slices.Contains(s.prefixLens, len(t.text)) {
				s.prefixLens = append(s.prefixLens, len(t.text))
				slices.Sort(s.prefixLens)
			}
		}
		t.id = e.id
	})
}

// share makes the terms under n, once interned, the Set's one copy of
// each, and a single word's phrase the one phrase of that word. Ten
// thousand queries over a newsroom's vocabulary repeat the same words:
// their terms and phrases were most of a Set's memory. Terms and phrases
// are never written after intern, so queries may share them.
func (s *Set) share(n *node) {
	if n.word != nil {
		t := s.sharedTerm(n.word)
		ph, ok := s.singles[t]
		if !ok {
			ph = []element{{{t}}}
			s.singles[t] = ph
		}
		n.phrase, n.word = ph, t
	} else {
		for _, el := range n.phrase {
			for _, alt := range el {
				for i, t := range alt {
					alt[i] = s.sharedTerm(t)
				}
			}
		}
	}
	if n.term != nil {
		n.term = s.sharedTerm(n.term)
	}
	for _, k := range n.kids {
		s.share(k)
	}
}

func (s *Set) sharedTerm(t *term) *term {
	if c, ok := s.shared[*t]; ok {
		return c
	}
	s.shared[*t] = t
	return t
}

func walkTerms(n *node, fn func(*term)) {
	if n.term != nil {
		fn(n.term)
	}
	for _, el := range n.phrase {
		for _, alt := range el {
			for _, t := range alt {
				fn(t)
			}
		}
	}
	for _, k := range n.kids {
		walkTerms(k, fn)
	}
}

// fieldsOf returns the fields the leaves under n look at.
func fieldsOf(n *node) fieldMask {
	m := n.scope
	for _, k := range n.kids {
		m |= fieldsOf(k)
	}
	return m
}

// A group is a set of terms of which at least one occurs in every document
// a query matches. A query is indexed under several groups (a conjunction
// of disjunctions) and becomes a candidate only when all of them occur,
// so "dental NEAR/5 coronavirus" is not evaluated on every item about the
// coronavirus.
type group []*term

// maxGroups bounds the groups per query: a bit each in a uint8.
const maxGroups = 3

// indexGroups returns necessary groups for n; ok is false when there are
// none (NOT, a regex), so the query cannot be indexed.
func indexGroups(n *node) (groups []group, ok bool) {
	switch n.kind {
	case nodePrefix, nodeSite:
		return []group{{n.term}}, true
	case nodeText:
		for _, el := range n.phrase {
			var g group
			for _, alt := range el {
				g = append(g, slices.MaxFunc(alt, func(a, b *term) int { return cmp.Compare(len(a.text), len(b.text)) }))
			}
			groups = append(groups, g)
		}
		return groups, true
	case nodeField, nodeDefine:
		return indexGroups(n.kids[0])
	case nodeOr:
		// Any one kid's best group, joined: a match of the OR matches a kid.
		var union group
		for _, k := range n.kids {
			gs, ok := indexGroups(k)
			if !ok {
				return nil, false
			}
			union = append(union, pickGroups(gs)[0]...)
		}
		return []group{union}, true
	case nodeAnd, nodeNear:
		for _, k := range n.kids {
			if gs, ok := indexGroups(k); ok {
				groups = append(groups, gs...)
			}
		}
		return groups, len(groups) > 0
	}
	return nil, false
}

// unindexedSide finds, in a query indexGroups cannot index, the side of
// an OR to blame: the first without a term every match of it contains
// (the innermost such OR's). It is nil when no OR is to blame (a regex
// alone), and a define's @name for a define's OR, whose columns are the
// define's.
func unindexedSide(n *node) *node {
	switch n.kind {
	case nodeField:
		return unindexedSide(n.kids[0])
	case nodeAnd, nodeNear: // none of the kids can be indexed
		for _, k := range n.kids {
			if side := unindexedSide(k); side != nil {
				return side
			}
		}
	case nodeOr:
		for _, k := range n.kids {
			if _, ok := indexGroups(k); !ok {
				if side := unindexedSide(k); side != nil {
					return side
				}
				return k
			}
		}
	}
	return nil
}

// pickGroups keeps the most selective group, and up to maxGroups-1 others
// that are selective enough to be worth checking.
func pickGroups(groups []group) []group {
	sorted := slices.Clone(groups)
	slices.SortStableFunc(sorted, func(a, b group) int { return cmp.Compare(selectivity(b), selectivity(a)) })
	out := sorted[:1]
	for _, g := range sorted[1:] {
		if len(out) == maxGroups || selectivity(g) < minExtraSelectivity {
			break
		}
		if !slices.ContainsFunc(out, func(o group) bool { return slices.Equal(o, g) }) {
			out = append(out, g)
		}
	}
	return out
}

// minExtraSelectivity: another group of short (under 3 letters) or common
// words would cost more to track than it saves.
const minExtraSelectivity = 3*8 - 4

// selectivity guesses how rarely a set of keys occurs, higher being rarer:
// long words are rare, function words are everywhere, and a document has
// to contain only one of the keys. The guess only decides which terms index
// a query, never whether it matches.
func selectivity(keys group) int {
	least := 1 << 30
	for _, k := range keys {
		l := utf8.RuneCountInString(k.text)
		switch {
		case k.kind == termSite:
			l = 3 // a site matches every item of the site
		case k.kind == termWord && commonWords[k.text]:
			l = 0
		}
		least = min(least, l)
	}
	return least*8 - len(keys)
}

// commonWords are words so frequent in news text that indexing a query
// under them would make it a candidate for almost every item.
var commonWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an and are as at be been but by for from had has have he her his
		i if in into is it its me more my new no not of on one or our out over says she so than that
		the their them then there these they this to up us was we were what when which who will with
		would you your after about all also can could do get just may now off said some`) {
		m[w] = true
	}
	return m
}()

// matchScratch holds the buffers of one Match call, reused through a pool.
type matchScratch struct {
	doc   normDoc
	posts []posting
	occ   []tok
	cands []int32
	terms []int32 // distinct terms of the document, in order of appearance
	eval  evalBuffers

	matched []matched
	hits    []Hit

	gen       uint32
	termSeen  []termState  // by term id
	querySeen []queryState // by query index
}

// termState is what one Match knows of a term: whether it occurs (gen) and
// where its occurrences are (occ[lo:hi]).
type termState struct {
	gen    uint32
	lo, hi int32
}

// queryState is what one Match knows of a query: the index groups seen in
// the document (mask), valid when gen is the Match's.
type queryState struct {
	gen  uint32
	mask uint8
}

// posting says that token tok (or the host, when tok is -1) is term id.
type posting struct{ id, tok int32 }

func (sc *matchScratch) prepare(terms, queries int) {
	sc.gen++
	if sc.gen == 0 || len(sc.termSeen) < terms || len(sc.querySeen) < queries {
		sc.termSeen = make([]termState, terms)
		sc.querySeen = make([]queryState, queries)
		sc.gen = 1
	}
	sc.posts = sc.posts[:0]
	sc.occ = sc.occ[:0]
	sc.cands = sc.cands[:0]
	sc.terms = sc.terms[:0]
}

// occurrences implements lookup from the postings of the current document.
func (sc *matchScratch) occurrences(t *term) []tok {
	if t.id < 0 {
		return nil
	}
	if st := sc.termSeen[t.id]; st.gen == sc.gen {
		return sc.occ[st.lo:st.hi]
	}
	return nil
}

// Match returns the queries that match doc, sorted by ID, each with the
// spans to highlight. It is safe for concurrent use once the Set is built.
func (s *Set) Match(doc *Document) []Match {
	sc, _ := s.scratch.Get().(*matchScratch)
	if sc == nil {
		sc = &matchScratch{}
	}
	defer s.scratch.Put(sc)
	sc.prepare(s.terms, len(s.ids))
	sc.doc.load(doc, s.need)
	s.post(sc)
	if len(sc.cands) == 0 {
		return nil
	}
	sc.placeOccurrences()
	sc.matched, sc.hits = sc.matched[:0], sc.hits[:0]
	for _, qi := range sc.cands {
		var hits []Hit
		var ok bool
		if sq := &s.simple[qi]; sq.n > 0 {
			hits, ok = sc.matchSimple(sq)
		} else {
			hits, ok = evaluate(s.roots[qi], &sc.doc, sc, &sc.eval)
		}
		if ok {
			lo := int32(len(sc.hits))
			sc.hits = append(sc.hits, hits...)
			sc.matched = append(sc.matched, matched{qi, lo, int32(len(sc.hits))})
		}
	}
	return s.results(sc)
}

// idRanks returns each query's rank in ID order, computing it on the first
// Match after an Add. Concurrent first Matches may each compute it; they
// store equal slices.
func (s *Set) idRanks() []int32 {
	if r := s.ranks.Load(); r != nil {
		return *r
	}
	order := make([]int32, len(s.ids))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(s.ids[a], s.ids[b]) })
	ranks := make([]int32, len(s.ids))
	for rank, qi := range order {
		ranks[qi] = int32(rank)
	}
	s.ranks.Store(&ranks)
	return ranks
}

// simpleQuery is the flat form of the commonest queries, a word or an OR
// of words, prefixes and sites: matching it needs no walk of the syntax
// tree, whose nodes are scattered in memory. n is 0 for other queries.
type simpleQuery struct {
	n     uint8
	scope [maxSimple]fieldMask
	ids   [maxSimple]int32
}

const maxSimple = 4

// simplify returns the flat form of root, or n == 0 when it has none. It
// must run after intern, which gives the terms their ids.
func simplify(root *node) simpleQuery {
	var sq simpleQuery
	var walk func(n *node) bool
	walk = func(n *node) bool {
		switch n.kind {
		case nodeOr:
			for _, k := range n.kids {
				if !walk(k) {
					return false
				}
			}
			return true
		case nodeField, nodeDefine:
			return walk(n.kids[0])
		}
		t := n.term
		if n.kind == nodeText {
			t = n.word
		}
		if t == nil || int(sq.n) == maxSimple {
			return false
		}
		sq.ids[sq.n], sq.scope[sq.n] = t.id, n.scope
		sq.n++
		return true
	}
	if !walk(root) {
		return simpleQuery{}
	}
	return sq
}

// matchSimple evaluates a simple query from the term occurrences alone.
func (sc *matchScratch) matchSimple(sq *simpleQuery) ([]Hit, bool) {
	hits := sc.eval.hits[:0]
	for i := range sq.n {
		st := sc.termSeen[sq.ids[i]]
		if st.gen != sc.gen {
			continue
		}
		found := 0 // at most maxSpans places a word, as evaluate keeps
		for _, o := range sc.occ[st.lo:st.hi] {
			if found == maxSpans {
				break // the rest of a common word's places would be read for nothing
			}
			if t := &sc.doc.texts[o.slot]; t.mask&sq.scope[i] != 0 {
				hits = append(hits, Hit{Field: t.field, Index: t.index, Start: int(o.start), End: int(o.end)})
				found++
			}
		}
	}
	sc.eval.hits = hits
	if len(hits) == 0 {
		return nil, false
	}
	return mergeHits(hits), true
}

// matched is a query that matched, with its hits in matchScratch.hits.
type matched struct{ query, lo, hi int32 }

// results copies the matches out of the scratch buffers, with two
// allocations however many queries matched.
func (s *Set) results(sc *matchScratch) []Match {
	if len(sc.matched) == 0 {
		return nil
	}
	ranks := s.idRanks()
	slices.SortFunc(sc.matched, func(a, b matched) int {
		return cmp.Compare(ranks[a.query], ranks[b.query])
	})
	hits := slices.Clone(sc.hits)
	out := make([]Match, len(sc.matched))
	for i, m := range sc.matched {
		out[i] = Match{ID: s.ids[m.query], Hits: hits[m.lo:m.hi:m.hi]}
	}
	return out
}

// post looks up every token of the document in the dictionary, and the
// link's host and its parent domains; it notes where each term occurs and
// which queries have now seen all their index groups.
func (s *Set) post(sc *matchScratch) {
	nd := &sc.doc
	for i, t := range nd.toks {
		text := nd.n.arena[t.textStart:t.textEnd]
		if e, ok := s.words[string(text)]; ok {
			sc.see(e, int32(i))
		}
		for _, l := range s.prefixLens {
			if l > len(text) {
				break
			}
			if l < len(text) && !utf8.RuneStart(text[l]) {
				continue
			}
			if e, ok := s.prefixes[string(text[:l])]; ok {
				sc.see(e, int32(i))
			}
		}
	}
	if nd.linkSlot >= 0 && len(s.sites) > 0 {
		for host := nd.host; host != ""; {
			if e, ok := s.sites[host]; ok {
				sc.see(e, -1)
			}
			_, rest, found := strings.Cut(host, ".")
			if !found {
				break
			}
			host = rest
		}
	}
}

// see records that term e occurs at token tok (-1: the link's host). On a
// term's first occurrence in the document it advances the queries indexed
// under it, making candidates of those whose groups have all been seen.
func (sc *matchScratch) see(e termEntry, tok int32) {
	sc.posts = append(sc.posts, posting{e.id, tok})
	st := &sc.termSeen[e.id]
	if st.gen == sc.gen {
		st.hi++ // a count, for now
		return
	}
	*st = termState{gen: sc.gen, hi: 1}
	sc.terms = append(sc.terms, e.id)
	for _, ref := range e.refs {
		qs := &sc.querySeen[ref.q]
		if qs.gen != sc.gen {
			*qs = queryState{gen: sc.gen}
		}
		before := qs.mask
		qs.mask |= ref.bit
		if qs.mask == ref.full && before != ref.full {
			sc.cands = append(sc.cands, ref.q)
		}
	}
}

// placeOccurrences lays out the occurrences of each term contiguously in
// occ, using the counts that see made: a counting sort by term.
func (sc *matchScratch) placeOccurrences() {
	next := int32(0)
	for _, id := range sc.terms {
		st := &sc.termSeen[id]
		count := st.hi
		st.lo, st.hi = next, next // hi is the fill pointer, then the end
		next += count
	}
	sc.occ = slices.Grow(sc.occ[:0], len(sc.posts))[:len(sc.posts)]
	nd := &sc.doc
	for _, p := range sc.posts {
		st := &sc.termSeen[p.id]
		if p.tok >= 0 {
			sc.occ[st.hi] = nd.toks[p.tok]
		} else {
			sc.occ[st.hi] = nd.hostTok()
		}
		st.hi++
	}
}
