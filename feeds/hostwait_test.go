package feeds

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestFetchTimeoutExcludesHostQueue fetches 4 feeds of one slow host (2 s a
// request, one at a time) at once with a 3 s timeout, as the poller does:
// every request the server answers finishes well within its timeout, so no
// feed may fail with a timeout; a feed that never got a slot is reported
// as not fetched, not as failing.
func TestFetchTimeoutExcludesHostQueue(t *testing.T) {
	const slow = 2 * time.Second
	var served atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		time.Sleep(slow)
		serveFeed(w, testFeed)
	}))
	defer srv.Close()
	f := testFetcher(FetcherOptions{Timeout: 3 * time.Second, HostConcurrency: 1})

	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = f.Fetch(context.Background(), Request{URL: fmt.Sprintf("%s/feed%d", srv.URL, i)})
		})
	}
	wg.Wait()
	var ok, queued int
	for i, err := range errs {
		var fe *Error
		switch {
		case err == nil:
			ok++
		case errors.As(err, &fe) && fe.Kind == HostBusy:
			queued++
			t.Logf("feed%d: %v", i, err)
		default:
			t.Errorf("feed%d: %v (kind %v); the server answers every request in %s, within the timeout", i, err, kindOf(err), slow)
		}
	}
	t.Logf("requests served %d, fetched %d, not fetched for lack of a slot %d", served.Load(), ok, queued)
	if ok < 2 {
		t.Errorf("fetched %d feeds, want at least 2: one after the other, each within its own timeout", ok)
	}
	if int(served.Load()) != ok {
		t.Errorf("server answered %d requests but %d fetches succeeded", served.Load(), ok)
	}
}

func kindOf(err error) ErrorKind {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	return 0
}

// TestScheduleHostBusyIsNoFailure: a feed not fetched for lack of a slot
// keeps its failure streak as it was and comes back at the floor.
func TestScheduleHostBusyIsNoFailure(t *testing.T) {
	now := testNow
	h := PollHistory{FeedID: "f", ErrorCount: 2, FailingSince: now.Add(-71 * time.Hour)}
	busy := &Error{Kind: HostBusy, Err: errors.New("waited 30s for a slot on host h; not fetched")}
	d := DefaultSchedule().Next(h, Outcome{Err: busy}, now)
	if d.History != h || d.Disable || d.NewlyFailing || d.Recovered {
		t.Errorf("got %+v, want the history unchanged and no failure", d)
	}
	if want := now.Add(time.Minute); !d.Next.Equal(want) {
		t.Errorf("next poll %v, want %v", d.Next, want)
	}
}
