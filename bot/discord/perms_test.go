package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/fakediscord"
)

// A watch used to be accepted for a channel the bot cannot post alerts
// in, each of which then failed. /watch add and /watch edit now compute
// the bot's permissions in the channel (roles, the channel's overwrites, a
// thread's parent's) and refuse, naming what is missing, without saving.
func TestWatchChannelNeedsTheBotsPermissions(t *testing.T) {
	const (
		botRole = "710000000000000001"
		thread  = "200000000000000011"
		forum   = "200000000000000012"
	)
	allow := func(perms int64) discordgo.PermissionOverwrite {
		return discordgo.PermissionOverwrite{ID: botRole, Type: discordgo.PermissionOverwriteTypeRole, Allow: perms}
	}
	deny := func(id string, typ discordgo.PermissionOverwriteType, perms int64) discordgo.PermissionOverwrite {
		return discordgo.PermissionOverwrite{ID: id, Type: typ, Deny: perms}
	}
	tests := []struct {
		name    string
		setup   func(f *fakediscord.Server)
		channel string
		edit    bool   // /watch edit's channel, not /watch add's
		missing string // the permissions the reply names as missing
		says    string // else what the refusal says; both "" when the watch is saved
	}{
		{name: "the guild's defaults", setup: func(*fakediscord.Server) {}, channel: testAlertTarget},
		{name: "@everyone lacks Embed Links", channel: testAlertTarget, missing: "Embed Links", setup: func(f *fakediscord.Server) {
			f.SetRole(testGuild, testGuild, fakediscord.DefaultPermissions&^discordgo.PermissionEmbedLinks)
		}},
		{name: "the bot's role may embed links", channel: testAlertTarget, setup: func(f *fakediscord.Server) {
			f.SetRole(testGuild, testGuild, fakediscord.DefaultPermissions&^discordgo.PermissionEmbedLinks)
			f.GiveBotRole(testGuild, botRole)
			f.SetRole(testGuild, botRole, discordgo.PermissionEmbedLinks)
		}},
		{name: "an overwrite hides the channel from the bot", channel: testAlertTarget, missing: "View Channel", setup: func(f *fakediscord.Server) {
			f.SetOverwrite(testAlertTarget, deny(fakediscord.AppID, discordgo.PermissionOverwriteTypeMember, discordgo.PermissionViewChannel))
		}},
		{name: "an overwrite takes sending and embeds from the bot's role", channel: testAlertTarget, missing: "Send Messages, Embed Links", setup: func(f *fakediscord.Server) {
			f.GiveBotRole(testGuild, botRole)
			f.SetOverwrite(testAlertTarget, deny(botRole, discordgo.PermissionOverwriteTypeRole, discordgo.PermissionSendMessages|discordgo.PermissionEmbedLinks))
		}},
		{name: "an overwrite takes the channel's history from the bot", channel: testAlertTarget, missing: "Read Message History", setup: func(f *fakediscord.Server) {
			f.SetOverwrite(testAlertTarget, deny(fakediscord.AppID, discordgo.PermissionOverwriteTypeMember, discordgo.PermissionReadMessageHistory))
		}},
		{name: "the channel's overwrite gives back what @everyone's took", channel: testAlertTarget, setup: func(f *fakediscord.Server) {
			f.GiveBotRole(testGuild, botRole)
			f.SetOverwrite(testAlertTarget, deny(testGuild, discordgo.PermissionOverwriteTypeRole, discordgo.PermissionSendMessages))
			f.SetOverwrite(testAlertTarget, allow(discordgo.PermissionSendMessages))
		}},
		{name: "an administrator", channel: testAlertTarget, setup: func(f *fakediscord.Server) {
			f.SetRole(testGuild, testGuild, 0)
			f.GiveBotRole(testGuild, botRole)
			f.SetRole(testGuild, botRole, discordgo.PermissionAdministrator)
		}},
		// discordgo's PermissionAll, which it gives an administrator, lacks
		// Send Messages in Threads: Discord's administrator has every
		// permission whatever the overwrites.
		{name: "an administrator in a thread whose parent denies posting in threads", channel: thread, setup: func(f *fakediscord.Server) {
			f.SetRole(testGuild, testGuild, fakediscord.DefaultPermissions&^discordgo.PermissionSendMessagesInThreads)
			f.GiveBotRole(testGuild, botRole)
			f.SetRole(testGuild, botRole, discordgo.PermissionAdministrator)
			f.AddThread(thread, testAlertTarget)
			f.SetOverwrite(testAlertTarget, deny(botRole, discordgo.PermissionOverwriteTypeRole, discordgo.PermissionSendMessagesInThreads))
		}},
		{name: "a thread whose parent denies posting in threads", channel: thread, missing: "Send Messages in Threads", setup: func(f *fakediscord.Server) {
			f.AddThread(thread, testAlertTarget)
			f.SetOverwrite(testAlertTarget, deny(testGuild, discordgo.PermissionOverwriteTypeRole, discordgo.PermissionSendMessagesInThreads))
		}},
		{name: "a thread needs no Send Messages", channel: thread, setup: func(f *fakediscord.Server) {
			f.AddThread(thread, testAlertTarget)
			f.SetOverwrite(testAlertTarget, deny(testGuild, discordgo.PermissionOverwriteTypeRole, discordgo.PermissionSendMessages))
		}},
		{name: "a forum where the bot may not open posts", channel: forum, missing: "Send Messages", setup: func(f *fakediscord.Server) {
			f.AddForum(forum)
			f.SetOverwrite(forum, deny(fakediscord.AppID, discordgo.PermissionOverwriteTypeMember, discordgo.PermissionSendMessages))
		}},
		// Discord: a message reopens an archived thread, unless a moderator
		// locked it; only Manage Threads may post into a locked one. A
		// private thread is seen by its members and by Manage Threads only.
		{name: "an archived thread, which a post reopens", channel: thread, setup: func(f *fakediscord.Server) {
			f.AddThread(thread, testAlertTarget)
			f.ArchiveThread(thread)
		}},
		{name: "a locked thread", channel: thread, says: "a moderator locked it", setup: func(f *fakediscord.Server) {
			f.AddThread(thread, testAlertTarget)
			f.LockThread(thread)
		}},
		{name: "a locked thread, with Manage Threads", channel: thread, setup: func(f *fakediscord.Server) {
			f.SetRole(testGuild, testGuild, fakediscord.DefaultPermissions|discordgo.PermissionManageThreads)
			f.AddThread(thread, testAlertTarget)
			f.LockThread(thread)
		}},
		{name: "a private thread the bot is not a member of", channel: thread, says: "a private thread newshound is not a member of", setup: func(f *fakediscord.Server) {
			f.AddPrivateThread(thread, testAlertTarget)
		}},
		{name: "a private thread the bot is a member of", channel: thread, setup: func(f *fakediscord.Server) {
			f.AddPrivateThread(thread, testAlertTarget)
			f.JoinThread(thread)
		}},
		{name: "a private thread, with Manage Threads", channel: thread, setup: func(f *fakediscord.Server) {
			f.SetRole(testGuild, testGuild, fakediscord.DefaultPermissions|discordgo.PermissionManageThreads)
			f.AddPrivateThread(thread, testAlertTarget)
		}},
		{name: "edit onto a locked thread", channel: thread, edit: true, says: "a moderator locked it", setup: func(f *fakediscord.Server) {
			f.AddThread(thread, testAlertTarget)
			f.LockThread(thread)
		}},
		{name: "a deleted channel", channel: testAlertTarget, says: "no channel " + testAlertTarget, setup: func(f *fakediscord.Server) {
			f.DeleteChannel(testAlertTarget)
		}},
		{name: "edit onto a channel hidden from the bot", channel: testAlertTarget, edit: true, missing: "View Channel", setup: func(f *fakediscord.Server) {
			f.SetOverwrite(testAlertTarget, deny(testGuild, discordgo.PermissionOverwriteTypeRole, discordgo.PermissionViewChannel))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each gateway test spends 1 s in discordgo's Close
			f := fakediscord.New(t)
			tt.setup(f)
			w := &memoryWatches{}
			connectBot(t, f, w)
			channel := &discordgo.ApplicationCommandInteractionDataOption{Name: "channel", Type: discordgo.ApplicationCommandOptionChannel, Value: tt.channel}
			cmd := sub("add", opt("feed", "https://example.org/feed.xml"), opt("query", "aleppo"), channel)
			if tt.edit {
				w.watches = []WatchInfo{{ID: 1, GuildID: testGuild, ChannelID: testCmdChannel, Query: "aleppo"}}
				cmd = sub("edit", opt("id", 1), channel)
			}
			in := runCommand(t, f, cmd)

			saved := w.snapshot()
			moved := len(saved) == 1 && saved[0].ChannelID == tt.channel
			if tt.missing == "" && tt.says == "" {
				if !moved {
					t.Fatalf("watches %+v, want one posting to %s; reply %q, follow-ups %+v", saved, tt.channel, in.Original(), in.Followups)
				}
				return
			}
			if moved || len(w.edits) > 0 {
				t.Errorf("watches %+v, edits %+v: want nothing saved", saved, w.edits)
			}
			if len(in.Followups) != 1 {
				t.Fatalf("got %d follow-ups, want 1 error; reply %q", len(in.Followups), in.Original())
			}
			want := tt.says
			if tt.missing != "" {
				want = "it lacks " + tt.missing + " there."
			}
			if got := in.Followups[0].Content; !strings.Contains(got, want) {
				t.Errorf("reply %q, want it to say %q", got, want)
			}
		})
	}
}

// A watch is paused when its channel refuses a delivery (the bot lost
// access). /watch resume used to resume it whatever the channel's state,
// answering "resumed", and the next delivery paused it again. It now
// checks the channel as add and edit do, and refuses, naming what is
// missing, while it is not fixed.
func TestResumeChecksTheWatchesChannel(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(f *fakediscord.Server)
		missing string // "" when the watch is resumed
	}{
		{name: "fixed", setup: func(*fakediscord.Server) {}},
		{name: "still without Embed Links", missing: "Embed Links", setup: func(f *fakediscord.Server) {
			f.SetOverwrite(testAlertTarget, discordgo.PermissionOverwrite{ID: testGuild, Type: discordgo.PermissionOverwriteTypeRole, Deny: discordgo.PermissionEmbedLinks})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := fakediscord.New(t)
			f.PlaceChannel(testAlertTarget, testGuild)
			tt.setup(f)
			w := &memoryWatches{watches: []WatchInfo{{ID: 1, GuildID: testGuild, ChannelID: testAlertTarget, Query: "aleppo", Paused: true, PausedReason: "missing access"}}}
			connectBot(t, f, w)
			in := runCommand(t, f, sub("resume", opt("id", 1)))
			paused := w.snapshot()[0].Paused
			if tt.missing == "" {
				if paused {
					t.Errorf("watch still paused; reply %q, follow-ups %+v", in.Original(), in.Followups)
				}
				return
			}
			if !paused {
				t.Errorf("watch resumed into a channel still lacking %s", tt.missing)
			}
			if len(in.Followups) != 1 || !strings.Contains(in.Followups[0].Content, "it lacks "+tt.missing+" there.") {
				t.Errorf("reply %q, follow-ups %+v: want an error saying it lacks %s", in.Original(), in.Followups, tt.missing)
			}
		})
	}
}

// A config destination's check (at start, at each reload) asked Discord
// with discordgo directly, past the Limiter: it went out while the
// Limiter held every send back (Cloudflare blocking the IP, the invalid
// request budget spent), unpaced by the token's rate, and its 403s were
// not counted toward the budget that keeps the IP from a ban. Its
// requests now go through the Limiter as the sends do.
func TestDestinationCheckGoesThroughTheLimiter(t *testing.T) {
	const hidden = "200000000000000091"
	tests := []struct {
		name  string
		cfg   LimiterConfig
		setup func(t *testing.T, f *fakediscord.Server, n notify.Notifier)
		// requests is how many requests the check may send; invalid how
		// many invalid answers the Limiter counts after it.
		requests, invalid int
		checked           string // the channel checked
	}{
		{name: "while Cloudflare blocks the IP", checked: testChannel, requests: 0, invalid: 1,
			setup: func(t *testing.T, f *fakediscord.Server, n notify.Notifier) {
				f.Cloudflare429(1)
				if _, err := n.Send(context.Background(), oneAlert("cf", "Aleppo")); err == nil {
					t.Fatal("send answered by Cloudflare's 429: no error")
				}
			}},
		{name: "once the invalid request budget is spent", cfg: LimiterConfig{InvalidBudget: 1}, checked: testChannel, requests: 0, invalid: 1,
			setup: func(t *testing.T, f *fakediscord.Server, n notify.Notifier) {
				f.FailNext(http.StatusForbidden)
				if _, err := n.Send(context.Background(), oneAlert("denied", "Aleppo")); err == nil {
					t.Fatal("send answered 403: no error")
				}
			}},
		{name: "a channel hidden from the bot counts as invalid", checked: hidden, requests: 10, invalid: 1,
			setup: func(t *testing.T, f *fakediscord.Server, n notify.Notifier) {
				f.SetOverwrite(hidden, discordgo.PermissionOverwrite{ID: fakediscord.AppID, Type: discordgo.PermissionOverwriteTypeMember, Deny: discordgo.PermissionViewChannel})
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			cfg := tt.cfg
			cfg.MaxWait = 100 * time.Millisecond
			lim := NewLimiter(cfg)
			s := newTestSession(t, f, "test-token")
			tt.setup(t, f, NewChannelNotifier(s, testChannel, lim))
			before := len(f.Requests(""))
			err := NewChannelNotifier(s, tt.checked, lim).(notify.Checker).Check(context.Background())
			if sent := len(f.Requests("")) - before; sent > tt.requests {
				t.Errorf("the check sent %d requests (err %v), want at most %d", sent, err, tt.requests)
			}
			if tt.requests == 0 && (err == nil || errors.Is(err, notify.ErrCannotPost)) {
				t.Errorf("check held back by the Limiter: err %v, want a failure to check", err)
			}
			if got := lim.InvalidRequests(); got != tt.invalid {
				t.Errorf("the Limiter counts %d invalid requests after the check, want %d", got, tt.invalid)
			}
		})
	}
}

// Each destination's check asked Discord who the bot is (GET users/@me)
// while the gateway had not said so yet, as at start, when the checks
// run beside the gateway's opening: a config of many destinations sent
// that request once for each. The answer is kept, as READY's would be.
func TestDestinationChecksAskWhoTheBotIsOnce(t *testing.T) {
	tests := []struct {
		name         string
		destinations int
	}{
		{"one destination", 1},
		{"twenty destinations", 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			s := newTestSession(t, f, "test-token")
			lim := NewLimiter(LimiterConfig{PerSecond: 1e6, Burst: 1e6})
			for i := range tt.destinations {
				n := NewChannelNotifier(s, fmt.Sprint(200000000000000100+i), lim)
				if err := n.(notify.Checker).Check(context.Background()); err != nil {
					t.Fatalf("check %d: %v", i, err)
				}
			}
			if got := len(f.Requests("GET users/@me")); got != 1 {
				t.Errorf("%d checks asked who the bot is %d times, want once", tt.destinations, got)
			}
		})
	}
}

// A config destination whose thread is a private one the bot is not a
// member of was reported as lacking View Channel: Discord hides such a
// thread from the bot (403) as it hides a channel the bot may not view,
// and giving the bot's role View Channel, as the report said to, changed
// nothing. The check of a thread_id destination now looks at the thread's
// channel: seen there, the thread is hidden because it is private.
func TestDestinationCheckSaysWhatHidesAThread(t *testing.T) {
	const thread = "200000000000000011"
	hideChannel := func(f *fakediscord.Server) {
		f.SetOverwrite(testAlertTarget, discordgo.PermissionOverwrite{ID: fakediscord.AppID, Type: discordgo.PermissionOverwriteTypeMember, Deny: discordgo.PermissionViewChannel})
	}
	tests := []struct {
		name  string
		dest  config.Destination
		setup func(f *fakediscord.Server)
		says  []string // what the check's error says; none when it passes
	}{
		{name: "a private thread the bot is a member of", dest: config.Destination{ChannelID: testAlertTarget, ThreadID: thread},
			setup: func(f *fakediscord.Server) {
				f.AddPrivateThread(thread, testAlertTarget)
				f.JoinThread(thread)
			}},
		{name: "a private thread the bot is not a member of", dest: config.Destination{ChannelID: testAlertTarget, ThreadID: thread},
			setup: func(f *fakediscord.Server) { f.AddPrivateThread(thread, testAlertTarget) },
			says:  []string{"a private thread newshound is not a member of", "Add newshound to it", "public thread"}},
		{name: "a thread of a channel hidden from the bot", dest: config.Destination{ChannelID: testAlertTarget, ThreadID: thread},
			setup: func(f *fakediscord.Server) {
				f.AddThread(thread, testAlertTarget)
				hideChannel(f)
			},
			says: []string{"channel " + testAlertTarget + ": it lacks View Channel there"}},
		{name: "a channel hidden from the bot", dest: config.Destination{ChannelID: testAlertTarget},
			setup: hideChannel,
			says:  []string{"it lacks View Channel there"}},
		// channel_id naming a thread: nothing tells it from a channel.
		{name: "a private thread given as the channel", dest: config.Destination{ChannelID: thread},
			setup: func(f *fakediscord.Server) { f.AddPrivateThread(thread, testAlertTarget) },
			says:  []string{"it lacks View Channel there", "a private thread newshound is not a member of", "public thread"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			f.PlaceChannel(testAlertTarget, testGuild)
			tt.setup(f)
			s := newTestSession(t, f, "test-token")
			tt.dest.Name, tt.dest.Type = "desk", config.DiscordChannel
			n, err := NewDestinationNotifier(s, tt.dest, NewLimiter(LimiterConfig{PerSecond: 1e6, Burst: 1e6}))
			if err != nil {
				t.Fatal(err)
			}
			err = n.(notify.Checker).Check(context.Background())
			if len(tt.says) == 0 {
				if err != nil {
					t.Errorf("check: %v, want none", err)
				}
				return
			}
			if !errors.Is(err, notify.ErrCannotPost) {
				t.Fatalf("check: %v, want a refusal (notify.ErrCannotPost)", err)
			}
			for _, want := range tt.says {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("check says %q, want it to say %q", err, want)
				}
			}
		})
	}
}

// A webhook's check refused with a 429 returned discordgo's error as it
// was, "Rate limit exceeded on <URL>", and the URL of
// GET webhooks/{id}/{token} holds the webhook's token, a secret the bot
// logs the check's failure with.
func TestWebhookCheckRefusedKeepsItsTokenOutOfTheError(t *testing.T) {
	const hook = "600000000000000031"
	tests := []struct {
		name   string
		refuse func(f *fakediscord.Server)
	}{
		{name: "a 429 of the webhook's route", refuse: func(f *fakediscord.Server) { f.Route429("GET webhooks/"+hook, time.Minute) }},
		{name: "a global 429", refuse: func(f *fakediscord.Server) { f.Global429(time.Minute) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			webhookURL := f.AddWebhook(hook, testAlertTarget)
			token := webhookURL[strings.LastIndexByte(webhookURL, '/')+1:]
			n, err := NewWebhookNotifier(newTestSession(t, f, ""), webhookURL, NewLimiter(LimiterConfig{PerSecond: 1e6, Burst: 1e6}))
			if err != nil {
				t.Fatal(err)
			}
			tt.refuse(f)
			err = n.(notify.Checker).Check(context.Background())
			if err == nil {
				t.Fatal("check: no error, want the 429's")
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("check: %v, holds the webhook's token %q", err, token)
			}
		})
	}
}
