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

const (
	checkOKChannel     = "200000000000000050"
	checkNoEmbeds      = "200000000000000051"
	checkDeleted       = "200000000000000052"
	checkNoThreads     = "200000000000000053"
	checkLockedThread  = "200000000000000054"
	checkHiddenForum   = "200000000000000055"
	checkThreadChannel = "200000000000000056"
	checkOpenForum     = "200000000000000057"
)

// wrongDestination is a config destination a check finds wrong, and what
// its error says.
type wrongDestination struct{ destination, says string }

// destChecks is a service whose config names, beside the harness's desk,
// Discord destinations on a fake Discord: two that are fine ("fine",
// "hook") and one of each kind a check finds wrong (want).
type destChecks struct {
	dc   *fakediscord.Server
	svc  *Service
	logs *logBuffer
	want []wrongDestination
}

// newDestChecks makes the service on h's store, which it closes when the
// test ends.
func newDestChecks(t *testing.T, h *harness) *destChecks {
	t.Helper()
	deny := func(perms int64) discordgo.PermissionOverwrite {
		return discordgo.PermissionOverwrite{ID: fakediscord.DefaultGuild, Type: discordgo.PermissionOverwriteTypeRole, Deny: perms}
	}
	dc := fakediscord.New(t)
	dc.SetOverwrite(checkNoEmbeds, deny(discordgo.PermissionEmbedLinks))
	dc.DeleteChannel(checkDeleted)
	dc.SetOverwrite(checkNoThreads, deny(discordgo.PermissionCreatePublicThreads))
	dc.AddThread(checkLockedThread, checkThreadChannel)
	dc.LockThread(checkLockedThread)
	dc.AddForum(checkHiddenForum)
	dc.SetOverwrite(checkHiddenForum, deny(discordgo.PermissionViewChannel))

	channel := func(name, id string) config.Destination {
		return config.Destination{Name: name, Type: config.DiscordChannel, ChannelID: id}
	}
	threads := channel("threads", checkNoThreads)
	threads.Threads = true
	locked := channel("locked", checkThreadChannel)
	locked.ThreadID = checkLockedThread
	forum := channel("forum", checkHiddenForum)
	forum.Forum = true
	notForum := channel("channel-as-forum", checkOKChannel)
	notForum.Forum = true
	dc.AddForum(checkOpenForum)
	webhook := func(name, id string) config.Destination {
		return config.Destination{Name: name, Type: config.DiscordWebhook, WebhookURL: dc.AddWebhook(id, checkOKChannel)}
	}
	h.cfg.Destinations = append(h.cfg.Destinations, channel("fine", checkOKChannel), channel("plain", checkNoEmbeds), channel("gone", checkDeleted), threads, locked, forum,
		webhook("hook", "900000000000000001"), webhook("deleted-hook", "900000000000000002"),
		channel("forum-as-channel", checkOpenForum), notForum)
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
	st, err := store.OpenSQLite(ctx, h.db, store.WithClock(func() time.Time { return h.clock }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logs := &logBuffer{}
	svc, err := New(ctx, testOptions(h.cfg, st, notifiers, slog.New(slog.NewTextHandler(logs, nil)), func() time.Time { return h.clock }))
	if err != nil {
		t.Fatal(err)
	}
	return &destChecks{dc: dc, svc: svc, logs: logs, want: []wrongDestination{
		{"plain", "it lacks Embed Links there"},
		{"gone", "Discord has no channel " + checkDeleted},
		{"threads", "it lacks Create Public Threads there"},
		{"locked", "a moderator locked it"},
		{"forum", "it lacks View Channel there"},
		{"deleted-hook", "webhook 900000000000000002: the webhook was deleted"},
		// Discord refuses a message posted to a forum, and a post opened
		// in a text channel (400): each alert would be dropped.
		{"forum-as-channel", "is a forum: set forum: true"},
		{"channel-as-forum", "is not a forum: leave out forum: true"},
	}}
}

// lines are the log lines naming destination name.
func (d *destChecks) lines(name string) []string {
	var out []string
	for _, l := range strings.Split(d.logs.String(), "\n") {
		if strings.Contains(l, "destination="+name+" ") {
			out = append(out, l)
		}
	}
	return out
}

// checked reports whether each destination of want is named by n log
// lines at least.
func (d *destChecks) checked(want []wrongDestination, n int) func() bool {
	return func() bool {
		for _, w := range want {
			if len(d.lines(w.destination)) < n {
				return false
			}
		}
		return true
	}
}

// wantReportedOnce checks that each wrong destination has one error
// saying what is wrong, and the fine ones nothing.
func (d *destChecks) wantReportedOnce(t *testing.T) {
	t.Helper()
	for _, w := range d.want {
		got := d.lines(w.destination)
		if len(got) != 1 || !strings.Contains(got[0], "level=ERROR") || !strings.Contains(got[0], w.says) {
			t.Errorf("destination %s: log lines %q, want one error saying %q", w.destination, got, w.says)
		}
	}
	for _, fine := range []string{"fine", "hook"} {
		if got := d.lines(fine); len(got) != 0 {
			t.Errorf("destination %s: log lines %q, want none", fine, got)
		}
	}
}

// A Discord channel destination written in the config where the bot may
// not post (a permission missing, a locked thread, a deleted channel) was
// found out only by its failing deliveries. Each is now checked when the
// service starts, and again at a reload, and logged once naming the
// destination and what is wrong; the others, and the service, go on.
func TestConfigDestinationsAreCheckedAtStart(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	d := newDestChecks(t, h)
	svc := d.svc
	ctx := context.Background()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- svc.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("gave up waiting until %s; logs:\n%s", what, d.logs)
			}
		}
	}
	waitFor("each destination is reported at start", d.checked(d.want, 1))
	d.wantReportedOnce(t)

	// A reload checks again: the destination fixed in Discord meanwhile
	// is no longer reported, and the pause its failed delivery brought
	// (the sender's answer to a 403) is lifted.
	svc.sender.pauseDestination(ctx, "plain", "discord: missing access to channel "+checkNoEmbeds)
	d.dc.SetOverwrite(checkNoEmbeds, discordgo.PermissionOverwrite{ID: fakediscord.DefaultGuild, Type: discordgo.PermissionOverwriteTypeRole})
	if err := svc.Reload(ctx, h.cfg); err != nil {
		t.Fatal(err)
	}
	waitFor("each destination still wrong is reported again", d.checked(d.want[1:], 2))
	if got := d.lines("plain"); len(got) != 3 || !strings.Contains(got[2], "pause lifted") {
		t.Errorf("destination plain, paused, then fixed before the reload: log lines %q, want the one at start, its pause, and its pause lifted", got)
	}
	if _, paused := svc.sender.destinationPaused("plain"); paused {
		t.Errorf("destination plain, fixed before the reload, is still paused")
	}
	if _, paused := svc.sender.destinationPaused("gone"); paused {
		t.Errorf("destination gone, never paused, is paused")
	}
}

// `run --once` checked no config destination: a cron job's operator
// learned of a channel where the bot cannot post only from its failing
// deliveries, run after run. Its pass checks them as `run` does at start,
// logging each that is wrong once, as an error, while the alerts of the
// others go out.
func TestRunOnceChecksConfigDestinations(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	h.afterFirstSight(item(2, "Aleppo talks resume", h.clock))
	d := newDestChecks(t, h)
	r, err := d.svc.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	d.wantReportedOnce(t)
	h.wantTitles("Aleppo talks resume")
	if r.Delivered != 1 || r.Trouble() != "" {
		t.Errorf("run --once: %+v (trouble %q), want 1 delivered and no trouble", r, r.Trouble())
	}
}
