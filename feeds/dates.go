package feeds

import (
	"strings"
	"time"
)

// oddDateLayouts are real-world dates gofeed does not parse, tried after
// cleanRFC822 has tidied the string.
var oddDateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04 -0700",
	"2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 06 15:04:05 -0700",
	"2006/1/2 15:04:05",
	"2006/1/2 15:04",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02T15:04:05-0700",
	"2.1.2006 15:04:05",
	"2006-01-02",
}

// zoneOffsets are the RFC 822 zone names, which Go's time.Parse would read
// as UTC with a made-up name.
var zoneOffsets = map[string]string{
	"UT": "+0000", "GMT": "+0000", "UTC": "+0000", "Z": "+0000",
	"EST": "-0500", "EDT": "-0400", "CST": "-0600", "CDT": "-0500",
	"MST": "-0700", "MDT": "-0600", "PST": "-0800", "PDT": "-0700",
}

func parseOddDate(s string) (time.Time, bool) {
	s = cleanRFC822(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range oddDateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// cleanRFC822 removes (comments), collapses whitespace, drops the space in
// "Thu , 09" and turns a zone name in any case into its numeric offset.
func cleanRFC822(s string) string {
	var b strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && depth > 0 && i+1 < len(s):
			i++
		case c == '(':
			depth++
			b.WriteByte(' ')
		case c == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteByte(c)
		}
	}
	fields := strings.Fields(b.String())
	if n := len(fields); n > 0 {
		if off, ok := zoneOffsets[strings.ToUpper(fields[n-1])]; ok {
			fields[n-1] = off
		}
	}
	return strings.ReplaceAll(strings.Join(fields, " "), " ,", ",")
}
