package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/filters"
	"github.com/newshound/newshound/store"
)

// feedSpec is one feed the service polls: from the config file, or from a
// Discord watch.
type feedSpec struct {
	ID       string // config name, or "watch:<hash of URL>"
	Name     string // shown in alerts
	URL      string
	Interval time.Duration
	// OwnInterval: the feed's interval was asked for explicitly, so the
	// feed's own hints do not stretch it.
	OwnInterval bool
	UserAgent   string
	Headers     map[string]string
	AllowFile   bool // file:// only for feeds from the config file
	// FromDiscord marks a feed a Discord user added: it is always fetched
	// through the SSRF guard, whatever allow_private_networks says.
	FromDiscord bool
}

// subscription is a compiled query bound to feeds and a destination.
type subscription struct {
	ID          string // "cfg:<name>" or "watch:<id>"
	Name        string
	Query       string
	Feeds       map[string]bool // feed IDs it watches
	Destination string
	Backfill    int
	MaxAge      time.Duration
	Color       int
	MentionRole string
}

// subscriptions is an immutable snapshot: the feeds to poll, the
// subscriptions, and the one filters.Set they compile into.
type subscriptions struct {
	cfg    *config.Config // the config the snapshot was built from
	feeds  map[string]*feedSpec
	order  []string // feed IDs in config order, then watches
	subs   map[string]*subscription
	byFeed map[string][]*subscription
	set    *filters.Set
}

func (ss *subscriptions) feedList() []*feedSpec {
	out := make([]*feedSpec, 0, len(ss.order))
	for _, id := range ss.order {
		out = append(out, ss.feeds[id])
	}
	return out
}

// watchFeedID names the feed behind a Discord watch. Watches on one URL
// share one feed, so it is polled once however many channels watch it.
func watchFeedID(feedURL string) string {
	sum := sha256.Sum256([]byte(feedURL))
	return "watch:" + hex.EncodeToString(sum[:8])
}

// channelDestination names the destination of a Discord watch.
func channelDestination(channelID string) string { return "channel:" + channelID }

func (s *Service) currentSubs() *subscriptions {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.subs
}

// reloadSubscriptions rebuilds the snapshot from the current config's
// feeds, subscriptions and defines and the stored watches, and swaps it in.
func (s *Service) reloadSubscriptions(ctx context.Context) error {
	return s.rebuild(ctx, nil)
}

// rebuild makes a new snapshot from cfg (nil: the current one) and the
// stored watches. Rebuilds are serialized so that a /watch change and a
// config reload cannot undo each other.
func (s *Service) rebuild(ctx context.Context, cfg *config.Config) error {
	s.rebuildMu.Lock()
	defer s.rebuildMu.Unlock()
	if cfg == nil {
		cfg = s.cfg
		if cur := s.currentSubs(); cur != nil {
			cfg = cur.cfg
		}
	}
	watches, err := s.store.Watches(ctx)
	if err != nil {
		return fmt.Errorf("loading watches: %w", err)
	}
	ss, err := buildSubscriptions(cfg, watches)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.subs = ss
	s.mu.Unlock()
	return nil
}

// Reload applies a changed config file while running: feeds,
// subscriptions and defines take effect at once (a new feed's first poll
// remembers its backlog, as at start-up). Any other change (store,
// defaults, Discord, destinations) needs a restart and is refused, so the
// running service keeps its old config whole.
func (s *Service) Reload(ctx context.Context, cfg *config.Config) error {
	if !sameSettings(s.cfg, cfg) {
		return errors.New("store, defaults, discord or destinations changed: restart newshound to apply them")
	}
	if err := s.rebuild(ctx, cfg); err != nil {
		return err
	}
	s.log.Info("config reloaded", "feeds", len(cfg.Feeds), "subscriptions", len(cfg.Subscriptions))
	return nil
}

// sameSettings compares everything but the reloadable feeds,
// subscriptions and defines (and where they sit in the file).
func sameSettings(a, b *config.Config) bool {
	return reflect.DeepEqual(a.Store, b.Store) && reflect.DeepEqual(a.Defaults, b.Defaults) &&
		reflect.DeepEqual(a.Discord, b.Discord) && slices.EqualFunc(a.Destinations, b.Destinations,
		func(x, y config.Destination) bool { x.Line, y.Line = 0, 0; return reflect.DeepEqual(x, y) })
}

func buildSubscriptions(cfg *config.Config, watches []store.Watch) (*subscriptions, error) {
	ss := &subscriptions{
		cfg:    cfg,
		feeds:  map[string]*feedSpec{},
		subs:   map[string]*subscription{},
		byFeed: map[string][]*subscription{},
		set:    filters.NewSet(cfg.Define),
	}
	for _, f := range cfg.Feeds {
		ss.addFeed(&feedSpec{
			ID: f.Name, Name: f.Name, URL: f.URL, Interval: f.Interval, OwnInterval: f.OwnInterval,
			UserAgent: f.UserAgent, Headers: f.Headers, AllowFile: true,
		})
	}
	for _, c := range cfg.Subscriptions {
		sub := &subscription{
			ID: "cfg:" + c.Name, Name: c.Name, Query: c.Query, Feeds: map[string]bool{},
			Destination: c.Destination, Backfill: c.Backfill, MaxAge: c.MaxAge,
			Color: c.Color, MentionRole: c.MentionRole,
		}
		names := c.Feeds
		if len(names) == 0 {
			for _, f := range cfg.Feeds {
				names = append(names, f.Name)
			}
		}
		for _, n := range names {
			sub.Feeds[n] = true
		}
		if err := ss.addSub(sub); err != nil {
			return nil, fmt.Errorf("subscription %q: %w", c.Name, err)
		}
	}
	for _, w := range watches {
		if w.Paused {
			continue
		}
		id := watchFeedID(w.FeedURL)
		if _, ok := ss.feeds[id]; !ok {
			ss.addFeed(&feedSpec{ID: id, Name: hostOf(w.FeedURL), URL: w.FeedURL, Interval: cfg.Defaults.Interval, FromDiscord: true})
		}
		sub := &subscription{
			ID: "watch:" + strconv.FormatInt(w.ID, 10), Name: fmt.Sprintf("watch %d", w.ID),
			Query: w.Query, Feeds: map[string]bool{id: true},
			Destination: channelDestination(w.ChannelID), MaxAge: cfg.Defaults.MaxAge,
		}
		if err := ss.addSub(sub); err != nil {
			// A stored watch was validated when created; a later change of
			// the language must not stop the service. It is skipped.
			continue
		}
	}
	return ss, nil
}

func (ss *subscriptions) addFeed(f *feedSpec) {
	ss.feeds[f.ID] = f
	ss.order = append(ss.order, f.ID)
}

func (ss *subscriptions) addSub(sub *subscription) error {
	if err := ss.set.Add(sub.ID, sub.Query); err != nil {
		return err
	}
	ss.subs[sub.ID] = sub
	for id := range sub.Feeds {
		ss.byFeed[id] = append(ss.byFeed[id], sub)
	}
	return nil
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return u.Host
}
