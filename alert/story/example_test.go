package story_test

import (
	"fmt"
	"time"

	"github.com/newshound/newshound/alert/story"
)

// One index per destination: each matched item is fingerprinted from its
// title and summary, and either joins the story of its most similar
// earlier item or opens a story of its own. The caller stores the story,
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
		fp := story.Make(title, "")
		s, _, joined := idx.Group(id, fp, at.Add(time.Duration(i)*time.Minute))
		stored, _ := fp.MarshalText() // for the store, beside s
		fmt.Printf("%s joined=%v story=%s (%d bytes stored)\n", id, joined, s, len(stored))
	}
	// Output:
	// item0 joined=false story=item0 (60 bytes stored)
	// item1 joined=true story=item0 (55 bytes stored)
	// item2 joined=false story=item2 (55 bytes stored)
	// item3 joined=false story=item3 (7 bytes stored)
	// item4 joined=false story=item4 (7 bytes stored)
}
