package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/bwmarrin/discordgo"
	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
)

// NewDestinationNotifier returns the notifier of a Discord destination
// from the config: a channel, a thread (thread_id), a forum (forum: true,
// one post per story, its further reports listed in it) or a webhook into
// any of them. All go through s, paced by lim, and all edit the messages
// they posted (notify.Editor).
func NewDestinationNotifier(s *discordgo.Session, d config.Destination, lim *Limiter, opts ...Option) (notify.Notifier, error) {
	var o destinationOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.threads && (d.Type != config.DiscordChannel || d.ThreadID != "") {
		return nil, fmt.Errorf("discord: destination %q: story threads need a channel or forum with a bot token, not a thread or webhook", d.Name)
	}
	switch d.Type {
	case config.DiscordChannel:
		switch {
		case d.Forum:
			return &ForumNotifier{s: s, channelID: d.ChannelID, tags: d.Tags, lim: lim, threads: o.threads, shut: newShutThreads(lim)}, nil
		case d.ThreadID != "":
			// A thread is a channel of its own: its messages are posted,
			// and looked for, there.
			return &ChannelNotifier{s: s, channelID: d.ThreadID, parentID: d.ChannelID, lim: lim, shut: newShutThreads(lim)}, nil
		}
		return &ChannelNotifier{s: s, channelID: d.ChannelID, lim: lim, threads: o.threads, shut: newShutThreads(lim)}, nil
	case config.DiscordWebhook:
		n, err := NewWebhookNotifier(s, d.WebhookURL, lim)
		if err != nil {
			return nil, err
		}
		w := n.(*WebhookNotifier)
		w.threadID, w.forum, w.tags = d.ThreadID, d.Forum, d.Tags
		return w, nil
	}
	return nil, fmt.Errorf("discord: destination %q is of type %s, not a Discord one", d.Name, d.Type)
}

// Option tunes a notifier NewDestinationNotifier returns.
type Option func(*destinationOptions)

type destinationOptions struct {
	threads bool
}

// WithStoryThreads (a channel destination's `threads: true`) starts a
// thread under a story's first message when further reports join the
// story, and posts them there as well as listing them in the message; in
// a forum, the story's post is the thread. Only a channel or forum
// destination with a bot token can: the bot needs Create Public Threads
// (a channel) and Send Messages in Threads there.
func WithStoryThreads(on bool) Option {
	return func(o *destinationOptions) { o.threads = on }
}

// ForumNotifier opens a forum post per alert with a bot token: the post is
// named after the item's title and starts with the alert's message.
// Discord takes no nonce on a new post, so a post whose answer was lost is
// posted again (at-least-once, as webhooks are).
type ForumNotifier struct {
	s         *discordgo.Session
	channelID string
	tags      []string
	lim       *Limiter
	posts     onePostEach
	threads   bool // post a story's further reports into its post (WithStoryThreads)
	shut      *shutThreads
}

// forumPost is the body of POST channels/{id}/threads in a forum.
type forumPost struct {
	Name        string      `json:"name"`
	AppliedTags []string    `json:"applied_tags,omitempty"`
	Message     forumOpener `json:"message"`
}

type forumOpener struct {
	Content         string                            `json:"content,omitempty"`
	Embeds          []*discordgo.MessageEmbed         `json:"embeds"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
}

// Send opens one post per alert of m, or one post for a digest.
func (n *ForumNotifier) Send(ctx context.Context, m notify.Message) (notify.Receipt, error) {
	if m.Digest != nil {
		embeds, err := messageEmbeds(m)
		if err != nil {
			return notify.Receipt{}, err
		}
		return n.open(ctx, truncateWords(m.Digest.Title, 100), forumOpener{Embeds: embeds, AllowedMentions: noPings(nil)})
	}
	return n.posts.send(ctx, m, n.post)
}

func (n *ForumNotifier) post(ctx context.Context, a alert.Alert) (notify.Receipt, error) {
	embeds, err := RenderEmbeds([]alert.Alert{a})
	if err != nil {
		return notify.Receipt{}, err
	}
	content, roles := Content([]alert.Alert{a})
	return n.open(ctx, ThreadName(a), forumOpener{Content: content, Embeds: embeds, AllowedMentions: noPings(roles)})
}

// open creates a forum post named name that opens with msg.
func (n *ForumNotifier) open(ctx context.Context, name string, msg forumOpener) (notify.Receipt, error) {
	body := forumPost{Name: name, AppliedTags: n.tags, Message: msg}
	endpoint := discordgo.EndpointChannelThreads(n.channelID)
	var resp []byte
	ex, err := n.lim.do(ctx, "POST channels/"+n.channelID+"/threads", n.goneReason, func(ctx context.Context, bucket string) error {
		var err error
		resp, err = n.s.RequestWithBucketID(http.MethodPost, endpoint, body, bucket, discordgo.WithContext(ctx))
		return err
	})
	if err != nil {
		return notify.Receipt{}, err
	}
	// The answer is the new thread; its opening message has the thread's id.
	return receiptFrom(resp, ex.body), nil
}

// PostsEach says that each alert is a post of its own: the sender sends
// one a message, so that each post can be edited.
func (n *ForumNotifier) PostsEach() bool { return true }

// Edit replaces a post's opening message with the message as it stands:
// the opening message has the post's id, in the post, which is a channel
// of its own. With story threads, the joins new in this edit are then
// posted into the post. A burst's alerts opened a post each, and the
// receipt names the first only, so a burst is not edited
// (notify.ErrNoMessage: the sender posts its stories' further reports as
// posts of their own).
func (n *ForumNotifier) Edit(ctx context.Context, e notify.Edit) error {
	if len(e.Message.Alerts) > 1 && e.Message.Digest == nil {
		return fmt.Errorf("discord: forum %s: a burst's posts cannot be edited as one message: %w", n.channelID, notify.ErrNoMessage)
	}
	if err := checkEdit(e); err != nil {
		return err
	}
	post := &ChannelNotifier{s: n.s, channelID: e.MessageID, lim: n.lim, shut: n.shut}
	// The opening message first: when it is gone, the sender posts the
	// joins as posts of their own, so they must not be in the post yet.
	// A retried edit edits again and posts with the same nonces.
	if err := post.Edit(ctx, e); err != nil {
		return n.postGone(e, err)
	}
	if n.threads && len(e.Added) > 0 {
		return n.postGone(e, post.postIntoThread(ctx, e.MessageID, e))
	}
	return nil
}

// postGone makes an error that says the post is gone (deleted, or closed
// to the bot) a missing message rather than a gone forum: the story's
// further reports are then posts of their own, and a forum gone shows
// when they are sent.
func (n *ForumNotifier) postGone(e notify.Edit, err error) error {
	if errors.Is(err, notify.ErrGone) {
		return fmt.Errorf("discord: forum %s: post %s: %w (%v)", n.channelID, e.MessageID, notify.ErrNoMessage, err)
	}
	return err
}

func (n *ForumNotifier) goneReason(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "bot token rejected"
	case http.StatusNotFound:
		return "forum channel " + n.channelID + " not found (deleted?)"
	default:
		return "missing access to forum channel " + n.channelID
	}
}

// onePostEach sends the alerts of a message as posts of their own (forum
// posts). The posts that went through are remembered by alert id, so when
// a later one fails, the retry does not open the earlier ones again. The
// memory is the process's: after a crash they are posted again, as any
// post without a nonce may be.
type onePostEach struct {
	mu   sync.Mutex
	done map[int64]notify.Receipt
}

func (p *onePostEach) send(ctx context.Context, m notify.Message, post func(context.Context, alert.Alert) (notify.Receipt, error)) (notify.Receipt, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done == nil {
		p.done = map[int64]notify.Receipt{}
	}
	var first notify.Receipt
	for i, a := range m.Alerts {
		r, ok := p.done[a.ID]
		if !ok || a.ID == 0 {
			var err error
			if r, err = post(ctx, a); err != nil {
				return notify.Receipt{}, err
			}
			if a.ID != 0 {
				p.done[a.ID] = r
			}
		}
		if i == 0 {
			first = r
		}
	}
	for _, a := range m.Alerts {
		delete(p.done, a.ID)
	}
	return first, nil
}

// Payload is the request body a destination's notifier would send for
// one alert (`newshound preview --render`): a channel message, a webhook
// execution or a forum post, without nonce.
func Payload(d config.Destination, a alert.Alert) (any, error) {
	alerts := []alert.Alert{a}
	if d.Type == config.DiscordWebhook {
		body, err := webhookBody(alerts)
		if d.Forum {
			body.ThreadName, body.AppliedTags = ThreadName(a), d.Tags
		}
		return body, err
	}
	embeds, err := RenderEmbeds(alerts)
	if err != nil {
		return nil, err
	}
	content, roles := Content(alerts)
	if d.Forum {
		return forumPost{Name: ThreadName(a), AppliedTags: d.Tags, Message: forumOpener{Content: content, Embeds: embeds, AllowedMentions: noPings(roles)}}, nil
	}
	return messageCreate{Content: content, Embeds: embeds, AllowedMentions: noPings(roles)}, nil
}
