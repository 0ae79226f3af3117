package discord

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
)

// messageCreate is the body of POST channels/{id}/messages. discordgo's
// MessageSend has no nonce fields, hence this struct.
type messageCreate struct {
	Content         string                            `json:"content,omitempty"`
	Nonce           string                            `json:"nonce,omitempty"`
	EnforceNonce    bool                              `json:"enforce_nonce,omitempty"`
	Embeds          []*discordgo.MessageEmbed         `json:"embeds"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
}

// noPings allows pinging only the given roles. Parse must be an empty slice:
// discordgo marshals a nil one as null, which Discord reads as "everything".
func noPings(roles []string) *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}, Roles: roles}
}

// ChannelNotifier posts alerts to a channel with a bot token.
type ChannelNotifier struct {
	s         *discordgo.Session
	channelID string
	// parentID is the channel of thread channelID, for a config's
	// thread_id: what its check looks at when the thread is hidden.
	parentID string
	lim      *Limiter
	// threads opens a thread under a story's first message and posts
	// what joins the story there (WithStoryThreads).
	threads bool
	// shut are the story threads left out: logged once per change of
	// state, tried again after a back-off.
	shut *shutThreads
}

// NewChannelNotifier returns a notifier posting to channelID through s,
// paced by lim (shared by every notifier of the same token).
func NewChannelNotifier(s *discordgo.Session, channelID string, lim *Limiter) notify.Notifier {
	return &ChannelNotifier{s: s, channelID: channelID, lim: lim, shut: newShutThreads(lim)}
}

// Send posts the message once: the nonce with enforce_nonce makes Discord
// return the earlier message when a retry repeats a post it already took.
func (n *ChannelNotifier) Send(ctx context.Context, m notify.Message) (notify.Receipt, error) {
	embeds, err := messageEmbeds(m)
	if err != nil {
		return notify.Receipt{}, err
	}
	content, roles := Content(m.Alerts)
	body := messageCreate{
		Content:         content,
		Nonce:           shortNonce(m.Nonce),
		EnforceNonce:    m.Nonce != "",
		Embeds:          embeds,
		AllowedMentions: noPings(roles),
	}
	endpoint := discordgo.EndpointChannelMessages(n.channelID)
	route := "POST channels/" + n.channelID + "/messages"
	var resp []byte
	ex, err := n.lim.do(ctx, route, n.goneReason, func(ctx context.Context, bucket string) error {
		var err error
		resp, err = n.s.RequestWithBucketID(http.MethodPost, endpoint, body, bucket, discordgo.WithContext(ctx))
		return err
	})
	if err != nil {
		return notify.Receipt{}, err
	}
	return receiptFrom(ex.body, resp), nil
}

// Find looks for m among the channel's 50 newest messages (Read Message
// History), by the embeds its alerts render as.
func (n *ChannelNotifier) Find(ctx context.Context, m notify.Message) (notify.Receipt, bool, error) {
	return findPosted(ctx, n.s, n.lim, n.channelID, m, n.goneReason)
}

// SendsNonce says that a post carries its message's nonce: a retry within
// Discord's nonce window needs no look.
func (n *ChannelNotifier) SendsNonce() bool { return true }

// findPosted finds a message of channelID that carries every alert of m
// (see carriesAll). An alert whose embed has nothing to tell it by cannot
// be told apart from others: not found, without a look.
func findPosted(ctx context.Context, s *discordgo.Session, lim *Limiter, channelID string, m notify.Message, gone func(int) string) (notify.Receipt, bool, error) {
	carries := func(msg *discordgo.Message) bool { return carriesDigest(msg, m) }
	if m.Digest == nil { // a digest is found by its title and time
		want, err := RenderEmbeds(m.Alerts)
		if err != nil || slices.ContainsFunc(want, anonymous) {
			return notify.Receipt{}, false, nil
		}
		carries = func(msg *discordgo.Message) bool { return carriesAll(msg, want) }
	}
	return findIn(ctx, s, lim, channelID, gone, carries)
}

// findIn returns the newest of channelID's 50 newest messages that
// carries says is the one looked for.
func findIn(ctx context.Context, s *discordgo.Session, lim *Limiter, channelID string, gone func(int) string, carries func(*discordgo.Message) bool) (notify.Receipt, bool, error) {
	msgs, err := recentMessages(ctx, s, lim, channelID, gone)
	if err != nil {
		return notify.Receipt{}, false, err
	}
	for _, msg := range msgs {
		if carries(msg) {
			return notify.Receipt{MessageID: msg.ID}, true, nil
		}
	}
	return notify.Receipt{}, false, nil
}

// recentMessages reads channelID's 50 newest messages, newest first.
func recentMessages(ctx context.Context, s *discordgo.Session, lim *Limiter, channelID string, gone func(int) string) ([]*discordgo.Message, error) {
	var msgs []*discordgo.Message
	_, err := lim.do(ctx, "GET channels/"+channelID+"/messages", gone, func(ctx context.Context, bucket string) error {
		return request(ctx, s, http.MethodGet, discordgo.EndpointChannelMessages(channelID)+"?limit=50", nil, bucket, &msgs)
	})
	return msgs, err
}

// carriesAll reports whether msg carries each of the embeds want (a
// message's alerts as rendered): one of its embeds has the URL the alert
// rendered (the link, or the format's own url), or, for an alert that
// rendered none (a link no URL can carry, a format without url), the
// same title, description, author, footer and time.
func carriesAll(msg *discordgo.Message, want []*discordgo.MessageEmbed) bool {
	for _, w := range want {
		// The whole embed, not its URL alone: a format's url may be the
		// same for many alerts ("https://desk.example/{feed}"), and an
		// update carries its item's link. A look that finds another
		// alert's message loses this one; one that misses posts it twice.
		if !slices.ContainsFunc(msg.Embeds, func(e *discordgo.MessageEmbed) bool { return sameEmbed(e, w) }) {
			return false
		}
	}
	return true
}

// anonymous reports whether an embed has nothing to tell it by.
func anonymous(e *discordgo.MessageEmbed) bool {
	return e.URL == "" && e.Title == "" && e.Description == "" && footerText(e) == "" && authorName(e) == ""
}

// sameEmbed reports whether got, read back from Discord, shows what want,
// as rendered, does: the same URL, title, description, author, footer
// and time.
func sameEmbed(got, want *discordgo.MessageEmbed) bool {
	return got.URL == want.URL && sameText(got.Title, want.Title) && sameText(got.Description, want.Description) &&
		sameText(authorName(got), authorName(want)) && sameText(footerText(got), footerText(want)) &&
		sameTime(got.Timestamp, want.Timestamp)
}

// sameText compares a text read back from Discord with the one sent:
// Discord trims the whitespace around an embed's texts.
func sameText(got, want string) bool {
	return strings.TrimSpace(got) == strings.TrimSpace(want)
}

func authorName(e *discordgo.MessageEmbed) string {
	if e.Author == nil {
		return ""
	}
	return e.Author.Name
}

func footerText(e *discordgo.MessageEmbed) string {
	if e.Footer == nil {
		return ""
	}
	return e.Footer.Text
}

// sameTime compares two ISO 8601 times as instants: Discord answers
// "+00:00" for the "Z" it was sent.
func sameTime(a, b string) bool {
	if a == b {
		return true
	}
	ta, errA := time.Parse(time.RFC3339, a)
	tb, errB := time.Parse(time.RFC3339, b)
	return errA == nil && errB == nil && ta.Equal(tb)
}

func (n *ChannelNotifier) goneReason(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "bot token rejected"
	case http.StatusNotFound:
		return "channel " + n.channelID + " not found (deleted?)"
	default:
		return "missing access to channel " + n.channelID
	}
}

// WebhookNotifier posts alerts through a webhook URL.
type WebhookNotifier struct {
	s     *discordgo.Session
	id    string
	token string
	lim   *Limiter
	// threadID posts into a thread of the webhook's channel; forum opens
	// a post per alert in the webhook's forum channel, with tags.
	threadID string
	forum    bool
	tags     []string
	posts    onePostEach
	// channelID is the webhook's channel, looked up (with a bot token) the
	// first time Find needs it; the sender calls one notifier at a time.
	channelID string
}

// NewWebhookNotifier returns a notifier for a Discord webhook URL
// (https://discord.com/api/webhooks/{id}/{token}, or .../webhooks/{id}/{token}
// on the host of the session's api_base, as the config accepts); it goes
// through s, so the session's api_base applies to webhooks too. s needs no
// bot token.
func NewWebhookNotifier(s *discordgo.Session, webhookURL string, lim *Limiter) (notify.Notifier, error) {
	// One parser for the whole program: the config's, which `check` uses.
	id, token, err := config.ParseWebhookURL(webhookURL, sessionAPIBase(s))
	if err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	return &WebhookNotifier{s: s, id: id, token: token, lim: lim}, nil
}

// sessionAPIBase is the api_base of a session made by NewSession, else "".
func sessionAPIBase(s *discordgo.Session) string {
	if s == nil || s.Client == nil {
		return ""
	}
	if t, ok := s.Client.Transport.(*apiTransport); ok {
		return t.to
	}
	return ""
}

// webhookExecute is the body of POST webhooks/{id}/{token}: discordgo's
// WebhookParams has no applied_tags.
type webhookExecute struct {
	Content         string                            `json:"content,omitempty"`
	Username        string                            `json:"username,omitempty"`
	AvatarURL       string                            `json:"avatar_url,omitempty"`
	Embeds          []*discordgo.MessageEmbed         `json:"embeds"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	ThreadName      string                            `json:"thread_name,omitempty"`
	AppliedTags     []string                          `json:"applied_tags,omitempty"`
}

// PostsEach says whether each alert is a post of its own (a forum): the
// sender then sends one a message, so that each post can be edited.
func (n *WebhookNotifier) PostsEach() bool { return n.forum }

// Send executes the webhook with wait=true so Discord answers with the
// message and its id, under the name and picture of the first alert's
// format. Webhooks ignore nonces. Into a forum, each alert is a post of
// its own.
func (n *WebhookNotifier) Send(ctx context.Context, m notify.Message) (notify.Receipt, error) {
	if n.forum && m.Digest == nil {
		return n.posts.send(ctx, m, func(ctx context.Context, a alert.Alert) (notify.Receipt, error) {
			body, err := webhookBody([]alert.Alert{a})
			if err != nil {
				return notify.Receipt{}, err
			}
			body.ThreadName, body.AppliedTags = ThreadName(a), n.tags
			return n.execute(ctx, n.threadID, body)
		})
	}
	body, err := webhookBody(m.Alerts)
	if err == nil && m.Digest != nil {
		body.Embeds, err = messageEmbeds(m)
		if n.forum { // a digest is one post of its own
			body.ThreadName, body.AppliedTags = truncateWords(m.Digest.Title, 100), n.tags
		}
	}
	if err != nil {
		return notify.Receipt{}, err
	}
	return n.execute(ctx, n.threadID, body)
}

// webhookBody is what a webhook is sent for these alerts (no forum
// parameters).
func webhookBody(alerts []alert.Alert) (webhookExecute, error) {
	embeds, err := RenderEmbeds(alerts)
	if err != nil {
		return webhookExecute{}, err
	}
	content, roles := Content(alerts)
	return webhookExecute{
		Content:         content,
		Username:        Username(alerts[0]),
		AvatarURL:       AvatarURL(alerts[0]),
		Embeds:          embeds,
		AllowedMentions: noPings(roles),
	}, nil
}

// execute posts body, into thread threadID when it is not "".
func (n *WebhookNotifier) execute(ctx context.Context, threadID string, body webhookExecute) (notify.Receipt, error) {
	q := url.Values{"wait": {"true"}}
	if threadID != "" {
		q.Set("thread_id", threadID)
	}
	endpoint := discordgo.EndpointWebhookToken(n.id, n.token) + "?" + q.Encode()
	var resp []byte
	ex, err := n.lim.do(ctx, "POST webhooks/"+n.id, n.goneReason, func(ctx context.Context, bucket string) error {
		var err error
		resp, err = n.s.RequestWithBucketID(http.MethodPost, endpoint, body, bucket, discordgo.WithContext(ctx))
		return err
	})
	if shut := threadShut(threadID, ex); shut != "" {
		// No post goes there until a moderator or the config changes it,
		// so the destination is paused, its alerts kept, saying why: the
		// webhook itself is fine.
		return notify.Receipt{}, fmt.Errorf("discord: thread %s of webhook %s %s: %s: %w", threadID, n.id, shut, describeError(ex), notify.ErrGone)
	}
	if err != nil {
		return notify.Receipt{}, err
	}
	return receiptFrom(resp, ex.body), nil
}

// threadNotFound is threadShut's word for a thread Discord has not.
const threadNotFound = "not found (deleted?)"

// threadShut says how the thread a webhook posted into refuses posts:
// deleted (Discord answers a webhook Unknown Channel there, 400 or 404;
// a deleted webhook is 404 Unknown Webhook) or locked by a moderator; ""
// for another answer.
func threadShut(threadID string, ex *exchange) string {
	switch {
	case threadID == "" || ex == nil:
		return ""
	case (ex.status == http.StatusBadRequest || ex.status == http.StatusNotFound) && apiCode(ex.body) == codeUnknownChannel:
		return threadNotFound
	case ex.status == http.StatusForbidden && apiCode(ex.body) == codeThreadArchived:
		return "locked by a moderator"
	}
	return ""
}

// Find looks for m in the webhook's channel, which needs a bot token (a
// webhook cannot read its channel). Without one it reports not found: a
// webhook destination is then at-least-once on Discord's 5xx.
func (n *WebhookNotifier) Find(ctx context.Context, m notify.Message) (notify.Receipt, bool, error) {
	if !strings.HasPrefix(n.s.Token, "Bot ") || n.forum {
		return notify.Receipt{}, false, nil // a forum's posts are threads of their own: not looked for
	}
	if n.threadID != "" {
		return findPosted(ctx, n.s, n.lim, n.threadID, m, n.goneReason)
	}
	if n.channelID == "" {
		var wh *discordgo.Webhook
		_, err := n.lim.do(ctx, "GET webhooks/"+n.id, n.goneReason, func(ctx context.Context, bucket string) error {
			return request(ctx, n.s, http.MethodGet, discordgo.EndpointWebhook(n.id), nil, bucket, &wh)
		})
		if err != nil {
			return notify.Receipt{}, false, err
		}
		n.channelID = wh.ChannelID
	}
	return findPosted(ctx, n.s, n.lim, n.channelID, m, n.goneReason)
}

func (n *WebhookNotifier) goneReason(status int) string {
	if status == http.StatusUnauthorized {
		return "webhook " + n.id + " token rejected"
	}
	return "webhook " + n.id + " deleted"
}

// request sends method endpoint with body (nil: none) under discordgo
// bucket id bucket (see Limiter.do) and decodes the answer into out (nil:
// not read).
func request(ctx context.Context, s *discordgo.Session, method, endpoint string, body any, bucket string, out any) error {
	resp, err := s.RequestWithBucketID(method, endpoint, body, bucket, discordgo.WithContext(ctx))
	if err != nil || out == nil {
		return err
	}
	if err := json.Unmarshal(resp, out); err != nil {
		return fmt.Errorf("discord: %s answer: %w", method, err)
	}
	return nil
}

// receiptFrom reads the message id of an accepted message. A 2xx without
// one is still a delivery: reporting an error would make the sender post
// it again.
func receiptFrom(bodies ...[]byte) notify.Receipt {
	for _, b := range bodies {
		var msg struct {
			ID string `json:"id"`
		}
		if len(b) > 0 && json.Unmarshal(b, &msg) == nil && msg.ID != "" {
			return notify.Receipt{MessageID: msg.ID}
		}
	}
	return notify.Receipt{}
}

// shortNonce keeps nonces within Discord's 25 characters: a longer one is
// replaced by a hash of it, the same on every retry.
func shortNonce(nonce string) string {
	if len(nonce) <= MaxNonce {
		return nonce
	}
	sum := sha256.Sum256([]byte(nonce))
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:]))[:MaxNonce]
}
