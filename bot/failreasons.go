package bot

import (
	"slices"
	"sync"
)

// failReasons remembers, per feed, the reasons (statelog.Reason) its
// failure streak was logged with, so that a feed failing in turns of a few
// ways (a CDN's 503, then its challenge page, then its 503 again) is
// logged at each way's first failure, not at every poll that changes the
// way. It is memory only: a restart logs each way once more. The zero
// value is ready to use.
type failReasons struct {
	mu sync.Mutex
	by map[string][]string
}

// maxFailReasons bounds what a feed's streak remembers: a feed whose
// every failure differs (a reason the normalization missed) is logged as
// before, each failure its own.
const maxFailReasons = 8

// first records that feedID's streak failed for reason and reports whether
// it is the streak's first failure for it. start begins a new streak.
func (r *failReasons) first(feedID, reason string, start bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := r.by[feedID]
	if start {
		seen = seen[:0]
	} else if slices.Contains(seen, reason) {
		return false
	}
	if len(seen) == maxFailReasons {
		seen = slices.Delete(seen, 0, 1)
	}
	if r.by == nil {
		r.by = map[string][]string{}
	}
	r.by[feedID] = append(seen, reason)
	return true
}

// forget ends feedID's streak (it recovered).
func (r *failReasons) forget(feedID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.by, feedID)
}
