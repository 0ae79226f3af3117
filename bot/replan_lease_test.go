package bot

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/pgtest"
)

// TestInstancesReloadingWhileTheStoriesLeaseIsHeldSendOneDigest: two
// instances on one PostgreSQL store reload, at once, the switch of an
// 08:00 digest subscription to instant at 07:30 while a third holds the
// real stories lease: neither can re-plan, and nothing is sent then. Once
// it is given back, both make the re-plan they owe at once at 07:31 (a
// poll each): what was held goes out as one digest, once, not at 08:00.
func TestInstancesReloadingWhileTheStoriesLeaseIsHeldSendOneDigest(t *testing.T) {
	t.Parallel() // seconds of real waits for the stories lease, on a schema of its own
	dsn := pgtest.Schema(t)
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: eightDaily()})
	h.cfg.Service.LeaseTTL = time.Second
	clk := &clock{}
	clk.set(time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC))
	a, st := h.openInstance(dsn, clk, h.rec, "wire")
	b, _ := h.openInstance(dsn, clk, h.rec, "wire")
	ctx := context.Background()
	both := func(do func(*Service)) {
		var wg sync.WaitGroup
		for _, svc := range []*Service{a, b} {
			wg.Go(func() { do(svc) })
		}
		wg.Wait()
	}
	runOnce := func(svc *Service) {
		if _, err := svc.RunOnce(ctx); err != nil {
			t.Errorf("RunOnce: %v", err)
		}
	}
	runOnce(a) // first sight
	var held []string
	var items []testItem
	for i := range 3 {
		items = append(items, item(10+i, fmt.Sprintf("Aleppo story %d", i), clk.now()))
		held = append([]string{items[i].Title}, held...)
	}
	h.write("wire.xml", items...)
	runOnce(a) // held for 08:00

	const other = "another-instance"
	if got, err := st.Postgres.Lease(ctx, storiesLease, other, 1, time.Hour); err != nil || !got {
		t.Fatalf("taking the stories lease for another instance: %v, %v", got, err)
	}
	clk.set(time.Date(2026, 12, 2, 7, 30, 0, 0, time.UTC))
	next := *h.cfg
	next.Subscriptions = slices.Clone(h.cfg.Subscriptions)
	next.Subscriptions[0].Delivery = config.Delivery{}
	both(func(svc *Service) {
		if err := svc.Reload(ctx, &next); err != nil {
			t.Errorf("Reload: %v", err)
		}
	})
	read := 0
	if got := h.rec.since(&read); len(got) != 0 {
		t.Fatalf("at 07:30, the lease held elsewhere: sent %d messages, want none", len(got))
	}
	if err := st.Postgres.Release(ctx, storiesLease, other, 1); err != nil {
		t.Fatal(err)
	}
	clk.set(time.Date(2026, 12, 2, 7, 31, 0, 0, time.UTC))
	both(runOnce)
	both(runOnce)
	wantSent(t, "07:31", h.rec.since(&read), nil, [][]string{held})
	clk.set(time.Date(2026, 12, 2, 8, 1, 0, 0, time.UTC))
	both(runOnce)
	wantSent(t, "08:01", h.rec.since(&read), nil, nil)
}

// TestAStartWhileTheStoriesLeaseIsHeldElsewhereWaitsForNoReplan: on a
// PostgreSQL store whose held alerts were planned under the config, an
// instance started (a `run --once`) while another holds the stories
// lease, with that config, or with a subscription added, polls without
// waiting for the lease: no re-plan is tried, none fails.
func TestAStartWhileTheStoriesLeaseIsHeldElsewhereWaitsForNoReplan(t *testing.T) {
	tests := []struct {
		name string
		edit func(*config.Config)
	}{
		{"the config unchanged", func(*config.Config) {}},
		{"a subscription added", func(c *config.Config) {
			c.Subscriptions = append(c.Subscriptions, config.Subscription{Name: "beirut", Query: "beirut", Destination: "desk", MaxAge: 24 * time.Hour, Delivery: eightDaily()})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn := pgtest.Schema(t)
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: eightDaily()})
			h.cfg.Service.LeaseTTL = time.Second
			clk := &clock{}
			clk.set(time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC))
			ctx := context.Background()
			first, st := h.openInstance(dsn, clk, h.rec, "wire")
			if _, err := first.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			const other = "another-instance"
			if got, err := st.Postgres.Lease(ctx, storiesLease, other, 1, time.Hour); err != nil || !got {
				t.Fatalf("taking the stories lease for another instance: %v, %v", got, err)
			}

			next := *h.cfg
			next.Subscriptions = slices.Clone(h.cfg.Subscriptions)
			tt.edit(&next)
			h.cfg = &next
			var logs bytes.Buffer
			started, _ := h.openLoggingInstance(dsn, clk, h.rec, slog.New(slog.NewTextHandler(&logs, nil)), "wire")
			if _, err := started.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(logs.String(), "re-planning held alerts") {
				t.Errorf("the start logged a re-plan:\n%s\nwant none tried", logs.String())
			}
		})
	}
}
