package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func noEnv(string) (string, bool) { return "", false }

func mapEnv(m map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// mustParse parses a config that must be valid.
func mustParse(t *testing.T, yamlText string, env func(string) (string, bool)) *Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "newshound.yaml")
	c, err := Parse(path, []byte(yamlText), env)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

func TestEmptyConfigGetsDefaults(t *testing.T) {
	for name, text := range map[string]string{"empty file": "", "only a comment": "# nothing\n", "null document": "~\n"} {
		t.Run(name, func(t *testing.T) {
			c := mustParse(t, text, noEnv)
			want := Defaults{
				Interval: 10 * time.Minute, MaxAge: 24 * time.Hour, StoryWindow: 48 * time.Hour, UserAgent: DefaultUserAgent,
				MaxBodyBytes: 10 << 20, MaxItems: 2000, MaxDepth: 64, MaxElements: 100000, Timeout: 30 * time.Second, HostConcurrency: 2,
				HostGap: time.Second, DisableAfter: 72 * time.Hour,
			}
			if c.Defaults != want {
				t.Errorf("Defaults = %+v, want %+v", c.Defaults, want)
			}
			// The service's numbers README's "What you can rely on" and
			// "Several instances" state: 8 feeds polled at once, a failing
			// destination tried at least every 15 s, leases 20 s long.
			wantService := Service{Workers: 8, ShutdownGrace: 10 * time.Second, RetryBase: time.Second, RetryMax: 15 * time.Second,
				NonceWindow: 2 * time.Minute, Retention: 30 * 24 * time.Hour, LeaseTTL: 20 * time.Second}
			if c.Service != wantService {
				t.Errorf("Service = %+v, want %+v", c.Service, wantService)
			}
			if got := (Store{Driver: "sqlite", Path: "newshound.db"}); c.Store != got {
				t.Errorf("Store = %+v, want %+v", c.Store, got)
			}
			if c.Discord.APIBase != DefaultAPIBase || c.Discord.Commands {
				t.Errorf("Discord = %+v, want api_base %q and commands off", c.Discord, DefaultAPIBase)
			}
			wantDest := []Destination{{Name: "console", Type: Console}}
			if !reflect.DeepEqual(c.Destinations, wantDest) {
				t.Errorf("Destinations = %+v, want %+v", c.Destinations, wantDest)
			}
		})
	}
}

func TestInheritedDefaults(t *testing.T) {
	c := mustParse(t, `
defaults:
  interval: 15m
  backfill: 5
  max_age: 48h
  user_agent: desk-bot
feeds:
  - {name: a, url: "https://a.example.org/rss"}
  - {name: b, url: "https://b.example.org/rss", interval: 2m, user_agent: other}
subscriptions:
  - {name: inherit, query: x}
  - {name: own, query: x, backfill: 0, max_age: "0"}
`, noEnv)
	feeds := []struct {
		name        string
		interval    time.Duration
		ownInterval bool
		userAgent   string
	}{{"a", 15 * time.Minute, false, "desk-bot"}, {"b", 2 * time.Minute, true, "other"}}
	for i, want := range feeds {
		got := c.Feeds[i]
		if got.Name != want.name || got.Interval != want.interval || got.OwnInterval != want.ownInterval || got.UserAgent != want.userAgent {
			t.Errorf("feed %d = %+v, want name %s interval %v (own %v) user agent %q", i, got, want.name, want.interval, want.ownInterval, want.userAgent)
		}
	}
	subs := []struct {
		name     string
		backfill int
		maxAge   time.Duration
	}{{"inherit", 5, 48 * time.Hour}, {"own", 0, 0}}
	for i, want := range subs {
		got := c.Subscriptions[i]
		if got.Name != want.name || got.Backfill != want.backfill || got.MaxAge != want.maxAge {
			t.Errorf("subscription %d = %+v, want %s backfill %d max_age %v", i, got, want.name, want.backfill, want.maxAge)
		}
		if got.Destination != "console" {
			t.Errorf("subscription %s destination = %q, want the default console", got.Name, got.Destination)
		}
	}
}

func TestExpandEnv(t *testing.T) {
	env := mapEnv(map[string]string{"TOKEN": "s3cret", "EMPTY": ""})
	tests := []struct {
		name, in, want string
		problems       int
	}{
		{"no reference", "plain $100 text", "plain $100 text", 0},
		{"set variable", "Bot ${TOKEN}", "Bot s3cret", 0},
		{"two references", "${TOKEN}:${TOKEN}", "s3cret:s3cret", 0},
		{"fallback unused", "${TOKEN:-x}", "s3cret", 0},
		{"fallback for unset", "${NOPE:-https://discord.com/api/v9/}", "https://discord.com/api/v9/", 0},
		{"fallback for empty", "${EMPTY:-dflt}", "dflt", 0},
		{"empty fallback", "a${NOPE:-}b", "ab", 0},
		{"set but empty", "[${EMPTY}]", "[]", 0},
		{"escaped", "$${TOKEN}", "${TOKEN}", 0},
		{"unset", "${NOPE}", "", 1},
		{"bad name", "${1X}", "", 1},
		{"unterminated", "x ${TOKEN", "x ", 1},
		{"two unset", "${A}${B}", "", 2},
		// A fallback may name another variable, read only when it is used.
		{"nested fallback used", "${NOPE:-${TOKEN}}", "s3cret", 0},
		{"nested fallback unused", "${TOKEN:-${NOPE}}!", "s3cret!", 0},
		{"nested fallback unset", "${NOPE:-${NOPE2}}", "", 1},
		{"nested twice", "${NOPE:-${EMPTY:-x}}y", "xy", 0},
		{"escaped in fallback", "${NOPE:-$${X}}", "${X}", 0},
		{"unterminated nested", "${NOPE:-${TOKEN}", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problems := expandEnv(tt.in, env)
			if got != tt.want || len(problems) != tt.problems {
				t.Errorf("expandEnv(%q) = %q with problems %q, want %q with %d problems", tt.in, got, problems, tt.want, tt.problems)
			}
		})
	}
}

func TestEnvInConfig(t *testing.T) {
	c := mustParse(t, `
discord:
  token: ${DISCORD_TOKEN}
  api_base: ${API_BASE:-https://proxy.example.org/api/v9}
destinations:
  - name: desk
    type: discord-channel
    channel_id: ${CHANNEL}
feeds:
  - name: w
    url: https://w.example.org/rss
    headers: {authorization: "Bearer ${KEY}"}
`, mapEnv(map[string]string{"DISCORD_TOKEN": "tok", "CHANNEL": "42", "KEY": "k"}))
	if c.Discord.Token != "tok" || !c.Discord.Commands {
		t.Errorf("Discord = %+v, want token tok with commands on", c.Discord)
	}
	if want := "https://proxy.example.org/api/v9/"; c.Discord.APIBase != want {
		t.Errorf("APIBase = %q, want %q (fallback, with a trailing slash added)", c.Discord.APIBase, want)
	}
	if c.Destinations[0].ChannelID != "42" {
		t.Errorf("ChannelID = %q, want 42", c.Destinations[0].ChannelID)
	}
	if want := map[string]string{"Authorization": "Bearer k"}; !reflect.DeepEqual(c.Feeds[0].Headers, want) {
		t.Errorf("Headers = %v, want %v", c.Feeds[0].Headers, want)
	}
}

func TestFeedURL(t *testing.T) {
	dir := filepath.FromSlash("/etc/newshound")
	tests := []struct{ name, in, want string }{
		{"relative with slashes", "file://feeds/world.xml", "file:///etc/newshound/feeds/world.xml"},
		{"relative without slashes", "file:feeds/world.xml", "file:///etc/newshound/feeds/world.xml"},
		{"dot relative", "file:./feeds/../feeds/w.xml", "file:///etc/newshound/feeds/w.xml"},
		{"parent folder", "file://../shared/w.xml", "file:///etc/shared/w.xml"},
		{"absolute", "file:///srv/feeds/w.xml", "file:///srv/feeds/w.xml"},
		{"absolute short", "file:/srv/w.xml", "file:///srv/w.xml"},
		{"localhost", "file://localhost/srv/w.xml", "file:///srv/w.xml"},
		{"escaped space", "file://feeds/my%20feed.xml", "file:///etc/newshound/feeds/my%20feed.xml"},
		{"upper-case scheme", "FILE://feeds/w.xml", "file:///etc/newshound/feeds/w.xml"},
		{"https unchanged", "https://example.org/rss?x=1", "https://example.org/rss?x=1"},
		{"http unchanged", "http://example.org/rss", "http://example.org/rss"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := feedURL(tt.in, dir)
			if err != nil || got != tt.want {
				t.Errorf("feedURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			if strings.HasPrefix(got, "file:") {
				if u, err := url.Parse(got); err != nil || u.Host != "" {
					t.Errorf("%q does not parse as a host-less file URL: %v", got, err)
				}
			}
		})
	}
}

func TestRelativeFeedURLFollowsConfigFolder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "conf", "newshound.yaml")
	c, err := Parse(path, []byte("feeds:\n  - {name: w, url: \"file://feeds/w.xml\"}\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	want := (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(dir, "conf", "feeds", "w.xml"))}).String()
	if c.Feeds[0].URL != want {
		t.Errorf("URL = %q, want %q", c.Feeds[0].URL, want)
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"10m", 10 * time.Minute, false},
		{"1h30m", 90 * time.Minute, false},
		{"0", 0, false},
		{"3d", 72 * time.Hour, false},
		{"1d12h", 36 * time.Hour, false},
		{"600", 0, true},
		{"1.5", 0, true},
		{"-1m", 0, true},
		{"ten minutes", 0, true},
		{"", 0, true},
		// Beyond time.Duration's 292 years: refused, never wrapped
		// around to a negative (or small) duration.
		{"106751d", 106751 * 24 * time.Hour, false},
		{"106752d", 0, true},
		{"200000d", 0, true},
		{"106751d48h", 0, true},
		{"9999999999999999999d", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseDuration(tt.in)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("parseDuration(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestDurationErrorsQuoteTheWholeValue: a refused duration is quoted as
// written, not the part after its days, which is not what the user wrote.
func TestDurationErrorsQuoteTheWholeValue(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"sign after days", "1d-5m", `bad duration "1d-5m"`},
		{"days twice", "1d1d", `bad duration "1d1d"`},
		{"space after days", "1d 5m", `bad duration "1d 5m"`},
		{"no days", "-5m", `duration "-5m" must not be negative`},
		// Well formed, but past time.Duration's 292 years.
		{"hours too many", "9999999999h", `duration "9999999999h" is too long`},
		{"days then hours too many", "1d9999999999h", `duration "1d9999999999h" is too long`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseDuration(tt.in)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("parseDuration(%q) error = %v, want it to start %q", tt.in, err, tt.want)
			}
		})
	}
}

// TestTooLargeNumbers: a whole number past what the key holds is too
// large, not "not a whole number".
func TestTooLargeNumbers(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"backfill", "defaults:\n  backfill: 99999999999999999999\n", `c.yaml:2:13: backfill: 99999999999999999999 is too large`},
		{"negative", "defaults:\n  backfill: -99999999999999999999\n", `c.yaml:2:13: backfill: must be at least 0, got -99999999999999999999`},
		{"size", "defaults:\n  max_body_bytes: 99999999999GiB\n", `c.yaml:2:19: max_body_bytes: 99999999999GiB is too large`},
		{"size digits", "defaults:\n  max_body_bytes: 99999999999999999999\n", `c.yaml:2:19: max_body_bytes: 99999999999999999999 is too large`},
		{"still not a number", "defaults:\n  backfill: 1e3\n", `c.yaml:2:13: backfill: expected a whole number, got "1e3"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tt.yaml), noEnv)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to start %q", err, tt.want)
			}
		})
	}
}

func TestSuggestion(t *testing.T) {
	keys := []string{"name", "feeds", "query", "destination", "backfill", "max_age", "color", "mention_role"}
	tests := []struct{ name, in, want string }{
		{"transposition", "qeury", "query"},
		{"missing letter", "destinaton", "destination"},
		{"dash for underscore", "max-age", "max_age"},
		{"british spelling", "colour", "color"},
		{"case", "Name", "name"},
		{"nothing close", "webhook", ""},
		{"short word, two edits", "nm", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := ""
			if tt.want != "" {
				want = ` (did you mean "` + tt.want + `"?)`
			}
			if got := suggestion(tt.in, keys); got != want {
				t.Errorf("suggestion(%q) = %q, want %q", tt.in, got, want)
			}
		})
	}
}

// TestParseWebhookURL: the webhook URLs Discord gives are taken apart
// into id and token; any other URL is refused, and the refusal never shows
// the token (secret is the token of each refused URL): it ends in logs and
// in check's output. A URL with a slash after its token (a trailing slash,
// a query holding one) showed everything up to that slash.
func TestParseWebhookURL(t *testing.T) {
	const proxy = "http://127.0.0.1:8080/api/v9/"
	const secret = "s3cr3t-T0KEN"
	tests := []struct {
		name, in, apiBase string
		wantID, wantToken string
	}{
		{"discord.com", "https://discord.com/api/webhooks/123/abc-_XYZ", DefaultAPIBase, "123", "abc-_XYZ"},
		{"discordapp.com", "https://discordapp.com/api/webhooks/123/tok", DefaultAPIBase, "123", "tok"},
		{"versioned path", "https://discord.com/api/v10/webhooks/123/tok", DefaultAPIBase, "123", "tok"},
		{"canary", "https://canary.discord.com/api/webhooks/123/tok", DefaultAPIBase, "123", "tok"},
		{"trailing slash", "https://discord.com/api/webhooks/123/tok/", DefaultAPIBase, "123", "tok"},
		{"proxy host", "http://127.0.0.1:8080/api/v9/webhooks/7/t", proxy, "7", "t"},
		{"http discord refused", "http://discord.com/api/webhooks/123/" + secret, DefaultAPIBase, "", ""},
		{"http discord, trailing slash", "http://discord.com/api/webhooks/123/" + secret + "/", DefaultAPIBase, "", ""},
		{"other host", "https://example.com/api/webhooks/123/" + secret, DefaultAPIBase, "", ""},
		{"proxy host not configured", "http://127.0.0.1:8080/api/v9/webhooks/7/" + secret, DefaultAPIBase, "", ""},
		{"id not numeric", "https://discord.com/api/webhooks/abc/" + secret, DefaultAPIBase, "", ""},
		{"no token", "https://discord.com/api/webhooks/123", DefaultAPIBase, "", ""},
		{"query string", "https://discord.com/api/webhooks/123/" + secret + "?wait=true", DefaultAPIBase, "", ""},
		{"trailing slash and a query", "https://discord.com/api/webhooks/123/" + secret + "/?wait=true", DefaultAPIBase, "", ""},
		{"a slash in the query", "https://discord.com/api/webhooks/123/" + secret + "?thread=a/b", DefaultAPIBase, "", ""},
		{"a fragment", "https://discord.com/api/webhooks/123/" + secret + "/#x", DefaultAPIBase, "", ""},
		{"a path past the token", "https://discord.com/api/webhooks/123/" + secret + "/slack", DefaultAPIBase, "", ""},
		{"not a URL", "discord webhook", DefaultAPIBase, "", ""},
		// A URL without "/webhooks/" has its secret elsewhere: a Slack
		// webhook URL given to a discord-webhook destination, a
		// misspelt path, a query.
		{"a Slack webhook URL", "https://hooks.slack.com/services/T000/B000/" + secret, DefaultAPIBase, "", ""},
		{"webhooks capitalised", "https://discord.com/api/Webhooks/123/" + secret, DefaultAPIBase, "", ""},
		{"webhook singular", "https://discord.com/api/webhook/123/" + secret, DefaultAPIBase, "", ""},
		{"no slash after the id", "https://discord.com/api/webhooks/123?token=" + secret, DefaultAPIBase, "", ""},
		{"webhooks in the query", "https://example.com/hook?next=/webhooks/1/x&token=" + secret, DefaultAPIBase, "", ""},
		{"an escaped slash after the id", "https://discord.com/api/webhooks/123%2F" + secret + "?wait=true", DefaultAPIBase, "", ""},
		{"the token straight after webhooks", "https://example.com/webhooks/" + secret, DefaultAPIBase, "", ""},
		{"not a URL, no marker", "discord.com/api/hooks/1/" + secret + " x", DefaultAPIBase, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, token, err := ParseWebhookURL(tt.in, tt.apiBase)
			wantErr := tt.wantID == ""
			if id != tt.wantID || token != tt.wantToken || (err != nil) != wantErr {
				t.Errorf("ParseWebhookURL(%q) = %q, %q, %v; want %q, %q, error %v", tt.in, id, token, err, tt.wantID, tt.wantToken, wantErr)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("error %q shows the webhook token", err)
			}
		})
	}
}

func TestSubscriptionValues(t *testing.T) {
	tests := []struct {
		name, yaml string
		color      *int // nil: no colour given
		role       string
	}{
		{"hex number", "color: 0xC0392B", new(0xC0392B), ""},
		{"hash string", `color: "#c0392b"`, new(0xC0392B), ""},
		{"decimal", "color: 3447003", new(3447003), ""},
		// Black is a colour like any other, not the key left out.
		{"black", `color: "#000000"`, new(0), ""},
		{"zero", "color: 0", new(0), ""},
		{"quoted role id", `mention_role: "123456789012345678"`, nil, "123456789012345678"},
		{"bare role id", "mention_role: 123456789012345678", nil, "123456789012345678"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, "subscriptions:\n  - name: s\n    query: x\n    "+tt.yaml+"\n", noEnv)
			s := c.Subscriptions[0]
			if !reflect.DeepEqual(s.Color, tt.color) || s.MentionRole != tt.role {
				t.Errorf("color %s role %q, want %s and %q", colorString(s.Color), s.MentionRole, colorString(tt.color), tt.role)
			}
		})
	}
}

func TestFeedsAllOrList(t *testing.T) {
	tests := []struct {
		name, feeds string
		want        []string
	}{
		{"left out", "", nil},
		{"all", "feeds: all", nil},
		{"list", "feeds: [b, a]", []string{"b", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, `
feeds:
  - {name: a, url: "https://a.example.org/"}
  - {name: b, url: "https://b.example.org/"}
subscriptions:
  - name: s
    query: x
    `+tt.feeds+"\n", noEnv)
			if got := c.Subscriptions[0].Feeds; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Feeds = %q, want %q", got, tt.want)
			}
		})
	}
}

// The query positions let the filters validator point into the file.
func TestQueryPositions(t *testing.T) {
	c := mustParse(t, `define:
  syria: aleppo OR halab
  truce: "ceasefire OR truce"
subscriptions:
  - name: plain
    query: aleppo ceasefire
  - name: quoted
    query: 'aleppo "cease fire"'
  - name: block
    query: |
      aleppo
        AND truce
`, noEnv)
	tests := []struct {
		name      string
		got, want Pos
	}{
		{"define plain", c.DefinePos["syria"], Pos{2, 10}},
		{"define quoted", c.DefinePos["truce"], Pos{3, 11}},
		{"plain", Pos{c.Subscriptions[0].QueryLine, c.Subscriptions[0].QueryCol}, Pos{6, 12}},
		{"quoted", Pos{c.Subscriptions[1].QueryLine, c.Subscriptions[1].QueryCol}, Pos{8, 13}},
		{"block", Pos{c.Subscriptions[2].QueryLine, c.Subscriptions[2].QueryCol}, Pos{11, 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("position %+v, want %+v", tt.got, tt.want)
			}
		})
	}
	if got, want := c.Subscriptions[2].Query, "aleppo\n  AND truce"; got != want {
		t.Errorf("block query = %q, want %q", got, want)
	}
	for i, want := range []bool{true, true, false} {
		if got := c.Subscriptions[i].QueryVerbatim; got != want {
			t.Errorf("%s: QueryVerbatim = %v, want %v", c.Subscriptions[i].Name, got, want)
		}
	}
}

func TestDestinationChoice(t *testing.T) {
	c := mustParse(t, `
discord: {token: t}
destinations:
  - {name: hook, type: discord-webhook, webhook_url: "https://discord.com/api/webhooks/1/tok"}
subscriptions:
  - {name: s, query: x}
`, noEnv)
	if got := c.Subscriptions[0].Destination; got != "hook" {
		t.Errorf("Destination = %q, want the only destination, hook", got)
	}
	d := c.Destinations[0]
	if d.WebhookID != "1" || d.WebhookToken != "tok" {
		t.Errorf("webhook id/token = %q/%q, want 1/tok", d.WebhookID, d.WebhookToken)
	}
	if len(c.Destinations) != 1 {
		t.Errorf("got %d destinations, want no default console next to a configured one", len(c.Destinations))
	}
}

func TestValidatorProblemsMergeInFileOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n.yaml")
	text := "subscriptions:\n  - name: a\n    query: ((aleppo\n  - name: b\n    qeury: x\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	queries := func(c *Config) []Problem {
		var out []Problem
		for _, s := range c.Subscriptions {
			if s.QueryLine > 0 && strings.HasPrefix(s.Query, "((") {
				out = append(out, Problem{Line: s.QueryLine, Col: s.QueryCol + 8, Msg: "expected ')'"})
			}
		}
		return out
	}
	_, err := LoadWith(path, queries)
	want := path + ":3:20: expected ')'\n" +
		path + ":4:5: subscription \"b\": missing query\n" +
		path + ":5:5: unknown key \"qeury\" (did you mean \"query\"?)"
	if err == nil || err.Error() != want {
		t.Errorf("LoadWith error:\n%v\nwant:\n%s", err, want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.yaml"))
	var problems Errors
	if !errors.As(err, &problems) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file: %v, want an Errors that is fs.ErrNotExist", err)
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		name string
		p    Problem
		want string
	}{
		{"full", Problem{File: "n.yaml", Line: 3, Col: 5, Msg: "m"}, "n.yaml:3:5: m"},
		{"no column", Problem{File: "n.yaml", Line: 3, Msg: "m"}, "n.yaml:3: m"},
		{"no line", Problem{File: "n.yaml", Msg: "m"}, "n.yaml: m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFeedTitle(t *testing.T) {
	cfg := mustParse(t, `feeds:
  - name: wire-world
    title: "Wire: World"
    url: https://wire.example/world.rss
  - name: levant
    url: https://levant.example/feed.atom
`, noEnv)
	if got := []string{cfg.Feeds[0].Title, cfg.Feeds[1].Title}; got[0] != "Wire: World" || got[1] != "" {
		t.Errorf("titles: got %q, want [\"Wire: World\" \"\"] (no title is not a default)", got)
	}
}

func colorString(c *int) string {
	if c == nil {
		return "none"
	}
	return fmt.Sprintf("%#06x", *c)
}

// TestProblemNamesTheValueNotItsEnvReference: a value refused after ${ENV}
// expansion is named as it came out, so the user sees what was wrong.
// TestEmptyFromEnvNamesTheReference: a required value that a ${NAME}
// reference made empty (a variable set but empty, a fallback of nothing)
// says so, so that "must not be empty" under a written reference makes
// sense.
func TestEmptyFromEnvNamesTheReference(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"set but empty", "discord:\n  token: ${EMPTY}\n", `:2:10: token: must not be empty (${EMPTY} gives "")`},
		{"empty fallback", "discord:\n  token: ${NOPE:-}\n", `:2:10: token: must not be empty (${NOPE:-} gives "")`},
		{"written empty", "discord:\n  token: \"\"\n", `:2:10: token: must not be empty`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tt.yaml), mapEnv(map[string]string{"EMPTY": ""}))
			if got := fmt.Sprint(err); !strings.HasSuffix(got, tt.want) {
				t.Errorf("got %q, want it to end %q", got, tt.want)
			}
		})
	}
}

func TestProblemNamesTheValueNotItsEnvReference(t *testing.T) {
	tests := []struct {
		name, yaml string
		env        map[string]string
		want       string
	}{
		{"defaults story_window", "defaults:\n  story_window: ${SW}\n", map[string]string{"SW": "31d"}, ":2:17: story_window: at most 30d (the outbox keeps a story's message that long), got 31d"},
		{"subscription story_window", "subscriptions:\n  - name: s\n    query: q\n    story_window: ${SW:-40d}\n", nil, ":4:19: story_window: at most 30d (the outbox keeps a story's message that long), got 40d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(filepath.Join(t.TempDir(), "newshound.yaml"), []byte(tt.yaml), mapEnv(tt.env))
			if got := fmt.Sprint(err); !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

// TestRestartChanges: what a reload may take (Config.Live: feeds,
// subscriptions, defines, formats) needs no restart, and every other
// change is named. Moving a destination (or a guild) elsewhere in its
// list changes nothing the service uses, which looks them up by name.
func TestRestartChanges(t *testing.T) {
	const base = `store: {path: a.db}
defaults: {max_age: 24h}
discord: {token: t, burst: 5, guilds: ["1", "2"]}
define: {syria: aleppo}
feeds:
  - {name: world, url: "https://w.example/rss", interval: 10m}
subscriptions:
  - {name: s, query: "@syria", destination: desk, max_age: 1h}
destinations:
  - {name: desk, type: console}
  - {name: other, type: console}
`
	tests := []struct {
		name, from, to string
		want           []string
	}{
		{"feed interval", "interval: 10m", "interval: 2m", nil},
		{"feed added", "feeds:\n", "feeds:\n  - {name: wire, url: \"https://x.example/rss\"}\n", nil},
		{"define", "aleppo}", "halab}", nil},
		{"subscription max_age", "max_age: 1h", "max_age: 2h", nil},
		{"subscription delivery", "max_age: 1h}", "max_age: 1h, delivery: {quiet_hours: \"22:00-07:00\"}}", nil},
		{"destinations reordered", "  - {name: desk, type: console}\n  - {name: other, type: console}\n", "  - {name: other, type: console}\n  - {name: desk, type: console}\n", nil},
		{"guilds reordered", `["1", "2"]`, `["2", "1"]`, nil},
		{"destination removed", "  - {name: other, type: console}\n", "", []string{`destination "other"`}},
		{"guild added", `["1", "2"]`, `["1", "2", "3"]`, []string{"discord.guilds"}},
		{"defaults", "max_age: 24h", "max_age: 0", []string{"defaults.max_age"}},
		{"store", "a.db", "b.db", []string{"store.path"}},
		{"burst", "burst: 5", "burst: 6", []string{"discord.burst"}},
		{"api_base", "discord: {", "discord: {api_base: \"https://proxy.example/api/v9/\", ", []string{"discord.api_base"}},
		{"two defaults", "max_age: 24h", "max_age: 0, max_body_bytes: 1MiB", []string{"defaults.max_age", "defaults.max_body_bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkRestartChanges(t, base, tt.from, tt.to, tt.want) })
	}
}

// checkRestartChanges checks what RestartChanges says of the config text
// base edited by replacing from with to.
func checkRestartChanges(t *testing.T, base, from, to string, want []string) {
	t.Helper()
	if !strings.Contains(base, from) {
		t.Fatalf("the config lacks %q", from)
	}
	before := mustParse(t, base, noEnv)
	after := mustParse(t, strings.Replace(base, from, to, 1), noEnv)
	if got := before.RestartChanges(after); !slices.Equal(got, want) {
		t.Errorf("RestartChanges = %v, want %v", got, want)
	}
}

// TestRepeatsWarn checks that a feed named twice in one subscription's
// list, one URL given to two feeds, or one subscription written twice
// loads with a warning at the repeat: it runs (the list is a set; the
// outbox posts a story once per destination) but is most likely a
// copy-paste mistake that leaves out what the user meant.
func TestRepeatsWarn(t *testing.T) {
	const feeds = "feeds:\n" +
		"  - {name: a, url: \"https://a.example.org/rss\"}\n" +
		"  - {name: b, url: \"https://b.example.org/rss\"}\n"
	const dests = "destinations:\n  - {name: d, type: console}\n  - {name: e, type: console}\n"
	tests := []struct {
		name, text, want string
		// targets, when set, are the destinations the subscription
		// (the first) is to post to.
		targets []string
	}{
		{"a feed listed twice", feeds + "subscriptions:\n  - {name: s, query: x, feeds: [a, b, a]}\n",
			`r.yaml:5:39: warning: feeds: "a" is listed twice`, nil},
		// As a feed: the list is a set, and a copy of the name before
		// left unedited leaves out the destination meant.
		{"a destination listed twice", feeds + dests + "subscriptions:\n  - {name: s, query: x, destination: [d, e, d]}\n",
			`r.yaml:8:45: warning: destination: "d" is listed twice`, []string{"d", "e"}},
		{"a destination listed twice, block style", feeds + dests + "subscriptions:\n  - name: s\n    query: x\n    destination:\n      - e\n      - e\n",
			`r.yaml:12:9: warning: destination: "e" is listed twice`, []string{"e"}},
		{"one URL, two feeds", feeds + "  - {name: c, url: \"https://a.example.org/rss\"}\n",
			`r.yaml:4:20: warning: url: the same as feed "a"'s (line 2): the feed is fetched twice; name one feed and list that name where both are used`, nil},
		{"one URL, the host in capitals", feeds + "  - {name: c, url: \"HTTPS://A.Example.org/rss\"}\n",
			`r.yaml:4:20: warning: url: the same as feed "a"'s (line 2): the feed is fetched twice; name one feed and list that name where both are used`, nil},
		{"paths differ in case", feeds + "  - {name: c, url: \"https://a.example.org/RSS\"}\n", "", nil},
		// The outbox posts an item once per destination, so the second
		// of two such subscriptions never posts (its role is never pinged).
		{"one subscription twice", feeds + "subscriptions:\n  - {name: s, query: aleppo  truce, feeds: [a, b]}\n  - {name: t, query: aleppo truce, feeds: [b, a], mention_role: \"123\"}\n",
			`r.yaml:6:5: warning: subscription "t": the same query, feeds and destination as subscription "s" (line 5): an item goes to a destination once, so one of them posts nothing there`, nil},
		{"one query, other feeds", feeds + "subscriptions:\n  - {name: s, query: aleppo, feeds: [a]}\n  - {name: t, query: aleppo, feeds: [b]}\n", "", nil},
		{"other queries", feeds + "subscriptions:\n  - {name: s, query: aleppo}\n  - {name: t, query: truce}\n", "", nil},
		{"each feed once", feeds + "subscriptions:\n  - {name: s, query: x, feeds: [a, b]}\n", "", nil},
		{"each destination once", feeds + dests + "subscriptions:\n  - {name: s, query: x, destination: [e, d]}\n", "", []string{"e", "d"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := warningsOf(t, "r.yaml", tc.text); got != tc.want {
				t.Errorf("Warnings:\n got %s\nwant %s", got, tc.want)
			}
			if tc.targets == nil {
				return
			}
			c := mustParse(t, tc.text, noEnv)
			var got []string
			for _, tg := range c.Subscriptions[0].Targets {
				got = append(got, tg.Destination)
			}
			if !slices.Equal(got, tc.targets) {
				t.Errorf("destinations: got %q, want %q", got, tc.targets)
			}
		})
	}
}

// emptyMayMeanLeftOut are the keys whose empty value (`key:` with nothing
// after it) is taken as the key left out: sections, blocks of keys and
// lists, where an empty one ({} or []) means the same.
var emptyMayMeanLeftOut = map[string]bool{
	"feed.headers": true, "subscription.format": true, "destination.format": true,
	"subscription.delivery": true, "discord.guilds": true, "destination.tags": true,
}

// emptyValueConfig is a config with key (as "what.key") given no value,
// and the line the key is on.
func emptyValueConfig(key string) (text string, line int) {
	what, name, _ := strings.Cut(key, ".")
	// A list entry starts with the key, then its other required keys.
	entry := func(list string, others ...string) (string, int) {
		text := list + ":\n  - " + name + ":\n"
		for _, o := range others {
			if !strings.HasPrefix(o, name+":") {
				text += "    " + o + "\n"
			}
		}
		return text, 2
	}
	switch what {
	case "config":
		return name + ":\n", 1
	case "feed":
		return entry("feeds", "name: f", "url: https://f.example.org/")
	case "subscription":
		return entry("subscriptions", "name: s", "query: x")
	case "destination":
		return entry("destinations", "name: d", "type: console")
	case "format", "delivery":
		return "subscriptions:\n  - name: s\n    query: x\n    " + what + ":\n      " + name + ":\n" +
			"destinations: [{name: d, type: discord-webhook, webhook_url: \"https://discord.com/api/webhooks/1/x\"}]\n", 5
	}
	return what + ":\n  " + name + ":\n", 2 // store, defaults, discord
}

// TestEmptyValueIsRefused checks every key the decoder knows: `key:` with
// nothing after it is refused at the key, unless an empty value of its
// kind ({} or []) is accepted anyway (a section, a block, a list). Before,
// an empty value silently meant the default: `interval:` polled every 10
// minutes, `feeds:` (its lines commented out) every feed, `max_age:` 24h.
func TestEmptyValueIsRefused(t *testing.T) {
	d := &decoder{file: "every.yaml", env: noEnv, known: map[string]bool{}}
	d.decode([]byte(everyKey))
	d.decode([]byte("subscriptions: [{name: s, query: x, delivery: {mode: instant}}]"))
	var keys []string
	for k := range d.known {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		t.Run(key, func(t *testing.T) {
			text, line := emptyValueConfig(key)
			name := key[strings.Index(key, ".")+1:]
			_, err := Parse("e.yaml", []byte(text), noEnv)
			var atKey []string
			var problems Errors
			errors.As(err, &problems)
			for _, p := range problems {
				if p.Line == line {
					atKey = append(atKey, p.Msg)
				}
			}
			allowed := strings.HasPrefix(key, "config.") || emptyMayMeanLeftOut[key]
			switch {
			case allowed && len(atKey) > 0:
				t.Errorf("%q: got %q at line %d, want the empty value taken as left out", text, atKey, line)
			case !allowed && (len(atKey) != 1 || !strings.HasPrefix(atKey[0], name+": the value is empty")):
				t.Errorf("%q: got %q at line %d (all: %v), want one %q", text, atKey, line, err, name+": the value is empty…")
			}
		})
	}
}

// TestEmptyValueMessages checks what a refused empty value says: how to
// get the default where there is one, nothing more for a required key,
// and "" for a message part left out.
func TestEmptyValueMessages(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"a default", "defaults:\n  max_age:\n",
			`m.yaml:2:3: max_age: the value is empty: write one, or delete the line for the default`},
		{"a required key", "subscriptions:\n  - name: s\n    query:\n",
			`m.yaml:3:5: query: the value is empty`},
		{"a type's required key", "destinations:\n  - name: d\n    type: email\n    smtp_host: mail.example.org\n    from: a@example.org\n    to:\n",
			`m.yaml:6:5: to: the value is empty`},
		{"a message part", "subscriptions:\n  - name: s\n    query: x\n    destination: d\n    format:\n      footer:\n" +
			"destinations:\n  - {name: d, type: discord-webhook, webhook_url: \"https://discord.com/api/webhooks/1/x\"}\n",
			`m.yaml:6:7: footer: the value is empty: write "" to leave this part out, or delete the line for the default`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("m.yaml", []byte(tc.text), noEnv)
			got := fmt.Sprint(err)
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestHeaderValueProblems: a header given no value would go out empty,
// as `interval:` would mean the default: refused, as every empty value is.
// A header repeated after an empty one is a duplicate too.
func TestHeaderValueProblems(t *testing.T) {
	tests := []struct{ name, headers, want string }{
		{"no value", "      X-Api-Key:\n", `h.yaml:5:7: headers: X-Api-Key: the value is empty: write one, or delete the line`},
		{"repeated after an empty one", "      X-A: \"\"\n      x-a: b\n", `h.yaml:6:7: headers: duplicate header "X-A"`},
		// Go's client never sends these from a request's headers, and
		// newshound sets the conditional ones from the feed's last answer:
		// written in the file, they would be ignored, so they are refused.
		{"host", "      Host: news.example.org\n", `h.yaml:5:7: headers: Host is not sent as written: the request's comes from the url`},
		{"content length", "      content-length: \"0\"\n", `h.yaml:5:7: headers: content-length is not sent as written: a GET has no body`},
		{"conditional", "      If-None-Match: '\"abc\"'\n", `h.yaml:5:7: headers: If-None-Match is not sent as written: newshound sets it from the feed's last answer (a conditional GET)`},
		{"conditional by date", "      If-Modified-Since: Mon, 01 Jan 2024 00:00:00 GMT\n", `h.yaml:5:7: headers: If-Modified-Since is not sent as written: newshound sets it from the feed's last answer (a conditional GET)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := "feeds:\n  - name: f\n    url: https://f.example.org/\n    headers:\n" + tc.headers
			_, err := Parse("h.yaml", []byte(text), noEnv)
			if got := fmt.Sprint(err); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}
