package fakediscord

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Gateway opcodes.
const (
	opDispatch       = 0
	opHeartbeat      = 1
	opIdentify       = 2
	opResume         = 6
	opInvalidSession = 9
	opHello          = 10
	opHeartbeatACK   = 11
)

// GatewayStats counts what happened on the gateway.
type GatewayStats struct {
	Connections int
	Identifies  int
	Resumes     int
	Heartbeats  int
	Intents     int // of the last IDENTIFY
}

// privilegedIntents are the intents a bot must be granted in the developer
// portal (GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT); Discord closes
// the gateway with 4014 when a bot asks for one it was not granted, and the
// fake grants none.
const privilegedIntents = 1<<1 | 1<<8 | 1<<15

type gateway struct {
	heartbeat time.Duration
	stall     bool // accept connections but never say HELLO
	sessionID string
	seq       int64
	events    []gatewayPayload // dispatched in this session, for RESUME
	live      *gatewayConn     // identified or resumed connection
	all       []*gatewayConn
	stats     GatewayStats
	sessions  int
}

func (g *gateway) init() { g.heartbeat = time.Second }

type gatewayPayload struct {
	Op   int     `json:"op"`
	D    any     `json:"d"`
	S    *int64  `json:"s"`
	T    *string `json:"t"`
	Seq  int64   `json:"-"`
	Type string  `json:"-"`
}

type gatewayConn struct {
	mu sync.Mutex
	ws *websocket.Conn
}

func (c *gatewayConn) write(p gatewayPayload) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteJSON(p)
}

func dispatchPayload(seq int64, typ string, d any) gatewayPayload {
	return gatewayPayload{Op: opDispatch, D: d, S: &seq, T: &typ, Seq: seq, Type: typ}
}

// SetHeartbeatInterval sets the interval announced in HELLO (default 1 s).
func (s *Server) SetHeartbeatInterval(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gw.heartbeat = d
}

// StallGateway makes the gateway accept websocket connections and then say
// nothing (no HELLO), as an overloaded or half-broken gateway may; a client
// must not wait for it forever.
func (s *Server) StallGateway(stall bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gw.stall = stall
}

// GatewayStats returns the gateway counters.
func (s *Server) GatewayStats() GatewayStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gw.stats
}

// GatewayConnected reports whether a client is identified or resumed.
func (s *Server) GatewayConnected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gw.live != nil
}

// DropGateway cuts the live gateway connection without a close frame, as
// a network failure would; the session stays resumable.
func (s *Server) DropGateway() {
	s.mu.Lock()
	c := s.gw.live
	s.gw.live = nil
	s.notify()
	s.mu.Unlock()
	if c != nil {
		c.ws.NetConn().Close()
	}
}

// ForgetSession ends the gateway session on the fake's side, as Discord
// does after a long outage: the next RESUME gets op 9 (invalid session)
// and the client must IDENTIFY again. Events not yet delivered are lost.
func (s *Server) ForgetSession() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gw.sessionID, s.gw.events = "", nil
}

func (s *Server) closeGateway() {
	s.mu.Lock()
	all := s.gw.all
	s.gw.all, s.gw.live = nil, nil
	s.mu.Unlock()
	for _, c := range all {
		c.ws.NetConn().Close()
	}
}

// dispatch sends an event to the live connection, or keeps it for the
// client's RESUME. The write happens under s.mu so events keep their order.
func (s *Server) dispatch(typ string, d any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gw.seq++
	p := dispatchPayload(s.gw.seq, typ, d)
	s.gw.events = append(s.gw.events, p)
	if s.gw.live != nil && s.gw.live.write(p) != nil {
		s.gw.live = nil
	}
	s.notify()
}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &gatewayConn{ws: ws}
	defer ws.Close()
	s.mu.Lock()
	s.gw.stats.Connections++
	s.gw.all = append(s.gw.all, c)
	hello := gatewayPayload{Op: opHello, D: map[string]any{"heartbeat_interval": s.gw.heartbeat.Milliseconds()}}
	stall := s.gw.stall
	s.notify()
	s.mu.Unlock()
	if stall {
		for { // until the client or the test closes the connection
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}
	if c.write(hello) != nil {
		return
	}
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var first struct {
		Op int             `json:"op"`
		D  json.RawMessage `json:"d"`
	}
	if ws.ReadJSON(&first) != nil {
		return
	}
	ws.SetReadDeadline(time.Time{})
	switch first.Op {
	case opIdentify:
		if !s.identify(c, first.D) {
			return
		}
	case opResume:
		if !s.resume(c, first.D) {
			return
		}
	default:
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4003, "Not authenticated."), time.Now().Add(time.Second))
		return
	}
	s.readLoop(c)
}

// identify answers IDENTIFY with READY, or closes the connection as Discord
// does for a token that is not a bot token (4004) or a privileged intent
// (4014), and then reports false.
func (s *Server) identify(c *gatewayConn, raw json.RawMessage) bool {
	var req struct {
		Token   string `json:"token"`
		Intents int    `json:"intents"`
	}
	_ = json.Unmarshal(raw, &req)
	closeWith := func(code int, text string) bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
		return false
	}
	switch {
	case !strings.HasPrefix(req.Token, "Bot "):
		return closeWith(4004, "Authentication failed.")
	case req.Intents&privilegedIntents != 0:
		return closeWith(4014, "Disallowed intent(s).")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gw.stats.Identifies++
	s.gw.stats.Intents = req.Intents
	s.gw.sessions++
	s.gw.sessionID = "session-" + s.newID()
	s.gw.seq, s.gw.events = 1, nil
	ready := dispatchPayload(1, "READY", map[string]any{
		"v":                  9,
		"user":               map[string]any{"id": AppID, "username": "newshound", "discriminator": "0", "bot": true},
		"guilds":             []any{},
		"session_id":         s.gw.sessionID,
		"resume_gateway_url": "ws" + s.srv.URL[len("http"):] + "/gateway",
		"shard":              []int{0, 1},
		"application":        map[string]any{"id": AppID, "flags": 0},
	})
	if c.write(ready) == nil {
		s.gw.live = c
	}
	s.notify()
	return true
}

// resume replays the events the client missed, then RESUMED; an unknown
// session gets op 9 (the client identifies again on the same connection).
func (s *Server) resume(c *gatewayConn, raw json.RawMessage) bool {
	var req struct {
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	_ = json.Unmarshal(raw, &req)
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.SessionID == "" || req.SessionID != s.gw.sessionID {
		f := false
		c.write(gatewayPayload{Op: opInvalidSession, D: f})
		return true // the client answers with IDENTIFY, read by readLoop
	}
	s.gw.stats.Resumes++
	for _, p := range s.gw.events {
		if p.Seq > req.Seq && c.write(p) != nil {
			return false
		}
	}
	s.gw.seq++
	if c.write(dispatchPayload(s.gw.seq, "RESUMED", map[string]any{})) != nil {
		return false
	}
	s.gw.live = c
	s.notify()
	return true
}

func (s *Server) readLoop(c *gatewayConn) {
	defer func() {
		s.mu.Lock()
		if s.gw.live == c {
			s.gw.live = nil
		}
		s.notify()
		s.mu.Unlock()
	}()
	for {
		var p struct {
			Op int             `json:"op"`
			D  json.RawMessage `json:"d"`
		}
		if c.ws.ReadJSON(&p) != nil {
			return
		}
		switch p.Op {
		case opHeartbeat:
			s.mu.Lock()
			s.gw.stats.Heartbeats++
			s.mu.Unlock()
			if c.write(gatewayPayload{Op: opHeartbeatACK}) != nil {
				return
			}
		case opIdentify:
			if !s.identify(c, p.D) {
				return
			}
		}
	}
}
