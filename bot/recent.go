package bot

import (
	"sync"
	"time"

	"github.com/newshound/newshound/feeds"
)

// recentWindow is how far back /watch test looks.
const recentWindow = 24 * time.Hour

// recentFeeds keeps the last day's items of each feed, as last parsed, for
// /watch test. A nil *recentFeeds keeps nothing (no slash commands).
type recentFeeds struct {
	mu    sync.RWMutex
	feeds map[string]*feeds.Feed
}

func newRecentFeeds() *recentFeeds { return &recentFeeds{feeds: map[string]*feeds.Feed{}} }

// keep stores the feed's items published within recentWindow of now.
func (r *recentFeeds) keep(feedID string, feed *feeds.Feed, now time.Time) {
	if r == nil || feed == nil {
		return
	}
	since := now.Add(-recentWindow)
	recent := *feed
	recent.Items = nil
	for _, it := range feed.Items {
		if !it.Published.Before(since) {
			recent.Items = append(recent.Items, it)
		}
	}
	feeds.FillText(recent.Items) // /watch test matches summaries too
	r.mu.Lock()
	defer r.mu.Unlock()
	r.feeds[feedID] = &recent
}

// get returns the last kept copy of a feed, or nil.
func (r *recentFeeds) get(feedID string) *feeds.Feed {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.feeds[feedID]
}
