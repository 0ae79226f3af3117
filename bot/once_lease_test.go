package bot

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/internal/pgtest"
)

// TestRunOnceWaitingForTheStoriesLeaseIsNoStoreFailure: a run --once
// whose delivery waits for the stories lease another live instance holds
// (an email destination's new rows are read under it) gives up after
// twice the lease's time to live. That wait was counted as a store
// failure, so the run exited 3 ("the store failed") where the store
// worked and alerts were left in the outbox: 5. Health's readiness said
// "store: recording deliveries fails" for the same wait.
func TestRunOnceWaitingForTheStoriesLeaseIsNoStoreFailure(t *testing.T) {
	t.Parallel() // seconds of real waits for the stories lease, on a schema of its own
	dsn := pgtest.Schema(t)
	h, _, clk, n, delivered := talksEnqueued(t, dsn, time.Second)
	b, st := countingSender(t, h, dsn, clk, map[string]notify.Notifier{"desk": n}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	if got, err := st.Postgres.Lease(ctx, storiesLease, "another-instance", 1, time.Hour); err != nil || !got {
		t.Fatalf("taking the stories lease for another instance: %v, %v", got, err)
	}

	r, err := b.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, mails := delivered(); mails != 0 {
		t.Fatalf("%d mails sent while another instance held the stories lease, want 0", mails)
	}
	if got, want := r.Trouble(), "delivery"; got != want {
		t.Errorf("Trouble() = %q, want %q (report %+v)", got, want, r)
	}
	if r.StoreFailed || r.Pending != 1 {
		t.Errorf("StoreFailed %v, Pending %d; want false, 1", r.StoreFailed, r.Pending)
	}
	for _, reason := range b.Health().Reasons {
		if reason == "store: recording deliveries fails" {
			t.Errorf("readiness says %q while the outbox only waits for the stories lease", reason)
		}
	}
}
