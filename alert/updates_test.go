package alert

import (
	"encoding/xml"
	"fmt"
	stdhtml "html"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/alert/story"
	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/internal/corpus"
	"github.com/newshound/newshound/internal/storycorpus"
)

// TestTextChangesStartAfreshOnAnotherSignatureVersion: a text signature
// stored by another version (version 1 left every number out) is no basis
// for an update: the item's text is signed again and nothing is reported,
// so an upgrade posts no old sentence as new; the next change is.
func TestTextChangesStartAfreshOnAnotherSignatureVersion(t *testing.T) {
	item := func(text string) []feeds.Item {
		return []feeds.Item{{Key: "blog", Title: "Kessler Dam: live", Summary: text}}
	}
	const before = "The spillway releases 1,200 cubic metres a second."
	stored := map[string][]byte{"blog": {1, 0}} // version 1, no sums
	changes, sigs := TextChanges(item(before), stored)
	if len(changes) != 0 {
		t.Errorf("changes over a version-1 signature: %+v, want none", changes)
	}
	sig, ok := sigs["blog"]
	if !ok || len(sig) == 0 || sig[0] == 1 {
		t.Fatalf("signature stored: %x, want a new version", sig)
	}
	const after = "The spillway releases 1,450 cubic metres a second."
	changes, _ = TextChanges(item(after), map[string][]byte{"blog": sig})
	if len(changes) != 1 || changes[0].Added != after {
		t.Errorf("changes after a revised count: %+v, want %q added", changes, after)
	}
}

// rssWithText is an RSS feed of one item whose description is html.
func rssWithText(t *testing.T, html string) []feeds.Item {
	t.Helper()
	var esc strings.Builder
	xml.EscapeText(&esc, []byte(html))
	doc := `<?xml version="1.0"?><rss version="2.0"><channel><title>Live</title><link>https://live.example/</link>
<item><title>Storm Hilde: live</title><link>https://live.example/hilde</link><guid>hilde</guid><description>` + esc.String() + `</description></item>
</channel></rss>`
	feed, err := feeds.NewParser().Parse([]byte(doc), "application/rss+xml", "https://live.example/feed", time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	feeds.FillText(feed.Items)
	return feed.Items
}

// addedThroughFeed is the text TextChanges finds added when a feed's item
// said before and then says after, both HTML.
func addedThroughFeed(t *testing.T, before, after string) string {
	t.Helper()
	_, sigs := TextChanges(rssWithText(t, before), nil)
	changes, _ := TextChanges(rssWithText(t, after), sigs)
	switch len(changes) {
	case 0:
		return ""
	case 1:
		return changes[0].Added
	}
	t.Fatalf("%d changes of one item", len(changes))
	return ""
}

// TestUpdateFromFeedHTMLIsTheAddedParagraph: a live blog's HTML keeps its
// paragraphs through the feed parser, so that what an update shows is the
// paragraph the feed added, even when a paragraph has no full stop (in one
// line of text it ran on into the next sentence, which was then shown as
// added too).
func TestUpdateFromFeedHTMLIsTheAddedParagraph(t *testing.T) {
	const (
		police = "<p>Police are going door to door in the harbour streets.</p>"
		boats  = "<p>The coast guard says two fishing boats are missing\n  off Port Ellery.</p>"
	)
	tests := []struct {
		name, before, after, want string
	}{
		{"an entry with no full stop on top", police + boats,
			"<p>Water reaches the town square</p>" + police + boats,
			"Water reaches the town square"},
		{"an entry under a time heading", "<h3>16:05 GMT</h3>" + boats,
			"<h3>17:15 GMT</h3><p>Rescue helicopters left Dunmore at noon</p><h3>16:05 GMT</h3>" + boats,
			"Rescue helicopters left Dunmore at noon"},
		{"a list item", "<ul><li>Dunmore: schools closed</li></ul>" + police,
			"<ul><li>Dunmore: schools closed</li><li>Port Ellery ferry stopped</li></ul>" + police,
			"Port Ellery ferry stopped"},
		{"a paragraph wrapped in the source", police,
			police + "<p>Crews cannot reach the damaged\nlines until the wind drops</p>",
			"Crews cannot reach the damaged lines until the wind drops"},
		{"a line break inside a paragraph", police,
			police + "<p>Latest figures<br>Forty thousand homes without power</p>",
			"Latest figures\n\nForty thousand homes without power"},
		{"only the heading's time changed", "<h3>16:05 GMT</h3>" + boats, "<h3>17:15 GMT</h3>" + boats, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := addedThroughFeed(t, tt.before, tt.after); got != tt.want {
				t.Errorf("added %q, want %q", got, tt.want)
			}
		})
	}
}

// TestUpdateFromFeedHTMLCorpusArticles takes each paragraph out of each
// article of the corpus in turn, published as HTML paragraphs, and puts it
// back: the update is what Added finds in the article's paragraphs as
// lines, whenever the paragraph brings a sentence the rest lacks (the
// paragraph without its "UPDATE 1715 GMT:" label, which every entry
// has). A signature stored by the version before paragraphs, over the
// text in one line, finds nothing added in the same article with them.
func TestUpdateFromFeedHTMLCorpusArticles(t *testing.T) {
	articles, err := storycorpus.Articles(corpus.Dir(t))
	if err != nil {
		t.Fatal(err)
	}
	total, exact := 0, 0
	for _, article := range articles {
		paras := article.Paragraphs
		html := func(ps []string) string {
			var b strings.Builder
			for _, p := range ps {
				b.WriteString("<p>" + stdhtml.EscapeString(p) + "</p>\n")
			}
			return b.String()
		}
		full := html(paras)
		item := rssWithText(t, full)
		oneLine, _ := story.SignText(item[0].Title, feeds.PlainText(full)).MarshalBinary()
		oneLine[0] = 2 // as the version before paragraphs stored it
		if changes, _ := TextChanges(item, map[string][]byte{item[0].Key: oneLine}); len(changes) != 0 {
			t.Errorf("%s: over a signature of the text in one line, added %q, want nothing", article.Name, changes[0].Added)
		}
		for k := range paras {
			paras[k] = feeds.PlainText(paras[k]) // as a feed shows it
		}
		for k := range paras {
			without := strings.Join(slices.Delete(slices.Clone(paras), k, k+1), "\n")
			want := story.Added(story.SignText("", without), "", strings.Join(paras, "\n"))
			if want == "" {
				continue // the rest of the article says it all
			}
			total++
			if got := addedThroughFeed(t, html(slices.Delete(slices.Clone(paras), k, k+1)), full); got == want {
				exact++
			} else {
				t.Errorf("%s paragraph %d: added %q, want %q", article.Name, k, got, want)
			}
		}
	}
	t.Logf("%d paragraphs put back through the feed parser: the update was the paragraph for %d", total, exact)
}

// TestUpdateWhereMessagesCannotBeEdited: an update of an item whose story
// is known is a join where the story's message can be edited; where it
// cannot, it is a message of its own (capped and counted as one), named
// with the story, as the item's own message is.
func TestUpdateWhereMessagesCannotBeEdited(t *testing.T) {
	for _, each := range []bool{false, true} {
		subs := []Subscription{{ID: "s", Name: "s", Query: "spillway", AllFileFeeds: true, Destination: "desk", StoryWindow: 48 * time.Hour, Updates: true, ReportsAsMessages: each}}
		cat, _ := NewCatalog(nil, []Feed{{ID: "blog", Name: "blog"}}, subs)
		item := feeds.Item{Key: "live", Title: "Kessler Dam: live", Link: "https://blog.example/live"}
		storyOf := func(dest, feedID, itemKey string, window time.Duration) (string, bool) { return "blog/live", true }
		es := cat.Updates(Input{FeedID: "blog", Now: time.Now()}, []Change{{Item: item, Added: "A second spillway gate opened at noon."}}, storyOf)
		if len(es) != 1 {
			t.Fatalf("reports as messages %v: %d entries, want 1", each, len(es))
		}
		if e := es[0]; e.Joins == each || e.Story != "blog/live" || e.Alert.Story != "blog/live" || e.Alert.Join != JoinUpdate {
			t.Errorf("reports as messages %v: joins %v, story %q, alert's story %q, join %q; want joins %v, blog/live twice, an update", each, e.Joins, e.Story, e.Alert.Story, e.Alert.Join, !each)
		}
	}
}

// TestTextChangesOfAnEditedHeadline: a new item whose headline edits an
// earlier one's under the same link (a significant word in common, the
// duplicate check's rule) is compared with that item's signature, its
// headline left out, and names the items whose story it goes under (the
// one it edits and the first of their chain); a headline rewritten
// entirely, one under another link and one whose earlier version is still
// in the fetch are not edits. The chain goes on: each edit keeps its
// signature and the link remembers it.
func TestTextChangesOfAnEditedHeadline(t *testing.T) {
	const (
		body  = "Engineers reopened the Kessler Dam spillway on Tuesday."
		added = "A second spillway gate opened at noon, officials said."
	)
	blog := func(key, title, link, text string) feeds.Item {
		return feeds.Item{Key: key, Title: title, Link: link, Summary: text}
	}
	const live = "https://courier.example/live"
	_, stored := TextChanges([]feeds.Item{blog("k1", "Kessler Dam live: updated 13:00 GMT", live, body)}, nil)
	tests := []struct {
		name  string
		items []feeds.Item
		added string
		of    []string
	}{
		{"an edited headline", []feeds.Item{blog("k2", "Kessler Dam live: updated 14:00 GMT", live, added+"\n\n"+body)}, added, []string{"k1"}},
		{"the headline's edit alone", []feeds.Item{blog("k2", "Kessler Dam: spillway live", live, body)}, "", nil},
		{"rewritten entirely", []feeds.Item{blog("k2", "Valley towns told to evacuate", live, added+"\n\n"+body)}, "", nil},
		{"another link", []feeds.Item{blog("k2", "Kessler Dam live: updated 14:00 GMT", live+"/2", added+"\n\n"+body)}, "", nil},
		{"the earlier version still there", []feeds.Item{
			blog("k1", "Kessler Dam live: updated 13:00 GMT", live, body),
			blog("k2", "Kessler Dam live: updated 14:00 GMT", live, added+"\n\n"+body)}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edited := EditedKeys(tt.items, onlyKeys(stored, TextKeys(tt.items)))
			if want := tt.of; len(want) > 0 && !slices.Equal(edited, want) {
				t.Errorf("EditedKeys %q, want %q", edited, want)
			}
			changes, sigs := TextChanges(tt.items, stored)
			var added string
			var of []string
			for _, ch := range changes {
				added, of = ch.Added, ch.Of
			}
			if added != tt.added || !slices.Equal(of, tt.of) {
				t.Errorf("added %q of %q, want %q of %q", added, of, tt.added, tt.of)
			}
			if _, ok := sigs["k2"]; !ok {
				t.Errorf("no signature for k2: %q", slices.Sorted(maps.Keys(sigs)))
			}
		})
	}
	t.Run("a chain of edits", func(t *testing.T) {
		stored := maps.Clone(stored)
		for i, title := range []string{"Kessler Dam live: updated 14:00 GMT", "Kessler Dam live: updated 15:00 GMT"} {
			key := fmt.Sprintf("k%d", i+2)
			changes, sigs := TextChanges([]feeds.Item{blog(key, title, live, fmt.Sprintf("Gate %d opened at the Kessler Dam spillway.\n\n", i+2)+body)}, stored)
			maps.Copy(stored, sigs)
			want := []string{"k1"}
			if i > 0 {
				want = []string{"k2", "k1"}
			}
			if len(changes) != 1 || !slices.Equal(changes[0].Of, want) {
				t.Fatalf("%s: changes %+v, want one of %q", key, changes, want)
			}
		}
	})
}

// onlyKeys is stored restricted to keys, as the store answers for them.
func onlyKeys(stored map[string][]byte, keys []string) map[string][]byte {
	out := map[string][]byte{}
	for _, k := range keys {
		if b, ok := stored[k]; ok {
			out[k] = b
		}
	}
	return out
}

// TestLinkHeadlinesRoundTrip: what a link's key remembers decodes as it
// was encoded, and anything else (a text signature, a truncated record)
// is refused.
func TestLinkHeadlinesRoundTrip(t *testing.T) {
	hs := []headline{{key: "gAAA", words: []uint32{1, 2}}, {key: "gBBB", origin: "gAAA", words: []uint32{3}}}
	b := appendHeadlines(nil, hs)
	got, err := decodeHeadlines(b)
	if err != nil || !reflect.DeepEqual(got, hs) {
		t.Fatalf("decoded %+v, %v; want %+v", got, err, hs)
	}
	sig, _ := story.SignText("Kessler Dam: live", "Engineers reopened the spillway.").MarshalBinary()
	for _, bad := range [][]byte{nil, sig, b[:len(b)-1], append(slices.Clone(b), 0)} {
		if _, err := decodeHeadlines(bad); err == nil {
			t.Errorf("decodeHeadlines(%x) = nil error", bad)
		}
	}
}

// TestNoUpdateWhenTheParserFindsMediaText: an item whose text stood only
// in Media RSS elements (a YouTube channel's media:description) had no
// summary before the feeds parser read them; the signature the version
// before stored has the title alone. At the upgrade the description is
// no update (the signature's version changed, so it starts afresh).
func TestNoUpdateWhenTheParserFindsMediaText(t *testing.T) {
	const title = "Foreign ministers resume the Aleppo ceasefire talks in Geneva"
	doc := `<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"><title>Channel</title>` +
		`<entry><id>yt:video:abc</id><title>` + title + `</title><link rel="alternate" href="https://www.youtube.com/watch?v=abc"/>` +
		`<published>2026-12-02T10:00:00+00:00</published><media:group><media:title>` + title + `</media:title>` +
		`<media:description>The talks broke off last week over the convoy attack near the city.</media:description></media:group></entry></feed>`
	feed, err := feeds.NewParser().Parse([]byte(doc), "", "https://www.youtube.com/feeds/videos.xml?channel_id=UC1", time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC))
	if err != nil || len(feed.Items) != 1 {
		t.Fatalf("parse: %v", err)
	}
	if feed.Items[0].Summary == "" {
		t.Fatal("the parser gives no summary from media:description")
	}
	before, _ := story.SignText(title, "").MarshalBinary()
	before[0] = 4 // as the version before stored it, when the item had no text
	if changes, _ := TextChanges(feed.Items, map[string][]byte{feed.Items[0].Key: before}); len(changes) != 0 {
		t.Errorf("over the signature of the item without its description: added %q, want nothing", changes[0].Added)
	}
}

// TestTextPollLinksOf: the links of the named items, each once, in the
// items' order; an item without a link has none.
func TestTextPollLinksOf(t *testing.T) {
	items := []feeds.Item{
		{Key: "a", Title: "Dam holds", Link: "https://news.example/dam?utm_source=rss"},
		{Key: "b", Title: "Port reopens", Link: "https://news.example/port"},
		{Key: "c", Title: "Dam holds again", Link: "https://news.example/dam"},
		{Key: "d", Title: "No link"},
	}
	p := NewTextPoll(items)
	all := p.LinkKeys() // dam's, port's
	tests := []struct {
		name  string
		items []string
		want  []string
	}{
		{"none", nil, nil},
		{"one", []string{"b"}, all[1:]},
		{"two items of one link", []string{"c", "a"}, all[:1]},
		{"in the items' order", []string{"b", "c"}, all},
		{"no link", []string{"d"}, nil},
		{"unknown key", []string{"z"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.LinksOf(tt.items); !slices.Equal(got, tt.want) {
				t.Errorf("LinksOf(%q) = %q, want %q", tt.items, got, tt.want)
			}
		})
	}
}

// TestUpdateIsMatchedOnTheAddedTextAlone: an update is a match of the text
// the item added (README: "the added text alone is matched"). What the
// item said before, its headline and its categories among it, brings no
// update by itself: a live blog filed under "Coronavirus (2019-nCoV)"
// whose new paragraph says nothing of the virus is no coronavirus update
// (the New York Times' live blog in the corpus series was posted at each
// change through its category). A scope the added text matches with the
// item's category still counts.
func TestUpdateIsMatchedOnTheAddedTextAlone(t *testing.T) {
	item := feeds.Item{Key: "live", Title: "Live Coronavirus News and Updates", Link: "https://news.example/live",
		Categories: []string{"Coronavirus (2019-nCoV)"}}
	tests := []struct {
		name, query, added string
		want               int
	}{
		{"only the category matches", "coronavirus", "Cases at an Ohio prison surge, and oil prices plummet.", 0},
		{"only the headline matches", "title:coronavirus OR lockdown", "Cases at an Ohio prison surge.", 0},
		{"the added text matches", "coronavirus", "Coronavirus cases at an Ohio prison surge.", 1},
		{"the category scopes a word of the added text", "category:coronavirus AND ohio", "Cases at an Ohio prison surge.", 1},
		{"a word of the added text excluded", "coronavirus -ohio", "Coronavirus cases at an Ohio prison surge.", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subs := []Subscription{{ID: "s", Name: "s", Query: tt.query, AllFileFeeds: true, Destination: "desk", StoryWindow: 48 * time.Hour, Updates: true}}
			cat, errs := NewCatalog(nil, []Feed{{ID: "blog", Name: "blog"}}, subs)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			storyOf := func(dest, feedID, itemKey string, window time.Duration) (string, bool) { return "blog/live", true }
			es := cat.Updates(Input{FeedID: "blog", Now: time.Now()}, []Change{{Item: item, Added: tt.added}}, storyOf)
			if len(es) != tt.want {
				t.Errorf("query %q, added %q: %d updates, want %d", tt.query, tt.added, len(es), tt.want)
			}
		})
	}
}
