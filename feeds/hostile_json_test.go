package feeds

import (
	"errors"
	"fmt"
	"strings"
	"testing"
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
				feed, err := parseRecovering(p.parser, tc.doc)
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
func parseRecovering(p *Parser, doc string) (feed *Feed, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("Parse panicked: %v", r)
		}
	}()
	return p.Parse([]byte(doc), "application/feed+json", "https://j.example/feed.json", testNow)
}

// TestParserPanicIsAnErrorOfItsFeed checks that a panic while parsing one
// feed's document (gofeed has had several on hostile input) comes back as
// a Parse error naming the feed, so that the poller carries on with the
// other feeds instead of the process dying.
func TestParserPanicIsAnErrorOfItsFeed(t *testing.T) {
	const url = "https://hostile.example/feed.json"
	parse := func() (feed *Feed, err error) {
		defer recoverParse(url, &feed, &err)
		var items []*Item
		return &Feed{Title: items[3].Title}, nil // a nil dereference, as gofeed's were
	}
	feed, err := parse()
	var fe *Error
	if feed != nil || !errors.As(err, &fe) || fe.Kind != Parse || fe.URL != url || !strings.Contains(err.Error(), "index out of range") {
		t.Fatalf("parse = %v, %v; want a Parse error of %s saying what failed", feed, err, url)
	}
}
