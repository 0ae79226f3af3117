package feeds

import (
	"testing"
	"time"
)

// TestFutureDateKeyDoesNotDependOnNow: an item known by its headline and
// date (no GUID, no link) whose date is in the future keeps its key when
// the clock passes the date. Before, the date was left out of the key
// while in the future, so the key changed then and the item was posted
// again; and two such items with one headline were one key, so one of
// them was dropped. While the date is in the future, Feed.OldKeys maps
// the key to the one versions before gave (the item without its date),
// so that an upgrade posts nothing again; once it has passed, the key is
// what it always was.
func TestFutureDateKeyDoesNotDependOnNow(t *testing.T) {
	const feedURL = "https://future.example/feed"
	rss := func(date string) string {
		pub := ""
		if date != "" {
			pub = `<pubDate>` + date + `</pubDate>`
		}
		return `<rss version="2.0"><channel><title>T</title><link>https://future.example/</link>` +
			`<item><title>Morning briefing</title>` + pub + `</item>` +
			`<item><title>Morning briefing</title><pubDate>Sat, 18 Jul 2026 12:00:00 +0000</pubDate></item>` +
			`<item><title>Dated by GUID</title><guid isPermaLink="false">g-1</guid>` + pub + `</item>` +
			`</channel></rss>`
	}
	atom := func(date string) string {
		updated := ""
		if date != "" {
			updated = `<updated>` + date + `</updated>`
		}
		return `<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>` +
			`<entry><title>Morning briefing</title>` + updated + `</entry>` +
			`<entry><title>Morning briefing</title><updated>2026-07-18T12:00:00Z</updated></entry>` +
			`<entry><title>Dated by GUID</title><id>g-1</id>` + updated + `</entry></feed>`
	}
	before := time.Date(2026, 7, 17, 10, 0, 0, 0, time.UTC) // two hours before the date
	after := time.Date(2026, 7, 19, 13, 0, 0, 0, time.UTC)  // past both dates
	tests := []struct {
		name, doc, undated string
		parser             *Parser
		memo               bool
	}{
		{"RSS", rss("Fri, 17 Jul 2026 12:00:00 +0000"), rss(""), NewParser(), false},
		{"RSS, lazy, remembering", rss("Fri, 17 Jul 2026 12:00:00 +0000"), rss(""), NewParserWith(ParserOptions{LazyText: true}), true},
		{"Atom", atom("2026-07-17T12:00:00Z"), atom(""), NewParser(), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parse := func(doc string, now time.Time) *Feed {
				t.Helper()
				var memo *ItemMemo
				if tc.memo {
					memo = &ItemMemo{}
				}
				feed, err := tc.parser.ParseRemembering([]byte(doc), "", feedURL, now, memo)
				if err != nil {
					t.Fatal(err)
				}
				return feed
			}
			early, late, undated := parse(tc.doc, before), parse(tc.doc, after), parse(tc.undated, before)
			if tc.memo && early.Memo == nil {
				t.Error("parsed without the memo")
			}
			if e, l := early.Items[0], late.Items[0]; e.Key != l.Key {
				t.Errorf("headline-keyed item: key %s while its date is in the future, %s once it has passed", e.Key, l.Key)
			}
			if len(early.Items) != 3 || len(late.Items) != 3 {
				t.Fatalf("%d items before the dates and %d after, want 3 and 3 (two briefings of other dates)", len(early.Items), len(late.Items))
			}
			for i := range early.Items {
				if e, l := early.Items[i], late.Items[i]; e.Key != l.Key {
					t.Errorf("item %d (%q): key %s while its date is in the future, %s once it has passed", i, e.Title, e.Key, l.Key)
				}
			}
			if early.Items[0].Dated || !late.Items[0].Dated {
				t.Errorf("dated %v in the future and %v after, want false and true", early.Items[0].Dated, late.Items[0].Dated)
			}
			want := map[string]string{early.Items[0].Key: undated.Items[0].Key, early.Items[1].Key: undated.Items[0].Key}
			if len(early.OldKeys) != len(want) {
				t.Errorf("old keys %v, want %v (the headline-keyed items' keys without their future dates)", early.OldKeys, want)
			}
			for k, w := range want {
				if got := early.OldKeys[k]; got != w {
					t.Errorf("old key of %s: %q, want %q", k, got, w)
				}
			}
			if late.OldKeys != nil {
				t.Errorf("old keys %v once the dates have passed, want none", late.OldKeys)
			}
		})
	}
}
