package config

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// spots remembers where names and references were written, for the checks
// that need the whole file (duplicates, unknown references).
type spots struct {
	feedName []Pos
	feedURL  []Pos // where each feed's url is; zero when it has none valid
	subName  []Pos
	subFeeds [][]Pos // per subscription, per listed feed
	subDest  [][]Pos // per subscription, per named destination; empty when it names none
	subAt    []Pos   // where each subscription's mapping starts
	// subFormat, subFormatAt and subColor are each subscription's format:
	// block (nil when it has none), where it is, and its color: value.
	subFormat   []*formatPatch
	subFormatAt []Pos
	subColor    []*yaml.Node
	destName    []Pos
}

func posOf(n *yaml.Node) Pos { return Pos{Line: n.Line, Col: n.Column} }

// root decodes the top-level mapping. Sections are decoded in dependency
// order, not file order: defaults before the feeds that inherit them.
func (d *decoder) root(n *yaml.Node, c *Config, at *spots) {
	sections := d.sections(n)
	if v := sections["store"]; v != nil {
		d.store(v, &c.Store)
	}
	if v := sections["defaults"]; v != nil {
		d.defaults(v, &c.Defaults)
	}
	if v := sections["discord"]; v != nil {
		d.discord(v, &c.Discord)
	}
	if v := sections["define"]; v != nil {
		d.define(v, c)
	}
	if v := sections["destinations"]; v != nil {
		d.list("destinations", v, func(_ int, el *yaml.Node) {
			dest, name := d.destination(el, c.Discord)
			c.Destinations = append(c.Destinations, dest)
			at.destName = append(at.destName, name)
		})
	}
	if v := sections["feeds"]; v != nil {
		d.list("feeds", v, func(_ int, el *yaml.Node) {
			feed, name, url := d.feed(el, c.Defaults)
			c.Feeds = append(c.Feeds, feed)
			at.feedName = append(at.feedName, name)
			at.feedURL = append(at.feedURL, url)
		})
	}
	if v := sections["subscriptions"]; v != nil {
		d.list("subscriptions", v, func(_ int, el *yaml.Node) {
			sub, sp := d.subscription(el, c.Defaults)
			c.Subscriptions = append(c.Subscriptions, sub)
			at.subName = append(at.subName, sp.name)
			at.subFeeds = append(at.subFeeds, sp.feeds)
			at.subDest = append(at.subDest, sp.dests)
			at.subAt = append(at.subAt, sp.at)
			at.subFormat = append(at.subFormat, sp.format)
			at.subFormatAt = append(at.subFormatAt, sp.formatAt)
			at.subColor = append(at.subColor, sp.color)
		})
	}
}

// sectionNames are the keys of the top-level mapping.
var sectionNames = []string{"store", "defaults", "discord", "define", "feeds", "subscriptions", "destinations"}

// sections returns the top-level mapping's sections by name, reporting
// unknown keys.
func (d *decoder) sections(n *yaml.Node) map[string]*yaml.Node {
	sections := map[string]*yaml.Node{}
	fields := map[string]fieldFunc{}
	for _, key := range sectionNames {
		fields[key] = func(v *yaml.Node) { sections[key] = v }
	}
	d.mapping(n, "config", fields)
	return sections
}

func (d *decoder) store(n *yaml.Node, s *Store) {
	var dsnPos *yaml.Node
	d.mapping(n, "store", map[string]fieldFunc{
		"driver": func(v *yaml.Node) {
			if drv, ok := d.str("driver", v); ok {
				if drv != "sqlite" && drv != "postgres" {
					d.errorf(v, "driver: expected sqlite or postgres, got %q%s", drv, suggestion(drv, []string{"sqlite", "postgres"}))
					return
				}
				s.Driver = drv
			}
		},
		"path": func(v *yaml.Node) { s.Path, _ = d.nonEmpty("path", v) },
		"dsn":  func(v *yaml.Node) { s.DSN, _ = d.nonEmpty("dsn", v); dsnPos = v },
	})
	if s.Path == "" {
		s.Path = DefaultStorePath
	}
	switch {
	case s.Driver == "postgres" && s.DSN == "":
		d.errorf(n, "store: driver postgres needs dsn (e.g. dsn: ${DATABASE_URL})")
	case s.Driver == "sqlite" && dsnPos != nil:
		d.errorf(dsnPos, "dsn: only used with driver: postgres (sqlite uses path)")
	}
}

func (d *decoder) defaults(n *yaml.Node, df *Defaults) {
	d.mapping(n, "defaults", map[string]fieldFunc{
		"interval":     func(v *yaml.Node) { d.setInterval(v, &df.Interval) },
		"backfill":     func(v *yaml.Node) { setIf(&df.Backfill)(d.integer("backfill", v, 0)) },
		"max_age":      func(v *yaml.Node) { setIf(&df.MaxAge)(d.duration("max_age", v)) },
		"story_window": func(v *yaml.Node) { d.setStoryWindow(v, &df.StoryWindow) },
		"user_agent": func(v *yaml.Node) {
			setIf(&df.UserAgent)(d.nonEmpty("user_agent", v))
		},
		"max_body_bytes": func(v *yaml.Node) { setIf(&df.MaxBodyBytes)(d.size("max_body_bytes", v)) },
		"max_items":      func(v *yaml.Node) { setIf(&df.MaxItems)(d.integer("max_items", v, 0)) },
		"max_depth":      func(v *yaml.Node) { setIf(&df.MaxDepth)(d.integer("max_depth", v, 0)) },
		"max_elements":   func(v *yaml.Node) { setIf(&df.MaxElements)(d.integer("max_elements", v, 0)) },
		"timeout":        func(v *yaml.Node) { d.setPositive("timeout", v, &df.Timeout) },
		"allow_private_networks": func(v *yaml.Node) {
			setIf(&df.AllowPrivateNetworks)(d.boolean("allow_private_networks", v))
		},
		"proxy_resolves_names": func(v *yaml.Node) {
			setIf(&df.ProxyResolvesNames)(d.boolean("proxy_resolves_names", v))
		},
		"host_concurrency": func(v *yaml.Node) {
			setIf(&df.HostConcurrency)(d.integer("host_concurrency", v, 1))
		},
		"host_gap":      func(v *yaml.Node) { setIf(&df.HostGap)(d.duration("host_gap", v)) },
		"disable_after": func(v *yaml.Node) { setIf(&df.DisableAfter)(d.duration("disable_after", v)) },
	})
}

// setIf returns a func that stores a decoded value only when it is valid,
// so a bad value leaves the default in place.
func setIf[T any](dst *T) func(T, bool) {
	return func(v T, ok bool) {
		if ok {
			*dst = v
		}
	}
}

// setInterval enforces the 1m floor: polling faster is rude to publishers
// and gains little, since news feeds rarely change more often.
func (d *decoder) setInterval(v *yaml.Node, dst *time.Duration) {
	dur, ok := d.duration("interval", v)
	if !ok {
		return
	}
	if dur < MinInterval {
		d.errorf(v, "interval: %s is below the minimum of 1m", d.written(v))
		return
	}
	*dst = dur
}

// maxStoryWindow is the longest story_window: the outbox keeps a story's
// first message (what further reports are listed under) for the retention
// of 30 days.
const maxStoryWindow = 30 * 24 * time.Hour

// setStoryWindow reads a story_window: 0 (never group) up to the outbox's
// retention.
func (d *decoder) setStoryWindow(v *yaml.Node, dst *time.Duration) {
	dur, ok := d.duration("story_window", v)
	if ok && dur > maxStoryWindow {
		d.errorf(v, "story_window: at most 30d (the outbox keeps a story's message that long), got %s", d.written(v))
		return
	}
	setIf(dst)(dur, ok)
}

func (d *decoder) setPositive(key string, v *yaml.Node, dst *time.Duration) {
	dur, ok := d.duration(key, v)
	if ok && dur <= 0 {
		d.errorf(v, "%s: must be more than 0", key)
		return
	}
	setIf(dst)(dur, ok)
}

func (d *decoder) discord(n *yaml.Node, dc *Discord) {
	var commands *bool
	var commandsNode *yaml.Node
	d.mapping(n, "discord", map[string]fieldFunc{
		"token":    func(v *yaml.Node) { dc.Token, _ = d.nonEmpty("token", v) },
		"api_base": func(v *yaml.Node) { setIf(&dc.APIBase)(d.apiBase(v)) },
		"guilds": func(v *yaml.Node) {
			d.list("guilds", v, func(_ int, el *yaml.Node) {
				if id, ok := d.snowflake("guilds", el); ok {
					dc.Guilds = append(dc.Guilds, id)
				}
			})
		},
		"burst": func(v *yaml.Node) { setIf(&dc.Burst)(d.integer("burst", v, 1)) },
		"commands": func(v *yaml.Node) {
			if on, ok := d.boolean("commands", v); ok {
				commands, commandsNode = &on, v
			}
		},
	})
	dc.Commands = dc.Token != ""
	if commands != nil {
		dc.Commands = *commands && dc.Token != ""
		if *commands && dc.Token == "" {
			d.errorf(commandsNode, "commands: true needs discord.token (slash commands run on the bot account)")
		}
	}
}

// apiBase accepts an absolute http(s) URL and makes sure it ends in "/",
// so endpoint paths can be appended.
func (d *decoder) apiBase(v *yaml.Node) (string, bool) {
	s, ok := d.nonEmpty("api_base", v)
	if !ok {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		d.errorf(v, "api_base: expected an http(s) URL like %q, got %q", DefaultAPIBase, s)
		return "", false
	}
	if !strings.HasSuffix(s, "/") {
		s += "/"
	}
	return s, true
}

var snowflakePattern = regexp.MustCompile(`^[0-9]{1,20}$`)

// snowflake accepts a Discord id: digits only, quoted or not.
func (d *decoder) snowflake(key string, v *yaml.Node) (string, bool) {
	s, ok := d.str(key, v)
	if !ok {
		return "", false
	}
	s = strings.TrimSpace(s)
	if _, err := strconv.ParseUint(s, 10, 64); err != nil || !snowflakePattern.MatchString(s) {
		d.errorf(v, "%s: expected a numeric Discord id like \"123456789012345678\", got %q", key, s)
		return "", false
	}
	// Discord gives no id 0: one who writes it most likely means none, which
	// leaving the key out says (mention_role: 0 would ping no one).
	if strings.Trim(s, "0") == "" {
		d.errorf(v, "%s: %s is no Discord id (leave the key out for none)", key, s)
		return "", false
	}
	return s, true
}

var defineName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_-]*$`)

func (d *decoder) define(n *yaml.Node, c *Config) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "define: expected a mapping of name: query, got %s", kindName(n))
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		if d.mergeKey(k) {
			continue
		}
		if _, dup := c.Define[k.Value]; dup {
			d.errorf(k, "define: duplicate name %q (first at line %d)", k.Value, c.DefinePos[k.Value].Line)
			continue
		}
		if !defineName.MatchString(k.Value) {
			d.errorf(k, "define: name %q must be letters, digits, _ or - (it is used as @name)", k.Value)
			continue
		}
		if q, ok := d.query("define "+k.Value, v); ok {
			c.Define[k.Value] = q
			p := d.queryStart(v)
			c.DefinePos[k.Value] = p
			c.DefineVerbatim[k.Value] = d.verbatimAt(p, q)
		}
	}
}

// query reads a query string; its syntax is checked later by a Validator.
func (d *decoder) query(key string, v *yaml.Node) (string, bool) {
	q, ok := d.nonEmpty(key, v)
	if ok && v.Style == yaml.DoubleQuotedStyle && strings.IndexFunc(q, isEscapedControl) >= 0 {
		d.escapedControl(key, v)
		return "", false
	}
	if ok {
		d.hashtagComment(key, v)
	}
	// Trim only the end (a block scalar's newline): trimming the start
	// would shift the text away from its recorded position.
	return strings.TrimRightFunc(q, unicode.IsSpace), ok
}

// queryStart is where the query's first character is: after the opening
// quote, or at the first non-blank character after a | or > indicator.
func (d *decoder) queryStart(v *yaml.Node) Pos {
	p := posOf(v)
	switch v.Style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		p.Col++
	case yaml.LiteralStyle, yaml.FoldedStyle:
		for line := v.Line + 1; line <= len(d.lines); line++ {
			text := []rune(d.lines[line-1])
			for i, r := range text {
				if r != ' ' && r != '\t' {
					return Pos{Line: line, Col: i + 1}
				}
			}
		}
	}
	return p
}

// verbatimAt reports whether text stands exactly at p in the file, on one
// line, so that offsets into text are offsets into that line.
func (d *decoder) verbatimAt(p Pos, text string) bool {
	if p.Line < 1 || p.Line > len(d.lines) || p.Col < 1 {
		return false
	}
	line := []rune(d.lines[p.Line-1])
	if p.Col-1 > len(line) {
		return false
	}
	return strings.HasPrefix(string(line[p.Col-1:]), text)
}
