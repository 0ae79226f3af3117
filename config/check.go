package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// checkReferences runs the checks that need the whole file: unique names,
// and subscriptions that name feeds and destinations that exist.
func (d *decoder) checkReferences(c *Config, at *spots) {
	if len(c.Destinations) == 0 {
		c.Destinations = []Destination{{Name: DefaultDestination, Type: Console}}
		at.destName = append(at.destName, Pos{})
	}
	d.uniqueNames("feed", names(c.Feeds, func(f Feed) string { return f.Name }), at.feedName)
	d.repeatedURLs(c.Feeds, at.feedURL)
	d.uniqueNames("subscription", names(c.Subscriptions, func(s Subscription) string { return s.Name }), at.subName)
	destNames := names(c.Destinations, func(x Destination) string { return x.Name })
	d.uniqueNames("destination", destNames, at.destName)
	destNames = distinct(destNames)

	feedNames := names(c.Feeds, func(f Feed) string { return f.Name })
	for i := range c.Subscriptions {
		s := &c.Subscriptions[i]
		for j, ref := range s.Feeds {
			if !slices.Contains(feedNames, ref) {
				p := at.subFeeds[i][j]
				d.problemAt(p.Line, p.Col, "feeds: unknown feed %q%s", ref, suggestion(ref, feedNames))
			}
		}
		d.resolveDestinations(s, destNames, at.subDest[i], at.subAt[i])
	}
	d.checkFormats(c, at)
}

// repeatedSubscriptions warns of a subscription with the query (in the
// same QueryForm, or without one spaced alike) and the feeds of an earlier
// one and a destination in common: an item goes to a destination once, so
// one of the two posts nothing there (its mention_role, say, never pings).
func (d *decoder) repeatedSubscriptions(subs []Subscription, at []Pos) {
	form := func(s *Subscription) string {
		if s.QueryForm != "" {
			return s.QueryForm
		}
		return strings.Join(strings.Fields(s.Query), " ")
	}
	for j := range subs {
		for i := range j {
			a, b := &subs[i], &subs[j]
			if a.Query == "" || a.Name == "" || b.Name == "" || form(a) != form(b) ||
				!sameSet(a.Feeds, b.Feeds, strings.Compare) || !slices.ContainsFunc(a.Targets, func(t Target) bool { return hasTarget(b.Targets, t.Destination) }) {
				continue
			}
			d.warnAt(at[j], "%s: the same query, feeds and destination as %s (line %d): an item goes to a destination once, so one of them posts nothing there",
				label("subscription", b.Name), label("subscription", a.Name), at[i].Line)
			break
		}
	}
}

func hasTarget(targets []Target, dest string) bool {
	return slices.ContainsFunc(targets, func(t Target) bool { return t.Destination == dest })
}

// resolveDestinations checks the subscription's destinations, or picks the
// only one there is when it names none.
func (d *decoder) resolveDestinations(s *Subscription, destNames []string, at []Pos, subAt Pos) {
	switch {
	case len(s.Targets) > 0:
		known := s.Targets[:0]
		for j, t := range s.Targets {
			if !slices.Contains(destNames, t.Destination) {
				d.problemAt(at[j].Line, at[j].Col, "destination: unknown destination %q%s", t.Destination, suggestion(t.Destination, destNames))
				continue
			}
			known = append(known, t)
		}
		s.Targets = known
	case len(at) > 0:
		// named but invalid: already reported
	case len(destNames) == 1:
		s.Targets = []Target{{Destination: destNames[0]}}
	default:
		d.problemAt(subAt.Line, subAt.Col, "%s: missing destination (there are several: %s)", label("subscription", s.Name), quotedList(destNames))
	}
	if len(s.Targets) > 0 {
		s.Destination = s.Targets[0].Destination
	}
}

// uniqueNames reports the second and later uses of a name. Empty names
// are reported elsewhere as missing.
func (d *decoder) uniqueNames(what string, list []string, at []Pos) {
	first := map[string]Pos{}
	for i, name := range list {
		if name == "" {
			continue
		}
		if p, dup := first[name]; dup {
			d.problemAt(at[i].Line, at[i].Col, "duplicate %s name %q (first at line %d)", what, name, p.Line)
			continue
		}
		first[name] = at[i]
	}
}

// repeatedURLs warns of a feed whose URL an earlier feed has (scheme and
// host compared without case): it would be fetched once per name, and a
// copied entry whose url was left unedited means the feed meant is missing.
func (d *decoder) repeatedURLs(list []Feed, at []Pos) {
	first := map[string]int{}
	for i, f := range list {
		if f.URL == "" {
			continue
		}
		key := f.URL
		if u, err := url.Parse(f.URL); err == nil {
			u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
			key = u.String()
		}
		j, dup := first[key]
		if !dup {
			first[key] = i
			continue
		}
		d.warnAt(at[i], "url: the same as %s's (line %d): the feed is fetched twice; name one feed and list that name where both are used",
			label("feed", list[j].Name), list[j].Line)
	}
}

func names[T any](items []T, name func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = name(it)
	}
	return out
}

func quotedList(list []string) string {
	quoted := make([]string, len(list))
	for i, x := range list {
		quoted[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(quoted, ", ")
}

// distinct drops repeated and empty names, keeping the first of each.
func distinct(list []string) []string {
	var out []string
	for _, x := range list {
		if x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
