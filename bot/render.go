package bot

import (
	"strings"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/filters"
)

// renderAlert turns a matched item into what notifiers show: the title and
// an excerpt source with the matched spans, and the matched words.
func renderAlert(sub *subscription, f *feedSpec, feed *feeds.Feed, it *feeds.Item, doc *filters.Document, m filters.Match) notify.Alert {
	textField, text := excerptSource(it)
	a := notify.Alert{
		Subscription: sub.Name,
		Feed:         f.Name,
		Title:        it.Title,
		Link:         it.Link,
		Text:         text,
		Author:       it.Author,
		ImageURL:     it.ImageURL,
		Published:    it.Published,
		Color:        sub.Color,
		MentionRole:  sub.MentionRole,
	}
	if feed != nil {
		a.FeedTitle = feed.Title
	}
	seen := map[string]bool{}
	for _, h := range m.Hits {
		word := hitText(doc, h)
		if key := strings.ToLower(word); word != "" && !seen[key] {
			seen[key] = true
			a.Matched = append(a.Matched, word)
		}
		switch h.Field {
		case filters.FieldTitle:
			a.TitleSpans = append(a.TitleSpans, notify.Span{Start: h.Start, End: h.End})
		case textField:
			a.TextSpans = append(a.TextSpans, notify.Span{Start: h.Start, End: h.End})
		}
	}
	return a
}

// excerptSource picks the text shown under the title: the summary, or the
// content when there is no summary.
func excerptSource(it *feeds.Item) (filters.Field, string) {
	if strings.TrimSpace(it.Summary) != "" {
		return filters.FieldSummary, it.Summary
	}
	return filters.FieldContent, it.Content
}

// hitText is the text a hit covers, as written in the item.
func hitText(doc *filters.Document, h filters.Hit) string {
	var s string
	switch h.Field {
	case filters.FieldTitle:
		s = doc.Title
	case filters.FieldSummary:
		s = doc.Summary
	case filters.FieldContent:
		s = doc.Content
	case filters.FieldAuthor:
		s = doc.Author
	case filters.FieldCategory:
		if h.Index >= 0 && h.Index < len(doc.Categories) {
			s = doc.Categories[h.Index]
		}
	case filters.FieldLink, filters.FieldSite:
		s = doc.Link
	case filters.FieldFeed:
		s = doc.Feed
	}
	if h.Start < 0 || h.End > len(s) || h.Start >= h.End {
		return ""
	}
	return s[h.Start:h.End]
}
