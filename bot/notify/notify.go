// Package notify defines what a notifier receives (a Message of rendered
// alert.Alerts) and the errors a notifier returns so that the outbox sender
// knows whether to retry, drop the alert, or pause the destination. Notifiers for each destination
// kind live beside it (console here, Discord in bot/discord).
package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/newshound/newshound/alert"
)

// Message is one message to post: one alert, a burst of up to MaxBurst
// alerts for one destination sent together, or a digest (any number).
// Nonce is derived from the outbox rows and is the same on every retry of
// this message, so a destination that honours nonces posts it once.
type Message struct {
	Nonce  string // at most 25 characters
	Alerts []alert.Alert
	// Digest, when set, makes the message a digest: alerts that were held
	// (a digest schedule, quiet hours, an hourly cap) sent together, newest
	// first, as many as there are; the notifier shows what its destination
	// holds and counts the rest ("and N more").
	Digest *Digest
}

// MaxBurst is the most alerts a burst carries (Discord's 10 embeds).
const MaxBurst = 10

// Receipt is what a destination returned for a delivered message.
type Receipt struct {
	MessageID string
	// Missed is how many of the destination's recipients did not get the
	// message though others did (an email recipient refused at RCPT): the
	// one exception to "delivered" meaning delivered to all, counted so
	// that it shows (README: No loss).
	Missed int
}

// Notifier delivers messages to one destination. Send either delivers the
// whole message or returns an error saying why not: a *RetryError,
// ErrRejected or ErrGone (wrapped), or any other error, which the sender
// retries with back-off.
type Notifier interface {
	Send(ctx context.Context, m Message) (Receipt, error)
}

// Finder is implemented by notifiers that can look in the destination for
// a message already posted. After an ambiguous failure (a 5xx, a timeout,
// a reset connection) the message may exist although no answer said so (a
// "ghost"); before posting it again, later than a nonce can catch it, the
// sender asks Find. found false means "not seen, post it" — also for a
// notifier that cannot look (then delivery is at-least-once).
type Finder interface {
	Find(ctx context.Context, m Message) (r Receipt, found bool, err error)
}

// A NonceSender's posts carry the message's nonce, with which Discord
// answers a repeated post with the earlier one for a while (the nonce
// window): the sender looks (Finder) only before a retry later than that.
// The posts of any other Finder (a webhook's) carry none, and the sender
// looks before every retry of a message that may have been posted.
type NonceSender interface {
	SendsNonce() bool
}

// Checker is implemented by notifiers that can tell, before any alert,
// whether the destination can take alerts (a Discord channel: the bot's
// permissions there). Check's error wraps ErrCannotPost when the
// destination cannot; any other error is a failure to tell.
type Checker interface {
	Check(ctx context.Context) error
}

// ErrCannotPost is what a Checker's error wraps when the destination
// cannot take alerts as it stands (missing permissions, a locked thread,
// no such channel).
var ErrCannotPost = errors.New("the destination cannot take alerts")

// Editor is implemented by notifiers that can change a message they
// posted. The sender edits a story's first message as further reports of
// the story and updates of its item join it ("Also: Reuters · AP +12").
// Edit returns the errors Send does; ErrNoMessage when the message is no
// longer there (deleted), and the sender then posts the joins as messages
// of their own.
type Editor interface {
	Edit(ctx context.Context, e Edit) error
}

// A PostEach notifier shows each alert of a message as a post of its own
// (a forum) when PostsEach says so. The sender then sends it one alert a
// message: a burst would save no request, and each post gets a receipt of
// its own, so a story's post can be edited and a lost answer is retried
// for that post alone.
type PostEach interface {
	PostsEach() bool
}

// PostsEach reports whether n shows each alert as a post of its own.
func PostsEach(n Notifier) bool {
	p, ok := n.(PostEach)
	return ok && p.PostsEach()
}

// Edit is one change of a posted message.
type Edit struct {
	// MessageID is what the destination returned for the message
	// (Receipt.MessageID).
	MessageID string
	// Message is the message as it stands now: the alerts it was posted
	// with, each with every report (Also) and update (Updates) that joined
	// its story so far.
	Message Message
	// Added are the joins new in this edit, oldest first. A destination
	// that cannot change what it showed (the console) shows these; a
	// Discord channel with story threads posts them into the story's
	// thread.
	Added []Join
	// Nonce identifies this edit's Added, the same on every retry of it
	// (at most 25 characters).
	Nonce string
	// InsideNonceWindow says that no earlier attempt of this edit can be
	// older than the nonce window (or that there was none): the nonces
	// alone keep what posts Added (a story thread) from posting it twice.
	// Otherwise, the zero value, such a destination first looks for what
	// an earlier attempt posted.
	InsideNonceWindow bool
}

// Join is a report or update new in an edit: the alert (Join set), the
// index in Message.Alerts of the alert whose story it joined, and when.
type Join struct {
	Alert alert.Alert
	Story int
	At    time.Time
}

// ErrNoMessage marks an edit of a message the destination no longer has.
var ErrNoMessage = errors.New("message to edit not found")

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

// RefusesEndpoint reports whether an HTTP destination's 4xx refuses its
// url, or newshound, rather than the message: it would refuse every
// message alike, so dropping each as ErrRejected would lose them all; it
// is ErrGone. Gone, not found, not allowed (401, 403, 407: a proxy's
// login), and a wrong method, media type or protocol (405, 415, 426):
// the url or the receiver needs the operator.
func RefusesEndpoint(code int) bool {
	switch code {
	case http.StatusGone, http.StatusNotFound, http.StatusUnauthorized, http.StatusForbidden,
		http.StatusProxyAuthRequired, http.StatusMethodNotAllowed, http.StatusUnsupportedMediaType,
		http.StatusUpgradeRequired:
		return true
	}
	return false
}

// WithoutURL drops the request URL from a transport error (*url.Error),
// keeping its operation and cause: a webhook's URL holds its token, a
// secret that must not reach the logs. The caller's message says which
// endpoint failed. A context's error stays reachable with errors.Is.
func WithoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
