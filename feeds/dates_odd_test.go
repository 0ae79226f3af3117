package feeds

import (
	"testing"
	"time"
)

// TestDatesGofeedDoesNotRead: real feeds' dates gofeed does not read,
// so that their items were undated (given their first-seen time): NBC
// New York's "Sat, Dec 16 2023 02:02:33 PM" (month before day, a
// 12-hour clock, no zone, in the corpus), the same with a zone, and ABC
// News's "2024-05-18 2024 11:01:59 -0400" (the year again after the
// date, all 25 items of the corpus's feed). They are read now, a time
// with no zone as UTC as gofeed reads one (the feed's country has summer
// time) or at a country's one offset (localOffsetFor). What only looks
// like them stays undated, never "now" or a wrong day; a date gofeed
// reads reads as before; and a GUID-less, link-less item keeps the key
// it had undated, as versions before read it, so that an upgrade posts
// nothing again.
func TestDatesGofeedDoesNotRead(t *testing.T) {
	pm := time.Date(2023, 12, 16, 14, 2, 33, 0, time.UTC)
	abc := time.Date(2024, 5, 18, 15, 1, 59, 0, time.UTC)
	tests := []struct {
		name, language, date string
		want                 time.Time // zero: undated
	}{
		{"NBC: 12-hour clock, no zone", "en-us", "Sat, Dec 16 2023 02:02:33 PM", pm},
		{"12-hour clock, numeric zone", "en-us", "Sat, Dec 16 2023 09:02:33 AM -0500", pm},
		{"12-hour clock, zone name", "en-us", "Sat, Dec 16 2023 9:02:33 AM EST", pm},
		{"12-hour clock, GMT", "en-us", "Sat, Dec 16 2023 02:02:33 PM GMT", pm},
		{"12-hour clock, no weekday", "en-us", "Dec 16 2023 02:02:33 PM", pm},
		{"12-hour clock, noon", "en-us", "Sat, Dec 16 2023 12:02:33 PM", pm.Add(-2 * time.Hour)},
		{"12-hour clock, midnight", "en-us", "Sat, Dec 16 2023 12:02:33 AM", pm.Add(-14 * time.Hour)},
		{"12-hour clock, no zone, at Japan's offset", "ja", "Sat, Dec 16 2023 11:02:33 PM", pm},
		{"ABC: the year again", "en-us", "2024-05-18 2024 11:01:59 -0400", abc},
		{"the year again, no zone", "en-us", "2024-05-18 2024 15:01:59", abc},
		{"the year again, zone name", "en-us", "2024-05-18 2024 11:01:59 EDT", abc},
		{"gofeed's reading kept", "en-us", "Sat, 16 Dec 2023 09:02:33 -0500", pm},
		{"another year after the date", "en-us", "2024-05-18 2023 11:01:59 -0400", time.Time{}},
		{"a 13 o'clock PM", "en-us", "Sat, Dec 16 2023 13:02:33 PM", time.Time{}},
		{"no such day", "en-us", "Sat, Dec 32 2023 02:02:33 PM", time.Time{}},
		{"no year", "en-us", "Sat, Dec 16 02:02:33 PM", time.Time{}},
		{"in the future", "en-us", "Sat, Dec 16 2023 11:02:33 PM", time.Time{}},
	}
	doc := func(language, date string) []byte {
		pub := ""
		if date != "" {
			pub = `<pubDate>` + date + `</pubDate>`
		}
		return []byte(`<rss version="2.0"><channel><title>T</title><link>https://news.example.com/</link><language>` + language + `</language>` +
			`<item><title>Dated story</title><guid isPermaLink="false">story-1</guid>` + pub + `</item>` +
			`<item><title>Story known by its headline</title>` + pub + `</item></channel></rss>`)
	}
	p := NewParser()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := pm.Add(time.Hour)
			if tc.want.After(now) {
				now = tc.want.Add(time.Hour)
			}
			feed, err := p.Parse(doc(tc.language, tc.date), "", "https://news.example.com/rss", now)
			if err != nil {
				t.Fatal(err)
			}
			undated, err := p.Parse(doc(tc.language, ""), "", "https://news.example.com/rss", now)
			if err != nil {
				t.Fatal(err)
			}
			if len(feed.Items) != 2 || len(undated.Items) != 2 {
				t.Fatalf("got %d and %d items, want 2", len(feed.Items), len(undated.Items))
			}
			it := feed.Items[0]
			switch {
			case tc.want.IsZero() && (it.Dated || !it.Published.Equal(now)):
				t.Errorf("%q: got %v (dated %v), want undated (%v, the first-seen time)", tc.date, it.Published, it.Dated, now)
			case !tc.want.IsZero() && (!it.Dated || !it.Published.Equal(tc.want)):
				t.Errorf("%q: got %v (dated %v), want %v", tc.date, it.Published, it.Dated, tc.want)
			}
			if tc.name == "gofeed's reading kept" {
				return // known by its headline and the date gofeed read
			}
			if got, want := feed.Items[1].Key, undated.Items[1].Key; got != want {
				t.Errorf("headline-keyed item: key %s, want %s, its key undated", got, want)
			}
		})
	}
}
