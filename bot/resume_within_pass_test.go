package bot

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newshound/newshound/store"
)

// versionGate holds the first read of the watches' version after arm
// until release: the poll loop's check of the watches (live.refresh), so
// that /watch commands run while its pass is under way.
type versionGate struct {
	store.Store
	armed   atomic.Bool
	read    chan struct{}
	release chan struct{}
}

func (s *versionGate) WatchesVersion(ctx context.Context) (int64, error) {
	if s.armed.CompareAndSwap(true, false) {
		close(s.read)
		<-s.release
	}
	return s.Store.WatchesVersion(ctx)
}

// TestAWatchPausedAndResumedWithinAPassIsPolledAtItsInterval: README's
// "/watch resume" starts a watch again; a watch paused and resumed while
// the poll loop's pass was under way (its next pass sees the resumed
// catalog only, which lists the feed as the one before did) had its feed
// kept at the plan it had before the pause, though the resume's catch-up
// fetched it and found it working: a year out for a feed disabled, the
// back-off's end for one backing off. Its news then waited for that, not
// its interval.
func TestAWatchPausedAndResumedWithinAPassIsPolledAtItsInterval(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		failures int // run --once polls answered status before the service runs
	}{
		{"disabled", http.StatusGone, 1},
		{"backing off", http.StatusBadGateway, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			gate := &versionGate{read: make(chan struct{}), release: make(chan struct{})}
			o := newOneWatch(t, func(sq store.Store) store.Store { gate.Store = sq; return gate })
			feedID := WatchFeedID(o.feed.URL + "/rss")
			o.feed.SetStatus(tt.status)
			for range tt.failures {
				if next := feedState(t, o.svc.store, feedID).NextPoll; next.After(o.clk.now()) {
					o.clk.set(next.Add(time.Minute)) // run --once honours the back-off
				}
				if _, err := o.svc.RunOnce(ctx); err != nil {
					t.Fatal(err)
				}
			}
			failed := feedState(t, o.svc.store, feedID)
			o.svc.live.checkEvery = 0 // the watches checked at every pass
			polls, stop := o.runCountingPolls(t, feedID)
			if failed.Disabled {
				waitForCondition(t, "the start's retry of the disabled feed", func() bool { return polls.Load() == 1 })
			}
			started := o.clk.now().UnixNano()
			waitForCondition(t, "the poll loop's first pass, which plans the feed", func() bool { return o.svc.poller.beat.at.Load() >= started })
			before := polls.Load()
			gate.armed.Store(true)
			caughtUp := o.resumeWhileHeld(t, "the poll loop did not check the watches", gate.read, gate.release, feedID)
			o.clk.set(caughtUp.NextPoll.Add(time.Minute))
			if !failed.Disabled && !o.clk.now().Before(failed.NextPoll) {
				t.Fatalf("the back-off ends at %v, before the interval after the catch-up, %v: the test shows nothing", failed.NextPoll, o.clk.now())
			}
			o.turns(t, 2)
			stop()
			if got := polls.Load() - before; got != 1 {
				t.Errorf("polls of the resumed watch's feed a minute past its interval after the catch-up (next poll %v; before the pause disabled %v, next poll %v): %d, want 1\n%s",
					caughtUp.NextPoll, failed.Disabled, failed.NextPoll, got, o.logs)
			}
		})
	}
}

// resumeWhileHeld waits for read, the poll loop held at a gate, fixes the
// feed, pauses and resumes the watch (its catch-up fetches the feed), then
// closes release, and returns the feed's state, which must be working.
func (o *oneWatch) resumeWhileHeld(t *testing.T, notHeld string, read, release chan struct{}, feedID string) store.FeedState {
	t.Helper()
	ctx := context.Background()
	select {
	case <-read:
	case <-time.After(30 * time.Second):
		t.Fatal(notHeld)
	}
	o.feed.SetStatus(http.StatusOK) // the publisher fixed it
	mustDo(t, o.w.SetPaused(ctx, watchGuild, o.id, true))
	mustDo(t, o.w.SetPaused(ctx, watchGuild, o.id, false))
	close(release)
	o.svc.poller.flushStates(ctx)
	caughtUp := feedState(t, o.svc.store, feedID)
	if caughtUp.Disabled || caughtUp.ErrorCount != 0 {
		t.Fatalf("after the catch-up: disabled %v, %d errors; want a working feed", caughtUp.Disabled, caughtUp.ErrorCount)
	}
	return caughtUp
}

// turns waits for n turns of the running poll loop, the clock a second
// on after each.
func (o *oneWatch) turns(t *testing.T, n int) {
	t.Helper()
	for range n {
		at := o.clk.now().UnixNano()
		waitForCondition(t, "a turn of the poll loop", func() bool { return o.svc.poller.beat.at.Load() >= at })
		o.clk.advance(time.Second)
	}
}
