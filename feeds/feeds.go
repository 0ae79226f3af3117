// Package feeds owns everything between a feed URL and a list of normalized
// items: HTTP fetching (conditional GET, limits, SSRF guard, charset), parsing
// with gofeed, item normalization (stable keys, plain text, absolute links,
// dates) and the next-poll policy (intervals, back-off, Retry-After).
//
// The pieces, each usable alone: Fetcher (HTTP and file://, returns bytes),
// Parser (bytes to a normalized Feed), Schedule (when to poll next), and
// Refresh, which reads top to bottom: fetch, stop on 304 or an unchanged
// body, parse. Every error is an *Error whose Kind says what to do.
//
// # Memory per fetch
//
// A fetch holds the body: at most FetcherOptions.MaxBodyBytes, read into a
// buffer that doubles, so up to 2× that while reading. Before gofeed sees
// the document, one pass over its bytes (allocating only a stack that
// MaxDepth bounds) checks the
// Parser's limits (ParserOptions: items, nesting depth, elements and
// attributes) and fixed ones no honest feed reaches: 64 namespace
// declarations in scope, 1 MiB of text in one element, extension text
// re-copied at most 4× the document. A document over any of them fails
// alone with a *LimitError naming the limit and the count, never as an
// empty feed.
//
// Measured (go test ./feeds/ -run HostileFeedsReport -v) on 4 MiB bodies —
// deep nesting, 50,000–380,000 tiny RSS, Atom and JSON items, huge or many
// attributes, thousands of namespaces, entity declarations, text split by
// comments, a 1-to-3-byte charset — every hostile one is refused within
// 30 ms and ≤ 1× the body, or parses within 3.5× the body (a huge
// attribute: 2.5× live, plus a dead body-sized copy when the collector has
// not yet freed it); an honest UTF-8 RSS or JSON feed of 2,000 items
// filling the body keeps 1.4–2.0× the body on top of the body itself.
// TestHostileFeedsBounded holds parsing to 4×. Those are the heap's
// objects with the collector run at every 10 % of growth: under the
// default GOGC the heap also holds garbage up to as much again.
// So plan on 5 × MaxBodyBytes per concurrent fetch: workers × 5 ×
// max_body_bytes in all, which cmd/newshound sets as the soft memory
// limit (with the live heap) so that the garbage stays within it too, and
// its TestFeedsStayWithinTheDocumentedMemoryBound measures on the
// process. A body in a legacy charset is decoded to UTF-8 first and
// the bound applies to the decoded size: Cyrillic and most CJK about
// double (an honest windows-1251 feed keeps 4.8× its body), Thai triples.
// One served as "charset=utf-8" is also read as that label made
// newshound read it before, for its items' old keys (Feed.OldKeys):
// with its RSS descriptions set aside, before the parse, so that the
// peak stays the parse's; another format is decoded whole again.
//
// It knows nothing about filters, the store or Discord.
package feeds

import "time"

// Feed is one parsed and normalized feed document.
type Feed struct {
	Title string
	Link  string // the site's home page, absolute
	// MinInterval is the feed's own "poll me no more often than" hint, from
	// RSS <ttl>, sy:updatePeriod/sy:updateFrequency; zero when absent.
	MinInterval time.Duration
	Items       []Item
	// Known are the keys of the items a parse with an ItemMemo left out:
	// byte for byte as in the memo's document, not parsed again. They are
	// not in Items. Empty from Parse.
	Known []string `json:",omitempty"`
	// OldKeys maps an item's key to the key versions before gave it
	// (only where they differ), for a caller that remembers seen keys to
	// count an item seen under its old key as seen. It is set for a
	// document served as "charset=utf-8" whose bytes are not UTF-8 and
	// whose XML declaration names its encoding (newshound once trusted
	// the header and read such text as U+FFFD), for an Atom entry whose
	// title of type text once read as HTML gave another headline
	// ("History of the tag" for "History of the <blink> tag"), and for an
	// item known by its headline and date while the date is in the
	// future (its key once left the date out until the clock passed it).
	// An item of a legacy charset and another of these is mapped to the
	// key of the version before this one.
	OldKeys map[string]string `json:"-"`
	// OldCharset is the charset of a document served as "charset=utf-8"
	// whose bytes are not UTF-8 (see OldKeys): versions before read its
	// text as UTF-8, U+FFFD for each byte they could not read, which
	// AsReadBefore makes again of an item's text. "" for any other.
	OldCharset string `json:"-"`
	// readBefore is each item, by its key, as versions before read it
	// (see OldCharset), its text filled when asked (ReadBefore).
	readBefore map[string]Item
	// Memo remembers this document's items for the next parse of the
	// feed (Parser.ParseRemembering); nil when it cannot.
	Memo *ItemMemo `json:"-"`
}

// Item is one normalized feed entry. Text fields are plain text: HTML is
// stripped, entities are decoded and bidi controls removed (so that a
// right-to-left override cannot reverse what follows it in a chat message).
// From a Parser with LazyText, Summary, Content and a picture found in
// them stay empty until FillText.
type Item struct {
	// Key identifies the item within its feed across fetches: a one-letter
	// source and 22 characters of hash. The identity is the GUID unless that
	// is empty or, within the fetch, also names another item with the same
	// headline and another link; else the canonical link
	// (tracking parameters removed), else the date; the headline's
	// fingerprint (case, punctuation and spacing ignored) is always part of
	// it, so a GUID reused for a different story yields a new key. Keys are
	// unique within one Feed: exact duplicates are dropped.
	Key  string
	GUID string
	// Title is the item's title, else its media:title (Media RSS); the
	// key's headline is the title without media:title, as before it was
	// read.
	Title string
	// Summary is the item's description (Atom: summary), else, when it
	// has no content either, its media:description (a YouTube video's).
	Summary string
	Content string
	// Link is absolute, as published (not canonicalized): the item's
	// feedburner:origLink (the article behind a FeedBurner proxy's
	// redirect), else its <link> (Atom: rel="alternate"), else an RSS
	// GUID that is an http(s) URL, else the first enclosure that is not a
	// picture (a podcast episode's audio). The key is made from the link
	// without origLink and enclosures, as before they were read.
	Link       string
	Author     string
	Categories []string
	// Published is the item's publication (or update) time. When the feed
	// gives no usable date (absent, unparseable or in the future) it is the
	// time the item was first seen and Dated is false.
	Published time.Time
	Dated     bool
	ImageURL  string // from media:content, media:thumbnail, enclosure or itunes:image, else the first <img>

	pending    pendingText // set until FillText when the Parser is lazy
	shownLink  string      // Link once the key is made (setKey)
	shownTitle string      // Title once the key is made (setKey)
	keyLink    string      // the link the key was made from (PublishedLink)
	keyed      bool        // keyLink is set
	keyDate    time.Time   // the date in the key (see normalizer.published)
	// keyedByPlainText: the item is known by its text (no GUID, link or
	// headline), a summary or content of which is plain text (see
	// textKinds), which versions before read as HTML.
	keyedByPlainText bool
}
