package feeds

import (
	"bytes"
	"html"
	"strings"

	"github.com/mmcdole/gofeed"
	gofeedjson "github.com/mmcdole/gofeed/json"
)

// textKinds says which text constructs of an item are plain text, not
// HTML: an Atom title, summary or content of type "text" (Atom's
// default) or Atom 0.3's "text/plain" (RFC 4287 §3.1.1.1), or a JSON
// Feed's content_text, and its title and summary unless written as HTML
// anyway (writtenAsHTML). gofeed gives such a text with the XML's entities
// decoded, which is its text as written ("History of the <blink> tag",
// "Fish &amp; chips"); it does not say of which type a text was, and
// read as HTML the text loses what looks like a tag or an entity.
type textKinds uint8

const (
	plainTitle textKinds = 1 << iota
	plainSummary
	plainContent
)

// atomTexts finds which text constructs of an Atom document are plain
// text (see textKinds). It is told of the elements gofeed reads natively
// by an xmlScanner (see plainTextsOf).
type atomTexts struct {
	feed    bool        // the feed's own title is plain text
	entries []textKinds // each entry's, in document order
	inEntry bool        // the construct last opened is an entry's, not the feed's title
}

// atomConstructs are the entry elements atomTexts follows.
var atomConstructs = []struct {
	name string
	kind textKinds
}{{"title", plainTitle}, {"summary", plainSummary}, {"content", plainContent}}

// start takes in an element opened in the document: stack holds the
// elements around it (the root <feed> first), typ and mode are its
// attributes. As gofeed reads them: names in any case, the last title,
// summary or content of an entry (or title of the feed) wins, and only
// the feed's own children are entries. A construct with child elements
// is XML markup, not text: gofeed gives it as it is written, and it is
// read as HTML.
func (a *atomTexts) start(stack []xmlFrame, el *xmlFrame, typ, mode []byte) {
	if n := len(stack); n > 0 && stack[n-1].construct != 0 {
		a.set(stack[n-1].construct, false)
		return
	}
	if el.extension {
		return
	}
	switch {
	case len(stack) == 1 && bytes.EqualFold(el.local, []byte("entry")):
		a.entries = append(a.entries, 0)
	case len(stack) == 1 && bytes.EqualFold(el.local, []byte("title")):
		a.inEntry = false
		el.construct = plainTitle
		a.set(plainTitle, isAtomPlainText(typ, mode))
	case len(stack) == 2 && len(a.entries) > 0 && bytes.EqualFold(stack[1].local, []byte("entry")) && !stack[1].extension:
		for _, c := range atomConstructs {
			if bytes.EqualFold(el.local, []byte(c.name)) {
				a.inEntry = true
				el.construct = c.kind
				a.set(c.kind, isAtomPlainText(typ, mode))
			}
		}
	}
}

// set says whether the construct of kind last opened is plain text.
func (a *atomTexts) set(kind textKinds, plain bool) {
	switch {
	case !a.inEntry:
		a.feed = plain
	case plain:
		a.entries[len(a.entries)-1] |= kind
	default:
		a.entries[len(a.entries)-1] &^= kind
	}
}

// isAtomPlainText reports a text construct gofeed decodes as text that is
// plain: type "text" or "text/plain", or neither type nor (Atom 0.3)
// mode. Atom 0.3's "text/html", which gofeed also decodes as text, is
// HTML.
func isAtomPlainText(typ, mode []byte) bool {
	return bytes.EqualFold(typ, []byte("text")) || bytes.EqualFold(typ, []byte("text/plain")) ||
		len(typ) == 0 && len(mode) == 0
}

// plainTextsOf finds the plain-text constructs (see textKinds) of gf,
// parsed from body: the items that have any, and whether the feed's title
// is. In an Atom document it finds none when the scan does not see the
// entries gofeed saw (a document gofeed reads otherwise): the texts are
// then read as HTML, as before. In a JSON Feed, parseGofeed marked the
// items whose content is their content_text (markContentText), and the
// titles and summaries are plain text unless written as HTML.
func plainTextsOf(gf *gofeed.Feed, body []byte) (items map[*gofeed.Item]textKinds, feed bool) {
	add := func(gi *gofeed.Item, k textKinds) {
		if k == 0 || gi == nil {
			return
		}
		if items == nil {
			items = make(map[*gofeed.Item]textKinds, len(gf.Items))
		}
		items[gi] = k
	}
	switch gf.FeedType {
	case "json":
		for _, gi := range gf.Items {
			if gi == nil {
				continue
			}
			var k textKinds
			if gi.Custom[customContentText] != "" {
				k |= plainContent
			}
			if gi.Title != "" && !writtenAsHTML(gi.Title) {
				k |= plainTitle
			}
			if gi.Description != "" && !writtenAsHTML(gi.Description) {
				k |= plainSummary
			}
			add(gi, k)
		}
		return items, !writtenAsHTML(gf.Title)
	case "atom":
		var texts atomTexts
		s := &xmlScanner{body: body, itemsAt: -1, texts: &texts}
		if err := s.scan(); err != nil || len(texts.entries) != len(gf.Items) {
			return nil, false
		}
		for i, gi := range gf.Items {
			add(gi, texts.entries[i])
		}
		return items, texts.feed
	}
	return nil, false
}

// writtenAsHTML reports a JSON Feed title or summary, plain text by the
// spec (JSON Feed 1.1: only content_html is HTML), that a feed wrote as
// HTML anyway: with an end tag ("</p>"), a line break ("<br>") or a
// character reference ("&#8217;", "&amp;"), as WordPress's JSON Feed
// plugin and kottke.org write titles and Hugo's and Jekyll's templates
// summaries (.Summary, excerpt). Shown as text, it would show its
// markup; it is read as HTML, as versions before read every one. This is
// feedparser's test of a text of unknown type. What only looks like a
// tag ("<b>", "x<y") does not make a text HTML.
func writtenAsHTML(s string) bool {
	for i := strings.IndexByte(s, '<'); i >= 0; {
		rest := s[i+1:]
		if len(rest) > 1 && rest[0] == '/' && isASCIILetter(rest[1]) {
			return true
		}
		if len(rest) > 2 && strings.EqualFold(rest[:2], "br") && strings.ContainsRune(" />", rune(rest[2])) {
			return true
		}
		j := strings.IndexByte(rest, '<')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	for i := strings.IndexByte(s, '&'); i >= 0; {
		rest := s[i:]
		if end := strings.IndexByte(rest, ';'); end > 1 && end <= 32 {
			if ref := rest[:end+1]; html.UnescapeString(ref) != ref {
				return true
			}
		}
		j := strings.IndexByte(rest[1:], '&')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// customContentText marks, in a gofeed.Item's Custom map, a JSON Feed
// item whose content is its content_text: gofeed gives it in Content, as
// it gives content_html, without saying which.
const customContentText = "newshound:content_text"

// markContentText marks the items of gf, translated from jf, whose
// content is their content_text (see customContentText).
func markContentText(gf *gofeed.Feed, jf *gofeedjson.Feed) {
	if len(gf.Items) != len(jf.Items) {
		return
	}
	for i, ji := range jf.Items {
		if gi := gf.Items[i]; gi != nil && ji != nil && ji.ContentHTML == "" && ji.ContentText != "" {
			if gi.Custom == nil {
				gi.Custom = map[string]string{}
			}
			gi.Custom[customContentText] = "1"
		}
	}
}

// constructText is the plain text of a text construct (with breaks,
// keeping its lines: ParagraphText), and the src of its first <img>: as
// it is, whitespace collapsed, when it is plain text already, else read
// as HTML.
func constructText(s string, plain, breaks bool) (text, img string) {
	if plain {
		return collapseSpace(s, breaks), ""
	}
	return plainTextAndImage(s, breaks)
}

// titleText is the plain text of a title (see constructText).
func titleText(s string, plain bool) string {
	text, _ := constructText(s, plain, false)
	return text
}
