package story

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/newshound/newshound/filters"
)

// A Fingerprint is what the grouper keeps of an item's text: the hashed
// distinctive words of its title and of its lead, and a MinHash signature
// of its word shingles. It is small (tens of bytes to a few hundred) and
// has a compact binary encoding ([Fingerprint.MarshalBinary]) for the
// store. The zero Fingerprint has no words and never groups.
type Fingerprint struct {
	title []uint32 // sorted, distinct hashes of the title's distinctive words
	cases []uint8  // how each title word is written (caseNone…caseLower); nil when unknown
	lead  []uint32 // sorted, distinct hashes of the lead's words not in title
	// slug are the sorted, distinct hashes of the link's slug words not in
	// title (see WithLink); the Index moves them into lead by its options.
	slug     []uint32
	slugLead bool     // lead holds slug words alone (see Options.slugMode)
	sig      []uint32 // MinHash signature; nil when the text is too short
	list     bool     // the title is a list of names or a round-up (see isListTitle, isRoundUpTitle)
	// published is when the item was published, in Unix seconds; 0 when
	// unknown (see WithPublished).
	published int64
	dates     dateSpan // the days the title dates itself to (see dateSpan)
}

// How a title word is written, the evidence from which the Index tells
// names ("Sbarro", "Bon-Ton", "GM") from other words. A capitalized word in
// a Title Case or all-capitals headline says nothing (caseCapital); one
// opening a sentence-case headline, or a part of it after a colon, says
// little (caseStart); one inside a sentence-case headline was capitalized
// by choice (caseProper); a lower-case one is not a name (caseLower). When
// a word occurs several times, the later in this list wins.
const (
	caseNone    uint8 = iota // no letter case: digits, Han, Arabic
	caseCapital              // capitalized where every word is
	caseStart                // capitalized at a sentence start
	caseProper               // capitalized inside a sentence-case headline
	caseLower                // written in lower case
)

const (
	// stemRunes is how much of a word is kept: a crude stemmer that makes
	// "continues" and "continued", "sterilisation" and "sterilization"
	// one word.
	stemRunes = 6
	// leadWords is how many words of the lead count: the first paragraph
	// or so, which a rewrite of the same report keeps.
	leadWords = 60
	// sigSize is the number of MinHash values; shingleWords the shingle
	// length; minShingles the fewest shingles a signature needs to mean
	// anything (a title alone is too short).
	sigSize      = 32
	shingleWords = 3
	minShingles  = 12
)

// Make computes the fingerprint of an item from its title and its summary
// or lead (plain text or HTML; "" when the feed gives none).
func Make(title, lead string) Fingerprint {
	titleWords := casedTokens(cleanTitle(title))
	titleToks := make([]string, len(titleWords))
	for i, w := range titleWords {
		titleToks[i] = w.text
	}
	leadToks := textTokens(cleanLead(lead))
	if len(leadToks) > leadWords {
		leadToks = leadToks[:leadWords]
	}
	fp := Fingerprint{}
	fp.title, fp.cases = titleHashes(titleWords)
	fp.lead = wordHashes(leadToks, fp.title)
	fp.sig = minHash(append(titleToks, leadToks...))
	fp.list = isListTitle(title) || isRoundUpTitle(title)
	fp.dates = titleDates(title)
	return fp
}

// WithPublished returns fp with the time its item was published: reports
// published days apart are never one story (see Index.BestWithin). A zero
// time, or one before 1970, is unknown.
func (fp Fingerprint) WithPublished(t time.Time) Fingerprint {
	fp.published = max(t.Unix(), 0)
	if t.IsZero() {
		fp.published = 0
	}
	return fp
}

// Words reports how many distinctive words the title and the lead have
// (before the Index weighs them).
func (fp Fingerprint) Words() (title, lead int) { return len(fp.title), len(fp.lead) }

// IsZero reports whether the fingerprint holds nothing to group on.
func (fp Fingerprint) IsZero() bool {
	return len(fp.title) == 0 && len(fp.lead) == 0 && len(fp.sig) == 0
}

// Equal reports whether two fingerprints are the same.
func (fp Fingerprint) Equal(o Fingerprint) bool {
	return slices.Equal(fp.title, o.title) && slices.Equal(fp.cases, o.cases) &&
		slices.Equal(fp.lead, o.lead) && slices.Equal(fp.sig, o.sig) && slices.Equal(fp.slug, o.slug) && fp.slugLead == o.slugLead && fp.list == o.list && fp.published == o.published && fp.dates == o.dates
}

// caseOf is how the i-th title word is written.
func (fp Fingerprint) caseOf(i int) uint8 {
	if i < len(fp.cases) {
		return fp.cases[i]
	}
	return caseNone
}

var (
	// creditSeps end a headline with an outlet credit: "… - Reuters".
	creditSeps = []string{" - ", " | ", " – ", " — ", " :: "}
	// wirePrefix is a wire desk's slug before a headline: "UPDATE 2-",
	// "FOCUS-", "RPT-".
	wirePrefix = regexp.MustCompile(`\b(?:UPDATE|FOCUS|WRAPUP|ANALYSIS|EXCLUSIVE|RPT|REFILE|CORRECTED|INSIGHT|BREAKINGVIEWS|COLUMN|FACTBOX|TIMELINE|SNAP|BRIEF)(?: \d+)?-`)
	// trailingParen is a parenthesized credit at the end: "(AP)", "(Reuters)".
	trailingParen = regexp.MustCompile(`\s*\([^()]{1,30}\)\s*$`)
	// dateline opens a wire lead: "WASHINGTON (AP) — ", "BEIRUT, Dec 5 (Reuters) - ".
	dateline = regexp.MustCompile(`^[^\n()]{0,60}\((?:AP|Reuters|AFP|UPI|dpa|Xinhua|IANS|PTI|ANI)\)\s*[-–—:]*\s*`)
	// ampersand is an "&" standing as a word ("Johnson & Johnson"), not
	// inside one ("AT&T", "S&P").
	ampersand = regexp.MustCompile(`(^|\s)&(?:amp;)?(\s|$)`)
)

// cleanTitle removes what differs between outlets carrying the same story:
// a trailing outlet credit of at most four words (but not a trailing date:
// "Markets: as it happened - March 11, 2014" keeps its date, which weighs
// nothing anyway, and is not shortened into a generic title's twin), a
// parenthesized credit, and wire-desk slugs.
func cleanTitle(title string) string {
	title = strings.TrimSpace(wirePrefix.ReplaceAllString(title, " "))
	title = strings.TrimSuffix(title, "...")
	title = strings.TrimSpace(strings.TrimSuffix(title, "…"))
	for range 2 { // "Title - Section | Outlet"
		title = trailingParen.ReplaceAllString(title, "")
		cut := false
		for _, sep := range creditSeps {
			i := strings.LastIndex(title, sep)
			if i <= 0 {
				continue
			}
			tail := title[i+len(sep):]
			if len(strings.Fields(tail)) <= 4 && !strings.ContainsAny(tail, "0123456789") {
				title, cut = strings.TrimSpace(title[:i]), true
				break
			}
		}
		if !cut {
			break
		}
	}
	return title
}

// cleanLead removes a byline line ("By Jane Doe and John Roe, Reuters")
// and a wire dateline from the start of a lead. A byline run into the text
// is left: where it ends cannot be told from where the text begins.
func cleanLead(lead string) string {
	lead = strings.TrimSpace(lead)
	if first, rest, ok := strings.Cut(lead, "\n"); ok && isByline(first) {
		lead = strings.TrimSpace(rest)
	}
	return dateline.ReplaceAllString(lead, "")
}

// isByline reports whether a line is "By" and names: capitalized words,
// "and", commas ("By Jane Doe and John Roe, Reuters").
func isByline(line string) bool {
	words := strings.Fields(line)
	if len(words) < 2 || len(words) > 10 || !strings.EqualFold(words[0], "by") {
		return false
	}
	for _, w := range words[1:] {
		r, _ := utf8.DecodeRuneInString(w)
		if w != "and" && !unicode.IsUpper(r) {
			return false
		}
	}
	return true
}

// textTokens is the normalized word sequence of text, each word once: a
// joined form ("us" of "U.S.", "ceasefire" of "cease-fire") replaces its
// parts, so that "U.S." and "US", "cease-fire" and "ceasefire" are the same
// word. "&" is "and".
func textTokens(text string) []string {
	text, toks := wordTokens(text)
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.Text
	}
	return out
}

// wordTokens is the text with "&" as "and" and its normalized words, a
// joined form in place of its parts (see textTokens).
func wordTokens(text string) (string, []filters.Token) {
	text = ampersand.ReplaceAllString(text, "${1}and${2}")
	toks := filters.Normalize(text)
	out := toks[:0]
	for _, t := range toks {
		if t.Width > 1 {
			// parts come just before their joined form
			out = out[:max(0, len(out)-t.Width)]
		}
		out = append(out, t)
	}
	return text, out
}

// casedWord is a normalized word and how it was written.
type casedWord struct {
	text string
	c    uint8
}

// casedTokens is textTokens with how each word was written (see caseNone).
func casedTokens(text string) []casedWord {
	text, toks := wordTokens(text)
	out := make([]casedWord, len(toks))
	for i, t := range toks {
		c := letterCase(text[t.Start:t.End])
		if c == caseCapital {
			c = caseProper
			if sentenceStart(text[:t.Start]) {
				c = caseStart
			}
		}
		out[i] = casedWord{t.Text, c}
	}
	if isTitleCase(out) {
		for i := range out {
			if out[i].c == caseProper || out[i].c == caseStart {
				out[i].c = caseCapital
			}
		}
	}
	for i := range out {
		if (commonAbbrevs[out[i].text] || nameHeads[out[i].text]) && out[i].c != caseNone {
			out[i].c = caseLower
		}
	}
	return out
}

// letterCase is how a word is written: caseCapital when its first letter
// is upper case, caseLower when lower case, caseNone without case.
func letterCase(word string) uint8 {
	r, _ := utf8.DecodeRuneInString(word)
	switch {
	case unicode.IsUpper(r) || unicode.IsTitle(r):
		return caseCapital
	case unicode.IsLower(r):
		return caseLower
	}
	return caseNone
}

// sentenceStart reports whether a word after before starts a sentence or
// headline part, where it is capitalized whatever it is: at the start, or
// after ":", "?", "!", ".", ";", "|" or a dash (quotes skipped).
func sentenceStart(before string) bool {
	before = strings.TrimRight(before, " \t\"'‘’“”`«»")
	if before == "" {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(before)
	return strings.ContainsRune(":?!.;|-–—(", r)
}

// isTitleCase reports whether a headline capitalizes (nearly) every word
// but function words, "Sbarro Files For Chapter 11 Bankruptcy", or is all
// capitals: then capitals say nothing of names.
func isTitleCase(words []casedWord) bool {
	capital, lower := 0, 0
	for _, w := range words {
		if genericWords[w.text] {
			continue
		}
		switch w.c {
		case caseProper:
			capital++
		case caseLower:
			lower++
		}
	}
	return capital > 0 && 4*lower <= capital
}

// titleHashes hashes the distinctive words of a title like wordHashes and
// returns beside them how each is written.
func titleHashes(words []casedWord) ([]uint32, []uint8) {
	type hashCase struct {
		h uint32
		c uint8
	}
	var hcs []hashCase
	for _, w := range words {
		if isDistinctive(w.text) {
			hcs = append(hcs, hashCase{hashString(stem(w.text)), w.c})
		}
	}
	slices.SortFunc(hcs, func(a, b hashCase) int { return cmp.Compare(a.h, b.h) })
	var hs []uint32
	var cs []uint8
	for _, hc := range hcs {
		if n := len(hs); n > 0 && hs[n-1] == hc.h {
			cs[n-1] = max(cs[n-1], hc.c) // lower case wins, then caseProper…
			continue
		}
		hs = append(hs, hc.h)
		cs = append(cs, hc.c)
	}
	return hs, cs
}

// wordHashes hashes the distinctive words of toks (see isDistinctive),
// stemmed, leaving out those in skip; sorted and distinct.
func wordHashes(toks []string, skip []uint32) []uint32 {
	var hs []uint32
	for _, w := range toks {
		if !isDistinctive(w) {
			continue
		}
		h := hashString(stem(w))
		if _, found := slices.BinarySearch(skip, h); !found {
			hs = append(hs, h)
		}
	}
	slices.Sort(hs)
	return slices.Compact(hs)
}

// isDistinctive reports whether a normalized word can tell one story from
// another: not generic, not a number, ordinal or time ("2014", "11th",
// "1715gmt"), not a single letter (except a Han character, a word of its
// own).
func isDistinctive(w string) bool {
	if genericWords[w] {
		return false
	}
	r, size := utf8.DecodeRuneInString(w)
	if size == len(w) {
		return unicode.Is(unicode.Han, r)
	}
	return !isNumeric(w)
}

// isNumeric reports whether w is digits, optionally followed by a short
// letter suffix: "2014", "11th", "1715gmt", "5pm", "10m".
func isNumeric(w string) bool {
	i := 0
	for i < len(w) && w[i] >= '0' && w[i] <= '9' {
		i++
	}
	return i > 0 && len(w)-i <= 3
}

func stem(w string) string {
	n := 0
	for i := range w {
		if n == stemRunes {
			return w[:i]
		}
		n++
	}
	return w
}

// minHash is the MinHash signature of the word shingles of toks, or nil
// when there are too few shingles for a signature to mean anything.
func minHash(toks []string) []uint32 {
	n := len(toks) - shingleWords + 1
	if n < minShingles {
		return nil
	}
	sig := make([]uint32, sigSize)
	for i := range sig {
		sig[i] = ^uint32(0)
	}
	for i := range n {
		h := uint64(fnvOffset)
		for _, w := range toks[i : i+shingleWords] {
			h = fnvAdd(h, w)
			h = (h ^ ' ') * fnvPrime
		}
		for j := range sig {
			if v := uint32(mix64(h ^ seeds[j])); v < sig[j] {
				sig[j] = v
			}
		}
	}
	return sig
}

// seeds make sigSize independent hash functions out of one.
var seeds = func() [sigSize]uint64 {
	var s [sigSize]uint64
	x := uint64(0x9e3779b97f4a7c15)
	for i := range s {
		x = mix64(x + uint64(i))
		s[i] = x
	}
	return s
}()

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// The hashes are part of the stored encoding: they must not change between
// releases (FNV-1a and a fixed mixer, never a per-process seed).
func hashString(s string) uint32 { return uint32(mix64(fnvAdd(fnvOffset, s))) }

func fnvAdd(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

// mix64 is the SplitMix64 finalizer.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
