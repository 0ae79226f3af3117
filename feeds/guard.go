package feeds

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
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
	netip.MustParsePrefix("::/128"),            // unspecified
	netip.MustParsePrefix("::1/128"),           // loopback
	netip.MustParsePrefix("64:ff9b:1::/48"),    // local-use NAT64
	netip.MustParsePrefix("fc00::/7"),          // unique local
	netip.MustParsePrefix("fe80::/10"),         // link-local
	netip.MustParsePrefix("fec0::/10"),         // site-local (deprecated)
	netip.MustParsePrefix("ff00::/8"),          // multicast
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
// by the IPv4 address they carry. A zone ("fe80::1%eth0", "::1%lo") is
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
}

type proxiedKey struct{}

// withProxied marks a request context whose connection goes to the
// operator's proxy: that dial is not checked (the proxy is trusted
// configuration); the target host is checked before the request instead.
func withProxied(ctx context.Context) context.Context {
	return context.WithValue(ctx, proxiedKey{}, true)
}

func isProxied(ctx context.Context) bool {
	v, _ := ctx.Value(proxiedKey{}).(bool)
	return v
}

func (d *guardedDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if d.allowPrivate || isProxied(ctx) {
		return d.dialer.DialContext(ctx, network, addr)
	}
	ips, err := d.allowedAddrs(ctx, host)
	if err != nil {
		return nil, err
	}
	var firstErr error
	for _, ip := range ips {
		conn, err := d.connect(ctx, network, net.JoinHostPort(ip.String(), port))
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

// checkHost is the pre-request check used when a proxy does the dialing.
func (d *guardedDialer) checkHost(ctx context.Context, hostport string) error {
	if d.allowPrivate {
		return nil
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	_, err := d.allowedAddrs(ctx, host)
	return err
}
