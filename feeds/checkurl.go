package feeds

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// URLRefusal is why CheckFeedURL refused URL. Reason leaves the URL out,
// for a caller whose line names it already (feeds import's "left out").
type URLRefusal struct {
	URL    string
	Reason string
}

func (r *URLRefusal) Error() string { return fmt.Sprintf("%q: %s", r.URL, r.Reason) }

// byHand is what to do about a private address refused from an untrusted
// list: the list's checks do not read the config, so allowing such
// addresses there would not let it in.
const byHand = "add it to the config by hand, with allow_private_networks: true"

// CheckFeedURL says whether raw may be added as a feed from an untrusted
// list (an OPML import, a slash command) without fetching it: http and
// https only (file: only when allowFile), a host, and, unless allowPrivate,
// no loopback, private or link-local address written in the URL itself
// ("localhost" counts as loopback). Host names are not resolved here; the
// Fetcher's guard checks every address it dials. Errors are *Error of kind
// Blocked wrapping a *URLRefusal, worded for the person importing.
func CheckFeedURL(raw string, allowPrivate, allowFile bool) error {
	fail := func(format string, args ...any) error {
		return &Error{URL: raw, Kind: Blocked, Err: &URLRefusal{URL: raw, Reason: fmt.Sprintf(format, args...)}}
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL
		}
		return fail("is not a valid URL (%v)", err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	case "file":
		if allowFile {
			return nil
		}
		return fail("file: URLs are allowed only for feeds in the config file")
	case "":
		return fail("has no scheme (want http:// or https://)")
	default:
		return fail("unsupported URL scheme %q (want http or https)", u.Scheme)
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return fail("has no host")
	}
	if allowPrivate {
		return nil
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return fail("%s is a loopback name (%s)", host, byHand)
	}
	if ip, err := netip.ParseAddr(host); err == nil && !IsPublicAddr(ip) {
		return fail("%s is a %s address (%s)", host, addrClass(ip), byHand)
	}
	return nil
}
