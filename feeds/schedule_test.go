package feeds

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

var schedNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func TestScheduleHealthyIntervals(t *testing.T) {
	def := DefaultSchedule()
	recent := PollHistory{FeedID: "wire", LastChanged: schedNow.Add(-time.Hour)}
	tests := []struct {
		name string
		s    Schedule
		h    PollHistory
		o    Outcome
		want time.Duration
	}{
		{"configured interval", def, recent, Outcome{}, 10 * time.Minute},
		{"floor of one minute", Schedule{Interval: 10 * time.Second}, recent, Outcome{}, time.Minute},
		{"zero schedule takes defaults", Schedule{}, recent, Outcome{}, 10 * time.Minute},
		{"zero schedule honours ttl up to the default cap", Schedule{Interval: 5 * time.Minute}, recent, Outcome{FeedMinInterval: 3 * time.Hour}, time.Hour},
		{"ttl stretches the interval", def, recent, Outcome{FeedMinInterval: 30 * time.Minute}, 30 * time.Minute},
		{"ttl capped by HintCap", def, recent, Outcome{FeedMinInterval: 3 * time.Hour}, time.Hour},
		{"Cache-Control max-age stretches too", def, recent, Outcome{CacheMaxAge: 20 * time.Minute}, 20 * time.Minute},
		{"hint never makes polling faster", def, recent, Outcome{FeedMinInterval: 2 * time.Minute}, 10 * time.Minute},
		{"hints ignored when HintCap is negative", with2(def, func(s *Schedule) { s.HintCap = -1 }), recent, Outcome{FeedMinInterval: 30 * time.Minute}, 10 * time.Minute},
		{"idle 3 days slows down", def, PollHistory{LastChanged: schedNow.Add(-72 * time.Hour)}, Outcome{NotModified: true}, 80 * time.Minute},
		{"idle 10 days capped", def, PollHistory{LastChanged: schedNow.Add(-240 * time.Hour)}, Outcome{NotModified: true}, 2 * time.Hour},
		{"change brings it back", def, PollHistory{LastChanged: schedNow.Add(-240 * time.Hour)}, Outcome{Changed: true}, 10 * time.Minute},
		{"idle 30 days with a long interval reaches the cap", Schedule{Interval: 3 * time.Hour, MaxIdleInterval: 48 * time.Hour}, PollHistory{LastChanged: schedNow.Add(-30 * 24 * time.Hour)}, Outcome{NotModified: true}, 48 * time.Hour},
		{"no idle slow-down when disabled", with2(def, func(s *Schedule) { s.MaxIdleInterval = -1 }), PollHistory{LastChanged: schedNow.Add(-240 * time.Hour)}, Outcome{}, 10 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.s.Next(tc.h, tc.o, schedNow)
			if got := d.Next.Sub(schedNow); got != tc.want || d.Disable {
				t.Errorf("got next in %v (disable=%v, reason %q), want %v", got, d.Disable, d.Reason, tc.want)
			}
		})
	}
}

func with2(s Schedule, edit func(*Schedule)) Schedule {
	edit(&s)
	return s
}

func TestScheduleBackoffGrowsWithJitterUnderTheCap(t *testing.T) {
	s := DefaultSchedule()
	h := PollHistory{FeedID: "wire"}
	err := &Error{Kind: HTTPStatus, Status: 503}
	for n := 1; n <= 12; n++ {
		now := schedNow.Add(time.Duration(n) * time.Hour)
		d := s.Next(h, Outcome{Err: err}, now)
		got := d.Next.Sub(now)
		ceiling := min(s.Interval<<(n-1), s.MaxBackoff)
		if got > ceiling || got < ceiling-ceiling/5 {
			t.Errorf("failure %d: waits %v, want within [%v, %v]", n, got, ceiling-ceiling/5, ceiling)
		}
		if again := s.Next(h, Outcome{Err: err}, now); !again.Next.Equal(d.Next) {
			t.Errorf("failure %d: not deterministic: %v then %v", n, d.Next, again.Next)
		}
		if d.History.ErrorCount != n || !d.History.FailingSince.Equal(schedNow.Add(time.Hour)) {
			t.Errorf("failure %d: history %+v", n, d.History)
		}
		if d.NewlyFailing != (n == 1) {
			t.Errorf("failure %d: NewlyFailing=%v", n, d.NewlyFailing)
		}
		h = d.History
	}
}

// TestScheduleLongFailureStreaksStayUnderTheCap covers streaks long enough
// for Interval<<failures to overflow (from 25 failures at 10 minutes): a
// streak of 429s with Retry-After counts fast, and the next plain failure
// must still wait about MaxBackoff, not centuries nor one minute.
func TestScheduleLongFailureStreaksStayUnderTheCap(t *testing.T) {
	err := &Error{Kind: HTTPStatus, Status: 503}
	tests := []struct {
		name     string
		s        Schedule
		failures int // ErrorCount before this failure
	}{
		{"10m interval, 24 failures", DefaultSchedule(), 24},
		{"10m interval, 25 failures", DefaultSchedule(), 25},
		{"10m interval, 28 failures", DefaultSchedule(), 28},
		{"10m interval, 29 failures", DefaultSchedule(), 29},
		{"10m interval, 1000 failures", DefaultSchedule(), 1000},
		{"1m interval, 28 failures", Schedule{Interval: time.Minute, DisableAfter: 72 * time.Hour}, 28},
		{"1m interval, 29 failures", Schedule{Interval: time.Minute, DisableAfter: 72 * time.Hour}, 29},
		{"2h interval, 21 failures", Schedule{Interval: 2 * time.Hour, DisableAfter: 72 * time.Hour}, 21},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := PollHistory{FeedID: "wire", ErrorCount: tc.failures, FailingSince: schedNow.Add(-time.Hour)}
			d := tc.s.Next(h, Outcome{Err: err}, schedNow)
			ceiling := tc.s.withDefaults().MaxBackoff
			if got := d.Next.Sub(schedNow); d.Disable || got > ceiling || got < ceiling-ceiling/5 {
				t.Errorf("got next in %v (disable=%v), want within [%v, %v]", got, d.Disable, ceiling-ceiling/5, ceiling)
			}
		})
	}
}

func TestScheduleJitterSpreadsFeedsThatFailTogether(t *testing.T) {
	s := DefaultSchedule()
	seen := map[time.Time]bool{}
	for i := range 50 {
		d := s.Next(PollHistory{FeedID: fmt.Sprintf("feed-%d", i), ErrorCount: 8, FailingSince: schedNow.Add(-time.Hour)}, Outcome{Err: errors.New("connection refused")}, schedNow)
		seen[d.Next] = true
	}
	if len(seen) < 45 {
		t.Errorf("50 feeds failing together got only %d distinct retry times", len(seen))
	}
}

func TestScheduleFailureDecisions(t *testing.T) {
	s := DefaultSchedule()
	tests := []struct {
		name        string
		h           PollHistory
		err         error
		wantDisable bool
		wantNext    time.Duration // checked when not disabled and > 0
		wantReason  string        // prefix
	}{
		{"410 disables at once", PollHistory{}, &Error{Kind: Gone, Status: 410}, true, 0, "HTTP 410 Gone"},
		{"429 Retry-After honoured exactly", PollHistory{}, &Error{Kind: HTTPStatus, Status: 429, RetryAfter: time.Hour}, false, time.Hour, "HTTP 429"},
		{"Retry-After below the interval", PollHistory{}, &Error{Kind: HTTPStatus, Status: 503, RetryAfter: 5 * time.Second}, false, 10 * time.Minute, "HTTP 503"},
		{"Retry-After bounded to a day", PollHistory{}, &Error{Kind: HTTPStatus, Status: 503, RetryAfter: 30 * 24 * time.Hour}, false, 24 * time.Hour, "HTTP 503"},
		{"failing for 3 days disables", PollHistory{ErrorCount: 40, FailingSince: schedNow.Add(-73 * time.Hour)}, &Error{Kind: HTTPStatus, Status: 500}, true, 0, "failing since 2026-11-18T11:00:00Z: HTTP 500"},
		{"failing for 2 days backs off", PollHistory{ErrorCount: 40, FailingSince: schedNow.Add(-48 * time.Hour)}, &Error{Kind: HTTPStatus, Status: 500}, false, 0, "HTTP 500"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := s.Next(tc.h, Outcome{Err: tc.err}, schedNow)
			if d.Disable != tc.wantDisable || !strings.HasPrefix(d.Reason, tc.wantReason) {
				t.Errorf("got disable=%v reason %q, want disable=%v reason %q…", d.Disable, d.Reason, tc.wantDisable, tc.wantReason)
			}
			if tc.wantNext > 0 && d.Next.Sub(schedNow) != tc.wantNext {
				t.Errorf("got next in %v, want exactly %v", d.Next.Sub(schedNow), tc.wantNext)
			}
		})
	}
}

func TestScheduleRecovery(t *testing.T) {
	s := DefaultSchedule()
	h := PollHistory{FeedID: "wire", ErrorCount: 3, FailingSince: schedNow.Add(-time.Hour), LastChanged: schedNow.Add(-2 * time.Hour)}
	d := s.Next(h, Outcome{Changed: true}, schedNow)
	if !d.Recovered || d.History.ErrorCount != 0 || !d.History.FailingSince.IsZero() || !d.History.LastChanged.Equal(schedNow) {
		t.Errorf("got %+v, want recovered with a clean history changed now", d)
	}
	if again := s.Next(d.History, Outcome{NotModified: true}, schedNow.Add(time.Minute)); again.Recovered {
		t.Error("a second healthy poll reported recovery again")
	}
}

func TestScheduleFirstSpreadsStartup(t *testing.T) {
	s := DefaultSchedule()
	seen := map[time.Time]bool{}
	for i := range 100 {
		id := fmt.Sprintf("feed-%d", i)
		first := s.First(id, schedNow)
		if first.Before(schedNow) || !first.Before(schedNow.Add(s.Interval)) {
			t.Errorf("%s: first poll at %v, want within one interval of %v", id, first, schedNow)
		}
		if again := s.First(id, schedNow); !again.Equal(first) {
			t.Errorf("%s: not deterministic", id)
		}
		seen[first] = true
	}
	if len(seen) < 95 {
		t.Errorf("100 feeds got only %d distinct first-poll times", len(seen))
	}
}

// TestLatestHealthyNeverBringsAPlanForward: the poll loop brings a
// healthy feed's stored plan forward to LatestHealthy only when the plan
// was made under a longer interval; a plan Next made under the same
// schedule, whatever the feed's hints and idle spell, is never later.
func TestLatestHealthyNeverBringsAPlanForward(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	schedules := map[string]Schedule{
		"defaults":     DefaultSchedule(),
		"own interval": {Interval: 5 * time.Minute, HintCap: -1},
		"6h":           {Interval: 6 * time.Hour},
		"no idle":      {Interval: 10 * time.Minute, MaxIdleInterval: -1},
	}
	outcomes := map[string]Outcome{
		"changed":           {Changed: true},
		"not modified":      {NotModified: true},
		"ttl 30m":           {FeedMinInterval: 30 * time.Minute},
		"ttl 3h":            {FeedMinInterval: 3 * time.Hour},
		"max-age 2h":        {CacheMaxAge: 2 * time.Hour},
		"unchanged, hinted": {FeedMinInterval: 45 * time.Minute, NotModified: true},
	}
	for sname, s := range schedules {
		for oname, o := range outcomes {
			for _, idle := range []time.Duration{0, 30 * time.Hour, 5 * 24 * time.Hour} {
				h := PollHistory{FeedID: "f", LastChanged: now.Add(-idle)}
				d := s.Next(h, o, now)
				if latest := s.LatestHealthy(d.History, now); d.Next.After(latest) {
					t.Errorf("%s, %s, idle %v: Next planned %v, after LatestHealthy %v", sname, oname, idle, d.Next, latest)
				}
			}
		}
	}
	shorter := Schedule{Interval: 5 * time.Minute, HintCap: -1}
	if got, want := shorter.LatestHealthy(PollHistory{LastChanged: now}, now), now.Add(5*time.Minute); !got.Equal(want) {
		t.Errorf("LatestHealthy of a 5m own interval = %v, want %v", got, want)
	}
}
