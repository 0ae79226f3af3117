package redact

import (
	"strings"
	"testing"
)

// The secrets the cases hide; each case's hide lists those in its URL.
const (
	sec  = "s3cr3tXYZ"
	sec2 = "s3cr3t-T0KEN"
)

// redactCase is one URL, what neither URL nor Endpoint may show of it
// (hide), what Endpoint may not show besides (hideEndpoint: a path or
// query that a feed's URL shows, as it tells which feed), and what each
// shows.
type redactCase struct {
	name         string
	raw          string
	hide         []string
	hideEndpoint []string
	url          string // URL(raw)
	endpoint     string // Endpoint(raw)
}

// cases are the union of the cases of the four functions this package
// replaced (config's redactToken and redactPath, feeds.RedactedURL, the
// webhook notifier's redact) and hostile ones.
var cases = []redactCase{
	// Feed URLs shown in the log and status (feeds.RedactedURL's).
	{name: "plain feed", raw: "https://wire.example/rss",
		url: "https://wire.example/rss", endpoint: "https://wire.example/…"},
	{name: "password", raw: "https://alice:" + sec + "@wire.example/rss", hide: []string{sec},
		url: "https://alice:xxxxx@wire.example/rss", endpoint: "https://alice:xxxxx@wire.example/…"},
	{name: "api key in the query", raw: "https://api.wire.example/v2/rss?category=world&api_key=" + sec + "&lang=en", hide: []string{sec},
		url: "https://api.wire.example/v2/rss?category=world&api_key=xxxxx&lang=en", endpoint: "https://api.wire.example/…"},
	{name: "token and password", raw: "https://alice:" + sec + "@wire.example/rss?Access-Token=" + sec2, hide: []string{sec, sec2},
		url: "https://alice:xxxxx@wire.example/rss?Access-Token=xxxxx", endpoint: "https://alice:xxxxx@wire.example/…"},
	{name: "query keeps what is no secret", raw: "https://wire.example/search?q=aleppo&keywords=war&token=",
		url: "https://wire.example/search?q=aleppo&keywords=war&token=", endpoint: "https://wire.example/…"},
	{name: "file feed", raw: "file:///var/feeds/local.xml",
		url: "file:///var/feeds/local.xml", endpoint: "file:///…"},
	{name: "an @ in a feed's path", raw: "https://mastodon.example/@alice.rss",
		url: "https://mastodon.example/@alice.rss", endpoint: "https://mastodon.example/…"},

	// Hostile feed URLs: user info.
	{name: "slash in the password", raw: "https://alice:" + sec + "/1@wire.example/rss", hide: []string{sec},
		url: "https://…", endpoint: "https://…"},
	{name: "question mark in the password", raw: "https://alice:" + sec + "?1@wire.example/rss", hide: []string{sec},
		url: "https://…", endpoint: "https://…"},
	{name: "hash in the password", raw: "https://alice:" + sec + "#1@wire.example/rss", hide: []string{sec},
		url: "https://…", endpoint: "https://…"},
	{name: "at sign in the password", raw: "https://alice:p@" + sec + "@wire.example/rss", hide: []string{sec},
		url: "https://alice:xxxxx@wire.example/rss", endpoint: "https://alice:xxxxx@wire.example/…"},
	{name: "percent escape in the password", raw: "https://alice:" + sec + "%2F%40@wire.example/rss", hide: []string{sec},
		url: "https://alice:xxxxx@wire.example/rss", endpoint: "https://alice:xxxxx@wire.example/…"},
	{name: "bad percent escape in the password", raw: "https://alice:" + sec + "%zz@wire.example/rss", hide: []string{sec},
		url: "https://…", endpoint: "https://…"},
	{name: "password of digits, a slash, more", raw: "https://alice:123/" + sec + "@wire.example/rss", hide: []string{sec, "123"},
		url: "https://…", endpoint: "https://…"},
	{name: "space in the password", raw: "https://alice:" + sec + " x@wire.example/rss", hide: []string{sec},
		url: "https://…", endpoint: "https://…"},
	{name: "token as the user name", raw: "https://" + sec + "@git.example/alice.atom", hide: []string{sec},
		url: "https://xxxxx@git.example/alice.atom", endpoint: "https://xxxxx@git.example/…"},
	{name: "token as the user name, empty password", raw: "https://" + sec + ":@git.example/alice.atom", hide: []string{sec},
		url: "https://xxxxx@git.example/alice.atom", endpoint: "https://xxxxx@git.example/…"},
	{name: "user info, no scheme", raw: "alice:" + sec + "@wire.example/rss", hide: []string{sec},
		url: "…", endpoint: "…"},
	{name: "user info, scheme without slashes", raw: "https:alice:" + sec + "@wire.example/rss", hide: []string{sec},
		url: "…", endpoint: "…"},
	{name: "user info, scheme-relative", raw: "//alice:" + sec + "@wire.example/rss", hide: []string{sec},
		url: "…", endpoint: "…"},

	// Hostile feed URLs: query, path and fragment.
	{name: "semicolon between parameters", raw: "https://wire.example/rss?a=1;token=" + sec, hide: []string{sec},
		url: "https://wire.example/rss?a=1;token=xxxxx", endpoint: "https://wire.example/…"},
	{name: "array parameter", raw: "https://wire.example/rss?token[]=" + sec, hide: []string{sec},
		url: "https://wire.example/rss?token[]=xxxxx", endpoint: "https://wire.example/…"},
	{name: "escaped name", raw: "https://wire.example/rss?api%5Fkey=" + sec, hide: []string{sec},
		url: "https://wire.example/rss?api%5Fkey=xxxxx", endpoint: "https://wire.example/…"},
	{name: "signed S3 URL", raw: "https://bucket.example/feed.xml?X-Amz-Credential=" + sec2 + "&X-Amz-Signature=" + sec, hide: []string{sec, sec2},
		url: "https://bucket.example/feed.xml?X-Amz-Credential=xxxxx&X-Amz-Signature=xxxxx", endpoint: "https://bucket.example/…"},
	{name: "authorization", raw: "https://wire.example/rss?authorization=Bearer%20" + sec, hide: []string{sec},
		url: "https://wire.example/rss?authorization=xxxxx", endpoint: "https://wire.example/…"},
	{name: "client secret and sig", raw: "https://wire.example/rss?client_secret=" + sec + "&sig=" + sec2, hide: []string{sec, sec2},
		url: "https://wire.example/rss?client_secret=xxxxx&sig=xxxxx", endpoint: "https://wire.example/…"},
	{name: "password parameter", raw: "https://wire.example/rss?user=alice&PassWord=" + sec, hide: []string{sec},
		url: "https://wire.example/rss?user=alice&PassWord=xxxxx", endpoint: "https://wire.example/…"},
	{name: "key in a path segment", raw: "https://wire.example/rss/api_key=" + sec + "/world", hide: []string{sec},
		url: "https://wire.example/rss/api_key=xxxxx/world", endpoint: "https://wire.example/…"},
	{name: "session in a path parameter", raw: "https://wire.example/rss;jsessionid=" + sec, hide: []string{sec},
		url: "https://wire.example/rss;jsessionid=xxxxx", endpoint: "https://wire.example/…"},
	{name: "fragment", raw: "https://wire.example/rss#access_token=" + sec, hide: []string{sec},
		url: "https://wire.example/rss#…", endpoint: "https://wire.example/…"},
	{name: "fragment on the root", raw: "https://wire.example#" + sec, hide: []string{sec},
		url: "https://wire.example#…", endpoint: "https://wire.example/…"},
	{name: "newline", raw: "https://wire.example/rss\n" + sec, hide: []string{sec},
		url: "https://wire.example/…", endpoint: "https://wire.example/…"},

	// Discord webhook URLs (config's redactToken's).
	{name: "discord", raw: "https://discord.com/api/webhooks/123/" + sec2, hide: []string{sec2},
		url: "https://discord.com/api/webhooks/123/…", endpoint: "https://discord.com/api/webhooks/123/…"},
	{name: "discordapp", raw: "https://discordapp.com/api/webhooks/123/" + sec2, hide: []string{sec2},
		url: "https://discordapp.com/api/webhooks/123/…", endpoint: "https://discordapp.com/api/webhooks/123/…"},
	{name: "canary, versioned", raw: "https://canary.discord.com/api/v10/webhooks/123/" + sec2, hide: []string{sec2},
		url: "https://canary.discord.com/api/v10/webhooks/123/…", endpoint: "https://canary.discord.com/api/v10/webhooks/123/…"},
	{name: "ptb", raw: "https://ptb.discord.com/api/webhooks/123/" + sec2, hide: []string{sec2},
		url: "https://ptb.discord.com/api/webhooks/123/…", endpoint: "https://ptb.discord.com/api/webhooks/123/…"},
	{name: "http discord, trailing slash", raw: "http://discord.com/api/webhooks/123/" + sec2 + "/", hide: []string{sec2},
		url: "http://discord.com/api/webhooks/123/…", endpoint: "http://discord.com/api/webhooks/123/…"},
	{name: "other host", raw: "https://example.com/api/webhooks/123/" + sec2, hide: []string{sec2},
		url: "https://example.com/api/webhooks/123/…", endpoint: "https://example.com/api/webhooks/123/…"},
	{name: "proxy host", raw: "http://127.0.0.1:8080/api/v9/webhooks/7/" + sec2, hide: []string{sec2},
		url: "http://127.0.0.1:8080/api/v9/webhooks/7/…", endpoint: "http://127.0.0.1:8080/api/v9/webhooks/7/…"},
	{name: "id not numeric", raw: "https://discord.com/api/webhooks/abc/" + sec2, hide: []string{sec2},
		url: "https://discord.com/api/webhooks/…", endpoint: "https://discord.com/api/webhooks/…"},
	{name: "no token", raw: "https://discord.com/api/webhooks/123",
		url: "https://discord.com/api/webhooks/…", endpoint: "https://discord.com/api/webhooks/…"},
	{name: "query", raw: "https://discord.com/api/webhooks/123/" + sec2 + "?wait=true", hide: []string{sec2},
		url: "https://discord.com/api/webhooks/123/…", endpoint: "https://discord.com/api/webhooks/123/…"},
	{name: "slash in the query", raw: "https://discord.com/api/webhooks/123/" + sec2 + "?thread=a/b", hide: []string{sec2},
		url: "https://discord.com/api/webhooks/123/…", endpoint: "https://discord.com/api/webhooks/123/…"},
	{name: "fragment after the token", raw: "https://discord.com/api/webhooks/123/" + sec2 + "/#x", hide: []string{sec2},
		url: "https://discord.com/api/webhooks/123/…", endpoint: "https://discord.com/api/webhooks/123/…"},
	{name: "path past the token", raw: "https://discord.com/api/webhooks/123/" + sec2 + "/slack", hide: []string{sec2},
		url: "https://discord.com/api/webhooks/123/…", endpoint: "https://discord.com/api/webhooks/123/…"},
	{name: "webhooks capitalised", raw: "https://discord.com/api/Webhooks/123/" + sec2, hide: []string{sec2},
		url: "https://discord.com/api/Webhooks/123/…", endpoint: "https://discord.com/api/Webhooks/123/…"},
	{name: "webhook singular", raw: "https://discord.com/api/webhook/123/" + sec2, hideEndpoint: []string{sec2},
		url: "https://discord.com/api/webhook/123/" + sec2, endpoint: "https://discord.com/…"},
	{name: "no slash after the id", raw: "https://discord.com/api/webhooks/123?token=" + sec2, hide: []string{sec2},
		url: "https://discord.com/api/webhooks/…", endpoint: "https://discord.com/api/webhooks/…"},
	{name: "webhooks in the query", raw: "https://example.com/hook?next=/webhooks/1/x&token=" + sec2, hide: []string{sec2},
		url: "https://example.com/hook?next=/webhooks/1/x&token=xxxxx", endpoint: "https://example.com/…"},
	{name: "not a URL, no marker", raw: "discord.com/api/hooks/1/" + sec2 + " x", hide: []string{sec2},
		url: "discord.com/…", endpoint: "discord.com/…"},
	{name: "user info before the marker", raw: "https://u:" + sec + "@discord.com/api/webhooks/1/" + sec2, hide: []string{sec, sec2},
		url: "https://u:xxxxx@discord.com/api/webhooks/1/…", endpoint: "https://u:xxxxx@discord.com/api/webhooks/1/…"},
	{name: "escaped slash after the id", raw: "https://discord.com/api/webhooks/123%2F" + sec2 + "?wait=true", hide: []string{sec2},
		url: "https://discord.com/api/webhooks/…", endpoint: "https://discord.com/api/webhooks/…"},
	{name: "token straight after webhooks", raw: "https://example.com/webhooks/" + sec2, hide: []string{sec2},
		url: "https://example.com/webhooks/…", endpoint: "https://example.com/webhooks/…"},

	// Slack and signed webhook URLs (config's redactPath's, the webhook
	// notifier's redact's).
	{name: "slack", raw: "https://hooks.slack.com/services/T000/B000/" + sec, hide: []string{sec},
		url: "https://hooks.slack.com/…", endpoint: "https://hooks.slack.com/…"},
	{name: "slack, capitals", raw: "https://HOOKS.SLACK.COM/services/T000/B000/" + sec, hide: []string{sec},
		url: "https://HOOKS.SLACK.COM/…", endpoint: "https://HOOKS.SLACK.COM/…"},
	{name: "slack, no scheme", raw: "hooks.slack.com/services/T000/B000/" + sec, hide: []string{sec},
		url: "hooks.slack.com/…", endpoint: "hooks.slack.com/…"},
	{name: "slack, does not parse", raw: "https://hooks.slack.com/services/T000/B000/" + sec + "%zz", hide: []string{sec},
		url: "https://hooks.slack.com/…", endpoint: "https://hooks.slack.com/…"},
	{name: "slack, another scheme", raw: "ftp://hooks.slack.com/services/T000/B000/" + sec, hide: []string{sec},
		url: "ftp://hooks.slack.com/…", endpoint: "ftp://hooks.slack.com/…"},
	{name: "slack, backslashes", raw: `https://hooks.slack.com\services\T000\B000\` + sec, hide: []string{sec},
		url: "https://hooks.slack.com…", endpoint: "https://hooks.slack.com…"},
	{name: "slack, a question mark in the password, no scheme", raw: "user:" + sec + "?1@hooks.slack.com/services/T000", hide: []string{sec},
		url: "…", endpoint: "…"},
	{name: "signed webhook, token in the path and key in the query", raw: "http://127.0.0.1:8080/hook/secret-token?key=secret-key",
		hide: []string{"secret-key"}, hideEndpoint: []string{"secret-token"},
		url: "http://127.0.0.1:8080/hook/secret-token?key=xxxxx", endpoint: "http://127.0.0.1:8080/…"},
	{name: "webhook, a query on the root", raw: "ftp://example.org/?token=" + sec, hide: []string{sec},
		url: "ftp://example.org/?token=xxxxx", endpoint: "ftp://example.org/…"},
	{name: "webhook, a secret query on the root", raw: "https://example.org/?t=" + sec, hideEndpoint: []string{sec},
		url: "https://example.org/?t=" + sec, endpoint: "https://example.org/…"},
	{name: "webhook, no scheme", raw: "example.org?token=" + sec, hide: []string{sec},
		url: "example.org…", endpoint: "example.org…"},
	{name: "webhook, root", raw: "https://example.org/",
		url: "https://example.org/", endpoint: "https://example.org/"},
	{name: "webhook, no path", raw: "https://example.org:8443",
		url: "https://example.org:8443", endpoint: "https://example.org:8443"},
	{name: "relative redirect", raw: "/moved/" + sec, hideEndpoint: []string{sec},
		url: "…", endpoint: "…"},
	{name: "a bare token", raw: "xoxb-1-2-" + sec, hide: []string{sec},
		url: "…", endpoint: "…"},
	{name: "a JWT", raw: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0." + sec, hide: []string{sec, "eyJ"},
		url: "…", endpoint: "…"},
	{name: "a host and a bad port", raw: "https://example.org:" + sec + "/hook", hide: []string{sec},
		url: "https://…", endpoint: "https://…"},
	{name: "space after the host", raw: "https://example.org " + sec, hide: []string{sec},
		url: "https://example.org…", endpoint: "https://example.org…"},
	{name: "empty", raw: "", url: "…", endpoint: "…"},
}

// leaks is the secrets of c that got shows; endpoint: got is a
// destination's URL, so c.hideEndpoint counts too.
func leaks(c redactCase, got string, endpoint bool) []string {
	var shown []string
	hide := c.hide
	if endpoint {
		hide = append(append([]string(nil), hide...), c.hideEndpoint...)
	}
	for _, s := range hide {
		if strings.Contains(got, s) {
			shown = append(shown, s)
		}
	}
	return shown
}

func TestURLAndEndpointHideSecrets(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, f := range []struct {
				name     string
				fn       func(string) string
				endpoint bool
				want     string
			}{
				{"URL", URL, false, c.url},
				{"Endpoint", Endpoint, true, c.endpoint},
			} {
				got := f.fn(c.raw)
				if l := leaks(c, got, f.endpoint); len(l) > 0 {
					t.Errorf("%s(%q) = %q, shows %q", f.name, c.raw, got, l)
				}
				if got != f.want {
					t.Errorf("%s(%q) = %q, want %q", f.name, c.raw, got, f.want)
				}
			}
		})
	}
}
