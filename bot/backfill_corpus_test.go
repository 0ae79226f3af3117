package bot

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/internal/corpus"
)

// TestBackfillOfCorpusFeedsPostsTheNewestN holds README's "No flood:
// backfill: N posts the newest N matches" to real feeds: the first sight
// of each posts N alerts, of the N newest items, and the next run none.
// BBC's feed lists an article twice (two GUIDs, one link and headline):
// the duplicate check refuses the second copy, so the backfill counted it
// as one of the N and posted one alert fewer.
func TestBackfillOfCorpusFeedsPostsTheNewestN(t *testing.T) {
	const n = 3
	for _, file := range []string{"gogator_bbc.xml", "kagi2026_bbc_world.xml", "kieker2015_nyt.xml", "feedjira_cnn.xml", "nodefp_iconv.xml"} {
		t.Run(file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(corpus.Dir(t), "news", "single", file))
			if err != nil {
				t.Fatal(err)
			}
			h := newHarness(t, config.Subscription{Name: "all", Query: "feed:wire", Backfill: n, MaxAge: 50 * 365 * 24 * time.Hour})
			if err := os.WriteFile(filepath.Join(h.dir, "wire.xml"), raw, 0o644); err != nil {
				t.Fatal(err)
			}
			h.runOnce()
			got := h.rec.titles()
			newest := newestStories(t, raw, h.clock)
			if len(got) != n {
				t.Fatalf("first sight posted %d alerts %q, want %d", len(got), got, n)
			}
			for _, title := range got {
				i := slices.IndexFunc(newest, func(it feeds.Item) bool { return it.Title == title })
				if i < 0 || i >= n {
					t.Errorf("first sight posted %q, which is not among the %d newest items", title, n)
				}
			}
			h.runOnce()
			if again := h.rec.titles(); len(again) != n {
				t.Errorf("the next run posted %q, want nothing more", again[n:])
			}
		})
	}
}

// newestStories is the feed's items newest first, each link once.
func newestStories(t *testing.T, raw []byte, now time.Time) []feeds.Item {
	t.Helper()
	feed, err := feeds.NewParser().Parse(raw, "application/rss+xml", "https://wire.example/rss", now)
	if err != nil {
		t.Fatal(err)
	}
	var items []feeds.Item
	for _, it := range feed.Items {
		if !slices.ContainsFunc(items, func(o feeds.Item) bool { return o.Link == it.Link }) {
			items = append(items, it)
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].Published.After(items[j].Published) })
	return items
}
