package filters

import (
	"fmt"
	"testing"
	"sort"
)

func TestZZStats(t *testing.T) {
	docs := loadCorpus(t)
	v := buildVocabulary(docs)
	fmt.Println("vocab", len(v.words), "bigrams", len(v.bigrams))
	queries := generateQueries(v, 10000, 42, false)
	set := NewSet(nil)
	for i, q := range queries {
		set.Add(fmt.Sprint(i), q)
	}
	cands, matches := 0, 0
	perQ := map[int32]int{}
	for i := range docs {
		sc := &matchScratch{}
		sc.prepare(len(set.keyQueries), len(set.queries))
		sc.doc.load(&docs[i], set.need)
		set.post(sc)
		set.gatherCandidates(sc)
		cands += len(sc.cands)
		for _, c := range sc.cands { perQ[c]++ }
		matches += len(set.Match(&docs[i]))
	}
	fmt.Println("cands/item", float64(cands)/float64(len(docs)), "matches/item", float64(matches)/float64(len(docs)))
	type kv struct{ q int32; n int }
	var kvs []kv
	for q, n := range perQ { kvs = append(kvs, kv{q, n}) }
	sort.Slice(kvs, func(i, j int) bool { return kvs[i].n > kvs[j].n })
	for _, x := range kvs[:30] { fmt.Println(x.n, queries[x.q]) }
}
