package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
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
				s.pollFeed(ctx, f, true)
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
//
// With force false the feed is polled only if its stored next-poll time has
// come, which another instance sharing the store may have moved.
func (s *Service) pollFeed(ctx context.Context, f *feedSpec, force bool) {
	lease := "feed:" + f.ID
	if !s.claim(ctx, lease, s.cfg.Defaults.Timeout+time.Minute) {
		return // another instance is polling it
	}
	defer s.release(ctx, lease)
	now := s.now()
	st, err := s.store.FeedState(ctx, f.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		st = store.FeedState{FeedID: f.ID, URL: f.URL}
	case err != nil:
		s.log.Error("reading feed state", "feed", f.ID, "err", err)
		return
	}
	if st.Disabled || !force && st.NextPoll.After(now) {
		return
	}
	if st.URL == "" || !st.Initialized && st.URL != f.URL {
		st.URL = f.URL
	}
	sched := s.schedule(f)
	resp, feed, err := s.fetchAndParse(ctx, f, st)
	if ctx.Err() != nil {
		return // shutting down: the poll did not happen
	}
	st.LastPolled = now
	if err != nil {
		s.recordFailure(ctx, f, st, sched, err, now)
		return
	}
	s.noteRecovery(f, st)
	hist := feeds.PollHistory{ErrorCount: st.ErrorCount, FailingSince: st.FailingSince, LastChanged: st.LastChanged}
	st.ErrorCount, st.FailingSince, st.LastError = 0, time.Time{}, ""
	if resp.MovedTo != "" && resp.MovedTo != st.URL {
		s.log.Info("feed moved permanently; using the new URL from now on", "feed", f.ID, "from", st.URL, "to", resp.MovedTo)
		st.URL = resp.MovedTo
	}
	st.ETag, st.LastModified = resp.ETag, resp.LastModified
	outcome := feeds.Outcome{NotModified: resp.NotModified, CacheMaxAge: resp.MaxAge}
	if resp.NotModified {
		st.NextPoll = sched.Next(hist, outcome, now).Next
		s.saveState(ctx, st)
		return
	}
	s.remember(f.ID, feed)
	st.BodyHash = resp.BodyHash
	outcome.Changed, outcome.FeedMinInterval = true, feed.MinInterval
	st.LastChanged = now
	hist.LastChanged = now
	st.NextPoll = sched.Next(hist, outcome, now).Next
	if err := s.recordItems(ctx, f, st, feed, now); err != nil {
		s.log.Error("recording poll", "feed", f.ID, "err", err)
	}
}

func (s *Service) fetchAndParse(ctx context.Context, f *feedSpec, st store.FeedState) (*feeds.Response, *feeds.Feed, error) {
	fetcher := s.fetcher
	if f.FromDiscord {
		fetcher = s.watchFetcher
	}
	resp, err := fetcher.Fetch(ctx, feeds.Request{
		URL: st.URL, ETag: st.ETag, LastModified: st.LastModified, BodyHash: st.BodyHash,
		UserAgent: f.UserAgent, Headers: f.Headers, AllowFile: f.AllowFile,
	})
	if err != nil || resp.NotModified {
		return resp, nil, err
	}
	feed, err := s.parser.Parse(resp.Body, resp.ContentType, resp.URL, s.now())
	return resp, feed, err
}

func (s *Service) schedule(f *feedSpec) feeds.Schedule {
	d := s.cfg.Defaults
	interval := f.Interval
	if interval <= 0 {
		interval = d.Interval
	}
	return feeds.Schedule{Interval: interval, DisableAfter: d.DisableAfter}
}

// recordFailure logs a failing feed once (then only at debug level until it
// recovers), backs it off, and disables it when the schedule says so.
func (s *Service) recordFailure(ctx context.Context, f *feedSpec, st store.FeedState, sched feeds.Schedule, err error, now time.Time) {
	hist := feeds.PollHistory{ErrorCount: st.ErrorCount, FailingSince: st.FailingSince, LastChanged: st.LastChanged}
	dec := sched.Next(hist, feeds.Outcome{Err: err}, now)
	msg := err.Error()
	if st.ErrorCount == 0 || msg != st.LastError {
		s.log.Warn("feed failed", "feed", f.ID, "url", st.URL, "err", msg, "next_poll", dec.Next.Format(time.RFC3339))
	} else {
		s.log.Debug("feed still failing", "feed", f.ID, "err", msg)
	}
	if st.FailingSince.IsZero() {
		st.FailingSince = now
	}
	st.ErrorCount++
	st.LastError = msg
	st.NextPoll = dec.Next
	if dec.Disable {
		st.Disabled, st.DisabledReason = true, dec.Reason
		s.log.Error("feed disabled", "feed", f.ID, "url", st.URL, "reason", dec.Reason)
	}
	s.saveState(ctx, st)
}

func (s *Service) noteRecovery(f *feedSpec, st store.FeedState) {
	if st.ErrorCount > 0 {
		s.log.Info("feed recovered", "feed", f.ID, "after_errors", st.ErrorCount, "failing_since", st.FailingSince.Format(time.RFC3339))
	}
}

func (s *Service) saveState(ctx context.Context, st store.FeedState) {
	if err := s.store.SaveFeedState(ctx, st); err != nil {
		s.log.Error("saving feed state", "feed", st.FeedID, "err", err)
	}
}

// recordItems finds the items not seen before, matches them, and commits
// the poll. On a feed's first sight nothing is posted except each
// subscription's newest `backfill` matches.
func (s *Service) recordItems(ctx context.Context, f *feedSpec, st store.FeedState, feed *feeds.Feed, now time.Time) error {
	keys := make([]string, 0, len(feed.Items))
	for _, it := range feed.Items {
		keys = append(keys, it.Key)
	}
	unseen, err := s.store.UnseenKeys(ctx, f.ID, keys)
	if err != nil {
		return err
	}
	firstSight := !st.Initialized
	st.Initialized = true
	alerts := s.matchNew(f, feed, unseenItems(feed.Items, unseen), firstSight, now)
	n, err := s.store.CommitPoll(ctx, f.ID, store.Poll{State: st, Keys: keys, Alerts: alerts})
	if err != nil {
		return err
	}
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

// matchNew runs the filter set over new items and builds their alerts.
func (s *Service) matchNew(f *feedSpec, feed *feeds.Feed, items []feeds.Item, firstSight bool, now time.Time) []store.Alert {
	ss := s.currentSubs()
	applies := map[string]*subscription{}
	for _, sub := range ss.byFeed[f.ID] {
		applies[sub.ID] = sub
	}
	if len(applies) == 0 {
		return nil
	}
	type hit struct {
		item  *feeds.Item
		doc   *filters.Document
		match filters.Match
	}
	perSub := map[string][]hit{}
	for i := range items {
		it := &items[i]
		doc := documentOf(f, it)
		for _, m := range ss.set.Match(doc) {
			if sub := applies[m.ID]; sub != nil && fresh(it, sub.MaxAge, now) {
				perSub[m.ID] = append(perSub[m.ID], hit{it, doc, m})
			}
		}
	}
	var alerts []store.Alert
	for id, hits := range perSub {
		sub := applies[id]
		if firstSight {
			hits = newestN(hits, sub.Backfill, func(h hit) time.Time { return h.item.Published })
		}
		for _, h := range hits {
			alerts = append(alerts, s.alertFor(sub, f, feed, h.item, h.doc, h.match))
		}
	}
	sort.SliceStable(alerts, func(i, j int) bool { return alerts[i].CreatedAt.Before(alerts[j].CreatedAt) })
	return alerts
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

func (s *Service) alertFor(sub *subscription, f *feedSpec, feed *feeds.Feed, it *feeds.Item, doc *filters.Document, m filters.Match) store.Alert {
	a := renderAlert(sub, f, feed, it, doc, m)
	payload, err := json.Marshal(a)
	if err != nil {
		panic(fmt.Sprintf("marshal alert: %v", err)) // plain structs always marshal
	}
	return store.Alert{
		Destination: sub.Destination, Subscription: sub.ID, FeedID: f.ID, ItemKey: it.Key,
		DedupeKeys: dedupeKeys(f.ID, it), Payload: payload, CreatedAt: it.Published,
	}
}

// dedupeKeys name the story, so one story reaches a destination once
// however many feeds carry it or whatever GUID it comes under: its
// canonical link, and its headline when that is long enough to be
// specific.
func dedupeKeys(feedID string, it *feeds.Item) []string {
	keys := []string{"item:" + feedID + "/" + it.Key}
	if l := feeds.CanonicalLink(it.Link); l != "" {
		keys = append(keys, "link:"+l)
	}
	if t := headlineKey(it.Title); t != "" {
		keys = append(keys, "title:"+t)
	}
	return keys
}

// headlineKey is the normalized headline without a trailing " - Outlet"
// credit, or "" when it has fewer than five words (short headlines such as
// "Live updates" are not specific to one story).
func headlineKey(title string) string {
	toks := filters.Normalize(withoutCredit(title))
	if len(toks) < 5 {
		return ""
	}
	words := make([]string, 0, len(toks))
	for _, t := range toks {
		words = append(words, t.Text)
	}
	return strings.Join(words, " ")
}

// withoutCredit drops a trailing outlet credit such as " - Reuters" or
// " | BBC News" (at most three words), which differs between outlets that
// carry the same wire story.
func withoutCredit(title string) string {
	for _, sep := range []string{" - ", " | ", " – ", " — "} {
		i := strings.LastIndex(title, sep)
		if i > 0 && len(strings.Fields(title[i+len(sep):])) <= 3 {
			return title[:i]
		}
	}
	return title
}
