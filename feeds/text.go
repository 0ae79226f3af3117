package feeds

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/text/encoding/charmap"
)

// blockElements end a line of text: in a title their boundaries become
// spaces, so that "<p>one</p><p>two</p>" reads "one two", not "onetwo"; in
// an item's text, line breaks (see ParagraphText). Table cells are spaces
// in both.
var blockElements = map[string]bool{
	"p": true, "br": true, "div": true, "li": true, "ul": true, "ol": true, "dl": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"tr": true, "table": true, "blockquote": true,
	"section": true, "article": true, "header": true, "footer": true,
	"figure": true, "figcaption": true, "hr": true, "pre": true, "dd": true, "dt": true,
}

var cellElements = map[string]bool{"td": true, "th": true}

// skippedElements hold no readable text.
var skippedElements = map[string]bool{"script": true, "style": true, "noscript": true, "iframe": true, "svg": true, "template": true}

// PlainText turns an HTML fragment (or text with entities) into one line
// of plain text: tags removed, entities decoded (once more if the feed
// double-escaped them, as in "&amp;#039;"), whitespace collapsed to single
// spaces. It is for titles, names and categories.
func PlainText(s string) string {
	text, _ := plainTextAndImage(s, false)
	return text
}

// ParagraphText is PlainText for an item's summary or content: it keeps
// where the text breaks lines, so that a live update can be told by the
// paragraph a feed added and a notifier can show paragraphs. It is
// PlainText with some of its spaces newlines, one for each break however
// many the source has, so that the text in one line
// (strings.ReplaceAll(text, "\n", " ")) is PlainText's, byte for byte:
// what is matched, keyed and grouped on stays as it was. In HTML, the
// boundaries of a paragraph, heading, list item or other block, a "<br>"
// and the newlines inside "<pre>" break a line; other newlines of the
// source are spaces, as a browser shows them. In text without tags, a
// newline (or a lone carriage return) breaks a line.
func ParagraphText(s string) string {
	text, _ := plainTextAndImage(s, true)
	return text
}

// plainTextAndImage is PlainText (or, with breaks, ParagraphText) that
// also returns the src of the first <img>, so an item's picture costs no
// second HTML pass.
func plainTextAndImage(s string, breaks bool) (text, img string) {
	if s == "" {
		return "", ""
	}
	if !hasTag(s) {
		if strings.Contains(s, "&") {
			s = html.UnescapeString(s)
		}
		return finishText(s, breaks), ""
	}
	var b strings.Builder
	b.Grow(len(s))
	boundary := byte(' ')
	if breaks {
		boundary = '\n'
	}
	z := html.NewTokenizer(strings.NewReader(s))
	skip, pre := 0, 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return finishText(b.String(), breaks), img
		case html.TextToken:
			if skip == 0 {
				writeSourceText(&b, z.Text(), breaks && pre == 0)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch {
			case skippedElements[string(name)] && tt == html.StartTagToken:
				skip++
			case blockElements[string(name)]:
				b.WriteByte(boundary)
				if string(name) == "pre" && tt == html.StartTagToken {
					pre++
				}
			case cellElements[string(name)]:
				b.WriteByte(' ')
			case img == "" && hasAttr && string(name) == "img":
				img = imgSrc(z)
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch {
			case skippedElements[string(name)] && skip > 0:
				skip--
			case blockElements[string(name)]:
				b.WriteByte(boundary) // "</br>" too, as browsers read it
				if string(name) == "pre" && pre > 0 {
					pre--
				}
			case cellElements[string(name)]:
				b.WriteByte(' ')
			}
		}
	}
}

// sameInOneLine reports whether a and b, texts of ParagraphText, are the
// same but where they break lines.
func sameInOneLine(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if x, y := a[i], b[i]; x != y && !(x == '\n' && y == ' ' || x == ' ' && y == '\n') {
			return false
		}
	}
	return true
}

// hasTag reports whether s has a tag: a "<" before a letter, "/",
// "!" or "?". Text such as "Temperatures <5C tonight" is not HTML, and its
// newlines are line breaks.
func hasTag(s string) bool {
	for i := strings.IndexByte(s, '<'); i >= 0 && i+1 < len(s); {
		if c := s[i+1]; 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '/' || c == '!' || c == '?' {
			return true
		}
		j := strings.IndexByte(s[i+1:], '<')
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

// writeSourceText writes a text token of HTML: with breaks, its newlines
// as spaces, since only elements break lines in HTML (a feed's HTML is
// often wrapped in its source); without (a title, or inside "<pre>"),
// as they are, for collapseSpace to make spaces or line breaks of.
func writeSourceText(b *strings.Builder, text []byte, breaks bool) {
	for breaks {
		i := bytes.IndexAny(text, "\r\n")
		if i < 0 {
			break
		}
		b.Write(text[:i])
		b.WriteByte(' ')
		text = text[i+1:]
	}
	b.Write(text)
}

func imgSrc(z *html.Tokenizer) string {
	for {
		key, val, more := z.TagAttr()
		if string(key) == "src" {
			return strings.TrimSpace(string(val))
		}
		if !more {
			return ""
		}
	}
}

// isCollapsed reports whether collapseSpace would return s unchanged (with
// breaks, only text of one line is known to be).
func isCollapsed(s string) bool {
	prevSpace := true // a leading space needs trimming
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f || (c == ' ' && prevSpace) {
				return false
			}
			prevSpace = c == ' '
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || r == '\u00a0' || unicode.IsControl(r) {
			return false
		}
		prevSpace = false
		i += size
	}
	return !prevSpace || s == ""
}

// finishText decodes a second layer of entities left by double escaping
// and collapses whitespace (see collapseSpace).
func finishText(s string, breaks bool) string {
	if strings.Contains(s, "&") {
		s = html.UnescapeString(s)
	}
	return collapseSpace(s, breaks)
}

// collapseSpace makes each run of whitespace one space, drops control
// characters and trims both ends. With breaks, a run holding a line break
// (a newline, a carriage return not before one, a line or paragraph
// separator) is a newline instead.
func collapseSpace(s string, breaks bool) string {
	if isCollapsed(s) {
		return s // most titles: no copy
	}
	var b strings.Builder
	b.Grow(len(s))
	space, line := false, false
	for i, r := range s {
		if unicode.IsSpace(r) || r == '\u00a0' {
			space = true
			line = line || breaks && isLineBreak(s, i, r)
			continue
		}
		if r >= 0x80 && r <= 0x9f {
			// C1 controls are windows-1252 punctuation mislabelled as
			// ISO-8859-1 upstream ("don\u0092t"): restore the quote.
			r = charmap.Windows1252.DecodeByte(byte(r))
		}
		if unicode.IsControl(r) {
			continue
		}
		if space && b.Len() > 0 {
			if line {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		}
		space, line = false, false
		b.WriteRune(r)
	}
	return b.String()
}

// isLineBreak reports whether r, at s[i], breaks a line.
func isLineBreak(s string, i int, r rune) bool {
	switch r {
	case '\n', '\u2028', '\u2029':
		return true
	case '\r':
		return !strings.HasPrefix(s[i+1:], "\n") // "\r\n" breaks at its "\n"
	}
	return false
}

// isBidiControl reports the invisible characters that change the direction
// of the text around them: embeddings and overrides (U+202A–U+202E),
// isolates (U+2066–U+2069) and the marks (U+200E, U+200F, U+061C). In a
// headline they can make a link or a name read backwards.
func isBidiControl(r rune) bool {
	return r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' ||
		r == '\u200e' || r == '\u200f' || r == '\u061c'
}

// stripBidi removes bidi controls from plain text, and the spacing left
// doubled where one stood between spaces.
func stripBidi(s string) string {
	// Every bidi control starts with one of these bytes in UTF-8; most
	// text has neither, and costs one scan and no copy.
	if strings.IndexByte(s, 0xe2) < 0 && strings.IndexByte(s, 0xd8) < 0 {
		return s
	}
	if strings.IndexFunc(s, isBidiControl) < 0 {
		return s
	}
	stripped := strings.Map(func(r rune) rune {
		if isBidiControl(r) {
			return -1
		}
		return r
	}, s)
	return collapseSpace(stripped, true) // a title has no breaks left to keep
}
