package slack

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
)

// Per story line of a digest, so one long title cannot crowd out the rest.
const (
	maxDigestTitle = 200
	maxDigestFeed  = 60
)

// MaxDigestStories is the most stories a digest lists; a longer list is
// not read, so the rest are counted ("and N more"), as in email.
const MaxDigestStories = 100

// renderMessage renders a digest as a digest and anything else alert by
// alert.
func renderMessage(m notify.Message) Payload {
	if m.Digest != nil {
		return RenderDigest(m.Digest, m.Alerts, m.Nonce)
	}
	return Render(m.Alerts, m.Nonce)
}

// RenderDigest builds a digest message: a section with the digest's title,
// then sections listing the stories (notify.DigestLines) in the order given
// (newest first), one line each, "• <link|title> — feed · also
// <link|Reuters>, AP +3", at most MaxDigestStories and as
// many as Slack's 50 blocks of 3,000 characters hold, and an "and N more"
// line for the rest.
func RenderDigest(d *notify.Digest, alerts []alert.Alert, nonce string) Payload {
	title := render(d.Title, nil, maxFallback, false)
	header := mrkdwn("*" + title + "*")
	p := Payload{Text: title, Blocks: []Block{{Type: "section", BlockID: blockID(nonce, 0, "digest"), Text: &header}}}
	lines := notify.DigestLines(alerts)
	total := max(d.Stories, len(lines))
	shown := 0
	var section strings.Builder
	flush := func() {
		if section.Len() == 0 {
			return
		}
		t := mrkdwn(section.String())
		p.Blocks = append(p.Blocks, Block{Type: "section", BlockID: blockID(nonce, len(p.Blocks), "list"), Text: &t})
		section.Reset()
	}
	const reserved = 2 // the header now, the "and N more" line at the end
	for _, a := range lines[:min(len(lines), MaxDigestStories)] {
		line := digestLine(a) + notify.DigestAlso(a.Also, alsoEntry, alsoName)
		if section.Len() > 0 && utf8.RuneCountInString(section.String())+1+utf8.RuneCountInString(line) > MaxText {
			flush()
		}
		if section.Len() == 0 && len(p.Blocks) >= MaxBlocks-reserved+1 {
			break // no block left for another section
		}
		if section.Len() > 0 {
			section.WriteByte('\n')
		}
		section.WriteString(line)
		shown++
	}
	flush()
	if more := total - shown; more > 0 {
		p.Blocks = append(p.Blocks, Block{Type: "context", BlockID: blockID(nonce, len(p.Blocks), "more"),
			Elements: []Text{mrkdwn(fmt.Sprintf("_and %d more_", more))}})
	}
	return p
}

// digestLine is "• <link|title> — feed", the title alone when the link is
// not one Slack would link.
func digestLine(a alert.Alert) string {
	title := render(a.Title, nil, maxDigestTitle, false)
	if title == "" {
		title = "(untitled)"
	}
	if link := linkTarget(a.Link); link != "" {
		title = "<" + link + "|" + strings.ReplaceAll(title, "|", "\u2223") + ">"
	}
	feed := a.Feed
	if feed == "" {
		feed = a.FeedTitle
	}
	if feed = render(feed, nil, maxDigestFeed, false); feed != "" {
		return "• " + title + " — " + feed
	}
	return "• " + title
}

// alsoEntry is "<link|Outlet>", or the outlet alone (alsoName) when the
// link is not one Slack would link.
func alsoEntry(r alert.Report) string {
	if link := linkTarget(r.Link); link != "" {
		return "<" + link + "|" + strings.ReplaceAll(alsoName(r), "|", "\u2223") + ">"
	}
	return alsoName(r)
}

// alsoName is the report's outlet as mrkdwn-safe text.
func alsoName(r alert.Report) string {
	if name := render(r.Outlet(), nil, maxDigestFeed, false); name != "" {
		return name
	}
	return "(unnamed)"
}
