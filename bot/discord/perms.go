package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/bwmarrin/discordgo"
	"github.com/newshound/newshound/bot/notify"
)

// permissionNames are the permissions alerts need, as Discord's settings
// name them, in the order a reply lists them.
var permissionNames = []struct {
	bit  int64
	name string
}{
	{discordgo.PermissionViewChannel, "View Channel"},
	{discordgo.PermissionSendMessages, "Send Messages"},
	{discordgo.PermissionSendMessagesInThreads, "Send Messages in Threads"},
	{discordgo.PermissionEmbedLinks, "Embed Links"},
	{discordgo.PermissionReadMessageHistory, "Read Message History"},
	{discordgo.PermissionCreatePublicThreads, "Create Public Threads"},
}

// neededPermissions is what the bot needs in a channel of type t to post
// a watch's alerts there: see it, post (open a post, in a forum; in a
// thread, Send Messages in Threads instead of Send Messages), show embeds,
// and read the channel's recent messages: a retry past Discord's nonce
// window first looks there for the post an earlier try may have made, and
// without it finds nothing and posts the alert twice. A /watch destination
// has no story threads (those are a config destination's `threads: true`),
// so Create Public Threads is not needed.
func neededPermissions(t discordgo.ChannelType) int64 {
	need := int64(discordgo.PermissionViewChannel | discordgo.PermissionEmbedLinks | discordgo.PermissionReadMessageHistory)
	switch t {
	case discordgo.ChannelTypeGuildPublicThread, discordgo.ChannelTypeGuildPrivateThread, discordgo.ChannelTypeGuildNewsThread:
		return need | discordgo.PermissionSendMessagesInThreads
	}
	return need | discordgo.PermissionSendMessages
}

// MissingPermissionsError says which permissions the bot lacks in the
// channel it would post alerts to.
type MissingPermissionsError struct {
	Channel string // as the user knows it: "#name", or its id
	Missing []string
}

func (e *MissingPermissionsError) Error() string {
	return fmt.Sprintf("newshound cannot post alerts in %s: it lacks %s there. Give its role %s in the channel's settings (Permissions).",
		e.Channel, strings.Join(e.Missing, ", "), map[bool]string{true: "this permission", false: "these permissions"}[len(e.Missing) == 1])
}

// ShutThreadError says that the bot may not post into a thread however
// its permissions stand: a moderator locked it (Discord reopens an
// archived thread for a new message, but not a locked one), or it is a
// private thread the bot is not a member of. Manage Threads would allow
// both.
type ShutThreadError struct {
	Channel string
	Locked  bool // else private
}

func (e *ShutThreadError) Error() string {
	if e.Locked {
		return fmt.Sprintf("newshound cannot post alerts in %s: a moderator locked it, and only those with Manage Threads may post in a locked thread. Unlock it, or give newshound's role Manage Threads in its channel.", e.Channel)
	}
	return fmt.Sprintf("newshound cannot post alerts in %s: it is a private thread newshound is not a member of. Add newshound to it (mention it in the thread), use a public thread, or give its role Manage Threads in the thread's channel.", e.Channel)
}

// HiddenChannelError says that Discord hides a channel from the bot (it
// answers 403 to a look at it) and nothing tells what the channel is: a
// channel where the bot lacks View Channel, or a private thread it is not
// a member of, which Discord hides alike.
type HiddenChannelError struct{ ID string }

func (e *HiddenChannelError) Error() string {
	return fmt.Sprintf("newshound cannot post alerts in channel %s: Discord hides it from newshound. Either it lacks View Channel there (give its role this permission in the channel's settings, Permissions), or it is a private thread newshound is not a member of (add newshound to it by mentioning it in the thread, or use a public thread).", e.ID)
}

// UnknownChannelError says that Discord knows no channel of that id
// (deleted, or mistyped).
type UnknownChannelError struct{ ID string }

func (e *UnknownChannelError) Error() string {
	return fmt.Sprintf("newshound cannot post alerts in channel %s: Discord has no channel %s (deleted, or a mistyped id?).", e.ID, e.ID)
}

// WebhookGoneError says that a webhook cannot take posts: it was
// deleted, or its token is refused (a mistyped or reset URL).
type WebhookGoneError struct {
	ID      string
	Deleted bool // else the token is refused
}

func (e *WebhookGoneError) Error() string {
	if e.Deleted {
		return fmt.Sprintf("newshound cannot post alerts through webhook %s: the webhook was deleted. Make a new one in the channel's settings (Integrations) and put its URL in the config.", e.ID)
	}
	return fmt.Sprintf("newshound cannot post alerts through webhook %s: Discord refuses its token (was the URL mistyped, or the webhook's URL reset?). Copy the webhook's URL again from the channel's settings (Integrations).", e.ID)
}

func (e *WebhookGoneError) Is(target error) bool { return target == notify.ErrCannotPost }

// Check reports whether the webhook still takes posts: GET
// webhooks/{id}/{token}, which needs no bot token, through the Limiter
// as a send goes. A deleted webhook or a
// refused token is a *WebhookGoneError.
func (n *WebhookNotifier) Check(ctx context.Context) error {
	ctx = throughLimiter(ctx, n.lim)
	_, err := n.s.RequestWithBucketID(http.MethodGet, discordgo.EndpointWebhookToken(n.id, n.token), nil, discordgo.EndpointWebhook(n.id), discordgo.WithContext(ctx))
	switch restStatus(err) {
	case 0:
		if err != nil { // no answer, or a 429; its URL holds the token
			return fmt.Errorf("could not check webhook %s: %w", n.id, withoutURL(err))
		}
		return nil
	case http.StatusNotFound:
		return &WebhookGoneError{ID: n.id, Deleted: true}
	case http.StatusUnauthorized:
		return &WebhookGoneError{ID: n.id}
	}
	return fmt.Errorf("could not check webhook %s: %w", n.id, err)
}

// checkPermissions is checkChannel for a /watch command's channel id,
// which the interaction resolved as hint; a refusal says nothing was saved.
func (c *Commands) checkPermissions(ctx context.Context, id string, hint *discordgo.Channel) error {
	err := checkChannel(ctx, c.s, id, hint, func(ch *discordgo.Channel) (int64, error) { return neededPermissions(ch.Type), nil })
	if errors.Is(err, notify.ErrCannotPost) {
		return fmt.Errorf("%w Then try again; nothing was saved.", err)
	}
	return err
}

// Each refusal is a notify.ErrCannotPost: the bot cannot post there, as
// opposed to a failure to check.
func (e *MissingPermissionsError) Is(target error) bool { return target == notify.ErrCannotPost }
func (e *ShutThreadError) Is(target error) bool         { return target == notify.ErrCannotPost }
func (e *HiddenChannelError) Is(target error) bool      { return target == notify.ErrCannotPost }
func (e *UnknownChannelError) Is(target error) bool     { return target == notify.ErrCannotPost }

// Check reports whether the bot can post the destination's alerts in its
// channel or thread (see checkChannel), asking through the Limiter as a
// send does (see throughLimiter): with story threads, it also needs
// Create Public Threads and Send Messages in Threads there. A forum is
// refused: Discord takes no message there, only posts (forum: true).
func (n *ChannelNotifier) Check(ctx context.Context) error {
	ctx = throughLimiter(ctx, n.lim)
	var hint *discordgo.Channel
	if n.parentID != "" {
		// Public or private, the check tells: a thread of parentID.
		hint = &discordgo.Channel{ID: n.channelID, ParentID: n.parentID, Type: discordgo.ChannelTypeGuildPublicThread}
	}
	return checkChannel(ctx, n.s, n.channelID, hint, func(ch *discordgo.Channel) (int64, error) {
		if isForumType(ch.Type) {
			return 0, &WrongChannelTypeError{Channel: channelName(n.channelID, ch), Forum: true}
		}
		need := neededPermissions(ch.Type)
		if n.threads {
			need |= discordgo.PermissionCreatePublicThreads | discordgo.PermissionSendMessagesInThreads
		}
		return need, nil
	})
}

// Check reports whether the bot can open posts in the forum (see
// checkChannel), asking through the Limiter: with story threads, it also needs Send Messages in
// Threads, to post a story's further reports into its post. A channel
// that is no forum is refused: Discord opens no post there.
func (n *ForumNotifier) Check(ctx context.Context) error {
	ctx = throughLimiter(ctx, n.lim)
	return checkChannel(ctx, n.s, n.channelID, nil, func(ch *discordgo.Channel) (int64, error) {
		if !isForumType(ch.Type) {
			return 0, &WrongChannelTypeError{Channel: channelName(n.channelID, ch)}
		}
		need := neededPermissions(ch.Type)
		if n.threads {
			need |= discordgo.PermissionSendMessagesInThreads
		}
		return need, nil
	})
}

// isForumType reports whether a channel of type t takes posts, not
// messages: a forum or a media channel.
func isForumType(t discordgo.ChannelType) bool {
	return t == discordgo.ChannelTypeGuildForum || t == discordgo.ChannelTypeGuildMedia
}

// WrongChannelTypeError says that a config destination's forum: setting
// does not match its channel: Discord refuses (400) a message posted to a
// forum and a post opened in a channel that is none, so each alert would
// be dropped.
type WrongChannelTypeError struct {
	Channel string
	Forum   bool // the channel is a forum, and the destination says not
}

func (e *WrongChannelTypeError) Error() string {
	if e.Forum {
		return fmt.Sprintf("newshound cannot post alerts in %s: it is a forum: set forum: true on the destination, so that each story opens a post.", e.Channel)
	}
	return fmt.Sprintf("newshound cannot post alerts in %s: it is not a forum: leave out forum: true, or give a forum's channel_id.", e.Channel)
}

func (e *WrongChannelTypeError) Is(target error) bool { return target == notify.ErrCannotPost }

// checkChannel returns an error when the bot cannot post alerts in
// channel id: need's error when the channel is not of a kind that takes
// them; a *MissingPermissionsError when it lacks a permission need names
// for the channel, computed by discordgo from the guild's roles, the
// bot's and the channel's overwrites (a thread's are its parent's; an
// administrator has them all), from the gateway's state when it has them,
// else asked of Discord; a *ShutThreadError for a locked thread or a
// private one the bot is not a member of; an *UnknownChannelError. A
// channel the bot may not even look at is told of as hint (what an
// interaction resolved, a config's thread, or nil) allows, see
// hiddenError. Any other failure to check is returned as it is, wrapped.
func checkChannel(ctx context.Context, s *discordgo.Session, id string, hint *discordgo.Channel, need func(*discordgo.Channel) (int64, error)) error {
	botID, err := botUserID(ctx, s)
	if err != nil {
		return err
	}
	ch, err := channelOf(ctx, s, id)
	if err != nil {
		if restStatus(err) == http.StatusForbidden {
			return hiddenError(ctx, s, id, hint)
		}
		return permissionError(id, nil, discordgo.PermissionViewChannel, err)
	}
	needed, err := need(ch)
	if err != nil {
		return err
	}
	in := ch.ID
	if ch.IsThread() {
		in = ch.ParentID
	}
	perms, err := s.UserChannelPermissions(botID, in, discordgo.WithContext(ctx))
	if err != nil {
		return permissionError(id, ch, discordgo.PermissionViewChannel, err)
	}
	// An administrator may do everything, overwrites or not; discordgo
	// gives it PermissionAll, which lacks the newer permissions (Send
	// Messages in Threads among them).
	if perms&discordgo.PermissionAdministrator != 0 {
		return nil
	}
	if missing := needed &^ perms; missing != 0 {
		return permissionError(id, ch, missing, nil)
	}
	if !ch.IsThread() || perms&discordgo.PermissionManageThreads != 0 {
		return nil
	}
	if ch.ThreadMetadata != nil && ch.ThreadMetadata.Locked {
		return &ShutThreadError{Channel: channelName(id, ch), Locked: true}
	}
	if ch.Type == discordgo.ChannelTypeGuildPrivateThread {
		_, err := s.ThreadMember(ch.ID, botID, false, discordgo.WithContext(ctx))
		switch restStatus(err) {
		case 0:
		case http.StatusNotFound, http.StatusForbidden:
			return &ShutThreadError{Channel: channelName(id, ch)}
		default:
			return fmt.Errorf("could not check whether newshound is a member of thread %s: %w", id, err)
		}
	}
	return nil
}

// hiddenError says why Discord hides channel id from the bot, as far as
// hint tells what it is. Nothing (a config's channel_id, a resumed
// watch's channel): a channel without View Channel or a private thread,
// which Discord hides alike. A private thread: the bot is not a member. A
// thread of a known channel: hidden as the channel is, when it is, else
// because it is private (a public thread is seen by all who see its
// channel). Another channel: the bot lacks View Channel there.
func hiddenError(ctx context.Context, s *discordgo.Session, id string, hint *discordgo.Channel) error {
	switch {
	case hint == nil:
		return &HiddenChannelError{ID: id}
	case hint.Type == discordgo.ChannelTypeGuildPrivateThread:
		return &ShutThreadError{Channel: channelName(id, hint)}
	case hint.IsThread() && hint.ParentID != "":
		view := func(*discordgo.Channel) (int64, error) { return discordgo.PermissionViewChannel, nil }
		// The channel of a thread is no thread: hidden, it lacks View Channel.
		if err := checkChannel(ctx, s, hint.ParentID, &discordgo.Channel{ID: hint.ParentID}, view); err != nil {
			return err
		}
		return &ShutThreadError{Channel: channelName(id, hint)}
	}
	return permissionError(id, hint, discordgo.PermissionViewChannel, nil)
}

// restStatus is the HTTP status of Discord's answer err carries, or 0
// when err is nil or no answer.
func restStatus(err error) int {
	var rerr *discordgo.RESTError
	if errors.As(err, &rerr) && rerr.Response != nil {
		return rerr.Response.StatusCode
	}
	return 0
}

// permissionError is the error for missing in channel id (ch when it
// could be read). err is the failure to read what the permissions are: a
// 403 says View Channel is missing, a 404 that there is no such channel;
// any other is returned as it is.
func permissionError(id string, ch *discordgo.Channel, missing int64, err error) error {
	switch restStatus(err) {
	case http.StatusForbidden:
	case http.StatusNotFound:
		return &UnknownChannelError{ID: id}
	default:
		if err != nil {
			return fmt.Errorf("could not check the bot's permissions in channel %s: %w", id, err)
		}
	}
	e := &MissingPermissionsError{Channel: channelName(id, ch)}
	for _, p := range permissionNames {
		if missing&p.bit != 0 {
			e.Missing = append(e.Missing, p.name)
		}
	}
	return e
}

// channelName is channel id as the user knows it: "#name" when ch has a
// name, else "channel id".
func channelName(id string, ch *discordgo.Channel) string {
	if ch != nil && ch.Name != "" {
		return "#" + ch.Name
	}
	return "channel " + id
}

// channelOf is channel id from the gateway's state, else from Discord.
func channelOf(ctx context.Context, s *discordgo.Session, id string) (*discordgo.Channel, error) {
	if s.State != nil {
		if ch, err := s.State.Channel(id); err == nil {
			return ch, nil
		}
	}
	return s.Channel(id, discordgo.WithContext(ctx))
}

// botUserID is the bot's user id, which READY announced, else asked of
// Discord and kept in the state as READY would keep it: the checks of a
// config's destinations run beside the gateway's opening, and would each
// ask again.
func botUserID(ctx context.Context, s *discordgo.Session) (string, error) {
	if st := s.State; st != nil {
		st.RLock()
		user := st.User
		st.RUnlock()
		if user != nil && user.ID != "" {
			return user.ID, nil
		}
	}
	u, err := s.User("@me", discordgo.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("discord: who am I: %w", err)
	}
	if st := s.State; st != nil && u.ID != "" {
		st.Lock()
		if st.User == nil {
			st.User = u
		}
		st.Unlock()
	}
	return u.ID, nil
}
