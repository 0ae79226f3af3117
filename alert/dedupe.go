package alert

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/filters"
)

// StoryKeys name the story an item tells, so that one story reaches a
// destination once (within the store's dedupe window) however many feeds
// carry it, whatever GUID it comes under, and however its headline is
// edited. The store refuses an alert when any of its keys was enqueued for
// the same destination before:
//
//   - item:FEED/KEY — the item itself (two subscriptions, one destination);
//   - title:HEADLINE — the normalized headline without an outlet credit,
//     for wire copy on several sites (only headlines of five words or more:
//     "Live updates" is not one story);
//   - link:URL|WORD — the canonical link paired with each significant
//     headline word. An edited headline under the same link shares a word
//     with the first version ("Should we all wear masks?" → "Should the
//     public wear masks?") and is the same story; a publisher that reuses one
//     link for unrelated stories (CNN's /collections/ pages) shares none,
//     and each story is alerted. The GUID is not paired so: feeds that
//     give every item one GUID (the site's address) exist, and such a key
//     would refuse their next story sharing a word with the last, a loss,
//     where an edited item whose link follows its headline
//     ("…/aleppo-truce-holds/" to "…/aleppo-ceasefire-holds/") under the
//     same GUID is posted twice, a duplicate. A link with parameters a
//     site sets apart for each of its feeds also gives these keys with
//     them (feeds.KeyLink), as versions before 2026-12 wrote them, so the
//     outbox's earlier keys still refuse the item; and an item whose shown
//     link is not the one it was published with (a FeedBurner item's
//     origLink) gives them of both (feeds.Item.PublishedLink), as the
//     outbox of a version that linked it to the proxy holds them.
func StoryKeys(feedID string, it *feeds.Item) []string {
	keys := []string{"item:" + feedID + "/" + it.Key}
	for _, t := range headlineKeys(it.Title) {
		keys = append(keys, "title:"+t)
	}
	var links []string
	for _, link := range []string{it.Link, it.PublishedLink()} {
		l := feeds.CanonicalLink(link)
		if l == "" {
			continue
		}
		// The parameters a site sets apart for each feed (DW's maca)
		// are kept by a key of the form outboxes written before
		// CanonicalLink dropped them hold.
		for _, k := range []string{l, feeds.KeyLink(link)} {
			if !slices.Contains(links, k) {
				links = append(links, k)
			}
		}
	}
	if len(links) > 0 {
		words := significantWords(it.Title)
		for _, l := range links {
			for _, w := range words {
				keys = append(keys, "link:"+l+"|"+w)
			}
			if len(words) == 0 {
				keys = append(keys, "link:"+l)
			}
		}
	}
	return keys
}

// withoutTitleKey drops the title: key from an item's story keys.
func withoutTitleKey(keys []string) []string {
	out := keys[:0:0]
	for _, k := range keys {
		if !strings.HasPrefix(k, "title:") {
			out = append(out, k)
		}
	}
	return out
}

// headlineKeys are the normalized headline without a trailing " - Outlet"
// credit and, when it ends in what looks like one, as given: a headline
// ending in its source ("… 'just another patient' - New Zealand nurse")
// loses it to the credit's rule, and the same headline carried with an
// outlet's credit after it keeps it, so only the form as given is common
// to both. A headline of fewer than five words without the credit gives
// none: a credit makes no short headline a story ("Coronavirus latest
// updates - BBC News", a daily live page's on a feed crediting each).
func headlineKeys(title string) []string {
	words := headlineWords(title)
	if len(words) < 5 {
		return nil
	}
	keys := []string{strings.Join(words, " ")}
	if given := strings.Join(normalWords(title), " "); given != keys[0] {
		keys = append(keys, given)
	}
	return keys
}

func headlineWords(title string) []string {
	return normalWords(withoutCredit(title))
}

func normalWords(title string) []string {
	toks := filters.Normalize(title)
	words := make([]string, 0, len(toks))
	for _, t := range toks {
		if t.Width <= 1 { // not the joined form of "cease-fire" or "U.S."
			words = append(words, t.Text)
		}
	}
	return words
}

// significantWords are the distinct headline words of four letters or more
// that are not among the commonest English function words.
func significantWords(title string) []string {
	return significantOf(headlineWords(title))
}

// creditForms are the normalized words of a headline's other forms with
// an outlet's credit added or taken off since an earlier issue of it: as
// given, were it one's credit that the rule took off (see headlineKeys),
// and without one more credit, were it given one. None when the headline
// ends in nothing like a credit.
func creditForms(title string) [][]string {
	bare := withoutCredit(title)
	if bare == title {
		return nil
	}
	forms := [][]string{normalWords(title)}
	if barer := withoutCredit(bare); barer != bare {
		forms = append(forms, normalWords(barer))
	}
	return forms
}

// significantOf filters a headline's normalized words to its significant
// ones (see significantWords), in place.
func significantOf(words []string) []string {
	out := words[:0]         // filtered in place: the slice is this call's
	var seen map[string]bool // for a long headline; a short one's out is searched
	for _, w := range words {
		if utf8.RuneCountInString(w) < 4 || commonWords[w] || seen[w] || seen == nil && slices.Contains(out, w) {
			continue
		}
		out = append(out, w)
		if seen == nil && len(out) > 32 {
			seen = make(map[string]bool, 2*len(out))
			for _, o := range out {
				seen[o] = true
			}
		} else if seen != nil {
			seen[w] = true
		}
	}
	return out
}

var commonWords = map[string]bool{
	"about": true, "after": true, "also": true, "been": true, "before": true, "from": true,
	"have": true, "into": true, "more": true, "news": true, "over": true, "says": true,
	"said": true, "than": true, "that": true, "their": true, "them": true, "they": true,
	"this": true, "what": true, "when": true, "where": true, "which": true, "will": true,
	"with": true, "were": true, "your": true, "live": true, "updates": true,
}

// withoutCredit drops a trailing outlet credit such as " - Reuters" or
// " | BBC News" (at most three words: creditWords), which differs between
// outlets that carry the same wire story.
func withoutCredit(title string) string {
	for _, sep := range []string{" - ", " | ", " – ", " — "} {
		i := strings.LastIndex(title, sep)
		if i > 0 && creditWords(title[i+len(sep):]) <= 3 {
			return title[:i]
		}
	}
	return title
}

// creditWords counts the words of what may be a credit: in Han or kana,
// scripts that do not separate words with spaces, one for every three
// characters, an outlet's name running to nine ("… - 纽约时报中文网", "… -
// 読売新聞オンライン"), a headline beyond ("新华网 | 徐才厚癌症恶化医治无效
// 死亡" ends in one of five words). A shorter headline after its source
// ("新华网 | 李克强会见默克尔") is taken for a credit: posted twice when
// carried twice, but a short headline with a credit ("快讯 - 新华社") is
// never five words, so never one story with the next.
func creditWords(s string) int {
	n := 0
	for _, f := range strings.Fields(s) {
		ideographs := 0
		for _, r := range f {
			if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) {
				ideographs++
			}
		}
		n += max((ideographs+2)/3, 1)
	}
	return n
}
