package story

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// A dateSpan is the days a headline dates itself to ("Day in pictures: 19
// February 2015", "Markets: as it happened - March 11, 2014", "The Energy
// Report 3/10/14", "Week ahead, March 10-14"): the first and the last, each
// month*32+day, packed as first<<16 | last; 0 when the headline names no
// day. A dated headline is a column or a live page of that day, and the
// same column of another day is another story, however alike the two
// read: a recurring column keeps its headline and, often, its lead.
type dateSpan uint32

// apart reports whether two headlines dated to days that do not overlap
// tell different stories. An undated headline is apart from none.
func (d dateSpan) apart(o dateSpan) bool {
	if d == 0 || o == 0 {
		return false
	}
	return d.last() < o.first() || o.last() < d.first()
}

func (d dateSpan) first() uint32 { return uint32(d) >> 16 }
func (d dateSpan) last() uint32  { return uint32(d) & 0xffff }

const (
	// monthPattern is a capitalized word that may be a month's name,
	// which monthOf tells: an expression of the names themselves, in
	// either case, takes Go's regexp ten times as long.
	monthPattern = `[A-Z][A-Za-z]{2,8}\.?`
	dayPattern   = `([0-3]?\d)(?i:st|nd|rd|th)?`
	dayRange     = dayPattern + `(?:\s*[-–]\s*` + dayPattern + `)?`
)

var (
	// monthDay is "March 11", "Aug. 16-22", "March 11th"; dayMonth "19
	// February", "14-20 February". A day is not followed by a digit, a
	// time's colon ("May 12:30" is no date, "March 10-14: …" is) or a
	// per cent sign ("March 5%").
	monthDay = regexp.MustCompile(`\b(` + monthPattern + `)\s+` + dayRange + `(?:$|[^\d:%]|:(?:$|\D))`)
	dayMonth = regexp.MustCompile(`(?:^|[^\d/.])` + dayRange + `\s+(` + monthPattern + `)(?:[^\p{L}]|$)`)
	// numericDate is "3/10/14" or "3/10/2014" (month first, unless the
	// first number cannot be a month), and ISO's "2014-03-10".
	numericDate = regexp.MustCompile(`\b(\d{1,2})/(\d{1,2})/(?:\d{4}|\d{2})\b`)
	isoDate     = regexp.MustCompile(`\b(?:19|20)\d\d-(\d\d)-(\d\d)\b`)
)

// monthNumber is the number of a month by its name or abbreviation.
var monthNumber = map[string]uint32{
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
	"august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
	"sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}

// titleDates is the span of days title names (see dateSpan). A month's
// name counts only capitalized, as a headline writes a date: "march 5
// miles" is no date.
func titleDates(title string) dateSpan {
	if !strings.ContainsAny(title, "0123456789") {
		return 0 // most headlines: the expressions below cost tens of µs
	}
	var first, last uint32
	note := func(month uint32, days ...string) {
		for _, d := range days {
			if d == "" {
				continue
			}
			n, err := strconv.Atoi(d)
			if err != nil || n < 1 || n > 31 || month < 1 || month > 12 {
				continue
			}
			v := month*32 + uint32(n)
			if first == 0 || v < first {
				first = v
			}
			last = max(last, v)
		}
	}
	if namesMonth(title) {
		for _, m := range monthDay.FindAllStringSubmatch(title, -1) {
			if month, ok := monthOf(m[1]); ok {
				note(month, m[2], m[3])
			}
		}
		for _, m := range dayMonth.FindAllStringSubmatch(title, -1) {
			if month, ok := monthOf(m[3]); ok {
				note(month, m[1], m[2])
			}
		}
	}
	if !strings.Contains(title, "/") && !strings.Contains(title, "-") {
		return spanOf(first, last)
	}
	for _, m := range numericDate.FindAllStringSubmatch(title, -1) {
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[2])
		if a > 12 {
			a, b = b, a
		}
		note(uint32(a), strconv.Itoa(b))
	}
	for _, m := range isoDate.FindAllStringSubmatch(title, -1) {
		month, _ := strconv.Atoi(m[1])
		note(uint32(month), m[2])
	}
	return spanOf(first, last)
}

func spanOf(first, last uint32) dateSpan {
	if first == 0 {
		return 0
	}
	return dateSpan(first<<16 | last)
}

// namesMonth reports whether a word of title is a capitalized month's
// name, before the expressions that find its day look.
func namesMonth(title string) bool {
	for w := range strings.FieldsFuncSeq(title, func(r rune) bool { return !unicode.IsLetter(r) }) {
		if _, ok := monthOf(w); ok {
			return true
		}
	}
	return false
}

// monthOf is the number of a capitalized month's name.
func monthOf(name string) (uint32, bool) {
	if name == "" || !unicode.IsUpper([]rune(name)[0]) {
		return 0, false
	}
	m, ok := monthNumber[strings.ToLower(strings.TrimSuffix(name, "."))]
	return m, ok
}
