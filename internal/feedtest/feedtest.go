// Package feedtest writes and serves small RSS 2.0 feeds for tests: a
// document from a list of items, and a feed on loopback whose items and
// HTTP status a test can change while the code under test polls it.
package feedtest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Item is one RSS item. Its fields are inserted verbatim, so they are XML
// text: write "&lt;b&gt;" for markup inside a description.
type Item struct {
	GUID, Title, Link, Description string
	Published                      time.Time // zero: no pubDate
}

// RSS renders an RSS 2.0 document with the given channel title.
func RSS(title string, items ...Item) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>%s</title><link>https://wire.example/</link>`, title)
	for _, it := range items {
		fmt.Fprintf(&b, "<item><guid>%s</guid><title>%s</title><link>%s</link><description>%s</description>", it.GUID, it.Title, it.Link, it.Description)
		if !it.Published.IsZero() {
			fmt.Fprintf(&b, "<pubDate>%s</pubDate>", it.Published.Format(time.RFC1123Z))
		}
		b.WriteString("</item>")
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// Server is an RSS feed on loopback, closed when the test ends.
type Server struct {
	*httptest.Server
	mu     sync.Mutex
	title  string
	items  []Item
	status int
}

// NewServer serves an RSS feed with the given title and items.
func NewServer(t testing.TB, title string, items ...Item) *Server {
	s := &Server{title: title, items: items, status: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status != http.StatusOK {
		http.Error(w, "feed trouble", s.status)
		return
	}
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	fmt.Fprint(w, RSS(s.title, s.items...))
}

// Publish puts an item at the top of the feed, as a publisher does.
func (s *Server) Publish(it Item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items = append([]Item{it}, s.items...)
}

// SetStatus makes the server answer every request with an error status
// instead of the feed; http.StatusOK serves the feed again.
func (s *Server) SetStatus(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = code
}

// NewFailingSite serves, on loopback until the test ends, what a URL
// given for a feed can turn out to be: /text a plain-text page (no feed),
// /items/N an RSS feed of N items (past a limit of bytes or items),
// /down a 503, and a 404 anywhere else.
func NewFailingSite(t testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		switch _, err := fmt.Sscanf(r.URL.Path, "/items/%d", &n); {
		case err == nil:
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprint(w, RSS("Wire", slices.Repeat([]Item{{GUID: "1", Title: "One"}}, n)...))
		case r.URL.Path == "/text":
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, "Opening hours: 9 to 5")
		case r.URL.Path == "/down":
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}
