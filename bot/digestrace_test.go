package bot

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/store"
)

// lateCommit is a store whose next poll records its items after the
// clock passed to at and the sender's pass ran (run): a poll whose fetch
// was slow across a digest's time, while the sender went on.
type lateCommit struct {
	store.Store
	at  func()
	run func()
}

func (l *lateCommit) UnseenKeys(ctx context.Context, feedID string, keys []string) ([]string, error) {
	if feedID == "wire" && l.at != nil {
		l.at()
		l.run()
		l.at = nil
	}
	return l.Store.UnseenKeys(ctx, feedID, keys)
}

// A match whose poll began before 08:00 but committed after the 08:00
// digest went out: the period's matches still go out as one message.
func TestDigestOncePerPeriodAcrossASlowPoll(t *testing.T) {
	daily := config.Delivery{Mode: config.Digest, At: []config.ClockTime{{Hour: 8}}}
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: daily})
	h.clock = time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)
	h.afterFirstSight(item(10, "Aleppo talks resume", h.clock))
	h.runOnce() // held for 08:00
	h.clock = time.Date(2026, 12, 2, 7, 59, 50, 0, time.UTC)
	h.write("wire.xml", item(1, "Unrelated", h.clock), item(10, "Aleppo talks resume", h.clock), item(11, "Aleppo truce holds", h.clock))
	ctx := context.Background()
	// The clock moves inside the poll, while other goroutines read it.
	var mu sync.Mutex
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return h.clock
	}
	st, err := store.OpenSQLite(ctx, h.db, store.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	late := &lateCommit{Store: st}
	svc, err := New(ctx, testOptions(h.cfg, late, map[string]notify.Notifier{"desk": h.rec}, slog.New(slog.NewTextHandler(io.Discard, nil)), now))
	if err != nil {
		t.Fatal(err)
	}
	late.at = func() {
		mu.Lock()
		defer mu.Unlock()
		h.clock = time.Date(2026, 12, 2, 8, 0, 5, 0, time.UTC)
	}
	late.run = func() {
		if err := svc.sender.deliverAll(ctx); err != nil {
			t.Error(err)
		}
	}
	if _, err := svc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	read := 0
	digests := digestTitles(h.rec.since(&read))
	if len(digests) != 1 {
		t.Errorf("digests by 08:00:05: got %d %q, want one", len(digests), digests)
	}
}
