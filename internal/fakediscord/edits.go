package fakediscord

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// This file is the fake's message edits (PATCH channels/{c}/messages/{m}
// with a bot token, PATCH webhooks/{id}/{token}/messages/{m} with the
// webhook's, ?thread_id= for a message in a thread), threads started from
// a message (POST channels/{c}/messages/{m}/threads; the thread has the
// message's id), and the per-channel bucket Discord puts edits in.

// Discord's edit bucket: about 5 edits per 5 s per channel (per webhook
// for webhook messages), whichever of the channel's messages they change.
const (
	defaultEditLimit = 5
	defaultEditReset = 5 * time.Second
)

// Revision is what one accepted edit made of a message.
type Revision struct {
	Content         string
	Embeds          []*discordgo.MessageEmbed
	AllowedMentions *AllowedMentions
	Raw             json.RawMessage // the edit's body as sent
	At              time.Time
}

// editPayload is the body of a message edit: a field left out keeps its
// value.
type editPayload struct {
	Content         *string                    `json:"content"`
	Embeds          *[]*discordgo.MessageEmbed `json:"embeds"`
	AllowedMentions *AllowedMentions           `json:"allowed_mentions"`
}

// Message returns message id as it stands now (its last edit applied),
// with its history in Edits, and whether the fake has it.
func (s *Server) Message(id string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.messages {
		if m.ID == id {
			m.Edits = slices.Clone(m.Edits)
			return m, true
		}
	}
	return Message{}, false
}

// DeleteMessage deletes message id: its edits answer 404 Unknown Message.
func (s *Server) DeleteMessage(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = slices.DeleteFunc(s.messages, func(m Message) bool { return m.ID == id })
	s.notify()
}

// SetEditLimit sets the bucket of message edits: n edits per window of
// reset in each channel (and each webhook), the window starting at the
// channel's first edit; edit n+1 in a window gets a route 429. The default
// is Discord's 5 per 5 s.
func (s *Server) SetEditLimit(n int, reset time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.editLimit, s.editReset = n, reset
	for key, b := range s.limits {
		if isEditBucket(key) {
			b.limit, b.resetAfter = n, reset
		}
	}
}

// Count429 returns how many 429s the fake answered on bucket (a route, or
// an edit bucket such as "PATCH channels/123/messages/{message_id}"), or
// on all routes for "".
func (s *Server) Count429(bucket string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.Status == http.StatusTooManyRequests && (bucket == "" || r.Bucket == bucket) {
			n++
		}
	}
	return n
}

// EditBucket names the bucket the edits of a channel's messages share.
func EditBucket(channelID string) string {
	return "PATCH channels/" + channelID + "/messages/{message_id}"
}

// WebhookEditBucket names the bucket the edits of a webhook's messages
// share.
func WebhookEditBucket(webhookID string) string {
	return "PATCH webhooks/" + webhookID + "/messages/{message_id}"
}

// SharePostsWithEdits makes a channel's message posts count against the
// bucket of its message edits (EditBucket), as Discord's answers say they
// do: POST channels/{c}/messages and PATCH channels/{c}/messages/{m} carry
// the same X-RateLimit-Bucket.
func (s *Server) SharePostsWithEdits() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sharePostEdits = true
}

// bucketOf names the rate-limit bucket of a route: message edits share
// one per channel or webhook (the message id is not a major parameter),
// and with SharePostsWithEdits a channel's posts share it too; any other
// route is a bucket of its own. Called with s.mu held.
func (s *Server) bucketOf(route string) string {
	if rest, ok := strings.CutPrefix(route, "POST "); ok && s.sharePostEdits {
		if parts := strings.Split(rest, "/"); len(parts) == 3 && parts[0] == "channels" && parts[2] == "messages" {
			return EditBucket(parts[1])
		}
	}
	rest, ok := strings.CutPrefix(route, "PATCH ")
	if !ok {
		return route
	}
	parts := strings.Split(rest, "/")
	if len(parts) == 4 && (parts[0] == "channels" || parts[0] == "webhooks" && parts[1] != AppID) && parts[2] == "messages" {
		return "PATCH " + parts[0] + "/" + parts[1] + "/messages/{message_id}"
	}
	return route
}

// bucketHash is a bucket's X-RateLimit-Bucket: like Discord's, the same
// for every channel's (webhook's, guild's) bucket of a route, since it
// does not include the major parameter.
func bucketHash(bucket string) string {
	parts := strings.Split(bucket, "/")
	if len(parts) > 1 {
		switch method, resource, _ := strings.Cut(parts[0], " "); resource {
		case "channels", "webhooks", "guilds":
			parts[0], parts[1] = method+" "+resource, "{major}"
		}
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "/")))
	return hex.EncodeToString(sum[:8])
}

func isEditBucket(key string) bool { return strings.HasSuffix(key, "/messages/{message_id}") }

// readEdit decodes an edit's body, answering 400 itself when it is not
// JSON; applyEdit validates what the edit makes of the message.
func readEdit(w http.ResponseWriter, r *http.Request) (*editPayload, []byte, bool) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	var p editPayload
	if err != nil || json.NewDecoder(bytes.NewReader(raw)).Decode(&p) != nil {
		writeError(w, http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
		return nil, nil, false
	}
	return &p, raw, true
}

// applyEdit validates what p makes of *m and applies it, answering the
// request either way; called with s.mu held.
func (s *Server) applyEdit(w http.ResponseWriter, m *Message, p *editPayload, raw []byte) {
	next := messagePayload{Content: m.Content, Embeds: m.Embeds, AllowedMentions: m.AllowedMentions}
	if p.Content != nil {
		next.Content = *p.Content
	}
	if p.Embeds != nil {
		next.Embeds = *p.Embeds
	}
	if p.AllowedMentions != nil {
		next.AllowedMentions = p.AllowedMentions
	}
	if fe := validate(&next); len(fe) > 0 {
		writeJSON(w, http.StatusBadRequest, apiError{Code: 50035, Message: "Invalid Form Body", Errors: fe.tree()})
		return
	}
	if !hasBody(&next) {
		writeError(w, http.StatusBadRequest, 50006, "Cannot send an empty message")
		return
	}
	for _, e := range next.Embeds {
		if e != nil && e.Type == "" {
			e.Type = discordgo.EmbedTypeRich
		}
	}
	now := time.Now()
	m.Content, m.Embeds, m.AllowedMentions, m.EditedAt = next.Content, next.Embeds, next.AllowedMentions, now
	m.Edits = append(m.Edits, Revision{Content: m.Content, Embeds: m.Embeds, AllowedMentions: m.AllowedMentions, Raw: raw, At: now})
	writeJSON(w, http.StatusOK, apiMessage(*m))
}

// messageAt returns the stored message id in channelID, or nil; called
// with s.mu held.
func (s *Server) messageAt(channelID, id string) *Message {
	for i := range s.messages {
		if m := &s.messages[i]; m.ID == id && m.ChannelID == channelID {
			return m
		}
	}
	return nil
}

// editMessage serves PATCH channels/{c}/messages/{m}: a bot edits its own
// message.
func (s *Server) editMessage(w http.ResponseWriter, r *http.Request) {
	channelID, ok := s.botChannel(w, r)
	if !ok {
		return
	}
	p, raw, ok := readEdit(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.messageAt(channelID, r.PathValue("msg"))
	switch {
	case s.archived(channelID):
		writeError(w, http.StatusBadRequest, 50083, "Thread is archived")
	case m == nil:
		writeError(w, http.StatusNotFound, 10008, "Unknown Message")
	case m.WebhookID != "":
		writeError(w, http.StatusForbidden, 50005, "Cannot edit a message authored by another user")
	default:
		s.applyEdit(w, m, p, raw)
	}
}

// editMessageWithToken serves PATCH webhooks/{id}/{token}/messages/{m}:
// an interaction's response when id is the application's, else a webhook's
// own message.
func (s *Server) editMessageWithToken(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") == AppID {
		s.editInteractionMessage(w, r)
		return
	}
	s.editWebhookMessage(w, r)
}

// editWebhookMessage edits a message the webhook posted. A message in a
// thread is found only with ?thread_id= naming the thread, as on Discord.
func (s *Server) editWebhookMessage(w http.ResponseWriter, r *http.Request) {
	hook, ok := s.webhookOf(w, r)
	if !ok {
		return
	}
	p, raw, ok := readEdit(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	channelID := hook.channelID
	if threadID := r.URL.Query().Get("thread_id"); threadID != "" {
		if t := s.threads[threadID]; t == nil || t.ParentID != hook.channelID || s.channels[threadID] == "deleted" {
			writeError(w, http.StatusBadRequest, 10003, "Unknown Channel")
			return
		}
		channelID = threadID
	}
	m := s.messageAt(channelID, r.PathValue("msg"))
	switch {
	case s.archived(channelID):
		writeError(w, http.StatusBadRequest, 50083, "Thread is archived")
	case m == nil || m.WebhookID != r.PathValue("id"):
		writeError(w, http.StatusNotFound, 10008, "Unknown Message")
	default:
		s.applyEdit(w, m, p, raw)
	}
}

// threadStart is the body of POST channels/{c}/messages/{m}/threads.
type threadStart struct {
	Name                string `json:"name"`
	AutoArchiveDuration int    `json:"auto_archive_duration"`
}

// startThread serves POST channels/{c}/messages/{m}/threads: a public
// thread under a message, with the message's id.
func (s *Server) startThread(w http.ResponseWriter, r *http.Request) {
	channelID, ok := s.botChannel(w, r)
	if !ok {
		return
	}
	msgID := r.PathValue("msg")
	var p threadStart
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&p); err != nil {
		writeError(w, http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
		return
	}
	if n := length(p.Name); n < 1 || n > 100 {
		fe := fieldErrors{{"name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."}}
		writeJSON(w, http.StatusBadRequest, apiError{Code: 50035, Message: "Invalid Form Body", Errors: fe.tree()})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.threads[channelID] != nil || s.forums[channelID] != nil:
		writeError(w, http.StatusBadRequest, 50024, "Cannot execute action on this channel type")
	case s.botPermissions(channelID)&discordgo.PermissionViewChannel == 0:
		writeError(w, http.StatusForbidden, 50001, "Missing Access")
	case s.threadsDenied(channelID) || s.botPermissions(channelID)&discordgo.PermissionCreatePublicThreads == 0:
		writeError(w, http.StatusForbidden, 50013, "Missing Permissions")
	case s.messageAt(channelID, msgID) == nil:
		writeError(w, http.StatusNotFound, 10008, "Unknown Message")
	case s.threads[msgID] != nil:
		writeError(w, http.StatusBadRequest, 160004, "A thread has already been created for this message")
	default:
		t := &Thread{ID: msgID, ParentID: channelID, Name: p.Name}
		s.threads[t.ID] = t
		s.threadOrder = append(s.threadOrder, t.ID)
		delete(s.channels, t.ID) // a thread started again after DeleteThread
		writeJSON(w, http.StatusCreated, map[string]any{"id": t.ID, "type": 11, "parent_id": t.ParentID, "name": t.Name})
	}
}
