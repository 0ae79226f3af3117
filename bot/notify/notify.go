// Package notify defines what a notifier receives (a rendered Alert) and the
// errors a notifier returns so that the outbox sender knows whether to retry,
// drop the alert, or pause the destination. Notifiers for each destination
// kind live beside it (console here, Discord in bot/discord).
package notify

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Span is a highlighted byte range [Start, End) in a text.
type Span struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// Alert is one matched item, rendered for delivery. It is stored as the
// outbox payload, so its JSON form must stay readable by later versions.
type Alert struct {
	ID           int64     `json:"-"` // outbox row id
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
	Color        int       `json:"color,omitempty"`
	MentionRole  string    `json:"mention_role,omitempty"`
}

// Message is one message to post: one alert, or a burst of up to
// MaxBurst alerts for one destination sent together. Nonce is derived from
// the outbox rows and is the same on every retry of this message, so a
// destination that honours nonces posts it once.
type Message struct {
	Nonce  string // at most 25 characters
	Alerts []Alert
}

// MaxBurst is the most alerts one message carries (Discord's 10 embeds).
const MaxBurst = 10

// Receipt is what a destination returned for a delivered message.
type Receipt struct {
	MessageID string
}

// Notifier delivers messages to one destination. Send either delivers the
// whole message or returns an error saying why not: a *RetryError,
// ErrRejected or ErrGone (wrapped), or any other error, which the sender
// retries with back-off.
type Notifier interface {
	Send(ctx context.Context, m Message) (Receipt, error)
}

// RetryError asks the sender to retry no earlier than After.
type RetryError struct {
	After time.Duration
	Err   error
}

func (e *RetryError) Error() string {
	return fmt.Sprintf("%v (retry in %s)", e.Err, e.After.Round(time.Millisecond))
}
func (e *RetryError) Unwrap() error { return e.Err }

// ErrRejected marks an alert the destination will never accept (a 400):
// the sender drops that alert, counts it and goes on.
var ErrRejected = errors.New("rejected by destination")

// ErrGone marks a destination that no longer accepts anything (channel or
// webhook deleted, permission removed): the sender pauses the destination.
var ErrGone = errors.New("destination gone")
