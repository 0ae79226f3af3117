package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/newshound/newshound/store"
)

// leases lets instances that share a store (PostgreSQL) split the work:
// a feed is polled, a destination's outbox sent and the Discord gateway
// held by one instance at a time. A lease lasts ttl unrenewed; renew keeps
// every lease this instance holds alive, so a dead instance's work is taken
// over within ttl. A store that is not shared (SQLite has one owner, held
// by an OS lock) has no leases at all: take always succeeds and nothing is
// written.
type leases struct {
	leaser store.Leaser // nil: not shared
	owner  string
	ttl    time.Duration
	log    *slog.Logger

	mu   sync.Mutex
	held map[string]bool
	errs *stateLog
}

func newLeases(st store.Store, ttl time.Duration, log *slog.Logger) *leases {
	l := &leases{owner: instanceName(), ttl: ttl, log: log, held: map[string]bool{}, errs: newStateLog(log)}
	if leaser, ok := st.(store.Leaser); ok {
		l.leaser = leaser
	}
	return l
}

// shared reports whether the store is shared, so that leases matter.
func (l *leases) shared() bool { return l.leaser != nil }

// instanceName identifies this process among instances sharing a store.
func instanceName() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// take claims the named lease ("feed:ID", "outbox:DEST", "gateway") and
// reports whether this instance holds it now. A held lease is renewed by
// renewLoop until release.
func (l *leases) take(ctx context.Context, name string) bool {
	if l.leaser == nil {
		return true
	}
	got, err := l.leaser.Lease(ctx, name, l.owner, l.ttl)
	if err != nil {
		if ctx.Err() == nil {
			l.errs.fail("lease", "taking a lease failed; the work waits for the next try", err, "lease", name)
		}
		return false
	}
	l.errs.ok("lease", "taking leases works again")
	if got {
		l.mu.Lock()
		l.held[name] = true
		l.mu.Unlock()
	}
	return got
}

// release gives a lease back at once, so another instance need not wait
// for it to expire.
func (l *leases) release(ctx context.Context, name string) {
	if l.leaser == nil {
		return
	}
	l.mu.Lock()
	delete(l.held, name)
	l.mu.Unlock()
	// Release even when ctx was cancelled (Ctrl-C mid-poll).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := l.leaser.Release(ctx, name, l.owner); err != nil {
		l.log.Debug("releasing a lease", "lease", name, "err", err)
	}
}

// holds reports whether this instance still holds the lease: renewLoop
// forgets a lease that another instance took over.
func (l *leases) holds(name string) bool {
	if l.leaser == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held[name]
}

// renewLoop renews every held lease each ttl/3 until ctx ends. A lease
// found lost (this instance stalled past its ttl and another took it) is
// forgotten; the work under it stops at its next check of holds.
func (l *leases) renewLoop(ctx context.Context) {
	if l.leaser == nil {
		return
	}
	t := time.NewTicker(l.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		l.mu.Lock()
		names := make([]string, 0, len(l.held))
		for n := range l.held {
			names = append(names, n)
		}
		l.mu.Unlock()
		for _, n := range names {
			got, err := l.leaser.Lease(ctx, n, l.owner, l.ttl)
			if err != nil {
				if ctx.Err() == nil {
					l.errs.fail("renew", "renewing leases failed; retrying", err, "lease", n)
				}
				continue
			}
			l.errs.ok("renew", "renewing leases works again")
			l.mu.Lock()
			released := !l.held[n]
			l.mu.Unlock()
			if released && got {
				// Given back while we renewed it: give it back again.
				_ = l.leaser.Release(ctx, n, l.owner)
				continue
			}
			if !got {
				l.log.Warn("lease lost to another instance", "lease", n)
				l.mu.Lock()
				delete(l.held, n)
				l.mu.Unlock()
			}
		}
	}
}
