package bot

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

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
	reg := prometheus.NewRegistry()
	o := h.options(st, h.rec, io.Discard)
	o.Registry = reg
	svc, err := New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}

	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`newshound_polls_total{result="changed"} 1`,
		`newshound_polls_total{result="not_modified"} 1`,
		`newshound_new_items_total 2`,
		`newshound_alerts_enqueued_total 2`,
		`newshound_alerts_delivered_total{destination="desk"} 1`,
		`newshound_alerts_dropped_total{destination="desk"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
