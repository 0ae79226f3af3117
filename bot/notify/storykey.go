package notify

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/newshound/newshound/alert"
)

// StoryKey names the story an alert belongs to, for destinations that
// thread one story's messages (email) or pass the story on (webhook). It
// is stable across retries, restarts and instances: the story grouping's
// name for it (Alert.Story), which every outlet's report of the story
// shares (in a scheduled digest, within that digest only: see
// alert.GroupDigest); without one (a subscription that does not group, a
// digest's only report of a story, an alert stored by an earlier version)
// it is derived from the item's link or, without one, its feed and title.
func StoryKey(a alert.Alert) string {
	seed := "story\x00" + a.Story
	switch {
	case a.Story != "":
	case a.Link != "":
		seed = "link\x00" + a.Link
	default:
		seed = "item\x00" + a.Feed + "\x00" + a.Title
	}
	sum := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(sum[:12])
}
