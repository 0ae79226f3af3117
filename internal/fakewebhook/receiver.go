// Package fakewebhook is a webhook receiver for tests, on loopback: it
// verifies newshound's signature and timestamp the way the webhook
// package's documentation tells receivers to, checks the body against the
// documented shape, drops repeats by Idempotency-Key, refuses a body over
// MaxBody with 413 as a receiver behind nginx does by default, and answers
// with injected faults so tests can drive retries.
package fakewebhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// MaxSkew is how far a request's timestamp may be from the receiver's
// clock.
const MaxSkew = 5 * time.Minute

// MaxBody is the largest body accepted: nginx's default
// client_max_body_size, in front of many receivers.
const MaxBody = 1 << 20

// Alert is one alert of a delivery, as the documented body has it.
type Alert struct {
	ID           string     `json:"id"`
	Title        string     `json:"title"`
	Link         string     `json:"link"`
	Feed         string     `json:"feed"`
	Published    *time.Time `json:"published"`
	Summary      string     `json:"summary"`
	Matched      []string   `json:"matched"`
	Subscription string     `json:"subscription"`
	StoryID      string     `json:"story_id"`
}

// Delivery is one accepted request, repeats dropped.
type Delivery struct {
	Key    string // Idempotency-Key
	Alerts []Alert
	// Digest is a digest's "digest" object, by key; nil for others.
	Digest map[string]json.RawMessage
	Raw    []byte
}

// Fault is an answer the receiver gives instead of 200.
type Fault struct {
	Status     int
	RetryAfter string // the Retry-After header, if any
	// Accept records the delivery before answering Status, as when the
	// receiver processed a request but its answer was lost.
	Accept bool
}

// Receiver is a fake webhook endpoint. Its methods are safe for
// concurrent use.
type Receiver struct {
	URL    string
	secret []byte

	mu         sync.Mutex
	now        func() time.Time
	faults     []Fault
	deliveries []Delivery
	seen       map[string]bool
	requests   int
	repeats    int
	refused    []string // why each refused request was refused
}

// New starts a receiver that verifies signatures with secret; it stops
// when the test ends.
func New(t testing.TB, secret string) *Receiver {
	r := &Receiver{secret: []byte(secret), now: time.Now, seen: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(srv.Close)
	r.URL = srv.URL + "/hooks/newshound"
	return r
}

// SetClock replaces the clock the timestamps are checked against.
func (r *Receiver) SetClock(now func() time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.now = now
}

// FailNext queues faults for the next requests, one each.
func (r *Receiver) FailNext(faults ...Fault) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.faults = append(r.faults, faults...)
}

// Deliveries returns the accepted deliveries, each once, in order.
func (r *Receiver) Deliveries() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Delivery(nil), r.deliveries...)
}

// Requests is how many requests arrived; Repeats how many of them carried
// an Idempotency-Key already accepted.
func (r *Receiver) Requests() (requests, repeats int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests, r.repeats
}

// Refused returns why each refused request was refused (bad signature,
// stale timestamp, bad body).
func (r *Receiver) Refused() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.refused...)
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, MaxBody+1))
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	if err == nil && len(body) > MaxBody {
		r.refused = append(r.refused, fmt.Sprintf("body over %d bytes", MaxBody))
		http.Error(w, "413 Request Entity Too Large", http.StatusRequestEntityTooLarge)
		return
	}
	if err == nil {
		err = r.verify(req, body)
	}
	var alerts []Alert
	var digest map[string]json.RawMessage
	if err == nil {
		alerts, digest, err = checkBody(body)
	}
	if err != nil {
		r.refused = append(r.refused, err.Error())
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var fault *Fault
	if len(r.faults) > 0 {
		fault = &r.faults[0]
		r.faults = r.faults[1:]
	}
	if fault != nil && !fault.Accept {
		answer(w, *fault)
		return
	}
	key := req.Header.Get("Idempotency-Key")
	if r.seen[key] {
		r.repeats++
	} else {
		r.seen[key] = true
		r.deliveries = append(r.deliveries, Delivery{Key: key, Alerts: alerts, Digest: digest, Raw: body})
	}
	if fault != nil {
		answer(w, *fault)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func answer(w http.ResponseWriter, f Fault) {
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	http.Error(w, "injected fault", f.Status)
}

// verify checks what a careful receiver checks before trusting a request.
func (r *Receiver) verify(req *http.Request, body []byte) error {
	if req.Method != http.MethodPost {
		return fmt.Errorf("method %s, want POST", req.Method)
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/json" {
		return fmt.Errorf("Content-Type %q, want application/json", ct)
	}
	if req.Header.Get("Idempotency-Key") == "" {
		return fmt.Errorf("no Idempotency-Key")
	}
	ts := req.Header.Get("X-Newshound-Timestamp")
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("bad timestamp %q", ts)
	}
	if skew := r.now().Sub(time.Unix(secs, 0)).Abs(); skew > MaxSkew {
		return fmt.Errorf("stale timestamp %s (%s off)", ts, skew)
	}
	mac := hmac.New(sha256.New, r.secret)
	fmt.Fprintf(mac, "%s.%s", ts, body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(req.Header.Get("X-Newshound-Signature")), []byte(want)) {
		return fmt.Errorf("bad signature")
	}
	return nil
}

// checkBody holds the body to the documented shape: every field present
// (matched a list, never null), no unknown ones, version 1, and a digest
// object only as documented.
func checkBody(body []byte) ([]Alert, map[string]json.RawMessage, error) {
	var doc struct {
		Version *int              `json:"version"`
		Alerts  []json.RawMessage `json:"alerts"`
		Digest  json.RawMessage   `json:"digest"`
	}
	if err := strictDecode(body, &doc); err != nil {
		return nil, nil, err
	}
	if doc.Version == nil || *doc.Version != 1 || len(doc.Alerts) == 0 {
		return nil, nil, fmt.Errorf("body: want version 1 and at least one alert")
	}
	var digest map[string]json.RawMessage
	if doc.Digest != nil {
		if err := json.Unmarshal(doc.Digest, &digest); err != nil {
			return nil, nil, fmt.Errorf("digest: %v", err)
		}
		keys := []string{"title", "kind", "subscription", "since", "until", "stories", "more"}
		for k := range digest {
			if !slices.Contains(keys, k) {
				return nil, nil, fmt.Errorf("digest: unknown field %q", k)
			}
		}
		for _, k := range keys {
			if _, ok := digest[k]; !ok {
				return nil, nil, fmt.Errorf("digest: no %q", k)
			}
		}
	}
	alerts := make([]Alert, len(doc.Alerts))
	for i, raw := range doc.Alerts {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			return nil, nil, fmt.Errorf("alert %d: %v", i, err)
		}
		for _, k := range []string{"id", "title", "link", "feed", "published", "summary", "matched", "subscription", "story_id"} {
			if _, ok := fields[k]; !ok {
				return nil, nil, fmt.Errorf("alert %d: no %q", i, k)
			}
		}
		if strings.TrimSpace(string(fields["matched"])) == "null" {
			return nil, nil, fmt.Errorf("alert %d: matched is null", i)
		}
		if err := strictDecode(raw, &alerts[i]); err != nil {
			return nil, nil, fmt.Errorf("alert %d: %v", i, err)
		}
	}
	return alerts, digest, nil
}

func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
