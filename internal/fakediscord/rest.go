package fakediscord

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// nonceWindow is how long enforce_nonce returns the earlier message
// ("within the past few minutes").
const defaultNonceWindow = 5 * time.Minute

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	api := func(pattern string, h http.HandlerFunc) { mux.HandleFunc(pattern, s.api(h)) }
	api("POST /api/v9/channels/{channel}/messages", s.createMessage)
	api("GET /api/v9/channels/{channel}/messages", s.listMessages)
	api("PATCH /api/v9/channels/{channel}/messages/{msg}", s.editMessage)
	api("PATCH /api/v9/channels/{channel}", s.modifyChannel)
	api("GET /api/v9/channels/{channel}", s.getChannel)
	api("GET /api/v9/channels/{channel}/thread-members/{user}", s.getThreadMember)
	api("GET /api/v9/guilds/{guild}", s.getGuild)
	api("GET /api/v9/guilds/{guild}/members/{user}", s.getMember)
	api("POST /api/v9/channels/{channel}/messages/{msg}/threads", s.startThread)
	api("POST /api/v9/channels/{channel}/threads", s.createThread)
	api("GET /api/v9/webhooks/{id}", s.getWebhook)
	api("POST /api/v9/webhooks/{id}/{token}", s.executeWebhook)
	api("GET /api/v9/webhooks/{id}/{token}", s.getWebhookWithToken)
	api("PATCH /api/v9/webhooks/{id}/{token}/messages/{msg}", s.editMessageWithToken)
	api("DELETE /api/v9/webhooks/{id}/{token}/messages/{msg}", s.deleteInteractionMessage)
	api("POST /api/v9/interactions/{id}/{token}/callback", s.interactionCallback)
	api("PUT /api/v9/applications/{app}/commands", s.overwriteCommands)
	api("PUT /api/v9/applications/{app}/guilds/{guild}/commands", s.overwriteCommands)
	api("GET /api/v9/gateway", s.getGateway)
	api("GET /api/v9/gateway/bot", s.getGateway)
	api("GET /api/v9/users/@me", s.getMe)
	mux.HandleFunc("GET /gateway", s.serveGateway)
	mux.HandleFunc("GET /gateway/{$}", s.serveGateway) // discordgo dials URL + "/?v=9…"
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, 0, "404: Not Found")
	})
	return mux
}

// api wraps a REST handler with recording, injected failures and rate limits.
func (s *Server) api(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.held(r)
		idx, ok := s.admit(w, r)
		if !ok {
			return
		}
		if s.takeGhost(r) {
			// The message is created, but the answer says it was not.
			h(&statusRecorder{ResponseWriter: discardWriter{}, status: http.StatusOK}, r)
			writeError(w, http.StatusInternalServerError, 0, "500: Internal Server Error")
			s.mu.Lock()
			s.requests[idx].Status = http.StatusInternalServerError
			s.notify()
			s.mu.Unlock()
			return
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h(rec, r)
		s.mu.Lock()
		s.requests[idx].Status = rec.status
		s.notify()
		s.mu.Unlock()
	}
}

// takeGhost reports whether this request is a message post that must be
// a ghost (see GhostNext).
func (s *Server) takeGhost(r *http.Request) bool {
	if r.Method != http.MethodPost || !(strings.HasSuffix(r.URL.Path, "/messages") || strings.HasSuffix(r.URL.Path, "/threads") || strings.Contains(r.URL.Path, "/webhooks/")) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ghosts == 0 {
		return false
	}
	s.ghosts--
	return true
}

// discardWriter swallows an answer nobody will see.
type discardWriter struct{}

func (discardWriter) Header() http.Header         { return http.Header{} }
func (discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (discardWriter) WriteHeader(int)             {}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func isBot(r *http.Request) bool { return strings.HasPrefix(r.Header.Get("Authorization"), "Bot ") }

// requireBot answers 401 to a request without a bot token, as Discord
// does, and reports whether the handler may go on.
func requireBot(w http.ResponseWriter, r *http.Request) bool {
	if !isBot(r) {
		writeError(w, http.StatusUnauthorized, 0, "401: Unauthorized")
		return false
	}
	return true
}

// readMessage decodes and validates a message body, answering 400 itself
// when it is not acceptable.
func readMessage(w http.ResponseWriter, r *http.Request) (*messagePayload, []byte, bool) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
		return nil, nil, false
	}
	var p messagePayload
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&p); err != nil {
		writeError(w, http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
		return nil, nil, false
	}
	if fe := validate(&p); len(fe) > 0 {
		writeJSON(w, http.StatusBadRequest, apiError{Code: 50035, Message: "Invalid Form Body", Errors: fe.tree()})
		return nil, nil, false
	}
	if strings.TrimSpace(p.Content) == "" && len(p.Embeds) == 0 {
		writeError(w, http.StatusBadRequest, 50006, "Cannot send an empty message")
		return nil, nil, false
	}
	return &p, raw, true
}

func (s *Server) createMessage(w http.ResponseWriter, r *http.Request) {
	channelID, ok := s.botChannel(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	isForum := s.forums[channelID] != nil
	s.mu.Unlock()
	if isForum { // a forum takes posts (threads), not messages
		writeError(w, http.StatusBadRequest, 50024, "Cannot execute action on this channel type")
		return
	}
	p, raw, ok := readMessage(w, r)
	if !ok {
		return
	}
	nonce, _ := p.Nonce.(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.locked(channelID) && s.botPermissions(channelID)&discordgo.PermissionManageThreads == 0:
		writeError(w, http.StatusForbidden, 50083, "Thread is archived")
		return
	case s.threads[channelID] != nil && s.threadsDenied(channelID):
		writeError(w, http.StatusForbidden, 50013, "Missing Permissions")
		return
	case !s.mayPost(w, channelID):
		return
	}
	if t := s.threads[channelID]; t != nil {
		t.Archived = false // posting into an archived thread reopens it
	}
	key := channelID + "/" + nonce
	if earlier, seen := s.nonces[key]; seen && p.EnforceNonce && nonce != "" && time.Since(earlier.At) < s.nonceWindow {
		writeJSON(w, http.StatusOK, apiMessage(earlier))
		return
	}
	m := s.store(Message{ChannelID: channelID, Nonce: nonce, Content: p.Content, Embeds: p.Embeds, AllowedMentions: p.AllowedMentions, Raw: raw})
	if nonce != "" {
		s.nonces[key] = m
	}
	writeJSON(w, http.StatusOK, apiMessage(m))
}

// store records an accepted message; called with s.mu held.
func (s *Server) store(m Message) Message {
	m.ID = s.newID()
	m.At = time.Now()
	for _, e := range m.Embeds {
		if e.Type == "" {
			e.Type = discordgo.EmbedTypeRich
		}
	}
	s.messages = append(s.messages, m)
	return m
}

func apiMessage(m Message) map[string]any {
	out := map[string]any{
		"id":         m.ID,
		"channel_id": m.ChannelID,
		"content":    m.Content,
		"embeds":     m.Embeds,
		"timestamp":  m.At.UTC().Format(time.RFC3339Nano),
		"type":       0,
		"author":     map[string]any{"id": AppID, "username": "newshound", "bot": true},
	}
	if m.Nonce != "" {
		out["nonce"] = m.Nonce
	}
	if m.WebhookID != "" {
		out["webhook_id"] = m.WebhookID
	}
	if !m.EditedAt.IsZero() {
		out["edited_timestamp"] = m.EditedAt.UTC().Format(time.RFC3339Nano)
	}
	return out
}

// webhookOf is the webhook a request names, or answers as Discord does
// when it is unknown or the token is wrong.
func (s *Server) webhookOf(w http.ResponseWriter, r *http.Request) (*webhook, bool) {
	id, token := r.PathValue("id"), r.PathValue("token")
	s.mu.Lock()
	hook := s.webhooks[id]
	s.mu.Unlock()
	switch {
	case hook == nil || hook.deleted:
		writeError(w, http.StatusNotFound, 10015, "Unknown Webhook")
		return nil, false
	case hook.token != token:
		writeError(w, http.StatusUnauthorized, 50027, "Invalid Webhook Token")
		return nil, false
	}
	return hook, true
}

// executeWebhook serves webhook execution, and interaction follow-ups
// (a webhook whose id is the application's).
func (s *Server) executeWebhook(w http.ResponseWriter, r *http.Request) {
	id, token := r.PathValue("id"), r.PathValue("token")
	if id == AppID {
		s.followup(w, r, token)
		return
	}
	hook, ok := s.webhookOf(w, r)
	if !ok {
		return
	}
	p, raw, ok := readMessage(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Webhooks ignore nonces.
	m := Message{WebhookID: id, Content: p.Content, Embeds: p.Embeds, AllowedMentions: p.AllowedMentions, Raw: raw, Username: p.Username, AvatarURL: p.AvatarURL}
	threadID := r.URL.Query().Get("thread_id")
	f := s.forums[hook.channelID]
	switch {
	case threadID != "" && p.ThreadName != "":
		writeError(w, http.StatusBadRequest, 220002, "Cannot provide both thread_name and thread_id")
		return
	case threadID != "":
		t := s.threads[threadID]
		if t == nil || t.ParentID != hook.channelID {
			writeError(w, http.StatusBadRequest, 10003, "Unknown Channel")
			return
		}
		if t.Locked {
			writeError(w, http.StatusForbidden, 50083, "Thread is archived")
			return
		}
		t.Archived = false // "The thread will automatically be unarchived."
		m.ChannelID = threadID
		m = s.store(m)
	case f != nil && p.ThreadName == "":
		writeError(w, http.StatusBadRequest, 220001, "Webhooks posted to forum channels must have a thread_name or thread_id")
		return
	case f != nil:
		if fe := validatePost(p.ThreadName, p.AppliedTags, f); len(fe) > 0 {
			writeJSON(w, http.StatusBadRequest, apiError{Code: 50035, Message: "Invalid Form Body", Errors: fe.tree()})
			return
		}
		_, m = s.openPost(hook.channelID, p.ThreadName, p.AppliedTags, m)
	case p.ThreadName != "":
		writeError(w, http.StatusBadRequest, 220003, "Webhooks can only create threads in forum channels")
		return
	default:
		m.ChannelID = hook.channelID
		m = s.store(m)
	}
	if r.URL.Query().Get("wait") != "true" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, apiMessage(m))
}

func (s *Server) overwriteCommands(w http.ResponseWriter, r *http.Request) {
	if !requireBot(w, r) {
		return
	}
	if r.PathValue("app") != AppID {
		writeError(w, http.StatusForbidden, 50001, "Missing Access")
		return
	}
	var cmds []*discordgo.ApplicationCommand
	if err := json.NewDecoder(r.Body).Decode(&cmds); err != nil {
		writeError(w, http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
		return
	}
	guild := r.PathValue("guild")
	s.mu.Lock()
	for _, c := range cmds {
		c.ID, c.ApplicationID, c.GuildID, c.Version = s.newID(), AppID, guild, "1"
	}
	s.commands[guild] = cmds
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, cmds)
}

func (s *Server) getGateway(w http.ResponseWriter, r *http.Request) {
	url := "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/gateway"
	writeJSON(w, http.StatusOK, map[string]any{
		"url":    url,
		"shards": 1,
		"session_start_limit": map[string]int{
			"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1,
		},
	})
}

func (s *Server) getMe(w http.ResponseWriter, r *http.Request) {
	if !requireBot(w, r) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": AppID, "username": "newshound", "discriminator": "0", "bot": true})
}

// listMessages answers a channel's newest messages first, at most limit
// (default 50), as Discord's message history does for a bot with Read
// Message History.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	if !requireBot(w, r) {
		return
	}
	channelID := r.PathValue("channel")
	limit := 50
	if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n > 0 && n <= 100 {
		limit = n
	}
	s.mu.Lock()
	var out []map[string]any
	for i := len(s.messages) - 1; i >= 0 && len(out) < limit; i-- {
		if m := s.messages[i]; m.ChannelID == channelID {
			a := apiMessage(m)
			delete(a, "nonce") // history does not carry nonces
			out = append(out, a)
		}
	}
	s.mu.Unlock()
	if out == nil {
		out = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, out)
}

// getWebhook answers a webhook's channel to a bot.
func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) {
	if !requireBot(w, r) {
		return
	}
	id := r.PathValue("id")
	s.mu.Lock()
	wh := s.webhooks[id]
	s.mu.Unlock()
	if wh == nil || wh.deleted {
		writeError(w, http.StatusNotFound, 10015, "Unknown Webhook")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "type": 1, "channel_id": wh.channelID})
}

// getWebhookWithToken serves GET webhooks/{id}/{token}, which needs no
// bot token: the webhook, 404 once deleted, 401 for a wrong token.
func (s *Server) getWebhookWithToken(w http.ResponseWriter, r *http.Request) {
	hook, ok := s.webhookOf(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": r.PathValue("id"), "type": 1, "channel_id": hook.channelID, "token": hook.token})
}
