package feeds

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// TestAdviceFitsTheCause fetches feeds that fail for causes a user must
// tell apart: the advice after the cause says what helps with that one,
// not with another that looks alike (a name the DNS server failed to look
// up is not a wrong name; a refused proxy is not a wrong URL).
func TestAdviceFitsTheCause(t *testing.T) {
	tlsSite := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsSite.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake we fail
	tlsSite.StartTLS()
	defer tlsSite.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL, _ := url.Parse(closed.URL)
	closed.Close() // nothing listens there now
	lookup := func(dnsErr *net.DNSError) func(context.Context, string) ([]net.IPAddr, error) {
		return func(ctx context.Context, host string) ([]net.IPAddr, error) { return nil, dnsErr }
	}
	tests := []struct {
		name      string
		url       string
		opts      FetcherOptions
		dns       *net.DNSError // the fetcher's resolver fails so
		want, not string
	}{
		{"no such host", "https://no-such-host.example/rss", FetcherOptions{},
			&net.DNSError{Err: "no such host", Name: "no-such-host.example", IsNotFound: true},
			"check the host name", ""},
		{"the DNS server failed", "https://news.example/rss", FetcherOptions{},
			&net.DNSError{Err: "server misbehaving", Name: "news.example", IsTemporary: true},
			"try again later", "check the host name"},
		{"the DNS server failed, with a proxy", "https://news.example/rss", FetcherOptions{Proxy: http.ProxyURL(closedURL)},
			&net.DNSError{Err: "server misbehaving", Name: "news.example", IsTemporary: true},
			"proxy_resolves_names", "try again later"},
		{"a certificate not trusted", tlsSite.URL + "/rss", FetcherOptions{AllowPrivate: true}, nil,
			"certificate", "try again later"},
		{"the proxy refuses connections", "http://news.example/rss",
			FetcherOptions{Proxy: http.ProxyURL(closedURL)}, nil,
			"proxy", "check the URL"},
		{"the proxy refuses connections, private networks allowed", "http://news.example/rss",
			FetcherOptions{AllowPrivate: true, Proxy: http.ProxyURL(closedURL)}, nil,
			"proxy", "check the URL"},
		{"the SOCKS5 proxy refuses connections", "http://news.example/rss",
			FetcherOptions{Proxy: http.ProxyURL(&url.URL{Scheme: "socks5", Host: closedURL.Host})}, nil,
			"proxy", "check the URL"},
		{"the SOCKS5 proxy refuses connections, private networks allowed", "http://news.example/rss",
			FetcherOptions{AllowPrivate: true, Proxy: http.ProxyURL(&url.URL{Scheme: "socks5", Host: closedURL.Host})}, nil,
			"proxy", "check the URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFetcher(tt.opts)
			f.dialer.lookupIP = func(ctx context.Context, host string) ([]net.IPAddr, error) {
				return []net.IPAddr{{IP: net.ParseIP("203.0.113.7")}}, nil
			}
			if tt.dns != nil {
				f.dialer.lookupIP = lookup(tt.dns)
			}
			_, err := f.Fetch(context.Background(), Request{URL: tt.url})
			if err == nil {
				t.Fatal("Fetch succeeded, want an error")
			}
			got := Advice(err)
			if !strings.Contains(got, tt.want) || tt.not != "" && strings.Contains(got, tt.not) {
				t.Errorf("error %q: advice %q, want one with %q and without %q", err, got, tt.want, tt.not)
			}
		})
	}
}

// TestAdviceForALocalFile: a file:// feed that cannot be read has a path,
// not a URL or a site, to check: trying again later does not help.
func TestAdviceForALocalFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, path, want string }{
		{"missing", filepath.Join(dir, "missing.xml"), "check the file's path"},
		{"a directory", dir, "check the file's path, and that newshound may read it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(tt.path)}).String()
			_, err := NewFetcher(FetcherOptions{}).Fetch(context.Background(), Request{URL: u, AllowFile: true})
			if err == nil {
				t.Fatal("Fetch succeeded, want an error")
			}
			if got := Advice(err); got != tt.want {
				t.Errorf("error %q: advice %q, want %q", err, got, tt.want)
			}
		})
	}
}
