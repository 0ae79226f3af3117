// Package redact owns how newshound shows a URL that may hold a secret (a
// feed's password or API key, a destination's webhook token) in a log line,
// an error message or status output. It is the one policy for that: every
// package that names such a URL shows it through URL or Endpoint.
//
// What is shown: the scheme, the host and port, and, for URL, the path and
// the query, so that the person reading knows which feed or destination is
// meant. What is hidden, by both:
//
//   - a password in the user info, shown as "xxxxx" (user:xxxxx@host), and
//     a user name written without a password (https://TOKEN@host, or
//     TOKEN:@host, as API keys are given for basic auth) shown as "xxxxx"
//     too, whole;
//   - a webhook's token: what follows /webhooks/<id>/ (Discord's, on any
//     host, in any case), and the id too unless it is a number; the whole
//     path of a Slack webhook (hooks.slack.com);
//   - the value of a query parameter, or of a name=value path segment,
//     named like a secret (token, key, api_key, secret, sig, password,
//     auth…; see secretName), shown as "xxxxx";
//   - the fragment;
//   - of a URL that does not parse or has no scheme and host (pasted without
//     https://), all but what comes before its first "/", "?" or "#", which
//     is shown only where it looks like a host name; with an "@" in it (user
//     info, whose password may hold a "/", "?" or "#", so that where the host
//     begins cannot be told) only its scheme.
//
// Endpoint is for a destination's URL, which is itself the credential (a
// Slack webhook's path, a signed webhook's path or query): it hides the
// path and query too, beyond a webhook's id.
//
// A value replaced in place is shown as "xxxxx"; a rest left out as "…".
//
// It only shows: whether a URL is allowed, or well formed, is its caller's
// to say (config, feeds.CheckFeedURL); and a URL a person asked for whole
// (feeds export, a discovered feed's address) is no business of it.
package redact

import (
	"net/url"
	"strings"
)

const (
	hidden = "xxxxx" // a value replaced in place
	cut    = "…"     // the rest of the URL left out
)

// URL is raw as a log line or status shows a feed's URL: the path kept
// (it tells which feed), the secrets of the package's policy hidden.
func URL(raw string) string { return show(raw, false) }

// Endpoint is raw as a message shows a destination's URL: its scheme, host
// and port, and the id of a webhook (…/webhooks/<id>/…), but no other part
// of its path or query, which may be its secret.
func Endpoint(raw string) string { return show(raw, true) }

func show(raw string, endpoint bool) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Opaque != "" || passwordInPath(u) ||
		u.Host == "" && (u.User != nil || !strings.HasPrefix(u.Path, "/")) {
		return unparsed(raw)
	}
	var b strings.Builder
	b.WriteString(u.Scheme + "://")
	if u.User != nil {
		if pw, _ := u.User.Password(); pw != "" {
			b.WriteString(url.User(u.User.Username()).String() + ":" + hidden + "@")
		} else {
			b.WriteString(hidden + "@")
		}
	}
	b.WriteString(u.Host)
	path := u.EscapedPath()
	if kept, ok := webhookPath(u.Hostname(), path); ok {
		b.WriteString(kept)
		if !strings.HasSuffix(kept, cut) && (u.RawQuery != "" || u.ForceQuery || u.Fragment != "") {
			b.WriteString(cut)
		}
		return b.String()
	}
	if endpoint {
		if (path == "" || path == "/") && u.RawQuery == "" && !u.ForceQuery && u.Fragment == "" {
			b.WriteString(path)
		} else {
			b.WriteString("/" + cut)
		}
		return b.String()
	}
	b.WriteString(hideParams(path, "/;"))
	if u.RawQuery != "" || u.ForceQuery {
		b.WriteString("?" + hideParams(u.RawQuery, "&;"))
	}
	if u.Fragment != "" {
		b.WriteString("#" + cut)
	}
	return b.String()
}

// passwordInPath tells a URL whose password began with digits and held a
// "/" (https://user:123/abc@host/feed): it parses, as host "user", port
// 123 and path "/abc@host/feed", showing the password.
func passwordInPath(u *url.URL) bool {
	host := u.Host
	if i := strings.LastIndex(host, "]"); i >= 0 {
		host = host[i+1:]
	}
	return u.User == nil && strings.Contains(host, ":") && strings.Contains(u.EscapedPath(), "@")
}

// webhookPath is what is shown of the path of a webhook URL, ok when it is
// one: a Slack webhook's path is hidden whole; of a path with a
// "/webhooks/" segment (any case), what follows it is hidden but for a
// numeric id followed by more.
func webhookPath(host, path string) (string, bool) {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "hooks.slack.com") {
		if path == "" || path == "/" {
			return path, true
		}
		return "/" + cut, true
	}
	const marker = "/webhooks/"
	i := strings.Index(strings.ToLower(path), marker)
	if i < 0 {
		return "", false
	}
	start := i + len(marker)
	rest := path[start:]
	if rest == "" {
		return path, true
	}
	if id, _, more := strings.Cut(rest, "/"); more && id != "" && strings.Trim(id, "0123456789") == "" {
		start += len(id) + 1
	}
	return path[:start] + cut, true
}

// hideParams is s with the value of each name=value part (parts separated
// by any of seps) whose name is a secretName shown as hidden.
func hideParams(s, seps string) string {
	var b strings.Builder
	for s != "" {
		end := strings.IndexAny(s, seps)
		if end < 0 {
			end = len(s)
		}
		part := s[:end]
		if name, value, ok := strings.Cut(part, "="); ok && value != "" && secretName(name) {
			part = name + "=" + hidden
		}
		b.WriteString(part)
		if end < len(s) {
			b.WriteByte(s[end])
			end++
		}
		s = s[end:]
	}
	return b.String()
}

// secretNames are the parameter names, in lower case without "_", "-",
// "." and a trailing "[]", whose values are secrets; secretEndings are
// the endings that make a name one too (api_key, X-Amz-Signature,
// access_token, client_secret).
var (
	secretNames = map[string]bool{
		"pass": true, "appid": true,
	}
	secretEndings = []string{
		"key", "token", "secret", "sig", "signature", "password", "passwd",
		"pwd", "credential", "credentials", "sessionid",
	}
)

// paramSpelling drops what tells "api_key" from "API-Key" and "apikey".
var paramSpelling = strings.NewReplacer("_", "", "-", "", ".", "")

// secretName says whether a parameter named name (as written, perhaps
// percent-escaped) holds a secret: a secretNames, a name with one of
// secretEndings, or one beginning with "auth".
func secretName(name string) bool {
	if n, err := url.QueryUnescape(name); err == nil {
		name = n
	}
	name = paramSpelling.Replace(strings.ToLower(strings.TrimSuffix(name, "[]")))
	if secretNames[name] || strings.HasPrefix(name, "auth") {
		return true
	}
	for _, e := range secretEndings {
		if strings.HasSuffix(name, e) {
			return true
		}
	}
	return false
}

// unparsed is what is shown of a URL that does not parse or has no scheme
// and host: its scheme, and what comes before its first "/", "?" or "#"
// where that looks like a host name, without user info.
func unparsed(raw string) string {
	prefix, rest := "", raw
	if i := strings.Index(raw, "://"); i >= 0 && isScheme(raw[:i]) {
		prefix, rest = raw[:i+3], raw[i+3:]
	}
	if strings.Contains(rest, "@") {
		return prefix + cut
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return !isHostChar(r) })
	if end < 0 {
		end = len(rest)
	}
	host := rest[:end]
	if !looksLikeHost(host) {
		return prefix + cut
	}
	switch {
	case end == len(rest):
		return prefix + host
	case rest[end] == '/':
		return prefix + host + "/" + cut
	}
	return prefix + host + cut
}

func isScheme(s string) bool {
	for i, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
		case i > 0 && ('0' <= r && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return s != ""
}

func isHostChar(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' ||
		strings.ContainsRune(".-:[]", r)
}

// looksLikeHost says whether host, from a URL that did not parse, may be
// shown: a name whose last label is letters (example.org, not a token
// like "xoxb-1-2" or a JWT), an IPv4 or bracketed IPv6 address, or
// localhost, with a port perhaps.
func looksLikeHost(host string) bool {
	if strings.HasPrefix(host, "[") {
		return strings.Contains(host, "]")
	}
	name, port, hasPort := strings.Cut(host, ":")
	if hasPort && (port == "" || strings.Trim(port, "0123456789") != "") {
		return false
	}
	name = strings.TrimSuffix(name, ".")
	if strings.EqualFold(name, "localhost") {
		return true
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return false
	}
	last := labels[len(labels)-1]
	if strings.Trim(last, "0123456789") == "" {
		return len(labels) == 4 // an IPv4 address
	}
	for _, r := range last {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return false
		}
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return false
		}
	}
	return true
}
