package feeds

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestCanonicalLink also checks KeyLink (key: true), which keeps the
// parameters a site sets apart for each of its feeds: the keys of items
// seen before CanonicalLink dropped them stay the same, and those items
// are not posted again.
func TestCanonicalLink(t *testing.T) {
	tests := []struct {
		name, in, want string
		key            bool // KeyLink, not CanonicalLink
	}{
		{"utm params", "https://news.example/a?utm_source=rss&utm_medium=feed", "https://news.example/a", false},
		{"click ids", "https://news.example/a?id=3&fbclid=x&gclid=y&msclkid=z", "https://news.example/a?id=3", false},
		{"daily mail campaign params", "https://www.dailymail.co.uk/news/article-1/x.html?ns_mchannel=rss&ito=1490&ns_campaign=1490", "https://www.dailymail.co.uk/news/article-1/x.html", false},
		{"ref=rss dropped", "https://www.smh.com.au/x-p54ljy.html?ref=rss&utm_medium=rss", "https://www.smh.com.au/x-p54ljy.html", false},
		{"ref with meaning kept", "https://news.example/a?ref=sidebar-7", "https://news.example/a?ref=sidebar-7", false},
		{"DW's maca", "https://www.dw.com/en/x/a-75995188?maca=en-rss-en-all-1573-rdf", "https://www.dw.com/en/x/a-75995188", false},
		{"Al Jazeera's traffic_source", "https://www.aljazeera.com/news/2026/2/18/x?traffic_source=rss", "https://www.aljazeera.com/news/2026/2/18/x", false},
		{"CS Monitor's icid", "https://www.csmonitor.com/World/2026/0217/x?icid=rss", "https://www.csmonitor.com/World/2026/0217/x", false},
		{"NYT's partner=rss and emc", "https://www.nytimes.com/pages/index.html?partner=rss&emc=rss", "https://www.nytimes.com/pages/index.html", false},
		{"partner with meaning kept", "https://shop.example/deals?partner=acme", "https://shop.example/deals?partner=acme", false},
		{"Washington Post's wprss", "https://www.washingtonpost.com/lifestyle/wellness?wprss=rss_wellness", "https://www.washingtonpost.com/lifestyle/wellness", false},
		{"CNN's eref", "http://www.cnn.com/index.html?eref=rss_topstories", "http://www.cnn.com/index.html", false},
		{"key: DW's maca kept", "https://www.dw.com/en/x/a-75995188?maca=en-rss-en-all-1573-rdf&utm_source=rss", "https://www.dw.com/en/x/a-75995188?maca=en-rss-en-all-1573-rdf", true},
		{"key: NYT's partner kept", "https://www.nytimes.com/pages/index.html?partner=rss&emc=rss", "https://www.nytimes.com/pages/index.html?emc=rss&partner=rss", true},
		{"key: ref=rss dropped", "https://www.smh.com.au/x-p54ljy.html?ref=rss", "https://www.smh.com.au/x-p54ljy.html", true},
		{"host and scheme lower-cased", "HTTPS://News.Example/Path", "https://news.example/Path", false},
		{"fragment dropped", "https://news.example/a#comments", "https://news.example/a", false},
		{"default port dropped", "https://news.example:443/a", "https://news.example/a", false},
		{"params sorted", "https://news.example/a?b=2&a=1", "https://news.example/a?a=1&b=2", false},
		{"empty path", "https://news.example", "https://news.example/", false},
		{"whitespace trimmed", "\n\thttps://news.example/a \n", "https://news.example/a", false},
		{"not a URL", "p54ljy", "p54ljy", false},
		{"semicolon in a value kept", "https://news.example/story.asp?id=1;2", "https://news.example/story.asp?id=1;2", false},
		{"another semicolon value stays distinct", "https://news.example/story.asp?id=3;2", "https://news.example/story.asp?id=3;2", false},
		{"bad escape kept, tracking dropped", "https://news.example/a?utm_source=rss&id=%zz", "https://news.example/a?id=%zz", false},
		{"unparsable tracking param dropped", "https://news.example/a?utm_campaign=a;b&id=7", "https://news.example/a?id=7", false},
		{"parsable pairs sorted before unparsable ones", "https://news.example/a?z=1;2&b=2&a=1", "https://news.example/a?a=1&b=2&z=1;2", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, name := CanonicalLink, "CanonicalLink"
			if tc.key {
				f, name = KeyLink, "KeyLink"
			}
			if got := f(tc.in); got != tc.want {
				t.Errorf("%s(%q) = %q, want %q", name, tc.in, got, tc.want)
			}
		})
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "Aleppo ceasefire", "Aleppo ceasefire"},
		{"numeric entity", "Kerry&#039;s plan", "Kerry's plan"},
		{"double-escaped entity", "Kerry&amp;#039;s plan", "Kerry's plan"},
		{"tags removed, blocks spaced", "<p>one</p><p>two</p>", "one two"},
		{"inline tags joined", "a<b>b</b>c", "abc"},
		{"script and style skipped", "<style>p{}</style>text<script>x()</script>", "text"},
		{"whitespace collapsed", "  a \n\t b\u00a0c  ", "a b c"},
		{"named entities", "Caf&eacute; &amp; bar &lt;3", "Café & bar <3"},
		{"control characters dropped", "a\x00b\x07c", "abc"},
		{"C1 control read as windows-1252", "don\u0092t", "don\u2019t"},
		{"arabic untouched", "وقف إطلاق النار في حلب", "وقف إطلاق النار في حلب"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := PlainText(tc.in); got != tc.want {
				t.Errorf("PlainText(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestParagraphText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"paragraphs on lines of their own", "<p>one</p><p>two</p>", "one\ntwo"},
		{"source newlines of HTML are spaces", "<p>one\n  wrapped</p>\n\n<p>two</p>", "one wrapped\ntwo"},
		{"a line break", "one<br>two<br/>three</br>four", "one\ntwo\nthree\nfour"},
		{"list items", "<h2>Latest</h2><ul><li>one</li><li>two</li></ul>after", "Latest\none\ntwo\nafter"},
		{"table cells spaced, rows on lines", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"},
		{"nested blocks make one break", "<div><p>one</p></div>\n<div><p>two</p></div>", "one\ntwo"},
		{"newlines inside pre break lines", "<pre>one\ntwo  three</pre>", "one\ntwo three"},
		{"inline tags joined", "a<b>b</b>c", "abc"},
		{"ends trimmed", "<p> </p><p>one</p><br><p></p>", "one"},
		{"text without tags keeps its lines", "one\r\ntwo\n\n\n three  four\rfive", "one\ntwo\nthree four\nfive"},
		{"a < that opens no tag", "Temperatures <5C tonight.\n\nRoads icy.", "Temperatures <5C tonight.\nRoads icy."},
		{"line and paragraph separators", "one\u2029two\u2028three", "one\ntwo\nthree"},
		{"script skipped", "<p>one</p><script>x()\n</script><p>two</p>", "one\ntwo"},
		{"entities", "<p>Caf&eacute;</p><p>&amp;#039;s</p>", "Café\n's"},
		{"one line unchanged", "Aleppo ceasefire", "Aleppo ceasefire"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ParagraphText(tc.in); got != tc.want {
				t.Errorf("ParagraphText(%q) = %q, want %q", tc.in, got, tc.want)
			}
			// In one line, the text is PlainText's, byte for byte: what is
			// matched (regular expressions too), keyed and grouped on is
			// what it was before texts kept their lines.
			if got, want := strings.ReplaceAll(ParagraphText(tc.in), "\n", " "), PlainText(tc.in); got != want {
				t.Errorf("ParagraphText(%q) in one line = %q, PlainText = %q", tc.in, got, want)
			}
		})
	}
}

func TestTitleFingerprint(t *testing.T) {
	tests := []struct{ name, a, b string }{
		{"case", "Ceasefire Holds", "ceasefire holds"},
		{"punctuation and spacing", "Merkel: Germany is on 'thinnest ice'", "Merkel  Germany is on thinnest ice"},
		{"curly apostrophe", "Germany’s plan", "Germany's plan"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if fa, fb := TitleFingerprint(tc.a), TitleFingerprint(tc.b); fa != fb {
				t.Errorf("fingerprints differ: %q vs %q", fa, fb)
			}
		})
	}
}

// TestItemKeyIdentity pins which changes make a new key (a new story) and
// which do not, using the situations seen in the corpus series.
func TestItemKeyIdentity(t *testing.T) {
	base := Item{GUID: "https://news.example/collections/virus-0422/", Link: "https://news.example/collections/virus-0422/", Title: "Ventilator study published", Dated: true, Published: time.Date(2020, 4, 23, 8, 54, 0, 0, time.UTC)}
	noGUID := Item{Link: "https://news.example/a?utm_source=rss", Title: "Harbour bridge reopens"}
	tests := []struct {
		name     string
		a, b     Item
		repeated bool // GUID ambiguous within the document
		wantSame bool
	}{
		{"same GUID, same title, new date", base, with(base, func(i *Item) { i.Published = i.Published.Add(9 * time.Hour) }), false, true},
		{"same GUID, cosmetic title edit", base, with(base, func(i *Item) { i.Title = "Ventilator Study Published." }), false, true},
		{"same GUID and link reused for a different story", base, with(base, func(i *Item) { i.Title = "The morality behind the open-up movement" }), false, false},
		{"same GUID, new summary only", base, with(base, func(i *Item) { i.Summary = "Updated at 1715 GMT" }), false, true},
		{"no GUID: tracking parameter changes", noGUID, with(noGUID, func(i *Item) { i.Link = "https://news.example/a?utm_source=twitter&fbclid=1" }), false, true},
		{"no GUID: different link", noGUID, with(noGUID, func(i *Item) { i.Link = "https://news.example/b" }), false, false},
		{"repeated GUID: links tell stories apart", with(base, func(i *Item) { i.Link += "?a=1" }), with(base, func(i *Item) { i.Link += "?a=2" }), true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ka, kb := itemKey(tc.a, tc.repeated), itemKey(tc.b, tc.repeated)
			if (ka == kb) != tc.wantSame {
				t.Errorf("keys %q and %q: same=%v, want same=%v", ka, kb, ka == kb, tc.wantSame)
			}
			if len(ka) != 23 {
				t.Errorf("key %q has %d chars, want 23", ka, len(ka))
			}
		})
	}
}

// TestItemKeysStableWhenGUIDsStartOrStopRepeating parses two snapshots
// of one feed: an item present in both keeps its key whether or not
// another item shares its GUID in either snapshot, so it is never
// reported new twice; items that differ get different keys.
func TestItemKeysStableWhenGUIDsStartOrStopRepeating(t *testing.T) {
	type rssItem struct{ guid, title, link string }
	a := rssItem{"X", "Aleppo ceasefire holds", "https://wire.example/a"}
	b := rssItem{"X", "Geneva talks resume", "https://wire.example/b"}
	live1 := rssItem{"live", "Live updates", "https://wire.example/live?p=1"}
	live2 := rssItem{"live", "Live updates", "https://wire.example/live?p=2"}
	doc := func(items ...rssItem) []byte {
		var sb strings.Builder
		sb.WriteString(`<rss version="2.0"><channel><title>Wire</title><link>https://wire.example/</link>`)
		for _, it := range items {
			fmt.Fprintf(&sb, `<item><title>%s</title><link>%s</link><guid isPermaLink="false">%s</guid></item>`, it.title, it.link, it.guid)
		}
		sb.WriteString(`</channel></rss>`)
		return []byte(sb.String())
	}
	tests := []struct {
		name         string
		before, now  []rssItem
		same         [2]string // title present in both snapshots
		wantNowItems int
	}{
		{"the GUID's other story leaves", []rssItem{a, b}, []rssItem{a}, [2]string{a.title, a.title}, 1},
		{"a new story reuses the GUID", []rssItem{a}, []rssItem{a, b}, [2]string{a.title, a.title}, 2},
		{"a new story reuses the GUID ahead of it", []rssItem{a}, []rssItem{b, a}, [2]string{a.title, a.title}, 2},
		{"one GUID and headline, two links: both kept", []rssItem{live1}, []rssItem{live1, live2}, [2]string{}, 2},
	}
	p := NewParser()
	keyOf := func(f *Feed, title string) string {
		for _, it := range f.Items {
			if it.Title == title {
				return it.Key
			}
		}
		t.Fatalf("no item %q", title)
		return ""
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, err := p.Parse(doc(tc.before...), "", "https://wire.example/rss", testNow)
			if err != nil {
				t.Fatal(err)
			}
			now, err := p.Parse(doc(tc.now...), "", "https://wire.example/rss", testNow)
			if err != nil {
				t.Fatal(err)
			}
			if len(now.Items) != tc.wantNowItems {
				t.Fatalf("got %d items, want %d", len(now.Items), tc.wantNowItems)
			}
			keys := map[string]bool{}
			for _, it := range now.Items {
				keys[it.Key] = true
			}
			if len(keys) != len(now.Items) {
				t.Errorf("items share a key: %+v", now.Items)
			}
			if tc.same[0] != "" {
				if k1, k2 := keyOf(before, tc.same[0]), keyOf(now, tc.same[1]); k1 != k2 {
					t.Errorf("%q changed key from %s to %s: it would be reported new again", tc.same[0], k1, k2)
				}
			}
		})
	}
}

func with(it Item, edit func(*Item)) Item {
	edit(&it)
	return it
}

func ExampleCanonicalLink() {
	fmt.Println(CanonicalLink("https://News.Example/story?id=7&utm_source=rss&fbclid=abc#top"))
	// Output: https://news.example/story?id=7
}

// TestKeyByTextIgnoresLineBreaks: an item known by its text (no GUID, link
// or title) keeps its key whether its description and content break lines
// alike or not, as when both were one line; the content that only breaks
// the summary's lines otherwise is dropped, as before.
func TestKeyByTextIgnoresLineBreaks(t *testing.T) {
	feed := func(description, content string) Item {
		t.Helper()
		doc := `<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>
<item><description>` + description + `</description><content:encoded><![CDATA[` + content + `]]></content:encoded></item></channel></rss>`
		f, err := NewParser().Parse([]byte(doc), "application/rss+xml", "https://text.example/feed", testNow)
		if err != nil || len(f.Items) != 1 {
			t.Fatalf("parse: %v, %d items", err, len(f.Items))
		}
		return f.Items[0]
	}
	oneLine := feed("Storm Hilde reaches the coast. Ferries stopped.", "Storm Hilde reaches the coast. Ferries stopped.")
	for _, tc := range []struct{ name, description, content string }{
		{"paragraphs against text lines", "Storm Hilde reaches the coast.\nFerries stopped.", "<p>Storm Hilde reaches the coast.</p><p>Ferries stopped.</p>"},
		{"paragraphs against a line break", "&lt;p&gt;Storm Hilde reaches the coast.&lt;br&gt;Ferries stopped.&lt;/p&gt;", "<p>Storm Hilde reaches the coast.</p><p>Ferries stopped.</p>"},
		{"paragraphs against one line", "Storm Hilde reaches the coast. Ferries stopped.", "<p>Storm Hilde reaches the coast.</p><p>Ferries stopped.</p>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			it := feed(tc.description, tc.content)
			if it.Key != oneLine.Key || it.Content != "" {
				t.Errorf("key %q, content %q; want %q (the key of the text in one line) and no content", it.Key, it.Content, oneLine.Key)
			}
		})
	}
}
