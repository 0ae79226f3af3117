package fakediscord

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Every route not configured with RateLimit allows this many requests per
// window, like a generous Discord bucket.
const (
	defaultLimit = 50
	defaultReset = time.Second
)

// bucket is a fixed-window rate limit: limit requests from windowStart for
// resetAfter.
type bucket struct {
	limit       int
	resetAfter  time.Duration
	windowStart time.Time
	used        int
}

// surprise is a route 429 the route's headers did not announce (Discord's
// shared and sub-limits): armed by Route429, it starts on the route's next
// request and refuses the route until its reset.
type surprise struct {
	pending time.Duration
	until   time.Time
}

type globalLimit struct {
	pending time.Duration // armed by Global429, starts on the next request
	on      string        // (Global429On) on the next request of this route
	until   time.Time
}

// RateLimit gives route a bucket of n requests per resetAfter (the window
// starts at the first request); request n+1 in a window gets a route 429.
// Message edits count against their channel's bucket (EditBucket), not
// their route.
func (s *Server) RateLimit(route string, n int, resetAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits[route] = &bucket{limit: n, resetAfter: resetAfter}
}

// Route429 makes the next request on route get a route 429 with
// retry_after d that its headers did not announce, and every request on the
// route after it until the reset as well.
func (s *Server) Route429(route string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.surprises[route] = &surprise{pending: d}
}

// Global429 makes the next request get a global 429 with retry_after d, and
// every request after it until the reset as well.
func (s *Server) Global429(d time.Duration) { s.Global429On("", d) }

// Global429On is Global429 starting at the next request on route (say,
// the next post, after a service's other requests); "" is any route.
func (s *Server) Global429On(route string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.global.pending, s.global.on = d, route
}

// admit records the request and decides, before the handler runs, whether
// it is refused (global 429, injected failure, route 429). It sets the
// route's rate-limit headers either way. It returns the index of the
// request's record and false when it answered.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) (idx int, ok bool) {
	now := time.Now()
	route := routeOf(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notify()
	key := s.bucketOf(route)
	req := Request{Route: route, Bucket: key, At: now}
	defer func() {
		idx = len(s.requests)
		s.requests = append(s.requests, req)
	}()

	if s.global.pending > 0 && (s.global.on == "" || s.global.on == route) {
		s.global.until = now.Add(s.global.pending)
		s.global.pending = 0
	}
	if now.Before(s.global.until) {
		req.Status, req.Global, req.ResetAt, req.RetryAfter = 429, true, s.global.until, s.global.until.Sub(now)
		writeGlobal429(w, req.RetryAfter)
		return 0, false
	}
	if sp := s.surprises[route]; sp != nil {
		if sp.pending > 0 {
			sp.until, sp.pending = now.Add(sp.pending), 0
		}
		if now.Before(sp.until) {
			req.Status, req.ResetAt, req.RetryAfter, req.Shared = 429, sp.until, sp.until.Sub(now), true
			writeSurprise429(w, req.RetryAfter)
			return 0, false
		}
	}
	if i := slices.IndexFunc(s.fail, func(f failure) bool { return f.on == "" || f.on == route }); i >= 0 {
		f := s.fail[i]
		s.fail = slices.Delete(s.fail, i, i+1)
		req.Status = f.status
		writeFailure(w, f)
		return 0, false
	}
	b := s.limits[key]
	if b == nil {
		b = &bucket{limit: defaultLimit, resetAfter: defaultReset}
		if isEditBucket(key) {
			b.limit, b.resetAfter = s.editLimit, s.editReset
		}
		s.limits[key] = b
	}
	if now.Sub(b.windowStart) >= b.resetAfter {
		b.windowStart, b.used = now, 0
	}
	b.used++
	resetAt := b.windowStart.Add(b.resetAfter)
	setLimitHeaders(w.Header(), key, b, resetAt, now)
	if b.used > b.limit {
		req.Status, req.ResetAt, req.RetryAfter = 429, resetAt, resetAt.Sub(now)
		writeRoute429(w, req.RetryAfter)
		return 0, false
	}
	req.Status = http.StatusOK // the handler's status is set by statusRecorder
	return 0, true
}

func setLimitHeaders(h http.Header, key string, b *bucket, resetAt, now time.Time) {
	h.Set("X-RateLimit-Bucket", bucketHash(key))
	h.Set("X-RateLimit-Limit", strconv.Itoa(b.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(b.limit-b.used, 0)))
	h.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(resetAt.UnixMilli())/1000, 'f', 3, 64))
	h.Set("X-RateLimit-Reset-After", seconds(resetAt.Sub(now)))
}

// seconds formats d the way Discord does, rounded up to the millisecond so
// a client never computes a reset earlier than the fake's.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(math.Ceil(float64(d)/float64(time.Millisecond))/1000, 'f', 3, 64)
}

func writeRoute429(w http.ResponseWriter, after time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(after.Seconds()))))
	w.Header().Set("X-RateLimit-Scope", "user")
	writeJSON(w, http.StatusTooManyRequests, map[string]any{
		"message":     "You are being rate limited.",
		"retry_after": math.Ceil(float64(after)/float64(time.Millisecond)) / 1000,
		"global":      false,
	})
}

func writeSurprise429(w http.ResponseWriter, after time.Duration) {
	h := w.Header()
	h.Set("Retry-After", strconv.Itoa(int(math.Ceil(after.Seconds()))))
	h.Set("X-RateLimit-Scope", "shared")
	writeJSON(w, http.StatusTooManyRequests, map[string]any{
		"message":     "You are being rate limited.",
		"retry_after": math.Ceil(float64(after)/float64(time.Millisecond)) / 1000,
		"global":      false,
	})
}

func writeGlobal429(w http.ResponseWriter, after time.Duration) {
	h := w.Header()
	h.Set("Retry-After", strconv.Itoa(int(math.Ceil(after.Seconds()))))
	h.Set("X-RateLimit-Global", "true")
	h.Set("X-RateLimit-Scope", "global")
	writeJSON(w, http.StatusTooManyRequests, map[string]any{
		"message":     "You are being rate limited.",
		"retry_after": math.Ceil(float64(after)/float64(time.Millisecond)) / 1000,
		"global":      true,
	})
}

const cloudflarePage = `<!DOCTYPE html>
<html><head><title>Access denied | discord.com used Cloudflare to restrict access</title></head>
<body><h1>Error 1015</h1><p>You are being rate limited</p></body></html>
`

func writeFailure(w http.ResponseWriter, f failure) {
	switch {
	case f.cloudflare:
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, cloudflarePage)
	case f.status == http.StatusBadRequest:
		writeJSON(w, f.status, apiError{Code: 50035, Message: "Invalid Form Body", Errors: fieldErrors{{"content", "BASE_TYPE_BAD", "Injected failure."}}.tree()})
	case f.status == http.StatusUnauthorized:
		writeError(w, f.status, 0, "401: Unauthorized")
	case f.status == http.StatusForbidden:
		writeError(w, f.status, 50001, "Missing Access")
	case f.status == http.StatusNotFound:
		writeError(w, f.status, 10003, "Unknown Channel")
	case f.status == http.StatusBadGateway:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(f.status)
		fmt.Fprint(w, "<html><body><h1>502 Bad Gateway</h1></body></html>\n")
	default:
		writeError(w, f.status, 0, fmt.Sprintf("%d: %s", f.status, http.StatusText(f.status)))
	}
}
