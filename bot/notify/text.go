package notify

import (
	"sort"
	"unicode"
	"unicode/utf8"

	"github.com/newshound/newshound/alert"
)

// Helpers for notifiers that render feed text into a markup of their own.

// NormalizeSpans clips spans to text and to rune boundaries, trims white
// space off their ends (no markup bolds "* word*"), drops empty ones,
// sorts them and merges overlaps.
func NormalizeSpans(text string, spans []alert.Span) []alert.Span {
	var out []alert.Span
	for _, s := range spans {
		start, end := max(s.Start, 0), min(s.End, len(text))
		for start < end && !utf8.RuneStart(text[start]) {
			start++
		}
		for end < len(text) && end > 0 && !utf8.RuneStart(text[end]) {
			end++
		}
		for start < end {
			r, size := utf8.DecodeRuneInString(text[start:])
			if !unicode.IsSpace(r) {
				break
			}
			start += size
		}
		for start < end {
			r, size := utf8.DecodeLastRuneInString(text[start:end])
			if !unicode.IsSpace(r) {
				break
			}
			end -= size
		}
		if start < end {
			out = append(out, alert.Span{Start: start, End: end})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	merged := out[:0]
	for _, s := range out {
		if n := len(merged); n > 0 && s.Start <= merged[n-1].End {
			merged[n-1].End = max(merged[n-1].End, s.End)
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// CutRunes cuts s to limit code points, the last one "…" when it cuts;
// "" for a limit of 0 or less. It allocates no more than the result, so
// it suits text of megabytes.
func CutRunes(s string, limit int) string {
	if limit <= 0 {
		return ""
	}
	n := 0
	for i := range s {
		if n == limit-1 {
			if utf8.RuneCountInString(s[i:]) == 1 {
				return s // exactly limit code points
			}
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// IsBidiControl reports the Unicode bidirectional embedding, override and
// isolate controls (U+202A–U+202E, U+2066–U+2069): in feed text they can
// reorder what follows them ("exe.gnp" shown as "png.exe"), including
// text that is not the feed's.
func IsBidiControl(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069')
}

// IsHiddenControl reports the characters a notifier drops from feed text
// before display: bidi controls, and control characters other than tab,
// line feed and carriage return (white space, which renderers fold).
func IsHiddenControl(r rune) bool {
	if r == '\t' || r == '\n' || r == '\r' {
		return false
	}
	return IsBidiControl(r) || unicode.IsControl(r) || r == utf8.RuneError
}
