package fakediscord

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// This file is the fake's threads and forums: messages into a thread (a
// channel of its own, reached by id or by a webhook's ?thread_id=), and
// forum posts (POST channels/{forum}/threads, or a webhook's thread_name),
// each a new thread whose opening message has the thread's id.

// Thread is a thread the fake knows: added by a test, or a forum post.
type Thread struct {
	ID, ParentID, Name string
	Tags               []string // applied tags (forum posts)
	// Archived: its messages cannot be edited (400 Thread is archived)
	// until it is reopened, by PATCH channels/{id} {"archived": false} or
	// by a message posted into it.
	Archived bool
	// Locked: archived for good, as a moderator may: the bot (without
	// Manage Threads) cannot reopen it (403 Missing Permissions) nor post
	// into it (403 Thread is archived).
	Locked bool
	// Private: a private thread, which only its members and those with
	// Manage Threads see; BotMember says the bot is one of its members.
	// The bot sees and posts into one it is not a member of only with
	// Manage Threads; else both answer 403 Missing Access.
	Private, BotMember bool
}

// ArchiveThread archives thread id, as Discord does after its
// auto-archive duration without activity.
func (s *Server) ArchiveThread(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.threads[id]; t != nil {
		t.Archived = true
	}
}

// LockThread archives and locks thread id.
func (s *Server) LockThread(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.threads[id]; t != nil {
		t.Archived, t.Locked = true, true
	}
}

// UnlockThread unlocks thread id, as a moderator may; it stays archived
// until it is reopened.
func (s *Server) UnlockThread(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.threads[id]; t != nil {
		t.Locked = false
	}
}

// DeleteThread deletes thread id, as a moderator may: posts into it
// answer 404 Unknown Channel, and the message it was started from (if it
// was) may start a thread again, which takes the message's id as before.
func (s *Server) DeleteThread(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.threads, id)
	s.threadOrder = slices.DeleteFunc(s.threadOrder, func(t string) bool { return t == id })
	s.channels[id] = "deleted"
}

// DenyThreads takes Create Public Threads and Send Messages in Threads
// from the bot in channel id (a channel or a forum): starting a thread
// from one of its messages and posting into one of its threads answer 403
// Missing Permissions. Forum posts are still opened (Send Messages).
func (s *Server) DenyThreads(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noThreads[id] = true
}

// AllowThreads gives back what DenyThreads took.
func (s *Server) AllowThreads(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.noThreads, id)
}

// threadsDenied reports whether the bot may not start threads in channel
// id, or, for a thread, post in it (see DenyThreads). s.mu is held.
func (s *Server) threadsDenied(id string) bool {
	if t := s.threads[id]; t != nil {
		id = t.ParentID
	}
	return s.noThreads[id]
}

// locked reports whether channel id is a locked thread. s.mu is held.
func (s *Server) locked(id string) bool {
	t := s.threads[id]
	return t != nil && t.Locked
}

// archived reports whether channel id is an archived thread. s.mu is held.
func (s *Server) archived(id string) bool {
	t := s.threads[id]
	return t != nil && t.Archived
}

// modifyChannel serves PATCH channels/{c} for a thread: {"archived":
// false} reopens it. Other changes and other channels are not modelled.
func (s *Server) modifyChannel(w http.ResponseWriter, r *http.Request) {
	id, ok := s.botChannel(w, r)
	if !ok {
		return
	}
	var body struct {
		Archived *bool `json:"archived"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.threads[id]
	if t == nil {
		writeError(w, http.StatusNotFound, 10003, "Unknown Channel")
		return
	}
	if t.Locked {
		writeError(w, http.StatusForbidden, 50013, "Missing Permissions")
		return
	}
	if body.Archived != nil {
		t.Archived = *body.Archived
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": t.ID, "type": 11, "parent_id": t.ParentID, "name": t.Name,
		"thread_metadata": map[string]any{"archived": t.Archived}})
}

// forum is a forum channel and the tag ids it offers.
type forum struct{ tags []string }

// AddForum makes channel id a forum offering these tag ids: messages
// cannot be posted into it, only posts opened.
func (s *Server) AddForum(id string, tags ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forums[id] = &forum{tags: tags}
}

// AddThread makes id a thread of channel parentID.
func (s *Server) AddThread(id, parentID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.threads[id] = &Thread{ID: id, ParentID: parentID}
}

// AddPrivateThread makes id a private thread of channel parentID, of
// which the bot is not a member (see JoinThread).
func (s *Server) AddPrivateThread(id, parentID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.threads[id] = &Thread{ID: id, ParentID: parentID, Private: true}
}

// JoinThread makes the bot a member of thread id, as a member who
// mentions it there does.
func (s *Server) JoinThread(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.threads[id]; t != nil {
		t.BotMember = true
	}
}

// hiddenThread reports whether channel id is a private thread the bot may
// not see: not a member, without Manage Threads. s.mu is held.
func (s *Server) hiddenThread(id string) bool {
	t := s.threads[id]
	return t != nil && t.Private && !t.BotMember && s.botPermissions(id)&discordgo.PermissionManageThreads == 0
}

// getThreadMember serves GET channels/{c}/thread-members/{user}: the
// bot's membership of thread c, 404 Unknown Member when it is none.
func (s *Server) getThreadMember(w http.ResponseWriter, r *http.Request) {
	id, ok := s.botChannel(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.threads[id]
	switch {
	case t == nil:
		writeError(w, http.StatusNotFound, 10003, "Unknown Channel")
	case s.hiddenThread(id):
		writeError(w, http.StatusForbidden, 50001, "Missing Access")
	case r.PathValue("user") != AppID || !t.BotMember:
		writeError(w, http.StatusNotFound, 10007, "Unknown Member")
	default:
		writeJSON(w, http.StatusOK, map[string]any{"id": id, "user_id": AppID, "join_timestamp": "2026-01-01T00:00:00Z", "flags": 0})
	}
}

// Threads returns the threads of channel parentID (forum posts in the
// order they were opened).
func (s *Server) Threads(parentID string) []Thread {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Thread
	for _, id := range s.threadOrder {
		if t := s.threads[id]; t.ParentID == parentID {
			out = append(out, *t)
		}
	}
	return out
}

// forumPostPayload is the body of POST channels/{forum}/threads.
type forumPostPayload struct {
	Name        string          `json:"name"`
	AppliedTags []string        `json:"applied_tags"`
	Message     *messagePayload `json:"message"`
}

// createThread serves POST channels/{id}/threads for forum channels (a
// thread from a text channel is not something newshound makes).
func (s *Server) createThread(w http.ResponseWriter, r *http.Request) {
	channelID, ok := s.botChannel(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	f := s.forums[channelID]
	s.mu.Unlock()
	if f == nil {
		writeError(w, http.StatusBadRequest, 50024, "Cannot execute action on this channel type")
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	var p forumPostPayload
	if err != nil || json.NewDecoder(bytes.NewReader(raw)).Decode(&p) != nil {
		writeError(w, http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
		return
	}
	var fe fieldErrors
	if p.Message == nil {
		fe = append(fe, fieldError{"message", "BASE_TYPE_REQUIRED", "This field is required"})
	} else {
		for _, e := range validate(p.Message) {
			e.path = "message." + e.path
			fe = append(fe, e)
		}
	}
	fe = append(fe, validatePost(p.Name, p.AppliedTags, f)...)
	if len(fe) > 0 {
		writeJSON(w, http.StatusBadRequest, apiError{Code: 50035, Message: "Invalid Form Body", Errors: fe.tree()})
		return
	}
	if !hasBody(p.Message) {
		writeError(w, http.StatusBadRequest, 50006, "Cannot send an empty message")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.mayPost(w, channelID) { // a post needs Send Messages in the forum
		return
	}
	t, m := s.openPost(channelID, p.Name, p.AppliedTags, Message{
		Content: p.Message.Content, Embeds: p.Message.Embeds, AllowedMentions: p.Message.AllowedMentions, Raw: raw,
	})
	writeJSON(w, http.StatusCreated, apiThread(t, m))
}

// validatePost checks a forum post's name and tags.
func validatePost(name string, tags []string, f *forum) fieldErrors {
	var fe fieldErrors
	if n := length(name); n < 1 || n > 100 {
		fe = append(fe, fieldError{"name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."})
	}
	if len(tags) > 5 {
		fe = append(fe, fieldError{"applied_tags", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length."})
	}
	for i, tag := range tags {
		if !slices.Contains(f.tags, tag) {
			fe = append(fe, fieldError{fmt.Sprintf("applied_tags.%d", i), "UNKNOWN_TAG", "Unknown tag " + tag})
		}
	}
	return fe
}

// openPost records a forum post and its opening message, which shares the
// thread's id; called with s.mu held.
func (s *Server) openPost(forumID, name string, tags []string, m Message) (*Thread, Message) {
	t := &Thread{ID: s.newID(), ParentID: forumID, Name: name, Tags: tags}
	s.threads[t.ID] = t
	s.threadOrder = append(s.threadOrder, t.ID)
	m.ChannelID = t.ID
	m = s.store(m)
	m.ID = t.ID
	s.messages[len(s.messages)-1].ID = t.ID
	return t, m
}

func apiThread(t *Thread, m Message) map[string]any {
	return map[string]any{
		"id": t.ID, "type": 11, "parent_id": t.ParentID, "name": t.Name,
		"applied_tags": t.Tags, "message": apiMessage(m),
	}
}

// channelUsable answers for a deleted or denied channel and reports
// whether the request may go on.
func (s *Server) channelUsable(w http.ResponseWriter, channelID string) bool {
	s.mu.Lock()
	state := s.channels[channelID]
	s.mu.Unlock()
	switch state {
	case "deleted":
		writeError(w, http.StatusNotFound, 10003, "Unknown Channel")
		return false
	case "denied":
		writeError(w, http.StatusForbidden, 50001, "Missing Access")
		return false
	}
	return true
}

// botChannel answers a request that needs the bot's token and the
// {channel} of its path usable (not deleted, not denied): the channel's id,
// or false when the answer (401, 404, 403) is written.
func (s *Server) botChannel(w http.ResponseWriter, r *http.Request) (string, bool) {
	if !requireBot(w, r) {
		return "", false
	}
	id := r.PathValue("channel")
	return id, s.channelUsable(w, id)
}

func hasBody(p *messagePayload) bool { return length(p.Content) > 0 || len(p.Embeds) > 0 }

// validateIdentity checks a webhook's username and avatar_url.
func validateIdentity(fe *fieldErrors, p *messagePayload) {
	if p.Username != "" {
		if n := utf8.RuneCountInString(p.Username); n > 80 {
			*fe = append(*fe, fieldError{"username", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 80 in length."})
		}
		if containsFold(p.Username, "discord") || containsFold(p.Username, "clyde") {
			*fe = append(*fe, fieldError{"username", "USERNAME_INVALID_CONTAINS", "Username cannot contain \"discord\" or \"clyde\""})
		}
	}
	fe.url("avatar_url", p.AvatarURL)
}
