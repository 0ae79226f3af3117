package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/bwmarrin/discordgo"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
)

// This file edits a story's first message as further reports and updates
// join the story (notify.Editor), and, for channels that opt in, posts
// them into a thread under that message.

// Discord's error codes an edit tells apart.
const (
	codeUnknownChannel      = 10003
	codeUnknownMessage      = 10008
	codeNotAuthor           = 50005 // "Cannot edit a message authored by another user"
	codeThreadAlreadyExists = 160004
	codeThreadArchived      = 50083 // "Thread is archived"
)

// checkEdit refuses what can never be edited.
func checkEdit(e notify.Edit) error {
	switch {
	case e.Message.Digest != nil:
		return fmt.Errorf("discord: a digest is never edited: %w", notify.ErrRejected)
	case len(e.Message.Alerts) == 0 || len(e.Message.Alerts) > MaxEmbeds:
		return fmt.Errorf("discord: an edited message carries 1 to %d alerts, got %d: %w", MaxEmbeds, len(e.Message.Alerts), notify.ErrRejected)
	case e.MessageID == "":
		// Delivered without an id (a 2xx without a body): nothing to edit.
		return fmt.Errorf("discord: the message was delivered without an id: %w", notify.ErrNoMessage)
	}
	return nil
}

// editError refines what the Limiter made of an answer about one message:
// a 404 Unknown Message is that message deleted, not the destination gone,
// and so is a message the bot cannot edit because it is not its own.
func editError(ex *exchange, err error, messageID string) error {
	if err == nil || ex == nil {
		return err
	}
	switch code := apiCode(ex.body); {
	case ex.status == http.StatusNotFound && code == codeUnknownMessage,
		ex.status == http.StatusForbidden && code == codeNotAuthor:
		return fmt.Errorf("discord: message %s: %s: %w", messageID, describeError(ex), notify.ErrNoMessage)
	}
	return err
}

// errThreadDeleted marks a post into a thread answered 404 Unknown
// Channel: the thread was deleted (it wraps the Limiter's error too, a
// notify.ErrGone). A story's thread is then started again.
var errThreadDeleted = errors.New("discord: thread deleted")

// archivedThread reports whether Discord answered "Thread is archived":
// the message is in a thread archived for inactivity (a story's forum
// post, a thread destination), which must be reopened for it to be edited.
func archivedThread(ex *exchange) bool {
	return ex != nil && ex.status == http.StatusBadRequest && apiCode(ex.body) == codeThreadArchived
}

// apiCode is the code of Discord's error body, or 0.
func apiCode(body []byte) int {
	var ae apiError
	if json.Unmarshal(body, &ae) != nil {
		return 0
	}
	return ae.Code
}

// editRoute is the limiter's route for the edits of a channel's messages:
// Discord buckets them by channel, whichever message they change.
func editRoute(channelID string) string {
	return "PATCH channels/" + channelID + "/messages/{message_id}"
}

// Edit re-renders the message as it stands (its alerts with their
// stories' reports and updates) and replaces the posted one with it. With
// story threads on, the joins new in this edit are first posted into the
// thread under the message.
func (n *ChannelNotifier) Edit(ctx context.Context, e notify.Edit) error {
	if err := checkEdit(e); err != nil {
		return err
	}
	if n.threads && len(e.Added) > 0 {
		if err := n.postToStoryThread(ctx, e); err != nil {
			return err
		}
	}
	embeds, err := messageEmbeds(e.Message)
	if err != nil {
		return err
	}
	content, roles := Content(e.Message.Alerts)
	edit := &discordgo.MessageEdit{
		ID:              e.MessageID,
		Channel:         n.channelID,
		Content:         &content,
		Embeds:          &embeds,
		AllowedMentions: noPings(roles),
	}
	ex, err := n.editMessage(ctx, edit)
	if archivedThread(ex) {
		// A thread archived for inactivity (a story's forum post, a
		// thread destination): reopened, as posting into it would, the
		// message can be edited again. A thread that stays shut (locked,
		// or the bot may not reopen it) refuses the edit; one whose
		// reopening failed for now (a 429, a 5xx) is tried again later,
		// not taken for a message that can no longer be edited.
		switch rerr := n.reopen(ctx); {
		case rerr == nil:
			ex, err = n.editMessage(ctx, edit)
		case !errors.Is(rerr, notify.ErrGone) && !errors.Is(rerr, notify.ErrRejected):
			return rerr
		}
	}
	return editError(ex, err, e.MessageID)
}

func (n *ChannelNotifier) editMessage(ctx context.Context, edit *discordgo.MessageEdit) (*exchange, error) {
	// As discordgo's ChannelMessageEditComplex, which this request
	// stands for (under a bucket id of the Limiter's), sends them.
	if edit.Embeds != nil {
		for _, e := range *edit.Embeds {
			if e.Type == "" {
				e.Type = discordgo.EmbedTypeRich
			}
		}
	}
	return n.lim.do(ctx, editRoute(n.channelID), n.goneReason, func(ctx context.Context, bucket string) error {
		return request(ctx, n.s, http.MethodPatch, discordgo.EndpointChannelMessage(edit.Channel, edit.ID), edit, bucket, nil)
	})
}

// reopen unarchives the notifier's channel, a thread. The bot may, with
// Send Messages in Threads, when the thread is not locked; a locked one
// stays archived and its messages are not edited.
func (n *ChannelNotifier) reopen(ctx context.Context) error {
	open := false
	_, err := n.lim.do(ctx, "PATCH channels/"+n.channelID, n.goneReason, func(ctx context.Context, bucket string) error {
		return request(ctx, n.s, http.MethodPatch, discordgo.EndpointChannel(n.channelID), &discordgo.ChannelEdit{Archived: &open}, bucket, nil)
	})
	return err
}

// postToStoryThread opens the story's thread if it is not there yet and
// posts e.Added into it. A thread started from a message has the
// message's id, so a thread known to exist (see shutThreads.started) is
// posted into without asking Discord to start it again, which would cost
// a request on the channel's bucket on every edit; one found deleted
// meanwhile (404 Unknown Channel) is started again, once. The thread
// accompanies the message, which lists the joins too: a thread the bot
// may not open or post in (a permission missing, the thread locked) is
// logged and left out rather than holding up the edit, and is not tried
// again before its back-off has passed (see shutThreads). Errors worth
// retrying, and a deleted message, are returned.
func (n *ChannelNotifier) postToStoryThread(ctx context.Context, e notify.Edit) error {
	threadID := e.MessageID // a story's thread has its message's id
	start := threadKind("start", n.channelID)
	post := threadKind("post", threadID)
	now := n.lim.clock()
	if n.shut.leftOut(now, start, post) {
		return nil
	}
	if n.shut.started(threadID, now) {
		err := n.postJoins(ctx, threadID, e)
		if !errors.Is(err, errThreadDeleted) {
			return n.leaveOutThread(post, e, err)
		}
		n.shut.deleted(threadID)
		n.lim.log.Info("discord: the story's thread was deleted; starting it again", "channel", n.channelID, "message", e.MessageID)
	}
	if err := n.startStoryThread(ctx, e); err != nil {
		return n.leaveOutThread(start, e, err)
	}
	n.threadWorks(start, e)
	n.shut.exists(threadID, now)
	return n.leaveOutThread(post, e, n.postJoins(ctx, threadID, e))
}

// postIntoThread posts e.Added into the story's thread, a forum's post; a
// thread the bot may not post in is left out (see postToStoryThread).
func (n *ChannelNotifier) postIntoThread(ctx context.Context, threadID string, e notify.Edit) error {
	post := threadKind("post", threadID)
	if n.shut.leftOut(n.lim.clock(), post) {
		return nil
	}
	return n.leaveOutThread(post, e, n.postJoins(ctx, threadID, e))
}

// leaveOutThread is nil for an error that leaves the story's thread out
// but the edit to go on; other errors as they are. What is left out, and
// why, is logged once per change of state (kind: the channel whose
// threads cannot be opened, or the thread that cannot be posted in), not
// on every edit of a story whose thread stays shut, and is left out of
// the edits until its back-off has passed; it working again is logged
// once and ends its back-off.
func (n *ChannelNotifier) leaveOutThread(kind string, e notify.Edit, err error) error {
	switch {
	case errors.Is(err, notify.ErrGone) || errors.Is(err, notify.ErrRejected):
		retry := n.shut.refused(kind, n.lim.clock())
		n.shut.log.Fail(kind, "discord: story thread left out, editing the message only", err, "channel", n.channelID, "message", e.MessageID, "retry_in", retry)
		return nil
	case err == nil:
		n.threadWorks(kind, e)
	}
	return err
}

// threadWorks notes that kind worked: a refusal before it ends its
// back-off and is logged as over, once.
func (n *ChannelNotifier) threadWorks(kind string, e notify.Edit) {
	n.shut.worked(kind)
	n.shut.log.OK(kind, "discord: story thread works again", "channel", n.channelID, "message", e.MessageID)
}

// startStoryThread starts a public thread from the story's message; the
// thread has the message's id. A thread already started (by an earlier
// edit, a retry of this one, or before a restart) is simply used.
func (n *ChannelNotifier) startStoryThread(ctx context.Context, e notify.Edit) error {
	start := &discordgo.ThreadStart{Name: ThreadName(storyOf(e.Message.Alerts, e.Added[0]))}
	route := "POST channels/" + n.channelID + "/messages/{message_id}/threads"
	ex, err := n.lim.do(ctx, route, n.goneReason, func(ctx context.Context, bucket string) error {
		return request(ctx, n.s, http.MethodPost, discordgo.EndpointChannelMessageThread(n.channelID, e.MessageID), start, bucket, nil)
	})
	if ex != nil && ex.status == http.StatusBadRequest && apiCode(ex.body) == codeThreadAlreadyExists {
		return nil
	}
	return editError(ex, err, e.MessageID)
}

// postJoins posts the joins into the thread, up to 10 embeds a message.
// Each message's nonce derives from the edit's, so a retried edit finds
// Discord returning the earlier message instead of posting it again. A
// retry the nonces may no longer catch (e.InsideNonceWindow unset) first
// reads the thread's newest messages and leaves out what an earlier
// attempt posted.
func (n *ChannelNotifier) postJoins(ctx context.Context, threadID string, e notify.Edit) error {
	var posted []*discordgo.Message
	if !e.InsideNonceWindow {
		var err error
		if posted, err = n.postedJoins(ctx, threadID); err != nil {
			return err
		}
	}
	for i := 0; i < len(e.Added); i += MaxEmbeds {
		embeds, err := RenderEmbeds(joinAlerts(e.Added[i:min(i+MaxEmbeds, len(e.Added))]))
		if err != nil {
			return err
		}
		if slices.ContainsFunc(posted, func(m *discordgo.Message) bool { return showsEmbeds(m, embeds) }) {
			continue // an earlier attempt's post
		}
		body := messageCreate{
			Nonce:           chunkNonce(e.Nonce, i/MaxEmbeds),
			EnforceNonce:    e.Nonce != "",
			Embeds:          embeds,
			AllowedMentions: noPings(nil), // the story pinged when it was posted
		}
		endpoint := discordgo.EndpointChannelMessages(threadID)
		ex, err := n.lim.do(ctx, "POST channels/"+threadID+"/messages", n.goneReason, func(ctx context.Context, bucket string) error {
			return request(ctx, n.s, http.MethodPost, endpoint, body, bucket, nil)
		})
		switch {
		case ex != nil && ex.status == http.StatusNotFound && apiCode(ex.body) == codeUnknownChannel:
			return fmt.Errorf("%w: %w", errThreadDeleted, err)
		case err != nil:
			return err
		}
	}
	return nil
}

// postedJoins reads the thread's newest messages, for postJoins to leave
// out what an earlier attempt posted. A thread the bot may not read (Read
// Message History missing) cannot tell: nothing, and the joins are posted
// (at-least-once, as a webhook's posts are). Other errors are returned.
func (n *ChannelNotifier) postedJoins(ctx context.Context, threadID string) ([]*discordgo.Message, error) {
	msgs, err := recentMessages(ctx, n.s, n.lim, threadID, n.goneReason)
	if errors.Is(err, notify.ErrGone) || errors.Is(err, notify.ErrRejected) {
		n.lim.log.Warn("discord: cannot read the story's thread; its reports may be posted there again", "thread", threadID, "err", err)
		return nil, nil
	}
	return msgs, err
}

// showsEmbeds reports whether msg is a post of exactly these embeds, in
// this order (see sameEmbed): an update shares its story's link, so a
// join's URL alone does not tell it.
func showsEmbeds(msg *discordgo.Message, embeds []*discordgo.MessageEmbed) bool {
	return slices.EqualFunc(msg.Embeds, embeds, sameEmbed)
}

// chunkNonce is the nonce of the k-th message an edit posts.
func chunkNonce(nonce string, k int) string {
	if nonce == "" || k == 0 {
		return shortNonce(nonce)
	}
	return shortNonce(fmt.Sprintf("%s/%d", nonce, k))
}

// storyOf is the alert a join is listed under.
func storyOf(alerts []alert.Alert, j notify.Join) alert.Alert {
	if j.Story >= 0 && j.Story < len(alerts) {
		return alerts[j.Story]
	}
	return alerts[0]
}

// joinAlerts are the joins' alerts.
func joinAlerts(js []notify.Join) []alert.Alert {
	out := make([]alert.Alert, len(js))
	for i, j := range js {
		out[i] = j.Alert
	}
	return out
}

// webhookEditRoute is the limiter's route for the edits of a webhook's
// messages.
func webhookEditRoute(webhookID string) string {
	return "PATCH webhooks/" + webhookID + "/messages/{message_id}"
}

// Edit replaces the webhook's message with the message as it stands. A
// message in a thread (the destination's thread, or a forum post) is
// named by ?thread_id=, which discordgo v0.29's WebhookMessageEdit cannot
// add (bwmarrin/discordgo#1390 is still open): the request goes through
// RequestWithBucketID, on the session's transport like every other. A
// message in a thread Discord archived is edited once the thread is
// reopened (see editReopened).
func (n *WebhookNotifier) Edit(ctx context.Context, e notify.Edit) error {
	if err := checkEdit(e); err != nil {
		return err
	}
	threadID := n.threadID
	if n.forum {
		if len(e.Message.Alerts) > 1 {
			// Each alert of the burst opened a post of its own; the receipt
			// names the first only, and the others cannot be found.
			return fmt.Errorf("discord: webhook %s: a forum burst's posts cannot be edited as one message: %w", n.id, notify.ErrNoMessage)
		}
		threadID = e.MessageID // a post's opening message has the post's id
	}
	body, err := webhookBody(e.Message.Alerts)
	if err != nil {
		return err
	}
	edit := &discordgo.WebhookEdit{Content: &body.Content, Embeds: &body.Embeds, AllowedMentions: body.AllowedMentions}
	endpoint := discordgo.EndpointWebhookMessage(n.id, n.token, e.MessageID)
	if threadID != "" {
		endpoint += "?" + url.Values{"thread_id": {threadID}}.Encode()
	}
	do := func() (*exchange, error) {
		return n.lim.do(ctx, webhookEditRoute(n.id), n.goneReason, func(ctx context.Context, bucket string) error {
			return request(ctx, n.s, http.MethodPatch, endpoint, edit, bucket, nil)
		})
	}
	ex, err := do()
	if threadID != "" && archivedThread(ex) && len(e.Added) > 0 {
		return n.editReopened(ctx, threadID, e, do, editError(ex, err, e.MessageID))
	}
	if threadShut(threadID, ex) == threadNotFound {
		// The message went with its thread; Discord's 404 there is no
		// webhook deleted, which would pause the destination.
		return fmt.Errorf("discord: message %s: thread %s %s: %s: %w", e.MessageID, threadID, threadNotFound, describeError(ex), notify.ErrNoMessage)
	}
	return editError(ex, err, e.MessageID)
}

// editReopened reopens the archived thread of e's message by posting e's
// new reports into it (see reopen), then edits the message. refused is
// the archived thread's answer to the first try. A thread the webhook may
// not post into either (a locked post) stays archived: refused is
// returned, so that the sender posts the reports on their own. Once the
// reports are in the thread, the edit failing for good (the message was
// deleted meanwhile) is not an error: the sender would post them again.
func (n *WebhookNotifier) editReopened(ctx context.Context, threadID string, e notify.Edit, do func() (*exchange, error), refused error) error {
	if err := n.reopen(ctx, threadID, e.Added); err != nil {
		if errors.Is(err, notify.ErrGone) || errors.Is(err, notify.ErrRejected) {
			return refused
		}
		return err
	}
	ex, err := do()
	err = editError(ex, err, e.MessageID)
	if errors.Is(err, notify.ErrNoMessage) || errors.Is(err, notify.ErrRejected) {
		n.lim.log.Warn("discord: the story's reports were posted into its reopened thread, but its message cannot be edited",
			"webhook", n.id, "thread", threadID, "message", e.MessageID, "err", err)
		return nil
	}
	return err
}

// reopen reopens an archived thread by posting the edit's new reports into
// it: a webhook cannot change a channel, but a message it posts into a
// thread unarchives it (Discord's Execute Webhook, thread_id). A story's
// forum post thus shows its new reports and rises in the forum, as a bot's
// post with story threads does. Once one message is in, the thread is open
// and a later message's error is only logged: the edit lists every report,
// and the sender must not post the first ones again.
func (n *WebhookNotifier) reopen(ctx context.Context, threadID string, added []notify.Join) error {
	for i := 0; i < len(added); i += MaxEmbeds {
		body, err := webhookBody(joinAlerts(added[i:min(i+MaxEmbeds, len(added))]))
		if err == nil {
			body.Content, body.AllowedMentions = "", noPings(nil) // the story pinged when it was posted
			_, err = n.execute(ctx, threadID, body)
		}
		switch {
		case err != nil && i == 0:
			return err
		case err != nil:
			n.lim.log.Warn("discord: some of a story's reports were not posted into its reopened thread; its edited message lists or counts them",
				"webhook", n.id, "thread", threadID, "reports", len(added)-i, "err", err)
			return nil
		}
	}
	return nil
}

var (
	_ notify.Editor = (*ChannelNotifier)(nil)
	_ notify.Editor = (*WebhookNotifier)(nil)
	_ notify.Editor = (*ForumNotifier)(nil)

	_ notify.PostEach = (*ForumNotifier)(nil)
	_ notify.PostEach = (*WebhookNotifier)(nil)
)
