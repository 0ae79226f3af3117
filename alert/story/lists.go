package story

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A list headline names several companies or people side by side, a
// digest of several stories rather than a report of one: "Stocks to
// watch: Acme Corp (ACME), Globex Inc", "Tuesday's most followed including
// Initech, Hooli, Vandelay". Sharing one of its names with a new report
// says nothing of which of those stories the report tells.
var (
	// listSep separates the names of a list: a comma, and an "and" or "&"
	// after it ("Acme, Globex, and Initech"; "Acme and Globex" is two
	// parties to one story more often than a list).
	listSep = regexp.MustCompile(`\s*,\s*(?:(?:and|&)\s+)?`)
	// tickerParen is a stock symbol in parentheses: "(ACME)", "(NYSE:ACME)"
	// (exchangeSpace is taken out first: "(NYSE: ACME)").
	tickerParen   = regexp.MustCompile(`\((?:[A-Za-z]{2,8}:)?[A-Z]{1,5}\)`)
	exchangeSpace = regexp.MustCompile(`\(\s*([A-Za-z]{2,8})\s*:\s*`)
)

// corpSuffixes end a company's name; a list item that starts with one
// ("Acme Company, Inc.") belongs to the item before it.
var corpSuffixes = map[string]bool{
	"inc": true, "corp": true, "corporation": true, "company": true, "co": true,
	"ltd": true, "plc": true, "llc": true, "ag": true, "sa": true, "nv": true, "lp": true,
}

// isListTitle reports whether a headline is a list of companies (see
// listSep): names side by side, each a short run of capitalized words, the
// first of them ending the part before the list, two of them companies by
// their suffix or stock symbol ("Acme Corp (ACME), Globex Inc"), or one of
// three or more ("Acme Inc, Globex, Initech"). A headline cut off inside
// its list ("Acme Inc (ACME), Globex ...") counts a name more. Lists of
// places or people ("Israel strikes Beirut, Tyre, Sidon", "EU fines Apple,
// Google, Meta") are one story's headline as often as a round-up's, so
// only companies make a list.
func isListTitle(title string) bool {
	if !strings.Contains(title, ",") {
		return false // most headlines, at no cost
	}
	title = strings.TrimSpace(title)
	cut := strings.HasSuffix(title, "...") || strings.HasSuffix(title, "…")
	title = strings.TrimSpace(strings.TrimRight(title, ".…"))
	title = exchangeSpace.ReplaceAllString(title, "($1:")
	parts := glueSuffixes(listSep.Split(title, -1))
	items, companies, last := 0, 0, 0
	for i := 1; i < len(parts); i++ {
		words := strings.Fields(parts[i])
		if !isNameRun(words) {
			if items > 0 {
				break // the list ended: "…, Acme, Globex rise on …"
			}
			continue
		}
		if items == 0 {
			run := trailingNameRun(strings.Fields(parts[i-1]))
			if len(run) == 0 {
				continue
			}
			items, companies = 1, b2n(isCompany(run))
		}
		items++
		companies += b2n(isCompany(words))
		last = i
	}
	if cut && items > 0 && last == len(parts)-1 {
		items++ // the list went on
	}
	return companies >= 2 || companies >= 1 && items >= 3
}

func b2n(b bool) int {
	if b {
		return 1
	}
	return 0
}

// glueSuffixes joins to the part before it a part that starts with a
// company suffix: "Acme Company", "Inc. (ACME) …".
func glueSuffixes(parts []string) []string {
	out := parts[:0:0]
	for _, p := range parts {
		if f := strings.Fields(p); len(out) > 0 && len(f) > 0 && corpSuffixes[suffixWord(f[0])] {
			out[len(out)-1] += " " + p
			continue
		}
		out = append(out, p)
	}
	return out
}

// maxNameWords is the longest run of capitalized words taken for one name.
const maxNameWords = 6

// isNameRun reports whether words are one name: at most maxNameWords
// capitalized words, stock symbols and company suffixes, not a date
// ("March 11").
func isNameRun(words []string) bool {
	if len(words) == 0 || len(words) > maxNameWords {
		return false
	}
	date := true
	for _, w := range words {
		if !isNameWord(w) {
			return false
		}
		date = date && (monthNumber[strings.ToLower(strings.Trim(w, ".,"))] > 0 || strings.Trim(w, "0123456789,.") == "")
	}
	return !date
}

// trailingNameRun is the run of capitalized words that ends words.
func trailingNameRun(words []string) []string {
	i := len(words)
	for i > 0 && len(words)-i < maxNameWords && isNameWord(words[i-1]) {
		i--
	}
	return words[i:]
}

func isNameWord(w string) bool {
	if tickerParen.MatchString(w) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(strings.TrimLeft(w, `"'‘“(`))
	return unicode.IsUpper(r) || unicode.IsDigit(r)
}

// isCompany reports whether a name ends with a company suffix or a stock
// symbol: "Acme Corp", "Acme (ACME)", not "Acme (ACME) Beats Estimates".
func isCompany(words []string) bool {
	w := words[len(words)-1]
	return tickerParen.MatchString(w) && !mediaTags[suffixWord(w)] || corpSuffixes[suffixWord(w)]
}

// mediaTags are the capitals in parentheses that are no stock symbol:
// "(VIDEO)", "(WATCH)".
var mediaTags = map[string]bool{
	"video": true, "watch": true, "photo": true, "photos": true, "pics": true, "listen": true,
	"audio": true, "live": true, "update": true, "poll": true, "map": true, "gif": true,
}

func suffixWord(w string) string {
	return strings.ToLower(strings.Trim(w, ".,()"))
}

// A round-up headline tells several stories clause by clause, one after
// another's semicolon: "Market Wrap: Acme Beats Estimates; Globex Rejects
// Offer", "Stocks slip; Acme cuts pay; Globex tops rankings". It is a list
// too (see isListTitle): sharing one clause's name with a new report says
// nothing of which story that report tells. Since nothing joins a story
// through a list, one story's headline taken for a round-up costs its
// story a second message when it came first; so a round-up takes two
// clauses after a round-up's label, or three clauses of which the later
// ones start with a name, as a new story's do ("Stocks slip; Acme …;
// Globex …", not "Owners arrested; fire toll rises to 27; probe
// ordered"). Its words stay whole, so that the same column on two days
// ("Sector Update: Tech Shares Mixed; Acme …", "…; Globex …") is two
// headlines. A newsletter's headline is a round-up as well: its topics
// before a round-up's label ("Acme, Globex, Valdoria Floods: Your Friday
// Briefing"), or a round-up's label and nothing distinctive after it
// ("Flu Briefing: What Happened Today", whose lead teases the day's
// story), so that the reports of the stories it names open their own
// messages instead of being listed under the newsletter's.
func isRoundUpTitle(title string) bool {
	if !strings.ContainsAny(title, ";:") {
		return false // most headlines, at no cost
	}
	if topics, label, ok := cutLast(title, ":"); ok && isRoundUpLabel(label) && len(listSep.Split(strings.TrimSpace(topics), -1)) >= 2 {
		return true
	}
	label, rest, labelled := strings.Cut(title, ":")
	labelled = labelled && !strings.Contains(label, ";") && isRoundUpLabel(label)
	if labelled && !slices.ContainsFunc(textTokens(rest), isDistinctive) {
		return true
	}
	if !labelled {
		rest = title
	}
	clauses, named := 0, 0
	for c := range strings.SplitSeq(rest, ";") {
		if strings.Trim(c, " .…") == "" {
			continue
		}
		if clauses++; clauses > 1 && startsWithCapital(c) {
			named++
		}
	}
	return labelled && clauses >= 2 || clauses >= 3 && named >= 2
}

// cutLast is strings.Cut at the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// startsWithCapital reports whether a clause's first letter, after
// spaces and quotes, is a capital.
func startsWithCapital(clause string) bool {
	r, _ := utf8.DecodeRuneInString(strings.TrimLeft(clause, ` "'‘’“”(`))
	return unicode.IsUpper(r) || unicode.IsDigit(r)
}

// roundUpWords name a column of several stories.
var roundUpWords = map[string]bool{
	"roundup": true, "round-up": true, "wrap": true, "wrapup": true, "wrap-up": true,
	"briefing": true, "brief": true, "briefs": true, "digest": true, "headlines": true,
	"stories": true, "buzz": true, "buzzers": true, "highlights": true, "movers": true,
	"recap": true,
}

// sectionWords make "update" a column's name ("Sector Update", "World
// News Updates", "Market update"): beside anything else it heads one
// story's latest ("Hurricane Milton update", "Police update", "UPDATE 2").
var sectionWords = map[string]bool{
	"sector": true, "market": true, "markets": true, "business": true, "world": true,
	"news": true, "stock": true, "stocks": true, "tech": true, "technology": true,
	"sports": true, "morning": true, "midday": true, "afternoon": true, "evening": true,
	"daily": true, "weekly": true, "am": true, "pm": true, "financial": true, "economy": true,
}

// isRoundUpLabel reports whether the words before a headline's colon name
// a round-up: "Market Wrap", "AM Buzz", "News in Brief", "Top Stories",
// "Sector Update".
func isRoundUpLabel(label string) bool {
	words := strings.Fields(strings.ToLower(label))
	if len(words) == 0 || len(words) > 5 {
		return false
	}
	update, section := false, false
	for i, w := range words {
		w = strings.Trim(w, `"'‘’“”.,!?()`)
		switch {
		case roundUpWords[w] || w == "up" && i > 0 && words[i-1] == "round":
			return true
		case w == "update" || w == "updates":
			update = true
		case sectionWords[w]:
			section = true
		}
	}
	return update && section
}
