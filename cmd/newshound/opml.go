package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"unicode"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/feeds"
)

// importOPML prints the feeds of an OPML document as a `feeds:` block to
// paste into a config file: unique names, those `feeds export` wrote
// (newshoundName) or else made from their titles, the
// titles themselves, and each folder as a comment above its feeds (the
// config has no folders; a subscription's feeds: list can name them). An
// entry whose URL a config would not poll (file:, gopher: and other
// schemes, loopback, private and cloud-metadata addresses) is left out,
// said on errOut and marked in the output, and the import fails.
func importOPML(r io.Reader, out, errOut io.Writer) error {
	list, err := feeds.ReadOPML(r)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return errors.New("no feeds in it (no outline has an xmlUrl)")
	}
	fmt.Fprintln(out, "feeds:")
	// The names an export wrote are what subscriptions use: a name made
	// from a title, wherever its outline stands, must not take one.
	exported := map[string]bool{}
	for _, f := range list {
		if n := configName(f.Name); n != "" && f.URL != "" {
			exported[n] = true
		}
	}
	used := map[string]bool{}
	folder := ""
	refused, missing := 0, 0
	for _, f := range list {
		if f.Folder != folder {
			folder = f.Folder
			if folder == "" {
				fmt.Fprintln(out, "  # (in no folder)")
			} else {
				fmt.Fprintf(out, "  # folder: %s\n", notify.OneLine(folder))
			}
		}
		if f.URL == "" {
			missing++
			fmt.Fprintf(errOut, "left out %q: an outline of type rss without an xmlUrl\n", f.Title)
			fmt.Fprintf(out, "  # left out: %s (an outline of type rss without an xmlUrl)\n", yamlString(f.Title))
			continue
		}
		if err := feeds.CheckFeedURL(f.URL, false, false); err != nil {
			refused++
			why := refusal(err)
			fmt.Fprintf(errOut, "left out %q: %s\n", f.URL, why)
			fmt.Fprintf(out, "  # left out: %s (%s)\n", notify.OneLine(f.URL), why)
			continue
		}
		name := configName(f.Name)
		if name == "" || used[name] {
			// A title "All" makes the name a config refuses (feeds: all).
			taken := func(n string) bool { return configName(n) == "" || used[n] || exported[n] }
			name = uniqueName(cmp.Or(name, slug(f.Title, f.URL)), taken)
		}
		used[name] = true
		fmt.Fprintf(out, "  - name: %s\n", yamlString(name))
		if f.Title != "" && f.Title != f.Name { // an export titles a feed without a title by its name
			fmt.Fprintf(out, "    title: %s\n", yamlString(f.Title))
		}
		fmt.Fprintf(out, "    url: %s\n", yamlString(f.URL))
	}
	var why []string
	if refused > 0 {
		why = append(why, "newshound polls only http(s) feeds on public addresses (allow_private_networks: true in the config lifts the address check; add such feeds by hand)")
	}
	if missing > 0 {
		why = append(why, fmt.Sprintf("%d gave no xmlUrl", missing))
	}
	if len(why) > 0 {
		return fmt.Errorf("%d of %s left out: %s", refused+missing, plural(len(list), "feed"), strings.Join(why, "; "))
	}
	return nil
}

// refusal is why CheckFeedURL refused a URL, without the URL: the
// left-out line names it already.
func refusal(err error) string {
	if r, ok := errors.AsType[*feeds.URLRefusal](err); ok {
		return r.Reason
	}
	return err.Error()
}

// exportOPML writes a config's feeds (config.LoadFeeds) as OPML, titled
// by their title: key, else their name.
func exportOPML(configFeeds []config.Feed, out io.Writer) error {
	list := make([]feeds.OPMLFeed, 0, len(configFeeds))
	for _, f := range configFeeds {
		list = append(list, feeds.OPMLFeed{Title: cmp.Or(f.Title, f.Name), Name: f.Name, URL: f.URL})
	}
	return feeds.WriteOPML(out, "newshound feeds", list)
}

// configName is name, an OPML outline's newshoundName, if a config may
// name a feed so (config's rule: not blank, not "all", no spaces around
// it), else "".
func configName(name string) string {
	if name == "all" || strings.TrimSpace(name) != name || strings.ContainsAny(name, "\r\n") {
		return ""
	}
	return name
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

// uniqueName is name, or name-2, name-3 ..., the first that is not taken.
func uniqueName(name string, taken func(string) bool) string {
	candidate := name
	for i := 2; taken(candidate); i++ {
		candidate = fmt.Sprintf("%s-%d", name, i)
	}
	return candidate
}

// yamlString quotes s; a JSON string is a valid YAML double-quoted scalar
// (without HTML escapes, which would show "&" as \u0026).
func yamlString(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return u.Host
}
