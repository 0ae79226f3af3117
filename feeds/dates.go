package feeds

import (
	"bytes"
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

// namedZoneOffsets are the zone names of RSS dates that numericGMTDates
// rewrites, with the offsets gofeed itself gives them.
var namedZoneOffsets = map[string]string{
	"GMT": "+0000", "UTC": "+0000",
	"EST": "-0500", "EDT": "-0400", "CST": "-0600", "CDT": "-0500",
	"MST": "-0700", "MDT": "-0600", "PST": "-0800", "PDT": "-0700",
}

// numericGMTDates rewrites RSS dates written "Mon, 02 Jan 2006 15:04:05
// GMT" (most of them; also UTC and the US zones) as "… +0000", the same
// instant. gofeed tries about
// ninety numeric-zone layouts before its named-zone ones, and every layout
// that fails allocates a time.ParseError: that was a third of all
// allocations per item. The numeric form matches the fourth layout.
// body is not modified; a copy is made at the first rewrite.
func numericGMTDates(body []byte) []byte {
	const open, close = "<pubDate>", "</pubDate>"
	var out []byte // nil until the first rewrite
	done := 0      // body[:done] is in out
	for i := 0; ; {
		j := bytes.Index(body[i:], []byte(open))
		if j < 0 {
			break
		}
		start := i + j + len(open)
		k := bytes.Index(body[start:], []byte(close))
		if k < 0 || k > 64 {
			i = start
			continue
		}
		end := start + k
		i = end
		date := bytes.TrimSpace(body[start:end])
		zone := bytes.LastIndexByte(date, ' ')
		if zone < 0 {
			continue
		}
		offset, ok := namedZoneOffsets[string(date[zone+1:])]
		if !ok {
			continue
		}
		if _, err := time.Parse(time.RFC1123, string(date)); err != nil {
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(body)+len(body)/64)
		}
		dateEnd := start + len(bytes.TrimRight(body[start:end], " \t\r\n"))
		zoneAt := dateEnd - (len(date) - zone)
		out = append(out, body[done:zoneAt+1]...)
		out = append(out, offset...)
		done = dateEnd
	}
	if out == nil {
		return body
	}
	return append(out, body[done:]...)
}
