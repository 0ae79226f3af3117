package bot

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
)

// statesGate holds the first read of every feed's state after arm, once
// it has read them, until release: the poll loop's rebuild (planNew), so
// that a /watch command runs between its read and its plan. It is a
// shared store (PostgreSQL), whose states the loop takes from that read.
type statesGate struct {
	*store.Postgres
	armed   atomic.Bool
	read    chan struct{}
	release chan struct{}
}

func (s *statesGate) FeedStates(ctx context.Context) (map[string]store.FeedState, error) {
	states, err := s.Postgres.FeedStates(ctx)
	if s.armed.CompareAndSwap(true, false) {
		close(s.read)
		<-s.release
	}
	return states, err
}

// TestACatchUpDuringARebuildIsPlannedAtTheNext: a watch paused and
// resumed while the poll loop rebuilt for another change, after it read
// the feeds' states and before it planned them, had its catch-up's note
// taken by that rebuild, which planned the feed by the state read before
// the catch-up (disabled: left a year out); the rebuild for the resume
// then found the feed listed before and no note, and its news waited.
func TestACatchUpDuringARebuildIsPlannedAtTheNext(t *testing.T) {
	ctx := context.Background()
	gate := &statesGate{read: make(chan struct{}), release: make(chan struct{})}
	pg, err := store.OpenPostgres(ctx, pgtest.Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	gate.Postgres = pg
	o := newOneWatch(t, func(store.Store) store.Store { return gate })
	feedID := WatchFeedID(o.feed.URL + "/rss")
	o.feed.SetStatus(http.StatusGone)
	if _, err := o.svc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if !feedState(t, pg, feedID).Disabled {
		t.Fatal("the feed answering 410 is not disabled: the test shows nothing")
	}
	o.svc.live.checkEvery = 0 // the watches checked at every pass
	polls, stop := o.runCountingPolls(t, feedID)
	waitForCondition(t, "the start's retry of the disabled feed", func() bool { return polls.Load() == 1 })
	started := o.clk.now().UnixNano()
	waitForCondition(t, "the poll loop's first pass", func() bool { return o.svc.poller.beat.at.Load() >= started })
	before := polls.Load()
	gate.armed.Store(true)
	// A change of the watches before: the loop rebuilds, and reads the
	// states; the catch-up of the pause and resume then runs.
	mustDo(t, o.w.SetPaused(ctx, watchGuild, o.id, true))
	mustDo(t, o.w.SetPaused(ctx, watchGuild, o.id, false))
	caughtUp := o.resumeWhileHeld(t, "the poll loop did not rebuild", gate.read, gate.release, feedID)
	o.clk.set(caughtUp.NextPoll.Add(time.Minute))
	o.turns(t, 3)
	stop()
	if got := polls.Load() - before; got != 1 {
		t.Errorf("polls of the resumed watch's feed a minute past its interval after the catch-up (next poll %v): %d, want 1\n%s", caughtUp.NextPoll, got, o.logs)
	}
}
