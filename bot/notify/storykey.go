package notify

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/newshound/newshound/alert"
)

// StoryKey names the story an alert belongs to, for destinations that
// thread one story's messages (email) or pass the story on (webhook). It
// is stable across retries, restarts and instances.
//
// Alert does not carry the story grouping's id yet, so the key is derived
// from the item's link (or, without one, its feed and title): reports of
// one story from other outlets get keys of their own until it does.
func StoryKey(a alert.Alert) string {
	seed := "link\x00" + a.Link
	if a.Link == "" {
		seed = "item\x00" + a.Feed + "\x00" + a.Title
	}
	sum := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(sum[:12])
}
