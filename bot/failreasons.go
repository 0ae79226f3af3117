package bot

import (
	"sync"
	"time"

	"github.com/newshound/newshound/internal/statelog"
)

// flapHold is how long a feed's recovery must hold, shown by a successful
// poll that long after it, for its next failure to be a new one: a feed
// that fails and recovers in turn (a CDN that answers 503 every other
// poll) would log two lines a cycle, some 300 a day at a 10-minute
// interval, where it is one lasting condition.
const flapHold = time.Hour

// failReasons keeps, per feed, the stretch of failures it is in: the
// reasons (statelog.Reason) the stretch was logged with (statelog.Logged),
// and its recoveries that have not held yet (flapHold), so that a failure
// soon after one continues the stretch. It is memory only: a restart logs
// each way once more. The zero value is ready to use.
type failReasons struct {
	mu sync.Mutex
	by map[string]*failStretch
}

// failStretch is one feed's failures from its first until a recovery
// holds, across the recoveries that did not.
type failStretch struct {
	logged    statelog.Logged
	since     time.Time // its first failure
	recovered time.Time // its latest recovery, zero while failing
	failures  int
	relapses  int  // failures that came before a recovery held
	flapping  bool // logged as flapping, and neither steady nor down since
}

// failNote is what a failure is worth saying.
type failNote int

const (
	failQuiet    failNote = iota // counted only
	failNew                      // a stretch's first failure, or a relapse's first in its way
	failReason                   // a change, in a streak, to a way the stretch was not logged with
	failFlapping                 // the stretch's first relapse of a logged reason
)

// fail records that feedID failed at now for reason. start is the
// schedule's view (its streak of failures begins); within is how long
// after a recovery a failure is still a relapse, bounding what an
// instance remembers of a feed others may have polled since.
func (r *failReasons) fail(feedID, reason string, start bool, now time.Time, within time.Duration) (failNote, failStretch) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.by[feedID]
	relapse := start && s != nil && !s.recovered.IsZero() && now.Sub(s.recovered) < within
	if s == nil || (start && !relapse) {
		s = &failStretch{since: now}
		if r.by == nil {
			r.by = map[string]*failStretch{}
		}
		r.by[feedID] = s
	}
	s.failures++
	isFirst := s.logged.First(reason)
	note := failQuiet
	switch {
	case start && (!relapse || isFirst):
		note = failNew
	case isFirst:
		note = failReason
	case relapse && !s.flapping:
		s.flapping, note = true, failFlapping
	}
	if relapse {
		s.recovered = time.Time{}
		s.relapses++
	}
	return note, *s
}

// stillDown reports, once, that a flapping feed's failure has lasted
// flapHold (since failingSince): it no longer recovers in turn.
func (r *failReasons) stillDown(feedID string, failingSince, now time.Time) (failStretch, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.by[feedID]
	if s == nil || !s.flapping || now.Sub(failingSince) < flapHold {
		return failStretch{}, false
	}
	s.flapping = false
	return *s, true
}

// recovered records feedID's recovery at now and reports whether it is
// worth a line: not while the feed is flapping.
func (r *failReasons) recovered(feedID string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.by[feedID]
	if s == nil {
		return true
	}
	s.recovered = now
	return !s.flapping
}

// healthy records a successful poll of feedID that was no recovery: once
// the stretch's recovery has held for flapHold the stretch ends, and it
// reports the stretch when it ends flapping (worth a line).
func (r *failReasons) healthy(feedID string, now time.Time) (failStretch, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.by[feedID]
	if s == nil || s.recovered.IsZero() || now.Sub(s.recovered) < flapHold {
		return failStretch{}, false
	}
	delete(r.by, feedID)
	return *s, s.flapping
}
