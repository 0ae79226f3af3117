package config

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
)

const examplePath = "../examples/newshound.yaml"

func TestExampleConfigLoads(t *testing.T) {
	c, err := Load(examplePath)
	if err != nil {
		t.Fatalf("the example config does not load:\n%v", err)
	}
	if len(c.Feeds) < 3 || len(c.Subscriptions) < 3 {
		t.Errorf("example has %d feeds and %d subscriptions, want at least 3 of each", len(c.Feeds), len(c.Subscriptions))
	}
	// A fresh user must see alerts on the first run with the 2016 items.
	if c.Defaults.MaxAge != 0 {
		t.Errorf("example max_age = %v, want 0 (no age limit) so the invented items stay eligible", c.Defaults.MaxAge)
	}
	for _, s := range c.Subscriptions {
		if s.Backfill == 0 || s.MaxAge != 0 {
			t.Errorf("subscription %s: backfill %d, max_age %v; want backfill > 0 and max_age 0", s.Name, s.Backfill, s.MaxAge)
		}
	}
}

// Every example feed is a local file that gofeed parses into items, so
// the example works offline.
func TestExampleFeedsParse(t *testing.T) {
	c, err := Load(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	parser := gofeed.NewParser()
	kinds := map[string]bool{}
	for _, feed := range c.Feeds {
		t.Run(feed.Name, func(t *testing.T) {
			u, err := url.Parse(feed.URL)
			if err != nil || u.Scheme != "file" {
				t.Fatalf("feed URL %q is not a file URL (%v); the example must work offline", feed.URL, err)
			}
			f, err := os.Open(filepath.FromSlash(u.Path))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			parsed, err := parser.Parse(f)
			if err != nil {
				t.Fatalf("gofeed: %v", err)
			}
			if len(parsed.Items) < 4 {
				t.Errorf("%d items, want at least 4", len(parsed.Items))
			}
			kinds[parsed.FeedType] = true
		})
	}
	for _, kind := range []string{"rss", "atom", "json"} {
		if !kinds[kind] {
			t.Errorf("no example feed of type %s", kind)
		}
	}
}

// everyKey is a config that uses every section, so decoding it visits every
// key the decoder knows.
const everyKey = `
store: {}
defaults: {}
discord: {}
define: {}
feeds: [{name: f, url: "https://f.example.org/"}]
subscriptions: [{name: s, query: x, format: {}}]
destinations: [{name: d, type: discord-webhook, webhook_url: "https://discord.com/api/webhooks/1/x", format: {}}]
`

// TestExampleDocumentsEveryKey fails when a key is added to the schema but
// not to the example config, where users learn about it.
func TestExampleDocumentsEveryKey(t *testing.T) {
	text, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	d := &decoder{file: "every.yaml", env: noEnv, known: map[string]bool{}}
	d.decode([]byte(everyKey))
	if len(d.problems) > 0 {
		t.Fatalf("everyKey config has problems: %v", d.problems)
	}
	var keys []string
	for k := range d.known {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) < 30 {
		t.Fatalf("only %d keys recorded: %v", len(keys), keys)
	}
	for _, k := range keys {
		key := k[strings.LastIndex(k, ".")+1:]
		// The key at the start of a line, maybe commented out, maybe a list item.
		documented := regexp.MustCompile(`(?m)^\s*(#\s*)?(-\s+)?` + regexp.QuoteMeta(key) + `:`)
		if !documented.Match(text) {
			t.Errorf("%s: key %q is not in %s", k, key, examplePath)
		}
	}
}
