package discord

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/newshound/newshound/internal/fakediscord"
	"github.com/newshound/newshound/internal/golden"
)

const (
	testGuild       = "700000000000000001"
	testCmdChannel  = "200000000000000009"
	testAlertTarget = "200000000000000010"
	replyTimeout    = 10 * time.Second
	// reconnectTimeout bounds a wait for discordgo to come back after a
	// dropped gateway: its Close takes a second, and each failed Open
	// waits 1, 2, 4, 8 s before the next, which a loaded CI machine
	// (-race, packages side by side) can need.
	reconnectTimeout = 40 * time.Second
)

// memoryWatches is an in-test Watches: a map, and canned answers.
type memoryWatches struct {
	mu      sync.Mutex
	nextID  int64
	watches []WatchInfo
	hits    []TestHit
	addErr  error
	tested  []string
	edits   []EditRequest
	hints   []string // what Add and Edit warn of
}

func (m *memoryWatches) Add(ctx context.Context, req AddRequest) (WatchInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.addErr != nil {
		return WatchInfo{}, m.addErr
	}
	m.nextID++
	w := WatchInfo{ID: m.nextID, GuildID: req.GuildID, ChannelID: req.ChannelID, FeedURL: req.FeedURL, Query: req.Query, Hints: m.hints}
	m.watches = append(m.watches, w)
	return w, nil
}

func (m *memoryWatches) List(ctx context.Context, guildID string) ([]WatchInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []WatchInfo
	for _, w := range m.watches {
		if w.GuildID == guildID || w.ReadOnly {
			out = append(out, w)
		}
	}
	return out, nil
}

func (m *memoryWatches) Remove(ctx context.Context, guildID string, id int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, w := range m.watches {
		if w.ID == id && w.GuildID == guildID && !w.ReadOnly {
			m.watches = append(m.watches[:i], m.watches[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("no watch #%d in this server", id)
}

func (m *memoryWatches) SetPaused(ctx context.Context, guildID string, id int64, paused bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.watches {
		if m.watches[i].ID == id && m.watches[i].GuildID == guildID {
			m.watches[i].Paused = paused
			return nil
		}
	}
	return errors.New("no such watch")
}

func (m *memoryWatches) Edit(ctx context.Context, req EditRequest) (WatchInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.edits = append(m.edits, req)
	for i := range m.watches {
		w := &m.watches[i]
		if w.ID != req.ID || w.GuildID != req.GuildID || w.ReadOnly {
			continue
		}
		if req.Query != nil {
			w.Query = *req.Query
		}
		if req.ChannelID != nil {
			w.ChannelID = *req.ChannelID
		}
		if req.Role != nil {
			w.MentionRole = *req.Role
		}
		out := *w
		out.Hints = m.hints
		return out, nil
	}
	return WatchInfo{}, fmt.Errorf("no watch #%d in this server", req.ID)
}

func (m *memoryWatches) Test(ctx context.Context, guildID, channelID, query string) ([]TestHit, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tested = append(m.tested, query)
	return m.hits, nil
}

func (m *memoryWatches) snapshot() []WatchInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]WatchInfo(nil), m.watches...)
}

// connectBot opens a gateway session on the fake with the /watch handler.
func connectBot(t *testing.T, f *fakediscord.Server, w Watches) *discordgo.Session {
	t.Helper()
	s := newTestSession(t, f, "test-token")
	ctx, cancel := context.WithCancel(context.Background())
	cmds := NewCommands(s, nil, w, slog.New(slog.NewTextHandler(io.Discard, nil)))
	stop, err := cmds.Start(ctx, []string{testGuild})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		stop()
	})
	f.WaitFor(replyTimeout, f.GatewayConnected)
	if got := len(f.Commands(testGuild)); got != 1 {
		t.Fatalf("Start registered %d commands in the test guild, want 1", got)
	}
	return s
}

// A gateway that accepts the connection and never says HELLO used to block
// Start (and with it the bot's start-up and shutdown) forever: discordgo
// reads HELLO and READY without a deadline.
func TestStartGivesUpOnASilentGateway(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		openTimeout time.Duration
		cancelAfter time.Duration
	}{
		{"timeout", 300 * time.Millisecond, 0},
		{"context cancelled", time.Hour, 300 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			f.StallGateway(true)
			cmds := NewCommands(newTestSession(t, f, "test-token"), nil, &memoryWatches{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			cmds.openTimeout = tt.openTimeout
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancelAfter > 0 {
				time.AfterFunc(tt.cancelAfter, cancel)
			}
			done := make(chan error, 1)
			go func() {
				stop, err := cmds.Start(ctx, []string{testGuild})
				if stop != nil {
					stop()
				}
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil {
					t.Errorf("Start succeeded against a gateway that never said HELLO")
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Start still blocked 10 s after the gateway went silent")
			}
		})
	}
}

// The README promises that the bot needs no privileged intent; the fake
// refuses one (close code 4014) as Discord does for a bot not granted it.
func TestBotAsksForNoPrivilegedIntent(t *testing.T) {
	t.Parallel()
	f := fakediscord.New(t)
	connectBot(t, f, &memoryWatches{})
	if got := f.GatewayStats().Intents; got != int(discordgo.IntentsGuilds) {
		t.Errorf("IDENTIFY intents = %#x, want Guilds only (%#x)", got, discordgo.IntentsGuilds)
	}

	g := fakediscord.New(t)
	s := newTestSession(t, g, "test-token")
	s.Identify.Intents |= discordgo.IntentMessageContent
	cmds := NewCommands(s, nil, &memoryWatches{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	cmds.openTimeout = 5 * time.Second
	stop, err := cmds.Start(context.Background(), []string{testGuild})
	if err == nil {
		stop()
		t.Errorf("Start with the Message Content intent succeeded; the fake should close the gateway with 4014")
	}
}

func opt(name string, value any) *discordgo.ApplicationCommandInteractionDataOption {
	typ := discordgo.ApplicationCommandOptionString
	if _, ok := value.(int); ok {
		typ = discordgo.ApplicationCommandOptionInteger
	}
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: typ, Value: value}
}

func sub(name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionSubCommand, Options: opts}
}

// runCommand injects /watch SUB and waits until the bot has finished
// answering it (an edit of the original response or a follow-up).
func runCommand(t *testing.T, f *fakediscord.Server, o *discordgo.ApplicationCommandInteractionDataOption) fakediscord.Interaction {
	t.Helper()
	id := f.Inject(fakediscord.SlashCommand(testGuild, testCmdChannel, "watch", o))
	f.WaitFor(replyTimeout, func() bool {
		in := f.Interaction(id)
		return len(in.Edits) > 0 || len(in.Followups) > 0
	})
	in := f.Interaction(id)
	if !in.Answered() {
		t.Errorf("/watch %s: no first response within %s", o.Name, fakediscord.ResponseDeadline)
	}
	return in
}

func TestRegisterBulkOverwrite(t *testing.T) {
	tests := []struct {
		name   string
		guilds []string
	}{
		{"global", nil},
		{"guilds", []string{"700000000000000001", "700000000000000002"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			cmds := NewCommands(newTestSession(t, f, "test-token"), nil, &memoryWatches{}, nil)
			if err := cmds.Register(context.Background(), fakediscord.AppID, tt.guilds); err != nil {
				t.Fatalf("Register: %v", err)
			}
			targets := tt.guilds
			if len(targets) == 0 {
				targets = []string{""}
			}
			for _, g := range targets {
				got := f.Commands(g)
				if len(got) != 1 || got[0].Name != "watch" {
					t.Fatalf("guild %q: got %d commands, want /watch", g, len(got))
				}
				c := got[0]
				if c.DefaultMemberPermissions == nil || *c.DefaultMemberPermissions != discordgo.PermissionManageChannels {
					t.Errorf("default_member_permissions = %v, want Manage Channels", c.DefaultMemberPermissions)
				}
				if c.DMPermission == nil || *c.DMPermission {
					t.Errorf("dm_permission = %v, want false", c.DMPermission)
				}
				var subs []string
				for _, o := range c.Options {
					subs = append(subs, o.Name)
				}
				if got, want := strings.Join(subs, " "), "add list remove pause resume edit test"; got != want {
					t.Errorf("subcommands = %q, want %q", got, want)
				}
			}
		})
	}
}

func TestWatchAddThroughGateway(t *testing.T) {
	t.Parallel() // each gateway test spends 1 s in discordgo's Close
	f := fakediscord.New(t)
	w := &memoryWatches{}
	connectBot(t, f, w)

	in := runCommand(t, f, sub("add", opt("feed", "https://example.org/feed.xml"), opt("query", "aleppo ceasefire"), &discordgo.ApplicationCommandInteractionDataOption{
		Name: "channel", Type: discordgo.ApplicationCommandOptionChannel, Value: testAlertTarget,
	}))

	got := w.snapshot()
	if len(got) != 1 {
		t.Fatalf("Watches.Add called %d times, want 1", len(got))
	}
	want := WatchInfo{ID: 1, GuildID: testGuild, ChannelID: testAlertTarget, FeedURL: "https://example.org/feed.xml", Query: "aleppo ceasefire"}
	if !reflect.DeepEqual(got[0], want) {
		t.Errorf("watch = %+v, want %+v", got[0], want)
	}
	if c := in.Callbacks[0]; c.Type != int(discordgo.InteractionResponseDeferredChannelMessageWithSource) || c.Ephemeral() {
		t.Errorf("first response type %d ephemeral %v, want a public deferral (5)", c.Type, c.Ephemeral())
	}
	wantReply := "Watch #1 added: `aleppo ceasefire` on <https://example.org/feed.xml> → <#" + testAlertTarget + ">"
	if got := in.Original(); got != wantReply {
		t.Errorf("reply = %q, want %q", got, wantReply)
	}
}

func TestWatchAddErrorIsShownOnlyToTheUser(t *testing.T) {
	t.Parallel() // each gateway test spends 1 s in discordgo's Close
	f := fakediscord.New(t)
	caret := "query: expected a word after AND\naleppo AND\n          ^"
	connectBot(t, f, &memoryWatches{addErr: errors.New(caret)})

	in := runCommand(t, f, sub("add", opt("feed", "https://example.org/feed.xml"), opt("query", "aleppo AND")))
	if !in.Deleted {
		t.Errorf("public deferral not deleted: the error would show to everyone")
	}
	if len(in.Followups) != 1 {
		t.Fatalf("got %d follow-ups, want 1", len(in.Followups))
	}
	fu := in.Followups[0]
	if !fu.Ephemeral() {
		t.Errorf("error follow-up is public, want ephemeral")
	}
	if want := "```\n" + caret + "\n```"; !strings.Contains(fu.Content, want) {
		t.Errorf("follow-up %q does not show the error verbatim in a code block %q", fu.Content, want)
	}
}

func TestWatchTestRepliesWithItems(t *testing.T) {
	t.Parallel() // each gateway test spends 1 s in discordgo's Close
	f := fakediscord.New(t)
	w := &memoryWatches{hits: []TestHit{
		{Feed: "wire-world", Title: "Kerry and Lavrov agree Aleppo ceasefire", Link: "https://example.org/1", Published: time.Unix(1473516120, 0), Matched: []string{"Aleppo", "ceasefire"}},
		{Feed: "bbc", Title: "Truce *holds* in Aleppo @everyone", Link: "https://example.org/2", Matched: []string{"Aleppo"}},
	}}
	connectBot(t, f, w)

	in := runCommand(t, f, sub("test", opt("query", "aleppo")))
	if !in.Callbacks[0].Ephemeral() {
		t.Errorf("/watch test deferral is public, want ephemeral")
	}
	want := "2 recent item(s) match `aleppo`:\n" +
		"• [Kerry and Lavrov agree Aleppo ceasefire](<https://example.org/1>) — wire-world, <t:1473516120:R> — matched: Aleppo, ceasefire\n" +
		"• [Truce \\*holds\\* in Aleppo @\u200deveryone](<https://example.org/2>) — bbc — matched: Aleppo\n"
	if got := in.Original(); got != want {
		t.Errorf("reply =\n%q\nwant\n%q", got, want)
	}
}

func TestWatchListPauseResumeRemove(t *testing.T) {
	t.Parallel() // each gateway test spends 1 s in discordgo's Close
	f := fakediscord.New(t)
	w := &memoryWatches{nextID: 6, watches: []WatchInfo{
		{ID: 7, GuildID: testGuild, ChannelID: testAlertTarget, FeedURL: "https://example.org/a.xml", Query: "kerry -lavrov", Paused: true, PausedReason: "missing access to channel " + testAlertTarget},
		{Name: "aleppo-desk", ReadOnly: true, FeedURL: "https://example.org/b.xml", Query: "aleppo"},
	}}
	connectBot(t, f, w)

	steps := []struct {
		name string
		cmd  *discordgo.ApplicationCommandInteractionDataOption
		want string
	}{
		{"list", sub("list"), "• **#7** · feed: <https://example.org/a.xml> · query: `kerry -lavrov` · channel: <#" + testAlertTarget + "> · **paused**: missing access to channel " + testAlertTarget + "\n" +
			"• **aleppo-desk** (config file, read-only) · feed: <https://example.org/b.xml> · query: `aleppo`\n"},
		{"resume", sub("resume", opt("id", 7)), "Watch #7 resumed."},
		{"pause", sub("pause", opt("id", 7)), "Watch #7 paused."},
		{"remove", sub("remove", opt("id", 7)), "Watch #7 removed."},
		{"list after remove", sub("list"), "• **aleppo-desk** (config file, read-only) · feed: <https://example.org/b.xml> · query: `aleppo`\n"},
	}
	for _, st := range steps {
		in := runCommand(t, f, st.cmd)
		if got := in.Original(); got != st.want {
			t.Errorf("%s: reply = %q, want %q", st.name, got, st.want)
		}
	}
}

func TestGatewayDropResumesAndDeliversMissedInteraction(t *testing.T) {
	t.Parallel() // each gateway test spends 1 s in discordgo's Close
	f := fakediscord.New(t)
	w := &memoryWatches{}
	connectBot(t, f, w)

	f.DropGateway()
	// Injected while the bot is away: the fake replays it on RESUME.
	in := runCommand(t, f, sub("test", opt("query", "truce")))
	if in.Original() == "" {
		t.Errorf("no reply to the interaction sent during the disconnect")
	}
	st := f.GatewayStats()
	if st.Identifies != 1 || st.Resumes != 1 {
		t.Errorf("gateway: %d identifies, %d resumes; want 1 and 1 (a resume, not a new session)", st.Identifies, st.Resumes)
	}
	if st.Connections != 2 {
		t.Errorf("gateway: %d connections, want 2", st.Connections)
	}
	// The resumed connection heartbeats too (and gets its ACKs).
	f.WaitFor(replyTimeout, func() bool { return f.GatewayStats().Heartbeats >= 2 })
}

// A config subscription that names no feed URL (the bot lists config
// subscriptions by name and query) must not show an empty code span.
func TestFormatListWithoutFeed(t *testing.T) {
	tests := []struct {
		name string
		w    WatchInfo
		want string
	}{
		{"config subscription, no feed", WatchInfo{Name: "aleppo-desk", ReadOnly: true, Query: "aleppo"},
			"• **aleppo-desk** (config file, read-only) · query: `aleppo`\n"},
		{"config subscription, feed title", WatchInfo{Name: "aleppo-desk", ReadOnly: true, Query: "aleppo", FeedTitle: "world, wire"},
			"• **aleppo-desk** (config file, read-only) · feed: world, wire · query: `aleppo`\n"},
		{"config subscription to a webhook", WatchInfo{Name: "wire", ReadOnly: true, Query: "storm", FeedTitle: "all feeds", Destination: "desk-hook"},
			"• **wire** (config file, read-only) · feed: all feeds · query: `storm` · destination: `desk-hook`\n"},
		{"watch", WatchInfo{ID: 3, ChannelID: "42", FeedURL: "https://x.example/rss", Query: "kerry"},
			"• **#3** · feed: <https://x.example/rss> · query: `kerry` · channel: <#42>\n"},
		{"watch with a role", WatchInfo{ID: 3, ChannelID: "42", FeedURL: "https://x.example/rss", Query: "kerry", MentionRole: "77"},
			"• **#3** · feed: <https://x.example/rss> · query: `kerry` · channel: <#42> · role: <@&77>\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatList([]WatchInfo{tt.w}); got != tt.want {
				t.Errorf("formatList = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestClipLines(t *testing.T) {
	long := strings.Repeat("• a line of the list\n", 200)
	got := clipLines(long, MaxContent)
	if n := len([]rune(got)); n > MaxContent {
		t.Errorf("clipped to %d code points, limit %d", n, MaxContent)
	}
	if !strings.HasSuffix(got, "more line(s)") {
		t.Errorf("clipped text does not say what was left out: …%q", got[len(got)-40:])
	}
}

func TestWatchOutsideAServerIsRefused(t *testing.T) {
	t.Parallel() // each gateway test spends 1 s in discordgo's Close
	f := fakediscord.New(t)
	w := &memoryWatches{}
	connectBot(t, f, w)

	dm := fakediscord.SlashCommand("", "800000000000000001", "watch", sub("list"))
	dm.Member, dm.User = nil, &discordgo.User{ID: "300000000000000001"}
	id := f.Inject(dm)
	f.WaitFor(replyTimeout, func() bool { return len(f.Interaction(id).Callbacks) > 0 })
	c := f.Interaction(id).Callbacks[0]
	if c.Type != int(discordgo.InteractionResponseChannelMessageWithSource) || !c.Ephemeral() || !strings.Contains(c.Content, "server") {
		t.Errorf("reply type %d ephemeral %v %q, want an ephemeral message saying to use a server", c.Type, c.Ephemeral(), c.Content)
	}
	if got := len(w.snapshot()); got != 0 {
		t.Errorf("Watches touched: %d watches", got)
	}
}

func TestGatewayExpiredSessionIdentifiesAgain(t *testing.T) {
	t.Parallel() // each gateway test spends 1 s in discordgo's Close
	f := fakediscord.New(t)
	connectBot(t, f, &memoryWatches{})

	f.ForgetSession()
	f.DropGateway()
	f.WaitFor(reconnectTimeout, func() bool { return f.GatewayStats().Identifies == 2 && f.GatewayConnected() })
	in := runCommand(t, f, sub("test", opt("query", "truce")))
	if in.Original() == "" {
		t.Errorf("no reply after identifying again")
	}
}

func channelOpt(name, id string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionChannel, Value: id}
}

func roleOpt(id string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: "role", Type: discordgo.ApplicationCommandOptionRole, Value: id}
}

func boolOpt(name string, v bool) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionBoolean, Value: v}
}

// TestWatchListAndEditReplies runs /watch list and /watch edit through the
// gateway and records every reply, as the user sees it, in a golden file.
func TestWatchListAndEditReplies(t *testing.T) {
	t.Parallel() // each gateway test spends 1 s in discordgo's Close
	f := fakediscord.New(t)
	const role = "700000000000000055"
	w := &memoryWatches{nextID: 8, watches: []WatchInfo{
		{ID: 7, GuildID: testGuild, ChannelID: testAlertTarget, FeedURL: "https://example.org/a.xml", Query: "kerry -lavrov"},
		{ID: 8, GuildID: testGuild, ChannelID: testAlertTarget, FeedURL: "https://example.org/c.xml", Query: "storm", Paused: true, PausedReason: "paused by a moderator"},
		{Name: "aleppo-desk", ReadOnly: true, FeedTitle: "world, wire", Query: "aleppo", ChannelID: testCmdChannel, MentionRole: role},
		{Name: "markets", ReadOnly: true, FeedTitle: "all feeds", Query: "oil OR opec", Destination: "markets-hook"},
	}}
	connectBot(t, f, w)

	steps := []struct {
		name string
		cmd  *discordgo.ApplicationCommandInteractionDataOption
	}{
		{"list", sub("list")},
		{"edit query", sub("edit", opt("id", 7), opt("query", "kerry AND lavrov"))},
		{"edit channel and role", sub("edit", opt("id", 7), channelOpt("channel", testCmdChannel), roleOpt(role))},
		{"edit: no role any more", sub("edit", opt("id", 7), boolOpt("no_role", true))},
		{"edit: nothing to change", sub("edit", opt("id", 7))},
		{"edit: role and no_role", sub("edit", opt("id", 7), roleOpt(role), boolOpt("no_role", true))},
		{"edit: unknown watch", sub("edit", opt("id", 99), opt("query", "x"))},
		{"list after edits", sub("list")},
	}
	var b strings.Builder
	for _, st := range steps {
		in := runCommand(t, f, st.cmd)
		reply := in.Original()
		if len(in.Followups) > 0 {
			reply = in.Followups[len(in.Followups)-1].Content
		}
		fmt.Fprintf(&b, "## /watch %s\n%s\n\n", st.name, strings.TrimRight(reply, "\n"))
	}
	golden.Check(t, filepath.Join("testdata", "replies", "list_and_edit.golden"), []byte(b.String()), *update)

	want := []EditRequest{
		{GuildID: testGuild, ID: 7, Query: ptr("kerry AND lavrov")},
		{GuildID: testGuild, ID: 7, ChannelID: ptr(testCmdChannel), Role: ptr(role)},
		{GuildID: testGuild, ID: 7, Role: ptr("")},
		{GuildID: testGuild, ID: 99, Query: ptr("x")},
	}
	got := w.edits
	if len(got) != len(want) {
		t.Fatalf("Watches.Edit called %d times, want %d (refused edits never reach it)", len(got), len(want))
	}
	for i := range want {
		if g, w := fmt.Sprint(deref(got[i])), fmt.Sprint(deref(want[i])); g != w {
			t.Errorf("edit %d: got %s, want %s", i, g, w)
		}
	}
}

// deref shows an EditRequest's set fields, for comparing.
func deref(r EditRequest) []string {
	out := []string{r.GuildID, fmt.Sprint(r.ID)}
	for name, p := range map[string]*string{"query": r.Query, "channel": r.ChannelID, "role": r.Role} {
		if p != nil {
			out = append(out, name+"="+*p)
		}
	}
	slices.Sort(out[2:])
	return out
}

// TestWatchAddOffersTheFeedsOfAPage: a page with several feeds gets a
// plain list to choose from, shown only to the user, never a Go list.
func TestWatchAddOffersTheFeedsOfAPage(t *testing.T) {
	t.Parallel() // each gateway test spends 1 s in discordgo's Close
	f := fakediscord.New(t)
	choices := &FeedChoices{Page: "https://example.org/news/", Feeds: []FeedChoice{
		{Title: "World *news*", URL: "https://example.org/world.xml"},
		{Title: "", URL: "https://example.org/markets/feed/"},
	}}
	connectBot(t, f, &memoryWatches{addErr: fmt.Errorf("feed: %w", choices)})
	in := runCommand(t, f, sub("add", opt("feed", "https://example.org/news/"), opt("query", "aleppo")))
	if len(in.Followups) != 1 || !in.Followups[0].Ephemeral() {
		t.Fatalf("got %d follow-ups, want one ephemeral", len(in.Followups))
	}
	golden.Check(t, filepath.Join("testdata", "replies", "add_choices.golden"), []byte(in.Followups[0].Content), *update)
}

// TestWatchListLongerThanOneMessage: a server with more watches than one
// message of 2,000 characters holds gets all of them, in several
// messages that only the user sees, none over the limit.
// longWatchList holds n watches of the test guild with long lines.
func longWatchList(n int) *memoryWatches {
	w := &memoryWatches{}
	for id := 1; id <= n; id++ {
		w.watches = append(w.watches, WatchInfo{ID: int64(id), GuildID: testGuild, ChannelID: testAlertTarget,
			FeedURL: fmt.Sprintf("https://news.example.org/sections/world/middle-east/syria/feed-%03d.xml", id),
			Query:   "aleppo AND (ceasefire OR truce OR \"cessation of hostilities\") -football"})
	}
	return w
}

func TestWatchListLongerThanOneMessage(t *testing.T) {
	t.Parallel() // each gateway test spends 1 s in discordgo's Close
	f := fakediscord.New(t)
	const n = 40
	w := longWatchList(n)
	connectBot(t, f, w)
	id := f.Inject(fakediscord.SlashCommand(testGuild, testCmdChannel, "watch", sub("list")))
	last := fmt.Sprintf("**#%d**", n)
	all := func() string {
		in := f.Interaction(id)
		texts := []string{in.Original()}
		for _, r := range in.Followups {
			texts = append(texts, r.Content)
		}
		return strings.Join(texts, "\n")
	}
	f.WaitFor(replyTimeout, func() bool { return strings.Contains(all(), last) })
	in := f.Interaction(id)
	got := all()
	for i := 1; i <= n; i++ {
		if want := fmt.Sprintf("**#%d**", i); !strings.Contains(got, want) {
			t.Errorf("/watch list lacks watch %s", want)
		}
	}
	if strings.Contains(got, "more line(s)") {
		t.Errorf("/watch list left watches out:\n%s", got)
	}
	if len(in.Followups) == 0 {
		t.Errorf("one message for %d code points of list, want follow-ups", len([]rune(got)))
	}
	for i, r := range in.Followups {
		if !r.Ephemeral() {
			t.Errorf("follow-up %d is seen by everyone, want only the user", i)
		}
	}
}

// An interaction's follow-ups have a bucket of their own (5 per 2 s on
// Discord); a /watch list that takes more follow-ups than the bucket
// holds waits for it to refill rather than getting a 429 and leaving
// watches out.
func TestWatchListFollowupsKeepToTheirBucket(t *testing.T) {
	t.Parallel() // each gateway test spends 1 s in discordgo's Close
	f := fakediscord.New(t)
	route := "POST webhooks/" + fakediscord.AppID
	f.RateLimit(route, 2, 500*time.Millisecond)
	const n = 40
	w := longWatchList(n)
	connectBot(t, f, w)
	id := f.Inject(fakediscord.SlashCommand(testGuild, testCmdChannel, "watch", sub("list")))
	last := fmt.Sprintf("**#%d**", n)
	f.WaitFor(replyTimeout, func() bool {
		in := f.Interaction(id)
		return len(in.Followups) > 0 && strings.Contains(in.Followups[len(in.Followups)-1].Content, last)
	})
	if got := len(f.Interaction(id).Followups); got <= 2 {
		t.Fatalf("%d follow-ups, want more than the bucket's 2 for the test to mean anything", got)
	}
	for _, r := range f.Requests(route) {
		if r.Status == http.StatusTooManyRequests {
			t.Errorf("follow-up at %s got a 429: the bucket's headers were not kept to", r.At.Format(time.StampMilli))
		}
	}
}

// An answer Discord refused with a 429 was not sent again: a failed
// /watch add's error, sent as a follow-up once the public deferral was
// deleted, was lost when the follow-up got one (the fallback edited the
// deleted deferral), and a reply's edit left the user looking at
// "thinking…". The replier now sends such an answer again once the 429's
// wait is over.
func TestReplyRefusedWith429IsSentAgain(t *testing.T) {
	tests := []struct {
		name  string
		route string // the route whose next request gets a 429
		w     *memoryWatches
		o     *discordgo.ApplicationCommandInteractionDataOption
		// got is what the user was shown.
		got  func(in fakediscord.Interaction) string
		want string
	}{
		{name: "the follow-up of an error", route: "POST webhooks/" + fakediscord.AppID,
			w: &memoryWatches{addErr: errors.New("feed: HTTP 404")},
			o: sub("add", opt("feed", "https://example.org/feed.xml"), opt("query", "aleppo")),
			got: func(in fakediscord.Interaction) string {
				if len(in.Followups) == 0 {
					return ""
				}
				return in.Followups[0].Content
			},
			want: "feed: HTTP 404"},
		{name: "the edit of a list", route: "PATCH webhooks/" + fakediscord.AppID + "/messages/@original",
			w:    &memoryWatches{},
			o:    sub("list"),
			got:  func(in fakediscord.Interaction) string { return in.Original() },
			want: "No watches in this server yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each gateway test spends 1 s in discordgo's Close
			f := fakediscord.New(t)
			f.Route429(tt.route, 200*time.Millisecond)
			connectBot(t, f, tt.w)
			id := f.Inject(fakediscord.SlashCommand(testGuild, testCmdChannel, "watch", tt.o))
			// The second try goes once the 429's wait is over: however
			// late a loaded machine sends it, the answer is waited for.
			shown := func() bool { return strings.Contains(tt.got(f.Interaction(id)), tt.want) }
			for deadline := time.Now().Add(replyTimeout); !shown() && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
			}
			if got := tt.got(f.Interaction(id)); !strings.Contains(got, tt.want) {
				t.Errorf("the user was shown %q, want %q", got, tt.want)
			}
			var statuses []int
			for _, r := range f.Requests(tt.route) {
				statuses = append(statuses, r.Status)
			}
			if len(statuses) < 2 || statuses[0] != http.StatusTooManyRequests {
				t.Errorf("requests on %s answered %v, want a 429, then the answer sent again", tt.route, statuses)
			}
		})
	}
}

func TestSplitMessages(t *testing.T) {
	line := strings.Repeat("x", 50)
	tests := []struct {
		name      string
		text      string
		most      int
		wantParts int
		wantNote  bool
	}{
		{"fits", "short\nreply\n", 3, 1, false},
		{"two messages", strings.Repeat(line+"\n", 60), 3, 2, false},
		{"more than allowed", strings.Repeat(line+"\n", 200), 3, 3, true},
		{"one line longer than a message", strings.Repeat("y", 5000), 3, 1, false},
		{"code block across messages", "Warning:\n```\n" + strings.Repeat(line+"\n", 60) + "```", 3, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := splitMessages(tt.text, MaxContent, tt.most)
			if len(parts) != tt.wantParts {
				t.Fatalf("got %d messages, want %d", len(parts), tt.wantParts)
			}
			for i, p := range parts {
				if n := len([]rune(p)); n > MaxContent {
					t.Errorf("message %d: %d code points, limit %d", i, n, MaxContent)
				}
				if strings.Count(p, "```")%2 != 0 {
					t.Errorf("message %d leaves a code block open:\n%s", i, p)
				}
			}
			if got := strings.HasSuffix(parts[len(parts)-1], "more line(s)"); got != tt.wantNote {
				t.Errorf("the last message says lines were left out: %v, want %v", got, tt.wantNote)
			}
			if got, want := strings.Count(strings.Join(parts, "\n"), line), strings.Count(tt.text, line); !tt.wantNote && got != want {
				t.Errorf("the messages hold %d of the text's %d lines", got, want)
			}
		})
	}
}

// stallingWatches is memoryWatches whose Add waits until its context
// ends, as a slow feed would, and returns the context's error.
type stallingWatches struct {
	memoryWatches
	started chan struct{}
}

func (w *stallingWatches) Add(ctx context.Context, req AddRequest) (WatchInfo, error) {
	close(w.started)
	<-ctx.Done()
	return WatchInfo{}, ctx.Err()
}

// TestCommandInFlightAtShutdownIsAnswered: a /watch command still running
// when the bot stops is waited for, and its user is told to try again,
// not left with "thinking…" until the token expires.
func TestCommandInFlightAtShutdownIsAnswered(t *testing.T) {
	t.Parallel() // each gateway test spends 1 s in discordgo's Close
	f := fakediscord.New(t)
	w := &stallingWatches{started: make(chan struct{})}
	s := newTestSession(t, f, "test-token")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop, err := NewCommands(s, nil, w, slog.New(slog.NewTextHandler(io.Discard, nil))).Start(ctx, []string{testGuild})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	f.WaitFor(replyTimeout, f.GatewayConnected)
	id := f.Inject(fakediscord.SlashCommand(testGuild, testCmdChannel, "watch", sub("add", opt("feed", "https://example.org/rss"), opt("query", "aleppo"))))
	<-w.started
	cancel() // the service stops
	stop()
	in := f.Interaction(id)
	reply := in.Original()
	for _, r := range in.Followups {
		reply += r.Content
	}
	if !strings.Contains(reply, "stopping") {
		t.Errorf("the user of the command in flight got %q, want to be told newshound is stopping", reply)
	}
}

// Discord takes an interaction's first response within 3 s of the
// interaction (fakediscord.ResponseDeadline) and answers 10062 Unknown
// interaction after. A deferral refused with a 429 whose wait ends past
// that was sent again once the wait was over: the handler slept through
// the wait for a request bound to fail (one more invalid request against
// the token's limit), and logged the 10062, not the 429. A 429 whose wait
// ends in time is still sent again.
func TestDeferralRefusedWith429IsSentAgainOnlyWithinTheDeadline(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter time.Duration
		wantTries  int
		wantDefer  bool // the deferral was taken
	}{
		{name: "a wait within the deadline", retryAfter: 300 * time.Millisecond, wantTries: 2, wantDefer: true},
		{name: "a wait past the deadline", retryAfter: fakediscord.ResponseDeadline + 2*time.Second, wantTries: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := fakediscord.New(t)
			i := injectUnhandled(f, sub("list"))
			route := "POST interactions/" + i.ID + "/callback"
			f.Route429(route, tt.retryAfter)
			cmds := NewCommands(newTestSession(t, f, "test-token"), nil, &memoryWatches{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			cmds.Handle(context.Background(), &i)
			reqs := f.Requests(route)
			if len(reqs) != tt.wantTries {
				var got []string
				for _, r := range reqs {
					got = append(got, fmt.Sprintf("%d at %s", r.Status, r.At.Format(time.StampMilli)))
				}
				t.Errorf("deferral sent %d times (%s), want %d", len(reqs), strings.Join(got, ", "), tt.wantTries)
			}
			if got := len(f.Interaction(i.ID).Callbacks) > 0; got != tt.wantDefer {
				t.Errorf("deferral taken: %v, want %v", got, tt.wantDefer)
			}
		})
	}
}

// An interaction's token lets whoever holds it answer as the bot for 15
// minutes; a reply that failed was logged with the request's URL, which
// holds the token: one cut off before any answer (a reset connection), in
// the transport's error, and one refused with a 429 not sent again (its
// wait ends past the deadline), in discordgo's RateLimitError.
func TestFailedReplyLogsNoInteractionToken(t *testing.T) {
	const token = "itoken-secret-aW50ZXJhY3Rpb24"
	deferral := func(path string) bool { return strings.HasSuffix(path, "/callback") }
	answer := func(path string) bool { return !deferral(path) }
	tests := []struct {
		name string
		// fails says whether the request for path fails, as fail says.
		fails func(path string) bool
		fail  string // "cut" or "429"
		want  string // what the log says failed
	}{
		{name: "the deferral cut off", fails: deferral, fail: "cut", want: "interaction: defer failed"},
		{name: "the answer's edit cut off", fails: answer, fail: "cut", want: "interaction: reply failed"},
		{name: "the deferral refused for a minute", fails: deferral, fail: "429", want: "interaction: defer failed"},
		{name: "the answer's edit refused for a minute", fails: answer, fail: "429", want: "interaction: reply failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case !tt.fails(r.URL.Path):
					w.WriteHeader(http.StatusNoContent)
				case tt.fail == "429":
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusTooManyRequests)
					io.WriteString(w, `{"message": "You are being rate limited.", "retry_after": 60, "global": false}`)
				default:
					conn, _, err := w.(http.Hijacker).Hijack()
					if err == nil {
						conn.Close()
					}
				}
			}))
			defer srv.Close()
			s, err := NewSession("test-token", srv.URL+"/api/v9/", nil)
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			cmds := NewCommands(s, nil, &memoryWatches{}, slog.New(slog.NewTextHandler(&logs, nil)))
			i := fakediscord.SlashCommand(testGuild, testCmdChannel, "watch", sub("list"))
			i.ID, i.Token, i.AppID = "100", token, fakediscord.AppID
			cmds.Handle(context.Background(), &i)
			if !strings.Contains(logs.String(), tt.want) {
				t.Fatalf("the log does not say %q:\n%s", tt.want, logs.String())
			}
			if strings.Contains(logs.String(), token) {
				t.Errorf("the log holds the interaction's token:\n%s", logs.String())
			}
		})
	}
}

// injectUnhandled injects /watch SUB on a fake with no gateway connected:
// the interaction is recorded, as Discord sent it, for the test to handle.
func injectUnhandled(f *fakediscord.Server, o *discordgo.ApplicationCommandInteractionDataOption) discordgo.Interaction {
	i := fakediscord.SlashCommand(testGuild, testCmdChannel, "watch", o)
	i.ID = f.Inject(i)
	i.Token, i.AppID = "itoken-"+i.ID, fakediscord.AppID
	return i
}

// hookedWatches is memoryWatches whose Add first runs beforeAdd: the
// test's change to Discord while the feed is fetched (a moderator deletes
// the deferral, the token expires).
type hookedWatches struct {
	memoryWatches
	beforeAdd func()
}

func (w *hookedWatches) Add(ctx context.Context, req AddRequest) (WatchInfo, error) {
	w.beforeAdd()
	return w.memoryWatches.Add(ctx, req)
}

// A public deferral a moderator deleted before the answer was edited in
// (Discord answers the edit, and the deletion of the error's public
// deferral, 404 Unknown Message) left the user with nothing: the answer
// was neither edited nor followed up, and a watch stored went untold. The
// answer now follows up, as public as the reply; and when Discord refuses
// that too (as it did after a deferral deleted in the client), the log
// names the command, the user and the watch.
func TestAnswerOfADeletedDeferralReachesTheUser(t *testing.T) {
	tests := []struct {
		name             string
		addErr           error
		followupsRefused bool
		want             string // in a follow-up
		wantEphemeral    bool
		wantLog          []string // with followupsRefused
	}{
		{name: "the watch added", want: "Watch #1 added"},
		{name: "the add refused", addErr: errors.New("feed: HTTP 404"), want: "feed: HTTP 404", wantEphemeral: true},
		{name: "the watch added, follow-ups refused", followupsRefused: true,
			wantLog: []string{"level=ERROR", `command="watch add"`, "user=300000000000000001", "watch=1", "feed=https://example.org/rss", "query=aleppo"}},
		{name: "the add refused, follow-ups refused", addErr: errors.New("feed: HTTP 404"), followupsRefused: true,
			wantLog: []string{"level=WARN", "the user was not shown the error", `command="watch add"`, "user=300000000000000001", `shown="feed: HTTP 404"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := fakediscord.New(t)
			i := injectUnhandled(f, sub("add", opt("feed", "https://example.org/rss"), opt("query", "aleppo")))
			w := &hookedWatches{memoryWatches: memoryWatches{addErr: tt.addErr}, beforeAdd: func() { f.DeleteResponse(i.ID, tt.followupsRefused) }}
			var logs bytes.Buffer
			cmds := NewCommands(newTestSession(t, f, "test-token"), nil, w, slog.New(slog.NewTextHandler(&logs, nil)))
			cmds.Handle(context.Background(), &i)
			in := f.Interaction(i.ID)
			if tt.followupsRefused {
				for _, want := range tt.wantLog {
					if !strings.Contains(logs.String(), want) {
						t.Errorf("no log line says %q:\n%s", want, logs.String())
					}
				}
				return
			}
			if len(in.Followups) != 1 {
				t.Fatalf("%d follow-ups, want 1 (edits %d); log:\n%s", len(in.Followups), len(in.Edits), logs.String())
			}
			got := in.Followups[0]
			if !strings.Contains(got.Content, tt.want) || got.Ephemeral() != tt.wantEphemeral {
				t.Errorf("follow-up %q (ephemeral %v), want %q (ephemeral %v)", got.Content, got.Ephemeral(), tt.want, tt.wantEphemeral)
			}
		})
	}
}

// Discord bans an IP for 10,000 invalid answers (401, 403, 429 but a
// shared one) in 10 minutes, whichever route; the Limiter holds the
// sends back near its budget. The /watch replies' invalid answers were
// not counted in it: a bot whose interactions drew them went on towards
// the ban unseen.
func TestInteractionInvalidAnswersCountInTheLimiter(t *testing.T) {
	tests := []struct {
		name   string
		before func(f *fakediscord.Server, id string) // before the interaction is handled
		during func(f *fakediscord.Server, id string) // while the feed is fetched
		want   int
	}{
		{name: "the answer's edit past the token's 15 minutes (401)",
			during: func(f *fakediscord.Server, id string) { f.ExpireToken(id) }, want: 1},
		{name: "the deferral refused (403)",
			before: func(f *fakediscord.Server, id string) { f.FailNext(http.StatusForbidden) }, want: 1},
		{name: "the deferral refused twice by its bucket (429)",
			before: func(f *fakediscord.Server, id string) {
				f.RateLimit("POST interactions/"+id+"/callback", 0, 300*time.Millisecond)
			}, want: 2},
		{name: "the deferral refused by a shared limit (429, not counted)",
			before: func(f *fakediscord.Server, id string) {
				f.Route429("POST interactions/"+id+"/callback", 300*time.Millisecond)
			}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := fakediscord.New(t)
			i := injectUnhandled(f, sub("add", opt("feed", "https://example.org/rss"), opt("query", "aleppo")))
			if tt.before != nil {
				tt.before(f, i.ID)
			}
			w := &hookedWatches{beforeAdd: func() {
				if tt.during != nil {
					tt.during(f, i.ID)
				}
			}}
			lim := NewLimiter(LimiterConfig{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			cmds := NewCommands(newTestSession(t, f, "test-token"), lim, w, slog.New(slog.NewTextHandler(io.Discard, nil)))
			cmds.Handle(context.Background(), &i)
			if got := f.Invalid(""); got != tt.want {
				t.Fatalf("the fake answered %d invalid requests, want %d", got, tt.want)
			}
			if got := lim.InvalidRequests(); got != tt.want {
				t.Errorf("the Limiter counts %d invalid requests, want %d", got, tt.want)
			}
		})
	}
}

// Discord answers 502, 503 or 504 when no gateway could take a request
// ("wait a bit and retry"): nothing was done. The answer to a /watch
// command so refused was lost: a watch stored went untold, logged at
// ERROR only, and so was the follow-up that stands in for a public
// deferral a moderator deleted; a deferral so refused would leave the
// user with Discord's "The application did not respond". Such a request
// is sent once more after a short wait; a 500, which may come after
// Discord made the message, is not, so the user never sees the answer
// twice. README ("As a bot") says so.
func TestAnswerRefusedByAnUnavailableGatewayIsSentAgain(t *testing.T) {
	followup := "POST webhooks/" + fakediscord.AppID
	edit := "PATCH webhooks/" + fakediscord.AppID + "/messages/@original"
	tests := []struct {
		name      string
		deleted   bool // a moderator deleted the public deferral
		deferral  bool // the deferral is refused, not route
		route     string
		status    int
		wantTries int
		wantShown bool
	}{
		{name: "the deferral, 503", deferral: true, status: http.StatusServiceUnavailable, wantTries: 2, wantShown: true},
		{name: "the follow-up of a deleted deferral, 503", deleted: true, route: followup, status: http.StatusServiceUnavailable, wantTries: 2, wantShown: true},
		{name: "the follow-up of a deleted deferral, 502", deleted: true, route: followup, status: http.StatusBadGateway, wantTries: 2, wantShown: true},
		{name: "the follow-up of a deleted deferral, 500", deleted: true, route: followup, status: http.StatusInternalServerError, wantTries: 1},
		{name: "the deferral's edit, 504", route: edit, status: http.StatusGatewayTimeout, wantTries: 2, wantShown: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := fakediscord.New(t)
			i := injectUnhandled(f, sub("add", opt("feed", "https://example.org/rss"), opt("query", "aleppo")))
			route := tt.route
			if tt.deferral {
				route = "POST interactions/" + i.ID + "/callback"
				f.FailNextOn(route, tt.status)
			}
			w := &hookedWatches{beforeAdd: func() {
				if tt.deleted {
					f.DeleteResponse(i.ID, false)
				}
				if !tt.deferral {
					f.FailNextOn(route, tt.status)
				}
			}}
			var logs bytes.Buffer
			cmds := NewCommands(newTestSession(t, f, "test-token"), nil, w, slog.New(slog.NewTextHandler(&logs, nil)))
			cmds.Handle(context.Background(), &i)
			if got := len(f.Requests(route)); got != tt.wantTries {
				t.Errorf("%s sent %d times, want %d", route, got, tt.wantTries)
			}
			in := f.Interaction(i.ID)
			answers := in.Followups
			if !tt.deleted {
				answers = in.Edits
			}
			shown := slices.ContainsFunc(answers, func(r fakediscord.Reply) bool { return strings.Contains(r.Content, "Watch #1 added") })
			if shown != tt.wantShown {
				t.Errorf("answer shown: %v, want %v (follow-ups %d, edits %d); log:\n%s", shown, tt.wantShown, len(in.Followups), len(in.Edits), logs.String())
			}
		})
	}
}
