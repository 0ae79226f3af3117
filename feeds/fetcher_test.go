package feeds

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"golang.org/x/text/encoding/charmap"
)

// testFeed is a small RSS document with invented headlines.
const testFeed = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Test Wire</title><link>https://wire.example/</link>
<item><title>Aleppo ceasefire talks resume in Geneva</title><link>https://wire.example/a1?utm_source=rss</link><guid>a1</guid><pubDate>Mon, 19 Sep 2016 10:00:00 GMT</pubDate></item>
<item><title>Harbour bridge reopens after repairs</title><link>/a2</link><guid>a2</guid></item>
</channel></rss>`

// testNow is "now" for parsing in these tests.
var testNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// testFetcher allows loopback (httptest) and keeps tests fast: no host gap.
func testFetcher(o FetcherOptions) *Fetcher {
	o.AllowPrivate = true
	return guardedTestFetcher(o)
}

// guardedTestFetcher keeps the SSRF guard on, and ignores any proxy set in
// the environment so the tests behave the same everywhere.
func guardedTestFetcher(o FetcherOptions) *Fetcher {
	if o.Proxy == nil {
		o.Proxy = func(*http.Request) (*url.URL, error) { return nil, nil }
	}
	return NewFetcher(o)
}

func serveFeed(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprint(w, body)
}

func wantKind(t *testing.T, err error, kind ErrorKind) *Error {
	t.Helper()
	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatalf("got error %v (%T), want *Error of kind %v", err, err, kind)
	}
	if fe.Kind != kind {
		t.Fatalf("got kind %v (%v), want %v", fe.Kind, err, kind)
	}
	return fe
}

// allocatedBytes runs fn and returns the bytes the process allocated
// meanwhile (test server included, which only makes the bound stricter).
func allocatedBytes(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestRefreshConditionalGetSendsValidatorsAndSkipsParse(t *testing.T) {
	const etag, lastMod = `"v1"`, "Mon, 19 Sep 2016 10:00:00 GMT"
	var gotINM, gotIMS string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotINM, gotIMS = r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since")
		if gotINM == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
		serveFeed(w, testFeed)
	}))
	defer srv.Close()
	f, p := testFetcher(FetcherOptions{}), NewParser()

	first, err := Refresh(context.Background(), f, p, Request{URL: srv.URL}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if first.Feed == nil || len(first.Feed.Items) != 2 {
		t.Fatalf("first fetch: got feed %+v, want 2 items", first.Feed)
	}
	second, err := Refresh(context.Background(), f, p, Request{URL: srv.URL, ETag: first.ETag, LastModified: first.LastModified}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if gotINM != etag || gotIMS != lastMod {
		t.Errorf("sent If-None-Match %q, If-Modified-Since %q; want %q, %q", gotINM, gotIMS, etag, lastMod)
	}
	if !second.NotModified || second.Feed != nil || second.Body != nil {
		t.Errorf("304: got NotModified=%v Feed=%v body=%d bytes; want NotModified, no feed, no body", second.NotModified, second.Feed, len(second.Body))
	}
	if second.ETag != etag || second.LastModified != lastMod {
		t.Errorf("304 validators: got %q %q, want the request's %q %q kept", second.ETag, second.LastModified, etag, lastMod)
	}
}

func TestRefreshSameBodyHashSkipsParse(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serveFeed(w, testFeed) }))
	defer srv.Close()
	f, p := testFetcher(FetcherOptions{}), NewParser()
	first, err := Refresh(context.Background(), f, p, Request{URL: srv.URL}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Refresh(context.Background(), f, p, Request{URL: srv.URL, BodyHash: first.BodyHash}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !second.NotModified || second.Feed != nil {
		t.Errorf("got NotModified=%v Feed=%v, want NotModified and no feed", second.NotModified, second.Feed)
	}
	if second.BodyHash != first.BodyHash {
		t.Errorf("got hash %q, want %q", second.BodyHash, first.BodyHash)
	}
}

func TestFetchSendsUserAgentAndHeaders(t *testing.T) {
	tests := []struct {
		name    string
		opts    FetcherOptions
		req     Request
		wantUA  string
		wantHdr string
	}{
		{"default user agent", FetcherOptions{}, Request{}, DefaultUserAgent(), ""},
		{"per-feed user agent and header", FetcherOptions{}, Request{UserAgent: "Mozilla/5.0 (compatible; desk)", Headers: map[string]string{"X-Api-Key": "k1"}}, "Mozilla/5.0 (compatible; desk)", "k1"},
		{"versioned default", FetcherOptions{UserAgent: UserAgentFor("1.4.0")}, Request{}, UserAgentFor("1.4.0"), ""},
		// The config copies its default, "newshound (+url)", into every feed.
		{"per-feed bare newshound gets the version", FetcherOptions{UserAgent: UserAgentFor("1.4.0")},
			Request{UserAgent: "newshound (+https://github.com/newshound/newshound)"}, "newshound/1.4.0 (+https://github.com/newshound/newshound)", ""},
		{"per-feed newshound with a contact", FetcherOptions{Version: "1.4.0", UserAgent: "newshound (+https://desk.example/bot)"},
			Request{UserAgent: "newshound (+https://news.example.org/bot; desk@example.org)"}, "newshound/1.4.0 (+https://news.example.org/bot; desk@example.org)", ""},
		{"custom default with Version", FetcherOptions{Version: "1.4.0", UserAgent: "newshound (+https://desk.example/bot)"},
			Request{}, "newshound/1.4.0 (+https://desk.example/bot)", ""},
		{"a version the operator wrote is kept", FetcherOptions{Version: "1.4.0"},
			Request{UserAgent: "newshound/0.9-desk"}, "newshound/0.9-desk", ""},
		{"another product is sent as written", FetcherOptions{Version: "1.4.0"},
			Request{UserAgent: "newshoundling (+x)"}, "newshoundling (+x)", ""},
		{"no version known", FetcherOptions{UserAgent: "desk-bot"},
			Request{UserAgent: "newshound (+x)"}, "newshound (+x)", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var gotUA, gotHdr string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotUA, gotHdr = r.Header.Get("User-Agent"), r.Header.Get("X-Api-Key")
				serveFeed(w, testFeed)
			}))
			defer srv.Close()
			tc.req.URL = srv.URL
			if _, err := testFetcher(tc.opts).Fetch(context.Background(), tc.req); err != nil {
				t.Fatal(err)
			}
			if gotUA != tc.wantUA || gotHdr != tc.wantHdr {
				t.Errorf("got UA %q header %q, want %q %q", gotUA, gotHdr, tc.wantUA, tc.wantHdr)
			}
		})
	}
	if ua := DefaultUserAgent(); !strings.HasPrefix(ua, "newshound/") || !strings.Contains(ua, "https://github.com/newshound/newshound") {
		t.Errorf("default UA %q does not name newshound and its URL", ua)
	}
}

func TestFetchCompressedBodies(t *testing.T) {
	var gz, br bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(testFeed))
	zw.Close()
	bw := brotli.NewWriter(&br)
	bw.Write([]byte(testFeed))
	bw.Close()
	tests := []struct {
		name, encoding string
		body           []byte
	}{
		{"gzip", "gzip", gz.Bytes()},
		{"brotli", "br", br.Bytes()},
		{"gzip file without Content-Encoding", "", gz.Bytes()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var gotAE string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotAE = r.Header.Get("Accept-Encoding")
				if tc.encoding != "" {
					w.Header().Set("Content-Encoding", tc.encoding)
				}
				w.Write(tc.body)
			}))
			defer srv.Close()
			res, err := testFetcher(FetcherOptions{}).Fetch(context.Background(), Request{URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			if string(res.Body) != testFeed {
				t.Errorf("got body %.60q…, want the decompressed feed", res.Body)
			}
			if !strings.Contains(gotAE, "gzip") || !strings.Contains(gotAE, "br") {
				t.Errorf("Accept-Encoding %q, want gzip and br", gotAE)
			}
		})
	}
}

// TestFetchBodyNotAsEncodedSaysSo: a body that is not what its
// Content-Encoding says (empty, or sent plain) failed with the
// decompressor's bare "EOF", "unexpected EOF" or "brotli: PADDING_2",
// which reads as a network fault; the error names the encoding.
func TestFetchBodyNotAsEncodedSaysSo(t *testing.T) {
	tests := []struct {
		name, encoding, body, want string
	}{
		{"empty gzip", "gzip", "", "reading the body as its Content-Encoding gzip says: EOF"},
		{"plain text as gzip", "gzip", testFeed, "reading the body as its Content-Encoding gzip says: gzip: invalid header"},
		{"empty deflate", "deflate", "", "reading the body as its Content-Encoding deflate says: unexpected EOF"},
		{"plain text as brotli", "br", testFeed, "reading the body as its Content-Encoding br says: brotli: RESERVED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Encoding", tc.encoding)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			_, err := testFetcher(FetcherOptions{}).Fetch(context.Background(), Request{URL: srv.URL})
			if err == nil || err.Error() != tc.want {
				t.Errorf("got error %v, want %q", err, tc.want)
			}
		})
	}
}

// limitTestBytes is the body limit in the limit tests; the bodies sent are
// 64 times larger.
const limitTestBytes = 1 << 20

func TestFetchBodyOverLimitRejectedWithBoundedMemory(t *testing.T) {
	chunk := bytes.Repeat([]byte("<item><title>x</title></item>\n"), 1<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// No Content-Length: the limit must hold on the stream itself.
		for sent := 0; sent < 64*limitTestBytes; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	f := testFetcher(FetcherOptions{MaxBodyBytes: limitTestBytes})
	var err error
	alloc := allocatedBytes(func() { _, err = f.Fetch(context.Background(), Request{URL: srv.URL}) })
	fe := wantKind(t, err, TooLarge)
	if !strings.Contains(fe.Error(), fmt.Sprint(limitTestBytes)) {
		t.Errorf("error %q does not state the limit", fe)
	}
	t.Logf("allocated %d bytes refusing a 64 MiB body with a %d-byte limit", alloc, limitTestBytes)
	if max := uint64(3*limitTestBytes + 1<<20); alloc > max {
		t.Errorf("allocated %d bytes for a %d-byte limit, want at most %d", alloc, limitTestBytes, max)
	}
}

// TestFetchHugeHeadersCostBoundedMemory: the bound of one fetch's memory,
// about 5 × max_body_bytes, holds for a server that sends megabytes of
// headers too: net/http's own limit on them is 10 MB whatever
// max_body_bytes says, and 9 MiB of them cost 24 MiB against a 1 MiB
// limit.
func TestFetchHugeHeadersCostBoundedMemory(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var head bytes.Buffer
	head.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n")
	for line := "X-Padding: " + strings.Repeat("a", 8000) + "\r\n"; head.Len() < 9<<20; {
		head.WriteString(line)
	}
	head.WriteString("Content-Length: 0\r\n\r\n")
	var served sync.WaitGroup
	defer served.Wait()
	served.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			bufio.NewReader(c).ReadString('\n')
			c.Write(head.Bytes())
			c.Close()
		}
	})
	f := testFetcher(FetcherOptions{MaxBodyBytes: limitTestBytes})
	alloc := allocatedBytes(func() { _, err = f.Fetch(context.Background(), Request{URL: "http://" + ln.Addr().String() + "/feed"}) })
	ln.Close()
	if err == nil {
		t.Errorf("fetched a response with 9 MiB of headers, want an error")
	}
	t.Logf("allocated %d bytes for 9 MiB of headers with a %d-byte limit (%v)", alloc, limitTestBytes, err)
	if max := uint64(5 * limitTestBytes); alloc > max {
		t.Errorf("allocated %d bytes for 9 MiB of headers with a %d-byte body limit, want at most %d", alloc, limitTestBytes, max)
	}
}

func TestFetchContentLengthOverLimitRejectedBeforeReading(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(2*limitTestBytes))
		w.Write(make([]byte, 2*limitTestBytes))
	}))
	defer srv.Close()
	_, err := testFetcher(FetcherOptions{MaxBodyBytes: limitTestBytes}).Fetch(context.Background(), Request{URL: srv.URL})
	wantKind(t, err, TooLarge)
}

func TestFetchGzipBombRejected(t *testing.T) {
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for range 64 {
		zw.Write(zeros)
	}
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb.Bytes())
	}))
	defer srv.Close()
	f := testFetcher(FetcherOptions{MaxBodyBytes: limitTestBytes})
	var err error
	alloc := allocatedBytes(func() { _, err = f.Fetch(context.Background(), Request{URL: srv.URL}) })
	wantKind(t, err, TooLarge)
	t.Logf("allocated %d bytes refusing a %d-byte gzip bomb of 64 MiB", alloc, bomb.Len())
	if max := uint64(3*limitTestBytes + 1<<20); alloc > max {
		t.Errorf("allocated %d bytes for a %d-byte compressed bomb of 64 MiB, want at most %d", alloc, bomb.Len(), max)
	}
}

func TestFetchSlowDripTimesOut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		for i := 0; i < 500; i++ {
			if _, err := w.Write([]byte(" ")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}))
	defer srv.Close()
	_, err := testFetcher(FetcherOptions{Timeout: 200 * time.Millisecond}).Fetch(context.Background(), Request{URL: srv.URL})
	fe := wantKind(t, err, Timeout)
	if !strings.Contains(fe.Error(), "timed out after 200ms") {
		t.Errorf("error %q does not say it timed out after the configured 200ms", fe)
	}
}

func TestFetchRedirects(t *testing.T) {
	mux := http.NewServeMux()
	var loopHits atomic.Int32
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		loopHits.Add(1)
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/older", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/older", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/new", http.StatusPermanentRedirect)
	})
	mux.HandleFunc("/temp", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/new", http.StatusFound) })
	mux.HandleFunc("/mixed", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/temp", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/to-file", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	mux.HandleFunc("/new", func(w http.ResponseWriter, r *http.Request) { serveFeed(w, testFeed) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f := testFetcher(FetcherOptions{})

	t.Run("redirect loop stopped", func(t *testing.T) {
		_, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/loop"})
		wantKind(t, err, TooManyRedirects)
		if got, want := loopHits.Load(), int32(DefaultMaxRedirects+1); got != want {
			t.Errorf("server saw %d requests, want %d (the first and %d redirects)", got, want, DefaultMaxRedirects)
		}
	})
	t.Run("redirect to file refused", func(t *testing.T) {
		_, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/to-file"})
		wantKind(t, err, Blocked)
	})
	tests := []struct {
		name, path, wantMovedTo string
	}{
		{"301 then 308 updates the URL", "/old", srv.URL + "/new"},
		{"302 does not", "/temp", ""},
		{"301 then 302 does not", "/mixed", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := f.Fetch(context.Background(), Request{URL: srv.URL + tc.path})
			if err != nil {
				t.Fatal(err)
			}
			if res.MovedTo != tc.wantMovedTo || res.URL != srv.URL+"/new" {
				t.Errorf("got MovedTo %q URL %q, want %q %q", res.MovedTo, res.URL, tc.wantMovedTo, srv.URL+"/new")
			}
		})
	}
}

func TestFetchStatusErrors(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		status     int
		retryAfter string
		wantKind   ErrorKind
		wantRetry  time.Duration
		wantMsg    string
	}{
		{"410 gone", 410, "", Gone, 0, "HTTP 410 Gone"},
		{"429 retry-after seconds", 429, "120", HTTPStatus, 2 * time.Minute, "HTTP 429 Too Many Requests, retry after 2m0s"},
		{"503 retry-after date", 503, now.Add(90 * time.Second).Format(http.TimeFormat), HTTPStatus, 90 * time.Second, "HTTP 503 Service Unavailable, retry after 1m30s"},
		{"429 without retry-after", 429, "", HTTPStatus, 0, "HTTP 429 Too Many Requests"},
		// Longer than a feed is ever parked (maxRetryAfter): the message
		// says the wait the schedule keeps, not one of years.
		{"429 retry-after ten years of seconds", 429, "315360000", HTTPStatus, maxRetryAfter, "HTTP 429 Too Many Requests, retry after 24h0m0s"},
		{"503 retry-after date years ahead", 503, now.AddDate(10, 0, 0).Format(http.TimeFormat), HTTPStatus, maxRetryAfter, "HTTP 503 Service Unavailable, retry after 24h0m0s"},
		{"429 retry-after date in the past", 429, now.Add(-time.Hour).Format(http.TimeFormat), HTTPStatus, 0, "HTTP 429 Too Many Requests"},
		{"429 retry-after negative", 429, "-120", HTTPStatus, 0, "HTTP 429 Too Many Requests"},
		{"404", 404, "", HTTPStatus, 0, "HTTP 404 Not Found"},
		{"500", 500, "", HTTPStatus, 0, "HTTP 500 Internal Server Error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				w.WriteHeader(tc.status)
			}))
			defer srv.Close()
			f := testFetcher(FetcherOptions{Now: func() time.Time { return now }})
			_, err := f.Fetch(context.Background(), Request{URL: srv.URL})
			fe := wantKind(t, err, tc.wantKind)
			if fe.Status != tc.status || fe.RetryAfter != tc.wantRetry || fe.Error() != tc.wantMsg {
				t.Errorf("got status %d retry %v message %q, want %d %v %q", fe.Status, fe.RetryAfter, fe.Error(), tc.status, tc.wantRetry, tc.wantMsg)
			}
		})
	}
}

func TestRefresh410DisablesAnd429DefersExactly(t *testing.T) {
	status := http.StatusGone
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600") // longer than the interval: honoured as given
		w.WriteHeader(status)
	}))
	defer srv.Close()
	f, p, s := testFetcher(FetcherOptions{}), NewParser(), DefaultSchedule()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

	_, err := Refresh(context.Background(), f, p, Request{URL: srv.URL}, now)
	d := s.Next(PollHistory{FeedID: "wire"}, Outcome{Err: err}, now)
	if !d.Disable || d.Reason != "HTTP 410 Gone" {
		t.Errorf("410: got Disable=%v Reason %q, want disabled with %q", d.Disable, d.Reason, "HTTP 410 Gone")
	}

	status = http.StatusTooManyRequests
	_, err = Refresh(context.Background(), f, p, Request{URL: srv.URL}, now)
	d = s.Next(PollHistory{FeedID: "wire"}, Outcome{Err: err}, now)
	if d.Disable || !d.Next.Equal(now.Add(time.Hour)) {
		t.Errorf("429: got Next %v Disable=%v, want exactly %v", d.Next, d.Disable, now.Add(time.Hour))
	}
}

// fakePublicNet makes the SSRF guard see public addresses for invented
// names while the connection really goes to a loopback test server.
func fakePublicNet(f *Fetcher, srv *httptest.Server, dns map[string]string) {
	f.dialer.lookupIP = func(ctx context.Context, host string) ([]net.IPAddr, error) {
		ip, ok := dns[host]
		if !ok {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		return []net.IPAddr{{IP: net.ParseIP(ip)}}, nil
	}
	srvAddr := srv.Listener.Addr().String()
	f.dialer.connect = func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, srvAddr)
	}
}

func TestFetchSSRFGuard(t *testing.T) {
	var hits sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Store(r.Host+r.URL.Path, true)
		switch r.URL.Path {
		case "/to-metadata":
			http.Redirect(w, r, "http://metadata.example/latest/meta-data/", http.StatusFound)
		case "/to-private":
			http.Redirect(w, r, "http://10.1.2.3/admin", http.StatusMovedPermanently)
		default:
			serveFeed(w, testFeed)
		}
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	dns := map[string]string{
		"news.example":     "203.0.113.7",
		"metadata.example": "169.254.169.254",
		"rebind.example":   "127.0.0.1",
		"cgnat.example":    "100.64.1.1",
		"v6local.example":  "fe80::1",
		"mapped.example":   "::ffff:192.168.1.1",
	}
	tests := []struct {
		name     string
		url      string
		wantKind ErrorKind // 0: allowed
	}{
		{"public name allowed", "http://news.example/feed", 0},
		{"loopback literal", "http://127.0.0.1:" + port + "/feed", Blocked},
		{"IPv6 loopback literal", "http://[::1]:" + port + "/feed", Blocked},
		{"IPv6 loopback literal with a zone", "http://[::1%25lo]:" + port + "/feed", Blocked},
		{"IPv6 link-local literal with a zone", "http://[fe80::1%25eth0]:" + port + "/feed", Blocked},
		{"name resolving to loopback", "http://rebind.example/feed", Blocked},
		{"CGNAT", "http://cgnat.example/feed", Blocked},
		{"IPv6 link-local", "http://v6local.example/feed", Blocked},
		{"IPv4-mapped private", "http://mapped.example/feed", Blocked},
		{"redirect from a public name to cloud metadata", "http://news.example/to-metadata", Blocked},
		{"redirect to a private literal", "http://news.example/to-private", Blocked},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := guardedTestFetcher(FetcherOptions{})
			fakePublicNet(f, srv, dns)
			_, err := f.Fetch(context.Background(), Request{URL: tc.url})
			if tc.wantKind == 0 {
				if err != nil {
					t.Fatalf("got %v, want the fetch allowed", err)
				}
				return
			}
			fe := wantKind(t, err, tc.wantKind)
			if !strings.Contains(fe.Error(), "allow_private_networks") {
				t.Errorf("error %q does not tell the operator how to allow it", fe)
			}
		})
	}
	if _, ok := hits.Load("metadata.example/latest/meta-data/"); ok {
		t.Error("the metadata request reached a server")
	}

	t.Run("allow_private_networks lifts the guard", func(t *testing.T) {
		f := testFetcher(FetcherOptions{})
		if _, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/feed"}); err != nil {
			t.Fatalf("got %v, want the fetch allowed", err)
		}
	})
}

func TestFetchRedirectKeepsFeedHeadersOnItsSite(t *testing.T) {
	var mu sync.Mutex
	gotKey := map[string]string{} // host -> X-Api-Key it received
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gotKey[r.Host] = r.Header.Get("X-Api-Key")
		mu.Unlock()
		if to := r.URL.Query().Get("to"); to != "" {
			http.Redirect(w, r, "http://"+to+"/feed", http.StatusFound)
			return
		}
		serveFeed(w, testFeed)
	}))
	defer srv.Close()
	dns := map[string]string{"news.example": "203.0.113.7", "cdn.news.example": "203.0.113.8", "other.example": "198.51.100.9", "fakenews.example": "198.51.100.10"}
	tests := []struct {
		name, to string
		wantKey  string // at the redirect target
	}{
		{"same host keeps it", "news.example", "k1"},
		{"subdomain keeps it", "cdn.news.example", "k1"},
		{"another site does not get it", "other.example", ""},
		{"a look-alike suffix does not get it", "fakenews.example", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			clear(gotKey)
			mu.Unlock()
			f := guardedTestFetcher(FetcherOptions{})
			fakePublicNet(f, srv, dns)
			req := Request{URL: "http://news.example/start?to=" + tc.to, Headers: map[string]string{"X-Api-Key": "k1"}}
			if _, err := f.Fetch(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if gotKey["news.example"] != "k1" {
				t.Errorf("the feed's own host got X-Api-Key %q, want k1", gotKey["news.example"])
			}
			if got, ok := gotKey[tc.to]; !ok || got != tc.wantKey {
				t.Errorf("redirect target %s got X-Api-Key %q (reached: %v), want %q", tc.to, got, ok, tc.wantKey)
			}
		})
	}
}

func TestRefreshHTMLPageNamesDiscoveredFeeds(t *testing.T) {
	const page = `<!DOCTYPE html><html><head><title>Wire</title>
<link rel="alternate" type="application/rss+xml" title="Top stories" href="/rss/top.xml">
<link rel="alternate" type="application/atom+xml" href="https://wire.example/atom">
<link rel="stylesheet" href="/s.css"></head><body><a href="/rss/other.xml">rss</a></body></html>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}))
	defer srv.Close()
	_, err := Refresh(context.Background(), testFetcher(FetcherOptions{}), NewParser(), Request{URL: srv.URL + "/news/"}, testNow)
	fe := wantKind(t, err, NotAFeed)
	want := []string{srv.URL + "/rss/top.xml", "https://wire.example/atom"}
	if fmt.Sprint(fe.Alternates) != fmt.Sprint(want) {
		t.Errorf("got alternates %v, want %v", fe.Alternates, want)
	}
	wantMsg := "not a feed (HTML page); it links to these feeds: " + strings.Join(want, ", ")
	if fe.Error() != wantMsg {
		t.Errorf("got message %q, want %q", fe.Error(), wantMsg)
	}
}

func TestRefreshDecodesCharsets(t *testing.T) {
	const arabic = `<?xml version="1.0" encoding="%s"?>
<rss version="2.0"><channel><title>أخبار</title><link>https://akhbar.example/</link>
<item><title>محادثات وقف إطلاق النار في حلب</title><link>https://akhbar.example/1</link><guid>1</guid></item>
</channel></rss>`
	win1256 := func(s string) []byte {
		b, err := charmap.Windows1256.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name        string
		contentType string
		body        []byte
	}{
		{"windows-1256 from the HTTP header", "application/rss+xml; charset=windows-1256", win1256(fmt.Sprintf(arabic, "UTF-8"))},
		{"windows-1256 from the prolog", "application/rss+xml", win1256(fmt.Sprintf(arabic, "windows-1256"))},
		{"UTF-8 bytes under a wrong ISO-8859-1 prolog", "text/xml", []byte(fmt.Sprintf(arabic, "ISO-8859-1"))},
		{"UTF-8 bytes under a wrong header charset", "text/xml; charset=iso-8859-1", []byte(fmt.Sprintf(arabic, "ISO-8859-1"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				w.Write(tc.body)
			}))
			defer srv.Close()
			res, err := Refresh(context.Background(), testFetcher(FetcherOptions{}), NewParser(), Request{URL: srv.URL}, testNow)
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Feed.Items[0].Title; !strings.Contains(got, "حلب") {
				t.Errorf("got title %q, want it to contain حلب", got)
			}
		})
	}
}

func TestFetchFileNeedsPermission(t *testing.T) {
	path := t.TempDir() + "/feed.xml"
	if err := writeFile(path, testFeed); err != nil {
		t.Fatal(err)
	}
	f := testFetcher(FetcherOptions{})
	u := (&url.URL{Scheme: "file", Path: path}).String()
	if _, err := f.Fetch(context.Background(), Request{URL: u}); err == nil {
		t.Fatal("file:// fetched without AllowFile")
	} else {
		wantKind(t, err, Blocked)
	}
	res, err := f.Fetch(context.Background(), Request{URL: u, AllowFile: true})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Body) != testFeed || res.LastModified == "" {
		t.Errorf("got %d bytes, Last-Modified %q; want the file and its mtime", len(res.Body), res.LastModified)
	}
	again, err := f.Fetch(context.Background(), Request{URL: u, AllowFile: true, BodyHash: res.BodyHash})
	if err != nil || !again.NotModified {
		t.Errorf("unchanged file: got NotModified=%v err %v, want NotModified", again != nil && again.NotModified, err)
	}
}

func TestFetchHostConcurrencyLimit(t *testing.T) {
	var inFlight, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		serveFeed(w, testFeed)
	}))
	defer srv.Close()
	f := testFetcher(FetcherOptions{HostConcurrency: 2})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := f.Fetch(context.Background(), Request{URL: srv.URL}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := peak.Load(); got > 2 {
		t.Errorf("peak concurrent requests to one host: got %d, want at most 2", got)
	}
}

func TestFetchHostGapIsKeptAndWaitsAreCancelable(t *testing.T) {
	var mu sync.Mutex
	var starts []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		serveFeed(w, testFeed)
	}))
	defer srv.Close()
	const gap = 30 * time.Millisecond
	f := testFetcher(FetcherOptions{HostGap: gap})
	t0 := time.Now()
	for range 3 {
		if _, err := f.Fetch(context.Background(), Request{URL: srv.URL}); err != nil {
			t.Fatal(err)
		}
	}
	// Request i may not start before i gaps have passed (a lower bound:
	// timers never fire early, whatever the machine's load).
	for i, start := range starts {
		if d := start.Sub(t0); d < time.Duration(i)*gap {
			t.Errorf("request %d started %v after the first was asked for, want at least %v", i, d, time.Duration(i)*gap)
		}
	}
	// A long gap is still pending: a canceled context must end the wait.
	slow := testFetcher(FetcherOptions{HostGap: time.Hour})
	if _, err := slow.Fetch(context.Background(), Request{URL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := slow.Fetch(ctx, Request{URL: srv.URL})
	wantKind(t, err, Canceled)
}

// TestFetchPermanentRedirectOffTheSiteKeepsAFeedWithHeadersWhereItIs: a
// feed's own headers (an API key, a token) are not sent to another site
// on a redirect; a permanent one to another site must not become the URL
// polled from then on (MovedTo), else every later poll sends them there
// directly. The redirect is followed each poll instead. Within the site,
// or for a feed without headers, a permanent move is taken as before.
func TestFetchPermanentRedirectOffTheSiteKeepsAFeedWithHeadersWhereItIs(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if to := r.URL.Query().Get("to"); to != "" {
			http.Redirect(w, r, "http://"+to+"/feed", http.StatusMovedPermanently)
			return
		}
		serveFeed(w, testFeed)
	}))
	defer srv.Close()
	dns := map[string]string{"news.example": "203.0.113.7", "cdn.news.example": "203.0.113.8", "other.example": "198.51.100.9"}
	key := map[string]string{"X-Api-Key": "k1"}
	tests := []struct {
		name, to    string
		headers     map[string]string
		wantMovedTo string
	}{
		{"another site, with headers", "other.example", key, ""},
		{"a subdomain, with headers", "cdn.news.example", key, "http://cdn.news.example/feed"},
		{"another site, no headers", "other.example", nil, "http://other.example/feed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := guardedTestFetcher(FetcherOptions{})
			fakePublicNet(f, srv, dns)
			res, err := f.Fetch(context.Background(), Request{URL: "http://news.example/start?to=" + tc.to, Headers: tc.headers})
			if err != nil {
				t.Fatal(err)
			}
			if res.MovedTo != tc.wantMovedTo {
				t.Errorf("got MovedTo %q, want %q", res.MovedTo, tc.wantMovedTo)
			}
		})
	}
}

// TestFetchRedirectKeepsURLCredentialsOnItsHost: a feed whose URL carries
// a user and password (https://user:pass@host/feed) that its server moves
// by an absolute Location on the same host, as most servers write it, is
// still fetched with them, and MovedTo, the URL polled from then on, keeps
// them: net/http sends them only to the URL that names them, so the feed
// failed with 401 after the move. Another host or port, or plain http after
// https, never gets them.
func TestFetchRedirectKeepsURLCredentialsOnItsHost(t *testing.T) {
	var mu sync.Mutex
	gotAuth := map[string]string{} // host and path -> "user:password" it received
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		mu.Lock()
		if ok {
			gotAuth[r.Host+r.URL.Path] = user + ":" + pass
		}
		mu.Unlock()
		if to := r.URL.Query().Get("to"); to != "" {
			http.Redirect(w, r, to, http.StatusMovedPermanently)
			return
		}
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		serveFeed(w, testFeed)
	}))
	defer srv.Close()
	dns := map[string]string{"news.example": "203.0.113.7", "other.example": "198.51.100.9"}
	tests := []struct {
		name, to    string
		wantAuth    string // at the redirect target
		wantMovedTo string // "" when the fetch fails with 401
	}{
		{"absolute on the same host", "http://news.example/feed", "alice:s3cret", "http://alice:s3cret@news.example/feed"},
		{"relative", "/feed", "alice:s3cret", "http://alice:s3cret@news.example/feed"},
		{"another host does not get them", "http://other.example/feed", "", ""},
		{"another port of the host does not get them", "http://news.example:8080/feed", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			clear(gotAuth)
			mu.Unlock()
			f := guardedTestFetcher(FetcherOptions{})
			fakePublicNet(f, srv, dns)
			res, err := f.Fetch(context.Background(), Request{URL: "http://alice:s3cret@news.example/start?to=" + url.QueryEscape(tc.to)})
			mu.Lock()
			defer mu.Unlock()
			target, _ := url.Parse(tc.to)
			if got := gotAuth[cmp.Or(target.Host, "news.example")+"/feed"]; got != tc.wantAuth {
				t.Errorf("redirect target got credentials %q, want %q", got, tc.wantAuth)
			}
			if tc.wantMovedTo == "" {
				wantKind(t, err, HTTPStatus)
				return
			}
			if err != nil {
				t.Fatalf("got %v, want the feed", err)
			}
			if res.MovedTo != tc.wantMovedTo {
				t.Errorf("got MovedTo %q, want %q", res.MovedTo, tc.wantMovedTo)
			}
		})
	}
}

// TestFetch304ToAnUnconditionalRequestFails: a 304 answers a conditional
// request; to one that sent no validator (a first poll, a feed whose
// server never gave any) it says nothing about the feed, and taking it as
// "not modified" left a feed behind such a server (a broken cache) healthy
// for ever without a single item read. It fails, saying why.
func TestFetch304ToAnUnconditionalRequestFails(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotModified)
	}))
	defer srv.Close()
	tests := []struct {
		name    string
		r       Request
		wantErr string // "" when it is NotModified
	}{
		{"no validator", Request{URL: srv.URL}, "HTTP 304 Not Modified: the request had no If-None-Match or If-Modified-Since to answer"},
		{"only the last body's hash", Request{URL: srv.URL, BodyHash: "abc"}, "HTTP 304 Not Modified: the request had no If-None-Match or If-Modified-Since to answer"},
		{"an ETag", Request{URL: srv.URL, ETag: `"v1"`}, ""},
		{"a Last-Modified", Request{URL: srv.URL, LastModified: "Mon, 19 Sep 2016 10:00:00 GMT"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := testFetcher(FetcherOptions{}).Fetch(context.Background(), tc.r)
			if tc.wantErr == "" {
				if err != nil || !res.NotModified {
					t.Fatalf("got %+v, %v; want NotModified", res, err)
				}
				return
			}
			if fe := wantKind(t, err, HTTPStatus); fe.Status != http.StatusNotModified || fe.Error() != tc.wantErr {
				t.Errorf("got status %d error %q, want %d %q", fe.Status, fe.Error(), http.StatusNotModified, tc.wantErr)
			}
		})
	}
}
