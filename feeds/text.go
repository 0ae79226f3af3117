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
// an item's text (see ParagraphText) line breaks, where each element says:
// a paragraph's start and end each break a line (so "</p><p>" makes a
// blank line), a list item, row or "<br>" breaks one where it starts, and
// a table cell is a space.
var blockElements = map[string]breakAt{
	"p": breakBoth, "div": breakBoth, "ul": breakBoth, "ol": breakBoth, "dl": breakBoth,
	"h1": breakBoth, "h2": breakBoth, "h3": breakBoth, "h4": breakBoth, "h5": breakBoth, "h6": breakBoth,
	"table": breakBoth, "blockquote": breakBoth, "section": breakBoth, "article": breakBoth,
	"header": breakBoth, "footer": breakBoth, "figure": breakBoth, "figcaption": breakBoth,
	"hr": breakBoth, "pre": breakBoth,
	"br": breakStart, "li": breakStart, "tr": breakStart, "dd": breakStart, "dt": breakStart,
	"td": breakNone, "th": breakNone,
}

// breakAt is where an element of blockElements breaks a line of an item's
// text.
type breakAt uint8

const (
	breakNone  breakAt = iota // a space
	breakStart                // a line break where it starts
	breakBoth                 // a line break where it starts and where it ends
)

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
// where the text breaks, so that a live update can be told by the
// paragraph a feed added and a notifier can show paragraphs. In HTML, the
// start and the end of a paragraph, heading, list or other block each
// break a line, so that two paragraphs are apart by a blank line ("\n\n");
// a list item, a table row or a "<br>" breaks one line ("\n"); a newline
// of the source is a space, as a browser shows it. In text without tags,
// a newline is a line break and two or more a blank line. Other whitespace
// is collapsed as in PlainText, and the text begins and ends with none.
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
	if !strings.Contains(s, "<") {
		if strings.Contains(s, "&") {
			s = html.UnescapeString(s)
		}
		return finishText(s, breaks), ""
	}
	var b strings.Builder
	b.Grow(len(s))
	boundary := func(at breakAt, end bool) {
		if breaks && (at == breakBoth || at == breakStart && !end) {
			b.WriteByte('\n')
		} else {
			b.WriteByte(' ')
		}
	}
	z := html.NewTokenizer(strings.NewReader(s))
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return finishText(b.String(), breaks), img
		case html.TextToken:
			if skip == 0 {
				writeSourceText(&b, z.Text(), breaks)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch {
			case skippedElements[string(name)] && tt == html.StartTagToken:
				skip++
			case isBlock(name):
				boundary(blockElements[string(name)], false)
			case img == "" && hasAttr && string(name) == "img":
				img = imgSrc(z)
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if skippedElements[string(name)] && skip > 0 {
				skip--
			} else if isBlock(name) {
				boundary(blockElements[string(name)], true)
			}
		}
	}
}

func isBlock(name []byte) bool {
	_, ok := blockElements[string(name)]
	return ok
}

// writeSourceText writes a text token of HTML: with breaks, its newlines
// as spaces, since only elements break lines in HTML (a feed's HTML is
// often wrapped in its source).
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
// characters and trims both ends. With breaks, a run holding one line
// break is a newline, one holding more (or a paragraph separator) a
// blank line.
func collapseSpace(s string, breaks bool) string {
	if isCollapsed(s) {
		return s // most titles: no copy
	}
	var b strings.Builder
	b.Grow(len(s))
	space, lines := false, 0
	for _, r := range s {
		if unicode.IsSpace(r) || r == '\u00a0' {
			space = true
			switch {
			case !breaks:
			case r == '\n' || r == '\u2028':
				lines++
			case r == '\u2029':
				lines += 2
			}
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
			b.WriteString(spaceOf(lines))
		}
		space, lines = false, 0
		b.WriteRune(r)
	}
	return b.String()
}

// spaceOf is what a run of whitespace holding lines line breaks becomes.
func spaceOf(lines int) string {
	switch lines {
	case 0:
		return " "
	case 1:
		return "\n"
	}
	return "\n\n"
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
