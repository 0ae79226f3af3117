package bot

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/newshound/newshound/bot/discord"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/fakediscord"
	"github.com/newshound/newshound/store"
)

// A Discord channel destination written in the config where the bot may
// not post (a permission missing, a locked thread, a deleted channel) was
// found out only by its failing deliveries. Each is now checked when the
// service starts, and again at a reload, and logged once naming the
// destination and what is wrong; the others, and the service, go on.
func TestConfigDestinationsAreCheckedAtStart(t *testing.T) {
	const (
		okChannel     = "200000000000000050"
		noEmbeds      = "200000000000000051"
		deleted       = "200000000000000052"
		noThreads     = "200000000000000053"
		lockedThread  = "200000000000000054"
		hiddenForum   = "200000000000000055"
		threadChannel = "200000000000000056"
		openForum     = "200000000000000057"
	)
	deny := func(perms int64) discordgo.PermissionOverwrite {
		return discordgo.PermissionOverwrite{ID: fakediscord.DefaultGuild, Type: discordgo.PermissionOverwriteTypeRole, Deny: perms}
	}
	dc := fakediscord.New(t)
	dc.SetOverwrite(noEmbeds, deny(discordgo.PermissionEmbedLinks))
	dc.DeleteChannel(deleted)
	dc.SetOverwrite(noThreads, deny(discordgo.PermissionCreatePublicThreads))
	dc.AddThread(lockedThread, threadChannel)
	dc.LockThread(lockedThread)
	dc.AddForum(hiddenForum)
	dc.SetOverwrite(hiddenForum, deny(discordgo.PermissionViewChannel))

	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	channel := func(name, id string) config.Destination {
		return config.Destination{Name: name, Type: config.DiscordChannel, ChannelID: id}
	}
	threads := channel("threads", noThreads)
	threads.Threads = true
	locked := channel("locked", threadChannel)
	locked.ThreadID = lockedThread
	forum := channel("forum", hiddenForum)
	forum.Forum = true
	notForum := channel("channel-as-forum", okChannel)
	notForum.Forum = true
	dc.AddForum(openForum)
	webhook := func(name, id string) config.Destination {
		return config.Destination{Name: name, Type: config.DiscordWebhook, WebhookURL: dc.AddWebhook(id, okChannel)}
	}
	h.cfg.Destinations = append(h.cfg.Destinations, channel("fine", okChannel), channel("plain", noEmbeds), channel("gone", deleted), threads, locked, forum,
		webhook("hook", "900000000000000001"), webhook("deleted-hook", "900000000000000002"),
		channel("forum-as-channel", openForum), notForum)
	dc.DeleteWebhook("900000000000000002")
	session, err := discord.NewSession("test-token", dc.APIBase(), nil)
	if err != nil {
		t.Fatal(err)
	}
	lim := discord.NewLimiter(discord.LimiterConfig{})
	notifiers := map[string]notify.Notifier{"desk": h.rec}
	for _, d := range h.cfg.Destinations[1:] {
		if notifiers[d.Name], err = discord.NewDestinationNotifier(session, d, lim, discord.WithStoryThreads(d.Threads)); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, h.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	logs := &logBuffer{}
	svc, err := New(ctx, testOptions(h.cfg, st, notifiers, slog.New(slog.NewTextHandler(logs, nil)), time.Now))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- svc.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	want := []struct{ destination, says string }{
		{"plain", "it lacks Embed Links there"},
		{"gone", "Discord has no channel " + deleted},
		{"threads", "it lacks Create Public Threads there"},
		{"locked", "a moderator locked it"},
		{"forum", "it lacks View Channel there"},
		{"deleted-hook", "webhook 900000000000000002: the webhook was deleted"},
		// Discord refuses a message posted to a forum, and a post opened
		// in a text channel (400): each alert would be dropped.
		{"forum-as-channel", "is a forum: set forum: true"},
		{"channel-as-forum", "is not a forum: leave out forum: true"},
	}
	// lines are the log lines naming destination name.
	lines := func(name string) []string {
		var out []string
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "destination="+name+" ") {
				out = append(out, l)
			}
		}
		return out
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("gave up waiting until %s; logs:\n%s", what, logs)
			}
		}
	}
	checked := func(n int) func() bool {
		return func() bool {
			for _, w := range want {
				if len(lines(w.destination)) < n {
					return false
				}
			}
			return true
		}
	}
	waitFor("each destination is reported at start", checked(1))
	for _, w := range want {
		got := lines(w.destination)
		if len(got) != 1 || !strings.Contains(got[0], "level=ERROR") || !strings.Contains(got[0], w.says) {
			t.Errorf("destination %s: log lines %q, want one error saying %q", w.destination, got, w.says)
		}
	}
	for _, fine := range []string{"fine", "hook"} {
		if got := lines(fine); len(got) != 0 {
			t.Errorf("destination %s: log lines %q, want none", fine, got)
		}
	}

	// A reload checks again: the destination fixed in Discord meanwhile
	// is no longer reported, and the pause its failed delivery brought
	// (the sender's answer to a 403) is lifted.
	svc.sender.pauseDestination(ctx, "plain", "discord: missing access to channel "+noEmbeds)
	dc.SetOverwrite(noEmbeds, deny(0))
	if err := svc.Reload(ctx, h.cfg); err != nil {
		t.Fatal(err)
	}
	want = want[1:]
	waitFor("each destination still wrong is reported again", checked(2))
	if got := lines("plain"); len(got) != 3 || !strings.Contains(got[2], "pause lifted") {
		t.Errorf("destination plain, paused, then fixed before the reload: log lines %q, want the one at start, its pause, and its pause lifted", got)
	}
	if _, paused := svc.sender.destinationPaused("plain"); paused {
		t.Errorf("destination plain, fixed before the reload, is still paused")
	}
	if _, paused := svc.sender.destinationPaused("gone"); paused {
		t.Errorf("destination gone, never paused, is paused")
	}
}
