package config

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDeliveryKeys(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	c := mustParse(t, `
subscriptions:
  - {name: plain, query: x}
  - {name: said-instant, query: x, delivery: instant}
  - name: morning
    query: x
    delivery:
      mode: digest
      at: ["17:30", "08:00"]
      timezone: Europe/Berlin
      quiet_hours: "22:00-07:00"
  - name: hourly
    query: x
    delivery: {mode: digest, every: 1h}
  - name: capped
    query: x
    delivery: {max_per_hour: 5}
`, nil)
	want := []Delivery{
		{},
		{Mode: Instant, Location: time.UTC, Line: 4},
		{Mode: Digest, At: []ClockTime{{8, 0}, {17, 30}}, Location: berlin, QuietHours: &TimeWindow{ClockTime{22, 0}, ClockTime{7, 0}}, Line: 8},
		{Mode: Digest, Every: time.Hour, Location: time.UTC, Line: 14},
		{Mode: Instant, MaxPerHour: 5, Location: time.UTC, Line: 17},
	}
	for i, s := range c.Subscriptions {
		if got := s.Delivery; !reflect.DeepEqual(got, want[i]) {
			t.Errorf("%s: Delivery = %+v, want %+v", s.Name, got, want[i])
		}
	}
}

func TestDeliveryProblems(t *testing.T) {
	tests := []struct {
		name, delivery, want string
	}{
		{"unknown mode", `weekly`, `5:15: delivery: expected instant or digest, got "weekly"`},
		{"digest without a schedule", `digest`, `5:15: delivery: a digest needs a schedule`},
		{"digest mapping without a schedule", `{mode: digest}`, `5:22: delivery: a digest needs a schedule`},
		{"both every and at", `{mode: digest, every: 1h, at: "08:00"}`, `delivery: give either every or at, not both`},
		{"at without digest", `{at: "08:00"}`, `delivery: at applies to mode: digest`},
		{"bad time of day", `{mode: digest, at: ["8am"]}`, `at: expected a time of day as HH:MM`},
		{"hour 24", `{mode: digest, at: ["24:00"]}`, `at: expected a time of day as HH:MM`},
		{"repeated time", `{mode: digest, at: ["08:00", "08:00"]}`, `at: 08:00 is listed twice`},
		// Before, this loaded as a digest with no time, which delivery
		// reads as instant: every alert went out at once.
		{"empty list of times", `{mode: digest, at: []}`, `n.yaml:5:34: at: the list is empty (give a time such as ["08:00"], or every: 1h)`},
		{"every too short", `{mode: digest, every: 1m}`, `every: must be from 5m to 24h, got 1m`},
		{"every too long", `{mode: digest, every: 1d1h}`, `every: must be from 5m to 24h, got 1d1h`},
		{"unknown zone", `{timezone: Europe/Atlantis}`, `5:26: timezone: "Europe/Atlantis" is not an IANA time zone`},
		{"local zone", `{timezone: Local}`, `timezone: "Local" is not an IANA time zone`},
		// A zone is for a schedule, quiet hours or the cap's clock hours:
		// alone it changes nothing (an alert's {published} takes format's
		// timezone), so it is refused rather than ignored.
		{"timezone alone", `{timezone: Europe/Berlin}`, `n.yaml:5:26: delivery: timezone applies to at, every, quiet_hours and max_per_hour; alone it changes nothing (the zone of an alert's {published} is format: timezone)`},
		{"timezone with instant alone", `{mode: instant, timezone: Europe/Berlin}`, `n.yaml:5:41: delivery: timezone applies to at, every, quiet_hours`},
		{"bad quiet hours", `{quiet_hours: "22-7"}`, `quiet_hours: expected "HH:MM-HH:MM"`},
		{"empty quiet hours", `{quiet_hours: "07:00-07:00"}`, `starts and ends at the same time`},
		{"max_per_hour 0", `{max_per_hour: 0}`, `max_per_hour: must be at least 1, got 0`},
		// A digest is one message, which max_per_hour never holds back:
		// the key would be ignored, so it is refused where it was written.
		{"max_per_hour on a digest", `{mode: digest, every: 1h, max_per_hour: 3}`, `n.yaml:5:55: delivery: max_per_hour applies to mode: instant (a digest is one message already)`},
		{"max_per_hour before mode digest", `{max_per_hour: 3, mode: digest, at: "08:00"}`, `n.yaml:5:30: delivery: max_per_hour applies to mode: instant`},
		{"unknown key", `{every_day: "08:00"}`, `unknown key "every_day"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := "subscriptions:\n  - name: s\n    query: x\n\n    delivery: " + tt.delivery + "\n"
			_, err := Parse(filepath.Join(t.TempDir(), "n.yaml"), []byte(text), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse = %v, want a problem containing %q", err, tt.want)
			}
		})
	}
}
