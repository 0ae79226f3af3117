package bot

import (
	"context"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/store"
)

// TestAReplanAcrossADSTChangeKeepsLocalTime: a match held before the
// clocks change, its subscription's delivery changed by a reload or a
// restart after: it goes out when the new delivery says in local time on
// the day of the change, once, not an hour off. Times are UTC: London
// goes to BST at 01:00 on 29 March 2026 and back at 01:00 on 25 October;
// New York to EDT at 07:00 on 8 March and back at 06:00 on 1 November.
func TestAReplanAcrossADSTChangeKeepsLocalTime(t *testing.T) {
	zone := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	london, newYork := zone("Europe/London"), zone("America/New_York")
	utc := func(y int, m time.Month, d, hour, minute int) time.Time {
		return time.Date(y, m, d, hour, minute, 0, 0, time.UTC)
	}
	daily := func(hour int, loc *time.Location) config.Delivery {
		return config.Delivery{Mode: config.Digest, At: []config.ClockTime{{Hour: hour}}, Location: loc}
	}
	every := func(d time.Duration, loc *time.Location) config.Delivery {
		return config.Delivery{Mode: config.Digest, Every: d, Location: loc}
	}
	window := func(start, end int) *config.TimeWindow {
		return &config.TimeWindow{Start: config.ClockTime{Hour: start}, End: config.ClockTime{Hour: end}}
	}
	quiet := func(end int, loc *time.Location) config.Delivery {
		return config.Delivery{QuietHours: window(22, end), Location: loc}
	}
	capped := func(start int) config.Delivery {
		return config.Delivery{MaxPerHour: 1, QuietHours: window(start, 7), Location: newYork}
	}
	type step struct {
		at   time.Time
		sent bool // the held match's digest goes out then
	}
	tests := []struct {
		name           string
		from, to       config.Delivery
		found, changed time.Time
		steps          []step
	}{
		{"London, spring: 08:00 moved to 09:00", daily(8, london), daily(9, london),
			utc(2026, 3, 28, 20, 0), utc(2026, 3, 29, 6, 30),
			[]step{{at: utc(2026, 3, 29, 7, 1)}, {at: utc(2026, 3, 29, 8, 1), sent: true}, {at: utc(2026, 3, 29, 9, 1)}}},
		{"London, autumn: 08:00 moved to 07:00", daily(8, london), daily(7, london),
			utc(2026, 10, 24, 20, 0), utc(2026, 10, 25, 5, 0),
			[]step{{at: utc(2026, 10, 25, 6, 1)}, {at: utc(2026, 10, 25, 7, 1), sent: true}, {at: utc(2026, 10, 25, 8, 1)}}},
		{"New York, autumn: 08:00 moved to 07:00", daily(8, newYork), daily(7, newYork),
			utc(2026, 11, 1, 2, 0), utc(2026, 11, 1, 10, 0),
			[]step{{at: utc(2026, 11, 1, 11, 1)}, {at: utc(2026, 11, 1, 12, 1), sent: true}, {at: utc(2026, 11, 1, 13, 1)}}},
		{"New York, spring: 08:00 London moved to 08:00 New York", daily(8, london), daily(8, newYork),
			utc(2026, 3, 8, 2, 0), utc(2026, 3, 8, 5, 0),
			[]step{{at: utc(2026, 3, 8, 8, 1)}, {at: utc(2026, 3, 8, 11, 1)}, {at: utc(2026, 3, 8, 12, 1), sent: true}, {at: utc(2026, 3, 8, 13, 1)}}},
		{"New York, spring: every 6h made every 4h", every(6*time.Hour, newYork), every(4*time.Hour, newYork),
			utc(2026, 3, 8, 5, 10), utc(2026, 3, 8, 7, 30),
			[]step{{at: utc(2026, 3, 8, 7, 31)}, {at: utc(2026, 3, 8, 8, 1), sent: true}, {at: utc(2026, 3, 8, 10, 1)}}},
		{"London, autumn: quiet hours to 07:00 made to 06:00", quiet(7, london), quiet(6, london),
			utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 3, 0),
			[]step{{at: utc(2026, 10, 25, 5, 1)}, {at: utc(2026, 10, 25, 6, 1), sent: true}, {at: utc(2026, 10, 25, 7, 1)}}},
		{"London, spring: quiet hours to 07:00 made to 06:00", quiet(7, london), quiet(6, london),
			utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 3, 0),
			[]step{{at: utc(2026, 3, 29, 4, 1)}, {at: utc(2026, 3, 29, 5, 1), sent: true}, {at: utc(2026, 3, 29, 6, 1)}}},
		// In the hour the clocks repeat (01:00 EST): the cap holds the
		// second match for 02:00 EST, in quiet hours until 07:00; they
		// start at 03:00 now, and it goes at 02:00 EST.
		{"New York, autumn: max_per_hour's digest out of quiet hours moved", capped(2), capped(3),
			utc(2026, 11, 1, 6, 20), utc(2026, 11, 1, 6, 30),
			[]step{{at: utc(2026, 11, 1, 7, 1), sent: true}, {at: utc(2026, 11, 1, 12, 1)}}},
	}
	for _, tt := range tests {
		for _, restart := range []bool{false, true} {
			name := tt.name + ", by a reload"
			if restart {
				name = tt.name + ", by a restart"
			}
			t.Run(name, func(t *testing.T) {
				h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: tt.from})
				h.clock = tt.found.Add(-time.Hour)
				h.afterFirstSight()
				svc, st := h.open()
				t.Cleanup(func() { st.Close() })
				ctx := context.Background()
				run := func(at time.Time) {
					t.Helper()
					for range 2 {
						if _, err := svc.RunOnce(ctx); err != nil {
							t.Fatalf("at %v: RunOnce: %v", at, err)
						}
					}
				}
				read := 0
				unrelated := item(1, "Unrelated", tt.found.Add(-time.Hour))
				if tt.from.MaxPerHour > 0 { // a match sent first, for the cap to hold found's
					first := item(9, "Aleppo story 0", tt.found.Add(-10*time.Minute))
					h.clock = first.Published
					h.write("wire.xml", unrelated, first)
					run(h.clock)
					wantSent(t, h.clock.Format(time.RFC3339)+" (the first match)", h.rec.since(&read), []string{"Aleppo story 0"}, nil)
					unrelated = first
				}
				h.clock = tt.found
				h.write("wire.xml", unrelated, item(10, "Aleppo story", tt.found))
				run(tt.found)
				wantSent(t, tt.found.Format(time.RFC3339)+" (found)", h.rec.since(&read), nil, nil)
				h.clock = tt.changed
				next := h.withDelivery(tt.to)
				if restart {
					st.Close()
					h.cfg = next
					var s store.Store
					svc, s = h.open()
					t.Cleanup(func() { s.Close() })
				} else if err := svc.Reload(ctx, next); err != nil {
					t.Fatal(err)
				}
				run(tt.changed)
				wantSent(t, tt.changed.Format(time.RFC3339)+" (the change)", h.rec.since(&read), nil, nil)
				for _, s := range tt.steps {
					h.clock = s.at
					run(s.at)
					var want [][]string
					if s.sent {
						want = [][]string{{"Aleppo story"}}
					}
					wantSent(t, s.at.Format(time.RFC3339), h.rec.since(&read), nil, want)
				}
			})
		}
	}
}
