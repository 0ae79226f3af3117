package notify

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/newshound/newshound/alert"
)

// Console prints alerts as plain text, one block per alert.
type Console struct {
	mu sync.Mutex
	w  io.Writer
}

// NewConsole returns a notifier that writes to w.
func NewConsole(w io.Writer) *Console { return &Console{w: w} }

// Send writes each alert of the message, under a digest's title. It fails
// only when the writer does.
func (c *Console) Send(ctx context.Context, m Message) (Receipt, error) {
	if err := ctx.Err(); err != nil {
		return Receipt{}, err
	}
	var b strings.Builder
	if m.Digest != nil {
		fmt.Fprintf(&b, "== %s ==\n", OneLine(m.Digest.Title))
	}
	for _, a := range m.Alerts {
		b.WriteString(FormatText(a))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := io.WriteString(c.w, b.String())
	return Receipt{}, err
}

// FormatText renders an alert for a terminal:
//
//	2016-09-10 14:02 UTC  [wire-world] Kerry and Lavrov agree Aleppo ceasefire
//	  https://example.org/...
//	  matched: aleppo, ceasefire  (subscription aleppo-ceasefire)
func FormatText(a alert.Alert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  [%s] %s\n", a.Published.UTC().Format("2006-01-02 15:04 MST"), a.Feed, OneLine(a.Title))
	if a.Link != "" {
		fmt.Fprintf(&b, "  %s\n", a.Link)
	}
	label := "subscription"
	if strings.Contains(a.Subscription, ", ") {
		label = "subscriptions"
	}
	fmt.Fprintf(&b, "  matched: %s  (%s %s)\n", strings.Join(a.Matched, ", "), label, a.Subscription)
	return b.String()
}

// OneLine folds a text's white space, line breaks included, into single
// spaces, for one-line display.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
