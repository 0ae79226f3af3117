package feeds

import (
	"testing"
	"time"
)

// TestScheduleShortRetryAfterStillBacksOff: a server that answers every
// poll with 429 and a Retry-After of seconds must not be polled every
// minute for ever, ten times the configured interval: a streak of them
// backs off like any failure.
func TestScheduleShortRetryAfterStillBacksOff(t *testing.T) {
	s := DefaultSchedule()
	err := &Error{Kind: HTTPStatus, Status: 429, RetryAfter: 5 * time.Second}
	tests := []struct {
		failures int           // ErrorCount before this 429
		atLeast  time.Duration // the next poll is no sooner than this
	}{
		{0, 10 * time.Minute},   // the interval: a short Retry-After never speeds polling up
		{1, 16 * time.Minute},   // 20m back-off, less a fifth of jitter
		{3, 64 * time.Minute},   // 80m
		{10, 288 * time.Minute}, // the 6h cap, less a fifth
	}
	for _, tc := range tests {
		h := PollHistory{FeedID: "wire", ErrorCount: tc.failures, FailingSince: schedNow.Add(-time.Hour)}
		if tc.failures == 0 {
			h.FailingSince = time.Time{}
		}
		d := s.Next(h, Outcome{Err: err}, schedNow)
		if got := d.Next.Sub(schedNow); got < tc.atLeast {
			t.Errorf("after %d failures: got next poll in %v, want at least %v", tc.failures, got, tc.atLeast)
		}
	}
}

// TestScheduleFailureNeverPollsSoonerThanHealthy: a failed poll backs off,
// it never brings the next poll nearer than a healthy poll would have:
// not a 429 or 503 whose Retry-After asks for less than the interval (it
// was honoured "exactly", polling a rate-limiting server every minute or
// two instead of every ten), not the first back-off's jitter (up to a
// fifth off the interval), and not a feed slowed down for being idle
// (polled every 80 minutes, then every 10 after a 500). A Retry-After
// longer than that is still honoured as given, up to a day.
func TestScheduleFailureNeverPollsSoonerThanHealthy(t *testing.T) {
	s := DefaultSchedule()
	recent := PollHistory{FeedID: "wire", LastChanged: schedNow.Add(-time.Hour)}
	idle := PollHistory{FeedID: "wire", LastChanged: schedNow.Add(-72 * time.Hour)} // healthy: every 80m
	status := func(code int, retryAfter time.Duration) error {
		return &Error{Kind: HTTPStatus, Status: code, RetryAfter: retryAfter}
	}
	tests := []struct {
		name    string
		h       PollHistory
		err     error
		atLeast time.Duration
		atMost  time.Duration
	}{
		{"429 asking for 5 s", recent, status(429, 5*time.Second), 10 * time.Minute, 10 * time.Minute},
		{"503 asking for 2 min", recent, status(503, 2*time.Minute), 10 * time.Minute, 10 * time.Minute},
		{"first 500", recent, status(500, 0), 10 * time.Minute, 10 * time.Minute},
		{"first 500 of a feed never polled well", PollHistory{FeedID: "wire"}, status(500, 0), 10 * time.Minute, 10 * time.Minute},
		{"first 500 of an idle feed", idle, status(500, 0), 80 * time.Minute, 80 * time.Minute},
		{"429 asking for 5 s of an idle feed", idle, status(429, 5*time.Second), 80 * time.Minute, 80 * time.Minute},
		{"second 500 of an idle feed", PollHistory{FeedID: "wire", ErrorCount: 1, FailingSince: schedNow.Add(-80 * time.Minute), LastChanged: idle.LastChanged}, status(500, 0), 128 * time.Minute, 160 * time.Minute},
		{"429 asking for 1 h", recent, status(429, time.Hour), time.Hour, time.Hour},
		{"503 asking for a month", recent, status(503, 30*24*time.Hour), 24 * time.Hour, 24 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := s.Next(tc.h, Outcome{Err: tc.err}, schedNow)
			if got := d.Next.Sub(schedNow); d.Disable || got < tc.atLeast || got > tc.atMost {
				t.Errorf("got next poll in %v (disable=%v), want within [%v, %v]", got, d.Disable, tc.atLeast, tc.atMost)
			}
		})
	}
}
