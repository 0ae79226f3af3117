package feeds

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/proxy"

	"github.com/newshound/newshound/internal/redact"
)

// blockedPrefixes are the networks a feed URL may not reach unless the
// operator allows private networks: a feed must not be able to make the bot
// read cloud metadata (169.254.169.254), an admin panel on localhost or a
// service on the office LAN.
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),         // "this" network, unspecified
	netip.MustParsePrefix("10.0.0.0/8"),        // private
	netip.MustParsePrefix("100.64.0.0/10"),     // CGNAT
	netip.MustParsePrefix("127.0.0.0/8"),       // loopback
	netip.MustParsePrefix("169.254.0.0/16"),    // link-local, cloud metadata
	netip.MustParsePrefix("172.16.0.0/12"),     // private
	netip.MustParsePrefix("192.0.0.0/24"),      // IETF protocol assignments
	netip.MustParsePrefix("192.168.0.0/16"),    // private
	netip.MustParsePrefix("198.18.0.0/15"),     // benchmarking
	netip.MustParsePrefix("224.0.0.0/4"),       // multicast
	netip.MustParsePrefix("240.0.0.0/4"),       // reserved, broadcast
	netip.MustParsePrefix("::/96"),             // unspecified, loopback, IPv4-compatible (deprecated): ::127.0.0.1
	netip.MustParsePrefix("::ffff:0:0:0/96"),   // IPv4-translated (SIIT, RFC 2765)
	netip.MustParsePrefix("64:ff9b:1::/48"),    // local-use NAT64
	netip.MustParsePrefix("fc00::/7"),          // unique local
	netip.MustParsePrefix("fe80::/10"),         // link-local
	netip.MustParsePrefix("fec0::/10"),         // site-local (deprecated)
	netip.MustParsePrefix("ff00::/8"),          // multicast
	netip.MustParsePrefix("2001::/32"),         // Teredo: an obfuscated IPv4 client behind a relay
	netip.MustParsePrefix("2001:db8::/32"),     // documentation
	netip.MustParsePrefix("100::/64"),          // discard-only
	netip.MustParsePrefix("fd00:ec2::254/128"), // AWS IPv6 metadata (inside fc00::/7; listed for the reader)
}

// Prefixes whose addresses embed an IPv4 address a gateway will reach.
var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour   = netip.MustParsePrefix("2002::/16")
)

// IsPublicAddr reports whether ip may be fetched without
// allow_private_networks. IPv4-mapped, NAT64 and 6to4 addresses are judged
// by the IPv4 address they carry; the other forms that carry one
// (IPv4-compatible ::/96, IPv4-translated ::ffff:0:0:0/96, local-use NAT64,
// Teredo) are refused whole. A zone ("fe80::1%eth0", "::1%lo") is
// ignored: netip.Prefix.Contains never matches a zoned address, so a zone
// would otherwise let a literal in the URL past every prefix below.
func IsPublicAddr(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	if !ip.IsValid() {
		return false
	}
	if b := ip.As16(); nat64Prefix.Contains(ip) {
		return IsPublicAddr(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	} else if sixToFour.Contains(ip) {
		return IsPublicAddr(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
	}
	for _, p := range blockedPrefixes {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// addrClass names why an address is refused, in words for the operator.
func addrClass(ip netip.Addr) string {
	ip = ip.Unmap().WithZone("")
	switch {
	case ip.IsLoopback():
		return "loopback"
	case ip.IsPrivate():
		return "private"
	case ip == netip.MustParseAddr("169.254.169.254"):
		return "cloud metadata"
	case ip.IsLinkLocalUnicast():
		return "link-local"
	case ip.IsMulticast():
		return "multicast"
	case ip.IsUnspecified():
		return "unspecified"
	case netip.MustParsePrefix("100.64.0.0/10").Contains(ip):
		return "carrier-grade NAT"
	}
	return "reserved"
}

// errBlocked is wrapped in the *Error of kind Blocked.
var errBlocked = errors.New("address not allowed")

// AddressRefused reports whether err is the guard's refusal of an
// address (a private, loopback or cloud-metadata one), which
// FetcherOptions.AllowPrivate lifts, not that of a URL's scheme.
func AddressRefused(err error) bool { return errors.Is(err, errBlocked) }

// guardedDialer resolves the host itself and dials only addresses that pass
// the guard, so the check applies to the address actually connected to —
// whatever DNS says at that moment (rebinding) and on every redirect hop.
type guardedDialer struct {
	dialer net.Dialer
	// connect dials a checked address; tests point it at a loopback server
	// to play a public host.
	connect      func(ctx context.Context, network, addr string) (net.Conn, error)
	lookupIP     func(ctx context.Context, host string) ([]net.IPAddr, error)
	allowPrivate bool
	// proxyResolves: a proxy gets the host name (proxy_resolves_names);
	// see checkHost.
	proxyResolves bool
}

type proxyKey struct{}

type proxiedKey struct{}

// withProxied marks a request context whose connection goes to the
// operator's proxy with the host name (proxy_resolves_names): that dial is
// not checked (the proxy is trusted configuration); the target host was
// checked before the request instead (checkHost).
func withProxied(ctx context.Context) context.Context {
	return context.WithValue(ctx, proxiedKey{}, true)
}

func isProxied(ctx context.Context) bool {
	v, _ := ctx.Value(proxiedKey{}).(bool)
	return v
}

// withProxy marks a request context whose connection goes through the
// operator's proxy at pu (Transport.Proxy is nil while the guard is on: the
// guarded dialer does the proxying itself, see tunnel).
func withProxy(ctx context.Context, pu *url.URL) context.Context {
	return context.WithValue(ctx, proxyKey{}, pu)
}

func proxyOf(ctx context.Context) *url.URL {
	pu, _ := ctx.Value(proxyKey{}).(*url.URL)
	return pu
}

func (d *guardedDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if d.allowPrivate || isProxied(ctx) {
		return d.dialer.DialContext(ctx, network, addr)
	}
	pu := proxyOf(ctx)
	ips, err := d.allowedAddrs(ctx, host)
	if err != nil {
		var dnsErr *net.DNSError
		if pu != nil && errors.As(err, &dnsErr) {
			return nil, &unresolvedHere{proxy: redact.Endpoint(pu.String()), err: err}
		}
		return nil, err
	}
	connect := d.connect
	if pu != nil {
		connect = func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.tunnel(ctx, pu, network, addr)
		}
	}
	var firstErr error
	for _, ip := range ips {
		conn, err := connect(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, firstErr
}

// tunnel has the proxy at pu connect to addr, an IP address that passed the
// guard, and returns the tunnel: HTTP CONNECT for an http or https proxy
// (for http:// feeds too), SOCKS5 for a socks5 one. The proxy is given the
// checked address, never the host name, so it has nothing to resolve: if it
// resolved the name itself, DNS could answer a private address the second
// time (rebinding). TLS to the feed's host runs over the tunnel with the
// host name as ServerName, and plain HTTP sends it as Host, as on a direct
// connection. The proxy itself is the operator's configuration and is
// dialed unchecked.
func (d *guardedDialer) tunnel(ctx context.Context, pu *url.URL, network, addr string) (net.Conn, error) {
	proxyAddr := pu.Host
	if pu.Port() == "" {
		proxyAddr = net.JoinHostPort(pu.Hostname(), map[string]string{"http": "80", "https": "443", "socks5": "1080", "socks5h": "1080"}[pu.Scheme])
	}
	switch pu.Scheme {
	case "socks5", "socks5h":
		var auth *proxy.Auth
		if pu.User != nil {
			pw, _ := pu.User.Password()
			auth = &proxy.Auth{User: pu.User.Username(), Password: pw}
		}
		s, err := proxy.SOCKS5("tcp", proxyAddr, auth, &d.dialer)
		if err != nil {
			return nil, err
		}
		return s.(proxy.ContextDialer).DialContext(ctx, network, addr)
	case "http", "https":
	default:
		return nil, proxyFailed(pu, fmt.Errorf("unsupported scheme %q", pu.Scheme))
	}
	raw, err := d.dialer.DialContext(ctx, "tcp", proxyAddr)
	if err != nil {
		return nil, proxyFailed(pu, err)
	}
	if d.dialer.Timeout > 0 {
		raw.SetDeadline(time.Now().Add(d.dialer.Timeout))
	}
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	conn, err := connectVia(raw, pu, addr)
	if !stop() && err == nil {
		conn.Close()
		err = ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	raw.SetDeadline(time.Time{})
	return conn, nil
}

// connectVia sends CONNECT addr to the proxy at the other end of conn
// (after TLS for an https proxy) and returns the established tunnel. conn is
// closed on failure.
func connectVia(conn net.Conn, pu *url.URL, addr string) (net.Conn, error) {
	if pu.Scheme == "https" {
		tc := tls.Client(conn, &tls.Config{ServerName: pu.Hostname()})
		if err := tc.Handshake(); err != nil {
			conn.Close()
			return nil, proxyFailed(pu, err)
		}
		conn = tc
	}
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: addr}, Host: addr, Header: http.Header{}}
	if pu.User != nil {
		pw, _ := pu.User.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(pu.User.Username()+":"+pw)))
	}
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, proxyFailed(pu, err)
	}
	br := bufio.NewReader(&io.LimitedReader{R: conn, N: maxProxyResponse})
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		conn.Close()
		return nil, proxyFailed(pu, err)
	}
	if resp.StatusCode/100 != 2 {
		conn.Close()
		hint := ""
		if resp.StatusCode == http.StatusForbidden {
			hint = " (a proxy that allows destinations by domain name needs proxy_resolves_names: true)"
		}
		return nil, &proxyError{msg: fmt.Sprintf("proxy %s refused CONNECT %s: %s%s", redact.Endpoint(pu.String()), addr, resp.Status, hint)}
	}
	if n := br.Buffered(); n > 0 { // the origin spoke first: keep what was read
		early, _ := br.Peek(n)
		return &bufferedConn{Conn: conn, r: io.MultiReader(bytes.NewReader(bytes.Clone(early)), conn)}, nil
	}
	return conn, nil
}

// proxyError is a failure of the proxy (reaching it, its TLS, its answer
// to CONNECT), not of the feed's site, which Advice tells apart.
type proxyError struct {
	msg string
	err error
}

func (e *proxyError) Error() string { return e.msg }
func (e *proxyError) Unwrap() error { return e.err }

// unresolvedHere is a feed's host name this machine could not resolve
// while a proxy is set: a wrong name, or a machine that reaches outside
// names only through the proxy.
type unresolvedHere struct {
	proxy string // as redact.Endpoint shows it
	err   error
}

func (e *unresolvedHere) Error() string {
	return fmt.Sprintf("%v (newshound resolves feed hosts itself and has proxy %s tunnel to the checked address; "+
		"if this machine reaches outside names only through the proxy, set proxy_resolves_names: true)", e.err, e.proxy)
}

func (e *unresolvedHere) Unwrap() error { return e.err }

// proxyFailed is err of the proxy at pu, named as a log line may show it.
func proxyFailed(pu *url.URL, err error) error {
	return &proxyError{msg: fmt.Sprintf("proxy %s: %v", redact.Endpoint(pu.String()), err), err: err}
}

// maxProxyResponse bounds the proxy's answer to CONNECT.
const maxProxyResponse = 64 << 10

type bufferedConn struct {
	net.Conn
	r io.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// allowedAddrs resolves host and keeps the public addresses. It fails with
// errBlocked when none is left, naming the refused address.
func (d *guardedDialer) allowedAddrs(ctx context.Context, host string) ([]netip.Addr, error) {
	var resolved []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		resolved = []netip.Addr{ip}
	} else {
		addrs, err := d.lookupIP(ctx, host)
		if err != nil {
			return nil, err
		}
		for _, a := range addrs {
			if ip, ok := netip.AddrFromSlice(a.IP); ok {
				resolved = append(resolved, ip.Unmap())
			}
		}
	}
	allowed := resolved[:0:0]
	for _, ip := range resolved {
		if IsPublicAddr(ip) {
			allowed = append(allowed, ip)
		}
	}
	if len(allowed) == 0 {
		if len(resolved) == 0 {
			return nil, fmt.Errorf("%s: no addresses", host)
		}
		what := resolved[0].String()
		if what != host {
			what = host + " resolves to " + what
		}
		return nil, fmt.Errorf("%w: %s, a %s address (set allow_private_networks: true to permit)",
			errBlocked, what, addrClass(resolved[0]))
	}
	return allowed, nil
}

// checkHost is the check made before a request that a proxy gets by host
// name (proxy_resolves_names): the proxy resolves the name itself, so what
// can be checked is the name as resolved here. A literal address must be
// public; a name must resolve to no address the guard refuses (the proxy
// may pick any of them). When the name does not resolve here (a host with
// no outside DNS) the proxy alone resolves it, unchecked. Either way the
// proxy's own answer is not seen: DNS rebinding through the proxy is
// possible in this mode.
func (d *guardedDialer) checkHost(ctx context.Context, hostport string) error {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if ip, err := netip.ParseAddr(host); err == nil {
		_, err := d.allowedAddrs(ctx, ip.String())
		return err
	}
	addrs, err := d.lookupIP(ctx, host)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return nil // the proxy resolves it
	}
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		if ip = ip.Unmap(); !IsPublicAddr(ip) {
			return fmt.Errorf("%w: %s resolves to %s, a %s address (set allow_private_networks: true to permit)",
				errBlocked, host, ip, addrClass(ip))
		}
	}
	return nil
}
