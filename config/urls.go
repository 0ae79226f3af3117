package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/newshound/newshound/internal/redact"
)

// feedURL checks a feed URL and makes a file URL absolute. Relative file
// URLs ("file://feeds/world.xml", "file:feeds/world.xml") are resolved
// against dir, the config file's folder, so the config works from any
// working directory.
func feedURL(raw, dir string) (string, error) {
	if len(raw) >= 5 && strings.EqualFold(raw[:5], "file:") {
		return fileURL(raw[5:], dir)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("bad URL %q", raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	case "":
		return "", fmt.Errorf("URL %q has no scheme (write https://%s)", raw, strings.TrimPrefix(raw, "//"))
	default:
		return "", fmt.Errorf("URL %q: unsupported scheme %q (use http, https or file)", raw, u.Scheme)
	}
	if u.Host == "" {
		return "", fmt.Errorf("URL %q has no host", raw)
	}
	return raw, nil
}

// fileURL turns what follows "file:" into an absolute file:/// URL.
func fileURL(rest, dir string) (string, error) {
	if after, ok := strings.CutPrefix(rest, "//"); ok {
		rest = after
		// "file:///abs" and "file://localhost/abs" are absolute; in
		// "file://feeds/x.xml" the "host" is really the first folder.
		if host, path, found := strings.Cut(rest, "/"); found && strings.EqualFold(host, "localhost") {
			rest = "/" + path
		}
	}
	rest, _, _ = strings.Cut(rest, "?")
	path, err := url.PathUnescape(rest)
	if err != nil || path == "" {
		return "", fmt.Errorf("bad file URL %q (write file://feeds/world.xml or file:///abs/path.xml)", "file:"+rest)
	}
	if !filepath.IsAbs(filepath.FromSlash(path)) && !strings.HasPrefix(path, "/") {
		path = filepath.Join(dir, filepath.FromSlash(path))
	}
	path = filepath.ToSlash(path)
	if !strings.HasPrefix(path, "/") {
		path = "/" + path // a Windows drive: file:///C:/...
	}
	return (&url.URL{Scheme: "file", Path: path}).String(), nil
}

var (
	discordWebhookPath = regexp.MustCompile(`^/api(?:/v[0-9]+)?/webhooks/([0-9]+)/([A-Za-z0-9_-]+)/?$`)
	anyWebhookPath     = regexp.MustCompile(`^(?:/.*)?/webhooks/([0-9]+)/([A-Za-z0-9_-]+)/?$`)
)

var discordHosts = map[string]bool{
	"discord.com": true, "discordapp.com": true,
	"ptb.discord.com": true, "canary.discord.com": true,
}

// ParseWebhookURL checks the shape of a Discord webhook URL and returns its
// id and token. Accepted: https://discord.com/api/webhooks/<id>/<token>
// (also discordapp.com, ptb. and canary., and /api/v10/...), and any
// .../webhooks/<id>/<token> on the host of apiBase (a REST proxy).
func ParseWebhookURL(raw, apiBase string) (id, token string, err error) {
	const want = "https://discord.com/api/webhooks/<id>/<token>"
	u, perr := url.Parse(raw)
	if perr != nil || u.Host == "" {
		return "", "", fmt.Errorf("webhook_url %q is not a URL (want %s)", redact.Endpoint(raw), want)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", "", fmt.Errorf("webhook_url %q must not have a query or fragment (want %s)", redact.Endpoint(raw), want)
	}
	host := strings.ToLower(u.Host)
	if discordHosts[host] && u.Scheme == "https" {
		if m := discordWebhookPath.FindStringSubmatch(u.Path); m != nil {
			return m[1], m[2], nil
		}
	}
	if base, berr := url.Parse(apiBase); berr == nil && base.Host != "" &&
		strings.EqualFold(base.Host, u.Host) && strings.EqualFold(base.Scheme, u.Scheme) {
		if m := anyWebhookPath.FindStringSubmatch(u.Path); m != nil {
			return m[1], m[2], nil
		}
	}
	return "", "", fmt.Errorf("webhook_url %q is not a Discord webhook URL (want %s)", redact.Endpoint(raw), want)
}
