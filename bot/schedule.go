package bot

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/newshound/newshound/store"
)

// pollTick is how often the poll loop looks for due feeds. Feed intervals
// have a one-minute floor, so a second is plenty of precision.
const pollTick = time.Second

// pollLoop polls each feed when it falls due, at most s.workers at once,
// until ctx is cancelled; it then waits for polls in progress.
func (s *Service) pollLoop(ctx context.Context) {
	sem := make(chan struct{}, s.workers)
	inFlight := map[string]bool{}
	done := make(chan string)
	due := map[string]time.Time{}
	t := time.NewTicker(pollTick)
	defer t.Stop()
	for {
		now := s.now()
		for _, f := range s.currentSubs().feedList() {
			if inFlight[f.ID] || !s.isDue(ctx, f, due, now) {
				continue
			}
			select {
			case sem <- struct{}{}:
			default:
				continue // all workers busy; the feed stays due
			}
			inFlight[f.ID] = true
			go func(f *feedSpec) {
				defer func() { <-sem; done <- f.ID }()
				s.pollFeed(ctx, f, false)
			}(f)
		}
		select {
		case <-ctx.Done():
			for len(inFlight) > 0 {
				delete(inFlight, <-done)
			}
			return
		case id := <-done:
			delete(inFlight, id)
			delete(due, id) // re-read the next poll time the poll stored
		case <-t.C:
		}
	}
}

// isDue reports whether feed f should be polled now, caching each feed's
// next poll time between ticks. A feed never polled gets a first poll
// spread over its interval, so start-up is not a thundering herd; a feed
// whose state says it was polled before resumes its stored schedule.
func (s *Service) isDue(ctx context.Context, f *feedSpec, due map[string]time.Time, now time.Time) bool {
	next, ok := due[f.ID]
	if !ok {
		st, err := s.store.FeedState(ctx, f.ID)
		switch {
		case errors.Is(err, store.ErrNotFound) && strings.HasPrefix(f.URL, "file:"):
			next = now // local files cost nothing to read: no need to spread them
		case errors.Is(err, store.ErrNotFound):
			next = s.schedule(f).First(f.ID, now)
		case err != nil:
			s.log.Error("reading feed state", "feed", f.ID, "err", err)
			next = now.Add(time.Minute)
		case st.Disabled:
			next = now.Add(24 * time.Hour * 365)
		default:
			next = st.NextPoll
		}
		due[f.ID] = next
	}
	return !now.Before(next)
}
