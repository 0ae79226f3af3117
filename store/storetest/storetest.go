// Package storetest is the contract of store.Store as a test suite, so that
// every implementation (SQLite, PostgreSQL) is held to the same behaviour.
// An implementation's test calls Run with a function that makes a fresh,
// empty database and returns how to open (and reopen) a Store over it.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/store"
)

// Open opens a Store over one test's database. Called again, it must open
// the same database: after the previous Store was closed (state persists),
// or, for a store that implements store.Leaser, while it is open (several
// instances sharing one database). The suite closes every Store it opens.
type Open func(t *testing.T, opts ...store.Option) store.Store

// Run runs the whole contract. newDB is called once per case and must
// return an Open for a fresh, empty database.
func Run(t *testing.T, newDB func(t *testing.T) Open) {
	cases := []struct {
		name string
		run  func(t *testing.T, h *harness)
	}{
		{"FirstCommit", testFirstCommit},
		{"OutboxStats", testOutboxStats},
		{"BatchAlerts", testBatchAlerts},
		{"MarkDeliveredMarksTheBatch", testMarkDeliveredBatch},
		{"BatchDeliveredFindsADeliveredRow", testBatchDelivered},
		{"RepeatCommitEnqueuesNothing", testRepeatCommit},
		{"ConcurrentCommitsEnqueueOnce", testConcurrentCommits},
		{"InstancesShareOneDatabase", testInstances},
		{"Dedupe", testDedupe},
		{"AlertKeyNotInPollIsAnError", testAlertKeyNotInPoll},
		{"LargeFeed", testLargeFeed},
		{"HugePollInChunks", testHugePoll},
		{"FeedState", testFeedState},
		{"FeedStatesInBulk", testFeedStates},
		{"UnseenKeys", testUnseenKeys},
		{"StatePersistsAcrossReopen", testReopen},
		{"MigrationsIdempotent", testMigrationsIdempotent},
		{"PendingOrderAndLimit", testPendingOrder},
		{"FailureBackoffVisibility", testFailureBackoff},
		{"DeliveredAndDropped", testDeliveredAndDropped},
		{"EnqueuedAtFromStoreClock", testEnqueuedAt},
		{"RetentionFromEnqueueTime", testRetentionFromEnqueue},
		{"BatchKeptAcrossReopen", testBatchAcrossReopen},
		{"CrashBeforeDeliveryKeepsAlertOnce", testCrashBeforeDelivery},
		{"PruneKeepsPresentKeys", testPruneKeepsPresentKeys},
		{"PruneKeepsKeysOfFrequentPolls", testPruneFrequentPolls},
		{"PruneKeepsPendingAndDedupe", testPruneKeepsPendingAndDedupe},
		{"PresentKeysKeptNotRecorded", testPresentKeys},
		{"ForgetFeeds", testForgetFeeds},
		{"Watches", testWatches},
		{"UpdateWatch", testUpdateWatch},
		{"WatchesVersion", testWatchesVersion},
		{"DropUnwatched", testDropUnwatched},
		{"CommitRefusesAlertsOfRemovedWatches", testCommitRefusesRemovedWatches},
		{"CommitOfPausedOrEditedWatches", testCommitOfPausedOrEditedWatches},
		{"NotFound", testNotFound},
		{"CanceledContextWritesNothing", testCanceledContext},
		{"Leaser", testLeaser},
		{"RenewLeases", testRenewLeases},
		{"HeldAlerts", testHeldAlerts},
		{"StoryRoundTrip", testStoryRoundTrip},
		{"StoryLeads", testStoryLeads},
		{"StoryTakes", testStoryTakes},
		{"MoveStories", testMoveStories},
		{"CommitReportsDuplicates", testCommitReportsDuplicates},
		{"RefusedReports", testRefusedReports},
		{"MessageAlerts", testMessageAlerts},
		{"Hold", testHold},
		{"HoldForDigest", testHoldForDigest},
		{"ReplanDigests", testReplanDigests},
		{"ConcurrentPlannedDeliveries", testConcurrentPlannedDeliveries},
		{"PostAlone", testPostAlone},
		{"ItemTexts", testItemTexts},
		{"FirstSeen", testFirstSeen},
		{"ErrorTexts", testErrorTexts},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, &harness{open: newDB(t), clock: newClock()})
		})
	}
}

// epoch is the fake clock's start: fixed so failures are reproducible.
var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: epoch} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// harness opens stores over one database with the case's fake clock.
type harness struct {
	open  Open
	clock *fakeClock
}

func (h *harness) store(t *testing.T, opts ...store.Option) store.Store {
	t.Helper()
	s := h.open(t, append([]store.Option{store.WithClock(h.clock.Now)}, opts...)...)
	t.Cleanup(func() { s.Close() })
	return s
}

func alert(dest, key string, dedupe ...string) store.Alert {
	return store.Alert{
		Destination:  dest,
		Subscription: "sub-" + dest,
		FeedID:       "feed",
		ItemKey:      key,
		DedupeKeys:   dedupe,
		Payload:      []byte(`{"title":"` + key + `"}`),
	}
}

func poll(feed string, keys []string, alerts ...store.Alert) store.Poll {
	return store.Poll{
		State: store.FeedState{FeedID: feed, URL: "https://example.com/" + feed, Initialized: true},
		Keys:  keys, Alerts: alerts,
	}
}

func commit(t *testing.T, s store.Store, feed string, p store.Poll) int {
	t.Helper()
	n, err := s.CommitPoll(context.Background(), feed, p)
	if err != nil {
		t.Fatalf("CommitPoll(%q): %v", feed, err)
	}
	return n
}

func pending(t *testing.T, s store.Store, dest string, now time.Time) []store.Alert {
	t.Helper()
	as, err := s.PendingAlerts(context.Background(), dest, now, 0)
	if err != nil {
		t.Fatalf("PendingAlerts(%q): %v", dest, err)
	}
	return as
}

func itemKeys(as []store.Alert) []string {
	keys := make([]string, len(as))
	for i, a := range as {
		keys[i] = a.ItemKey
	}
	return keys
}

func ids(as []store.Alert) []int64 {
	out := make([]int64, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

func keysN(prefix string, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s-%03d", prefix, i)
	}
	return keys
}

func testFirstCommit(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	in := alert("console", "b", "story:b", "link:b")
	got := commit(t, s, "feed", poll("feed", []string{"a", "b", "c"}, in, alert("discord", "c")))
	if got != 2 {
		t.Fatalf("enqueued = %d, want 2", got)
	}
	as := pending(t, s, "console", h.clock.Now())
	if len(as) != 1 {
		t.Fatalf("pending for console = %d alerts, want 1", len(as))
	}
	a := as[0]
	if a.ID == 0 || a.ItemKey != "b" || a.Subscription != "sub-console" || a.FeedID != "feed" ||
		!bytes.Equal(a.Payload, in.Payload) || !slices.Equal(a.DedupeKeys, in.DedupeKeys) {
		t.Errorf("stored alert = %+v, want the fields of %+v", a, in)
	}
	if !a.CreatedAt.Equal(epoch) {
		t.Errorf("CreatedAt = %v, want the store clock's %v", a.CreatedAt, epoch)
	}
	if a.Attempts != 0 || a.Batch != "" || !a.DeliveredAt.IsZero() || a.Dropped {
		t.Errorf("new alert = %+v, want no attempts, batch, delivery or drop", a)
	}
	unseen, err := s.UnseenKeys(ctx, "feed", []string{"a", "b", "c", "d"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"d"}; !slices.Equal(unseen, want) {
		t.Errorf("UnseenKeys = %q, want %q", unseen, want)
	}
	st, err := s.FeedState(ctx, "feed")
	if err != nil {
		t.Fatal(err)
	}
	if !st.Initialized || st.URL != "https://example.com/feed" {
		t.Errorf("FeedState = %+v, want the committed state", st)
	}
}

func testRepeatCommit(t *testing.T, h *harness) {
	s := h.store(t)
	p := poll("feed", []string{"a", "b"}, alert("console", "a"), alert("console", "b"))
	if got := commit(t, s, "feed", p); got != 2 {
		t.Fatalf("first commit enqueued %d, want 2", got)
	}
	h.clock.Advance(time.Minute)
	if got := commit(t, s, "feed", p); got != 0 {
		t.Errorf("repeat commit enqueued %d, want 0", got)
	}
	if got := len(pending(t, s, "console", h.clock.Now())); got != 2 {
		t.Errorf("pending = %d, want 2", got)
	}
}

func testConcurrentCommits(t *testing.T, h *harness) {
	s := h.store(t)
	const pollers = 8
	keys := keysN("k", 20)
	p := poll("feed", keys, alert("console", keys[3]), alert("console", keys[7]), alert("discord", keys[7]))
	var wg sync.WaitGroup
	counts := make([]int, pollers)
	errs := make([]error, pollers)
	for i := range pollers {
		wg.Go(func() {
			counts[i], errs[i] = s.CommitPoll(context.Background(), "feed", p)
		})
	}
	wg.Wait()
	total := 0
	for i := range pollers {
		if errs[i] != nil {
			t.Fatalf("poller %d: %v", i, errs[i])
		}
		total += counts[i]
	}
	if total != 3 {
		t.Errorf("%d concurrent commits enqueued %d alerts in all, want 3", pollers, total)
	}
	for dest, want := range map[string]int{"console": 2, "discord": 1} {
		if got := len(pending(t, s, dest, h.clock.Now())); got != want {
			t.Errorf("pending for %s = %d, want %d", dest, got, want)
		}
	}
}

func testDedupe(t *testing.T, h0 *harness) {
	window := 6 * time.Hour
	type step struct {
		after time.Duration // clock advance before this commit
		feed  string
		alert store.Alert
		want  int
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"same story on another feed within the window", []step{
			{0, "reuters", alert("console", "r1", "story:aleppo"), 1},
			{time.Hour, "ap", alert("console", "a1", "story:aleppo"), 0},
		}},
		{"same story after the window", []step{
			{0, "reuters", alert("console", "r1", "story:aleppo"), 1},
			{window + time.Second, "ap", alert("console", "a1", "story:aleppo"), 1},
		}},
		{"same story, another destination", []step{
			{0, "reuters", alert("console", "r1", "story:aleppo"), 1},
			{0, "ap", alert("discord", "a1", "story:aleppo"), 1},
		}},
		{"one shared key among several", []step{
			{0, "reuters", alert("console", "r1", "link:x", "title:aleppo truce"), 1},
			{time.Minute, "ap", alert("console", "a1", "link:y", "title:aleppo truce"), 0},
		}},
		{"no shared key", []step{
			{0, "reuters", alert("console", "r1", "link:x"), 1},
			{time.Minute, "ap", alert("console", "a1", "link:y"), 1},
		}},
		{"no dedupe keys never dedupes", []step{
			{0, "reuters", alert("console", "r1"), 1},
			{0, "ap", alert("console", "a1"), 1},
		}},
		{"suppressed alert does not extend the window", []step{
			{0, "reuters", alert("console", "r1", "story:s"), 1},
			{window - time.Minute, "ap", alert("console", "a1", "story:s"), 0},
			{2 * time.Minute, "bbc", alert("console", "b1", "story:s"), 1},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := &harness{open: h0.open, clock: newClock()}
			s := h.store(t, store.WithDedupeWindow(window))
			// Each case gets its own destinations so cases cannot see each other.
			prefix := fmt.Sprintf("%s/", c.name)
			for i, st := range c.steps {
				h.clock.Advance(st.after)
				a := st.alert
				a.Destination = prefix + a.Destination
				got := commit(t, s, prefix+st.feed, poll(prefix+st.feed, []string{a.ItemKey}, a))
				if got != st.want {
					t.Errorf("step %d (%s %s): enqueued %d, want %d", i, st.feed, a.ItemKey, got, st.want)
				}
			}
		})
	}
	t.Run("two alerts of one commit sharing a key", func(t *testing.T) {
		h := &harness{open: h0.open, clock: newClock()}
		s := h.store(t)
		got := commit(t, s, "f", poll("f", []string{"x", "y"},
			alert("console", "x", "story:1"), alert("console", "y", "story:1")))
		if got != 1 {
			t.Errorf("enqueued %d, want 1", got)
		}
	})
}

func testAlertKeyNotInPoll(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	cases := []struct {
		name string
		feed string
		p    store.Poll
	}{
		{"alert key missing from keys", "f1", poll("f1", []string{"a"}, alert("console", "b"))},
		{"alert without destination", "f2", poll("f2", []string{"a"}, alert("", "a"))},
		{"state of another feed", "f3", poll("other", []string{"a"})},
		{"invalid UTF-8 key", "f4", poll("f4", []string{"a\xff"})},
		{"invalid UTF-8 dedupe key", "f5", poll("f5", []string{"a"}, alert("console", "a", "story:\xff"))},
		{"a watch's alert without the query it matched under", "f6", poll("f6", []string{"a"}, of("channel:c1", "a", store.WatchSubscription(1)))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := s.CommitPoll(ctx, c.feed, c.p)
			if err == nil {
				t.Fatalf("CommitPoll = %d, nil; want an error", n)
			}
			if _, err := s.FeedState(ctx, c.feed); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("after a refused commit FeedState err = %v, want ErrNotFound (nothing written)", err)
			}
		})
	}
}

func testLargeFeed(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	keys := keysN("item", 500)
	var alerts []store.Alert
	for _, k := range keys[:50] {
		alerts = append(alerts, alert("console", k, "story:"+k))
	}
	if got := commit(t, s, "big", poll("big", keys, alerts...)); got != 50 {
		t.Fatalf("enqueued %d, want 50", got)
	}
	next := append(keysN("new", 10), keys[10:]...)
	unseen, err := s.UnseenKeys(ctx, "big", next)
	if err != nil {
		t.Fatal(err)
	}
	if want := keysN("new", 10); !slices.Equal(unseen, want) {
		t.Errorf("UnseenKeys = %q, want %q", unseen, want)
	}
	newAlerts := []store.Alert{alert("console", "new-004"), alert("console", keys[20])}
	if got := commit(t, s, "big", poll("big", next, newAlerts...)); got != 1 {
		t.Errorf("second commit enqueued %d, want 1 (only the new key)", got)
	}
}

func testFeedState(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	full := store.FeedState{
		FeedID: "f", URL: "https://example.com/rss", ConfigURL: "http://example.com/rss", ETag: `W/"abc"`,
		LastModified: "Sun, 01 Mar 2026 11:00:00 GMT", BodyHash: "sha256:00ff",
		Initialized: true,
		LastPolled:  epoch, LastSuccess: epoch.Add(-3 * time.Hour), LastChanged: epoch.Add(-time.Hour), NextPoll: epoch.Add(5 * time.Minute),
		ErrorCount: 3, FailingSince: epoch.Add(-2 * time.Hour), LastError: "HTTP 503",
		Disabled: true, DisabledReason: "gone (HTTP 410)", MinInterval: time.Hour, RetryAt: epoch.Add(2 * time.Minute),
	}
	cases := []struct {
		name string
		save store.FeedState
	}{
		{"every field", full},
		{"overwritten with a healthy state", store.FeedState{FeedID: "f", URL: "https://example.com/rss2", NextPoll: epoch.Add(time.Hour)}},
		{"sub-second times", store.FeedState{FeedID: "f", LastPolled: epoch.Add(123456 * time.Microsecond)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := s.SaveFeedState(ctx, c.save); err != nil {
				t.Fatal(err)
			}
			got, err := s.FeedState(ctx, c.save.FeedID)
			if err != nil {
				t.Fatal(err)
			}
			if !sameFeedState(got, c.save) {
				t.Errorf("FeedState = %+v, want %+v", got, c.save)
			}
		})
	}
}

func sameFeedState(a, b store.FeedState) bool {
	times := func(s store.FeedState) []time.Time {
		return []time.Time{s.LastPolled, s.LastSuccess, s.LastChanged, s.NextPoll, s.FailingSince}
	}
	ta, tb := times(a), times(b)
	for i := range ta {
		if !ta[i].Equal(tb[i]) {
			return false
		}
	}
	a.LastPolled, a.LastSuccess, a.LastChanged, a.NextPoll, a.FailingSince = time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}
	b.LastPolled, b.LastSuccess, b.LastChanged, b.NextPoll, b.FailingSince = time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return a == b
}

func testUnseenKeys(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	commit(t, s, "f", poll("f", []string{"seen1", "seen2", "ünïcode ✓"}))
	commit(t, s, "g", poll("g", []string{"only-in-g"}))
	cases := []struct {
		name string
		feed string
		keys []string
		want []string
	}{
		{"order kept", "f", []string{"z", "seen1", "a", "seen2", "m"}, []string{"z", "a", "m"}},
		{"all seen", "f", []string{"seen2", "seen1", "ünïcode ✓"}, nil},
		{"keys are per feed", "f", []string{"only-in-g"}, []string{"only-in-g"}},
		{"unknown feed", "nope", []string{"seen1"}, []string{"seen1"}},
		{"empty", "f", nil, nil},
		{"quotes and JSON-looking keys", "f", []string{`"q"`, `a\b`, `<&>`}, []string{`"q"`, `a\b`, `<&>`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.UnseenKeys(ctx, c.feed, c.keys)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("UnseenKeys(%q, %q) = %q, want %q", c.feed, c.keys, got, c.want)
			}
		})
	}
}

func testReopen(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	commit(t, s, "f", poll("f", []string{"a", "b"}, alert("console", "a", "story:a")))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = h.store(t)
	if st, err := s.FeedState(ctx, "f"); err != nil || !st.Initialized {
		t.Errorf("FeedState after reopen = %+v, %v; want the committed state", st, err)
	}
	if unseen, err := s.UnseenKeys(ctx, "f", []string{"a", "b", "c"}); err != nil || !slices.Equal(unseen, []string{"c"}) {
		t.Errorf("UnseenKeys after reopen = %q, %v; want [c]", unseen, err)
	}
	if got := itemKeys(pending(t, s, "console", h.clock.Now())); !slices.Equal(got, []string{"a"}) {
		t.Errorf("pending after reopen = %q, want [a]", got)
	}
	if got := commit(t, s, "g", poll("g", []string{"x"}, alert("console", "x", "story:a"))); got != 0 {
		t.Errorf("dedupe after reopen: enqueued %d, want 0", got)
	}
}

func testMigrationsIdempotent(t *testing.T, h *harness) {
	s := h.store(t)
	commit(t, s, "f", poll("f", []string{"a"}, alert("console", "a")))
	for i := range 3 {
		if err := s.Close(); err != nil {
			t.Fatalf("Close %d: %v", i, err)
		}
		s = h.store(t)
	}
	if got := len(pending(t, s, "console", h.clock.Now())); got != 1 {
		t.Errorf("pending after 3 reopens = %d, want 1", got)
	}
}

func testPendingOrder(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	// Keys deliberately not in id order, over two feeds and two commits.
	commit(t, s, "f", poll("f", []string{"z", "m"}, alert("console", "z"), alert("console", "m"), alert("other", "m")))
	h.clock.Advance(time.Second)
	commit(t, s, "g", poll("g", []string{"a"}, alert("console", "a")))
	all := pending(t, s, "console", h.clock.Now())
	if got, want := itemKeys(all), []string{"z", "m", "a"}; !slices.Equal(got, want) {
		t.Fatalf("pending order = %q, want %q (by enqueue order)", got, want)
	}
	if !slices.IsSorted(ids(all)) {
		t.Errorf("pending ids = %v, want ascending", ids(all))
	}
	cases := []struct {
		limit int
		want  []string
	}{
		{1, []string{"z"}}, {2, []string{"z", "m"}}, {10, []string{"z", "m", "a"}}, {0, []string{"z", "m", "a"}},
	}
	for _, c := range cases {
		got, err := s.PendingAlerts(ctx, "console", h.clock.Now(), c.limit)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(itemKeys(got), c.want) {
			t.Errorf("PendingAlerts(limit %d) = %q, want %q", c.limit, itemKeys(got), c.want)
		}
	}
	dests, err := s.PendingDestinations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"console", "other"}; !slices.Equal(dests, want) {
		t.Errorf("PendingDestinations = %q, want %q", dests, want)
	}
}

func testFailureBackoff(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	commit(t, s, "f", poll("f", []string{"a", "b"}, alert("console", "a"), alert("console", "b")))
	first := pending(t, s, "console", epoch)[0]
	retryAt := epoch.Add(2 * time.Minute)
	if err := s.MarkFailed(ctx, first.ID, "HTTP 429", retryAt); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		now  time.Time
		want []string
	}{
		{"before retry time", epoch.Add(time.Minute), []string{"b"}},
		{"at retry time", retryAt, []string{"a", "b"}},
		{"after retry time", retryAt.Add(time.Hour), []string{"a", "b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := pending(t, s, "console", c.now)
			if !slices.Equal(itemKeys(got), c.want) {
				t.Fatalf("pending = %q, want %q", itemKeys(got), c.want)
			}
			if got[0].ItemKey == "a" && (got[0].Attempts != 1 || got[0].LastError != "HTTP 429" || !got[0].NextAttempt.Equal(retryAt)) {
				t.Errorf("failed alert = attempts %d, error %q, next %v; want 1, %q, %v",
					got[0].Attempts, got[0].LastError, got[0].NextAttempt, "HTTP 429", retryAt)
			}
		})
	}
	if err := s.MarkFailed(ctx, first.ID, "HTTP 502", retryAt.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	again := pending(t, s, "console", retryAt.Add(time.Hour))[0]
	if again.Attempts != 2 || again.LastError != "HTTP 502" {
		t.Errorf("after a second failure: attempts %d, error %q; want 2, %q", again.Attempts, again.LastError, "HTTP 502")
	}
}

func testDeliveredAndDropped(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	commit(t, s, "f", poll("f", []string{"a", "b", "c"},
		alert("console", "a"), alert("console", "b"), alert("discord", "c")))
	byKey := map[string]int64{}
	for _, dest := range []string{"console", "discord"} {
		for _, a := range pending(t, s, dest, epoch) {
			byKey[a.ItemKey] = a.ID
		}
	}
	if err := s.MarkDelivered(ctx, byKey["a"], "msg-1", epoch); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDropped(ctx, byKey["c"], "HTTP 404: webhook gone"); err != nil {
		t.Fatal(err)
	}
	if got := itemKeys(pending(t, s, "console", epoch)); !slices.Equal(got, []string{"b"}) {
		t.Errorf("pending console = %q, want [b]", got)
	}
	if got := pending(t, s, "discord", epoch); len(got) != 0 {
		t.Errorf("pending discord = %q, want none (dropped)", itemKeys(got))
	}
	dests, err := s.PendingDestinations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"console"}; !slices.Equal(dests, want) {
		t.Errorf("PendingDestinations = %q, want %q", dests, want)
	}
	if err := s.AssignBatch(ctx, []int64{byKey["a"], byKey["b"]}, "batch-1"); err != nil {
		t.Fatal(err)
	}
	if got := pending(t, s, "console", epoch); len(got) != 1 || got[0].Batch != "batch-1" {
		t.Errorf("after AssignBatch pending = %+v, want b in batch-1", got)
	}
}

func testBatchAcrossReopen(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	commit(t, s, "f", poll("f", []string{"a", "b", "c"},
		alert("console", "a"), alert("console", "b"), alert("console", "c")))
	as := pending(t, s, "console", epoch)
	if err := s.AssignBatch(ctx, ids(as[:2]), "burst-7f3a"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, as[0].ID, "timeout", epoch); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = h.store(t)
	got := pending(t, s, "console", epoch)
	want := map[string]string{"a": "burst-7f3a", "b": "burst-7f3a", "c": ""}
	if len(got) != len(want) {
		t.Fatalf("pending after reopen = %q, want a, b, c", itemKeys(got))
	}
	for _, a := range got {
		if a.Batch != want[a.ItemKey] {
			t.Errorf("alert %s batch = %q, want %q", a.ItemKey, a.Batch, want[a.ItemKey])
		}
	}
}

func testCrashBeforeDelivery(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	commit(t, s, "f", poll("f", []string{"a"}, alert("console", "a", "story:a")))
	// The process dies here: no delivery, no clean shutdown of the sender.
	s.Close()

	s = h.store(t)
	// The next run sees the feed again: it must not enqueue a second copy.
	if got := commit(t, s, "f", poll("f", []string{"a"}, alert("console", "a", "story:a"))); got != 0 {
		t.Errorf("re-poll after crash enqueued %d, want 0", got)
	}
	got := pending(t, s, "console", epoch)
	if len(got) != 1 || got[0].ItemKey != "a" {
		t.Fatalf("pending after crash = %q, want exactly [a]", itemKeys(got))
	}
	if err := s.MarkDelivered(ctx, got[0].ID, "m1", epoch); err != nil {
		t.Fatal(err)
	}
	if got := pending(t, s, "console", epoch); len(got) != 0 {
		t.Errorf("pending after delivery = %q, want none", itemKeys(got))
	}
}

func testPruneFrequentPolls(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	commit(t, s, "f", poll("f", []string{"gone", "stays"}))
	for range 36 { // every 5 minutes for 3 hours
		h.clock.Advance(5 * time.Minute)
		commit(t, s, "f", poll("f", []string{"stays"}))
	}
	h.clock.Advance(30 * 24 * time.Hour)
	if err := s.Prune(ctx, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	unseen, err := s.UnseenKeys(ctx, "f", []string{"gone", "stays"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"gone"}; !slices.Equal(unseen, want) {
		t.Errorf("UnseenKeys after prune = %q, want %q", unseen, want)
	}
}

func testPruneKeepsPresentKeys(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	commit(t, s, "f", poll("f", []string{"old", "stays"}))
	h.clock.Advance(24 * time.Hour)
	commit(t, s, "f", poll("f", []string{"stays", "new"}))
	// A long run of 304s: the feed is never committed again, only saved.
	h.clock.Advance(30 * 24 * time.Hour)
	if err := s.SaveFeedState(ctx, store.FeedState{FeedID: "f", Initialized: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.Prune(ctx, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	unseen, err := s.UnseenKeys(ctx, "f", []string{"old", "stays", "new"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"old"}; !slices.Equal(unseen, want) {
		t.Errorf("UnseenKeys after prune = %q, want %q (keys in the latest fetch kept)", unseen, want)
	}
}

// testPresentKeys: a poll's Present keys (the keys of its items' links,
// which remember their headlines) are kept by Prune while polls name
// them, like Keys, and their text signatures with them; one no poll names
// any more goes like any key; one never seen is not recorded.
func testPresentKeys(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	first := poll("f", []string{"item", "~lstays", "~lgoes"})
	first.Texts = map[string][]byte{"~lstays": []byte("stays"), "~lgoes": []byte("goes")}
	commit(t, s, "f", first)
	for day := range 40 { // the feed changes daily around the item
		h.clock.Advance(24 * time.Hour)
		p := poll("f", []string{"item", fmt.Sprintf("day-%d", day)})
		p.Present = []string{"~lstays", "~lnever"}
		commit(t, s, "f", p)
	}
	if err := s.Prune(ctx, h.clock.Now().Add(-30*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	texts, err := s.ItemTexts(ctx, "f", []string{"~lstays", "~lgoes", "~lnever"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := slices.Sorted(maps.Keys(texts)), []string{"~lstays"}; !slices.Equal(got, want) {
		t.Errorf("text signatures after prune: got %q, want %q", got, want)
	}
	unseen, err := s.UnseenKeys(ctx, "f", []string{"item", "~lstays", "~lgoes", "~lnever"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"~lgoes", "~lnever"}; !slices.Equal(unseen, want) {
		t.Errorf("UnseenKeys after prune: got %q, want %q", unseen, want)
	}
}

func testPruneKeepsPendingAndDedupe(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t, store.WithDedupeWindow(48*time.Hour))
	commit(t, s, "f", poll("f", []string{"a", "b"}, alert("console", "a", "story:a"), alert("console", "b")))
	as := pending(t, s, "console", epoch)
	if err := s.MarkDelivered(ctx, as[0].ID, "m1", epoch); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Hour)
	if err := s.Prune(ctx, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if got := itemKeys(pending(t, s, "console", h.clock.Now())); !slices.Equal(got, []string{"b"}) {
		t.Errorf("pending after prune = %q, want [b] (undelivered alerts are never pruned)", got)
	}
	if got := commit(t, s, "g", poll("g", []string{"x"}, alert("console", "x", "story:a"))); got != 0 {
		t.Errorf("same story after prune, within window: enqueued %d, want 0", got)
	}
}

func testWatches(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	w1, err := s.AddWatch(ctx, store.Watch{GuildID: "g1", ChannelID: "c1", FeedURL: "https://a.example/rss",
		Query: "aleppo ceasefire", CreatedBy: "u1", MentionRole: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	w2, err := s.AddWatch(ctx, store.Watch{GuildID: "g1", ChannelID: "c2", FeedURL: "https://b.example/atom",
		Query: `"kerry lavrov"`, CreatedBy: "u2", CreatedAt: epoch.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if w1.ID == 0 || w1.ID == w2.ID || !w1.CreatedAt.Equal(epoch) || !w2.CreatedAt.Equal(epoch.Add(-time.Hour)) {
		t.Fatalf("AddWatch = %+v, %+v; want distinct ids and CreatedAt set", w1, w2)
	}
	if err := s.SetWatchPaused(ctx, w2.ID, true, "feed gone"); err != nil {
		t.Fatal(err)
	}
	w2.Paused, w2.PauseReason = true, "feed gone"
	list := func() []store.Watch {
		ws, err := s.Watches(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return ws
	}
	if got := list(); len(got) != 2 || !sameWatch(got[0], w1) || !sameWatch(got[1], w2) {
		t.Errorf("Watches = %+v, want %+v, %+v", got, w1, w2)
	}
	if err := s.RemoveWatch(ctx, w1.ID); err != nil {
		t.Fatal(err)
	}
	if got := list(); len(got) != 1 || got[0].ID != w2.ID {
		t.Errorf("Watches after remove = %+v, want only %d", got, w2.ID)
	}
	if err := s.RemoveWatch(ctx, w1.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RemoveWatch of a removed watch = %v, want ErrNotFound", err)
	}
}

// testWatchesVersion: every change of the watches moves their version
// on; a failed one (no such watch) and a read do not.
func testWatchesVersion(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	version := func() int64 {
		t.Helper()
		v, err := s.WatchesVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	var w store.Watch
	query := "kerry"
	steps := []struct {
		name  string
		do    func() error
		moves bool
	}{
		{"add", func() (err error) {
			w, err = s.AddWatch(ctx, store.Watch{GuildID: "g", ChannelID: "c", FeedURL: "https://a.example/rss", Query: "aleppo"})
			return err
		}, true},
		{"list", func() error { _, err := s.Watches(ctx); return err }, false},
		{"pause", func() error { return s.SetWatchPaused(ctx, w.ID, true, "") }, true},
		{"resume", func() error { return s.SetWatchPaused(ctx, w.ID, false, "") }, true},
		{"edit", func() error { _, err := s.UpdateWatch(ctx, w.ID, store.WatchChange{Query: &query}); return err }, true},
		{"remove", func() error { return s.RemoveWatch(ctx, w.ID) }, true},
		{"remove again", func() error { s.RemoveWatch(ctx, w.ID); return nil }, false},
	}
	for _, st := range steps {
		before := version()
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := version() != before; got != st.moves {
			t.Errorf("%s: version moved %v (from %d), want %v", st.name, got, before, st.moves)
		}
	}
}

// testDropUnwatched: the pending alerts of a watch that no longer exists
// are dropped and counted by destination; those of a watch that exists,
// of config subscriptions and those delivered stay as they are.
// twoWatches adds two watches on one feed, into channels c1 and c2.
func twoWatches(t *testing.T, s store.Store) (c1, c2 store.Watch) {
	t.Helper()
	ctx := context.Background()
	c1, err := s.AddWatch(ctx, store.Watch{GuildID: "g", ChannelID: "c1", FeedURL: "https://a.example/rss", Query: "aleppo"})
	if err != nil {
		t.Fatal(err)
	}
	c2, err = s.AddWatch(ctx, store.Watch{GuildID: "g", ChannelID: "c2", FeedURL: "https://a.example/rss", Query: "kerry"})
	if err != nil {
		t.Fatal(err)
	}
	return c1, c2
}

// of is alert's alert for subscription sub.
func of(dest, key string, sub string) store.Alert {
	a := alert(dest, key)
	a.Subscription = sub
	return a
}

func testDropUnwatched(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	kept, gone := twoWatches(t, s)
	commit(t, s, "feed", matchedUnder(poll("feed", []string{"k1", "k2", "k3", "k4", "k5"},
		ofWatch("channel:c1", "k1", kept),
		ofWatch("channel:c2", "k2", gone),
		ofWatch("channel:c2", "k3", gone),
		of("channel:c2", "k4", "cfg:desk"),
		ofWatch("channel:c2", "k5", gone)), kept.FeedURL, kept, gone))
	delivered := pending(t, s, "channel:c2", epoch.Add(time.Hour))
	if err := s.MarkDelivered(ctx, delivered[len(delivered)-1].ID, "m1", epoch); err != nil { // k5
		t.Fatal(err)
	}
	if err := s.RemoveWatch(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	got, err := s.DropUnwatched(ctx, "watch removed")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"channel:c2": 2}; !maps.Equal(got, want) {
		t.Errorf("DropUnwatched = %v, want %v", got, want)
	}
	for dest, want := range map[string][]string{"channel:c1": {"k1"}, "channel:c2": {"k4"}} {
		if keys := itemKeys(pending(t, s, dest, epoch.Add(time.Hour))); !slices.Equal(keys, want) {
			t.Errorf("pending in %s after DropUnwatched: %q, want %q", dest, keys, want)
		}
	}
	if got, err := s.DropUnwatched(ctx, "watch removed"); err != nil || len(got) != 0 {
		t.Errorf("DropUnwatched again = %v, %v; want nothing dropped", got, err)
	}
}

// testCommitRefusesRemovedWatches: a poll matched with the watches its
// catalog had, and one of them was removed before the commit (its pending
// alerts already dropped), or was never stored: the commit records
// nothing (ErrWatchesEdited), and the poll matched again under the
// watches as they are enqueues the stored watch's alert and the config
// subscription's (whose names no watch has), the removed watch's none.
// An alert of a watch the poll did not match under is refused as a
// caller's error.
func testCommitRefusesRemovedWatches(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	kept, gone := twoWatches(t, s)
	if err := s.RemoveWatch(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	never := store.Watch{ID: gone.ID + 100, FeedURL: kept.FeedURL, Query: "aleppo"}
	keys := []string{"k1", "k2", "k3"}
	tests := []struct {
		name    string
		watches []store.Watch // matched under
		alerts  []store.Alert
		edited  bool
	}{
		{name: "a removed watch's", watches: []store.Watch{kept, gone}, edited: true,
			alerts: []store.Alert{ofWatch("channel:c1", "k1", kept), ofWatch("channel:c2", "k2", gone), of("channel:c2", "k3", "cfg:desk")}},
		{name: "a watch never stored", watches: []store.Watch{kept, never}, edited: true,
			alerts: []store.Alert{ofWatch("channel:c1", "k1", kept), ofWatch("channel:c2", "k2", never), of("channel:c2", "k3", "cfg:desk")}},
		{name: "matched again", watches: []store.Watch{kept},
			alerts: []store.Alert{ofWatch("channel:c1", "k1", kept), of("channel:c2", "k3", "cfg:desk")}},
	}
	for _, tt := range tests {
		n, err := s.CommitPoll(ctx, "feed", matchedUnder(poll("feed", keys, tt.alerts...), kept.FeedURL, tt.watches...))
		if got := errors.Is(err, store.ErrWatchesEdited); got != tt.edited || (err != nil && !got) {
			t.Fatalf("%s: CommitPoll: %v, want ErrWatchesEdited %v", tt.name, err, tt.edited)
		}
		if unseen, err := s.UnseenKeys(ctx, "feed", keys); err != nil || len(unseen) != map[bool]int{true: len(keys)}[tt.edited] {
			t.Errorf("%s: keys left unseen: %q (err %v), want all only when the commit was refused", tt.name, unseen, err)
		}
		if want := map[bool]int{false: 2}[tt.edited]; n != want {
			t.Errorf("%s: CommitPoll enqueued %d alerts, want %d", tt.name, n, want)
		}
	}
	for dest, want := range map[string][]string{"channel:c1": {"k1"}, "channel:c2": {"k3"}} {
		if got := itemKeys(pending(t, s, dest, epoch.Add(time.Hour))); !slices.Equal(got, want) {
			t.Errorf("pending in %s: %q, want %q", dest, got, want)
		}
	}
	_, err := s.CommitPoll(ctx, "other", matchedUnder(poll("other", []string{"k1"}, ofWatch("channel:c1", "k1", kept)), kept.FeedURL))
	if err == nil || errors.Is(err, store.ErrWatchesEdited) {
		t.Errorf("CommitPoll of an alert of a watch not matched under: %v, want a caller's error", err)
	}
}

// ofWatch is alert's alert for watch w.
func ofWatch(dest, key string, w store.Watch) store.Alert {
	return of(dest, key, store.WatchSubscription(w.ID))
}

// matchedUnder is p matched under the watches ws of feedURL, as they are
// (Poll.WatchFeed, Poll.Watches).
func matchedUnder(p store.Poll, feedURL string, ws ...store.Watch) store.Poll {
	p.WatchFeed, p.Watches = feedURL, ws
	return p
}

// testCommitOfPausedOrEditedWatches: a poll matched under the watches of
// its feed its catalog had (Poll.Watches: "a", and another, "x"), and
// the watches changed before the commit. Any change of which watches of
// the feed run, or of what they match or where they post, refuses the
// commit whole (ErrWatchesEdited), the items not marked seen and nothing
// enqueued, so that the poll, matched again under the watches as they
// are, gets what they match now, where they post now: an edit of the
// query ("a OR b") gets the item it matches alone too, once; a pause
// nothing; a watch added or resumed during the poll (which before got
// nothing of it: its new items were marked seen unmatched for it) what it
// matches; a watch moved to another channel or made a forum's posts there
// (before, the alert went to the old channel); a watch whose role was
// edited pings the new one (before, the edit was no change, and the alert
// pinged the old role). Before, a pause dropped the watch's alert in the
// commit, so that another watch of its channel that matched the item
// too, whose alert it was, lost it. A watch paused and resumed, or edited
// back to the query or role matched, or a paused watch added, is no
// change.
func testCommitOfPausedOrEditedWatches(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	str := func(s string) *string { return &s }
	pause := func(paused bool) func(store.Watch) error {
		return func(w store.Watch) error { return s.SetWatchPaused(ctx, w.ID, paused, "paused by a moderator") }
	}
	edit := func(c store.WatchChange) func(store.Watch) error {
		return func(w store.Watch) error { _, err := s.UpdateWatch(ctx, w.ID, c); return err }
	}
	add := func(paused bool) func(store.Watch) error {
		return func(w store.Watch) error {
			_, err := s.AddWatch(ctx, store.Watch{GuildID: "g", ChannelID: "n" + w.ChannelID, FeedURL: w.FeedURL, Query: "b", Paused: paused})
			return err
		}
	}
	widen := edit(store.WatchChange{Query: str("a OR b")})
	type changes = []func(store.Watch) error
	tests := []struct {
		name string
		// noAlert leaves out the watch's alert for item "both", which
		// "a" matches; item "onlyB", which only "a OR b" matches, is in
		// the poll either way.
		noAlert bool
		changes changes // of the watch, made after the match
		// otherPaused pauses the other watch before the match;
		// otherChanges are made to it after the match.
		otherPaused  bool
		otherChanges changes
		edited       bool     // CommitPoll returns ErrWatchesEdited
		want         []string // the watch's alerts enqueued, by item key, in the channel it has at the end
	}{
		{name: "unchanged", want: []string{"both"}},
		{name: "paused", changes: changes{pause(true)}, edited: true},
		{name: "paused and resumed", changes: changes{pause(true), pause(false)}, want: []string{"both"}},
		{name: "query widened", changes: changes{widen}, edited: true, want: []string{"both", "onlyB"}},
		{name: "query widened, no alert matched under the old one", noAlert: true,
			changes: changes{widen}, edited: true, want: []string{"both", "onlyB"}},
		{name: "query edited to one matching neither item", edited: true,
			changes: changes{edit(store.WatchChange{Query: str("c")})}},
		{name: "query edited, then back", want: []string{"both"},
			changes: changes{widen, edit(store.WatchChange{Query: str("a")})}},
		{name: "query widened and paused", changes: changes{widen, pause(true)}, edited: true},
		{name: "moved to another channel", changes: changes{edit(store.WatchChange{ChannelID: str("m")})}, edited: true, want: []string{"both"}},
		{name: "made a forum's", changes: changes{func(w store.Watch) error {
			return edit(store.WatchChange{ChannelID: &w.ChannelID, Forum: true})(w)
		}}, edited: true, want: []string{"both"}},
		{name: "role edited", changes: changes{edit(store.WatchChange{MentionRole: str("r2")})}, edited: true, want: []string{"both"}},
		{name: "role edited, then back", want: []string{"both"},
			changes: changes{edit(store.WatchChange{MentionRole: str("r2")}), edit(store.WatchChange{MentionRole: str("")})}},
		{name: "another watch's query edited", otherChanges: changes{edit(store.WatchChange{Query: str("y")})}, edited: true, want: []string{"both"}},
		{name: "another watch paused", otherChanges: changes{pause(true)}, edited: true, want: []string{"both"}},
		{name: "another watch resumed", otherPaused: true, otherChanges: changes{pause(false)}, edited: true, want: []string{"both"}},
		{name: "another watch removed", otherChanges: changes{func(w store.Watch) error { return s.RemoveWatch(ctx, w.ID) }}, edited: true, want: []string{"both"}},
		{name: "a watch added on the feed", changes: changes{add(false)}, edited: true, want: []string{"both"}},
		{name: "a paused watch added on the feed", changes: changes{add(true)}, want: []string{"both"}},
	}
	for i, tt := range tests {
		feed := fmt.Sprintf("feed%d", i)
		feedURL := "https://a.example/" + feed
		w, err := s.AddWatch(ctx, store.Watch{GuildID: "g", ChannelID: fmt.Sprintf("c%d", i), FeedURL: feedURL, Query: "a"})
		if err != nil {
			t.Fatal(err)
		}
		other, err := s.AddWatch(ctx, store.Watch{GuildID: "g", ChannelID: fmt.Sprintf("o%d", i), FeedURL: feedURL, Query: "x", Paused: tt.otherPaused})
		if err != nil {
			t.Fatal(err)
		}
		// A watch of another feed: no change of the poll's feed.
		if _, err := s.AddWatch(ctx, store.Watch{GuildID: "g", ChannelID: fmt.Sprintf("c%d", i), FeedURL: feedURL + "/elsewhere", Query: "a"}); err != nil {
			t.Fatal(err)
		}
		matched := []store.Watch{w}
		if !tt.otherPaused {
			matched = append(matched, other)
		}
		keys := []string{"both", "onlyB"}
		var alerts []store.Alert
		if !tt.noAlert {
			alerts = rematch([]string{"both"}, feed, w)
		}
		p := matchedUnder(poll(feed, keys, alerts...), feedURL, matched...)
		for _, change := range tt.changes {
			if err := change(w); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
		}
		for _, change := range tt.otherChanges {
			if err := change(other); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
		}
		_, err = s.CommitPoll(ctx, feed, p)
		if got := errors.Is(err, store.ErrWatchesEdited); got != tt.edited || (err != nil && !got) {
			t.Errorf("%s: CommitPoll: %v, want ErrWatchesEdited %v", tt.name, err, tt.edited)
			continue
		}
		now := w
		if tt.edited {
			// Nothing recorded: matched again under the watches as they
			// are (the poller's catalog, rebuilt), and committed anew.
			if unseen, err := s.UnseenKeys(ctx, feed, keys); err != nil || len(unseen) != len(keys) {
				t.Errorf("%s: unseen keys after the refused commit: %q (err %v), want all", tt.name, unseen, err)
			}
			if _, err := s.FeedState(ctx, feed); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: FeedState after the refused commit: %v, want ErrNotFound", tt.name, err)
			}
			ws, err := s.Watches(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var again []store.Watch
			for _, x := range ws {
				if x.ID == w.ID {
					now = x
				}
				if x.FeedURL == feedURL && !x.Paused {
					again = append(again, x)
				}
			}
			p = matchedUnder(poll(feed, keys, rematch(tt.want, feed, now)...), feedURL, again...)
			if _, err := s.CommitPoll(ctx, feed, p); err != nil {
				t.Errorf("%s: CommitPoll matched again: %v", tt.name, err)
				continue
			}
		}
		if n := commit(t, s, feed, p); n != 0 {
			t.Errorf("%s: the poll committed again enqueued %d alerts, want 0", tt.name, n)
		}
		if got := itemKeys(pending(t, s, watchDest(now), epoch.Add(time.Hour))); !slices.Equal(got, tt.want) {
			t.Errorf("%s: alerts enqueued in %s %q, want %q", tt.name, watchDest(now), got, tt.want)
		}
		if watchDest(now) != watchDest(w) {
			if got := itemKeys(pending(t, s, watchDest(w), epoch.Add(time.Hour))); len(got) != 0 {
				t.Errorf("%s: alerts enqueued in the channel it left %q, want none", tt.name, got)
			}
		}
		if unseen, err := s.UnseenKeys(ctx, feed, keys); err != nil || len(unseen) != 0 {
			t.Errorf("%s: keys left unseen: %q (err %v), want every item marked seen", tt.name, unseen, err)
		}
	}
}

// watchDest is where a poll matched under w sends w's alerts.
func watchDest(w store.Watch) string {
	if w.Forum {
		return "forum:" + w.ChannelID
	}
	return "channel:" + w.ChannelID
}

// rematch is what a poll matched under w gives: the alerts of w for items
// keys, in w's channel.
func rematch(keys []string, feed string, w store.Watch) []store.Alert {
	var alerts []store.Alert
	for _, k := range keys {
		a := ofWatch(watchDest(w), k, w)
		a.FeedID = feed
		alerts = append(alerts, a)
	}
	return alerts
}

// testForgetFeeds: a forgotten feed has no state and no seen keys, as if
// never polled, and its alerts stay; other feeds keep theirs.
func testForgetFeeds(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	commit(t, s, "gone", poll("gone", []string{"k1", "k2"}, alert("desk", "k1", "item:gone/k1")))
	commit(t, s, "kept", poll("kept", []string{"k1"}))
	if err := s.ForgetFeeds(ctx, []string{"gone", "never-polled"}); err != nil {
		t.Fatal(err)
	}
	if err := s.ForgetFeeds(ctx, nil); err != nil {
		t.Errorf("ForgetFeeds of no feed: %v", err)
	}
	if _, err := s.FeedState(ctx, "gone"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FeedState of a forgotten feed: got %v, want ErrNotFound", err)
	}
	if got, err := s.UnseenKeys(ctx, "gone", []string{"k1", "k2"}); err != nil || len(got) != 2 {
		t.Errorf("UnseenKeys of a forgotten feed = %q, %v; want both keys", got, err)
	}
	if got, err := s.UnseenKeys(ctx, "kept", []string{"k1"}); err != nil || len(got) != 0 {
		t.Errorf("UnseenKeys of another feed = %q, %v; want none", got, err)
	}
	if _, err := s.FeedState(ctx, "kept"); err != nil {
		t.Errorf("FeedState of another feed: %v", err)
	}
	if got := pending(t, s, "desk", epoch.Add(time.Hour)); len(got) != 1 {
		t.Errorf("pending alerts after ForgetFeeds: %d, want 1: they stay", len(got))
	}
}

// testUpdateWatch: an edit changes what it sets of the channel (with its
// forum flag), query and role, and nothing else: two edits of different
// fields both take, and each returns the watch as it then is.
func testUpdateWatch(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	w, err := s.AddWatch(ctx, store.Watch{GuildID: "g1", ChannelID: "c1", FeedURL: "https://a.example/rss",
		Query: "aleppo", CreatedBy: "u1", MentionRole: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.AddWatch(ctx, store.Watch{GuildID: "g1", ChannelID: "c1", FeedURL: "https://a.example/rss", Query: "kerry"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetWatchPaused(ctx, w.ID, true, "paused by a moderator"); err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	want := w
	want.Paused, want.PauseReason = true, "paused by a moderator"
	steps := []struct {
		name   string
		change store.WatchChange
		apply  func(*store.Watch)
	}{
		{"query", store.WatchChange{Query: str("aleppo AND truce")}, func(w *store.Watch) { w.Query = "aleppo AND truce" }},
		{"channel, a forum", store.WatchChange{ChannelID: str("c2"), Forum: true}, func(w *store.Watch) { w.ChannelID, w.Forum = "c2", true }},
		{"forum flag without a channel is no change", store.WatchChange{Forum: false}, func(*store.Watch) {}},
		{"no role", store.WatchChange{MentionRole: str("")}, func(w *store.Watch) { w.MentionRole = "" }},
		{"channel, not a forum, and role", store.WatchChange{ChannelID: str("c3"), MentionRole: str("r2")},
			func(w *store.Watch) { w.ChannelID, w.Forum, w.MentionRole = "c3", false, "r2" }},
	}
	for _, st := range steps {
		st.apply(&want)
		got, err := s.UpdateWatch(ctx, w.ID, st.change)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if !sameWatch(got, want) {
			t.Errorf("%s: UpdateWatch returned %+v\nwant %+v", st.name, got, want)
		}
		ws, err := s.Watches(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ws) != 2 || !sameWatch(ws[0], want) || !sameWatch(ws[1], other) {
			t.Errorf("%s: Watches after UpdateWatch = %+v\nwant %+v, %+v", st.name, ws, want, other)
		}
	}
}

func sameWatch(a, b store.Watch) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return false
	}
	a.CreatedAt, b.CreatedAt = time.Time{}, time.Time{}
	return a == b
}

func testNotFound(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	cases := []struct {
		name string
		call func() error
	}{
		{"FeedState", func() error { _, err := s.FeedState(ctx, "nope"); return err }},
		{"MarkDelivered", func() error { return s.MarkDelivered(ctx, 999, "m", epoch) }},
		{"MarkFailed", func() error { return s.MarkFailed(ctx, 999, "e", epoch) }},
		{"MarkDropped", func() error { return s.MarkDropped(ctx, 999, "r") }},
		{"RemoveWatch", func() error { return s.RemoveWatch(ctx, 999) }},
		{"SetWatchPaused", func() error { return s.SetWatchPaused(ctx, 999, true, "r") }},
		{"UpdateWatch", func() error {
			q := "q"
			_, err := s.UpdateWatch(ctx, 999, store.WatchChange{Query: &q})
			return err
		}},
	}
	for _, c := range cases {
		if err := c.call(); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s of a missing row: err = %v, want ErrNotFound", c.name, err)
		}
	}
}

// leaser opens the store as a Leaser, and skips the test for a store
// with one owner, which has no leases.
func (h *harness) leaser(t *testing.T) store.Leaser {
	s := h.store(t)
	l, ok := s.(store.Leaser)
	if !ok {
		t.Skipf("%T has one owner and no leases", s)
	}
	return l
}

// testLeaser walks one sequence of lease calls. Leases run on the
// database's clock, so the harness's fake clock must not matter: moving it
// hours ahead expires nothing.
func testLeaser(t *testing.T, h *harness) {
	l := h.leaser(t)
	ctx := context.Background()
	lease := func(name, owner string, take int64) func() (bool, error) {
		return func() (bool, error) { return l.Lease(ctx, name, owner, take, time.Hour) }
	}
	release := func(name, owner string, take int64) func() (bool, error) {
		return func() (bool, error) { return true, l.Release(ctx, name, owner, take) }
	}
	holder := func(name, owner string) func() (bool, error) {
		return func() (bool, error) {
			got, err := l.LeaseHolder(ctx, name)
			if err == nil && got != owner {
				t.Errorf("LeaseHolder(%s) = %q, want %q", name, got, owner)
			}
			return true, err
		}
	}
	steps := []struct {
		name string
		do   func() (bool, error)
		want bool
	}{
		{"a takes a free lease", lease("feed:f", "a", 1), true},
		{"b is refused while a holds it", lease("feed:f", "b", 1), false},
		{"the holder is a", holder("feed:f", "a"), true},
		{"a free lease has no holder", holder("outbox:desk", ""), true},
		{"a renews", lease("feed:f", "a", 1), true},
		{"another name is free", lease("outbox:desk", "b", 1), true},
		{"instance clocks do not matter", func() (bool, error) {
			h.clock.Advance(3 * time.Hour)
			return l.Lease(ctx, "feed:f", "b", 2, time.Hour)
		}, false},
		{"b releasing a's lease does nothing", release("feed:f", "b", 1), true},
		{"so b is still refused", lease("feed:f", "b", 3), false},
		{"a takes it by another take", lease("feed:f", "a", 2), true},
		{"a's take before, run late, takes nothing", lease("feed:f", "a", 1), false},
		{"a giving back its take before does nothing", release("feed:f", "a", 1), true},
		{"so b is refused still", lease("feed:f", "b", 4), false},
		{"a gives back the take that holds it", release("feed:f", "a", 2), true},
		{"b takes it at once", lease("feed:f", "b", 5), true},
		{"the holder is b now", holder("feed:f", "b"), true},
		{"a is refused now", lease("feed:f", "a", 3), false},
		{"releasing a free lease does nothing", release("gateway", "a", 1), true},
	}
	for _, st := range steps {
		got, err := st.do()
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got != st.want {
			t.Errorf("%s: got %v, want %v", st.name, got, st.want)
		}
	}

	const short = 100 * time.Millisecond
	if got, err := l.Lease(ctx, "gateway", "a", 4, short); err != nil || !got {
		t.Fatalf("Lease(gateway, a, %v) = %v, %v; want true", short, got, err)
	}
	time.Sleep(2 * short)
	if got, err := l.LeaseHolder(ctx, "gateway"); err != nil || got != "" {
		t.Errorf("after a's lease expired, LeaseHolder(gateway) = %q, %v; want none", got, err)
	}
	if got, err := l.Lease(ctx, "gateway", "b", 6, time.Hour); err != nil || !got {
		t.Errorf("after a's lease expired, Lease(gateway, b) = %v, %v; want true", got, err)
	}
	if got, err := l.Lease(ctx, "gateway", "a", 5, 0); err == nil {
		t.Errorf("Lease with ttl 0 = %v, nil; want an error", got)
	}
}

// testRenewLeases renews, in one call, leases an owner holds, one it gave
// back, one another owner took after it ran out, one another owner holds,
// one that ran out and no one took, and one never taken. Only the first
// and the one that ran out untaken are renewed: a renewal takes no lease.
func testRenewLeases(t *testing.T, h *harness) {
	l := h.leaser(t)
	ctx := context.Background()
	const short = 100 * time.Millisecond
	take := func(name, owner string, ttl time.Duration) {
		t.Helper()
		if got, err := l.Lease(ctx, name, owner, 1, ttl); err != nil || !got {
			t.Fatalf("Lease(%s, %s, %v) = %v, %v; want true", name, owner, ttl, got, err)
		}
	}
	take("feed:f", "a", time.Hour)
	take("outbox:desk", "a", time.Hour)
	take("gateway", "a", short)
	take("feed:x", "a", short)
	take("stories", "b", time.Hour)
	if err := l.Release(ctx, "outbox:desk", "a", 1); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * short)
	take("gateway", "b", time.Hour)

	names := []string{"feed:f", "outbox:desk", "gateway", "stories", "feed:x", "feed:never"}
	got, err := l.RenewLeases(ctx, names, "a", time.Hour)
	slices.Sort(got)
	if want := []string{"feed:f", "feed:x"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("RenewLeases(%q, a) = %q, %v; want %q", names, got, err, want)
	}
	for name, want := range map[string]string{
		"feed:f": "a", "feed:x": "a", // feed:x renewed past its expiry
		"outbox:desk": "", "feed:never": "", // not taken by the renewal
		"gateway": "b", "stories": "b",
	} {
		if got, err := l.LeaseHolder(ctx, name); err != nil || got != want {
			t.Errorf("after the renewal, LeaseHolder(%s) = %q, %v; want %q", name, got, err, want)
		}
	}
	if got, err := l.RenewLeases(ctx, nil, "a", time.Hour); err != nil || len(got) != 0 {
		t.Errorf("RenewLeases of no lease = %q, %v; want none", got, err)
	}
	if got, err := l.RenewLeases(ctx, []string{"feed:f"}, "a", 0); err == nil {
		t.Errorf("RenewLeases with ttl 0 = %q, nil; want an error", got)
	}
}

// testInstances runs several Stores over one shared database at once, as
// several newshound processes would: in each round every instance commits
// the same poll of a shared feed and, on a feed of its own, the same story,
// and leases the round's feed. Each item and each story is enqueued once,
// and each feed leased by one instance.
func testInstances(t *testing.T, h *harness) {
	const instances, rounds = 3, 20
	first := h.store(t)
	if _, ok := first.(store.Leaser); !ok {
		t.Skipf("%T has one owner: several instances cannot share it", first)
	}
	stores := []store.Store{first}
	for len(stores) < instances {
		stores = append(stores, h.store(t))
	}
	results := make([][]instanceResult, instances)
	errs := make([]error, instances)
	var wg sync.WaitGroup
	for i, s := range stores {
		results[i] = make([]instanceResult, rounds)
		wg.Go(func() { errs[i] = runInstance(s, i, results[i]) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
	}
	for r := range rounds {
		var shared, story, leased int
		for i := range instances {
			res := results[i][r]
			shared += res.shared
			story += res.story
			if res.leased {
				leased++
			}
		}
		if shared != 1 || story != 1 {
			t.Errorf("round %d: shared item enqueued %d times, shared story %d times; want 1 and 1", r, shared, story)
		}
		if leased != 1 {
			t.Errorf("round %d: feed leased by %d instances, want 1", r, leased)
		}
	}
}

// instanceResult is what one instance saw in one round of testInstances.
type instanceResult struct {
	shared, story int // alerts enqueued
	leased        bool
}

func runInstance(s store.Store, i int, results []instanceResult) error {
	ctx := context.Background()
	for r := range results {
		res := &results[r]
		var err error
		res.leased, err = s.(store.Leaser).Lease(ctx, fmt.Sprintf("feed:round-%d", r), fmt.Sprintf("instance-%d", i), int64(r), time.Hour)
		if err != nil {
			return err
		}
		key := fmt.Sprintf("shared-%d", r)
		n, err := s.CommitPoll(ctx, "shared", poll("shared", []string{key}, alert("console", key)))
		if err != nil {
			return err
		}
		res.shared = n
		own := fmt.Sprintf("own-%d", i)
		key = fmt.Sprintf("%s/%d", own, r)
		n, err = s.CommitPoll(ctx, own, poll(own, []string{key}, alert("wire", key, fmt.Sprintf("story:%d", r))))
		if err != nil {
			return err
		}
		res.story = n
	}
	return nil
}

func testCanceledContext(t *testing.T, h *harness) {
	s := h.store(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if n, err := s.CommitPoll(ctx, "f", poll("f", []string{"a"}, alert("console", "a"))); err == nil {
		t.Fatalf("CommitPoll with a canceled context = %d, nil; want an error", n)
	}
	if _, err := s.FeedState(context.Background(), "f"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FeedState after a canceled commit: err = %v, want ErrNotFound", err)
	}
	if got := pending(t, s, "console", epoch); len(got) != 0 {
		t.Errorf("pending after a canceled commit = %q, want none", itemKeys(got))
	}
	if got := commit(t, s, "f", poll("f", []string{"a"}, alert("console", "a"))); got != 1 {
		t.Errorf("commit after the canceled one enqueued %d, want 1", got)
	}
}

// testHugePoll commits more alerts than one statement carries, in pairs
// that share a story, one pair across the statement boundary: each story
// is enqueued once, in order.
func testHugePoll(t *testing.T, h *harness) {
	s := h.store(t)
	const n = 1234
	keys := keysN("item", n)
	var alerts []store.Alert
	var want []string
	for i, k := range keys {
		story := fmt.Sprintf("story:%d", (i+1)/2) // items 0 | 1 2 | 3 4 | … | 499 500 | …
		alerts = append(alerts, alert("console", k, story))
		if i == 0 || i%2 == 1 {
			want = append(want, k)
		}
	}
	if got := commit(t, s, "big", poll("big", keys, alerts...)); got != len(want) {
		t.Fatalf("enqueued %d, want %d (one per story)", got, len(want))
	}
	if got := itemKeys(pending(t, s, "console", h.clock.Now())); !slices.Equal(got, want) {
		t.Errorf("pending = %d alerts, want %d, first of each story in order", len(got), len(want))
	}
	more := append(slices.Clone(keys), "late")
	if got := commit(t, s, "big", poll("big", more, append(alerts, alert("console", "late"))...)); got != 1 {
		t.Errorf("second commit enqueued %d, want 1 (only the new key)", got)
	}
}

func testFeedStates(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	if got, err := s.FeedStates(ctx); err != nil || len(got) != 0 {
		t.Fatalf("FeedStates of an empty store = %v, %v; want none", got, err)
	}
	states := []store.FeedState{
		{FeedID: "a", URL: "https://a.example/rss", ETag: `"1"`, Initialized: true, NextPoll: epoch.Add(time.Minute)},
		{FeedID: "b", URL: "https://b.example/rss", ErrorCount: 2, FailingSince: epoch, LastError: "HTTP 503"},
		{FeedID: "c", Disabled: true, DisabledReason: "gone (HTTP 410)"},
	}
	if err := s.SaveFeedStates(ctx, states); err != nil {
		t.Fatal(err)
	}
	states[1] = store.FeedState{FeedID: "b", URL: "https://b.example/rss", Initialized: true, LastPolled: epoch}
	if err := s.SaveFeedStates(ctx, states[1:2]); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveFeedStates(ctx, []store.FeedState{{FeedID: "d"}, {}}); err == nil {
		t.Error("SaveFeedStates with an empty FeedID succeeded, want an error")
	}
	if err := s.SaveFeedStates(ctx, nil); err != nil {
		t.Errorf("SaveFeedStates(nil) = %v, want nil", err)
	}
	got, err := s.FeedStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(states) {
		t.Errorf("FeedStates has %d feeds, want %d (nothing of a refused call)", len(got), len(states))
	}
	for _, want := range states {
		if !sameFeedState(got[want.FeedID], want) {
			t.Errorf("FeedStates[%q] = %+v, want %+v", want.FeedID, got[want.FeedID], want)
		}
	}
}

// testEnqueuedAt: the store stamps an alert with its own clock, whatever
// time the caller gives the item.
func testEnqueuedAt(t *testing.T, h *harness) {
	s := h.store(t)
	published := epoch.Add(-90 * 24 * time.Hour)
	a := alert("console", "old")
	a.CreatedAt = published
	a.EnqueuedAt = published.Add(time.Hour) // ignored
	commit(t, s, "f", poll("f", []string{"old"}, a))
	got := pending(t, s, "console", epoch)
	if len(got) != 1 {
		t.Fatalf("pending = %q, want [old]", itemKeys(got))
	}
	if !got[0].CreatedAt.Equal(published) || !got[0].EnqueuedAt.Equal(epoch) {
		t.Errorf("CreatedAt, EnqueuedAt = %v, %v; want %v, %v", got[0].CreatedAt, got[0].EnqueuedAt, published, epoch)
	}
}

// testRetentionFromEnqueue: an alert for an item published long ago is kept
// for the retention period from its enqueue time, not pruned at once.
// MarkDelivered tells whether its row still exists (ErrNotFound if not).
func testRetentionFromEnqueue(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	const retention = 30 * 24 * time.Hour
	a := alert("console", "old")
	a.CreatedAt = epoch.Add(-2 * retention)
	commit(t, s, "f", poll("f", []string{"old"}, a))
	id := pending(t, s, "console", epoch)[0].ID
	if err := s.MarkDelivered(ctx, id, "m1", epoch); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Hour)
	if err := s.Prune(ctx, h.clock.Now().Add(-retention)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDelivered(ctx, id, "m1", epoch); err != nil {
		t.Errorf("an hour after enqueue the delivered alert was pruned (MarkDelivered: %v); want it kept %v", err, retention)
	}
	h.clock.Advance(retention)
	if err := s.Prune(ctx, h.clock.Now().Add(-retention)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDelivered(ctx, id, "m1", epoch); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after the retention period MarkDelivered = %v, want ErrNotFound (pruned)", err)
	}
}

func testOutboxStats(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	first := h.clock.Now()
	commit(t, s, "f", poll("f", []string{"a", "b"}, alert("console", "a"), alert("console", "b"), alert("desk", "a")))
	h.clock.Advance(time.Minute)
	commit(t, s, "g", poll("g", []string{"c"}, alert("console", "c")))
	desk := pending(t, s, "desk", h.clock.Now())
	if err := s.MarkFailed(ctx, desk[0].ID, "HTTP 503", h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	got, err := s.OutboxStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.OutboxStats{
		{Destination: "console", Pending: 3, OldestEnqueued: first},
		{Destination: "desk", Pending: 1, OldestEnqueued: first, Attempts: 1, LastError: "HTTP 503"},
	}
	if len(got) != len(want) {
		t.Fatalf("OutboxStats = %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Destination != w.Destination || g.Pending != w.Pending || !g.OldestEnqueued.Equal(w.OldestEnqueued) || g.Attempts != w.Attempts || g.LastError != w.LastError {
			t.Errorf("OutboxStats[%d] = %+v, want %+v", i, g, w)
		}
	}
	console := pending(t, s, "console", h.clock.Now())
	for _, a := range console {
		if err := s.MarkDelivered(ctx, a.ID, "m", h.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.OutboxStats(ctx); err != nil || len(got) != 1 || got[0].Destination != "desk" {
		t.Errorf("after delivering the console's alerts: %+v, %v; want desk alone", got, err)
	}
}

// testBatchAlerts: a batch's undelivered alerts, wherever a page of due
// alerts would end, and no others.
func testBatchAlerts(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	commit(t, s, "f", poll("f", []string{"a", "b", "c", "d"}, alert("console", "a"), alert("console", "b"), alert("console", "c"), alert("desk", "d")))
	all := pending(t, s, "console", h.clock.Now())
	if err := s.AssignBatch(ctx, []int64{all[1].ID, all[2].ID}, "nhbx2"); err != nil {
		t.Fatal(err)
	}
	got, err := s.BatchAlerts(ctx, "console", "nhbx2")
	if err != nil {
		t.Fatal(err)
	}
	if keys := itemKeys(got); !slices.Equal(keys, []string{"b", "c"}) {
		t.Errorf("BatchAlerts = %q, want [b c]", keys)
	}
	if err := s.MarkDropped(ctx, all[1].ID, "refused"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.BatchAlerts(ctx, "console", "nhbx2"); err != nil || !slices.Equal(itemKeys(got), []string{"c"}) {
		t.Errorf("after one is dropped: %q, %v; want [c]", itemKeys(got), err)
	}
	if err := s.MarkDelivered(ctx, all[2].ID, "m1", h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if got, err := s.BatchAlerts(ctx, "console", "nhbx2"); err != nil || len(got) != 0 {
		t.Errorf("after the last is delivered: %q, %v; want none", itemKeys(got), err)
	}
	if got, err := s.BatchAlerts(ctx, "desk", "nhbx2"); err != nil || len(got) != 0 {
		t.Errorf("another destination's: %q, %v; want none", itemKeys(got), err)
	}
	if got, err := s.BatchAlerts(ctx, "console", ""); err != nil || len(got) != 0 {
		t.Errorf("the empty batch: %q, %v; want none", itemKeys(got), err)
	}
}

// testMarkDeliveredBatch: a message's batch ("nh…") is one message, so
// recording one of its alerts delivered records the others of its
// destination and batch with it (a process that dies between the two must
// not send them again); a dropped one stays dropped, and another
// destination's batch of the same name, an edit's batch ("nj…") and
// unbatched alerts stay pending.
func testMarkDeliveredBatch(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	commit(t, s, "f", poll("f", []string{"a", "b", "c", "d", "e", "f", "g", "h"}, alert("console", "a"), alert("console", "b"),
		alert("console", "c"), alert("console", "d"), alert("console", "e"), alert("desk", "f"),
		alert("console", "g"), alert("console", "h")))
	byKey := map[string]int64{}
	for _, dest := range []string{"console", "desk"} {
		for _, a := range pending(t, s, dest, h.clock.Now()) {
			byKey[a.ItemKey] = a.ID
		}
	}
	batch := func(name string, keys ...string) {
		var ids []int64
		for _, k := range keys {
			ids = append(ids, byKey[k])
		}
		if err := s.AssignBatch(ctx, ids, name); err != nil {
			t.Fatal(err)
		}
	}
	batch("nhax4", "a", "b", "c", "d")
	batch("nhax4", "f") // desk's
	batch("njgx2", "g", "h")
	if err := s.MarkDropped(ctx, byKey["d"], "refused"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"b", "g"} {
		if err := s.MarkDelivered(ctx, byKey[k], "m-"+k, h.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		dest string
		want []string // pending
	}{
		{dest: "console", want: []string{"e", "h"}},
		{dest: "desk", want: []string{"f"}},
	}
	for _, tt := range tests {
		if got := itemKeys(pending(t, s, tt.dest, h.clock.Now())); !slices.Equal(got, tt.want) {
			t.Errorf("pending in %s: %q, want %q", tt.dest, got, tt.want)
		}
	}
	got, err := s.MessageAlerts(ctx, "console", "m-b")
	if err != nil {
		t.Fatal(err)
	}
	if keys := itemKeys(got); !slices.Equal(keys, []string{"a", "b", "c"}) {
		t.Errorf("alerts of message m-b: %q, want [a b c] (the dropped d stays dropped)", keys)
	}
	if err := s.MarkDelivered(ctx, 9999, "m2", h.clock.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("MarkDelivered of no alert: %v, want ErrNotFound", err)
	}
}

// testBatchDelivered: BatchDelivered finds a row of a destination's batch
// recorded delivered, from the id given on, and nothing for a batch of
// another destination, a batch none of whose rows is delivered, or from
// past the delivered rows.
func testBatchDelivered(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	commit(t, s, "f", poll("f", []string{"a", "b", "c", "d"}, alert("console", "a"), alert("console", "b"),
		alert("console", "c"), alert("desk", "d")))
	byKey := map[string]int64{}
	for _, dest := range []string{"console", "desk"} {
		for _, a := range pending(t, s, dest, h.clock.Now()) {
			byKey[a.ItemKey] = a.ID
		}
	}
	for name, keys := range map[string][]string{"nhax2": {"a", "b"}, "nhcx1": {"c", "d"}} {
		var ids []int64
		for _, k := range keys {
			ids = append(ids, byKey[k])
		}
		if err := s.AssignBatch(ctx, ids, name); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MarkDelivered(ctx, byKey["a"], "m-a", h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dest, batch string
		from              int64
		want              string // the delivered row's item key; "": ErrNotFound
	}{
		{"from the first row", "console", "nhax2", byKey["a"], "a"},
		{"from the second row", "console", "nhax2", byKey["b"], "b"},
		{"past the batch", "console", "nhax2", byKey["b"] + 1, ""},
		{"another destination", "desk", "nhax2", byKey["a"], ""},
		{"none delivered", "desk", "nhcx1", byKey["c"], ""},
	}
	for _, tt := range tests {
		a, err := s.BatchDelivered(ctx, tt.dest, tt.batch, tt.from)
		switch {
		case tt.want == "" && !errors.Is(err, store.ErrNotFound):
			t.Errorf("%s: got %q, %v, want ErrNotFound", tt.name, a.ItemKey, err)
		case tt.want != "" && (err != nil || a.ItemKey != tt.want || a.MessageID != "m-a"):
			t.Errorf("%s: got %q (message %q), %v, want %q of message m-a", tt.name, a.ItemKey, a.MessageID, err, tt.want)
		}
	}
}
