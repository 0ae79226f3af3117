package feeds

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/corpus"
)

var dateOracleRe = regexp.MustCompile(`should be (\w+),? (\d+)\w* (\d{4}),? (\d\d:\d\d:\d\d) GMT`)

// TestConformanceDates runs the W3C feed validator's real-world pubDate
// variants, whose descriptions state the intended UTC time, and reports how
// many we read right. An unread date is not fatal (the item gets its
// first-seen time), so this logs rather than fails, except for a wrong date.
func TestConformanceDates(t *testing.T) {
	path := filepath.Join(corpus.Dir(t), "conformance", "feedvalidator", "testcases", "rss20", "data-types-datetime", "everything.xml")
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	feed, err := NewParser().Parse(body, "", "http://dates.example/everything.rss", testNow)
	if err != nil {
		t.Fatal(err)
	}
	var cases, right, undated int
	for _, it := range feed.Items {
		m := dateOracleRe.FindStringSubmatch(it.Summary)
		if m == nil {
			continue
		}
		want, err := time.Parse("January 2 2006 15:04:05", m[1]+" "+m[2]+" "+m[3]+" "+m[4])
		if err != nil {
			t.Fatalf("%s: oracle %q: %v", it.Title, m[0], err)
		}
		cases++
		switch {
		case !it.Dated:
			undated++
			t.Logf("unread: %s", it.Title)
		case it.Published.Equal(want):
			right++
		default:
			t.Errorf("%s: got %v, want %v", it.Title, it.Published, want)
		}
	}
	t.Logf("dates: %d cases, %d right, %d unread (first-seen time used; before 1971 and future dates are unread by design), %d wrong", cases, right, undated, cases-right-undated)
}

func TestNumericGMTDates(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"gmt", "<pubDate>Mon, 19 Sep 2016 10:00:00 GMT</pubDate>", "<pubDate>Mon, 19 Sep 2016 10:00:00 +0000</pubDate>"},
		{"utc with spaces", "<pubDate> Mon, 19 Sep 2016 10:00:00 UTC\n</pubDate>", "<pubDate> Mon, 19 Sep 2016 10:00:00 +0000\n</pubDate>"},
		{"several", "<pubDate>Mon, 19 Sep 2016 10:00:00 GMT</pubDate><x/><pubDate>Tue, 20 Sep 2016 11:30:00 GMT</pubDate>",
			"<pubDate>Mon, 19 Sep 2016 10:00:00 +0000</pubDate><x/><pubDate>Tue, 20 Sep 2016 11:30:00 +0000</pubDate>"},
		{"numeric zone kept", "<pubDate>Mon, 19 Sep 2016 10:00:00 +0200</pubDate>", "<pubDate>Mon, 19 Sep 2016 10:00:00 +0200</pubDate>"},
		{"us zone", "<pubDate>Mon, 19 Sep 2016 10:00:00 EDT</pubDate>", "<pubDate>Mon, 19 Sep 2016 10:00:00 -0400</pubDate>"},
		{"other named zone kept", "<pubDate>Mon, 19 Sep 2016 10:00:00 CEST</pubDate>", "<pubDate>Mon, 19 Sep 2016 10:00:00 CEST</pubDate>"},
		{"odd layout kept", "<pubDate>2020/1/10 14:33:00 GMT</pubDate>", "<pubDate>2020/1/10 14:33:00 GMT</pubDate>"},
		{"unclosed", "<pubDate>Mon, 19 Sep 2016 10:00:00 GMT", "<pubDate>Mon, 19 Sep 2016 10:00:00 GMT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			if got := string(numericGMTDates(in)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if string(in) != tc.in {
				t.Errorf("input modified: %q", in)
			}
		})
	}
}

// TestNumericGMTDatesSameInstant: the rewritten date is the instant gofeed
// read from the named zone.
func TestNumericGMTDatesSameInstant(t *testing.T) {
	for zone := range namedZoneOffsets {
		body := `<rss version="2.0"><channel><title>T</title><item><title>S</title><guid>1</guid><pubDate>Mon, 19 Sep 2016 10:00:00 ` + zone + `</pubDate></item></channel></rss>`
		gf, err := NewParser().gp.Parse(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		feed, err := NewParser().Parse([]byte(body), "", "https://dates.example/feed", testNow)
		if err != nil {
			t.Fatal(err)
		}
		if want, got := gf.Items[0].PublishedParsed.UTC(), feed.Items[0].Published; !got.Equal(want) {
			t.Errorf("%s: got %v, want %v", zone, got, want)
		}
	}
}

// TestZoneAbbreviationsGofeedDoesNotKnow: an RSS date in a zone that
// gofeed reads as UTC (it knows the US and western European ones) is
// read at its own offset: Australian, New Zealand, Asian, Russian,
// African, Alaskan and Hawaiian feeds. Each date below is 09:00 UTC;
// read as UTC, most were in the future (the item undated, given the
// first-seen time) and the rest hours off. A GUID-less, link-less item,
// keyed by its headline and date, keeps the key it had when the date
// was read as UTC (the same document with "+0000" for the zone), so an
// upgrade posts nothing again.
func TestZoneAbbreviationsGofeedDoesNotKnow(t *testing.T) {
	now := time.Date(2026, 2, 17, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, date string
		want       time.Time
	}{
		{"AEDT", "Tue, 17 Feb 2026 20:00:00 AEDT", time.Date(2026, 2, 17, 9, 0, 0, 0, time.UTC)},
		{"AEST", "Tue, 17 Feb 2026 19:00:00 AEST", time.Date(2026, 2, 17, 9, 0, 0, 0, time.UTC)},
		{"ACDT", "Tue, 17 Feb 2026 19:30:00 ACDT", time.Date(2026, 2, 17, 9, 0, 0, 0, time.UTC)},
		{"AWST", "Tue, 17 Feb 2026 17:00:00 AWST", time.Date(2026, 2, 17, 9, 0, 0, 0, time.UTC)},
		{"NZDT", "Tue, 17 Feb 2026 22:00:00 NZDT", time.Date(2026, 2, 17, 9, 0, 0, 0, time.UTC)},
		{"JST", "Tue, 17 Feb 2026 18:00:00 JST", time.Date(2026, 2, 17, 9, 0, 0, 0, time.UTC)},
		{"KST", "Tue, 17 Feb 2026 18:00:00 KST", time.Date(2026, 2, 17, 9, 0, 0, 0, time.UTC)},
		{"HKT", "Tue, 17 Feb 2026 17:00:00 HKT", time.Date(2026, 2, 17, 9, 0, 0, 0, time.UTC)},
		{"SGT", "Tue, 17 Feb 2026 17:00:00 SGT", time.Date(2026, 2, 17, 9, 0, 0, 0, time.UTC)},
		{"IST (India)", "Tue, 17 Feb 2026 14:30:00 IST", time.Date(2026, 2, 17, 9, 0, 0, 0, time.UTC)},
		{"MSK", "Tue, 17 Feb 2026 12:00:00 MSK", time.Date(2026, 2, 17, 9, 0, 0, 0, time.UTC)},
		{"SAST", "Tue, 17 Feb 2026 11:00:00 SAST", time.Date(2026, 2, 17, 9, 0, 0, 0, time.UTC)},
		{"AKST", "Tue, 17 Feb 2026 00:00:00 AKST", time.Date(2026, 2, 17, 9, 0, 0, 0, time.UTC)},
		{"HST", "Mon, 16 Feb 2026 23:00:00 HST", time.Date(2026, 2, 17, 9, 0, 0, 0, time.UTC)},
		{"one-digit day", "Tue, 3 Feb 2026 20:00:00 AEDT", time.Date(2026, 2, 3, 9, 0, 0, 0, time.UTC)},
		{"known to gofeed already", "Tue, 17 Feb 2026 10:00:00 CET", time.Date(2026, 2, 17, 9, 0, 0, 0, time.UTC)},
	}
	doc := func(date string) []byte {
		return []byte(`<rss version="2.0"><channel><title>T</title>` +
			`<item><title>Dated story</title><guid isPermaLink="false">story-1</guid><pubDate>` + date + `</pubDate></item>` +
			`<item><title>Story known by its headline</title><pubDate>` + date + `</pubDate></item>` +
			`</channel></rss>`)
	}
	p := NewParser()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			feed, err := p.Parse(doc(tc.date), "", "", now)
			if err != nil || len(feed.Items) != 2 {
				t.Fatalf("parse: %v", err)
			}
			if it := feed.Items[0]; !it.Dated || !it.Published.Equal(tc.want) {
				t.Errorf("%q: got %v (dated %v), want %v", tc.date, it.Published, it.Dated, tc.want)
			}
			zone := tc.date[strings.LastIndexByte(tc.date, ' ')+1:]
			asUTC, err := p.Parse(doc(strings.TrimSuffix(tc.date, zone)+"+0000"), "", "", now)
			if err != nil {
				t.Fatal(err)
			}
			if tc.name == "known to gofeed already" {
				return // it was never read as UTC
			}
			if got, want := feed.Items[1].Key, asUTC.Items[1].Key; got != want {
				t.Errorf("headline-keyed item: key %s, want %s, its key when the zone was read as UTC", got, want)
			}
		})
	}
}

// TestZonesByTheFeedsCountry: IST is India's, Ireland's (summer time) and
// Israel's abbreviation. Read at India's +0530, an Irish or Israeli
// feed's items were dated hours earlier than they were published (4h30m
// and 3h30m: older than a max_age of a few hours, so dropped unposted).
// So are CST (US Central, China's, Taiwan's), BST (British Summer Time,
// which gofeed reads, or Bangladesh's, 5 h ahead of it: a Bangladeshi
// item in the future, undated) and AST (Atlantic, 4 h behind UTC, or
// Arabia's, 3 h ahead, which gofeed read as UTC). The feed's language or
// its site's country says which: each date below is 09:00 UTC.
func TestZonesByTheFeedsCountry(t *testing.T) {
	now := time.Date(2026, 7, 17, 12, 0, 0, 0, time.UTC)
	want := time.Date(2026, 7, 17, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name, language, link, date string
	}{
		{"India (no language)", "", "https://news.example.com/", "Fri, 17 Jul 2026 14:30:00 IST"},
		{"India (en-in)", "en-in", "https://news.example.in/", "Fri, 17 Jul 2026 14:30:00 IST"},
		{"Ireland by language", "en-IE", "https://news.example.com/", "Fri, 17 Jul 2026 10:00:00 IST"},
		{"Ireland in Irish", "ga", "https://news.example.com/", "Fri, 17 Jul 2026 10:00:00 IST"},
		{"Ireland by its site", "en", "https://www.news.example.ie/", "Fri, 17 Jul 2026 10:00:00 IST"},
		{"Israel by language", "he", "https://news.example.com/", "Fri, 17 Jul 2026 11:00:00 IST"},
		{"Israel by its site", "en-us", "https://www.news.example.co.il/", "Fri, 17 Jul 2026 11:00:00 IST"},
		{"a date gofeed cannot read, Irish", "en-ie", "https://news.example.com/", "Fri , 17 Jul 2026 10:00:00 (Dublin) IST"},
		{"Israel's summer time", "he", "https://news.example.com/", "Fri, 17 Jul 2026 12:00:00 IDT"},
		{"China Standard Time by language", "zh-cn", "https://news.example.com/", "Fri, 17 Jul 2026 17:00:00 CST"},
		{"China Standard Time by its site", "", "https://www.news.example.com.cn/", "Fri, 17 Jul 2026 17:00:00 CST"},
		{"Taiwan's CST", "zh-TW", "https://news.example.com/", "Fri, 17 Jul 2026 17:00:00 CST"},
		{"US Central otherwise", "en-us", "https://news.example.com/", "Fri, 17 Jul 2026 04:00:00 CDT"},
		{"US Central standard time otherwise", "en-us", "https://news.example.com/", "Fri, 17 Jul 2026 03:00:00 CST"},
		{"British Summer Time", "en-gb", "https://news.example.co.uk/", "Fri, 17 Jul 2026 10:00:00 BST"},
		{"British Summer Time without a country", "", "https://news.example.com/", "Fri, 17 Jul 2026 10:00:00 BST"},
		{"Bangladesh Standard Time by language", "bn", "https://news.example.com/", "Fri, 17 Jul 2026 15:00:00 BST"},
		{"Bangladesh Standard Time by region", "en-BD", "https://news.example.com/", "Fri, 17 Jul 2026 15:00:00 BST"},
		{"Bangladesh Standard Time by its site", "en", "https://www.news.example.com.bd/", "Fri, 17 Jul 2026 15:00:00 BST"},
		{"Arabia Standard Time by language", "ar", "https://news.example.com/", "Fri, 17 Jul 2026 12:00:00 AST"},
		{"Arabia Standard Time by its site", "en", "https://www.news.example.com.sa/", "Fri, 17 Jul 2026 12:00:00 AST"},
		{"Arabia Standard Time in Qatar", "en-QA", "https://news.example.com/", "Fri, 17 Jul 2026 12:00:00 AST"},
		{"Atlantic Standard Time in Puerto Rico", "es-PR", "https://news.example.com/", "Fri, 17 Jul 2026 05:00:00 AST"},
		{"Atlantic Standard Time by its site", "en", "https://www.news.example.pr/", "Fri, 17 Jul 2026 05:00:00 AST"},
		{"Atlantic Daylight Time in Canada", "en-CA", "https://news.example.com/", "Fri, 17 Jul 2026 06:00:00 ADT"},
		{"Catalan is not Canada", "ca", "https://news.example.cat/", "Fri, 17 Jul 2026 11:00:00 CEST"},
		{"an Israeli site in Arabic: IST is Israel's", "ar", "https://www.news.example.co.il/", "Fri, 17 Jul 2026 11:00:00 IST"},
		{"an Israeli site in Arabic: AST is Arabia's", "ar", "https://www.news.example.co.il/", "Fri, 17 Jul 2026 12:00:00 AST"},
		{"a language's reading wins over the site's", "en-IE", "https://www.news.example.co.il/", "Fri, 17 Jul 2026 10:00:00 IST"},
	}
	cases := make([]countryDate, len(tests))
	for i, tc := range tests {
		cases[i] = countryDate{tc.name, tc.language, tc.link, tc.date, want}
	}
	checkCountryDates(t, now, cases)
}

// countryDate is a date written in a feed of a language and a site, and
// the time it is read as.
type countryDate struct {
	name, language, link, date string
	want                       time.Time
}

// checkCountryDates reads each case's date in an RSS feed of its language
// and site: the item with a GUID must be dated at want, and the item
// known by its headline and date must have the key it has in a feed of no
// country, since the key keeps the date as gofeed reads it.
func checkCountryDates(t *testing.T, now time.Time, tests []countryDate) {
	t.Helper()
	doc := func(language, link, date string) []byte {
		return []byte(`<rss version="2.0"><channel><title>T</title><link>` + link + `</link><language>` + language + `</language>` +
			`<item><title>Dated story</title><guid isPermaLink="false">story-1</guid><pubDate>` + date + `</pubDate></item>` +
			`<item><title>Story known by its headline</title><pubDate>` + date + `</pubDate></item></channel></rss>`)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			feed, err := NewParser().Parse(doc(tc.language, tc.link, tc.date), "", "https://feeds.example.net/rss", now)
			if err != nil {
				t.Fatal(err)
			}
			if len(feed.Items) != 2 {
				t.Fatalf("got %d items, want 2", len(feed.Items))
			}
			if it := feed.Items[0]; !it.Dated || !it.Published.Equal(tc.want) {
				t.Errorf("%q: got %v (dated %v), want %v", tc.date, it.Published, it.Dated, tc.want)
			}
			anywhere, err := NewParser().Parse(doc("", "https://news.example.com/", tc.date), "", "https://feeds.example.net/rss", now)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := feed.Items[1].Key, anywhere.Items[1].Key; got != want {
				t.Errorf("headline-keyed item: key %s, want %s, its key in a feed of no country", got, want)
			}
		})
	}
}

// TestDatesInOtherLanguages: an RSS date written with another language's
// weekday and month names (Il Messaggero's "mer, 16 nov 2022 00:38:15
// +0100", in the corpus) was not read, and the item was undated (given
// its first-seen time). Each date below is 2022-11-15 23:38:15 UTC. A
// GUID-less, link-less item keeps the key it had undated, as versions
// before read it, so that an upgrade posts nothing again.
func TestDatesInOtherLanguages(t *testing.T) {
	nov15 := time.Date(2022, 11, 15, 23, 38, 15, 0, time.UTC)
	tests := []struct {
		name, date string
		want       time.Time
	}{
		{"Italian (Il Messaggero)", "mer, 16 nov 2022 00:38:15 +0100", nov15},
		{"Italian, month in full", "mercoledì, 16 novembre 2022 00:38:15 +0100", nov15},
		{"Italian December", "gio, 15 dic 2022 00:38:15 +0100", time.Date(2022, 12, 14, 23, 38, 15, 0, time.UTC)},
		{"Spanish", "mié, 16 nov 2022 00:38:15 +0100", nov15},
		{"French, with full stops", "mer., 16 nov. 2022 00:38:15 +0100", nov15},
		{"German", "Mi, 16 Nov 2022 00:38:15 +0100", nov15},
		{"Portuguese", "qua, 16 nov 2022 00:38:15 +0100", nov15},
		{"Dutch, month in full", "wo, 16 november 2022 00:38:15 +0100", nov15},
		{"German month, no weekday", "16 Dez 2022 00:38:15 +0100", time.Date(2022, 12, 15, 23, 38, 15, 0, time.UTC)},
		{"Italian month, no weekday", "16 ott 2022 00:38:15 +0100", time.Date(2022, 10, 15, 23, 38, 15, 0, time.UTC)},
		{"Tuesday in March, Spanish", "mar, 15 mar 2022 00:38:15 +0100", time.Date(2022, 3, 14, 23, 38, 15, 0, time.UTC)},
	}
	doc := func(date string) []byte {
		pub := ""
		if date != "" {
			pub = `<pubDate>` + date + `</pubDate>`
		}
		return []byte(`<rss version="2.0"><channel><title>T</title><link>https://news.example.it/</link>` +
			`<item><title>Dated story</title><guid isPermaLink="false">story-1</guid>` + pub + `</item>` +
			`<item><title>Story known by its headline</title>` + pub + `</item></channel></rss>`)
	}
	p := NewParser()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.want.Add(time.Hour)
			feed, err := p.Parse(doc(tc.date), "", "https://news.example.it/rss", now)
			if err != nil {
				t.Fatal(err)
			}
			undated, err := p.Parse(doc(""), "", "https://news.example.it/rss", now)
			if err != nil {
				t.Fatal(err)
			}
			if len(feed.Items) != 2 || len(undated.Items) != 2 {
				t.Fatalf("got %d and %d items, want 2", len(feed.Items), len(undated.Items))
			}
			if it := feed.Items[0]; !it.Dated || !it.Published.Equal(tc.want) {
				t.Errorf("%q: got %v (dated %v), want %v", tc.date, it.Published, it.Dated, tc.want)
			}
			if got, want := feed.Items[1].Key, undated.Items[1].Key; got != want {
				t.Errorf("headline-keyed item: key %s, want %s, its key undated", got, want)
			}
		})
	}
}
