package feeds

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

var dateOracleRe = regexp.MustCompile(`should be (\w+),? (\d+)\w* (\d{4}),? (\d\d:\d\d:\d\d) GMT`)

// TestConformanceDates runs the W3C feed validator's real-world pubDate
// variants, whose descriptions state the intended UTC time, and reports how
// many we read right. An unread date is not fatal (the item gets its
// first-seen time), so this logs rather than fails, except for a wrong date.
func TestConformanceDates(t *testing.T) {
	path := filepath.Join(corpusDir, "conformance", "feedvalidator", "testcases", "rss20", "data-types-datetime", "everything.xml")
	body, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("feedvalidator date cases not available: %v", err)
	}
	feed, err := NewParser().Parse(body, "", "http://dates.example/everything.rss", testNow)
	if err != nil {
		t.Fatal(err)
	}
	var cases, right, undated int
	for _, it := range feed.Items {
		m := dateOracleRe.FindStringSubmatch(it.Summary)
		if m == nil {
			continue
		}
		want, err := time.Parse("January 2 2006 15:04:05", m[1]+" "+m[2]+" "+m[3]+" "+m[4])
		if err != nil {
			t.Fatalf("%s: oracle %q: %v", it.Title, m[0], err)
		}
		cases++
		switch {
		case !it.Dated:
			undated++
			t.Logf("unread: %s", it.Title)
		case it.Published.Equal(want):
			right++
		default:
			t.Errorf("%s: got %v, want %v", it.Title, it.Published, want)
		}
	}
	t.Logf("dates: %d cases, %d right, %d unread (first-seen time used; before 1971 and future dates are unread by design), %d wrong", cases, right, undated, cases-right-undated)
}
