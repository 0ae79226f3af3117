package feeds

import (
	"context"
	"strings"
	"sync"
	"time"
)

// hostLimiter keeps newshound polite to each host: at most `slots` requests
// in flight and at least `gap` between the starts of two requests, so that
// 200 feeds of one site are not fetched at once. Waits end early when the
// context is canceled.
type hostLimiter struct {
	slots int
	gap   time.Duration

	mu    sync.Mutex
	hosts map[string]*hostState
}

type hostState struct {
	sem       chan struct{}
	nextStart time.Time
	users     int // goroutines holding or waiting for this state
}

func newHostLimiter(slots int, gap time.Duration) *hostLimiter {
	return &hostLimiter{slots: slots, gap: gap, hosts: make(map[string]*hostState)}
}

// acquire blocks until a request to host may start and returns the function
// that releases the slot.
func (l *hostLimiter) acquire(ctx context.Context, host string) (release func(), err error) {
	host = strings.ToLower(host)
	st := l.join(host)
	select {
	case st.sem <- struct{}{}:
	case <-ctx.Done():
		l.leave(host, st)
		return nil, ctx.Err()
	}
	release = func() {
		<-st.sem
		l.leave(host, st)
	}
	if start, wait := l.reserveStart(st); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			l.giveBackStart(st, start)
			release()
			return nil, ctx.Err()
		}
	}
	return release, nil
}

func (l *hostLimiter) join(host string) *hostState {
	l.mu.Lock()
	defer l.mu.Unlock()
	st, ok := l.hosts[host]
	if !ok {
		st = &hostState{sem: make(chan struct{}, l.slots)}
		l.hosts[host] = st
	}
	st.users++
	return st
}

// leave forgets a host nobody is using once its gap has passed, so the map
// does not grow with every host ever fetched.
func (l *hostLimiter) leave(host string, st *hostState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st.users--
	if st.users == 0 && !time.Now().Before(st.nextStart) {
		delete(l.hosts, host)
	}
}

// reserveStart books the next start time for this host and returns it,
// and how long the caller must wait for it.
func (l *hostLimiter) reserveStart(st *hostState) (start time.Time, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	start = now
	if st.nextStart.After(now) {
		start = st.nextStart
	}
	st.nextStart = start.Add(l.gap)
	return start, start.Sub(now)
}

// giveBackStart frees the start a wait given up booked, so that the
// host's next request does not wait a gap after a request never made.
// Only the last booking can be: one booked after it (several slots) waits
// for its own start already, and the next is a gap after that.
func (l *hostLimiter) giveBackStart(st *hostState, start time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if st.nextStart.Equal(start.Add(l.gap)) {
		st.nextStart = start
	}
}
