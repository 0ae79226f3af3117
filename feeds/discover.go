package feeds

import (
	"bytes"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// feedTypes are the <link type> values that announce a feed.
var feedTypes = map[string]bool{
	"application/rss+xml":   true,
	"application/atom+xml":  true,
	"application/feed+json": true,
	"application/rdf+xml":   true,
	"application/json":      true,
	"application/xml":       true,
	"text/xml":              true,
}

// Discover returns the absolute URLs of the feeds an HTML page announces
// with <link rel="alternate" type="application/rss+xml" href="…"> (and the
// Atom, JSON Feed and RDF types), in page order without duplicates, the
// first maxAnnouncedLinks (20) of them. Relative hrefs are resolved against
// <base href> or pageURL without its user and password.
func Discover(body []byte, pageURL string) []string {
	base, _ := url.Parse(pageURL)
	if base != nil {
		base.User = nil // the links are shown (NotAFeed's message): not pageURL's password
	}
	z := html.NewTokenizer(bytes.NewReader(body))
	var found []string
	seen := map[string]bool{}
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return found
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.DataAtom {
		case atom.Base:
			if href := attr(tok, "href"); href != "" {
				if b, err := resolveAgainst(base, href); err == nil {
					base = b
				}
			}
		case atom.Link:
			if !isFeedLink(tok) {
				continue
			}
			u, err := resolveAgainst(base, attr(tok, "href"))
			if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file") {
				continue
			}
			if s := u.String(); !seen[s] {
				seen[s] = true
				found = append(found, s)
			}
			if len(found) == maxAnnouncedLinks {
				return found
			}
		case atom.Body:
			return found // feed links live in <head>
		}
	}
}

func isFeedLink(tok html.Token) bool {
	rels := strings.Fields(strings.ToLower(attr(tok, "rel")))
	alternate := false
	for _, r := range rels {
		if r == "alternate" || r == "feed" {
			alternate = true
		}
	}
	typ := strings.ToLower(strings.TrimSpace(attr(tok, "type")))
	if i := strings.IndexByte(typ, ';'); i >= 0 {
		typ = strings.TrimSpace(typ[:i])
	}
	return alternate && feedTypes[typ] && attr(tok, "href") != ""
}

func attr(tok html.Token, name string) string {
	for _, a := range tok.Attr {
		if a.Key == name {
			return strings.TrimSpace(a.Val)
		}
	}
	return ""
}

func resolveAgainst(base *url.URL, ref string) (*url.URL, error) {
	u, err := url.Parse(ref)
	if err != nil {
		return nil, err
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	return u, nil
}

// FeedLink is a feed a web page points to.
type FeedLink struct {
	URL   string
	Title string // the link's title attribute or the anchor's text, trimmed
	// Announced: a <link rel="alternate"> in the head; else an <a href>
	// whose path or type looks like a feed (rss, atom, feed, .xml), which
	// only fetching it can confirm.
	Announced bool
}

// maxAnchorLinks bounds how many <a href> candidates a page may offer: a
// site map of a thousand "rss" links must not cost a thousand fetches.
// maxAnnouncedLinks bounds the feeds a page announces in its head the same
// way (real pages announce a few): Find fetches each, and a NotAFeed error
// names them all.
const (
	maxAnchorLinks    = 20
	maxAnnouncedLinks = 20
)

// DiscoverLinks returns the feeds an HTML page announces in its head
// (as Discover does) followed by the <a href> links anywhere in it that
// look like feeds (at most maxAnchorLinks), in page order without
// duplicates, with their titles.
func DiscoverLinks(body []byte, pageURL string) []FeedLink {
	base, _ := url.Parse(pageURL)
	z := html.NewTokenizer(bytes.NewReader(body))
	var announced, anchors []FeedLink
	seen := map[string]bool{}
	add := func(list *[]FeedLink, href, title string, isAnnounced bool) {
		u, err := resolveAgainst(base, href)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file") {
			return
		}
		u.Fragment = ""
		if s := u.String(); !seen[s] {
			seen[s] = true
			*list = append(*list, FeedLink{URL: s, Title: title, Announced: isAnnounced})
		}
	}
	inHead := true
	var anchor *html.Token // the open <a> that looks like a feed
	var text strings.Builder
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return append(announced, anchors...)
		case html.TextToken:
			if anchor != nil {
				text.Write(z.Text())
			}
			continue
		case html.EndTagToken:
			if anchor != nil && z.Token().DataAtom == atom.A {
				title := strings.Join(strings.Fields(text.String()), " ")
				if t := attr(*anchor, "title"); t != "" {
					title = t
				}
				if len(anchors) < maxAnchorLinks {
					add(&anchors, attr(*anchor, "href"), title, false)
				}
				anchor = nil
			}
			continue
		case html.StartTagToken, html.SelfClosingTagToken:
		default:
			continue
		}
		tok := z.Token()
		switch tok.DataAtom {
		case atom.Base:
			if href := attr(tok, "href"); href != "" {
				if b, err := resolveAgainst(base, href); err == nil {
					base = b
				}
			}
		case atom.Body:
			inHead = false
		case atom.Link:
			if inHead && isFeedLink(tok) && len(announced) < maxAnnouncedLinks {
				add(&announced, attr(tok, "href"), attr(tok, "title"), true)
			}
		case atom.A:
			if looksLikeFeed(tok) {
				t := tok
				anchor = &t
				text.Reset()
			}
		}
	}
}

// looksLikeFeed tells an <a href> that probably leads to a feed: a feed
// type, or a path with a word such as rss, atom or feed, or ending in .xml
// or .rss. "/feedback" and "/rss-policy.html" are not feeds.
func looksLikeFeed(tok html.Token) bool {
	href := attr(tok, "href")
	if href == "" {
		return false
	}
	typ := strings.ToLower(attr(tok, "type"))
	if i := strings.IndexByte(typ, ';'); i >= 0 {
		typ = strings.TrimSpace(typ[:i])
	}
	if feedTypes[typ] {
		return true
	}
	u, err := url.Parse(href)
	if err != nil {
		return false
	}
	path := strings.ToLower(u.Path)
	if strings.HasSuffix(path, ".html") || strings.HasSuffix(path, ".htm") || strings.HasSuffix(path, ".php") {
		return false
	}
	if strings.HasSuffix(path, ".xml") || strings.HasSuffix(path, ".rss") || strings.HasSuffix(path, ".atom") {
		return true
	}
	for _, word := range strings.FieldsFunc(path, func(r rune) bool { return !('a' <= r && r <= 'z' || '0' <= r && r <= '9') }) {
		switch word {
		case "rss", "rss2", "atom", "feed", "feeds", "rdf":
			return true
		}
	}
	return false
}
