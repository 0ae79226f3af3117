package bot

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/pgtest"
)

// TestInstancesNineSecondsApartFormOneDigestPerPeriod: README ("Several
// instances") lets the instances' clocks be up to 10 seconds apart. With
// the polling instance's clock 9 s behind the sending one's, or 9 s
// ahead, a match it holds just before 08:00 by its clock goes in the one
// 08:00 digest, and one just after in the next day's, neither lost nor in
// a second 08:00 digest. The steps are on the sender's clock; a poll at
// a step publishes the next of the matches dated by the poller's clock.
func TestInstancesNineSecondsApartFormOneDigestPerPeriod(t *testing.T) {
	eight := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	type step struct {
		at   time.Duration // from 08:00 on the sender's clock
		poll bool          // the poller polls; else the sender's pass
		want int           // digests sent by then
	}
	tests := []struct {
		name  string
		ahead time.Duration // the poller's clock less the sender's
		steps []step
	}{
		{"poller 9 s behind", -9 * time.Second, []step{
			{at: 8500 * time.Millisecond, want: 0},
			{at: 8500 * time.Millisecond, poll: true}, // 07:59:59.5 by the poller's clock
			{at: 10 * time.Second, want: 1},
			{at: 10 * time.Second, poll: true}, // 08:00:01 by the poller's clock
			{at: time.Minute, want: 1},
		}},
		{"poller 9 s ahead", 9 * time.Second, []step{
			{at: -9500 * time.Millisecond, poll: true}, // 07:59:59.5 by the poller's clock
			{at: -8500 * time.Millisecond, poll: true}, // 08:00:00.5
			{at: 9900 * time.Millisecond, want: 0},
			{at: 10 * time.Second, want: 1},
			{at: time.Minute, want: 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn := pgtest.Schema(t)
			h := digestAtEight(t)
			sendClk, pollClk := &clock{}, &clock{}
			set := func(at time.Time) { // on the sender's clock
				sendClk.set(at)
				pollClk.set(at.Add(tt.ahead))
			}
			sender, _ := h.openInstance(dsn, sendClk, h.rec) // sends only
			poller, _ := h.openInstance(dsn, pollClk, h.rec, "wire")
			ctx := context.Background()
			unrelated, talks := talksHeldForEight(h, set, func() { poller.RunOnce(ctx) })
			published := []testItem{unrelated, talks}
			matches := []string{"Aleppo truce holds", "Aleppo corridor opens"}
			for _, s := range tt.steps {
				set(eight.Add(s.at))
				if s.poll {
					published = append(published, item(11+len(published), matches[len(published)-2], pollClk.now()))
					h.write("wire.xml", published...)
					poller.poller.pollAll(ctx, poller.live.catalog().Feeds(), pollNow)
					continue
				}
				if err := sender.sender.deliverAll(ctx); err != nil {
					t.Fatal(err)
				}
				if got := len(digestTitles(h.rec.msgs)); got != s.want {
					t.Fatalf("sender's pass at %s: %d digests sent (%q), want %d",
						sendClk.now().Format("15:04:05.0"), got, digestTitles(h.rec.msgs), s.want)
				}
			}
			set(eight.Add(24*time.Hour + time.Minute))
			if err := sender.sender.deliverAll(ctx); err != nil {
				t.Fatal(err)
			}
			got := digestTitles(h.rec.msgs)
			for _, d := range got {
				slices.Sort(d)
			}
			want := [][]string{{"Aleppo talks resume", "Aleppo truce holds"}, {"Aleppo corridor opens"}}
			if !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("digests of 2 and 3 December: got %q, want %q", got, want)
			}
		})
	}
}
