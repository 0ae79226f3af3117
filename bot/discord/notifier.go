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
	lim       *Limiter
	// threads opens a thread under a story's first message and posts
	// what joins the story there (WithStoryThreads).
	threads bool
}

// NewChannelNotifier returns a notifier posting to channelID through s,
// paced by lim (shared by every notifier of the same token).
func NewChannelNotifier(s *discordgo.Session, channelID string, lim *Limiter) notify.Notifier {
	return &ChannelNotifier{s: s, channelID: channelID, lim: lim}
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
	ex, err := n.lim.do(ctx, route, n.goneReason, func(ctx context.Context) error {
		var err error
		resp, err = n.s.RequestWithBucketID(http.MethodPost, endpoint, body, endpoint, discordgo.WithContext(ctx))
		return err
	})
	if err != nil {
		return notify.Receipt{}, err
	}
	return receiptFrom(ex.body, resp), nil
}

// Find looks for m among the channel's 50 newest messages (Read Message
// History), by the links of its alerts.
func (n *ChannelNotifier) Find(ctx context.Context, m notify.Message) (notify.Receipt, bool, error) {
	return findPosted(ctx, n.s, n.lim, n.channelID, m, n.goneReason)
}

// findPosted finds a message of channelID that carries every alert of m:
// each alert's link is the URL of one of its embeds. Alerts without links
// cannot be told apart from others: not found.
func findPosted(ctx context.Context, s *discordgo.Session, lim *Limiter, channelID string, m notify.Message, gone func(int) string) (notify.Receipt, bool, error) {
	for _, a := range m.Alerts {
		if a.Link == "" && m.Digest == nil { // a digest is found by its title and time
			return notify.Receipt{}, false, nil
		}
	}
	var msgs []*discordgo.Message
	_, err := lim.do(ctx, "GET channels/"+channelID+"/messages", gone, func(ctx context.Context) error {
		var err error
		msgs, err = s.ChannelMessages(channelID, 50, "", "", "", discordgo.WithContext(ctx))
		return err
	})
	if err != nil {
		return notify.Receipt{}, false, err
	}
	for _, msg := range msgs {
		if carriesAll(msg, m) {
			return notify.Receipt{MessageID: msg.ID}, true, nil
		}
	}
	return notify.Receipt{}, false, nil
}

func carriesAll(msg *discordgo.Message, m notify.Message) bool {
	if m.Digest != nil {
		return carriesDigest(msg, m)
	}
	for _, a := range m.Alerts {
		if !slices.ContainsFunc(msg.Embeds, func(e *discordgo.MessageEmbed) bool { return e.URL == a.Link }) {
			return false
		}
	}
	return true
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
	ex, err := n.lim.do(ctx, "POST webhooks/"+n.id, n.goneReason, func(ctx context.Context) error {
		var err error
		resp, err = n.s.RequestWithBucketID(http.MethodPost, endpoint, body, discordgo.EndpointWebhookToken("", ""), discordgo.WithContext(ctx))
		return err
	})
	if err != nil {
		return notify.Receipt{}, err
	}
	return receiptFrom(resp, ex.body), nil
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
		_, err := n.lim.do(ctx, "GET webhooks/"+n.id, n.goneReason, func(ctx context.Context) error {
			var err error
			wh, err = n.s.Webhook(n.id, discordgo.WithContext(ctx))
			return err
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
