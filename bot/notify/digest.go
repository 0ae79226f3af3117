package notify

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/newshound/newshound/alert"
)

// Digest describes a digest message.
type Digest struct {
	// Title heads the message: "Digest: aleppo — 12 stories since 08:00".
	Title        string
	Kind         string // alert.KindDigest, KindQuiet or KindCapped
	Subscription string // the subscription's name
	// Since and Until bound the period the digest covers, in the
	// subscription's time zone (as a fixed offset).
	Since, Until time.Time
	Stories      int // all the stories of the digest, shown or not
}

// NewDigest describes the digest key names for alerts, and puts alerts
// newest first (by published time, then by outbox order).
func NewDigest(key alert.DigestKey, alerts []alert.Alert) *Digest {
	slices.SortStableFunc(alerts, func(a, b alert.Alert) int {
		if c := b.Published.Compare(a.Published); c != 0 {
			return c
		}
		return int(b.ID - a.ID)
	})
	d := &Digest{Kind: key.Kind, Since: key.Since, Until: key.Until, Stories: len(alerts)}
	d.Subscription = strings.TrimPrefix(key.Subscription, "cfg:")
	if len(alerts) > 0 && alerts[0].Subscription != "" {
		// The alert names the matching subscriptions, the digest's first.
		d.Subscription, _, _ = strings.Cut(alerts[0].Subscription, ", ")
	}
	d.Title = digestTitle(d)
	return d
}

func digestTitle(d *Digest) string {
	noun := "stories"
	if d.Stories == 1 {
		noun = "story"
	}
	// A daily digest covers up to 25 hours (a DST change): "since 08:00"
	// still reads right. Longer periods name the day.
	since := d.Since.Format("15:04")
	if d.Until.Sub(d.Since) > 25*time.Hour {
		since = d.Since.Format("2 Jan 15:04")
	}
	switch d.Kind {
	case alert.KindQuiet:
		// Stories found just before the window whose slot fell inside it
		// are here too: name the window, not a start.
		return fmt.Sprintf("Quiet hours %s–%s: %s — %d %s", d.Since.Format("15:04"), d.Until.Format("15:04"), d.Subscription, d.Stories, noun)
	case alert.KindCapped:
		return fmt.Sprintf("Also matched: %s — %d more %s since %s", d.Subscription, d.Stories, noun, since)
	}
	return fmt.Sprintf("Digest: %s — %d %s since %s", d.Subscription, d.Stories, noun, since)
}
