package feeds

import (
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"
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
	lazy bool // leave summary and content to Item.FillText
	// raws are the item descriptions set aside before gofeed ran (see
	// lightenRSS); parser decodes one when its item's text is filled.
	raws [][]byte
	// decodeRaw, when not nil, decodes a set-aside description first.
	decodeRaw func([]byte) []byte
	parser    *Parser
	// zones are the zone abbreviations gofeed reads as UTC that items'
	// dates are read at (zonesFor: IST depends on the feed's country).
	zones map[string]int
	// local is the offset (seconds east of UTC) dates with no zone are
	// read at, when hasLocal (localOffsetFor: the feed's country's).
	local    int
	hasLocal bool
	// stated are the offsets the feed's own dates state, which its dates
	// with no zone are read at when it has no local offset (see
	// normalizer.statedOffsets).
	stated []statedOffset
	// plain are the items with text constructs that are plain text, not
	// HTML (an Atom title, summary or content of type text, a JSON Feed's
	// content_text, title and summary: see textKinds).
	plain map[*gofeed.Item]textKinds
	// namesPlain: the items' author names and categories are text as
	// written, not HTML (an Atom document's: a person's name and a
	// category's term and label are XML text, which gofeed gives with
	// the XML's entities decoded).
	namesPlain bool
	// asBefore keys items as versions before this one did (see
	// previousKeys): every title, summary and content read as HTML, a
	// date in the future left out.
	asBefore bool
}

// items normalizes the items of in, one of each key, and returns the
// keys those had in versions before this one where they differ
// (previousKeys).
func (n *normalizer) items(in []*gofeed.Item) ([]Item, map[string]string) {
	all, keys := n.keyed(in)
	oldKeys := n.previousKeys(in, all, keys)
	out := all[:0]
	seen := make(map[string]bool, len(all))
	for i, it := range all {
		it.setKey(keys[i])
		if seen[it.Key] {
			continue // the same story twice in one document: report it once
		}
		seen[it.Key] = true
		// Only now: keys are computed from the text as published, so that
		// they stay what they were before bidi controls were stripped.
		it.stripBidi()
		out = append(out, it)
	}
	return out, oldKeys
}

// keyed normalizes the items of in (nil ones left out) and builds each
// one's key, duplicates included, in document order.
func (n *normalizer) keyed(in []*gofeed.Item) ([]Item, []string) {
	all := make([]Item, 0, len(in))
	for _, gi := range in {
		if gi != nil {
			all = append(all, n.item(gi))
		}
	}
	fingerprints := make([]string, len(all))
	for i := range all {
		fingerprints[i] = TitleFingerprint(all[i].Title)
	}
	ambiguous := ambiguousGUIDs(all, fingerprints)
	keys := make([]string, len(all))
	for i, it := range all {
		keys[i] = itemKeyWith(it, fingerprints[i], ambiguous[guidTitle{it.GUID, fingerprints[i]}])
	}
	return all, keys
}

// guidTitle is an item's GUID and its headline's fingerprint.
type guidTitle struct{ guid, fingerprint string }

// ambiguousGUIDs finds the GUIDs that do not tell items apart: one GUID
// under one headline with different links. Only those items fall back to
// their links for identity. A GUID merely repeated within the document,
// under different headlines, still identifies each item together with its
// headline, so an item's key does not change when another item starts or
// stops sharing its GUID (which would report an old story as new).
// fingerprints[i] is TitleFingerprint(items[i].Title).
func ambiguousGUIDs(items []Item, fingerprints []string) map[guidTitle]bool {
	var links map[guidTitle]string // most feeds have no GUID twice: no map
	var amb map[guidTitle]bool
	for i, it := range items {
		if it.GUID == "" {
			continue
		}
		if links == nil {
			links = make(map[guidTitle]string, len(items))
		}
		k, l := guidTitle{it.GUID, fingerprints[i]}, KeyLink(it.Link)
		if first, ok := links[k]; !ok {
			links[k] = l
		} else if first != l {
			if amb == nil {
				amb = make(map[guidTitle]bool)
			}
			amb[k] = true
		}
	}
	return amb
}

func (n *normalizer) item(gi *gofeed.Item) Item {
	it := Item{
		GUID:       strings.TrimSpace(gi.GUID),
		Title:      titleText(gi.Title, n.plainOf(gi)&plainTitle != 0),
		Link:       n.link(gi),
		Author:     author(gi, n.namesPlain),
		Categories: categories(gi.Categories, n.namesPlain),
		pending:    pendingText{summary: gi.Description, content: gi.Content, n: n, plain: n.plainOf(gi)},
	}
	if orig := n.resolve(firstValue(gi.Extensions["feedburner"]["origLink"])); orig != "" {
		it.shownLink = orig
	} else if it.Link == "" {
		it.shownLink = n.enclosureLink(gi)
	}
	if media := imageURL(gi); media != "" {
		it.ImageURL = n.resolve(media)
		it.pending.hasImage = true
	}
	it.Published, it.Dated, it.keyDate = n.published(gi)
	// An item with no GUID, link or headline is known by its text.
	byText := it.GUID == "" && it.Link == "" && TitleFingerprint(it.Title) == ""
	it.keyedByPlainText = byText && it.pending.plain&(plainSummary|plainContent) != 0
	if !byText {
		// Its key is not made from its text, so a text of its Media RSS
		// elements can stand in for what it lacks.
		it.pending.media, it.pending.mediaPlain = mediaText(gi, "description")
	}
	if it.Title == "" {
		it.shownTitle = titleText(mediaText(gi, "title"))
	}
	if !n.lazy || byText {
		it.fillText()
	}
	return it
}

// mediaText is the item's Media RSS text element name ("title",
// "description"): the item's own, else one in a media:group or a
// media:content (YouTube's feeds: media:group > media:description), else
// one in a media:content of a media:group. Its text is plain unless it
// says type="html" (Media RSS's default; YouTube's are plain), so that
// "x<y", "<Official Video>" or "&amp;" is text, not a tag or an entity
// (see constructText).
func mediaText(gi *gofeed.Item, name string) (text string, plain bool) {
	media := gi.Extensions["media"]
	if media == nil {
		return "", false
	}
	if v, plain := mediaValue(media[name]); v != "" {
		return v, plain
	}
	for _, parent := range [][]ext.Extension{media["group"], media["content"]} {
		for _, e := range parent {
			if v, plain := mediaValue(e.Children[name]); v != "" {
				return v, plain
			}
		}
	}
	for _, g := range media["group"] {
		for _, c := range g.Children["content"] {
			if v, plain := mediaValue(c.Children[name]); v != "" {
				return v, plain
			}
		}
	}
	return "", false
}

// mediaValue is the first of a Media RSS text element's values, and
// whether it is plain text (see mediaText).
func mediaValue(v []ext.Extension) (text string, plain bool) {
	if len(v) == 0 || v[0].Value == "" {
		return "", false
	}
	return v[0].Value, !strings.EqualFold(strings.TrimSpace(v[0].Attrs["type"]), "html")
}

// setKey gives the item its key, then the link it shows: a FeedBurner
// item's feedburner:origLink, the article, in place of the proxy's
// redirect, and for an item that has no link of its own, its enclosure
// (see enclosureLink); and for one without a title, its media:title.
// After the key, which is made from the link and title as published, as
// they were before these were read, so that an upgrade posts nothing
// again.
func (it *Item) setKey(key string) {
	it.Key = key
	it.keyLink, it.keyed = it.Link, true
	if it.shownLink != "" {
		it.Link = it.shownLink
	}
	if it.shownTitle != "" {
		it.Title = it.shownTitle
	}
	it.shownLink, it.shownTitle = "", ""
}

// PublishedLink is the link the item's key was made from: its <link>
// (else an http(s) RSS GUID) as published, before Link was set to its
// feedburner:origLink or its enclosure; "" for an item with neither. What
// versions before these were read remembered of the item under its link
// (the headlines a link's key keeps, the outbox's duplicate keys) is found
// by it. For an Item not made by a Parser, its Link.
func (it *Item) PublishedLink() string {
	if it.keyed {
		return it.keyLink
	}
	return it.Link
}

// enclosureLink is the address of the item's first enclosure that is not
// a picture (an RSS <enclosure>, an Atom link rel="enclosure", a JSON Feed
// attachment): a podcast episode without a <link> is its audio file.
func (n *normalizer) enclosureLink(gi *gofeed.Item) string {
	for _, e := range gi.Enclosures {
		if e == nil || strings.HasPrefix(strings.ToLower(strings.TrimSpace(e.Type)), "image/") || looksLikeImage(e.URL) {
			continue
		}
		if l := n.resolve(e.URL); l != "" {
			return l
		}
	}
	return ""
}

// plainOf is which of the item's text constructs are plain text, not
// HTML (see textKinds): none as versions before read them.
func (n *normalizer) plainOf(gi *gofeed.Item) textKinds {
	if n.asBefore {
		return 0
	}
	return n.plain[gi]
}

// pendingText is what Item.FillText needs: the item's HTML and the
// document's base URL. n is nil once the text is filled.
type pendingText struct {
	summary, content string
	plain            textKinds // which of them are plain text, not HTML
	// media is the item's media:description, its summary when it has
	// neither summary nor content; mediaPlain, when it is plain text.
	media      string
	mediaPlain bool
	n          *normalizer
	hasImage   bool // the picture came from media elements, not the text
}

// FillText extracts the plain text of items parsed with
// ParserOptions.LazyText, in place: Summary, Content and, when no media
// element named a picture, the ImageURL found in them. Items already
// filled are left as they are.
func FillText(items []Item) {
	for i := range items {
		items[i].FillText()
	}
}

// FillText is FillText for one item.
func (it *Item) FillText() {
	if it.pending.n == nil {
		return
	}
	it.fillText()
	it.Summary, it.Content = stripBidi(it.Summary), stripBidi(it.Content)
}

// TextPending reports whether the item's Summary and Content are yet to
// be extracted (a Parser with LazyText, no FillText yet).
func (it *Item) TextPending() bool { return it.pending.n != nil }

func (it *Item) fillText() {
	p := it.pending
	it.pending = pendingText{}
	if raw, ok := setAside(p.summary, p.n.raws); ok {
		if p.n.decodeRaw != nil {
			raw = p.n.decodeRaw(raw)
		}
		p.summary = p.n.parser.description(raw)
	}
	if strings.TrimSpace(p.summary) == "" && strings.TrimSpace(p.content) == "" {
		p.summary, p.plain = p.media, 0
		if p.mediaPlain {
			p.plain = plainSummary
		}
	}
	summary, summaryImg := constructText(p.summary, p.plain&plainSummary != 0, true)
	content, contentImg := constructText(p.content, p.plain&plainContent != 0, true)
	it.Summary, it.Content = summary, content
	if sameInOneLine(content, summary) {
		// The same text (perhaps broken into lines otherwise): once, as
		// before texts kept their lines, so that an item known by its
		// text keeps its key.
		it.Content = ""
	}
	if !p.hasImage {
		it.ImageURL = p.n.resolve(firstNonEmpty(contentImg, summaryImg))
	}
}

// stripBidi removes bidi controls from the text fields once the key is
// made (the text not yet extracted is stripped by FillText).
func (it *Item) stripBidi() {
	it.Title, it.Author = stripBidi(it.Title), stripBidi(it.Author)
	for i, c := range it.Categories {
		it.Categories[i] = stripBidi(c)
	}
	if it.pending.n == nil {
		it.Summary, it.Content = stripBidi(it.Summary), stripBidi(it.Content)
	}
}

func (n *normalizer) link(gi *gofeed.Item) string {
	if l := n.resolve(gi.Link); l != "" {
		return l
	}
	for _, c := range gi.Links {
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

// published is the item's date (see Item.Published and Dated) and the
// date its key is made from: the date as gofeed reads it, before zone
// abbreviations it does not know were read at their offsets and dates in
// other languages were read (inEnglish), so that such an item known by
// its headline and date keeps its key; and in the
// future too, so that the key does not change when the clock passes it
// (zero only when undated or before 1971).
func (n *normalizer) published(gi *gofeed.Item) (t time.Time, dated bool, keyDate time.Time) {
	t, dated = n.readDate(gi, n.zones)
	if asRead, ok := dateOf(gi, nil); ok && !asRead.Before(earliestDate) && !(n.asBefore && n.inTheFuture(asRead)) {
		keyDate = asRead.UTC()
	}
	return t, dated, keyDate
}

// readDate reads the item's date (see dateOf), one with no zone at the
// feed's country's offset (localOffsetFor), else at the offset the feed
// states nearest in time (normalizer.statedOffsets): the first-seen time,
// not dated, when it has none, or one before 1971 or in the future.
func (n *normalizer) readDate(gi *gofeed.Item, zones map[string]int) (time.Time, bool) {
	t, ok := dateOf(gi, zones)
	if ok && (n.hasLocal || n.stated != nil) && hasNoZone(dateText(gi)) {
		t = n.atLocalOffset(t)
	}
	if !ok || t.Before(earliestDate) || n.inTheFuture(t) {
		return n.now, false
	}
	return t.UTC(), true
}

// atLocalOffset is t, a date with no zone gofeed read as UTC, read at the
// feed's country's offset, else at the offset it states nearest in time,
// else as UTC.
func (n *normalizer) atLocalOffset(t time.Time) time.Time {
	offset, ok := n.local, n.hasLocal
	if !ok {
		offset, ok = nearestOffset(n.stated, t)
	}
	if !ok {
		return t
	}
	return t.Add(-time.Duration(offset) * time.Second)
}

// statedOffsets are the offsets the feed gf states in its own dates
// (offsetOf): its channel's pubDate and lastBuildDate (an Atom feed's
// updated) and its items' dates; a date with no zone is read at the
// nearest in time. nil when no item's date lacks a zone, as almost none
// does, and where reading them so is not safe: offsets of several zones
// (oneZone), or one that would put an item the feed dates in the past as
// UTC in the future, which says its clock is UTC. (A document with a new
// item so dated is parsed whole, not under a memo, which would leave the
// other items' dates out: Parser.parseRemembered.)
func (n *normalizer) statedOffsets(gf *gofeed.Feed) []statedOffset {
	if !slices.ContainsFunc(gf.Items, zonelessDate) {
		return nil
	}
	var stated []statedOffset
	add := func(raw string, parsed *time.Time) {
		offset, ok := offsetOf(raw, n.zones)
		if !ok {
			return
		}
		if t, ok := readAt(parsed, raw, n.zones); ok && !t.Before(earliestDate) {
			stated = append(stated, statedOffset{at: t, offset: offset})
		}
	}
	add(gf.Published, gf.PublishedParsed)
	add(gf.Updated, gf.UpdatedParsed)
	for _, gi := range gf.Items {
		if gi != nil {
			add(gi.Published, gi.PublishedParsed)
			add(gi.Updated, gi.UpdatedParsed)
		}
	}
	if !oneZone(stated) {
		return nil
	}
	for _, gi := range gf.Items {
		if !zonelessDate(gi) {
			continue
		}
		t, ok := dateOf(gi, n.zones)
		offset, _ := nearestOffset(stated, t)
		if ok && !n.inTheFuture(t) && n.inTheFuture(t.Add(-time.Duration(offset)*time.Second)) {
			return nil
		}
	}
	return stated
}

// zonelessDate reports an item whose date has a time and no zone.
func zonelessDate(gi *gofeed.Item) bool { return gi != nil && hasNoZone(dateText(gi)) }

// inTheFuture reports a date past now and the slack given clocks ahead.
func (n *normalizer) inTheFuture(t time.Time) bool { return t.After(n.now.Add(futureSlack)) }

// dateOf reads the item's date as written; with zones, a date ending in
// a zone abbreviation gofeed reads as UTC (see moreZones) is read at its
// offset.
func dateOf(gi *gofeed.Item, zones map[string]int) (time.Time, bool) {
	switch raw := dateText(gi); {
	case gi.PublishedParsed != nil:
		return readAt(gi.PublishedParsed, raw, zones)
	default:
		return readAt(gi.UpdatedParsed, raw, zones)
	}
}

// readAt reads raw, a date gofeed read as parsed (nil when it did not):
// with zones, one ending in a zone abbreviation gofeed reads as UTC at
// its offset (atZone); one gofeed did not read as parseOddDate does.
func readAt(parsed *time.Time, raw string, zones map[string]int) (time.Time, bool) {
	if parsed == nil {
		return parseOddDate(raw, zones)
	}
	return *atZone(parsed, raw, zones), true
}

// dateText is the text of the date dateOf reads: the published date's
// when gofeed read it, else the updated date's, else the first written.
func dateText(gi *gofeed.Item) string {
	switch {
	case gi.PublishedParsed != nil:
		return gi.Published
	case gi.UpdatedParsed != nil:
		return gi.Updated
	}
	return firstNonEmpty(gi.Published, gi.Updated)
}

// author is the item's first author's name (else e-mail address), as
// plain text: read as HTML unless plain (see normalizer.namesPlain).
func author(gi *gofeed.Item, plain bool) string {
	for _, p := range gi.Authors {
		if p == nil {
			continue
		}
		if name := titleText(firstNonEmpty(p.Name, p.Email), plain); name != "" {
			return name
		}
	}
	if gi.Author != nil {
		return titleText(firstNonEmpty(gi.Author.Name, gi.Author.Email), plain)
	}
	return ""
}

// categories are the item's categories as plain text, each once: read as
// HTML unless plain (see normalizer.namesPlain).
func categories(in []string, plain bool) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, 0, len(in))
	seen := make(map[string]bool, len(in))
	for _, c := range in {
		c = titleText(c, plain)
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
