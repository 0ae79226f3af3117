package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"unicode"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/feeds"
)

// importOPML prints the feeds of an OPML document as a `feeds:` block to
// paste into a config file, with unique names made from their titles.
func importOPML(r io.Reader, out io.Writer) error {
	list, err := feeds.ReadOPML(r)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "feeds:")
	used := map[string]bool{}
	for _, f := range list {
		name := uniqueName(slug(f.Title, f.URL), used)
		fmt.Fprintf(out, "  - name: %s\n    url: %s\n", yamlString(name), yamlString(f.URL))
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
