package bot

import (
	"slices"
	"sync"
)

// loggedReasons are the reasons (statelog.State or statelog.Reason) a
// run of failures was logged with, so that a feed or a destination failing
// in turns of a few ways (a CDN's 503, then its challenge page, then its
// 503 again) is logged at each way's first failure, not at every try that
// changes the way. A run whose every failure differs (a reason the
// normalization missed) is logged as before, each failure its own, once
// it outgrows maxLoggedReasons.
type loggedReasons []string

const maxLoggedReasons = 8

// first records reason and reports whether the run had not been logged
// with it.
func (l *loggedReasons) first(reason string) bool {
	if slices.Contains(*l, reason) {
		return false
	}
	if len(*l) == maxLoggedReasons {
		*l = slices.Delete(*l, 0, 1)
	}
	*l = append(*l, reason)
	return true
}

// failReasons keeps each feed's loggedReasons for its failure streak. It
// is memory only: a restart logs each way once more. The zero value is
// ready to use.
type failReasons struct {
	mu sync.Mutex
	by map[string]loggedReasons
}

// first records that feedID's streak failed for reason and reports whether
// it is the streak's first failure for it. start begins a new streak.
func (r *failReasons) first(feedID, reason string, start bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := r.by[feedID]
	if start {
		seen = nil
	}
	isFirst := seen.first(reason)
	if r.by == nil {
		r.by = map[string]loggedReasons{}
	}
	r.by[feedID] = seen
	return isFirst
}

// forget ends feedID's streak (it recovered).
func (r *failReasons) forget(feedID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.by, feedID)
}
