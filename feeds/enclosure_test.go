package feeds

import (
	"strings"
	"testing"
)

// TestEnclosureOnlyItemLinksItsEnclosure: an item whose only address is
// its enclosure (a podcast episode with no <link>, an Atom entry with
// only rel="enclosure", a JSON Feed item with only attachments) links to
// that enclosure instead of to nothing; its key stays the one it had
// without (the same document with the enclosure left out), so upgrading
// posts nothing again. An image enclosure is the item's picture, not its
// link, and a page link wins over an enclosure.
func TestEnclosureOnlyItemLinksItsEnclosure(t *testing.T) {
	const feedURL = "https://pods.example/feed"
	rss := func(item string) string {
		return `<rss version="2.0"><channel><title>Pod</title><link>https://pods.example/</link><item>` + item + `</item></channel></rss>`
	}
	atom := func(entry string) string {
		return `<feed xmlns="http://www.w3.org/2005/Atom"><title>Pod</title><link href="https://pods.example/"/><entry>` + entry + `</entry></feed>`
	}
	tests := []struct {
		name, doc, enclosure, wantLink string
	}{
		{"RSS podcast episode with a GUID",
			rss(`<title>Episode 12: the talks</title><guid isPermaLink="false">pod-ep-12</guid><pubDate>Tue, 17 Feb 2026 10:00:00 +0000</pubDate>%s`),
			`<enclosure url="https://cdn.pods.example/ep12.mp3" type="audio/mpeg" length="123"/>`,
			"https://cdn.pods.example/ep12.mp3"},
		{"RSS podcast episode without a GUID",
			rss(`<title>Episode 13: the truce</title><pubDate>Tue, 17 Feb 2026 11:00:00 +0000</pubDate>%s`),
			`<enclosure url="/media/ep13.mp3" type="audio/mpeg" length="123"/>`,
			"https://pods.example/media/ep13.mp3"},
		{"RSS episode with a page link",
			rss(`<title>Episode 14</title><link>https://pods.example/ep14</link><guid isPermaLink="false">pod-ep-14</guid>%s`),
			`<enclosure url="https://cdn.pods.example/ep14.mp3" type="audio/mpeg" length="1"/>`,
			"https://pods.example/ep14"},
		{"RSS item with an image enclosure only",
			rss(`<title>A photo</title><guid isPermaLink="false">photo-1</guid>%s`),
			`<enclosure url="https://cdn.pods.example/p.jpg" type="image/jpeg" length="1"/>`,
			""},
		{"Atom entry with rel=enclosure only",
			atom(`<id>tag:pods.example,2026:15</id><title>Episode 15</title><updated>2026-02-17T10:00:00Z</updated>%s`),
			`<link rel="enclosure" type="audio/mpeg" href="https://cdn.pods.example/ep15.mp3"/>`,
			"https://cdn.pods.example/ep15.mp3"},
		{"JSON Feed item with attachments only",
			`{"version":"https://jsonfeed.org/version/1.1","title":"Pod","items":[{"id":"16","title":"Episode 16","content_text":"x"%s}]}`,
			`,"attachments":[{"url":"https://cdn.pods.example/ep16.m4a","mime_type":"audio/x-m4a"}]`,
			"https://cdn.pods.example/ep16.m4a"},
	}
	lazy := NewParserWith(ParserOptions{LazyText: true})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			with := strings.Replace(tc.doc, "%s", tc.enclosure, 1)
			without := strings.Replace(tc.doc, "%s", "", 1)
			before, err := NewParser().Parse([]byte(without), "", feedURL, testNow)
			if err != nil || len(before.Items) != 1 {
				t.Fatalf("without the enclosure: %v, %d items", err, len(before.Items))
			}
			parses := map[string]func() (*Feed, error){
				"Parse": func() (*Feed, error) { return NewParser().Parse([]byte(with), "", feedURL, testNow) },
				"ParseRemembering": func() (*Feed, error) {
					return lazy.ParseRemembering([]byte(with), "", feedURL, testNow, &ItemMemo{})
				},
			}
			for name, parse := range parses {
				feed, err := parse()
				if err != nil || len(feed.Items) != 1 {
					t.Fatalf("%s: %v, %d items", name, err, len(feed.Items))
				}
				it := feed.Items[0]
				if it.Link != tc.wantLink {
					t.Errorf("%s: link: got %q, want %q", name, it.Link, tc.wantLink)
				}
				if it.Key != before.Items[0].Key {
					t.Errorf("%s: key: got %q, want %q (the key without the enclosure)", name, it.Key, before.Items[0].Key)
				}
			}
		})
	}
}
