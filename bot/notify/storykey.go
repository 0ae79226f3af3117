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

// MessageKey names m for a destination that drops a repeat by a key of
// its own (a mail's Message-ID, a webhook's Idempotency-Key): the same on
// every retry of m, whose outbox rows, and so alerts, are the same, and
// different for other alerts under the same nonce, as when outbox ids
// start again at 1 in a new database, or two installations post to one
// place; a nonce alone would have those dropped as repeats. It is the hex
// SHA-256 of the nonce and each alert's feed, link and title (not its
// story, which a re-split may change between attempts).
func MessageKey(m Message) string {
	h := sha256.New()
	h.Write([]byte("message\x00" + m.Nonce))
	for _, a := range m.Alerts {
		h.Write([]byte("\x00" + a.Feed + "\x00" + a.Link + "\x00" + a.Title))
	}
	return hex.EncodeToString(h.Sum(nil))
}
