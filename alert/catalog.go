package alert

import (
	"fmt"
	"slices"
	"time"

	"github.com/newshound/newshound/filters"
)

// Feed is one feed the service polls: from the config file, or from a
// Discord watch.
type Feed struct {
	ID   string // config name, or "watch:<hash of URL>"
	Name string // shown in alerts
	// Title is the config's title for people ("LA Times"): when set, it
	// names the feed's reports in alerts ({feed_title}, the "Also:"
	// list) instead of the title the feed gives itself, which may be a
	// section's ("California").
	Title    string
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

// Subscription is a query over feeds, delivered to one destination. A
// subscription with several destinations is several Subscriptions.
type Subscription struct {
	ID    string // unique in the catalog: "cfg:<name>", "watch:<id>", …
	Name  string // shown in alerts
	Query string
	// Feeds are the IDs of the feeds it watches. AllFileFeeds instead
	// watches every feed that is not FromDiscord (a config subscription
	// without a feeds: list), without listing them.
	Feeds        []string
	AllFileFeeds bool
	Destination  string
	Backfill     int           // newest matches posted on a feed's first sight
	MaxAge       time.Duration // older dated items are not posted; 0: no limit
	// StoryWindow is how long a story's first message takes further
	// reports of the story (see Stories); 0: every report is a message.
	StoryWindow time.Duration
	// ReportsAsMessages is for a destination that cannot edit what it
	// posted: each report of a story is a message of its own, as without
	// grouping (the same headline on two feeds is still posted once), but
	// named with its story (Alert.Story), so that the destination can
	// thread the story's messages.
	ReportsAsMessages bool
	// Updates: text added to an item already posted is matched alone and
	// shown under the story's message (see Catalog.Updates).
	Updates     bool
	Color       *int // nil: none given (see Alert.Color)
	MentionRole string
	// Format is how its alerts look at the destination; nil: the default.
	Format   *Format
	Delivery Delivery // when its alerts go out; the zero value is instant
}

// Catalog is an immutable snapshot of what the service watches: the feeds,
// the subscriptions and the one filters.Set they compile into. A change
// (a reload, a /watch command) builds a new Catalog.
type Catalog struct {
	feeds  map[string]*Feed
	order  []*Feed // feeds in the order given
	subs   map[string]*sub
	byFeed map[string][]*sub // explicit feed lists only
	all    []*sub            // AllFileFeeds subscriptions
	set    *filters.Set
	// updateFeeds are the feeds an explicit list of a subscription that
	// follows updates names; updatesAllFile says one follows every file
	// feed's (see FollowsUpdates).
	updateFeeds    map[string]bool
	updatesAllFile bool
}

// sub is a subscription with its place in the catalog, which orders the
// subscriptions named in one alert.
type sub struct {
	*Subscription
	rank int
}

// covers reports whether s watches f.
func (s *sub) covers(f *Feed, explicit map[string][]*sub) bool {
	if s.AllFileFeeds && !f.FromDiscord {
		return true
	}
	return slices.Contains(explicit[f.ID], s)
}

// Skipped is a subscription left out of a catalog because its query does
// not compile.
type Skipped struct {
	ID  string
	Err error
}

// NewCatalog compiles the subscriptions over the feeds with the named
// queries in defines. A subscription whose query does not compile is left
// out and returned in skipped (config queries are validated at load; a
// stored watch made under an older language must not stop the service).
func NewCatalog(defines map[string]string, feedList []Feed, subs []Subscription) (c *Catalog, skipped []Skipped) {
	c = &Catalog{
		feeds:       make(map[string]*Feed, len(feedList)),
		subs:        make(map[string]*sub, len(subs)),
		byFeed:      map[string][]*sub{},
		set:         filters.NewSet(defines),
		updateFeeds: map[string]bool{},
	}
	for i := range feedList {
		f := &feedList[i]
		if _, dup := c.feeds[f.ID]; dup {
			continue
		}
		c.feeds[f.ID] = f
		c.order = append(c.order, f)
	}
	for i := range subs {
		s := &sub{Subscription: &subs[i], rank: i}
		if _, dup := c.subs[s.ID]; dup {
			skipped = append(skipped, Skipped{s.ID, fmt.Errorf("subscription %q appears twice", s.ID)})
			continue
		}
		if err := c.set.Add(s.ID, s.Query); err != nil {
			skipped = append(skipped, Skipped{s.ID, err})
			continue
		}
		c.subs[s.ID] = s
		if s.AllFileFeeds {
			c.all = append(c.all, s)
			c.updatesAllFile = c.updatesAllFile || s.Updates
		}
		if s.Updates {
			for _, id := range s.Feeds {
				c.updateFeeds[id] = true
			}
		}
		for _, id := range s.Feeds {
			if !slices.Contains(c.byFeed[id], s) {
				c.byFeed[id] = append(c.byFeed[id], s)
			}
		}
	}
	return c, skipped
}

// PostsOlderThan reports whether a subscription of the feed posts dated
// items older than d: one with no max_age, or a longer one.
func (c *Catalog) PostsOlderThan(feedID string, d time.Duration) bool {
	f, ok := c.feeds[feedID]
	if !ok {
		return false
	}
	for _, list := range [][]*sub{c.byFeed[feedID], c.all} {
		for _, s := range list {
			if s.covers(f, c.byFeed) && (s.MaxAge == 0 || s.MaxAge > d) {
				return true
			}
		}
	}
	return false
}

// Feeds lists the catalog's feeds in the order they were given.
func (c *Catalog) Feeds() []*Feed { return c.order }

// Feed returns the feed with this ID.
func (c *Catalog) Feed(id string) (*Feed, bool) {
	f, ok := c.feeds[id]
	return f, ok
}

// Subscription returns the subscription with this ID.
func (c *Catalog) Subscription(id string) (*Subscription, bool) {
	s, ok := c.subs[id]
	if !ok {
		return nil, false
	}
	return s.Subscription, true
}

// SubscriptionIDs lists the subscriptions' IDs in the order given.
func (c *Catalog) SubscriptionIDs() []string {
	ids := make([]string, 0, len(c.subs))
	for id := range c.subs {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int { return c.subs[a].rank - c.subs[b].rank })
	return ids
}

// Watched reports whether any subscription watches the feed: an
// unwatched feed's items cannot alert.
func (c *Catalog) Watched(feedID string) bool {
	f, ok := c.feeds[feedID]
	if !ok {
		return false
	}
	return len(c.byFeed[feedID]) > 0 || (len(c.all) > 0 && !f.FromDiscord)
}
