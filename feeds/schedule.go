package feeds

import (
	"errors"
	"fmt"
	"hash/fnv"
	"time"
)

// Schedule is the next-poll policy. The poll loop calls Next after every
// poll; the policy itself keeps no state, so it is easy to test and to
// share between instances.
//
// Zero fields take the defaults of DefaultSchedule; a negative HintCap or
// MaxIdleInterval switches that feature off.
type Schedule struct {
	// Interval is the configured poll interval (default 10m).
	Interval time.Duration
	// MinInterval is the floor for any interval (default and minimum 1m).
	MinInterval time.Duration
	// HintCap is the longest a feed's own hints (RSS <ttl>,
	// sy:updatePeriod, Cache-Control max-age) may stretch Interval. Hints
	// only ever mean "no more often than": they never make polling faster.
	// Negative ignores hints — the configured interval always wins, which
	// is what a newsroom that asks for speed wants. Default 1h.
	HintCap time.Duration
	// IdleAfter is how long a feed must go unchanged before it is polled
	// less often (default 24h). Each further IdleAfter without change doubles
	// the interval, up to MaxIdleInterval; a change brings it back.
	IdleAfter time.Duration
	// MaxIdleInterval caps the slow-down of idle feeds (default 2h);
	// negative disables the slow-down.
	MaxIdleInterval time.Duration
	// MaxBackoff caps the exponential back-off after errors (default 6h),
	// which starts from the feed's healthy interval: a feed polled less
	// often than that while healthy (idle) waits its interval instead.
	MaxBackoff time.Duration
	// DisableAfter disables a feed that has failed without a break for
	// this long (DefaultSchedule: 72h); 0 means never.
	DisableAfter time.Duration
}

// DefaultSchedule is the policy of the example config: poll every 10
// minutes, let a feed's ttl stretch that to at most an hour, slow an idle
// feed to at most every 2 hours, back off up to 6 hours and disable a feed
// failing for 3 days.
func DefaultSchedule() Schedule {
	return Schedule{
		Interval:        10 * time.Minute,
		MinInterval:     time.Minute,
		HintCap:         time.Hour,
		IdleAfter:       24 * time.Hour,
		MaxIdleInterval: 2 * time.Hour,
		MaxBackoff:      6 * time.Hour,
		DisableAfter:    72 * time.Hour,
	}
}

// LongestBackoff is the longest a failing feed waits between polls
// (MaxBackoff, or the interval when that is longer): how long after its
// last poll a disabled feed is worth another try where no start or
// reload of the service comes to give it one (run --once).
func (s Schedule) LongestBackoff() time.Duration { return s.withDefaults().MaxBackoff }

// Outcome is what one poll found.
type Outcome struct {
	Err             error // nil on success; *Error from Fetch or Parse
	NotModified     bool  // 304 or identical body
	Changed         bool  // the feed has items not seen before
	FeedMinInterval time.Duration
	CacheMaxAge     time.Duration
}

// PollHistory is what the policy needs to remember about a feed.
type PollHistory struct {
	FeedID       string // seeds the back-off jitter
	ErrorCount   int    // consecutive failures
	FailingSince time.Time
	LastChanged  time.Time
}

// Decision is the policy's answer for one poll.
type Decision struct {
	Next    time.Time
	Disable bool
	Reason  string // why: the error, "HTTP 410 Gone", "idle for 3 days", …
	// History is the updated history to store for the next call.
	History PollHistory
	// NewlyFailing and Recovered mark the polls worth a log line or a
	// message: the first failure of a streak and the first success after.
	NewlyFailing bool
	Recovered    bool
}

// maxRetryAfter bounds how long a server's Retry-After can park a feed.
const maxRetryAfter = 24 * time.Hour

func (s Schedule) withDefaults() Schedule {
	d := DefaultSchedule()
	if s.Interval <= 0 {
		s.Interval = d.Interval
	}
	s.MinInterval = max(s.MinInterval, d.MinInterval)
	s.Interval = max(s.Interval, s.MinInterval)
	if s.IdleAfter <= 0 {
		s.IdleAfter = d.IdleAfter
	}
	if s.HintCap == 0 {
		s.HintCap = d.HintCap
	}
	if s.MaxIdleInterval == 0 {
		s.MaxIdleInterval = d.MaxIdleInterval
	}
	if s.MaxBackoff <= 0 {
		s.MaxBackoff = d.MaxBackoff
	}
	s.MaxBackoff = max(s.MaxBackoff, s.Interval)
	return s
}

// Next decides when to poll a feed again after a poll at now with outcome
// o, given its history before that poll.
func (s Schedule) Next(h PollHistory, o Outcome, now time.Time) Decision {
	s = s.withDefaults()
	var fe *Error
	if errors.As(o.Err, &fe) && fe.Kind == HostBusy {
		// Not fetched, for lack of a slot on a busy host: not the feed's
		// failure, so its streak stays as it was and it is tried again
		// soon, at the floor, not backed off.
		return Decision{Next: now.Add(s.MinInterval), Reason: o.Err.Error(), History: h}
	}
	if o.Err != nil {
		return s.afterFailure(h, o.Err, now)
	}
	d := Decision{History: h, Recovered: h.ErrorCount > 0}
	d.History.ErrorCount = 0
	d.History.FailingSince = time.Time{}
	if o.Changed || h.LastChanged.IsZero() {
		d.History.LastChanged = now
	}
	interval, reason := s.healthyInterval(d.History, o, now)
	d.Next = now.Add(interval)
	d.Reason = reason
	return d
}

// healthyInterval is the configured interval, stretched by the feed's own
// hints (up to HintCap) and by a long idle spell (up to MaxIdleInterval).
func (s Schedule) healthyInterval(h PollHistory, o Outcome, now time.Time) (time.Duration, string) {
	interval, reason := s.Interval, "interval"
	if hint := min(max(o.FeedMinInterval, o.CacheMaxAge), s.HintCap); s.HintCap > 0 && hint > interval {
		interval, reason = hint, "feed asks for no more than one poll per "+hint.String()
	}
	if s.MaxIdleInterval > 0 {
		idle := now.Sub(h.LastChanged)
		if periods := int(idle / s.IdleAfter); periods > 0 {
			stretched := doubled(s.Interval, periods, s.MaxIdleInterval)
			if stretched > interval {
				interval = stretched
				reason = fmt.Sprintf("unchanged for %s", idle.Round(time.Hour))
			}
		}
	}
	return interval, reason
}

func (s Schedule) afterFailure(h PollHistory, err error, now time.Time) Decision {
	d := Decision{History: h, Reason: err.Error(), NewlyFailing: h.ErrorCount == 0}
	d.History.ErrorCount++
	if d.History.FailingSince.IsZero() {
		d.History.FailingSince = now
	}
	var fe *Error
	errors.As(err, &fe)
	switch {
	case fe != nil && fe.Kind == Gone:
		d.Disable = true
	case s.DisableAfter > 0 && now.Sub(d.History.FailingSince) >= s.DisableAfter:
		d.Disable = true
		d.Reason = fmt.Sprintf("failing since %s: %v", d.History.FailingSince.UTC().Format(time.RFC3339), err)
	}
	if d.Disable {
		return d
	}
	wait := s.backoff(h, d.History.ErrorCount, now)
	if fe != nil && fe.RetryAfter > 0 {
		// The server said when: not sooner, up to a day. It only ever
		// lengthens the back-off: a server saying "in 5 seconds" is not
		// polled sooner than a healthy feed, nor every minute for ever.
		wait = max(wait, min(fe.RetryAfter, maxRetryAfter))
	}
	d.Next = now.Add(wait)
	return d
}

// backoff doubles the feed's healthy interval (idle slow-down included:
// failing never makes a feed polled sooner) with each consecutive failure,
// capped at MaxBackoff, then takes off up to a fifth at random-looking but
// deterministic offsets, so feeds of one host that failed together do not
// come back together. It never goes under the healthy interval, so the
// first failure waits exactly that.
func (s Schedule) backoff(h PollHistory, failures int, now time.Time) time.Duration {
	base := s.Interval
	if !h.LastChanged.IsZero() {
		base, _ = s.healthyInterval(h, Outcome{}, now)
	}
	d := doubled(base, failures-1, s.MaxBackoff)
	jitter := time.Duration(hash64(h.FeedID, now.UnixNano()) % uint64(d/5+1))
	return max(d-jitter, base)
}

// doubled is d doubled n times, but at most limit. It saturates instead of
// shifting: d<<n overflows int64 for a 10-minute d from n = 24 on, which
// turned a long failure streak into a wait of centuries or of one minute.
func doubled(d time.Duration, n int, limit time.Duration) time.Duration {
	for ; n > 0 && d < limit; n-- {
		if d > limit/2 {
			return limit
		}
		d *= 2
	}
	return min(d, limit)
}

// First spreads the first polls of all feeds over one interval, each feed
// at a stable offset, so start-up is not a thundering herd.
func (s Schedule) First(feedID string, now time.Time) time.Time {
	s = s.withDefaults()
	return now.Add(time.Duration(hash64(feedID, 0) % uint64(s.Interval)))
}

func hash64(id string, salt int64) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	var b [8]byte
	for i := range b {
		b[i] = byte(salt >> (8 * i))
	}
	h.Write(b[:])
	return h.Sum64()
}

// LatestHealthy is the latest time Next plans a feed's next poll after a
// healthy poll at polled, given the history Next returned then: the
// interval stretched by the feed's hints (at most HintCap) and by an idle
// spell. A plan stored under a longer interval than s's is later; the poll
// loop brings it forward to this, so that an interval shortened in the
// config applies from the feed's last poll, not after the old interval. A
// failing feed's back-off is not healthy and stays as it was.
func (s Schedule) LatestHealthy(h PollHistory, polled time.Time) time.Time {
	s = s.withDefaults()
	var o Outcome
	if s.HintCap > 0 {
		o.FeedMinInterval = s.HintCap
	}
	interval, _ := s.healthyInterval(h, o, polled)
	return polled.Add(interval)
}
