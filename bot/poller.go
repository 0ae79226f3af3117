package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/internal/redact"
	"github.com/newshound/newshound/internal/statelog"
	"github.com/newshound/newshound/store"
)

// poller fetches feeds when they fall due and turns their new items into
// outbox rows through the alerting core, in the same transaction that
// marks the items seen.
type poller struct {
	store        store.Store
	fetcher      *feeds.Fetcher
	watchFetcher *feeds.Fetcher // for feeds added from Discord: always guarded
	parser       *feeds.Parser
	live         *live
	leases       *leases
	recent       *recentFeeds // nil unless /watch test needs it
	log          *slog.Logger
	now          func() time.Time
	// sleep waits d or until ctx ends: the waits between a poll's tries
	// of its moves (moveRetries); tests keep their clock.
	sleep        func(ctx context.Context, d time.Duration) error
	metrics      *metrics
	workers      int
	tick         time.Duration // the loop's longest sleep: pollTick
	disableAfter time.Duration // 0: never
	enqueued     func()        // pokes the sender
	// polledHook, when set (by tests), is called by the poll loop after a
	// feed's poll, before the loop learns it ended.
	polledHook func(feedID string)
	storeErrs  *statelog.Log
	busyHosts  *busyHosts // feeds not fetched for want of a slot on their host
	reasons    failReasons
	putOff     putOffRetries
	caughtUp   caughtUpFeeds // planned afresh at the loop's next rebuild
	storeDown  storeBackoff
	states     *feedStates // reads and group-commits feed states
	beat       heartbeat
	feeds      feedHealth
	count      passCount
	capped     *capLog // max_per_hour reported, per subscription and hour (shared with the sender)
	replans    *heldReplans
	stories    *storyGroups
	commits    *commitLock // held from grouping (and deciding holds) to commit; shared with the sender
	memos      itemMemos   // what each feed's last committed document held
	removals   removals    // which config feeds the stored states know are listed

	// leaseWaits logs the polls that gave up waiting for the stories
	// lease another instance holds: no failure of the store, so not among
	// storeErrs; storiesWait spaces out their feeds' next polls.
	leaseWaits  *statelog.Log
	storiesWait storiesBackoff
}

// itemMemos keeps, per feed, the feeds.ItemMemo of the last document whose
// poll was committed: the items it remembers are marked seen in the store,
// so a later fetch that repeats them byte for byte neither parses them nor
// asks the store about them. A memo is renewed (the feed parsed whole)
// once memoLifetime has passed since the parse that read every item it
// remembers: what is known of an item only once it is parsed, its link,
// whose key the store keeps while the item is served (store.Poll.Present),
// must reach the store well within the retention. The zero value is ready
// to use.
type itemMemos struct {
	mu    sync.Mutex
	memos map[string]keptMemo
}

// keptMemo is a feed's memo and when the feed was last parsed whole: the
// oldest parse of an item the memo remembers.
type keptMemo struct {
	memo   *feeds.ItemMemo
	parsed time.Time
}

// memoLifetime is how long a memo is used after the parse that read
// every item it remembers; a day is far within the retention of seen
// keys (30 days), and a parse a day of each feed costs nothing.
const memoLifetime = 24 * time.Hour

// of returns the memo to parse the feed's next document with at now: an
// empty one when none is kept or it is due for renewal (the parse makes
// the next).
func (m *itemMemos) of(feedID string, now time.Time) *feeds.ItemMemo {
	m.mu.Lock()
	defer m.mu.Unlock()
	if k, ok := m.memos[feedID]; ok && now.Sub(k.parsed) < memoLifetime {
		return k.memo
	}
	return &feeds.ItemMemo{}
}

// keep keeps the memo of feed, parsed at now, after a committed poll.
func (m *itemMemos) keep(feedID string, feed *feeds.Feed, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if feed.Memo == nil {
		delete(m.memos, feedID)
		return
	}
	parsed := now
	if k, ok := m.memos[feedID]; ok && len(feed.Known) > 0 {
		parsed = k.parsed // the items it cut out were parsed then, or before
	}
	if m.memos == nil {
		m.memos = map[string]keptMemo{}
	}
	m.memos[feedID] = keptMemo{memo: feed.Memo, parsed: parsed}
}

// forget forgets the feed's memo.
func (m *itemMemos) forget(feedID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.memos, feedID)
}

// passCount counts what polls did, for run --once's summary.
type passCount struct {
	polled, failed, newItems, enqueued, storeFailures atomic.Int64
	// stillFailing are the feeds not polled for their back-off, or
	// disabled: failing as far as the pass knows.
	stillFailing atomic.Int64
	// elsewhere are the feeds not polled because another instance
	// sharing the store was polling them: not known to fail.
	elsewhere atomic.Int64
	// left are the polls that gave up waiting for the stories lease
	// another instance holds: their new items are the next poll's.
	left atomic.Int64
}

// storeBackoff holds polling back while the store fails to write (a full
// disk, a corrupt page, a lost connection): polls would only fetch what
// cannot be recorded. The pause doubles from a second up to storeRetry,
// with jitter, and ends with the first write that works.
type storeBackoff struct {
	mu       sync.Mutex
	failures int
	until    time.Time
}

func (b *storeBackoff) failed(now time.Time, count *passCount) {
	count.storeFailures.Add(1)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures++
	b.until = now.Add(jittered(storeBackoffStep(b.failures)))
}

// jittered is d and up to 20 % more, so that instances sharing a store
// spread out.
func jittered(d time.Duration) time.Duration {
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}

// storeBackoffStep is the wait after failures failures in a row of the
// store: from a second, doubling, up to storeRetry.
func storeBackoffStep(failures int) time.Duration {
	return min(time.Second<<min(failures-1, 10), storeRetry)
}

func (b *storeBackoff) ok() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures, b.until = 0, time.Time{}
}

// storePaused reports whether polling waits for the store at now: its
// writes failed (storeDown). A take of a feed's lease that fails pauses
// that feed alone (pollFeed): the store may fail one lease's row (locked)
// and give the others.
func (p *poller) storePaused(now time.Time) bool {
	return now.Before(p.storeDown.pausedUntil())
}

// pausedUntil is when polling may go on, zero when the store works.
func (b *storeBackoff) pausedUntil() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.until
}

// storiesBackoff spaces out the feeds' polls that gave up waiting for the
// stories lease another instance holds (their tries end at twice the
// lease's ttl less the give-back of a try cut short, a second at most:
// storiesBudget):
// polled again at once they would hold a worker in the same wait, and a
// minute's pause, as in a store outage, would hold their alerts up though
// the lease may be free in a second. The wait doubles from a second up to
// storeRetry, with jitter, and starts again once a poll takes the lease,
// or once the feeds left are committed: their next polls may take none
// (another instance committed their items meanwhile).
type storiesBackoff struct {
	mu     sync.Mutex
	gaveUp int
	left   map[string]bool // the feeds whose last poll gave up
}

// wait counts the give-up of a poll of feedID and returns how long the
// feed waits.
func (b *storiesBackoff) wait(feedID string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.gaveUp++
	if b.left == nil {
		b.left = map[string]bool{}
	}
	b.left[feedID] = true
	return jittered(storeBackoffStep(b.gaveUp))
}

// committed notes that a poll of feedID was committed, and reports
// whether that ended the wait: it was the last feed left.
func (b *storiesBackoff) committed(feedID string) (over bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.left[feedID] {
		return false
	}
	delete(b.left, feedID)
	if len(b.left) > 0 {
		return false
	}
	b.gaveUp = 0
	return true
}

func (b *storiesBackoff) ok() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.gaveUp = 0
	clear(b.left)
}

// pollMode says how pollFeed treats a feed's stored schedule.
type pollMode int

const (
	pollWhenDue       pollMode = iota // only if its stored next-poll time has come
	pollNow                           // now, unless it is disabled or backing off after errors
	pollEvery                         // as pollNow, waiting for a busy host's slot however long: run --once
	pollRetryDisabled                 // now, even if disabled: one more try after a restart
)

// storeRetry is how long a feed waits after its state could not be read
// or written: a failing store slows polling down, never speeds it up.
const storeRetry = time.Minute

// pollAll polls the given feeds once each (in mode pollNow or pollEvery),
// at most p.workers at a time, and returns when all are done or ctx is
// cancelled. In mode pollEvery (run --once), where a fetch waits for its
// host's slot however long, a feed is handed to a worker only when its
// host has a slot free (hostTurns): workers queued on one busy host would
// hold up every other host's feeds. In mode pollNow the feeds go in list
// order, and one that waits past its timeout is not fetched (as in the
// poll loop).
func (p *poller) pollAll(ctx context.Context, list []*alert.Feed, mode pollMode) {
	if err := p.states.preload(ctx); err != nil {
		p.log.Warn("reading every feed state at once failed; reading them one by one", "err", err)
	}
	defer p.flushStates(context.WithoutCancel(ctx))
	defer p.retryQueuedMoves(context.WithoutCancel(ctx))
	defer p.replans.retry(ctx) // a reload's that failed
	key := func(*alert.Feed) hostKey { return hostKey{} }
	if mode == pollEvery {
		key = func(f *alert.Feed) hostKey { return fetchHost(p.fetcherFor(f), f.URL) }
	}
	limit := func(k hostKey) int {
		if k.fetcher == nil {
			return len(list)
		}
		return k.fetcher.Options().HostConcurrency
	}
	turns := newHostTurns(list, key, limit)
	var wg sync.WaitGroup
	for range min(p.workers, len(list)) {
		wg.Go(func() {
			for {
				f, k, ok := turns.next(ctx)
				if !ok {
					return
				}
				p.pollFeed(ctx, f, mode, func() { turns.done(k) })
			}
		})
	}
	wg.Wait()
}

// pollFeed fetches one feed and records the outcome: new items are marked
// seen and matching ones enqueued, in one transaction. Errors are logged
// against the feed and reflected in its schedule; they never stop others.
// It returns when the feed should be looked at next. fetched, when not
// nil, is called once when the fetch is over (or the poll ended without
// one): pollAll hands the host's turn on then, not after the parse and
// the store's commit.
func (p *poller) pollFeed(ctx context.Context, f *alert.Feed, mode pollMode, fetched func()) (next time.Time) {
	fetchOver := func() {
		if fetched != nil {
			fetched()
			fetched = nil
		}
	}
	defer fetchOver()
	lease := "feed:" + f.ID
	took, err := p.leases.tryTake(ctx, lease)
	if err != nil && ctx.Err() != nil {
		// Shutting down: a take cut short says nothing of the store, nor
		// of another instance polling the feed.
		return p.now()
	}
	if err != nil {
		// A take the store failed, or did not answer within
		// leases.callTimeout, is a failure of the store (leases logs it,
		// and keeps it for readiness), not another instance polling the
		// feed. The feed alone waits: the others' takes may work.
		p.count.storeFailures.Add(1)
		return p.notBegun(f, mode, p.now().Add(storeRetry))
	}
	if !took {
		p.feeds.forget(f.ID)
		if mode == pollEvery {
			p.count.elsewhere.Add(1)
		}
		return p.notBegun(f, mode, p.now().Add(p.leases.ttl/3)) // another instance is polling it
	}
	defer p.leases.release(ctx, lease)
	now := p.now()
	st, ok := p.loadState(ctx, f)
	if !ok {
		return p.notBegun(f, mode, now.Add(storeRetry))
	}
	if st = p.keepFollowing(st); st.Initialized {
		p.removals.follow(f.ID)
	}
	stored := st
	if !p.shouldPoll(f, &st, mode, now) {
		p.feeds.recordStored(f.ID, st)
		if mode == pollEvery && (st.Disabled || st.ErrorCount > 0) {
			p.count.stillFailing.Add(1)
			p.leftFailing(f, st)
		}
		return p.plannedAfter(f, st, now)
	}
	timer := prometheus.NewTimer(p.metrics.pollTime)
	res, err := p.fetchRemembering(ctx, f, st, mode == pollEvery)
	fetchOver()
	if ctx.Err() != nil {
		return now // shutting down: the poll did not happen
	}
	var fe *feeds.Error
	if errors.As(err, &fe) && fe.Kind == feeds.HostBusy {
		return p.notFetched(ctx, f, p.notRetried(f, stored, st, mode), err, now) // no poll: its wait is no poll's duration
	}
	defer timer.ObserveDuration()
	p.busyHosts.fetched(st.URL, now)
	p.retryMade(f, st)
	st.LastPolled = now
	p.count.polled.Add(1)
	p.feeds.record(f.ID, err)
	if err != nil {
		p.metrics.polls.WithLabelValues("error").Inc()
		p.count.failed.Add(1)
		return p.recordFailure(ctx, f, st, err, now)
	}
	st.LastSuccess = now
	before := st
	p.applyResponse(f, &st, res.Response)
	if res.NotModified {
		p.metrics.polls.WithLabelValues("not_modified").Inc()
		p.reschedule(f, &st, feeds.Outcome{NotModified: true, FeedMinInterval: st.MinInterval, CacheMaxAge: res.MaxAge}, now)
		if !p.queueState(ctx, st) {
			return now.Add(storeRetry)
		}
		p.notLeft(f.ID) // another instance committed what this poll left
		return st.NextPoll
	}
	p.recent.keep(f.ID, p.withKnownItems(f.ID, res.Feed), now)
	next, err = p.recordItems(ctx, f, st, res.Feed, res.MaxAge, now)
	if err != nil && ctx.Err() != nil {
		// Shutting down cut the commit short: no failure of the store.
		// Nothing was recorded; the stored state (the old validators)
		// has the next start poll the feed again.
		return now
	}
	if errors.Is(err, errStoriesLeaseNotTaken) {
		return p.leftForLease(ctx, f, before, err, now)
	}
	if err != nil {
		// Nothing of this poll was recorded. Keep the old validators, so
		// the next fetch is not a 304 that would hide these items, and try
		// again in a minute rather than at once.
		p.storeErrs.FailByCause("commit", "recording polls failed; polling pauses until the store takes writes again", err, "feed", f.ID)
		p.storeDown.failed(now, &p.count)
		before.NextPoll = now.Add(storeRetry)
		p.saveState(ctx, before)
		return before.NextPoll
	}
	p.storeErrs.OK("commit", "recording polls works again")
	p.storeDown.ok()
	p.notLeft(f.ID)
	return next
}

// leftForLease ends a poll that gave up waiting for the stories lease
// another instance holds, which is no failure of the store: nothing of it
// was recorded, its new items stay unseen, and the old validators are
// kept, so that the next fetch is not a 304 that would hide them. The
// feed alone is polled again, after storiesWait.
func (p *poller) leftForLease(ctx context.Context, f *alert.Feed, before store.FeedState, err error, now time.Time) time.Time {
	p.count.left.Add(1)
	wait := p.storiesWait.wait(f.ID)
	// FailByCause: the wait is one state whoever holds the lease, named
	// or not (commitLock.gaveUp), as long as it lasts.
	p.leaseWaits.FailByCause("stories-lease", "a poll gave up waiting for the stories lease, which another instance holds: its new items stay unseen, and its feed is polled again with back-off", err, "feed", f.ID, "retry_in", wait)
	before.NextPoll = now.Add(wait)
	if !p.queueState(ctx, before) {
		return now.Add(storeRetry)
	}
	return before.NextPoll
}

// notLeft notes that a poll of feedID was recorded: when the feed's last
// poll gave up on the stories lease (leftForLease), its items are
// committed, and when no other feed's is left so the wait is over, though
// no poll took the lease: the feed's next poll needed none.
func (p *poller) notLeft(feedID string) {
	if p.storiesWait.committed(feedID) {
		p.leaseWaits.OK("stories-lease", "the polls that gave up on the stories lease are committed")
	}
}

// lockStories is commitLock.lockStories for a poll; taking the lease ends
// the wait that polls that gave up on it logged (leftForLease).
func (p *poller) lockStories(ctx context.Context) (unlock func(), err error) {
	unlock, err = p.commits.lockStories(ctx)
	if err == nil {
		p.storiesWait.ok()
		p.leaseWaits.OK("stories-lease", "polls take the stories lease again")
	}
	return unlock, err
}

// plannedAfter is when a feed that was not polled now comes due.
func (p *poller) plannedAfter(f *alert.Feed, st store.FeedState, now time.Time) time.Time {
	if st.Disabled {
		return now.Add(365 * 24 * time.Hour)
	}
	return p.dueAt(f, st)
}

// loadState reads a feed's state, or starts one for a feed never seen.
// A feed whose URL was changed in the config starts afresh, as a new feed:
// its backlog is remembered, not posted, and a disabled or failing state
// of the old URL is forgotten.
func (p *poller) loadState(ctx context.Context, f *alert.Feed) (store.FeedState, bool) {
	st, found, err := p.states.load(ctx, f.ID)
	if err != nil {
		p.storeFailed("read", "reading feed state failed; polling pauses until the store answers again", err, f.ID)
		return st, false
	}
	p.storeErrs.OK("read", "reading feed state works again")
	return p.startedState(f, st, found), true
}

// startedState is the state to poll a feed with, given the stored one
// (found false: none).
func (p *poller) startedState(f *alert.Feed, st store.FeedState, found bool) store.FeedState {
	fresh := store.FeedState{FeedID: f.ID, URL: f.URL, ConfigURL: f.URL}
	switch {
	case !found:
		return fresh
	case st.ConfigURL != "" && st.ConfigURL != f.URL:
		p.log.Info("feed URL changed in the config; starting the feed afresh", "feed", f.ID, "from", redact.URL(st.ConfigURL), "to", redact.URL(f.URL))
		return fresh
	}
	if st.URL == "" {
		st.URL = f.URL
	}
	st.ConfigURL = f.URL
	return st
}

// shouldPoll applies the poll mode to a feed's state.
func (p *poller) shouldPoll(f *alert.Feed, st *store.FeedState, mode pollMode, now time.Time) bool {
	backingOff := st.ErrorCount > 0 && st.NextPoll.After(now)
	switch {
	case st.Disabled && mode == pollRetryDisabled:
		p.retryLogged(f, *st)
		st.Disabled, st.DisabledReason, st.RetryAt = false, "", time.Time{}
		return true
	case st.Disabled && mode == pollEvery && !now.Before(p.disabledRetry(f, *st)):
		// Each run --once is a start of its own: a cron job's would try
		// the feed every few minutes, so it waits as a failing feed does.
		p.log.Info("retrying a disabled feed once its back-off is over", "feed", f.ID, "url", redact.URL(st.URL), "disabled_because", st.DisabledReason)
		st.Disabled, st.DisabledReason, st.RetryAt = false, "", time.Time{}
		return true
	case st.Disabled:
		return false
	case mode == pollNow || mode == pollEvery:
		return !backingOff // a server's Retry-After and the back-off are honoured even by --once
	default:
		return !p.dueAt(f, *st).After(now)
	}
}

// leftFailing names a feed run --once leaves alone, backing off after
// failing or disabled: a run is a process of its own, and its summary's
// count does not say which feed, why, or when it is tried again.
func (p *poller) leftFailing(f *alert.Feed, st store.FeedState) {
	attrs := []any{"feed", f.ID, "url", redact.URL(st.URL), "err", st.LastError, "failing_since", st.FailingSince.Format(time.RFC3339)}
	if st.Disabled {
		p.log.Warn("feed not polled: disabled after failing; run --once tries it again once its back-off is over, the service when it starts or reloads its config",
			append(attrs, "disabled_because", st.DisabledReason, "next_poll", p.disabledRetry(f, st).Format(time.RFC3339))...)
		return
	}
	p.log.Warn("feed not polled: backing off after failing", append(attrs, "next_poll", st.NextPoll.Format(time.RFC3339))...)
}

// disabledRetry is when run --once tries a disabled feed again (see
// DisabledRetry).
func (p *poller) disabledRetry(f *alert.Feed, st store.FeedState) time.Time {
	return DisabledRetry(st, f.Interval)
}

// DisabledRetry is when run --once tries again a disabled feed whose
// state is st, polled every interval: the longest back-off of a failing
// feed after its last poll (feeds.Schedule.LongestBackoff). The service
// tries it at its next start or config reload instead.
func DisabledRetry(st store.FeedState, interval time.Duration) time.Time {
	sched := feeds.DefaultSchedule()
	sched.Interval = interval
	return st.LastPolled.Add(sched.LongestBackoff())
}

// dueAt is when a feed whose state is st is due: its stored next poll, or
// sooner when the feed is healthy and that plan is later than its
// schedule would now make it (the config shortened its interval since).
func (p *poller) dueAt(f *alert.Feed, st store.FeedState) time.Time {
	if st.ErrorCount > 0 || st.LastPolled.IsZero() {
		return st.NextPoll
	}
	hist := feeds.PollHistory{FeedID: f.ID, LastChanged: st.LastChanged}
	if latest := p.schedule(f).LatestHealthy(hist, st.LastPolled); latest.Before(st.NextPoll) {
		return latest
	}
	return st.NextPoll
}

func (p *poller) fetch(ctx context.Context, f *alert.Feed, st store.FeedState) (*feeds.Result, error) {
	return feeds.Refresh(ctx, p.fetcherFor(f), p.parser, p.request(f, st), p.now())
}

// fetchRemembering is fetch for a poll: the items of the feed's last
// committed document are not parsed again (see itemMemos). A feed whose
// items' texts are followed for updates is parsed whole: updates compare
// every item's text. Which feeds follow updates is asked only when there
// is a body to parse: with thousands of subscriptions on every feed the
// question is not free, and most polls are 304s.
func (p *poller) fetchRemembering(ctx context.Context, f *alert.Feed, st store.FeedState, waitForSlot bool) (*feeds.Result, error) {
	r := p.request(f, st)
	r.WaitForSlot = waitForSlot
	res, err := p.fetcherFor(f).Fetch(ctx, r)
	if err != nil {
		return nil, err
	}
	if res.NotModified {
		return &feeds.Result{Response: res}, nil
	}
	var memo *feeds.ItemMemo
	if !p.live.catalog().FollowsUpdates(f.ID) {
		memo = p.memos.of(f.ID, p.now())
	}
	feed, err := p.parser.ParseRemembering(res.Body, res.ContentType, res.URL, p.now(), memo)
	if err != nil {
		return nil, err
	}
	return &feeds.Result{Response: res, Feed: feed}, nil
}

func (p *poller) fetcherFor(f *alert.Feed) *feeds.Fetcher {
	if f.FromDiscord {
		return p.watchFetcher
	}
	return p.fetcher
}

func (p *poller) request(f *alert.Feed, st store.FeedState) feeds.Request {
	return feeds.Request{
		URL: st.URL, ETag: st.ETag, LastModified: st.LastModified, BodyHash: st.BodyHash,
		UserAgent: f.UserAgent, Headers: f.Headers, AllowFile: f.AllowFile,
	}
}

// withKnownItems is the feed for /watch test to keep: the items a
// remembering parse left out (feeds.Feed.Known) are the ones kept from the
// last document, unchanged.
func (p *poller) withKnownItems(feedID string, feed *feeds.Feed) *feeds.Feed {
	if p.recent == nil || len(feed.Known) == 0 {
		return feed
	}
	whole := *feed
	whole.Items = slices.Clone(feed.Items)
	if prev := p.recent.get(feedID); prev != nil {
		known := make(map[string]bool, len(feed.Known))
		for _, k := range feed.Known {
			known[k] = true
		}
		for _, it := range prev.Items {
			if known[it.Key] {
				whole.Items = append(whole.Items, it)
			}
		}
	}
	return &whole
}

// applyResponse keeps what a successful fetch teaches about the feed: its
// new permanent URL, its validators and its body's hash.
func (p *poller) applyResponse(f *alert.Feed, st *store.FeedState, resp *feeds.Response) {
	if resp.MovedTo != "" && resp.MovedTo != st.URL {
		p.log.Info("feed moved permanently; using the new URL from now on", "feed", f.ID, "from", redact.URL(st.URL), "to", redact.URL(resp.MovedTo))
		st.URL = resp.MovedTo
	}
	st.ETag, st.LastModified = resp.ETag, resp.LastModified
	if !resp.NotModified {
		st.BodyHash = resp.BodyHash
	}
}

// schedule is the next-poll policy of one feed, with the config's values
// as they are: the feed's interval (the default already applied by
// config) and disable_after (0: never).
func (p *poller) schedule(f *alert.Feed) feeds.Schedule {
	sched := feeds.DefaultSchedule()
	sched.Interval = f.Interval
	sched.DisableAfter = p.disableAfter
	if f.OwnInterval {
		sched.HintCap = -1 // the newsroom asked for this speed
	}
	return sched
}

// reschedule asks the policy when to poll next and records its verdict in
// the state: the next poll, the failure streak, and whether to disable.
func (p *poller) reschedule(f *alert.Feed, st *store.FeedState, o feeds.Outcome, now time.Time) feeds.Decision {
	hist := feeds.PollHistory{FeedID: f.ID, ErrorCount: st.ErrorCount, FailingSince: st.FailingSince, LastChanged: st.LastChanged}
	dec := p.schedule(f).Next(hist, o, now)
	switch {
	case dec.Recovered:
		p.logRecovery(f, *st, now)
		st.LastError = ""
	case o.Err == nil:
		if s, steady := p.reasons.healthy(f.ID, now); steady {
			p.log.Info("feed no longer flapping", "feed", f.ID, "url", redact.URL(st.URL), "held_for", flapHold, "relapses", s.relapses, "failures", s.failures, "flapping_since", s.since.Format(time.RFC3339))
		}
	}
	st.NextPoll = dec.Next
	st.ErrorCount, st.FailingSince, st.LastChanged = dec.History.ErrorCount, dec.History.FailingSince, dec.History.LastChanged
	if dec.Disable {
		st.Disabled, st.DisabledReason = true, dec.Reason
		p.log.Error("feed disabled", "feed", f.ID, "url", redact.URL(st.URL), "reason", dec.Reason)
	}
	return dec
}

// logRecovery logs the recovery of f, whose state st still has its
// streak: once, but for a flapping feed's (failReasons.recovered).
func (p *poller) logRecovery(f *alert.Feed, st store.FeedState, now time.Time) {
	switch note, s := p.reasons.recovered(f.ID, now, st.FailingSince, st.ErrorCount); note {
	case failNew:
		p.log.Info("feed recovered", "feed", f.ID, "url", redact.URL(st.URL), "after_errors", st.ErrorCount, "last_error", st.LastError, "failing_since", st.FailingSince.Format(time.RFC3339))
	case failFlapping: // its relapse was another instance's to see
		p.log.Warn("feed flapping", "feed", f.ID, "url", redact.URL(st.URL), "err", st.LastError, "failures", s.failures, "failing_since", s.since.Format(time.RFC3339))
	}
}

// recordFailure reports a failing feed once with the reason (and again only
// if the failure changes state: see statelog.Reason; the same failure with a
// new local port or request id is not a change, nor is a failure the
// stretch was logged with before: failReasons; a failure soon after a
// recovery continues the stretch, logged once as flapping), backs it off,
// and disables it when the policy says so.
func (p *poller) recordFailure(ctx context.Context, f *alert.Feed, st store.FeedState, err error, now time.Time) time.Time {
	prev := st.LastError
	dec := p.reschedule(f, &st, feeds.Outcome{Err: err}, now)
	msg := err.Error()
	start := dec.NewlyFailing || prev == ""
	note, s := p.reasons.fail(f.ID, statelog.Reason(msg), start, now, st.LastSuccess)
	args := []any{"feed", f.ID, "url", redact.URL(st.URL), "err", msg, "next_poll", dec.Next.Format(time.RFC3339)}
	switch {
	case note == failNew:
		p.log.Warn("feed failed", args...)
	case note == failReason && statelog.Reason(msg) != statelog.Reason(prev):
		p.log.Warn("feed failed", append(args, "previous_error", prev, "failures", st.ErrorCount, "failing_since", st.FailingSince.Format(time.RFC3339))...)
	case note == failFlapping:
		p.log.Warn("feed flapping", append(args, "failures", s.failures, "failing_since", s.since.Format(time.RFC3339))...)
	default:
		if s, down := p.reasons.stillDown(f.ID, st.FailingSince, now); down {
			p.log.Warn("feed failed", append(args, "no_recovery_for", flapHold, "relapses", s.relapses, "failures", s.failures, "failing_since", s.since.Format(time.RFC3339))...)
			break
		}
		p.log.Debug("feed still failing", "feed", f.ID, "err", msg, "failures", st.ErrorCount)
	}
	st.LastError = msg
	if !p.saveState(ctx, st) {
		return now.Add(storeRetry)
	}
	return p.plannedAfter(f, st, now)
}

// notFetched reschedules a feed whose fetch never started: its host had
// no free slot in time (feeds.HostBusy). That is no poll and no failure:
// its failure streak and health stay as they were, and it is tried again
// at the schedule's floor, a minute later (a disabled feed's retry put
// off again, later: retryPutOffUntil, which the state records for status
// while the loop will make it: RetryAt).
func (p *poller) notFetched(ctx context.Context, f *alert.Feed, st store.FeedState, err error, now time.Time) time.Time {
	p.metrics.polls.WithLabelValues("not_fetched").Inc()
	p.reschedule(f, &st, feeds.Outcome{Err: err}, now)
	if st.Disabled {
		st.NextPoll = p.retryPutOffUntil(f, st.NextPoll, now)
		st.RetryAt = time.Time{}
		if p.putOff.times(f.ID) > 0 {
			st.RetryAt = st.NextPoll
		}
	}
	p.busyHosts.busy(st.URL, f.ID, err, now)
	if !p.queueState(ctx, st) {
		return now.Add(storeRetry)
	}
	return st.NextPoll
}

// retryPutOffUntil is when the loop makes again the retry of a disabled
// feed that a busy host put off, planned at next by the schedule's floor:
// then after the first try put off, doubling with each one after, up to
// the longest back-off, so that a host that stays busy is not asked for a
// slot each minute, each try holding a worker for its wait, for a feed
// that would not be polled at all.
func (p *poller) retryPutOffUntil(f *alert.Feed, next, now time.Time) time.Time {
	wait, longest := next.Sub(now), p.schedule(f).LongestBackoff()
	for n := p.putOff.times(f.ID); n > 1 && wait < longest; n-- {
		wait *= 2
	}
	return now.Add(min(wait, longest))
}

// notBegun ends, to come again at next, a poll that could not begin (its
// feed's lease or state could not be had): the retry of a disabled feed
// it was to make (a start's or reload's, or one a busy host put off) is
// made by the next one, else the loop would plan a poll when due, which
// leaves a disabled feed alone until the next start or reload.
func (p *poller) notBegun(f *alert.Feed, mode pollMode, next time.Time) time.Time {
	if mode == pollRetryDisabled {
		p.putOff.keep(f.ID)
	}
	return next
}

// notRetried is the state to keep of a feed not fetched (its host busy),
// polled in mode from its stored state: a disabled feed stays disabled,
// for its reason, until a fetch tells otherwise, and a retry the service
// made (a start's or a reload's) is put off, not given up (putOffRetries).
func (p *poller) notRetried(f *alert.Feed, stored, st store.FeedState, mode pollMode) store.FeedState {
	if !stored.Disabled {
		return st
	}
	if mode == pollRetryDisabled {
		p.putOff.add(f.ID)
	}
	return stored
}

// putOffRetries are the disabled feeds whose one more try (pollRetryDisabled)
// a busy host put off, or whose poll could not begin: the poll loop makes
// it again at their next poll, a minute later and backing off
// (retryPutOffUntil), when a poll when due would leave a disabled feed
// alone. The tries put off in a row are counted, for that back-off and so
// that a host that stays busy logs the retry once, not at each try
// (retryLogged, retryMade).
type putOffRetries struct {
	mu  sync.Mutex
	ids map[string]*putOff
}

type putOff struct {
	again bool // the poll that ended put it off: make it again
	times int
}

// add counts a try of feed id's retry put off, to be made again.
func (r *putOffRetries) add(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.againLocked(id).times++
}

// keep has feed id's retry made again, counting no try: the poll that was
// to make it could not begin.
func (r *putOffRetries) keep(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.againLocked(id)
}

// againLocked marks feed id's retry to be made again and returns its
// entry; the caller holds mu.
func (r *putOffRetries) againLocked(id string) *putOff {
	if r.ids == nil {
		r.ids = map[string]*putOff{}
	}
	if r.ids[id] == nil {
		r.ids[id] = &putOff{}
	}
	r.ids[id].again = true
	return r.ids[id]
}

// times is how many tries of feed id's retry were put off in a row.
func (r *putOffRetries) times(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.ids[id]; p != nil {
		return p.times
	}
	return 0
}

// forget forgets feed id's tries put off, now that one was fetched or
// the feed is gone, and returns their count.
func (r *putOffRetries) forget(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	if p := r.ids[id]; p != nil {
		n = p.times
	}
	delete(r.ids, id)
	return n
}

// modeAfter is the mode of feed id's next poll, after the one that ended:
// the retry again when a busy host put it off, else a poll when due (and
// the tries put off are forgotten: the retry was made, or is no more).
func (r *putOffRetries) modeAfter(id string) pollMode {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.ids[id]
	if p != nil && p.again {
		p.again = false
		return pollRetryDisabled
	}
	delete(r.ids, id)
	return pollWhenDue
}

// retryLogged logs a retry of a disabled feed (a start's or a reload's)
// at its first try; the tries a busy host put off are logged with their
// count once one is made (retryMade).
func (p *poller) retryLogged(f *alert.Feed, st store.FeedState) {
	if n := p.putOff.times(f.ID); n > 0 {
		p.log.Debug("retrying a disabled feed again: its host was busy", "feed", f.ID, "put_off", n)
		return
	}
	p.log.Info("retrying a disabled feed once after a restart or reload", "feed", f.ID, "url", redact.URL(st.URL), "disabled_because", st.DisabledReason)
}

// retryMade logs the retry of a disabled feed fetched at last, after
// tries a busy host put off.
func (p *poller) retryMade(f *alert.Feed, st store.FeedState) {
	if n := p.putOff.forget(f.ID); n > 0 {
		p.log.Info("retried a disabled feed its busy host had put off", "feed", f.ID, "url", redact.URL(st.URL), "put_off", n)
	}
}

// busyHosts logs the hosts whose feeds wait past their timeout for a slot
// (see feeds.HostBusy): once when a host becomes busy, and once when its
// feeds have been fetched with none left waiting for busyQuiet. A busy
// host's other feeds get through between those that wait, so a fetch
// alone does not end the condition.
type busyHosts struct {
	log *statelog.Log

	mu   sync.Mutex
	last map[string]time.Time // host → when a feed of it was last not fetched
}

// busyQuiet is how long a busy host's feeds must all get through before
// the host is logged as keeping up again.
const busyQuiet = 10 * time.Minute

func newBusyHosts(log *slog.Logger, now func() time.Time) *busyHosts {
	return &busyHosts{log: statelog.NewAt(log, now), last: map[string]time.Time{}}
}

// busy records that feed, at feedURL, was not fetched at now.
func (b *busyHosts) busy(feedURL, feed string, err error, now time.Time) {
	host := hostOf(feedURL)
	b.mu.Lock()
	b.last[host] = now
	b.mu.Unlock()
	b.log.Fail(host, "feeds not fetched: their host is busy (raise host_concurrency or timeout); they are tried again soon", err, "feed", feed)
}

// fetched records that a feed at feedURL was fetched at now.
func (b *busyHosts) fetched(feedURL string, now time.Time) {
	host := hostOf(feedURL)
	b.mu.Lock()
	last, ok := b.last[host]
	recovered := ok && now.Sub(last) >= busyQuiet
	if recovered {
		delete(b.last, host)
	}
	b.mu.Unlock()
	if recovered {
		b.log.OK(host, "the feeds of a busy host are all fetched again")
	}
}

// storeFailed logs a failed read or write of feedID's state once per
// change of state, and pauses polling until the store works again.
func (p *poller) storeFailed(kind, msg string, err error, feedID string) {
	p.storeErrs.FailByCause(kind, msg, err, "feed", feedID)
	p.storeDown.failed(p.now(), &p.count)
}

func (p *poller) saveState(ctx context.Context, st store.FeedState) bool {
	p.states.settle(st.FeedID)
	if err := p.store.SaveFeedState(ctx, st); err != nil {
		p.states.forget(st.FeedID)
		p.storeFailed("write", "saving feed state failed; polling pauses until the store takes writes again", err, st.FeedID)
		return false
	}
	p.states.remember(st, true)
	p.storeErrs.OK("write", "saving feed state works again")
	return true
}

// queueState saves the state of a poll that found nothing new with the
// next group commit (see feedStates). It reports false when the commit it
// triggered failed; the state stays queued for the next one.
func (p *poller) queueState(ctx context.Context, st store.FeedState) bool {
	return p.flushed(p.states.queue(ctx, st))
}

// flushStates writes the queued states now: at the end of a pass and of
// the service, and when the poll loop ticks.
func (p *poller) flushStates(ctx context.Context) bool {
	return p.flushed(p.states.flush(ctx))
}

// flushed reports a group commit's outcome: a failure pauses polling; a
// write that worked ends the pause (no write proves nothing).
func (p *poller) flushed(wrote bool, err error) bool {
	if !wrote && err == nil {
		return true
	}
	if err != nil {
		p.storeErrs.FailByCause("write", "saving feed state failed; polling pauses until the store takes writes again", err)
		p.storeDown.failed(p.now(), &p.count)
		return false
	}
	p.storeErrs.OK("write", "saving feed state works again")
	p.storeDown.ok()
	return true
}

// rematches is how many times a poll is matched again because the
// watches of its feed changed before its commit. Each time takes another
// /watch command landing in that moment, so one more is a fault, not a race:
// the poll then fails as a failed commit does, nothing recorded, and its
// items are matched at the feed's next poll.
const rematches = 3

// recordItems finds the items not seen before, matches them through the
// alerting core, and commits the poll. It returns the next poll time.
// When the watches of the feed changed before the commit (here or on
// another instance: a watch added, resumed, paused, removed, or its query,
// channel or role edited), the store records nothing (store.ErrWatchesEdited),
// the try's grouping is taken out of the story index (storyGroups.ungroup),
// and the poll is matched again under the catalog rebuilt from the stored
// watches, and committed: each watch gets what it matches at the commit,
// in its channel then, once, as if the poll came after the change.
func (p *poller) recordItems(ctx context.Context, f *alert.Feed, st store.FeedState, feed *feeds.Feed, cacheMaxAge time.Duration, now time.Time) (time.Time, error) {
	for try := 1; ; try++ {
		next, err := p.matchAndCommit(ctx, f, st, feed, cacheMaxAge, now)
		if !errors.Is(err, store.ErrWatchesEdited) || try > rematches {
			return next, err
		}
		p.log.Debug("the feed's watches changed during the poll: its items are matched again", "feed", f.ID, "err", err)
		if err := p.live.rebuild(ctx, nil); err != nil {
			return time.Time{}, err
		}
	}
}

// matchAndCommit is one try of recordItems, matching under the catalog
// as it is.
func (p *poller) matchAndCommit(ctx context.Context, f *alert.Feed, st store.FeedState, feed *feeds.Feed, cacheMaxAge time.Duration, now time.Time) (time.Time, error) {
	keys := make([]string, 0, len(feed.Items)+len(feed.Known))
	for _, it := range feed.Items {
		keys = append(keys, it.Key)
	}
	unseen, err := p.unseenKeys(ctx, f.ID, keys)
	if err != nil {
		return time.Time{}, err
	}
	unseen, recoded, err := p.seenUnderOldKeys(ctx, f.ID, feed.OldKeys, unseen)
	if err != nil {
		return time.Time{}, err
	}
	// The known items were in a document committed before: seen.
	keys = append(keys, feed.Known...)
	firstSight := !st.Initialized
	// A feed first seen empty (a failed publish, a new feed) has shown no
	// backlog yet: its first sight is the first fetch with items.
	st.Initialized = st.Initialized || len(keys) > 0
	st.MinInterval = feed.MinInterval // kept for the polls that find it unchanged
	p.reschedule(f, &st, feeds.Outcome{Changed: len(unseen) > 0, FeedMinInterval: feed.MinInterval, CacheMaxAge: cacheMaxAge}, now)
	fresh := unseenItems(feed.Items, unseen)
	snap := p.live.now()
	cat := snap.catalog
	follows := cat.FollowsUpdates(f.ID)
	// The headlines each link carried are remembered among the seen keys
	// (alert.TextPoll), so that an item the feed re-issues under its
	// headline and link, with a new GUID, is no news however late it comes.
	// Every link's are remembered where neither the outbox's duplicate
	// check nor max_age refuses a re-issue of an item that did not alert
	// (an undated item, or a subscription posting items older than the
	// check's window); elsewhere only those of links whose items alert,
	// since a re-issue may carry a new date (an Atom entry dated by its
	// <updated>) and it costs a stored row per link.
	var poll *alert.TextPoll
	var stored map[string][]byte
	everyLink := follows || len(fresh) > 0 && (anyUndated(fresh) || cat.PostsOlderThan(f.ID, store.DefaultDedupeWindow))
	if everyLink || len(fresh) > 0 {
		poll = alert.NewTextPoll(feed.Items)
		poll.Known(feed.Known)
		asked := poll.LinksOf(unseen)
		switch {
		case follows:
			asked = poll.Keys()
		case everyLink:
			asked = poll.LinkKeys()
		}
		if stored, err = p.store.ItemTexts(ctx, f.ID, asked); err != nil {
			return time.Time{}, err
		}
		if again := poll.Reissued(stored, unseen); len(again) > 0 {
			fresh = slices.DeleteFunc(fresh, func(it feeds.Item) bool { return again[it.Key] })
		}
	}
	feeds.FillText(fresh) // a lazy parser left the text of items already seen unread
	res := cat.Alerts(alert.Input{
		FeedID: f.ID, FeedTitle: feed.Title, Items: fresh, FirstSight: firstSight, Now: now,
	})
	var texts map[string][]byte
	if poll != nil && !follows && (everyLink || len(res.Entries) > 0) {
		texts = poll.Headlines(stored, unseen)
		if !everyLink {
			alerted := poll.LinksOf(entryItemKeys(res.Entries))
			maps.DeleteFunc(texts, func(k string, _ []byte) bool { return !slices.Contains(alerted, k) })
		}
	}
	if follows {
		var updates []alert.Entry
		if updates, texts, err = p.updates(ctx, cat, f, feed, poll, stored, recoded, now); err != nil {
			return time.Time{}, err
		}
		if firstSight {
			// What the feed says at its first sight is backlog: no
			// update is posted, but its texts are remembered, so that
			// what an item (a backfilled live blog) gains before the
			// next poll is an update.
			updates = nil
		}
		for _, e := range updates {
			keys = append(keys, e.ItemKey)
		}
		res.Entries = append(res.Entries, updates...)
	}
	// The links' keys, which remember their headlines (see
	// alert.TextPoll.Keys), are seen keys too.
	keys = append(keys, slices.Sorted(maps.Keys(texts))...)
	if p.stories.shared && len(res.Entries) > 0 {
		unlock, err := p.lockStories(ctx)
		if err != nil {
			return time.Time{}, err
		}
		defer unlock()
	}
	releaseMoves := func() {}
	if len(res.Entries) > 0 {
		// The sender reads rows that name their story, and decides to
		// post a report alone, once this poll's moves are stored (see
		// commitLock). From the grouping, not the commit: another
		// worker's report grouped into a story this poll opens, and
		// committed first, waits for this poll's opener too, which the
		// commit may refuse and the merge list under another story.
		// Moves that fail are tried again outside it (storeMoves).
		p.commits.moves.RLock()
		releaseMoves = sync.OnceFunc(p.commits.moves.RUnlock)
		defer releaseMoves()
	}
	grouping, err := p.stories.group(ctx, res.Entries, now)
	if err != nil {
		return time.Time{}, err
	}
	if err := p.stories.joinLateOpeners(ctx, res.Entries); err != nil {
		return time.Time{}, err
	}
	decided := now
	releaseHolds := func() {}
	holdCat := cat
	if mayHold(cat, res.Entries) || mayHold(p.live.catalog(), res.Entries) {
		// Polls of other feeds count max_per_hour's hour from the
		// outbox too: one counts, decides and commits before the next
		// counts, or each would let N alerts through. And the sender
		// forms digests under the same lock: decided now, not when the
		// fetch began, a match cannot join a digest already sent.
		// Held until the commit, not through its moves.
		p.commits.holds.Lock()
		releaseHolds = sync.OnceFunc(p.commits.holds.Unlock)
		defer releaseHolds()
		decided = p.now()
		// A reload re-plans what is held under holds once its catalog is
		// live (heldReplans): held by the catalog matched under, a match
		// made before it and committed after would wait for the old time.
		holdCat = p.live.catalog()
	}
	if err := p.hold(ctx, holdCat, res.Entries, decided); err != nil {
		return time.Time{}, err
	}
	if err := p.stillGrouping(ctx, res.Entries); err != nil {
		return time.Time{}, err
	}
	// The links' keys the store holds are kept while their items are
	// served, as the items' keys are, or the headlines they remember would
	// be pruned from under a long-lived item. The links of the items the
	// memo cut out are not known here: the memo is renewed (itemMemos) well
	// within the retention.
	var present []string
	if poll != nil {
		present = poll.LinkKeys()
	} else {
		present = alert.LinkKeys(feed.Items)
	}
	p.states.settle(f.ID)
	rows := outboxRows(res.Entries)
	var dups []store.Duplicate
	commit := store.Poll{State: st, Keys: keys, Present: present, Alerts: rows, Texts: texts, Duplicates: &dups}
	if f.FromDiscord && (len(fresh) > 0 || len(rows) > 0) {
		// The watches matched under: the commit is refused if they
		// changed meanwhile. A feed of the config file has none.
		commit.WatchFeed, commit.Watches = f.URL, snap.watches[f.ID]
	}
	n, err := p.store.CommitPoll(ctx, f.ID, commit)
	releaseHolds()
	if err != nil {
		if errors.Is(err, store.ErrWatchesEdited) {
			p.stories.ungroup(grouping) // matched and grouped again (recordItems)
		}
		p.states.forget(f.ID)
		p.memos.forget(f.ID)
		return time.Time{}, err
	}
	p.states.remember(st, true)
	if st.Initialized {
		p.removals.follow(f.ID)
	}
	if len(rows) > 0 {
		merged := p.stories.mergeDuplicates(res.Entries, dups)
		p.followMoves(ctx, f, rows, dups, merged, releaseMoves)
	}
	p.memos.keep(f.ID, feed, now)
	p.metrics.polls.WithLabelValues(map[bool]string{true: "changed", false: "unchanged"}[len(unseen) > 0]).Inc()
	p.metrics.newItems.Add(float64(len(unseen)))
	p.metrics.enqueued.Add(float64(n))
	p.count.newItems.Add(int64(len(unseen)))
	p.count.enqueued.Add(int64(n))
	p.report(f, feed, unseen, res, n, firstSight && st.Initialized)
	if n > 0 && p.enqueued != nil {
		p.enqueued()
	}
	return st.NextPoll, nil
}

// stillGrouping reports an error when a poll that grouped entries under
// the stories lease (a shared store) no longer holds it: this instance
// stalled past its time to live, or renewing it failed, and another
// instance may have grouped and committed meanwhile without seeing this
// poll's reports. The poll is then not committed, and the grouping this
// process made since its last commit, this poll's alone (the lease and
// commitLock.stories kept the others out), is forgotten: the story index is
// rebuilt from the store, so the retry groups into what others committed.
func (p *poller) stillGrouping(ctx context.Context, entries []alert.Entry) error {
	if !p.stories.shared || len(entries) == 0 || p.leases.holds(storiesLease) {
		return nil
	}
	err := fmt.Errorf("the %q lease ran out before the commit (a stall, or its renewal failed): the poll is grouped and committed again at its next try", storiesLease)
	if rerr := p.stories.restore(ctx, p.now()); rerr != nil {
		err = errors.Join(err, fmt.Errorf("rebuilding the story index: %w", rerr))
	}
	return err
}

// followMoves stores the re-splits that moved this poll's reports while
// it committed. Workers group under the story lock but commit outside it:
// when another worker's re-split takes a report of this poll after it was
// grouped and commits first, that commit's move (Alert.Takes) finds no row
// yet, and this commit writes the report into the story it had, which a
// restart would restore. So once the commit is durable the index is asked
// again (storyGroups.movedSince), and what it moved meanwhile is moved in
// the store too. That closes the race: the index changes under the lock
// before the mover commits, so either this look, made after this commit,
// sees the change, or the change was made after it and the mover's commit,
// later still, finds this poll's rows. The reports this poll's own
// re-splits took are looked at likewise (a later re-split may have moved
// them on before this commit put them in the story). A move made twice
// (here and by the mover) is harmless: each moves only from the story
// committed, and the second finds nothing there. The reports of a story
// whose first report this commit refused as a duplicate (dups), which
// storyGroups.mergeDuplicates listed under the story of the alert holding
// its key, are moved there so too (merged, the merge's moves, those of
// other workers' commits too). A failure is tried again (storeMoves);
// moves never stored cost what the race did: the index lists the reports
// under their new story, the rows under the old, so a story the merge
// emptied has no message, and its first report goes alone, at once
// (sender.openerCommitted), and a restart lists the reports apart.
// releaseMoves gives back the poll's hold of commitLock.moves.
func (p *poller) followMoves(ctx context.Context, f *alert.Feed, rows []store.Alert, dups []store.Duplicate, merged []store.StoryMove, releaseMoves func()) {
	moves := merged
	for _, m := range p.stories.movedSince(rows, dups) {
		if !slices.Contains(merged, m) { // a row of this commit the merge moved
			moves = append(moves, m)
		}
	}
	if len(moves) == 0 {
		return
	}
	if p.storeMoves(ctx, f, moves, releaseMoves) {
		p.log.Debug("moved reports into the story the index lists them under", "feed", f.ID, "moves", len(moves))
	}
}

// moveRetries are the waits before each retry of a commit's moves: a
// database busy for a moment, or a connection lost and made again, takes
// them within seconds. The sender waits for them where they move rows
// (it reads the rows of a destination naming stories once they are
// stored, readSettled; commitLock.pending), so the retries are few and
// short.
var moveRetries = []time.Duration{100 * time.Millisecond, 400 * time.Millisecond, 1600 * time.Millisecond}

// storeMoves stores moves, trying again after each of moveRetries while
// the poll's context lasts, and reports whether they are stored. Each try
// is made whole even when a shutdown ends the poll meanwhile, as a commit
// is: the moves complete it, and the index already lists the reports
// where they go. The moves queued before (movesQueue) go first, in the
// same transaction, so that a later move of the same items never comes
// before them. Moves still not stored after the last try, or when the
// poll ends, are queued, and tried again later (retryQueuedMoves).
// Failures are logged once per change of state, and the recovery once,
// with their count (internal/statelog). The first try is made under the
// poll's hold of commitLock.moves; the retries outside it (releaseMoves),
// the moves' destinations counted pending meanwhile (commitLock.pending),
// so that an outage stalls neither other polls nor the sender's other
// destinations.
func (p *poller) storeMoves(ctx context.Context, f *alert.Feed, moves []store.StoryMove, releaseMoves func()) bool {
	for try := 0; ; try++ {
		queued, upTo := p.commits.queued.snapshot()
		done, dropped, err := p.moveStories(ctx, append(queued, moves...), false)
		moves = withoutMoves(moves, done) // a new slice: pending.done takes the old
		if err == nil {
			p.movesStored(upTo, len(withoutMoves(queued, dropped)))
			return true
		}
		p.storeErrs.Fail("moves", movesFailed, err, "feed", f.ID, "moves", len(moves), "queued", len(queued))
		if try == 0 {
			p.commits.pending.add(moves) // under moves: seen with it
			defer p.commits.pending.done(moves)
			releaseMoves()
		}
		if try == len(moveRetries) || p.sleep(ctx, moveRetries[try]) != nil {
			p.queueMoves(moves) // before pending.done: the sender sees them queued
			return false
		}
	}
}

// movesFailed is what a failure of the moves logs.
const movesFailed = "moving reports into their new story failed; the moves are kept in memory and tried again with back-off until stored (a restart before then lists the reports under their old story), and the sender holds their destinations' alerts meanwhile, for two minutes at most"

// queueMoves queues moves a poll gave up storing, the next try backed
// off; the first drop of moves for the queue's bound is logged, the
// count of them once the queue is stored (movesStored).
func (p *poller) queueMoves(moves []store.StoryMove) {
	droppedNow, dropped := p.commits.queued.add(moves)
	p.commits.queued.failed(p.now())
	p.metrics.movesDropped.WithLabelValues("queue_full").Add(float64(droppedNow))
	if droppedNow > 0 && dropped == droppedNow {
		p.log.Warn("too many story moves wait for the store: the oldest are dropped, and their reports stay in the story the store has them under", "max", maxQueuedMoves, "dropped", droppedNow)
	}
}

// retryQueuedMoves tries the queued moves again once their back-off has
// passed: the poll loop asks at each turn, pollAll at its end.
func (p *poller) retryQueuedMoves(ctx context.Context) {
	if p.commits.queued.due(p.now()) {
		p.flushQueuedMoves(ctx)
	}
}

// storeQueuedMovesAtExit tries the queued moves once more when the poll
// loop ends, and logs those that are lost with the process.
func (p *poller) storeQueuedMovesAtExit(ctx context.Context) {
	if p.commits.queued.size() > 0 {
		p.flushQueuedMoves(ctx)
	}
	p.warnQueuedMovesLeft()
}

// storeQueuedMovesWithin tries the queued moves again before run --once
// exits, as their back-off allows, until they are stored or grace has
// passed (the shutdown grace, which bounds its delivery after a signal
// too), the tries' time counted with the waits' (a try against a store
// that does not answer takes moveTry): they would be lost with the
// process. No try begins after the grace; a signal leaves one last try,
// at once. Waits go through sleep (tests keep their clock).
func (p *poller) storeQueuedMovesWithin(ctx context.Context, grace time.Duration, sleep func(context.Context, time.Duration) error) {
	for left := grace; p.commits.queued.size() > 0; {
		wait := min(max(p.commits.queued.nextTry().Sub(p.now()), 0), left)
		if ctx.Err() != nil || sleep(ctx, wait) != nil {
			left = 0
		} else {
			left -= wait
		}
		began := p.now()
		p.flushQueuedMoves(ctx)
		if left -= p.now().Sub(began); left <= 0 {
			return
		}
	}
}

// warnQueuedMovesLeft logs the moves still queued when the service stops
// (Run's end, RunOnce's), with those dropped for the queue's bound since
// it was last empty: they are lost with the process. It returns how many
// are queued.
func (p *poller) warnQueuedMovesLeft() int {
	n, dropped := p.commits.queued.lost()
	if n > 0 {
		p.log.Warn("story moves not stored when the service stopped: a restart lists their reports under the story the store has them under", "moves", n, "dropped", dropped)
	}
	return n
}

// flushQueuedMoves tries the queued moves, and reports whether they are
// stored; a failure backs the next try off.
func (p *poller) flushQueuedMoves(ctx context.Context) bool {
	queued, upTo := p.commits.queued.snapshot()
	_, dropped, err := p.moveStories(ctx, queued, p.commits.queued.splitting())
	if err != nil {
		p.storeErrs.Fail("moves", movesFailed, err, "queued", len(queued))
		p.commits.queued.failed(p.now())
		return false
	}
	p.movesStored(upTo, len(withoutMoves(queued, dropped)))
	return true
}

// movesStored takes the moves stored out of the queue (those queued up to
// upTo, queued of them) and logs the recovery; the sender, which left
// their destinations alone, is poked.
func (p *poller) movesStored(upTo uint64, queued int) {
	p.storeErrs.OK("moves", "moving reports into their new story works again")
	dropped := p.commits.queued.stored(upTo)
	if queued == 0 {
		return
	}
	p.log.Info("story moves kept while the store failed are stored", "moves", queued)
	if dropped > 0 {
		p.log.Warn("story moves were dropped while the store failed: their reports stay in the story the store has them under, and their destinations may show the story twice", "dropped", dropped)
	}
	if p.enqueued != nil {
		p.enqueued()
	}
}

// moveStories stores moves in one transaction. When the store refuses
// one of them for good (store.ErrMoveRefused: a move into the empty
// story, a value the database rejects), or split asks (queued moves that
// failed splitAfter tries in a row: a move the store fails for good
// without saying so fails its batch as an outage would), it makes them
// one by one (moveOneByOne), so that one move the store can never make
// does not fail every move tried with it, the later polls' too. It
// returns the moves done (stored or dropped), those dropped, and the
// error of the moves left: the caller tries those again with the rest.
func (p *poller) moveStories(ctx context.Context, moves []store.StoryMove, split bool) (done, dropped []store.StoryMove, err error) {
	err = p.tryMoves(ctx, moves)
	if err == nil {
		return moves, nil, nil
	}
	if !split && !errors.Is(err, store.ErrMoveRefused) {
		return nil, nil, err
	}
	return p.moveOneByOne(ctx, moves)
}

// splitAfter is how many tries of the queued moves in a row fail before
// the queue's next try makes them one by one (a poll's tries do not: in
// an outage each would cost up to three tries).
const splitAfter = 3

// maxAloneFailures is how many rounds a move may fail alone in (the
// store taking a move just before and just after it) before it is
// dropped.
const maxAloneFailures = 3

// moveOneByOne makes moves one at a time. A move refused (ErrMoveRefused)
// is dropped at once (dropMove). Two failures in a row end the round:
// the store is down, the moves left are tried again later, as they were.
// A move that fails otherwise is tried again after the round, between two
// tries of a move the round stored (made again, it finds nothing to
// move): failing while the store takes the moves on either side, it fails
// for itself, and is dropped once it failed so maxAloneFailures times. An
// outage that begins or ends within the round fails one of those tries,
// and counts against no move. Moves that fail go to the queue's back, so
// that those failing for good come after the others in the next round.
// Moves stored are taken out of the queue, made again harmlessly should
// the caller try them again (a move made twice finds nothing to move).
func (p *poller) moveOneByOne(ctx context.Context, moves []store.StoryMove) (done, dropped []store.StoryMove, err error) {
	var r moveRound
	inRow := 0
	for _, m := range moves {
		if inRow == 2 {
			break
		}
		if e := r.try(ctx, p, m); e != nil {
			err, inRow = e, inRow+1
		} else {
			inRow = 0
		}
	}
	failed := r.failed
	r.failed = nil
	if len(r.stored) > 0 {
		p.confirmAlone(ctx, &r, failed, r.stored[len(r.stored)-1])
	} else {
		r.failed = failed
	}
	for _, m := range r.failed {
		p.commits.queued.toBack(m, false)
	}
	done = append(r.stored, r.dropped...)
	if len(done) == len(moves) {
		err = nil
	}
	return done, r.dropped, err
}

// moveRound is what a round of moves made one by one did with each.
type moveRound struct {
	stored, dropped []store.StoryMove
	failed          []store.StoryMove // failing, not (yet) known to fail alone
}

// try makes m alone: stored, it is taken out of the queue; refused, it is
// dropped; failing otherwise, it is returned the error (a refusal is an
// answer of a store that works: nil).
func (r *moveRound) try(ctx context.Context, p *poller, m store.StoryMove) error {
	err := p.tryMoves(ctx, []store.StoryMove{m})
	switch {
	case err == nil:
		p.commits.queued.take(m)
		r.stored = append(r.stored, m)
	case errors.Is(err, store.ErrMoveRefused):
		p.dropMove(m, "refused", err)
		r.dropped = append(r.dropped, m)
	default:
		r.failed = append(r.failed, m)
		return err
	}
	return nil
}

// confirmAlone tries each failed move again between two tries of probe,
// a move the round stored (made again, it finds nothing to move), while
// those succeed: a move failing between them fails alone, is put at the
// queue's back, and is dropped at maxAloneFailures such rounds. The moves
// it could not tell about are left in r.failed.
func (p *poller) confirmAlone(ctx context.Context, r *moveRound, failed []store.StoryMove, probe store.StoryMove) {
	works := func() bool { return p.tryMoves(ctx, []store.StoryMove{probe}) == nil }
	for i, m := range failed {
		if !works() {
			r.failed = append(r.failed, failed[i:]...) // the store is down now
			return
		}
		err := r.try(ctx, p, m)
		if err == nil {
			continue
		}
		if !works() {
			r.failed = append(r.failed, failed[i+1:]...) // m is in it (try)
			return
		}
		r.failed = r.failed[:len(r.failed)-1] // m: known to fail alone
		if p.commits.queued.toBack(m, true) >= maxAloneFailures {
			p.dropMove(m, "failing", err)
			r.dropped = append(r.dropped, m)
		}
	}
}

// dropMove takes a move the store refuses, or fails alone, for good out
// of the queue, logs what it was and counts it (by reason): its reports
// stay in the story the store has them under.
func (p *poller) dropMove(m store.StoryMove, reason string, err error) {
	p.commits.queued.take(m)
	p.metrics.movesDropped.WithLabelValues(reason).Inc()
	p.log.Warn("story move dropped, the store does not take it: its reports stay in the story the store has them under",
		"reason", reason, "destination", m.Destination, "item", m.Item, "from", m.From, "to", m.To, "err", err)
}

// withoutMoves returns moves without those of gone, in a new slice.
func withoutMoves(moves, gone []store.StoryMove) []store.StoryMove {
	if len(gone) == 0 {
		return moves
	}
	var kept []store.StoryMove
	for _, m := range moves {
		if !slices.Contains(gone, m) {
			kept = append(kept, m)
		}
	}
	return kept
}

// tryMoves is one try of storeMoves, given moveTry at most, of moves
// brought up to the index (storyGroups.current).
func (p *poller) tryMoves(ctx context.Context, moves []store.StoryMove) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), moveTry)
	defer cancel()
	return p.store.MoveStories(ctx, p.stories.current(moves))
}

// moveTry bounds one try of a commit's moves.
const moveTry = 5 * time.Second

// unseenKeys asks the store which keys are new, when there are any to ask
// about.
func (p *poller) unseenKeys(ctx context.Context, feedID string, keys []string) ([]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	return p.store.UnseenKeys(ctx, feedID, keys)
}

// seenUnderOldKeys leaves out of unseen the items seen under the key
// versions before gave them (feeds.Feed.OldKeys: a legacy charset read
// as U+FFFD, an Atom title of type text cut short as HTML, a date in the
// future left out): they are not news now. They are committed under their new keys with the rest, so
// the store is asked only until then, and the same on every instance.
// recoded are those items' keys: what their text gained by being read
// right is no update either.
func (p *poller) seenUnderOldKeys(ctx context.Context, feedID string, oldKeys map[string]string, unseen []string) (_ []string, recoded map[string]bool, err error) {
	var old []string
	for _, k := range unseen {
		if o, ok := oldKeys[k]; ok {
			old = append(old, o)
		}
	}
	if len(old) == 0 {
		return unseen, nil, nil
	}
	stillUnseen, err := p.unseenKeys(ctx, feedID, old)
	if err != nil {
		return nil, nil, err
	}
	isNew := make(map[string]bool, len(stillUnseen))
	for _, o := range stillUnseen {
		isNew[o] = true
	}
	recoded = map[string]bool{}
	unseen = slices.DeleteFunc(unseen, func(k string) bool {
		o, ok := oldKeys[k]
		if ok && !isNew[o] {
			recoded[k] = true
		}
		return recoded[k]
	})
	return unseen, recoded, nil
}

// updates finds the text the feed's items gained since they were seen (a
// new item whose headline edits an earlier one's: since that one was
// seen) and matches it for the subscriptions that follow updates. It
// returns their entries and the text signatures to remember. poll and
// stored are the fetch's TextPoll and the stored signatures of its Keys.
func (p *poller) updates(ctx context.Context, cat *alert.Catalog, f *alert.Feed, feed *feeds.Feed, poll *alert.TextPoll, stored map[string][]byte, recoded map[string]bool, now time.Time) ([]alert.Entry, map[string][]byte, error) {
	if edited := poll.EditedKeys(stored); len(edited) > 0 {
		// New headlines under links seen before: the earlier items'.
		earlier, err := p.store.ItemTexts(ctx, f.ID, edited)
		if err != nil {
			return nil, nil, err
		}
		maps.Copy(stored, earlier)
	}
	feeds.FillText(feed.Items)
	changes, sigs := poll.Changes(stored)
	changes = slices.DeleteFunc(changes, func(c alert.Change) bool { return recoded[c.Item.Key] })
	if feed.OldCharset != "" {
		changes = poll.WithoutRereads(changes, stored, sigs, feed.ReadBefore)
	}
	in := alert.Input{FeedID: f.ID, FeedTitle: feed.Title, Now: now}
	return cat.Updates(in, changes, underOldKeys(p.stories.storyWithin(now), feed.OldKeys)), sigs, nil
}

// underOldKeys is storyOf, which also finds the story of an item posted
// under the key versions before gave it (feeds.Feed.OldKeys), where its
// alert's story is named: an update of such an item goes under it.
func underOldKeys(storyOf func(destination, feedID, itemKey string, window time.Duration) (string, bool), oldKeys map[string]string) func(destination, feedID, itemKey string, window time.Duration) (string, bool) {
	return func(destination, feedID, itemKey string, window time.Duration) (string, bool) {
		if name, ok := storyOf(destination, feedID, itemKey, window); ok {
			return name, true
		}
		if old, ok := oldKeys[itemKey]; ok {
			return storyOf(destination, feedID, old, window)
		}
		return "", false
	}
}

// report says what a poll did: a first sight and matches too old to post
// get an info line (a user wonders why nothing was posted), the rest debug.
func (p *poller) report(f *alert.Feed, feed *feeds.Feed, unseen []string, res alert.Result, enqueued int, firstSight bool) {
	if firstSight {
		p.log.Info("first sight of the feed: its backlog is remembered, only backfill is posted", "feed", f.ID, "items", len(feed.Items)+len(feed.Known), "posted", enqueued, "held_back", res.HeldBack)
	}
	if res.TooOld > 0 {
		p.log.Info("matches older than max_age not posted", "feed", f.ID, "too_old", res.TooOld)
	}
	p.log.Debug("polled", "feed", f.ID, "items", len(feed.Items)+len(feed.Known), "new", len(unseen), "matched", res.Matched, "enqueued", enqueued)
}

// outboxRows turns the alerting core's entries into outbox rows.
func outboxRows(entries []alert.Entry) []store.Alert {
	rows := make([]store.Alert, len(entries))
	for i, e := range entries {
		rows[i] = store.Alert{
			Destination: e.Destination, Subscription: e.Subscription, FeedID: e.FeedID, ItemKey: e.ItemKey,
			DedupeKeys: e.DedupeKeys, Payload: alert.Encode(e.Alert), CreatedAt: e.CreatedAt,
			Story: e.Story, Joins: e.Joins, Fingerprint: e.Fingerprint,
		}
		if e.Release.Held() {
			rows[i].HoldUntil, rows[i].Digest = e.Release.Key.Until, e.Release.Key.String()
		}
		for _, t := range e.Takes {
			rows[i].Takes = append(rows[i].Takes, store.StoryTake{Item: t.ID, From: t.From})
		}
	}
	return rows
}

func unseenItems(items []feeds.Item, unseen []string) []feeds.Item {
	want := make(map[string]bool, len(unseen))
	for _, k := range unseen {
		want[k] = true
	}
	var out []feeds.Item
	for _, it := range items {
		if want[it.Key] {
			out = append(out, it)
			delete(want, it.Key) // a key repeated in one fetch is one item
		}
	}
	return out
}

// catchUp records the items a feed has now as seen, without alerts. It is
// used when a watch starts (added, re-added after removal, resumed) on a
// feed that no active watch was polling, so that exactly the items that
// appear afterwards are posted, not what piled up meanwhile. A feed
// disabled meanwhile is enabled: the fetch worked. So health knows it at
// once, not at the next poll, an interval later.
func (p *poller) catchUp(ctx context.Context, f *alert.Feed, feed *feeds.Feed) error {
	st, ok := p.loadState(ctx, f)
	if !ok {
		return errors.New("reading the state of " + f.ID)
	}
	now := p.now()
	st.LastPolled, st.LastSuccess = now, now
	st.Initialized = false // a first sight: remembered, not posted
	disabled := st
	st.Disabled, st.DisabledReason, st.RetryAt = false, "", time.Time{}
	if _, err := p.recordItems(ctx, f, st, feed, 0, now); err != nil {
		return err
	}
	p.feeds.record(f.ID, nil)
	p.caughtUp.add(f.ID)
	if disabled.Disabled {
		p.putOff.forget(f.ID)
		p.log.Info("a disabled feed fetched for a watch's catch-up works again; enabled", "feed", f.ID, "url", redact.URL(st.URL), "disabled_because", disabled.DisabledReason)
	}
	return nil
}

// forgetBacklog makes a feed's next fetch with items a first sight: what
// it has then is remembered, not posted.
func (p *poller) forgetBacklog(ctx context.Context, f *alert.Feed) error {
	st, ok := p.loadState(ctx, f)
	if !ok {
		return errors.New("reading the state of " + f.ID)
	}
	p.memos.forget(f.ID)
	if !p.saveState(ctx, awaitFirstSight(st)) {
		return errors.New("saving the state of " + f.ID)
	}
	return nil
}

// firstPlan decides when this process first polls a feed. A feed never
// polled gets a first poll spread over its interval, so start-up is not a
// thundering herd; local files are read at once (they cost nothing, and a
// user who edits one expects to see the result). A disabled feed gets one
// more try: its problem may have been fixed. Otherwise the stored schedule
// rules: a feed that came due while the process was down is polled at once.
func (p *poller) firstPlan(f *alert.Feed, st store.FeedState, found bool, now time.Time) (time.Time, pollMode) {
	st = p.startedState(f, st, found)
	switch {
	case st.Disabled:
		return now, pollRetryDisabled
	case strings.HasPrefix(f.URL, "file:"):
		return now, pollNow
	case !st.Initialized && st.LastPolled.IsZero():
		return p.schedule(f).First(f.ID, now), pollNow
	default:
		return p.dueAt(f, st), pollWhenDue
	}
}

// entryItemKeys are the keys of the items entries alert.
func entryItemKeys(entries []alert.Entry) []string {
	keys := make([]string, len(entries))
	for i, e := range entries {
		keys[i] = e.ItemKey
	}
	return keys
}

// anyUndated reports whether an item has no date of its own (feeds.Item.Dated).
func anyUndated(items []feeds.Item) bool {
	return slices.ContainsFunc(items, func(it feeds.Item) bool { return !it.Dated })
}
