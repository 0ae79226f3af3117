package bot

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/store"
)

// heldDesk is a destination whose sends wait for release: a post waiting
// out a rate limit inside its notifier.
type heldDesk struct {
	recorder
	entered chan struct{} // a send is waiting
	release chan struct{}
}

func (d *heldDesk) Send(ctx context.Context, m notify.Message) (notify.Receipt, error) {
	d.entered <- struct{}{}
	select {
	case <-d.release:
	case <-ctx.Done():
		return notify.Receipt{}, ctx.Err()
	}
	return d.recorder.Send(ctx, m)
}

// failingReads is a store whose outbox reads fail while told to: the
// read of the destinations with alerts pending, and one destination's
// read of its due alerts.
type failingReads struct {
	store.Store
	pending atomic.Bool
	dueOf   atomic.Pointer[string]
	reads   atomic.Int64 // of the destinations with alerts pending
	// emptyRead, while set, holds a read of its destination's due alerts
	// that found none until released: the destination is between its
	// last read and its end.
	emptyRead atomic.Pointer[heldRead]
}

type heldRead struct {
	dest    string
	entered chan struct{} // the read found nothing and waits
	release chan struct{}
}

func (s *failingReads) PendingDestinations(ctx context.Context) ([]string, error) {
	s.reads.Add(1)
	if s.pending.Load() {
		return nil, errDiskFull
	}
	return s.Store.PendingDestinations(ctx)
}

func (s *failingReads) DueAlerts(ctx context.Context, dest string, now time.Time, limit int) ([]store.Alert, error) {
	if d := s.dueOf.Load(); d != nil && *d == dest {
		return nil, errDiskFull
	}
	due, err := s.Store.DueAlerts(ctx, dest, now, limit)
	if h := s.emptyRead.Load(); h != nil && h.dest == dest && err == nil && len(due) == 0 {
		h.entered <- struct{}{}
		<-h.release
	}
	return due, err
}

// twoDesks is a running sender whose desk ("desk", the wire feed's dam
// story) holds its sends, beside another desk ("other-desk", the other
// feed's ceasefire), on a store whose reads can be made to fail. It runs
// in a synctest bubble: the sender's tick is the bubble's.
type twoDesks struct {
	h     *harness
	svc   *Service
	st    *failingReads
	desk  *heldDesk
	other *recorder
	logs  *logBuffer
}

func newTwoDesks(t *testing.T) *twoDesks {
	rec := &recorder{}
	return newTwoDesksOther(t, rec, rec)
}

// newTwoDesksOther is newTwoDesks with other-desk's notifier other, which
// records its messages in rec.
func newTwoDesksOther(t *testing.T, other notify.Notifier, rec *recorder) *twoDesks {
	h := newHarness(t, config.Subscription{Name: "dams", Query: "kessler"},
		config.Subscription{Name: "truce", Query: "ceasefire", Destination: "other-desk"})
	h.cfg.Destinations = append(h.cfg.Destinations, config.Destination{Name: "other-desk", Type: config.Console})
	ctx := context.Background()
	sq, err := store.OpenSQLite(ctx, h.db, store.WithClock(func() time.Time { return h.clock }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sq.Close() })
	d := &twoDesks{h: h, st: &failingReads{Store: sq}, logs: &logBuffer{},
		desk: &heldDesk{entered: make(chan struct{}, 1), release: make(chan struct{})}, other: rec}
	d.svc, err = New(ctx, testOptions(h.cfg, d.st, map[string]notify.Notifier{"desk": d.desk, "other-desk": other},
		slog.New(slog.NewTextHandler(d.logs, nil)), func() time.Time { return h.clock }))
	if err != nil {
		t.Fatal(err)
	}
	d.svc.poller.pollAll(ctx, d.svc.live.catalog().Feeds(), pollNow) // first sight
	return d
}

// publish has feed carry title, polled at once.
func (d *twoDesks) publish(feed, title string) {
	d.h.write(feed+".xml", item(0, "Weather stays mild", d.h.clock.Add(-time.Hour)), item(1, title, d.h.clock))
	f, _ := d.svc.live.catalog().Feed(feed)
	d.svc.poller.pollFeed(context.Background(), f, pollNow, nil)
}

// TestShutdownStartsNoDestinationWhileASlowOneFinishes: once Run is
// stopped, the pass under way may finish its sends within the shutdown
// grace, but starts no destination's: a send begun then may be cut off
// by the grace's end after it reached the destination, and be posted
// again by the next run.
func TestShutdownStartsNoDestinationWhileASlowOneFinishes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newTwoDesks(t)
		d.publish("wire", "Kessler Dam spillway reopened")
		runCtx, stop := context.WithCancel(context.Background())
		var sending sync.WaitGroup
		sending.Go(func() { d.svc.sender.loop(runCtx, context.Background()) })
		<-d.desk.entered
		stop()
		synctest.Wait()
		d.publish("other", "Ceasefire agreed in the north")
		time.Sleep(3 * sendTick) // the sender's ticks, in the bubble
		synctest.Wait()
		close(d.desk.release)
		sending.Wait()
		if got := len(d.other.msgs); got != 0 {
			t.Errorf("other-desk got %d messages after the shutdown began, want 0 (its alert waits for the next run)", got)
		}
		if got := len(d.desk.msgs); got != 1 {
			t.Errorf("desk got %d messages, want 1 (the send under way finishes)", got)
		}
	})
}

// TestAPasssFailingReadsAreReportedOnce: while one destination's send
// waits, the pass reads the outbox again on each tick; a read that fails
// on every tick is one failure of the store, logged once with its error
// once, and the store's failure is in Health while it lasts, not only
// once the slow send is done.
func TestAPasssFailingReadsAreReportedOnce(t *testing.T) {
	tests := []struct {
		name string
		fail func(d *twoDesks)
		// healthDuring: the failure is in Health while the slow send waits
		healthDuring bool
	}{
		{"destinations with alerts pending", func(d *twoDesks) { d.st.pending.Store(true) }, true},
		{"a destination's due alerts", func(d *twoDesks) { o := "other-desk"; d.st.dueOf.Store(&o) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := newTwoDesks(t)
				d.publish("wire", "Kessler Dam spillway reopened")
				d.publish("other", "Ceasefire agreed in the north")
				tt.fail(d)
				d.st.pending.Store(false) // the pass's first read works
				runCtx, stop := context.WithCancel(context.Background())
				var sending sync.WaitGroup
				sending.Go(func() { d.svc.sender.loop(runCtx, context.Background()) })
				<-d.desk.entered
				tt.fail(d)
				time.Sleep(10 * sendTick)
				synctest.Wait()
				reasons := strings.Join(d.svc.Health().Reasons, "; ")
				if got := strings.Contains(reasons, "store:"); got != tt.healthDuring {
					t.Errorf("while the reads failed, Health said the store fails: %v, want %v (reasons %q)", got, tt.healthDuring, reasons)
				}
				d.st.pending.Store(false)
				d.st.dueOf.Store(nil)
				stop()
				close(d.desk.release)
				sending.Wait()
				logs := d.logs.String()
				if n := strings.Count(logs, "reading the outbox failed"); n != 1 {
					t.Errorf("the failure was logged %d times, want once:\n%s", n, logs)
				}
				if n := strings.Count(logs, errDiskFull.Error()); n != 1 {
					t.Errorf("its error is in the logs %d times, want once:\n%s", n, logs)
				}
			})
		})
	}
}

// heldEditor is a story desk whose edits wait for release.
type heldEditor struct {
	*editRecorder
	entered chan struct{}
	release chan struct{}
}

func (d *heldEditor) Edit(ctx context.Context, e notify.Edit) error {
	d.entered <- struct{}{}
	select {
	case <-d.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return d.editRecorder.Edit(ctx, e)
}

// TestASlowSendIsRecordedDelivered: a post or an edit that outlasts the
// time a record of its outcome may take (recordTimeout: a rate limit
// waited out in the notifier, a slow server) is recorded delivered at
// once, not left to be recorded later as a failure of the store.
func TestASlowSendIsRecordedDelivered(t *testing.T) {
	tests := []struct {
		name string
		// held starts a pass whose send waits for release, and returns
		// the store and the logs.
		held func(t *testing.T, entered, release chan struct{}) (pass func(), st store.Store, logs *logBuffer)
	}{
		{"a post", func(t *testing.T, entered, release chan struct{}) (func(), store.Store, *logBuffer) {
			d := newTwoDesks(t)
			d.desk.entered, d.desk.release = entered, release
			d.publish("wire", "Kessler Dam spillway reopened")
			return func() { d.svc.sender.deliverAll(context.Background()) }, d.st, d.logs
		}},
		{"an edit", func(t *testing.T, entered, release chan struct{}) (func(), store.Store, *logBuffer) {
			h, rec := storyHarness(t, kesslerSub())
			logs := &logBuffer{}
			svc, closeStore := h.openWithLog(&heldEditor{editRecorder: rec, entered: entered, release: release}, logs)
			t.Cleanup(closeStore)
			ctx := context.Background()
			pass := func() {
				h.clock = h.clock.Add(time.Minute)
				svc.poller.pollAll(ctx, svc.live.catalog().Feeds(), pollNow)
				svc.sender.deliverAll(ctx)
			}
			pass() // first sight
			h.publishReport(0)
			pass() // the story's message
			h.publishReport(1)
			h.clock = h.clock.Add(time.Minute)
			svc.poller.pollAll(ctx, svc.live.catalog().Feeds(), pollNow)
			return func() { svc.sender.deliverAll(ctx) }, svc.store, logs
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				entered, release := make(chan struct{}, 1), make(chan struct{})
				pass, st, logs := tt.held(t, entered, release)
				var sending sync.WaitGroup
				sending.Go(pass)
				<-entered
				time.Sleep(2 * recordTimeout)
				close(release)
				sending.Wait()
				if l := logs.String(); strings.Contains(l, "failed") {
					t.Errorf("a send of %v logged a failure:\n%s", 2*recordTimeout, l)
				}
				stats, err := st.OutboxStats(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if len(stats) != 0 {
					t.Errorf("the outbox holds %+v after the send, want nothing", stats)
				}
			})
		})
	}
}

// TestAWakeIsHandedOnOnlyForADestinationThatMissedIt: a pass that took a
// poll's wake while a destination sent gave it back at its end, so one
// more pass read the outbox's destinations at once, even when every
// destination sending at the wake read its outbox after it (a sending
// destination reads its outbox again after each page): they had seen the
// poll's commit. Such a pass hands no wake on; one whose destination
// ended without a read after the wake does (its last read may have come
// before the commit).
func TestAWakeIsHandedOnOnlyForADestinationThatMissedIt(t *testing.T) {
	tests := []struct {
		name      string
		deskFails bool  // the held send fails once released: desk backs off
		wantReads int64 // of the pending destinations after the release
	}{
		{"the sending desk reads its outbox again", false, 0},
		{"the sending desk stops at a failure, reading nothing after", true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := newTwoDesks(t)
				if tt.deskFails {
					d.desk.fail = []error{errors.New("server error")}
				}
				d.publish("wire", "Kessler Dam spillway reopened")
				runCtx, stop := context.WithCancel(context.Background())
				var sending sync.WaitGroup
				sending.Go(func() { d.svc.sender.loop(runCtx, context.Background()) })
				defer sending.Wait()
				defer stop()
				<-d.desk.entered
				d.publish("other", "Ceasefire agreed in the north") // wakes the pass
				synctest.Wait()
				if got := len(d.other.msgs); got != 1 {
					t.Fatalf("other-desk got %d messages while desk sent, want 1", got)
				}
				before := d.st.reads.Load()
				close(d.desk.release)
				synctest.Wait() // no tick: the bubble's clock stands still
				if got := d.st.reads.Load() - before; got != tt.wantReads {
					t.Errorf("after the pass: %d reads of the pending destinations, want %d", got, tt.wantReads)
				}
			})
		})
	}
}

// TestAWakeMissedByADestinationStartsItAgainAtOnce: a destination whose
// last read, which found nothing, came before a poll's commit and which
// ended after the pass took the poll's wake (its read of the destinations
// skipped it as sending) missed the wake; while another destination still
// sends, the pass's end, where the wake is handed on, may be minutes away,
// and the alert waited for the next tick. It is started again at once.
func TestAWakeMissedByADestinationStartsItAgainAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// An editing destination reads without commitLock.moves, which a
		// held read would keep from the poll.
		other := &editRecorder{clock: time.Now}
		d := newTwoDesksOther(t, other, &other.recorder)
		d.publish("wire", "Kessler Dam spillway reopened")
		held := &heldRead{dest: "other-desk", entered: make(chan struct{}, 1), release: make(chan struct{})}
		d.st.emptyRead.Store(held)
		runCtx, stop := context.WithCancel(context.Background())
		var sending sync.WaitGroup
		sending.Go(func() { d.svc.sender.loop(runCtx, context.Background()) })
		defer sending.Wait()
		defer close(d.desk.release)
		defer stop()
		<-d.desk.entered
		d.publish("other", "Ceasefire agreed in the north") // sent, then a read finding nothing holds
		<-held.entered
		d.h.write("other.xml", item(0, "Weather stays mild", d.h.clock.Add(-time.Hour)),
			item(1, "Ceasefire agreed in the north", d.h.clock),
			testItem{GUID: "urn:test:rebels", Title: "Rebels reject ceasefire offer from the capital",
				Link: "https://other.example/rebels", Description: "Fighters said the terms favoured the army.", Published: d.h.clock})
		f, _ := d.svc.live.catalog().Feed("other")
		d.svc.poller.pollFeed(context.Background(), f, pollNow, nil) // wakes the pass
		synctest.Wait()
		d.st.emptyRead.Store(nil)
		close(held.release)
		synctest.Wait() // no tick: the bubble's clock stands still
		want := []string{"Ceasefire agreed in the north", "Rebels reject ceasefire offer from the capital"}
		if got := d.other.titles(); !slices.Equal(got, want) {
			t.Errorf("other-desk got %q while desk still sent, want %q", got, want)
		}
	})
}
