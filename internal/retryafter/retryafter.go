// Package retryafter reads an HTTP Retry-After header, for the notifiers
// that must honour it.
package retryafter

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Parse reads a Retry-After value: delay seconds ("120") or an HTTP date,
// turned into a duration from now. A date in the past is 0. It reports
// false when the value is absent or unreadable, so the caller can tell
// "retry now" (0, true) from "no advice" (0, false).
func Parse(value string, now time.Time) (time.Duration, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(value, 64); err == nil {
		if secs < 0 || secs > (1<<62)/float64(time.Second) {
			return 0, false
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	at, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	return max(at.Sub(now), 0), true
}

// Sleep waits d, or until ctx ends (its error).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
