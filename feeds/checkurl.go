package feeds

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// CheckFeedURL says whether raw may be added as a feed from an untrusted
// list (an OPML import, a slash command) without fetching it: http and
// https only (file: only when allowFile), a host, and, unless allowPrivate,
// no loopback, private or link-local address written in the URL itself
// ("localhost" counts as loopback). Host names are not resolved here; the
// Fetcher's guard checks every address it dials. Errors are *Error of kind
// Blocked, worded for the person importing.
func CheckFeedURL(raw string, allowPrivate, allowFile bool) error {
	fail := func(format string, args ...any) error {
		return &Error{URL: raw, Kind: Blocked, Err: fmt.Errorf(format, args...)}
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return fail("invalid URL %q", raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	case "file":
		if allowFile {
			return nil
		}
		return fail("%q: file: URLs are allowed only for feeds in the config file", raw)
	case "":
		return fail("%q has no scheme (want http:// or https://)", raw)
	default:
		return fail("%q: unsupported URL scheme %q (want http or https)", raw, u.Scheme)
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return fail("%q has no host", raw)
	}
	if allowPrivate {
		return nil
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return fail("%q: %s is a loopback name (set allow_private_networks: true to permit)", raw, host)
	}
	if ip, err := netip.ParseAddr(host); err == nil && !IsPublicAddr(ip) {
		return fail("%q: %s is a %s address (set allow_private_networks: true to permit)", raw, host, addrClass(ip))
	}
	return nil
}
