package feeds

import (
	"fmt"
	"testing"
	"time"
)

func TestCanonicalLink(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"utm params", "https://news.example/a?utm_source=rss&utm_medium=feed", "https://news.example/a"},
		{"click ids", "https://news.example/a?id=3&fbclid=x&gclid=y&msclkid=z", "https://news.example/a?id=3"},
		{"daily mail campaign params", "https://www.dailymail.co.uk/news/article-1/x.html?ns_mchannel=rss&ito=1490&ns_campaign=1490", "https://www.dailymail.co.uk/news/article-1/x.html"},
		{"ref=rss dropped", "https://www.smh.com.au/x-p54ljy.html?ref=rss&utm_medium=rss", "https://www.smh.com.au/x-p54ljy.html"},
		{"ref with meaning kept", "https://news.example/a?ref=sidebar-7", "https://news.example/a?ref=sidebar-7"},
		{"host and scheme lower-cased", "HTTPS://News.Example/Path", "https://news.example/Path"},
		{"fragment dropped", "https://news.example/a#comments", "https://news.example/a"},
		{"default port dropped", "https://news.example:443/a", "https://news.example/a"},
		{"params sorted", "https://news.example/a?b=2&a=1", "https://news.example/a?a=1&b=2"},
		{"empty path", "https://news.example", "https://news.example/"},
		{"whitespace trimmed", "\n\thttps://news.example/a \n", "https://news.example/a"},
		{"not a URL", "p54ljy", "p54ljy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := CanonicalLink(tc.in); got != tc.want {
				t.Errorf("CanonicalLink(%q) = %q, want %q", tc.in, got, tc.want)
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
		repeated bool // GUID repeated within the document
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

func with(it Item, edit func(*Item)) Item {
	edit(&it)
	return it
}

func ExampleCanonicalLink() {
	fmt.Println(CanonicalLink("https://News.Example/story?id=7&utm_source=rss&fbclid=abc#top"))
	// Output: https://news.example/story?id=7
}
