package feeds

import (
	"testing"
	"time"
)

// TestZonelessDatesAtTheFeedsCountry: a date with a time of day and no
// zone ("2020/1/10 14:33:00", as the zh-cn forum feed of the corpus
// writes them) is the publisher's local time. A feed of a country with
// one zone and no daylight saving time (by its site's domain, else its
// language's region, else a language spoken only there) has it read at
// that zone: gofeed read it as UTC, 8 hours ahead for China, so that a
// fresh item was in the future and undated. A feed of any other country,
// a date-only date and a date with its own zone are read as before. The
// key keeps the date as gofeed reads it.
func TestZonelessDatesAtTheFeedsCountry(t *testing.T) {
	now := time.Date(2026, 7, 17, 12, 0, 0, 0, time.UTC)
	at := func(h, m int) time.Time { return time.Date(2026, 7, 17, h, m, 0, 0, time.UTC) }
	checkCountryDates(t, now, []countryDate{
		{"China by language, slashes", "zh-cn", "https://news.example.com/", "2026/7/17 17:00:00", at(9, 0)},
		{"China by language, RFC 822 without zone", "zh-CN", "https://news.example.com/", "Fri, 17 Jul 2026 17:00:00", at(9, 0)},
		{"China by its site", "", "https://www.news.example.com.cn/", "2026-07-17 17:00:00", at(9, 0)},
		{"Chinese without a region", "zh", "https://news.example.com/", "2026-07-17T17:00:00", at(9, 0)},
		{"Taiwan by its site", "", "https://news.example.tw/", "2026-07-17T17:00:00.5", at(9, 0).Add(500 * time.Millisecond)},
		{"Japan by language", "ja", "https://news.example.com/", "Fri, 17 Jul 2026 18:00", at(9, 0)},
		{"Korea by its site", "ko", "https://news.example.co.kr/", "2026-07-17 18:00:00", at(9, 0)},
		{"India by region", "en-IN", "https://news.example.com/", "2026-07-17 14:30:00", at(9, 0)},
		{"Bangladesh by its site", "bn", "https://news.example.com.bd/", "2026-07-17 15:00:00", at(9, 0)},
		{"Saudi Arabia by region", "ar-SA", "https://news.example.com/", "2026-07-17 12:00:00", at(9, 0)},
		{"the site's country first", "zh-cn", "https://news.example.jp/", "2026-07-17 18:00:00", at(9, 0)},
		{"a region elsewhere: UTC", "zh-US", "https://news.example.com/", "2026-07-17 09:00:00", at(9, 0)},
		{"no country: UTC", "en", "https://news.example.com/", "Fri, 17 Jul 2026 09:00:00", at(9, 0)},
		{"a country with summer time: UTC", "de", "https://news.example.de/", "2026-07-17 09:00:00", at(9, 0)},
		{"Bengali alone (Bangladesh or India): UTC", "bn", "https://news.example.com/", "2026-07-17 09:00:00", at(9, 0)},
		{"its own zone", "zh-cn", "https://news.example.com/", "Fri, 17 Jul 2026 09:00:00 +0000", at(9, 0)},
		{"its own zone, ISO", "ja", "https://news.example.com/", "2026-07-17T09:00:00Z", at(9, 0)},
		{"its own numeric zone, ISO", "zh-cn", "https://news.example.com/", "2026-07-17T17:00:00+08:00", at(9, 0)},
		{"a day, no time", "zh-cn", "https://news.example.com/", "2026-07-17", at(0, 0)},
	})
}
