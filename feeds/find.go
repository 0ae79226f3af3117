package feeds

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Found is what a URL turned out to be: a feed, or a web page and the
// feeds it links to.
type Found struct {
	URL  string // the final URL read (after redirects)
	Feed *Feed  // the URL itself is a feed; Links is then empty
	// Links are the page's feed links that were fetched and parsed as
	// feeds, announced ones (<link rel="alternate">) first, then <a href>s.
	Links []FoundFeed
	// Broken are announced links that could not be read, with why, and a
	// saved page's <a href>s to local files that could not be read as
	// feeds: resolved against the file, a link relative to the page's site
	// names no file, or one beside it that is no feed, which only says the
	// file does not name its site, not that the link is no feed. Other <a
	// href> guesses that could not be read or are not feeds are left out.
	Broken []FoundFeed
}

// FoundFeed is one feed link of a page, and what reading it gave.
type FoundFeed struct {
	FeedLink
	Feed *Feed // parsed, when it is a feed
	Err  error // why not, for Broken
}

// Title is the feed's own title, else the page's title for the link.
func (f FoundFeed) Title() string {
	if f.Feed != nil && f.Feed.Title != "" {
		return f.Feed.Title
	}
	return f.FeedLink.Title
}

// Scope says which of a page's links Find tries.
type Scope int

const (
	// AllLinks tries the feeds the page announces and its <a href>s that
	// look like feeds: a list for a person to read.
	AllLinks Scope = iota
	// AnnouncedFirst tries the <a href>s only when no announced feed
	// works: the site's own choice, when it made one.
	AnnouncedFirst
)

// Find reads r.URL. A feed comes back as itself. An HTML page's feed links
// (see DiscoverLinks, and scope) are each fetched with r's settings and
// parsed; those that are feeds come back in Links with their titles. A page
// without any is a Found with no Links, not an error. The error is the
// page's own (an *Error: a DNS failure or a refused connection is Kind
// Network, an HTTP error HTTPStatus, a document neither feed nor page
// Parse). It blocks for up to one fetch per link. r.AllowFile lets only a
// file:// page's links be file:// too: a page on the web cannot make Find
// read local files.
func Find(ctx context.Context, f *Fetcher, p *Parser, r Request, now time.Time, scope Scope) (*Found, error) {
	res, err := f.Fetch(ctx, r)
	if err != nil {
		return nil, err
	}
	feed, err := p.Parse(res.Body, res.ContentType, res.URL, now)
	if err == nil {
		return &Found{URL: res.URL, Feed: feed}, nil
	}
	var fe *Error
	if !errors.As(err, &fe) || fe.Kind != NotAFeed || !errors.Is(err, errHTMLPage) {
		return nil, err
	}
	found := &Found{URL: res.URL}
	announcedWorks := false
	for _, link := range DiscoverLinks(res.Body, res.URL) {
		if scope == AnnouncedFirst && !link.Announced && announcedWorks {
			break // announced links come first
		}
		if ctx.Err() != nil {
			return nil, &Error{URL: r.URL, Kind: Canceled, Err: ctx.Err()}
		}
		lr := r
		lr.URL, lr.ETag, lr.LastModified, lr.BodyHash = link.URL, "", "", ""
		// A local page may name local feeds; a page on the web may not make
		// this machine read its files.
		lr.AllowFile = r.AllowFile && strings.HasPrefix(res.URL, "file:")
		got, err := Refresh(ctx, f, p, lr, now)
		switch {
		case err == nil:
			found.Links = append(found.Links, FoundFeed{FeedLink: link, Feed: got.Feed})
			announcedWorks = announcedWorks || link.Announced
		case link.Announced, lr.AllowFile && strings.HasPrefix(link.URL, "file:"):
			found.Broken = append(found.Broken, FoundFeed{FeedLink: link, Err: err})
		}
	}
	return found, nil
}
