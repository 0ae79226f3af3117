package storycorpus

import (
	"bufio"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// stagedLabels are the story labels, by hand, of the distinct items of the
// feed snapshots of 2020-04-21 (see the file's header): kept here without
// the corpus's text, which the corpus README forbids copying.
//
//go:embed staged_2020-04-21.labels
var stagedLabels string

// stagedDay is the day whose feed snapshots stagedLabels labels.
const stagedDay = "2020-04-21"

// A StagedItem is one distinct item of the corpus's feed snapshots of
// 2020-04-21 (topics/items_from_staged_feeds.jsonl), with the story it was
// labelled with by hand.
type StagedItem struct {
	Line                 int    // its line in the jsonl, from 1: its first snapshot's
	Outlet               string // the series' feed: bbc, cnn, dailymail, latimes, nytimes, smh, wsj
	Title, Summary, Link string
	// Published is when the feed says it was published: zero when it
	// says nothing (two CNN items), Seen then standing in for it.
	Published time.Time
	Seen      time.Time // the capture time of its first snapshot
	Story     string
}

// Staged returns the labelled items of the feed snapshots of 2020-04-21 in
// the jsonl's order. It fails when the labels and the corpus disagree: a
// labelled line that is no distinct item of that day, a title whose hash
// changed, an item with no label.
func Staged(corpus string) ([]StagedItem, error) {
	name := filepath.Join(corpus, "topics", "items_from_staged_feeds.jsonl")
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	items, err := joinStaged(f, stagedLabels)
	if err != nil {
		return nil, fmt.Errorf("%s and staged_%s.labels: %w", name, stagedDay, err)
	}
	return items, nil
}

// A stagedLabel is one line of the labels: the title's hash and the story.
type stagedLabel struct{ titleHash, story string }

// joinStaged joins the jsonl's distinct items of stagedDay with labels.
func joinStaged(jsonl io.Reader, labels string) ([]StagedItem, error) {
	byLine, err := parseStagedLabels(labels)
	if err != nil {
		return nil, err
	}
	items, err := distinctStaged(jsonl)
	if err != nil {
		return nil, err
	}
	for i := range items {
		it := &items[i]
		l, ok := byLine[it.Line]
		if !ok {
			return nil, fmt.Errorf("line %d (%s %q) has no label", it.Line, it.Outlet, it.Title)
		}
		if h := TitleHash(it.Title); h != l.titleHash {
			return nil, fmt.Errorf("line %d: title %q hashes to %s, the label says %s: the corpus changed; label it again by reading it", it.Line, it.Title, h, l.titleHash)
		}
		it.Story = l.story
		delete(byLine, it.Line)
	}
	for line := range byLine {
		return nil, fmt.Errorf("label of line %d: no distinct item of the %s snapshots is on it", line, stagedDay)
	}
	return items, nil
}

// TitleHash is the labels' hash of a title: the first 8 hex digits of its
// SHA-256.
func TitleHash(title string) string {
	sum := sha256.Sum256([]byte(title))
	return hex.EncodeToString(sum[:4])
}

// parseStagedLabels reads the labels' lines ("line hash story", tab
// separated), skipping the header's comments.
func parseStagedLabels(labels string) (map[int]stagedLabel, error) {
	byLine := map[int]stagedLabel{}
	for n, text := range strings.Split(strings.TrimSuffix(labels, "\n"), "\n") {
		if strings.HasPrefix(text, "#") || text == "" {
			continue
		}
		fs := strings.Split(text, "\t")
		line, err := strconv.Atoi(fs[0])
		if len(fs) != 3 || err != nil || len(fs[1]) != 8 || fs[2] == "" {
			return nil, fmt.Errorf("labels line %d: %q, want \"jsonl line<TAB>title hash<TAB>story\"", n+1, text)
		}
		if _, dup := byLine[line]; dup {
			return nil, fmt.Errorf("labels line %d: jsonl line %d labelled twice", n+1, line)
		}
		byLine[line] = stagedLabel{titleHash: fs[1], story: fs[2]}
	}
	return byLine, nil
}

// stagedRow is the part of a jsonl line the labels need.
type stagedRow struct {
	File, Title, Summary, Link, GUID, Published string
}

// distinctStaged reads the jsonl's items of the snapshots of stagedDay,
// each item once: a later line of its feed with its guid or its link is
// the same item, seen again in a later snapshot.
func distinctStaged(jsonl io.Reader) ([]StagedItem, error) {
	var items []StagedItem
	seen := map[string]bool{} // feed, "guid" or "link", value
	sc := bufio.NewScanner(jsonl)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var r stagedRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		outlet, seenAt, ok := stagedSnapshot(r.File)
		if !ok {
			continue
		}
		keys := stagedKeys(outlet, r)
		again := false
		for _, k := range keys {
			again = again || seen[k]
			seen[k] = true
		}
		if again {
			continue
		}
		it, err := stagedItem(n, outlet, seenAt, r)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, sc.Err()
}

// stagedSnapshot tells whether file is a feed snapshot of stagedDay
// (news/series/FEED/2020-04-21T004301Z_….xml), and of which feed, taken
// when.
func stagedSnapshot(file string) (outlet string, at time.Time, ok bool) {
	dir, base := path.Split(file)
	outlet = path.Base(dir)
	if path.Dir(path.Dir(dir)) != "news/series" || !strings.HasPrefix(base, stagedDay+"T") {
		return "", time.Time{}, false
	}
	at, err := time.Parse("2006-01-02T150405Z", strings.SplitN(base, "_", 2)[0])
	return outlet, at, err == nil
}

func stagedKeys(outlet string, r stagedRow) []string {
	var keys []string
	if r.GUID != "" {
		keys = append(keys, outlet+"\x00guid\x00"+r.GUID)
	}
	if r.Link != "" {
		keys = append(keys, outlet+"\x00link\x00"+r.Link)
	}
	return keys
}

func stagedItem(line int, outlet string, seen time.Time, r stagedRow) (StagedItem, error) {
	it := StagedItem{Line: line, Outlet: outlet, Title: r.Title, Summary: r.Summary, Link: r.Link, Seen: seen}
	if r.Published == "" {
		return it, nil
	}
	for _, layout := range []string{time.RFC1123Z, time.RFC1123} {
		if t, err := time.Parse(layout, r.Published); err == nil {
			it.Published = t
			return it, nil
		}
	}
	return it, fmt.Errorf("line %d: published %q is neither RFC 1123 form", line, r.Published)
}
