package bot

import (
	"sync"

	"github.com/newshound/newshound/internal/statelog"
)

// failReasons keeps, per feed, the reasons (statelog.Reason) its failure
// streak was logged with (statelog.Logged). It is memory only: a restart
// logs each way once more. The zero value is ready to use.
type failReasons struct {
	mu sync.Mutex
	by map[string]statelog.Logged
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
	isFirst := seen.First(reason)
	if r.by == nil {
		r.by = map[string]statelog.Logged{}
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
