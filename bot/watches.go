package bot

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/newshound/newshound/bot/discord"
	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/filters"
	"github.com/newshound/newshound/store"
)

// watches implements discord.Watches over the store: /watch commands
// create, list, pause and remove watches, and try queries on recent items.
type watches struct{ s *Service }

var _ discord.Watches = watches{}

// recentWindow is how far back /watch test looks.
const recentWindow = 24 * time.Hour

// Add checks the feed (fetched once through the SSRF guard; file:// is
// refused) and the query, then stores the watch. Items already in the feed
// are not posted: the feed's first poll remembers them.
func (w watches) Add(ctx context.Context, req discord.AddRequest) (discord.WatchInfo, error) {
	u, err := url.Parse(req.FeedURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return discord.WatchInfo{}, fmt.Errorf("feed: %q is not an http(s) URL", req.FeedURL)
	}
	set := filters.NewSet(w.s.currentSubs().cfg.Define)
	if err := set.Add("new", req.Query); err != nil {
		return discord.WatchInfo{}, queryError(req.Query, err)
	}
	feed, err := w.s.fetchForWatch(ctx, req.FeedURL)
	if err != nil {
		return discord.WatchInfo{}, fmt.Errorf("feed: %w", err)
	}
	feedID := watchFeedID(req.FeedURL)
	wasPolled := w.s.currentSubs().feeds[feedID] != nil
	saved, err := w.s.store.AddWatch(ctx, store.Watch{
		GuildID: req.GuildID, ChannelID: req.ChannelID, FeedURL: req.FeedURL,
		Query: req.Query, CreatedBy: req.UserID, CreatedAt: w.s.now(),
	})
	if err != nil {
		return discord.WatchInfo{}, err
	}
	if err := w.s.reloadSubscriptions(ctx); err != nil {
		return discord.WatchInfo{}, err
	}
	w.s.remember(feedID, feed)
	if !wasPolled {
		if err := w.s.catchUp(ctx, feedID, feed); err != nil {
			w.s.log.Error("recording a new watch's feed", "feed", req.FeedURL, "err", err)
		}
	}
	w.s.log.Info("watch added", "watch", saved.ID, "guild", req.GuildID, "channel", req.ChannelID, "feed", req.FeedURL, "by", req.UserID)
	info := watchInfo(saved)
	info.FeedTitle = feed.Title
	return info, nil
}

// List shows the guild's watches and, read-only, the config file's
// subscriptions.
func (w watches) List(ctx context.Context, guildID string) ([]discord.WatchInfo, error) {
	var out []discord.WatchInfo
	for _, c := range w.s.currentSubs().cfg.Subscriptions {
		feedsOf := "all feeds"
		if len(c.Feeds) > 0 {
			feedsOf = strings.Join(c.Feeds, ", ")
		}
		reason, paused := w.s.destinationPaused(c.Destination)
		out = append(out, discord.WatchInfo{Name: c.Name, Query: c.Query, FeedTitle: feedsOf, ReadOnly: true, Paused: paused, PausedReason: reason})
	}
	ws, err := w.s.store.Watches(ctx)
	if err != nil {
		return nil, err
	}
	for _, x := range ws {
		if x.GuildID == guildID {
			out = append(out, watchInfo(x))
		}
	}
	return out, nil
}

func (w watches) Remove(ctx context.Context, guildID string, id int64) error {
	if _, err := w.find(ctx, guildID, id); err != nil {
		return err
	}
	if err := w.s.store.RemoveWatch(ctx, id); err != nil {
		return err
	}
	return w.s.reloadSubscriptions(ctx)
}

// SetPaused pauses or resumes a watch. Resuming also lifts a pause of its
// channel after a delivery failure, so a fixed permission takes effect.
func (w watches) SetPaused(ctx context.Context, guildID string, id int64, paused bool) error {
	x, err := w.find(ctx, guildID, id)
	if err != nil {
		return err
	}
	reason := ""
	if paused {
		reason = "paused by a moderator"
	}
	feedID := watchFeedID(x.FeedURL)
	wasPolled := w.s.currentSubs().feeds[feedID] != nil
	if err := w.s.store.SetWatchPaused(ctx, id, paused, reason); err != nil {
		return err
	}
	if !paused {
		w.s.mu.Lock()
		delete(w.s.paused, channelDestination(x.ChannelID))
		w.s.mu.Unlock()
	}
	if err := w.s.reloadSubscriptions(ctx); err != nil {
		return err
	}
	if !paused && !wasPolled {
		// What the feed published while nobody polled it is not news now.
		if feed, err := w.s.fetchForWatch(ctx, x.FeedURL); err == nil {
			err = w.s.catchUp(ctx, feedID, feed)
			if err != nil {
				w.s.log.Error("catching up a resumed watch's feed", "feed", x.FeedURL, "err", err)
			}
		}
	}
	return nil
}

// Test matches query against the last 24 hours of the feeds the guild
// watches (and the config file's feeds), newest first.
func (w watches) Test(ctx context.Context, guildID, channelID, query string) ([]discord.TestHit, error) {
	set := filters.NewSet(w.s.currentSubs().cfg.Define)
	if err := set.Add("test", query); err != nil {
		return nil, queryError(query, err)
	}
	ws, err := w.s.store.Watches(ctx)
	if err != nil {
		return nil, err
	}
	ss := w.s.currentSubs()
	var specs []*feedSpec
	for _, id := range ss.order {
		f := ss.feeds[id]
		if f.AllowFile || slices.ContainsFunc(ws, func(x store.Watch) bool { return x.GuildID == guildID && watchFeedID(x.FeedURL) == id }) {
			specs = append(specs, f)
		}
	}
	since := w.s.now().Add(-recentWindow)
	sub := &subscription{ID: "test", Name: "test"}
	var hits []discord.TestHit
	for _, f := range specs {
		feed := w.s.recentFeed(ctx, f)
		if feed == nil {
			continue
		}
		for i := range feed.Items {
			it := &feed.Items[i]
			if it.Published.Before(since) {
				continue
			}
			doc := documentOf(f, it)
			for _, m := range set.Match(doc) {
				a := renderAlert([]matched{{sub, m}}, f, feed, it, doc)
				hits = append(hits, discord.TestHit{Feed: f.Name, Title: it.Title, Link: it.Link, Published: it.Published, Matched: a.Matched})
			}
		}
	}
	slices.SortStableFunc(hits, func(a, b discord.TestHit) int { return b.Published.Compare(a.Published) })
	return hits, nil
}

func (w watches) find(ctx context.Context, guildID string, id int64) (store.Watch, error) {
	ws, err := w.s.store.Watches(ctx)
	if err != nil {
		return store.Watch{}, err
	}
	for _, x := range ws {
		if x.ID == id && x.GuildID == guildID {
			return x, nil
		}
	}
	return store.Watch{}, fmt.Errorf("no watch %d in this server (see /watch list)", id)
}

func watchInfo(x store.Watch) discord.WatchInfo {
	return discord.WatchInfo{
		ID: x.ID, GuildID: x.GuildID, ChannelID: x.ChannelID, FeedURL: x.FeedURL,
		Query: x.Query, Paused: x.Paused, PausedReason: x.PauseReason,
	}
}

// fetchForWatch fetches and parses a feed a Discord user asked for,
// always through the SSRF guard and never from a file.
func (s *Service) fetchForWatch(ctx context.Context, feedURL string) (*feeds.Feed, error) {
	resp, err := s.watchFetcher.Fetch(ctx, feeds.Request{URL: feedURL})
	var fe *feeds.Error
	if errors.As(err, &fe) && fe.Kind == feeds.Blocked {
		return nil, errors.New("that address is not allowed: feeds added from Discord may not point at private, loopback or cloud-metadata addresses")
	}
	if err != nil {
		return nil, err
	}
	feed, err := s.parser.Parse(resp.Body, resp.ContentType, resp.URL, s.now())
	if errors.As(err, &fe) && fe.Kind == feeds.NotAFeed && len(fe.Alternates) > 0 {
		return nil, fmt.Errorf("that is a web page, not a feed; it links to these feeds: %v — watch one of them", fe.Alternates)
	}
	return feed, err
}

// remember keeps the last day's items of each feed for /watch test, when
// the slash commands are on; otherwise nothing is kept.
func (s *Service) remember(feedID string, feed *feeds.Feed) {
	if feed == nil || s.discord == nil || !s.cfg.Discord.Commands {
		return
	}
	since := s.now().Add(-recentWindow)
	recent := *feed
	recent.Items = nil
	for _, it := range feed.Items {
		if !it.Published.Before(since) {
			recent.Items = append(recent.Items, it)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recent[feedID] = &recent
}

// recentFeed is the last parsed copy of a feed, fetched now if the service
// has not parsed it since it started. A feed that fails is skipped.
func (s *Service) recentFeed(ctx context.Context, f *feedSpec) *feeds.Feed {
	s.mu.RLock()
	feed := s.recent[f.ID]
	s.mu.RUnlock()
	if feed != nil {
		return feed
	}
	_, feed, err := s.fetchAndParse(ctx, f, store.FeedState{URL: f.URL})
	if err != nil || feed == nil {
		return nil
	}
	s.remember(f.ID, feed)
	return feed
}

// catchUp records the items a feed has now as seen, without alerts. It is
// used when a watch starts (added, re-added after removal, resumed) on a
// feed that no active watch was polling, so that exactly the items that
// appear afterwards are posted, not what piled up meanwhile.
func (s *Service) catchUp(ctx context.Context, feedID string, feed *feeds.Feed) error {
	f := s.currentSubs().feeds[feedID]
	if f == nil {
		return nil
	}
	st, ok := s.loadState(ctx, f)
	if !ok {
		return fmt.Errorf("reading the state of %s", feedID)
	}
	now := s.now()
	st.LastPolled = now
	st.Initialized = false // a first sight: remembered, not posted
	return s.recordItems(ctx, f, st, feed, 0, now)
}
