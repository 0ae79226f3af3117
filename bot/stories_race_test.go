package bot

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newshound/newshound/store"
)

// commitOrder interleaves two polls as two workers may: poll late groups
// first but commits only after poll early has grouped (after late) and
// committed.
type commitOrder struct {
	store.Store
	late, early string
	on          atomic.Bool
	grouped     chan struct{} // closed when late's commit starts: it has grouped
	committed   chan struct{} // closed when early's commit has returned
	once        sync.Once
	stuck       atomic.Bool // a wait timed out: the polls did not interleave
}

func newCommitOrder(st store.Store, late, early string) *commitOrder {
	return &commitOrder{Store: st, late: late, early: early, grouped: make(chan struct{}), committed: make(chan struct{})}
}

func (c *commitOrder) wait(ch chan struct{}) {
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		c.stuck.Store(true)
	}
}

func (c *commitOrder) UnseenKeys(ctx context.Context, feedID string, keys []string) ([]string, error) {
	if c.on.Load() && feedID == c.early {
		c.wait(c.grouped)
	}
	return c.Store.UnseenKeys(ctx, feedID, keys)
}

func (c *commitOrder) CommitPoll(ctx context.Context, feedID string, p store.Poll) (int, error) {
	if c.on.Load() && feedID == c.late {
		c.once.Do(func() { close(c.grouped) })
		c.wait(c.committed)
	}
	n, err := c.Store.CommitPoll(ctx, feedID, p)
	if c.on.Load() && feedID == c.early {
		close(c.committed)
	}
	return n, err
}

// TestResplitMoveSurvivesAConcurrentCommit: the re-split's opener (f09)
// takes f08's report, grouped a moment earlier by another worker whose
// commit lands after the opener's. The opener's move finds no row of f08
// yet; f08's report must still be stored in the story the live index has,
// so that a restart restores the index as it was, not split.
func TestResplitMoveSurvivesAConcurrentCommit(t *testing.T) {
	h, rec, _, publish := resplitHarness(t)
	h.cfg.Service.Workers = 2 // f08 and f09 in flight at once
	ctx := context.Background()
	st := h.sqlite(t)
	defer st.Close()
	order := newCommitOrder(st, "f08", "f09")
	svc, err := New(ctx, h.options(order, rec, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	svc.RunOnce(ctx) // first sight
	for i := range 8 {
		h.clock = h.clock.Add(time.Minute)
		publish(i)
		svc.RunOnce(ctx)
	}
	h.clock = h.clock.Add(time.Minute)
	publish(8)
	publish(9) // the re-split: B's reports, f08's among them, leave A's story
	order.on.Store(true)
	svc.RunOnce(ctx)
	order.on.Store(false)
	if order.stuck.Load() {
		t.Fatal("f08's and f09's polls did not interleave")
	}
	live := func(s *Service, feedID, key string) string {
		name, _ := s.poller.stories.storyOf("desk", feedID, key)
		return name
	}
	if a, b := live(svc, "f08", "urn:f08:olive"), live(svc, "f09", "urn:f09:olive"); a != b {
		t.Fatalf("live index: f08's report in %q, f09's in %q; want f09's re-split to have taken it", a, b)
	}

	rows, err := st.StoryRows(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	restarted, err := New(ctx, h.options(st, rec, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		want := live(svc, r.FeedID, r.ItemKey)
		if r.Story != want {
			t.Errorf("%s's report: stored in story %q, the live index has %q", r.FeedID, r.Story, want)
		}
		if got := live(restarted, r.FeedID, r.ItemKey); got != want {
			t.Errorf("%s's report: in story %q after a restart, %q before", r.FeedID, got, want)
		}
	}
}
