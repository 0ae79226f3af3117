package feeds

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"
)

// Parser turns fetched bytes into a normalized Feed. It is safe for
// concurrent use: it holds one *gofeed.Parser, which is safe to share from
// gofeed v1.4.0 on.
type Parser struct {
	gp *gofeed.Parser
}

// NewParser returns a Parser.
func NewParser() *Parser {
	gp := gofeed.NewParser()
	// gofeed would run a full HTML parse of every RSS item to find an <img>;
	// normalization finds it in the pass that extracts the plain text.
	gp.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	return &Parser{gp: gp}
}

var (
	errEmpty       = errors.New("empty document")
	errHTMLPage    = errors.New("HTML page")
	errUnknownType = errors.New("unrecognized document: neither RSS, Atom nor JSON Feed")
	errNotJSONFeed = errors.New(`JSON, but not a JSON Feed: no "version": "https://jsonfeed.org/version/1.1"`)
)

// Parse parses body, fetched from feedURL with the given Content-Type
// header, and normalizes its items. now is the first-seen time given to
// undated items. Errors are *Error of kind Parse or NotAFeed; an HTML page
// yields NotAFeed with the feeds it links to in Alternates.
func (p *Parser) Parse(body []byte, contentType, feedURL string, now time.Time) (*Feed, error) {
	fail := func(kind ErrorKind, err error) (*Feed, error) {
		return nil, &Error{URL: feedURL, Kind: kind, Err: err}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return fail(Parse, errEmpty)
	}
	if looksLikeHTML(body) {
		return nil, &Error{URL: feedURL, Kind: NotAFeed, Err: errHTMLPage, Alternates: Discover(body, feedURL)}
	}
	if looksLikeJSON(body) {
		// JSON is UTF-8; encoding/json refuses the BOM some servers add.
		body = bytes.TrimPrefix(body, utf8BOM)
	} else {
		var err error
		if body, err = toUTF8(body, contentType); err != nil {
			return fail(Parse, err)
		}
	}
	gf, err := p.gp.Parse(bytes.NewReader(body))
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
	return p.normalize(gf, body, feedURL, now), nil
}

func (p *Parser) normalize(gf *gofeed.Feed, body []byte, feedURL string, now time.Time) *Feed {
	docURL, _ := url.Parse(feedURL)
	n := &normalizer{now: now}
	if docURL != nil && docURL.IsAbs() && (docURL.Scheme == "http" || docURL.Scheme == "https") {
		n.base = docURL
	}
	feed := &Feed{
		Title:       PlainText(gf.Title),
		Link:        n.resolve(gf.Link),
		MinInterval: feedMinInterval(gf, body),
	}
	if feed.Link != "" {
		n.base, _ = url.Parse(feed.Link)
	}
	feed.Items = n.items(gf.Items)
	return feed
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
