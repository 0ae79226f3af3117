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
