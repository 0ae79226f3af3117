package feeds

import (
	"os"
	"path/filepath"
	"testing"
)

// TestJSONFeedTitleAndSummaryText: a JSON Feed's title and summary are
// plain text (JSON Feed 1.1: only content_html is HTML), but they were
// read as HTML, so that what looks like a tag was lost: "Use <b> for
// bold" lost its "<b>", and "yields<inflation" swallowed the rest of the
// headline or summary. They are plain text now, their lines kept, but
// for one written as HTML anyway, with an end tag or a character
// reference, as WordPress's plugin and kottke.org write titles
// ("Here&#8217;s") and Hugo's and Jekyll's templates summaries (.Summary,
// excerpt: "<p>…</p>"): that one is read as HTML, as before, since shown
// as text it would show its markup.
func TestJSONFeedTitleAndSummaryText(t *testing.T) {
	jsonDoc := func(item string) string {
		return `{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","url":"https://j.example/1",` + item + `}]}`
	}
	tests := []struct {
		name, doc      string
		title, summary string
	}{
		{"title, a tag-like word", jsonDoc(`"title":"Use <b> for bold"`), "Use <b> for bold", ""},
		{"title, less-than", jsonDoc(`"title":"Markets live: yields<inflation as bonds slide"`), "Markets live: yields<inflation as bonds slide", ""},
		{"title, spaces collapsed", jsonDoc(`"title":"  Two\n  lines "`), "Two lines", ""},
		{"title, ampersands", jsonDoc(`"title":"R&D at AT&T"`), "R&D at AT&T", ""},
		{"title, character references (WordPress)", jsonDoc(`"title":"Here&#8217;s the plan"`), "Here’s the plan", ""},
		{"title, an escaped ampersand", jsonDoc(`"title":"Fish &amp; chips"`), "Fish & chips", ""},
		{"title, HTML with an end tag", jsonDoc(`"title":"A <em>big</em> day"`), "A big day", ""},
		{"summary, a tag-like word", jsonDoc(`"title":"T","summary":"Schools closed <today> in the north"`), "T", "Schools closed <today> in the north"},
		{"summary, less-than", jsonDoc(`"title":"T","summary":"Noted that yields<inflation for a week. Markets fell."`), "T", "Noted that yields<inflation for a week. Markets fell."},
		{"summary, lines kept", jsonDoc(`"title":"T","summary":"First <p> line.\n\n  Second line."`), "T", "First <p> line.\nSecond line."},
		{"summary, HTML (Hugo's .Summary)", jsonDoc(`"title":"T","summary":"<p>The council&#8217;s <em>new</em> plan.</p>"`), "T", "The council’s new plan."},
		{"summary, a line break tag", jsonDoc(`"title":"T","summary":"One<br>Two"`), "T", "One\nTwo"},
	}
	for _, p := range eagerAndLazy() {
		for _, tc := range tests {
			t.Run(p.name+", "+tc.name, func(t *testing.T) {
				it := parseOneItem(t, p.parser, tc.doc)
				if it.Title != tc.title {
					t.Errorf("title %q, want %q", it.Title, tc.title)
				}
				if it.Summary != tc.summary {
					t.Errorf("summary %q, want %q", it.Summary, tc.summary)
				}
			})
		}
	}
	feed, err := NewParser().Parse([]byte(`{"version":"https://jsonfeed.org/version/1.1","title":"Tips <and> tricks","items":[]}`), "", "https://j.example/feed.json", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Tips <and> tricks"; feed.Title != want {
		t.Errorf("feed title %q, want %q", feed.Title, want)
	}
}

// TestJSONFeedTextOldKeys: an item whose headline, or, known by its
// text, whose summary read otherwise as HTML gives the key 4d14f7a gave
// it (pinned below) in Feed.OldKeys, which the poller counts as seen, so
// that an upgrade posts nothing again; an item read the same either way
// keeps its key.
func TestJSONFeedTextOldKeys(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "alert", "testdata", "upgrade", "jsontext.json"))
	if err != nil {
		t.Fatal(err)
	}
	before := []struct {
		key     string // 4d14f7a's
		changed bool
	}{
		{"geLZU6x-rm7tU9HABrOIX5w", false}, // "yields<inflation" in the summary alone
		{"gtcoobEsSZ7JrP26baGAjSA", false}, // character references, HTML: as before
		{"t-7WECW8yFkV2lV4dIkdXWA", true},  // no id, url or title: known by its summary
		{"gQj-5H66PxqBn2h_wrbiQ6A", true},  // "<b>" in the title
	}
	for _, p := range eagerAndLazy() {
		t.Run(p.name, func(t *testing.T) {
			feed, err := p.parser.Parse(doc, "", "https://live.example/feed", testNow)
			if err != nil {
				t.Fatal(err)
			}
			if len(feed.Items) != len(before) {
				t.Fatalf("%d items, want %d", len(feed.Items), len(before))
			}
			for i, it := range feed.Items {
				want := before[i]
				old, ok := feed.OldKeys[it.Key]
				switch {
				case want.changed && it.Key == want.key:
					t.Errorf("item %d (%q): key %s as before: its text read the same?", i, it.Title, it.Key)
				case want.changed && old != want.key:
					t.Errorf("item %d (%q): old key %q, want %s", i, it.Title, old, want.key)
				case !want.changed && it.Key != want.key:
					t.Errorf("item %d (%q): key %s, want %s as before", i, it.Title, it.Key, want.key)
				case !want.changed && ok:
					t.Errorf("item %d (%q): old key %q for a key that did not change", i, it.Title, old)
				}
			}
		})
	}
}
