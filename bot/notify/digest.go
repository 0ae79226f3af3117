package notify

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

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
	// Stories counts the digest's lines, shown or not (see DigestLines):
	// each story once, however many of its reports the digest holds.
	Stories int
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
	d := &Digest{Kind: key.Kind, Since: key.Since, Until: key.Until, Stories: len(DigestLines(alerts))}
	d.Subscription = strings.TrimPrefix(key.Subscription, "cfg:")
	if len(alerts) > 0 && alerts[0].Subscription != "" {
		// The alert names the matching subscriptions, the digest's first.
		d.Subscription, _, _ = strings.Cut(alerts[0].Subscription, ", ")
	}
	d.Title = digestTitle(d)
	return d
}

// DigestLines lists each story of a digest once, in the order of alerts:
// the story's first report in the digest, with the others that surely
// belong to it (not Doubtful) in its Also, oldest first, as a story's
// message lists them. A doubtful report and an update keep a line of
// their own, so that a report grouped into the wrong story is still seen
// by its headline. alerts is not changed.
func DigestLines(alerts []alert.Alert) []alert.Alert {
	head := map[string]int{} // story → index in alerts of its line
	for i, a := range alerts {
		if !foldable(a) {
			continue
		}
		if h, ok := head[a.Story]; !ok || firstOfStory(a, alerts[h]) {
			head[a.Story] = i
		}
	}
	also := map[string][]alert.Alert{}
	for i, a := range alerts {
		if foldable(a) && head[a.Story] != i {
			also[a.Story] = append(also[a.Story], a)
		}
	}
	lines := make([]alert.Alert, 0, len(alerts))
	for i, a := range alerts {
		if foldable(a) && head[a.Story] != i {
			continue
		}
		if foldable(a) && len(also[a.Story]) > 0 {
			reports := also[a.Story]
			slices.SortStableFunc(reports, outboxOrder)
			a.Also = slices.Clip(a.Also)
			for _, r := range reports {
				a.Also = append(a.Also, alert.Report{Feed: r.Feed, FeedTitle: r.FeedTitle, Title: r.Title, Link: r.Link})
			}
		}
		lines = append(lines, a)
	}
	return lines
}

// A digest line names at most MaxDigestAlso of its story's further
// reports, and links them while what it adds stays within
// MaxDigestAlsoLength code points: a digest is read for its stories, and
// long links would push stories out of the message.
const (
	MaxDigestAlso       = 3
	MaxDigestAlsoLength = 400
)

// DigestAlso is what a digest line adds for its story's further reports:
// " · also " and the first MaxDigestAlso of them, each as linked renders
// it, or as name does (the outlet alone) when linked ones would add more
// than MaxDigestAlsoLength code points, then "+N" for the rest; "" without
// any.
func DigestAlso(reports []alert.Report, linked, name func(alert.Report) string) string {
	if len(reports) == 0 {
		return ""
	}
	shown := reports[:min(len(reports), MaxDigestAlso)]
	entries := make([]string, len(shown))
	length := 0
	for i, r := range shown {
		entries[i] = linked(r)
		length += utf8.RuneCountInString(entries[i]) + 2
	}
	if length > MaxDigestAlsoLength {
		for i, r := range shown {
			entries[i] = name(r)
		}
	}
	s := " · also " + strings.Join(entries, ", ")
	if more := len(reports) - len(shown); more > 0 {
		s += fmt.Sprintf(" +%d", more)
	}
	return s
}

// foldable reports whether a may be listed under another report of its
// story (see DigestLines).
func foldable(a alert.Alert) bool {
	return a.Story != "" && a.Join != alert.JoinUpdate && !a.Doubtful
}

// firstOfStory reports whether a heads its story's line rather than h: the
// story's first report (no Join) before any further one, else the one
// enqueued first.
func firstOfStory(a, h alert.Alert) bool {
	if (a.Join == "") != (h.Join == "") {
		return a.Join == ""
	}
	return outboxOrder(a, h) < 0
}

// outboxOrder orders alerts as they were enqueued, by publication time
// where that does not tell (alerts not read from the outbox).
func outboxOrder(x, y alert.Alert) int {
	if c := cmp.Compare(x.ID, y.ID); c != 0 {
		return c
	}
	return x.Published.Compare(y.Published)
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
