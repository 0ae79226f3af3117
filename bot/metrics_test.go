package bot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/store"
)

func TestMetricsCountPollsAndDeliveries(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	h.afterFirstSight(item(2, "Aleppo talks resume", h.clock), item(3, "Aleppo truce", h.clock))
	h.rec.fail = []error{nil, fmt.Errorf("HTTP 400: embed too long: %w", notify.ErrRejected)}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := store.OpenSQLite(ctx, h.db, store.WithClock(func() time.Time { return h.clock }))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg := NewRegistry()
	svc, err := New(ctx, Options{Config: h.cfg, Store: st, Notifiers: map[string]notify.Notifier{"desk": h.rec},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return h.clock }, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- ServeMetrics(ctx, ln, reg) }()
	body := get(t, "http://"+ln.Addr().String()+"/metrics")
	for _, want := range []string{
		`newshound_polls_total{result="changed"} 1`,
		`newshound_polls_total{result="not_modified"} 1`,
		`newshound_new_items_total 2`,
		`newshound_alerts_enqueued_total 2`,
		`newshound_alerts_delivered_total{destination="desk"} 1`,
		`newshound_alerts_dropped_total{destination="desk"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if got := get(t, "http://"+ln.Addr().String()+"/healthz"); got != "ok\n" {
		t.Errorf("/healthz = %q, want ok", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ServeMetrics: %v", err)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
