package feeds

import (
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// atomDoc is an Atom feed titled feedTitle (a whole <title> element)
// with one entry per title element in entries, each with its own id and
// link.
func atomDoc(feedTitle string, entries ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">` + feedTitle +
		`<id>urn:feed</id><link rel="alternate" href="https://atom.example/"/>`)
	for i, title := range entries {
		n := string(rune('a' + i))
		b.WriteString(`<entry><id>urn:entry:` + n + `</id><link rel="alternate" href="https://atom.example/` + n + `"/>` +
			`<updated>2026-02-17T10:00:00Z</updated>` + title + `<summary>Text.</summary></entry>`)
	}
	b.WriteString(`</feed>`)
	return b.String()
}

// TestAtomTextTitleIsPlainText: an Atom title of type "text", the default,
// is plain text (RFC 4287 §3.1.1.1): what gofeed gives, after the XML's
// own entities, is shown as it is, not read as HTML a second time, which
// lost "<blink>" as a tag and "&amp;" as an entity. Titles of type "html"
// and "xhtml" are still HTML.
func TestAtomTextTitleIsPlainText(t *testing.T) {
	tests := []struct{ name, title, want string }{
		{"type text: an escaped tag is text", `<title type="text">History of the &lt;blink&gt; tag</title>`, "History of the <blink> tag"},
		{"type text: an escaped entity is text", `<title type="text">Fish &amp;amp; chips</title>`, "Fish &amp; chips"},
		{"no type is text", `<title>Why x &lt;b&gt; y fails</title>`, "Why x <b> y fails"},
		{"type TEXT in capitals", `<title type="TEXT">a &lt;i&gt; b</title>`, "a <i> b"},
		{"type text/plain (Atom 0.3)", `<title type="text/plain">a &lt;i&gt; b</title>`, "a <i> b"},
		{"text in CDATA is text", `<title><![CDATA[Tags like <div> explained]]></title>`, "Tags like <div> explained"},
		{"text: whitespace collapsed", "<title>  Aleppo\n\t ceasefire  </title>", "Aleppo ceasefire"},
		{"text: plain ampersand", `<title>AT&amp;T buys Time Warner</title>`, "AT&T buys Time Warner"},
		{"text with child elements is markup, read as HTML", `<title><p>Entry Title</p></title>`, "Entry Title"},
		{"type html is HTML", `<title type="html">a &lt;b&gt;bold&lt;/b&gt; move &amp;amp; more</title>`, "a bold move & more"},
		{"type text/html (Atom 0.3) is HTML", `<title type="text/html">a &lt;b&gt;bold&lt;/b&gt; move</title>`, "a bold move"},
		{"type xhtml is HTML", `<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">a <b>bold</b> move</div></title>`, "a bold move"},
	}
	p := NewParser()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			feed, err := p.Parse([]byte(atomDoc(tc.title, tc.title)), "application/atom+xml", "https://atom.example/feed", testNow)
			if err != nil {
				t.Fatal(err)
			}
			if len(feed.Items) != 1 {
				t.Fatalf("%d items, want 1", len(feed.Items))
			}
			if got := feed.Items[0].Title; got != tc.want {
				t.Errorf("entry title %q, want %q", got, tc.want)
			}
			if feed.Title != tc.want {
				t.Errorf("feed title %q, want %q", feed.Title, tc.want)
			}
		})
	}
}

// TestAtomTextTitleOldKeys: an entry whose text title read as HTML gave
// another headline is keyed by the title as written, and Feed.OldKeys
// maps that key to the key the HTML reading gave (what the same entry
// typed html gives), so that an upgrade posts nothing again. An entry
// whose title reads the same both ways keeps its key and has no old key.
func TestAtomTextTitleOldKeys(t *testing.T) {
	titles := []string{
		`History of the &lt;blink&gt; tag`,
		`Fish &amp;amp; chips`,
		`Aleppo ceasefire holds`,
		`AT&amp;T buys Time Warner`,
	}
	typed := func(typ string) []string {
		out := make([]string, len(titles))
		for i, s := range titles {
			out[i] = `<title type="` + typ + `">` + s + `</title>`
		}
		return out
	}
	p := NewParserWith(ParserOptions{LazyText: true})
	feed, err := p.Parse([]byte(atomDoc("", typed("text")...)), "application/atom+xml", "https://atom.example/feed", testNow)
	if err != nil {
		t.Fatal(err)
	}
	asHTML, err := p.Parse([]byte(atomDoc("", typed("html")...)), "application/atom+xml", "https://atom.example/feed", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(feed.Items) != len(titles) || len(asHTML.Items) != len(titles) {
		t.Fatalf("%d and %d items, want %d", len(feed.Items), len(asHTML.Items), len(titles))
	}
	changed := []bool{true, true, false, false}
	for i, it := range feed.Items {
		old := asHTML.Items[i]
		got, ok := feed.OldKeys[it.Key]
		switch {
		case changed[i] && it.Key == old.Key:
			t.Errorf("entry %d (%q): same key as read as HTML (%q): the headline did not change?", i, it.Title, old.Title)
		case changed[i] && got != old.Key:
			t.Errorf("entry %d (%q): old key %q, want %q (the key read as HTML)", i, it.Title, got, old.Key)
		case !changed[i] && it.Key != old.Key:
			t.Errorf("entry %d (%q): key %q, want %q as before", i, it.Title, it.Key, old.Key)
		case !changed[i] && ok:
			t.Errorf("entry %d (%q): old key %q for a key that did not change", i, it.Title, got)
		}
	}
	if asHTML.OldKeys != nil {
		t.Errorf("titles typed html have old keys: %v", asHTML.OldKeys)
	}
}

// TestAtomTextTitleOldKeysWithALegacyCharset: in a legacy charset served
// as "charset=utf-8" (see TestOldKeysOfALegacyCharsetServedAsUTF8), an
// entry whose title reads otherwise as HTML is mapped to its key of the
// version before, which read the charset right and the title as HTML;
// the others to their key of the garbled text.
func TestAtomTextTitleOldKeysWithALegacyCharset(t *testing.T) {
	doc := strings.Replace(atomDoc("", `<title>Оренбург &lt;blink&gt; весна</title>`, `<title>Оренбург встречает весну</title>`),
		`encoding="utf-8"`, `encoding="windows-1251"`, 1)
	body, err := charmap.Windows1251.NewEncoder().Bytes([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	p := NewParser()
	feed, err := p.Parse(body, "application/atom+xml; charset=utf-8", "https://atom.example/feed", testNow)
	if err != nil {
		t.Fatal(err)
	}
	asHTML, err := p.Parse(body, "", "https://atom.example/feed", testNow) // read by the declaration
	if err != nil {
		t.Fatal(err)
	}
	garbled, err := unicode.UTF8.NewDecoder().Bytes(body)
	if err != nil {
		t.Fatal(err)
	}
	before, err := p.Parse(garbled, "application/atom+xml; charset=utf-8", "https://atom.example/feed", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(feed.Items) != 2 || len(asHTML.Items) != 2 || len(before.Items) != 2 || feed.Items[0].Title != "Оренбург <blink> весна" {
		t.Fatalf("items %+v", feed.Items)
	}
	want := []string{asHTML.OldKeys[feed.Items[0].Key], before.Items[1].Key}
	for i, it := range feed.Items {
		if got := feed.OldKeys[it.Key]; got != want[i] || got == "" {
			t.Errorf("entry %d (%q): old key %q, want %q", i, it.Title, got, want[i])
		}
	}
}
