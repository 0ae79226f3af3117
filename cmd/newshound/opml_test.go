package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/internal/golden"
)

// discoverSite serves a small news site: a page announcing a feed, a page
// whose feeds are only <a href> links (one of them broken, one not a
// feed), a page announcing a feed that is gone, and a page without feeds.
func discoverSite(t *testing.T) *httptest.Server {
	t.Helper()
	rss := func(title string) string {
		return `<rss version="2.0"><channel><title>` + title + `</title><item><guid>1</guid><title>One</title></item></channel></rss>`
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		html := func(body string) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, body)
		}
		switch r.URL.Path {
		case "/news":
			html(`<html><head><link rel="alternate" type="application/rss+xml" title="Harbour news" href="/news/rss.xml"></head><body>News</body></html>`)
		case "/links":
			html(`<html><head><title>Feeds</title></head><body>
<p><a href="/feedback">Feedback</a> <a href="/rss-policy.html">Our RSS policy</a></p>
<ul><li><a href="/news/rss.xml">Harbour <b>news</b></a></li>
<li><a href="/markets/feed/">Markets</a></li>
<li><a href="/old/atom.xml">Old feed</a></li>
<li><a href="/news/rss.xml#again">Harbour news again</a></li></ul></body></html>`)
		case "/broken":
			html(`<html><head><link rel="alternate" type="application/atom+xml" title="Gone" href="/gone.atom"></head></html>`)
		case "/news/rss.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprint(w, rss("Harbour News (all stories)"))
		case "/markets/feed/":
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprint(w, rss(""))
		case "/about", "/feedback", "/rss-policy.html":
			html(`<html><body>No feeds here</body></html>`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestDiscoverFeeds(t *testing.T) {
	srv := discoverSite(t)
	page := filepath.Join(t.TempDir(), "saved.html")
	saved := `<html><head><link rel="alternate" type="application/rss+xml" title="Saved" href="` + srv.URL + `/news/rss.xml"></head></html>`
	if err := os.WriteFile(page, []byte(saved), 0o644); err != nil {
		t.Fatal(err)
	}
	// A saved page's links relative to its site: the file names no site.
	siteRelative := filepath.Join(filepath.Dir(page), "site-relative.html")
	saved = `<html><head><link rel="alternate" type="application/rss+xml" title="Harbour news" href="/news/rss.xml">` +
		`<link rel="alternate" type="application/atom+xml" title="Sport" href="sport/atom.xml"></head></html>`
	if err := os.WriteFile(siteRelative, []byte(saved), 0o644); err != nil {
		t.Fatal(err)
	}
	// Its <a href> feed links relative to its site name no file either,
	// alone or beside an announced one.
	anchors := filepath.Join(filepath.Dir(page), "anchors.html")
	saved = `<html><body><a href="/news/rss.xml">Harbour news</a> <a href="sport/atom.xml">Sport</a></body></html>`
	if err := os.WriteFile(anchors, []byte(saved), 0o644); err != nil {
		t.Fatal(err)
	}
	mixed := filepath.Join(filepath.Dir(page), "mixed.html")
	saved = `<html><head><link rel="alternate" type="application/rss+xml" title="Harbour news" href="/news/rss.xml"></head>` +
		`<body><a href="/sport/feed">Sport</a></body></html>`
	if err := os.WriteFile(mixed, []byte(saved), 0o644); err != nil {
		t.Fatal(err)
	}
	// One with <base href> names its site: links resolve against it.
	based := filepath.Join(filepath.Dir(page), "based.html")
	saved = `<html><head><base href="` + srv.URL + `/"><link rel="alternate" type="application/rss+xml" title="Harbour news" href="/news/rss.xml"></head></html>`
	if err := os.WriteFile(based, []byte(saved), 0o644); err != nil {
		t.Fatal(err)
	}
	refused := closedPort(t)
	fetcher := feeds.NewFetcher(feeds.FetcherOptions{AllowPrivate: true, HostGap: -1, Timeout: 5 * time.Second})
	tests := []struct {
		name, src, golden, wantErr string
	}{
		{"page announcing a feed", srv.URL + "/news", "discover_page.golden", ""},
		{"a feed itself", srv.URL + "/news/rss.xml", "discover_feed.golden", ""},
		{"feeds only as links", srv.URL + "/links", "discover_links.golden", ""},
		// A page that announces a feed is not feedless, even when the
		// feed cannot be read.
		{"announced feed gone", srv.URL + "/broken", "discover_broken.golden", "no feed read: " + srv.URL + "/broken announces 1 feed, and it could not be read (above)"},
		{"page without feeds", srv.URL + "/about", "empty.golden", "no feeds found: " + srv.URL + "/about is a web page that neither announces a feed nor links to one"},
		{"local HTML file", page, "discover_file.golden", ""},
		{"local HTML file with links relative to its site", siteRelative, "discover_file_site_relative.golden", "announces 2 feeds, and none could be read"},
		{"local HTML file with <a href>s relative to its site", anchors, "discover_file_site_relative_anchors.golden", "links to 2 feeds, and none could be read"},
		{"local HTML file with a <link> and an <a href> relative to its site", mixed, "discover_file_site_relative_mixed.golden", "announces or links to 2 feeds, and none could be read"},
		{"local HTML file with base href", based, "discover_file_base.golden", ""},
		{"refused connection", "http://" + refused + "/news", "empty.golden", "network error"},
		{"HTTP 404", srv.URL + "/missing", "empty.golden", "HTTP 404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := discoverFeeds(context.Background(), fetcher, feeds.NewParser(), tt.src, "", time.Now(), &out)
			got := strings.NewReplacer(srv.URL, "http://SITE", "file://"+filepath.ToSlash(filepath.Dir(page)), "file://DIR").Replace(out.String())
			golden.Check(t, filepath.Join("testdata", tt.golden), []byte(got), *update)
			if (err != nil) != (tt.wantErr != "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error: got %v, want one containing %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(tt.wantErr, "network") && strings.Contains(err.Error(), "no feeds found") {
				t.Errorf("error: a network failure reported as a page without feeds: %v", err)
			}
		})
	}
}

// TestDiscoverCommand: the command line reads a local file, and without a
// config the SSRF guard refuses loopback; with one that allows private
// networks it reads it.
func TestDiscoverCommand(t *testing.T) {
	srv := discoverSite(t)
	cfg := filepath.Join(t.TempDir(), "newshound.yaml")
	if err := os.WriteFile(cfg, []byte("defaults:\n  allow_private_networks: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing, err := filepath.Abs("testdata/no-such-page.html")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		// A local file that cannot be read is not a network error.
		{"missing file in words", []string{"feeds", "discover", "testdata/no-such-page.html"}, exitFailure, "",
			"newshound feeds discover: could not read testdata/no-such-page.html: open " + missing + ": no such file or directory; check the file's path\n"},
		{"loopback refused by default", []string{"feeds", "discover", srv.URL + "/news"}, exitFailure, "", "allow_private_networks: true"},
		{"loopback allowed by the config", []string{"feeds", "discover", "--config", cfg, srv.URL + "/news"}, exitOK, "Harbour News (all stories)", ""},
		// preview has no config of its own either: the refusal says how to
		// allow it there, as discover's does.
		{"preview: loopback refused by default", []string{"preview", "--query", "one", srv.URL + "/news/rss.xml"}, exitFailure, "",
			"(set allow_private_networks: true to permit); to allow it here, give --config with a config that sets it\n"},
		{"preview: loopback allowed by the config", []string{"preview", "--config", cfg, "--query", "one", srv.URL + "/news/rss.xml"}, exitOK, "Harbour News (all stories)", ""},
		{"missing file", []string{"feeds", "discover", "testdata/no-such-page.html"}, exitFailure, "", "could not read testdata/no-such-page.html"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(context.Background(), tt.args, &out, &errOut); code != tt.wantCode {
				t.Errorf("exit code: got %d, want %d\nstderr: %s", code, tt.wantCode, errOut.String())
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("stdout: got %q, want it to contain %q", out.String(), tt.wantOut)
			}
			if !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stderr: got %q, want it to contain %q", errOut.String(), tt.wantErr)
			}
		})
	}
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestRefusalNamesTheURLOnce: a left-out feed's line names its URL, and
// the reason after it did again (CheckFeedURL's errors begin with it):
// the reason is its URLRefusal's alone.
func TestRefusalNamesTheURLOnce(t *testing.T) {
	tests := []struct{ url, want string }{
		{"http://10.0.0.1/feed", "10.0.0.1 is a private address (add it to the config by hand, with allow_private_networks: true)"},
		{"file:///etc/passwd", "file: URLs are allowed only for feeds in the config file"},
		{"example.com/feed", "has no scheme (want http:// or https://)"},
		{"http:///feed", "has no host"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := feeds.CheckFeedURL(tt.url, false, false)
			if err == nil {
				t.Fatal("CheckFeedURL accepted it")
			}
			if got := refusal(err); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
