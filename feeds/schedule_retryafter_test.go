package feeds

import (
	"testing"
	"time"
)

// TestScheduleShortRetryAfterStillBacksOff: a server that answers every
// poll with 429 and a Retry-After of seconds must not be polled every
// minute for ever, ten times the configured interval: the first answer is
// honoured as given, a streak of them backs off like any failure.
func TestScheduleShortRetryAfterStillBacksOff(t *testing.T) {
	s := DefaultSchedule()
	err := &Error{Kind: HTTPStatus, Status: 429, RetryAfter: 5 * time.Second}
	tests := []struct {
		failures int           // ErrorCount before this 429
		atLeast  time.Duration // the next poll is no sooner than this
	}{
		{0, time.Minute},        // the server's word (raised to the floor)
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
