package fakediscord

import (
	"net/http"
	"slices"

	"github.com/bwmarrin/discordgo"
)

// This file is the fake's guilds and the bot's permissions in their
// channels: GET channels/{c} (with its permission overwrites), GET
// guilds/{g} (with its roles) and GET guilds/{g}/members/{user} (the
// bot's roles), and the permissions a message post needs. Permissions are
// computed as Discord documents it ("Permission Overwrites" in the
// Permissions topic): @everyone's and the member's roles, Administrator
// allowing everything, then the channel's @everyone overwrite, its role
// overwrites together, its member overwrite; a thread has its parent's;
// without View Channel nothing is allowed.

// DefaultGuild is the guild of a channel no interaction or test placed in
// one.
const DefaultGuild = "800000000000000001"

// ownerID owns every guild of the fake: not the bot.
const ownerID = "300000000000000099"

// DefaultPermissions is what @everyone may do in a guild no test set
// roles for: read, post embeds, and start and post in threads.
const DefaultPermissions int64 = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
	discordgo.PermissionEmbedLinks | discordgo.PermissionAttachFiles | discordgo.PermissionReadMessageHistory |
	discordgo.PermissionAddReactions | discordgo.PermissionCreatePublicThreads | discordgo.PermissionSendMessagesInThreads

// guild is a guild's roles and the bot's.
type guild struct {
	roles    map[string]int64 // by role id; the guild's own id is @everyone
	botRoles []string
}

// guildOf returns guild id, created with @everyone allowed
// DefaultPermissions; called with s.mu held.
func (s *Server) guildOf(id string) *guild {
	g := s.guilds[id]
	if g == nil {
		g = &guild{roles: map[string]int64{id: DefaultPermissions}}
		s.guilds[id] = g
	}
	return g
}

// SetRole sets a role's permissions in guildID; roleID guildID is
// @everyone.
func (s *Server) SetRole(guildID, roleID string, perms int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.guildOf(guildID).roles[roleID] = perms
}

// GiveBotRole gives the bot role roleID in guildID.
func (s *Server) GiveBotRole(guildID, roleID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guildOf(guildID)
	if _, ok := g.roles[roleID]; !ok {
		g.roles[roleID] = 0
	}
	g.botRoles = append(g.botRoles, roleID)
}

// SetOverwrite sets channel channelID's permission overwrite for a role
// or a member (AppID is the bot), replacing one for the same id.
func (s *Server) SetOverwrite(channelID string, o discordgo.PermissionOverwrite) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, old := range s.overwrites[channelID] {
		if old.ID == o.ID {
			s.overwrites[channelID][i] = o
			return
		}
	}
	s.overwrites[channelID] = append(s.overwrites[channelID], o)
}

// PlaceChannel puts channel id in guildID (see DefaultGuild). Inject
// places the channels an interaction names in its guild.
func (s *Server) PlaceChannel(id, guildID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channelGuild[id] = guildID
}

// place puts channel id in guildID unless it is somewhere already (a
// thread is where its parent is); called with s.mu held.
func (s *Server) place(id, guildID string) {
	if t := s.threads[id]; t != nil {
		id = t.ParentID
	}
	if _, ok := s.channelGuild[id]; !ok && id != "" && guildID != "" {
		s.channelGuild[id] = guildID
	}
}

// guildOfChannel is the id of channel id's guild; called with s.mu held.
func (s *Server) guildOfChannel(id string) string {
	if t := s.threads[id]; t != nil {
		id = t.ParentID
	}
	if g, ok := s.channelGuild[id]; ok {
		return g
	}
	return DefaultGuild
}

// allPermissions is every permission bit, an administrator's (not
// discordgo.PermissionAll, which lacks the newer ones, such as Send
// Messages in Threads).
const allPermissions = int64(^uint64(0) >> 1)

// BotPermissions returns the bot's permissions in channel id.
func (s *Server) BotPermissions(id string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.botPermissions(id)
}

// botPermissions: see BotPermissions; called with s.mu held.
func (s *Server) botPermissions(id string) int64 {
	if t := s.threads[id]; t != nil {
		id = t.ParentID
	}
	gid := s.guildOfChannel(id)
	g := s.guildOf(gid)
	perms := g.roles[gid]
	for _, r := range g.botRoles {
		perms |= g.roles[r]
	}
	if perms&discordgo.PermissionAdministrator != 0 {
		return allPermissions
	}
	var roleAllow, roleDeny int64
	var member *discordgo.PermissionOverwrite
	for _, o := range s.overwrites[id] {
		switch {
		case o.ID == gid:
			perms = perms&^o.Deny | o.Allow
		case o.Type == discordgo.PermissionOverwriteTypeMember && o.ID == AppID:
			member = &o
		case o.Type == discordgo.PermissionOverwriteTypeRole && slices.Contains(g.botRoles, o.ID):
			roleAllow |= o.Allow
			roleDeny |= o.Deny
		}
	}
	perms = perms&^roleDeny | roleAllow
	if member != nil {
		perms = perms&^member.Deny | member.Allow
	}
	if perms&discordgo.PermissionViewChannel == 0 {
		return 0
	}
	return perms
}

// mayPost answers 403 as Discord does when the bot may not post a message
// in channel id (View Channel, or Send Messages, or in a thread Send
// Messages in Threads, missing) and reports whether it may; called with
// s.mu held.
func (s *Server) mayPost(w http.ResponseWriter, id string) bool {
	perms := s.botPermissions(id)
	send := int64(discordgo.PermissionSendMessages)
	if s.threads[id] != nil {
		send = discordgo.PermissionSendMessagesInThreads
	}
	switch {
	case perms&discordgo.PermissionViewChannel == 0 || s.hiddenThread(id):
		writeError(w, http.StatusForbidden, 50001, "Missing Access")
		return false
	case perms&send == 0:
		writeError(w, http.StatusForbidden, 50013, "Missing Permissions")
		return false
	}
	return true
}

// getChannel serves GET channels/{c}: a thread, a forum or a text channel,
// with its guild and permission overwrites. A channel the bot cannot view
// answers 403 Missing Access.
func (s *Server) getChannel(w http.ResponseWriter, r *http.Request) {
	id, ok := s.botChannel(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.botPermissions(id)&discordgo.PermissionViewChannel == 0 || s.hiddenThread(id) {
		writeError(w, http.StatusForbidden, 50001, "Missing Access")
		return
	}
	ch := discordgo.Channel{ID: id, GuildID: s.guildOfChannel(id), Type: discordgo.ChannelTypeGuildText, Name: "channel-" + id,
		PermissionOverwrites: []*discordgo.PermissionOverwrite{}}
	for _, o := range s.overwrites[id] {
		ch.PermissionOverwrites = append(ch.PermissionOverwrites, &o)
	}
	if t := s.threads[id]; t != nil {
		ch.Type, ch.ParentID, ch.Name, ch.PermissionOverwrites = threadType(t), t.ParentID, t.Name, nil
		ch.ThreadMetadata = &discordgo.ThreadMetadata{Archived: t.Archived, Locked: t.Locked}
	} else if s.forums[id] != nil {
		ch.Type = discordgo.ChannelTypeGuildForum
	}
	writeJSON(w, http.StatusOK, ch)
}

// getGuild serves GET guilds/{g}: its owner (not the bot) and roles.
func (s *Server) getGuild(w http.ResponseWriter, r *http.Request) {
	if !requireBot(w, r) {
		return
	}
	id := r.PathValue("guild")
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guildOf(id)
	out := discordgo.Guild{ID: id, Name: "guild-" + id, OwnerID: ownerID}
	for rid, perms := range g.roles {
		name := "role-" + rid
		if rid == id {
			name = "@everyone"
		}
		out.Roles = append(out.Roles, &discordgo.Role{ID: rid, Name: name, Permissions: perms})
	}
	writeJSON(w, http.StatusOK, out)
}

// getMember serves GET guilds/{g}/members/{user} for the bot: its roles.
func (s *Server) getMember(w http.ResponseWriter, r *http.Request) {
	if !requireBot(w, r) {
		return
	}
	if r.PathValue("user") != AppID {
		writeError(w, http.StatusNotFound, 10007, "Unknown Member")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	roles := append([]string{}, s.guildOf(r.PathValue("guild")).botRoles...)
	writeJSON(w, http.StatusOK, map[string]any{
		"user":  map[string]any{"id": AppID, "username": "newshound", "discriminator": "0", "bot": true},
		"roles": roles, "joined_at": "2026-01-01T00:00:00Z",
	})
}

// threadType is t's channel type: a public or a private thread.
func threadType(t *Thread) discordgo.ChannelType {
	if t.Private {
		return discordgo.ChannelTypeGuildPrivateThread
	}
	return discordgo.ChannelTypeGuildPublicThread
}
