package bot

import (
	"context"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/store"
)

// pausedTexts is a store whose first ItemTexts, which a poll calls after
// it took its catalog and before it decides holds, says it is reached
// (at) and waits for go_.
type pausedTexts struct {
	store.Store
	once sync.Once
	at   chan struct{}
	go_  chan struct{}
}

func (p *pausedTexts) ItemTexts(ctx context.Context, feedID string, keys []string) (map[string][]byte, error) {
	p.once.Do(func() {
		close(p.at)
		select {
		case <-p.go_:
		case <-ctx.Done():
		}
	})
	return p.Store.ItemTexts(ctx, feedID, keys)
}

// A poll that matched under the catalog before a reload and decides its
// holds after the reload re-planned what was held (heldReplans) holds as
// the subscription is now: switched from an 08:00 digest to instant at
// 07:30, the match goes out at 07:30, not at 08:00 as it was before.
func TestAPollInFlightAtAReloadHoldsAsTheSubscriptionIsNow(t *testing.T) {
	daily := config.Delivery{Mode: config.Digest, At: []config.ClockTime{{Hour: 8}}, Location: time.UTC}
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: daily})
	h.clock = time.Date(2026, 12, 2, 7, 30, 0, 0, time.UTC)
	h.afterFirstSight(item(10, "Aleppo story in flight", h.clock))
	ctx := context.Background()
	st := h.sqlite(t)
	defer st.Close()
	paused := &pausedTexts{Store: st, at: make(chan struct{}), go_: make(chan struct{})}
	svc, err := New(ctx, h.options(paused, h.rec, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	next := *h.cfg
	next.Subscriptions = slices.Clone(h.cfg.Subscriptions)
	next.Subscriptions[0].Delivery = config.Delivery{}

	done := make(chan error, 1)
	go func() {
		_, err := svc.RunOnce(ctx)
		done <- err
	}()
	<-paused.at
	if err := svc.Reload(ctx, &next); err != nil {
		t.Fatal(err)
	}
	close(paused.go_)
	if err := <-done; err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	if _, err := svc.RunOnce(ctx); err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	read := 0
	msgs := h.rec.since(&read)
	instant := instantTitles(msgs)
	want := []string{"Aleppo story in flight"}
	if digests := digestTitles(msgs); !slices.Equal(instant, want) || len(digests) != 0 {
		t.Errorf("at 07:30, switched to instant while the poll matched: got alerts %q and digests %q, want alerts %q and no digest", instant, digests, want)
	}
}
