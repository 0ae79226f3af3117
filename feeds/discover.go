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
// Atom, JSON Feed and RDF types), in page order without duplicates. Relative
// hrefs are resolved against <base href> or pageURL.
func Discover(body []byte, pageURL string) []string {
	base, _ := url.Parse(pageURL)
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
