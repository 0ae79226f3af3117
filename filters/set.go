package filters

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
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
	queries []setQuery
	ids     map[string]bool

	// The dictionary: every term of every query, by kind, to its id.
	words, prefixes, sites map[string]int32
	prefixLens             []int     // distinct byte lengths of prefixes, ascending
	keyQueries             [][]int32 // by term id: queries indexed under the term
	need                   fieldMask // fields some query looks at

	scratch sync.Pool // *matchScratch
}

type setQuery struct {
	id string
	q  *Query
}

// NewSet returns an empty Set whose queries may use the given defines.
func NewSet(defines map[string]string) *Set {
	return &Set{
		defines:  defines,
		ids:      map[string]bool{},
		words:    map[string]int32{},
		prefixes: map[string]int32{},
		sites:    map[string]int32{},
		need:     maskDefault,
	}
}

// Len returns the number of queries in the Set.
func (s *Set) Len() int { return len(s.queries) }

// Add parses query and adds it under id. The error is a *ParseError for a
// bad query; it is a plain error for a duplicate id or a query that has no
// word that must occur in every item it matches (such a query would have to
// be evaluated against every item).
func (s *Set) Add(id, query string) error {
	if s.ids[id] {
		return fmt.Errorf("filters: duplicate query id %q", id)
	}
	q, err := Parse(query, s.defines)
	if err != nil {
		return err
	}
	keys, ok := indexKeys(q.root)
	if !ok {
		return fmt.Errorf("query %q: every match must contain a word, phrase, prefix or site: the set indexes queries by them; a regular expression or an exclusion cannot stand alone (add a word, e.g. `/\\bUS\\b/ election`)", query)
	}
	qi := int32(len(s.queries))
	s.queries = append(s.queries, setQuery{id: id, q: q})
	s.ids[id] = true
	s.intern(q.root)
	s.need |= fieldsOf(q.root)
	for _, k := range keys {
		if qs := s.keyQueries[k.id]; len(qs) == 0 || qs[len(qs)-1] != qi {
			s.keyQueries[k.id] = append(qs, qi)
		}
	}
	return nil
}

// intern gives every term under n its id in the dictionary.
func (s *Set) intern(n *node) {
	walkTerms(n, func(t *term) {
		dict := s.words
		switch t.kind {
		case termPrefix:
			dict = s.prefixes
		case termSite:
			dict = s.sites
		}
		id, ok := dict[t.text]
		if !ok {
			id = int32(len(s.keyQueries))
			dict[t.text] = id
			s.keyQueries = append(s.keyQueries, nil)
			if t.kind == termPrefix && !slices.Contains(s.prefixLens, len(t.text)) {
				s.prefixLens = append(s.prefixLens, len(t.text))
				slices.Sort(s.prefixLens)
			}
		}
		t.id = id
	})
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

// indexKeys returns terms of which at least one occurs in every document
// that n matches; ok is false when there are none (NOT, a regex).
func indexKeys(n *node) (keys []*term, ok bool) {
	switch n.kind {
	case nodePrefix, nodeSite:
		return []*term{n.term}, true
	case nodeText:
		return phraseKeys(n.phrase), true
	case nodeField, nodeDefine:
		return indexKeys(n.kids[0])
	case nodeOr:
		for _, k := range n.kids {
			kk, ok := indexKeys(k)
			if !ok {
				return nil, false
			}
			keys = append(keys, kk...)
		}
		return keys, true
	case nodeAnd, nodeNear:
		// Any one operand's keys will do; prefer the most selective.
		for _, k := range n.kids {
			if kk, ok := indexKeys(k); ok && (keys == nil || selectivity(kk) > selectivity(keys)) {
				keys = kk
			}
		}
		return keys, keys != nil
	}
	return nil, false
}

// phraseKeys picks one element of a phrase, all of whose words must occur:
// for each alternative of the element, its most selective word.
func phraseKeys(phrase []element) []*term {
	var best []*term
	for _, el := range phrase {
		var keys []*term
		for _, alt := range el {
			keys = append(keys, slices.MaxFunc(alt, func(a, b *term) int { return cmp.Compare(len(a.text), len(b.text)) }))
		}
		if best == nil || selectivity(keys) > selectivity(best) {
			best = keys
		}
	}
	return best
}

// selectivity guesses how rarely a set of keys occurs, higher being rarer:
// long words are rare, function words are everywhere, and a document has
// to contain only one of the keys. The guess only decides which terms index
// a query, never whether it matches.
func selectivity(keys []*term) int {
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

	gen      uint32
	termGen  []uint32 // == gen: the term occurs in this document
	termLo   []int32  // its occurrences are occ[termLo:termHi]
	termHi   []int32
	queryGen []uint32 // == gen: the query is already a candidate
}

// posting says that token tok (or the host, when tok is -1) is term id.
type posting struct{ id, tok int32 }

func (sc *matchScratch) prepare(terms, queries int) {
	sc.gen++
	if sc.gen == 0 || len(sc.termGen) < terms || len(sc.queryGen) < queries {
		sc.termGen = make([]uint32, terms)
		sc.termLo = make([]int32, terms)
		sc.termHi = make([]int32, terms)
		sc.queryGen = make([]uint32, queries)
		sc.gen = 1
	}
	sc.posts = sc.posts[:0]
	sc.occ = sc.occ[:0]
	sc.cands = sc.cands[:0]
}

// occurrences implements lookup from the postings of the current document.
func (sc *matchScratch) occurrences(t *term) []tok {
	if t.id < 0 || sc.termGen[t.id] != sc.gen {
		return nil
	}
	return sc.occ[sc.termLo[t.id]:sc.termHi[t.id]]
}

// Match returns the queries that match doc, sorted by ID, each with the
// spans to highlight. It is safe for concurrent use once the Set is built.
func (s *Set) Match(doc *Document) []Match {
	sc, _ := s.scratch.Get().(*matchScratch)
	if sc == nil {
		sc = &matchScratch{}
	}
	defer s.scratch.Put(sc)
	sc.prepare(len(s.keyQueries), len(s.queries))
	sc.doc.load(doc, s.need)
	s.post(sc)
	if len(sc.posts) == 0 {
		return nil
	}
	s.gatherCandidates(sc)
	var out []Match
	for _, qi := range sc.cands {
		if hits, ok := evaluate(s.queries[qi].q.root, &sc.doc, sc, &sc.eval); ok {
			out = append(out, Match{ID: s.queries[qi].id, Hits: hits})
		}
	}
	slices.SortFunc(out, func(a, b Match) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// post looks up every token of the document in the dictionary.
func (s *Set) post(sc *matchScratch) {
	nd := &sc.doc
	for i, t := range nd.toks {
		text := nd.n.arena[t.textStart:t.textEnd]
		if id, ok := s.words[string(text)]; ok {
			sc.posts = append(sc.posts, posting{id, int32(i)})
		}
		for _, l := range s.prefixLens {
			if l > len(text) {
				break
			}
			if l < len(text) && !utf8.RuneStart(text[l]) {
				continue
			}
			if id, ok := s.prefixes[string(text[:l])]; ok {
				sc.posts = append(sc.posts, posting{id, int32(i)})
			}
		}
	}
	if nd.linkSlot >= 0 && len(s.sites) > 0 {
		for host := nd.host; host != ""; {
			if id, ok := s.sites[host]; ok {
				sc.posts = append(sc.posts, posting{id, -1})
			}
			_, rest, found := strings.Cut(host, ".")
			if !found {
				break
			}
			host = rest
		}
	}
}

// gatherCandidates groups the postings by term, in two passes (count, then
// place) rather than a sort, and collects the queries indexed under the
// terms that occur.
func (s *Set) gatherCandidates(sc *matchScratch) {
	sc.terms = sc.terms[:0]
	for _, p := range sc.posts {
		if sc.termGen[p.id] != sc.gen {
			sc.termGen[p.id] = sc.gen
			sc.termHi[p.id] = 0
			sc.terms = append(sc.terms, p.id)
		}
		sc.termHi[p.id]++ // a count, for now
	}
	next := int32(0)
	for _, id := range sc.terms {
		sc.termLo[id] = next
		next += sc.termHi[id]
		sc.termHi[id] = sc.termLo[id] // the fill pointer, then the end
		for _, qi := range s.keyQueries[id] {
			if sc.queryGen[qi] != sc.gen {
				sc.queryGen[qi] = sc.gen
				sc.cands = append(sc.cands, qi)
			}
		}
	}
	sc.occ = slices.Grow(sc.occ[:0], len(sc.posts))[:len(sc.posts)]
	nd := &sc.doc
	for _, p := range sc.posts {
		o := nd.hostTok()
		if p.tok >= 0 {
			o = nd.toks[p.tok]
		}
		sc.occ[sc.termHi[p.id]] = o
		sc.termHi[p.id]++
	}
}
