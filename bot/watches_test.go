package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/newshound/newshound/bot/discord"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/internal/fakediscord"
	"github.com/newshound/newshound/internal/feedtest"
	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
)

const (
	watchGuild   = "800000000000000001"
	watchChannel = "800000000000000002"
)

// clock is a settable clock safe for the service's goroutines.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) set(t time.Time)         { c.ns.Store(t.UnixNano()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// discordService is a running service whose only subscriptions come from
// /watch commands on a fake Discord.
func discordService(t *testing.T, dc *fakediscord.Server, clk *clock, watchFetcher *feeds.Fetcher) *Service {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "state.db"), store.WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return discordServiceOn(t, dc, clk, watchFetcher, st)
}

// discordServiceOn is discordService on the store st, which several
// services may share (PostgreSQL).
func discordServiceOn(t *testing.T, dc *fakediscord.Server, clk *clock, watchFetcher *feeds.Fetcher, st store.Store) *Service {
	t.Helper()
	svc, err := New(context.Background(), discordOptions(t, dc, clk, watchFetcher, st))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// discordOptions are the options of discordServiceOn's service.
func discordOptions(t *testing.T, dc *fakediscord.Server, clk *clock, watchFetcher *feeds.Fetcher, st store.Store) Options {
	t.Helper()
	session, err := discord.NewSession("test-token", dc.APIBase(), nil)
	if err != nil {
		t.Fatal(err)
	}
	lim := discord.NewLimiter(discord.LimiterConfig{})
	cfg := config.Default()
	cfg.Defaults.MaxBodyBytes, cfg.Defaults.Timeout = 1<<20, 5*time.Second
	// Loopback feeds from the config file are allowed; watches added from
	// Discord are guarded whatever the config says.
	cfg.Defaults.AllowPrivateNetworks = true
	cfg.Discord = config.Discord{Token: "test-token", APIBase: dc.APIBase(), Guilds: []string{watchGuild}, Commands: true, Burst: 5}
	o := testOptions(cfg, st, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.now)
	o.Discord, o.DiscordLimiter = session, lim
	o.Channel = func(id string) notify.Notifier { return discord.NewChannelNotifier(session, id, lim) }
	o.Forum = func(id string) notify.Notifier {
		n, err := discord.NewDestinationNotifier(session, config.Destination{Type: config.DiscordChannel, ChannelID: id, Forum: true}, lim)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if watchFetcher != nil {
		o.WatchFetcher = watchFetcher
	}
	return o
}

// TestWatchRepliesCountInTheSendsLimiter: the /watch replies' invalid
// answers count in the Limiter the service's sends hold back by (Discord
// bans the IP for 10,000 of them in 10 minutes, whichever route).
func TestWatchRepliesCountInTheSendsLimiter(t *testing.T) {
	dc := fakediscord.New(t)
	clk := &clock{}
	clk.set(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "state.db"), store.WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	o := discordOptions(t, dc, clk, nil, st)
	svc, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	dc.WaitFor(10*time.Second, func() bool { return dc.GatewayConnected() && len(dc.Commands(watchGuild)) == 1 })

	// The reply's own route, not whichever request comes next: another
	// request (a check, a send) taking the 403 would count it as well.
	answer := "PATCH webhooks/" + fakediscord.AppID + "/messages/@original"
	dc.FailNextOn(answer, http.StatusForbidden)
	dc.Inject(fakediscord.SlashCommand(watchGuild, watchChannel, "watch",
		&discordgo.ApplicationCommandInteractionDataOption{Name: "list", Type: discordgo.ApplicationCommandOptionSubCommand}))
	dc.WaitFor(10*time.Second, func() bool { return dc.Invalid(answer) == 1 })
	dc.WaitFor(10*time.Second, func() bool { return o.DiscordLimiter.InvalidRequests() == 1 })
	if got := dc.Invalid(""); got != 1 {
		t.Errorf("the fake answered %d invalid requests, want 1 (the reply's)", got)
	}
}

func stringOpt(name, value string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionString, Value: value}
}

// slash runs /watch SUB on the fake and returns the bot's final answer.
func slash(t *testing.T, dc *fakediscord.Server, sub string, opts ...*discordgo.ApplicationCommandInteractionDataOption) string {
	t.Helper()
	id := dc.Inject(fakediscord.SlashCommand(watchGuild, watchChannel, "watch",
		&discordgo.ApplicationCommandInteractionDataOption{Name: sub, Type: discordgo.ApplicationCommandOptionSubCommand, Options: opts}))
	dc.WaitFor(10*time.Second, func() bool {
		in := dc.Interaction(id)
		return len(in.Edits) > 0 || len(in.Followups) > 0
	})
	in := dc.Interaction(id)
	if !in.Answered() {
		t.Errorf("/watch %s: no first response within 3 s", sub)
	}
	return in.Original()
}

// runningBot is a service running against a fake Discord with one feed
// on loopback, and a settable clock.
type runningBot struct {
	dc   *fakediscord.Server
	clk  *clock
	feed *feedtest.Server
	svc  *Service
}

func startBot(t *testing.T) *runningBot {
	t.Helper()
	dc := fakediscord.New(t)
	clk := &clock{}
	clk.set(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
	feed := feedtest.NewServer(t, "Loopback wire", item(1, "Markets rally on rate hopes", clk.now().Add(-time.Hour)))
	// The feed server is on loopback, which the SSRF guard refuses; these
	// tests let it through (TestWatchAddRefusesPrivateAndFileFeeds checks
	// the guard).
	svc := discordService(t, dc, clk, feeds.NewFetcher(feeds.FetcherOptions{AllowPrivate: true}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	dc.WaitFor(10*time.Second, func() bool { return dc.GatewayConnected() && len(dc.Commands(watchGuild)) == 1 })
	return &runningBot{dc: dc, clk: clk, feed: feed, svc: svc}
}

// publish adds an item to the feed and moves the clock past its next poll.
func (b *runningBot) publish(it testItem) {
	b.feed.Publish(it)
	b.clk.advance(11 * time.Minute)
}

func TestWatchAddedFromDiscordProducesAlert(t *testing.T) {
	b := startBot(t)
	dc, clk, feed := b.dc, b.clk, b.feed

	reply := slash(t, dc, "add", stringOpt("feed", feed.URL+"/rss"), stringOpt("query", "aleppo AND (ceasefire OR truce)"))
	if !strings.Contains(reply, "Watch #1 added") {
		t.Fatalf("/watch add replied %q, want it to confirm watch #1", reply)
	}

	b.publish(item(2, "Aleppo ceasefire holds overnight", clk.now().Add(time.Minute)))
	dc.WaitFor(15*time.Second, func() bool { return len(dc.Messages(watchChannel)) > 0 })
	msgs := dc.Messages(watchChannel)
	if len(msgs) != 1 || len(msgs[0].Embeds) != 1 {
		t.Fatalf("channel messages: got %d, want 1 with one embed", len(msgs))
	}
	if got, want := msgs[0].Embeds[0].Title, "**Aleppo ceasefire** holds overnight"; got != want {
		t.Errorf("alert title %q, want %q", got, want)
	}
	if got := msgs[0].Pings(); len(got) != 0 {
		t.Errorf("alert could ping %v, want no one", got)
	}

	reply = slash(t, dc, "test", stringOpt("query", "ceasefire"))
	if !strings.Contains(reply, "Aleppo ceasefire holds overnight") || strings.Contains(reply, "Markets rally") {
		t.Errorf("/watch test replied %q, want the Aleppo item only", reply)
	}
	reply = slash(t, dc, "list")
	if !strings.Contains(reply, "aleppo AND (ceasefire OR truce)") {
		t.Errorf("/watch list replied %q, want the watch's query", reply)
	}
}

func channelOpt(name, id string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionChannel, Value: id}
}

// TestWatchIntoAThreadAndAForum: /watch add accepts a thread (alerts are
// messages in it) and a forum channel (each alert opens a post).
func TestWatchIntoAThreadAndAForum(t *testing.T) {
	b := startBot(t)
	dc, clk, feed := b.dc, b.clk, b.feed
	const thread, forum = "800000000000000078", "800000000000000077"
	dc.AddThread(thread, watchChannel)
	dc.AddForum(forum)
	for _, ch := range []string{thread, forum} {
		reply := slash(t, dc, "add", stringOpt("feed", feed.URL+"/rss"), stringOpt("query", "aleppo"), channelOpt("channel", ch))
		if !strings.Contains(reply, "added") {
			t.Fatalf("/watch add into %s replied %q", ch, reply)
		}
	}
	b.publish(item(2, "Aleppo ceasefire holds overnight", clk.now().Add(time.Minute)))
	dc.WaitFor(15*time.Second, func() bool { return len(dc.Messages(thread)) > 0 && len(dc.Threads(forum)) > 0 })
	if got := len(dc.Messages(thread)); got != 1 {
		t.Errorf("messages in the thread: got %d, want 1", got)
	}
	posts := dc.Threads(forum)
	if len(posts) != 1 || !strings.Contains(posts[0].Name, "Aleppo ceasefire holds overnight") {
		t.Errorf("forum posts: %+v, want one named after the item", posts)
	}
	if got := len(dc.Messages(forum)); got > 1 {
		t.Errorf("messages in the forum itself: %d (a forum takes posts, not messages)", got)
	}
}

func TestWatchAddRefusesPrivateAndFileFeeds(t *testing.T) {
	dc := fakediscord.New(t)
	clk := &clock{}
	clk.set(time.Now())
	feed := feedtest.NewServer(t, "Loopback wire", item(1, "Aleppo ceasefire", clk.now()))
	svc := discordService(t, dc, clk, nil) // the default: guarded, though the config allows private networks
	port := feed.URL[strings.LastIndex(feed.URL, ":")+1:]

	tests := []struct {
		name, url, query, want string
	}{
		{"loopback feed", feed.URL + "/rss", "aleppo", "address is not allowed"},
		{"cloud metadata", "http://169.254.169.254/latest/meta-data/", "aleppo", "address is not allowed"},
		// IPv6 forms of an IPv4 address, and IPv4 written as a resolver
		// may read it (any refusal will do for those).
		{"IPv4-mapped loopback", "http://[::ffff:127.0.0.1]:" + port + "/rss", "aleppo", "address is not allowed"},
		{"IPv4-mapped loopback in hex", "http://[::ffff:7f00:1]:" + port + "/rss", "aleppo", "address is not allowed"},
		{"IPv4-compatible loopback", "http://[::127.0.0.1]:" + port + "/rss", "aleppo", "address is not allowed"},
		{"NAT64 cloud metadata", "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/", "aleppo", "address is not allowed"},
		{"6to4 cloud metadata", "http://[2002:a9fe:a9fe::1]/latest/meta-data/", "aleppo", "address is not allowed"},
		{"loopback as one number", "http://2130706433:" + port + "/rss", "aleppo", ""},
		{"loopback shortened", "http://127.1:" + port + "/rss", "aleppo", ""},
		{"loopback in octal", "http://0177.0.0.1:" + port + "/rss", "aleppo", ""},
		{"file URL", "file:///etc/passwd", "aleppo", "not an http(s) URL"},
		{"bad query", "https://news.example/rss", "aleppo AND (", "query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := svc.Watches().Add(ctx, discord.AddRequest{GuildID: watchGuild, ChannelID: watchChannel, FeedURL: tt.url, Query: tt.query})
			t.Logf("refused: %v", err)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Add(%s): got error %v, want one containing %q", tt.url, err, tt.want)
			}
		})
	}
	ws, err := svc.store.Watches(context.Background())
	if err != nil || len(ws) != 0 {
		t.Errorf("watches stored after refusals: %v (err %v), want none", ws, err)
	}
}

func TestDeletedChannelPausesItsWatchesWithTheReason(t *testing.T) {
	b := startBot(t)
	if reply := slash(t, b.dc, "add", stringOpt("feed", b.feed.URL+"/rss"), stringOpt("query", "aleppo")); !strings.Contains(reply, "Watch #1 added") {
		t.Fatalf("/watch add replied %q", reply)
	}
	b.dc.DeleteChannel(watchChannel)
	b.publish(item(2, "Aleppo convoy reaches the city", b.clk.now()))
	b.dc.WaitFor(15*time.Second, func() bool {
		ws, err := b.svc.store.Watches(context.Background())
		return err == nil && len(ws) == 1 && ws[0].Paused
	})
	reply := slash(t, b.dc, "list")
	t.Logf("/watch list:\n%s", reply)
	if !strings.Contains(reply, "paused") || !strings.Contains(reply, watchChannel) {
		t.Errorf("/watch list replied %q, want the watch shown paused with the reason", reply)
	}
	pending, err := b.svc.store.PendingAlerts(context.Background(), channelDestination(watchChannel), b.clk.now().Add(time.Hour), 10)
	if err != nil || len(pending) != 1 {
		t.Errorf("alerts kept for the channel: %d (err %v), want 1: nothing is lost", len(pending), err)
	}
}

func TestResumedOrReaddedWatchDoesNotPostWhatPiledUp(t *testing.T) {
	tests := []struct {
		name  string
		stop  func(w discord.Watches, id int64) error
		start func(w discord.Watches, url string) error
	}{
		{
			name: "pause then resume",
			stop: func(w discord.Watches, id int64) error {
				return w.SetPaused(context.Background(), watchGuild, id, true)
			},
			start: func(w discord.Watches, url string) error {
				return w.SetPaused(context.Background(), watchGuild, 1, false)
			},
		},
		{
			name: "remove then add again",
			stop: func(w discord.Watches, id int64) error { return w.Remove(context.Background(), watchGuild, id) },
			start: func(w discord.Watches, url string) error {
				_, err := w.Add(context.Background(), discord.AddRequest{GuildID: watchGuild, ChannelID: watchChannel, FeedURL: url, Query: "aleppo"})
				return err
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			o := newOneWatch(t, nil)
			dc, clk, feed, svc, w := o.dc, o.clk, o.feed, o.svc, o.w
			if err := tt.stop(w, o.id); err != nil {
				t.Fatal(err)
			}
			feed.Publish(item(2, "Aleppo story from while nobody watched", clk.now()))
			clk.advance(time.Hour)
			if _, err := svc.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			if err := tt.start(w, feed.URL+"/rss"); err != nil {
				t.Fatal(err)
			}
			feed.Publish(item(3, "Aleppo story after the watch is back", clk.now()))
			clk.advance(time.Hour)
			if _, err := svc.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			titles := embedTitles(dc, watchChannel)
			if want := []string{"**Aleppo** story after the watch is back"}; !slices.Equal(titles, want) {
				t.Errorf("alerts: got %q, want %q", titles, want)
			}
		})
	}
}

// TestResumedWatchWhoseFeedIsDownDoesNotPostWhatPiledUp: when the feed
// cannot be read at the moment a watch resumes, its next poll is a first
// sight: what piled up is remembered, what comes after is posted.
func TestResumedWatchWhoseFeedIsDownDoesNotPostWhatPiledUp(t *testing.T) {
	ctx := context.Background()
	o := newOneWatch(t, nil)
	dc, clk, feed, svc, w := o.dc, o.clk, o.feed, o.svc, o.w
	if err := w.SetPaused(ctx, watchGuild, o.id, true); err != nil {
		t.Fatal(err)
	}
	feed.Publish(item(2, "Aleppo story from while nobody watched", clk.now()))
	feed.SetStatus(http.StatusServiceUnavailable)
	if err := w.SetPaused(ctx, watchGuild, o.id, false); err != nil {
		t.Fatal(err)
	}
	feed.SetStatus(http.StatusOK)
	clk.advance(time.Hour)
	if _, err := svc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	feed.Publish(item(3, "Aleppo story after the watch is back", clk.now()))
	clk.advance(time.Hour)
	if _, err := svc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	titles := embedTitles(dc, watchChannel)
	if want := []string{"**Aleppo** story after the watch is back"}; !slices.Equal(titles, want) {
		t.Errorf("alerts: got %q, want %q", titles, want)
	}
}

func TestOneInstanceOfSeveralOpensTheGateway(t *testing.T) {
	dc := fakediscord.New(t)
	clk := &clock{}
	clk.set(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
	dsn := pgtest.Schema(t) // only a shared store has several instances
	open := func() *Service {
		st, err := store.OpenPostgres(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		svc := discordServiceOn(t, dc, clk, nil, st)
		svc.leases.ttl = 300 * time.Millisecond
		return svc
	}
	first, second := open(), open()
	run := func(svc *Service) (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); svc.Run(ctx) }()
		return func() { cancel(); <-done }
	}
	stopFirst := run(first)
	dc.WaitFor(10*time.Second, dc.GatewayConnected)
	stopSecond := run(second)
	defer stopSecond()
	time.Sleep(time.Second) // several lease terms: the second must keep out
	if got := dc.GatewayStats().Identifies; got != 1 {
		t.Fatalf("gateway sessions with two instances running: got %d, want 1", got)
	}

	stopFirst() // the holder goes away; the other takes over
	clk.advance(time.Second)
	// At least one more session: under load a 300 ms lease may lapse and be
	// taken again, which opens another.
	dc.WaitFor(10*time.Second, func() bool { return dc.GatewayStats().Identifies >= 2 && dc.GatewayConnected() })
}

const watchOtherChannel = "800000000000000003"

func intOpt(name string, v int) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionInteger, Value: v}
}

// TestWatchEditFromDiscord: /watch edit changes what a running watch
// matches, the role its alerts ping and the channel they go to, from the
// next poll on; a watch of another server cannot be edited.
func TestWatchEditFromDiscord(t *testing.T) {
	const role = "800000000000000077"
	b := startBot(t)
	if reply := slash(t, b.dc, "add", stringOpt("feed", b.feed.URL+"/rss"), stringOpt("query", "aleppo")); !strings.Contains(reply, "Watch #1 added") {
		t.Fatalf("/watch add replied %q", reply)
	}
	reply := slash(t, b.dc, "edit", intOpt("id", 1), stringOpt("query", "lavrov"),
		&discordgo.ApplicationCommandInteractionDataOption{Name: "role", Type: discordgo.ApplicationCommandOptionRole, Value: role},
		&discordgo.ApplicationCommandInteractionDataOption{Name: "channel", Type: discordgo.ApplicationCommandOptionChannel, Value: watchOtherChannel})
	want := "Watch #1 changed. It is now:\n• **#1** · feed: <" + b.feed.URL + "/rss> · query: `lavrov` · channel: <#" + watchOtherChannel + "> · role: <@&" + role + ">\n"
	if reply != want {
		t.Errorf("/watch edit replied\n%q\nwant\n%q", reply, want)
	}

	b.publish(item(2, "Aleppo convoy reaches the city", b.clk.now()))
	b.publish(item(3, "Lavrov meets Kerry in Geneva", b.clk.now()))
	b.dc.WaitFor(15*time.Second, func() bool { return len(b.dc.Messages(watchOtherChannel)) > 0 })
	if got := b.dc.Messages(watchChannel); len(got) != 0 {
		t.Errorf("old channel got %d messages after the edit, want 0", len(got))
	}
	msgs := b.dc.Messages(watchOtherChannel)
	if len(msgs) != 1 || len(msgs[0].Embeds) != 1 || !strings.Contains(msgs[0].Embeds[0].Title, "Lavrov") {
		t.Fatalf("new channel: got %+v, want the Lavrov item only", msgs)
	}
	if got, want := msgs[0].Pings(), []string{"role:" + role}; !slices.Equal(got, want) {
		t.Errorf("alert pings %v, want %v", got, want)
	}

	if _, err := b.svc.Watches().Edit(context.Background(), discord.EditRequest{GuildID: "800000000000000099", ID: 1, Query: ptrTo("x")}); err == nil {
		t.Errorf("editing another server's watch: no error")
	}
	if _, err := b.svc.Watches().Edit(context.Background(), discord.EditRequest{GuildID: watchGuild, ID: 1, Query: ptrTo("aleppo AND (")}); err == nil || !strings.Contains(err.Error(), "^") {
		t.Errorf("a bad query: got %v, want a parse error with a caret", err)
	}
	ws, err := b.svc.store.Watches(context.Background())
	if err != nil || len(ws) != 1 || ws[0].Query != "lavrov" {
		t.Errorf("stored watches after refused edits: %+v (err %v), want query still lavrov", ws, err)
	}
}

func ptrTo[T any](v T) *T { return &v }

// TestWatchAddFromAPage: a web page that links to one feed gets that feed
// watched, and the reply says so; one with several offers them; one with
// none says that.
func TestWatchAddFromAPage(t *testing.T) {
	b := startBot(t)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		switch r.URL.Path {
		case "/one":
			// The site's own feed is the one watched; the <a href> is not tried.
			fmt.Fprintf(w, `<html><head><link rel="alternate" type="application/rss+xml" href="%s/rss"></head><body><a href="%s/rss?section=world">World feed</a></body></html>`, b.feed.URL, b.feed.URL)
		case "/two":
			fmt.Fprintf(w, `<html><head><link rel="alternate" type="application/rss+xml" href="%s/rss">
<link rel="alternate" type="application/rss+xml" href="%s/rss?section=world"></head></html>`, b.feed.URL, b.feed.URL)
		default:
			fmt.Fprint(w, `<html><body>About us</body></html>`)
		}
	}))
	defer site.Close()

	reply := slash(t, b.dc, "add", stringOpt("feed", site.URL+"/one"), stringOpt("query", "aleppo"))
	if want := "<" + site.URL + "/one> is a web page; it links to one feed, Loopback wire, which is now watched.\nWatch #1 added"; !strings.HasPrefix(reply, want) {
		t.Errorf("/watch add of a page with one feed replied\n%q\nwant it to start with\n%q", reply, want)
	}
	ws, err := b.svc.store.Watches(context.Background())
	if err != nil || len(ws) != 1 || ws[0].FeedURL != b.feed.URL+"/rss" {
		t.Fatalf("stored watches: %+v (err %v), want one on the feed the page links to", ws, err)
	}

	id := b.dc.Inject(fakediscord.SlashCommand(watchGuild, watchChannel, "watch",
		&discordgo.ApplicationCommandInteractionDataOption{Name: "add", Type: discordgo.ApplicationCommandOptionSubCommand,
			Options: []*discordgo.ApplicationCommandInteractionDataOption{stringOpt("feed", site.URL+"/two"), stringOpt("query", "aleppo")}}))
	b.dc.WaitFor(10*time.Second, func() bool { return len(b.dc.Interaction(id).Followups) > 0 })
	choices := b.dc.Interaction(id).Followups[0].Content
	for _, want := range []string{"It links to 2 feeds", "• Loopback wire — <" + b.feed.URL + "/rss>", "<" + b.feed.URL + "/rss?section=world>"} {
		if !strings.Contains(choices, want) {
			t.Errorf("/watch add of a page with two feeds replied\n%s\nwant it to contain %q", choices, want)
		}
	}

	_, err = b.svc.Watches().Add(context.Background(), discord.AddRequest{GuildID: watchGuild, ChannelID: watchChannel, FeedURL: site.URL + "/none", Query: "aleppo"})
	if err == nil || !strings.Contains(err.Error(), "web page without feeds") {
		t.Errorf("a page without feeds: got %v, want it said", err)
	}
	if ws, _ := b.svc.store.Watches(context.Background()); len(ws) != 1 {
		t.Errorf("stored watches: got %d, want still 1", len(ws))
	}
}

// TestWatchQueryHints: /watch add and /watch edit save a query with a
// lowercase "or" as written, and say what it means.
func TestWatchQueryHints(t *testing.T) {
	b := startBot(t)
	reply := slash(t, b.dc, "add", stringOpt("feed", b.feed.URL+"/rss"), stringOpt("query", "ukraine or gaza"))
	want := "Watch #1 added: `ukraine or gaza` on <" + b.feed.URL + "/rss> → <#" + watchChannel + ">\n" +
		"Warning: the query was saved as written, but\n```\n" +
		"query:9: \"or\" is searched for as a word (only capital OR is an operator): did you mean OR?\nukraine or gaza\n        ^\n```"
	if reply != want {
		t.Errorf("/watch add replied\n%s\nwant\n%s", reply, want)
	}
	reply = slash(t, b.dc, "edit", intOpt("id", 1), stringOpt("query", "ukraine OR gaza"))
	if strings.Contains(reply, "Warning") {
		t.Errorf("/watch edit to a query without surprises warned:\n%s", reply)
	}
	reply = slash(t, b.dc, "edit", intOpt("id", 1), stringOpt("query", "kyiv and kharkiv"))
	if !strings.Contains(reply, "did you mean AND?") {
		t.Errorf("/watch edit to a lowercase and replied\n%s\nwant a hint", reply)
	}
}

// embedTitles are the titles of the embeds posted in channel, in order.
func embedTitles(dc *fakediscord.Server, channel string) []string {
	var titles []string
	for _, m := range dc.Messages(channel) {
		for _, e := range m.Embeds {
			titles = append(titles, e.Title)
		}
	}
	return titles
}

// pausingStore holds the first Watches read after arm until release: it
// lets a test run another /watch command between a command's read of the
// watches and its write.
type pausingStore struct {
	store.Store
	armed   atomic.Bool
	read    chan struct{}
	release chan struct{}
}

func (s *pausingStore) Watches(ctx context.Context) ([]store.Watch, error) {
	ws, err := s.Store.Watches(ctx)
	if s.armed.CompareAndSwap(true, false) {
		close(s.read)
		<-s.release
	}
	return ws, err
}

// TestConcurrentWatchEdits: a member edits a watch's query while another
// edits its role, or removes it. Both edits take, and each reply shows the
// watch as it then is; an edit of a watch removed meanwhile says there is
// no such watch.
func TestConcurrentWatchEdits(t *testing.T) {
	const role = "800000000000000077"
	tests := []struct {
		name      string
		meanwhile func(w discord.Watches, id int64) error
		wantErr   string // of the query's edit
		want      *store.Watch
	}{
		{
			name: "another member sets the role",
			meanwhile: func(w discord.Watches, id int64) error {
				got, err := w.Edit(context.Background(), discord.EditRequest{GuildID: watchGuild, ID: id, Role: ptrTo(role)})
				if err == nil && (got.Query != "aleppo" || got.MentionRole != role) {
					err = fmt.Errorf("the role's edit replied query %q role %q, want aleppo and %s", got.Query, got.MentionRole, role)
				}
				return err
			},
			want: &store.Watch{Query: "lavrov", MentionRole: role, ChannelID: watchChannel},
		},
		{
			name:      "another member removes it",
			meanwhile: func(w discord.Watches, id int64) error { return w.Remove(context.Background(), watchGuild, id) },
			wantErr:   "no watch 1 in this server (see /watch list)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st := &pausingStore{read: make(chan struct{}), release: make(chan struct{})}
			o := newOneWatch(t, func(sq store.Store) store.Store { st.Store = sq; return st })
			sq, w, info := st.Store, o.w, discord.WatchInfo{ID: o.id}

			st.armed.Store(true)
			type result struct {
				info discord.WatchInfo
				err  error
			}
			first := make(chan result, 1)
			go func() {
				info, err := w.Edit(ctx, discord.EditRequest{GuildID: watchGuild, ID: info.ID, Query: ptrTo("lavrov")})
				first <- result{info, err}
			}()
			<-st.read // the query's edit has read the watch
			err := tt.meanwhile(w, info.ID)
			close(st.release)
			if err != nil {
				t.Fatalf("meanwhile: %v", err)
			}
			r := <-first
			if tt.wantErr != "" {
				if r.err == nil || r.err.Error() != tt.wantErr {
					t.Errorf("the query's edit: got error %v, want %q", r.err, tt.wantErr)
				}
				return
			}
			if r.err != nil {
				t.Fatalf("the query's edit: %v", r.err)
			}
			if r.info.Query != tt.want.Query || r.info.MentionRole != tt.want.MentionRole {
				t.Errorf("the query's edit replied query %q role %q, want %q and %q (the watch as it now is)", r.info.Query, r.info.MentionRole, tt.want.Query, tt.want.MentionRole)
			}
			ws, err := sq.Watches(ctx)
			if err != nil || len(ws) != 1 {
				t.Fatalf("stored watches: %+v (err %v), want one", ws, err)
			}
			if got := ws[0]; got.Query != tt.want.Query || got.MentionRole != tt.want.MentionRole || got.ChannelID != tt.want.ChannelID {
				t.Errorf("stored watch: query %q role %q channel %s, want %q, %q, %s: neither edit undoes the other",
					got.Query, got.MentionRole, got.ChannelID, tt.want.Query, tt.want.MentionRole, tt.want.ChannelID)
			}
		})
	}
}

// oneWatch is a service (not running) on a fake Discord and a new SQLite
// file, with one watch, of "aleppo" on a loopback feed whose one item is
// "Markets rally".
type oneWatch struct {
	dc   *fakediscord.Server
	clk  *clock
	feed *feedtest.Server
	svc  *Service
	w    discord.Watches
	id   int64
	logs *logBuffer           // the service's log
	reg  *prometheus.Registry // the metrics of the service serviceOn made last
}

// newOneWatch makes a oneWatch; wrap, when not nil, wraps the store the
// service uses.
func newOneWatch(t *testing.T, wrap func(store.Store) store.Store) *oneWatch {
	t.Helper()
	o := &oneWatch{dc: fakediscord.New(t), clk: &clock{}, logs: &logBuffer{}}
	o.clk.set(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
	o.feed = feedtest.NewServer(t, "Loopback wire", item(1, "Markets rally", o.clk.now()))
	var st store.Store
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "state.db"), store.WithClock(o.clk.now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if wrap != nil {
		st = wrap(st)
	}
	o.svc = o.serviceOn(t, st)
	o.w = o.svc.Watches()
	info, err := o.w.Add(context.Background(), discord.AddRequest{GuildID: watchGuild, ChannelID: watchChannel, FeedURL: o.feed.URL + "/rss", Query: "aleppo"})
	if err != nil {
		t.Fatal(err)
	}
	o.id = info.ID
	return o
}

// serviceOn makes a service on st, as discordServiceOn does, logging to
// o.logs.
func (o *oneWatch) serviceOn(t *testing.T, st store.Store) *Service {
	t.Helper()
	opts := discordOptions(t, o.dc, o.clk, feeds.NewFetcher(feeds.FetcherOptions{AllowPrivate: true}), st)
	opts.Logger = slog.New(slog.NewTextHandler(o.logs, nil))
	o.reg = prometheus.NewRegistry()
	opts.Registry = o.reg
	svc, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestRemovedWatchFeedIsForgotten: the feed of a watch removed from
// Discord, that no other watch (paused or not) names, leaves nothing in
// the store: neither its state nor its seen keys. A feed left behind by
// an earlier version goes at start. (That it still comes back as a new
// feed: TestResumedOrReaddedWatchDoesNotPostWhatPiledUp.)
func TestRemovedWatchFeedIsForgotten(t *testing.T) {
	const leftBehind = "https://left.example/rss"
	ctx := context.Background()
	tests := []struct {
		name string
		// change is made after a pass that polled the watch's feed.
		change func(t *testing.T, o *oneWatch)
		kept   bool
	}{
		{
			name:   "removed",
			change: func(t *testing.T, o *oneWatch) { mustDo(t, o.w.Remove(ctx, watchGuild, o.id)) },
		},
		{
			name: "removed, another watch on the feed",
			change: func(t *testing.T, o *oneWatch) {
				_, err := o.w.Add(ctx, discord.AddRequest{GuildID: watchGuild, ChannelID: watchOtherChannel, FeedURL: o.feed.URL + "/rss", Query: "kerry"})
				mustDo(t, err)
				mustDo(t, o.w.Remove(ctx, watchGuild, o.id))
			},
			kept: true,
		},
		{
			name:   "paused",
			change: func(t *testing.T, o *oneWatch) { mustDo(t, o.w.SetPaused(ctx, watchGuild, o.id, true)) },
			kept:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st store.Store
			o := newOneWatch(t, func(s store.Store) store.Store {
				st = s
				// Left by an earlier run: no watch names it.
				_, err := s.CommitPoll(ctx, WatchFeedID(leftBehind), store.Poll{
					State: store.FeedState{FeedID: WatchFeedID(leftBehind), URL: leftBehind, Initialized: true}, Keys: []string{"left-1"}})
				mustDo(t, err)
				return s
			})
			if _, err := o.svc.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			id := WatchFeedID(o.feed.URL + "/rss")
			if _, err := st.FeedState(ctx, id); err != nil {
				t.Fatalf("the watch's feed state after a pass: %v", err)
			}
			tt.change(t, o)
			o.clk.advance(time.Hour)
			if _, err := o.svc.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			for feed, want := range map[string]bool{id: tt.kept, WatchFeedID(leftBehind): false} {
				_, err := st.FeedState(ctx, feed)
				if got := err == nil; got != want || (err != nil && !errors.Is(err, store.ErrNotFound)) {
					t.Errorf("%s: state kept %v (err %v), want %v", feed, got, err, want)
				}
			}
			if unseen, err := st.UnseenKeys(ctx, WatchFeedID(leftBehind), []string{"left-1"}); err != nil || len(unseen) != 1 {
				t.Errorf("seen keys of the feed left behind: unseen %q (err %v), want it forgotten", unseen, err)
			}
		})
	}
}

// TestWatchRemovedWhileRunningForgetsItsFeed: /watch remove on a running
// service forgets its feed's state.
func TestWatchRemovedWhileRunningForgetsItsFeed(t *testing.T) {
	b := startBot(t)
	if reply := slash(t, b.dc, "add", stringOpt("feed", b.feed.URL+"/rss"), stringOpt("query", "aleppo")); !strings.Contains(reply, "Watch #1 added") {
		t.Fatalf("/watch add replied %q", reply)
	}
	id := WatchFeedID(b.feed.URL + "/rss")
	if _, err := b.svc.store.FeedState(context.Background(), id); err != nil {
		t.Fatalf("the new watch's feed state: %v", err)
	}
	if reply := slash(t, b.dc, "remove", intOpt("id", 1)); reply != "Watch #1 removed." {
		t.Fatalf("/watch remove replied %q", reply)
	}
	b.dc.WaitFor(10*time.Second, func() bool {
		_, err := b.svc.store.FeedState(context.Background(), id)
		return errors.Is(err, store.ErrNotFound)
	})
	if _, err := b.svc.store.FeedState(context.Background(), id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the removed watch's feed state: got err %v, want ErrNotFound", err)
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestRemovedWatchOfADeletedChannelLetsReadinessRecover: a watch's
// channel is deleted (Discord's 404 Unknown Channel pauses it as gone, its
// alert kept), then the watch is removed. Its pending alerts stayed in the
// outbox and the pause was never lifted: /readyz said 503 for good, and
// after a restart the alerts got 404 and paused the channel again. Removing
// a watch means its alerts are no longer wanted: they are dropped, logged
// and counted, and the service is ready again; so is one that starts with
// the alerts of a watch an earlier version removed.
func TestRemovedWatchOfADeletedChannelLetsReadinessRecover(t *testing.T) {
	ctx := context.Background()
	dest := channelDestination(watchChannel)
	tests := []struct {
		name string
		// remove removes the watch and returns the service to look at.
		remove func(t *testing.T, o *oneWatch, st store.Store) *Service
	}{
		{
			name: "removed with /watch remove",
			remove: func(t *testing.T, o *oneWatch, _ store.Store) *Service {
				mustDo(t, o.w.Remove(ctx, watchGuild, o.id))
				return o.svc
			},
		},
		{
			// The watch stays, moved to a live channel: what waits for the
			// deleted one can go nowhere.
			name: "edited to another channel",
			remove: func(t *testing.T, o *oneWatch, _ store.Store) *Service {
				moved := "800000000000000003"
				if _, err := o.w.Edit(ctx, discord.EditRequest{GuildID: watchGuild, ID: o.id, ChannelID: &moved}); err != nil {
					t.Fatal(err)
				}
				return o.svc
			},
		},
		{
			name: "removed by an earlier version, then a restart",
			remove: func(t *testing.T, o *oneWatch, st store.Store) *Service {
				mustDo(t, st.RemoveWatch(ctx, o.id)) // as versions before did: the alert stays
				restarted := o.serviceOn(t, st)
				if _, err := restarted.RunOnce(ctx); err != nil {
					t.Fatal(err)
				}
				return restarted
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st store.Store
			o := newOneWatch(t, func(s store.Store) store.Store { st = s; return s })
			if _, err := o.svc.RunOnce(ctx); err != nil { // first sight
				t.Fatal(err)
			}
			o.dc.DeleteChannel(watchChannel)
			o.feed.Publish(item(2, "Aleppo convoy reaches the city", o.clk.now()))
			o.clk.advance(time.Hour)
			if _, err := o.svc.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			if h := o.svc.Health(); h.Ready {
				t.Fatalf("health with the channel deleted: %+v, want not ready (paused)", h)
			}
			svc := tt.remove(t, o, st)
			o.clk.advance(time.Hour)
			if _, err := svc.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			if h := svc.Health(); !h.Ready {
				t.Errorf("health after the watch was removed: %+v, want ready", h)
			}
			if got, err := st.PendingAlerts(ctx, dest, o.clk.now().Add(time.Hour), 10); err != nil || len(got) != 0 {
				t.Errorf("alerts pending for the removed watch's channel: %d (err %v), want 0", len(got), err)
			}
			if got := svc.sender.dropped.Load(); got != 1 { // with newshound_alerts_dropped_total
				t.Errorf("alerts counted as dropped: got %d, want 1", got)
			}
			// README: "dropped, logged once with their count".
			var logged []string
			for _, line := range strings.Split(o.logs.String(), "\n") {
				if strings.Contains(line, "alerts dropped") {
					logged = append(logged, line)
				}
			}
			if len(logged) != 1 || !strings.Contains(logged[0], "alerts=1") {
				t.Errorf("lines logging the dropped alerts: got %q, want one with alerts=1", logged)
			}
		})
	}
}

// TestWatchTwinsAreRefused: /watch add of what a watch of the server
// already does (the same feed, query and channel; a user retrying a slow
// command does this), or /watch edit to it, is refused naming that watch,
// not stored as a second watch that /watch list shows and pause and
// remove must each handle.
func TestWatchTwinsAreRefused(t *testing.T) {
	b := startBot(t)
	ctx := context.Background()
	feedURL := b.feed.URL + "/rss"
	if _, err := b.svc.Watches().Add(ctx, discord.AddRequest{GuildID: watchGuild, ChannelID: watchChannel, FeedURL: feedURL, Query: "aleppo ceasefire"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, channel, query string
		want                 string // "" for added
	}{
		{"the same again", watchChannel, "aleppo ceasefire", "watch #1 already sends that query"},
		{"the same query written otherwise", watchChannel, "aleppo  AND ceasefire", "watch #1 already sends that query"},
		{"another query", watchChannel, "aleppo truce", ""},
		{"another channel", "800000000000000003", "aleppo ceasefire", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.svc.Watches().Add(ctx, discord.AddRequest{GuildID: watchGuild, ChannelID: tc.channel, FeedURL: feedURL, Query: tc.query})
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Add(%q to %s): %v, want it added", tc.query, tc.channel, err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Add(%q to %s): got error %v, want one containing %q", tc.query, tc.channel, err, tc.want)
			}
		})
	}
	if ws, err := b.svc.store.Watches(ctx); err != nil || len(ws) != 3 {
		t.Errorf("got %d watches stored (err %v), want 3", len(ws), err)
	}
	// An edit may not make a twin either: #2 (aleppo truce) edited to
	// #1's query, or #3 (another channel) moved to #1's channel.
	edits := []struct {
		name string
		req  discord.EditRequest
		want string // "" for edited
	}{
		{"query made a twin's", discord.EditRequest{GuildID: watchGuild, ID: 2, Query: ptrTo("aleppo ceasefire")}, "watch #1 already sends that query"},
		{"channel made a twin's", discord.EditRequest{GuildID: watchGuild, ID: 3, ChannelID: ptrTo(watchChannel)}, "watch #1 already sends that query"},
		{"a watch edited to itself", discord.EditRequest{GuildID: watchGuild, ID: 1, Query: ptrTo("aleppo AND ceasefire")}, ""},
		{"a role only", discord.EditRequest{GuildID: watchGuild, ID: 2, Role: ptrTo("800000000000000077")}, ""},
	}
	for _, tc := range edits {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.svc.Watches().Edit(ctx, tc.req)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Edit: %v, want it edited", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Edit: got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// afterWriteStore fails the first read of the watches' version after a
// watch was written, when armed: a database blip between a /watch
// command's write and the catalog's rebuild.
type afterWriteStore struct {
	store.Store
	armed, written atomic.Bool
}

var errBlip = errors.New("database blip")

func (s *afterWriteStore) wrote() {
	if s.armed.Load() {
		s.written.Store(true)
	}
}

func (s *afterWriteStore) AddWatch(ctx context.Context, w store.Watch) (store.Watch, error) {
	defer s.wrote()
	return s.Store.AddWatch(ctx, w)
}

func (s *afterWriteStore) UpdateWatch(ctx context.Context, id int64, c store.WatchChange) (store.Watch, error) {
	defer s.wrote()
	return s.Store.UpdateWatch(ctx, id, c)
}

func (s *afterWriteStore) RemoveWatch(ctx context.Context, id int64) error {
	defer s.wrote()
	return s.Store.RemoveWatch(ctx, id)
}

func (s *afterWriteStore) SetWatchPaused(ctx context.Context, id int64, paused bool, reason string) error {
	defer s.wrote()
	return s.Store.SetWatchPaused(ctx, id, paused, reason)
}

func (s *afterWriteStore) WatchesVersion(ctx context.Context) (int64, error) {
	if s.written.CompareAndSwap(true, false) {
		s.armed.Store(false)
		return 0, errBlip
	}
	return s.Store.WatchesVersion(ctx)
}

// A /watch command whose write was stored answered an error when the
// rebuild of the catalog after it failed (a database blip): the user,
// told "Could not do that", tried again and was refused (the watch
// already there), or thought a watch removed still ran. The change is
// saved, and taken in at the next check of the watches' version; the
// command now says it was done.
func TestWatchCommandStoredIsNotReportedFailed(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		do   func(o *oneWatch) error
		// want is how many watches are stored after, and whether the
		// first is paused.
		want   int
		paused bool
	}{
		{name: "add", want: 2, do: func(o *oneWatch) error {
			_, err := o.w.Add(ctx, discord.AddRequest{GuildID: watchGuild, ChannelID: watchOtherChannel, FeedURL: o.feed.URL + "/rss", Query: "kerry"})
			return err
		}},
		{name: "edit", want: 1, do: func(o *oneWatch) error {
			_, err := o.w.Edit(ctx, discord.EditRequest{GuildID: watchGuild, ID: o.id, Query: ptrTo("kerry")})
			return err
		}},
		{name: "pause", want: 1, paused: true, do: func(o *oneWatch) error { return o.w.SetPaused(ctx, watchGuild, o.id, true) }},
		{name: "remove", want: 0, do: func(o *oneWatch) error { return o.w.Remove(ctx, watchGuild, o.id) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &afterWriteStore{}
			o := newOneWatch(t, func(s store.Store) store.Store { st.Store = s; return st })
			st.armed.Store(true)
			if err := tt.do(o); err != nil {
				t.Errorf("%s answered %v, want none: the change was stored", tt.name, err)
			}
			ws, err := st.Store.Watches(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(ws) != tt.want || (tt.want > 0 && ws[0].Paused != tt.paused) {
				t.Errorf("stored watches %+v, want %d, the first paused %v", ws, tt.want, tt.paused)
			}
			o.svc.live.checkEvery = 0
			o.svc.live.refresh(ctx)
			v, err := st.Store.WatchesVersion(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := o.svc.live.cur.Load().watchesVersion; got != v {
				t.Errorf("after the next check the catalog is of watches version %d, want the store's %d", got, v)
			}
		})
	}
}

// TestResumedWatchsCatchUpEnablesItsDisabledFeed: a watch resumed on a
// feed disabled while it was paused catches the feed up by a fetch of it;
// that fetch worked, so the feed is healthy again, not left disabled with
// a fresh last poll (README: "it is tried when a watch resumes").
func TestResumedWatchsCatchUpEnablesItsDisabledFeed(t *testing.T) {
	ctx := context.Background()
	o := newOneWatch(t, nil)
	feedID := WatchFeedID(o.feed.URL + "/rss")
	o.feed.SetStatus(http.StatusGone)
	clk := o.clk
	clk.advance(time.Hour)
	if _, err := o.svc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := feedState(t, o.svc.store, feedID); !got.Disabled {
		t.Fatalf("after a 410: disabled %v, want disabled", got.Disabled)
	}
	mustDo(t, o.w.SetPaused(ctx, watchGuild, o.id, true))
	o.feed.SetStatus(http.StatusOK) // the publisher fixed it
	clk.advance(time.Hour)
	mustDo(t, o.w.SetPaused(ctx, watchGuild, o.id, false)) // the catch-up fetches it
	o.svc.poller.flushStates(ctx)
	got := feedState(t, o.svc.store, feedID)
	if got.Disabled || got.DisabledReason != "" || got.ErrorCount != 0 || !got.LastPolled.Equal(clk.now()) {
		t.Errorf("after the resumed watch's catch-up: disabled %v (%q), %d errors, last polled %v; want enabled, no errors, last polled %v",
			got.Disabled, got.DisabledReason, got.ErrorCount, got.LastPolled, clk.now())
	}
	if !strings.Contains(o.logs.String(), "works again; enabled") {
		t.Errorf("the feed enabled again is not logged:\n%s", o.logs)
	}
}

// TestResumedWatchsCatchUpIsTheFeedsHealth: the catch-up of a resumed
// watch's feed that was failing, or disabled, fetched it: readiness takes
// it for a feed that works, not one failing until its next poll, an
// interval later.
func TestResumedWatchsCatchUpIsTheFeedsHealth(t *testing.T) {
	tests := []struct {
		name   string
		status int
	}{
		{"disabled", http.StatusGone},
		{"backing off", http.StatusBadGateway},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			o := newOneWatch(t, nil)
			o.feed.SetStatus(tt.status)
			o.clk.advance(time.Hour)
			if _, err := o.svc.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			if h := o.svc.Health(); h.Ready {
				t.Fatalf("the only feed failing: ready, want not ready")
			}
			mustDo(t, o.w.SetPaused(ctx, watchGuild, o.id, true))
			o.feed.SetStatus(http.StatusOK)
			o.clk.advance(time.Hour)
			mustDo(t, o.w.SetPaused(ctx, watchGuild, o.id, false)) // the catch-up fetches it
			if h := o.svc.Health(); !h.Ready {
				t.Errorf("after the resumed watch's catch-up fetched the feed: not ready, %q; want ready", h.Reasons)
			}
		})
	}
}

// newGoneWatch is newOneWatch whose feed answered a run --once 410 Gone,
// and so is disabled; feedID is its feed.
func newGoneWatch(t *testing.T) (o *oneWatch, feedID string) {
	t.Helper()
	o = newOneWatch(t, nil)
	o.feed.SetStatus(http.StatusGone)
	o.clk.advance(time.Hour)
	if _, err := o.svc.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	return o, WatchFeedID(o.feed.URL + "/rss")
}

// TestRunningServicePollsAFeedItsResumedWatchEnabled: under Run, a
// watch's feed disabled while it was polled is planned a year out; its
// watch paused, then resumed once the publisher fixed it, has the
// catch-up enable it, and the loop polls it again when due, not a year
// later (or at the next start or reload).
func TestRunningServicePollsAFeedItsResumedWatchEnabled(t *testing.T) {
	ctx := context.Background()
	o, feedID := newGoneWatch(t)
	polled := make(chan struct{}, 16)
	o.svc.poller.tick = 20 * time.Millisecond
	o.svc.poller.polledHook = func(id string) {
		if id == feedID {
			polled <- struct{}{}
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); o.svc.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	waitPolled := func(what string) {
		t.Helper()
		select {
		case <-polled:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the feed was not polled (state %+v)", what, feedState(t, o.svc.store, feedID))
		}
	}
	waitPolled("the start's retry of the disabled feed")
	if got := feedState(t, o.svc.store, feedID); !got.Disabled {
		t.Fatalf("after the start's retry got a 410: disabled %v, want disabled", got.Disabled)
	}
	mustDo(t, o.w.SetPaused(ctx, watchGuild, o.id, true))
	o.feed.SetStatus(http.StatusOK)
	o.clk.advance(time.Hour)
	mustDo(t, o.w.SetPaused(ctx, watchGuild, o.id, false)) // the catch-up enables it
	o.clk.advance(2 * time.Hour)                           // past its interval
	waitPolled("the feed the resumed watch's catch-up enabled, due")
}

// runCountingPolls runs o's service, its poll loop turning every 20 ms,
// counting the polls of feedID; stop ends the run and waits for its
// polls (the test's end does too).
func (o *oneWatch) runCountingPolls(t *testing.T, feedID string) (polls *atomic.Int32, stop func()) {
	polls = new(atomic.Int32)
	o.svc.poller.tick = 20 * time.Millisecond
	o.svc.poller.polledHook = func(id string) {
		if id == feedID {
			polls.Add(1)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); o.svc.Run(ctx) }()
	stop = sync.OnceFunc(func() { cancel(); <-done })
	t.Cleanup(stop)
	return polls, stop
}

// TestResumedWatchsDeadFeedIsTriedOnce: README says a paused watch's
// disabled feed "is tried when a watch resumes", and the resume's catch-up
// is that try. A rebuild plans afresh a feed the catalog before it did not
// list (aa593d7, for one the catch-up enabled), but a feed the catch-up
// found still dead is not tried again at once, as a start's retry, nor
// logged as a restart's or reload's.
func TestResumedWatchsDeadFeedIsTriedOnce(t *testing.T) {
	ctx := context.Background()
	o, feedID := newGoneWatch(t)
	polls, stop := o.runCountingPolls(t, feedID)
	waitForCondition(t, "the start's retry of the disabled feed", func() bool { return polls.Load() == 1 })
	mustDo(t, o.w.SetPaused(ctx, watchGuild, o.id, true))
	o.clk.advance(time.Hour)
	mustDo(t, o.w.SetPaused(ctx, watchGuild, o.id, false)) // the catch-up finds it gone still
	if got := feedState(t, o.svc.store, feedID); !got.Disabled {
		t.Fatalf("after the resume's catch-up got a 410: disabled %v, want disabled", got.Disabled)
	}
	// Two turns of the loop after the resume's catalog (each beats once,
	// before it starts what is due): a retry planned at the rebuild has
	// been started, and the Run's end waits for it.
	for range 2 {
		o.clk.advance(time.Minute)
		at := o.clk.now().UnixNano()
		waitForCondition(t, "a turn of the poll loop", func() bool { return o.svc.poller.beat.at.Load() >= at })
	}
	stop()
	if got := polls.Load() - 1; got != 0 {
		t.Errorf("the feed the resumed watch's catch-up found gone was polled %d times more, want 0 (the catch-up was its try)\n%s", got, o.logs)
	}
	if got := strings.Count(o.logs.String(), `msg="retrying a disabled feed once after a restart or reload"`); got != 1 {
		t.Errorf("retries logged as a restart's or reload's: %d, want 1 (the start's)", got)
	}
}
