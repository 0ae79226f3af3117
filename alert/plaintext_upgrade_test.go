package alert

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/feeds"
)

// TestPlainTextReadingPostsNothingAgain: versions up to 28554bd read an
// Atom summary or content of type text, and a JSON Feed's content_text,
// as HTML ("Traders quoted the <b> tag" lost its "<b>"), and versions up
// to 4d14f7a a JSON Feed's title and summary, and stored the text
// signature of that reading for the items of feeds followed for
// updates. The signatures and keys below are those 28554bd stored for
// the items of the first two documents (testdata/upgrade), and 4d14f7a
// for the third. Read by this version,
// an item must keep its key (or give it as its old key, Feed.OldKeys,
// which the poller counts as seen), and its text, read right now, must
// be no update: the signature of the reading before is of another
// version, and the item's text is signed afresh. The poll after must
// find nothing either, and a sentence the item then gains is the update.
func TestPlainTextReadingPostsNothingAgain(t *testing.T) {
	type pinned struct{ key, sig string }
	tests := []struct {
		file  string
		grows bool     // an item's text has "Markets fell sharply on the open."
		items []pinned // as the version before stored them, in document order
	}{
		{"textsummary.atom", true, []pinned{
			{"gjKwdiHCDuQ_AWu015dERVQ", "060500872b7bba09bd0a8e3923968a386954d5a82a60fa8ae48e8329f8e73883eaa8aa612c876a39fddc"}, // summary, no type
			{"gO5T4vYRfoTtL5_YwbMMuoQ", "0604ff2f210f507328636581a00ecf3fa7df2fe356089430e6e1a2ed2754154cf8e8"},                 // content type text, two lines
			{"t-7WECW8yFkV2lV4dIkdXWA", "06015b4444034480af39"},                                                                 // no id, link or title: known by its text
			{"gAohmlUIXhgi-yGY2VG_swg", "060294efc4026473b62277e67d252ffa1a33"},                                                 // summary type html
		}},
		{"contenttext.json", false, []pinned{
			{"gLVkQOfMw7JymBS2YwDid9w", "06046c2ce2dcfe660b03b4591b6b66fde542150a39cb7d92198edf65ad8827d80cfe"}, // content_text
		}},
		{"jsontext.json", true, []pinned{ // 4d14f7a's
			{"geLZU6x-rm7tU9HABrOIX5w", "07048e3923968a386954d5a82a60fa8ae48e8329f8e73883eaa8aa612c876a39fddc"}, // "<b>" and "yields<inflation" in the summary
			{"gtcoobEsSZ7JrP26baGAjSA", "070281d6fe66766aa9344015a4c98417e3bc"},                                 // title and summary written as HTML
			{"t-7WECW8yFkV2lV4dIkdXWA", "07015b4444034480af39"},                                                 // no id, url or title: known by its summary
			{"gQj-5H66PxqBn2h_wrbiQ6A", "070200872b7bba09bd0a67c8bd9a8268a3af"},                                 // "<b>" in the title, "&amp;" in the summary
		}},
	}
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	const gained = "Officials said the exchange would reopen on Thursday morning."
	for _, tc := range tests {
		doc, err := os.ReadFile(filepath.Join("testdata", "upgrade", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		for _, lazy := range []bool{false, true} {
			t.Run(tc.file+map[bool]string{false: ", eager", true: ", lazy"}[lazy], func(t *testing.T) {
				parse := func(doc []byte) *feeds.Feed {
					t.Helper()
					feed, err := feeds.NewParserWith(feeds.ParserOptions{LazyText: lazy}).Parse(doc, "", "https://live.example/feed", now)
					if err != nil {
						t.Fatal(err)
					}
					feeds.FillText(feed.Items) // as the poller does before Changes
					return feed
				}
				feed := parse(doc)
				if len(feed.Items) != len(tc.items) {
					t.Fatalf("%d items, want %d", len(feed.Items), len(tc.items))
				}
				stored := map[string][]byte{}
				for i, it := range feed.Items {
					want := tc.items[i]
					if it.Key != want.key && feed.OldKeys[it.Key] != want.key {
						t.Errorf("item %d (%q): key %s, old key %q, want one of them %s (28554bd's)", i, it.Title, it.Key, feed.OldKeys[it.Key], want.key)
					}
					sig, err := hex.DecodeString(want.sig)
					if err != nil {
						t.Fatal(err)
					}
					stored[want.key] = sig // the poller asks by the key; an item seen under its old key is not followed
				}
				changes, sigs := NewTextPoll(feed.Items).Changes(stored)
				for _, c := range changes {
					t.Errorf("after the upgrade: update of %q: %q, want none", c.Item.Title, c.Added)
				}
				for k, v := range sigs {
					stored[k] = v
				}
				if changes, _ := NewTextPoll(feed.Items).Changes(stored); len(changes) != 0 {
					t.Errorf("the poll after: %d updates (%q first), want none", len(changes), changes[0].Added)
				}
				grown := parse([]byte(strings.Replace(string(doc), "Markets fell sharply on the open.", "Markets fell sharply on the open. "+gained, 1)))
				changes, _ = NewTextPoll(grown.Items).Changes(stored)
				if !tc.grows {
					return
				}
				if len(changes) != 1 || changes[0].Added != gained {
					t.Errorf("the item gains a sentence: updates %+v, want %q alone", changes, gained)
				}
			})
		}
	}
}
