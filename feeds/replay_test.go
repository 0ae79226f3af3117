package feeds_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/internal/corpus"
	"github.com/newshound/newshound/store"
)

// seriesDir is the corpus's folder of feeds captured again and again.
func seriesDir(t *testing.T) string {
	return filepath.Join(corpus.Dir(t), "news", "series")
}

// story is the test's own notion of "the same item": the same GUID with the
// same headline wording. A headline reworded under an old GUID is a new
// story (CNN reuses GUIDs for different stories); a story that leaves the
// feed and comes back is not.
type story struct{ guid, title string }

func storyOf(it feeds.Item) story {
	return story{guid: it.GUID, title: feeds.TitleFingerprint(it.Title)}
}

// snapshotTime reads the capture time from names like
// 2020-04-21T004301Z_9562ee23.xml.
func snapshotTime(t *testing.T, name string) time.Time {
	t.Helper()
	ts, err := time.Parse("2006-01-02T150405Z", strings.SplitN(name, "_", 2)[0])
	if err != nil {
		t.Fatalf("snapshot name %q: %v", name, err)
	}
	return ts
}

// TestReplaySeriesThroughStore walks each corpus series in capture order
// through the real SQLite store, as the poll loop does: parse, ask the store
// which keys are unseen, commit. No story may be reported new twice, and
// every story appearing for the first time must be reported.
func TestReplaySeriesThroughStore(t *testing.T) {
	dir := seriesDir(t)
	series, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	p := feeds.NewParser()
	for _, s := range series {
		if !s.IsDir() {
			continue
		}
		t.Run(s.Name(), func(t *testing.T) {
			replaySeries(t, p, filepath.Join(dir, s.Name()), s.Name())
		})
	}
}

func replaySeries(t *testing.T, p *feeds.Parser, dir, feedID string) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "replay.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	names, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
	sort.Strings(names)            // names start with the capture time
	reported := map[story]string{} // story -> snapshot that reported it
	seenGUID := map[string]bool{}
	var items, news, rewrites int
	for _, path := range names {
		name := filepath.Base(path)
		now := snapshotTime(t, name)
		body, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		feed, err := p.Parse(body, "", "https://"+feedID+".example/rss.xml", now)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		keys := make([]string, len(feed.Items))
		for i, it := range feed.Items {
			keys[i] = it.Key
		}
		unseen, err := st.UnseenKeys(ctx, feedID, keys)
		if err != nil {
			t.Fatal(err)
		}
		isNew := make(map[string]bool, len(unseen))
		for _, k := range unseen {
			isNew[k] = true
		}
		for _, it := range feed.Items {
			items++
			s := storyOf(it)
			first, already := reported[s]
			switch {
			case isNew[it.Key] && already:
				t.Errorf("%s: %q (guid %s) reported new again; first reported in %s", name, it.Title, it.GUID, first)
			case !isNew[it.Key] && !already:
				t.Errorf("%s: %q (guid %s) appears for the first time but was not reported", name, it.Title, it.GUID)
			case isNew[it.Key]:
				news++
				if seenGUID[it.GUID] {
					rewrites++
				}
				reported[s] = name
			}
		}
		for _, it := range feed.Items {
			seenGUID[it.GUID] = true
		}
		poll := store.Poll{
			State: store.FeedState{FeedID: feedID, URL: "https://" + feedID + ".example/rss.xml", Initialized: true, LastPolled: now},
			Keys:  keys,
		}
		if _, err := st.CommitPoll(ctx, feedID, poll); err != nil {
			t.Fatalf("%s: commit: %v", name, err)
		}
	}
	t.Logf("%d snapshots, %d items, %d reported new (%d of them a new headline under a GUID seen before)", len(names), items, news, rewrites)
}

// TestReplayCNNReusedGUID pins the corpus case that motivates the key: CNN
// put a different story under the GUID and link of an earlier one.
func TestReplayCNNReusedGUID(t *testing.T) {
	dir := filepath.Join(seriesDir(t), "cnn")
	before, after := filepath.Join(dir, "2020-04-23T151500Z_9113ef9d.xml"), filepath.Join(dir, "2020-04-23T193800Z_82c544a1.xml")
	const guid = "https://www.cnn.com/collections/us-virus-intl-042220/"
	p := feeds.NewParser()
	keyOf := func(path string) (string, string) {
		body, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		feed, err := p.Parse(body, "", "https://cnn.example/rss.xml", snapshotTime(t, filepath.Base(path)))
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range feed.Items {
			if it.GUID == guid {
				return it.Key, it.Title
			}
		}
		t.Fatalf("%s: no item with guid %s", path, guid)
		return "", ""
	}
	k1, t1 := keyOf(before)
	k2, t2 := keyOf(after)
	if k1 == k2 {
		t.Errorf("%q and %q share key %s: the second story would be hidden", t1, t2, k1)
	}
}
