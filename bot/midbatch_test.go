package bot

import (
	"context"
	"database/sql"
	"io"
	"strings"
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

// webhookHarness is a harness whose subscription "aleppo" posts to a
// signed webhook, and its fake receiver, both on the harness's clock.
func webhookHarness(t *testing.T) (*harness, *fakewebhook.Receiver, *webhook.Notifier) {
	t.Helper()
	const secret = "0123456789abcdef0123"
	hook := fakewebhook.New(t, secret)
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	hook.SetClock(func() time.Time { return h.clock })
	n, err := webhook.New(hook.URL, secret, webhook.Options{Now: func() time.Time { return h.clock }})
	if err != nil {
		t.Fatal(err)
	}
	return h, hook, n
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
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			h, hook, n := webhookHarness(t)
			run := func(recorded int32) {
				t.Helper()
				st := h.sqlite(t)
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

// TestBurstHalfRecordedBeforeTheUpgradeIsNotSentAgain: versions before
// f42c26d recorded a message's rows delivered one statement each, so one
// that died between them left the rest of the burst pending, with the
// batch, beside a row of it recorded delivered. The version that finds
// such an outbox at its start must take the message for delivered (a row
// of the batch was: the message went out whole) rather than send the
// rest again as a message of its own, which a webhook receiver takes
// twice (another Idempotency-Key).
func TestBurstHalfRecordedBeforeTheUpgradeIsNotSentAgain(t *testing.T) {
	tests := []struct {
		name     string
		leftover string // the rows of the burst an earlier version left pending
		want     int    // deliveries the receiver takes
	}{
		{"all but the first row", `id > (SELECT MIN(id) FROM alerts WHERE batch LIKE 'nh%')`, 1},
		{"none", `false`, 1},
		{"every row (the send never recorded; the receiver knows its key)", `true`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			h, hook, n := webhookHarness(t)
			run := func() {
				t.Helper()
				st := h.sqlite(t)
				defer st.Close()
				svc, err := New(ctx, h.options(st, n, io.Discard))
				if err != nil {
					t.Fatal(err)
				}
				svc.RunOnce(ctx)
			}
			run() // first sight
			items := []testItem{item(0, "Unrelated", h.clock)}
			for i := 1; i <= 7; i++ {
				items = append(items, item(i, "Aleppo update", h.clock.Add(time.Duration(i)*time.Second)))
			}
			h.write("wire.xml", items...)
			run() // the burst goes out as one message, every row recorded
			db, err := sql.Open("sqlite", h.db)
			if err != nil {
				t.Fatal(err)
			}
			res, err := db.ExecContext(ctx, `UPDATE alerts SET delivered_at = 0, message_id = '' WHERE batch LIKE 'nh%' AND `+tt.leftover)
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := res.RowsAffected(); tt.leftover == "true" && n != 7 || tt.leftover != "true" && tt.leftover != "false" && n != 6 {
				t.Fatalf("left %d rows pending", n)
			}
			h.clock = h.clock.Add(time.Minute)
			run() // the new version's start
			if got := len(hook.Deliveries()); got != tt.want {
				t.Errorf("deliveries: got %d, want %d", got, tt.want)
			}
		})
	}
}

// TestBatchFirstID reads the first row's id back from the names batchName
// and digestBatchName give, base-36 ids with the letters x and d in them
// included, and nothing from an edit's batch or another name.
func TestBatchFirstID(t *testing.T) {
	rows := func(id int64, n int) []store.Alert {
		var out []store.Alert
		for i := range n {
			out = append(out, store.Alert{ID: id + int64(i)})
		}
		return out
	}
	tests := []struct {
		name   string
		batch  string
		want   int64
		wantOK bool
	}{
		{"a burst whose id ends in x", batchName(rows(12345, 7)), 12345, true},      // nh9ixx7
		{"a burst whose id has a d and an x", batchName(rows(1797, 3)), 1797, true}, // nh1dxx3
		{"a digest whose id ends in d", digestBatchName(rows(1237, 4)), 1237, true}, // nhydd
		{"a digest whose id is x", digestBatchName(rows(33, 4)), 33, true},          // nhxd
		{"half a digest", digestBatchName(rows(469, 2)) + "2", 469, true},           // nhd1d2
		{"an edit", "nj" + strings.TrimPrefix(batchName(rows(5, 2)), "nh"), 0, false},
		{"no batch", "", 0, false},
		{"not a name", "nhzz", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := batchFirstID(tt.batch)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("batchFirstID(%q) = %d, %v, want %d, %v", tt.batch, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
