package config

import (
	"fmt"
	"net/textproto"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// This file decodes the entries of the three lists: feeds, subscriptions
// and destinations.

// feed decodes one feed; it also returns where its name and its url
// were written (zero when not).
func (d *decoder) feed(n *yaml.Node, df Defaults) (f Feed, namePos, urlPos Pos) {
	f = Feed{Line: n.Line, Interval: df.Interval, UserAgent: df.UserAgent}
	d.mapping(n, "feed", map[string]fieldFunc{
		"name": func(v *yaml.Node) {
			namePos = posOf(v)
			if name, ok := d.name("name", v); ok && name == "all" {
				d.errorf(v, "name: \"all\" is reserved (feeds: all means every feed)")
			} else if ok {
				f.Name = name
			}
		},
		"url": func(v *yaml.Node) {
			raw, ok := d.nonEmpty("url", v)
			if !ok {
				return
			}
			u, err := feedURL(strings.TrimSpace(raw), d.dir)
			if err != nil {
				d.errorf(v, "url: %v", err)
				return
			}
			f.URL, urlPos = u, posOf(v)
		},
		"interval": func(v *yaml.Node) {
			d.setInterval(v, &f.Interval)
			f.OwnInterval = true
		},
		"title":      func(v *yaml.Node) { setIf(&f.Title)(d.nonEmpty("title", v)) },
		"user_agent": func(v *yaml.Node) { setIf(&f.UserAgent)(d.nonEmpty("user_agent", v)) },
		"headers":    func(v *yaml.Node) { f.Headers = d.headers(v) },
	})
	if resolve(n).Kind == yaml.MappingNode {
		d.require(n, label("feed", f.Name), "name", "url")
	}
	return f, namePos, urlPos
}

// require reports each of keys that mapping n does not have, at the
// mapping. A key given an empty value is reported by emptyValue.
func (d *decoder) require(n *yaml.Node, what string, keys ...string) {
	for _, key := range keys {
		if !hasKey(n, key) {
			d.errorf(n, "%s: missing %s", what, key)
		}
	}
}

// label names a thing in messages: `feed "world"`, or just `feed` when it
// has no name.
func label(what, name string) string {
	if name == "" {
		return what
	}
	return fmt.Sprintf("%s %q", what, name)
}

// hasKey reports whether mapping n has key, whatever its value (a bad or
// empty one is reported where it is decoded).
func hasKey(n *yaml.Node, key string) bool {
	n = resolve(n)
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

// name reads a feed, subscription or destination name.
func (d *decoder) name(key string, v *yaml.Node) (string, bool) {
	s, ok := d.nonEmpty(key, v)
	if !ok {
		return "", false
	}
	if s != strings.TrimSpace(s) {
		d.errorf(v, "%s: %q has leading or trailing spaces", key, s)
		return "", false
	}
	return s, true
}

var headerToken = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

func (d *decoder) headers(n *yaml.Node) map[string]string {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "headers: expected a mapping of Header-Name: value, got %s", kindName(n))
		return nil
	}
	h := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		if d.mergeKey(k) {
			continue
		}
		name := textproto.CanonicalMIMEHeaderKey(k.Value)
		value, ok := d.str("headers: "+k.Value, v)
		switch {
		case isNull(v):
			// Sent empty: as likely a value commented out as `interval:`.
			d.errorf(k, "headers: %s: the value is empty: write one, or delete the line", k.Value)
		case !headerToken.MatchString(k.Value):
			d.errorf(k, "headers: %q is not a valid header name", k.Value)
		case unsentHeaders[name] != "":
			d.errorf(k, "headers: %s is not sent as written: %s", k.Value, unsentHeaders[name])
		case hasHeader(h, name):
			d.errorf(k, "headers: duplicate header %q", name)
		case ok && strings.ContainsAny(value, "\r\n"):
			d.errorf(v, "headers: %s: value must be one line", k.Value)
		case ok:
			h[name] = value
		}
	}
	return h
}

// unsentHeaders are the headers a feed's request never carries as the
// file writes them, and why: Go's client writes its own, and newshound
// sets the conditional ones from the feed's last answer.
var unsentHeaders = map[string]string{
	"Host":              "the request's comes from the url",
	"Content-Length":    "a GET has no body",
	"Transfer-Encoding": "a GET has no body",
	"Trailer":           "a GET has no body",
	"If-None-Match":     conditionalHeader,
	"If-Modified-Since": conditionalHeader,
}

const conditionalHeader = "newshound sets it from the feed's last answer (a conditional GET)"

// hasHeader reports whether h has name, even with an empty value.
func hasHeader(h map[string]string, name string) bool {
	_, ok := h[name]
	return ok
}

// subscriptionSpots are where a subscription's parts were written.
type subscriptionSpots struct {
	name, at, formatAt Pos
	feeds, dests       []Pos
	format             *formatPatch
	color              *yaml.Node
}

func (d *decoder) subscription(n *yaml.Node, df Defaults) (s Subscription, sp subscriptionSpots) {
	s = Subscription{Line: n.Line, Backfill: df.Backfill, MaxAge: df.MaxAge, StoryWindow: df.StoryWindow}
	d.mapping(n, "subscription", map[string]fieldFunc{
		"name":  func(v *yaml.Node) { setIf(&s.Name)(d.name("name", v)); sp.name = posOf(v) },
		"feeds": func(v *yaml.Node) { s.Feeds, sp.feeds = d.feedRefs(v) },
		"query": func(v *yaml.Node) {
			if q, ok := d.query("query", v); ok {
				s.Query = q
				p := d.queryStart(v)
				s.QueryLine, s.QueryCol = p.Line, p.Col
				s.QueryVerbatim = d.verbatimAt(p, q)
			}
		},
		"destination":  func(v *yaml.Node) { s.Targets, sp.dests = d.destinationRefs(v) },
		"backfill":     func(v *yaml.Node) { setIf(&s.Backfill)(d.integer("backfill", v, 0)) },
		"max_age":      func(v *yaml.Node) { setIf(&s.MaxAge)(d.duration("max_age", v)) },
		"story_window": func(v *yaml.Node) { d.setStoryWindow(v, &s.StoryWindow) },
		"updates":      func(v *yaml.Node) { setIf(&s.Updates)(d.boolean("updates", v)) },
		"delivery":     func(v *yaml.Node) { s.Delivery = d.delivery(v) },
		"color":        func(v *yaml.Node) { setIf(&s.Color)(d.color(v)); sp.color = v },
		"format":       func(v *yaml.Node) { sp.format, sp.formatAt = d.format(v), posOf(v) },
		"mention_role": func(v *yaml.Node) {
			setIf(&s.MentionRole)(d.snowflake("mention_role", v))
		},
	})
	if resolve(n).Kind == yaml.MappingNode {
		d.require(n, label("subscription", s.Name), "name", "query")
	}
	sp.at = posOf(n)
	return s, sp
}

// destinationRefs reads one destination name or a list of them. A name
// that is invalid is left out (and reported); an empty list is an error.
// A name listed twice is used once, with a warning at the repeat, as a
// feed listed twice is (feedRefs).
func (d *decoder) destinationRefs(v *yaml.Node) ([]Target, []Pos) {
	var targets []Target
	var at []Pos
	add := func(el *yaml.Node) {
		if name, ok := d.name("destination", el); ok {
			if slices.ContainsFunc(targets, func(t Target) bool { return t.Destination == name }) {
				// Harmless (an item goes to a destination once), but
				// often a copy of the name before left unedited: the
				// destination meant is not in the list.
				d.warnAt(posOf(el), "destination: %q is listed twice", name)
				return
			}
			targets, at = append(targets, Target{Destination: name}), append(at, posOf(el))
		}
	}
	if v.Kind == yaml.ScalarNode {
		add(v)
	} else {
		d.list("destination", v, func(_ int, el *yaml.Node) { add(el) })
		if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
			d.errorf(v, "destination: the list is empty (leave destination out to use the only destination)")
		}
	}
	if len(at) == 0 {
		at = []Pos{posOf(v)} // named, but nothing valid: reported already
	}
	return targets, at
}

// feedRefs reads `feeds: all` (nil) or a list of feed names.
func (d *decoder) feedRefs(v *yaml.Node) ([]string, []Pos) {
	if v.Kind == yaml.ScalarNode {
		s, ok := d.str("feeds", v)
		switch {
		case ok && strings.TrimSpace(s) == "":
			// "write [] for one feed" would suggest the list refused below.
			d.errorf(v, "feeds: expected all or a list of feed names, got %q", s)
		case ok && s != "all":
			d.errorf(v, "feeds: expected all or a list of feed names, got %q (write [%s] for one feed)", s, s)
		}
		return nil, nil
	}
	var names []string
	var at []Pos
	d.list("feeds", v, func(_ int, el *yaml.Node) {
		name, ok := d.name("feeds", el)
		switch {
		case ok && slices.Contains(names, name):
			// Harmless (the list is a set), but often a copy of the line
			// above left unedited: the feed meant is not in the list.
			d.warnAt(posOf(el), "feeds: %q is listed twice", name)
		case ok:
			names, at = append(names, name), append(at, posOf(el))
		}
	})
	if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
		d.errorf(v, "feeds: the list is empty (write all, or leave feeds out, for every feed)")
	}
	return names, at
}

// color accepts 0xRRGGBB, "#RRGGBB" or a plain number. It returns a
// pointer because 0 is black, apart from the key left out (nil).
func (d *decoder) color(v *yaml.Node) (*int, bool) {
	s, ok := d.str("color", v)
	if !ok {
		return nil, false
	}
	s = strings.TrimSpace(s)
	text := s
	base := 0
	if hex, isHash := strings.CutPrefix(s, "#"); isHash {
		text, base = hex, 16
	}
	n, err := strconv.ParseInt(text, base, 64)
	if err != nil || n < 0 || n > 0xFFFFFF || (base == 16 && len(text) != 6) {
		d.errorf(v, "color: expected 0xRRGGBB, \"#RRGGBB\" or a number up to 16777215, got %q", s)
		return nil, false
	}
	return new(int(n)), true
}

var destinationTypes = []string{Console, DiscordWebhook, DiscordChannel, SlackWebhook, Email, Webhook}

func (d *decoder) destination(n *yaml.Node, dc Discord) (Destination, Pos) {
	dest := Destination{Line: n.Line}
	var namePos Pos
	var formatNode *yaml.Node
	var format *formatPatch
	given := map[string]*yaml.Node{} // the type-specific keys present
	fields := map[string]fieldFunc{
		"name": func(v *yaml.Node) { setIf(&dest.Name)(d.name("name", v)); namePos = posOf(v) },
		"type": func(v *yaml.Node) {
			t, ok := d.str("type", v)
			if ok && !slices.Contains(destinationTypes, t) {
				d.errorf(v, "type: expected console, discord-webhook, discord-channel, slack-webhook, email or webhook, got %q%s", t, suggestion(t, destinationTypes))
				return
			}
			dest.Type = t
		},
		"format": func(v *yaml.Node) { formatNode, format = v, d.format(v) },
	}
	for key, decode := range d.destinationKeys(&dest) {
		fields[key] = func(v *yaml.Node) { given[key] = v; decode(v) }
	}
	d.mapping(n, "destination", fields)
	if resolve(n).Kind != yaml.MappingNode {
		return dest, namePos
	}
	d.require(n, label("destination", dest.Name), "name", "type")
	d.destinationKinds(n, &dest, dc, given)
	d.destinationFormat(&dest, format, formatNode)
	return dest, namePos
}
