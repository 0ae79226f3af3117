package bot

import (
	"bytes"
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newshound/newshound/store"
)

// failingLeads is a store whose story-lead reads fail while fail is set.
type failingLeads struct {
	store.Store
	fail *atomic.Bool
}

func (f failingLeads) StoryLeads(ctx context.Context, destination, story string) ([]store.Alert, error) {
	if f.fail.Load() {
		return nil, errors.New("database is locked")
	}
	return f.Store.StoryLeads(ctx, destination, story)
}

// TestOutboxFailureInAPassIsLoggedOncePerState: a read that fails inside a
// pass (a further report's story lead, read where joins are placed) is
// logged once however many passes it fails, not once as failed and once as
// working again on every pass; its recovery is logged once.
func TestOutboxFailureInAPassIsLoggedOncePerState(t *testing.T) {
	h, rec := storyHarness(t, kesslerSub())
	ctx := context.Background()
	st := h.sqlite(t)
	defer st.Close()
	var fail atomic.Bool
	var logs bytes.Buffer
	svc, err := New(ctx, h.options(failingLeads{st, &fail}, rec, &logs))
	if err != nil {
		t.Fatal(err)
	}
	svc.RunOnce(ctx) // first sight
	h.publishReport(0)
	svc.RunOnce(ctx) // the story's message
	h.publishReport(1)
	h.clock = h.clock.Add(time.Minute)
	svc.poller.pollAll(ctx, svc.live.catalog().Feeds(), pollNow)
	fail.Store(true)
	const passes = 10
	for range passes {
		svc.sender.reportPass(ctx, svc.sender.deliverAll(ctx))
		h.clock = h.clock.Add(10 * time.Second)
	}
	fail.Store(false)
	svc.sender.reportPass(ctx, svc.sender.deliverAll(ctx))
	// over the failing passes and the one that works
	wantLogged(t, logs.String(), map[string]int{
		"reading the outbox failed":                 1,
		"reading and writing the outbox work again": 1,
	})
	if got := rec.also(); len(got) != 1 {
		t.Errorf("the story's message lists %q, want the second report once the store works", got)
	}
}
