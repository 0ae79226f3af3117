package feeds

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/newshound/newshound/internal/corpus"
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
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkItemAfterKey(t, feedURL, tc.doc, tc.enclosure, itemLink, tc.wantLink) })
	}
}

func itemLink(it *Item) string { return it.Link }

// checkItemAfterKey parses doc (a document with one item and a "%s" in
// it) with extra in place of the "%s", through Parse and through the
// poller's ParseRemembering (its text filled), and fails unless
// field(item) is want and the item's key the one it has without extra.
func checkItemAfterKey(t *testing.T, feedURL, doc, extra string, field func(*Item) string, want string) {
	t.Helper()
	with := strings.Replace(doc, "%s", extra, 1)
	without := strings.Replace(doc, "%s", "", 1)
	before, err := NewParser().Parse([]byte(without), "", feedURL, testNow)
	if err != nil || len(before.Items) != 1 {
		t.Fatalf("without %q: %v, %d items", extra, err, len(before.Items))
	}
	lazy := NewParserWith(ParserOptions{LazyText: true})
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
		it.FillText()
		if got := field(&it); got != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
		if it.Key != before.Items[0].Key {
			t.Errorf("%s: key: got %q, want %q (the key without %q)", name, it.Key, before.Items[0].Key, extra)
		}
	}
}

// TestFeedBurnerOrigLinkIsTheLink: an item of a feed served through
// FeedBurner links to the article (feedburner:origLink), not to the
// proxy's redirect (feeds.reuters.com/~r/…, rss.cnn.com/~r/…, a link
// dead once the proxy is, and one that differs from feed to feed for one
// article, so that the story's other reports do not share it). Its key
// stays the one made from the proxy link, so an upgrade posts nothing
// again.
func TestFeedBurnerOrigLinkIsTheLink(t *testing.T) {
	const feedURL = "http://feeds.wire.example/worldNews"
	rss := func(item string) string {
		return `<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel><title>World</title><link>https://wire.example/</link><item>` + item + `</item></channel></rss>`
	}
	tests := []struct {
		name, doc, origLink, wantLink string
	}{
		{"RSS with a GUID (Reuters 2015)",
			rss(`<title>Al Qaeda commander killed in U.S. air strike</title><link>http://feeds.wire.example/~r/worldNews/~3/wxuNqsKE8mM/story01.htm</link><guid isPermaLink="false">https://wire.example/article/us-afghanistan-attack-idUSKCN0PY0T6</guid>%s`),
			`<feedburner:origLink>https://wire.example/article/us-afghanistan-attack-idUSKCN0PY0T6?feedType=RSS</feedburner:origLink>`,
			"https://wire.example/article/us-afghanistan-attack-idUSKCN0PY0T6?feedType=RSS"},
		{"RSS without a GUID, keyed by its link",
			rss(`<title>Hungary to finish border fence</title><link>http://feeds.wire.example/~r/worldNews/~3/GiSN49pgeCk/story01.htm</link>%s`),
			`<feedburner:origLink>https://wire.example/article/hungary-fence</feedburner:origLink>`,
			"https://wire.example/article/hungary-fence"},
		{"Atom",
			`<feed xmlns="http://www.w3.org/2005/Atom" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><title>Blog</title><entry><id>tag:blog.example,2016:1</id><title>Register now</title><link rel="alternate" type="text/html" href="http://feedproxy.google.com/~r/blog/~3/x1/"/><updated>2016-06-01T10:00:00Z</updated>%s</entry></feed>`,
			`<feedburner:origLink>https://blog.example/2016/06/register-now.html</feedburner:origLink>`,
			"https://blog.example/2016/06/register-now.html"},
		{"an origLink that is no http(s) URL is ignored",
			rss(`<title>Pentagon chief in Kurdistan</title><link>http://feeds.wire.example/~r/worldNews/~3/_NgCZqeeo-I/story01.htm</link><guid isPermaLink="false">p-3</guid>%s`),
			`<feedburner:origLink>javascript:alert(1)</feedburner:origLink>`,
			"http://feeds.wire.example/~r/worldNews/~3/_NgCZqeeo-I/story01.htm"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkItemAfterKey(t, feedURL, tc.doc, tc.origLink, itemLink, tc.wantLink) })
	}
}

// TestCorpusFeedBurnerItemsLinkTheArticle: the corpus's FeedBurner feeds
// (CNN 2013, Reuters 2015, PCMag 2018) link no item to the proxy.
func TestCorpusFeedBurnerItemsLinkTheArticle(t *testing.T) {
	corpusDir := corpus.Dir(t)
	f, p := NewFetcher(FetcherOptions{}), NewParser()
	for _, name := range []string{"feedjira_cnn.xml", "kieker2015_reuters.xml", "nodefp_illegally-nested.xml"} {
		t.Run(name, func(t *testing.T) {
			feed, err := fetchAndParse(t, f, p, filepath.Join(corpusDir, "news", "single", name), testNow)
			if err != nil {
				t.Fatal(err)
			}
			for i, it := range feed.Items {
				if strings.Contains(it.Link, "/~r/") {
					t.Errorf("item %d (%q): link %q, want its feedburner:origLink", i, it.Title, it.Link)
				}
			}
		})
	}
}

// TestRelativeLinksDoNotTakeTheFeedURLsPassword: a feed fetched as
// https://user:pass@host/feed whose items' links are relative resolved
// them against that URL whole, so every alert linked to
// https://alice:s3cret@host/… and showed the password to whoever reads the
// channel. They resolve against the URL without its user; the items' keys
// are the same as before (keys never held the user).
func TestRelativeLinksDoNotTakeTheFeedURLsPassword(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"RSS link", `<rss version="2.0"><channel><title>T</title><item><title>Harbour</title><link>/a2</link><guid>a2</guid></item></channel></rss>`, "https://wire.example/a2"},
		{"RSS link under a relative channel link", `<rss version="2.0"><channel><title>T</title><link>/news/</link><item><title>Harbour</title><link>a2</link><guid>a2</guid></item></channel></rss>`, "https://wire.example/news/a2"},
		{"Atom link", `<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><title>Harbour</title><link href="/a3"/><id>a3</id></entry></feed>`, "https://wire.example/a3"},
		{"JSON Feed url", `{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[{"id":"a4","url":"/a4","title":"Harbour"}]}`, "https://wire.example/a4"},
		{"enclosure", `<rss version="2.0"><channel><title>T</title><item><title>Harbour</title><guid>a5</guid><enclosure url="/a5.mp3" type="audio/mpeg"/></item></channel></rss>`, "https://wire.example/a5.mp3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NewParser().Parse([]byte(tc.doc), "", "https://alice:s3cret@wire.example/feed", testNow)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := NewParser().Parse([]byte(tc.doc), "", "https://wire.example/feed", testNow)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Items) != 1 || got.Items[0].Link != tc.want || strings.Contains(got.Link, "s3cret") {
				t.Fatalf("got %d items, the first linked to %q, feed link %q; want one item linked to %s", len(got.Items), firstLink(got), got.Link, tc.want)
			}
			if got.Items[0].Key != plain.Items[0].Key {
				t.Errorf("got key %q, want %q as without the user", got.Items[0].Key, plain.Items[0].Key)
			}
		})
	}
}

func firstLink(f *Feed) string {
	if len(f.Items) == 0 {
		return ""
	}
	return f.Items[0].Link
}

// TestNotAFeedErrorDoesNotShowTheFeedURLsPassword: a feed URL with a user
// and password that answers with a web page fails naming the feeds the
// page links to, and the log and `status` show that message: a relative
// link resolved against the URL whole showed the password there.
func TestNotAFeedErrorDoesNotShowTheFeedURLsPassword(t *testing.T) {
	page := `<html><head><link rel="alternate" type="application/rss+xml" href="/rss"></head><body></body></html>`
	_, err := NewParser().Parse([]byte(page), "text/html", "https://alice:s3cret@wire.example/feed", testNow)
	fe := wantKind(t, err, NotAFeed)
	if want := []string{"https://wire.example/rss"}; strings.Join(fe.Alternates, " ") != strings.Join(want, " ") || strings.Contains(fe.Error(), "s3cret") {
		t.Errorf("got alternates %q, error %q; want %q and no password", fe.Alternates, fe.Error(), want)
	}
}
