package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/internal/retryafter"
)

// LimiterConfig tunes a Limiter; the zero value gives safe defaults.
type LimiterConfig struct {
	// PerSecond is the steady request rate for the whole token. Discord
	// allows 50/s; the default 40 leaves room for interaction replies.
	PerSecond float64
	// Burst is how many requests may go back to back (default 10).
	Burst int
	// MaxWait is the longest a send waits for a rate limit inside Send;
	// a longer wait is returned as a *notify.RetryError (default 5 s).
	MaxWait time.Duration
	// CloudflareBackoff pauses every send after a 429 that did not come
	// from Discord's API (an HTML page: the IP is being blocked) and
	// carried no Retry-After (default 5 min).
	CloudflareBackoff time.Duration
	// InvalidBudget is how many invalid requests (401, 403, 429 but a
	// shared-scope 429; the /watch replies' count too) the bot allows
	// itself per 10 minutes before pausing all sends; Discord bans the IP
	// at 10,000 (default 1,000).
	InvalidBudget int
	Logger        *slog.Logger
}

const invalidWindow = 10 * time.Minute

// Limiter paces every request sent with one bot token: a token bucket
// under Discord's global 50 req/s, per-route buckets from the
// X-RateLimit-* headers (routes whose answers name the same
// X-RateLimit-Bucket share one, see bucketKey), a pause of all routes
// after a global 429, and a count of invalid requests (the /watch
// replies' too, see countInvalid). Share one Limiter
// between all notifiers of a token; it is safe for concurrent use.
type Limiter struct {
	cfg   LimiterConfig
	log   *slog.Logger
	clock func() time.Time

	mu          sync.Mutex
	tat         time.Time // theoretical arrival time of the token bucket
	pausedUntil time.Time // global 429 or Cloudflare block
	pauseReason string
	routes      map[string]*routeState // by bucketKey
	// hashes are the X-RateLimit-Bucket each routeShape's answers named.
	hashes map[string]string
	swept  time.Time // when idle routes were last forgotten
	// limits are the limits routes announced, by routeShape: a route new
	// or forgotten (see routeIdle) starts with its shape's, so that a
	// burst onto a story's new thread does not overrun the bucket before
	// the first answer tells its size.
	limits  map[string]int
	invalid []time.Time // times of recent invalid requests, oldest first
	// buckets are the discordgo bucket ids free for a request (see
	// maxInFlight).
	buckets chan string
}

// maxInFlight is how many requests sent through Limiter.do one Limiter
// has on their way, or waiting their turn, at once, each under a discordgo
// bucket id of its own, taken from a fixed set. (A destination check's
// requests, paced by roundTrip under discordgo's own bucket ids, take
// none.)
// discordgo keeps a bucket for every id it is given, for ever, and its
// helpers name one per thread and per message a thread is started on; it
// also sends the requests of one id one at a time, so one id for all
// would let a hung request hold up every other. The Limiter does the
// pacing: discordgo's buckets only take turns, and never wait, on these.
const maxInFlight = 32

// routeState is what the Limiter knows of a route's bucket. Several
// requests may be on their way at once (notifiers of one channel run side
// by side): remaining counts them as spent until their answers come, so an
// answer that left before they arrived cannot hand out their room again.
type routeState struct {
	known     bool // limit/remaining/resetAt come from headers
	limit     int  // X-RateLimit-Limit, 0 when not announced
	remaining int
	// resetAt ends the window remaining belongs to; zero after the window
	// ended, until an answer tells when the next one ends.
	resetAt time.Time
	window  string // the window's X-RateLimit-Reset, as announced
	// inflight counts requests let through whose answers are not noted.
	inflight int
	// used is when a request was last let through or answered.
	used time.Time
	// heard: an answer on the bucket was noted; asked: when the first
	// request went out, or the first after those before it all ended
	// without an answer (see firstAnswer).
	heard bool
	asked time.Time
	// held is when a 429 on the bucket ends: until then no answer's
	// headers reopen it, as an answer to a request sent before the 429
	// may arrive after it, telling of room the 429 says is not there.
	held time.Time
}

// firstAnswer is how long the requests of a route the Limiter knows
// nothing of (after a start, a route new or whose limits no answer
// announced) wait for the answer to the first, which tells the bucket's
// size, before going anyway: let through together, a burst past the
// bucket would get Discord's 429 for each request over. A first request
// hanging holds the others back no longer than this.
const firstAnswer = time.Second

// routeIdle is how long a route goes unused before the Limiter forgets
// it. Routes name channels and threads, and every story's forum post or
// thread is one more, so a Limiter that kept them all would grow for as
// long as the bot runs; an idle route's bucket has refilled, and a
// forgotten one starts again with the limit of its shape (see limits).
const routeIdle = 10 * time.Minute

// awaitAnswers is how often a route whose new window is used up by
// requests on their way looks again for their answers.
const awaitAnswers = 10 * time.Millisecond

// NewLimiter returns a Limiter with cfg's zero fields set to defaults.
func NewLimiter(cfg LimiterConfig) *Limiter {
	if cfg.PerSecond <= 0 {
		cfg.PerSecond = 40
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 10
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 5 * time.Second
	}
	if cfg.CloudflareBackoff <= 0 {
		cfg.CloudflareBackoff = 5 * time.Minute
	}
	if cfg.InvalidBudget <= 0 {
		cfg.InvalidBudget = 1000
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	buckets := make(chan string, maxInFlight)
	for i := range maxInFlight {
		buckets <- fmt.Sprintf("newshound/%d", i)
	}
	return &Limiter{cfg: cfg, log: log, clock: time.Now, routes: make(map[string]*routeState), hashes: make(map[string]string), limits: make(map[string]int),
		buckets: buckets}
}

// InvalidRequests reports how many invalid answers (see countsInvalid) the
// token received in the last 10 minutes.
func (l *Limiter) InvalidRequests() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pruneInvalid(l.clock())
	return len(l.invalid)
}

// do sends one request on route once the limits allow it and turns the
// answer into nil or an error the outbox sender understands. gone says, for
// a 403/404, what is gone ("webhook deleted"). send is given the discordgo
// bucket id to send under (see maxInFlight).
//
// The bucket id is taken before the request is admitted, so that it is
// admitted only when it can go at once: admitted, then waiting for an id
// behind hung requests, it would count as its route's first request on
// its way, and the others of the route, once they stopped waiting for
// its answer (firstAnswer), would all go with it when ids came free.
func (l *Limiter) do(ctx context.Context, route string, gone func(status int) string, send func(ctx context.Context, bucket string) error) (*exchange, error) {
	var bucket string
	select {
	case bucket = <-l.buckets:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { l.buckets <- bucket }()
	adm, err := l.acquire(ctx, route)
	if err != nil {
		return nil, err
	}
	rctx, rec := withRecorder(ctx)
	rec.route, rec.admitted = route, adm.at
	sendErr := send(rctx, bucket)
	ex := rec.last
	if ex == nil {
		l.unanswered(adm.key)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("discord: %s: %w", route, notify.WithoutURL(sendErr))
	}
	return ex, l.observe(route, adm.key, ex, gone)
}

// roundTrip sends req, one request of a discordgo helper (see
// throughLimiter) on route, with base once the limits allow it, and
// takes note of its answer as do does; the answer goes back to discordgo
// as it came, but for the rate-limit headers, which the Limiter obeys
// (see recorder.record).
func (l *Limiter) roundTrip(req *http.Request, route string, base http.RoundTripper) (*http.Response, error) {
	adm, err := l.acquire(req.Context(), route)
	if err != nil {
		return nil, err
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		l.unanswered(adm.key)
		return nil, err
	}
	rec := &recorder{route: route, admitted: adm.at}
	if err := rec.record(resp); err != nil {
		l.unanswered(adm.key)
		return nil, err
	}
	// What the answer means is for discordgo's caller to tell.
	_ = l.observe(route, adm.key, rec.last, func(int) string { return route })
	return resp, nil
}

// withoutToken is an API path ("webhooks/1/token/messages/2") as a route
// names it: without a webhook's token, a secret that must not reach the
// logs.
func withoutToken(path string) string {
	if parts := strings.Split(path, "/"); len(parts) >= 3 && parts[0] == "webhooks" {
		return strings.Join(append(parts[:2:2], parts[3:]...), "/")
	}
	return path
}

// admission is when a request was let through, and the bucket it counts
// in until its answer comes.
type admission struct {
	at  time.Time
	key string // see bucketKey
}

// acquire waits until route may send and returns its admission, or
// returns a *notify.RetryError when the wait is longer than MaxWait, or
// the context's error.
func (l *Limiter) acquire(ctx context.Context, route string) (admission, error) {
	reserved := false
	for {
		wait, reason, adm := l.reserve(route, &reserved)
		if wait == 0 {
			return adm, nil
		}
		if wait > l.cfg.MaxWait {
			return admission{}, &notify.RetryError{After: wait, Err: errors.New("discord: " + reason)}
		}
		if err := retryafter.Sleep(ctx, wait); err != nil {
			return admission{}, err
		}
	}
}

// reserve returns how long route must still wait and why, or 0 and the
// request's admission. The global token is taken once per request, on the
// first call.
func (l *Limiter) reserve(route string, reserved *bool) (time.Duration, string, admission) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock()
	adm := admission{at: now, key: l.bucketKey(route)}
	if now.Before(l.pausedUntil) {
		return l.pausedUntil.Sub(now), l.pauseReason, adm
	}
	l.pruneInvalid(now)
	if len(l.invalid) >= l.cfg.InvalidBudget {
		until := l.invalid[len(l.invalid)-l.cfg.InvalidBudget].Add(invalidWindow)
		return until.Sub(now), fmt.Sprintf("%d invalid requests in 10 minutes, holding back", len(l.invalid)), adm
	}
	l.forgetIdleRoutes(now)
	rs := l.route(adm.key)
	if old := l.routes[route]; adm.key != route && old != nil && now.Before(old.held) && old.held.After(rs.held) {
		// A 429 noted under the route before its shape's bucket hash was
		// known holds the bucket the route now counts in.
		rs.known, rs.remaining, rs.resetAt, rs.window, rs.held = true, 0, old.held, "", old.held
	}
	if rs.known && !rs.resetAt.IsZero() && !now.Before(rs.resetAt) {
		rs.newWindow()
	}
	if rs.known && rs.remaining <= 0 && rs.resetAt.IsZero() && rs.inflight == 0 {
		// The window's requests all ended without telling when it ends (no
		// answer, or one without the bucket's headers): none will.
		rs.newWindow()
	}
	if rs.known && rs.remaining <= 0 {
		if rs.resetAt.IsZero() {
			return awaitAnswers, "window of " + route + " taken by requests on their way", adm
		}
		return rs.resetAt.Sub(now), "rate limited on " + route, adm
	}
	if !rs.known && !rs.heard && rs.inflight > 0 && now.Sub(rs.asked) < firstAnswer {
		return awaitAnswers, "first request of " + route + " awaits its answer", adm
	}
	if !*reserved {
		*reserved = true
		if wait := l.takeToken(now); wait > 0 {
			return wait, "global request rate", adm
		}
	}
	if rs.known {
		rs.remaining--
	}
	if !rs.heard && rs.inflight == 0 {
		// The route's first request on its way: one before it that
		// ended without an answer told nothing.
		rs.asked = now
	}
	rs.inflight++
	rs.used = now
	return 0, "", adm
}

// bucketKey names the bucket route counts in: once an answer on a route
// of its shape named its X-RateLimit-Bucket, that hash and the route's
// major parameter (its channel, webhook or guild, which the hash leaves
// out), so that routes Discord limits together are limited together (a
// channel's posts and its message edits share one); before, the route.
// Called with l.mu held.
func (l *Limiter) bucketKey(route string) string {
	hash := l.hashes[routeShape(route)]
	if hash == "" {
		return route
	}
	return "bucket " + hash + " " + majorParameter(route)
}

// majorParameter is the top-level resource route names ("channels/123"),
// or "".
func majorParameter(route string) string {
	_, path, _ := strings.Cut(route, " ")
	parts := strings.SplitN(path, "/", 3)
	if len(parts) < 2 {
		return ""
	}
	switch parts[0] {
	case "channels", "webhooks", "guilds":
		return parts[0] + "/" + parts[1]
	}
	return ""
}

// forgetIdleRoutes drops, at most once per routeIdle, the routes unused
// for routeIdle whose requests were all answered and whose window, if
// one is known, has ended. Called with l.mu held.
func (l *Limiter) forgetIdleRoutes(now time.Time) {
	if now.Sub(l.swept) < routeIdle {
		return
	}
	l.swept = now
	for route, rs := range l.routes {
		if rs.inflight == 0 && now.Sub(rs.used) >= routeIdle && !now.Before(rs.resetAt) {
			delete(l.routes, route)
		}
	}
}

// newWindow starts the bucket's next window: its whole limit, less the
// requests still on their way (they may count in it). A bucket whose limit
// was never announced (a 429 alone) is unknown again.
func (rs *routeState) newWindow() {
	if rs.limit <= 0 {
		rs.known = false
		return
	}
	rs.remaining, rs.resetAt, rs.window = rs.limit-rs.inflight, time.Time{}, ""
}

// unanswered notes a request let through into bucket key (its
// admission's) that got no answer.
func (l *Limiter) unanswered(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if rs := l.route(key); rs.inflight > 0 {
		rs.inflight--
	}
}

// takeToken is a GCRA token bucket: PerSecond steady, Burst back to back.
func (l *Limiter) takeToken(now time.Time) time.Duration {
	interval := time.Duration(float64(time.Second) / l.cfg.PerSecond)
	if l.tat.Before(now) {
		l.tat = now
	}
	earliest := l.tat.Add(-interval * time.Duration(l.cfg.Burst-1))
	l.tat = l.tat.Add(interval)
	if earliest.After(now) {
		return earliest.Sub(now)
	}
	return 0
}

// route is the state of bucket key (see bucketKey).
func (l *Limiter) route(key string) *routeState {
	rs := l.routes[key]
	if rs == nil {
		rs = &routeState{}
		if limit := l.limits[routeShape(key)]; limit > 0 {
			rs.known, rs.limit, rs.remaining = true, limit, limit
		}
		l.routes[key] = rs
	}
	return rs
}

// routeShape is route with its ids (the path's numeric parts) taken out:
// "POST channels/{id}/messages" is the shape of every channel's and
// thread's message route, whose buckets Discord sizes alike.
func routeShape(route string) string {
	parts := strings.Split(route, "/")
	for i, p := range parts {
		if p != "" && strings.Trim(p, "0123456789") == "" {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}

func (l *Limiter) pruneInvalid(now time.Time) {
	cut := sort.Search(len(l.invalid), func(i int) bool { return now.Sub(l.invalid[i]) < invalidWindow })
	l.invalid = l.invalid[cut:]
}

// observe updates the buckets from the answer to a request on route let
// through into bucket admitted, and classifies it.
func (l *Limiter) observe(route, admitted string, ex *exchange, gone func(status int) string) error {
	l.mu.Lock()
	now := l.clock()
	ex.seen = now
	rs := l.route(admitted)
	if rs.inflight > 0 {
		rs.inflight--
	}
	rs.used, rs.heard = now, true
	if hash := ex.header.Get("X-RateLimit-Bucket"); hash != "" {
		l.hashes[routeShape(route)] = hash
	}
	key := l.bucketKey(route)
	l.route(key).used, l.route(key).heard = now, true
	l.updateRoute(route, key, ex.header, now)
	l.noteInvalid(ex, now)
	var err error
	if ex.status == http.StatusTooManyRequests {
		err = l.note429(route, key, ex, now)
	}
	l.mu.Unlock()

	switch {
	case ex.status >= 200 && ex.status < 300:
		return nil
	case ex.status == http.StatusTooManyRequests:
		// Debug only: the error goes back to the caller, and the sender
		// logs a destination asked to wait once per change of state
		// (statelog), which a warning per 429 would undo.
		l.log.Debug("discord rate limited", "route", route, "err", err)
		return err
	case ex.status == http.StatusUnauthorized, ex.status == http.StatusForbidden, ex.status == http.StatusNotFound:
		return fmt.Errorf("discord: %s: %s: %w", gone(ex.status), describeError(ex), notify.ErrGone)
	case ex.status == http.StatusBadRequest, ex.status == http.StatusRequestEntityTooLarge:
		return fmt.Errorf("discord: %s: %s: %w", route, describeError(ex), notify.ErrRejected)
	default:
		return fmt.Errorf("discord: %s: %s", route, describeError(ex))
	}
}

// countInvalid takes note of ex, the answer to a request the Limiter did
// not let through (a /watch reply, see replier), in the count of invalid
// answers, as Discord counts them whichever route. Replies are not held
// back for the budget: a user's answer has Discord's deadlines to meet,
// and an interaction makes a handful of requests; the sends hold back.
func (l *Limiter) countInvalid(ex *exchange) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.noteInvalid(ex, l.clock())
}

// noteInvalid counts ex among the invalid answers at now when Discord
// does (see countsInvalid). Called with l.mu held.
func (l *Limiter) noteInvalid(ex *exchange, now time.Time) {
	if countsInvalid(ex) {
		l.invalid = append(l.invalid, now)
	}
}

// countsInvalid reports whether Discord counts the answer toward its
// invalid-request limit: a 401, 403 or 429, except a 429 with
// X-RateLimit-Scope "shared" (a resource's limit shared with other
// clients, which Discord does not count against the bot).
func countsInvalid(ex *exchange) bool {
	switch ex.status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return true
	case http.StatusTooManyRequests:
		return ex.header.Get("X-RateLimit-Scope") != "shared"
	}
	return false
}

// updateRoute takes note of an answer on route's bucket headers for its
// bucket key. The requests still on their way may not be counted in them
// yet, so they are taken off what remains (those let through before the
// route's bucket hash was known are counted under the route itself); and
// within one window (the same X-RateLimit-Reset) an answer can only lower
// what remains, since answers may arrive out of order.
func (l *Limiter) updateRoute(route, key string, h http.Header, now time.Time) {
	remaining, errR := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	after, errA := parseSeconds(h.Get("X-RateLimit-Reset-After"))
	if errR != nil || errA != nil || h.Get("X-RateLimit-Global") != "" {
		return
	}
	rs := l.route(key)
	if limit, err := strconv.Atoi(h.Get("X-RateLimit-Limit")); err == nil && limit > 0 {
		rs.limit = limit
		l.limits[routeShape(key)] = limit
	}
	if now.Before(rs.held) {
		return
	}
	left := remaining - rs.inflight
	if old := l.routes[route]; key != route && old != nil {
		left -= old.inflight
	}
	window := h.Get("X-RateLimit-Reset")
	if rs.known && window != "" && window == rs.window {
		rs.remaining = min(rs.remaining, left)
		return
	}
	rs.known, rs.remaining, rs.resetAt, rs.window = true, left, now.Add(after), window
}

// rateLimitBody is Discord's 429 answer.
type rateLimitBody struct {
	Message    string   `json:"message"`
	RetryAfter *float64 `json:"retry_after"`
	Global     bool     `json:"global"`
}

// note429 pauses the route's bucket key, or every route for a global or
// Cloudflare 429, and returns the RetryError for the sender. Called with
// l.mu held.
func (l *Limiter) note429(route, key string, ex *exchange, now time.Time) error {
	var body rateLimitBody
	jsonErr := json.Unmarshal(ex.body, &body)
	headerAfter, headerErr := parseSeconds(ex.header.Get("Retry-After"))
	switch {
	case jsonErr != nil || body.RetryAfter == nil:
		after := l.cfg.CloudflareBackoff
		if headerErr == nil && headerAfter > after {
			after = headerAfter
		}
		l.pause(now.Add(after), "blocked by Cloudflare (HTTP 429 without a Discord body)")
		return &notify.RetryError{After: after, Err: errors.New("discord: HTTP 429 from Cloudflare, not the API: all sends paused")}
	case body.Global || ex.header.Get("X-RateLimit-Global") != "" || ex.header.Get("X-RateLimit-Scope") == "global":
		after := secondsToDuration(*body.RetryAfter)
		l.pause(now.Add(after), "global rate limit")
		return &notify.RetryError{After: after, Err: errors.New("discord: global rate limit: all sends paused")}
	default:
		after := secondsToDuration(*body.RetryAfter)
		if ra, err := parseSeconds(ex.header.Get("X-RateLimit-Reset-After")); err == nil && ra > after {
			after = ra
		}
		rs := l.route(key)
		rs.known, rs.remaining, rs.resetAt, rs.window, rs.held = true, 0, now.Add(after), "", now.Add(after)
		return &notify.RetryError{After: after, Err: fmt.Errorf("discord: rate limited on %s", route)}
	}
}

func (l *Limiter) pause(until time.Time, reason string) {
	if until.After(l.pausedUntil) {
		l.pausedUntil, l.pauseReason = until, reason
	}
}

func parseSeconds(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("empty")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("bad seconds %q", s)
	}
	return secondsToDuration(f), nil
}

// maxHold bounds how long an answer's seconds (a 429's retry_after or
// Retry-After, a bucket's X-RateLimit-Reset-After) hold sends, as the
// outbox sender bounds a destination's Retry-After (a day): a 429 asking
// for a year, or milliseconds written as seconds, would otherwise hold
// every send of the token, or of the route, until a restart.
const maxHold = 24 * time.Hour

// secondsToDuration is f seconds, from 0 (for a negative f or NaN) up to
// maxHold, which also keeps it from overflowing a time.Duration.
func secondsToDuration(f float64) time.Duration {
	if !(f > 0) {
		return 0
	}
	if f >= maxHold.Seconds() {
		return maxHold
	}
	return time.Duration(f * float64(time.Second))
}

// apiError is Discord's error body: {"code":50035,"message":"Invalid Form
// Body","errors":{"embeds":{"0":{"title":{"_errors":[…]}}}}}.
type apiError struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Errors  json.RawMessage `json:"errors"`
}

// describeError renders an error answer for a log line or a user: HTTP
// status, Discord's message and code, and each failing field path.
func describeError(ex *exchange) string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d", ex.status)
	var ae apiError
	if err := json.Unmarshal(ex.body, &ae); err != nil || ae.Message == "" {
		if snippet := strings.TrimSpace(string(ex.body)); snippet != "" && len(snippet) < 200 && !strings.HasPrefix(snippet, "<") {
			fmt.Fprintf(&b, " %s", snippet)
		}
		return b.String()
	}
	fmt.Fprintf(&b, " %s (code %d)", ae.Message, ae.Code)
	var fields []string
	collectFieldErrors(ae.Errors, "", &fields)
	sort.Strings(fields)
	for _, f := range fields {
		b.WriteString("; ")
		b.WriteString(f)
	}
	return b.String()
}

func collectFieldErrors(raw json.RawMessage, path string, out *[]string) {
	var node map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &node) != nil {
		return
	}
	for key, child := range node {
		if key == "_errors" {
			var errs []struct{ Code, Message string }
			_ = json.Unmarshal(child, &errs)
			for _, e := range errs {
				*out = append(*out, fmt.Sprintf("%s: %s (%s)", path, e.Message, e.Code))
			}
			continue
		}
		next := key
		if path != "" {
			next = path + "." + key
		}
		collectFieldErrors(child, next, out)
	}
}
