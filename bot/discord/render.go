package discord

import (
	"fmt"
	"hash/fnv"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
)

// Discord's message limits, all in Unicode code points.
const (
	MaxTitle       = 256
	MaxDescription = 4096
	MaxFooter      = 2048
	MaxAuthor      = 256
	MaxEmbedTotal  = 6000 // across all embeds of one message
	MaxEmbeds      = 10
	MaxContent     = 2000
	MaxNonce       = 25
	maxURL         = 2048
)

const ellipsis = "…"

// palette gives subscriptions without a configured colour a stable one.
var palette = [...]int{0x3498DB, 0xE67E22, 0x2ECC71, 0x9B59B6, 0xE74C3C, 0x1ABC9C, 0xF1C40F, 0x607D8B}

// nearBlack is the colour sent for a configured black: the nearest that
// Discord draws as a colour of its own (see colorOf).
const nearBlack = 0x010101

// RenderEmbeds renders a message's alerts as embeds whose total stays within
// Discord's 6,000 code points: each embed gets an equal share, and the share
// an embed leaves unused goes to the embeds that were cut (a description,
// or the reports and updates of an alert's story).
func RenderEmbeds(alerts []alert.Alert) ([]*discordgo.MessageEmbed, error) {
	if len(alerts) == 0 || len(alerts) > MaxEmbeds {
		return nil, fmt.Errorf("discord: a message carries 1 to %d alerts, got %d", MaxEmbeds, len(alerts))
	}
	share := MaxEmbedTotal / len(alerts)
	embeds := make([]*discordgo.MessageEmbed, len(alerts))
	cut := make([]bool, len(alerts))
	used, nCut := 0, 0
	for i, a := range alerts {
		embeds[i], cut[i] = storyEmbed(a, share)
		used += EmbedLength(embeds[i])
		if cut[i] {
			nCut++
		}
	}
	if nCut == 0 || used >= MaxEmbedTotal {
		return embeds, nil
	}
	extra := (MaxEmbedTotal - used) / nCut
	for i, a := range alerts {
		if cut[i] {
			embeds[i], _ = storyEmbed(a, EmbedLength(embeds[i])+extra)
		}
	}
	return embeds, nil
}

func fullDescriptionLength(a alert.Alert) int {
	return utf8.RuneCountInString(description(a, MaxDescription))
}

// Embed renders one alert as an embed that counts at most budget code points
// toward the message's 6,000 (and never breaks a per-field limit), as its
// format says (the default: title linked to the item, excerpt with the
// matched words in bold, author, image, feed name in the footer, published
// time, subscription colour). Feed text is escaped so it renders as written
// and can mention no one. The parts are filled in this order, each taking
// at most what is left: title, footer and author (each at most half of
// what is left), description.
func Embed(a alert.Alert, budget int) *discordgo.MessageEmbed {
	f := formatOf(a)
	budget = min(budget, MaxEmbedTotal)
	e := &discordgo.MessageEmbed{
		URL:   renderTemplate(a, f, f.URL, urlField, maxURL),
		Color: colorOf(a),
	}
	if f.Timestamp && !a.Published.IsZero() {
		e.Timestamp = a.Published.UTC().Format(time.RFC3339)
	}
	if img := renderTemplate(a, f, f.Image, urlField, maxURL); img != "" {
		e.Image = &discordgo.MessageEmbedImage{URL: img}
	}
	if thumb := renderTemplate(a, f, f.Thumbnail, urlField, maxURL); thumb != "" {
		e.Thumbnail = &discordgo.MessageEmbedThumbnail{URL: thumb}
	}
	left := budget
	line := inOneLine(a)
	e.Title = strings.TrimSpace(renderTemplate(line, f, f.Title, markdownField, min(MaxTitle, left)))
	if e.Title == "" && f.Title != "" {
		e.Title = truncateWords("(untitled)", min(MaxTitle, left))
	}
	left -= utf8.RuneCountInString(e.Title)
	if footer := strings.TrimSpace(renderTemplate(line, f, f.Footer, plainField, min(MaxFooter, left/2))); footer != "" {
		e.Footer = &discordgo.MessageEmbedFooter{Text: footer}
		left -= utf8.RuneCountInString(footer)
	}
	if author := strings.TrimSpace(renderTemplate(line, f, f.Author, plainField, min(MaxAuthor, left/2))); author != "" {
		e.Author = &discordgo.MessageEmbedAuthor{Name: author}
		left -= utf8.RuneCountInString(author)
	}
	e.Description = description(a, min(MaxDescription, left))
	return e
}

// inOneLine is a with its text in one line, for the parts of a message
// that are a line (title, footer, author, a webhook's name): an item's
// text keeps its paragraphs (feeds.ParagraphText). A newline becomes a
// space, byte for byte, so the text's matched spans stay where they were.
func inOneLine(a alert.Alert) alert.Alert {
	a.Text = strings.ReplaceAll(a.Text, "\n", " ")
	return a
}

// description renders the embed's description within limit code points.
func description(a alert.Alert, limit int) string {
	f := formatOf(a)
	return strings.TrimSpace(renderTemplate(a, f, f.Description, markdownField, limit))
}

// excerpt renders text for the description. When the first match lies
// beyond what fits, the excerpt starts shortly before it, after a "…", so
// the reader sees why the item matched.
func excerpt(text string, spans []alert.Span, limit int) string {
	spans = notify.NormalizeSpans(text, spans)
	if len(spans) == 0 || limit < 16 || utf8.RuneCountInString(text) <= limit {
		return markdown(text, spans, limit)
	}
	lead := limit / 4 // code points of context kept before the match
	if utf8.RuneCountInString(text[:spans[0].Start]) <= limit-lead {
		return markdown(text, spans, limit)
	}
	start := spans[0].Start
	for n := 0; start > 0 && n < lead; n++ {
		_, size := utf8.DecodeLastRuneInString(text[:start])
		start -= size
	}
	if sp := strings.IndexFunc(text[start:spans[0].Start], unicode.IsSpace); sp >= 0 {
		start += sp // begin on a word
	}
	shifted := make([]alert.Span, 0, len(spans))
	for _, s := range spans {
		if s.End > start {
			shifted = append(shifted, alert.Span{Start: max(s.Start, start) - start, End: s.End - start})
		}
	}
	return ellipsis + " " + markdown(text[start:], shifted, limit-2)
}

// EmbedLength is what an embed counts toward Discord's 6,000 code points.
func EmbedLength(e *discordgo.MessageEmbed) int {
	n := utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
	if e.Footer != nil {
		n += utf8.RuneCountInString(e.Footer.Text)
	}
	if e.Author != nil {
		n += utf8.RuneCountInString(e.Author.Name)
	}
	for _, f := range e.Fields {
		n += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
	}
	return n
}

func feedName(a alert.Alert) string {
	if a.Feed != "" {
		return a.Feed
	}
	return a.FeedTitle
}

// colorOf is the embed colour of a's subscription: the one configured,
// else one of the palette's, picked from the subscription's name so that
// it stays the same. Black (0) goes out as 0x010101: Discord shows an
// embed whose color is 0 or missing (discordgo leaves 0 out) with its
// theme's grey bar, not black, and a desk writing "#000000" wants black.
func colorOf(a alert.Alert) int {
	c := a.Color
	if c == nil && a.Format != nil {
		c = a.Format.Color
	}
	if c != nil {
		if rgb := *c & 0xFFFFFF; rgb != 0 {
			return rgb
		}
		return nearBlack
	}
	h := fnv.New32a()
	h.Write([]byte(a.Subscription))
	return palette[h.Sum32()%uint32(len(palette))]
}

// httpURL returns s when Discord would accept it as an embed URL, else "".
func httpURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s) > maxURL {
		return ""
	}
	return s
}

// MentionContent returns the message content and role ids for the roles the
// alerts opt in to pinging; ids that are not snowflakes are ignored.
func MentionContent(alerts []alert.Alert) (string, []string) {
	var roles []string
	seen := map[string]bool{}
	for _, a := range alerts {
		if isSnowflake(a.MentionRole) && !seen[a.MentionRole] {
			seen[a.MentionRole] = true
			roles = append(roles, a.MentionRole)
		}
	}
	var b strings.Builder
	for _, r := range roles {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "<@&%s>", r)
	}
	return b.String(), roles
}

func isSnowflake(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// unit is one rendered piece of feed text: an escaped rune or a collapsed
// run of white space.
type unit struct {
	text  string
	bold  bool
	space bool
}

// markdown escapes text for Discord, bolds the spans (byte offsets into
// text) and truncates on a word boundary so the result, bold markers and
// "…" included, has at most limit code points. A cut inside a bold span
// closes the span, so a marker is never cut in half.
func markdown(text string, spans []alert.Span, limit int) string {
	text, capped := capInput(text, limit)
	units := markdownUnits(text, notify.NormalizeSpans(text, spans))
	n := len(units)
	if capped || renderedLength(units, n) > limit {
		n = cutPoint(units, limit-utf8.RuneCountInString(ellipsis))
	}
	out := renderUnits(units[:n])
	if (n < len(units) || capped) && limit > 0 {
		out += ellipsis
	}
	return out
}

// capInput bounds the work for huge feed text: no more than 16 bytes per
// code point of the limit can reach the output (a rune is at most 4 bytes,
// white space runs aside), so the rest is dropped before rendering.
func capInput(text string, limit int) (string, bool) {
	maxBytes := 16*max(limit, 0) + 64
	if len(text) <= maxBytes {
		return text, false
	}
	for maxBytes > 0 && !utf8.RuneStart(text[maxBytes]) {
		maxBytes--
	}
	return text[:maxBytes], true
}

// cutPoint returns how many units fit in limit code points, preferring to
// end before a space if that keeps at least half of what fits.
func cutPoint(units []unit, limit int) int {
	fit, total := 0, 0
	for fit < len(units) {
		total += utf8.RuneCountInString(units[fit].text)
		if units[fit].bold && (fit == 0 || !units[fit-1].bold) {
			total += 4
		}
		if total > limit {
			break
		}
		fit++
	}
	for k := fit; k > fit/2; k-- {
		if k < len(units) && units[k].space {
			return trimTrailingSpace(units, k)
		}
	}
	return trimTrailingSpace(units, fit)
}

func trimTrailingSpace(units []unit, n int) int {
	for n > 0 && units[n-1].space {
		n--
	}
	return n
}

// renderedLength is the code point count of renderUnits(units[:n]).
func renderedLength(units []unit, n int) int {
	total := 0
	for i, u := range units[:n] {
		total += utf8.RuneCountInString(u.text)
		if u.bold && (i == 0 || !units[i-1].bold) {
			total += 4 // "**" on each side of the run
		}
	}
	return total
}

func renderUnits(units []unit) string {
	var b strings.Builder
	for i, u := range units {
		if u.bold && (i == 0 || !units[i-1].bold) {
			b.WriteString("**")
		}
		b.WriteString(u.text)
		if u.bold && (i == len(units)-1 || !units[i+1].bold) {
			b.WriteString("**")
		}
	}
	return b.String()
}

// markdownUnits splits text into escaped runes and collapsed white space,
// dropping leading and trailing space. spans must be normalized.
func markdownUnits(text string, spans []alert.Span) []unit {
	var units []unit
	lineStart := true
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		bold := inSpans(spans, i)
		if unicode.IsSpace(r) {
			end, newlines := spaceRun(text, i)
			if len(units) > 0 && end < len(text) {
				units = append(units, spaceUnit(newlines, bold))
			}
			lineStart = lineStart || newlines > 0
			i = end
			continue
		}
		units = append(units, unit{text: escapeRune(text, i, r, lineStart), bold: bold})
		lineStart = lineStart && '0' <= r && r <= '9' // "12. " at a line's start makes a list
		i += size
	}
	joinBoldWords(units)
	return units
}

// joinBoldWords bolds a single space between two bold words, so a matched
// phrase reads as one bold run ("**Aleppo ceasefire**") and costs 4 fewer
// code points.
func joinBoldWords(units []unit) {
	for i := 1; i+1 < len(units); i++ {
		if units[i].text == " " && units[i-1].bold && units[i+1].bold {
			units[i].bold = true
		}
	}
}

func spaceRun(text string, i int) (end, newlines int) {
	for end = i; end < len(text); {
		r, size := utf8.DecodeRuneInString(text[end:])
		if !unicode.IsSpace(r) {
			break
		}
		if r == '\n' {
			newlines++
		}
		end += size
	}
	return end, newlines
}

// spaceUnit keeps paragraph breaks (at most one blank line); a line break is
// never inside a bold run, where Discord would not render it bold.
func spaceUnit(newlines int, bold bool) unit {
	switch {
	case newlines == 0:
		return unit{text: " ", bold: bold, space: true}
	case newlines == 1:
		return unit{text: "\n", space: true}
	default:
		return unit{text: "\n\n", space: true}
	}
}

// zwj breaks @everyone, @here and <@…> so Discord neither pings nor
// renders them as mentions; it is invisible to readers.
const zwj = "\u200d"

func escapeRune(text string, i int, r rune, lineStart bool) string {
	switch r {
	case '\\', '*', '_', '~', '`', '|', '>', '[', ']', '(', ')':
		return `\` + string(r)
	case '#', '-', '+':
		if lineStart {
			return `\` + string(r)
		}
	case '.':
		if lineStart && strings.HasPrefix(text[i+1:], " ") {
			return `\.`
		}
	case '@':
		if hasPrefixFold(text[i+1:], "everyone") || hasPrefixFold(text[i+1:], "here") {
			return "@" + zwj
		}
	case '<':
		if rest := text[i+1:]; rest != "" && strings.ContainsRune("@#:/!&", rune(rest[0])) ||
			strings.HasPrefix(rest, "t:") || strings.HasPrefix(rest, "a:") {
			return "<" + zwj
		}
	}
	return string(r)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func inSpans(spans []alert.Span, i int) bool {
	k := sort.Search(len(spans), func(k int) bool { return spans[k].End > i })
	return k < len(spans) && spans[k].Start <= i
}

// truncateWords collapses white space, defuses mentions and cuts s to
// limit code points on a word boundary, ending in "…"; for the fields
// Discord shows as plain text (footer, author).
func truncateWords(s string, limit int) string {
	s = defuseMentions(strings.Join(strings.Fields(s), " "))
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	if limit <= 0 {
		return ""
	}
	runes := []rune(s)
	cut := limit - 1
	for k := cut; k > cut/2; k-- {
		if runes[k] == ' ' {
			cut = k
			break
		}
	}
	return strings.TrimRight(string(runes[:cut]), " ") + ellipsis
}

// defuseMentions breaks @everyone, @here and <@…>-style mentions in text
// that Discord shows without markdown.
func defuseMentions(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch e := escapeRune(s, i, r, false); {
		case strings.HasSuffix(e, zwj):
			b.WriteString(e)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
