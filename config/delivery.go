package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // IANA zones resolve on hosts without a zoneinfo database

	"go.yaml.in/yaml/v3"
)

// Delivery modes of a subscription.
const (
	Instant = "instant" // each alert as soon as it is found (the default)
	Digest  = "digest"  // the alerts of a period as one message
)

// MinDigestEvery is the shortest digest period: shorter is instant with
// extra steps.
const MinDigestEvery = 5 * time.Minute

// Delivery says when a subscription's alerts go out. The zero value is
// instant delivery with no quiet hours and no cap.
type Delivery struct {
	Mode string // Instant ("" reads as Instant) or Digest
	// Every sends a digest every this long, counted from midnight in
	// Location (so 6h is 00:00, 06:00, 12:00, 18:00 local time, also on
	// the days clocks change: wall-clock times, not elapsed ones). 0 with At.
	Every time.Duration
	// At sends a digest at these local times of day, sorted. Empty with Every.
	At []ClockTime
	// Location is the time zone of At, Every, QuietHours and the clock
	// hours of MaxPerHour; UTC when the timezone key is left out (nil in the
	// zero value reads as UTC).
	Location *time.Location
	// QuietHours holds alerts found inside the window and sends them as one
	// digest when it ends; nil means no quiet hours.
	QuietHours *TimeWindow
	// MaxPerHour caps the alerts posted one by one in a clock hour; the
	// rest wait for an "also matched" digest at the end of the hour. 0 means
	// no cap (the key left out); the key itself must be at least 1. Instant
	// delivery only: a digest is one message, so the key is refused there
	// rather than ignored.
	MaxPerHour int
	Line       int // of the delivery key
}

// ClockTime is a local time of day.
type ClockTime struct{ Hour, Minute int }

func (c ClockTime) String() string { return fmt.Sprintf("%02d:%02d", c.Hour, c.Minute) }

// TimeWindow is a daily span of local time from Start up to End; it wraps
// past midnight when End is not after Start ("22:00-07:00").
type TimeWindow struct{ Start, End ClockTime }

func (w TimeWindow) String() string { return w.Start.String() + "-" + w.End.String() }

// delivery decodes a subscription's delivery key: a mode alone
// ("delivery: instant") or a mapping of mode, schedule, timezone, quiet
// hours and cap.
func (d *decoder) delivery(v *yaml.Node) Delivery {
	del := Delivery{Mode: Instant, Location: time.UTC, Line: v.Line}
	if v.Kind == yaml.ScalarNode {
		del.Mode = d.deliveryMode(v)
		if del.Mode == Digest {
			d.errorf(v, "delivery: a digest needs a schedule; write delivery: {mode: digest, at: [\"08:00\"]} or every: 1h")
		}
		return del
	}
	var modeNode, everyNode, atNode, maxNode, zoneNode, quietNode *yaml.Node
	d.mapping(v, "delivery", map[string]fieldFunc{
		"mode":  func(n *yaml.Node) { modeNode = n; del.Mode = d.deliveryMode(n) },
		"every": func(n *yaml.Node) { everyNode = n; setIf(&del.Every)(d.digestEvery(n)) },
		"at":    func(n *yaml.Node) { atNode = n; del.At = d.clockTimes(n) },
		"timezone": func(n *yaml.Node) {
			if loc, ok := d.timezone(n); ok {
				del.Location, zoneNode = loc, n
			}
		},
		"quiet_hours": func(n *yaml.Node) {
			quietNode = n
			if w, ok := d.timeWindow(n); ok {
				del.QuietHours = &w
			}
		},
		"max_per_hour": func(n *yaml.Node) { maxNode = n; setIf(&del.MaxPerHour)(d.integer("max_per_hour", n, 1)) },
	})
	switch {
	case del.Mode == Digest && everyNode == nil && atNode == nil:
		d.errorf(or(modeNode, v), "delivery: a digest needs a schedule: at: [\"08:00\"] or every: 1h")
	case everyNode != nil && atNode != nil:
		d.errorf(atNode, "delivery: give either every or at, not both")
	case del.Mode != Digest && everyNode != nil:
		d.errorf(everyNode, "delivery: every applies to mode: digest")
	case del.Mode != Digest && atNode != nil:
		d.errorf(atNode, "delivery: at applies to mode: digest")
	}
	// Checked apart from the schedule: a digest with a bad schedule and a
	// cap has two mistakes to report. The cap counts alerts sent one by
	// one, and a digest sends none, so alert.Delivery.Release would never
	// consult it. Only a key written in this mapping can trip this (no
	// defaults: key sets a delivery), so an inherited value never does.
	if del.Mode == Digest && maxNode != nil {
		d.errorf(maxNode, "delivery: max_per_hour applies to mode: instant (a digest is one message already)")
	}
	// A zone read by nothing would be ignored: one who wrote it most
	// likely meant the zone alerts show their time in.
	if zoneNode != nil && del.Mode != Digest && everyNode == nil && atNode == nil && quietNode == nil && maxNode == nil {
		d.errorf(zoneNode, "delivery: timezone applies to at, every, quiet_hours and max_per_hour; alone it changes nothing (the zone of an alert's {published} is format: timezone)")
	}
	return del
}

func or(n, fallback *yaml.Node) *yaml.Node {
	if n != nil {
		return n
	}
	return fallback
}

func (d *decoder) deliveryMode(v *yaml.Node) string {
	s, ok := d.str("delivery", v)
	if !ok {
		return Instant
	}
	switch s = strings.TrimSpace(s); s {
	case Instant, Digest:
		return s
	}
	d.errorf(v, "delivery: expected instant or digest, got %q", s)
	return Instant
}

func (d *decoder) digestEvery(v *yaml.Node) (time.Duration, bool) {
	dur, ok := d.duration("every", v)
	if !ok {
		return 0, false
	}
	if dur < MinDigestEvery || dur > 24*time.Hour {
		d.errorf(v, "every: must be from %s to 24h, got %s", strings.TrimSuffix(MinDigestEvery.String(), "0s"), d.written(v))
		return 0, false
	}
	return dur, true
}

// clockTimes reads a list of "HH:MM" (or one), sorted and without repeats.
func (d *decoder) clockTimes(v *yaml.Node) []ClockTime {
	var out []ClockTime
	add := func(el *yaml.Node) {
		c, ok := d.clockTime("at", el)
		if !ok {
			return
		}
		for _, have := range out {
			if have == c {
				d.errorf(el, "at: %s is listed twice", c)
				return
			}
		}
		out = append(out, c)
	}
	if v.Kind == yaml.ScalarNode {
		add(v)
	} else {
		d.list("at", v, func(_ int, el *yaml.Node) { add(el) })
		// A digest with no time is delivered as instant alerts.
		if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
			d.errorf(v, "at: the list is empty (give a time such as [\"08:00\"], or every: 1h)")
		}
	}
	sortClockTimes(out)
	return out
}

func sortClockTimes(cs []ClockTime) {
	slices.SortFunc(cs, func(a, b ClockTime) int { return minutesOf(a) - minutesOf(b) })
}

func minutesOf(c ClockTime) int { return c.Hour*60 + c.Minute }

func (d *decoder) clockTime(key string, v *yaml.Node) (ClockTime, bool) {
	s, ok := d.str(key, v)
	if !ok {
		return ClockTime{}, false
	}
	c, err := parseClockTime(strings.TrimSpace(s))
	if err != nil {
		d.errorf(v, "%s: %v", key, err)
		return ClockTime{}, false
	}
	return c, true
}

// parseClockTime reads "HH:MM" on a 24-hour clock.
func parseClockTime(s string) (ClockTime, error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != len("15:04") {
		return ClockTime{}, fmt.Errorf("expected a time of day as HH:MM (24-hour clock, quoted), got %q", s)
	}
	return ClockTime{t.Hour(), t.Minute()}, nil
}

func (d *decoder) timezone(v *yaml.Node) (*time.Location, bool) {
	s, ok := d.nonEmpty("timezone", v)
	if !ok {
		return nil, false
	}
	loc, err := time.LoadLocation(strings.TrimSpace(s))
	if err != nil || strings.EqualFold(strings.TrimSpace(s), "local") {
		d.errorf(v, "timezone: %q is not an IANA time zone name such as Europe/Berlin or UTC", s)
		return nil, false
	}
	return loc, true
}

func (d *decoder) timeWindow(v *yaml.Node) (TimeWindow, bool) {
	s, ok := d.str("quiet_hours", v)
	if !ok {
		return TimeWindow{}, false
	}
	from, to, found := strings.Cut(strings.TrimSpace(s), "-")
	start, err1 := parseClockTime(strings.TrimSpace(from))
	end, err2 := parseClockTime(strings.TrimSpace(to))
	if !found || err1 != nil || err2 != nil {
		d.errorf(v, "quiet_hours: expected \"HH:MM-HH:MM\" such as \"22:00-07:00\", got %q", s)
		return TimeWindow{}, false
	}
	if start == end {
		d.errorf(v, "quiet_hours: %q starts and ends at the same time; leave the key out for no quiet hours", s)
		return TimeWindow{}, false
	}
	return TimeWindow{start, end}, true
}
