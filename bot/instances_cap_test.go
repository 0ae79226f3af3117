package bot

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/pgtest"
)

// TestInstancesBurstFromTwoFeedsKeepsMaxPerHour: README ("Several
// instances") says the instances together post no more than max_per_hour
// and that what a digest holds is in it, not lost. Three instances share
// one PostgreSQL schema: A polls wire, B polls other, C only sends; each
// feed publishes a burst of three matches twice in the hour, and the
// three run at once. Of the twelve, max_per_hour go out as they come and
// the rest in the one digest at the end of the hour, each once.
func TestInstancesBurstFromTwoFeedsKeepsMaxPerHour(t *testing.T) {
	const limit = 2
	dsn := pgtest.Schema(t)
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: config.Delivery{MaxPerHour: limit}})
	clk := &clock{}
	clk.set(h.clock) // 12:00 UTC
	a, _ := h.openInstance(dsn, clk, h.rec, "wire")
	b, _ := h.openInstance(dsn, clk, h.rec, "other")
	c, _ := h.openInstance(dsn, clk, h.rec) // sends only
	together := func() { runTogether(t, a, b, c) }
	together() // first sight
	published := map[string][]testItem{"wire": {item(0, "Weather stays mild", h.clock.Add(-time.Hour))}, "other": {item(0, "Weather stays mild", h.clock.Add(-time.Hour))}}
	var want []string
	for round, at := range []time.Duration{time.Minute, 11 * time.Minute} {
		clk.set(h.clock.Add(at))
		for feed, items := range published {
			for i := range 3 {
				title := fmt.Sprintf("Aleppo %s report %d of round %d", feed, i, round)
				items = append(items, testItem{GUID: fmt.Sprintf("urn:%s:%d:%d", feed, round, i), Title: title,
					Link: fmt.Sprintf("https://%s.example/%d/%d", feed, round, i), Description: "Report.", Published: clk.now()})
				want = append(want, title)
			}
			published[feed] = items
			h.write(feed+".xml", items...)
		}
		together()
	}
	clk.set(time.Date(2026, 11, 21, 13, 1, 0, 0, time.UTC))
	together() // the 13:00 digest
	plain, digested, digests := splitDigests(h.rec.msgs)
	if len(plain) != limit || digests != 1 {
		t.Errorf("12:00-13:00 with max_per_hour %d on three instances: %d alerts alone (%q) and %d digests, want %d alone and one digest",
			limit, len(plain), plain, digests, limit)
	}
	got := slices.Sorted(slices.Values(append(plain, digested...)))
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("alerts, alone or in the digest:\ngot  %q\nwant %q: each once", got, want)
	}
}

// runTogether runs each of svcs' RunOnce at once, as instances sharing a
// store whose timers fire together, and returns when all have returned.
func runTogether(t *testing.T, svcs ...*Service) {
	t.Helper()
	var wg sync.WaitGroup
	for _, svc := range svcs {
		wg.Go(func() {
			if _, err := svc.RunOnce(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}
