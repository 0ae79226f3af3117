package bot

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/feedtest"
	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
)

// TestADisabledFeedsRetryOutlastsAPollThatCannotBegin: the retry of a
// disabled feed that a start makes, or the one a busy host put off, was
// given up when the poll that was to make it could not begin (another
// instance held the feed's lease for a moment, or the store did not
// give it): the loop planned the feed's next poll as one when due, which
// leaves a disabled feed alone, so the feed stayed disabled until the
// next start or reload, fixed or not, and status showed the put-off
// retry as due all that time. The next poll makes the retry.
func TestADisabledFeedsRetryOutlastsAPollThatCannotBegin(t *testing.T) {
	tests := []struct {
		name   string
		putOff bool // a busy host put the retry off before
		// block keeps the poll from beginning until unblock
		block func(t *testing.T, svc *Service, pg *store.Postgres) (unblock func())
	}{
		{"a start's retry, another instance holding the lease", false, anotherInstanceHolds},
		{"a start's retry, the store failing the take", false, storeFailsTheTake},
		{"a retry put off, another instance holding the lease", true, anotherInstanceHolds},
		{"a retry put off, the store failing the take", true, storeFailsTheTake},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, dsn := disabledOnPostgres(t)
			svc, pg := openOnPostgres(t, h, dsn)
			ctx := context.Background()
			f, _ := svc.live.catalog().Feed("wire")
			other, _ := svc.live.catalog().Feed("other")
			mode := pollRetryDisabled
			if tt.putOff {
				svc.poller.pollFeed(ctx, other, pollNow, nil) // the host's gap begins
				svc.poller.pollFeed(ctx, f, mode, nil)        // not fetched
				mode = svc.poller.putOff.modeAfter("wire")
				h.clock = h.clock.Add(time.Minute)
				time.Sleep(busyGap) // the gap runs on the fetcher's clock
			}
			unblock := tt.block(t, svc, pg)
			svc.poller.pollFeed(ctx, f, mode, nil)
			mode = svc.poller.putOff.modeAfter("wire")
			unblock()
			h.clock = h.clock.Add(time.Minute)
			svc.poller.pollFeed(ctx, f, mode, nil)
			got, err := pg.FeedState(ctx, "wire")
			if err != nil {
				t.Fatal(err)
			}
			if got.Disabled || !got.LastPolled.Equal(h.clock) || !got.RetryAt.IsZero() {
				t.Errorf("the poll after one that could not begin (mode %v): disabled %v (%q), last polled %v, RetryAt %v; want the retry made: fetched at %v, enabled, no retry waiting",
					mode, got.Disabled, got.DisabledReason, got.LastPolled, got.RetryAt, h.clock)
			}
		})
	}
}

// anotherInstanceHolds has another instance take the feed's lease.
func anotherInstanceHolds(t *testing.T, svc *Service, pg *store.Postgres) func() {
	ctx := context.Background()
	if got, err := pg.Lease(ctx, "feed:wire", "another", 1, time.Minute); !got || err != nil {
		t.Fatalf("another instance's take: %v, %v", got, err)
	}
	return func() {
		if err := pg.Release(ctx, "feed:wire", "another", 1); err != nil {
			t.Fatal(err)
		}
	}
}

// storeFailsTheTake has the store fail every take of the feed's lease.
func storeFailsTheTake(t *testing.T, svc *Service, pg *store.Postgres) func() {
	failing := &leasesFailing{prefix: "feed:wire"}
	failing.fail.Store(true)
	svc.leases.leaser = failing
	return func() { svc.leases.leaser = pg }
}

// disabledOnPostgres is a harness, and its PostgreSQL schema, whose feed
// "wire" a run disabled (410) and which serves again, beside "other" on
// its host, whose host_gap (busyGap) outlasts the wait for a slot from
// now on.
func disabledOnPostgres(t *testing.T) (h *harness, dsn string) {
	t.Helper()
	h = newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	wire := newFlakyFeed(t, http.StatusGone)
	other := feedtest.NewServer(t, "Other", testItem{GUID: "o1", Title: "Weather stays mild", Link: "https://other.example/1"})
	h.cfg.Defaults.AllowPrivateNetworks = true
	h.cfg.Feeds = []config.Feed{{Name: "other", URL: other.URL}, {Name: "wire", URL: wire.URL}}
	dsn = pgtest.Schema(t)
	svc, _ := openOnPostgres(t, h, dsn)
	if _, err := svc.RunOnce(context.Background()); err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	wire.SetStatus(http.StatusOK)
	h.cfg.Defaults.HostGap, h.cfg.Defaults.Timeout = busyGap, busyGap/2
	return h, dsn
}

// openOnPostgres starts a service of h's config on the schema dsn, on
// h's clock, as a new instance would.
func openOnPostgres(t *testing.T, h *harness, dsn string) (*Service, *store.Postgres) {
	t.Helper()
	ctx := context.Background()
	pg, err := store.OpenPostgres(ctx, dsn, store.WithClock(func() time.Time { return h.clock }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	svc, err := New(ctx, h.options(pg, h.rec, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	return svc, pg
}
