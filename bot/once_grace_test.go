package bot

import (
	"context"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
)

// slowDesk is a destination whose answer comes when released, or never
// once the request is cancelled (as an HTTP post's would not).
type slowDesk struct {
	entered chan struct{} // closed at the first Send
	release chan struct{}
	sent    int
}

func (d *slowDesk) Send(ctx context.Context, m notify.Message) (notify.Receipt, error) {
	select {
	case <-d.entered:
	default:
		close(d.entered)
	}
	select {
	case <-d.release:
		d.sent++
		return notify.Receipt{MessageID: "m1"}, nil
	case <-ctx.Done():
		return notify.Receipt{}, ctx.Err()
	}
}

// TestRunOnceLetsADeliveryInFlightFinishOnASignal: a signal during run
// --once's delivery lets the post in flight finish (the shutdown grace,
// as under run), so that a destination that took it is recorded as having
// it. The signal cancelled the post: one that had reached the destination
// (a webhook) was left pending and posted again by the next run.
func TestRunOnceLetsADeliveryInFlightFinishOnASignal(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	h.afterFirstSight(item(2, "Aleppo ceasefire talks resume", h.clock))
	desk := &slowDesk{entered: make(chan struct{}), release: make(chan struct{})}
	svc, closeStore := h.openWith(desk)
	defer closeStore()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	type result struct {
		r   OnceReport
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := svc.RunOnce(ctx)
		done <- result{r, err}
	}()
	select {
	case <-desk.entered:
	case <-time.After(20 * time.Second):
		t.Fatal("the alert was never sent")
	}
	stop() // the signal, while the post is in flight
	time.Sleep(50 * time.Millisecond)
	close(desk.release) // the destination answers
	var res result
	select {
	case res = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("RunOnce did not return")
	}
	if desk.sent != 1 || res.r.Delivered != 1 || res.r.Pending != 0 {
		t.Errorf("after the signal: destination took %d, report delivered %d, pending %d; want 1, 1, 0 (err %v)", desk.sent, res.r.Delivered, res.r.Pending, res.err)
	}
}
