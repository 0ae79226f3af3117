package bot

import (
	"context"
	"strings"
	"time"
)

// pollTick is how often the poll loop looks for due feeds. Feed intervals
// have a one-minute floor, so a second is plenty of precision.
const pollTick = time.Second

// pollMode says how pollFeed treats a feed's stored schedule.
type pollMode int

const (
	pollWhenDue       pollMode = iota // only if its stored next-poll time has come
	pollNow                           // now, unless it is disabled or backing off after errors
	pollRetryDisabled                 // now, even if disabled: one more try after a restart
)

// plan is when and how the poll loop will next poll one feed.
type plan struct {
	at   time.Time
	mode pollMode
}

// pollLoop polls each feed when it falls due, at most s.workers at once,
// until ctx is cancelled; it then waits for polls in progress.
func (s *Service) pollLoop(ctx context.Context) {
	sem := make(chan struct{}, s.workers)
	inFlight := map[string]bool{}
	done := make(chan string)
	plans := map[string]plan{}
	looked := map[string]bool{} // feeds planned at least once by this process
	t := time.NewTicker(pollTick)
	defer t.Stop()
	for {
		now := s.now()
		for _, f := range s.currentSubs().feedList() {
			if inFlight[f.ID] {
				continue
			}
			p, ok := plans[f.ID]
			if !ok {
				p = s.planPoll(ctx, f, !looked[f.ID], now)
				plans[f.ID], looked[f.ID] = p, true
			}
			if now.Before(p.at) {
				continue
			}
			select {
			case sem <- struct{}{}:
			default:
				continue // all workers busy; the feed stays due
			}
			inFlight[f.ID] = true
			go func(f *feedSpec, mode pollMode) {
				defer func() { <-sem; done <- f.ID }()
				s.pollFeed(ctx, f, mode)
			}(f, p.mode)
		}
		select {
		case <-ctx.Done():
			for len(inFlight) > 0 {
				delete(inFlight, <-done)
			}
			return
		case id := <-done:
			delete(inFlight, id)
			delete(plans, id) // re-read the next poll time the poll stored
		case <-t.C:
		}
	}
}

// planPoll decides when to poll a feed next. A feed never polled gets a
// first poll spread over its interval, so start-up is not a thundering
// herd; local files are read at once (they cost nothing, and a user who
// edits one expects to see the result). At start-up (first) a disabled feed
// gets one more try: its problem may have been fixed. Otherwise the stored
// schedule rules.
func (s *Service) planPoll(ctx context.Context, f *feedSpec, first bool, now time.Time) plan {
	st, ok := s.loadState(ctx, f)
	isFile := strings.HasPrefix(f.URL, "file:")
	switch {
	case !ok:
		return plan{at: now.Add(time.Minute)}
	case st.Disabled && first:
		return plan{at: now, mode: pollRetryDisabled}
	case st.Disabled:
		return plan{at: now.Add(365 * 24 * time.Hour)}
	case isFile && first:
		return plan{at: now, mode: pollNow}
	case !st.Initialized && st.LastPolled.IsZero():
		return plan{at: s.schedule(f).First(f.ID, now), mode: pollNow}
	default:
		return plan{at: st.NextPoll}
	}
}
