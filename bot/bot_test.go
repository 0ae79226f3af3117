package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/internal/feedtest"
	"github.com/newshound/newshound/store"
	"github.com/newshound/newshound/store/storetest"
)

// testItem is one RSS item of a feed written by writeFeed.
type testItem = feedtest.Item

// writeFeed writes an RSS 2.0 document to path.
func writeFeed(t *testing.T, path string, items ...testItem) {
	t.Helper()
	if err := os.WriteFile(path, []byte(feedtest.RSS("Test wire", items...)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// recorder is a notifier that keeps what it was sent and can be told to
// fail.
type recorder struct {
	mu   sync.Mutex
	msgs []notify.Message
	fail []error // consumed one per Send; nil entries succeed
}

func (r *recorder) Send(ctx context.Context, m notify.Message) (notify.Receipt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.fail) > 0 {
		err := r.fail[0]
		r.fail = r.fail[1:]
		if err != nil {
			return notify.Receipt{}, err
		}
	}
	r.msgs = append(r.msgs, m)
	return notify.Receipt{MessageID: fmt.Sprintf("m%d", len(r.msgs))}, nil
}

func (r *recorder) titles() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.msgs {
		for _, a := range m.Alerts {
			out = append(out, a.Title)
		}
	}
	return out
}

// harness is a service over file feeds in a temp dir, with a real SQLite
// store and a fake clock.
type harness struct {
	t     *testing.T
	dir   string
	db    string
	cfg   *config.Config
	rec   *recorder
	clock time.Time
}

func newHarness(t *testing.T, subs ...config.Subscription) *harness {
	t.Helper()
	dir := t.TempDir()
	h := &harness{t: t, dir: dir, db: filepath.Join(dir, "state.db"), rec: &recorder{},
		clock: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	storetest.MigratedSQLite(t, h.db) // the store's tests migrate
	h.cfg = config.Default()
	h.cfg.Path = filepath.Join(dir, "newshound.yaml")
	h.cfg.Defaults.MaxBodyBytes, h.cfg.Defaults.Timeout = 1<<20, 5*time.Second
	// A loopback feed polled again within a second waited out the polite
	// gap (1 s) each time; the tests of the gap set their own.
	h.cfg.Defaults.HostGap = 0
	h.cfg.Feeds = []config.Feed{
		{Name: "wire", URL: h.feedURL("wire.xml"), Interval: 10 * time.Minute},
		{Name: "other", URL: h.feedURL("other.xml"), Interval: 10 * time.Minute},
	}
	h.cfg.Destinations = []config.Destination{{Name: "desk", Type: config.Console}}
	for i := range subs {
		if subs[i].Destination == "" {
			subs[i].Destination = "desk"
		}
		if subs[i].MaxAge == 0 {
			subs[i].MaxAge = 24 * time.Hour
		}
	}
	h.cfg.Subscriptions = subs
	// Each feed starts with one unrelated item: a feed first seen empty
	// has no first sight yet.
	seed := testItem{GUID: "urn:seed", Title: "Weather stays mild", Link: "https://wire.example/seed", Published: h.clock.Add(-time.Hour)}
	writeFeed(t, filepath.Join(dir, "wire.xml"), seed)
	writeFeed(t, filepath.Join(dir, "other.xml"), seed)
	return h
}

// options are the Options cmd would wire for the harness's config, with
// the harness's clock and n as the desk.
func (h *harness) options(st store.Store, n notify.Notifier, logs io.Writer) Options {
	return testOptions(h.cfg, st, map[string]notify.Notifier{"desk": n}, slog.New(slog.NewTextHandler(logs, nil)), func() time.Time { return h.clock })
}

// testOptions wires a Service's parts from cfg as cmd/newshound does.
func testOptions(cfg *config.Config, st store.Store, notifiers map[string]notify.Notifier, log *slog.Logger, now func() time.Time) Options {
	d := cfg.Defaults
	o := feeds.FetcherOptions{
		Version: "test", UserAgent: d.UserAgent, MaxBodyBytes: d.MaxBodyBytes, Timeout: d.Timeout, AllowPrivate: d.AllowPrivateNetworks,
		HostConcurrency: d.HostConcurrency, HostGap: d.HostGap,
	}
	fetcher := feeds.NewFetcher(o)
	o.AllowPrivate = false
	return Options{
		Config: cfg, Store: st, Notifiers: notifiers, Fetcher: fetcher, WatchFetcher: feeds.NewFetcher(o),
		Parser: feeds.NewParserWith(feeds.ParserOptions{MaxItems: d.MaxItems, MaxDepth: d.MaxDepth, MaxElements: d.MaxElements, LazyText: true}),
		Logger: log, Now: now,
	}
}

func (h *harness) feedURL(name string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(h.dir, name))}).String()
}

func (h *harness) write(name string, items ...testItem) {
	writeFeed(h.t, filepath.Join(h.dir, name), items...)
}

// sqlite opens the harness's database on its clock, as a process would;
// the caller closes it.
func (h *harness) sqlite(t testing.TB) *store.SQLite {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), h.db, store.WithClock(func() time.Time { return h.clock }))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// open starts a service on the harness's database, as a new process would.
func (h *harness) open() (*Service, store.Store) {
	h.t.Helper()
	return h.openLogging(io.Discard)
}

// openAndRunOnce opens a service that stays open for the test, after one
// RunOnce.
func (h *harness) openAndRunOnce() (*Service, store.Store) {
	h.t.Helper()
	svc, st := h.open()
	h.t.Cleanup(func() { st.Close() })
	if _, err := svc.RunOnce(context.Background()); err != nil {
		h.t.Fatalf("RunOnce: %v", err)
	}
	return svc, st
}

// runOnce is one `newshound run --once`: open, poll, deliver, close.
func (h *harness) runOnce() {
	h.t.Helper()
	svc, st := h.open()
	defer st.Close()
	if _, err := svc.RunOnce(context.Background()); err != nil {
		h.t.Fatalf("RunOnce: %v", err)
	}
}

// runDailyUntil runs once a day, each run a process of its own, the last
// at end: what the feed keeps listing stays seen meanwhile. Runs more
// often check nothing more, and each opens the store, slow with -race.
func (h *harness) runDailyUntil(end time.Time) {
	h.t.Helper()
	for h.clock.Before(end) {
		h.clock = h.clock.Add(min(24*time.Hour, end.Sub(h.clock)))
		h.runOnce()
	}
}

func (h *harness) wantTitles(want ...string) {
	h.t.Helper()
	got := h.rec.titles()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		h.t.Errorf("alerts delivered:\ngot  %q\nwant %q", got, want)
	}
}

// afterFirstSight lets the service see the wire feed with one unrelated
// item, then publishes items beside it: they are the new items of the
// next run.
func (h *harness) afterFirstSight(items ...testItem) {
	h.t.Helper()
	unrelated := item(1, "Unrelated", h.clock)
	h.write("wire.xml", unrelated)
	h.runOnce()
	h.write("wire.xml", append([]testItem{unrelated}, items...)...)
}

func item(n int, title string, at time.Time) testItem {
	return testItem{
		GUID: fmt.Sprintf("urn:test:%d", n), Title: title,
		Link:        fmt.Sprintf("https://wire.example/story/%d", n),
		Description: "Report from the wire desk.", Published: at,
	}
}

func TestFirstSightPostsNothingThenOnlyNewItems(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo AND (ceasefire OR truce)"})
	now := h.clock
	h.write("wire.xml",
		item(1, "Aleppo ceasefire talks resume in Geneva", now.Add(-time.Hour)),
		item(2, "Markets rally on rate hopes", now.Add(-time.Hour)))
	h.runOnce()
	h.wantTitles() // first sight: the backlog is remembered, not posted

	h.runOnce()
	h.wantTitles()

	h.clock = now.Add(10 * time.Minute)
	h.write("wire.xml",
		item(3, "Truce in Aleppo holds for second night", now),
		item(4, "Storm warning for the coast", now),
		item(1, "Aleppo ceasefire talks resume in Geneva", now.Add(-time.Hour)),
		item(2, "Markets rally on rate hopes", now.Add(-time.Hour)))
	h.runOnce()
	h.wantTitles("Truce in Aleppo holds for second night")

	h.runOnce()
	h.wantTitles("Truce in Aleppo holds for second night")
}

// TestBackfillPostsNewestN: a first sight posts the newest N matches, by
// their dates, or, for a feed whose items are undated, by their place in
// the feed (newest first, as feeds list them).
func TestBackfillPostsNewestN(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	undated := time.Time{}
	tests := []struct {
		name  string
		items []testItem
		want  []string // sorted
	}{
		{"dated, out of order", []testItem{
			item(1, "Aleppo one", now.Add(-3*time.Hour)),
			item(2, "Aleppo three", now.Add(-1*time.Hour)),
			item(3, "Aleppo two", now.Add(-2*time.Hour)),
			item(4, "Unrelated", now)}, []string{"Aleppo three", "Aleppo two"}},
		{"undated, newest first", []testItem{
			item(4, "Aleppo four", undated),
			item(3, "Aleppo three", undated),
			item(5, "Unrelated", undated),
			item(2, "Aleppo two", undated),
			item(1, "Aleppo one", undated)}, []string{"Aleppo four", "Aleppo three"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Backfill: 2})
			h.clock = now
			h.write("wire.xml", tt.items...)
			h.runOnce()
			// Which matches, not their order in the burst.
			if got := slices.Sorted(slices.Values(h.rec.titles())); !slices.Equal(got, tt.want) {
				t.Errorf("backfill posted %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMaxAgeSkipsOldDatedItemsButPostsUndated(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	now := h.clock
	h.write("wire.xml", item(1, "Unrelated", now))
	h.runOnce()
	h.write("wire.xml",
		item(1, "Unrelated", now),
		item(2, "Aleppo archive piece", now.Add(-48*time.Hour)),
		item(3, "Aleppo undated bulletin", time.Time{}),
		item(4, "Aleppo fresh report", now.Add(-time.Minute)))
	h.runOnce()
	h.wantTitles("Aleppo fresh report", "Aleppo undated bulletin")
}

func TestCrashAfterEnqueueDeliversOnNextRunExactlyOnce(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	now := h.clock
	h.afterFirstSight(item(2, "Aleppo talks resume", now))

	// The process polls and enqueues, then dies before delivering: only
	// the poll half of a run happens, and the database is closed under it.
	svc, st := h.open()
	svc.poller.pollAll(context.Background(), svc.live.catalog().Feeds(), pollNow)
	st.Close()
	h.wantTitles()

	h.runOnce()
	h.wantTitles("Aleppo talks resume")
	h.runOnce()
	h.wantTitles("Aleppo talks resume")
}

func TestDeliveryRetriesUntilAccepted(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	now := h.clock
	h.afterFirstSight(item(2, "Aleppo talks resume", now))
	h.rec.fail = []error{errors.New("connection reset"), &notify.RetryError{After: time.Minute, Err: errors.New("429")}}

	h.runOnce() // fails: connection reset, retry after the back-off
	h.wantTitles()
	h.runOnce() // not yet due
	h.wantTitles()
	h.clock = h.clock.Add(time.Hour)
	h.runOnce() // due; 429 asks for a minute
	h.wantTitles()
	h.clock = h.clock.Add(2 * time.Minute)
	h.runOnce()
	h.wantTitles("Aleppo talks resume")
	h.runOnce()
	h.wantTitles("Aleppo talks resume")
}

func TestRejectedAlertIsDroppedAndOthersGoOn(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	now := h.clock
	h.afterFirstSight(item(2, "Aleppo first report", now.Add(-2*time.Minute)),
		item(3, "Aleppo second report", now.Add(-time.Minute)))
	h.rec.fail = []error{fmt.Errorf("HTTP 400: embed too long: %w", notify.ErrRejected)}
	h.runOnce()
	h.wantTitles("Aleppo second report")
	h.runOnce()
	h.wantTitles("Aleppo second report")
}

func TestGoneDestinationKeepsAlertsAndStopsSending(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	now := h.clock
	h.afterFirstSight(item(2, "Aleppo first report", now.Add(-2*time.Minute)),
		item(3, "Aleppo second report", now.Add(-time.Minute)))
	h.rec.fail = []error{fmt.Errorf("HTTP 404: unknown webhook: %w", notify.ErrGone)}
	h.runOnce()
	h.wantTitles()
	if len(h.rec.fail) != 0 {
		t.Fatalf("a gone destination was called again in the same run")
	}
	h.runOnce() // an operator fixed it and restarted: nothing was lost
	h.wantTitles("Aleppo first report", "Aleppo second report")
}

func TestBurstGoesAsOneMessage(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	now := h.clock
	h.write("wire.xml", item(0, "Unrelated", now))
	h.runOnce()
	items := []testItem{item(0, "Unrelated", now)}
	for i := 1; i <= 7; i++ {
		items = append(items, item(i, fmt.Sprintf("Aleppo update number %d of the evening", i), now.Add(time.Duration(i)*time.Second-time.Hour)))
	}
	h.write("wire.xml", items...)
	h.runOnce()
	if got := len(h.rec.msgs); got != 1 {
		t.Fatalf("messages: got %d, want 1 burst", got)
	}
	if got := len(h.rec.msgs[0].Alerts); got != 7 {
		t.Errorf("alerts in the burst: got %d, want 7", got)
	}
	if n := h.rec.msgs[0].Nonce; n == "" || len(n) > 25 {
		t.Errorf("nonce %q: want 1..25 characters", n)
	}
}

func TestOneStoryOnTwoFeedsIsOneAlert(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	now := h.clock
	h.runOnce()
	h.write("wire.xml", testItem{GUID: "w-1", Title: "Kerry and Lavrov agree Aleppo ceasefire plan - Wire", Link: "https://wire.example/a?utm_source=rss", Published: now})
	h.write("other.xml", testItem{GUID: "o-9", Title: "Kerry and Lavrov agree Aleppo ceasefire plan", Link: "https://other.example/b", Published: now})
	h.runOnce()
	if got := h.rec.titles(); len(got) != 1 {
		t.Errorf("alerts: got %q, want one", got)
	}
}

// TestEditedHeadlineIsNotPostedAgain: an item whose headline is edited
// keeps its link and a word of its headline, which name the story
// (StoryKeys), though the feed re-issues it under a new GUID; an edited
// item whose link follows the headline is a new story, since one GUID for
// several stories is common enough (the second case).
func TestEditedHeadlineIsNotPostedAgain(t *testing.T) {
	first := testItem{GUID: "https://wire.example/?p=4711", Title: "Aleppo truce holds for second night",
		Link: "https://wire.example/2026/11/21/aleppo-truce-holds-for-second-night/"}
	tests := []struct {
		name       string
		guid, link string // of the edited item
		want       int    // alerts
	}{
		{"same link, a new GUID", "https://wire.example/?p=4712", first.Link, 1},
		{"same GUID, the link follows the headline", first.GUID, "https://wire.example/2026/11/21/aleppo-ceasefire-holds-for-a-second-night/", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			now := h.clock
			first := first
			first.Published = now
			h.afterFirstSight(first)
			h.runOnce()
			edited := first
			edited.Title, edited.GUID, edited.Link = "Aleppo ceasefire holds for a second night", tt.guid, tt.link
			h.clock = now.Add(20 * time.Minute)
			h.write("wire.xml", item(1, "Unrelated", now), edited)
			h.runOnce()
			if got := h.rec.titles(); len(got) != tt.want {
				t.Errorf("alerts: got %q, want %d", got, tt.want)
			}
		})
	}
}

// TestOneGUIDForEveryItemLosesNoStory: some feeds give every item the
// site's address as its GUID; each story is still posted.
func TestOneGUIDForEveryItemLosesNoStory(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	now := h.clock
	h.runOnce() // first sight
	mk := func(n int, title string, at time.Time) testItem {
		it := item(n, title, at)
		it.GUID = "https://wire.example/"
		return it
	}
	a := mk(1, "Aleppo ceasefire holds overnight", now.Add(time.Minute))
	h.clock = now.Add(11 * time.Minute)
	h.write("wire.xml", a)
	h.runOnce()
	b := mk(2, "Aleppo hospital bombed in airstrike", now.Add(30*time.Minute))
	h.clock = now.Add(2 * time.Hour)
	h.write("wire.xml", b, a)
	h.runOnce()
	h.wantTitles("Aleppo ceasefire holds overnight", "Aleppo hospital bombed in airstrike")
}

// TestBidiControlsNeverReachADestination: README "No harm" says
// right-to-left override and isolate characters are stripped from feed
// text; what a destination receives is checked here, from the feed on.
func TestBidiControlsNeverReachADestination(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	now := h.clock
	h.runOnce()
	h.write("wire.xml", testItem{GUID: "b-1", Title: "Aleppo \u202etruce\u202c holds \u2066tonight\u2069",
		Description: "Talks \u202eresume\u202c in Geneva", Link: "https://wire.example/b", Published: now})
	h.runOnce()
	h.rec.mu.Lock()
	defer h.rec.mu.Unlock()
	if len(h.rec.msgs) != 1 || len(h.rec.msgs[0].Alerts) != 1 {
		t.Fatalf("messages: %d, want one alert", len(h.rec.msgs))
	}
	a := h.rec.msgs[0].Alerts[0]
	for _, text := range []string{a.Title, a.Text, a.FeedTitle} {
		if strings.ContainsAny(text, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069") {
			t.Errorf("a bidi control reached the destination: %q", text)
		}
	}
	if want := "Aleppo truce holds tonight"; a.Title != want {
		t.Errorf("title %q, want %q", a.Title, want)
	}
}

func TestMatchedWordsAndSpans(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: `aleppo AND (ceasefire OR truce)`})
	now := h.clock
	h.runOnce()
	h.write("wire.xml", testItem{GUID: "1", Title: "Aleppo truce holds", Link: "https://wire.example/1",
		Description: "The &lt;b&gt;ceasefire&lt;/b&gt; in Aleppo held overnight.", Published: now})
	h.runOnce()
	if len(h.rec.msgs) != 1 {
		t.Fatalf("messages: got %d, want 1", len(h.rec.msgs))
	}
	a := h.rec.msgs[0].Alerts[0]
	var title []string
	for _, s := range a.TitleSpans {
		title = append(title, a.Title[s.Start:s.End])
	}
	var text []string
	for _, s := range a.TextSpans {
		text = append(text, a.Text[s.Start:s.End])
	}
	if got, want := strings.Join(title, ","), "Aleppo,truce"; got != want {
		t.Errorf("title spans: got %q, want %q", got, want)
	}
	if got, want := strings.Join(text, ","), "ceasefire,Aleppo"; got != want {
		t.Errorf("text spans: got %q, want %q (text %q)", got, want, a.Text)
	}
	if got, want := strings.Join(a.Matched, ","), "Aleppo,truce,ceasefire"; got != want {
		t.Errorf("matched: got %q, want %q", got, want)
	}
}

// slowNotifier blocks each send until released or its context ends.
type slowNotifier struct {
	started chan struct{}
	release chan struct{}
	sent    atomic.Int32
}

func (n *slowNotifier) Send(ctx context.Context, m notify.Message) (notify.Receipt, error) {
	n.started <- struct{}{}
	select {
	case <-n.release:
		n.sent.Add(1)
		return notify.Receipt{MessageID: "slow"}, nil
	case <-ctx.Done():
		return notify.Receipt{}, ctx.Err()
	}
}

func TestShutdownLetsInFlightDeliveryFinish(t *testing.T) {
	tests := []struct {
		name          string
		releaseAfter  time.Duration // 0: never
		wantDelivered bool
	}{
		{"delivery finishes within the grace period", 50 * time.Millisecond, true},
		{"delivery outlasting the grace period stays in the outbox", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			h.write("wire.xml", item(1, "Unrelated", h.clock))
			h.runOnce()
			h.write("wire.xml", item(1, "Unrelated", h.clock), item(2, "Aleppo talks resume", h.clock))
			h.clock = h.clock.Add(11 * time.Minute) // the feed is due again

			ctx := context.Background()
			st := h.sqlite(t)
			defer st.Close()
			slow := &slowNotifier{started: make(chan struct{}, 1), release: make(chan struct{})}
			h.cfg.Service.ShutdownGrace = 300 * time.Millisecond
			svc, err := New(ctx, h.options(st, slow, io.Discard))
			if err != nil {
				t.Fatal(err)
			}
			runCtx, stop := context.WithCancel(ctx)
			done := make(chan error)
			go func() { done <- svc.Run(runCtx) }()
			<-slow.started // the alert is being delivered: now SIGINT
			stop()
			if tt.releaseAfter > 0 {
				time.AfterFunc(tt.releaseAfter, func() { close(slow.release) })
			}
			if err := <-done; err != nil {
				t.Fatalf("Run: %v", err)
			}
			if got := slow.sent.Load() == 1; got != tt.wantDelivered {
				t.Errorf("delivered: got %v, want %v", got, tt.wantDelivered)
			}
			pending, err := st.PendingAlerts(ctx, "desk", h.clock.Add(time.Hour), 10)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(pending), map[bool]int{true: 0, false: 1}[tt.wantDelivered]; got != want {
				t.Errorf("alerts left in the outbox: got %d, want %d", got, want)
			}
		})
	}
}

// logBuffer collects log records for assertions.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newFlakyFeed answers with an error status until the test calls
// SetStatus(http.StatusOK), then serves a feed with one item.
func newFlakyFeed(t *testing.T, code int) *feedtest.Server {
	srv := feedtest.NewServer(t, "Back", testItem{GUID: "b1", Title: "Aleppo report", Link: "https://back.example/1"})
	srv.SetStatus(code)
	return srv
}

func TestFailingFeedIsReportedOnceAndDoesNotStopOthers(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	broken := newFlakyFeed(t, http.StatusInternalServerError)
	h.cfg.Defaults.AllowPrivateNetworks = true
	h.cfg.Feeds = append(h.cfg.Feeds, config.Feed{Name: "flaky", URL: broken.URL + "/rss"})
	h.cfg.Subscriptions[0].Feeds = nil
	logs := &logBuffer{}

	run := func() {
		ctx := context.Background()
		svc, st := h.openLogging(logs)
		defer st.Close()
		if _, err := svc.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	run()
	h.write("wire.xml", item(1, "Aleppo talks resume", h.clock))
	h.clock = h.clock.Add(time.Hour)
	run()
	h.wantTitles("Aleppo talks resume") // the healthy feed is unaffected
	if got := strings.Count(logs.String(), `msg="feed failed"`); got != 1 {
		t.Errorf("failure reported %d times over two failing polls, want once:\n%s", got, logs)
	}
	if !strings.Contains(logs.String(), "HTTP 500") {
		t.Errorf("failure report does not give the HTTP status:\n%s", logs)
	}

	broken.SetStatus(http.StatusOK)
	h.clock = h.clock.Add(7 * time.Hour) // past any back-off
	run()
	if got := strings.Count(logs.String(), `msg="feed recovered"`); got != 1 {
		t.Errorf("recovery reported %d times, want once:\n%s", got, logs)
	}
}

// TestFeedFailingTheSameWayIsReportedOnce: a feed whose server resets the
// connection fails with a new local port in the error on every poll; that
// is one failure, logged once with its reason, then counted. A different
// failure is logged again, with the one before and the count, but not one
// the failure already logged: a CDN that answers with its 503 and its
// challenge page in turn fails in two ways, each logged once; the
// recovery once, with the count.
func TestFeedFailingTheSameWayIsReportedOnce(t *testing.T) {
	const (
		reset       = "reset"
		unavailable = "503"
		challenge   = "challenge"
		healthy     = "ok"
	)
	tests := []struct {
		name      string
		polls     []string // what the server does, poll by poll
		wantFails int
		wantLater string // in the last "feed failed", if more than one
	}{
		{"connection reset", []string{reset, reset, reset, reset}, 1, ""},
		{"reset then 503", []string{reset, reset, unavailable, unavailable}, 2, "previous_error="},
		{"503 and a challenge page in turn", []string{unavailable, challenge, unavailable, challenge, unavailable, challenge}, 2, "previous_error="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			var mode atomic.Value
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch mode.Load() {
				case reset:
					c, _, err := w.(http.Hijacker).Hijack()
					if err != nil {
						return
					}
					c.(*net.TCPConn).SetLinger(0) // RST, as a crashing proxy does
					c.Close()
				case unavailable:
					http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
				case challenge:
					w.Header().Set("Content-Type", "text/html; charset=utf-8")
					fmt.Fprint(w, "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>")
				default:
					w.Header().Set("Content-Type", "application/rss+xml")
					fmt.Fprint(w, feedtest.RSS("Back", testItem{GUID: "b1", Title: "Back", Link: "https://back.example/1"}))
				}
			}))
			defer srv.Close()
			h.cfg.Defaults.AllowPrivateNetworks = true
			h.cfg.Feeds = []config.Feed{{Name: "flaky", URL: srv.URL + "/rss", Interval: 10 * time.Minute}}
			logs := &logBuffer{}
			ctx := context.Background()
			svc, st := h.openLogging(logs)
			defer st.Close()
			for _, m := range append(tt.polls, healthy) {
				mode.Store(m)
				if _, err := svc.RunOnce(ctx); err != nil {
					t.Fatal(err)
				}
				h.clock = h.clock.Add(7 * time.Hour) // past any back-off
			}
			// README: "logged once with the reason": every warning or
			// error about the feed counts, whatever its message.
			var fails []string
			for line := range strings.Lines(logs.String()) {
				if strings.Contains(line, "feed=flaky") && (strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR")) {
					fails = append(fails, line)
				}
			}
			if len(fails) != tt.wantFails {
				t.Fatalf("feed failure logged %d times, want %d:\n%s", len(fails), tt.wantFails, logs)
			}
			for _, line := range fails {
				if !strings.Contains(line, `msg="feed failed"`) {
					t.Errorf("a warning about the failing feed is not its report (msg=\"feed failed\"):\n%s", line)
				}
			}
			reasons := map[string]string{reset: "connection reset by peer", unavailable: "HTTP 503", challenge: "not a feed (HTML page)"}
			if !strings.Contains(fails[0], reasons[tt.polls[0]]) {
				t.Errorf("first report lacks the reason %q:\n%s", reasons[tt.polls[0]], fails[0])
			}
			if tt.wantLater != "" && !strings.Contains(fails[len(fails)-1], tt.wantLater) {
				t.Errorf("report of the change lacks %q:\n%s", tt.wantLater, fails[len(fails)-1])
			}
			want := fmt.Sprintf("after_errors=%d ", len(tt.polls))
			if got := strings.Count(logs.String(), `msg="feed recovered"`); got != 1 || !strings.Contains(logs.String(), want) {
				t.Errorf("recovery logged %d times, want once with %s:\n%s", got, want, logs)
			}
		})
	}
}

func TestGoneFeedIsDisabled(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	var hits atomic.Int32
	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "this feed is no more", http.StatusGone)
	}))
	defer gone.Close()
	h.cfg.Defaults.AllowPrivateNetworks = true
	h.cfg.Feeds = []config.Feed{{Name: "gone", URL: gone.URL}}
	h.runOnce()
	// Within the longest back-off, after which run --once tries a
	// disabled feed again (TestRunOnceRetriesADisabledFeedOnceItsBackOffIsOver).
	h.clock = h.clock.Add(5 * time.Hour)
	h.runOnce()
	if got := hits.Load(); got != 1 {
		t.Errorf("requests to a 410 feed: got %d, want 1 (then disabled)", got)
	}
	_, st := h.open()
	defer st.Close()
	fs := feedState(t, st, "gone")
	if !fs.Disabled || !strings.Contains(fs.DisabledReason, "410") {
		t.Errorf("state: disabled %v reason %q, want disabled with the 410", fs.Disabled, fs.DisabledReason)
	}
}

func TestFeedHintsSlowOnlyFeedsOnTheDefaultInterval(t *testing.T) {
	tests := []struct {
		name     string
		feed     config.Feed
		wantNext time.Duration
	}{
		{"default interval honours ttl", config.Feed{Interval: 10 * time.Minute}, 60 * time.Minute},
		{"own interval ignores ttl", config.Feed{Interval: 2 * time.Minute, OwnInterval: true}, 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			path := filepath.Join(h.dir, "ttl.xml")
			doc := `<rss version="2.0"><channel><title>Slow</title><ttl>60</ttl><item><guid>1</guid><title>One</title><link>https://slow.example/1</link></item></channel></rss>`
			if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			tt.feed.Name, tt.feed.URL = "slow", h.feedURL("ttl.xml")
			h.cfg.Feeds = []config.Feed{tt.feed}
			h.runOnce()
			_, st := h.open()
			defer st.Close()
			fs := feedState(t, st, "slow")
			if got := fs.NextPoll.Sub(h.clock); got != tt.wantNext {
				t.Errorf("next poll in %s, want %s", got, tt.wantNext)
			}
		})
	}
}

func TestReloadAppliesNewSubscriptionsAndRefusesOtherChanges(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	h.write("wire.xml", item(1, "Unrelated", h.clock))
	svc, _ := h.openAndRunOnce()
	ctx := context.Background()

	next := *h.cfg
	next.Subscriptions = append(slices.Clone(h.cfg.Subscriptions), config.Subscription{Name: "oil", Query: "opec", Destination: "desk", MaxAge: 24 * time.Hour})
	if err := svc.Reload(ctx, &next); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	h.write("wire.xml", item(1, "Unrelated", h.clock), item(2, "OPEC agrees output cut", h.clock))
	if _, err := svc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	h.wantTitles("OPEC agrees output cut")

	moved := next
	moved.Destinations = []config.Destination{{Name: "desk", Type: config.DiscordWebhook, WebhookURL: "https://discord.com/api/webhooks/1/x"}}
	if err := svc.Reload(ctx, &moved); err == nil || !strings.Contains(err.Error(), "restart") {
		t.Errorf("Reload with other destinations: got %v, want an error asking for a restart", err)
	}
}

func TestFeedFirstSeenEmptyDoesNotPostItsLaterBacklog(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	h.write("wire.xml") // the first fetch finds no items (a failed publish)
	h.runOnce()
	h.write("wire.xml", item(1, "Aleppo one", h.clock), item(2, "Aleppo two", h.clock))
	h.runOnce()
	h.wantTitles() // this is the first sight of the feed's items: remembered, not posted
	h.write("wire.xml", item(1, "Aleppo one", h.clock), item(2, "Aleppo two", h.clock), item(3, "Aleppo three", h.clock))
	h.runOnce()
	h.wantTitles("Aleppo three")
}

func TestFeedURLChangedInConfigStartsAfresh(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	srv := newFlakyFeed(t, http.StatusGone)
	h.cfg.Defaults.AllowPrivateNetworks = true
	h.cfg.Feeds = []config.Feed{{Name: "wire", URL: srv.URL + "/old"}}
	h.runOnce() // 410: disabled

	// The operator points the feed at its new home, which has a backlog.
	h.write("moved.xml", item(1, "Aleppo old story", h.clock), item(2, "Aleppo older story", h.clock))
	h.cfg.Feeds[0].URL = h.feedURL("moved.xml")
	h.runOnce()
	h.wantTitles() // a new URL is a new feed: its backlog is not posted
	h.write("moved.xml", item(1, "Aleppo old story", h.clock), item(2, "Aleppo older story", h.clock), item(3, "Aleppo new story", h.clock))
	h.runOnce()
	h.wantTitles("Aleppo new story")
}

func TestDisabledFeedGetsOneMoreTryAfterRestart(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	srv := newFlakyFeed(t, http.StatusGone)
	h.cfg.Defaults.AllowPrivateNetworks = true
	h.cfg.Feeds = []config.Feed{{Name: "wire", URL: srv.URL}}
	h.runOnce()
	srv.SetStatus(http.StatusOK) // the publisher fixed it

	svc, st := h.open()
	defer st.Close()
	ctx := context.Background()
	f, _ := svc.live.catalog().Feed("wire")
	disabled, err := st.FeedState(ctx, "wire")
	if err != nil {
		t.Fatal(err)
	}
	if at, mode := svc.poller.firstPlan(f, disabled, true, h.clock); mode != pollRetryDisabled || at.After(h.clock) {
		t.Errorf("at start-up: plan %v at %v, want pollRetryDisabled now", mode, at)
	}
	// Later plans come from the poll itself: a feed the retry disables
	// again is not planned before a year.
	svc.poller.pollFeed(ctx, f, pollRetryDisabled, nil)
	fs, err := st.FeedState(ctx, "wire")
	if err != nil {
		t.Fatal(err)
	}
	if fs.Disabled || !fs.Initialized || fs.ErrorCount != 0 {
		t.Errorf("after the retry: disabled %v initialized %v errors %d, want an enabled, healthy feed", fs.Disabled, fs.Initialized, fs.ErrorCount)
	}
}

// failingCommits is a store whose poll commits fail.
type failingCommits struct{ store.Store }

func (failingCommits) CommitPoll(context.Context, string, store.Poll) (int, error) {
	return 0, errors.New("disk full")
}

func TestFailedCommitKeepsValidatorsAndRetriesInAMinute(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	h.runOnce()
	h.write("wire.xml", item(1, "Aleppo report", h.clock))
	ctx := context.Background()
	st := h.sqlite(t)
	defer st.Close()
	before, err := st.FeedState(ctx, "wire")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(ctx, h.options(failingCommits{st}, h.rec, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := svc.live.catalog().Feed("wire")
	svc.poller.pollFeed(ctx, f, pollNow, nil)
	after, err := st.FeedState(ctx, "wire")
	if err != nil {
		t.Fatal(err)
	}
	if after.BodyHash != before.BodyHash {
		t.Errorf("body hash changed to %q after a failed commit: the next fetch would skip the unrecorded items", after.BodyHash)
	}
	if got := after.NextPoll.Sub(h.clock); got != time.Minute {
		t.Errorf("next poll in %s, want 1m", got)
	}
	st.Close()
	h.runOnce() // the store works again: the item is not lost
	h.wantTitles("Aleppo report")
}

// TestReloadResizesTheStoryIndex: a reload that shortens the longest
// story_window forgets the reports older than it, as a restart would (the
// index kept them, and its memory, until the next restart), and one that
// lengthens it again takes them back in from the store.
func TestReloadResizesTheStoryIndex(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", StoryWindow: 48 * time.Hour})
	h.cfg.Defaults.StoryWindow = time.Hour // the watches' (a reload cannot change it)
	h.write("wire.xml", item(1, "Unrelated", h.clock))
	svc, st := h.openAndRunOnce()
	ctx := context.Background()
	h.write("wire.xml", item(1, "Unrelated", h.clock), item(2, "Aleppo shelling resumes after truce", h.clock))
	if _, err := svc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := st.StoryRows(ctx, time.Time{})
	if err != nil || len(rows) != 1 {
		t.Fatalf("story rows %v (%v), want one", rows, err)
	}
	r := rows[0]
	indexed := func() bool {
		_, ok := svc.poller.stories.stories.StoryOf(r.Destination, r.FeedID, r.ItemKey)
		return ok
	}
	h.clock = h.clock.Add(3 * time.Hour)
	for _, tt := range []struct {
		window      time.Duration
		wantIndexed bool
	}{
		{time.Hour, false},
		{48 * time.Hour, true},
	} {
		next := *h.cfg
		next.Subscriptions = slices.Clone(h.cfg.Subscriptions)
		for i := range next.Subscriptions {
			next.Subscriptions[i].StoryWindow = tt.window
		}
		if err := svc.Reload(ctx, &next); err != nil {
			t.Fatalf("Reload to story_window %s: %v", tt.window, err)
		}
		if got := svc.poller.stories.stories.Window(); got != tt.window {
			t.Errorf("after a reload to story_window %s the index's window is %s", tt.window, got)
		}
		if got := indexed(); got != tt.wantIndexed {
			t.Errorf("after a reload to story_window %s, a report of 3 h ago indexed: %v, want %v", tt.window, got, tt.wantIndexed)
		}
	}
}

// A destination's Retry-After is waited out up to a day, as a feed's is:
// a receiver asking for a year (or for milliseconds, read as seconds) does
// not park the destination's alerts for that long, across restarts too,
// since the outbox keeps each alert's next attempt.
func TestDestinationRetryAfterIsCappedAtADay(t *testing.T) {
	tests := []struct {
		name     string
		after    time.Duration
		wait     time.Duration // the clock moves this far before the next run
		wantSent bool
	}{
		{"an hour is waited out", time.Hour, 30 * time.Minute, false},
		{"an hour, then sent", time.Hour, 61 * time.Minute, true},
		{"a year is a day", 365 * 24 * time.Hour, 24*time.Hour + time.Minute, true},
		{"a day less a minute is not over yet", 365 * 24 * time.Hour, 24*time.Hour - time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			h.afterFirstSight(item(2, "Aleppo talks resume", h.clock))
			h.rec.fail = []error{&notify.RetryError{After: tt.after, Err: errors.New("HTTP 429")}}
			h.runOnce() // 429: wait as asked
			h.wantTitles()
			h.clock = h.clock.Add(tt.wait)
			h.runOnce()
			if tt.wantSent {
				h.wantTitles("Aleppo talks resume")
			} else {
				h.wantTitles()
			}
		})
	}
}
