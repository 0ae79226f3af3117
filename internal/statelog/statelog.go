// Package statelog reports a lasting condition once per change of state,
// not once per attempt, and says what counts as the same failure again
// (State, Reason). The service's store errors and a notifier's refused
// recipients both use it, so that a failure repeated on every pass fills
// no log.
package statelog

import (
	"errors"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/newshound/newshound/bot/notify"
)

// Log reports a lasting condition once per change of state, not once
// per attempt: the first failure of a kind is logged with its error, the
// same failure again (same State) only counts, a different failure
// is logged with the run's count of the previous one (but for one the run was
// logged with before: Logged), and the recovery is logged once with the
// whole run's count and start.
type Log struct {
	log *slog.Logger
	now func() time.Time // when a run of failures began, for the recovery line
	mu  sync.Mutex
	bad map[string]*failing
}

type failing struct {
	state  string         // State of the error: what is compared
	err    string         // the latest error's full text: what is reported
	counts map[string]int // the run's failures by state, for the change's previous_count
	logged Logged
	// total and since are the whole run's, in whatever states, for the
	// recovery line: one failing in turns ends in a state of one failure.
	total int
	since time.Time
}

// Logged are the states a run of failures was logged with, so that one
// failing in turns of a few ways (a CDN's 503, then its challenge page,
// then its 503 again) is logged at each way's first failure, not at every
// try that changes the way. A run whose every failure differs (a state
// the normalization missed) is logged as before, each failure its own,
// once it outgrows maxLogged. The zero value is an empty run.
type Logged []string

const maxLogged = 8

// First records state and reports whether the run had not been logged
// with it.
func (l *Logged) First(state string) bool {
	if slices.Contains(*l, state) {
		return false
	}
	if len(*l) == maxLogged {
		*l = slices.Delete(*l, 0, 1)
	}
	*l = append(*l, state)
	return true
}

// New returns a Log that writes to log.
func New(log *slog.Logger) *Log {
	return NewAt(log, time.Now)
}

// NewAt is New for a caller with a clock of its own (the service's), so
// that a run's start in its recovery line is by the same clock as the
// caller's other lines.
func NewAt(log *slog.Logger, now func() time.Time) *Log {
	return &Log{log: log, now: now, bad: map[string]*failing{}}
}

// Fail records a failure of kind; it logs msg at error level when the
// kind was healthy or its failure changed state.
func (s *Log) Fail(kind, msg string, err error, args ...any) {
	s.fail(kind, msg, err, State(err), args)
}

// FailByCause is Fail for a store's failure, whose state is its cause's
// (Cause): the store's own answer, whichever feed's or row's write it
// refused, so that a full disk that refuses every feed's state is one
// failure, not a new one at each feed.
func (s *Log) FailByCause(kind, msg string, err error, args ...any) {
	s.fail(kind, msg, err, State(Cause(err)), args)
}

// Cause is the innermost error err wraps, err itself if it wraps none;
// through a join (errors.Join: a transaction's failure and its rollback's),
// the first of its errors.
func Cause(err error) error {
	for {
		var inner error
		switch e := err.(type) {
		case interface{ Unwrap() error }:
			inner = e.Unwrap()
		case interface{ Unwrap() []error }:
			if errs := e.Unwrap(); len(errs) > 0 {
				inner = errs[0]
			}
		}
		if inner == nil {
			return err
		}
		err = inner
	}
}

func (s *Log) fail(kind, msg string, err error, state string, args []any) {
	s.mu.Lock()
	f := s.bad[kind]
	text := err.Error()
	switch {
	case f == nil:
		f = &failing{state: state, err: text, counts: map[string]int{state: 1}, total: 1, since: s.now()}
		f.logged.First(state)
		s.bad[kind] = f
	case f.state == state:
		f.err = text
		f.counts[state]++
		f.total++
		s.mu.Unlock()
		return
	default:
		prevErr, prevCount := f.err, f.counts[f.state]
		f.state, f.err = state, text
		f.counts[state]++
		f.boundCounts()
		f.total++
		if !f.logged.First(state) {
			s.mu.Unlock()
			return
		}
		args = append(args, "previous_error", prevErr, "previous_count", prevCount)
	}
	s.mu.Unlock()
	s.log.Error(msg, append(args, "err", err)...)
}

// boundCounts keeps the counts of the states the run was logged with and
// of its state now: one whose every failure differs (a state State missed)
// would add one a failure.
func (f *failing) boundCounts() {
	if len(f.counts) > maxLogged+1 {
		maps.DeleteFunc(f.counts, func(state string, _ int) bool {
			return state != f.state && !slices.Contains(f.logged, state)
		})
	}
}

// OK records a success of kind; after failures it logs msg once, with how
// many failures the run had, in all its states, and since when.
func (s *Log) OK(kind, msg string, args ...any) {
	s.mu.Lock()
	f := s.bad[kind]
	delete(s.bad, kind)
	s.mu.Unlock()
	if f != nil {
		s.log.Info(msg, append(args, "failures", f.total, "failing_since", f.since.Format(time.RFC3339), "last_error", f.err)...)
	}
}

// Forget drops what is known of kind without logging: its next failure
// is logged as a first one. For a caller that forgets a kind idle for long,
// so that kinds named after things that come and go stay bounded.
func (s *Log) Forget(kind string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.bad, kind)
}

// ForgetIf is Forget for each kind gone says is gone, for kinds named
// after things the caller cannot list (a destination that was dropped to).
func (s *Log) ForgetIf(gone func(kind string) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	maps.DeleteFunc(s.bad, func(kind string, _ *failing) bool { return gone(kind) })
}

// Failing reports whether kind is failing now.
func (s *Log) Failing(kind string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, bad := s.bad[kind]
	return bad
}

// FailingKinds counts the kinds failing now (for health).
func (s *Log) FailingKinds() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bad)
}

// State is what a failure is, for deciding whether it is the same
// failure again: its error text without what changes from one attempt to
// the next though nothing else did. See Reason. A destination asking
// to wait is its own state whatever the wait.
func State(err error) string {
	if err == nil {
		return ""
	}
	if r, ok := errors.AsType[*notify.RetryError](err); ok && r.Err != nil {
		return "asks to wait: " + Reason(r.Err.Error())
	}
	return Reason(err.Error())
}

var (
	// a Go-quoted string (%q), as notifiers quote a response body
	quotedRe = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	// an IPv4 or bracketed IPv6 address, with its port if any, as in
	// "read tcp 127.0.0.1:40402->10.0.0.7:443"
	addrRe = regexp.MustCompile(`\[[0-9A-Fa-f.%\w]*:[0-9A-Fa-f:.%\w]*\](?::\d+)?|\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b`)
	// a Go duration: "retry in 30s", "retry after 1m30s"
	durationRe = regexp.MustCompile(`\b(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|h|m|s))+\b`)
	// an id or counter: a run of four or more hex digits and dashes with a
	// digit in it (a ray or request id, a UUID, a port, a byte offset),
	// but for a code that tells failures apart, after "code" or "SQLSTATE"
	// (Discord's "code 50035", PostgreSQL's "SQLSTATE 57014")
	idRe = regexp.MustCompile(`((?i:code|sqlstate)\s+)?\b[0-9A-Fa-f][0-9A-Fa-f-]{3,}\b`)
)

// maxQuotedReason is the longest quoted text (quotes included) kept as
// part of a failure's state: a short response body names the failure
// ("rollup_error"), a long one is a page that may carry ids.
const maxQuotedReason = 42

// Reason normalizes an error's text to the state it reports: long
// quoted response bodies, network addresses and ports, durations and ids are cut,
// so that a proxy's 502 page with a new ray id, or a reset connection on a
// new ephemeral port, is the same failure as before; the HTTP status, the
// error class ("connection reset by peer", "timeout") and the rest of the
// wording are kept, so that a different failure is a new state. It works on
// text because a feed's last error is kept as text across restarts.
func Reason(text string) string {
	s := quotedRe.ReplaceAllStringFunc(text, func(q string) string {
		if len(q) <= maxQuotedReason {
			return q // a short body is the reason: "channel_not_found"
		}
		return `"…"`
	})
	s = addrRe.ReplaceAllString(s, "ADDR")
	s = durationRe.ReplaceAllString(s, "D")
	s = idRe.ReplaceAllStringFunc(s, func(id string) string {
		if !strings.ContainsAny(id, "0123456789") || idRe.FindStringSubmatch(id)[1] != "" {
			return id
		}
		return "#"
	})
	return s
}
