package bot

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/feedtest"
)

// TestADisabledFeedsRetryABusyHostPutOffKeepsItDisabled: the service
// tries a disabled feed once more at its start (and a reload); when its
// host's gap outlasted its wait for the host (feeds.HostBusy), nothing was
// fetched, but the feed was saved enabled, its reason gone, and status
// and run --once took it for a feed failing no more than the others. It
// stays disabled until a fetch says otherwise, and the poll loop tries it
// again as the same one more try after the schedule's floor, when the gap
// is over, not as a poll when due, which leaves a disabled feed alone.
func TestADisabledFeedsRetryABusyHostPutOffKeepsItDisabled(t *testing.T) {
	h := disabledBesideAnotherFeed(t)
	svc, st := h.open()
	defer st.Close()
	ctx := context.Background()
	f, _ := svc.live.catalog().Feed("wire")
	o, _ := svc.live.catalog().Feed("other")
	before, err := st.FeedState(ctx, "wire")
	if err != nil || !before.Disabled {
		t.Fatalf("before the retry: disabled %v (%v), want disabled", before.Disabled, err)
	}

	svc.poller.pollFeed(ctx, o, pollNow, nil)           // the host's gap begins
	svc.poller.pollFeed(ctx, f, pollRetryDisabled, nil) // waits busyGap/2 of the gap: not fetched
	svc.poller.flushStates(ctx)
	after, err := st.FeedState(ctx, "wire")
	if err != nil {
		t.Fatal(err)
	}
	if !after.Disabled || after.DisabledReason != before.DisabledReason || !after.LastPolled.Equal(before.LastPolled) {
		t.Errorf("after a retry the busy host put off: disabled %v (%q), last polled %v; want disabled (%q), last polled %v: nothing was fetched",
			after.Disabled, after.DisabledReason, after.LastPolled, before.DisabledReason, before.LastPolled)
	}
	if want := h.clock.Add(time.Minute); !after.RetryAt.Equal(want) {
		t.Errorf("after a retry the busy host put off: RetryAt %v, want %v, the retry the loop makes then (for status)", after.RetryAt, want)
	}

	// The loop polls it again at the floor, a minute later, as the retry.
	mode := svc.poller.putOff.modeAfter("wire")
	if mode != pollRetryDisabled {
		t.Fatalf("the loop plans the next poll as mode %v, want the retry (%v)", mode, pollRetryDisabled)
	}
	h.clock = h.clock.Add(time.Minute)
	// The host's gap runs on the fetcher's own clock; the put-off fetch
	// gave back the start it booked, so one gap after the first is over.
	time.Sleep(busyGap)
	svc.poller.pollFeed(ctx, f, mode, nil)
	svc.poller.flushStates(ctx)
	if got, _ := st.FeedState(ctx, "wire"); got.Disabled || !got.LastPolled.Equal(h.clock) {
		t.Errorf("after the retry a minute later: disabled %v (%q), last polled %v; want it fetched at %v, and enabled", got.Disabled, got.DisabledReason, got.LastPolled, h.clock)
	} else if !got.RetryAt.IsZero() {
		t.Errorf("after the retry a minute later: RetryAt %v, want none: no retry waits", got.RetryAt)
	}
	if mode := svc.poller.putOff.modeAfter("wire"); mode != pollWhenDue {
		t.Errorf("after the retry, the loop plans mode %v, want a poll when due (%v)", mode, pollWhenDue)
	}
}

// TestRunOnceWaitsOutABusyHostToRetryADisabledFeed: run --once waits for
// its host's gap however long (pollEvery), so its retry of a disabled
// feed is never put off: it fetches the feed in the same run.
func TestRunOnceWaitsOutABusyHostToRetryADisabledFeed(t *testing.T) {
	h := disabledBesideAnotherFeed(t)
	h.clock = h.clock.Add(7 * time.Hour) // past the longest back-off: run --once retries it
	h.runOnce()
	st := h.sqlite(t)
	defer st.Close()
	if got := feedState(t, st, "wire"); got.Disabled || !got.LastPolled.Equal(h.clock) {
		t.Errorf("after run --once: disabled %v (%q), last polled %v; want it fetched at %v, and enabled", got.Disabled, got.DisabledReason, got.LastPolled, h.clock)
	}
}

// busyGap is the host_gap of disabledBesideAnotherFeed's config, whose
// timeout, busyGap/2, is the longest wait for it.
const busyGap = 200 * time.Millisecond

// disabledBesideAnotherFeed is a harness whose feed "wire" was disabled
// (410) and serves again, beside a feed "other" on one host (127.0.0.1),
// fetched first by a pass, whose host_gap (busyGap) outlasts the wait for
// a slot on it from now on.
func disabledBesideAnotherFeed(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	wire := newFlakyFeed(t, http.StatusGone)
	other := feedtest.NewServer(t, "Other", testItem{GUID: "o1", Title: "Weather stays mild", Link: "https://other.example/1"})
	h.cfg.Defaults.AllowPrivateNetworks = true
	h.cfg.Feeds = []config.Feed{{Name: "other", URL: other.URL}, {Name: "wire", URL: wire.URL}}
	h.runOnce()                   // wire: 410, disabled
	wire.SetStatus(http.StatusOK) // the publisher fixed it
	h.cfg.Defaults.HostGap, h.cfg.Defaults.Timeout = busyGap, busyGap/2
	return h
}

// TestABusyHostsPutOffRetryIsLoggedOnce: while its host stays busy, the
// retry of a disabled feed the loop makes again each minute logged
// "retrying a disabled feed" at every try. It is logged once, at the
// first, and once more with the count of tries put off when a try is
// made at last.
func TestABusyHostsPutOffRetryIsLoggedOnce(t *testing.T) {
	h := disabledBesideAnotherFeed(t)
	const gap, wait = 800 * time.Millisecond, 100 * time.Millisecond
	h.cfg.Defaults.HostGap, h.cfg.Defaults.Timeout = gap, wait
	logs := &logBuffer{}
	svc, st := h.openLogging(logs)
	defer st.Close()
	ctx := context.Background()
	f, _ := svc.live.catalog().Feed("wire")
	o, _ := svc.live.catalog().Feed("other")

	svc.poller.pollFeed(ctx, o, pollNow, nil) // the host's gap begins
	first := time.Now()
	const putOff = 3
	mode := pollRetryDisabled
	for range putOff {
		svc.poller.pollFeed(ctx, f, mode, nil) // waits wait of the gap: not fetched
		mode = svc.poller.putOff.modeAfter("wire")
		h.clock = h.clock.Add(time.Minute)
	}
	if mode != pollRetryDisabled {
		t.Fatalf("after %d tries put off, the loop plans mode %v, want the retry (%v)", putOff, mode, pollRetryDisabled)
	}
	time.Sleep(gap - time.Since(first)) // the fetcher's own clock
	svc.poller.pollFeed(ctx, f, mode, nil)
	svc.poller.flushStates(ctx)
	if got, _ := st.FeedState(ctx, "wire"); got.Disabled {
		t.Fatalf("after the retry made at last: disabled (%q), want it fetched", got.DisabledReason)
	}

	var retries []string
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, "disabled feed") {
			retries = append(retries, line)
		}
	}
	if len(retries) != 2 || !strings.Contains(retries[0], `msg="retrying a disabled feed once after a restart or reload"`) ||
		!strings.Contains(retries[1], fmt.Sprintf("put_off=%d", putOff)) {
		t.Errorf("the retry's lines over %d tries put off and one made:\n%s\nwant two: the first try, and the one made with put_off=%d", putOff, strings.Join(retries, ""), putOff)
	}
}

// TestABusyHostsPutOffRetryBacksOff: the retry of a disabled feed a busy
// host put off was made again a minute later, and again each minute for
// as long as the host stayed busy, each try holding a worker for the
// wait: a retry that fails to happen comes no later for it. It backs off,
// doubling from the schedule's floor up to the longest back-off.
func TestABusyHostsPutOffRetryBacksOff(t *testing.T) {
	h := disabledBesideAnotherFeed(t)
	h.cfg.Defaults.HostGap, h.cfg.Defaults.Timeout = time.Hour, 20*time.Millisecond
	svc, st := h.open()
	defer st.Close()
	ctx := context.Background()
	f, _ := svc.live.catalog().Feed("wire")
	o, _ := svc.live.catalog().Feed("other")
	svc.poller.pollFeed(ctx, o, pollNow, nil) // the host's gap begins, for an hour

	longest := svc.poller.schedule(f).LongestBackoff()
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute}
	for range 6 {
		want = append(want, min(2*want[len(want)-1], longest))
	}
	mode := pollRetryDisabled
	for i, w := range want {
		next := svc.poller.pollFeed(ctx, f, mode, nil)
		if got := next.Sub(h.clock); got != w {
			t.Errorf("try %d put off: the next after %v, want %v", i+1, got, w)
		}
		if mode = svc.poller.putOff.modeAfter("wire"); mode != pollRetryDisabled {
			t.Fatalf("try %d put off: the loop plans mode %v, want the retry (%v)", i+1, mode, pollRetryDisabled)
		}
		h.clock = next
	}
}

// TestAReloadsRetryOfAPutOffFeedIsAStartsRetry: a config reload retries a
// disabled feed once, as a start does. When a busy host had put off the
// retry before, the reload's retry kept that count: it logged at debug,
// not as a start's retry, and once put off again waited 2^n minutes. It
// is a first try, in the queue or in flight at the reload: logged as a
// start's, and put off again, made again a minute later.
func TestAReloadsRetryOfAPutOffFeedIsAStartsRetry(t *testing.T) {
	for _, inFlight := range []bool{false, true} {
		t.Run(fmt.Sprintf("in flight %v", inFlight), func(t *testing.T) {
			h := disabledBesideAnotherFeed(t)
			h.cfg.Defaults.HostGap, h.cfg.Defaults.Timeout = time.Hour, 20*time.Millisecond
			logs := &logBuffer{}
			svc, st := h.openLogging(logs)
			defer st.Close()
			ctx := context.Background()
			cat := svc.live.catalog()
			f, _ := cat.Feed("wire")
			o, _ := cat.Feed("other")
			svc.poller.pollFeed(ctx, o, pollNow, nil) // the host's gap begins, for an hour

			q := &dueQueue{index: map[string]*due{}}
			mode := pollRetryDisabled
			for range 3 { // the start's retry, put off three times
				next := svc.poller.pollFeed(ctx, f, mode, nil)
				mode = svc.poller.putOff.modeAfter("wire")
				q.set("wire", next, mode)
				h.clock = next
			}
			reload := replanAfter{prev: cat, reloaded: true}
			if inFlight {
				svc.poller.replanOne(ctx, cat, reload, "wire", q)
			} else {
				svc.poller.planNew(ctx, cat, reload, q, map[string]bool{}, map[string]replanAfter{})
			}
			d := q.popDue(h.clock)
			if d == nil || d.mode != pollRetryDisabled {
				t.Fatalf("after the reload the queue gives %+v, want the retry now", d)
			}
			next := svc.poller.pollFeed(ctx, f, d.mode, nil) // put off again
			if got := next.Sub(h.clock); got != time.Minute {
				t.Errorf("the reload's retry put off: the next after %v, want %v, as a start's", got, time.Minute)
			}
			if got := strings.Count(logs.String(), `msg="retrying a disabled feed once after a restart or reload"`); got != 2 {
				t.Errorf("retries logged as a start's or reload's: %d, want 2 (the start's and the reload's):\n%s", got, logs)
			}
		})
	}
}
