package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/statelog"
	"github.com/newshound/newshound/store"
)

// live is the one live configuration of a running service: the reloadable
// part of the config file and the stored Discord watches, compiled into an
// alert.Catalog. It is swapped whole when either changes.
type live struct {
	store store.Store
	// watchDefaults are the file's defaults that Discord watches take:
	// they need a restart to change, so they are not part of a reload.
	watchInterval, watchMaxAge, watchStoryWindow time.Duration
	// editable says whether a destination can edit what it posted: only
	// then are further reports of a story listed under its message;
	// elsewhere each is posted, named with its story (see
	// alert.Subscription.ReportsAsMessages).
	editable func(destination string) bool
	log      *slog.Logger

	rebuildMu sync.Mutex // a /watch change and a reload must not undo each other
	cur       atomic.Pointer[snapshot]
	changed   chan struct{} // poked after each swap
	// watchesChanged, when set, is called after a rebuild that took in a
	// change of the watches (by this instance or another).
	watchesChanged func(ctx context.Context)

	// checkEvery is how often refresh asks the store whether the watches
	// changed; checked is when it last did (by this process's clock).
	checkEvery time.Duration
	checkMu    sync.Mutex
	checked    time.Time
	errs       *statelog.Log
}

// watchesCheck is how often a running service asks the store whether
// the watches changed under it (another instance's /watch command): one
// row read, so that every instance takes a change in within seconds.
const watchesCheck = 5 * time.Second

// snapshot is one version of the live configuration.
type snapshot struct {
	cfg     config.Live
	catalog *alert.Catalog
	// watchesVersion is the store's version of the watches read;
	// watched the destinations the watches name, paused or not.
	watchesVersion int64
	watched        map[string]bool
	// watches are the watches not paused the catalog was built from, by
	// feed (WatchFeedID): a poll of a watch's feed tells its commit which
	// it matched under (store.Poll.Watches).
	watches map[string][]store.Watch
	// reloads counts the config loads behind it (the start's is 1): a
	// rebuild for the watches alone keeps the count, so that the poll loop
	// retries disabled feeds at a config reload only.
	reloads int
}

func newLive(ctx context.Context, st store.Store, cfg *config.Config, editable func(string) bool, log *slog.Logger) (*live, error) {
	l := &live{store: st, editable: editable, watchInterval: cfg.Defaults.Interval, watchMaxAge: cfg.Defaults.MaxAge, watchStoryWindow: cfg.Defaults.StoryWindow,
		log: log, changed: make(chan struct{}, 1), checkEvery: watchesCheck, errs: statelog.New(log)}
	if err := l.rebuild(ctx, &cfg.Live); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *live) now() *snapshot { return l.cur.Load() }

func (l *live) catalog() *alert.Catalog { return l.cur.Load().catalog }

// rebuild compiles cfg (nil: the current one) with the stored watches and
// swaps the result in.
func (l *live) rebuild(ctx context.Context, cfg *config.Live) error {
	changed, err := l.swap(ctx, cfg)
	if changed && l.watchesChanged != nil {
		l.watchesChanged(ctx)
	}
	return err
}

// refresh rebuilds the catalog when the store's watches changed since it
// was built (another instance's /watch command), asking at most every
// checkEvery; a failure to ask is logged once per change of state, and
// asked again at the next check.
func (l *live) refresh(ctx context.Context) {
	l.checkMu.Lock()
	if time.Since(l.checked) < l.checkEvery {
		l.checkMu.Unlock()
		return
	}
	l.checked = time.Now()
	l.checkMu.Unlock()
	v, err := l.store.WatchesVersion(ctx)
	if err == nil && v != l.cur.Load().watchesVersion {
		err = l.rebuild(ctx, nil)
	}
	if err != nil {
		if ctx.Err() == nil {
			l.errs.Fail("watches", "reading the watches failed; /watch changes of other instances wait for the next check", err, "check_every", l.checkEvery)
		}
		return
	}
	l.errs.OK("watches", "reading the watches works again")
}

// swap compiles and swaps in the catalog, and reports whether the watches
// it read differ from the last catalog's (a new version).
func (l *live) swap(ctx context.Context, cfg *config.Live) (watchesChanged bool, err error) {
	l.rebuildMu.Lock()
	defer l.rebuildMu.Unlock()
	prev := l.cur.Load()
	reloads := 0
	if prev != nil {
		reloads = prev.reloads
	}
	if cfg == nil {
		cfg = &prev.cfg
	} else {
		reloads++
	}
	// The version is read before the watches: a change between the two
	// reads is taken in again at the next check.
	version, err := l.store.WatchesVersion(ctx)
	if err != nil {
		return false, fmt.Errorf("loading watches: %w", err)
	}
	watches, err := l.store.Watches(ctx)
	if err != nil {
		return false, fmt.Errorf("loading watches: %w", err)
	}
	watched := map[string]bool{}
	live := map[string][]store.Watch{}
	for _, w := range watches {
		watched[watchDestination(w)] = true
		if !w.Paused {
			live[WatchFeedID(w.FeedURL)] = append(live[WatchFeedID(w.FeedURL)], w)
		}
	}
	feedList, subs := l.catalogEntries(cfg, watches)
	for i := range subs {
		// Where a message cannot be edited, a further report of a story
		// cannot be listed under it: it is posted, named with its story.
		if !l.editable(subs[i].Destination) {
			subs[i].ReportsAsMessages = true
		}
	}
	catalog, skipped := alert.NewCatalog(cfg.Define, feedList, subs)
	for _, s := range skipped {
		// Config queries were validated at load; a stored watch made under
		// an older query language must not stop the service.
		l.log.Warn("subscription skipped: its query does not compile", "subscription", s.ID, "err", s.Err)
	}
	l.cur.Store(&snapshot{cfg: *cfg, catalog: catalog, watchesVersion: version, watched: watched, watches: live, reloads: reloads})
	select {
	case l.changed <- struct{}{}:
	default:
	}
	return prev != nil && prev.watchesVersion != version, nil
}

// catalogEntries turns the config's feeds and subscriptions and the active
// watches into the alerting core's terms.
func (l *live) catalogEntries(cfg *config.Live, watches []store.Watch) ([]alert.Feed, []alert.Subscription) {
	var feedList []alert.Feed
	var subs []alert.Subscription
	for _, f := range cfg.Feeds {
		feedList = append(feedList, alert.Feed{
			ID: f.Name, Name: f.Name, Title: f.Title, URL: f.URL, Interval: f.Interval, OwnInterval: f.OwnInterval,
			UserAgent: f.UserAgent, Headers: f.Headers, AllowFile: true,
		})
	}
	for _, c := range cfg.Subscriptions {
		subs = append(subs, configSubscriptions(c)...)
	}
	seen := map[string]bool{}
	for _, w := range watches {
		if w.Paused {
			continue
		}
		id := WatchFeedID(w.FeedURL)
		if !seen[id] {
			seen[id] = true
			feedList = append(feedList, *l.watchFeed(w.FeedURL))
		}
		subs = append(subs, alert.Subscription{
			ID: store.WatchSubscription(w.ID), Name: fmt.Sprintf("watch %d", w.ID), Query: w.Query,
			Feeds: []string{id}, Destination: watchDestination(w), MaxAge: l.watchMaxAge, MentionRole: w.MentionRole,
			StoryWindow: l.watchStoryWindow,
		})
	}
	return feedList, subs
}

func configSubID(name string) string { return "cfg:" + name }

// watchFeed is the feed behind the Discord watches of one URL.
func (l *live) watchFeed(feedURL string) *alert.Feed {
	return &alert.Feed{ID: WatchFeedID(feedURL), Name: hostOf(feedURL), URL: feedURL, Interval: l.watchInterval, FromDiscord: true}
}

// configSubscriptions is a config subscription in the alerting core's
// terms: one Subscription per destination, so each destination gets its
// own alert in its own outbox order. The first keeps the plain ID, so
// adding a second destination leaves the first one's alerts as they were.
func configSubscriptions(c config.Subscription) []alert.Subscription {
	targets := c.Targets
	if len(targets) == 0 { // built by hand, not loaded: the default look
		targets = []config.Target{{Destination: c.Destination}}
	}
	out := make([]alert.Subscription, 0, len(targets))
	for i, t := range targets {
		id := configSubID(c.Name)
		if i > 0 {
			id += "@" + t.Destination
		}
		s := alert.Subscription{
			ID: id, Name: c.Name, Query: c.Query, Feeds: c.Feeds, AllFileFeeds: len(c.Feeds) == 0,
			Destination: t.Destination, Backfill: c.Backfill, MaxAge: c.MaxAge, Color: c.Color, MentionRole: c.MentionRole,
			StoryWindow: c.StoryWindow, Updates: c.Updates,
			Delivery: deliveryOf(c.Delivery),
		}
		if t.Format != (config.Format{}) { // formats are Discord's
			format := alert.Format(t.Format)
			s.Format, s.Color = &format, t.Format.Color
		}
		out = append(out, s)
	}
	return out
}

// WatchFeedID names the feed behind a Discord watch. Watches on one URL
// share one feed, so it is polled once however many channels watch it.
func WatchFeedID(feedURL string) string {
	sum := sha256.Sum256([]byte(feedURL))
	return watchFeedPrefix + hex.EncodeToString(sum[:8])
}

// watchFeedPrefix begins the ID of every feed behind Discord watches.
const watchFeedPrefix = "watch:"

// isWatchFeed says whether feedID is the feed behind Discord watches
// rather than a feed of the config file.
func isWatchFeed(feedID string) bool { return strings.HasPrefix(feedID, watchFeedPrefix) }

// channelDestination names the destination of a watch on a text or news
// channel or a thread.
func channelDestination(channelID string) string { return "channel:" + channelID }

// watchDestination names a watch's destination: its channel, or its forum
// (where each alert opens a post).
func watchDestination(w store.Watch) string {
	if w.Forum {
		return "forum:" + w.ChannelID
	}
	return channelDestination(w.ChannelID)
}

// isWatchDestination says whether dest is a watch's channel or forum
// rather than a destination of the config file.
func isWatchDestination(dest string) bool {
	return strings.HasPrefix(dest, "channel:") || strings.HasPrefix(dest, "forum:")
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return u.Host
}
