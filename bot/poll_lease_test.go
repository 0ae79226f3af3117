package bot

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
)

// storiesLeaseBlock keeps svc's instance from taking the stories lease
// on the shared store at dsn until the returned func is called.
type storiesLeaseBlock func(t *testing.T, svc *Service, dsn string) (unblock func())

// otherInstance is the owner that holdStoriesLeaseElsewhere takes the
// lease for.
const otherInstance = "newsroom-2/4242/feedbeef"

// holdStoriesLeaseElsewhere has another live instance hold the stories
// lease (for an hour: renewed, as far as this instance can tell).
func holdStoriesLeaseElsewhere(t *testing.T, svc *Service, _ string) func() {
	t.Helper()
	l := svc.store.(store.Leaser)
	if got, err := l.Lease(context.Background(), storiesLease, otherInstance, 1, time.Hour); err != nil || !got {
		t.Fatalf("taking the stories lease for another instance: %v, %v", got, err)
	}
	return func() {
		if err := l.Release(context.Background(), storiesLease, otherInstance, 1); err != nil {
			t.Fatal(err)
		}
	}
}

// refusedLease is what PostgreSQL answers failTakingStoriesLease's takes.
const refusedLease = "the stories lease is refused by a trigger"

// failTakingStoriesLease makes PostgreSQL refuse, with an error, every
// take of the stories lease (and of no other lease) in dsn's schema.
func failTakingStoriesLease(t *testing.T, _ *Service, dsn string) func() {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, q := range []string{
		`CREATE FUNCTION refuse_stories_lease() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.name = 'stories' THEN RAISE EXCEPTION '` + refusedLease + `'; END IF;
			RETURN NEW;
		END $$`,
		`CREATE TRIGGER refuse_stories_lease BEFORE INSERT ON leases FOR EACH ROW EXECUTE FUNCTION refuse_stories_lease()`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		if _, err := db.Exec(`DROP TRIGGER refuse_stories_lease ON leases`); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRunOncePollGivingUpOnTheStoriesLease: a run --once whose poll
// enqueues an alert waits for the stories lease, and gives up after twice
// its time to live. Another live instance holding it was counted as a
// store failure, so the run exited 3 ("the store failed") where the store
// worked and the poll's items were left unseen for the next run, which
// posts them. A store that fails to take the lease is still a store
// failure.
func TestRunOncePollGivingUpOnTheStoriesLease(t *testing.T) {
	t.Parallel() // seconds of real waits for the stories lease, on a schema of its own
	cases := []struct {
		name        string
		block       storiesLeaseBlock
		wantTrouble string
		wantLeft    int
	}{
		{"another instance holds it", holdStoriesLeaseElsewhere, "", 1},
		{"taking it fails", failTakingStoriesLease, "store", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dsn := pgtest.Schema(t)
			svc, delivered := pollingInstance(t, dsn, time.Second, slog.New(slog.NewTextHandler(io.Discard, nil)))
			unblock := tc.block(t, svc, dsn)
			ctx := context.Background()

			r, err := svc.RunOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Trouble(); got != tc.wantTrouble || r.FeedsLeft != tc.wantLeft {
				t.Errorf("Trouble() = %q, FeedsLeft %d; want %q, %d (report %+v)", got, r.FeedsLeft, tc.wantTrouble, tc.wantLeft, r)
			}
			if _, mails := delivered(); mails != 0 {
				t.Fatalf("%d mails sent without the stories lease, want 0", mails)
			}

			unblock()
			if _, err := svc.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			if _, mails := delivered(); mails != 1 {
				t.Errorf("the next run sent %d mails, want 1: the item the run gave up on was lost", mails)
			}
		})
	}
}

// TestPollGivingUpOnTheStoriesLeaseBacksOffTheFeed: under Run, a poll
// that gave up waiting for the stories lease another live instance holds
// was counted as a store failure: polling paused for every feed as in a
// store outage, readiness said "store: writes fail; polling paused", and
// the feed was polled again a minute later. It is a wait: the feed alone
// is polled again with back-off, logged once with a count, and its items
// are posted once the lease is free.
func TestPollGivingUpOnTheStoriesLeaseBacksOffTheFeed(t *testing.T) {
	t.Parallel() // seconds of real waits for the stories lease, on a schema of its own
	dsn := pgtest.Schema(t)
	logs := &logBuffer{}
	svc, delivered := pollingInstance(t, dsn, time.Second, slog.New(slog.NewTextHandler(logs, nil)))
	giveBack := holdStoriesLeaseElsewhere(t, svc, dsn)
	ctx := context.Background()
	f, _ := svc.live.catalog().Feed("wire")

	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		now := svc.now()
		if got := svc.poller.pollFeed(ctx, f, pollNow, nil).Sub(now); got < want || got > want*6/5 {
			t.Errorf("give-up %d: the feed is polled again in %v, want %v (+20 %% at most)", i+1, got, want)
		}
		if until := svc.poller.storeDown.pausedUntil(); !until.IsZero() {
			t.Errorf("give-up %d: polling paused until %v as in a store outage", i+1, until)
		}
		for _, reason := range svc.Health().Reasons {
			if strings.HasPrefix(reason, "store") {
				t.Errorf("give-up %d: readiness says %q", i+1, reason)
			}
		}
	}
	if got := strings.Count(logs.String(), "a poll gave up waiting for the stories lease"); got != 1 {
		t.Errorf("the wait logged %d times, want once:\n%s", got, logs.String())
	}

	giveBack()
	svc.poller.pollFeed(ctx, f, pollNow, nil)
	if err := svc.sender.deliverAll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, mails := delivered(); mails != 1 {
		t.Errorf("%d mails sent once the lease was free, want 1", mails)
	}
	if got := strings.Count(logs.String(), "msg=\"polls take the stories lease again\" failures=3"); got != 1 {
		t.Errorf("the end of the wait logged %d times with its count, want once:\n%s", got, logs.String())
	}
}

// TestAGiveUpOnTheLeaseIsOneStateWhoeverHoldsIt: a give-up names the
// instance holding the stories lease when the store told which in time,
// and not otherwise (the workers ahead used the whole budget), and the
// holder may change. Each give-up was a new state, logged again: a poll's
// wait (so TestPollGivingUpOnTheStoriesLeaseBacksOffTheFeed's logged
// twice under load) and a re-plan's retried failure. Each is logged once.
func TestAGiveUpOnTheLeaseIsOneStateWhoeverHoldsIt(t *testing.T) {
	tests := []struct {
		name, logged string
		giveUp       func(svc *Service, err error)
	}{
		{"a poll's wait", "a poll gave up waiting for the stories lease", func(svc *Service, err error) {
			f, _ := svc.live.catalog().Feed("wire")
			st, _ := svc.poller.loadState(context.Background(), f)
			svc.poller.leftForLease(context.Background(), f, st, err, svc.now())
		}},
		{"a re-plan's failure", "re-planning held alerts", func(svc *Service, err error) {
			svc.poller.replans.failed(context.Background(), nil, err)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dsn := pgtest.Schema(t)
			logs := &logBuffer{}
			svc, _ := pollingInstance(t, dsn, time.Second, slog.New(slog.NewTextHandler(logs, nil)))
			for _, owner := range []string{otherInstance, "", "newsroom-3/77/cafe", ""} {
				tt.giveUp(svc, svc.poller.commits.gaveUp(time.Second, nil, owner))
			}
			if got := strings.Count(logs.String(), tt.logged); got != 1 {
				t.Errorf("four give-ups logged %d times, want once:\n%s", got, logs.String())
			}
		})
	}
}

// TestStoriesLeaseGiveUpSaysWhy: lockStories' give-up said "another
// instance holds it, or taking it fails" whichever it was. It names the
// instance holding the lease (a wait, no failure of the store), or gives
// the store's error (a failure of the store).
func TestStoriesLeaseGiveUpSaysWhy(t *testing.T) {
	t.Parallel() // seconds of real waits for the stories lease, on a schema of its own
	cases := []struct {
		name      string
		block     storiesLeaseBlock
		want      string
		wantWaits bool
	}{
		{"another instance holds it", holdStoriesLeaseElsewhere, `another instance holds it: "` + otherInstance + `"`, true},
		{"taking it fails", failTakingStoriesLease, refusedLease, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dsn := pgtest.Schema(t)
			svc, _ := pollingInstance(t, dsn, time.Second, slog.New(slog.NewTextHandler(io.Discard, nil)))
			tc.block(t, svc, dsn)

			unlock, err := svc.poller.commits.lockStories(context.Background())
			if err == nil {
				unlock()
				t.Fatal("lockStories took the lease")
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), " or ") {
				t.Errorf("lockStories: %v\nwant it to say %q, and not which it may be", err, tc.want)
			}
			if got := errors.Is(err, errStoriesLeaseNotTaken); got != tc.wantWaits {
				t.Errorf("errors.Is(err, errStoriesLeaseNotTaken) = %v, want %v (a wait, not a failure of the store)", got, tc.wantWaits)
			}
		})
	}
}

// TestPollLeftForTheLeaseEndsItsWaitOnceItsFeedCommits: a poll that gave
// up on the stories lease another instance held is logged once, and the
// wait's end when a poll takes the lease. Its feed's next poll may need
// no lease: another instance polled the feed and committed its items
// meanwhile. The wait was then never over: a later one, an hour on, was
// not logged, and its feed was polled again after the old back-off's
// next step, not a second. The wait ends once the feeds whose polls gave
// up are committed.
func TestPollLeftForTheLeaseEndsItsWaitOnceItsFeedCommits(t *testing.T) {
	t.Parallel() // seconds of real waits for the stories lease, on a schema of its own
	dsn := pgtest.Schema(t)
	logs := &logBuffer{}
	p := newPollingInstance(t, dsn, time.Second, slog.New(slog.NewTextHandler(logs, nil)))
	svc, ctx := p.svc, context.Background()
	other, _ := p.h.openLoggingInstance(dsn, p.clk, p.desk, slog.New(slog.NewTextHandler(io.Discard, nil)), "wire")
	f, _ := svc.live.catalog().Feed("wire")
	giveUp := func(wait string) {
		t.Helper()
		giveBack := holdStoriesLeaseElsewhere(t, svc, dsn)
		defer giveBack()
		now := svc.now()
		if got := svc.poller.pollFeed(ctx, f, pollNow, nil).Sub(now); got < time.Second || got > time.Second*6/5 {
			t.Errorf("%s: the feed is polled again in %v, want 1s (+20 %% at most)", wait, got)
		}
	}

	giveUp("the first wait")
	otherFeed, _ := other.live.catalog().Feed("wire")
	other.poller.pollFeed(ctx, otherFeed, pollNow, nil) // commits the item, under the lease now free
	svc.poller.pollFeed(ctx, f, pollNow, nil)           // finds the document committed: no lease to take
	if got := strings.Count(logs.String(), "msg=\"the polls that gave up on the stories lease are committed\" failures=1"); got != 1 {
		t.Errorf("the end of the wait logged %d times with its count, want once:\n%s", got, logs.String())
	}

	p.clk.advance(time.Hour)
	p.h.write("wire.xml", item(1, "Aleppo talks resume", p.clk.now()), item(2, "Aleppo ceasefire holds", p.clk.now()))
	giveUp("a later wait")
	if got := strings.Count(logs.String(), "a poll gave up waiting for the stories lease"); got != 2 {
		t.Errorf("two waits logged %d times, want once each:\n%s", got, logs.String())
	}
}
