package fakediscord

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"
)

// ResponseDeadline is how long Discord waits for an interaction's first
// response.
const ResponseDeadline = 3 * time.Second

// TokenLifetime is how long an interaction's token takes edits and
// follow-ups; after it Discord answers them 401 Invalid Webhook Token.
const TokenLifetime = 15 * time.Minute

// ephemeralFlag is discordgo.MessageFlagsEphemeral.
const ephemeralFlag = 1 << 6

// Interaction is an injected interaction and every answer the bot gave it.
type Interaction struct {
	ID, Token  string
	InjectedAt time.Time
	Callbacks  []Reply // POST interactions/{id}/{token}/callback
	Edits      []Reply // PATCH webhooks/{app}/{token}/messages/@original
	Followups  []Reply // POST webhooks/{app}/{token}
	Deleted    bool    // the original response was deleted
	// followupsRefused: its follow-ups answer 404 Unknown Message (see
	// DeleteResponse); expired: its token is past TokenLifetime.
	followupsRefused, expired bool
}

// Reply is one answer to an interaction.
type Reply struct {
	Type    int // callback type (4 message, 5 deferred); 0 for edits and follow-ups
	Content string
	Flags   int
	Embeds  []*discordgo.MessageEmbed
	At      time.Time
}

// Ephemeral reports whether the reply is visible only to the user.
func (r Reply) Ephemeral() bool { return r.Flags&ephemeralFlag != 0 }

// Answered reports whether the first response came within Discord's 3 s.
func (i Interaction) Answered() bool {
	return len(i.Callbacks) > 0 && i.Callbacks[0].At.Sub(i.InjectedAt) <= ResponseDeadline
}

// Original is the content the user sees in the original response: the last
// edit, else the callback's content ("" while deferred or when deleted).
func (i Interaction) Original() string {
	switch {
	case i.Deleted:
		return ""
	case len(i.Edits) > 0:
		return i.Edits[len(i.Edits)-1].Content
	case len(i.Callbacks) > 0:
		return i.Callbacks[0].Content
	}
	return ""
}

// SlashCommand builds an application command interaction from a member with
// Manage Channels in guildID, as Discord would send it.
func SlashCommand(guildID, channelID, name string, options ...*discordgo.ApplicationCommandInteractionDataOption) discordgo.Interaction {
	return discordgo.Interaction{
		Type:      discordgo.InteractionApplicationCommand,
		GuildID:   guildID,
		ChannelID: channelID,
		Member: &discordgo.Member{
			User:        &discordgo.User{ID: "300000000000000001", Username: "editor"},
			Permissions: discordgo.PermissionManageChannels | discordgo.PermissionViewChannel | discordgo.PermissionSendMessages,
		},
		Data: discordgo.ApplicationCommandInteractionData{
			ID:          "400000000000000001",
			Name:        name,
			CommandType: discordgo.ChatApplicationCommand,
			Options:     options,
		},
	}
}

// Inject records the interaction (filling in id, token and application id)
// and dispatches it as INTERACTION_CREATE on the gateway, now or, while no
// client is connected, when one resumes. It returns the interaction id.
func (s *Server) Inject(i discordgo.Interaction) string {
	s.mu.Lock()
	s.resolveChannels(&i)
	s.place(i.ChannelID, i.GuildID)
	i.ID = s.newID()
	i.Token = "itoken-" + i.ID
	i.AppID = AppID
	i.Version = 1
	s.inter[i.ID] = &Interaction{ID: i.ID, Token: i.Token, InjectedAt: time.Now()}
	s.notify()
	s.mu.Unlock()
	s.dispatch("INTERACTION_CREATE", i)
	return i.ID
}

// Interaction returns what the bot answered to interaction id so far.
func (s *Server) Interaction(id string) Interaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in := s.inter[id]; in != nil {
		c := *in
		c.Callbacks = append([]Reply(nil), in.Callbacks...)
		c.Edits = append([]Reply(nil), in.Edits...)
		c.Followups = append([]Reply(nil), in.Followups...)
		return c
	}
	return Interaction{}
}

// DeleteResponse deletes interaction id's original response as a
// moderator (or the user) does in Discord's client, the "thinking…" of a
// deferral included: its edits and its deletion answer 404 Unknown
// Message. With followupsRefused its follow-ups do too, as Discord
// answered them after a deferral deleted in the client
// (discord/discord-api-docs#3087).
func (s *Server) DeleteResponse(id string, followupsRefused bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in := s.inter[id]; in != nil {
		in.Deleted, in.followupsRefused = true, followupsRefused
		s.notify()
	}
}

// ExpireToken ages interaction id's token past TokenLifetime: its edits,
// deletion and follow-ups answer 401 Invalid Webhook Token (code 50027).
func (s *Server) ExpireToken(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in := s.inter[id]; in != nil {
		in.expired = true
	}
}

// tokenRefused answers 401 Invalid Webhook Token when in's token has
// expired, and reports whether it did; called with s.mu held.
func tokenRefused(w http.ResponseWriter, in *Interaction) bool {
	if in == nil || !in.expired && time.Since(in.InjectedAt) <= TokenLifetime {
		return false
	}
	writeError(w, http.StatusUnauthorized, 50027, "Invalid Webhook Token")
	return true
}

// byToken finds an interaction; called with s.mu held.
func (s *Server) byToken(token string) *Interaction {
	for _, in := range s.inter {
		if in.Token == token {
			return in
		}
	}
	return nil
}

type replyPayload struct {
	Type int `json:"type"`
	Data *struct {
		Content string                    `json:"content"`
		Flags   int                       `json:"flags"`
		Embeds  []*discordgo.MessageEmbed `json:"embeds"`
	} `json:"data"`
	// Edits and follow-ups carry the fields at the top level.
	Content *string                   `json:"content"`
	Flags   int                       `json:"flags"`
	Embeds  []*discordgo.MessageEmbed `json:"embeds"`
}

func readReply(w http.ResponseWriter, r *http.Request) (Reply, bool) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	var p replyPayload
	if err != nil || json.Unmarshal(raw, &p) != nil {
		writeError(w, http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
		return Reply{}, false
	}
	rep := Reply{Type: p.Type, Flags: p.Flags, Embeds: p.Embeds, At: time.Now()}
	if p.Content != nil {
		rep.Content = *p.Content
	}
	if p.Data != nil {
		rep.Content, rep.Flags, rep.Embeds = p.Data.Content, p.Data.Flags, p.Data.Embeds
	}
	fe := validate(&messagePayload{Content: rep.Content, Embeds: rep.Embeds})
	if len(fe) > 0 {
		writeJSON(w, http.StatusBadRequest, apiError{Code: 50035, Message: "Invalid Form Body", Errors: fe.tree()})
		return Reply{}, false
	}
	return rep, true
}

func (s *Server) interactionCallback(w http.ResponseWriter, r *http.Request) {
	rep, ok := readReply(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.inter[r.PathValue("id")]
	switch {
	case in == nil || in.Token != r.PathValue("token") || time.Since(in.InjectedAt) > ResponseDeadline:
		writeError(w, http.StatusNotFound, 10062, "Unknown interaction")
	case len(in.Callbacks) > 0:
		writeError(w, http.StatusBadRequest, 40060, "Interaction has already been acknowledged.")
	default:
		in.Callbacks = append(in.Callbacks, rep)
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) editInteractionMessage(w http.ResponseWriter, r *http.Request) {
	rep, ok := readReply(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.byToken(r.PathValue("token"))
	if tokenRefused(w, in) {
		return
	}
	if in == nil || r.PathValue("id") != AppID || r.PathValue("msg") != "@original" || len(in.Callbacks) == 0 || in.Deleted {
		writeError(w, http.StatusNotFound, 10008, "Unknown Message")
		return
	}
	in.Edits = append(in.Edits, rep)
	writeJSON(w, http.StatusOK, map[string]any{"id": s.newID(), "content": rep.Content, "flags": in.Callbacks[0].Flags})
}

func (s *Server) deleteInteractionMessage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.byToken(r.PathValue("token"))
	if tokenRefused(w, in) {
		return
	}
	if in == nil || r.PathValue("id") != AppID || r.PathValue("msg") != "@original" || len(in.Callbacks) == 0 || in.Deleted {
		writeError(w, http.StatusNotFound, 10008, "Unknown Message")
		return
	}
	in.Deleted = true
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) followup(w http.ResponseWriter, r *http.Request, token string) {
	rep, ok := readReply(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.byToken(token)
	switch {
	case tokenRefused(w, in):
		return
	case in == nil || len(in.Callbacks) == 0:
		writeError(w, http.StatusNotFound, 10015, "Unknown Webhook")
		return
	case in.followupsRefused:
		writeError(w, http.StatusNotFound, 10008, "Unknown Message")
		return
	}
	in.Followups = append(in.Followups, rep)
	if r.URL.Query().Get("wait") != "true" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": s.newID(), "content": rep.Content, "flags": rep.Flags})
}

// resolveChannels fills in the interaction's resolved channels, as Discord
// does for channel options: forums and threads the fake knows with their
// types, any other channel as a text channel. Called with s.mu held.
func (s *Server) resolveChannels(i *discordgo.Interaction) {
	d, ok := i.Data.(discordgo.ApplicationCommandInteractionData)
	if !ok {
		return
	}
	var walk func(opts []*discordgo.ApplicationCommandInteractionDataOption)
	walk = func(opts []*discordgo.ApplicationCommandInteractionDataOption) {
		for _, o := range opts {
			walk(o.Options)
			id, isString := o.Value.(string)
			if o.Type != discordgo.ApplicationCommandOptionChannel || !isString {
				continue
			}
			s.place(id, i.GuildID)
			ch := &discordgo.Channel{ID: id, GuildID: i.GuildID, Type: discordgo.ChannelTypeGuildText}
			if _, ok := s.forums[id]; ok {
				ch.Type = discordgo.ChannelTypeGuildForum
			} else if t, ok := s.threads[id]; ok {
				ch.Type, ch.ParentID = threadType(t), t.ParentID
				ch.ThreadMetadata = &discordgo.ThreadMetadata{Archived: t.Archived, Locked: t.Locked}
			}
			if d.Resolved == nil {
				d.Resolved = &discordgo.ApplicationCommandInteractionDataResolved{}
			}
			if d.Resolved.Channels == nil {
				d.Resolved.Channels = map[string]*discordgo.Channel{}
			}
			d.Resolved.Channels[id] = ch
		}
	}
	walk(d.Options)
	i.Data = d
}
