package store

import (
	"context"
	"net"
	"time"
)

// DefaultDedupeWindow is how long a story's dedupe keys suppress further
// alerts for the same destination unless WithDedupeWindow says otherwise.
const DefaultDedupeWindow = 48 * time.Hour

// Option configures a Store when it is opened.
type Option func(*options)

type options struct {
	now          func() time.Time
	dedupeWindow time.Duration
	// pgDial replaces how PostgreSQL connections are dialed (tests count
	// round trips with it).
	pgDial func(ctx context.Context, network, addr string) (net.Conn, error)
}

func newOptions(opts []Option) options {
	o := options{now: time.Now, dedupeWindow: DefaultDedupeWindow}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithDedupeWindow sets how long an enqueued alert's dedupe keys keep a
// second alert for the same story and destination out of the outbox.
func WithDedupeWindow(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.dedupeWindow = d
		}
	}
}

// WithClock replaces time.Now, so tests can move time past the dedupe window
// or a retry deadline without sleeping.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}
