package fakediscord

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// The fake refuses a bot's post where its permissions (roles, overwrites,
// a thread's parent's) do not allow it, as Discord does.
func TestPostNeedsPermissions(t *testing.T) {
	const (
		guildID = "900000000000000001"
		role    = "900000000000000002"
		channel = "900000000000000003"
		thread  = "900000000000000004"
	)
	tests := []struct {
		name       string
		setup      func(s *Server)
		to         string
		wantStatus int
		wantInBody string
	}{
		{"defaults", func(*Server) {}, channel, 200, `"id"`},
		{"@everyone may not send", func(s *Server) {
			s.SetRole(guildID, guildID, discordgo.PermissionViewChannel)
		}, channel, 403, `"code":50013`},
		{"the bot's role may send", func(s *Server) {
			s.SetRole(guildID, guildID, discordgo.PermissionViewChannel)
			s.GiveBotRole(guildID, role)
			s.SetRole(guildID, role, discordgo.PermissionSendMessages)
		}, channel, 200, `"id"`},
		{"a role overwrite denies sending", func(s *Server) {
			s.GiveBotRole(guildID, role)
			s.SetOverwrite(channel, discordgo.PermissionOverwrite{ID: role, Type: discordgo.PermissionOverwriteTypeRole, Deny: discordgo.PermissionSendMessages})
		}, channel, 403, `"code":50013`},
		{"the member overwrite allows it again", func(s *Server) {
			s.GiveBotRole(guildID, role)
			s.SetOverwrite(channel, discordgo.PermissionOverwrite{ID: role, Type: discordgo.PermissionOverwriteTypeRole, Deny: discordgo.PermissionSendMessages})
			s.SetOverwrite(channel, discordgo.PermissionOverwrite{ID: AppID, Type: discordgo.PermissionOverwriteTypeMember, Allow: discordgo.PermissionSendMessages})
		}, channel, 200, `"id"`},
		{"hidden channel", func(s *Server) {
			s.SetOverwrite(channel, discordgo.PermissionOverwrite{ID: guildID, Type: discordgo.PermissionOverwriteTypeRole, Deny: discordgo.PermissionViewChannel})
		}, channel, 403, `"code":50001`},
		{"administrator", func(s *Server) {
			s.SetRole(guildID, guildID, 0)
			s.GiveBotRole(guildID, role)
			s.SetRole(guildID, role, discordgo.PermissionAdministrator)
		}, channel, 200, `"id"`},
		{"administrator in a thread", func(s *Server) {
			s.SetRole(guildID, guildID, 0)
			s.GiveBotRole(guildID, role)
			s.SetRole(guildID, role, discordgo.PermissionAdministrator)
			s.AddThread(thread, channel)
		}, thread, 200, `"id"`},
		{"a thread takes its parent's overwrites", func(s *Server) {
			s.AddThread(thread, channel)
			s.SetOverwrite(channel, discordgo.PermissionOverwrite{ID: guildID, Type: discordgo.PermissionOverwriteTypeRole, Deny: discordgo.PermissionSendMessagesInThreads})
		}, thread, 403, `"code":50013`},
		{"a thread needs no Send Messages", func(s *Server) {
			s.AddThread(thread, channel)
			s.SetOverwrite(channel, discordgo.PermissionOverwrite{ID: guildID, Type: discordgo.PermissionOverwriteTypeRole, Deny: discordgo.PermissionSendMessages})
		}, thread, 200, `"id"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t)
			s.PlaceChannel(channel, guildID)
			tt.setup(s)
			resp, body := post(t, s, "channels/"+tt.to+"/messages", "Bot x", `{"content":"hi"}`)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(body, tt.wantInBody) {
				t.Errorf("got %d %s, want %d containing %s", resp.StatusCode, body, tt.wantStatus, tt.wantInBody)
			}
		})
	}
}

// Opening a forum post needs View Channel and Send Messages in the forum,
// and starting a thread under a message Create Public Threads in its
// channel, as on Discord; the fake used to open both whatever the
// permissions said.
func TestThreadsNeedPermissions(t *testing.T) {
	const (
		guildID = "900000000000000001"
		channel = "900000000000000003"
		forum   = "900000000000000005"
	)
	deny := func(id string, perms int64) func(s *Server) {
		return func(s *Server) {
			s.SetOverwrite(id, discordgo.PermissionOverwrite{ID: guildID, Type: discordgo.PermissionOverwriteTypeRole, Deny: perms})
		}
	}
	post := `{"name":"Aleppo","message":{"content":"hi"}}`
	tests := []struct {
		name       string
		setup      func(s *Server)
		path, body string
		wantStatus int
		wantInBody string
	}{
		{"a forum post", func(*Server) {}, "channels/" + forum + "/threads", post, 201, `"id"`},
		{"a forum post in a hidden forum", deny(forum, discordgo.PermissionViewChannel), "channels/" + forum + "/threads", post, 403, `"code":50001`},
		{"a forum post without Send Messages", deny(forum, discordgo.PermissionSendMessages), "channels/" + forum + "/threads", post, 403, `"code":50013`},
		{"a thread under a message", func(*Server) {}, "channels/" + channel + "/messages/{msg}/threads", `{"name":"Aleppo"}`, 201, `"id"`},
		{"a thread without Create Public Threads", deny(channel, discordgo.PermissionCreatePublicThreads), "channels/" + channel + "/messages/{msg}/threads", `{"name":"Aleppo"}`, 403, `"code":50013`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t)
			s.PlaceChannel(channel, guildID)
			s.PlaceChannel(forum, guildID)
			s.AddForum(forum)
			_, body := request(t, s, http.MethodPost, "channels/"+channel+"/messages", "Bot x", `{"content":"lead"}`)
			var lead struct{ ID string }
			if err := json.Unmarshal([]byte(body), &lead); err != nil || lead.ID == "" {
				t.Fatalf("posting the lead: %s", body)
			}
			tt.setup(s)
			resp, body := request(t, s, http.MethodPost, strings.ReplaceAll(tt.path, "{msg}", lead.ID), "Bot x", tt.body)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(body, tt.wantInBody) {
				t.Errorf("got %d %s, want %d containing %s", resp.StatusCode, body, tt.wantStatus, tt.wantInBody)
			}
		})
	}
}
