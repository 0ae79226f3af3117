// Package webhook delivers alerts to any HTTP endpoint (an n8n or Zapier
// flow, a CMS, a service of your own) as a signed JSON POST. It owns the
// body's format, the signature and what the endpoint's answers mean; it
// does not retry (the outbox sender does, with back-off).
//
// # The request
//
//	POST <url>
//	Content-Type: application/json
//	User-Agent: newshound-webhook/1
//	X-Newshound-Timestamp: 1767261600
//	X-Newshound-Signature: sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<body>")>
//	Idempotency-Key: <the same on every retry of one delivery>
//
//	{"version":1,"alerts":[{
//	  "id": "9f1c…",               // the item: hash of its feed and link (or title)
//	  "title": "…", "link": "https://…",
//	  "feed": "wire",              // the feed's name in the config
//	  "published": "2026-01-01T08:00:00Z",  // RFC 3339, UTC; null when unknown
//	  "summary": "…",              // plain text
//	  "matched": ["aleppo", "ceasefire"],   // the words that matched, never null
//	  "subscription": "aleppo-ceasefire",
//	  "story_id": "9f1c…"          // the same for every alert of one story
//	}]}
//
// Text fields are plain text exactly as the feed gave it: escape them for
// whatever you render them into. A body is at most MaxBodyBytes (1 MiB,
// nginx's default limit): past that, the titles and summaries longer than
// some length are cut to it, ending in "…", and a link that leaves no
// room even so (megabytes) is left out (""). One request may carry several alerts
// (a burst or a digest, newest first, with a "digest" object: see
// Digest); "version" changes only when a field changes meaning or goes
// away (new fields may appear at any time).
//
// To verify a request: reject it unless the timestamp is within a few
// minutes of your clock, compute HMAC-SHA256 with the shared secret over
// the timestamp header's text, a ".", and the raw body bytes, and compare
// the hex with the signature in constant time. Drop a request whose
// Idempotency-Key you have already processed: a retry after a lost answer
// repeats the delivery.
//
// # The answer
//
// 2xx is a delivery. 429 or 503 with Retry-After waits that long (the
// sender waits a day at most); 410, 401, 403, 404, 405, 407, 415 and
// 426 pause the destination (it is gone, newshound is not allowed, or the
// url takes no JSON POST: each needs the operator, and would refuse every
// alert alike); a redirect does too, since it is
// not followed (update the url); any other 4xx drops the alert as
// rejected; 5xx and network errors are retried with back-off.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/internal/redact"
	"github.com/newshound/newshound/internal/retryafter"
)

// Version is the body's "version".
const Version = 1

// Headers of a delivery.
const (
	TimestampHeader   = "X-Newshound-Timestamp"
	SignatureHeader   = "X-Newshound-Signature"
	IdempotencyHeader = "Idempotency-Key"
)

// defaultRateLimitWait is how long a 429 without Retry-After waits.
const defaultRateLimitWait = time.Minute

// Body is the JSON body of a delivery.
type Body struct {
	Version int     `json:"version"`
	Alerts  []Item  `json:"alerts"`
	Digest  *Digest `json:"digest,omitempty"` // only in a digest; see Digest
}

// Item is one alert in a Body.
type Item struct {
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

// Options are the optional parts of a Notifier.
type Options struct {
	// Client sends the requests; default one with a 30s timeout. Its
	// redirect policy is replaced: redirects are never followed.
	Client *http.Client
	// Now is the clock for the timestamp header; default time.Now.
	Now func() time.Time
}

// Notifier posts alerts to one URL.
type Notifier struct {
	url    string
	secret []byte
	client *http.Client
	now    func() time.Time
}

// New returns a notifier posting to endpoint (an http or https URL),
// signing with secret. The URL is the operator's, so it may point at a
// private address.
func New(endpoint, secret string, opts Options) (*Notifier, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("webhook: %q is not an http(s) URL", redact.Endpoint(endpoint))
	}
	if secret == "" {
		return nil, errors.New("webhook: the secret is empty")
	}
	client := &http.Client{Timeout: 30 * time.Second}
	if opts.Client != nil {
		c := *opts.Client
		client = &c
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Notifier{url: endpoint, secret: []byte(secret), client: client, now: opts.Now}, nil
}

// MaxBodyBytes is the most a body takes: nginx's default
// client_max_body_size, in front of many receivers, which refuse a larger
// one with 413 (and newshound would drop its alerts as rejected).
const MaxBodyBytes = 1 << 20

// Render returns the JSON body for alerts: the same bytes every time, so
// a retry repeats the delivery exactly.
func Render(alerts []alert.Alert) ([]byte, error) {
	b := Body{Version: Version, Alerts: make([]Item, len(alerts))}
	for i, a := range alerts {
		b.Alerts[i] = item(a)
	}
	return encode(b)
}

// encode marshals b within MaxBodyBytes: when the whole would be larger,
// the titles and summaries longer than some length are cut to it (the
// last code point "…"), that length the longest with which the body fits,
// so short texts stay whole and the room is shared among the long ones.
// A link that leaves no room even then (a feed's link of megabytes) is
// left out, the longest first: a cut link leads nowhere.
func encode(b Body) ([]byte, error) {
	body, err := marshal(b)
	if err != nil || len(body) <= MaxBodyBytes {
		return body, err
	}
	var dropped bool
	if b, dropped, err = dropLongLinks(b); err != nil {
		return nil, err
	}
	if dropped {
		if body, err = marshal(b); err != nil || len(body) <= MaxBodyBytes {
			return body, err // the texts fit whole beside the links kept
		}
	}
	var lengths []int // of the titles and summaries, in code points
	for _, it := range b.Alerts {
		lengths = append(lengths, utf8.RuneCountInString(it.Title), utf8.RuneCountInString(it.Summary))
	}
	cutTo := func(limit int) ([]byte, error) {
		c := b
		c.Alerts = slices.Clone(b.Alerts)
		for i := range c.Alerts {
			c.Alerts[i].Title = notify.CutRunes(c.Alerts[i].Title, limit)
			c.Alerts[i].Summary = notify.CutRunes(c.Alerts[i].Summary, limit)
		}
		return marshal(c)
	}
	// The body fits with lo unless lo is 1, and not with hi+1: texts cut
	// to hi+1 would take more code points than MaxBodyBytes bytes.
	// Within 1/64 of the longest that fits is close enough, and takes a
	// few rounds instead of twenty for texts of megabytes.
	lo, hi := 1, waterLevel(lengths, MaxBodyBytes)
	for hi-lo > lo/64 {
		mid := lo + (hi-lo+1)/2
		body, err := cutTo(mid)
		if err != nil {
			return nil, err
		}
		if len(body) <= MaxBodyBytes {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return cutTo(lo) // at 1 still too big only for a body of thousands of alerts
}

// dropLongLinks empties the longest links of b, one by one, until the
// body would fit with every title and summary cut to its last code point,
// and reports whether it emptied any. b's alerts are not changed.
func dropLongLinks(b Body) (Body, bool, error) {
	bare := b
	bare.Alerts = slices.Clone(b.Alerts)
	for i := range bare.Alerts {
		bare.Alerts[i].Title = notify.CutRunes(bare.Alerts[i].Title, 1)
		bare.Alerts[i].Summary = notify.CutRunes(bare.Alerts[i].Summary, 1)
	}
	var dropped []int
	for {
		body, err := marshal(bare)
		if err != nil || len(body) <= MaxBodyBytes {
			if err != nil || len(dropped) == 0 {
				return b, false, err
			}
			out := b
			out.Alerts = slices.Clone(b.Alerts)
			for _, i := range dropped {
				out.Alerts[i].Link = ""
			}
			return out, true, nil
		}
		longest := -1
		for i, it := range bare.Alerts {
			if it.Link != "" && (longest < 0 || len(it.Link) > len(bare.Alerts[longest].Link)) {
				longest = i
			}
		}
		if longest < 0 {
			return b, false, nil // no link left: too many alerts, whatever their text
		}
		bare.Alerts[longest].Link = ""
		dropped = append(dropped, longest)
	}
}

// waterLevel is the longest length L at which texts of these lengths, each
// cut to L, take at most room code points together.
func waterLevel(lengths []int, room int) int {
	if len(lengths) == 0 {
		return room
	}
	slices.Sort(lengths)
	for i, n := range lengths {
		// the texts from i on are all at least n long: cut them to L
		if left := len(lengths) - i; n*left > room {
			return max(room/left, 0)
		}
		room -= n
	}
	return lengths[len(lengths)-1] // all fit whole (not the case in encode)
}

func marshal(b Body) ([]byte, error) {
	body, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	return escapeBidi(body), nil
}

// escapeBidi writes the Unicode bidirectional controls (U+202A–U+202E,
// U+2066–U+2069) as \u escapes. The JSON means the same, but a log or
// terminal that shows the body cannot be reordered by a feed's text.
// They can only occur inside JSON strings, where an escape is valid.
func escapeBidi(body []byte) []byte {
	if !bytes.ContainsFunc(body, notify.IsBidiControl) {
		return body
	}
	// Each is E2 80 AA–AE or E2 81 A6–A9 in UTF-8: a scan for E2 finds
	// them without decoding every rune of a body of megabytes.
	out := make([]byte, 0, len(body)+len(body)/8)
	for {
		i := bytes.IndexByte(body, 0xE2)
		if i < 0 || i+2 >= len(body) {
			return append(out, body...)
		}
		r, size := utf8.DecodeRune(body[i:])
		if !notify.IsBidiControl(r) {
			out, body = append(out, body[:i+1]...), body[i+1:]
			continue
		}
		out = append(out, body[:i]...)
		out = append(out, `\u`...)
		out = strconv.AppendUint(out, uint64(r), 16)
		body = body[i+size:]
	}
}

func item(a alert.Alert) Item {
	it := Item{
		ID:           itemID(a),
		Title:        a.Title,
		Link:         a.Link,
		Feed:         a.Feed,
		Summary:      a.Text,
		Matched:      a.Matched,
		Subscription: a.Subscription,
		StoryID:      notify.StoryKey(a),
	}
	if it.Matched == nil {
		it.Matched = []string{}
	}
	if !a.Published.IsZero() {
		p := a.Published.UTC()
		it.Published = &p
	}
	return it
}

// itemID names the item: its feed and link, or without a link its feed
// and title, so an edited title keeps the id.
func itemID(a alert.Alert) string {
	seed := a.Feed + "\x00link\x00" + a.Link
	if a.Link == "" {
		seed = a.Feed + "\x00title\x00" + a.Title
	}
	sum := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(sum[:12])
}

// Sign returns the signature header's value for a body sent at timestamp
// (the header's text).
func Sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Send posts the message once. The Idempotency-Key is the message's nonce
// and a hash of its alerts, the same on every retry (see idempotencyKey).
func (n *Notifier) Send(ctx context.Context, m notify.Message) (notify.Receipt, error) {
	if len(m.Alerts) == 0 {
		return notify.Receipt{}, fmt.Errorf("webhook: a message without alerts: %w", notify.ErrRejected)
	}
	body, err := RenderMessage(m)
	if err != nil {
		return notify.Receipt{}, fmt.Errorf("webhook: %v: %w", err, notify.ErrRejected)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url, bytes.NewReader(body))
	if err != nil {
		return notify.Receipt{}, fmt.Errorf("webhook %s: %w", redact.Endpoint(n.url), err)
	}
	ts := strconv.FormatInt(n.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "newshound-webhook/1")
	req.Header.Set(TimestampHeader, ts)
	req.Header.Set(SignatureHeader, Sign(n.secret, ts, body))
	req.Header.Set(IdempotencyHeader, idempotencyKey(m))
	resp, err := n.client.Do(req)
	if err != nil {
		return notify.Receipt{}, fmt.Errorf("webhook %s: %w", redact.Endpoint(n.url), notify.WithoutURL(err))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	if err := n.statusError(resp, snippet); err != nil {
		return notify.Receipt{}, err
	}
	return notify.Receipt{MessageID: resp.Header.Get("X-Request-Id")}, nil
}

// statusError says what an answer means for the sender; nil for 2xx.
func (n *Notifier) statusError(resp *http.Response, snippet []byte) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	err := fmt.Errorf("webhook %s: HTTP %d%s", redact.Endpoint(n.url), code, quote(snippet))
	after, hasAfter := retryafter.Parse(resp.Header.Get("Retry-After"), n.now())
	switch {
	case code == http.StatusTooManyRequests && !hasAfter:
		return &notify.RetryError{After: defaultRateLimitWait, Err: err}
	case (code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable) && hasAfter:
		return &notify.RetryError{After: after, Err: err}
	case code >= 300 && code < 400:
		return fmt.Errorf("%w: redirected to %s, which is not followed (update the url): %w",
			err, redact.Endpoint(resp.Header.Get("Location")), notify.ErrGone)
	case notify.RefusesEndpoint(code):
		return fmt.Errorf("%w: %w", err, notify.ErrGone)
	case code == http.StatusRequestTimeout:
		return err
	case code >= 400 && code < 500:
		return fmt.Errorf("%w: %w", err, notify.ErrRejected)
	}
	return err
}

// idempotencyKey is "<nonce>.<16 hex digits>" (32 hex digits without a
// nonce): the same on every retry of m, and not that of other alerts
// under a nonce used before (see notify.MessageKey).
func idempotencyKey(m notify.Message) string {
	key := notify.MessageKey(m)
	if m.Nonce == "" {
		return key[:32]
	}
	return m.Nonce + "." + key[:16]
}

// quote shows the start of an answer's body in an error, on one line.
func quote(b []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "?")), " ")
	if s == "" {
		return ""
	}
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…" // no character cut in two
	}
	return fmt.Sprintf(" (%q)", s)
}
