package feeds

import (
	"strings"
	"testing"
)

// atomEntriesDoc is an Atom feed of the given entries, each a whole
// <entry> element.
func atomEntriesDoc(entries ...string) string {
	return `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Feed</title>` +
		`<id>urn:feed</id><link rel="alternate" href="https://atom.example/"/>` + strings.Join(entries, "") + `</feed>`
}

// TestPlainTextSummaryAndContent: an Atom summary or content of type
// "text", the default, and a JSON Feed's content_text are plain text
// (RFC 4287 §3.1.1.1, JSON Feed 1.1), as Atom titles are (see
// TestAtomTextTitleIsPlainText): what gofeed gives is shown as it is,
// its lines kept, not read as HTML a second time, which lost an escaped
// "<b>" as a tag and decoded "&amp;amp;" twice. Types html and xhtml,
// and JSON's content_html, are still HTML.
func TestPlainTextSummaryAndContent(t *testing.T) {
	entry := func(inner string) string {
		return atomEntriesDoc(`<entry><id>urn:e</id><link href="https://atom.example/e"/><title>Headline</title>` + inner + `</entry>`)
	}
	jsonDoc := func(item string) string {
		return `{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","url":"https://j.example/1","title":"Headline",` + item + `}]}`
	}
	tests := []struct {
		name, doc        string
		summary, content string
	}{
		{"summary, no type", entry(`<summary>Use &lt;b&gt; for bold</summary>`), "Use <b> for bold", ""},
		{"summary, type text", entry(`<summary type="text">Fish &amp;amp; chips</summary>`), "Fish &amp; chips", ""},
		{"summary, type text/plain (Atom 0.3)", entry(`<summary type="text/plain">a &lt;i&gt; b</summary>`), "a <i> b", ""},
		{"summary, text in CDATA", entry(`<summary><![CDATA[Tags like <div> explained]]></summary>`), "Tags like <div> explained", ""},
		{"summary, text keeps its lines", entry("<summary>First &lt;p&gt; line.\n\n  Second line.</summary>"), "First <p> line.\nSecond line.", ""},
		{"summary, type html", entry(`<summary type="html">a &lt;b&gt;bold&lt;/b&gt; move &amp;amp; more</summary>`), "a bold move & more", ""},
		{"summary, text with child elements is markup", entry(`<summary><p>Para</p> text</summary>`), "Para\ntext", ""},
		{"content, type text", entry(`<content type="text">History of the &lt;blink&gt; tag</content>`), "", "History of the <blink> tag"},
		{"content, no type", entry(`<content>x &lt; y &amp;&amp; y &gt; z</content>`), "", "x < y && y > z"},
		{"content, type html", entry(`<content type="html">&lt;p&gt;One&lt;/p&gt;&lt;p&gt;Two&lt;/p&gt;</content>`), "", "One\nTwo"},
		{"content, type xhtml", entry(`<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><b>Bold</b> text</div></content>`), "", "Bold text"},
		{"summary html, content text", entry(`<summary type="html">&lt;b&gt;Lead&lt;/b&gt;</summary><content type="text">Body &lt;b&gt; here</content>`), "Lead", "Body <b> here"},
		{"json content_text", jsonDoc(`"content_text":"Use <b> for bold &amp; more"`), "", "Use <b> for bold &amp; more"},
		{"json content_html", jsonDoc(`"content_html":"<p>Use <b>bold</b> &amp; more</p>"`), "", "Use bold & more"},
		{"json content_html beside content_text", jsonDoc(`"content_html":"<p>A <b>b</b></p>","content_text":"A <b>b</b>"`), "", "A b"},
	}
	for _, p := range eagerAndLazy() {
		for _, tc := range tests {
			t.Run(p.name+", "+tc.name, func(t *testing.T) {
				it := parseOneItem(t, p.parser, tc.doc)
				if it.Summary != tc.summary {
					t.Errorf("summary %q, want %q", it.Summary, tc.summary)
				}
				if it.Content != tc.content {
					t.Errorf("content %q, want %q", it.Content, tc.content)
				}
			})
		}
	}
}

// TestPlainTextSummaryOldKeys: an item known by its text (no GUID, link
// or headline) whose plain-text summary or content read as HTML gave
// another text is keyed by the text as written, and Feed.OldKeys maps
// that key to the key the HTML reading gave (what the same entry typed
// html gives), so that an upgrade posts nothing again. One whose text
// reads the same both ways keeps its key and has no old key.
func TestPlainTextSummaryOldKeys(t *testing.T) {
	texts := []struct {
		name, summary, content string
		changed                bool
	}{
		{"escaped tag in the summary", `Schools closed &lt;today&gt; in the north`, "", true},
		{"escaped entity in the content", "", `Fish &amp;amp; chips sold out`, true},
		{"the same either way", `Ferries cancelled until Friday`, "", false},
	}
	doc := func(typ string) string {
		var entries []string
		for _, tx := range texts {
			e := `<entry><updated>2026-02-17T10:00:00Z</updated>`
			if tx.summary != "" {
				e += `<summary type="` + typ + `">` + tx.summary + `</summary>`
			}
			if tx.content != "" {
				e += `<content type="` + typ + `">` + tx.content + `</content>`
			}
			entries = append(entries, e+`</entry>`)
		}
		return atomEntriesDoc(entries...)
	}
	for _, p := range eagerAndLazy() {
		t.Run(p.name, func(t *testing.T) {
			feed, err := p.parser.Parse([]byte(doc("text")), "", "https://atom.example/feed", testNow)
			if err != nil {
				t.Fatal(err)
			}
			asHTML, err := p.parser.Parse([]byte(doc("html")), "", "https://atom.example/feed", testNow)
			if err != nil {
				t.Fatal(err)
			}
			if len(feed.Items) != len(texts) || len(asHTML.Items) != len(texts) {
				t.Fatalf("%d and %d items, want %d", len(feed.Items), len(asHTML.Items), len(texts))
			}
			for i, it := range feed.Items {
				tx, old := texts[i], asHTML.Items[i]
				got, ok := feed.OldKeys[it.Key]
				switch {
				case tx.changed && it.Key == old.Key:
					t.Errorf("%s: same key as read as HTML: the text did not change?", tx.name)
				case tx.changed && got != old.Key:
					t.Errorf("%s: old key %q, want %q (the key read as HTML)", tx.name, got, old.Key)
				case !tx.changed && it.Key != old.Key:
					t.Errorf("%s: key %q, want %q as before", tx.name, it.Key, old.Key)
				case !tx.changed && ok:
					t.Errorf("%s: old key %q for a key that did not change", tx.name, got)
				}
			}
			if asHTML.OldKeys != nil {
				t.Errorf("texts typed html have old keys: %v", asHTML.OldKeys)
			}
		})
	}
}
