package story

import (
	"net/url"
	"strings"
	"unicode"
)

// minSlugWords is the fewest words of three letters or more a path
// segment must have to read as a slug ("why-j-c-penney-is-called-an-american-comeback-story"):
// a section ("business", "money") or an id has fewer.
const minSlugWords = 3

// maxSlugLink is how much of a link is read for its slug, and
// maxSlugWords how many of its words are kept: the links of the corpus's
// feeds are at most 382 bytes, their slugs at most 19 words, and a
// hostile feed's link of megabytes must cost no more than its first part.
const (
	maxSlugLink  = 1024
	maxSlugWords = 32
)

// slugFurniture are the words of link paths that name the site's parts
// rather than the story ("article", "index"). Most are single segments
// that minSlugWords drops anyway; the list is for those run into a slug
// ("article-why-…", "…-index.html"). genericWords drops the rest
// ("news", "story", "video").
var slugFurniture = setOf(
	"article", "articles", "index", "html", "htm", "shtml", "php", "aspx", "asp",
	"cms", "jsp", "blogs", "post", "posts", "amp", "rss", "feed", "feeds",
	"gallery", "content", "category", "tag", "tags", "section", "node", "item",
	"detail", "details", "default", "print", "mobile", "www", "com",
)

// slugWords are the words of the segments of a link's path that read as a
// slug: hyphen-, underscore- or plus-separated words of letters only,
// three letters or more, in segments of at least minSlugWords such words.
// Numbers, dates, ids (anything with a digit) and file extensions are
// dropped, and so is the query: an outlet's slug is often its first or
// full headline, with names a cut title lacks. Only the link's first
// maxSlugLink bytes are read.
func slugWords(link string) []string {
	// The query and fragment give no words: a long one must not cut the
	// path below.
	if i := strings.IndexAny(link[:min(len(link), maxSlugLink)], "?#"); i >= 0 {
		link = link[:i]
	}
	if len(link) > maxSlugLink {
		// Cut at a separator, so that no word or escape is cut in two.
		link = link[:max(strings.LastIndexAny(link[:maxSlugLink], "/-_+"), 0)]
	}
	u, err := url.Parse(link)
	if err != nil {
		return nil
	}
	var out []string
	for seg := range strings.SplitSeq(u.Path, "/") {
		words := segmentWords(seg)
		if len(words) >= minSlugWords {
			out = append(out, words...)
		}
	}
	return out[:min(len(out), maxSlugWords)]
}

// segmentWords are the slug words of one path segment (see slugWords):
// none for an opaque id (base64: a Google News article's, a FeedBurner
// item's), whose runs of letters between its "-" and "_" would read as
// words, known by its words' case: at least two, and half of them, turn
// from lower to upper case inside ("zhA-ubkU_PPN-kJxe…"), where a slug's
// names do so seldom ("apple-unveils-new-iPhone"; of the UCI links, one
// has two such, "…+eBay+…+McDonalds+…", among a dozen words).
func segmentWords(seg string) []string {
	if i := strings.LastIndexByte(seg, '.'); i >= 0 && len(seg)-i <= 6 && !strings.ContainsFunc(seg[i+1:], func(r rune) bool { return !unicode.IsLetter(r) }) {
		seg = seg[:i] // an extension: ".html", ".story"
	}
	var words []string
	turned := 0
	for w := range strings.FieldsFuncSeq(seg, func(r rune) bool {
		return r == '-' || r == '_' || r == '+' || r == '.' || r == ',' || r == '~'
	}) {
		if len([]rune(w)) < 3 || strings.ContainsFunc(w, func(r rune) bool { return !unicode.IsLetter(r) }) {
			continue
		}
		if turnsCase(w) {
			turned++
		}
		if w = strings.ToLower(w); !slugFurniture[w] {
			words = append(words, w)
		}
	}
	if turned >= 2 && 2*turned >= len(words) {
		return nil
	}
	return words
}

// turnsCase reports whether a lower-case letter of w is followed by an
// upper-case one.
func turnsCase(w string) bool {
	lower := false
	for _, r := range w {
		if lower && unicode.IsUpper(r) {
			return true
		}
		lower = unicode.IsLower(r)
	}
	return false
}

// WithLink returns fp with the slug words of the item's link (see
// slugWords) that its title lacks: an outlet's slug is often its whole
// headline where the feed cut the title. The Index weighs them by its
// options (see Options.slugMode and DefaultOptions). They stand in for a
// lead the feed does not give, so beside a lead of words the title lacks
// none are kept (one of the title's words alone counts as none), and the
// fingerprint stays one a release before them reads (see encodingVersion).
func (fp Fingerprint) WithLink(link string) Fingerprint {
	if len(fp.lead) > 0 {
		fp.slug = nil
		return fp
	}
	fp.slug = wordHashes(textTokens(strings.Join(slugWords(link), " ")), fp.title)
	return fp
}
