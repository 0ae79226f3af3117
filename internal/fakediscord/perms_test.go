package fakediscord

import (
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
