package feeds

import (
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"
	"golang.org/x/net/html"
	"golang.org/x/text/encoding/charmap"
)

// futureSlack tolerates clocks a little ahead of ours before a date counts
// as "in the future" (and is replaced by the first-seen time).
const futureSlack = 10 * time.Minute

// earliestDate: anything older is a placeholder (0001-01-01, 1970-01-01),
// not a publication date.
var earliestDate = time.Date(1971, 1, 1, 0, 0, 0, 0, time.UTC)

// normalizer turns gofeed items into Items for one feed document.
type normalizer struct {
	base *url.URL // for relative links: the feed's home page, else the feed URL
	now  time.Time
}

func (n *normalizer) items(in []*gofeed.Item) []Item {
	repeated := repeatedGUIDs(in)
	out := make([]Item, 0, len(in))
	seen := make(map[string]bool, len(in))
	for _, gi := range in {
		if gi == nil {
			continue
		}
		it := n.item(gi)
		it.Key = itemKey(it, repeated[it.GUID])
		if seen[it.Key] {
			continue // the same story twice in one document: report it once
		}
		seen[it.Key] = true
		out = append(out, it)
	}
	return out
}

func repeatedGUIDs(in []*gofeed.Item) map[string]bool {
	count := make(map[string]int, len(in))
	for _, gi := range in {
		if gi != nil {
			if g := strings.TrimSpace(gi.GUID); g != "" {
				count[g]++
			}
		}
	}
	rep := make(map[string]bool)
	for g, c := range count {
		if c > 1 {
			rep[g] = true
		}
	}
	return rep
}

func (n *normalizer) item(gi *gofeed.Item) Item {
	it := Item{
		GUID:       strings.TrimSpace(gi.GUID),
		Title:      PlainText(gi.Title),
		Summary:    PlainText(gi.Description),
		Content:    PlainText(gi.Content),
		Link:       n.link(gi),
		Author:     author(gi),
		Categories: categories(gi.Categories),
		ImageURL:   n.resolve(imageURL(gi)),
	}
	if it.Content == it.Summary {
		it.Content = ""
	}
	it.Published, it.Dated = n.published(gi)
	return it
}

func (n *normalizer) link(gi *gofeed.Item) string {
	candidates := append([]string{gi.Link}, gi.Links...)
	for _, c := range candidates {
		if l := n.resolve(c); l != "" {
			return l
		}
	}
	// An RSS guid is a permalink unless isPermaLink="false"; gofeed does not
	// say which, so accept it only when it is an absolute http(s) URL.
	if u, err := url.Parse(strings.TrimSpace(gi.GUID)); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return u.String()
	}
	return ""
}

// resolve makes ref absolute against the feed's base; it returns "" for
// what cannot be an http(s) link.
func (n *normalizer) resolve(ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if !u.IsAbs() && n.base != nil {
		u = n.base.ResolveReference(u)
	}
	if u.Scheme == "//" || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

func (n *normalizer) published(gi *gofeed.Item) (time.Time, bool) {
	var t *time.Time
	switch {
	case gi.PublishedParsed != nil:
		t = gi.PublishedParsed
	case gi.UpdatedParsed != nil:
		t = gi.UpdatedParsed
	default:
		if p, ok := parseOddDate(firstNonEmpty(gi.Published, gi.Updated)); ok {
			t = &p
		}
	}
	if t == nil || t.Before(earliestDate) || t.After(n.now.Add(futureSlack)) {
		return n.now, false
	}
	return t.UTC(), true
}

// oddDateLayouts are real-world dates gofeed does not parse.
var oddDateLayouts = []string{
	"2006/1/2 15:04:05",
	"2006/1/2 15:04",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02T15:04:05-0700",
	"2.1.2006 15:04:05",
	"2006-01-02",
}

func parseOddDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range oddDateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func author(gi *gofeed.Item) string {
	for _, p := range gi.Authors {
		if p == nil {
			continue
		}
		if name := PlainText(firstNonEmpty(p.Name, p.Email)); name != "" {
			return name
		}
	}
	if gi.Author != nil {
		return PlainText(firstNonEmpty(gi.Author.Name, gi.Author.Email))
	}
	return ""
}

func categories(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, 0, len(in))
	seen := make(map[string]bool, len(in))
	for _, c := range in {
		c = PlainText(c)
		if c == "" || seen[c] {
			continue
		}
		seen[c] = true
		out = append(out, c)
	}
	return out
}

// imageURL picks the item's picture: gofeed's choice (itunes:image,
// media:content image, image enclosure, first <img>), else media:thumbnail,
// else a media:content or media:group without a declared type.
func imageURL(gi *gofeed.Item) string {
	if gi.Image != nil && strings.TrimSpace(gi.Image.URL) != "" {
		return gi.Image.URL
	}
	media := gi.Extensions["media"]
	if media == nil {
		return ""
	}
	if u := firstAttr(media["thumbnail"], "url"); u != "" {
		return u
	}
	for _, g := range media["group"] {
		if u := firstAttr(g.Children["thumbnail"], "url"); u != "" {
			return u
		}
		if u := firstImageContent(g.Children["content"]); u != "" {
			return u
		}
	}
	return firstImageContent(media["content"])
}

func firstAttr(exts []ext.Extension, attr string) string {
	for _, e := range exts {
		if v := strings.TrimSpace(e.Attrs[attr]); v != "" {
			return v
		}
	}
	return ""
}

func firstImageContent(exts []ext.Extension) string {
	for _, e := range exts {
		medium, typ := e.Attrs["medium"], e.Attrs["type"]
		if medium == "image" || strings.HasPrefix(typ, "image/") || (medium == "" && typ == "" && looksLikeImage(e.Attrs["url"])) {
			if u := strings.TrimSpace(e.Attrs["url"]); u != "" {
				return u
			}
		}
	}
	return ""
}

func looksLikeImage(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	switch strings.ToLower(path.Ext(p.Path)) {
	case ".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif":
		return true
	}
	return false
}

// Key prefixes say which identity a key was built from.
const (
	keyFromGUID  = "g"
	keyFromLink  = "l"
	keyFromTitle = "t"
)

// itemKey builds the stable key of it within its feed.
//
// The identity is the GUID, unless it is empty or repeated within this
// document; else the canonical link; else the title and date. The title's
// fingerprint (letters and digits, case-folded) is always part of the key:
// real feeds reuse one GUID and link for a different story (CNN's
// /collections/ pages, SMH's live pages, BBC explainers), and a key from the
// GUID alone would hide those stories forever. A reworded headline therefore
// counts as new; a change of case, punctuation, spacing or entity encoding
// does not. Keys are a one-letter source prefix and 22 characters of hash,
// compact enough to store by the thousand.
func itemKey(it Item, guidRepeated bool) string {
	prefix, identity := keyFromTitle, ""
	switch {
	case it.GUID != "" && !guidRepeated:
		prefix, identity = keyFromGUID, it.GUID
	case it.Link != "":
		prefix, identity = keyFromLink, CanonicalLink(it.Link)
	case it.GUID != "":
		prefix, identity = keyFromGUID, it.GUID
	case it.Dated:
		identity = it.Published.UTC().Format(time.RFC3339)
	}
	fp := TitleFingerprint(it.Title)
	if fp == "" && prefix == keyFromTitle {
		// No GUID, link, title: the text is all there is.
		fp = TitleFingerprint(it.Summary + " " + it.Content)
	}
	h := sha256.New()
	h.Write([]byte(identity))
	h.Write([]byte{0})
	h.Write([]byte(fp))
	var sum [sha256.Size]byte
	return prefix + base64.RawURLEncoding.EncodeToString(h.Sum(sum[:0])[:16])
}

// TitleFingerprint reduces a title to its case-folded letters and digits,
// one space between words, so that cosmetic edits keep the same key.
func TitleFingerprint(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		if r == '\'' || r == '\u2019' || r == '\u2018' {
			continue // "Germany's" and "Germany’s" and "Germanys" alike
		}
		space = true
	}
	return b.String()
}

// trackingParams are query parameters that identify a campaign or a click,
// never the resource. Keys ending in "_" are prefixes.
var trackingParams = []string{
	"utm_", "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "igshid",
	"mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "ns_", "ito", "cmpid",
	"ocid", "at_medium", "at_campaign", "at_custom",
	"__twitter_impression", "s_cid", "smid", "smtyp", "cmp", "wt.mc_id", "xtor",
	"spm", "_ga", "oly_anon_id", "oly_enc_id", "vero_id", "rb_clickid",
}

// refValues: "ref" is a tracking parameter only with these values; on other
// sites it can select content.
var refValues = map[string]bool{"rss": true, "rss_feed": true, "feed": true, "feeds": true, "rssfeed": true}

func isTrackingParam(name, value string) bool {
	name = strings.ToLower(name)
	if name == "ref" || name == "src" {
		return refValues[strings.ToLower(value)]
	}
	for _, p := range trackingParams {
		if strings.HasSuffix(p, "_") && strings.HasPrefix(name, p) || name == p {
			return true
		}
	}
	return false
}

// CanonicalLink is link as an identity: scheme and host lower-cased, default
// port, fragment and tracking parameters (utm_*, fbclid, gclid, …) removed,
// remaining parameters sorted. Links that do not parse come back trimmed.
// Use it to compare stories, never to display or fetch them.
func CanonicalLink(link string) string {
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
		q := u.Query()
		for name, vals := range q {
			if isTrackingParam(name, firstOf(vals)) {
				q.Del(name)
			}
		}
		u.RawQuery = q.Encode() // sorted by key
	}
	return u.String()
}

func firstOf(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// blockElements end a line of text: their boundaries become spaces so that
// "<p>one</p><p>two</p>" reads "one two", not "onetwo".
var blockElements = map[string]bool{
	"p": true, "br": true, "div": true, "li": true, "ul": true, "ol": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"tr": true, "td": true, "th": true, "table": true, "blockquote": true,
	"section": true, "article": true, "header": true, "footer": true,
	"figure": true, "figcaption": true, "hr": true, "pre": true, "dd": true, "dt": true,
}

// skippedElements hold no readable text.
var skippedElements = map[string]bool{"script": true, "style": true, "noscript": true, "iframe": true, "svg": true, "template": true}

// PlainText turns an HTML fragment (or text with entities) into plain text:
// tags removed, entities decoded (once more if the feed double-escaped them,
// as in "&amp;#039;"), whitespace collapsed.
func PlainText(s string) string {
	if s == "" {
		return ""
	}
	if !strings.ContainsAny(s, "<&") {
		return collapseSpace(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	z := html.NewTokenizer(strings.NewReader(s))
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return finishText(b.String())
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			if skippedElements[string(name)] && tt == html.StartTagToken {
				skip++
			} else if blockElements[string(name)] {
				b.WriteByte(' ')
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if skippedElements[string(name)] && skip > 0 {
				skip--
			} else if blockElements[string(name)] {
				b.WriteByte(' ')
			}
		}
	}
}

// finishText decodes a second layer of entities left by double escaping.
func finishText(s string) string {
	if strings.Contains(s, "&") {
		s = html.UnescapeString(s)
	}
	return collapseSpace(s)
}

func collapseSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || r == '\u00a0' {
			space = true
			continue
		}
		if r >= 0x80 && r <= 0x9f {
			// C1 controls are windows-1252 punctuation mislabelled as
			// ISO-8859-1 upstream ("don\u0092t"): restore the quote.
			r = charmap.Windows1252.DecodeByte(byte(r))
		}
		if unicode.IsControl(r) {
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}
