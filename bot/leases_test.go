package bot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/pgtest"
)

// countingSlowNotifier counts the sends of each alert, each send taking delay.
type countingSlowNotifier struct {
	mu    sync.Mutex
	sends map[int64]int
	delay time.Duration
}

func (s *countingSlowNotifier) Send(ctx context.Context, m notify.Message) (notify.Receipt, error) {
	time.Sleep(s.delay)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range m.Alerts {
		s.sends[a.ID]++
	}
	return notify.Receipt{MessageID: "m"}, nil
}

// TestRunOnceKeepsOutboxLeaseAlive: two `run --once` instances share a
// PostgreSQL store, and the first one's pass (sends slower than the lease
// TTL) outlasts the TTL. The first instance renews its outbox lease while
// its pass goes on, so the second finds the outbox taken; no alert is sent
// twice. (RunOnce used not to renew leases, and the check before a send
// only read memory: both instances sent alerts 3 and 4.)
func TestRunOnceKeepsOutboxLeaseAlive(t *testing.T) {
	dsn := pgtest.Schema(t)
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Destination: "desk"})
	h.cfg.Service.LeaseTTL = time.Second
	h.cfg.Discord.Burst = 100 // one alert per message
	h.clock = time.Now().UTC()
	ctx := context.Background()
	rec := &countingSlowNotifier{sends: map[int64]int{}}
	open := func() *Service { return h.openPostgres(dsn, rec) }
	a := open()
	a.RunOnce(ctx) // first sight
	var its []testItem
	for i := 0; i < 4; i++ {
		its = append(its, item(10+i, fmt.Sprintf("Aleppo story %d", i), h.clock))
	}
	h.write("wire.xml", its...)
	rec.delay = 700 * time.Millisecond
	b := open()
	var wg sync.WaitGroup
	wg.Go(func() { a.RunOnce(ctx) })
	time.Sleep(1500 * time.Millisecond) // a's lease would have expired unrenewed
	wg.Go(func() { b.RunOnce(ctx) })
	wg.Wait()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.sends) != 4 {
		t.Errorf("sends per alert %v: want 4 alerts sent", rec.sends)
	}
	for id, n := range rec.sends {
		if n != 1 {
			t.Errorf("alert %d sent %d times, want once (sends per alert %v)", id, n, rec.sends)
		}
	}
}

// grantingLeaser grants every lease while grant is true.
type grantingLeaser struct {
	mu    sync.Mutex
	grant bool
}

func (g *grantingLeaser) Lease(ctx context.Context, name, owner string, take int64, ttl time.Duration) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.grant, nil
}

func (g *grantingLeaser) RenewLeases(ctx context.Context, names []string, owner string, ttl time.Duration) ([]string, error) {
	return renewEach(ctx, g.Lease, names, owner, ttl)
}

func (g *grantingLeaser) Release(ctx context.Context, name, owner string, take int64) error {
	return nil
}

func (g *grantingLeaser) LeaseHolder(ctx context.Context, name string) (string, error) {
	return "", nil
}

// runOut makes the held lease name overdue, as a stall past its ttl does.
func (l *leases) runOut(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.held[name]
	h.until = time.Now().Add(-time.Second)
	l.held[name] = h
}

// renewEach is RenewLeases for a test's leaser: each name renewed by its
// lease, a call about one lease.
func renewEach(ctx context.Context, lease func(context.Context, string, string, int64, time.Duration) (bool, error), names []string, owner string, ttl time.Duration) ([]string, error) {
	var renewed []string
	for _, n := range names {
		got, err := lease(ctx, n, owner, 0, ttl)
		if err != nil {
			return nil, err
		}
		if got {
			renewed = append(renewed, n)
		}
	}
	return renewed, nil
}

// TestLeaseOverdueRenewalIsLost: a lease not renewed within its ttl counts
// as lost by holds (another instance may have taken it in the database),
// whether or not anything renews it: a renewal past the ttl does not bring
// it back (another instance may have held it and given it back meanwhile);
// a new take does, and a renewal in time keeps it.
func TestLeaseOverdueRenewalIsLost(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	g := &grantingLeaser{grant: true}
	const ttl = 100 * time.Millisecond
	l := leasesOf(g, "me", ttl, log)
	ctx := context.Background()
	if got, err := l.tryTake(ctx, "outbox:desk"); !got || err != nil || !l.holds("outbox:desk") {
		t.Fatal("a lease just taken is not held")
	}
	time.Sleep(ttl + 20*time.Millisecond)
	if l.holds("outbox:desk") {
		t.Error("a lease past its ttl unrenewed still counts as held")
	}
	l.renewHeld(ctx)
	if l.holds("outbox:desk") {
		t.Error("a lease renewed past its ttl counts as held again: another instance may have held it meanwhile")
	}
	if got, err := l.tryTake(ctx, "outbox:desk"); !got || err != nil {
		t.Fatal("a lost lease cannot be taken again")
	}
	l.renewHeld(ctx)
	if !l.holds("outbox:desk") {
		t.Error("a lease renewed in time is not held")
	}
	g.mu.Lock()
	g.grant = false
	g.mu.Unlock()
	l.renewHeld(ctx)
	if l.holds("outbox:desk") {
		t.Error("a lease another instance took still counts as held")
	}
}

// leaseLosingEditor records edits, and after the first one the sender's
// outbox lease is overdue: the instance stalled, another may have taken
// the outbox over.
type leaseLosingEditor struct {
	*editRecorder
	lose func()
}

func (e *leaseLosingEditor) Edit(ctx context.Context, ed notify.Edit) error {
	err := e.editRecorder.Edit(ctx, ed)
	e.lose()
	return err
}

// TestStoryEditsStopWhenTheLeaseIsLost: a pass has two stories' messages
// to edit, and the outbox lease is lost after the first edit. The second
// is left to the instance that holds the lease now, as a message would be
// (it used to be checked once per page of edits).
func TestStoryEditsStopWhenTheLeaseIsLost(t *testing.T) {
	h, rec := storyHarness(t, kesslerSub())
	const other = "Kessler Foundation names new director of disability research grants"
	ed := &leaseLosingEditor{editRecorder: rec}
	svc, closeStore := h.openWith(ed)
	defer closeStore()
	ls := svc.sender.leases
	ls.leaser = &grantingLeaser{grant: true}
	ed.lose = func() {
		ls.runOut(outboxLease("desk"))
	}
	ctx := context.Background()
	svc.RunOnce(ctx) // first sight
	h.publishReport(0)
	h.write("ledger.xml", item(0, "Weather stays mild", h.clock.Add(-time.Hour)),
		testItem{GUID: "urn:ledger:grants", Title: other, Link: "https://ledger.example/grants", Published: h.clock})
	h.clock = h.clock.Add(time.Minute)
	svc.RunOnce(ctx) // two stories, two messages
	if len(rec.msgs) != 2 {
		dumpMsgs(t, rec)
		t.Fatalf("%d messages, want the two stories'", len(rec.msgs))
	}
	h.publishReport(1)
	h.write("gazette.xml", item(0, "Weather stays mild", h.clock.Add(-time.Hour)),
		testItem{GUID: "urn:gazette:grants", Title: other + " - Gazette", Link: "https://gazette.example/grants", Published: h.clock})
	h.clock = h.clock.Add(time.Minute)
	svc.RunOnce(ctx) // a further report of each: two edits due, the lease lost after the first
	if len(rec.edits) != 1 {
		dumpMsgs(t, rec)
		t.Errorf("%d edits, want 1: the lease was lost after the first", len(rec.edits))
	}
}

// TestEditGapHoldsAcrossInstances: two instances on one shared store take
// turns at the outbox (its lease is released after each pass). Each edit
// of the story's message is still at least 5 s after the one before it,
// whichever instance made it: an instance that edited the message before
// asks the store whether another did since.
func TestEditGapHoldsAcrossInstances(t *testing.T) {
	dsn := pgtest.Schema(t)
	h, rec := storyHarness(t, kesslerSub())
	h.clock = time.Now().UTC()
	ctx := context.Background()
	open := func() *Service { return h.openPostgres(dsn, rec) }
	svcs := []*Service{open(), open()}
	for _, s := range svcs {
		if _, err := s.RunOnce(ctx); err != nil { // first sight
			t.Fatal(err)
		}
	}
	a, b := svcs[0], svcs[1]
	step := func(s *Service, d time.Duration) {
		t.Helper()
		h.clock = h.clock.Add(d)
		if _, err := s.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	h.publishReport(0)
	step(a, time.Second) // the story's message
	h.publishReport(1)
	step(b, time.Second) // b's first edit of it
	h.publishReport(2)
	step(a, time.Second)   // a: the store says b edited it 1s ago: held
	step(a, 4*time.Second) // a edits
	h.publishReport(3)
	step(b, time.Second) // b remembers only its own edit, 6s ago
	step(a, 10*time.Second)
	step(b, 10*time.Second)
	if len(rec.titles()) != 1 || len(rec.edits) < 2 {
		t.Fatalf("%d messages, %d edits; want the story's one message edited more than once", len(rec.titles()), len(rec.edits))
	}
	for i := 1; i < len(rec.editAt); i++ {
		if gap := rec.editAt[i].Sub(rec.editAt[i-1]); gap < 5*time.Second {
			t.Errorf("edits %d and %d of one message %s apart (instances alternating), want at least 5s", i-1, i, gap)
		}
	}
}
