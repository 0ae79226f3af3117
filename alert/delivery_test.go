package alert

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("time zone %s not available: %v", name, err)
	}
	return loc
}

func TestDeliveryRelease(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	kolkata := mustZone(t, "Asia/Kolkata")
	at := func(loc *time.Location, y int, m time.Month, d, hh, mm int) time.Time {
		return time.Date(y, m, d, hh, mm, 0, 0, loc)
	}
	daily8 := &DigestSchedule{At: []TimeOfDay{{8, 0}}}
	twice := &DigestSchedule{At: []TimeOfDay{{8, 0}, {17, 30}}}
	night := &QuietHours{Start: TimeOfDay{22, 0}, End: TimeOfDay{7, 0}}
	tests := []struct {
		name       string
		d          Delivery
		now        time.Time
		sent       int
		wantKind   string // "" for instant
		wantSince  time.Time
		wantUntil  time.Time
		wantOffset time.Duration // Until minus the same wall time in UTC, to check DST
	}{
		{name: "instant", d: Delivery{}, now: at(time.UTC, 2026, 12, 2, 10, 0)},
		{name: "daily before 08:00", d: Delivery{Digest: daily8, Location: berlin}, now: at(berlin, 2026, 12, 2, 7, 59),
			wantKind: KindDigest, wantSince: at(berlin, 2026, 12, 1, 8, 0), wantUntil: at(berlin, 2026, 12, 2, 8, 0)},
		{name: "daily exactly at 08:00 goes to the next day's", d: Delivery{Digest: daily8, Location: berlin}, now: at(berlin, 2026, 12, 2, 8, 0),
			wantKind: KindDigest, wantSince: at(berlin, 2026, 12, 2, 8, 0), wantUntil: at(berlin, 2026, 12, 3, 8, 0)},
		{name: "daily across the October change (25h day)", d: Delivery{Digest: daily8, Location: berlin}, now: at(berlin, 2026, 10, 24, 9, 0),
			wantKind: KindDigest, wantSince: at(berlin, 2026, 10, 24, 8, 0), wantUntil: time.Date(2026, 10, 25, 7, 0, 0, 0, time.UTC)},
		{name: "daily across the March change (23h day)", d: Delivery{Digest: daily8, Location: berlin}, now: at(berlin, 2027, 3, 27, 12, 0),
			wantKind: KindDigest, wantSince: at(berlin, 2027, 3, 27, 8, 0), wantUntil: time.Date(2027, 3, 28, 6, 0, 0, 0, time.UTC)},
		{name: "twice a day, afternoon", d: Delivery{Digest: twice, Location: berlin}, now: at(berlin, 2026, 12, 2, 10, 0),
			wantKind: KindDigest, wantSince: at(berlin, 2026, 12, 2, 8, 0), wantUntil: at(berlin, 2026, 12, 2, 17, 30)},
		{name: "twice a day, evening", d: Delivery{Digest: twice, Location: berlin}, now: at(berlin, 2026, 12, 2, 18, 0),
			wantKind: KindDigest, wantSince: at(berlin, 2026, 12, 2, 17, 30), wantUntil: at(berlin, 2026, 12, 3, 8, 0)},
		{name: "every hour", d: Delivery{Digest: &DigestSchedule{Every: time.Hour}}, now: at(time.UTC, 2026, 12, 2, 10, 15),
			wantKind: KindDigest, wantSince: at(time.UTC, 2026, 12, 2, 10, 0), wantUntil: at(time.UTC, 2026, 12, 2, 11, 0)},
		{name: "every 7h restarts at midnight", d: Delivery{Digest: &DigestSchedule{Every: 7 * time.Hour}, Location: berlin}, now: at(berlin, 2026, 12, 2, 22, 0),
			wantKind: KindDigest, wantSince: at(berlin, 2026, 12, 2, 21, 0), wantUntil: at(berlin, 2026, 12, 3, 0, 0)},
		{name: "every hour in a half-hour zone", d: Delivery{Digest: &DigestSchedule{Every: time.Hour}, Location: kolkata}, now: at(kolkata, 2026, 12, 2, 10, 15),
			wantKind: KindDigest, wantSince: at(kolkata, 2026, 12, 2, 10, 0), wantUntil: at(kolkata, 2026, 12, 2, 11, 0)},
		{name: "quiet hours, late evening", d: Delivery{Quiet: night, Location: berlin}, now: at(berlin, 2026, 12, 2, 23, 0),
			wantKind: KindQuiet, wantSince: at(berlin, 2026, 12, 2, 22, 0), wantUntil: at(berlin, 2026, 12, 3, 7, 0)},
		{name: "quiet hours, early morning", d: Delivery{Quiet: night, Location: berlin}, now: at(berlin, 2026, 12, 3, 6, 59),
			wantKind: KindQuiet, wantSince: at(berlin, 2026, 12, 2, 22, 0), wantUntil: at(berlin, 2026, 12, 3, 7, 0)},
		{name: "quiet hours over, at their end", d: Delivery{Quiet: night, Location: berlin}, now: at(berlin, 2026, 12, 3, 7, 0)},
		{name: "quiet hours not yet", d: Delivery{Quiet: night, Location: berlin}, now: at(berlin, 2026, 12, 2, 21, 59)},
		{name: "quiet hours across the October change", d: Delivery{Quiet: night, Location: berlin}, now: at(berlin, 2026, 10, 24, 23, 0),
			wantKind: KindQuiet, wantSince: at(berlin, 2026, 10, 24, 22, 0), wantUntil: time.Date(2026, 10, 25, 6, 0, 0, 0, time.UTC)},
		{name: "quiet daytime window", d: Delivery{Quiet: &QuietHours{Start: TimeOfDay{12, 0}, End: TimeOfDay{13, 0}}}, now: at(time.UTC, 2026, 12, 2, 12, 30),
			wantKind: KindQuiet, wantSince: at(time.UTC, 2026, 12, 2, 12, 0), wantUntil: at(time.UTC, 2026, 12, 2, 13, 0)},
		{name: "digest time inside quiet hours moves to their end", d: Delivery{Digest: &DigestSchedule{At: []TimeOfDay{{23, 0}}}, Quiet: night, Location: berlin},
			now: at(berlin, 2026, 12, 2, 12, 0), wantKind: KindQuiet, wantSince: at(berlin, 2026, 12, 2, 22, 0), wantUntil: at(berlin, 2026, 12, 3, 7, 0)},
		{name: "hourly digest slots inside quiet hours join their digest", d: Delivery{Digest: &DigestSchedule{Every: time.Hour}, Quiet: night, Location: berlin},
			now: at(berlin, 2026, 12, 3, 2, 30), wantKind: KindQuiet, wantSince: at(berlin, 2026, 12, 2, 22, 0), wantUntil: at(berlin, 2026, 12, 3, 7, 0)},
		{name: "the hourly slot just before quiet hours joins them", d: Delivery{Digest: &DigestSchedule{Every: time.Hour}, Quiet: night, Location: berlin},
			now: at(berlin, 2026, 12, 2, 21, 30), wantKind: KindQuiet, wantSince: at(berlin, 2026, 12, 2, 22, 0), wantUntil: at(berlin, 2026, 12, 3, 7, 0)},
		{name: "a digest without a schedule is instant", d: Delivery{Digest: &DigestSchedule{}}, now: at(time.UTC, 2026, 12, 2, 10, 0)},
		{name: "under the cap", d: Delivery{MaxPerHour: 2}, now: at(time.UTC, 2026, 12, 2, 10, 20), sent: 1},
		{name: "at the cap", d: Delivery{MaxPerHour: 2}, now: at(time.UTC, 2026, 12, 2, 10, 20), sent: 2,
			wantKind: KindCapped, wantSince: at(time.UTC, 2026, 12, 2, 10, 0), wantUntil: at(time.UTC, 2026, 12, 2, 11, 0)},
		// The cap's hours are the zone's clock hours, on the half hour in UTC here.
		{name: "at the cap in a half-hour zone", d: Delivery{MaxPerHour: 2, Location: kolkata}, now: at(kolkata, 2026, 12, 2, 10, 20), sent: 2,
			wantKind: KindCapped, wantSince: time.Date(2026, 12, 2, 4, 30, 0, 0, time.UTC), wantUntil: time.Date(2026, 12, 2, 5, 30, 0, 0, time.UTC)},
		{name: "capped into quiet hours", d: Delivery{MaxPerHour: 1, Quiet: night, Location: berlin}, now: at(berlin, 2026, 12, 2, 21, 30), sent: 1,
			wantKind: KindQuiet, wantSince: at(berlin, 2026, 12, 2, 22, 0), wantUntil: at(berlin, 2026, 12, 3, 7, 0)},
		{name: "quiet hours before the cap", d: Delivery{MaxPerHour: 1, Quiet: night, Location: berlin}, now: at(berlin, 2026, 12, 2, 23, 30), sent: 5,
			wantKind: KindQuiet, wantSince: at(berlin, 2026, 12, 2, 22, 0), wantUntil: at(berlin, 2026, 12, 3, 7, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.d.Release("cfg:s", tt.now, tt.sent)
			if tt.wantKind == "" {
				if r.Held() {
					t.Fatalf("Release = held %v, want instant", r.Key)
				}
				return
			}
			k := r.Key
			if k.Kind != tt.wantKind || !k.Since.Equal(tt.wantSince) || !k.Until.Equal(tt.wantUntil) || k.Subscription != "cfg:s" {
				t.Errorf("Release = %s %s..%s %s, want %s %s..%s", k.Kind, k.Since, k.Until, k.Subscription, tt.wantKind, tt.wantSince, tt.wantUntil)
			}
			back, err := ParseDigestKey(k.String())
			if err != nil || back.String() != k.String() || !back.Until.Equal(k.Until) || back.Since.Format("15:04") != k.Since.Format("15:04") {
				t.Errorf("ParseDigestKey(%q) = %v, %v; want the same key back", k.String(), back, err)
			}
		})
	}
}

// Every day of a year, a daily 08:00 digest in Berlin is due at 08:00 local
// time, once, whatever the day's length.
func TestDailyDigestOncePerDayAllYear(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	d := Delivery{Digest: &DigestSchedule{At: []TimeOfDay{{8, 0}}}, Location: berlin}
	now := time.Date(2026, 1, 1, 8, 30, 0, 0, berlin)
	for day := 0; day < 366; day++ {
		k := d.Release("s", now, 0).Key
		if k.Until.In(berlin).Hour() != 8 || k.Until.In(berlin).Minute() != 0 || k.Until.Sub(now) <= 0 || k.Until.Sub(now) > 25*time.Hour {
			t.Fatalf("day %d: alert at %s released at %s, want the next 08:00 local", day, now, k.Until)
		}
		now = k.Until.Add(30 * time.Minute)
	}
}

// On the days clocks change, a schedule's digests go out at the local
// times of day it names, each once: every: 6h is 06:00, 12:00 and 18:00
// on a day of 23 hours as on one of 25, not six elapsed hours apart from
// midnight. A time the clocks skip goes out at the change, once, where
// the wall clock passes it (02:00 and 02:30 at 03:00 in Berlin and New
// York alike), never before it.
func TestDigestTimesOnDSTDays(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	newYork := mustZone(t, "America/New_York")
	march, october := time.Date(2027, 3, 28, 0, 0, 0, 0, berlin), time.Date(2026, 10, 25, 0, 0, 0, 0, berlin)
	tests := []struct {
		name     string
		schedule DigestSchedule
		day      time.Time // local midnight
		first    int       // how many of the day's digests to compare; 0: all
		want     string    // the day's digest times after midnight, local
	}{
		{"every 6h, 23-hour day", DigestSchedule{Every: 6 * time.Hour}, march, 0, "06:00 12:00 18:00"},
		{"every 6h, 25-hour day", DigestSchedule{Every: 6 * time.Hour}, october, 0, "06:00 12:00 18:00"},
		{"every 6h, ordinary day", DigestSchedule{Every: 6 * time.Hour}, time.Date(2027, 3, 29, 0, 0, 0, 0, berlin), 0, "06:00 12:00 18:00"},
		{"every 8h, 25-hour day", DigestSchedule{Every: 8 * time.Hour}, october, 0, "08:00 16:00"},
		{"every 1h, 23-hour day: 02:00 is 03:00", DigestSchedule{Every: time.Hour}, march, 0,
			"01:00 03:00 04:00 05:00 06:00 07:00 08:00 09:00 10:00 11:00 12:00 13:00 14:00 15:00 16:00 17:00 18:00 19:00 20:00 21:00 22:00 23:00"},
		{"every 1h, 25-hour day: 02:00 once", DigestSchedule{Every: time.Hour}, october, 0,
			"01:00 02:00 03:00 04:00 05:00 06:00 07:00 08:00 09:00 10:00 11:00 12:00 13:00 14:00 15:00 16:00 17:00 18:00 19:00 20:00 21:00 22:00 23:00"},
		{"every 30m, the skipped hour", DigestSchedule{Every: 30 * time.Minute}, march, 6, "00:30 01:00 01:30 03:00 03:30 04:00"},
		{"every 30m, the skipped hour in New York", DigestSchedule{Every: 30 * time.Minute}, time.Date(2027, 3, 14, 0, 0, 0, 0, newYork), 6, "00:30 01:00 01:30 03:00 03:30 04:00"},
		{"at a skipped time and one after it", DigestSchedule{At: []TimeOfDay{{2, 30}, {3, 15}}}, march, 0, "03:00 03:15"},
		{"at a skipped time in New York", DigestSchedule{At: []TimeOfDay{{2, 30}, {8, 0}}}, time.Date(2027, 3, 14, 0, 0, 0, 0, newYork), 0, "03:00 08:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := tt.day.Location()
			d := Delivery{Digest: &tt.schedule, Location: loc}
			var got []string
			prev := time.Time{}
			for now := tt.day; len(got) < 50; {
				k := d.Release("s", now, 0).Key
				if k.Until.In(loc).Day() != tt.day.Day() {
					break
				}
				if !prev.IsZero() && !k.Since.Equal(prev) {
					t.Errorf("digest until %s covers since %s, want since the digest before, %s", k.Until, k.Since, prev)
				}
				got = append(got, k.Until.In(loc).Format("15:04"))
				prev, now = k.Until, k.Until
			}
			if tt.first > 0 {
				got = got[:min(tt.first, len(got))]
			}
			if s := strings.Join(got, " "); s != tt.want {
				t.Errorf("digests at %s local, want %s", s, tt.want)
			}
		})
	}
}

// The matches of one quiet period go out as one digest, from the
// period's start to its end, on the nights the clocks change too. A start
// or end the clocks skip is where the wall clock passes it: the change
// itself. A start or end the clocks repeat is its first occurrence, so a
// night is one period, and a match after the end's first occurrence goes
// out at once rather than a day later.
func TestQuietHoursAcrossDSTChanges(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	newYork := mustZone(t, "America/New_York")
	cairo := mustZone(t, "Africa/Cairo")
	beirut := mustZone(t, "Asia/Beirut")
	havana := mustZone(t, "America/Havana")
	santiago := mustZone(t, "America/Santiago")
	lordHowe := mustZone(t, "Australia/Lord_Howe")
	// Inside a repeated hour only the offset tells the two times apart:
	// "23:30+03:00" is the first 23:30 in Cairo, "23:30+02:00" the second.
	rfc := func(s ...string) []time.Time {
		var out []time.Time
		for _, v := range s {
			tm, err := time.Parse(time.RFC3339, v)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, tm)
		}
		return out
	}
	one := func(s string) time.Time { return rfc(s)[0] }
	at := func(loc *time.Location, m time.Month, d, hh, mm int) time.Time {
		y := 2027
		if m == time.October {
			y = 2026
		}
		return time.Date(y, m, d, hh, mm, 0, 0, loc)
	}
	utc := func(m time.Month, d, hh, mm int) time.Time { return at(time.UTC, m, d, hh, mm) }
	tests := []struct {
		name      string
		quiet     QuietHours
		loc       *time.Location
		held      []time.Time // matches of one quiet period
		free      []time.Time // matches after it, sent at once
		wantSince time.Time
		wantUntil time.Time
	}{
		{"start skipped", QuietHours{TimeOfDay{2, 30}, TimeOfDay{7, 0}}, berlin,
			[]time.Time{at(berlin, time.March, 28, 3, 0), at(berlin, time.March, 28, 3, 10), at(berlin, time.March, 28, 4, 0), at(berlin, time.March, 28, 6, 59)},
			[]time.Time{at(berlin, time.March, 28, 7, 0)},
			utc(time.March, 28, 1, 0), utc(time.March, 28, 5, 0)},
		{"start skipped, time.Date going back (New York)", QuietHours{TimeOfDay{2, 30}, TimeOfDay{7, 0}}, newYork,
			[]time.Time{at(newYork, time.March, 14, 3, 0), at(newYork, time.March, 14, 3, 10), at(newYork, time.March, 14, 4, 0)},
			[]time.Time{at(newYork, time.March, 14, 1, 59), at(newYork, time.March, 14, 7, 0)},
			utc(time.March, 14, 7, 0), utc(time.March, 14, 11, 0)},
		{"end skipped", QuietHours{TimeOfDay{22, 0}, TimeOfDay{2, 30}}, berlin,
			[]time.Time{at(berlin, time.March, 27, 22, 30), at(berlin, time.March, 28, 1, 59)},
			[]time.Time{at(berlin, time.March, 28, 3, 0), at(berlin, time.March, 28, 3, 10)},
			utc(time.March, 27, 21, 0), utc(time.March, 28, 1, 0)},
		{"overnight, the spring change inside", QuietHours{TimeOfDay{22, 0}, TimeOfDay{7, 0}}, berlin,
			[]time.Time{at(berlin, time.March, 27, 23, 0), at(berlin, time.March, 28, 1, 30), at(berlin, time.March, 28, 3, 30)},
			[]time.Time{at(berlin, time.March, 28, 7, 0)},
			utc(time.March, 27, 21, 0), utc(time.March, 28, 5, 0)},
		{"the autumn change inside, 02:30 twice", QuietHours{TimeOfDay{1, 0}, TimeOfDay{5, 0}}, berlin,
			[]time.Time{utc(time.October, 24, 23, 30), utc(time.October, 25, 0, 30), utc(time.October, 25, 1, 30), utc(time.October, 25, 3, 0)},
			[]time.Time{utc(time.October, 25, 4, 0)},
			utc(time.October, 24, 23, 0), utc(time.October, 25, 4, 0)},
		{"start in the repeated hour at midnight (Cairo)", QuietHours{TimeOfDay{23, 0}, TimeOfDay{7, 0}}, cairo,
			rfc("2026-10-29T23:00:00+03:00", "2026-10-29T23:30:00+03:00", "2026-10-29T23:30:00+02:00", "2026-10-30T06:59:00+02:00"),
			rfc("2026-10-29T22:59:00+03:00", "2026-10-30T07:00:00+02:00"),
			one("2026-10-29T23:00:00+03:00"), one("2026-10-30T07:00:00+02:00")},
		{"start in the repeated hour at midnight (Beirut)", QuietHours{TimeOfDay{23, 0}, TimeOfDay{7, 0}}, beirut,
			rfc("2026-10-24T23:30:00+03:00", "2026-10-24T23:30:00+02:00", "2026-10-25T03:00:00+02:00"),
			rfc("2026-10-24T22:59:00+03:00", "2026-10-25T07:00:00+02:00"),
			one("2026-10-24T23:00:00+03:00"), one("2026-10-25T07:00:00+02:00")},
		{"start in the repeated hour, east of UTC (Berlin from 02:30)", QuietHours{TimeOfDay{2, 30}, TimeOfDay{7, 0}}, berlin,
			// 02:10 CET reads before 02:30, but the night began at 02:30 CEST.
			rfc("2026-10-25T02:30:00+02:00", "2026-10-25T02:40:00+02:00", "2026-10-25T02:10:00+01:00", "2026-10-25T02:40:00+01:00", "2026-10-25T06:59:00+01:00"),
			rfc("2026-10-25T02:29:00+02:00", "2026-10-25T07:00:00+01:00"),
			one("2026-10-25T02:30:00+02:00"), one("2026-10-25T07:00:00+01:00")},
		{"start in the repeated hour, west of UTC (New York from 01:30)", QuietHours{TimeOfDay{1, 30}, TimeOfDay{7, 0}}, newYork,
			rfc("2026-11-01T01:30:00-04:00", "2026-11-01T01:10:00-05:00", "2026-11-01T01:40:00-05:00"),
			rfc("2026-11-01T01:29:00-04:00", "2026-11-01T07:00:00-05:00"),
			one("2026-11-01T01:30:00-04:00"), one("2026-11-01T07:00:00-05:00")},
		{"end in the repeated hour, west of UTC (New York until 01:30)", QuietHours{TimeOfDay{22, 0}, TimeOfDay{1, 30}}, newYork,
			rfc("2026-10-31T23:00:00-04:00", "2026-11-01T01:29:00-04:00"),
			rfc("2026-11-01T01:30:00-04:00", "2026-11-01T01:10:00-05:00", "2026-11-01T01:40:00-05:00"),
			one("2026-10-31T22:00:00-04:00"), one("2026-11-01T01:30:00-04:00")},
		{"end in the repeated hour, east of UTC (Berlin until 02:30)", QuietHours{TimeOfDay{22, 0}, TimeOfDay{2, 30}}, berlin,
			rfc("2026-10-24T23:00:00+02:00", "2026-10-25T02:29:00+02:00"),
			rfc("2026-10-25T02:30:00+02:00", "2026-10-25T02:10:00+01:00", "2026-10-25T02:40:00+01:00"),
			one("2026-10-24T22:00:00+02:00"), one("2026-10-25T02:30:00+02:00")},
		{"end in the repeated hour at midnight, west of UTC (Santiago until 23:30)", QuietHours{TimeOfDay{20, 0}, TimeOfDay{23, 30}}, santiago,
			rfc("2026-04-04T20:00:00-03:00", "2026-04-04T23:29:00-03:00"),
			rfc("2026-04-04T23:30:00-03:00", "2026-04-04T23:10:00-04:00", "2026-04-04T23:40:00-04:00"),
			one("2026-04-04T20:00:00-03:00"), one("2026-04-04T23:30:00-03:00")},
		{"a window inside the repeated hour is quiet once (Havana)", QuietHours{TimeOfDay{0, 15}, TimeOfDay{0, 45}}, havana,
			rfc("2026-11-01T00:15:00-04:00", "2026-11-01T00:44:00-04:00"),
			rfc("2026-11-01T00:45:00-04:00", "2026-11-01T00:15:00-05:00", "2026-11-01T00:30:00-05:00"),
			one("2026-11-01T00:15:00-04:00"), one("2026-11-01T00:45:00-04:00")},
		{"start in the repeated half hour (Lord Howe)", QuietHours{TimeOfDay{1, 45}, TimeOfDay{7, 0}}, lordHowe,
			rfc("2026-04-05T01:45:00+11:00", "2026-04-05T01:35:00+10:30", "2026-04-05T01:50:00+10:30", "2026-04-05T06:59:00+10:30"),
			rfc("2026-04-05T01:44:00+11:00", "2026-04-05T07:00:00+10:30"),
			one("2026-04-05T01:45:00+11:00"), one("2026-04-05T07:00:00+10:30")},
		{"start in the skipped half hour (Lord Howe)", QuietHours{TimeOfDay{2, 15}, TimeOfDay{7, 0}}, lordHowe,
			rfc("2026-10-04T02:30:00+11:00", "2026-10-04T06:59:00+11:00"),
			rfc("2026-10-04T01:59:00+10:30", "2026-10-04T07:00:00+11:00"),
			one("2026-10-04T02:30:00+11:00"), one("2026-10-04T07:00:00+11:00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Delivery{Quiet: &tt.quiet, Location: tt.loc}
			want := DigestKey{Kind: KindQuiet, Subscription: "s", Since: tt.wantSince.In(tt.loc), Until: tt.wantUntil.In(tt.loc)}
			for _, now := range tt.held {
				if got := d.Release("s", now, 0).Key; got.String() != want.String() {
					t.Errorf("match at %s: digest %s, want %s", now.In(tt.loc), got, want)
				}
			}
			for _, now := range tt.free {
				if r := d.Release("s", now, 0); r.Held() {
					t.Errorf("match at %s held for %s, want sent at once", now.In(tt.loc), r.Key)
				}
			}
		})
	}
}

func TestScheduleCountsTheCap(t *testing.T) {
	c, _ := NewCatalog(nil, []Feed{{ID: "f", Name: "f"}}, []Subscription{
		{ID: "capped", Name: "capped", Query: "a", Feeds: []string{"f"}, Destination: "d", Delivery: Delivery{MaxPerHour: 2}},
		{ID: "free", Name: "free", Query: "b", Feeds: []string{"f"}, Destination: "d"},
	})
	now := time.Date(2026, 12, 2, 10, 20, 0, 0, time.UTC)
	var entries []Entry
	for _, sub := range []string{"capped", "free", "capped", "capped", "free", "capped"} {
		entries = append(entries, Entry{Subscription: sub})
	}
	hours := c.CapHours(entries, now)
	if len(hours) != 1 || !hours["capped"].Equal(time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("CapHours = %v, want capped from 10:00", hours)
	}
	sent := map[string]int{"capped": 1} // one went out earlier this hour
	capped := c.Schedule(entries, now, sent)
	var got []bool
	for _, e := range entries {
		got = append(got, e.Release.Held())
	}
	want := []bool{false, false, true, true, false, true}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("held = %v, want %v", got, want)
		}
	}
	if len(capped) != 1 || capped[0] != "capped" || sent["capped"] != 2 {
		t.Errorf("capped = %v, sent = %v; want [capped] and 2", capped, sent)
	}
}

// dstZones change their clocks in both directions, east and west of UTC,
// at night, at midnight (Cairo, Beirut, Santiago, Havana) and by half an
// hour (Lord Howe).
var dstZones = []string{"Europe/Berlin", "America/New_York", "Africa/Cairo", "Asia/Beirut", "America/Santiago", "America/Havana", "Australia/Lord_Howe", "Pacific/Auckland"}

// changes lists loc's clock changes in 2026: one each way.
func changes(loc *time.Location) []time.Time {
	var out []time.Time
	for t := time.Date(2026, 1, 1, 0, 0, 0, 0, loc); ; {
		_, end := t.ZoneBounds()
		if end.IsZero() || end.Year() > 2026 {
			return out
		}
		out = append(out, end)
		t = end
	}
}

// isChange reports whether t is the instant the clocks change, where a
// wall time they skip goes.
func isChange(t time.Time) bool {
	start, _ := t.ZoneBounds()
	return start.Equal(t)
}

// Walking every five minutes through the day either side of each
// clock change, each instant is in at most one quiet period, the period it
// is in starts when the walk first meets it and ends when the walk first
// leaves it (no overlap, no gap, no period resumed later), and each night
// has one period, from its start's wall time to its end's.
func TestQuietPeriodsTileDSTChanges(t *testing.T) {
	windows := []QuietHours{
		{TimeOfDay{23, 0}, TimeOfDay{7, 0}}, {TimeOfDay{22, 0}, TimeOfDay{1, 30}}, {TimeOfDay{2, 30}, TimeOfDay{7, 0}},
		{TimeOfDay{1, 30}, TimeOfDay{7, 0}}, {TimeOfDay{1, 45}, TimeOfDay{2, 15}}, {TimeOfDay{0, 0}, TimeOfDay{6, 0}},
		{TimeOfDay{23, 30}, TimeOfDay{0, 30}}, {TimeOfDay{0, 15}, TimeOfDay{0, 45}}, {TimeOfDay{12, 0}, TimeOfDay{13, 0}},
		{TimeOfDay{2, 15}, TimeOfDay{2, 0}},
	}
	for _, zone := range dstZones {
		loc := mustZone(t, zone)
		for _, w := range windows {
			name := fmt.Sprintf("%s %02d:%02d-%02d:%02d", zone, w.Start.Hour, w.Start.Minute, w.End.Hour, w.End.Minute)
			t.Run(name, func(t *testing.T) {
				d := Delivery{Quiet: &w, Location: loc}
				length := w.End.clock() - w.Start.clock()
				if length <= 0 {
					length += 24 * time.Hour
				}
				for _, change := range changes(loc) {
					var cur, last DigestKey // the period of the step before; the last period met
					for now := change.Add(-26 * time.Hour); now.Before(change.Add(26 * time.Hour)); now = now.Add(5 * time.Minute) {
						r := d.Release("s", now, 0)
						k := r.Key
						if r.Held() && (now.Before(k.Since) || !now.Before(k.Until)) {
							t.Fatalf("match at %s: period %s does not hold it", now.In(loc), k)
						}
						if k == cur {
							continue
						}
						if r.Held() && !last.Since.IsZero() {
							switch {
							case !k.Since.Equal(now):
								t.Fatalf("match at %s: period %s, first met after its start (%s before: %s)", now.In(loc), k, now.Add(-5*time.Minute).In(loc), cur)
							case k.Since.Sub(last.Since) < 22*time.Hour:
								t.Fatalf("match at %s: period %s starts %s after the one before, %s: two in a night", now.In(loc), k, k.Since.Sub(last.Since), last)
							}
						}
						if !cur.Until.IsZero() && !cur.Until.Equal(now) {
							t.Fatalf("match at %s: left period %s before or after its end", now.In(loc), cur)
						}
						if r.Held() {
							for _, e := range []struct {
								at   time.Time
								want TimeOfDay
							}{{k.Since, w.Start}, {k.Until, w.End}} {
								if got := e.at.In(loc).Format("15:04"); got != fmt.Sprintf("%02d:%02d", e.want.Hour, e.want.Minute) && !isChange(e.at) {
									t.Fatalf("match at %s: period %s bounded at %s, want %02d:%02d or a clock change", now.In(loc), k, got, e.want.Hour, e.want.Minute)
								}
							}
							if dur := k.Until.Sub(k.Since); dur > length+time.Hour || dur < length-time.Hour {
								t.Fatalf("match at %s: period %s lasts %s, want %s give or take the change", now.In(loc), k, dur, length)
							}
							last = k
						}
						cur = k
					}
				}
			})
		}
	}
}

// A digest time the clocks skip goes out at the change, when the wall
// clock passes it, east of UTC and west of it alike (time.Date would move
// it an hour late east, an hour early west); one the clocks repeat goes
// out at its first occurrence. Quiet hours treat such times the same way.
func TestDigestTimesTheClocksSkipOrRepeat(t *testing.T) {
	rfc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	at := func(c ...TimeOfDay) *DigestSchedule { return &DigestSchedule{At: c} }
	tests := []struct {
		name      string
		zone      string
		schedule  *DigestSchedule
		now       string
		wantSince string
		wantUntil string
	}{
		{"skipped, east of UTC (Berlin)", "Europe/Berlin", at(TimeOfDay{2, 30}),
			"2027-03-28T00:00:00+01:00", "2027-03-27T02:30:00+01:00", "2027-03-28T03:00:00+02:00"},
		{"skipped, west of UTC (New York)", "America/New_York", at(TimeOfDay{2, 30}),
			"2027-03-14T00:00:00-05:00", "2027-03-13T02:30:00-05:00", "2027-03-14T03:00:00-04:00"},
		{"skipped half hour (Lord Howe)", "Australia/Lord_Howe", at(TimeOfDay{2, 15}),
			"2026-10-04T00:00:00+10:30", "2026-10-03T02:15:00+10:30", "2026-10-04T02:30:00+11:00"},
		{"skipped midnight, east of UTC (Cairo)", "Africa/Cairo", at(TimeOfDay{0, 0}),
			"2026-04-23T20:00:00+02:00", "2026-04-23T00:00:00+02:00", "2026-04-24T01:00:00+03:00"},
		{"skipped midnight, west of UTC (Santiago)", "America/Santiago", at(TimeOfDay{0, 0}),
			"2026-09-05T22:00:00-04:00", "2026-09-05T00:00:00-04:00", "2026-09-06T01:00:00-03:00"},
		{"after a skipped time, the next day's", "America/New_York", at(TimeOfDay{2, 30}),
			"2027-03-14T03:00:00-04:00", "2027-03-14T03:00:00-04:00", "2027-03-15T02:30:00-04:00"},
		{"repeated, east of UTC (Berlin)", "Europe/Berlin", at(TimeOfDay{2, 30}),
			"2026-10-25T00:00:00+02:00", "2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00"},
		{"repeated, west of UTC (New York)", "America/New_York", at(TimeOfDay{1, 30}),
			"2026-11-01T00:00:00-04:00", "2026-10-31T01:30:00-04:00", "2026-11-01T01:30:00-04:00"},
		{"repeated at midnight (Cairo)", "Africa/Cairo", at(TimeOfDay{23, 30}),
			"2026-10-29T20:00:00+03:00", "2026-10-28T23:30:00+03:00", "2026-10-29T23:30:00+03:00"},
		{"repeated half hour (Lord Howe)", "Australia/Lord_Howe", at(TimeOfDay{1, 45}),
			"2026-04-05T00:00:00+11:00", "2026-04-04T01:45:00+11:00", "2026-04-05T01:45:00+11:00"},
		{"in the second pass of a repeated time, the next day's", "Europe/Berlin", at(TimeOfDay{2, 30}),
			"2026-10-25T02:10:00+01:00", "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"},
		{"every 30m through the repeated hour", "Europe/Berlin", &DigestSchedule{Every: 30 * time.Minute},
			"2026-10-25T02:40:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-25T03:00:00+01:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustZone(t, tt.zone)
			d := Delivery{Digest: tt.schedule, Location: loc}
			got := d.Release("s", rfc(tt.now), 0).Key
			since, until := rfc(tt.wantSince), rfc(tt.wantUntil)
			if !got.Since.Equal(since) || !got.Until.Equal(until) {
				t.Errorf("match at %s: digest %s..%s, want %s..%s", tt.now, got.Since.Format(time.RFC3339), got.Until.Format(time.RFC3339), tt.wantSince, tt.wantUntil)
			}
		})
	}
}

// Walking every five minutes through the day either side of each
// clock change, each digest covers from the one before (no overlap, no
// gap) and goes out at one of the schedule's wall times, or at a clock
// change for a time the clocks skip.
func TestDigestPeriodsTileDSTChanges(t *testing.T) {
	schedules := []DigestSchedule{
		{At: []TimeOfDay{{2, 30}}}, {At: []TimeOfDay{{0, 0}, {23, 30}}}, {At: []TimeOfDay{{1, 45}, {8, 0}}},
		{Every: 30 * time.Minute}, {Every: 6 * time.Hour}, {Every: 22*time.Minute + 30*time.Second},
	}
	for _, zone := range dstZones {
		loc := mustZone(t, zone)
		for _, s := range schedules {
			scheduled := map[string]bool{}
			name := zone + " every " + s.Every.String()
			if len(s.At) > 0 {
				name = zone + " at"
			}
			for _, c := range s.At {
				scheduled[fmt.Sprintf("%02d:%02d:00", c.Hour, c.Minute)] = true
				name += fmt.Sprintf(" %02d:%02d", c.Hour, c.Minute)
			}
			for c := time.Duration(0); s.Every > 0 && c < 24*time.Hour; c += s.Every {
				scheduled[fmt.Sprintf("%02d:%02d:%02d", c/time.Hour, c%time.Hour/time.Minute, c%time.Minute/time.Second)] = true
			}
			t.Run(name, func(t *testing.T) {
				d := Delivery{Digest: &s, Location: loc}
				for _, change := range changes(loc) {
					var cur DigestKey
					for now := change.Add(-26 * time.Hour); now.Before(change.Add(26 * time.Hour)); now = now.Add(5 * time.Minute) {
						k := d.Release("s", now, 0).Key
						if now.Before(k.Since) || !now.Before(k.Until) {
							t.Fatalf("match at %s: digest %s does not cover it", now.In(loc), k)
						}
						if !scheduled[k.Until.In(loc).Format("15:04:05")] && !isChange(k.Until) {
							t.Fatalf("match at %s: digest %s goes out at %s, not a time of the schedule or a clock change", now.In(loc), k, k.Until.In(loc).Format("15:04:05"))
						}
						if k != cur && !cur.Until.IsZero() && (k.Since != cur.Until || now.Sub(cur.Until) >= 5*time.Minute) {
							t.Fatalf("match at %s: digest %s follows %s", now.In(loc), k, cur)
						}
						cur = k
					}
				}
			})
		}
	}
}
