package feeds

import (
	"net/netip"
	"testing"
)

func TestIsPublicAddr(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"93.184.216.34", true},
		{"8.8.8.8", true},
		{"2606:4700:4700::1111", true},
		{"127.0.0.1", false},
		{"127.8.9.10", false},
		{"10.0.0.1", false},
		{"172.16.5.4", false},
		{"172.32.0.1", true},
		{"192.168.1.1", false},
		{"169.254.169.254", false},
		{"100.64.0.1", false},
		{"100.127.255.254", false},
		{"100.128.0.1", true},
		{"0.0.0.0", false},
		{"224.0.0.251", false},
		{"255.255.255.255", false},
		{"::", false},
		{"::1", false},
		{"fe80::1", false},
		{"fc00::1", false},
		{"fd00:ec2::254", false},
		{"ff02::1", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:93.184.216.34", true},
		{"64:ff9b::a00:1", false},    // NAT64 of 10.0.0.1
		{"64:ff9b::5db8:d822", true}, // NAT64 of 93.184.216.34
		{"2002:c0a8:101::1", false},  // 6to4 of 192.168.1.1
		{"2002:5db8:d822::1", true},  // 6to4 of 93.184.216.34
		// A zone must not hide the address from the prefixes.
		{"::1%lo", false},
		{"fe80::1%eth0", false},
		{"fd00:ec2::254%eth0", false},
		{"::ffff:10.0.0.1%eth0", false},
		{"2606:4700:4700::1111%eth0", true},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			if got := IsPublicAddr(netip.MustParseAddr(tc.addr)); got != tc.want {
				t.Errorf("IsPublicAddr(%s) = %v, want %v", tc.addr, got, tc.want)
			}
		})
	}
}

// TestIsPublicAddrIPv4InIPv6 covers every IPv6 form that carries an IPv4
// address: each must be judged by (or refused for) the address it carries.
func TestIsPublicAddrIPv4InIPv6(t *testing.T) {
	tests := []struct {
		form, addr string
		want       bool
	}{
		// IPv4-compatible ::/96 (deprecated, RFC 4291): refused whole.
		{"IPv4-compatible loopback", "::127.0.0.1", false},
		{"IPv4-compatible loopback hex", "::7f00:1", false},
		{"IPv4-compatible metadata", "::a9fe:a9fe", false},
		{"IPv4-compatible private", "::10.0.0.1", false},
		{"IPv4-compatible public", "::93.184.216.34", false},
		// IPv4-mapped ::ffff:0:0/96: judged by the IPv4 address.
		{"IPv4-mapped loopback", "::ffff:127.0.0.1", false},
		{"IPv4-mapped loopback hex", "::ffff:7f00:1", false},
		{"IPv4-mapped metadata", "::ffff:169.254.169.254", false},
		{"IPv4-mapped public", "::ffff:93.184.216.34", true},
		// IPv4-translated ::ffff:0:0:0/96 (SIIT, RFC 2765): refused whole.
		{"IPv4-translated loopback", "::ffff:0:7f00:1", false},
		{"IPv4-translated public", "::ffff:0:5db8:d822", false},
		// NAT64 64:ff9b::/96: judged by the IPv4 address.
		{"NAT64 loopback", "64:ff9b::127.0.0.1", false},
		{"NAT64 metadata", "64:ff9b::a9fe:a9fe", false},
		{"NAT64 public", "64:ff9b::93.184.216.34", true},
		// Local-use NAT64 64:ff9b:1::/48: refused whole.
		{"local NAT64 public", "64:ff9b:1::5db8:d822", false},
		// 6to4 2002::/16: judged by the IPv4 address.
		{"6to4 loopback", "2002:7f00:1::", false},
		{"6to4 metadata", "2002:a9fe:a9fe::1", false},
		{"6to4 public", "2002:5db8:d822::1", true},
		// Teredo 2001::/32 carries an obfuscated client address: refused whole.
		{"Teredo loopback client", "2001:0:4136:e378:8000:63bf:80ff:fffe", false},
		{"Teredo public client", "2001:0:4136:e378:8000:63bf:a247:29dd", false},
		// Neighbours that carry no IPv4 address stay public.
		{"2001:4860:: (not Teredo)", "2001:4860:4860::8888", true},
		{"::1:0:0:1 (outside ::/96)", "::1:0:0:1", true},
	}
	for _, tc := range tests {
		t.Run(tc.form, func(t *testing.T) {
			if got := IsPublicAddr(netip.MustParseAddr(tc.addr)); got != tc.want {
				t.Errorf("IsPublicAddr(%s) = %v, want %v", tc.addr, got, tc.want)
			}
		})
	}
}

func TestAddrClassNamesTheReason(t *testing.T) {
	tests := map[string]string{
		"127.0.0.1":       "loopback",
		"10.1.2.3":        "private",
		"169.254.169.254": "cloud metadata",
		"169.254.1.1":     "link-local",
		"100.64.0.1":      "carrier-grade NAT",
		"239.1.1.1":       "multicast",
		"0.0.0.0":         "unspecified",
		"fd00::1":         "private",
		"::1%lo":          "loopback",
		"fe80::1%eth0":    "link-local",
	}
	for addr, want := range tests {
		if got := addrClass(netip.MustParseAddr(addr)); got != want {
			t.Errorf("addrClass(%s) = %q, want %q", addr, got, want)
		}
	}
}
