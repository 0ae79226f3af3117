package bot

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/discord"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/fakediscord"
	"github.com/newshound/newshound/store"
)

// crashAfterSend is a store whose process "dies" right after Discord
// accepted a message: MarkDelivered never reaches the database.
type crashAfterSend struct {
	store.Store
}

var errCrashed = errors.New("process died")

func (c crashAfterSend) MarkDelivered(ctx context.Context, id int64, messageID string, at time.Time) error {
	return errCrashed
}

func TestCrashBetweenSendAndDeliveredPostsOnce(t *testing.T) {
	for _, burst := range []int{1, 7} {
		t.Run(map[int]string{1: "single alert", 7: "burst"}[burst], func(t *testing.T) {
			dc := fakediscord.New(t)
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Destination: "desk"})
			h.cfg.Destinations = []config.Destination{{Name: "desk", Type: config.DiscordChannel, ChannelID: watchChannel}}
			h.runOnceWith(t, dc, false) // first sight
			items := []testItem{item(0, "Unrelated", h.clock)}
			for i := 1; i <= burst; i++ {
				items = append(items, item(i, "Aleppo update", h.clock.Add(time.Duration(i)*time.Second)))
			}
			h.write("wire.xml", items...)

			h.runOnceWith(t, dc, true) // sends, then dies before recording it
			if got := len(dc.Messages(watchChannel)); got != 1 {
				t.Fatalf("messages after the crashed run: got %d, want 1", got)
			}
			h.runOnceWith(t, dc, false) // restart: the alert is still pending and is retried
			h.runOnceWith(t, dc, false)
			if got := len(dc.Messages(watchChannel)); got != 1 {
				t.Errorf("messages after the restart: got %d, want 1 (the retry carries the same nonce)", got)
			}
			ctx := context.Background()
			st := h.sqlite(t)
			defer st.Close()
			pending, err := st.PendingAlerts(ctx, "desk", h.clock.Add(24*time.Hour), 100)
			if err != nil || len(pending) != 0 {
				t.Errorf("pending after the retry: %d (err %v), want 0", len(pending), err)
			}
		})
	}
}

// TestCrashAfterSendRetriedPastTheNonceWindowPostsOnce: the process dies
// right after Discord took the message (no attempt recorded), and the
// restart comes after Discord's nonce window: the bot finds the post in
// the channel instead of posting it again.
func TestCrashAfterSendRetriedPastTheNonceWindowPostsOnce(t *testing.T) {
	dc := fakediscord.New(t)
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Destination: "desk"})
	h.cfg.Destinations = []config.Destination{{Name: "desk", Type: config.DiscordChannel, ChannelID: watchChannel}}
	h.runOnceWith(t, dc, false) // first sight
	h.write("wire.xml", item(0, "Unrelated", h.clock), item(1, "Aleppo update", h.clock.Add(time.Second)))
	h.runOnceWith(t, dc, true) // sends, then dies before recording it
	dc.SetNonceWindow(time.Nanosecond)
	h.clock = h.clock.Add(10 * time.Minute)
	h.runOnceWith(t, dc, false)
	if got := len(dc.Messages(watchChannel)); got != 1 {
		t.Errorf("messages after a restart past the nonce window: got %d, want 1", got)
	}
}

// runOnceWith is one `run --once` delivering to the fake Discord, with a
// store that may crash after sending.
func (h *harness) runOnceWith(t *testing.T, dc *fakediscord.Server, crash bool) {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Clean(h.db), store.WithClock(func() time.Time { return h.clock }))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var s store.Store = st
	if crash {
		s = crashAfterSend{st}
	}
	session, err := discord.NewSession("test-token", dc.APIBase(), nil)
	if err != nil {
		t.Fatal(err)
	}
	n := discord.NewChannelNotifier(session, watchChannel, discord.NewLimiter(discord.LimiterConfig{}))
	svc, err := New(ctx, h.options(s, n, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestMalformedAlertIsDroppedLoggedAndCounted: README's "No loss" has one
// exception on Discord, an alert it refuses as malformed (a 400, Invalid
// Form Body): dropped, logged and counted, and the alerts after it go on.
// The drop is the one loss an operator cannot see in the channel, so the
// log line must name the destination and Discord's reason.
func TestMalformedAlertIsDroppedLoggedAndCounted(t *testing.T) {
	dc := fakediscord.New(t)
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Destination: "desk"})
	h.cfg.Destinations = []config.Destination{{Name: "desk", Type: config.DiscordChannel, ChannelID: watchChannel}}
	h.runOnceWith(t, dc, false) // first sight
	refused := item(1, "Aleppo ceasefire talks resume", h.clock)
	h.write("wire.xml", refused, item(0, "Unrelated", h.clock))
	dc.FailNextOn("POST channels/"+watchChannel+"/messages", http.StatusBadRequest)
	logs := &logBuffer{}
	rep := h.runOnceLogged(t, dc, logs)
	if rep.Dropped != 1 || rep.Delivered != 0 {
		t.Errorf("run with the post refused: delivered %d, dropped %d; want 0, 1", rep.Delivered, rep.Dropped)
	}
	var dropLines []string
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, "alert dropped") {
			dropLines = append(dropLines, line)
		}
	}
	if len(dropLines) != 1 {
		t.Fatalf("%d log lines of a dropped alert, want 1:\n%s", len(dropLines), logs)
	}
	for _, want := range []string{"level=ERROR", "destination=desk", "subscription=cfg:aleppo", "50035"} {
		if !strings.Contains(dropLines[0], want) {
			t.Errorf("the drop's log line lacks %q:\n%s", want, dropLines[0])
		}
	}

	h.write("wire.xml", item(2, "Aleppo truce holds", h.clock.Add(time.Minute)), refused, item(0, "Unrelated", h.clock))
	h.clock = h.clock.Add(time.Hour)
	rep = h.runOnceLogged(t, dc, io.Discard)
	if rep.Dropped != 0 || rep.Delivered != 1 {
		t.Errorf("next run: delivered %d, dropped %d; want 1, 0", rep.Delivered, rep.Dropped)
	}
	if got := len(dc.Messages(watchChannel)); got != 1 {
		t.Errorf("messages in the channel: %d, want 1 (the next alert; the refused one is not tried again)", got)
	}
}

// runOnceLogged is one run --once posting to dc's channel, logging to w.
func (h *harness) runOnceLogged(t *testing.T, dc *fakediscord.Server, w io.Writer) OnceReport {
	t.Helper()
	ctx := context.Background()
	st := h.sqlite(t)
	defer st.Close()
	session, err := discord.NewSession("test-token", dc.APIBase(), nil)
	if err != nil {
		t.Fatal(err)
	}
	n := discord.NewChannelNotifier(session, watchChannel, discord.NewLimiter(discord.LimiterConfig{}))
	svc, err := New(ctx, h.options(st, n, w))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := svc.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}
