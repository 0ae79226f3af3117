package feeds

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestDiscoverLinks(t *testing.T) {
	tests := []struct {
		name, page string
		want       []string // "URL|title|announced"
	}{
		{"announced first, with titles", `<html><head>
<link rel="alternate" type="application/rss+xml" title="All news" href="/rss.xml"></head>
<body><a href="/world/feed/">World <b>desk</b></a></body></html>`,
			[]string{"https://x.example/rss.xml|All news|true", "https://x.example/world/feed/|World desk|false"}},
		{"anchor words and suffixes", `<a href="/index.rss">a</a><a href="/atom.xml">b</a><a href="/feeds/markets">c</a><a href="/news.json" type="application/feed+json">d</a>`,
			[]string{"https://x.example/index.rss|a|false", "https://x.example/atom.xml|b|false", "https://x.example/feeds/markets|c|false", "https://x.example/news.json|d|false"}},
		{"look-alikes are not feeds", `<a href="/feedback">Feedback</a><a href="/rss-policy.html">RSS policy</a><a href="/rssmarkets">x</a><a href="/about">About</a>`,
			nil},
		{"anchor title attribute wins", `<a href="/rss" title="Wire (RSS)"><img src="rss.png"></a>`,
			[]string{"https://x.example/rss|Wire (RSS)|false"}},
		{"duplicates and fragments once", `<link rel=alternate type=application/rss+xml href=/rss><a href="/rss#top">again</a>`,
			[]string{"https://x.example/rss||true"}},
		{"javascript hrefs ignored", `<a href="javascript:feed()">feed</a>`, nil},
		{"links in the body are not announcements", `<body><link rel=alternate type=application/rss+xml href=/late></body>`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, l := range DiscoverLinks([]byte(tt.page), "https://x.example/") {
				got = append(got, fmt.Sprintf("%s|%s|%v", l.URL, l.Title, l.Announced))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestDiscoverLinksBoundsAnchors(t *testing.T) {
	var page strings.Builder
	for i := range 3 * maxAnchorLinks {
		fmt.Fprintf(&page, `<a href="/feeds/%d">feed %d</a>`, i, i)
	}
	if got := len(DiscoverLinks([]byte(page.String()), "https://x.example/")); got != maxAnchorLinks {
		t.Errorf("got %d links, want at most %d", got, maxAnchorLinks)
	}
}

func TestFind(t *testing.T) {
	rss := `<rss version="2.0"><channel><title>Harbour wire</title><item><guid>1</guid><title>One</title></item></channel></rss>`
	var anchorFetches atomic.Int32 // of /feed/old, an <a href> that is not a feed
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/rss":
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprint(w, rss)
		case "/announced":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<html><head><link rel="alternate" type="application/rss+xml" href="/rss"></head>
<body><a href="/feed/old">Old</a></body></html>`)
		case "/page":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<html><head><link rel="alternate" type="application/atom+xml" title="Gone" href="/gone.atom"></head>
<body><a href="/rss">Wire</a> <a href="/feed/old">Old</a></body></html>`)
		case "/feed/old":
			anchorFetches.Add(1)
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<html><body>Our feeds moved</body></html>`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/"
	ln.Close()
	f := testFetcher(FetcherOptions{HostGap: -1, Timeout: 5 * time.Second})
	ctx := context.Background()

	found, err := Find(ctx, f, NewParser(), Request{URL: srv.URL + "/rss"}, time.Now(), AllLinks)
	if err != nil || found.Feed == nil || found.Feed.Title != "Harbour wire" || len(found.Links) != 0 {
		t.Errorf("a feed: got %+v, %v; want the feed itself", found, err)
	}

	found, err = Find(ctx, f, NewParser(), Request{URL: srv.URL + "/page"}, time.Now(), AllLinks)
	if err != nil {
		t.Fatal(err)
	}
	if len(found.Links) != 1 || found.Links[0].URL != srv.URL+"/rss" || found.Links[0].Title() != "Harbour wire" {
		t.Errorf("a page: links %+v, want the one anchor that is a feed, titled by the feed", found.Links)
	}
	if len(found.Broken) != 1 || found.Broken[0].URL != srv.URL+"/gone.atom" || found.Broken[0].Err == nil {
		t.Errorf("a page: broken %+v, want the announced feed that is gone, with its error", found.Broken)
	}

	// The site's own feed, when it announces one that works, is the only
	// one tried with AnnouncedFirst.
	found, err = Find(ctx, f, NewParser(), Request{URL: srv.URL + "/announced"}, time.Now(), AnnouncedFirst)
	if err != nil || len(found.Links) != 1 || found.Links[0].URL != srv.URL+"/rss" || !found.Links[0].Announced {
		t.Errorf("announced first: got %+v, %v; want the announced feed only", found, err)
	}
	found, err = Find(ctx, f, NewParser(), Request{URL: srv.URL + "/page"}, time.Now(), AnnouncedFirst)
	if err != nil || len(found.Links) != 1 || found.Links[0].URL != srv.URL+"/rss" || len(found.Broken) != 1 {
		t.Errorf("announced first, the announced feed broken: got %+v, %v; want the anchor that is a feed", found, err)
	}
	if hits := anchorFetches.Load(); hits != 2 {
		t.Errorf("the anchors fetched: %d times, want 2 (once for AllLinks and once when the announced feed is broken)", hits)
	}

	_, err = Find(ctx, f, NewParser(), Request{URL: refused}, time.Now(), AllLinks)
	var fe *Error
	if !errors.As(err, &fe) || fe.Kind != Network {
		t.Errorf("a refused connection: got %v, want a Network error", err)
	}
}

// TestAnnouncedFeedLinksAreBounded: a page may announce as many feeds in
// its head as it likes; a hostile one announcing thousands made Find fetch
// every one (a /watch add pointed at it kept the bot fetching, one
// timeout after another, for hours, at whatever hosts the page named),
// and a feed URL that turned into such a page logged an error listing all
// of them at every change of state. Like <a href> candidates, at most
// maxAnnouncedLinks are taken.
func TestAnnouncedFeedLinksAreBounded(t *testing.T) {
	var page strings.Builder
	page.WriteString("<html><head>")
	for i := range 50 * maxAnnouncedLinks {
		fmt.Fprintf(&page, `<link rel="alternate" type="application/rss+xml" href="/feeds/%d.xml">`, i)
	}
	page.WriteString("</head><body></body></html>")
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, page.String())
	}))
	defer srv.Close()

	if got := len(Discover([]byte(page.String()), srv.URL)); got > maxAnnouncedLinks {
		t.Errorf("Discover: got %d links, want at most %d", got, maxAnnouncedLinks)
	}
	if got := len(DiscoverLinks([]byte(page.String()), srv.URL)); got > maxAnnouncedLinks {
		t.Errorf("DiscoverLinks: got %d links, want at most %d", got, maxAnnouncedLinks)
	}
	if _, err := Find(context.Background(), testFetcher(FetcherOptions{}), NewParser(), Request{URL: srv.URL + "/page"}, testNow, AllLinks); err != nil {
		t.Fatal(err)
	}
	if got := fetches.Load(); got > 1+maxAnnouncedLinks {
		t.Errorf("Find made %d requests for a page announcing %d feeds, want at most %d", got, 50*maxAnnouncedLinks, 1+maxAnnouncedLinks)
	}
	_, err := NewParser().Parse([]byte(page.String()), "text/html", srv.URL, testNow)
	if fe := wantKind(t, err, NotAFeed); len(fe.Alternates) > maxAnnouncedLinks {
		t.Errorf("the error names %d feeds (%d bytes), want at most %d", len(fe.Alternates), len(fe.Error()), maxAnnouncedLinks)
	}
}
