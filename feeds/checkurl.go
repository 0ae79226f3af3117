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

// RedactedURL is a feed URL to show (a log line, status): a password in it
// (https://user:pass@…, often from ${ENV}) is shown as "xxxxx", and so is
// the value of a query parameter named like a secret (?api_key=…,
// &token=…; see secretParams), as feed APIs take their keys.
func RedactedURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := redactedQuery(u.RawQuery)
	if u.User == nil && q == u.RawQuery {
		return raw
	}
	u.RawQuery = q
	return u.Redacted()
}

// secretParams are the query parameter names, in lower case without "_"
// and "-", whose values are secrets: API keys, tokens, signatures.
var secretParams = map[string]bool{
	"key": true, "apikey": true, "token": true, "accesstoken": true, "authtoken": true,
	"auth": true, "secret": true, "clientsecret": true, "password": true, "passwd": true,
	"pass": true, "pwd": true, "sig": true, "signature": true, "appkey": true, "appid": true,
	"subscriptionkey": true, "privatetoken": true, "feedtoken": true,
}

// paramSpelling drops what tells "api_key" from "API-Key" and "apikey".
var paramSpelling = strings.NewReplacer("_", "", "-", "")

// redactedQuery is a raw query with the values of its secretParams shown
// as "xxxxx", the rest as written.
func redactedQuery(raw string) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		name, value, ok := strings.Cut(p, "=")
		if !ok || value == "" {
			continue
		}
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if secretParams[paramSpelling.Replace(strings.ToLower(name))] {
			parts[i] = p[:len(p)-len(value)] + "xxxxx"
		}
	}
	return strings.Join(parts, "&")
}
