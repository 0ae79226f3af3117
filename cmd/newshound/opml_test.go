package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/newshound/newshound/feeds"
)

func TestDiscoverFeeds(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/news":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<html><head><link rel="alternate" type="application/rss+xml" href="/news/rss.xml"></head><body>News</body></html>`)
		case "/news/rss.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprint(w, `<rss version="2.0"><channel><title>News</title><item><guid>1</guid><title>One</title></item></channel></rss>`)
		default:
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<html><body>No feeds here</body></html>`)
		}
	}))
	defer srv.Close()
	fetcher := feeds.NewFetcher(feeds.FetcherOptions{AllowPrivate: true, HostGap: -1})
	tests := []struct {
		name, path, want, wantErr string
	}{
		{"page linking a feed", "/news", srv.URL + "/news/rss.xml\n", ""},
		{"a feed itself", "/news/rss.xml", srv.URL + "/news/rss.xml (is a feed)\n", ""},
		{"page without feeds", "/about", "", "no feed links found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := discoverFeeds(context.Background(), fetcher, srv.URL+tt.path, &out)
			if got := out.String(); got != tt.want {
				t.Errorf("output: got %q, want %q", got, tt.want)
			}
			if (err != nil) != (tt.wantErr != "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error: got %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
