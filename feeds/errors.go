package feeds

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// ErrorKind classifies a failed fetch or parse so that the poll loop can
// decide what to do next (back off, disable, report) without parsing error
// strings.
type ErrorKind int

const (
	// Network: DNS, connection refused, reset, TLS and similar failures.
	Network ErrorKind = iota + 1
	// Timeout: the connect or total timeout expired.
	Timeout
	// HTTPStatus: the server answered with a status we do not accept.
	HTTPStatus
	// TooLarge: the (decompressed) body exceeded the configured limit, or
	// the document went over one of the Parser's limits (items, nesting
	// depth, elements); then Err is a *LimitError.
	TooLarge
	// Blocked: the address is refused by the SSRF guard, or the URL scheme
	// is not allowed (file:// outside the config, ftp://, …).
	Blocked
	// Gone: HTTP 410; the feed should be disabled.
	Gone
	// NotAFeed: the document is an HTML page (Alternates lists the feeds it
	// links to) or JSON that is not a JSON Feed.
	NotAFeed
	// Parse: the document looks like a feed but cannot be parsed.
	Parse
	// TooManyRedirects: the redirect chain was longer than allowed.
	TooManyRedirects
	// Canceled: the caller's context was canceled (shutdown).
	Canceled
	// HostBusy: no request was sent: the feed's host had no free slot
	// (host_concurrency, host_gap) within the wait allowed. It says nothing
	// about the feed; try it again soon.
	HostBusy
)

var kindNames = map[ErrorKind]string{
	Network:          "network",
	Timeout:          "timeout",
	HTTPStatus:       "http status",
	TooLarge:         "too large",
	Blocked:          "blocked",
	Gone:             "gone",
	NotAFeed:         "not a feed",
	Parse:            "parse",
	TooManyRedirects: "too many redirects",
	Canceled:         "canceled",
	HostBusy:         "host busy",
}

func (k ErrorKind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("ErrorKind(%d)", int(k))
}

// Error is every error returned by Fetch and Parse. Its message is written
// for the person who reads the bot's log or Discord channel; it does not
// repeat the URL (callers prefix the feed's name and URL).
type Error struct {
	URL        string
	Status     int // HTTP status, 0 when there was no response
	Kind       ErrorKind
	RetryAfter time.Duration // from Retry-After on 429/503, 0 if absent
	Alternates []string      // for NotAFeed: feed URLs the page links to
	Err        error         // the underlying cause, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	switch e.Kind {
	case HTTPStatus, Gone:
		fmt.Fprintf(&b, "HTTP %d %s", e.Status, http.StatusText(e.Status))
		if e.Err != nil {
			fmt.Fprintf(&b, ": %v", e.Err)
		}
	case NotAFeed:
		b.WriteString("not a feed")
		if e.Err != nil {
			fmt.Fprintf(&b, " (%v)", e.Err)
		}
		if len(e.Alternates) > 0 {
			fmt.Fprintf(&b, "; it links to these feeds: %s", strings.Join(e.Alternates, ", "))
		}
		return b.String()
	default:
		if e.Err != nil {
			b.WriteString(e.Err.Error())
		} else {
			b.WriteString(e.Kind.String())
		}
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, ", retry after %s", e.RetryAfter)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }
