package feeds

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
)

// TestJSONFeedWithNullsDoesNotPanic: a JSON Feed whose items, authors or
// an item's authors hold a null made gofeed's translator dereference a
// nil pointer: the parse panicked, and with it the poller, so that one
// hostile feed stopped the bot (and /watch add of it). A null is now
// left out: the items that are there are read, and a document of nulls
// alone has no items.
func TestJSONFeedWithNullsDoesNotPanic(t *testing.T) {
	const item = `{"id":"1","url":"https://j.example/1","title":"Kept story"}`
	doc := func(feedFields, items string) string {
		return `{"version":"https://jsonfeed.org/version/1.1","title":"J"` + feedFields + `,"items":[` + items + `]}`
	}
	tests := []struct {
		name, doc string
		titles    []string
	}{
		{"a null item", doc("", "null"), nil},
		{"a null item beside one", doc("", "null,"+item+",null"), []string{"Kept story"}},
		{"a null feed author", doc(`,"authors":[null]`, item), []string{"Kept story"}},
		{"a null item author", doc("", `{"id":"1","url":"https://j.example/1","title":"Kept story","authors":[null,{"name":"Ann"}]}`), []string{"Kept story"}},
	}
	for _, p := range eagerAndLazy() {
		for _, tc := range tests {
			t.Run(p.name+", "+tc.name, func(t *testing.T) {
				feed, err := parseRecovering(p.parser, tc.doc, "application/feed+json", "https://j.example/feed.json")
				if err != nil {
					t.Fatal(err)
				}
				var titles []string
				for _, it := range feed.Items {
					titles = append(titles, it.Title)
				}
				if fmt.Sprint(titles) != fmt.Sprint(tc.titles) {
					t.Errorf("items %q, want %q", titles, tc.titles)
				}
			})
		}
	}
}

// parseRecovering parses doc, a panic returned as an error.
func parseRecovering(p *Parser, doc, contentType, url string) (feed *Feed, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("Parse panicked: %v", r)
		}
	}()
	return p.Parse([]byte(doc), contentType, url, testNow)
}

// TestParserPanicIsAnErrorOfItsFeed checks that a panic while parsing one
// feed's document (gofeed has had several on hostile input; here its RSS
// translator panics) comes back from Parse as a Parse error naming the
// feed, so that the poller carries on with the other feeds instead of the
// process dying.
func TestParserPanicIsAnErrorOfItsFeed(t *testing.T) {
	const url = "https://hostile.example/rss"
	const doc = `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>Aleppo talks resume</title><link>https://hostile.example/1</link></item>
</channel></rss>`
	for _, p := range eagerAndLazy() {
		t.Run(p.name, func(t *testing.T) {
			p.parser.gp.RSSTranslator = panickingTranslator{}
			feed, err := parseRecovering(p.parser, doc, "application/rss+xml", url)
			var fe *Error
			if feed != nil || !errors.As(err, &fe) || fe.Kind != Parse || fe.URL != url || !strings.Contains(err.Error(), "index out of range") {
				t.Fatalf("Parse = %v, %v; want a Parse error of %s saying what failed", feed, err, url)
			}
		})
	}
}

// panickingTranslator stands for a gofeed translator that panics on a
// hostile document, as gofeed's JSON translator did on a null item.
type panickingTranslator struct{}

func (panickingTranslator) Translate(any) (*gofeed.Feed, error) {
	var items []*gofeed.Item
	return &gofeed.Feed{Title: items[3].Title}, nil
}

// TestLazyTextPanicIsNoCrash checks that a panic of gofeed while it
// decodes an item's description later, for a Parser with LazyText
// (FillText, which the poller calls after the parse), does not end the
// process: the description reads as one gofeed could not read, empty.
func TestLazyTextPanicIsNoCrash(t *testing.T) {
	const doc = `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>Aleppo talks resume</title><link>https://r.example/1</link><description>Talks &lt;b&gt;resume&lt;/b&gt; in Geneva.</description></item>
</channel></rss>`
	p := NewParserWith(ParserOptions{LazyText: true})
	feed, err := p.Parse([]byte(doc), "application/rss+xml", "https://r.example/rss", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(feed.Items) != 1 || !feed.Items[0].TextPending() {
		t.Fatalf("items %+v, want one whose text is pending", feed.Items)
	}
	p.gp.RSSTranslator = panickingTranslator{} // the description's decoding panics
	var panicked any
	func() {
		defer func() { panicked = recover() }()
		FillText(feed.Items)
	}()
	if panicked != nil {
		t.Fatalf("FillText panicked: %v", panicked)
	}
	if got := feed.Items[0].Summary; got != "" {
		t.Errorf("summary %q, want empty (a description gofeed could not read)", got)
	}
}
