package notify

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/internal/corpus"
	"github.com/newshound/newshound/internal/storycorpus"
)

// TestUCIReportHalfAsDigests: the report half of the UCI stories (2,844
// headlines from ~1,200 outlets, corpus README), found by a subscription
// with a daily digest, in three shuffles of 36 hours (two digests each).
// Every report is in its digest, on a line of its own or after its
// story's line; the lines stay under 30 % of the reports (one per report
// before the digest grouped them). Logged: the lines' share and the
// stories with no line of their own in a digest that holds their reports.
func TestUCIReportHalfAsDigests(t *testing.T) {
	_, rows, err := storycorpus.UCI(corpus.Dir(t))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2014, 3, 10, 0, 0, 0, 0, time.UTC)
	for seed := uint64(1); seed <= 3; seed++ {
		rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
		at := make([]time.Duration, len(rows))
		for i := range rows {
			at[i] = time.Duration(rng.Int64N(int64(36 * time.Hour)))
		}
		order := make([]int, len(rows))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(at[a], at[b]) })
		var digests [2][]alert.Alert
		var enqueued [2][]time.Time
		storyOf := map[string]string{} // link → true story
		for n, i := range order {
			r := rows[i]
			d := int(at[i] / (24 * time.Hour))
			digests[d] = append(digests[d], alert.Alert{ID: int64(n + 1), Title: r.Title, FeedTitle: r.Publisher,
				Link: fmt.Sprintf("https://uci.example/%d", i), DigestStoryWindow: 48 * time.Hour})
			enqueued[d] = append(enqueued[d], start.Add(at[i]))
			storyOf[digests[d][len(digests[d])-1].Link] = r.Story
		}
		lines, doubtful, listed, noLine := 0, 0, 0, 0
		for d, alerts := range digests {
			alert.GroupDigest(alerts, enqueued[d])
			shown := map[string]bool{} // true stories with a line
			held := map[string]bool{}  // true stories in the digest
			for _, a := range alerts {
				held[storyOf[a.Link]] = true
			}
			for _, l := range DigestLines(alerts) {
				lines++
				doubtful += b2n(l.Doubtful)
				listed += 1 + len(l.Also)
				shown[storyOf[l.Link]] = true
			}
			noLine += len(held) - len(shown)
		}
		if listed != len(rows) {
			t.Errorf("seed %d: the digests list %d reports, want all %d", seed, listed, len(rows))
		}
		share := float64(lines) / float64(len(rows))
		t.Logf("seed %d: %d reports in two digests: %d lines (%.1f%%), %d of them reports that joined doubtfully; stories held with no line of their own: %d", seed, len(rows), lines, 100*share, doubtful, noLine)
		if share > 0.30 {
			t.Errorf("seed %d: %d lines for %d reports (%.1f%%), want at most 30%%", seed, lines, len(rows), 100*share)
		}
	}
}

func b2n(b bool) int {
	if b {
		return 1
	}
	return 0
}
