package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/bot"
	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/store/storetest"
)

// TestDocumentedDefaultsReachTheirComponent walks the defaults and zero
// meanings that examples/newshound.yaml documents to the component that
// uses them: each key is left out (the documented default must arrive),
// set to a value (it must arrive as written) and, where the docs give 0 a
// meaning, set to 0 (that meaning must arrive, not a default).
func TestDocumentedDefaultsReachTheirComponent(t *testing.T) {
	// storyWindows is the story index's window and the first
	// subscription's story_window (0: that subscription never groups).
	storyWindows := func(e bot.Effective) any {
		var first time.Duration
		for _, w := range e.SubscriptionStoryWindows {
			first = w
			break
		}
		return [2]time.Duration{e.StoryWindow, first}
	}
	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "newshound.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	maxAge := func(e bot.Effective) any { return onlyValue(e.SubscriptionMaxAges) }
	backfill := func(e bot.Effective) any { return onlyValue(e.SubscriptionBackfills) }
	// private is whether config feeds and Discord watches may reach
	// private addresses (watches never may).
	private := func(e bot.Effective) any { return [2]bool{e.Fetcher.AllowPrivate, e.WatchFetcher.AllowPrivate} }
	agent := feeds.UserAgentFor(version)
	fetcher := func(e bot.Effective) feeds.FetcherOptions { return e.Fetcher }
	feed := func(e bot.Effective) bot.EffectiveFeed { return e.Feeds[0] }
	tests := []struct {
		key     string
		section string // "defaults" or "discord"
		doc     string // what the example says of the default
		value   string // "": the key is left out
		want    func(bot.Effective) any
		wantVal any
		refused bool // the value is an error in check
	}{
		{key: "interval", section: "defaults", doc: "Default 10m", want: func(e bot.Effective) any { return feed(e).Schedule.Interval }, wantVal: 10 * time.Minute},
		{key: "interval", section: "defaults", value: "1m", want: func(e bot.Effective) any { return feed(e).Schedule.Interval }, wantVal: time.Minute},
		{key: "interval", section: "defaults", value: "0s", refused: true},
		{key: "host_concurrency", section: "defaults", doc: "Default 2", want: func(e bot.Effective) any { return fetcher(e).HostConcurrency }, wantVal: 2},
		{key: "host_concurrency", section: "defaults", value: "7", want: func(e bot.Effective) any { return fetcher(e).HostConcurrency }, wantVal: 7},
		{key: "host_concurrency", section: "defaults", value: "0", refused: true},
		{key: "host_gap", section: "defaults", doc: "Default 1s", want: func(e bot.Effective) any { return fetcher(e).HostGap }, wantVal: time.Second},
		{key: "host_gap", section: "defaults", value: "250ms", want: func(e bot.Effective) any { return fetcher(e).HostGap }, wantVal: 250 * time.Millisecond},
		{key: "host_gap", section: "defaults", value: "0s", want: func(e bot.Effective) any { return fetcher(e).HostGap }, wantVal: time.Duration(0)},
		{key: "timeout", section: "defaults", doc: "Default 30s", want: func(e bot.Effective) any { return fetcher(e).Timeout }, wantVal: 30 * time.Second},
		{key: "timeout", section: "defaults", value: "5s", want: func(e bot.Effective) any { return fetcher(e).Timeout }, wantVal: 5 * time.Second},
		{key: "timeout", section: "defaults", value: "0s", refused: true},
		{key: "max_body_bytes", section: "defaults", doc: "Default 10MiB", want: func(e bot.Effective) any { return fetcher(e).MaxBodyBytes }, wantVal: int64(10 << 20)},
		{key: "max_body_bytes", section: "defaults", value: "64KiB", want: func(e bot.Effective) any { return fetcher(e).MaxBodyBytes }, wantVal: int64(64 << 10)},
		{key: "max_body_bytes", section: "defaults", value: "0", refused: true},
		{key: "max_items", section: "defaults", doc: "Defaults 2000, 64 and 100000", want: func(e bot.Effective) any { return e.Parser.MaxItems }, wantVal: 2000},
		{key: "max_items", section: "defaults", value: "50", want: func(e bot.Effective) any { return e.Parser.MaxItems }, wantVal: 50},
		{key: "max_items", section: "defaults", value: "0", want: func(e bot.Effective) any { return e.Parser.MaxItems }, wantVal: 0},
		{key: "max_depth", section: "defaults", want: func(e bot.Effective) any { return e.Parser.MaxDepth }, wantVal: 64},
		{key: "max_depth", section: "defaults", value: "0", want: func(e bot.Effective) any { return e.Parser.MaxDepth }, wantVal: 0},
		{key: "max_depth", section: "defaults", value: "10", want: func(e bot.Effective) any { return e.Parser.MaxDepth }, wantVal: 10},
		{key: "max_elements", section: "defaults", want: func(e bot.Effective) any { return e.Parser.MaxElements }, wantVal: 100000},
		{key: "max_elements", section: "defaults", value: "500", want: func(e bot.Effective) any { return e.Parser.MaxElements }, wantVal: 500},
		{key: "max_elements", section: "defaults", value: "0", want: func(e bot.Effective) any { return e.Parser.MaxElements }, wantVal: 0},
		{key: "max_items", section: "defaults", value: "-1", refused: true},
		{key: "max_age", section: "defaults", doc: "Default 24h", want: maxAge, wantVal: 24 * time.Hour},
		{key: "max_age", section: "defaults", value: "3h", want: maxAge, wantVal: 3 * time.Hour},
		{key: "max_age", section: "defaults", value: "0", want: maxAge, wantVal: time.Duration(0)},
		{key: "max_age", section: "defaults", value: "-1h", refused: true},
		{key: "backfill", section: "defaults", doc: "Default 0", want: backfill, wantVal: 0},
		{key: "backfill", section: "defaults", value: "5", want: backfill, wantVal: 5},
		{key: "backfill", section: "defaults", value: "-1", refused: true},
		{key: "allow_private_networks", section: "defaults", doc: "Default false", want: private, wantVal: [2]bool{false, false}},
		{key: "allow_private_networks", section: "defaults", value: "true", want: private, wantVal: [2]bool{true, false}},
		{key: "allow_private_networks", section: "defaults", value: "yes", refused: true},
		{key: "disable_after", section: "defaults", doc: "Default 72h; 0 = never", want: func(e bot.Effective) any { return feed(e).Schedule.DisableAfter }, wantVal: 72 * time.Hour},
		{key: "disable_after", section: "defaults", value: "5h", want: func(e bot.Effective) any { return feed(e).Schedule.DisableAfter }, wantVal: 5 * time.Hour},
		{key: "disable_after", section: "defaults", value: "0s", want: neverDisables, wantVal: true},
		{key: "user_agent", section: "defaults", doc: `Default: "newshound/VERSION (+https://github.com/newshound/newshound)"`, want: func(e bot.Effective) any { return [2]string{fetcher(e).UserAgent, feed(e).UserAgent} }, wantVal: [2]string{agent, agent}},
		{key: "user_agent", section: "defaults", value: `"desk-bot/2 (+https://news.example)"`, want: func(e bot.Effective) any { return [2]string{fetcher(e).UserAgent, feed(e).UserAgent} }, wantVal: [2]string{"desk-bot/2 (+https://news.example)", "desk-bot/2 (+https://news.example)"}},
		{key: "proxy_resolves_names", section: "defaults", doc: "Default false", want: func(e bot.Effective) any { return fetcher(e).ProxyResolvesNames }, wantVal: false},
		{key: "proxy_resolves_names", section: "defaults", value: "true", want: func(e bot.Effective) any { return fetcher(e).ProxyResolvesNames }, wantVal: true},
		{key: "proxy_resolves_names", section: "defaults", value: "yes", refused: true},
		{key: "story_window", section: "defaults", doc: "Default 48h", want: storyWindows, wantVal: [2]time.Duration{48 * time.Hour, 48 * time.Hour}},
		{key: "story_window", section: "defaults", value: "2h", want: storyWindows, wantVal: [2]time.Duration{2 * time.Hour, 2 * time.Hour}},
		{key: "story_window", section: "defaults", value: "0s", want: storyWindows, wantVal: [2]time.Duration{0, 0}},
		{key: "burst", section: "discord", doc: "Default 5", want: func(e bot.Effective) any { return e.Burst }, wantVal: 5},
		{key: "burst", section: "discord", value: "1", want: func(e bot.Effective) any { return e.Burst }, wantVal: 1},
		{key: "burst", section: "discord", value: "0", refused: true},
	}
	for _, tt := range tests {
		name := tt.key + "=" + tt.value
		if tt.value == "" {
			name = tt.key + " left out"
		}
		t.Run(name, func(t *testing.T) {
			if tt.doc != "" && !documents(string(example), tt.key, tt.doc) {
				t.Errorf("examples/newshound.yaml: the comment above %s does not say %q", tt.key, tt.doc)
			}
			cfgPath := writeConfig(t, tt.section, tt.key, tt.value)
			cfg, err := loadConfig(cfgPath)
			if tt.refused {
				if err == nil {
					t.Fatalf("%s: %s was accepted; the docs give it no meaning", tt.key, tt.value)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			svc, closeAll, err := openService(context.Background(), cfg, env{logger: slog.New(slog.NewTextHandler(io.Discard, nil)), console: io.Discard, now: time.Now})
			if err != nil {
				t.Fatal(err)
			}
			defer closeAll()
			if got := tt.want(svc.Effective()); got != tt.wantVal {
				t.Errorf("%s: the component got %v, want %v", name, got, tt.wantVal)
			}
		})
	}
}

// onlyValue is the value of a map of one key: the one subscription's.
func onlyValue[V any](m map[string]V) any {
	for _, v := range m {
		return v
	}
	return nil
}

// neverDisables checks that a feed failing for a year is not disabled.
func neverDisables(e bot.Effective) any {
	sched := e.Feeds[0].Schedule
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := feeds.PollHistory{FeedID: "wire", ErrorCount: 5000, FailingSince: start}
	d := sched.Next(h, feeds.Outcome{Err: errors.New("HTTP 500")}, start.Add(365*24*time.Hour))
	return !d.Disable && sched.DisableAfter == 0
}

// documents reports whether the comment lines right above the first line
// that sets (or shows, commented out) key say doc.
func documents(example, key, doc string) bool {
	lines := strings.Split(example, "\n")
	keyLine := regexp.MustCompile(`^\s*#?\s*` + regexp.QuoteMeta(key) + `:`)
	for i, l := range lines {
		if !keyLine.MatchString(l) {
			continue
		}
		var comment []string
		for j := i - 1; j >= 0 && strings.HasPrefix(strings.TrimSpace(lines[j]), "#"); j-- {
			comment = append([]string{strings.TrimLeft(strings.TrimSpace(lines[j]), "# ")}, comment...)
		}
		if strings.Contains(strings.Join(comment, " "), doc) {
			return true
		}
	}
	return false
}

// writeConfig writes a config with one file feed and sets key in section
// to value ("" leaves it out).
func writeConfig(t *testing.T, section, key, value string) string {
	t.Helper()
	dir := t.TempDir()
	storetest.MigratedSQLite(t, filepath.Join(dir, "state.db")) // the store's tests migrate
	setting := ""
	if value != "" {
		setting = fmt.Sprintf("%s:\n  %s: %s\n", section, key, value)
	}
	data := fmt.Sprintf(`store:
  path: %q
%sfeeds:
  - name: wire
    url: testdata/wire.xml
subscriptions:
  - name: all
    query: news
`, filepath.Join(dir, "state.db"), setting)
	if err := os.WriteFile(filepath.Join(dir, "wire.xml"), []byte("<rss/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "newshound.yaml")
	data = strings.Replace(data, "testdata/wire.xml", "file://"+filepath.ToSlash(filepath.Join(dir, "wire.xml")), 1)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
