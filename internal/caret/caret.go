// Package caret draws a line of text with a caret under one character, the
// picture config and query problems show the person who wrote the text. A
// long line is cut to a window around the caret, so a mistake in a 5 MB line
// prints about a hundred characters, not the whole line.
package caret

import (
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// Width is the most characters of a line Under and Cut show, counting the
// "…" that marks each side where the line was cut.
const Width = 100

// Under returns line (cut to Width characters around col if longer) and, on
// a second line, a caret under the character at 1-based character column
// col. A col past the end of the line puts the caret just after it. The
// indent copies tabs and counts wide (CJK) characters twice and combining
// marks not at all, so the caret lines up in a terminal.
func Under(line string, col int) string {
	runes := []rune(line)
	at := min(max(col, 1)-1, len(runes)) // runes before the caret
	start, end := window(len(runes), at)
	var b strings.Builder
	if start > 0 {
		b.WriteString("…")
	}
	b.WriteString(string(runes[start:end]))
	if end < len(runes) {
		b.WriteString("…")
	}
	b.WriteByte('\n')
	if start > 0 {
		b.WriteByte(' ') // under the "…"
	}
	writeIndent(&b, runes[start:at])
	b.WriteByte('^')
	return b.String()
}

// Cut returns line cut to its first Width characters, with "…" at the end
// when something was cut: for the lines shown around the caret's line.
func Cut(line string) string {
	runes := []rune(line)
	if len(runes) <= Width {
		return line
	}
	return string(runes[:Width-1]) + "…"
}

// window picks the runes [start, end) of a line of n runes to show so that
// the caret, before rune at, is inside and the shown text with its "…"
// marks fits in Width characters. The caret sits a little left of the
// middle: the text after a mistake explains it less than the text before.
func window(n, at int) (start, end int) {
	if n <= Width {
		return 0, n
	}
	keep := Width - 2 // room for a "…" on each side
	start = max(at-keep/2, 0)
	if start == 0 {
		keep++ // no "…" on the left
	}
	end = start + keep
	if end >= n {
		end = n
		start = max(n-(Width-1), 0) // no "…" on the right
	}
	return start, end
}

// writeIndent writes the blank space that the runes take on a terminal.
func writeIndent(b *strings.Builder, runes []rune) {
	for _, r := range runes {
		switch {
		case r == '\t':
			b.WriteByte('\t')
		case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		case isWide(r):
			b.WriteString("  ")
		default:
			b.WriteByte(' ')
		}
	}
}

func isWide(r rune) bool {
	k := width.LookupRune(r).Kind()
	return k == width.EastAsianWide || k == width.EastAsianFullwidth
}
