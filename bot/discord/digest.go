package discord

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
)

// Per story line of a digest: the linked title and the feed, each cut to
// this many code points, so one long title cannot crowd the others out.
const (
	maxDigestTitle = 200
	maxDigestFeed  = 60
)

// messageEmbeds renders a message: a digest as one embed listing its
// stories, anything else as one embed per alert.
func messageEmbeds(m notify.Message) ([]*discordgo.MessageEmbed, error) {
	if m.Digest == nil {
		return RenderEmbeds(m.Alerts)
	}
	if len(m.Alerts) == 0 {
		return nil, fmt.Errorf("discord: a digest without stories")
	}
	return []*discordgo.MessageEmbed{DigestEmbed(m.Digest, m.Alerts)}, nil
}

// DigestEmbed renders a digest as one embed: its title, then one line per
// story (notify.DigestLines), in the order given (newest first),
// "[title](link) — feed · also [Reuters](link), AP +3", as
// many as the description's 4,096 code points hold, and "and N more" for
// the rest. The whole embed stays within the 6,000 a message may carry.
// Feed text is escaped as in single alerts: it can break no link and
// mention no one.
func DigestEmbed(d *notify.Digest, alerts []alert.Alert) *discordgo.MessageEmbed {
	e := &discordgo.MessageEmbed{
		Title: truncateWords(d.Title, MaxTitle),
		Color: colorOf(alerts[0]),
	}
	if !d.Until.IsZero() {
		e.Timestamp = d.Until.UTC().Format(time.RFC3339)
	}
	lines := notify.DigestLines(alerts)
	total := max(d.Stories, len(lines))
	var b strings.Builder
	shown, length := 0, 0 // length in code points
	for _, a := range lines {
		line := digestLine(a) + notify.DigestAlso(a.Also, alsoEntry, outletName)
		need := utf8.RuneCountInString(line)
		if shown > 0 {
			need++ // the newline
		}
		if more := total - shown - 1; more > 0 {
			need += utf8.RuneCountInString(moreLine(more)) + 1
		}
		if length+need > MaxDescription {
			break
		}
		if shown > 0 {
			b.WriteByte('\n')
			length++
		}
		b.WriteString(line)
		length += utf8.RuneCountInString(line)
		shown++
	}
	if more := total - shown; more > 0 {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(moreLine(more))
	}
	e.Description = b.String()
	return e
}

func moreLine(n int) string { return fmt.Sprintf("*and %d more*", n) }

// digestLine is "[title](link) — feed", or the title alone when the link
// is not one Discord would show.
func digestLine(a alert.Alert) string {
	title := markdown(a.Title, nil, maxDigestTitle)
	if title == "" {
		title = "(untitled)"
	}
	if link := markdownLinkTarget(a.Link); link != "" {
		title = "[" + title + "](" + link + ")"
	}
	if feed := markdown(feedName(a), nil, maxDigestFeed); feed != "" {
		return title + " — " + feed
	}
	return title
}

// markdownLinkTarget returns the link with the characters that would end a
// markdown link target early percent-encoded, or "" for a link Discord
// would not accept.
func markdownLinkTarget(link string) string {
	link = httpURL(link)
	return linkTargetEscapes.Replace(link)
}

// linkTargetEscapes percent-encodes what would end a markdown link's target.
var linkTargetEscapes = strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E")

// carriesDigest reports whether msg is the post of digest m: its embed
// as rendered (sameEmbed: the title, the listed stories, the release
// time, as Discord reads them back). Two digests of one key (a row held
// late into an hour whose digest went out) list other stories, so neither
// is taken for the other's post.
func carriesDigest(msg *discordgo.Message, m notify.Message) bool {
	want := DigestEmbed(m.Digest, m.Alerts)
	return want.Timestamp != "" && slices.ContainsFunc(msg.Embeds, func(e *discordgo.MessageEmbed) bool { return sameEmbed(e, want) })
}
