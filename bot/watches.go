package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/discord"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/filters"
	"github.com/newshound/newshound/internal/redact"
	"github.com/newshound/newshound/store"
)

// watches implements discord.Watches over the store: /watch commands
// create, list, pause and remove watches, and try queries on recent items.
type watches struct {
	store  store.Store
	live   *live
	poller *poller // fetches through the guard, records a new watch's backlog
	sender *sender // a resumed watch lifts its channel's pause
	recent *recentFeeds
	// destinations are the config file's, to show where a config
	// subscription's alerts go.
	destinations []config.Destination
	log          *slog.Logger
	now          func() time.Time
}

var _ discord.Watches = (*watches)(nil)

// Add checks the feed (fetched once through the SSRF guard; file:// is
// refused) and the query, then stores the watch. A web page that links to
// one feed watches that feed (WatchInfo.FoundOn says so); one that links to
// several answers *discord.FeedChoices. Items already in the feed are not
// posted: the feed's first poll remembers them.
func (w *watches) Add(ctx context.Context, req discord.AddRequest) (discord.WatchInfo, error) {
	u, err := url.Parse(req.FeedURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return discord.WatchInfo{}, fmt.Errorf("feed: %q is not an http(s) URL", redact.URL(req.FeedURL)) // logged too
	}
	if err := filters.NewSet(w.live.now().cfg.Define).Add("new", req.Query); err != nil {
		return discord.WatchInfo{}, QueryError(err)
	}
	feedURL, feed, foundOn, err := w.resolveFeed(ctx, req.FeedURL)
	if err != nil {
		return discord.WatchInfo{}, fmt.Errorf("feed: %w", err)
	}
	feedID := WatchFeedID(feedURL)
	// From the catch-up to the watch's save, the poller must not forget
	// the feed as one no watch names. The lock also keeps two adds of one
	// watch (a retried command) from both finding no twin.
	w.poller.removals.watchFeeds.Lock()
	if err := w.refuseTwin(ctx, store.Watch{GuildID: req.GuildID, ChannelID: req.ChannelID, FeedURL: feedURL, Query: req.Query}); err != nil {
		w.poller.removals.watchFeeds.Unlock()
		return discord.WatchInfo{}, err
	}
	if polled, err := w.polled(ctx, feedID, 0); err != nil {
		w.poller.removals.watchFeeds.Unlock()
		return discord.WatchInfo{}, err
	} else if !polled {
		// Before the catalog names the feed (and wakes the poll loop):
		// what it has now is remembered, not posted.
		if err := w.poller.catchUp(ctx, w.live.watchFeed(feedURL), feed); err != nil {
			w.log.Error("recording a new watch's feed", "feed", redact.URL(feedURL), "err", err)
		}
	}
	saved, err := w.store.AddWatch(ctx, store.Watch{
		GuildID: req.GuildID, ChannelID: req.ChannelID, Forum: req.Forum, FeedURL: feedURL,
		Query: req.Query, CreatedBy: req.UserID, CreatedAt: w.now(),
	})
	w.poller.removals.watchFeeds.Unlock()
	if err != nil {
		return discord.WatchInfo{}, err
	}
	w.takeIn(ctx, "add", saved.ID)
	w.recent.keep(feedID, feed, w.now())
	attrs := []any{"watch", saved.ID, "guild", req.GuildID, "channel", req.ChannelID, "feed", redact.URL(feedURL), "by", req.UserID}
	if foundOn != "" {
		attrs = append(attrs, "found_on", redact.URL(foundOn))
	}
	w.log.Info("watch added", attrs...)
	info := watchInfo(saved)
	info.FeedTitle, info.FoundOn, info.Hints = feed.Title, foundOn, queryHints(req.Query)
	return info, nil
}

// refuseTwin refuses watch c (new, or as an edit would leave it) when
// another watch of the server does what it would: the same feed, the same
// channel, and a query that prints the same ("a b" is "a AND b"). Its
// alerts would be posted once anyway (the outbox takes an item once per
// channel); the second watch would only be one more to list, pause and
// remove.
func (w *watches) refuseTwin(ctx context.Context, c store.Watch) error {
	existing, err := w.store.Watches(ctx)
	if err != nil {
		return err
	}
	defines := w.live.now().cfg.Define
	query := printedQuery(c.Query, defines)
	for _, x := range existing {
		if x.ID == c.ID || x.GuildID != c.GuildID || x.ChannelID != c.ChannelID || x.FeedURL != c.FeedURL || printedQuery(x.Query, defines) != query {
			continue
		}
		paused := ""
		if x.Paused {
			paused = fmt.Sprintf(", paused (/watch resume id:%d)", x.ID)
		}
		return fmt.Errorf("watch #%d already sends that query on that feed to <#%s>%s", x.ID, x.ChannelID, paused)
	}
	return nil
}

func ptrValue(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// printedQuery is query as the parser prints it, so that two spellings of
// one query compare equal; a query that no longer parses is itself.
func printedQuery(query string, defines map[string]string) string {
	q, err := filters.Parse(query, defines)
	if err != nil {
		return strings.TrimSpace(query)
	}
	return q.String()
}

// resolveFeed reads what a user gave /watch add: a feed is itself; a web
// page that links to exactly one feed gives that feed (and foundOn, the
// page); one that links to several gives *discord.FeedChoices. The feeds
// a page announces count; its <a href> feed links only when it announces
// none that works. Everything is fetched through the SSRF guard.
func (w *watches) resolveFeed(ctx context.Context, raw string) (feedURL string, feed *feeds.Feed, foundOn string, err error) {
	found, err := feeds.Find(ctx, w.poller.watchFetcher, w.poller.parser, feeds.Request{URL: raw}, w.now(), feeds.AnnouncedFirst)
	if err != nil {
		return "", nil, "", watchFetchError(raw, err)
	}
	if found.Feed != nil {
		return raw, found.Feed, "", nil
	}
	switch len(found.Links) {
	case 0:
		return "", nil, "", fmt.Errorf("%s is a web page without feeds: it neither announces one (<link rel=\"alternate\">) nor links to one; give the address of the feed itself", redact.URL(raw))
	case 1:
		return found.Links[0].URL, found.Links[0].Feed, raw, nil
	}
	choices := &discord.FeedChoices{Page: raw}
	for _, l := range found.Links {
		choices.Feeds = append(choices.Feeds, discord.FeedChoice{Title: l.Title(), URL: l.URL})
	}
	return "", nil, "", choices
}

// Edit changes what the request sets of a watch in this guild: a new query
// is checked first, as /watch add checks it.
func (w *watches) Edit(ctx context.Context, req discord.EditRequest) (discord.WatchInfo, error) {
	cur, err := w.find(ctx, req.GuildID, req.ID)
	if err != nil {
		return discord.WatchInfo{}, err
	}
	if req.Query != nil {
		if err := filters.NewSet(w.live.now().cfg.Define).Add("edit", *req.Query); err != nil {
			return discord.WatchInfo{}, QueryError(err)
		}
	}
	unlock := func() {}
	if req.Query != nil || req.ChannelID != nil {
		// As Add, under the lock until the write, so that two edits, or an
		// edit and an add, cannot make twins.
		w.poller.removals.watchFeeds.Lock()
		unlock = w.poller.removals.watchFeeds.Unlock
		edited := cur
		edited.Query, edited.ChannelID = cmp.Or(ptrValue(req.Query), cur.Query), cmp.Or(ptrValue(req.ChannelID), cur.ChannelID)
		if err := w.refuseTwin(ctx, edited); err != nil {
			unlock()
			return discord.WatchInfo{}, err
		}
	}
	// Only what the request sets is written: another member's edit of the
	// watch's other fields, made meanwhile, stays.
	x, err := w.store.UpdateWatch(ctx, req.ID, store.WatchChange{Query: req.Query, ChannelID: req.ChannelID, Forum: req.Forum, MentionRole: req.Role})
	unlock()
	if errors.Is(err, store.ErrNotFound) {
		return discord.WatchInfo{}, noWatch(req.ID) // removed meanwhile
	}
	if err != nil {
		return discord.WatchInfo{}, err
	}
	w.takeIn(ctx, "edit", x.ID)
	w.log.Info("watch edited", "watch", x.ID, "guild", req.GuildID, "channel", x.ChannelID, "query", x.Query, "role", x.MentionRole, "by", req.UserID)
	info := watchInfo(x)
	if req.Query != nil {
		info.Hints = queryHints(*req.Query)
	}
	return info, nil
}

// queryHints are the query's warnings as check and preview print them.
func queryHints(query string) []string {
	var out []string
	for _, h := range filters.Hints(query) {
		out = append(out, h.String()+"\n"+h.Caret())
	}
	return out
}

// List shows the guild's watches and, read-only, the config file's
// subscriptions.
func (w *watches) List(ctx context.Context, guildID string) ([]discord.WatchInfo, error) {
	var out []discord.WatchInfo
	for _, c := range w.live.now().cfg.Subscriptions {
		feedsOf := "all feeds"
		if len(c.Feeds) > 0 {
			feedsOf = strings.Join(c.Feeds, ", ")
		}
		reason, paused := w.sender.destinationPaused(c.Destination)
		info := discord.WatchInfo{Name: c.Name, Query: c.Query, FeedTitle: feedsOf, ReadOnly: true, Paused: paused, PausedReason: reason,
			MentionRole: c.MentionRole, Destination: c.Destination}
		if i := slices.IndexFunc(w.destinations, func(d config.Destination) bool { return d.Name == c.Destination }); i >= 0 && w.destinations[i].Type == config.DiscordChannel {
			info.ChannelID = w.destinations[i].ChannelID
		}
		out = append(out, info)
	}
	ws, err := w.store.Watches(ctx)
	if err != nil {
		return nil, err
	}
	defines := w.live.now().cfg.Define
	for _, x := range ws {
		if x.GuildID == guildID {
			info := watchInfo(x)
			// A watch saved under an older query language, or naming a
			// define the config no longer has, is skipped (live.swap
			// logs it): its makers learn it here.
			if err := filters.NewSet(defines).Add("watch", x.Query); err != nil {
				info.QueryProblem = err.Error()
			}
			out = append(out, info)
		}
	}
	return out, nil
}

func (w *watches) Remove(ctx context.Context, guildID string, id int64) error {
	if _, err := w.find(ctx, guildID, id); err != nil {
		return err
	}
	if err := w.store.RemoveWatch(ctx, id); err != nil {
		return err
	}
	w.takeIn(ctx, "remove", id)
	return nil
}

// takeIn rebuilds the catalog after a /watch command's write, which is
// stored: a failure to read the watches again (the store out of reach a
// moment, the bot stopping) is logged, not answered as the command's
// failure (the user would try again and find the watch there, or think a
// watch removed still ran). The change is taken in at the next check of
// the watches' version (live.refresh), which finds it newer than the
// catalog's.
func (w *watches) takeIn(ctx context.Context, change string, id int64) {
	if err := w.live.rebuild(ctx, nil); err != nil {
		w.log.Warn("watch change saved, but the watches could not be read again: it takes effect at the next check", "watch", id, "change", change, "err", err)
	}
}

// SetPaused pauses or resumes a watch. Resuming also lifts a pause of its
// channel after a delivery failure, so a fixed permission takes effect.
func (w *watches) SetPaused(ctx context.Context, guildID string, id int64, paused bool) error {
	x, err := w.find(ctx, guildID, id)
	if err != nil {
		return err
	}
	reason := ""
	if paused {
		reason = "paused by a moderator"
	}
	if !paused && x.Paused {
		polled, err := w.polled(ctx, WatchFeedID(x.FeedURL), id)
		if err != nil {
			return err
		}
		if !polled {
			// What the feed published while nobody polled it is not
			// news now: remembered before the catalog names it again.
			w.catchUpResumed(ctx, x.FeedURL)
		}
	}
	if err := w.store.SetWatchPaused(ctx, id, paused, reason); err != nil {
		return err
	}
	if !paused {
		w.sender.lift(watchDestination(x))
	}
	w.takeIn(ctx, map[bool]string{true: "pause", false: "resume"}[paused], id)
	return nil
}

// polled reports whether a watch but watch except, not paused, names
// feedID in the store: the feed is polled, and a catch-up would mark seen
// what that watch has not polled yet. This instance's catalog may not know
// it yet: another instance's /watch command is taken in within
// watchesCheck.
func (w *watches) polled(ctx context.Context, feedID string, except int64) (bool, error) {
	ws, err := w.store.Watches(ctx)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(ws, func(x store.Watch) bool {
		return x.ID != except && !x.Paused && WatchFeedID(x.FeedURL) == feedID
	}), nil
}

// catchUpResumed remembers what a resumed watch's feed has now. When the
// feed cannot be read, its next poll is made a first sight instead, so
// what piled up is still not posted.
func (w *watches) catchUpResumed(ctx context.Context, feedURL string) {
	spec := w.live.watchFeed(feedURL)
	feed, err := w.fetchForWatch(ctx, feedURL)
	if err != nil {
		w.log.Warn("a resumed watch's feed could not be read; its next poll remembers its items without posting them", "feed", redact.URL(feedURL), "err", err)
		err = w.poller.forgetBacklog(ctx, spec)
	} else {
		err = w.poller.catchUp(ctx, spec, feed)
	}
	if err != nil {
		w.log.Error("catching up a resumed watch's feed", "feed", redact.URL(feedURL), "err", err)
	}
}

// Test matches query against the last 24 hours of the feeds the guild
// watches (and the config file's feeds), newest first, through the
// alerting core as a subscription of its own would.
func (w *watches) Test(ctx context.Context, guildID, channelID, query string) ([]discord.TestHit, error) {
	defines := w.live.now().cfg.Define
	if err := filters.NewSet(defines).Add("test", query); err != nil {
		return nil, QueryError(err)
	}
	ws, err := w.store.Watches(ctx)
	if err != nil {
		return nil, err
	}
	var specs []alert.Feed
	var ids []string
	for _, f := range w.live.catalog().Feeds() {
		if f.AllowFile || slices.ContainsFunc(ws, func(x store.Watch) bool { return x.GuildID == guildID && WatchFeedID(x.FeedURL) == f.ID }) {
			specs = append(specs, *f)
			ids = append(ids, f.ID)
		}
	}
	trial, _ := alert.NewCatalog(defines, specs, []alert.Subscription{{ID: "test", Name: "test", Query: query, Feeds: ids, MaxAge: recentWindow}})
	var hits []discord.TestHit
	for i := range specs {
		feed := w.recentFeed(ctx, &specs[i])
		if feed == nil {
			continue
		}
		res := trial.Alerts(alert.Input{FeedID: specs[i].ID, FeedTitle: feed.Title, Items: feed.Items, Now: w.now()})
		for _, e := range res.Entries {
			a := e.Alert
			hits = append(hits, discord.TestHit{Feed: a.Feed, Title: a.Title, Link: a.Link, Published: a.Published, Matched: a.Matched})
		}
	}
	slices.SortStableFunc(hits, func(a, b discord.TestHit) int { return b.Published.Compare(a.Published) })
	return hits, nil
}

func (w *watches) find(ctx context.Context, guildID string, id int64) (store.Watch, error) {
	ws, err := w.store.Watches(ctx)
	if err != nil {
		return store.Watch{}, err
	}
	for _, x := range ws {
		if x.ID == id && x.GuildID == guildID {
			return x, nil
		}
	}
	return store.Watch{}, noWatch(id)
}

func noWatch(id int64) error {
	return fmt.Errorf("no watch %d in this server (see /watch list)", id)
}

func watchInfo(x store.Watch) discord.WatchInfo {
	return discord.WatchInfo{
		ID: x.ID, GuildID: x.GuildID, ChannelID: x.ChannelID, FeedURL: x.FeedURL,
		Query: x.Query, MentionRole: x.MentionRole, Paused: x.Paused, PausedReason: x.PauseReason,
	}
}

// fetchForWatch fetches and parses a feed a Discord user asked for,
// always through the SSRF guard and never from a file.
func (w *watches) fetchForWatch(ctx context.Context, feedURL string) (*feeds.Feed, error) {
	resp, err := w.poller.watchFetcher.Fetch(ctx, feeds.Request{URL: feedURL})
	if err != nil {
		return nil, watchFetchError(feedURL, err)
	}
	var fe *feeds.Error
	feed, err := w.poller.parser.Parse(resp.Body, resp.ContentType, resp.URL, w.now())
	if errors.As(err, &fe) && fe.Kind == feeds.NotAFeed && len(fe.Alternates) > 0 {
		return nil, fmt.Errorf("that is a web page, not a feed; it links to these feeds: %s — watch one of them", strings.Join(fe.Alternates, ", "))
	}
	return feed, err
}

// watchFetchError says, for the person who gave /watch a feed, in one
// line, what raw is (its secrets hidden: the error is logged too), why it
// could not be read and what to do (feeds.Advice). An address the SSRF
// guard refuses, and a limit, are the config's, which only whoever runs
// the bot can change.
func watchFetchError(raw string, err error) error {
	var fe *feeds.Error
	if !errors.As(err, &fe) || fe.Kind == feeds.Canceled {
		return err
	}
	shown := redact.URL(raw)
	switch {
	case feeds.AddressRefused(err):
		return fmt.Errorf("%s: that address is not allowed: feeds added from Discord may not point at private, loopback or cloud-metadata addresses; whoever runs the bot can add such a feed to its config file", shown)
	case fe.Kind == feeds.TooLarge:
		return fmt.Errorf("%s: %w; whoever runs the bot can raise that limit in its config", shown, err)
	}
	if advice := feeds.Advice(err); advice != "" {
		return fmt.Errorf("%s: %w; %s", shown, err, advice)
	}
	return fmt.Errorf("%s: %w", shown, err)
}

// recentFeed is the last parsed copy of a feed, fetched now if the service
// has not parsed it since it started. A feed that fails is skipped.
func (w *watches) recentFeed(ctx context.Context, f *alert.Feed) *feeds.Feed {
	if feed := w.recent.get(f.ID); feed != nil {
		return feed
	}
	res, err := w.poller.fetch(ctx, f, store.FeedState{URL: f.URL})
	if err != nil || res.Feed == nil {
		return nil
	}
	w.recent.keep(f.ID, res.Feed, w.now())
	return w.recent.get(f.ID)
}

// QueryError adds the caret picture to a query parse error, for answers
// shown to people (Discord, the command line).
func QueryError(err error) error {
	if pe, ok := err.(*filters.ParseError); ok {
		return fmt.Errorf("%w\n%s", pe, pe.Caret())
	}
	return err
}
