// Package alert is newshound's alerting core: a pure step from a feed's new
// items, the current subscriptions and the time to the alerts to enqueue.
// It owns the subscription catalog (feeds, subscriptions and the one
// compiled filters.Set), matching, the first-sight, backfill and max-age
// rules, the keys that tell one story from another, and rendering an item
// into the Alert that the outbox stores and notifiers show.
//
// It does no I/O, keeps no clock (the caller passes now) and starts no
// goroutines: the poller, `newshound preview` and `/watch test` all call
// Catalog.Alerts.
package alert

import (
	"encoding/json"
	"fmt"
	"time"
)

// Span is a highlighted byte range [Start, End) in a text.
type Span struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// Alert is one matched item, rendered for delivery. It is what the outbox
// stores (Encode) and what notifiers receive, so its JSON form must stay
// readable by later versions.
type Alert struct {
	ID           int64     `json:"-"` // outbox row id, set by the sender
	Subscription string    `json:"subscription"`
	Feed         string    `json:"feed"` // the feed's name
	FeedTitle    string    `json:"feed_title,omitempty"`
	Title        string    `json:"title"`
	TitleSpans   []Span    `json:"title_spans,omitempty"`
	Link         string    `json:"link"`
	Text         string    `json:"text,omitempty"` // plain-text summary or content
	TextSpans    []Span    `json:"text_spans,omitempty"`
	Author       string    `json:"author,omitempty"`
	ImageURL     string    `json:"image_url,omitempty"`
	Published    time.Time `json:"published"`
	Matched      []string  `json:"matched,omitempty"` // the matched words, as written in the item
	Categories   []string  `json:"categories,omitempty"`
	Color        *int      `json:"color,omitempty"` // nil: none given (so one from the name); 0 is black
	MentionRole  string    `json:"mention_role,omitempty"`
	// Format is how the destination shows the alert, taken from the
	// subscription when the alert was made; nil (alerts stored by earlier
	// versions, destinations without formats) means the default look.
	Format *Format `json:"format,omitempty"`

	// Join, when set, makes the alert an addition to its story's first
	// message instead of a message of its own: JoinAlso (another report of
	// the story) or JoinUpdate (text added to an item already posted; Text
	// holds only the added part).
	Join string `json:"join,omitempty"`
	// Doubtful, for a JoinAlso, says the report joined its story the way
	// the first report of another story is swallowed (see
	// story.Index.Doubtful): it is listed under the story with its
	// headline, not by its outlet alone.
	Doubtful bool `json:"doubtful,omitempty"`
	// Story names the story the alert's item belongs to at its
	// destination (see Entry.Story; "" when its subscription does not
	// group): a destination that cannot edit threads a story's messages
	// by it (email) or passes it on (the webhook's story_id).
	Story string `json:"story,omitempty"`
	// DigestStoryWindow is the story_window of a subscription that sends
	// scheduled digests (0 when it does not group, or sends no digests):
	// its reports come in ungrouped, since a digest message is never
	// edited, and the digest groups them when it goes out (GroupDigest).
	DigestStoryWindow time.Duration `json:"digest_story_window,omitempty"`
	// DigestStory says GroupDigest named Story: the name holds within this
	// digest only, and no other message names it. Never stored.
	DigestStory bool `json:"-"`
	// Also and Updates are what joined this alert's story since its
	// message was posted, oldest first. The sender fills them in when it
	// edits the message; they are never stored with the alert.
	Also    []Report `json:"also,omitempty"`
	Updates []Update `json:"updates,omitempty"`
}

// The kinds of Alert.Join.
const (
	JoinAlso   = "also"
	JoinUpdate = "update"
)

// Report is another outlet's report of a story, listed under the story's
// first message ("Also: Reuters · AP").
type Report struct {
	Feed      string `json:"feed"`
	FeedTitle string `json:"feed_title,omitempty"`
	Title     string `json:"title"`
	Link      string `json:"link"`
	// Doubtful: the report may be another story's (see Alert.Doubtful).
	Doubtful bool `json:"doubtful,omitempty"`
}

// Outlet is the name a report is listed under: the feed's own title, or
// the feed's configured name.
func (r Report) Outlet() string {
	if r.FeedTitle != "" {
		return r.FeedTitle
	}
	return r.Feed
}

// Update is text added to an item after it was posted (a live blog's new
// paragraph), shown under the story's first message.
type Update struct {
	At   time.Time `json:"at"`
	Text string    `json:"text"`
	Link string    `json:"link,omitempty"`
}

// Format is a desk's message format: templates with {placeholders} for the
// message text and each part of the embed, and a webhook's identity. It
// mirrors config.Format field for field (see there for what each means and
// its default); the alerting core carries it from the subscription into the
// alert unread.
type Format struct {
	Content     string `json:"content,omitempty"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	URL         string `json:"url,omitempty"`
	Author      string `json:"author,omitempty"`
	Footer      string `json:"footer,omitempty"`
	Thumbnail   string `json:"thumbnail,omitempty"`
	Image       string `json:"image,omitempty"`
	Color       *int   `json:"color,omitempty"` // nil: none given; 0 is black
	Timestamp   bool   `json:"timestamp,omitempty"`
	DateFormat  string `json:"date_format,omitempty"`
	Timezone    string `json:"timezone,omitempty"`
	Username    string `json:"username,omitempty"`
	AvatarURL   string `json:"avatar_url,omitempty"`
}

// Encode is the outbox payload of an alert.
func Encode(a Alert) []byte {
	b, err := json.Marshal(a)
	if err != nil {
		panic(fmt.Sprintf("alert: marshal: %v", err)) // plain strings, ints and times always marshal
	}
	return b
}

// Decode reads an outbox payload written by Encode (by this or an earlier
// version).
func Decode(payload []byte) (Alert, error) {
	var a Alert
	err := json.Unmarshal(payload, &a)
	return a, err
}
