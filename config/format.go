package config

import (
	"errors"
	"strings"
	"time"
	_ "time/tzdata" // timezone: works on machines without a zoneinfo database
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/newshound/newshound/internal/msgtemplate"
)

// Format is how alerts look in Discord: templates with {placeholders}
// (msgtemplate.Names: {title}, {link}, {summary}, {feed}, {feed_title},
// {author}, {categories}, {published}, {matched}, {subscription}, {image})
// for the message text and the embed's parts, the webhook's identity, and
// how {published} is written. Load fills in every field (DefaultFormat,
// then a destination's format:, then a subscription's); an empty template
// leaves that part out of the message.
type Format struct {
	Content     string // message text above the embed; default "" (none)
	Title       string // default "{title}"; an empty title reads "(untitled)"
	Description string // default "{summary}": the excerpt around the matched words
	URL         string // the title's link; default "{link}"
	Author      string // default "{author}"
	Footer      string // default "{feed}"
	Thumbnail   string // small image at the side; default "" (none)
	Image       string // large image below; default "{image}" (the item's media or enclosure)
	// Color is the embed's colour, 0xRRGGBB; a subscription's own color:
	// key sets it too. nil (the key left out) = one of a few colours picked
	// from the subscription's name; a pointer so that a written 0 (black)
	// stays apart from that.
	Color *int
	// Timestamp shows the published time under the embed, in each reader's
	// own time zone. Default true.
	Timestamp  bool
	DateFormat string // Go layout for {published}; default "2006-01-02 15:04 MST"
	Timezone   string // IANA zone for {published}; default "UTC"
	// Username and AvatarURL are the name and picture a webhook posts
	// under (discord-webhook only); "" = the webhook's own.
	Username  string
	AvatarURL string
}

// DefaultFormat is the format of a Discord destination and subscription
// that set none: the embed newshound has always posted.
func DefaultFormat() Format {
	return Format{
		Title: "{title}", Description: "{summary}", URL: "{link}", Author: "{author}",
		Footer: "{feed}", Image: "{image}", Timestamp: true,
		DateFormat: "2006-01-02 15:04 MST", Timezone: "UTC",
	}
}

// Discord's limits on what a format's own text may take, in code points.
var templateLimits = map[string]int{
	"content": 2000, "title": 256, "description": 4096, "author": 256, "footer": 2048, "username": 80,
}

// isTemplate says whether a format key is a template, where "" leaves the
// part out.
func isTemplate(key string) bool {
	switch key {
	case "content", "title", "description", "url", "author", "footer", "thumbnail", "image", "username":
		return true
	}
	return false
}

// urlTemplates are the templates whose result is a URL.
var urlTemplates = map[string]bool{"url": true, "thumbnail": true, "image": true}

// formatPatch is a decoded format: block, applied over an inherited
// format. given keeps where each key was written, for later checks.
type formatPatch struct {
	set   []func(*Format)
	given map[string]*yaml.Node
}

func (p *formatPatch) apply(f *Format) {
	if p == nil {
		return
	}
	for _, set := range p.set {
		set(f)
	}
}

// format decodes a format: block. Templates are checked here, so a
// mistake is reported where it was written.
func (d *decoder) format(n *yaml.Node) *formatPatch {
	p := &formatPatch{given: map[string]*yaml.Node{}}
	template := func(key string, field func(*Format) *string) fieldFunc {
		return func(v *yaml.Node) {
			if s, ok := d.template(key, v); ok {
				p.given[key] = v
				p.set = append(p.set, func(f *Format) { *field(f) = s })
			}
		}
	}
	fields := map[string]fieldFunc{
		"content":     template("content", func(f *Format) *string { return &f.Content }),
		"title":       template("title", func(f *Format) *string { return &f.Title }),
		"description": template("description", func(f *Format) *string { return &f.Description }),
		"url":         template("url", func(f *Format) *string { return &f.URL }),
		"author":      template("author", func(f *Format) *string { return &f.Author }),
		"footer":      template("footer", func(f *Format) *string { return &f.Footer }),
		"thumbnail":   template("thumbnail", func(f *Format) *string { return &f.Thumbnail }),
		"image":       template("image", func(f *Format) *string { return &f.Image }),
		"username":    template("username", func(f *Format) *string { return &f.Username }),
		"color": func(v *yaml.Node) {
			if c, ok := d.color(v); ok {
				p.given["color"] = v
				p.set = append(p.set, func(f *Format) { f.Color = c })
			}
		},
		"timestamp": func(v *yaml.Node) {
			if on, ok := d.boolean("timestamp", v); ok {
				p.set = append(p.set, func(f *Format) { f.Timestamp = on })
			}
		},
		"date_format": func(v *yaml.Node) {
			if layout, ok := d.dateFormat(v); ok {
				p.set = append(p.set, func(f *Format) { f.DateFormat = layout })
			}
		},
		"timezone": func(v *yaml.Node) {
			if loc, ok := d.timezone(v); ok {
				p.set = append(p.set, func(f *Format) { f.Timezone = loc.String() })
			}
		},
		"avatar_url": func(v *yaml.Node) {
			if u, ok := d.webhookURL("avatar_url", v); ok {
				p.given["avatar_url"] = v
				p.set = append(p.set, func(f *Format) { f.AvatarURL = u })
			}
		},
	}
	d.mapping(n, "format", fields)
	return p
}

// template reads a message template and checks its placeholders, the
// length of its own text and, for URLs, that it makes one.
func (d *decoder) template(key string, v *yaml.Node) (string, bool) {
	s, ok := d.str(key, v)
	if !ok {
		return "", false
	}
	parts, err := msgtemplate.Parse(s)
	if err != nil {
		var te *msgtemplate.Error
		errors.As(err, &te)
		p := d.templateAt(v, s, te.Offset)
		msg := te.Msg
		if te.Unknown != "" || strings.HasPrefix(msg, "unknown") {
			msg += suggestionOr(te.Unknown, msgtemplate.Names)
		}
		d.problemAt(p.Line, p.Col, "%s: %s", key, msg)
		return "", false
	}
	literal := msgtemplate.Literal(parts)
	if limit, ok := templateLimits[key]; ok && utf8.RuneCountInString(literal) > limit {
		d.errorf(v, "%s: the template's own text is %d characters; Discord allows %d", key, utf8.RuneCountInString(literal), limit)
		return "", false
	}
	if urlTemplates[key] && s != "" && parts[0].Name == "" && !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
		d.errorf(v, "%s: expected an http(s) URL or a placeholder such as {link} or {image}, got %q", key, s)
		return "", false
	}
	if key == "username" {
		lower := strings.ToLower(literal)
		for _, banned := range []string{"discord", "clyde"} {
			if strings.Contains(lower, banned) {
				d.errorf(v, "username: Discord refuses webhook names containing %q", banned)
				return "", false
			}
		}
	}
	return s, true
}

// suggestionOr is suggestion, or the list of placeholders when none is
// close.
func suggestionOr(word string, names []string) string {
	if s := suggestion(word, names); s != "" {
		return s
	}
	return " (placeholders: {" + strings.Join(names, "}, {") + "})"
}

// templateAt locates byte off of a template written at v: exact when the
// value stands verbatim on one line, else the value's start.
func (d *decoder) templateAt(v *yaml.Node, s string, off int) Pos {
	p := d.queryStart(v)
	if d.verbatimAt(p, s) {
		p.Col += utf8.RuneCountInString(s[:off])
	}
	return p
}

// dateFormat reads a Go time layout; one without any part of the reference
// time (2006-01-02 15:04:05 MST) would print the same text for every item.
func (d *decoder) dateFormat(v *yaml.Node) (string, bool) {
	s, ok := d.nonEmpty("date_format", v)
	if !ok {
		return "", false
	}
	ref := time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC)
	other := time.Date(2017, 11, 23, 8, 31, 47, 0, time.FixedZone("X", 3600))
	if ref.Format(s) == other.Format(s) {
		d.errorf(v, "date_format: %q shows no part of the date; write it with Go's reference time, e.g. \"Jan 2, 2006 15:04 MST\" or \"02.01.2006 15:04\"", s)
		return "", false
	}
	return s, true
}

// checkFormats resolves each subscription's format for each of its
// destinations and refuses the keys a destination cannot use.
func (d *decoder) checkFormats(c *Config, at *spots) {
	for i := range c.Subscriptions {
		s := &c.Subscriptions[i]
		patch := at.subFormat[i]
		color := at.subColor[i]
		discordTargets, webhooks := 0, 0
		for j := range s.Targets {
			t := &s.Targets[j]
			dest, ok := c.Destination(t.Destination)
			if !ok {
				continue
			}
			if !isDiscord(dest.Type) {
				continue // formats are Discord's
			}
			t.Format = dest.Format
			discordTargets++
			if dest.Type == DiscordWebhook {
				webhooks++
			}
			patch.apply(&t.Format)
			if color != nil {
				t.Format.Color = s.Color
			}
		}
		if patch == nil || len(patch.given) == 0 || len(s.Targets) == 0 {
			continue // format: {} sets nothing, as format: alone does
		}
		if discordTargets == 0 {
			d.problemAt(at.subFormatAt[i].Line, at.subFormatAt[i].Col, "format: only Discord destinations use a format, and %s has none", label("subscription", s.Name))
			continue
		}
		for _, key := range []string{"username", "avatar_url"} {
			if v := patch.given[key]; v != nil && webhooks == 0 {
				d.errorf(v, "%s: only webhooks post under another name and picture (a discord-webhook destination)", key)
			}
		}
		if patch.given["color"] != nil && color != nil {
			d.errorf(color, "color: given twice, here and in format: (keep one)")
		}
	}
}

// destinationFormat resolves a destination's own format and refuses the
// keys its type cannot use.
func (d *decoder) destinationFormat(dest *Destination, patch *formatPatch, at *yaml.Node) {
	if !isDiscord(dest.Type) {
		if patch != nil && dest.Type != "" {
			d.errorf(at, "format: only used by types discord-webhook and discord-channel, not %s", dest.Type)
		}
		return
	}
	dest.Format = DefaultFormat()
	patch.apply(&dest.Format)
	if patch == nil || dest.Type == DiscordWebhook {
		return
	}
	for _, key := range []string{"username", "avatar_url"} {
		if v := patch.given[key]; v != nil {
			d.errorf(v, "%s: only webhooks post under another name and picture; %s posts as the bot", key, label("destination", dest.Name))
		}
	}
}

func isDiscord(typ string) bool { return typ == DiscordWebhook || typ == DiscordChannel }
