package alert

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Delivery says when a subscription's alerts may go out. The zero value is
// instant delivery: each alert as soon as it is found.
type Delivery struct {
	// Digest, when set to a schedule with a time, holds every alert for
	// the next scheduled digest.
	Digest *DigestSchedule
	// Quiet, when set, holds alerts found inside the window until it ends.
	Quiet *QuietHours
	// MaxPerHour caps the alerts sent one by one in a clock hour; the rest
	// are held for an "also matched" digest at the end of the hour. 0: no cap.
	MaxPerHour int
	// Location is the zone of the schedule, the quiet hours and the clock
	// hours; nil means UTC.
	Location *time.Location
}

// DigestSchedule is when digests go out: every Every counted from local
// midnight (wall-clock times of the day), or at the local times of day At
// (sorted).
type DigestSchedule struct {
	Every time.Duration
	At    []TimeOfDay
}

// TimeOfDay is a local wall-clock time.
type TimeOfDay struct{ Hour, Minute int }

// QuietHours is a daily window of local time [Start, End), wrapping past
// midnight when End is not after Start.
type QuietHours struct{ Start, End TimeOfDay }

// Kinds of digest, which say why alerts were held.
const (
	KindDigest = "digest" // a scheduled digest
	KindQuiet  = "quiet"  // held through quiet hours
	KindCapped = "capped" // beyond max_per_hour: "also matched"
)

// DigestKey names the one message that held alerts go out in: the alerts
// of one subscription held for the same release time and reason. Its text
// form is what the outbox stores; rows with equal keys are sent together.
type DigestKey struct {
	Kind         string
	Subscription string    // the subscription's ID
	Since        time.Time // start of the period the digest covers, in the subscription's zone
	Until        time.Time // release time, in the subscription's zone
}

// String is the stored form: "kind|since|until|subscription", times in
// RFC 3339 with their zone offset so the digest can say "since 08:00" in
// the subscription's local time without loading a zone.
func (k DigestKey) String() string {
	return strings.Join([]string{k.Kind, k.Since.Format(time.RFC3339), k.Until.Format(time.RFC3339), k.Subscription}, "|")
}

// ParseDigestKey reads a key written by DigestKey.String.
func ParseDigestKey(s string) (DigestKey, error) {
	parts := strings.SplitN(s, "|", 4)
	if len(parts) != 4 {
		return DigestKey{}, fmt.Errorf("digest key %q: want kind|since|until|subscription", s)
	}
	since, err1 := time.Parse(time.RFC3339, parts[1])
	until, err2 := time.Parse(time.RFC3339, parts[2])
	if err1 != nil || err2 != nil {
		return DigestKey{}, fmt.Errorf("digest key %q: bad times", s)
	}
	return DigestKey{Kind: parts[0], Since: since, Until: until, Subscription: parts[3]}, nil
}

// Release is the decision for one alert: go out now (a zero Key), or be
// held until Key.Until and sent as part of the digest Key names.
type Release struct {
	Key DigestKey
}

// Held reports whether the alert waits for a digest.
func (r Release) Held() bool { return !r.Key.Until.IsZero() }

// Release decides when an alert of subscription subID found at now may go
// out. sentThisHour is how many alerts of the subscription went out one
// by one so far in now's clock hour (it matters only with MaxPerHour).
// A digest goes out at the next scheduled time strictly after now, so an
// alert is never added to a digest whose time has come; a release that
// falls inside quiet hours joins the digest sent when they end.
func (d Delivery) Release(subID string, now time.Time, sentThisHour int) Release {
	t := now.In(d.location())
	quiet, inQuiet := d.quietPeriod(t)
	var k DigestKey
	switch {
	case d.Digest.valid():
		k = DigestKey{Kind: KindDigest, Since: d.Digest.previous(t), Until: d.Digest.next(t)}
	case inQuiet:
		quiet.Subscription = subID
		return Release{quiet}
	case d.MaxPerHour > 0 && sentThisHour >= d.MaxPerHour:
		start := hourStart(t)
		k = DigestKey{Kind: KindCapped, Since: start, Until: start.Add(time.Hour)}
	default:
		return Release{}
	}
	if q, ok := d.quietPeriod(k.Until); ok {
		// Every release that falls in one quiet window joins that
		// window's digest: one message when it ends, not one per
		// schedule slot or hour it swallowed.
		k = q
	}
	k.Subscription = subID
	return Release{k}
}

// MayHold reports whether d may hold an alert for a digest: by a
// schedule, quiet hours or max_per_hour.
func (d Delivery) MayHold() bool { return d.Digest != nil || d.Quiet != nil || d.MaxPerHour > 0 }

// SameTiming reports whether d and o hold alerts for the same digests:
// the same schedule, quiet hours and zone, so that a reload changing
// neither has nothing held to re-plan. MaxPerHour's digests are of the
// hour whatever the cap, and stay.
func (d Delivery) SameTiming(o Delivery) bool {
	sameDigest := d.Digest == nil && o.Digest == nil ||
		d.Digest != nil && o.Digest != nil && d.Digest.Every == o.Digest.Every && slices.Equal(d.Digest.At, o.Digest.At)
	sameQuiet := d.Quiet == nil && o.Quiet == nil || d.Quiet != nil && o.Quiet != nil && *d.Quiet == *o.Quiet
	return sameDigest && sameQuiet && d.ZoneName() == o.ZoneName()
}

// ZoneName names the zone the delivery's times are in, UTC when it sets
// none: what a delivery written down keeps of its zone.
func (d Delivery) ZoneName() string { return d.location().String() }

func (d Delivery) location() *time.Location {
	if d.Location == nil {
		return time.UTC
	}
	return d.Location
}

// HourStart is the start of t's clock hour in the delivery's zone: the
// period MaxPerHour counts in.
func (d Delivery) HourStart(t time.Time) time.Time { return hourStart(t.In(d.location())) }

// hourStart takes off the wall-clock minutes and seconds, which is right
// in every zone, half-hour offsets and DST changes included.
func hourStart(t time.Time) time.Time {
	within := time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
	return t.Add(-within)
}

// valid reports whether s names any time of day. Config refuses a
// schedule without one; a digest without a schedule is instant delivery.
func (s *DigestSchedule) valid() bool {
	if s == nil {
		return false
	}
	for _, c := range s.At {
		if c.Hour < 0 || c.Hour > 23 || c.Minute < 0 || c.Minute > 59 {
			return false
		}
	}
	return len(s.At) > 0 || (s.Every > 0 && s.Every <= 24*time.Hour)
}

// next is the first digest time strictly after t (t in the schedule's
// zone). Digest times are wall-clock times (see times): 08:00 stays 08:00
// local whether the day has 23, 24 or 25 hours.
func (s *DigestSchedule) next(t time.Time) time.Time {
	for day := 0; day <= 2; day++ {
		for _, c := range s.times(t, day) {
			if c.After(t) {
				return c
			}
		}
	}
	panic("alert: digest schedule has no time within two days") // unreachable for a valid schedule
}

// previous is the last digest time at or before t.
func (s *DigestSchedule) previous(t time.Time) time.Time {
	for day := 0; day >= -2; day-- {
		times := s.times(t, day)
		for i := len(times) - 1; i >= 0; i-- {
			if !times[i].After(t) {
				return times[i]
			}
		}
	}
	panic("alert: digest schedule has no time within two days")
}

// times lists the digest times of the local day t+day, in order. They
// are wall-clock times, as the config promises ("6h is 00:00, 06:00,
// 12:00, 18:00 local time"): on a day of 23 or 25 hours, adding 6h of
// elapsed time to midnight would drift by the hour the clocks moved. Each
// is where the wall clock first reaches it (wallTime), as quiet hours'
// starts and ends are: a time the clocks skip goes out at the change, so
// no digest goes out before its time, and one they repeat at its first
// occurrence. Skipped times all land on the change: without repeats, the
// list gives no extra and no missing digest.
func (s *DigestSchedule) times(t time.Time, day int) []time.Time {
	y, m, d := t.Date()
	loc := t.Location()
	var out []time.Time
	if len(s.At) > 0 {
		for _, c := range s.At {
			out = append(out, wallTime(y, m, d+day, c.clock(), loc))
		}
	} else {
		for c := time.Duration(0); c < 24*time.Hour; c += s.Every {
			out = append(out, wallTime(y, m, d+day, c, loc))
		}
	}
	slices.SortFunc(out, time.Time.Compare)
	return slices.CompactFunc(out, time.Time.Equal)
}

// clock is c as the time since midnight on a wall clock.
func (c TimeOfDay) clock() time.Duration {
	return time.Duration(c.Hour)*time.Hour + time.Duration(c.Minute)*time.Minute
}

// quietPeriod returns the key (without subscription) of the quiet
// period t is in, if it is in one. A period runs from the instant the
// wall clock first reads Start on a local day to the instant it first
// reads End after that (the next day's End when the window wraps past
// midnight). Periods, not wall-clock readings, decide what is held: on
// the night the clocks go back a wall time happens twice, and reading the
// clock would put the second 23:30 of Cairo's repeated hour in a night
// that began the evening before, or hold a match at New York's second
// 01:10 for a 01:30 that has already passed until 01:30 the next night.
// Each instant is in at most one period and a night has one, since each
// day's Start comes at or after the End of the period before.
func (d Delivery) quietPeriod(t time.Time) (DigestKey, bool) {
	q := d.Quiet
	if q == nil {
		return DigestKey{}, false
	}
	// The last period to start at or before t is the only one t can be
	// in. The search begins on the day after t's date in case a change
	// set the clocks back across midnight, so that t reads a date before
	// that start's.
	y, m, day := t.Date()
	loc := t.Location()
	for day++; ; day-- {
		since := wallTime(y, m, day, q.Start.clock(), loc)
		if since.After(t) {
			continue
		}
		endDay := day
		if q.End.clock() <= q.Start.clock() {
			endDay++
		}
		until := wallTime(y, m, endDay, q.End.clock(), loc)
		return DigestKey{Kind: KindQuiet, Since: since, Until: until}, t.Before(until)
	}
}

// wallTime is the instant the wall clock first reads c (a time since
// midnight) or later on the local day y-m-d. For most c that is c itself.
// A c the clocks skip (02:30 on the spring change in Berlin) is the change
// (03:00): that is when the wall clock passes it, where time.Date would
// put it an hour late (03:30) east of UTC or an hour early (01:30) west
// of it. A c the clocks repeat (02:30 on the autumn change in Berlin,
// 23:30 in Cairo, whose clocks go back at midnight) is its first
// occurrence, where time.Date picks the second east of UTC and the first
// west of it.
func wallTime(y int, m time.Month, d int, c time.Duration, loc *time.Location) time.Time {
	t := time.Date(y, m, d, 0, 0, 0, int(c), loc)
	want := time.Date(y, m, d, 0, 0, 0, int(c), time.UTC)
	got := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	start, end := t.ZoneBounds()
	switch {
	case got.After(want): // moved past the gap: the change started t's zone
		return start
	case got.Before(want): // moved before the gap: the change ends t's zone
		return end
	case start.IsZero(): // no change before t
		return t
	}
	// If the clocks went back when t's zone started, the zone before
	// read c too, earlier by the difference of offsets, if that instant
	// was still in it.
	_, offset := t.Zone()
	_, before := start.Add(-time.Second).Zone()
	if first := t.Add(-time.Duration(before-offset) * time.Second); before > offset && first.Before(start) {
		return first
	}
	return t
}

// CapHours returns, for each subscription of entries that has a
// MaxPerHour, the start of its current clock hour: the caller counts the
// alerts it sent one by one since then and passes the counts to Schedule.
func (c *Catalog) CapHours(entries []Entry, now time.Time) map[string]time.Time {
	out := map[string]time.Time{}
	for _, e := range entries {
		if s, ok := c.subs[e.Subscription]; ok && s.Delivery.MaxPerHour > 0 {
			out[e.Subscription] = s.Delivery.HourStart(now)
		}
	}
	return out
}

// Schedule sets each entry's Release from its subscription's delivery
// (the first matching subscription's, whose name, colour and ping the
// alert carries too). sent holds, per capped subscription, the alerts sent
// one by one in its current hour; entries let through count towards it in
// order. It returns the subscriptions whose cap held an alert back. A
// further report of a story (Joins) is no message of its own and counts
// towards no cap; inside quiet hours it waits with the rest, and the quiet
// hours' digest lists it. One whose story's first alert the cap held
// goes in that alert's digest (the sender puts it there), so it does not
// pass the cap either; one the sender must post as a message of its own
// (its story's message is gone, or went out in a digest) is counted, or
// held, then, as a new alert is here.
func (c *Catalog) Schedule(entries []Entry, now time.Time, sent map[string]int) (capped []string) {
	for i := range entries {
		e := &entries[i]
		s, ok := c.subs[e.Subscription]
		if !ok {
			continue
		}
		if e.Joins {
			e.Release = s.Delivery.Release(s.ID, now, 0)
			continue
		}
		e.Release = s.Delivery.Release(s.ID, now, sent[s.ID])
		switch {
		case !e.Release.Held():
			if s.Delivery.MaxPerHour > 0 {
				sent[s.ID]++
			}
		case e.Release.Key.Kind == KindCapped && !slices.Contains(capped, s.ID):
			capped = append(capped, s.ID)
		}
	}
	return capped
}
