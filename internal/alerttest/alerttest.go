// Package alerttest has alerts for notifier tests: ordinary ones, and one
// whose every field is hostile feed text, so each destination format can
// show that such text stays inert.
package alerttest

import (
	"fmt"
	"strings"
	"time"

	"errors"
	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
)

// Published is the time of the alerts made here.
var Published = time.Date(2026, 3, 1, 7, 45, 0, 0, time.UTC)

// Plain is an ordinary alert with a highlighted match in title and text.
func Plain() alert.Alert {
	title := "Harbour cranes idle as dock strike enters third day"
	text := "Container ships queued outside the port on Tuesday as the dock strike over night-shift pay entered its third day."
	return alert.Alert{
		Subscription: "port-strikes",
		Feed:         "coastal-wire",
		FeedTitle:    "Coastal Wire",
		Title:        title,
		TitleSpans:   []alert.Span{span(title, "dock strike")},
		Link:         "https://news.example.org/2026/03/01/dock-strike-day-three",
		Text:         text,
		TextSpans:    []alert.Span{span(text, "dock strike")},
		Author:       "Marta Quill",
		Published:    Published,
		Matched:      []string{"dock", "strike"},
	}
}

// Sequence returns n distinct ordinary alerts, a minute apart.
func Sequence(n int) []alert.Alert {
	out := make([]alert.Alert, n)
	for i := range out {
		a := Plain()
		a.Title = fmt.Sprintf("Dock strike update %d: talks resume at the port", i+1)
		a.TitleSpans = []alert.Span{span(a.Title, "Dock strike")}
		a.Link = fmt.Sprintf("https://news.example.org/2026/03/01/dock-strike-update-%d", i+1)
		a.Published = Published.Add(time.Duration(i) * time.Minute)
		out[i] = a
	}
	return out
}

// ReportedStory returns a digest's worth of one story: its first report
// and n further reports of it from other outlets (the second of them from
// a feed whose title is hostile: a link label, mrkdwn and HTML), newest
// first as a digest sorts them, then another story's one report.
func ReportedStory(n int) []alert.Alert {
	first := Plain()
	first.ID, first.Story = 1, "coastal-wire/strike"
	out := []alert.Alert{first}
	for i := range n {
		a := Plain()
		a.ID, a.Story, a.Join = int64(i+2), first.Story, alert.JoinAlso
		a.Feed, a.FeedTitle = fmt.Sprintf("outlet-%d", i+1), fmt.Sprintf("Outlet %d", i+1)
		if i == 1 {
			a.FeedTitle = "Evil <b>|</b> [x](https://evil.example) *Wire* @everyone"
		}
		a.Title = fmt.Sprintf("Dock strike enters third day, outlet %d reports", i+1)
		a.Link = fmt.Sprintf("https://outlet-%d.example/strike", i+1)
		a.Published = Published.Add(time.Duration(i+1) * time.Minute)
		out = append([]alert.Alert{a}, out...)
	}
	other := Plain()
	other.ID, other.Story = int64(n+2), "coastal-wire/ferry"
	other.Title, other.Link = "Ferry crews back dock workers with a day of solidarity", "https://news.example.org/2026/03/01/ferry-crews"
	other.Published = Published.Add(-time.Hour)
	return append(out, other)
}

// HostileTitleLength is the length of Hostile's title in code points, far
// beyond every destination's limit.
const HostileTitleLength = 10000

// Hostile is an alert whose feed text tries everything: mentions and
// broadcasts for Discord and Slack, HTML and script for mail, markdown and
// mrkdwn, a link label that escapes its brackets, header injection, a
// right-to-left override, control characters, and a 10,000-character
// title. Its text has paragraphs that are a lone "." and start with
// ".", which SMTP must dot-stuff.
func Hostile() alert.Alert {
	head := "@everyone <!channel> <!here> <@U024BE7LH> <#C024BE7LH> " +
		"<script>alert('x')</script> *bold* _it_ ~strike~ `code` ```block``` " +
		"<https://evil.example|click> [link](https://evil.example) &amp; & < > " +
		"\u202Egnp.exe\u202C\r\nBcc: victim@example.org\x00\x07 "
	title := head + strings.Repeat("long ", (HostileTitleLength-len([]rune(head)))/5)
	title += strings.Repeat("x", HostileTitleLength-len([]rune(title)))
	text := "Leak: <img src=x onerror=alert(1)> @here <!subteam^S123> ==> **really** &lt;b&gt;" +
		"\n\n.\n\n.line starting with a dot\nFrom: spoof@example.org\n" + strings.Repeat("word ", 2000)
	return alert.Alert{
		Subscription: "chaos <!channel>",
		Feed:         "evil-feed @everyone",
		FeedTitle:    "<b>Evil</b>",
		Title:        title,
		TitleSpans:   []alert.Span{span(title, "script")},
		Link:         "https://evil.example/a?b=1&c=<x>|y",
		Text:         text,
		TextSpans:    []alert.Span{span(text, "@here")},
		Author:       "<!everyone>",
		Published:    Published,
		Matched:      []string{"<script>", "@everyone", "*bold*"},
		MentionRole:  "<!channel>",
	}
}

// span is the byte range of the first sub in s.
func span(s, sub string) alert.Span {
	i := strings.Index(s, sub)
	if i < 0 {
		panic(fmt.Sprintf("alerttest: %q not in %q", sub, s))
	}
	return alert.Span{Start: i, End: i + len(sub)}
}

// Classify names what a notifier's error tells the sender: "ok", "retry
// after" (with the wait), "gone", "rejected" or "plain error".
func Classify(err error) (kind string, after time.Duration) {
	if re, ok := errors.AsType[*notify.RetryError](err); ok {
		return "retry after", re.After
	}
	switch {
	case err == nil:
		return "ok", 0
	case errors.Is(err, notify.ErrGone):
		return "gone", 0
	case errors.Is(err, notify.ErrRejected):
		return "rejected", 0
	}
	return "plain error", 0
}
