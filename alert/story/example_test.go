package story_test

import (
	"fmt"
	"time"

	"github.com/newshound/newshound/alert/story"
)

// One index per destination: each matched item is fingerprinted from its
// title and summary, and either joins the story of its most similar
// earlier item or opens a story of its own; the time the feed says the item
// was published keeps reports days apart in stories of their own. The
// caller stores the story,
// the encoded fingerprint and the time with the alert, and rebuilds the
// index from those rows at start-up with Add.
func Example() {
	idx := story.NewIndex(story.Options{}) // 48 h window, tuned thresholds
	at := time.Date(2016, 9, 9, 8, 0, 0, 0, time.UTC)
	for i, title := range []string{
		"Kerry and Lavrov meet in Geneva to revive Aleppo ceasefire talks - Reuters",
		"Kerry, Lavrov revive Aleppo ceasefire talks in Geneva | AP",
		"Oil prices slip as OPEC output hits a record",
		"Live updates",
		"Live updates",
	} {
		id := fmt.Sprint("item", i)
		seen := at.Add(time.Duration(i) * time.Minute)
		fp := story.Make(title, "").WithPublished(seen.Add(-time.Hour))
		s, _, joined := idx.Group(id, fp, seen)
		stored, _ := fp.MarshalText() // for the store, beside s
		fmt.Printf("%s joined=%v story=%s (%d bytes stored)\n", id, joined, s, len(stored))
	}
	// Output:
	// item0 joined=false story=item0 (68 bytes stored)
	// item1 joined=true story=item0 (63 bytes stored)
	// item2 joined=false story=item2 (63 bytes stored)
	// item3 joined=false story=item3 (15 bytes stored)
	// item4 joined=false story=item4 (15 bytes stored)
}
