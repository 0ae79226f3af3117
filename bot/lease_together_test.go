package bot

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/internal/pgtest"
)

// TestDestinationsWaitForTheStoriesLeaseTogether: while another instance
// holds the stories lease, each email destination with new rows waits
// for it, up to twice the lease's time to live. lockStories kept this
// process's part of the lease (commitLock.stories) while it waited, so
// the destinations waited one after another: a pass of N destinations
// took N times the wait. They wait together: the pass takes one.
func TestDestinationsWaitForTheStoriesLeaseTogether(t *testing.T) {
	const ttl = time.Second
	dsn := pgtest.Schema(t)
	h, _, clk, desk, _ := talksEnqueued(t, dsn, ttl)
	ctx := context.Background()
	notifiers := map[string]notify.Notifier{"desk": desk}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for i := range 3 {
		dest := fmt.Sprintf("mail%d", i)
		notifiers[dest], _, _ = storyOutlets[0].open(t)
		copyDeskRow(t, db, dest)
	}
	b, st := countingSender(t, h, dsn, clk, notifiers, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if got, err := st.Postgres.Lease(ctx, storiesLease, "another-instance", time.Hour); err != nil || !got {
		t.Fatalf("taking the stories lease for another instance: %v, %v", got, err)
	}

	start := time.Now()
	err = b.sender.deliverAll(ctx)
	took := time.Since(start)
	t.Logf("a pass of %d destinations waiting for the stories lease took %v (one wait: %v)", len(notifiers), took, 2*ttl)
	if err == nil {
		t.Fatal("deliverAll: no error while another instance held the stories lease")
	}
	if waits, others := splitOff(err, errStoriesLeaseNotTaken); waits == nil || others != nil {
		t.Fatalf("deliverAll: %v, want only waits for the stories lease", err)
	}
	if limit := 2 * (2 * ttl); took >= limit {
		t.Errorf("the pass took %v, want under %v: its %d destinations waited for the lease one after another", took, limit, len(notifiers))
	}
}
