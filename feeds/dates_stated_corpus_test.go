package feeds

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/corpus"
)

// TestZonelessDatesOfTheCorpus counts the corpus's feeds whose items'
// dates have no zone, and those of them whose other dates state an
// offset (2 of 153 feeds, 1 of them: NBC New York's, whose channel dates
// are -0500; the other, a Chinese forum's, is read at China's offset).
// NBC's item, "Sat, Dec 16 2023 02:02:33 PM", was read as UTC, 5 hours
// early; it is read at -0500 now.
func TestZonelessDatesOfTheCorpus(t *testing.T) {
	corpusDir := corpus.Dir(t)
	var files []string
	for _, sub := range []string{"single", "series"} {
		files = append(files, corpusFiles(t, sub)...)
	}
	f, p := NewFetcher(FetcherOptions{}), NewParser()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	var parsed, zoneless, stating int
	for _, path := range files {
		res, err := f.Fetch(t.Context(), Request{URL: fileURL(t, path), AllowFile: true})
		if err != nil {
			continue
		}
		body := res.Body
		if !looksLikeJSON(body) {
			if body, _, err = decodeBody(body, res.ContentType, false); err != nil {
				continue
			}
		}
		gf, err := p.parseGofeed(body)
		if err != nil {
			continue
		}
		parsed++
		n, _ := p.normalizer(gf, body, res.URL, now, nil)
		states := func(raw string) bool { _, ok := offsetOf(raw, n.zones); return ok }
		noZone, stated := false, states(gf.Published) || states(gf.Updated)
		for _, gi := range gf.Items {
			noZone = noZone || hasNoZone(dateText(gi))
			stated = stated || states(gi.Published) || states(gi.Updated)
		}
		if noZone {
			zoneless++
			if stated {
				stating++
			}
			rel, _ := filepath.Rel(corpusDir, path)
			t.Logf("%s: items' dates with no zone (%q); its language %q, local offset %v, offsets it states elsewhere %d",
				rel, dateText(gf.Items[0]), gf.Language, n.hasLocal, len(n.stated))
		}
	}
	t.Logf("%d corpus feeds parsed, %d with items' dates with no zone, %d of them stating an offset elsewhere", parsed, zoneless, stating)

	tests := []struct {
		name, file string
		want       time.Time
	}{
		{"NBC New York, channel at -0500", "feedrs_rss_2.0_nbcny.xml", time.Date(2023, 12, 16, 19, 2, 33, 0, time.UTC)},
		{"a Chinese forum, at China's offset", "rsparser_kc0011.rss", time.Date(2020, 1, 10, 6, 33, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			feed, err := fetchAndParse(t, f, p, filepath.Join(corpusDir, "news", "single", tc.file), now)
			if err != nil {
				t.Fatal(err)
			}
			if len(feed.Items) == 0 {
				t.Fatal("no items")
			}
			if it := feed.Items[0]; !it.Dated || !it.Published.Equal(tc.want) {
				t.Errorf("item 0 (%q): got %v (dated %v), want %v", it.Title, it.Published, it.Dated, tc.want)
			}
		})
	}
}
