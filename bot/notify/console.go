package notify

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/newshound/newshound/alert"
)

// Console prints alerts as plain text, one block per alert, and what
// joins their stories as lines of their own.
type Console struct {
	mu sync.Mutex
	w  io.Writer
}

// NewConsole returns a notifier that writes to w.
func NewConsole(w io.Writer) *Console { return &Console{w: w} }

// Send writes each alert of the message; a digest's under its title, each
// story once with an "also:" line for each further report of it
// (DigestLines). It fails only when the writer does.
func (c *Console) Send(ctx context.Context, m Message) (Receipt, error) {
	if err := ctx.Err(); err != nil {
		return Receipt{}, err
	}
	var b strings.Builder
	alerts := m.Alerts
	if m.Digest != nil {
		fmt.Fprintf(&b, "== %s ==\n", consoleText(m.Digest.Title))
		alerts = DigestLines(alerts)
	}
	for _, a := range alerts {
		b.WriteString(FormatText(a))
		for _, r := range a.Also {
			b.WriteString(alsoLine(r))
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := io.WriteString(c.w, b.String())
	return Receipt{}, err
}

// maxUpdateLine bounds an update's text on its console line.
const maxUpdateLine = 200

// Edit prints what joined the stories of a message: a terminal cannot
// change what it showed, so each alert of e.Added gets one line, under a
// line naming its story by its alert's first line, since two stories may
// have one headline ("Live updates"):
//
//	story: 2016-09-10 14:02 UTC  [wire-world] Kerry and Lavrov agree Aleppo ceasefire
//	  also: Reuters — Aleppo truce holds https://example.org/...
//	  also, perhaps another story: AP — Geneva hotel strike ends https://example.org/...
//	  update 17:15 UTC: Convoys reached the eastern districts.
func (c *Console) Edit(ctx context.Context, e Edit) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if e.Message.Digest != nil {
		return fmt.Errorf("console: a digest is never edited: %w", ErrRejected)
	}
	var b strings.Builder
	story := -1
	for _, j := range e.Added {
		if j.Story != story {
			story = j.Story
			fmt.Fprintf(&b, "story: %s\n", storyLine(e.Message.Alerts, j.Story))
		}
		b.WriteString(joinLine(j))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := io.WriteString(c.w, b.String())
	return err
}

// joinLine is a join's line under its story.
func joinLine(j Join) string {
	a := j.Alert
	if a.Join == alert.JoinUpdate {
		text := consoleText(a.Text)
		if utf8.RuneCountInString(text) > maxUpdateLine {
			text = string([]rune(text)[:maxUpdateLine-1]) + "…"
		}
		return fmt.Sprintf("  update %s: %s\n", j.At.UTC().Format("15:04 MST"), text)
	}
	return alsoLine(alert.Report{Feed: a.Feed, FeedTitle: a.FeedTitle, Title: a.Title, Link: a.Link, Doubtful: a.Doubtful})
}

// alsoLine is a further report's line under its story. One that joined
// doubtfully says so, as Discord's "Perhaps another story" field and
// preview --stories do: the first report of a story the grouping
// swallowed shows up that way.
func alsoLine(r alert.Report) string {
	label := "also:"
	if r.Doubtful {
		label = "also, perhaps another story:"
	}
	line := fmt.Sprintf("  %s %s — %s", label, consoleText(r.Outlet()), consoleText(r.Title))
	if r.Link != "" {
		line += " " + consoleText(r.Link)
	}
	return line + "\n"
}

// storyLine is the first line of the alert of story lead (see
// FormatText), as the terminal showed it.
func storyLine(alerts []alert.Alert, lead int) string {
	if lead < 0 || lead >= len(alerts) {
		return "(unknown story)"
	}
	return alertLine(alerts[lead])
}

// alertLine is an alert's first line: when, which feed, the headline.
func alertLine(a alert.Alert) string {
	return fmt.Sprintf("%s  [%s] %s", a.Published.UTC().Format("2006-01-02 15:04 MST"), consoleText(a.Feed), consoleText(a.Title))
}

// consoleText is feed text on one line, without the control characters
// that could move the cursor or reorder what follows.
func consoleText(s string) string {
	return OneLine(strings.Map(func(r rune) rune {
		if IsHiddenControl(r) {
			return -1
		}
		return r
	}, s))
}

// FormatText renders an alert for a terminal:
//
//	2016-09-10 14:02 UTC  [wire-world] Kerry and Lavrov agree Aleppo ceasefire
//	  https://example.org/...
//	  matched: aleppo, ceasefire  (subscription aleppo-ceasefire)
//
// Feed text is shown as consoleText shows it, as in an edit's lines.
func FormatText(a alert.Alert) string {
	var b strings.Builder
	b.WriteString(alertLine(a) + "\n")
	if a.Link != "" {
		fmt.Fprintf(&b, "  %s\n", consoleText(a.Link))
	}
	label := "subscription"
	if strings.Contains(a.Subscription, ", ") {
		label = "subscriptions"
	}
	fmt.Fprintf(&b, "  matched: %s  (%s %s)\n", consoleText(strings.Join(a.Matched, ", ")), label, consoleText(a.Subscription))
	return b.String()
}

// OneLine folds a text's white space, line breaks included, into single
// spaces, for one-line display.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
