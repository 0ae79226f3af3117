package statelog

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify"
)

// TestFailureState: what differs between attempts of one failure is not a
// change of state; the HTTP status and the error class are.
func TestFailureState(t *testing.T) {
	same := []struct {
		name string
		a, b error
	}{
		{"ray id in a quoted body",
			errors.New(`webhook https://h.example/…: HTTP 502 ("<html>Bad gateway. Cloudflare Ray ID: 7d3f0000</html>")`),
			errors.New(`webhook https://h.example/…: HTTP 502 ("<html>Bad gateway. Cloudflare Ray ID: 8e10ffa3b2</html>")`)},
		{"ephemeral port",
			errors.New("read tcp 127.0.0.1:40402->127.0.0.1:8443: read: connection reset by peer"),
			errors.New("read tcp 127.0.0.1:51877->127.0.0.1:8443: read: connection reset by peer")},
		{"ipv6 addresses",
			errors.New("dial tcp [2001:db8::1]:443: connect: connection refused"),
			errors.New("dial tcp [2001:db8::2]:443: connect: connection refused")},
		{"retry after",
			&notify.RetryError{After: 30 * time.Second, Err: errors.New("slack webhook h.example: HTTP 429 \"rate_limited\"")},
			&notify.RetryError{After: 95 * time.Second, Err: errors.New("slack webhook h.example: HTTP 429 \"rate_limited\"")}},
		{"discord request id",
			errors.New("discord: HTTP 502 upstream error, request 4b1d0c1e-22aa-4c3b-9d7e-0a2f6b3c9e11"),
			errors.New("discord: HTTP 502 upstream error, request 9f8e7d6c-1234-4abc-8def-00112233aabb")},
	}
	for _, tt := range same {
		if a, b := State(tt.a), State(tt.b); a != b {
			t.Errorf("%s: states differ:\n%q\n%q", tt.name, a, b)
		}
	}
	differ := []struct {
		name string
		a, b error
	}{
		{"status", errors.New("webhook h: HTTP 502"), errors.New("webhook h: HTTP 503")},
		{"error class",
			errors.New("read tcp 127.0.0.1:40402->127.0.0.1:8443: read: connection reset by peer"),
			errors.New("dial tcp 127.0.0.1:8443: connect: connection refused")},
		{"asked to wait", errors.New("webhook h: HTTP 503"), &notify.RetryError{After: time.Minute, Err: errors.New("webhook h: HTTP 503")}},
		{"short body",
			errors.New(`slack webhook hooks.slack.com: HTTP 404 "no_service"`),
			errors.New(`slack webhook hooks.slack.com: HTTP 404 "channel_not_found"`)},
		{"short page",
			errors.New(`slack webhook hooks.slack.com: HTTP 500 "rollup_error"`),
			errors.New(`slack webhook hooks.slack.com: HTTP 500 "<html>maintenance</html>"`)},
		{"discord code",
			errors.New("discord: POST /channels/1/messages: HTTP 400 Invalid Form Body (code 50035)"),
			errors.New("discord: POST /channels/1/messages: HTTP 400 Invalid Form Body (code 50006)")},
		{"sqlstate",
			errors.New("ERROR: deadlock detected (SQLSTATE 40P01)"),
			errors.New("ERROR: could not serialize access (SQLSTATE 40001)")},
	}
	for _, tt := range differ {
		if a, b := State(tt.a), State(tt.b); a == b {
			t.Errorf("%s: same state %q", tt.name, a)
		}
	}
}

// TestLogCountsAFailureWhoseTextVaries: Log logs the first
// failure with its full reason, counts the same failure with another
// address, and gives the count at the change and the run's at the recovery.
func TestLogCountsAFailureWhoseTextVaries(t *testing.T) {
	var logs bytes.Buffer
	s := New(slog.New(slog.NewTextHandler(&logs, nil)))
	for i := range 3 {
		s.Fail("write", "saving failed", fmt.Errorf("dial tcp 10.0.0.5:%d->10.0.0.9:5432: connection reset by peer", 40000+i))
	}
	s.Fail("write", "saving failed", errors.New("database or disk is full (SQLITE_FULL)"))
	s.Fail("write", "saving failed", errors.New("database or disk is full (SQLITE_FULL)"))
	s.OK("write", "saving works again")
	out := logs.String()
	if got := strings.Count(out, `msg="saving failed"`); got != 2 {
		t.Errorf("logged %d times for two kinds of failure, want 2:\n%s", got, out)
	}
	for _, want := range []string{"10.0.0.5:40000", "previous_count=3", `msg="saving works again" failures=5`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

// TestForget: a kind forgotten is not failing, its recovery is not
// logged, and its next failure is logged as a first one.
func TestForget(t *testing.T) {
	var logs bytes.Buffer
	s := New(slog.New(slog.NewTextHandler(&logs, nil)))
	fail := func() { s.Fail("post:1", "left out", errors.New("HTTP 403")) }
	fail()
	fail()
	s.Forget("post:1")
	if s.Failing("post:1") || s.FailingKinds() != 0 {
		t.Errorf("a forgotten kind is failing")
	}
	s.OK("post:1", "works again")
	fail()
	out := logs.String()
	if got, want := []int{strings.Count(out, `msg="left out"`), strings.Count(out, "works again")}, []int{2, 0}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("logged [failures recoveries] %v, want %v:\n%s", got, want, out)
	}
}

// TestFailByCauseIsOneStateWhateverRowFailed: a store's failure wrapped
// with the feed whose write it refused ("save feed state \"wire\"",
// through a transaction's join with its rollback) is one state however
// many feeds it refuses in turn: logged once, then counted; another
// cause is a change.
func TestFailByCauseIsOneStateWhateverRowFailed(t *testing.T) {
	full := errors.New("constraint failed: database or disk is full (1811)")
	refused := func(feed string, cause error) error {
		return errors.Join(fmt.Errorf("save feed state %q: %w", feed, cause))
	}
	var logs bytes.Buffer
	s := New(slog.New(slog.NewTextHandler(&logs, nil)))
	for range 5 {
		for _, feed := range []string{"wire", "other", "reuters"} {
			s.FailByCause("write", "saving failed", refused(feed, full))
		}
	}
	s.FailByCause("write", "saving failed", refused("wire", errors.New("disk I/O error (522)")))
	s.OK("write", "saving works again")
	out := logs.String()
	if got := strings.Count(out, `msg="saving failed"`); got != 2 {
		t.Errorf("logged %d times for 15 refusals of one cause and one of another, want 2:\n%s", got, out)
	}
	for _, want := range []string{"previous_count=15", `msg="saving works again" failures=16`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

// TestFailuresInTurnsAreLoggedOnceEach: a failure that changes back and
// forth between two states (a database answering "connection refused" and
// timing out in turn while it restarts) is logged at each state's first
// time, then counted, not at every change.
func TestFailuresInTurnsAreLoggedOnceEach(t *testing.T) {
	var logs bytes.Buffer
	s := New(slog.New(slog.NewTextHandler(&logs, nil)))
	for i := range 10 {
		if i%2 == 0 {
			s.Fail("read", "reading failed", errors.New("dial tcp 10.0.0.9:5432: connect: connection refused"))
		} else {
			s.Fail("read", "reading failed", errors.New("read tcp 10.0.0.5:40400->10.0.0.9:5432: i/o timeout"))
		}
	}
	s.OK("read", "reading works again")
	s.Fail("read", "reading failed", errors.New("dial tcp 10.0.0.9:5432: connect: connection refused"))
	if got := strings.Count(logs.String(), `msg="reading failed"`); got != 3 {
		t.Errorf("logged %d times for ten failures in turns of two ways and one after the recovery, want 3:\n%s", got, logs.String())
	}
}

// TestRecoveryTellsTheWholeRun: the recovery line counts every failure of
// the run, in whatever states, and says since when it failed, not only
// the last state's failures.
func TestRecoveryTellsTheWholeRun(t *testing.T) {
	refused := errors.New("dial tcp 10.0.0.9:5432: connect: connection refused")
	timeout := errors.New("read tcp 10.0.0.5:40400->10.0.0.9:5432: i/o timeout")
	full := errors.New("database or disk is full (SQLITE_FULL)")
	tests := []struct {
		name string
		errs []error
	}{
		{"one state", []error{refused, refused, refused}},
		{"a change", []error{refused, refused, refused, full, full}},
		{"in turns", []error{refused, timeout, refused, timeout, refused, timeout, refused}},
	}
	start := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			s := New(slog.New(slog.NewTextHandler(&logs, nil)))
			clock := start
			s.now = func() time.Time { return clock }
			for _, err := range tt.errs {
				s.Fail("read", "reading failed", err)
				clock = clock.Add(time.Minute)
			}
			s.OK("read", "reading works again")
			want := fmt.Sprintf(`msg="reading works again" failures=%d failing_since=%s`, len(tt.errs), start.Format(time.RFC3339))
			if !strings.Contains(logs.String(), want) {
				t.Errorf("log lacks %q:\n%s", want, logs.String())
			}
		})
	}
}

// TestPreviousCountIsTheRunsOfThatState: a change's previous_count is how
// many times the run failed the previous way, not only since its last
// turn: a database refusing connections and timing out in turn, then
// full, refused four times.
func TestPreviousCountIsTheRunsOfThatState(t *testing.T) {
	refused := errors.New("dial tcp 10.0.0.9:5432: connect: connection refused")
	timeout := errors.New("read tcp 10.0.0.5:40400->10.0.0.9:5432: i/o timeout")
	full := errors.New("database or disk is full (SQLITE_FULL)")
	var logs bytes.Buffer
	s := New(slog.New(slog.NewTextHandler(&logs, nil)))
	for _, err := range []error{refused, refused, timeout, refused, refused, full} {
		s.Fail("read", "reading failed", err)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	last := lines[len(lines)-1]
	if want := "previous_count=4 "; !strings.Contains(last, want) {
		t.Errorf("the change to a full disk lacks %q:\n%s", want, last)
	}
}
