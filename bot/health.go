package bot

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/newshound/newshound/store"
)

// Health is the service's own account of whether it works, for probes
// (/healthz, /readyz) and operators.
type Health struct {
	// Live: the poll and send loops are turning.
	Live bool `json:"live"`
	// Ready: the store takes writes, no destination has been failing or
	// paused for long, and not every feed fails.
	Ready   bool     `json:"ready"`
	Reasons []string `json:"reasons,omitempty"`
}

// unreadyAfter is how long a destination may fail before the service
// reports itself not ready: a blip of a few retries is not an outage.
const unreadyAfter = time.Minute

// stallAfter is how long a loop may go without turning, or the sender
// without a send answered, before the service is reported not live. A
// send may take up to the HTTP timeout (30 s).
const stallAfter = 2 * time.Minute

// heartbeat records when a loop last turned.
type heartbeat struct{ at atomic.Int64 }

func (h *heartbeat) beat(now time.Time) { h.at.Store(now.UnixNano()) }

// progress records work done within a turn of a loop that has started
// (a send answered while the sender delivers a long backlog in one
// pass): a loop that works is not stalled. Outside the loop (RunOnce) it
// records nothing.
func (h *heartbeat) progress(now time.Time) {
	if h.at.Load() != 0 {
		h.beat(now)
	}
}

// stalled reports whether the loop started and then stopped turning.
func (h *heartbeat) stalled(now time.Time) bool {
	at := h.at.Load()
	return at != 0 && now.Sub(time.Unix(0, at)) > stallAfter
}

// feedHealth tracks which feeds failed their last poll.
type feedHealth struct {
	mu      sync.Mutex
	failing map[string]string // feed ID -> last error; absent: last poll worked
	known   map[string]bool
}

func (f *feedHealth) record(feedID string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recordLocked(feedID, err)
}

// recordStored takes a feed's stored state for how it fares until this
// process polls it: after a restart a feed backing off after failing, or
// disabled, is failing (run --once counts it so), not unknown for up to
// its 6 hours of back-off; one whose last poll worked is working. A feed
// never polled, or already known here, is left as it is.
func (f *feedHealth) recordStored(feedID string, st store.FeedState) {
	var err error
	switch {
	case st.Disabled:
		err = errors.New(st.DisabledReason)
	case st.ErrorCount > 0:
		err = errors.New(st.LastError)
	case st.LastPolled.IsZero():
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.known[feedID] {
		f.recordLocked(feedID, err)
	}
}

// forget drops what this process knew of a feed another instance polls:
// how it fares there is that instance's to tell.
func (f *feedHealth) forget(feedID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.known, feedID)
	delete(f.failing, feedID)
}

func (f *feedHealth) recordLocked(feedID string, err error) {
	if f.failing == nil {
		f.failing, f.known = map[string]string{}, map[string]bool{}
	}
	f.known[feedID] = true
	if err != nil {
		f.failing[feedID] = err.Error()
		return
	}
	delete(f.failing, feedID)
}

// allFailing reports whether every feed polled so far that is listed
// still failed its last poll. Feeds no longer listed (a reload dropped
// them, their last watch was removed) are forgotten.
func (f *feedHealth) allFailing(listed func(feedID string) bool) (n int, all bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id := range f.known {
		if !listed(id) {
			delete(f.known, id)
			delete(f.failing, id)
		}
	}
	return len(f.known), len(f.known) > 0 && len(f.failing) == len(f.known)
}

// Health reports liveness and readiness with the reasons for each fault.
func (s *Service) Health() Health {
	now := s.now()
	h := Health{Live: true, Ready: true}
	if s.poller.beat.stalled(now) || s.sender.beat.stalled(now) {
		h.Live = false
		h.Reasons = append(h.Reasons, "a service loop stopped turning")
	}
	if until := s.poller.storeDown.pausedUntil(); !until.IsZero() {
		h.Reasons = append(h.Reasons, "store: writes fail; polling paused")
	}
	if s.leases.failing("feed") {
		h.Reasons = append(h.Reasons, "store: taking feeds' leases fails")
	}
	if n := s.sender.storeErrs.FailingKinds(); n > 0 {
		h.Reasons = append(h.Reasons, "store: recording deliveries fails")
	}
	if s.sender.outboxLeasesFailing() {
		h.Reasons = append(h.Reasons, "store: taking outbox leases fails")
	}
	h.Reasons = append(h.Reasons, s.sender.unhealthy(now)...)
	cat := s.live.catalog()
	listed := func(id string) bool { _, ok := cat.Feed(id); return ok }
	if n, all := s.poller.feeds.allFailing(listed); all {
		h.Reasons = append(h.Reasons, fmt.Sprintf("every feed is failing (%d)", n))
	}
	h.Ready = h.Live && len(h.Reasons) == 0
	return h
}

// unhealthy lists the destinations that are paused, or have been failing
// for longer than unreadyAfter.
func (s *sender) unhealthy(now time.Time) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for dest, reason := range s.paused {
		out = append(out, fmt.Sprintf("destination %s paused: %s", dest, reason))
	}
	for dest, h := range s.health {
		if d := now.Sub(h.since); d > unreadyAfter {
			out = append(out, fmt.Sprintf("destination %s failing for %s: %s", dest, d.Round(time.Second), h.lastErr))
		}
	}
	sort.Strings(out)
	return out
}
