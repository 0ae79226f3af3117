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
// for it, up to twice the lease's time to live, and gives up. lockStories
// kept this process's part of the lease (commitLock.stories) while it
// waited, so the destinations waited one after another: each gave up a
// whole wait after the one before, and a pass of N took N waits. They
// wait together, and give up together.
//
// What is timed is the spread of the give-ups (each destination's outbox
// lease given back as its pass ends), not the pass, so neither the pass's
// reads nor the wait itself count. One after another, N give-ups spread
// over at least N-1 waits however slow the machine, since each wait is
// timed from the give-up before it; together, over the last back-off
// step of the destination that tries the lease (a second at most) and
// the time the others took to queue behind it. The bound, N-2 waits,
// leaves seconds to both.
func TestDestinationsWaitForTheStoriesLeaseTogether(t *testing.T) {
	t.Parallel() // seconds of real waits for the stories lease, on a schema of its own
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
	for i := range 4 {
		dest := fmt.Sprintf("mail%d", i)
		notifiers[dest], _, _ = storyOutlets[0].open(t)
		copyDeskRow(t, db, dest)
	}
	b, st := countingSender(t, h, dsn, clk, notifiers, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if got, err := st.Postgres.Lease(ctx, storiesLease, "another-instance", 1, time.Hour); err != nil || !got {
		t.Fatalf("taking the stories lease for another instance: %v, %v", got, err)
	}

	err = b.sender.deliverAll(ctx)
	if err == nil {
		t.Fatal("deliverAll: no error while another instance held the stories lease")
	}
	if waits, others := splitOff(err, errStoriesLeaseNotTaken); waits == nil || others != nil {
		t.Fatalf("deliverAll: %v, want only waits for the stories lease", err)
	}
	var first, last time.Time
	for dest := range notifiers {
		at := st.releasedAt(outboxLease(dest))
		if at.IsZero() {
			t.Fatalf("%s: its pass did not end (its outbox lease was not given back)", dest)
		}
		if first.IsZero() || at.Before(first) {
			first = at
		}
		if at.After(last) {
			last = at
		}
	}
	wait, spread := 2*ttl, last.Sub(first)
	t.Logf("%d destinations waiting for the stories lease gave up over %v (one wait: %v)", len(notifiers), spread, wait)
	if limit := time.Duration(len(notifiers)-2) * wait; spread >= limit {
		t.Errorf("the destinations gave up over %v, want under %v: they waited for the lease one after another", spread, limit)
	}
}
