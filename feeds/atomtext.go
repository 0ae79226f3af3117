package feeds

import (
	"bytes"

	"github.com/mmcdole/gofeed"
)

// atomTitles finds which titles of an Atom document are plain text: of
// type "text", Atom's default, or Atom 0.3's "text/plain" (RFC 4287
// §3.1.1.1). gofeed gives such a title with the XML's entities decoded,
// which is its text as written ("History of the <blink> tag", "Fish
// &amp; chips"); it does not say of which type a title was, and read as
// HTML the text loses what looks like a tag or an entity. It is told of
// the elements gofeed reads natively by an xmlScanner (see
// textTitlesOf).
type atomTitles struct {
	feed    bool   // the feed's own title is plain text
	entries []bool // each entry's title is, in document order
	inEntry bool   // the title last opened is an entry's, not the feed's
}

// start takes in an element opened in the document: stack holds the
// elements around it (the root <feed> first), typ and mode are its
// attributes. As gofeed reads them: names in any case, the last title of
// an entry or the feed wins, and only the feed's own children are
// entries. A title with child elements is XML markup, not text: gofeed
// gives it as it is written, and it is read as HTML.
func (a *atomTitles) start(stack []xmlFrame, el *xmlFrame, typ, mode []byte) {
	if n := len(stack); n > 0 && stack[n-1].title {
		a.set(false)
		return
	}
	if el.extension {
		return
	}
	switch {
	case len(stack) == 1 && bytes.EqualFold(el.local, []byte("entry")):
		a.entries = append(a.entries, false)
	case !bytes.EqualFold(el.local, []byte("title")):
	case len(stack) == 1:
		a.inEntry = false
		el.title = true
		a.set(isAtomPlainText(typ, mode))
	case len(stack) == 2 && len(a.entries) > 0 && bytes.EqualFold(stack[1].local, []byte("entry")) && !stack[1].extension:
		a.inEntry = true
		el.title = true
		a.set(isAtomPlainText(typ, mode))
	}
}

// set says whether the title last opened is plain text.
func (a *atomTitles) set(plain bool) {
	if a.inEntry {
		a.entries[len(a.entries)-1] = plain
	} else {
		a.feed = plain
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

// textTitlesOf finds the plain-text titles (see atomTitles) of gf, an
// Atom document parsed from body: the items whose title is, and whether
// the feed's is. It finds none when the scan does not see the entries
// gofeed saw (a document gofeed reads otherwise): the titles are then
// read as HTML, as before.
func textTitlesOf(gf *gofeed.Feed, body []byte) (items map[*gofeed.Item]bool, feed bool) {
	if gf.FeedType != "atom" {
		return nil, false
	}
	var titles atomTitles
	s := &xmlScanner{body: body, itemsAt: -1, titles: &titles}
	if err := s.scan(); err != nil || len(titles.entries) != len(gf.Items) {
		return nil, false
	}
	for i, gi := range gf.Items {
		if titles.entries[i] && gi != nil {
			if items == nil {
				items = make(map[*gofeed.Item]bool, len(gf.Items))
			}
			items[gi] = true
		}
	}
	return items, titles.feed
}

// titleText is the plain text of a title: as it is (whitespace
// collapsed) when it is plain text already, else read as HTML.
func titleText(s string, plain bool) string {
	if plain {
		return collapseSpace(s, false)
	}
	return PlainText(s)
}
