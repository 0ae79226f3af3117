package feeds

import (
	"strings"
	"testing"
)

// TestAtomAuthorAndCategoryArePlainText: an Atom person's name and a
// category's term and label are XML text (RFC 4287 §3.2.1, §4.2.2),
// which gofeed gives with the XML's entities decoded: that is the name
// as written, not HTML to decode a second time ("AT&amp;amp;T" is
// "AT&amp;T", not "AT&T") or to lose as a tag ("&lt;anonymous&gt;").
// An RSS document's author and categories are read as HTML, as before.
func TestAtomAuthorAndCategoryArePlainText(t *testing.T) {
	atomEntry := func(inner string) string {
		return atomEntriesDoc(`<entry><id>urn:e</id><link href="https://atom.example/e"/><title>Headline</title>` + inner + `</entry>`)
	}
	rssItem := func(inner string) string {
		return `<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>R</title><link>https://rss.example/</link>` +
			`<item><guid>urn:r</guid><link>https://rss.example/r</link><title>Headline</title>` + inner + `</item></channel></rss>`
	}
	tests := []struct {
		name, doc  string
		author     string
		categories string // joined by "|"
	}{
		{"atom name, escaped entity", atomEntry(`<author><name>AT&amp;amp;T</name></author>`), "AT&amp;T", ""},
		{"atom name, escaped tag", atomEntry(`<author><name>&lt;anonymous&gt;</name></author>`), "<anonymous>", ""},
		{"atom name, ampersand", atomEntry(`<author><name>Marks &amp; Spencer</name></author>`), "Marks & Spencer", ""},
		{"atom name, spaces collapsed", atomEntry("<author><name>  Jane \n Doe </name></author>"), "Jane Doe", ""},
		{"atom email when no name", atomEntry(`<author><email>desk&amp;amp;co@atom.example</email></author>`), "desk&amp;co@atom.example", ""},
		{"atom category term", atomEntry(`<category term="R&amp;amp;D"/><category term="x&lt;y"/>`), "", "R&amp;D|x<y"},
		{"atom category label", atomEntry(`<category term="rd" label="Q&amp;amp;A &lt;live&gt;"/>`), "", "Q&amp;A <live>"},
		{"rss author as before", rssItem(`<dc:creator>AT&amp;amp;T</dc:creator>`), "AT&T", ""},
		{"rss category as before", rssItem(`<category>R&amp;amp;D &lt;b&gt;x&lt;/b&gt;</category>`), "", "R&D x"},
	}
	for _, p := range eagerAndLazy() {
		for _, tc := range tests {
			t.Run(p.name+", "+tc.name, func(t *testing.T) {
				it := parseOneItem(t, p.parser, tc.doc)
				if it.Author != tc.author {
					t.Errorf("author %q, want %q", it.Author, tc.author)
				}
				if got := strings.Join(it.Categories, "|"); got != tc.categories {
					t.Errorf("categories %q, want %q", got, tc.categories)
				}
			})
		}
	}
}
