package feeds

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"
	gofeedjson "github.com/mmcdole/gofeed/json"
)

// Parser turns fetched bytes into a normalized Feed. It is safe for
// concurrent use: it holds one *gofeed.Parser, which is safe to share from
// gofeed v1.4.0 on.
type Parser struct {
	gp             *gofeed.Parser
	jsonTranslator gofeed.DefaultJSONTranslator
	opts           ParserOptions
	seed           maphash.Seed // hashes the items an ItemMemo remembers
}

// ParserOptions bounds what one document may cost and says how much of
// each item to normalize. A zero limit means no limit: the caller (the
// config) passes the defaults explicitly.
type ParserOptions struct {
	// MaxItems is the most items (RSS <item>, Atom <entry>, JSON Feed
	// "items" entries) a document may hold. A document with more fails
	// whole, with a *LimitError naming the count: it is never cut short,
	// since which items a feed drops is the publisher's choice to make.
	MaxItems int
	// MaxDepth is the deepest nesting of XML elements or JSON arrays and
	// objects.
	MaxDepth int
	// MaxElements is the most XML elements plus attributes in a document
	// (in JSON: string values, objects and arrays). gofeed keeps every
	// element outside its own namespaces in maps of a few hundred bytes
	// each, so this bounds the memory a document of many tiny elements
	// costs.
	MaxElements int
	// LazyText leaves each item's Summary, Content and an ImageURL found in
	// them empty until FillText is called for it. Extracting plain text is
	// most of normalization's cost, and a poller needs it only for the
	// items it has not seen before. Keys do not depend on it.
	LazyText bool
}

// DefaultParserOptions are the limits of NewParser: DefaultMaxItems,
// DefaultMaxDepth and DefaultMaxElements, with text extracted eagerly.
func DefaultParserOptions() ParserOptions {
	return ParserOptions{MaxItems: DefaultMaxItems, MaxDepth: DefaultMaxDepth, MaxElements: DefaultMaxElements}
}

// NewParser returns a Parser with DefaultParserOptions.
func NewParser() *Parser { return NewParserWith(DefaultParserOptions()) }

// NewParserWith returns a Parser with the given options; zero limits are
// no limits.
func NewParserWith(o ParserOptions) *Parser {
	gp := gofeed.NewParser()
	// gofeed would run a full HTML parse of every RSS item to find an <img>;
	// normalization finds it in the pass that extracts the plain text.
	gp.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	return &Parser{gp: gp, opts: o, seed: maphash.MakeSeed()}
}

// Options returns the options the Parser was made with.
func (p *Parser) Options() ParserOptions { return p.opts }

var (
	errEmpty       = errors.New("empty document")
	errHTMLPage    = errors.New("HTML page")
	errUnknownType = errors.New("unrecognized document: neither RSS, Atom nor JSON Feed")
	errNotJSONFeed = errors.New(`JSON, but not a JSON Feed: no "version": "https://jsonfeed.org/version/1.1"`)
)

// Parse parses body, fetched from feedURL with the given Content-Type
// header, and normalizes its items. now is the first-seen time given to
// undated items. Errors are *Error of kind Parse or NotAFeed; an HTML page
// yields NotAFeed with the feeds it links to in Alternates; a document over
// one of the Parser's limits yields TooLarge with a *LimitError.
func (p *Parser) Parse(body []byte, contentType, feedURL string, now time.Time) (*Feed, error) {
	return p.ParseRemembering(body, contentType, feedURL, now, nil)
}

// ParseRemembering is Parse for a caller that keeps the feed's ItemMemo
// between fetches (see ItemMemo): with a non-nil memo (an empty one the
// first time) and a Parser with LazyText, the items the memo knows from
// the last document are not parsed again and only their keys are returned,
// in Feed.Known; Feed.Memo is the memo to pass with the next fetch. With a
// nil memo it is Parse.
func (p *Parser) ParseRemembering(body []byte, contentType, feedURL string, now time.Time, memo *ItemMemo) (feed *Feed, err error) {
	defer recoverParse(feedURL, &feed, &err)
	return p.parseRemembering(body, contentType, feedURL, now, memo)
}

// recoverParse turns a panic of the parse of feedURL's document into a
// Parse error naming the feed: gofeed has dereferenced what a hostile
// document left out before (a JSON Feed's null item), and one feed's
// document must not stop every other feed's polls with the process.
func recoverParse(feedURL string, feed **Feed, err *error) {
	if r := recover(); r != nil {
		*feed, *err = nil, &Error{URL: feedURL, Kind: Parse, Err: fmt.Errorf("the parser failed on this document: %v", r)}
	}
}

func (p *Parser) parseRemembering(body []byte, contentType, feedURL string, now time.Time, memo *ItemMemo) (*Feed, error) {
	fail := func(kind ErrorKind, err error) (*Feed, error) {
		return nil, &Error{URL: feedURL, Kind: kind, Err: err}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return fail(Parse, errEmpty)
	}
	var raw []byte // as fetched, when decoded
	overruled := false
	if looksLikeHTML(body) {
		return nil, &Error{URL: feedURL, Kind: NotAFeed, Err: errHTMLPage, Alternates: Discover(body, feedURL)}
	}
	if looksLikeJSON(body) {
		// JSON is UTF-8; encoding/json refuses the BOM some servers add.
		body = bytes.TrimPrefix(body, utf8BOM)
		if err := checkJSON(body, p.opts); err != nil {
			return fail(TooLarge, err)
		}
	} else {
		// Before anything is built: a document over a limit costs one pass
		// over its bytes, not a parse. In an ASCII-compatible encoding the
		// markup reads the same before decoding, which can triple the size.
		asciiCompatible := !isUTF16(body)
		if asciiCompatible {
			if err := checkXML(body, p.opts); err != nil {
				return fail(TooLarge, err)
			}
		}
		raw = body
		var err error
		if body, overruled, err = decodeBody(body, contentType, false); err != nil {
			return fail(Parse, err)
		}
		if !asciiCompatible || len(body) > len(raw) {
			// Decoded: the texts may have grown past their limit.
			if err := checkXML(body, p.opts); err != nil {
				return fail(TooLarge, err)
			}
		}
		body = numericGMTDates(body)
	}
	// Before the parse, which holds more: the peak stays the parse's.
	oldKeys, readBefore := p.oldReading(overruled, raw, body, contentType, feedURL, now)
	if memo != nil && p.opts.LazyText {
		if feed, ok := p.parseRemembered(body, feedURL, now, memo); ok {
			feed.addOldKeys(oldKeys)
			feed.OldCharset, feed.readBefore = oldCharset(overruled, raw), readBefore
			return feed, nil
		}
	}
	gf, raws, err := p.parseLight(body)
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			if strings.Contains(strings.ToLower(contentType), "html") {
				return nil, &Error{URL: feedURL, Kind: NotAFeed, Err: errHTMLPage, Alternates: Discover(body, feedURL)}
			}
			return fail(Parse, errUnknownType)
		}
		return fail(Parse, fmt.Errorf("invalid feed: %w", err))
	}
	if gf.FeedType == "json" && gf.FeedVersion == "" && len(gf.Items) == 0 {
		return fail(NotAFeed, errNotJSONFeed)
	}
	if p.opts.MaxItems > 0 && len(gf.Items) > p.opts.MaxItems {
		// The scan counts items by name; this catches what it cannot see
		// (a JSON key written with escapes).
		return fail(TooLarge, &LimitError{Limit: limitItems, Max: p.opts.MaxItems, Got: len(gf.Items), Offset: -1})
	}
	feed := p.normalize(gf, body, feedURL, now, raws)
	feed.addOldKeys(oldKeys)
	feed.OldCharset, feed.readBefore = oldCharset(overruled, raw), readBefore
	return feed, nil
}

// addOldKeys adds the old keys of a legacy charset (Parser.oldKeys) to
// the feed's own (previousKeys). An item in both, garbled then and keyed
// otherwise since, keeps its key of the last version, which read the
// charset right.
func (f *Feed) addOldKeys(charset map[string]string) {
	for k, old := range charset {
		if _, ok := f.OldKeys[k]; !ok {
			if f.OldKeys == nil {
				f.OldKeys = make(map[string]string, len(charset))
			}
			f.OldKeys[k] = old
		}
	}
}

// oldReading is Feed.OldKeys of a document whose header's UTF-8 was
// overruled (decodeBody): raw as fetched, body as decoded now. The items
// of both readings are paired in document order; nil when the readings
// disagree on the items (then no key is mapped, and the items count as
// new: that only happens with a document gofeed reads differently once
// its text is garbled). readBefore is each item as versions before read
// it, by its key now, its text left to FillText (Feed.ReadBefore).
func (p *Parser) oldReading(overruled bool, raw, body []byte, contentType, feedURL string, now time.Time) (oldKeys map[string]string, readBefore map[string]Item) {
	if !overruled {
		return nil, nil
	}
	garble := func(b []byte) []byte {
		out, _, err := decodeBody(b, contentType, true)
		if err != nil {
			return nil
		}
		return out
	}
	// Read as before: the text as UTF-8, U+FFFD for each invalid byte.
	// That decoding keeps ASCII and valid UTF-8 as they are, so an RSS
	// document's descriptions can be set aside before it and decoded
	// alone when an item needs its text: the garbled copy, up to thrice
	// the body, is never made.
	items, before := p.documentKeys(raw, garble, feedURL, now)
	_, current := p.documentKeys(body, nil, feedURL, now)
	if len(current) == 0 || len(current) != len(before) {
		return nil, nil
	}
	oldKeys = make(map[string]string, len(current))
	readBefore = make(map[string]Item, len(current))
	for i, k := range current {
		if _, ok := readBefore[k]; !ok {
			readBefore[k] = items[i]
		}
		if _, ok := oldKeys[k]; !ok && before[i] != k {
			oldKeys[k] = before[i]
		}
	}
	return oldKeys, readBefore
}

// documentKeys is each item of doc and its key, duplicates included, in
// document order, with the descriptions of an RSS document set aside.
// decode, when not nil, decodes doc (and each description) first.
func (p *Parser) documentKeys(doc []byte, decode func([]byte) []byte, feedURL string, now time.Time) ([]Item, []string) {
	light, raws, lightened := lightenRSS(doc)
	if !lightened {
		light = doc
	}
	if decode != nil {
		if light = decode(light); light == nil {
			return nil, nil
		}
	}
	light = numericGMTDates(light)
	gf, err := p.parseGofeed(light)
	if err != nil {
		return nil, nil
	}
	n, _ := p.normalizer(gf, light, feedURL, now, raws)
	if lightened {
		n.lazy, n.decodeRaw = true, decode
	}
	n.asBefore = decode != nil // keys as versions before made them
	return n.keyed(gf.Items)
}

// parseLight runs gofeed on the document with its item descriptions set
// aside (see lightenRSS) when the parser is lazy, else on the document as
// it is. Anything the light document does not parse is parsed whole.
func (p *Parser) parseLight(body []byte) (*gofeed.Feed, [][]byte, error) {
	if p.opts.LazyText {
		if light, raws, ok := lightenRSS(body); ok {
			if gf, err := p.parseGofeed(light); err == nil {
				return gf, raws, nil
			}
		}
	}
	gf, err := p.parseGofeed(body)
	return gf, nil, err
}

// parseRemembered parses an RSS document leaving out the items memo
// knows. ok is false when the document is to be parsed as usual: not RSS
// this scan reads with certainty, a parse error (reported by the usual
// parse), or items the memo cannot vouch for.
func (p *Parser) parseRemembered(body []byte, feedURL string, now time.Time, memo *ItemMemo) (*Feed, bool) {
	sc := newItemScan(p.seed, memo, feedURL)
	light, raws, ok := lighten(body, sc)
	if !ok {
		return nil, false
	}
	gf, err := p.parseGofeed(light)
	if err != nil || gf.FeedType != "rss" {
		return nil, false
	}
	if p.opts.MaxItems > 0 && len(sc.spans) > p.opts.MaxItems {
		return nil, false // the usual parse reports it
	}
	n, feed := p.normalizer(gf, body, feedURL, now, raws)
	if !n.hasLocal && slices.ContainsFunc(gf.Items, zonelessDate) {
		// Its date is read at an offset the feed's dates state
		// (statedOffsets), those of the items left out too.
		return nil, false
	}
	items, known, next, oldKeys, ok := n.itemsRemembered(gf.Items, sc)
	if !ok {
		return nil, false
	}
	feed.Items, feed.Known, feed.Memo, feed.OldKeys = items, known, next, oldKeys
	return feed, true
}

// description decodes a set-aside item description exactly as gofeed
// decodes it in place: by parsing it as the one item of an RSS document.
// It runs in Item.FillText, after ParseRemembering has returned, so a
// panic of gofeed here (see recoverParse) is a description it could not
// read, empty, not the end of the poller.
func (p *Parser) description(raw []byte) (text string) {
	defer func() {
		if recover() != nil {
			text = ""
		}
	}()
	var b bytes.Buffer
	b.Grow(len(raw) + 96)
	b.WriteString(`<rss version="2.0"><channel><item><description>`)
	b.Write(raw)
	b.WriteString(`</description></item></channel></rss>`)
	gf, err := p.gp.Parse(&b)
	if err != nil || len(gf.Items) == 0 || gf.Items[0] == nil {
		return ""
	}
	return gf.Items[0].Description
}

// parseGofeed runs gofeed. A JSON object is decoded straight from body:
// gofeed would first copy it into a buffer that grows by doubling, the
// largest single cost of parsing a JSON Feed.
func (p *Parser) parseGofeed(body []byte) (*gofeed.Feed, error) {
	if b := firstNonSpace(body, 1); len(b) == 0 || b[0] != '{' {
		return p.gp.Parse(bytes.NewReader(body))
	}
	var jf gofeedjson.Feed
	if err := json.Unmarshal(body, &jf); err != nil {
		return nil, err
	}
	dropNulls(&jf)
	gf, err := p.jsonTranslator.Translate(&jf)
	if err == nil {
		markContentText(gf, &jf)
	}
	return gf, err
}

// dropNulls leaves out the nulls of a JSON Feed's items and authors,
// which gofeed's translator would dereference: it would panic, and take
// the poller with it. A null carries nothing to read.
func dropNulls(jf *gofeedjson.Feed) {
	jf.Items = slices.DeleteFunc(jf.Items, func(it *gofeedjson.Item) bool { return it == nil })
	isNil := func(a *gofeedjson.Author) bool { return a == nil }
	jf.Authors = slices.DeleteFunc(jf.Authors, isNil)
	for _, it := range jf.Items {
		it.Authors = slices.DeleteFunc(it.Authors, isNil)
	}
}

func (p *Parser) normalize(gf *gofeed.Feed, body []byte, feedURL string, now time.Time, raws [][]byte) *Feed {
	n, feed := p.normalizer(gf, body, feedURL, now, raws)
	feed.Items, feed.OldKeys = n.items(gf.Items)
	return feed
}

// normalizer normalizes the feed's own fields and returns the normalizer
// of its items.
func (p *Parser) normalizer(gf *gofeed.Feed, body []byte, feedURL string, now time.Time, raws [][]byte) (*normalizer, *Feed) {
	docURL, _ := url.Parse(feedURL)
	n := &normalizer{now: now, lazy: p.opts.LazyText, raws: raws, parser: p}
	if docURL != nil && docURL.IsAbs() && (docURL.Scheme == "http" || docURL.Scheme == "https") {
		// Without the user and password a feed URL may carry: a relative
		// link resolved against it would show them in every alert.
		base := *docURL
		base.User = nil
		n.base = &base
	}
	var plainTitle bool
	n.plain, plainTitle = plainTextsOf(gf, body)
	n.namesPlain = gf.FeedType == "atom"
	feed := &Feed{
		Title:       stripBidi(titleText(gf.Title, plainTitle)),
		Link:        n.resolve(gf.Link),
		MinInterval: feedMinInterval(gf, body),
	}
	if feed.Link != "" {
		n.base, _ = url.Parse(feed.Link)
	}
	var hosts []string
	for _, u := range []*url.URL{n.base, docURL} {
		if u != nil {
			hosts = append(hosts, u.Hostname())
		}
	}
	n.zones = zonesFor(gf.Language, hosts...)
	n.local, n.hasLocal = localOffsetFor(gf.Language, hosts...)
	if !n.hasLocal {
		n.stated = n.statedOffsets(gf)
	}
	return n, feed
}

// feedMinInterval reads the feed's own "poll me no more often than": RSS
// <ttl> (minutes) or sy:updatePeriod / sy:updateFrequency.
func feedMinInterval(gf *gofeed.Feed, body []byte) time.Duration {
	var ttl time.Duration
	if mins, ok := channelTTL(body); ok {
		ttl = time.Duration(mins) * time.Minute
	}
	if sy := gf.Extensions["sy"]; sy != nil {
		period := strings.ToLower(strings.TrimSpace(firstValue(sy["updatePeriod"])))
		freq, err := strconv.Atoi(strings.TrimSpace(firstValue(sy["updateFrequency"])))
		if err != nil || freq <= 0 {
			freq = 1
		}
		if d := syPeriods[period]; d > 0 {
			ttl = max(ttl, d/time.Duration(freq))
		}
	}
	return ttl
}

var syPeriods = map[string]time.Duration{
	"hourly":  time.Hour,
	"daily":   24 * time.Hour,
	"weekly":  7 * 24 * time.Hour,
	"monthly": 30 * 24 * time.Hour,
	"yearly":  365 * 24 * time.Hour,
}

func firstValue(v []ext.Extension) string {
	if len(v) == 0 {
		return ""
	}
	return v[0].Value
}

// channelTTL finds <ttl> before the first item; the universal gofeed.Feed
// drops it, and keeping gofeed's original feed would double the memory.
func channelTTL(body []byte) (int, bool) {
	head := body
	if i := bytes.Index(head, []byte("<item")); i >= 0 {
		head = head[:i]
	}
	i := bytes.Index(head, []byte("<ttl>"))
	if i < 0 {
		return 0, false
	}
	rest := head[i+len("<ttl>"):]
	j := bytes.Index(rest, []byte("</ttl>"))
	if j < 0 {
		return 0, false
	}
	mins, err := strconv.Atoi(strings.TrimSpace(string(rest[:j])))
	if err != nil || mins <= 0 || mins > 7*24*60 {
		return 0, false
	}
	return mins, true
}

// firstNonSpace returns body from its first byte that is not whitespace or
// a byte-order mark, limited to n bytes.
func firstNonSpace(body []byte, n int) []byte {
	body = bytes.TrimPrefix(body, utf8BOM)
	body = bytes.TrimLeft(body, " \t\r\n")
	if len(body) > n {
		body = body[:n]
	}
	return body
}

func looksLikeJSON(body []byte) bool {
	b := firstNonSpace(body, 1)
	return len(b) == 1 && (b[0] == '{' || b[0] == '[')
}

// looksLikeHTML sniffs an HTML page: after any XML declaration, comments
// and doctype, the first element is an HTML one. (A feed with a stray HTML
// doctype is still a feed.)
func looksLikeHTML(body []byte) bool {
	b := bytes.ToLower(firstNonSpace(body, 2048))
	for {
		b = bytes.TrimLeft(b, " \t\r\n")
		var end int
		switch {
		case bytes.HasPrefix(b, []byte("<?")):
			end = bytes.Index(b, []byte("?>")) + 2
		case bytes.HasPrefix(b, []byte("<!--")):
			end = bytes.Index(b, []byte("-->")) + 3
		case bytes.HasPrefix(b, []byte("<!")):
			end = bytes.IndexByte(b, '>') + 1
		default:
			for _, tag := range htmlFirstTags {
				if bytes.HasPrefix(b, []byte(tag)) && len(b) > len(tag) && strings.IndexByte(" \t\r\n>/", b[len(tag)]) >= 0 {
					return true
				}
			}
			return false
		}
		if end <= 1 {
			return false
		}
		b = b[end:]
	}
}

// htmlFirstTags start an HTML document (<html> may be omitted in HTML5).
var htmlFirstTags = []string{"<html", "<head", "<body", "<meta", "<title", "<link", "<script", "<style"}
