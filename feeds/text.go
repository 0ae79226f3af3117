package feeds

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/text/encoding/charmap"
)

// blockElements end a line of text: their boundaries become spaces so that
// "<p>one</p><p>two</p>" reads "one two", not "onetwo".
var blockElements = map[string]bool{
	"p": true, "br": true, "div": true, "li": true, "ul": true, "ol": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"tr": true, "td": true, "th": true, "table": true, "blockquote": true,
	"section": true, "article": true, "header": true, "footer": true,
	"figure": true, "figcaption": true, "hr": true, "pre": true, "dd": true, "dt": true,
}

// skippedElements hold no readable text.
var skippedElements = map[string]bool{"script": true, "style": true, "noscript": true, "iframe": true, "svg": true, "template": true}

// PlainText turns an HTML fragment (or text with entities) into plain text:
// tags removed, entities decoded (once more if the feed double-escaped them,
// as in "&amp;#039;"), whitespace collapsed.
func PlainText(s string) string {
	text, _ := plainTextAndImage(s)
	return text
}

// plainTextAndImage is PlainText that also returns the src of the first
// <img>, so an item's picture costs no second HTML pass.
func plainTextAndImage(s string) (text, img string) {
	if s == "" {
		return "", ""
	}
	if !strings.Contains(s, "<") {
		if strings.Contains(s, "&") {
			s = html.UnescapeString(s)
		}
		return finishText(s), ""
	}
	var b strings.Builder
	b.Grow(len(s))
	z := html.NewTokenizer(strings.NewReader(s))
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return finishText(b.String()), img
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch {
			case skippedElements[string(name)] && tt == html.StartTagToken:
				skip++
			case blockElements[string(name)]:
				b.WriteByte(' ')
			case img == "" && hasAttr && string(name) == "img":
				img = imgSrc(z)
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if skippedElements[string(name)] && skip > 0 {
				skip--
			} else if blockElements[string(name)] {
				b.WriteByte(' ')
			}
		}
	}
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

// isCollapsed reports whether collapseSpace would return s unchanged.
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

// finishText decodes a second layer of entities left by double escaping.
func finishText(s string) string {
	if strings.Contains(s, "&") {
		s = html.UnescapeString(s)
	}
	return collapseSpace(s)
}

func collapseSpace(s string) string {
	if isCollapsed(s) {
		return s // most titles: no copy
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || r == '\u00a0' {
			space = true
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
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
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
	return collapseSpace(stripped)
}
