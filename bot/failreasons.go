package bot

import (
	"maps"
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
// each way once more. On a shared store another instance may poll the
// feed between this one's polls, so whether a recovery held is read from
// the stored state, not from the polls this instance made (see after).
// The zero value is ready to use.
type failReasons struct {
	mu sync.Mutex
	by map[string]*failStretch
}

// failStretch is one feed's failures from its first until a recovery
// holds, across the recoveries that did not.
type failStretch struct {
	logged      statelog.Logged
	since       time.Time // its first failure
	recovered   time.Time // its latest recovery this instance saw, zero while failing
	lastFailure time.Time // its latest failure this instance saw
	failures    int
	relapses    int  // failures that came before a recovery held
	flapping    bool // logged as flapping, and neither steady nor down since
}

// after is the earliest the stretch's latest recovery can be: the one
// this instance saw, or, when another instance saw it, this one's latest
// failure. A success (or a streak begun) less than flapHold after it
// shows that recovery has not held.
func (s *failStretch) after() time.Time {
	if s.recovered.After(s.lastFailure) {
		return s.recovered
	}
	return s.lastFailure
}

// holding reports whether lastSuccess, a feed's latest successful poll,
// is one of the stretch's recovery that has not held yet.
func (s *failStretch) holding(lastSuccess time.Time) bool {
	after := s.after()
	return !lastSuccess.Before(after) && lastSuccess.Before(after.Add(flapHold))
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
// schedule's view (its streak of failures begins); lastSuccess is the
// stored state's last successful poll, by whichever instance: a relapse
// is a start after the stretch's recovery (a state started afresh, its
// url changed, has had none) and before any success flapHold after it.
func (r *failReasons) fail(feedID, reason string, start bool, now, lastSuccess time.Time) (failNote, failStretch) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.by[feedID]
	relapse := start && s != nil && s.holding(lastSuccess)
	if s == nil || (start && !relapse) {
		s = r.begin(feedID, failStretch{since: now})
	}
	s.failures++
	s.lastFailure = now
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

// recovered records feedID's recovery at now from a streak of n
// failures since failingSince, and says what it is worth: a line
// ("feed recovered") but while the feed is flapping, or, for a streak
// this instance saw none of (another polled the feed), begun before the
// recovery it knew of had held, its first relapse (a "feed flapping" line).
func (r *failReasons) recovered(feedID string, now, failingSince time.Time, n int) (failNote, failStretch) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.by[feedID]
	switch {
	case s != nil && !failingSince.After(s.after()): // a streak it saw
		s.recovered = now
		if s.flapping {
			return failQuiet, *s
		}
		return failNew, *s
	case s != nil && failingSince.Before(s.after().Add(flapHold)):
		s.recovered, s.relapses, s.failures = now, s.relapses+1, s.failures+n
		if s.flapping {
			return failQuiet, *s
		}
		s.flapping = true
		return failFlapping, *s
	}
	return failNew, *r.begin(feedID, failStretch{since: failingSince, recovered: now, failures: n})
}

// begin makes s feedID's stretch, in place of any before. The caller
// holds mu.
func (r *failReasons) begin(feedID string, s failStretch) *failStretch {
	if r.by == nil {
		r.by = map[string]*failStretch{}
	}
	r.by[feedID] = &s
	return &s
}

// healthy records a successful poll of feedID that was no recovery: once
// the stretch's recovery has held for flapHold the stretch ends, and it
// reports the stretch when it ends flapping (worth a line).
func (r *failReasons) healthy(feedID string, now time.Time) (failStretch, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.by[feedID]
	if s == nil || now.Sub(s.after()) < flapHold {
		return failStretch{}, false
	}
	delete(r.by, feedID)
	return *s, s.flapping
}

// keepOnly forgets the feeds listed does not list (gone from the config
// or the watches), whose stretches no poll ends.
func (r *failReasons) keepOnly(listed func(feedID string) bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	maps.DeleteFunc(r.by, func(feedID string, _ *failStretch) bool { return !listed(feedID) })
}

// forget forgets feedID's stretch: that of a feed removed while its poll
// was in flight, which keepOnly kept and that poll's end may have begun
// again.
func (r *failReasons) forget(feedID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.by, feedID)
}
