package bot

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/store"
)

// countRace is a store whose first calls of CountUnheld wait for one
// another (up to a second), as two polls of different feeds do when
// they count a capped subscription's hour at the same moment.
type countRace struct {
	store.Store
	mu      sync.Mutex
	waiting int
	calls   int
	both    chan struct{}
}

func (c *countRace) CountUnheld(ctx context.Context, sub string, since time.Time) (int, error) {
	n, err := c.Store.CountUnheld(ctx, sub, since)
	c.mu.Lock()
	c.calls++
	first := c.calls <= 2
	if first {
		c.waiting++
		if c.waiting == 2 {
			close(c.both)
		}
	}
	c.mu.Unlock()
	if first {
		select {
		case <-c.both:
		case <-time.After(time.Second):
		}
	}
	return n, err
}

// max_per_hour holds whatever feeds the matches come from: two feeds
// polled at once (run --once polls up to 8) let through N alerts in the
// hour between them, not N each.
func TestMaxPerHourAcrossFeedsPolledAtOnce(t *testing.T) {
	tests := []struct {
		name       string
		maxPerHour int
		perFeed    int
	}{
		{"cap 2, 3 matches a feed", 2, 3},
		{"cap 3, 3 matches a feed", 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: config.Delivery{MaxPerHour: tt.maxPerHour}})
			h.clock = time.Date(2026, 12, 2, 9, 50, 0, 0, time.UTC)
			h.runOnce() // first sight of both feeds
			h.clock = time.Date(2026, 12, 2, 10, 5, 0, 0, time.UTC)
			for f, feed := range []string{"wire", "other"} {
				var items []testItem
				for i := range tt.perFeed {
					n := 100*(f+1) + i
					items = append(items, item(n, fmt.Sprintf("Aleppo %s report %d on talks %d", feed, i, n), h.clock))
				}
				h.write(feed+".xml", items...)
			}
			ctx := context.Background()
			st := h.sqlite(t)
			defer st.Close()
			svc, err := New(ctx, h.options(&countRace{Store: st, both: make(chan struct{})}, h.rec, io.Discard))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			read := 0
			sent := 0
			for _, m := range h.rec.since(&read) {
				if m.Digest != nil {
					t.Fatalf("a digest before the end of the hour: %v", messageTitles(m))
				}
				sent += len(m.Alerts)
			}
			if got, want := sent, tt.maxPerHour; got != want {
				t.Errorf("alerts sent at once in the hour: got %d, want %d (max_per_hour)", got, want)
			}
		})
	}
}
