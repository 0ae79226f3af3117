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

// gatedDesk is a story channel whose sends, once armed, wait for release:
// a post waiting out a rate limit inside the notifier (the Discord
// Limiter waits up to its MaxWait, 5 s, for a bucket it knows is spent).
type gatedDesk struct {
	*editRecorder
	armed   chan struct{} // closed: sends wait
	entered chan struct{} // a send is waiting
	release chan struct{}
}

func (g *gatedDesk) Send(ctx context.Context, m notify.Message) (notify.Receipt, error) {
	select {
	case <-g.armed:
		g.entered <- struct{}{}
		select {
		case <-g.release:
		case <-ctx.Done():
			return notify.Receipt{}, ctx.Err()
		}
	default:
	}
	return g.editRecorder.Send(ctx, m)
}

// signalled is a recorder that says when it took a message.
type signalled struct {
	recorder
	sent chan struct{}
}

func (r *signalled) Send(ctx context.Context, m notify.Message) (notify.Receipt, error) {
	rcpt, err := r.recorder.Send(ctx, m)
	select {
	case r.sent <- struct{}{}:
	default:
	}
	return rcpt, err
}

// TestAnotherDesksAlertGoesOutWhileAReportPostedAloneWaits: a story's
// report goes alone (its message was deleted) and its post waits out a
// rate limit. A poll of another feed meanwhile commits its alert (the
// sender decides under commitLock which reports go alone, and posts them
// outside it), and the alert goes out to its own desk without waiting
// for that post: the sender's pass waited for every destination's sends
// before it started the next one, so one rate-limited channel held every
// other channel's new alerts.
func TestAnotherDesksAlertGoesOutWhileAReportPostedAloneWaits(t *testing.T) {
	h, rec := storyHarness(t, kesslerSub())
	h.cfg.Destinations = append(h.cfg.Destinations, config.Destination{Name: "other-desk", Type: config.Console})
	h.cfg.Subscriptions = append(h.cfg.Subscriptions, config.Subscription{Name: "truce", Query: "ceasefire", Destination: "other-desk", MaxAge: 24 * time.Hour})
	desk := &gatedDesk{editRecorder: rec, armed: make(chan struct{}), entered: make(chan struct{}, 1), release: make(chan struct{})}
	other := &signalled{sent: make(chan struct{}, 1)}
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, h.db, store.WithClock(func() time.Time { return h.clock }))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, err := New(ctx, testOptions(h.cfg, st, map[string]notify.Notifier{"desk": desk, "other-desk": other},
		slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return h.clock }))
	if err != nil {
		t.Fatal(err)
	}
	pass := func() {
		t.Helper()
		h.clock = h.clock.Add(time.Minute)
		svc.poller.pollAll(ctx, svc.live.catalog().Feeds(), pollNow)
		if err := svc.sender.deliverAll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	pass() // first sight
	h.publishReport(0)
	pass() // the story's message, m1
	if len(rec.msgs) != 1 {
		t.Fatalf("messages %d, want 1", len(rec.msgs))
	}
	rec.deleted["m1"] = true
	h.publishReport(1)
	h.clock = h.clock.Add(time.Minute)
	close(desk.armed)
	runCtx, stop := context.WithCancel(ctx)
	var sending sync.WaitGroup
	sending.Go(func() { svc.sender.loop(runCtx, ctx) })
	defer sending.Wait()
	defer stop()
	polled := make(chan struct{})
	var polling sync.WaitGroup
	// After the release: a poll waiting for the post ends then.
	defer polling.Wait()
	svc.poller.pollAll(ctx, svc.live.catalog().Feeds(), pollNow) // the join: edit refused, posted alone
	<-desk.entered
	defer close(desk.release)

	h.write("other.xml", item(0, "Weather stays mild", h.clock.Add(-time.Hour)),
		item(1, "Ceasefire agreed in the north", h.clock))
	f, _ := svc.live.catalog().Feed("other")
	start := time.Now()
	polling.Go(func() {
		defer close(polled)
		svc.poller.pollFeed(ctx, f, pollNow, nil)
	})
	giveUp := time.After(10 * time.Second)
	select {
	case <-polled:
		t.Logf("the poll of another feed committed in %v while the report posted alone waited", time.Since(start))
	case <-giveUp:
		t.Fatal("the poll of another feed did not commit within 10 s while a report posted alone waited")
	}
	select {
	case <-other.sent:
		t.Logf("its alert went out to its desk %v after the poll began", time.Since(start))
	case <-giveUp:
		t.Errorf("the other desk's alert did not go out within 10 s while a report posted alone to the story's desk waited")
	}
}
