// Package fakediscord is a fake Discord for tests: REST (channel messages
// and their edits, threads started from a message, threads and forum posts, webhooks with thread_id, thread_name and their
// username and avatar_url, interaction responses, application commands,
// gateway discovery, channels and guilds with the roles and overwrites that
// make the bot's permissions, perms.go) and a gateway websocket, on loopback.
// Hold keeps a route's requests unanswered, as a stuck Discord would. It validates payloads against
// Discord's limits, answers with real rate-limit headers and 429 bodies,
// implements enforce_nonce, and records everything it accepted so tests
// can assert on it. Reach it through a discordgo session whose transport
// rewrites https://discord.com/api/v9/ onto APIBase().
//
// Routes are named like Discord's rate-limit routes, without the API prefix
// and without webhook or interaction tokens:
//
//	POST channels/123/messages
//	POST channels/123/threads
//	PATCH channels/123/messages/789
//	POST channels/123/messages/789/threads
//	POST webhooks/456
//	PATCH webhooks/456/messages/789
//	POST interactions/789/callback
//	PATCH webhooks/APP/messages/@original
package fakediscord

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// AppID is the fake application's (and bot user's) id.
const AppID = "100000000000000001"

// Request is one request the fake received, in arrival order.
type Request struct {
	Route string
	// Bucket is the rate-limit bucket the request counted against: its
	// route, or for a message edit the channel's (webhook's) edit bucket,
	// EditBucket.
	Bucket string
	At     time.Time
	Status int
	// For 429 answers: what the fake announced.
	RetryAfter time.Duration
	ResetAt    time.Time
	Global     bool
	// Shared: a 429 with X-RateLimit-Scope "shared" (see Route429),
	// which Discord does not count as an invalid request.
	Shared bool
}

// Message is one message the fake accepted.
type Message struct {
	ID              string
	ChannelID       string
	WebhookID       string // set for webhook messages
	Username        string // a webhook message's username and avatar_url
	AvatarURL       string
	Nonce           string
	Content         string
	Embeds          []*discordgo.MessageEmbed
	AllowedMentions *AllowedMentions // nil when the payload had none
	Raw             json.RawMessage  // the request body as sent
	At              time.Time
	// EditedAt is the time of the last edit (zero: never edited); Edits
	// what each edit made of the message, oldest first. Content, Embeds
	// and AllowedMentions are the message as it stands now; Raw stays the
	// body it was posted with.
	EditedAt time.Time
	Edits    []Revision
}

// AllowedMentions is a message's allowed_mentions as sent.
type AllowedMentions struct {
	Parse *[]string `json:"parse"` // nil: absent or null
	Roles []string  `json:"roles"`
	Users []string  `json:"users"`
}

// Server is a fake Discord. Its methods are safe for concurrent use.
type Server struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every state change
	nextID   int64
	requests []Request
	messages []Message
	nonces   map[string]Message // channel + "/" + nonce
	// nonceWindow is how long enforce_nonce answers the earlier message
	// ("within the past few minutes" in Discord's docs).
	nonceWindow  time.Duration
	channels     map[string]string // channel id → "deleted" or "denied"
	webhooks     map[string]*webhook
	forums       map[string]*forum
	threads      map[string]*Thread
	threadOrder  []string
	noThreads    map[string]bool                            // channels where the bot may not start or post in threads
	guilds       map[string]*guild                          // by guild id (perms.go)
	channelGuild map[string]string                          // channel id → guild id
	overwrites   map[string][]discordgo.PermissionOverwrite // by channel id
	limits       map[string]*bucket                         // by bucket (see bucketOf)
	editLimit    int                                        // the bucket of each channel's edits
	editReset    time.Duration
	// sharePostEdits: a channel's posts count in its edit bucket.
	sharePostEdits bool
	surprises      map[string]*surprise
	global         globalLimit
	fail           []failure
	holds          map[string]*hold                           // by route (Hold)
	ghosts         int                                        // message posts to create and then answer 500
	commands       map[string][]*discordgo.ApplicationCommand // by guild id, "" = global
	inter          map[string]*Interaction                    // by interaction id
	gw             gateway
}

type webhook struct {
	token, channelID string
	deleted          bool
}

type failure struct {
	status     int
	cloudflare bool
	on         string // the route it waits for; "" is any
}

// New starts a fake Discord on loopback, closed when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		t:            t,
		changed:      make(chan struct{}),
		nextID:       1_200_000_000_000_000_000,
		nonces:       map[string]Message{},
		nonceWindow:  defaultNonceWindow,
		channels:     map[string]string{},
		webhooks:     map[string]*webhook{},
		forums:       map[string]*forum{},
		threads:      map[string]*Thread{},
		noThreads:    map[string]bool{},
		guilds:       map[string]*guild{},
		channelGuild: map[string]string{},
		overwrites:   map[string][]discordgo.PermissionOverwrite{},
		limits:       map[string]*bucket{},
		editLimit:    defaultEditLimit,
		editReset:    defaultEditReset,
		surprises:    map[string]*surprise{},
		commands:     map[string][]*discordgo.ApplicationCommand{},
		inter:        map[string]*Interaction{},
		holds:        map[string]*hold{},
	}
	s.gw.init()
	s.srv = httptest.NewServer(s.routes())
	t.Cleanup(func() {
		s.closeGateway()
		s.srv.Close()
	})
	return s
}

// SetNonceWindow sets how long enforce_nonce recognises a nonce; a
// retry later than that creates a second message, as on Discord.
func (s *Server) SetNonceWindow(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nonceWindow = d
}

// APIBase is the REST base to use as api_base: http://127.0.0.1:PORT/api/v9/.
func (s *Server) APIBase() string { return s.srv.URL + "/api/v9/" }

// URL is the server's root URL.
func (s *Server) URL() string { return s.srv.URL }

// Messages returns the messages accepted in a channel (webhook messages are
// in the webhook's channel, or the thread they went to; a thread's
// messages, forum posts' included, are in the thread's id), oldest first.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if m.ChannelID == channelID {
			m.Edits = slices.Clone(m.Edits)
			out = append(out, m)
		}
	}
	return out
}

// AllMessages returns every accepted message, oldest first.
func (s *Server) AllMessages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.messages)
	for i := range out {
		out[i].Edits = slices.Clone(out[i].Edits)
	}
	return out
}

// Requests returns the requests received on route ("" for all), in order.
func (s *Server) Requests(route string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if route == "" || r.Route == route {
			out = append(out, r)
		}
	}
	return out
}

// Invalid counts the requests on route ("" for all) answered 401, 403 or
// 429 (but a 429 of a shared limit): those Discord counts towards its
// invalid-request limit (10,000 in 10 minutes bans the IP).
func (s *Server) Invalid(route string) int {
	n := 0
	for _, r := range s.Requests(route) {
		switch r.Status {
		case http.StatusUnauthorized, http.StatusForbidden:
			n++
		case http.StatusTooManyRequests:
			if !r.Shared {
				n++
			}
		}
	}
	return n
}

// AddWebhook creates a webhook posting into channelID and returns its URL
// in Discord's form (https://discord.com/api/webhooks/ID/TOKEN): reach it
// through the api_base transport.
func (s *Server) AddWebhook(id, channelID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.webhooks[id]
	if w == nil {
		w = &webhook{token: "token-" + id, channelID: channelID}
		s.webhooks[id] = w
	}
	return "https://discord.com/api/webhooks/" + id + "/" + w.token
}

// WebhookURL returns the URL of webhook id, creating it (posting into a
// channel with the same id) when needed.
func (s *Server) WebhookURL(id string) string { return s.AddWebhook(id, id) }

// DeleteWebhook makes the webhook answer 404 Unknown Webhook.
func (s *Server) DeleteWebhook(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w := s.webhooks[id]; w != nil {
		w.deleted = true
	}
}

// DeleteChannel makes posts to the channel answer 404 Unknown Channel.
func (s *Server) DeleteChannel(id string) { s.setChannel(id, "deleted") }

// DenyChannel makes posts to the channel answer 403 Missing Access.
func (s *Server) DenyChannel(id string) { s.setChannel(id, "denied") }

func (s *Server) setChannel(id, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[id] = state
}

// FailNext makes the next request (any route) answer status with the body
// Discord sends for it (400: Invalid Form Body, 401, 403: Missing Access,
// 404: Unknown Channel, 500, 502: an HTML page).
func (s *Server) FailNext(status int) { s.FailNextOn("", status) }

// FailNextOn is FailNext for the next request on route (say, an
// interaction's follow-up, "POST webhooks/" + AppID); "" is any route.
func (s *Server) FailNextOn(route string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = append(s.fail, failure{status: status, on: route})
}

// GhostNext makes the next n message posts (channel messages, webhook
// executions) "ghosts": Discord creates the message but answers 500, as
// when it fails after the write.
func (s *Server) GhostNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ghosts += n
}

// Cloudflare429 makes the next n requests answer 429 with Cloudflare's HTML
// page instead of Discord's JSON (the IP is being blocked).
func (s *Server) Cloudflare429(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.fail = append(s.fail, failure{status: http.StatusTooManyRequests, cloudflare: true})
	}
}

// Commands returns the application commands registered for guildID ("" for
// the global ones) by the last bulk overwrite.
func (s *Server) Commands(guildID string) []*discordgo.ApplicationCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands[guildID]
}

// WaitFor blocks until cond (called with no lock held) is true, failing the
// test after timeout.
func (s *Server) WaitFor(timeout time.Duration, cond func() bool) {
	s.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-time.After(50 * time.Millisecond):
		case <-deadline.C:
			s.t.Fatalf("fakediscord: condition not met within %s", timeout)
			return
		}
	}
}

// notify wakes WaitFor; called with s.mu held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// newID returns a fresh snowflake; called with s.mu held.
func (s *Server) newID() string {
	s.nextID++
	return strconv.FormatInt(s.nextID, 10)
}

// routeOf names a request the way Discord's rate limits do, without the
// API prefix and without tokens.
func routeOf(r *http.Request) string {
	path := strings.TrimPrefix(r.URL.Path, "/api/v9/")
	parts := strings.Split(path, "/")
	switch {
	case len(parts) >= 3 && parts[0] == "webhooks":
		parts = append(parts[:2], parts[3:]...)
	case len(parts) >= 4 && parts[0] == "interactions":
		parts = append(parts[:2], parts[3:]...)
	}
	return r.Method + " " + strings.Join(parts, "/")
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		panic(fmt.Sprintf("fakediscord: encode answer: %v", err))
	}
}

// apiError is Discord's error body.
type apiError struct {
	Code    int            `json:"code"`
	Message string         `json:"message"`
	Errors  map[string]any `json:"errors,omitempty"`
}

func writeError(w http.ResponseWriter, status, code int, message string) {
	writeJSON(w, status, apiError{Code: code, Message: message})
}

// hold keeps a route's requests unanswered until released.
type hold struct {
	released chan struct{}
	waiting  int
}

// Hold keeps the requests on route unanswered (as a slow or stuck Discord
// would) until release is called, or their client gives up.
func (s *Server) Hold(route string) (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := &hold{released: make(chan struct{})}
	s.holds[route] = h
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			delete(s.holds, route)
			close(h.released)
		})
	}
}

// Waiting counts the requests on route that Hold keeps unanswered.
func (s *Server) Waiting(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h := s.holds[route]; h != nil {
		return h.waiting
	}
	return 0
}

// held waits while the request's route is held.
func (s *Server) held(r *http.Request) {
	route := routeOf(r)
	s.mu.Lock()
	h := s.holds[route]
	if h == nil {
		s.mu.Unlock()
		return
	}
	h.waiting++
	s.notify()
	s.mu.Unlock()
	select {
	case <-h.released:
	case <-r.Context().Done():
	}
	s.mu.Lock()
	h.waiting--
	s.mu.Unlock()
}
