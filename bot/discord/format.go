package discord

import (
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/msgtemplate"
)

// This file renders a desk's message format: each template's own text as
// the desk wrote it, each placeholder filled with feed text escaped as the
// default embed escapes it, and every part cut to fit Discord's limits.

// Limits of the parts a format adds, in code points.
const (
	MaxUsername   = 80
	MaxThreadName = 100
)

// defaultFormat is the look of an alert without a format: the embed
// newshound has always posted.
var defaultFormat = alert.Format(config.DefaultFormat())

func formatOf(a alert.Alert) *alert.Format {
	if a.Format != nil {
		return a.Format
	}
	return &defaultFormat
}

// fieldKind says how a part of the message shows text, and so how feed
// text must be escaped in it.
type fieldKind int

const (
	markdownField fieldKind = iota // content, title, description: Discord markdown
	plainField                     // author, footer, username: shown as written
	urlField                       // url, image, thumbnail
)

// renderTemplate fills tmpl with a's values so the result has at most limit
// code points. The desk's own text is kept; the placeholders share what it
// leaves, the shorter values first, so one long summary cannot starve the
// feed name. A template that does not parse (stored by a later version)
// renders as nothing.
func renderTemplate(a alert.Alert, f *alert.Format, tmpl string, kind fieldKind, limit int) string {
	if tmpl == "" || limit <= 0 {
		return ""
	}
	parts, err := msgtemplate.Parse(tmpl)
	if err != nil {
		return ""
	}
	if kind == urlField {
		return renderURL(a, f, parts)
	}
	literal, seams := 0, 0
	var holes []int
	for i, p := range parts {
		if p.Name == "" {
			literal += utf8.RuneCountInString(p.Text)
			continue
		}
		holes = append(holes, i)
		if kind == markdownField && i > 0 && (parts[i-1].Name != "" || strings.HasSuffix(parts[i-1].Text, "<")) {
			seams++ // room for a zwj, should a "<" meet a "@…" there
		}
	}
	values := fitValues(a, f, parts, holes, kind, limit-literal-seams)
	var b strings.Builder
	for i, p := range parts {
		if p.Name == "" {
			b.WriteString(p.Text)
			continue
		}
		if kind == markdownField && strings.HasSuffix(b.String(), "<") && startsMention(values[i]) {
			b.WriteString(zwj) // "<" + "@&123>" from two parts must not make a mention
		}
		b.WriteString(values[i])
	}
	out := b.String()
	if literal > limit { // the desk's own text alone is too long here (a share of a burst)
		out = notify.CutRunes(out, limit)
	}
	return out
}

// startsMention reports whether s would complete a mention after a "<".
func startsMention(s string) bool {
	return s != "" && strings.ContainsRune("@#:/!&", rune(s[0])) || strings.HasPrefix(s, "t:") || strings.HasPrefix(s, "a:")
}

// fitValues renders each placeholder within an equal share of budget,
// giving what short values leave to the longer ones.
func fitValues(a alert.Alert, f *alert.Format, parts []msgtemplate.Part, holes []int, kind fieldKind, budget int) map[int]string {
	budget = max(budget, 0)
	if len(holes) == 1 { // the usual case: nothing to share
		return map[int]string{holes[0]: placeholder(a, f, parts[holes[0]].Name, kind, budget)}
	}
	full := map[int]string{}
	for _, i := range holes {
		full[i] = placeholder(a, f, parts[i].Name, kind, budget) // longer would be cut anyway
	}
	order := slices.Clone(holes)
	slices.SortStableFunc(order, func(x, y int) int {
		return utf8.RuneCountInString(full[x]) - utf8.RuneCountInString(full[y])
	})
	out := map[int]string{}
	for k, i := range order {
		share := budget / (len(order) - k)
		if n := utf8.RuneCountInString(full[i]); n <= share {
			out[i] = full[i]
		} else {
			out[i] = placeholder(a, f, parts[i].Name, kind, share)
		}
		budget -= utf8.RuneCountInString(out[i])
	}
	return out
}

// placeholder renders one value within limit code points.
func placeholder(a alert.Alert, f *alert.Format, name string, kind fieldKind, limit int) string {
	if kind == plainField {
		return truncateWords(plainValue(a, f, name), limit)
	}
	switch name {
	case "title":
		return markdown(a.Title, a.TitleSpans, limit)
	case "summary":
		return excerpt(a.Text, a.TextSpans, limit)
	case "link", "image":
		return linkText(plainValue(a, f, name), limit)
	}
	return markdown(plainValue(a, f, name), nil, limit)
}

// plainValue is a placeholder's text before escaping.
func plainValue(a alert.Alert, f *alert.Format, name string) string {
	switch name {
	case "title":
		return a.Title
	case "link":
		return a.Link
	case "summary":
		return a.Text
	case "feed":
		return feedName(a)
	case "feed_title":
		return a.FeedTitle
	case "author":
		return a.Author
	case "categories":
		return strings.Join(a.Categories, ", ")
	case "published":
		return publishedText(a.Published, f)
	case "matched":
		return strings.Join(a.Matched, ", ")
	case "subscription":
		return a.Subscription
	case "image":
		return a.ImageURL
	}
	return ""
}

// publishedText writes t in the format's zone and layout.
func publishedText(t time.Time, f *alert.Format) string {
	if t.IsZero() {
		return ""
	}
	loc, err := time.LoadLocation(f.Timezone)
	if err != nil || f.Timezone == "" {
		loc = time.UTC
	}
	layout := f.DateFormat
	if layout == "" {
		layout = defaultFormat.DateFormat
	}
	return t.In(loc).Format(layout)
}

// linkText writes a URL into markdown: as it is when Discord will show it
// as a link and nothing in it can format or mention, else escaped.
func linkText(link string, limit int) string {
	if httpURL(link) != "" && utf8.RuneCountInString(link) <= limit && !strings.ContainsAny(link, "*_~`|<>()[]\\ ") &&
		!strings.Contains(strings.ToLower(link), "@everyone") && !strings.Contains(strings.ToLower(link), "@here") {
		return link
	}
	return markdown(link, nil, limit)
}

// renderURL fills a URL template: a lone placeholder is the URL itself;
// placeholders inside the desk's URL are query-escaped. The result must be
// an http(s) URL Discord accepts, else there is none.
func renderURL(a alert.Alert, f *alert.Format, parts []msgtemplate.Part) string {
	if name, ok := msgtemplate.Only(parts); ok {
		return httpURL(plainValue(a, f, name))
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Name == "" {
			b.WriteString(p.Text)
		} else {
			b.WriteString(url.QueryEscape(plainValue(a, f, p.Name)))
		}
	}
	return httpURL(b.String())
}

// Username is the name a webhook posts a's message under: the format's
// template, as plain text within Discord's 80 code points; "" (the
// webhook's own name) when the format sets none or feed text made it a
// name Discord refuses.
func Username(a alert.Alert) string {
	f := formatOf(a)
	name := strings.TrimSpace(renderTemplate(inOneLine(a), f, f.Username, plainField, MaxUsername))
	lower := strings.ToLower(name)
	if strings.Contains(lower, "discord") || strings.Contains(lower, "clyde") {
		return ""
	}
	return name
}

// AvatarURL is the picture a webhook posts a's message under, or "".
func AvatarURL(a alert.Alert) string { return httpURL(formatOf(a).AvatarURL) }

// ThreadName names the forum post of an alert: its title as plain text
// within Discord's 100 code points.
func ThreadName(a alert.Alert) string {
	if name := truncateWords(a.Title, MaxThreadName); name != "" {
		return name
	}
	return "(untitled)"
}

// Content is the message text of a message's alerts: the role pings the
// alerts opt in to, then each alert's content template, within Discord's
// 2,000 code points. roles are the role ids to allow in allowed_mentions.
func Content(alerts []alert.Alert) (content string, roles []string) {
	pings, roles := MentionContent(alerts)
	lines := []string{}
	if pings != "" {
		lines = append(lines, pings)
	}
	var withContent []alert.Alert
	for _, a := range alerts {
		if formatOf(a).Content != "" {
			withContent = append(withContent, a)
		}
	}
	if len(withContent) > 0 {
		left := MaxContent - utf8.RuneCountInString(pings) - len(withContent) // a newline before each
		share := left / len(withContent)
		for _, a := range withContent {
			if text := strings.TrimSpace(renderTemplate(a, formatOf(a), formatOf(a).Content, markdownField, share)); text != "" {
				lines = append(lines, text)
			}
		}
	}
	return strings.Join(lines, "\n"), roles
}
