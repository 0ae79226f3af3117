// Package slack posts alerts to a Slack channel through an incoming
// webhook, as Block Kit messages. It owns the rendering (mrkdwn escaping
// of feed text, Slack's limits) and what Slack's answers mean; it does not
// retry (the outbox sender does).
//
// Feed text is inert: &, < and > are escaped as Slack asks, so a feed
// cannot write <!channel>, <!here>, <@U…>, <#C…> or a link of its own;
// "@channel", "@here" and "@everyone" get an invisible joiner after the
// "@"; and since mrkdwn has no escape character, *, _, ~ and ` in feed
// text become look-alikes (∗ ˍ ∼ ˋ) that format nothing. Bidi controls
// and other control characters are dropped.
//
// Slack does not drop a repeated post: when an answer is lost after Slack
// took the message, the retry posts it again. The message's nonce is in
// its block ids, so such a repeat can be recognised.
package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/internal/retryafter"
)

// defaultRateLimitWait is how long a 429 without Retry-After waits; Slack
// allows about one message per second per webhook.
const defaultRateLimitWait = 30 * time.Second

// Options are the optional parts of a Notifier.
type Options struct {
	// Client sends the requests; default one with a 30s timeout.
	// Redirects are never followed.
	Client *http.Client
	// Now is the clock for Retry-After dates; default time.Now.
	Now func() time.Time
}

// Notifier posts to one incoming webhook.
type Notifier struct {
	url    string
	client *http.Client
	now    func() time.Time
}

// New returns a notifier for an incoming webhook URL
// (https://hooks.slack.com/services/T…/B…/…).
func New(webhookURL string, opts Options) (*Notifier, error) {
	u, err := url.Parse(webhookURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("slack: the webhook URL is not an http(s) URL")
	}
	client := &http.Client{Timeout: 30 * time.Second}
	if opts.Client != nil {
		c := *opts.Client
		client = &c
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Notifier{url: webhookURL, client: client, now: opts.Now}, nil
}

// Send posts the message's alerts as one Slack message.
func (n *Notifier) Send(ctx context.Context, m notify.Message) (notify.Receipt, error) {
	if len(m.Alerts) == 0 {
		return notify.Receipt{}, fmt.Errorf("slack: a message without alerts: %w", notify.ErrRejected)
	}
	body, err := json.Marshal(renderMessage(m))
	if err != nil {
		return notify.Receipt{}, fmt.Errorf("slack: %v: %w", err, notify.ErrRejected)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url, bytes.NewReader(body))
	if err != nil {
		return notify.Receipt{}, fmt.Errorf("slack webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.client.Do(req)
	if err != nil {
		// The URL is the secret: keep it out of the message.
		if uerr, ok := err.(*url.Error); ok {
			err = uerr.Err
		}
		return notify.Receipt{}, fmt.Errorf("slack webhook %s: %w", host(n.url), err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return notify.Receipt{}, n.statusError(resp, strings.TrimSpace(string(answer)))
}

// statusError says what Slack's answer means for the sender; nil for 2xx.
// Slack answers errors with a short code in plain text: invalid_payload,
// invalid_token, channel_not_found, channel_is_archived, no_service,
// action_prohibited, rollup_error.
func (n *Notifier) statusError(resp *http.Response, answer string) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	answer = strings.ToValidUTF8(notify.OneLine(answer), "")
	if len(answer) > 100 {
		answer = strings.ToValidUTF8(answer[:100], "") + "…"
	}
	err := fmt.Errorf("slack webhook %s: HTTP %d %q", host(n.url), code, answer)
	switch {
	case code == http.StatusTooManyRequests:
		after, ok := retryafter.Parse(resp.Header.Get("Retry-After"), n.now())
		if !ok {
			after = defaultRateLimitWait
		}
		return &notify.RetryError{After: after, Err: err}
	case isGone(code, answer):
		return fmt.Errorf("%w: %w", err, notify.ErrGone)
	case code >= 300 && code < 400:
		return fmt.Errorf("%w: a redirect, which is not followed: %w", err, notify.ErrGone)
	case code >= 400 && code < 500 && code != http.StatusRequestTimeout:
		return fmt.Errorf("%w: %w", err, notify.ErrRejected)
	}
	return err // 5xx (rollup_error), 408: retried with back-off
}

// isGone: the webhook was removed, its app uninstalled, or its channel
// archived or closed to it, or the url is no incoming webhook (see
// notify.RefusesEndpoint). Only the operator can fix that.
func isGone(code int, answer string) bool {
	switch answer {
	case "invalid_token", "no_service", "no_team", "channel_not_found", "channel_is_archived",
		"action_prohibited", "posting_to_general_channel_denied", "team_disabled":
		return true
	}
	return notify.RefusesEndpoint(code)
}

// host names the webhook in messages without its secret path.
func host(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(bad URL)"
	}
	return u.Host
}
