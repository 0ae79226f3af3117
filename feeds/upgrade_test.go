package feeds

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestKeysOfTheLastReleaseAreKept pins the keys 75bb92d, the release
// before Atom titles of type text were read as text, future dates kept in
// the key and dates in other languages read, gave the items of two
// documents written for the upgrade (testdata/upgrade): an Atom feed with
// escaped tags and entities in its titles, and an RSS feed of items with
// no GUID and no link (known by headline and date) dated in English,
// Italian, Spanish and German, in zones read by the site's country (BST
// and AST of a .bd site) and in the future. Each item must have that key,
// or give it as its old key (Feed.OldKeys), which the poller counts as
// seen: else an upgrade posts the item again. The keys were taken from
// 75bb92d's feeds.Parser at the same two times: before the future dates
// and once they have passed (when 75bb92d itself changed those keys).
func TestKeysOfTheLastReleaseAreKept(t *testing.T) {
	beforeDates := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	afterDates := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	atom := []string{
		"guHggNSUSLAxU52pTCey8fQ", // History of the <blink> tag (type text)
		"gSt-ASeN1bPSekEmrGocJuA", // Fish &amp; chips prices rise (type text)
		"gJ9cSaVqdxWD6AVFbpbxd8A", // AT&T <b>and</b> Verizon (no type: text)
		"gpbBd-nCK6dTx4DWHWwhyYQ", // Markets rally & bonds fall (type html)
		"gQlzZRu-aAZIrY335CtrNWg", // plain text headline
		"tFPwxoMc2KStm-Qbcc7cf-A", // no id, no link, <i> in a text title
	}
	atomTail := func(future string) []string {
		return []string{
			future,                    // no id, no link, dated 15:00, <em> in a text title
			"gwhrJ4haOzsqz6qLW5US1hg", // type TEXT
			"gGkN3JxKthMbAn9nqCu91FA", // type xhtml
		}
	}
	rss := func(future, sameFuture string) []string {
		return []string{
			"tHF5SkImbaAeVxFifJmxNDg", // dated in the past
			future,                    // dated 15:00
			"tHm4n8e4JHURcuGVn6p811Q", // undated
			"tgj_1M1WXusc1eRSLlnCdcQ", // Italian date
			"tRUVZxxBQ-NX0jgCmJQp9YA", // Spanish date
			"tOeWH0Lc2S-SLTuTOcQ3iCQ", // German date
			"tns6tuwf2E6VQz37LB2Mjbg", // BST of a .bd site
			"tfB3aANderybSVYvnlSwajQ", // AST
			"t30HKz9r6H_SVoRqXULS0-g", // one headline at 09:00,
			"tu4Z37uiM6rlYQ4uvivilNw", // 10:00
			sameFuture,                // and 16:00
			"g3TSIYPP1iu2tCZhFVGsoLw", // a GUID, an Italian date
		}
	}
	tests := []struct {
		name, file string
		now        time.Time
		want       []string // 75bb92d's keys, in document order
	}{
		{"atom before the future date", "atomtext.atom", beforeDates, append(atom, atomTail("tGKikzuUk0sEVQWq7UgtjAw")...)},
		{"atom after the future date", "atomtext.atom", afterDates, append(atom, atomTail("t43hXn0Q9cvIQ_4cl3Hccpg")...)},
		{"rss before the future dates", "nolink.xml", beforeDates, rss("tRVBxXhLeyjYGXJfMKss5CA", "tMaX4VvwX65bMymxj6vY8yg")},
		{"rss after the future dates", "nolink.xml", afterDates, rss("tlrc0DY09asTdxgwl1r98Ww", "t76mYtXcY5Bk7QGiMhDNe7g")},
	}
	parsers := []struct {
		name   string
		parser *Parser
	}{
		{"eager", NewParser()},
		{"lazy, remembering", NewParserWith(ParserOptions{LazyText: true})},
	}
	for _, tc := range tests {
		doc, err := os.ReadFile(filepath.Join("testdata", "upgrade", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range parsers {
			t.Run(tc.name+", "+p.name, func(t *testing.T) {
				feed, err := p.parser.ParseRemembering(doc, "", "https://feed.example/"+tc.file, tc.now, &ItemMemo{})
				if err != nil {
					t.Fatal(err)
				}
				if len(feed.Items) != len(tc.want) {
					t.Fatalf("%d items, want %d", len(feed.Items), len(tc.want))
				}
				for i, it := range feed.Items {
					if got := it.Key; got != tc.want[i] && feed.OldKeys[got] != tc.want[i] {
						t.Errorf("item %d (%q): key %s, old key %q, want one of them %s (75bb92d's)", i, it.Title, got, feed.OldKeys[got], tc.want[i])
					}
				}
			})
		}
	}
}
