// Package fakeslack is a fake Slack incoming webhook for tests, on
// loopback. It checks each payload against Block Kit's shape and limits
// (answering 400 invalid_blocks as Slack does), lists any Slack control
// sequence (<!channel>, <@U…>, <#C…>) in the texts, rate-limits with 429
// and Retry-After on request and counts requests that came back too early,
// and answers with injected faults. Messages are recognised as repeats by
// their first block id.
package fakeslack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// Slack's limits, as checked here.
const (
	MaxBlocks     = 50
	MaxText       = 3000
	MaxContextEls = 10
	MaxBlockID    = 255
)

// Payload is a message as posted.
type Payload struct {
	Text        string  `json:"text"`
	Blocks      []Block `json:"blocks"`
	UnfurlLinks *bool   `json:"unfurl_links"`
	UnfurlMedia *bool   `json:"unfurl_media"`
}

// Block is one block as posted.
type Block struct {
	Type     string `json:"type"`
	BlockID  string `json:"block_id"`
	Text     *Text  `json:"text"`
	Elements []Text `json:"elements"`
}

// Text is a text object.
type Text struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Verbatim bool   `json:"verbatim"`
	Emoji    bool   `json:"emoji"`
}

// Message is one accepted message, repeats dropped.
type Message struct {
	Payload Payload
	Raw     []byte
}

// Fault is an answer given instead of 200 "ok".
type Fault struct {
	Status     int
	Body       string // Slack's error code, e.g. "channel_not_found"
	RetryAfter string
	// Accept posts the message before answering Status, as when Slack
	// took it but the answer was lost.
	Accept bool
}

// Server is a fake incoming webhook. Its methods are safe for concurrent
// use.
type Server struct {
	URL string

	mu         sync.Mutex
	faults     []Fault
	limitNext  time.Duration
	limitUntil time.Time
	messages   []Message
	seen       map[string]bool
	requests   int
	repeats    int
	early      int
	invalid    []string
}

// New starts a fake webhook; it stops when the test ends.
func New(t testing.TB) *Server {
	s := &Server{seen: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL + "/services/T0000FAKE/B0000FAKE/fakesecrettoken"
	return s
}

// FailNext queues faults for the next requests, one each.
func (s *Server) FailNext(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, faults...)
}

// RateLimitNext makes the next request a 429 with Retry-After d (in whole
// seconds, rounded up); requests before d has passed get 429 too and are
// counted as early.
func (s *Server) RateLimitNext(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limitNext = d
}

// Messages returns the accepted messages, each once, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Stats: requests received, repeats of accepted messages, requests that
// ignored a Retry-After.
func (s *Server) Stats() (requests, repeats, early int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests, s.repeats, s.early
}

// Invalid returns why each refused payload was refused.
func (s *Server) Invalid() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.invalid...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	now := time.Now()
	if now.Before(s.limitUntil) {
		s.early++
		tooMany(w, s.limitUntil.Sub(now))
		return
	}
	if d := s.limitNext; d > 0 {
		s.limitNext, s.limitUntil = 0, now.Add(d)
		tooMany(w, d)
		return
	}
	p, err := parse(r, raw)
	if err != nil {
		s.invalid = append(s.invalid, err.Error())
		http.Error(w, "invalid_blocks", http.StatusBadRequest)
		return
	}
	var fault *Fault
	if len(s.faults) > 0 {
		fault = &s.faults[0]
		s.faults = s.faults[1:]
	}
	if fault != nil && !fault.Accept {
		answer(w, *fault)
		return
	}
	key := p.Blocks[0].BlockID
	if key != "" && s.seen[key] {
		s.repeats++
	} else {
		s.seen[key] = key != ""
		s.messages = append(s.messages, Message{Payload: p, Raw: raw})
	}
	if fault != nil {
		answer(w, *fault)
		return
	}
	io.WriteString(w, "ok")
}

func tooMany(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
	http.Error(w, "rate_limited", http.StatusTooManyRequests)
}

func answer(w http.ResponseWriter, f Fault) {
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	body := f.Body
	if body == "" {
		body = "injected_fault"
	}
	http.Error(w, body, f.Status)
}

// parse decodes and checks a payload the way Slack would refuse it.
func parse(r *http.Request, raw []byte) (Payload, error) {
	var p Payload
	if r.Method != http.MethodPost {
		return p, fmt.Errorf("method %s", r.Method)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return p, fmt.Errorf("Content-Type %q", ct)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("invalid_payload: %v", err)
	}
	if strings.TrimSpace(p.Text) == "" {
		return p, fmt.Errorf("no fallback text")
	}
	if len(p.Blocks) == 0 || len(p.Blocks) > MaxBlocks {
		return p, fmt.Errorf("%d blocks, want 1 to %d", len(p.Blocks), MaxBlocks)
	}
	ids := map[string]bool{}
	for i, b := range p.Blocks {
		if err := checkBlock(b); err != nil {
			return p, fmt.Errorf("block %d (%s): %v", i, b.Type, err)
		}
		if b.BlockID != "" && ids[b.BlockID] {
			return p, fmt.Errorf("block %d: duplicate block_id %q", i, b.BlockID)
		}
		ids[b.BlockID] = true
	}
	return p, nil
}

func checkBlock(b Block) error {
	if utf8.RuneCountInString(b.BlockID) > MaxBlockID {
		return fmt.Errorf("block_id longer than %d", MaxBlockID)
	}
	switch b.Type {
	case "section":
		if b.Text == nil || len(b.Elements) > 0 {
			return fmt.Errorf("a section needs text and no elements")
		}
		return checkText(*b.Text)
	case "context":
		if b.Text != nil || len(b.Elements) == 0 || len(b.Elements) > MaxContextEls {
			return fmt.Errorf("a context needs 1 to %d elements, got %d", MaxContextEls, len(b.Elements))
		}
		for _, el := range b.Elements {
			if err := checkText(el); err != nil {
				return err
			}
		}
		return nil
	case "divider":
		if b.Text != nil || len(b.Elements) > 0 {
			return fmt.Errorf("a divider has no content")
		}
		return nil
	}
	return fmt.Errorf("unknown block type")
}

func checkText(t Text) error {
	if t.Type != "mrkdwn" && t.Type != "plain_text" {
		return fmt.Errorf("text type %q", t.Type)
	}
	if n := utf8.RuneCountInString(t.Text); n == 0 || n > MaxText {
		return fmt.Errorf("text of %d characters, want 1 to %d", n, MaxText)
	}
	if !utf8.ValidString(t.Text) {
		return fmt.Errorf("text is not UTF-8")
	}
	return nil
}

var controlSequence = regexp.MustCompile(`<([^<>]*)>`)

// ControlSequences returns the <…> sequences of a mrkdwn text that are
// neither links (<https://…|label>) nor dates (<!date^…>): mentions,
// broadcasts, channel links, user groups.
func ControlSequences(text string) []string {
	var out []string
	for _, m := range controlSequence.FindAllStringSubmatch(text, -1) {
		inner := m[1]
		if strings.HasPrefix(inner, "http://") || strings.HasPrefix(inner, "https://") || strings.HasPrefix(inner, "!date^") {
			continue
		}
		out = append(out, m[0])
	}
	return out
}

// Texts returns every text of a payload: the fallback, then each block's.
func (p Payload) Texts() []string {
	out := []string{p.Text}
	for _, b := range p.Blocks {
		if b.Text != nil {
			out = append(out, b.Text.Text)
		}
		for _, el := range b.Elements {
			out = append(out, el.Text)
		}
	}
	return out
}
