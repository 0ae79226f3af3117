package alert

import (
	"fmt"
	"testing"
	"time"

	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/internal/corpus"
	"github.com/newshound/newshound/internal/storycorpus"
)

// TestAleppoArticlesThroughTheCore: the five Aleppo articles of the
// corpus, each carried by five feeds under their own headlines, polled
// feed by feed through the catalog and the story grouper as the poller
// does, make five messages: every further report goes under its own
// article's message.
func TestAleppoArticlesThroughTheCore(t *testing.T) {
	leads := aleppoLeads(t)
	var feedList []Feed
	for f := range 5 {
		feedList = append(feedList, Feed{ID: fmt.Sprintf("feed%d", f), Name: fmt.Sprintf("feed%d", f)})
	}
	cat, _ := NewCatalog(nil, feedList, []Subscription{{ID: "syria", Name: "syria", Query: "aleppo OR syria OR lavrov OR kerry OR russia OR rebels OR hospital",
		AllFileFeeds: true, Destination: "desk", StoryWindow: 48 * time.Hour}})
	stories := NewStories(48 * time.Hour)
	article := map[string]int{} // story → the article of its message
	messages := 0
	at := time.Date(2016, 12, 5, 9, 0, 0, 0, time.UTC)
	for f, feed := range feedList {
		var items []feeds.Item
		for a, lead := range leads {
			at = at.Add(7 * time.Minute)
			items = append(items, feeds.Item{Key: fmt.Sprint(a), Title: storycorpus.AleppoHeadlines[a][f], Summary: lead,
				Link: fmt.Sprintf("https://%s.example/%d", feed.ID, a), Published: at, Dated: true})
		}
		res := cat.Alerts(Input{FeedID: feed.ID, Items: items, Now: at})
		if len(res.Entries) != len(leads) {
			t.Fatalf("%s: %d of %d reports matched", feed.ID, len(res.Entries), len(leads))
		}
		stories.Group(res.Entries, at)
		for _, e := range res.Entries {
			a := int(e.ItemKey[0] - '0')
			if !e.Joins {
				messages++
				article[e.Story] = a
				continue
			}
			if got := article[e.Story]; got != a {
				t.Errorf("%s %q is listed under article %d's message, want article %d's", feed.ID, e.Alert.Title, got, a)
			}
		}
	}
	if messages != len(leads) {
		t.Errorf("%d messages for %d articles, want one each", messages, len(leads))
	}
}

// TestAleppoArticlesInOneDigest: the same 25 reports, found by a digest
// subscription and sent in one digest, are grouped into five stories when
// it goes out, each of one article's reports.
func TestAleppoArticlesInOneDigest(t *testing.T) {
	leads := aleppoLeads(t)
	var alerts []Alert
	for f := range 5 {
		for a, lead := range leads {
			alerts = append(alerts, Alert{ID: int64(len(alerts) + 1), Title: storycorpus.AleppoHeadlines[a][f], Text: lead,
				Feed: fmt.Sprintf("feed%d", f), Link: fmt.Sprintf("https://feed%d.example/%d", f, a), DigestStoryWindow: 48 * time.Hour})
		}
	}
	enqueued := make([]time.Time, len(alerts))
	for i := range enqueued {
		enqueued[i] = now.Add(time.Duration(i) * 7 * time.Minute)
	}
	GroupDigest(alerts, enqueued)
	article := map[string]int{} // story → its first report's article
	for i, a := range alerts {
		art := i % len(leads)
		if _, ok := article[a.Story]; !ok {
			article[a.Story] = art
		}
		if got := article[a.Story]; got != art {
			t.Errorf("%q (article %d) is in the story of article %d", a.Title, art, got)
		}
	}
	if len(article) != len(leads) {
		t.Errorf("%d stories for %d articles, want one each", len(article), len(leads))
	}
}

// aleppoLeads are the leads of the corpus's five Aleppo articles; the test
// is skipped without the corpus.
func aleppoLeads(t *testing.T) []string {
	t.Helper()
	leads, err := storycorpus.AleppoLeads(corpus.Dir(t))
	if err != nil {
		t.Fatal(err)
	}
	return leads
}
