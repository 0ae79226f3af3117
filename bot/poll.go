package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/filters"
	"github.com/newshound/newshound/store"
)

// pollAll polls the given feeds once each, at most s.workers at a time,
// and returns when all are done or ctx is cancelled.
func (s *Service) pollAll(ctx context.Context, list []*feedSpec) {
	jobs := make(chan *feedSpec)
	done := make(chan struct{})
	workers := min(s.workers, len(list))
	for range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			for f := range jobs {
				s.pollFeed(ctx, f, pollNow)
			}
		}()
	}
	for _, f := range list {
		select {
		case jobs <- f:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(jobs)
	for range workers {
		<-done
	}
}

// pollFeed fetches one feed and records the outcome: new items are marked
// seen and matching ones enqueued, in one transaction. Errors are logged
// against the feed and reflected in its schedule; they never stop others.
// The mode says whether the feed's stored schedule (which another instance
// sharing the store may have moved) must have come due.
func (s *Service) pollFeed(ctx context.Context, f *feedSpec, mode pollMode) {
	lease := "feed:" + f.ID
	if !s.claim(ctx, lease, s.cfg.Defaults.Timeout+time.Minute) {
		return // another instance is polling it
	}
	defer s.release(ctx, lease)
	now := s.now()
	st, ok := s.loadState(ctx, f)
	if !ok || !s.shouldPoll(f, &st, mode, now) {
		return
	}
	defer prometheusTimer(s.metrics.pollTime)()
	resp, feed, err := s.fetchAndParse(ctx, f, st)
	if ctx.Err() != nil {
		return // shutting down: the poll did not happen
	}
	st.LastPolled = now
	if err != nil {
		s.metrics.polls.WithLabelValues("error").Inc()
		s.recordFailure(ctx, f, st, err, now)
		return
	}
	before := st
	s.applyResponse(f, &st, resp)
	if resp.NotModified {
		s.metrics.polls.WithLabelValues("not_modified").Inc()
		s.reschedule(f, &st, feeds.Outcome{NotModified: true, CacheMaxAge: resp.MaxAge}, now)
		s.saveState(ctx, st)
		return
	}
	s.remember(f.ID, feed)
	if err := s.recordItems(ctx, f, st, feed, resp.MaxAge, now); err != nil {
		// Nothing of this poll was recorded. Keep the old validators, so
		// the next fetch is not a 304 that would hide these items, and try
		// again in a minute rather than at once.
		s.log.Error("recording poll failed; retrying in a minute", "feed", f.ID, "err", err)
		before.NextPoll = now.Add(time.Minute)
		s.saveState(ctx, before)
	}
}

// loadState reads a feed's state, or starts one for a feed never seen.
// A feed whose URL was changed in the config starts afresh, as a new feed:
// its backlog is remembered, not posted, and a disabled or failing state
// of the old URL is forgotten.
func (s *Service) loadState(ctx context.Context, f *feedSpec) (store.FeedState, bool) {
	fresh := store.FeedState{FeedID: f.ID, URL: f.URL, ConfigURL: f.URL}
	st, err := s.store.FeedState(ctx, f.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fresh, true
	case err != nil:
		s.log.Error("reading feed state", "feed", f.ID, "err", err)
		return st, false
	case st.ConfigURL != "" && st.ConfigURL != f.URL:
		s.log.Info("feed URL changed in the config; starting the feed afresh", "feed", f.ID, "from", st.ConfigURL, "to", f.URL)
		return fresh, true
	}
	if st.URL == "" {
		st.URL = f.URL
	}
	st.ConfigURL = f.URL
	return st, true
}

// shouldPoll applies the poll mode to a feed's state.
func (s *Service) shouldPoll(f *feedSpec, st *store.FeedState, mode pollMode, now time.Time) bool {
	backingOff := st.ErrorCount > 0 && st.NextPoll.After(now)
	switch {
	case st.Disabled && mode == pollRetryDisabled:
		s.log.Info("retrying a disabled feed once after the restart", "feed", f.ID, "url", st.URL, "disabled_because", st.DisabledReason)
		st.Disabled, st.DisabledReason = false, ""
		return true
	case st.Disabled:
		return false
	case mode == pollNow:
		return !backingOff // a server's Retry-After and the back-off are honoured even by --once
	default:
		return !st.NextPoll.After(now)
	}
}

func (s *Service) fetchAndParse(ctx context.Context, f *feedSpec, st store.FeedState) (*feeds.Response, *feeds.Feed, error) {
	fetcher := s.fetcher
	if f.FromDiscord {
		fetcher = s.watchFetcher
	}
	res, err := feeds.Refresh(ctx, fetcher, s.parser, feeds.Request{
		URL: st.URL, ETag: st.ETag, LastModified: st.LastModified, BodyHash: st.BodyHash,
		UserAgent: f.UserAgent, Headers: f.Headers, AllowFile: f.AllowFile,
	}, s.now())
	if err != nil {
		return nil, nil, err
	}
	return res.Response, res.Feed, nil
}

// applyResponse keeps what a successful fetch teaches about the feed: its
// new permanent URL, its validators and its body's hash.
func (s *Service) applyResponse(f *feedSpec, st *store.FeedState, resp *feeds.Response) {
	if resp.MovedTo != "" && resp.MovedTo != st.URL {
		s.log.Info("feed moved permanently; using the new URL from now on", "feed", f.ID, "from", st.URL, "to", resp.MovedTo)
		st.URL = resp.MovedTo
	}
	st.ETag, st.LastModified = resp.ETag, resp.LastModified
	if !resp.NotModified {
		st.BodyHash = resp.BodyHash
	}
}

func (s *Service) schedule(f *feedSpec) feeds.Schedule {
	d := s.cfg.Defaults
	interval := f.Interval
	if interval <= 0 {
		interval = d.Interval
	}
	disableAfter := d.DisableAfter
	if disableAfter <= 0 {
		disableAfter = 100 * 365 * 24 * time.Hour // disable_after: 0 means never
	}
	sched := feeds.Schedule{Interval: interval, DisableAfter: disableAfter}
	if f.OwnInterval {
		sched.HintCap = -1 // the newsroom asked for this speed
	}
	return sched
}

// reschedule asks the policy when to poll next and records its verdict in
// the state: the next poll, the failure streak, and whether to disable.
func (s *Service) reschedule(f *feedSpec, st *store.FeedState, o feeds.Outcome, now time.Time) feeds.Decision {
	hist := feeds.PollHistory{FeedID: f.ID, ErrorCount: st.ErrorCount, FailingSince: st.FailingSince, LastChanged: st.LastChanged}
	dec := s.schedule(f).Next(hist, o, now)
	if dec.Recovered {
		s.log.Info("feed recovered", "feed", f.ID, "url", st.URL, "after_errors", st.ErrorCount, "failing_since", st.FailingSince.Format(time.RFC3339))
		st.LastError = ""
	}
	st.NextPoll = dec.Next
	st.ErrorCount, st.FailingSince, st.LastChanged = dec.History.ErrorCount, dec.History.FailingSince, dec.History.LastChanged
	if dec.Disable {
		st.Disabled, st.DisabledReason = true, dec.Reason
		s.log.Error("feed disabled", "feed", f.ID, "url", st.URL, "reason", dec.Reason)
	}
	return dec
}

// recordFailure reports a failing feed once with the reason (and again only
// if the reason changes), backs it off, and disables it when the policy
// says so.
func (s *Service) recordFailure(ctx context.Context, f *feedSpec, st store.FeedState, err error, now time.Time) {
	dec := s.reschedule(f, &st, feeds.Outcome{Err: err}, now)
	msg := err.Error()
	if dec.NewlyFailing || msg != st.LastError {
		s.log.Warn("feed failed", "feed", f.ID, "url", st.URL, "err", msg, "next_poll", dec.Next.Format(time.RFC3339))
	} else {
		s.log.Debug("feed still failing", "feed", f.ID, "err", msg)
	}
	st.LastError = msg
	s.saveState(ctx, st)
}

func (s *Service) saveState(ctx context.Context, st store.FeedState) {
	if err := s.store.SaveFeedState(ctx, st); err != nil {
		s.log.Error("saving feed state", "feed", st.FeedID, "err", err)
	}
}

// recordItems finds the items not seen before, matches them, and commits
// the poll. On a feed's first sight nothing is posted except each
// subscription's newest `backfill` matches.
func (s *Service) recordItems(ctx context.Context, f *feedSpec, st store.FeedState, feed *feeds.Feed, cacheMaxAge time.Duration, now time.Time) error {
	keys := make([]string, 0, len(feed.Items))
	for _, it := range feed.Items {
		keys = append(keys, it.Key)
	}
	unseen, err := s.store.UnseenKeys(ctx, f.ID, keys)
	if err != nil {
		return err
	}
	firstSight := !st.Initialized
	// A feed first seen empty (a failed publish, a new feed) has shown no
	// backlog yet: its first sight is the first fetch with items.
	st.Initialized = st.Initialized || len(feed.Items) > 0
	s.reschedule(f, &st, feeds.Outcome{Changed: len(unseen) > 0, FeedMinInterval: feed.MinInterval, CacheMaxAge: cacheMaxAge}, now)
	alerts := s.matchNew(f, feed, unseenItems(feed.Items, unseen), firstSight, now)
	n, err := s.store.CommitPoll(ctx, f.ID, store.Poll{State: st, Keys: keys, Alerts: alerts})
	if err != nil {
		return err
	}
	s.metrics.polls.WithLabelValues(map[bool]string{true: "changed", false: "unchanged"}[len(unseen) > 0]).Inc()
	s.metrics.newItems.Add(float64(len(unseen)))
	s.metrics.enqueued.Add(float64(n))
	s.log.Debug("polled", "feed", f.ID, "items", len(keys), "new", len(unseen), "enqueued", n)
	if n > 0 {
		s.poke()
	}
	return nil
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

// matchNew runs the filter set over new items and builds their alerts: one
// per item and destination, naming every subscription that matched it.
func (s *Service) matchNew(f *feedSpec, feed *feeds.Feed, items []feeds.Item, firstSight bool, now time.Time) []store.Alert {
	ss := s.currentSubs()
	subs := ss.byFeed[f.ID]
	if len(subs) == 0 {
		return nil
	}
	matches := make([][]filters.Match, len(items))
	docs := make([]*filters.Document, len(items))
	for i := range items {
		docs[i] = documentOf(f, &items[i])
		matches[i] = ss.set.Match(docs[i])
	}
	// chosen[i] lists the subscriptions that alert on item i, in config order.
	chosen := make([][]matched, len(items))
	for _, sub := range subs {
		var picks []int
		for i := range items {
			if m, ok := matchFor(matches[i], sub.ID); ok && fresh(&items[i], sub.MaxAge, now) {
				picks = append(picks, i)
				chosen[i] = append(chosen[i], matched{sub, m})
			}
		}
		if firstSight {
			keep := newestN(picks, sub.Backfill, func(i int) time.Time { return items[i].Published })
			for _, i := range picks {
				if !slices.Contains(keep, i) {
					chosen[i] = slices.DeleteFunc(chosen[i], func(m matched) bool { return m.sub == sub })
				}
			}
		}
	}
	var alerts []store.Alert
	for i := range items {
		for _, group := range byDestination(chosen[i]) {
			alerts = append(alerts, s.alertFor(group, f, feed, &items[i], docs[i]))
		}
	}
	sort.SliceStable(alerts, func(i, j int) bool { return alerts[i].CreatedAt.Before(alerts[j].CreatedAt) })
	return alerts
}

// matched is one subscription's match of an item.
type matched struct {
	sub   *subscription
	match filters.Match
}

func matchFor(ms []filters.Match, id string) (filters.Match, bool) {
	for _, m := range ms {
		if m.ID == id {
			return m, true
		}
	}
	return filters.Match{}, false
}

// byDestination groups one item's matches by destination, keeping order.
func byDestination(ms []matched) [][]matched {
	var groups [][]matched
	index := map[string]int{}
	for _, m := range ms {
		i, ok := index[m.sub.Destination]
		if !ok {
			i = len(groups)
			index[m.sub.Destination] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], m)
	}
	return groups
}

// fresh reports whether an item is young enough to post. Undated items
// are posted: their Published is the first-seen time.
func fresh(it *feeds.Item, maxAge time.Duration, now time.Time) bool {
	return maxAge <= 0 || !it.Dated || now.Sub(it.Published) <= maxAge
}

// newestN keeps the n newest entries, oldest first.
func newestN[T any](xs []T, n int, at func(T) time.Time) []T {
	if n <= 0 {
		return nil
	}
	sort.SliceStable(xs, func(i, j int) bool { return at(xs[i]).Before(at(xs[j])) })
	if len(xs) > n {
		xs = xs[len(xs)-n:]
	}
	return xs
}

func documentOf(f *feedSpec, it *feeds.Item) *filters.Document {
	return &filters.Document{
		Title: it.Title, Summary: it.Summary, Content: it.Content, Author: it.Author,
		Categories: it.Categories, Link: it.Link, Feed: f.Name,
	}
}

func (s *Service) alertFor(group []matched, f *feedSpec, feed *feeds.Feed, it *feeds.Item, doc *filters.Document) store.Alert {
	a := renderAlert(group, f, feed, it, doc)
	payload, err := json.Marshal(a)
	if err != nil {
		panic(fmt.Sprintf("marshal alert: %v", err)) // plain structs always marshal
	}
	return store.Alert{
		Destination: group[0].sub.Destination, Subscription: group[0].sub.ID, FeedID: f.ID, ItemKey: it.Key,
		DedupeKeys: dedupeKeys(f.ID, it), Payload: payload, CreatedAt: it.Published,
	}
}
