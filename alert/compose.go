package alert

import (
	"cmp"
	"slices"
	"strings"

	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/filters"
)

// compose turns a matched item into what notifiers show: the title and
// an excerpt source with the matched spans, and the matched words. Several
// subscriptions matching one item for one destination make one alert that
// names them all; the first one's colour, role ping and format apply.
func compose(group []matched, f *Feed, feedTitle string, it *feeds.Item, doc *filters.Document) Alert {
	textField, text := excerptSource(it)
	first := group[0].sub
	a := Alert{
		Feed:        f.Name,
		Title:       it.Title,
		Link:        it.Link,
		Text:        text,
		Author:      it.Author,
		ImageURL:    it.ImageURL,
		Published:   it.Published,
		Categories:  it.Categories,
		Color:       first.Color,
		MentionRole: first.MentionRole,
		Format:      first.Format,
	}
	a.FeedTitle = cmp.Or(f.Title, feedTitle)
	var names []string
	var hits []filters.Hit
	for _, m := range group {
		names = append(names, m.sub.Name)
		hits = append(hits, m.match.Hits...)
	}
	a.Subscription = strings.Join(names, ", ")
	ordered := orderHits(hits, textField)
	var wordHits []filters.Hit
	for _, h := range ordered {
		switch h.Field {
		case filters.FieldTitle:
			a.TitleSpans = append(a.TitleSpans, Span{Start: h.Start, End: h.End})
		case textField:
			a.TextSpans = append(a.TextSpans, Span{Start: h.Start, End: h.End})
		}
		if h.Field != filters.FieldLink && h.Field != filters.FieldSite && h.Field != filters.FieldFeed {
			wordHits = append(wordHits, h)
		}
	}
	a.Matched = filters.MatchedWords(doc, wordHits)
	a.TitleSpans, a.TextSpans = mergeSpans(a.TitleSpans), mergeSpans(a.TextSpans)
	return a
}

// orderHits puts title hits first, then the excerpt's, then the rest, each
// in text order, so the matched words read in the order a reader meets them.
func orderHits(hits []filters.Hit, textField filters.Field) []filters.Hit {
	rank := func(f filters.Field) int {
		switch f {
		case filters.FieldTitle:
			return 0
		case textField:
			return 1
		}
		return 2
	}
	out := slices.Clone(hits)
	slices.SortStableFunc(out, func(a, b filters.Hit) int {
		if c := rank(a.Field) - rank(b.Field); c != 0 {
			return c
		}
		if a.Field != b.Field {
			return strings.Compare(string(a.Field), string(b.Field))
		}
		return a.Start - b.Start
	})
	return out
}

// mergeSpans sorts spans and merges those that overlap.
func mergeSpans(spans []Span) []Span {
	if len(spans) < 2 {
		return spans
	}
	slices.SortFunc(spans, func(a, b Span) int { return a.Start - b.Start })
	out := spans[:1]
	for _, sp := range spans[1:] {
		last := &out[len(out)-1]
		if sp.Start <= last.End {
			last.End = max(last.End, sp.End)
			continue
		}
		out = append(out, sp)
	}
	return out
}

// excerptSource picks the text shown under the title: the summary, or the
// content when there is no summary.
func excerptSource(it *feeds.Item) (filters.Field, string) {
	if strings.TrimSpace(it.Summary) != "" {
		return filters.FieldSummary, it.Summary
	}
	return filters.FieldContent, it.Content
}
