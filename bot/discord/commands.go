package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
	"github.com/newshound/newshound/internal/redact"
	"github.com/newshound/newshound/internal/retryafter"
)

// Watches is what the /watch commands manage. The bot implements it over
// the store; errors are shown to the user verbatim, so they should read
// well ("query: unexpected ')' at 14", "feed: HTTP 404").
type Watches interface {
	// Add validates the feed URL (fetch, SSRF guard, file:// refused) and
	// the query, then stores the watch.
	Add(ctx context.Context, req AddRequest) (WatchInfo, error)
	// List includes the config file's subscriptions (read-only) and why a
	// watch is paused.
	List(ctx context.Context, guildID string) ([]WatchInfo, error)
	Remove(ctx context.Context, guildID string, id int64) error
	SetPaused(ctx context.Context, guildID string, id int64, paused bool) error
	// Edit changes a watch's query, channel or role (what the request
	// sets) and returns the watch as it now is.
	Edit(ctx context.Context, req EditRequest) (WatchInfo, error)
	// Test returns the recent (24 h) items of the watched feeds that
	// match query, with the matched words.
	Test(ctx context.Context, guildID, channelID, query string) ([]TestHit, error)
}

// AddRequest is a /watch add.
type AddRequest struct {
	GuildID   string
	ChannelID string // where alerts go: a text or news channel, a thread, or a forum
	Forum     bool   // ChannelID is a forum channel: each story opens a post
	FeedURL   string
	Query     string
	UserID    string // who asked
}

// EditRequest is a /watch edit: nil fields stay as they are.
type EditRequest struct {
	GuildID   string
	ID        int64
	Query     *string
	ChannelID *string
	Forum     bool    // with ChannelID: it is a forum channel
	Role      *string // a role id to ping, or "" to ping no one
	UserID    string  // who asked
}

// WatchInfo describes one watch for /watch list and replies.
type WatchInfo struct {
	ID           int64
	Name         string // config subscriptions have names
	GuildID      string
	ChannelID    string
	Destination  string // config subscriptions: the destination's name, when not a channel
	FeedURL      string
	FeedTitle    string
	FoundOn      string // the web page given to /watch add, when FeedURL was found on it
	Query        string
	MentionRole  string
	Paused       bool
	PausedReason string
	ReadOnly     bool // from the config file
	// QueryProblem says why a stored watch's query no longer compiles
	// (saved under an older query language, or naming a define the
	// config dropped): the watch does not run until it is edited.
	QueryProblem string
	// Hints are warnings about the query (a lowercase "or" between words),
	// each with a caret picture under the spot; the watch was saved.
	Hints []string
}

// FeedChoices is Add's answer when the URL given is a web page that links
// to several feeds: the user picks one and runs /watch add again.
type FeedChoices struct {
	Page  string
	Feeds []FeedChoice
}

// FeedChoice is one feed a page links to.
type FeedChoice struct {
	Title string
	URL   string
}

func (c *FeedChoices) Error() string {
	return fmt.Sprintf("%s links to %d feeds; choose one", c.Page, len(c.Feeds))
}

// TestHit is one recent item a /watch test query matches.
type TestHit struct {
	Feed      string
	Title     string
	Link      string
	Published time.Time
	Matched   []string
}

// Commands registers the /watch slash command and answers its interactions.
type Commands struct {
	s           *discordgo.Session
	lim         *Limiter // counts the replies' invalid answers; may be nil
	w           Watches
	log         *slog.Logger
	timeout     time.Duration
	openTimeout time.Duration // bounds the gateway handshake in Start
}

// NewCommands returns the /watch commands over w, answering through s.
// lim, the Limiter of s's token (nil: none), counts the invalid answers
// Discord gives the replies, as it counts those of the sends.
func NewCommands(s *discordgo.Session, lim *Limiter, w Watches, log *slog.Logger) *Commands {
	if log == nil {
		log = slog.Default()
	}
	// Interaction tokens last 15 minutes; a slow feed must not outlive them.
	return &Commands{s: s, lim: lim, w: w, log: log, timeout: 2 * time.Minute, openTimeout: 30 * time.Second}
}

// Definitions returns the /watch command: guild-only, for members who can
// manage channels (server admins may change that in Discord's settings).
func Definitions() []*discordgo.ApplicationCommand {
	manageChannels := int64(discordgo.PermissionManageChannels)
	noDM := false
	contexts := []discordgo.InteractionContextType{discordgo.InteractionContextGuild}
	id := func(verb string) *discordgo.ApplicationCommandOption {
		return subcommand(verb, strings.ToUpper(verb[:1])+verb[1:]+" a watch", &discordgo.ApplicationCommandOption{
			Type: discordgo.ApplicationCommandOptionInteger, Name: "id", Description: "the watch's number, from /watch list",
			Required: true, MinValue: ptr(1.0),
		})
	}
	return []*discordgo.ApplicationCommand{{
		Type:                     discordgo.ChatApplicationCommand,
		Name:                     "watch",
		Description:              "Alerts for news that matches a query",
		DefaultMemberPermissions: &manageChannels,
		DMPermission:             &noDM,
		Contexts:                 &contexts,
		Options: []*discordgo.ApplicationCommandOption{
			subcommand("add", "Watch a feed for items matching a query",
				&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "feed", Description: "feed URL (or a page that links to its feed)", Required: true, MaxLength: 2048},
				&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "query", Description: `e.g. aleppo AND (ceasefire OR truce)`, Required: true, MaxLength: 1000},
				&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionChannel, Name: "channel", Description: "where alerts go (default: here)",
					ChannelTypes: alertChannelTypes},
			),
			subcommand("list", "List this server's watches"),
			id("remove"),
			id("pause"),
			id("resume"),
			subcommand("edit", "Change a watch's query, channel or role",
				&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionInteger, Name: "id", Description: "the watch's number, from /watch list", Required: true, MinValue: ptr(1.0)},
				&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "query", Description: "the new query", MaxLength: 1000},
				&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionChannel, Name: "channel", Description: "where alerts go from now on",
					ChannelTypes: alertChannelTypes},
				&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionRole, Name: "role", Description: "a role each alert pings (it must be mentionable)"},
				&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionBoolean, Name: "no_role", Description: "ping no role any more"},
			),
			subcommand("test", "Which recent items (24 h) of the watched feeds match a query",
				&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "query", Description: "a query to try", Required: true, MaxLength: 1000},
			),
		},
	}}
}

func subcommand(name, description string, options ...*discordgo.ApplicationCommandOption) *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: name, Description: description, Options: options}
}

func ptr[T any](v T) *T { return &v }

// Register replaces the application's commands with /watch by a bulk
// overwrite: globally when guildIDs is empty, else in each guild (which
// takes effect at once, where global commands may take a while).
func (c *Commands) Register(ctx context.Context, appID string, guildIDs []string) error {
	targets := guildIDs
	if len(targets) == 0 {
		targets = []string{""}
	}
	for _, guild := range targets {
		if _, err := c.s.ApplicationCommandBulkOverwrite(appID, guild, Definitions(), discordgo.WithContext(ctx)); err != nil {
			where := "globally"
			if guild != "" {
				where = "in guild " + guild
			}
			return fmt.Errorf("discord: register /watch %s: %w", where, err)
		}
	}
	return nil
}

// Start listens for /watch, opens the gateway, and registers the command
// (see Register) under the application id READY announced. stop closes the
// gateway; call it on shutdown.
func (c *Commands) Start(ctx context.Context, guildIDs []string) (stop func() error, err error) {
	unlisten := c.Listen(ctx)
	if err := c.open(ctx); err != nil {
		unlisten()
		return nil, fmt.Errorf("discord: open gateway: %w", err)
	}
	stop = func() error {
		unlisten()
		return c.s.Close()
	}
	appID, err := c.applicationID(ctx)
	if err == nil {
		err = c.Register(ctx, appID, guildIDs)
	}
	if err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

// open is Session.Open bounded by ctx and c.openTimeout. discordgo reads
// HELLO and READY without a deadline while holding the session's lock, so a
// gateway that accepts the connection and then says nothing would block
// forever, and Close could not interrupt it: the connection is closed under
// it instead.
func (c *Commands) open(ctx context.Context) error {
	var mu sync.Mutex
	var conn net.Conn
	d := *websocket.DefaultDialer
	if c.s.Dialer != nil {
		d = *c.s.Dialer
	}
	dial := d.NetDialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		cn, err := dial(ctx, network, addr)
		if err == nil {
			mu.Lock()
			conn = cn
			mu.Unlock()
		}
		return cn, err
	}
	c.s.Dialer = &d

	done := make(chan error, 1)
	go func() { done <- c.s.Open() }()
	timer := time.NewTimer(c.openTimeout)
	defer timer.Stop()
	var why error
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		why = ctx.Err()
	case <-timer.C:
		why = fmt.Errorf("no READY from the gateway within %s", c.openTimeout)
	}
	mu.Lock()
	if conn != nil {
		conn.Close()
	}
	mu.Unlock()
	if err := <-done; err == nil {
		c.s.Close() // it made it after all; too late
	}
	return why
}

// applicationID is the application READY announced; bots created before
// 2020 may have a user id that differs from it, so the user id is only the
// fallback.
func (c *Commands) applicationID(ctx context.Context) (string, error) {
	if st := c.s.State; st != nil {
		st.RLock()
		app := st.Application
		st.RUnlock()
		if app != nil && app.ID != "" {
			return app.ID, nil
		}
	}
	return botUserID(ctx, c.s)
}

// Listen answers /watch interactions arriving on the session's gateway
// until ctx ends or the returned function is called. discordgo runs each
// handler in its own goroutine; stop cancels the commands still running
// and waits for them, which answer their users (see Handle).
func (c *Commands) Listen(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var mu sync.Mutex
	var running sync.WaitGroup
	stopped := false
	remove := c.s.AddHandler(func(_ *discordgo.Session, ic *discordgo.InteractionCreate) {
		mu.Lock()
		if stopped || ctx.Err() != nil || ic.Interaction == nil {
			mu.Unlock()
			return
		}
		running.Add(1)
		mu.Unlock()
		defer running.Done()
		c.Handle(ctx, ic.Interaction)
	})
	return func() {
		remove()
		mu.Lock()
		stopped = true
		mu.Unlock()
		cancel()
		running.Wait()
	}
}

// answerTimeout bounds a reply sent after the command's context ended
// (the bot is stopping): its user is still answered.
const answerTimeout = 10 * time.Second

// errStopping is what a user is told of a command the bot's stop cut short.
var errStopping = errors.New("newshound is stopping (a restart or a handover to another instance); try again in a minute")

// Handle answers one interaction: it defers at once (Discord wants a first
// response within 3 s and Add may fetch a feed), does the work, then edits
// the deferred response. List and test answers, and every error, are
// ephemeral: only the user who asked sees them.
func (c *Commands) Handle(ctx context.Context, i *discordgo.Interaction) {
	if i.Type != discordgo.InteractionApplicationCommand {
		return
	}
	data := i.ApplicationCommandData()
	if data.Name != "watch" || len(data.Options) == 0 {
		return
	}
	sub := data.Options[0]
	log := c.log.With("interaction", i.ID, "command", "watch "+sub.Name, "guild", i.GuildID, "user", userID(i))
	r := newReplier(c.s, c.lim, i)
	if i.GuildID == "" {
		r.replyNow(ctx, log, "Use /watch in a server channel.")
		return
	}
	ephemeral := sub.Name == "list" || sub.Name == "test"
	if err := r.deferReply(ctx, ephemeral); err != nil {
		log.Warn("interaction: defer failed", "err", err)
		return
	}
	wctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	text, w, err := c.run(wctx, i, sub)
	// The answer goes out even when the bot is stopping meanwhile.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), answerTimeout)
	defer rcancel()
	if err != nil && ctx.Err() != nil {
		err = errStopping
	}
	if err != nil {
		log.Info("interaction: command failed", "err", err)
		if rerr := r.replyError(rctx, ephemeral, err); rerr != nil {
			log.With(watchAttrs(sub, WatchInfo{})...).Warn("interaction: error reply failed; the user was not shown the error", "shown", err, "err", rerr)
		}
		return
	}
	if err := r.reply(rctx, ephemeral, text); err != nil {
		if ephemeral {
			log.Warn("interaction: reply failed", "err", err)
			return
		}
		// A public answer tells of a change stored (a watch added, edited,
		// paused, resumed or removed) that its user now does not know of:
		// the log is where an admin can find it.
		log.With(watchAttrs(sub, w)...).Error("interaction: reply failed; the user was not told of the change", "err", err)
	}
}

// watchAttrs name the watch a command was about in a log line: w, as it
// now is, when the command added or edited it (its feed's URL shown as
// redact.URL shows it), else the id the command was given.
func watchAttrs(sub *discordgo.ApplicationCommandInteractionDataOption, w WatchInfo) []any {
	if w.ID != 0 {
		return []any{"watch", w.ID, "feed", redact.URL(w.FeedURL), "query", w.Query, "channel", w.ChannelID}
	}
	if id, ok := intOption(sub.Options, "id"); ok {
		return []any{"watch", id}
	}
	return nil
}

// userID is the id of the member who ran the interaction, or "".
func userID(i *discordgo.Interaction) string {
	switch {
	case i.Member != nil && i.Member.User != nil:
		return i.Member.User.ID
	case i.User != nil:
		return i.User.ID
	}
	return ""
}

// maxReplyMessages bounds a reply that does not fit in one message (a
// long /watch list): the deferred response and its follow-ups, about 100
// watches.
const maxReplyMessages = 10

// reply edits the deferred response with text, continued in follow-ups
// that the same people see when it does not fit in one message.
func (r *replier) reply(ctx context.Context, ephemeral bool, text string) error {
	var flags discordgo.MessageFlags
	if ephemeral {
		flags = discordgo.MessageFlagsEphemeral
	}
	return r.answer(ctx, flags, splitMessages(text, MaxContent, maxReplyMessages))
}

// answer edits parts[0] into the deferred response and sends the rest as
// follow-ups seen by whom flags say. When the response is gone (someone
// deleted it, a moderator the public "thinking…" of a deferral), every
// part goes as a follow-up instead, which Discord takes as long as the
// interaction's token is valid (15 minutes).
func (r *replier) answer(ctx context.Context, flags discordgo.MessageFlags, parts []string) error {
	rest := parts[1:]
	if err := r.editOriginal(ctx, parts[0]); errors.Is(err, errResponseGone) {
		rest = parts
	} else if err != nil {
		return err
	}
	for _, p := range rest {
		params := &discordgo.WebhookParams{Content: p, Flags: flags, AllowedMentions: noPings(nil)}
		if err := r.followup(ctx, params); err != nil {
			return err
		}
	}
	return nil
}

// run does the subcommand's work and returns the reply, and the watch
// as it now is when the command added or edited one.
func (c *Commands) run(ctx context.Context, i *discordgo.Interaction, sub *discordgo.ApplicationCommandInteractionDataOption) (string, WatchInfo, error) {
	switch sub.Name {
	case "add":
		return c.add(ctx, i, sub)
	case "list":
		watches, err := c.w.List(ctx, i.GuildID)
		if err != nil {
			return "", WatchInfo{}, err
		}
		return formatList(watches), WatchInfo{}, nil
	case "remove", "pause", "resume":
		id, ok := intOption(sub.Options, "id")
		if !ok {
			return "", WatchInfo{}, errors.New("missing the watch id")
		}
		var err error
		if sub.Name == "resume" {
			if err := c.checkWatchChannel(ctx, i.GuildID, id); err != nil {
				return "", WatchInfo{}, err
			}
		}
		if sub.Name == "remove" {
			err = c.w.Remove(ctx, i.GuildID, id)
		} else {
			err = c.w.SetPaused(ctx, i.GuildID, id, sub.Name == "pause")
		}
		if err != nil {
			return "", WatchInfo{}, err
		}
		return fmt.Sprintf("Watch #%d %s.", id, map[string]string{"remove": "removed", "pause": "paused", "resume": "resumed"}[sub.Name]), WatchInfo{}, nil
	case "edit":
		return c.edit(ctx, i, sub)
	case "test":
		query := stringOption(sub.Options, "query")
		hits, err := c.w.Test(ctx, i.GuildID, i.ChannelID, query)
		if err != nil {
			return "", WatchInfo{}, err
		}
		return formatHits(query, hits), WatchInfo{}, nil
	}
	return "", WatchInfo{}, fmt.Errorf("unknown subcommand %q", sub.Name)
}

// checkWatchChannel checks the channel of watch id, as add and edit check
// theirs: a watch paused because its channel refused a delivery is
// resumed only once the channel takes alerts again. A watch this guild
// has not (or a config subscription's) is left to the command to refuse.
func (c *Commands) checkWatchChannel(ctx context.Context, guildID string, id int64) error {
	watches, err := c.w.List(ctx, guildID)
	if err != nil {
		return err
	}
	for _, w := range watches {
		if w.ID == id && !w.ReadOnly && w.ChannelID != "" {
			return c.checkPermissions(ctx, w.ChannelID, nil)
		}
	}
	return nil
}

func (c *Commands) add(ctx context.Context, i *discordgo.Interaction, sub *discordgo.ApplicationCommandInteractionDataOption) (string, WatchInfo, error) {
	req := AddRequest{
		GuildID:   i.GuildID,
		ChannelID: stringOption(sub.Options, "channel"),
		FeedURL:   strings.TrimSpace(stringOption(sub.Options, "feed")),
		Query:     strings.TrimSpace(stringOption(sub.Options, "query")),
	}
	if req.ChannelID == "" {
		req.ChannelID = i.ChannelID
	}
	req.Forum = isForum(i, req.ChannelID)
	req.UserID = userID(i)
	if err := c.checkPermissions(ctx, req.ChannelID, resolvedChannel(i, req.ChannelID)); err != nil {
		return "", WatchInfo{}, err
	}
	w, err := c.w.Add(ctx, req)
	if err != nil {
		return "", WatchInfo{}, err
	}
	found := ""
	if w.FoundOn != "" {
		found = fmt.Sprintf("<%s> is a web page; it links to one feed, %s, which is now watched.\n", httpURL(w.FoundOn), titleOrURL(w))
	}
	return fmt.Sprintf("%sWatch #%d added: %s on %s → <#%s>", found, w.ID, codeSpan(w.Query), feedLabel(w), w.ChannelID) + formatHints(w.Hints), w, nil
}

// formatHints shows the query's warnings under a reply, in a code block so
// their carets line up.
func formatHints(hints []string) string {
	if len(hints) == 0 {
		return ""
	}
	return "\nWarning: the query was saved as written, but\n" + codeBlock(strings.Join(hints, "\n"))
}

func (c *Commands) edit(ctx context.Context, i *discordgo.Interaction, sub *discordgo.ApplicationCommandInteractionDataOption) (string, WatchInfo, error) {
	id, ok := intOption(sub.Options, "id")
	if !ok {
		return "", WatchInfo{}, errors.New("missing the watch id")
	}
	req := EditRequest{GuildID: i.GuildID, ID: id}
	if q, ok := optionValue(sub.Options, "query"); ok {
		q = strings.TrimSpace(q)
		req.Query = &q
	}
	if ch, ok := optionValue(sub.Options, "channel"); ok {
		req.ChannelID = &ch
		req.Forum = isForum(i, ch)
	}
	role, hasRole := optionValue(sub.Options, "role")
	noRole := boolOption(sub.Options, "no_role")
	switch {
	case hasRole && noRole:
		return "", WatchInfo{}, errors.New("give role or no_role, not both")
	case hasRole:
		req.Role = &role
	case noRole:
		req.Role = ptr("")
	}
	if req.Query == nil && req.ChannelID == nil && req.Role == nil {
		return "", WatchInfo{}, errors.New("nothing to change: give query, channel, role or no_role")
	}
	req.UserID = userID(i)
	if req.ChannelID != nil {
		if err := c.checkPermissions(ctx, *req.ChannelID, resolvedChannel(i, *req.ChannelID)); err != nil {
			return "", WatchInfo{}, err
		}
	}
	w, err := c.w.Edit(ctx, req)
	if err != nil {
		return "", WatchInfo{}, err
	}
	return fmt.Sprintf("Watch #%d changed. It is now:\n%s", w.ID, formatList([]WatchInfo{w})) + strings.TrimPrefix(formatHints(w.Hints), "\n"), w, nil
}

func titleOrURL(w WatchInfo) string {
	if w.FeedTitle != "" {
		return markdown(w.FeedTitle, nil, 100)
	}
	return "<" + httpURL(w.FeedURL) + ">"
}

// replier sends one interaction's answers: its response, the edits and
// deletion of it, its follow-ups.
//
// discordgo's interaction helpers name a rate-limit bucket for each
// interaction token, and discordgo keeps every bucket it is given for ever:
// a bot grew by a bucket or more for each slash command. Nor would a bucket
// id shared by all interactions do: discordgo sends a bucket's requests one
// at a time and waits on its rate-limit headers, while each interaction has
// limits of its own (and Discord exempts interactions from the global one),
// so one interaction's answer would wait on another's hung request or
// used-up bucket, past its 3 s. So each request goes under a discordgo
// bucket made for it alone and kept nowhere, with the rate-limit headers
// hidden from discordgo (see recorder.record), and the replier paces its
// interaction's requests by them (follow-ups: 5 per 2 s).
type replier struct {
	s *discordgo.Session
	// lim counts the invalid answers (may be nil); it paces nothing.
	lim *Limiter
	i   *discordgo.Interaction
	// respondBy is when Discord stops taking the interaction's first
	// response (respondWithin of its arrival): a 429 whose wait ends
	// later is not waited out for it.
	respondBy time.Time
	// refill is, by route, when a bucket an answer said was used up
	// refills.
	refill map[string]time.Time
}

// respondWithin is how long after an interaction Discord takes its
// first response (a deferral, or the answer): 3 s, after which the
// interaction's token is invalid (10062 Unknown interaction).
const respondWithin = 3 * time.Second

// newReplier answers i, which has just arrived, counting its invalid
// answers in lim.
func newReplier(s *discordgo.Session, lim *Limiter, i *discordgo.Interaction) *replier {
	return &replier{s: s, lim: lim, i: i, respondBy: time.Now().Add(respondWithin), refill: make(map[string]time.Time)}
}

// send sends data (nil: no body) as JSON once route's bucket has room,
// and once more when Discord refuses it with a 429, or for want of a
// gateway (retryWait), and the wait ends before ctx does, and before by
// (zero: no such bound): an answer refused is otherwise lost to the user.
func (r *replier) send(ctx context.Context, by time.Time, method, endpoint string, data any) error {
	route := method + " " + strings.SplitN(endpoint, "?", 2)[0]
	var body []byte
	if data != nil {
		var err error
		if body, err = discordgo.Marshal(data); err != nil {
			return err
		}
	}
	for try := 1; ; try++ {
		if wait := time.Until(r.refill[route]); wait > 0 {
			if err := retryafter.Sleep(ctx, wait); err != nil {
				return err
			}
		}
		rctx, rec := withRecorder(ctx)
		bucket := &discordgo.Bucket{Key: route}
		bucket.Lock() // RequestWithLockedBucket releases it
		_, err := r.s.RequestWithLockedBucket(method, endpoint, "application/json", body, bucket, 0, discordgo.WithContext(rctx))
		err = withoutURL(err)
		ex := rec.last
		if ex == nil {
			return err
		}
		r.lim.countInvalid(ex)
		if ex.header.Get("X-RateLimit-Remaining") == "0" {
			if after, perr := parseSeconds(ex.header.Get("X-RateLimit-Reset-After")); perr == nil {
				r.refill[route] = time.Now().Add(after)
			}
		}
		if try == 2 {
			return responseGone(ex, err)
		}
		wait, again := retryWait(ex)
		if !again {
			return responseGone(ex, err)
		}
		until := time.Now().Add(wait)
		if r.refill[route].After(until) {
			until = r.refill[route]
		}
		if deadline, ok := ctx.Deadline(); ok && until.After(deadline) || !by.IsZero() && until.After(by) {
			return err
		}
		r.refill[route] = until
	}
}

// unavailableWait is how long a request Discord refused for want of a
// gateway (502, 503, 504) waits before it is sent once more.
const unavailableWait = 500 * time.Millisecond

// retryWait tells whether the request ex answered is sent once more, and
// after how long: a 429 after the wait its body asks (one without it is
// not), and a 502, 503 or 504, which Discord answers when no gateway
// could take the request ("wait a bit and retry": nothing was done),
// after unavailableWait. Not a 500, which may come after the message was
// made: sent again, an answer could show twice.
func retryWait(ex *exchange) (time.Duration, bool) {
	switch ex.status {
	case http.StatusTooManyRequests:
		var rl rateLimitBody
		if json.Unmarshal(ex.body, &rl) != nil || rl.RetryAfter == nil {
			return 0, false
		}
		return secondsToDuration(*rl.RetryAfter), true
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return unavailableWait, true
	}
	return 0, false
}

// errResponseGone marks an edit or deletion of the interaction's response
// that Discord answered 404 Unknown Message: someone deleted the response.
var errResponseGone = errors.New("the response was deleted")

// responseGone is err, the failure of a request answered with ex, marked
// errResponseGone when ex says the message is unknown.
func responseGone(ex *exchange, err error) error {
	if ex.status == http.StatusNotFound && apiCode(ex.body) == codeUnknownMessage {
		return fmt.Errorf("%w: %w", errResponseGone, err)
	}
	return err
}

func (r *replier) respond(ctx context.Context, resp *discordgo.InteractionResponse) error {
	return r.send(ctx, r.respondBy, http.MethodPost, discordgo.EndpointInteractionResponse(r.i.ID, r.i.Token), resp)
}

func (r *replier) deferReply(ctx context.Context, ephemeral bool) error {
	resp := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}
	if ephemeral {
		resp.Data = &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral}
	}
	return r.respond(ctx, resp)
}

func (r *replier) replyNow(ctx context.Context, log *slog.Logger, text string) {
	err := r.respond(ctx, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: text, Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noPings(nil)},
	})
	if err != nil {
		log.Warn("interaction: reply failed", "err", err)
	}
}

func (r *replier) editOriginal(ctx context.Context, text string) error {
	text = clipLines(text, MaxContent)
	return r.send(ctx, time.Time{}, http.MethodPatch, discordgo.EndpointWebhookMessage(r.i.AppID, r.i.Token, "@original"),
		&discordgo.WebhookEdit{Content: &text, AllowedMentions: noPings(nil)})
}

func (r *replier) deleteOriginal(ctx context.Context) error {
	return r.send(ctx, time.Time{}, http.MethodDelete, discordgo.EndpointInteractionResponseActions(r.i.AppID, r.i.Token), nil)
}

func (r *replier) followup(ctx context.Context, params *discordgo.WebhookParams) error {
	return r.send(ctx, time.Time{}, http.MethodPost, discordgo.EndpointFollowupMessage(r.i.AppID, r.i.Token)+"?wait=true", params)
}

// replyError shows err to the user only: an ephemeral deferral is edited;
// a public one is deleted and the error sent as an ephemeral follow-up,
// as it is when the public deferral is gone already (a moderator deleted
// it). A public deferral that could not be deleted shows the error.
func (r *replier) replyError(ctx context.Context, ephemeral bool, err error) error {
	text := "Could not do that:\n" + codeBlock(err.Error())
	var choices *FeedChoices
	if errors.As(err, &choices) {
		text = formatChoices(choices)
	}
	text = clipLines(text, MaxContent)
	if !ephemeral {
		if derr := r.deleteOriginal(ctx); derr == nil || errors.Is(derr, errResponseGone) {
			return r.followup(ctx, &discordgo.WebhookParams{Content: text, Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noPings(nil)})
		}
	}
	return r.answer(ctx, discordgo.MessageFlagsEphemeral, []string{text})
}

// formatList shows one watch per line, each part labelled: its number
// (or a config subscription's name), feed, query, where alerts go, the
// role they ping, and whether and why it is paused.
func formatList(watches []WatchInfo) string {
	if len(watches) == 0 {
		return "No watches in this server yet. Add one with `/watch add`."
	}
	var b strings.Builder
	for _, w := range watches {
		var parts []string
		if w.ReadOnly {
			parts = append(parts, fmt.Sprintf("**%s** (config file, read-only)", markdown(w.Name, nil, 100)))
		} else {
			parts = append(parts, fmt.Sprintf("**#%d**", w.ID))
		}
		if label := feedLabel(w); label != "" {
			parts = append(parts, "feed: "+label)
		}
		parts = append(parts, "query: "+codeSpan(w.Query))
		switch {
		case w.ChannelID != "":
			parts = append(parts, fmt.Sprintf("channel: <#%s>", w.ChannelID))
		case w.Destination != "":
			parts = append(parts, "destination: "+codeSpan(w.Destination))
		}
		if w.MentionRole != "" {
			parts = append(parts, fmt.Sprintf("role: <@&%s>", w.MentionRole))
		}
		if w.Paused {
			paused := "**paused**"
			if w.PausedReason != "" {
				paused += ": " + markdown(w.PausedReason, nil, 200)
			}
			parts = append(parts, paused)
		}
		if w.QueryProblem != "" {
			parts = append(parts, fmt.Sprintf("**not running**: its query no longer parses (%s); fix it with `/watch edit id:%d query:…`",
				markdown(w.QueryProblem, nil, 300), w.ID))
		}
		b.WriteString("• " + strings.Join(parts, " · ") + "\n")
	}
	return b.String()
}

// formatChoices offers the feeds a web page links to.
func formatChoices(c *FeedChoices) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<%s> is a web page, not a feed. It links to %d feeds; run `/watch add` again with the one you want:\n", httpURL(c.Page), len(c.Feeds))
	for _, f := range c.Feeds {
		title := "(untitled)"
		if f.Title != "" {
			title = markdown(f.Title, nil, 100)
		}
		if u := httpURL(f.URL); u != "" {
			fmt.Fprintf(&b, "• %s — <%s>\n", title, u)
		}
	}
	return b.String()
}

func formatHits(query string, hits []TestHit) string {
	if len(hits) == 0 {
		return fmt.Sprintf("No item of the last 24 hours matches %s.", codeSpan(query))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d recent item(s) match %s:\n", len(hits), codeSpan(query))
	for _, h := range hits {
		title := markdown(h.Title, nil, 200)
		if u := httpURL(h.Link); u != "" {
			title = fmt.Sprintf("[%s](<%s>)", title, u)
		}
		fmt.Fprintf(&b, "• %s — %s", title, markdown(h.Feed, nil, 100))
		if !h.Published.IsZero() {
			fmt.Fprintf(&b, ", <t:%d:R>", h.Published.Unix())
		}
		if len(h.Matched) > 0 {
			fmt.Fprintf(&b, " — matched: %s", markdown(strings.Join(h.Matched, ", "), nil, 200))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// feedLabel shows a feed as a link without a preview, or "" when the watch
// names no feed (config subscriptions may leave it to the list's caller).
func feedLabel(w WatchInfo) string {
	if u := httpURL(w.FeedURL); u != "" {
		return "<" + u + ">"
	}
	if w.FeedTitle != "" {
		return markdown(w.FeedTitle, nil, 100)
	}
	if w.FeedURL == "" {
		return ""
	}
	return codeSpan(w.FeedURL)
}

// codeSpan shows user text as inline code; a backtick inside would end it.
func codeSpan(s string) string {
	return "`" + defuseMentions(strings.ReplaceAll(s, "`", "ˋ")) + "`"
}

// codeBlock keeps an error's layout (a query caret lines up under the
// problem) and cannot be closed early by the text inside.
func codeBlock(s string) string {
	return "```\n" + strings.ReplaceAll(s, "```", "`\u200b``") + "\n```"
}

// clipLines cuts text to limit code points at a line end, saying how many
// lines were left out; a code block cut open is closed again.
func clipLines(text string, limit int) string {
	return splitMessages(text, limit, 1)[0]
}

// splitMessages cuts text into at most most messages of at most limit code
// points each, at line ends (a line longer than a message is cut); a code
// block cut open is closed, and opened again in the next message. Text
// that needs more messages ends by saying how many lines were left out.
func splitMessages(text string, limit, most int) []string {
	if utf8.RuneCountInString(text) <= limit {
		return []string{text}
	}
	const reserve = 40 // room for a closing fence and the "… N more line(s)" note
	room := limit - reserve
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	var out []string
	var b strings.Builder
	n, fenced := 0, false
	for i, line := range lines {
		if r := []rune(line); len(r) > room-5 { // with a fence opened again, it fits
			line = string(r[:room-6]) + "…"
		}
		w := utf8.RuneCountInString(line) + 1
		if n+w > room && n > 0 {
			if fenced {
				b.WriteString("```\n")
			}
			if len(out) == most-1 {
				fmt.Fprintf(&b, "… %d more line(s)", len(lines)-i)
				return append(out, b.String())
			}
			out = append(out, strings.TrimSuffix(b.String(), "\n"))
			b.Reset()
			n = 0
			if fenced {
				b.WriteString("```\n")
				n = 4
			}
		}
		b.WriteString(line)
		b.WriteByte('\n')
		n += w
		if strings.Count(line, "```")%2 == 1 {
			fenced = !fenced
		}
	}
	return append(out, strings.TrimSuffix(b.String(), "\n"))
}

func stringOption(opts []*discordgo.ApplicationCommandInteractionDataOption, name string) string {
	for _, o := range opts {
		if o.Name == name {
			s, _ := o.Value.(string)
			return s
		}
	}
	return ""
}

// optionValue is a string-valued option (string, channel, role, user:
// Discord sends their ids as strings) and whether it was given.
func optionValue(opts []*discordgo.ApplicationCommandInteractionDataOption, name string) (string, bool) {
	for _, o := range opts {
		if o.Name == name {
			s, ok := o.Value.(string)
			return s, ok
		}
	}
	return "", false
}

func boolOption(opts []*discordgo.ApplicationCommandInteractionDataOption, name string) bool {
	for _, o := range opts {
		if o.Name == name {
			b, _ := o.Value.(bool)
			return b
		}
	}
	return false
}

func intOption(opts []*discordgo.ApplicationCommandInteractionDataOption, name string) (int64, bool) {
	for _, o := range opts {
		if o.Name == name {
			switch v := o.Value.(type) {
			case float64:
				return int64(v), true
			case int64:
				return v, true
			case int:
				return int64(v), true
			}
		}
	}
	return 0, false
}

// alertChannelTypes are the channels a watch may post to: text and news
// channels, their threads, and forums (one post per story).
var alertChannelTypes = []discordgo.ChannelType{
	discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildNews,
	discordgo.ChannelTypeGuildPublicThread, discordgo.ChannelTypeGuildPrivateThread, discordgo.ChannelTypeGuildNewsThread,
	discordgo.ChannelTypeGuildForum,
}

// isForum reports whether the interaction resolved channel id as a forum.
func isForum(i *discordgo.Interaction, id string) bool {
	ch := resolvedChannel(i, id)
	return ch != nil && ch.Type == discordgo.ChannelTypeGuildForum
}

// resolvedChannel is channel id as the interaction resolved it, or nil.
func resolvedChannel(i *discordgo.Interaction, id string) *discordgo.Channel {
	d, ok := i.Data.(discordgo.ApplicationCommandInteractionData)
	if !ok || d.Resolved == nil {
		return nil
	}
	return d.Resolved.Channels[id]
}
