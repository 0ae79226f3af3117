package bot

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
)

// leaseCountingStore is a shared PostgreSQL store that counts the takes
// of each lease (each a write to the store, and its release another).
type leaseCountingStore struct {
	*store.Postgres
	mu       sync.Mutex
	takes    map[string]int
	released map[string]time.Time // when each lease was last given back
}

func (s *leaseCountingStore) Lease(ctx context.Context, name, owner string, take int64, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	s.takes[name]++
	s.mu.Unlock()
	return s.Postgres.Lease(ctx, name, owner, take, ttl)
}

func (s *leaseCountingStore) taken(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.takes[name]
}

func (s *leaseCountingStore) Release(ctx context.Context, name, owner string, take int64) error {
	s.mu.Lock()
	s.released[name] = time.Now()
	s.mu.Unlock()
	return s.Postgres.Release(ctx, name, owner, take)
}

func (s *leaseCountingStore) releasedAt(name string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.released[name]
}

// countingSender opens a service over dsn that only sends (h's config
// without its feeds) to notifiers, through a store counting the takes of
// each lease.
func countingSender(t *testing.T, h *harness, dsn string, clk *clock, notifiers map[string]notify.Notifier, log *slog.Logger) (*Service, *leaseCountingStore) {
	t.Helper()
	pg, err := store.OpenPostgres(context.Background(), dsn, store.WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	st := &leaseCountingStore{Postgres: pg, takes: map[string]int{}, released: map[string]time.Time{}}
	cfg := *h.cfg
	cfg.Feeds = nil // sends only
	b, err := New(context.Background(), testOptions(&cfg, st, notifiers, log, clk.now))
	if err != nil {
		t.Fatal(err)
	}
	return b, st
}

// TestIdleDigestDestinationTakesNoStoriesLeaseEachTick: an email
// destination (its messages name their story) whose outbox holds a match
// for the 08:00 digest is looked at on every 2 s tick of the sender. Each
// look took the stories lease, a write and a release on the shared store:
// 30 a minute while the match waits for 08:00, and again on each tick of
// the clockSkew after it, when the due rows are read and left for later,
// with nothing committed and nothing moving. The lease is taken only for
// rows committed since the last read under it.
func TestIdleDigestDestinationTakesNoStoriesLeaseEachTick(t *testing.T) {
	dsn := pgtest.Schema(t)
	h := digestAtEight(t)
	n, _, _ := storyOutlets[0].open(t) // email
	clk := &clock{}
	a, _ := h.openInstance(dsn, clk, n, "wire")
	ctx := context.Background()
	talksHeldForEight(h, clk.set, func() { a.RunOnce(ctx) })

	b, st := countingSender(t, h, dsn, clk, map[string]notify.Notifier{"desk": n}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	phases := []struct {
		name    string
		from    time.Time
		ticks   int
		maxTake int
	}{
		{"held for 08:00, a minute of ticks", time.Date(2026, 12, 2, 7, 30, 0, 0, time.UTC), int(time.Minute / sendTick), 1},
		{"due, left for clockSkew", time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC), int((clockSkew - time.Second) / sendTick), 1},
	}
	for _, ph := range phases {
		clk.set(ph.from)
		before, outbox := st.taken(storiesLease), st.taken(outboxLease("desk"))
		for range ph.ticks {
			clk.advance(sendTick)
			if err := b.sender.deliverAll(ctx); err != nil {
				t.Fatalf("%s: deliverAll: %v", ph.name, err)
			}
		}
		if got := st.taken(outboxLease("desk")) - outbox; got != ph.ticks {
			t.Fatalf("%s: the outbox lease taken %d times in %d ticks: the destination was not looked at each tick", ph.name, got, ph.ticks)
		}
		got := st.taken(storiesLease) - before
		t.Logf("%s: the stories lease taken %d times in %d ticks", ph.name, got, ph.ticks)
		if got > ph.maxTake {
			t.Errorf("%s: the stories lease taken %d times in %d ticks with nothing moving, want at most %d", ph.name, got, ph.ticks, ph.maxTake)
		}
	}
}

// TestSenderWaitingForTheStoriesLeaseSaysSo: while another instance holds
// the stories lease (a poll grouping and committing, or one stalled until
// its lease runs out), the sender cannot read an email destination's new
// rows, and logged "reading the outbox failed", as if the store failed.
// It says it waits for the stories lease, once however many passes wait,
// and once when the lease is taken again.
func TestSenderWaitingForTheStoriesLeaseSaysSo(t *testing.T) {
	t.Parallel() // seconds of real waits for the stories lease, on a schema of its own
	dsn := pgtest.Schema(t)
	h, _, clk, n, delivered := talksEnqueued(t, dsn, time.Second)
	logs := &logBuffer{}
	b, st := countingSender(t, h, dsn, clk, map[string]notify.Notifier{"desk": n}, slog.New(slog.NewTextHandler(logs, nil)))
	giveBack, stop := sendBehindStoriesLease(t, b, st)

	// A third pass begun: two have waited out the lease and failed.
	waitForCondition(t, "three passes", func() bool { return st.taken(outboxLease("desk")) >= 3 })
	giveBack()
	waitForCondition(t, "the alert delivered and the pass reported", func() bool {
		_, mails := delivered()
		return mails == 1 && b.sender.storeErrs.FailingKinds() == 0 && !b.sender.leaseWaits.Failing("stories-lease")
	})
	stop()

	wantLogged(t, logs.String(), map[string]int{
		"reading the outbox failed":              0,
		"the outbox waits for the stories lease": 1,
		"the stories lease is free again":        1,
	})
}

// sendBehindStoriesLease has another instance take the stories lease and
// runs b's sender loop. giveBack gives the lease back; stop ends the loop
// and waits for it (at the test's end if not before).
func sendBehindStoriesLease(t *testing.T, b *Service, st *leaseCountingStore) (giveBack, stop func()) {
	t.Helper()
	ctx := context.Background()
	const other = "another-instance"
	if got, err := st.Postgres.Lease(ctx, storiesLease, other, 1, time.Hour); err != nil || !got {
		t.Fatalf("taking the stories lease for another instance: %v, %v", got, err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); b.sender.loop(runCtx, runCtx) }()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	giveBack = func() {
		if err := st.Postgres.Release(ctx, storiesLease, other, 1); err != nil {
			t.Fatal(err)
		}
	}
	return giveBack, stop
}

// wantLogged checks how many times each line of want was logged in got.
func wantLogged(t *testing.T, got string, want map[string]int) {
	t.Helper()
	for line, n := range want {
		if c := strings.Count(got, line); c != n {
			t.Errorf("%q logged %d times, want %d; log:\n%s", line, c, n, got)
		}
	}
}

// TestSenderWaitingForTheStoriesLeaseToPostAloneSaysSo: a report whose
// story's message was deleted goes alone, which on a shared store waits
// for the stories lease (commitLock.lockHolds). While another instance
// held it, each pass logged "waiting for the polls that commit alerts
// failed" at ERROR, as if the store failed. The wait is the outbox's
// wait for the lease, logged once, and its end once.
func TestSenderWaitingForTheStoriesLeaseToPostAloneSaysSo(t *testing.T) {
	t.Parallel() // seconds of real waits for the stories lease, on a schema of its own
	dsn := pgtest.Schema(t)
	h, rec := storyHarness(t, kesslerSub())
	h.cfg.Service.LeaseTTL = time.Second
	clk, at := h.sharedClock(rec)
	a, _ := h.openInstance(dsn, clk, rec, outlets[0].feed, outlets[1].feed)
	ctx := context.Background()
	pollA := func() { a.poller.pollAll(ctx, a.live.catalog().Feeds(), pollNow) }
	pollA() // first sight
	h.publishReport(0)
	at(time.Minute)
	pollA()
	if err := a.sender.deliverAll(ctx); err != nil {
		t.Fatal(err)
	}
	rec.emu.Lock()
	rec.deleted["m1"] = true // the story's message
	rec.emu.Unlock()
	h.publishReport(1)
	at(time.Minute)
	pollA() // a report of the story, which goes alone

	logs := &logBuffer{}
	b, st := countingSender(t, h, dsn, clk, map[string]notify.Notifier{"desk": rec}, slog.New(slog.NewTextHandler(logs, nil)))
	giveBack, stop := sendBehindStoriesLease(t, b, st)

	// A third pass begun: two have waited out the lease and given up.
	waitForCondition(t, "three passes", func() bool { return st.taken(outboxLease("desk")) >= 3 })
	giveBack()
	waitForCondition(t, "the report posted alone and the pass reported", func() bool {
		return len(rec.titles()) == 2 && b.sender.storeErrs.FailingKinds() == 0 && !b.sender.leaseWaits.Failing("stories-lease")
	})
	stop()

	wantLogged(t, logs.String(), map[string]int{
		"waiting for the polls that commit alerts failed": 0,
		"the outbox waits for the stories lease":          1,
		"the stories lease is free again":                 1,
	})
	if got, want := rec.titles(), []string{outlets[0].title, outlets[1].title}; !slices.Equal(got, want) {
		t.Errorf("messages %q, want %q", got, want)
	}
}

// talksEnqueued opens an instance over dsn that polls "wire" for the
// aleppo subscription into an email notifier (its messages name their
// story), and has it enqueue one alert, "Aleppo talks resume", unsent.
// leaseTTL 0 keeps the harness's.
func talksEnqueued(t *testing.T, dsn string, leaseTTL time.Duration) (h *harness, a *Service, clk *clock, n notify.Notifier, delivered func() (map[string]string, int)) {
	t.Helper()
	h = newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	if leaseTTL > 0 {
		h.cfg.Service.LeaseTTL = leaseTTL
	}
	n, delivered, _ = storyOutlets[0].open(t)
	clk = &clock{}
	clk.set(h.clock)
	a, _ = h.openInstance(dsn, clk, n, "wire")
	ctx := context.Background()
	a.poller.pollAll(ctx, a.live.catalog().Feeds(), pollNow) // first sight
	h.write("wire.xml", item(1, "Aleppo talks resume", clk.now()))
	clk.advance(time.Minute)
	a.poller.pollAll(ctx, a.live.catalog().Feeds(), pollNow)
	return h, a, clk, n, delivered
}

// waitForCondition polls cond until it holds, failing the test after 30 s.
func waitForCondition(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// TestSettledReadOfARowCommittedLateTakesTheLease: outbox ids are handed
// out at the insert, not the commit, so a transaction that inserted first
// can commit after one that inserted later (on a shared store, an
// instance whose stories lease ran out during its commit, while another
// took the lease and committed). The sender took a row whose id was below
// one read under the lease for settled and read it without the lease,
// though that row's poll may still be storing its moves. A row is settled
// once read under the lease itself, whatever its id.
func TestSettledReadOfARowCommittedLateTakesTheLease(t *testing.T) {
	dsn := pgtest.Schema(t)
	h, a, clk, n, delivered := talksEnqueued(t, dsn, 0) // the first row
	ctx := context.Background()

	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	late, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer late.Rollback()
	// A copy of the first row under another item, its id handed out now,
	// committed after the next poll's row.
	if _, err := late.ExecContext(ctx, `INSERT INTO alerts (`+lateAlertColumns+`, item_key)
		SELECT `+lateAlertColumns+`, 'late' FROM alerts ORDER BY id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	h.write("wire.xml", item(1, "Aleppo talks resume", clk.now()), item(2, "Aleppo ceasefire holds", clk.now()))
	clk.advance(time.Minute)
	a.poller.pollAll(ctx, a.live.catalog().Feeds(), pollNow) // the newest id, committed

	b, st := countingSender(t, h, dsn, clk, map[string]notify.Notifier{"desk": n}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := b.sender.deliverAll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, mails := delivered(); mails != 2 {
		t.Fatalf("%d mails before the late commit, want the 2 committed rows", mails)
	}
	if err := late.Commit(); err != nil {
		t.Fatal(err)
	}
	before := st.taken(storiesLease)
	if err := b.sender.deliverAll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, mails := delivered(); mails != 3 {
		t.Fatalf("%d mails after the late commit, want 3: the late row was not read", mails)
	}
	if got := st.taken(storiesLease) - before; got == 0 {
		t.Errorf("the row committed late (an id below the rows read under the stories lease) was read without the lease")
	}
}

// copyDeskRow inserts a copy of the desk's first outbox row for dest.
func copyDeskRow(t *testing.T, db *sql.DB, dest string) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), `INSERT INTO alerts (`+lateAlertColumns+`, item_key)
		SELECT $1, subscription, feed_id, dedupe_keys, payload, created_at, batch, attempts, next_attempt,
			last_error, hold_until, digest, story, joins, fingerprint, enqueued_at, item_key
		FROM alerts WHERE destination = 'desk' ORDER BY id LIMIT 1`, dest); err != nil {
		t.Fatal(err)
	}
}

// lateAlertColumns are the columns a copied outbox row keeps.
const lateAlertColumns = `destination, subscription, feed_id, dedupe_keys, payload,
	created_at, batch, attempts, next_attempt, last_error, hold_until, digest, story, joins, fingerprint,
	enqueued_at`

// TestStoriesLeaseWaitLoggedOnceWhateverDestinationsWait: while another
// instance holds the stories lease, the sender's passes wait for it for
// each destination with new rows whose messages name their story. The
// wait was logged again whenever the set of waiting destinations changed
// (a second destination's row committed by the lease's holder), since the
// destinations' names made the failure's state: one wait, one line.
func TestStoriesLeaseWaitLoggedOnceWhateverDestinationsWait(t *testing.T) {
	t.Parallel() // seconds of real waits for the stories lease, on a schema of its own
	dsn := pgtest.Schema(t)
	h, _, clk, n, delivered := talksEnqueued(t, dsn, time.Second)
	mail, mailed, _ := storyOutlets[0].open(t) // a second email destination
	logs := &logBuffer{}
	b, st := countingSender(t, h, dsn, clk, map[string]notify.Notifier{"desk": n, "mail": mail}, slog.New(slog.NewTextHandler(logs, nil)))
	giveBack, stop := sendBehindStoriesLease(t, b, st)

	waitForCondition(t, "a pass waiting for desk", func() bool { return st.taken(outboxLease("desk")) >= 2 })
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	copyDeskRow(t, db, "mail") // the lease's holder commits a row for mail too
	waitForCondition(t, "a pass waiting for both", func() bool { return st.taken(outboxLease("mail")) >= 2 })
	giveBack()
	waitForCondition(t, "both alerts delivered and the pass reported", func() bool {
		_, desk := delivered()
		_, mails := mailed()
		return desk == 1 && mails == 1 && b.sender.storeErrs.FailingKinds() == 0 && !b.sender.leaseWaits.Failing("stories-lease")
	})
	stop()
	if got := strings.Count(logs.String(), "the outbox waits for the stories lease"); got != 1 {
		t.Errorf("the wait logged %d times, want 1; log:\n%s", got, logs.String())
	}
}
