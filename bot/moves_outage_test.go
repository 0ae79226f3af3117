package bot

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/store"
)

// movesOutage is a store whose first MoveStories fails, as a store in an
// outage does, and whose second is held until release is closed (or
// fallback has passed, so that a test of code that waits for it ends), as
// an outage lasting through the first retry would be.
type movesOutage struct {
	store.Store
	fallback time.Duration
	failed   chan struct{} // closed at the first failure
	release  chan struct{} // closed by the test: the store works again
	stored   atomic.Bool   // the moves are stored
	calls    atomic.Int32
}

func (s *movesOutage) MoveStories(ctx context.Context, moves []store.StoryMove) error {
	switch s.calls.Add(1) {
	case 1:
		close(s.failed)
		return errors.New("disk I/O error")
	case 2:
		select {
		case <-s.release:
		case <-time.After(s.fallback):
		}
	}
	err := s.Store.MoveStories(ctx, moves)
	if err == nil {
		s.stored.Store(true)
	}
	return err
}

// TestMovesRetriedInAnOutageHoldUpOnlyTheirDestination: where each report
// is a message named with its story (email), a poll commits the edit of a
// posted report (A2, refused as a duplicate), another report of it (B),
// whose merge moves it under A's story, and a harbour item for the "mail"
// destination; the store fails the move. The poll held commitLock.moves
// through its retries (up to ~22 s: four tries of up to 5 s and 2.1 s of
// back-off), and the sender's read of every destination whose messages
// name their story waited for it: "mail", which no move concerns, got
// its alert only once the moves were stored; and a poll whose alerts
// max_per_hour counts waited for the holds the first poll kept through
// its moves. Only the desk, whose rows are moving, waits, and B still
// goes under A's story.
func TestMovesRetriedInAnOutageHoldUpOnlyTheirDestination(t *testing.T) {
	h, _ := storyHarness(t, kesslerSub())
	h.cfg.Service.Workers = 1
	h.cfg.Destinations = append(h.cfg.Destinations, config.Destination{Name: "mail", Type: config.Console})
	h.cfg.Subscriptions = append(h.cfg.Subscriptions, config.Subscription{Name: "harbour", Query: "harbour", Destination: "mail", MaxAge: 24 * time.Hour,
		Delivery: config.Delivery{MaxPerHour: 10}})
	desk, delivered, _ := storyOutlets[0].open(t)
	mail, mailed, _ := storyOutlets[0].open(t)
	ctx := context.Background()
	st := h.sqlite(t)
	defer st.Close()
	outage := &movesOutage{Store: st, fallback: 3 * time.Second, failed: make(chan struct{}), release: make(chan struct{})}
	svc, err := New(ctx, testOptions(h.cfg, outage, map[string]notify.Notifier{"desk": desk, "mail": mail},
		slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return h.clock }))
	if err != nil {
		t.Fatal(err)
	}
	pass := minutePasses(t, h, func() *Service { return svc })
	weather, first, edited, report := postFirstReport(h, pass)
	harbour := testItem{GUID: "urn:courier:9", Title: "Harbour bridge reopens to traffic", Link: "https://courier.example/harbour", Description: "The harbour bridge reopened.", Published: h.clock}
	h.write("courier.xml", weather, edited, report, harbour)
	h.clock = h.clock.Add(time.Minute)
	outage.calls.Store(0)

	var wg sync.WaitGroup
	defer wg.Wait()
	released := sync.OnceFunc(func() { close(outage.release) })
	defer released()
	courier := slices.DeleteFunc(slices.Clone(svc.live.catalog().Feeds()), func(f *alert.Feed) bool { return f.ID != "courier" })
	wg.Go(func() { svc.poller.pollAll(ctx, courier, pollNow) })
	waitClosed(t, outage.failed, "the first try of the poll's moves")
	passErr := make(chan error, 1)
	wg.Go(func() { passErr <- svc.sender.deliverAll(ctx) })

	waitForCondition(t, "the harbour alert mailed", func() bool { _, n := mailed(); return n == 1 })
	if outage.stored.Load() {
		t.Errorf("the mail destination's alert went out only once the poll's moves were stored: its read waited for the desk's moves")
	} else if _, n := delivered(); n != 1 {
		t.Errorf("%d desk messages while its moves were not stored, want 1 (the first report)", n)
	}
	ferry := testItem{GUID: "urn:herald:9", Title: "Harbour ferry runs again", Link: "https://herald.example/ferry", Description: "The harbour ferry runs again.", Published: h.clock}
	h.write("herald.xml", weather, ferry)
	herald := slices.DeleteFunc(slices.Clone(svc.live.catalog().Feeds()), func(f *alert.Feed) bool { return f.ID != "herald" })
	polled := make(chan struct{})
	wg.Go(func() { defer close(polled); svc.poller.pollAll(ctx, herald, pollNow) })
	waitClosed(t, polled, "the herald's poll")
	if outage.stored.Load() {
		t.Errorf("the herald's poll ended only once the courier's moves were stored: it waited for the holds the courier's poll kept")
	}
	released()
	if err := <-passErr; err != nil {
		t.Fatalf("deliverAll: %v", err)
	}
	wg.Wait()
	got, n := delivered()
	if n != 2 || got[first.Title] == "" || got[report.Title] != got[first.Title] {
		t.Errorf("%d desk messages, %q under story %q, %q under %q: want 2, one story", n, first.Title, got[first.Title], report.Title, got[report.Title])
	}
}
