package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/feeds"
)

// importOPML prints the feeds of an OPML document as a `feeds:` block to
// paste into a config file, with unique names made from their titles.
// An entry whose URL a config would not poll (file:, gopher: and other
// schemes, loopback, private and cloud-metadata addresses) is left out,
// said on errOut and marked in the output, and the import fails.
func importOPML(r io.Reader, out, errOut io.Writer) error {
	list, err := feeds.ReadOPML(r)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "feeds:")
	used := map[string]bool{}
	refused := 0
	for _, f := range list {
		if err := feeds.CheckFeedURL(f.URL, false, false); err != nil {
			refused++
			fmt.Fprintf(errOut, "left out %q: %v\n", f.URL, err)
			fmt.Fprintf(out, "  # left out: %s (%v)\n", strings.Join(strings.Fields(f.URL), " "), err)
			continue
		}
		name := uniqueName(slug(f.Title, f.URL), used)
		fmt.Fprintf(out, "  - name: %s\n    url: %s\n", yamlString(name), yamlString(f.URL))
	}
	if refused > 0 {
		return fmt.Errorf("%d of %d feeds left out: newshound polls only http(s) feeds on public addresses (allow_private_networks: true in the config lifts the address check; add such feeds by hand)", refused, len(list))
	}
	return nil
}

// exportOPML writes the config's feeds as OPML.
func exportOPML(cfg *config.Config, out io.Writer) error {
	list := make([]feeds.OPMLFeed, 0, len(cfg.Feeds))
	for _, f := range cfg.Feeds {
		list = append(list, feeds.OPMLFeed{Title: f.Name, URL: f.URL})
	}
	return feeds.WriteOPML(out, "newshound feeds", list)
}

// discoverFeeds prints the feeds a page links to, or the URL itself when it
// already is a feed. The parser does the discovery: a web page is a
// NotAFeed error naming the feeds it links to.
func discoverFeeds(ctx context.Context, f *feeds.Fetcher, pageURL string, out io.Writer) error {
	res, err := feeds.Refresh(ctx, f, feeds.NewParser(), feeds.Request{URL: pageURL}, time.Now())
	if err == nil {
		fmt.Fprintf(out, "%s (is a feed)\n", res.URL)
		return nil
	}
	var fe *feeds.Error
	if !errors.As(err, &fe) || fe.Kind != feeds.NotAFeed || len(fe.Alternates) == 0 {
		return fmt.Errorf("no feed links found on that page: %w", err)
	}
	for _, u := range fe.Alternates {
		fmt.Fprintln(out, u)
	}
	return nil
}

func slug(title, fallback string) string {
	if strings.TrimSpace(title) == "" {
		title = hostOf(fallback)
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimSuffix(b.String(), "-")
	if s == "" {
		s = "feed"
	}
	return s
}

func uniqueName(name string, used map[string]bool) string {
	candidate := name
	for i := 2; used[candidate]; i++ {
		candidate = fmt.Sprintf("%s-%d", name, i)
	}
	used[candidate] = true
	return candidate
}

// yamlString quotes s; a JSON string is a valid YAML double-quoted scalar.
func yamlString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return u.Host
}
