package story

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/corpus"
	"github.com/newshound/newshound/internal/storycorpus"
)

// TestAleppoArticles puts each of the five Aleppo articles under five
// feeds' headlines, as the issue describes, and wants five stories: one
// per article, every report joined to its article's story.
func TestAleppoArticles(t *testing.T) {
	leads, err := storycorpus.AleppoLeads(corpus.Dir(t))
	if err != nil {
		t.Fatal(err)
	}
	headlines := storycorpus.AleppoHeadlines
	if len(leads) != len(headlines) {
		t.Fatalf("%d articles, want %d", len(leads), len(headlines))
	}
	idx := NewIndex(Options{})
	storyOf := map[string]int{} // story → article that opened it
	at := time.Date(2016, 12, 5, 9, 0, 0, 0, time.UTC)
	// feed by feed, so that each article's first report comes early and
	// the others find both their own story and the others' in the window
	for feed := range 5 {
		for article := range leads {
			at = at.Add(7 * time.Minute)
			id := fmt.Sprintf("feed%d/article%d", feed, article)
			lead := leads[article]
			if feed%2 == 1 { // some feeds send HTML with entities
				lead = strings.ReplaceAll(lead, "’", "&#8217;")
			}
			story, score, joined := idx.Group(id, Make(headlines[article][feed], lead), at)
			if !joined {
				storyOf[story] = article
				t.Logf("%s opens a story: %q", id, headlines[article][feed])
				continue
			}
			if got := storyOf[story]; got != article {
				t.Errorf("%s %q joined the story of article %d (score %.2f), want article %d", id, headlines[article][feed], got, score, article)
			}
		}
	}
	if len(storyOf) != len(leads) {
		t.Errorf("%d stories, want %d", len(storyOf), len(leads))
	}
}
