package alert

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/internal/corpus"
)

// BenchmarkFeedTextChanges is the cost, per poll, of following a feed of
// 2,000 items (each with its own link) for live updates, as the poller
// does it: a TextPoll's Keys, EditedKeys given the signatures stored for
// those keys, and Changes given those and the edited items'. The feed was
// polled once before; since then one item in 20 gained a paragraph and
// one in 100 also had its headline edited (a new key under the same link).
// The store's answers are made once, outside the loop.
func BenchmarkFeedTextChanges(b *testing.B) {
	before := benchUpdateItems(b, 2000)
	_, sigs := TextChanges(before, nil)
	items := make([]feeds.Item, len(before))
	copy(items, before)
	wantChanges := 0
	for i := range items {
		it := &items[i]
		if i%20 != 0 {
			continue
		}
		wantChanges++
		it.Summary = fmt.Sprintf("Officials gave a further statement on item %d this afternoon, with figures for the region.\n\n", i) + it.Summary
		if i%100 == 0 {
			it.Title += " (updated 14:00 GMT)"
			it.Key = benchItemKey(it)
		}
	}
	textKeys := TextKeys(items)
	first := onlyKeys(sigs, textKeys)
	edited := EditedKeys(items, first)
	if len(edited) == 0 {
		b.Fatal("no edited headlines")
	}
	stored := maps.Clone(first)
	maps.Copy(stored, onlyKeys(sigs, edited))
	b.ReportAllocs()
	for b.Loop() {
		poll := NewTextPoll(items)
		if keys := poll.Keys(); len(keys) != len(textKeys) {
			b.Fatalf("%d text keys, want %d", len(keys), len(textKeys))
		}
		if keys := poll.EditedKeys(first); len(keys) != len(edited) {
			b.Fatalf("%d edited keys, want %d", len(keys), len(edited))
		}
		if changes, _ := poll.Changes(stored); len(changes) != wantChanges {
			b.Fatalf("%d changes, want %d", len(changes), wantChanges)
		}
	}
}

// benchUpdateItems are n items with their own links: the first ones of
// the corpus's real feeds' items, or invented ones when it is not there.
func benchUpdateItems(b *testing.B, n int) []feeds.Item {
	var items []feeds.Item
	links := map[string]bool{}
	corpusDir, ok, err := corpus.Locate()
	if err != nil {
		b.Fatal(err)
	}
	updatesCorpus := filepath.Join(corpusDir, "topics", "items_from_staged_feeds.jsonl")
	if ok {
		f, err := os.Open(updatesCorpus)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() && len(items) < n {
			var rec struct{ Title, Summary, Link string }
			if json.Unmarshal(sc.Bytes(), &rec) != nil || rec.Title == "" || rec.Summary == "" || rec.Link == "" || links[rec.Link] {
				continue
			}
			links[rec.Link] = true
			items = append(items, feeds.Item{Title: rec.Title, Summary: rec.Summary, Link: rec.Link})
		}
	}
	if !ok {
		b.Logf("no corpus at %s (%s names one elsewhere); inventing the items", corpusDir, corpus.EnvVar)
	} else if len(items) < n {
		b.Logf("%s: %d items; inventing the rest", updatesCorpus, len(items))
	}
	for i := len(items); i < n; i++ {
		items = append(items, feeds.Item{
			Title:   fmt.Sprintf("Council approves plan %d for the riverside district after long debate", i),
			Summary: fmt.Sprintf("The council voted on plan %d on Tuesday evening. Residents had objected to the height of the towers.", i),
			Link:    fmt.Sprintf("https://courier.example/news/local-%d?utm_source=rss", i),
		})
	}
	for i := range items {
		items[i].Key = benchItemKey(&items[i])
	}
	return items
}

// benchItemKey is a key shaped like the feeds package's: a letter and
// base64 of the link and the headline's fingerprint.
func benchItemKey(it *feeds.Item) string {
	sum := sha256.Sum256([]byte(it.Link + "\x00" + feeds.TitleFingerprint(it.Title)))
	return "l" + base64.RawURLEncoding.EncodeToString(sum[:15])
}
