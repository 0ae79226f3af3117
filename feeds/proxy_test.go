package feeds

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// testProxy is a forward proxy on loopback that resolves names with the
// same fake DNS as the fetcher, as a real proxy would with the real DNS, and
// records every address it connected to (or would have) that the guard
// forbids. Whatever public address it is asked for, it reaches origin.
type testProxy struct {
	*httptest.Server
	lookup func(ctx context.Context, host string) ([]net.IPAddr, error)
	origin string // host:port of the server playing every public host

	requests atomic.Int32
	mu       sync.Mutex
	connects []string // CONNECT targets as asked
	targets  []string // every target as asked: CONNECT host:port, or the URL's host
	auth     []string // Proxy-Authorization headers seen
	reached  []string // forbidden addresses the proxy reached
}

func newTestProxy(t *testing.T, lookup func(ctx context.Context, host string) ([]net.IPAddr, error), origin string) *testProxy {
	t.Helper()
	p := &testProxy{lookup: lookup, origin: origin}
	p.Server = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.Close)
	return p
}

func (p *testProxy) url() *url.URL {
	u, _ := url.Parse(p.URL)
	return u
}

// resolve is the proxy's own name resolution; false when the address it
// gets is one the fetcher's guard forbids.
func (p *testProxy) resolve(ctx context.Context, hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		addrs, err := p.lookup(ctx, host)
		if err != nil || len(addrs) == 0 {
			return false
		}
		ip, _ = netip.AddrFromSlice(addrs[0].IP)
		ip = ip.Unmap()
	}
	if !IsPublicAddr(ip) {
		p.mu.Lock()
		p.reached = append(p.reached, hostport+" -> "+ip.String())
		p.mu.Unlock()
		return false
	}
	return true
}

func (p *testProxy) serve(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	p.mu.Lock()
	p.auth = append(p.auth, r.Header.Get("Proxy-Authorization"))
	if r.Method == http.MethodConnect {
		p.connects = append(p.connects, r.Host)
	}
	p.mu.Unlock()
	target := r.Host
	if r.Method != http.MethodConnect {
		target = r.URL.Host
	}
	p.mu.Lock()
	p.targets = append(p.targets, target)
	p.mu.Unlock()
	if !p.resolve(r.Context(), target) {
		http.Error(w, "test proxy: forbidden address", http.StatusBadGateway)
		return
	}
	if r.Method != http.MethodConnect {
		rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: p.origin})
		rp.ServeHTTP(w, r)
		return
	}
	up, err := net.Dial("tcp", p.origin)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		up.Close()
		return
	}
	io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
	go func() {
		io.Copy(up, brw)
		up.(*net.TCPConn).CloseWrite()
	}()
	io.Copy(conn, up)
	conn.Close()
	up.Close()
}

// rebindingDNS answers public the first time a name is looked up and
// loopback ever after: a check that resolves, followed by a connection that
// resolves again, is fooled.
func rebindingDNS() (lookup func(ctx context.Context, host string) ([]net.IPAddr, error), lookups *atomic.Int32) {
	lookups = new(atomic.Int32)
	return func(ctx context.Context, host string) ([]net.IPAddr, error) {
		if lookups.Add(1) == 1 {
			return []net.IPAddr{{IP: net.ParseIP("203.0.113.7")}}, nil
		}
		return []net.IPAddr{{IP: net.ParseIP("127.0.0.1")}}, nil
	}, lookups
}

// hostNotingOrigin starts a server of testFeed over scheme (http, or
// https with httptest's certificate), which notes in hosts the Host of
// each request. The caller closes it.
func hostNotingOrigin(scheme string) (origin *httptest.Server, hosts *sync.Map) {
	hosts = new(sync.Map)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hosts.Store(r.Host, true)
		serveFeed(w, testFeed)
	})
	if scheme == "https" {
		return httptest.NewTLSServer(h), hosts
	}
	return httptest.NewServer(h), hosts
}

func TestFetchThroughProxyDefeatsDNSRebinding(t *testing.T) {
	for _, scheme := range []string{"http", "https"} {
		t.Run(scheme, func(t *testing.T) {
			origin, hosts := hostNotingOrigin(scheme)
			defer origin.Close()
			lookup, lookups := rebindingDNS()
			proxy := newTestProxy(t, lookup, origin.Listener.Addr().String())
			pu := proxy.url()
			pu.User = url.UserPassword("bot", "s3cret")

			f := guardedTestFetcher(FetcherOptions{Proxy: http.ProxyURL(pu)})
			f.dialer.lookupIP = lookup
			if scheme == "https" {
				// httptest's certificate names example.com.
				f.transport.TLSClientConfig = origin.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
			}
			_, err := f.Fetch(context.Background(), Request{URL: scheme + "://example.com/feed"})
			proxy.mu.Lock()
			defer proxy.mu.Unlock()
			if len(proxy.reached) > 0 {
				t.Fatalf("the proxy resolved the name again and reached %v", proxy.reached)
			}
			if err != nil {
				t.Fatalf("got %v, want success", err)
			}
			port := map[string]string{"http": "80", "https": "443"}[scheme]
			if want := []string{"203.0.113.7:" + port}; len(proxy.connects) != 1 || proxy.connects[0] != want[0] {
				t.Errorf("proxy was asked to CONNECT %v, want %v (the checked address)", proxy.connects, want)
			}
			if want := "Basic Ym90OnMzY3JldA=="; proxy.auth[0] != want {
				t.Errorf("Proxy-Authorization %q, want %q", proxy.auth[0], want)
			}
			if _, ok := hosts.Load("example.com"); !ok {
				t.Errorf("origin did not see Host example.com")
			}
			if n := lookups.Load(); n != 1 {
				t.Errorf("%d lookups, want 1", n)
			}
		})
	}
}

func TestFetchThroughProxyChecksTarget(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host == "news.example" && r.URL.Path == "/to-metadata" {
			http.Redirect(w, r, "http://metadata.example/latest/", http.StatusFound)
			return
		}
		serveFeed(w, testFeed)
	}))
	defer origin.Close()
	dns := map[string]string{"news.example": "203.0.113.7", "metadata.example": "169.254.169.254"}
	lookup := func(ctx context.Context, host string) ([]net.IPAddr, error) {
		ip, ok := dns[host]
		if !ok {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		return []net.IPAddr{{IP: net.ParseIP(ip)}}, nil
	}
	tests := []struct {
		name     string
		url      string
		wantKind ErrorKind
		wantHits int32
	}{
		{"public target through a loopback proxy", "http://news.example/feed", 0, 1},
		{"private target refused before the proxy", "http://metadata.example/latest/", Blocked, 0},
		{"private literal refused before the proxy", "http://[::a9fe:a9fe]/latest/", Blocked, 0},
		{"redirect to a private target refused", "http://news.example/to-metadata", Blocked, 1},
	}
	for _, resolves := range []bool{false, true} {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s/proxy_resolves_names=%v", tc.name, resolves), func(t *testing.T) {
				proxy := newTestProxy(t, lookup, origin.Listener.Addr().String())
				f := guardedTestFetcher(FetcherOptions{Proxy: http.ProxyURL(proxy.url()), ProxyResolvesNames: resolves})
				f.dialer.lookupIP = lookup
				_, err := f.Fetch(context.Background(), Request{URL: tc.url})
				if tc.wantKind == 0 && err != nil {
					t.Fatalf("got %v, want success", err)
				}
				if tc.wantKind != 0 {
					wantKind(t, err, tc.wantKind)
				}
				if got := proxy.requests.Load(); got != tc.wantHits {
					t.Errorf("proxy saw %d requests, want %d", got, tc.wantHits)
				}
				if len(proxy.reached) > 0 {
					t.Errorf("the proxy reached %v", proxy.reached)
				}
			})
		}
	}
}

// failingDNS is a host with no outside DNS: every local lookup fails.
func failingDNS(lookups *atomic.Int32) func(ctx context.Context, host string) ([]net.IPAddr, error) {
	return func(ctx context.Context, host string) ([]net.IPAddr, error) {
		lookups.Add(1)
		return nil, &net.DNSError{Err: "server misbehaving", Name: host, IsTemporary: true}
	}
}

// With proxy_resolves_names a host whose names resolve only at the proxy
// fetches through it, and the proxy is given the host name (for a proxy
// that allows by domain), over plain HTTP and CONNECT alike.
func TestFetchThroughProxyResolvingNames(t *testing.T) {
	for _, scheme := range []string{"http", "https"} {
		t.Run(scheme, func(t *testing.T) {
			origin, hosts := hostNotingOrigin(scheme)
			defer origin.Close()
			proxyDNS := func(ctx context.Context, host string) ([]net.IPAddr, error) {
				return []net.IPAddr{{IP: net.ParseIP("203.0.113.7")}}, nil
			}
			proxy := newTestProxy(t, proxyDNS, origin.Listener.Addr().String())
			var lookups atomic.Int32
			f := guardedTestFetcher(FetcherOptions{Proxy: http.ProxyURL(proxy.url()), ProxyResolvesNames: true})
			f.dialer.lookupIP = failingDNS(&lookups)
			if scheme == "https" {
				f.transport.TLSClientConfig = origin.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
			}
			if _, err := f.Fetch(context.Background(), Request{URL: scheme + "://example.com/feed"}); err != nil {
				t.Fatalf("got %v, want success", err)
			}
			proxy.mu.Lock()
			defer proxy.mu.Unlock()
			want := map[string]string{"http": "example.com", "https": "example.com:443"}[scheme]
			if len(proxy.targets) != 1 || proxy.targets[0] != want {
				t.Errorf("proxy was asked for %v, want [%s] (the host name)", proxy.targets, want)
			}
			if _, ok := hosts.Load("example.com"); !ok {
				t.Errorf("origin did not see Host example.com")
			}
			if lookups.Load() == 0 {
				t.Errorf("the name was not looked up locally before the request")
			}
		})
	}
}

// In the default mode, local DNS failing through a proxy says what to do.
func TestFetchThroughProxyDNSErrorNamesTheKey(t *testing.T) {
	proxy := newTestProxy(t, func(ctx context.Context, host string) ([]net.IPAddr, error) {
		return []net.IPAddr{{IP: net.ParseIP("203.0.113.7")}}, nil
	}, "127.0.0.1:1")
	var lookups atomic.Int32
	f := guardedTestFetcher(FetcherOptions{Proxy: http.ProxyURL(proxy.url())})
	f.dialer.lookupIP = failingDNS(&lookups)
	_, err := f.Fetch(context.Background(), Request{URL: "https://example.com/feed"})
	e := wantKind(t, err, Network)
	if !strings.Contains(e.Error(), "proxy_resolves_names: true") {
		t.Errorf("error %q does not mention proxy_resolves_names", e)
	}
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) {
		t.Errorf("error %v no longer wraps the *net.DNSError", err)
	}
	if got := proxy.requests.Load(); got != 0 {
		t.Errorf("proxy saw %d requests, want 0", got)
	}
}

// With allow_private_networks the proxy is used as net/http uses it: the
// request goes to it by name, and private targets are fine.
func TestFetchThroughProxyAllowPrivate(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serveFeed(w, testFeed) }))
	defer origin.Close()
	var asked atomic.Value
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Store(r.Method + " " + r.URL.String())
		httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: origin.Listener.Addr().String()}).ServeHTTP(w, r)
	}))
	defer proxy.Close()
	pu, _ := url.Parse(proxy.URL)
	f := testFetcher(FetcherOptions{Proxy: http.ProxyURL(pu)})
	if _, err := f.Fetch(context.Background(), Request{URL: "http://intranet.example/feed"}); err != nil {
		t.Fatalf("got %v, want success", err)
	}
	if got, want := asked.Load(), "GET http://intranet.example/feed"; got != want {
		t.Errorf("proxy was asked %v, want %q", got, want)
	}
}

// A proxy URL's user info is its credential (http://TOKEN@proxy:3128, an
// API key as the user name, is how some proxy services take it); an error
// naming the proxy, which the poller logs and status shows, hides it as
// internal/redact hides any URL's: url.URL.Redacted showed a user name
// given without a password.
func TestProxyErrorHidesItsCredentials(t *testing.T) {
	const secret = "s3cr3t-PROXY-key"
	tests := []struct {
		name string
		user *url.Userinfo
		want string // the proxy as the error shows it, but for its host
	}{
		{"user name alone", url.User(secret), "http://xxxxx@"},
		{"user name with an empty password", url.UserPassword(secret, ""), "http://xxxxx@"},
		{"user and password", url.UserPassword("alice", secret), "http://alice:xxxxx@"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proxy := newTestProxy(t, func(ctx context.Context, host string) ([]net.IPAddr, error) {
				return []net.IPAddr{{IP: net.ParseIP("203.0.113.7")}}, nil
			}, "127.0.0.1:1")
			pu := proxy.url()
			pu.User = tt.user
			var lookups atomic.Int32
			f := guardedTestFetcher(FetcherOptions{Proxy: http.ProxyURL(pu)})
			f.dialer.lookupIP = failingDNS(&lookups)
			_, err := f.Fetch(context.Background(), Request{URL: "https://example.com/feed"})
			if err == nil {
				t.Fatal("Fetch succeeded, want a DNS error naming the proxy")
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q shows the proxy's credential", err)
			}
			if want := tt.want + pu.Host; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q, want it to name the proxy as %q", err, want)
			}
		})
	}
}
