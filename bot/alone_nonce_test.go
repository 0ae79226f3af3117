package bot

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify"
)

// nonceFinder is a story channel that sends nonces (a Discord bot
// channel) and can look for a ghost; it fails while down, and fails the
// next sendFails sends (a 5xx whose post may have been made).
type nonceFinder struct {
	*editRecorder
	down      bool
	sendFails int
	finds     int
}

func (n *nonceFinder) Send(ctx context.Context, m notify.Message) (notify.Receipt, error) {
	if n.down || n.sendFails > 0 {
		if !n.down {
			n.sendFails--
		}
		return notify.Receipt{}, &notify.RetryError{After: time.Second, Err: errors.New("HTTP 500")}
	}
	return n.editRecorder.Send(ctx, m)
}

func (n *nonceFinder) Edit(ctx context.Context, e notify.Edit) error {
	if n.down {
		return &notify.RetryError{After: time.Second, Err: errors.New("HTTP 503")}
	}
	return n.editRecorder.Edit(ctx, e)
}

func (n *nonceFinder) SendsNonce() bool { return true }

func (n *nonceFinder) Find(ctx context.Context, m notify.Message) (notify.Receipt, bool, error) {
	n.finds++
	return notify.Receipt{}, false, nil
}

// TestJoinPostedAloneTrustsItsNonce checks that a report which waited out
// an outage and then went alone (its story's message was deleted
// meanwhile), whose post answered 500, is retried 5 s later on the
// strength of its nonce, as README says ("Retries to a bot channel carry a
// nonce and come within 15 s"), without reading the channel (which needs
// Read Message History, and a 403 there pauses the destination). The nonce
// window counts from when it went alone, not from when it was enqueued.
func TestJoinPostedAloneTrustsItsNonce(t *testing.T) {
	h, rec := storyHarness(t, kesslerSub())
	n := &nonceFinder{editRecorder: rec}
	svc, closeStore := h.openWith(n)
	defer closeStore()
	ctx := context.Background()
	svc.RunOnce(ctx) // first sight
	h.publishReport(0)
	h.clock = h.clock.Add(time.Minute)
	svc.RunOnce(ctx) // the story's message m1
	if len(rec.msgs) != 1 {
		t.Fatalf("messages %d, want 1", len(rec.msgs))
	}
	rec.deleted["m1"] = true
	n.down = true
	h.publishReport(1)
	h.clock = h.clock.Add(time.Minute)
	svc.RunOnce(ctx) // the join is enqueued; its edit fails (outage)
	h.clock = h.clock.Add(2 * time.Minute)
	n.down, n.sendFails = false, 1
	svc.RunOnce(ctx) // edit refused (m1 deleted): posted alone; the post answers 500
	findsBefore := n.finds
	h.clock = h.clock.Add(5 * time.Second)
	svc.RunOnce(ctx) // the retry, 5 s after the post
	if n.finds-findsBefore != 0 {
		t.Errorf("a retry 5 s after posting alone read the channel (%d Find calls): its nonce covers it", n.finds-findsBefore)
	}
}
