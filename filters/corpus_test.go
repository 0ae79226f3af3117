package filters

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/newshound/newshound/internal/corpus"
)

// loadCorpus reads the real-world items the corpus README describes, or
// skips the test when the corpus is not there.
func loadCorpus(tb testing.TB) []Document {
	tb.Helper()
	corpusItems := filepath.Join(corpus.Dir(tb), "topics", "items_from_staged_feeds.jsonl")
	f, err := os.Open(corpusItems)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var docs []Document
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var it struct {
			File       string   `json:"file"`
			Title      string   `json:"title"`
			Summary    string   `json:"summary"`
			Link       string   `json:"link"`
			Categories []string `json:"categories"`
		}
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			tb.Fatalf("%s: %v", corpusItems, err)
		}
		docs = append(docs, Document{
			Title: it.Title, Summary: it.Summary, Link: it.Link,
			Categories: it.Categories, Feed: feedName(it.File),
		})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return docs
}

// feedName names a corpus item's feed after its file: the series folder,
// or the file name of a single feed.
func feedName(file string) string {
	dir, base := path.Split(file)
	if strings.Contains(dir, "/series/") {
		return path.Base(dir)
	}
	return strings.TrimSuffix(base, path.Ext(base))
}

// vocabulary is the corpus's words and word pairs, for generating queries
// that do occur in the items.
type vocabulary struct {
	words   []string    // distinct words of 3 letters or more, sorted
	bigrams [][2]string // distinct adjacent words of one title or summary, in corpus order
	hosts   []string
}

func buildVocabulary(docs []Document) vocabulary {
	seen := map[string]bool{}
	seenBigram := map[[2]string]bool{}
	seenHost := map[string]bool{}
	var v vocabulary
	for _, d := range docs {
		for _, text := range []string{d.Title, d.Summary} {
			var prev string
			for _, t := range Normalize(text) {
				if t.Width > 1 {
					continue
				}
				if len([]rune(t.Text)) >= 3 && !seen[t.Text] {
					seen[t.Text] = true
					v.words = append(v.words, t.Text)
				}
				bg := [2]string{prev, t.Text}
				if prev != "" && !seenBigram[bg] && !(commonWords[bg[0]] && commonWords[bg[1]]) {
					// Distinct pairs, so that frequent ones are not drawn more
					// often, and no pair of function words: nobody subscribes
					// to "of the".
					seenBigram[bg] = true
					v.bigrams = append(v.bigrams, bg)
				}
				prev = t.Text
			}
		}
		var nd normDoc
		nd.loadHost(d.Link)
		if nd.host != "" && !seenHost[nd.host] {
			seenHost[nd.host] = true
			v.hosts = append(v.hosts, nd.host)
		}
	}
	sort.Strings(v.words)
	sort.Strings(v.hosts)
	return v
}

// generateQueries makes n queries from the vocabulary, the mix a bot with
// many subscriptions sees: single words, pairs, phrases, ORs and NEAR.
// With every operator, the queries also use prefixes, fields, sites and
// regular expressions.
func generateQueries(v vocabulary, n int, seed uint64, everyOperator bool) []string {
	r := rand.New(rand.NewPCG(seed, 0))
	word := func() string { return v.words[r.IntN(len(v.words))] }
	bigram := func() [2]string { return v.bigrams[r.IntN(len(v.bigrams))] }
	kinds := 6
	if everyOperator {
		kinds = 13
	}
	out := make([]string, 0, n)
	for len(out) < n {
		var q string
		switch r.IntN(kinds) {
		case 0, 1:
			q = word()
		case 2:
			q = word() + " " + word()
		case 3:
			b := bigram()
			q = `"` + b[0] + " " + b[1] + `"`
		case 4:
			q = "(" + word() + " OR " + word() + " OR " + word() + ")"
		case 5:
			b := bigram()
			q = fmt.Sprintf("%s NEAR/%d %s", b[1], 1+r.IntN(5), b[0])
		case 6:
			b := bigram()
			q = fmt.Sprintf("%s ONEAR/%d %s", b[0], 1+r.IntN(3), b[1])
		case 7:
			w := word()
			q = w[:min(len(w), 3+r.IntN(3))] + "*"
			if _, err := Parse(q, nil); err != nil {
				q = w
			}
		case 8:
			q = word() + " -" + word()
		case 9:
			fields := []string{"title", "summary", "category", "link", "feed"}
			q = fields[r.IntN(len(fields))] + ":" + word()
		case 10:
			q = "site:" + v.hosts[r.IntN(len(v.hosts))] + " " + word()
		case 11:
			w := word()
			q = fmt.Sprintf(`/(?i)\b%s/ %s`, w[:1], w)
		case 12:
			b := bigram()
			q = fmt.Sprintf(`"%s %s" OR (%s NOT %s)`, b[0], b[1], word(), b[1])
		}
		out = append(out, q)
	}
	return out
}

// TestSetEquivalenceCorpus checks the Set against the reference: on every
// corpus item, Set.Match returns exactly the queries, and hits, that
// evaluating each query alone returns.
func TestSetEquivalenceCorpus(t *testing.T) {
	docs := loadCorpus(t)
	v := buildVocabulary(docs)
	queries := generateQueries(v, 800, 1, true)
	queries = append(queries, goldenishQueries...)
	set := NewSet(nil)
	parsed := map[string]*Query{}
	for i, q := range queries {
		id := fmt.Sprintf("q%04d", i)
		if err := set.Add(id, q); err != nil {
			t.Fatalf("Add(%q): %v", q, err)
		}
		parsed[id], _ = Parse(q, nil)
	}
	ids := slices.Sorted(func(yield func(string) bool) {
		for id := range parsed {
			if !yield(id) {
				return
			}
		}
	})
	step := 1
	if raceDetector {
		step = 10
	}
	matched, checked := 0, 0
	var nd normDoc
	for di := 0; di < len(docs); di += step {
		d := &docs[di]
		checked++
		// Query.Match normalizes the item for each query; to keep the test
		// short it runs as such on every 50th item, and on the others the
		// same reference evaluation shares one normalization.
		literal := di%50 == 0
		nd.load(d, allFields)
		var want []Match
		for _, id := range ids {
			var hits []Hit
			var ok bool
			if literal {
				hits, ok = parsed[id].Match(d)
			} else {
				hits, ok = parsed[id].matchNormalized(&nd)
			}
			if ok {
				want = append(want, Match{ID: id, Hits: hits})
			}
		}
		got := set.Match(d)
		matched += len(got)
		if !equalMatches(got, want) {
			t.Fatalf("item %d %q:\n Set.Match  %v\n Query.Match %v", di, d.Title, got, want)
		}
	}
	t.Logf("%d items, %d queries, %d matches", checked, len(queries), matched)
	if matched < checked/10 {
		t.Errorf("only %d matches: the generated queries do not exercise the matcher", matched)
	}
}

// goldenishQueries are hand-written queries run on the corpus too.
var goldenishQueries = []string{
	"coronavirus", `"prime minister"`, "trump NEAR/5 china", "covid-19", "lockdown*",
	"title:(brexit OR eu)", "site:bbc.co.uk health", `/\bUS\b/ cases`, "us", "cease-fire",
}

func equalMatches(a, b []Match) bool {
	return slices.EqualFunc(a, b, func(x, y Match) bool {
		return x.ID == y.ID && slices.Equal(x.Hits, y.Hits)
	})
}
