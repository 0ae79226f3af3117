package feeds

import (
	"net/url"
	"slices"
	"strings"
)

// trackingParams are query parameters that identify a campaign or a click,
// never the resource. Keys ending in "_" are prefixes.
var trackingParams = []string{
	"utm_", "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "igshid",
	"mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "ns_", "ito", "cmpid",
	"ocid", "at_medium", "at_campaign", "at_custom",
	"__twitter_impression", "s_cid", "smid", "smtyp", "cmp", "wt.mc_id", "xtor",
	"spm", "_ga", "oly_anon_id", "oly_enc_id", "vero_id", "rb_clickid",
}

// feedTrackingParams are the tracking parameters of feeds' own links (the
// shared corpus: DW, Al Jazeera, the Christian Science Monitor, the New
// York Times, the Washington Post, CNN), which a site sets apart for each
// of its feeds. They are dropped to compare links across feeds
// (CanonicalLink), not from a feed's own item identities (KeyLink): a
// feed keeps each value, and the keys of items seen before they were
// listed would change, posting those items again.
var feedTrackingParams = []string{"maca", "traffic_source", "icid", "emc", "wprss", "eref"}

// refValues: "ref" and "src" are tracking parameters only with these
// values, and so is "partner" across feeds; on other sites they can select
// content.
var refValues = map[string]bool{"rss": true, "rss_feed": true, "feed": true, "feeds": true, "rssfeed": true}

func isTrackingParam(name, value string, acrossFeeds bool) bool {
	name = strings.ToLower(name)
	if name == "ref" || name == "src" || acrossFeeds && name == "partner" {
		return refValues[strings.ToLower(value)]
	}
	for _, p := range trackingParams {
		if strings.HasSuffix(p, "_") && strings.HasPrefix(name, p) || name == p {
			return true
		}
	}
	return acrossFeeds && slices.Contains(feedTrackingParams, name)
}

// CanonicalLink is link as an identity: scheme and host lower-cased, default
// port, fragment and tracking parameters (utm_*, fbclid, gclid, …, and the
// ones sites set apart for each of their feeds) removed, remaining
// parameters sorted. Links that do not parse come back trimmed. Use it to
// compare stories, never to display or fetch them.
func CanonicalLink(link string) string { return canonicalLink(link, true) }

// KeyLink is CanonicalLink for an identity within one feed (item keys, the
// keys of its links): the parameters a site sets apart for each of its
// feeds are kept (see feedTrackingParams).
func KeyLink(link string) string { return canonicalLink(link, false) }

func canonicalLink(link string, acrossFeeds bool) string {
	link = strings.TrimSpace(link)
	u, err := url.Parse(link)
	if err != nil || u.Host == "" {
		return link
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	if p := u.Port(); (p == "80" && u.Scheme == "http") || (p == "443" && u.Scheme == "https") {
		u.Host = u.Hostname()
	}
	u.Fragment, u.RawFragment = "", ""
	u.User = nil
	if u.Path == "" {
		u.Path = "/"
	}
	if u.RawQuery != "" {
		q, unparsed := splitQuery(u.RawQuery, acrossFeeds)
		for name, vals := range q {
			if isTrackingParam(name, firstOf(vals), acrossFeeds) {
				q.Del(name)
			}
		}
		u.RawQuery = q.Encode() // sorted by key
		if len(unparsed) > 0 {
			slices.Sort(unparsed)
			u.RawQuery = strings.TrimPrefix(u.RawQuery+"&"+strings.Join(unparsed, "&"), "&")
		}
	}
	return u.String()
}

// splitQuery parses a raw query. Pairs that url.ParseQuery refuses (a ';'
// or a bad %-escape: "story.asp?id=1;2") come back verbatim instead of
// being dropped, which would give different articles one identity; those
// whose name is a tracking parameter are left out.
func splitQuery(raw string, acrossFeeds bool) (url.Values, []string) {
	q, err := url.ParseQuery(raw)
	if err == nil {
		return q, nil
	}
	q = url.Values{}
	var unparsed []string
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		pv, err := url.ParseQuery(pair)
		if err != nil {
			if name, value, _ := strings.Cut(pair, "="); !isTrackingParam(name, value, acrossFeeds) {
				unparsed = append(unparsed, pair)
			}
			continue
		}
		for name, vals := range pv {
			q[name] = append(q[name], vals...)
		}
	}
	return q, unparsed
}

func firstOf(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
