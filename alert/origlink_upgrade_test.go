package alert

import (
	"slices"
	"testing"
	"time"

	"github.com/newshound/newshound/feeds"
)

// TestFeedBurnerItemSeenBeforeOrigLinkKeepsItsLinkKeys: versions up to
// b999599 linked a FeedBurner item to the proxy's redirect, and so
// remembered its headlines under the proxy link's key (edits) and wrote
// the proxy link into the outbox's duplicate keys. Once the item links to
// its feedburner:origLink, an edited headline of an item seen before the
// upgrade must still be found as an edit of it and refused by those
// duplicate keys, not posted as news again.
func TestFeedBurnerItemSeenBeforeOrigLinkKeepsItsLinkKeys(t *testing.T) {
	const (
		feedURL  = "http://feeds.wire.example/worldNews"
		proxy    = "http://feeds.wire.example/~r/worldNews/~3/GiSN49pgeCk/story01.htm"
		origLink = "https://wire.example/article/hungary-fence"
		before   = "Hungary to finish border fence with Serbia"
		edited   = "Hungary to finish border fence with Serbia by August"
	)
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	// What b999599 saw and remembered: the item under its proxy link.
	old := feeds.Item{Key: "Lold", Title: before, Link: proxy}
	stored := NewTextPoll([]feeds.Item{old}).Headlines(nil, []string{old.Key})
	oldDupes := StoryKeys("wire", &old)

	doc := `<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel><title>World</title><link>https://wire.example/</link>` +
		`<item><title>` + edited + `</title><link>` + proxy + `</link><feedburner:origLink>` + origLink + `</feedburner:origLink></item></channel></rss>`
	feed, err := feeds.NewParser().Parse([]byte(doc), "", feedURL, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(feed.Items) != 1 || feed.Items[0].Link != origLink {
		t.Fatalf("parsed %+v, want one item linking to %s", feed.Items, origLink)
	}
	it := feed.Items[0]

	if got := NewTextPoll(feed.Items).EditedKeys(stored); !slices.Equal(got, []string{old.Key}) {
		t.Errorf("edits: got %v, want %v (the item seen under the proxy link)", got, []string{old.Key})
	}
	var common []string
	for _, k := range StoryKeys("wire", &it) {
		if slices.Contains(oldDupes, k) {
			common = append(common, k)
		}
	}
	if want := "link:" + feeds.CanonicalLink(proxy) + "|hungary"; !slices.Contains(common, want) {
		t.Errorf("duplicate keys in common with the item seen before: got %v, want %s among them", common, want)
	}
}
