package filters

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/newshound/newshound/internal/golden"
)

var update = flag.Bool("update", false, "rewrite testdata golden files from the current output")

// goldenItem is one invented item of testdata/items.jsonl. Want, when
// present, is the hand-written label: the IDs of exactly the queries that
// must match.
type goldenItem struct {
	ID string `json:"id"`
	Document
	Want *[]string `json:"want"`
}

func (it *goldenItem) UnmarshalJSON(b []byte) error {
	var raw struct {
		ID         string    `json:"id"`
		Title      string    `json:"title"`
		Summary    string    `json:"summary"`
		Content    string    `json:"content"`
		Author     string    `json:"author"`
		Categories []string  `json:"categories"`
		Link       string    `json:"link"`
		Feed       string    `json:"feed"`
		Want       *[]string `json:"want"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*it = goldenItem{ID: raw.ID, Want: raw.Want, Document: Document{
		Title: raw.Title, Summary: raw.Summary, Content: raw.Content, Author: raw.Author,
		Categories: raw.Categories, Link: raw.Link, Feed: raw.Feed,
	}}
	return nil
}

// readTSV reads "key<TAB>value" lines, skipping blank lines and # comments.
func readTSV(t *testing.T, name string) (keys []string, values map[string]string) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	values = map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("%s: line %q has no tab", name, line)
		}
		keys = append(keys, k)
		values[k] = v
	}
	return keys, values
}

func readGoldenItems(t *testing.T) []goldenItem {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "items.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var items []goldenItem
	for i, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var it goldenItem
		if err := json.Unmarshal(line, &it); err != nil {
			t.Fatalf("items.jsonl:%d: %v", i+1, err)
		}
		items = append(items, it)
	}
	return items
}

// TestGolden matches the invented items against the golden queries. It
// checks the hand labels, that the Set agrees with each query evaluated
// alone, and the full output (with matched words) against
// testdata/matches.golden; go test -update rewrites that file.
func TestGolden(t *testing.T) {
	_, defines := readTSV(t, "defines.txt")
	ids, queries := readTSV(t, "queries.txt")
	items := readGoldenItems(t)
	if len(items) < 200 || len(ids) < 30 {
		t.Fatalf("golden set has %d items and %d queries, want at least 200 and 30", len(items), len(ids))
	}
	set := NewSet(defines)
	parsed := map[string]*Query{}
	for _, id := range ids {
		if err := set.Add(id, queries[id]); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		q, err := Parse(queries[id], defines)
		if err != nil {
			t.Fatal(err)
		}
		parsed[id] = q
	}
	var out strings.Builder
	counts := map[string]int{}
	for _, it := range items {
		got := set.Match(&it.Document)
		var want []Match
		for _, id := range ids {
			if hits, ok := parsed[id].Match(&it.Document); ok {
				want = append(want, Match{ID: id, Hits: hits})
			}
		}
		if !equalMatches(got, want) {
			t.Errorf("%s %q: Set.Match %v, Query.Match %v", it.ID, it.Title, got, want)
		}
		var gotIDs []string
		for _, m := range got {
			gotIDs = append(gotIDs, m.ID)
			counts[m.ID]++
			fmt.Fprintf(&out, "%s %s %q\n", it.ID, m.ID, MatchedWords(&it.Document, m.Hits))
		}
		if it.Want != nil && !slices.Equal(gotIDs, *it.Want) {
			t.Errorf("%s %q: matched %v, labelled %v", it.ID, it.Title, gotIDs, *it.Want)
		}
	}
	for _, id := range ids {
		if counts[id] == 0 {
			t.Errorf("query %s (%s) matches no golden item", id, queries[id])
		}
	}
	golden.Check(t, filepath.Join("testdata", "matches.golden"), []byte(out.String()), *update)
}
