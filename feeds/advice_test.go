package feeds

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
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

// TestAdviceForAFailedTLSHandshake: an https:// URL whose handshake fails
// for another cause than the certificate got "check the URL, or try again
// later", which does not help when the port speaks plain HTTP (the https
// port, or http://, does) or when the site offers only an outdated TLS
// (the site must fix it); a connection closed without an answer says to
// check the scheme and port too.
func TestAdviceForAFailedTLSHandshake(t *testing.T) {
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	outdated := func(cfg *tls.Config) string {
		srv := httptest.NewUnstartedServer(http.NotFoundHandler())
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes we fail
		srv.TLS = cfg
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return srv.URL
	}
	tests := []struct{ name, url, want string }{
		{"plain HTTP on that port", strings.Replace(plain.URL, "http:", "https:", 1),
			"give the URL with http://, or with the port that serves HTTPS"},
		{"another protocol on that port", rawTLSPeer(t, func(c net.Conn) {
			c.Write([]byte("220 mail.example ESMTP\r\n"))
			readClientHello(c)
		}), "give the URL with http://, or with the port that serves HTTPS"},
		{"TLS 1.1 at most (the site's alert)", outdated(&tls.Config{MaxVersion: tls.VersionTLS11}),
			"the site's HTTPS is outdated"},
		{"no cipher in common (the site's alert)", outdated(&tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_RSA_WITH_RC4_128_SHA}}),
			"the site's HTTPS is outdated"},
		{"TLS 1.0 chosen by the site", rawTLSPeer(t, func(c net.Conn) {
			readClientHello(c)
			c.Write(serverHello(tls.VersionTLS10))
			io.Copy(io.Discard, c)
		}), "the site's HTTPS is outdated"},
		{"closed during the handshake", rawTLSPeer(t, readClientHello),
			"closed the connection without answering"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewFetcher(FetcherOptions{AllowPrivate: true}).Fetch(context.Background(), Request{URL: tt.url + "/rss"})
			if err == nil {
				t.Fatal("Fetch succeeded, want an error")
			}
			if got := Advice(err); !strings.Contains(got, tt.want) {
				t.Errorf("error %q: advice %q, want one with %q", err, got, tt.want)
			}
		})
	}
}

// rawTLSPeer serves each connection to a loopback port by serve, and
// returns an https:// URL of it.
func rawTLSPeer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var served sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		served.Wait()
	})
	served.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			serve(c)
			c.Close()
		}
	})
	return "https://" + ln.Addr().String()
}

// readClientHello reads the client's first TLS record.
func readClientHello(c net.Conn) {
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(c, hdr); err != nil {
		return
	}
	io.CopyN(io.Discard, c, int64(hdr[3])<<8|int64(hdr[4]))
}

// serverHello is a TLS record holding a ServerHello that picks version,
// as a server that speaks nothing newer answers a client's hello.
func serverHello(version uint16) []byte {
	body := append([]byte{byte(version >> 8), byte(version)}, make([]byte, 32)...) // the random
	body = append(body, 0, 0x00, 0x2f, 0)                                          // no session id, TLS_RSA_WITH_AES_128_CBC_SHA, no compression
	msg := append([]byte{2, 0, byte(len(body) >> 8), byte(len(body))}, body...)
	return append([]byte{0x16, 0x03, 0x01, byte(len(msg) >> 8), byte(len(msg))}, msg...)
}

// TestAdviceForATLSFailureThatIsNoRefusal: Advice took every crypto/tls
// error for a site whose HTTPS is outdated, so a site with no
// certificate for the name asked (its alert "unrecognized name"), one
// that failed inside (its "internal error") and a connection whose record
// came corrupted in the middle of the body ("bad record MAC") were told
// the site must fix its TLS, which is not what is wrong.
func TestAdviceForATLSFailureThatIsNoRefusal(t *testing.T) {
	serveTLS := func(getCert func(*tls.ClientHelloInfo) (*tls.Certificate, error)) func(net.Conn) {
		return func(c net.Conn) { tls.Server(c, &tls.Config{GetCertificate: getCert}).Handshake() }
	}
	corrupted := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		io.WriteString(w, "<rss><channel>")
		w.(http.Flusher).Flush()
		c, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		// An application data record no key sealed.
		c.(*tls.Conn).NetConn().Write(append([]byte{0x17, 0x03, 0x03, 0, 32}, make([]byte, 32)...))
	}))
	defer corrupted.Close()
	tests := []struct {
		name, url, want string
		trusted         *httptest.Server
	}{
		{"no certificate for the name asked", rawTLSPeer(t, serveTLS(func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return nil, nil })),
			"check the host name in the URL", nil},
		{"the site failed in the handshake", rawTLSPeer(t, serveTLS(func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return nil, io.ErrUnexpectedEOF
		})), "try again later", nil},
		{"a record corrupted in the body", corrupted.URL, "try again later", corrupted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFetcher(FetcherOptions{AllowPrivate: true})
			if tt.trusted != nil {
				f.transport.TLSClientConfig = tt.trusted.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
			}
			_, err := f.Fetch(context.Background(), Request{URL: tt.url + "/rss"})
			if err == nil {
				t.Fatal("Fetch succeeded, want an error")
			}
			if got := Advice(err); !strings.Contains(got, tt.want) || strings.Contains(got, "outdated") {
				t.Errorf("error %q: advice %q, want one with %q, and no word of an outdated TLS", err, got, tt.want)
			}
		})
	}
}
