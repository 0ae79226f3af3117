package feeds

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestZonelessDatesAtTheFeedsStatedOffset: a date with a time of day and
// no zone ("Tue, 16 Dec 2025 09:30:00", "2025-07-17T11:00:00") in a feed
// of a country with summer time or several zones (the US, Europe) was
// read as UTC, hours off the publisher's clock: a US feed's item came
// out hours early, crossing the backfill cut-off and the story window,
// and a European one's in the future, undated. Where the feed's own
// other dates (the channel's pubDate or lastBuildDate, an Atom feed's
// updated, other items' dates) state an offset it is read at that
// offset, the nearest in time across a change to or from summer time.
// Not where those offsets are of several zones (an aggregator's), where
// an offset is only an abbreviation gofeed does not know (read as UTC),
// where the offset would put an item of the feed in the future (its
// zone-less dates are then UTC), nor in a country of one offset, whose
// offset is read as before (localOffsetFor). Every case is a feed of
// testdata/zoneless; want are its items' dates in document order.
func TestZonelessDatesAtTheFeedsStatedOffset(t *testing.T) {
	at := func(month time.Month, day, h, m int) time.Time {
		return time.Date(2025, month, day, h, m, 0, 0, time.UTC)
	}
	tests := []struct {
		name, file string
		now        time.Time
		want       []time.Time
	}{
		{"the channel's offset", "us_channel.xml", at(12, 16, 17, 0),
			[]time.Time{at(12, 16, 14, 30), at(12, 16, 13, 15), at(12, 16, 12, 5)}},
		{"the nearest item's offset across the end of summer time", "dst_change.xml", at(11, 4, 12, 0),
			[]time.Time{at(10, 31, 14, 0), at(10, 31, 16, 0), at(11, 3, 15, 0), at(11, 3, 17, 0)}},
		{"an Atom feed's updated, no more in the future", "atom_europe.atom", at(7, 17, 10, 15),
			[]time.Time{at(7, 17, 9, 0), at(7, 17, 8, 30)}},
		{"another item's offset, JSON Feed", "json_feed.json", at(7, 17, 18, 0),
			[]time.Time{at(7, 17, 15, 0), at(7, 17, 16, 30)}},
		{"offsets of several zones: UTC", "mixed_zones.xml", at(12, 16, 13, 0),
			[]time.Time{at(12, 16, 11, 40), at(12, 16, 10, 10), at(12, 16, 9, 30)}},
		{"an abbreviation gofeed reads as UTC states nothing", "unknown_zone.xml", at(12, 16, 13, 0),
			[]time.Time{at(12, 16, 9, 30)}},
		{"an offset that puts an item in the future: UTC", "future.xml", at(7, 17, 12, 0),
			[]time.Time{at(7, 17, 11, 50), at(7, 17, 8, 0)}},
		{"the country's one offset first", "japan_site.xml", at(7, 17, 12, 0),
			[]time.Time{at(7, 17, 9, 0)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := os.ReadFile(filepath.Join("testdata", "zoneless", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			feed, err := NewParser().Parse(doc, "", "https://feeds.example.net/"+tc.file, tc.now)
			if err != nil {
				t.Fatal(err)
			}
			if len(feed.Items) != len(tc.want) {
				t.Fatalf("got %d items, want %d", len(feed.Items), len(tc.want))
			}
			for i, it := range feed.Items {
				if !it.Dated || !it.Published.Equal(tc.want[i]) {
					t.Errorf("item %d (%q): got %v (dated %v), want %v", i, it.Title, it.Published, it.Dated, tc.want[i])
				}
			}
		})
	}
}

// TestZonelessDatesKeepTheirKeys: an item known by its headline and date
// (no GUID, no link) has its date in its key, as gofeed reads it. Read at
// the offset its feed states (TestZonelessDatesAtTheFeedsStatedOffset),
// its date moves, and its key must not: else an upgrade posts it again.
// The keys are those 0c49904, the version before, gave the items of
// testdata/upgrade/zoneless.xml, a US feed stating -0500 whose items'
// dates have no zone but the last's; want are their dates now. The
// document is parsed again under the memo its first parse gave, as the
// poller parses it next.
func TestZonelessDatesKeepTheirKeys(t *testing.T) {
	now := time.Date(2026, 12, 1, 17, 0, 0, 0, time.UTC)
	at := func(h, m int) time.Time { return time.Date(2026, 12, 1, h, m, 0, 0, time.UTC) }
	want := []struct {
		key  string // 0c49904's
		date time.Time
	}{
		{"twctXcdKT7vEfu0WLvn43CQ", at(14, 30)}, // "Tue, 01 Dec 2026 09:30:00"
		{"tkLvbw68S2PH363i3Jewcgg", at(13, 10)}, // "2026-12-01T08:10:00"
		{"t02vP9fa2bpP1d5gkPCjGRA", at(12, 45)}, // "2026/12/1 07:45:00", which gofeed does not read
		{"t3zZTFZQzdKpSpAJ5NvDMkQ", at(11, 20)}, // "Tue, Dec 01 2026 06:20:00 AM", keyed undated
		{"gkFZydKzIQYVkQzMK9bjJnQ", at(15, 5)},  // a GUID
		{"tNxKQduVfT5HJ5Xrlil_s8Q", at(15, 40)}, // "Tue, 01 Dec 2026 10:40:00 -0500"
	}
	doc, err := os.ReadFile(filepath.Join("testdata", "upgrade", "zoneless.xml"))
	if err != nil {
		t.Fatal(err)
	}
	parsers := []struct {
		name   string
		parser *Parser
	}{
		{"eager", NewParser()},
		{"lazy, remembering", NewParserWith(ParserOptions{LazyText: true})},
	}
	for _, p := range parsers {
		t.Run(p.name, func(t *testing.T) {
			memo := &ItemMemo{}
			for _, parse := range []string{"first parse", "under its memo"} {
				feed, err := p.parser.ParseRemembering(doc, "", "https://feed.example/zoneless.xml", now, memo)
				if err != nil {
					t.Fatal(err)
				}
				memo = feed.Memo
				if len(feed.Items)+len(feed.Known) != len(want) {
					t.Fatalf("%s: %d items and %d known, want %d", parse, len(feed.Items), len(feed.Known), len(want))
				}
				got := map[string]Item{}
				for _, it := range feed.Items {
					if old, ok := feed.OldKeys[it.Key]; ok {
						t.Errorf("%s: item %q: key %s with old key %s, want no old key", parse, it.Title, it.Key, old)
					}
					got[it.Key] = it
				}
				for _, k := range feed.Known {
					got[k] = Item{Key: k}
				}
				for i, w := range want {
					it, ok := got[w.key]
					switch {
					case !ok:
						t.Errorf("%s: item %d: no item with key %s (0c49904's)", parse, i, w.key)
					case it.Title != "" && (!it.Dated || !it.Published.Equal(w.date)):
						t.Errorf("%s: item %d (%q): got %v (dated %v), want %v", parse, i, it.Title, it.Published, it.Dated, w.date)
					}
				}
			}
		})
	}
}

// TestOffsetOf: the offset a date states, which its feed's dates with no
// zone may be read at; none for a date with no zone, a day with no time,
// or an abbreviation gofeed reads as UTC. hasNoZone is its opposite for
// a date with a time.
func TestOffsetOf(t *testing.T) {
	china := zonesFor("zh-cn")
	tests := []struct {
		name, date string
		zones      map[string]int
		want       int
		ok         bool
	}{
		{"RFC 822, numeric", "Tue, 16 Dec 2025 11:58:40 -0500", nil, -5 * 3600, true},
		{"numeric, half hours", "Tue, 16 Dec 2025 11:58:40 +0530", nil, 5*3600 + 1800, true},
		{"ISO 8601, Z", "2025-07-17T12:00:00Z", nil, 0, true},
		{"ISO 8601, fraction and offset", "2025-07-17T12:00:00.250+02:00", nil, 2 * 3600, true},
		{"ISO 8601, hours only", "2025-07-17T12:00:00-03", nil, -3 * 3600, true},
		{"US abbreviation", "Tue, 16 Dec 2025 11:58:40 EST", nil, -5 * 3600, true},
		{"GMT", "Tue, 16 Dec 2025 11:58:40 GMT", nil, 0, true},
		{"western Europe's, as gofeed reads it", "Thu, 17 Jul 2025 11:58:40 CEST", nil, 2 * 3600, true},
		{"the feed's country's", "Thu, 17 Jul 2025 11:58:40 CST", china, 8 * 3600, true},
		{"12-hour clock and offset", "Sat, Dec 16 2023 02:02:33 PM -0500", nil, -5 * 3600, true},
		{"unknown abbreviation", "Tue, 16 Dec 2025 11:58:40 XYZ", nil, 0, false},
		{"no zone", "Tue, 16 Dec 2025 11:58:40", nil, 0, false},
		{"ISO 8601, no zone", "2025-07-17T12:00:00", nil, 0, false},
		{"12-hour clock, no zone", "Sat, Dec 16 2023 02:02:33 PM", nil, 0, false},
		{"a day", "2025-07-17", nil, 0, false},
		{"an offset out of range", "Tue, 16 Dec 2025 11:58:40 +2500", nil, 0, false},
		{"empty", "", nil, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := offsetOf(tc.date, tc.zones)
			if got != tc.want || ok != tc.ok {
				t.Errorf("offsetOf(%q) = %d, %v; want %d, %v", tc.date, got, ok, tc.want, tc.ok)
			}
			if noZone := hasNoZone(tc.date); ok && noZone {
				t.Errorf("hasNoZone(%q) = true for a date with an offset", tc.date)
			}
		})
	}
}

// TestZonelessDatesUnderAMemo: under a memo (ItemMemo) the items it
// remembers are left out of what gofeed reads, and with them the offsets
// their dates state. A partner feed's items of two zones (-0500, +0900)
// make its new zone-less item's date UTC in a whole parse (offsets of
// several zones); under the memo of its last document only the channel's
// -0500 was left, and the item was read at it, 5 hours from the whole
// parse's reading. Such a document is parsed whole.
func TestZonelessDatesUnderAMemo(t *testing.T) {
	now := time.Date(2025, 12, 16, 17, 0, 0, 0, time.UTC)
	read := func(name string) []byte {
		doc, err := os.ReadFile(filepath.Join("testdata", "zoneless", name))
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
	before, after := read("partners_before.xml"), read("partners_after.xml")
	p := NewParserWith(ParserOptions{LazyText: true})
	first, err := p.ParseRemembering(before, "", "https://partnerdesk.example.com/rss", now, &ItemMemo{})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := p.Parse(after, "", "https://partnerdesk.example.com/rss", now)
	if err != nil {
		t.Fatal(err)
	}
	remembering, err := p.ParseRemembering(after, "", "https://partnerdesk.example.com/rss", now, first.Memo)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2025, 12, 16, 11, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		feed *Feed
	}{{"whole", whole}, {"under the memo", remembering}} {
		i := slices.IndexFunc(tc.feed.Items, func(it Item) bool { return it.GUID == "pd-3" })
		if i < 0 {
			t.Fatalf("%s: no new item among %d items", tc.name, len(tc.feed.Items))
		}
		if it := tc.feed.Items[i]; !it.Published.Equal(want) {
			t.Errorf("%s: %q: got %v, want %v (UTC: the feed's offsets are of several zones)", tc.name, it.Title, it.Published, want)
		}
	}
}
