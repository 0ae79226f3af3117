package bot

import (
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify/webhook"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/fakewebhook"
	"github.com/newshound/newshound/store"
)

// diesAfterMarks is a store whose process dies after marks rows of a
// message were recorded delivered: the next MarkDelivered, and any after
// it, never reach the database.
type diesAfterMarks struct {
	store.Store
	left *atomic.Int32
}

func (d diesAfterMarks) MarkDelivered(ctx context.Context, id int64, messageID string, at time.Time) error {
	if d.left.Add(-1) < 0 {
		return errCrashed
	}
	return d.Store.MarkDelivered(ctx, id, messageID, at)
}

// TestCrashWhileRecordingABurstSendsNothingAgain: a burst of alerts goes
// out as one message (one webhook delivery), and the process dies while
// recording its rows delivered, after the first. The rows were recorded
// one by one: after the restart the rest of the burst went out again as a
// message of its own, under another Idempotency-Key (the key names the
// message's alerts), so the receiver took them twice. Recording one row
// of a message now records the message's other rows (its batch) with it.
func TestCrashWhileRecordingABurstSendsNothingAgain(t *testing.T) {
	tests := []struct {
		name     string
		recorded int32 // rows recorded before the process dies
		want     int   // deliveries the receiver takes
	}{
		{name: "dies before recording any row", recorded: 0, want: 1},
		{name: "dies after recording one row", recorded: 1, want: 1},
		{name: "records every row", recorded: 100, want: 1},
	}
	const secret = "0123456789abcdef0123"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			hook := fakewebhook.New(t, secret)
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			hook.SetClock(func() time.Time { return h.clock })
			n, err := webhook.New(hook.URL, secret, webhook.Options{Now: func() time.Time { return h.clock }})
			if err != nil {
				t.Fatal(err)
			}
			run := func(recorded int32) {
				t.Helper()
				st, err := store.OpenSQLite(ctx, h.db, store.WithClock(func() time.Time { return h.clock }))
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				left := &atomic.Int32{}
				left.Store(recorded)
				svc, err := New(ctx, h.options(diesAfterMarks{Store: st, left: left}, n, io.Discard))
				if err != nil {
					t.Fatal(err)
				}
				svc.RunOnce(ctx) // a run that dies reports the rows it could not record
			}
			run(100) // first sight
			items := []testItem{item(0, "Unrelated", h.clock)}
			for i := 1; i <= 7; i++ {
				items = append(items, item(i, "Aleppo update", h.clock.Add(time.Duration(i)*time.Second)))
			}
			h.write("wire.xml", items...)
			run(tt.recorded)
			h.clock = h.clock.Add(time.Minute)
			run(100) // the restart
			deliveries := hook.Deliveries()
			if len(deliveries) != tt.want {
				t.Errorf("deliveries: got %d, want %d", len(deliveries), tt.want)
			}
			if got := len(deliveries[0].Alerts); got != 7 {
				t.Errorf("the first delivery carries %d alerts, want 7 (one message)", got)
			}
		})
	}
}
