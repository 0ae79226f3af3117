package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/bwmarrin/discordgo"
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
// channel a watch would post to; the watch is not saved.
type MissingPermissionsError struct {
	Channel string // as the user knows it: "#name", or its id
	Missing []string
}

func (e *MissingPermissionsError) Error() string {
	return fmt.Sprintf("newshound cannot post alerts in %s: it lacks %s there. Give its role %s in the channel's settings (Permissions), then try again. Nothing was saved.",
		e.Channel, strings.Join(e.Missing, ", "), map[bool]string{true: "this permission", false: "these permissions"}[len(e.Missing) == 1])
}

// checkPermissions returns a *MissingPermissionsError when the bot lacks a
// permission it needs (see neededPermissions) in channel id, computed by
// discordgo from the guild's roles, the bot's and the channel's overwrites
// (a thread's are its parent's; an administrator has them all): from the
// gateway's state when it has them, else asked of Discord. A channel the bot may not even look at is
// one where it lacks View Channel.
func (c *Commands) checkPermissions(ctx context.Context, id string) error {
	botID, err := c.botUserID(ctx)
	if err != nil {
		return err
	}
	ch, err := c.channel(ctx, id)
	if err != nil {
		return c.permissionError(id, nil, discordgo.PermissionViewChannel, err)
	}
	in := ch.ID
	if ch.IsThread() {
		in = ch.ParentID
	}
	perms, err := c.s.UserChannelPermissions(botID, in, discordgo.WithContext(ctx))
	if err != nil {
		return c.permissionError(id, ch, discordgo.PermissionViewChannel, err)
	}
	// An administrator may do everything, overwrites or not; discordgo
	// gives it PermissionAll, which lacks the newer permissions (Send
	// Messages in Threads among them).
	if perms&discordgo.PermissionAdministrator != 0 {
		return nil
	}
	if missing := neededPermissions(ch.Type) &^ perms; missing != 0 {
		return c.permissionError(id, ch, missing, nil)
	}
	return nil
}

// permissionError is the error for missing in channel id (ch when it
// could be read). err is the failure to read what the permissions are: a
// 403 says View Channel is missing; any other is returned as it is.
func (c *Commands) permissionError(id string, ch *discordgo.Channel, missing int64, err error) error {
	var rerr *discordgo.RESTError
	if err != nil && !(errors.As(err, &rerr) && rerr.Response != nil && rerr.Response.StatusCode == http.StatusForbidden) {
		return fmt.Errorf("could not check the bot's permissions in channel %s: %w", id, err)
	}
	name := "channel " + id
	if ch != nil && ch.Name != "" {
		name = "#" + ch.Name
	}
	e := &MissingPermissionsError{Channel: name}
	for _, p := range permissionNames {
		if missing&p.bit != 0 {
			e.Missing = append(e.Missing, p.name)
		}
	}
	return e
}

// channel is channel id from the gateway's state, else from Discord.
func (c *Commands) channel(ctx context.Context, id string) (*discordgo.Channel, error) {
	if c.s.State != nil {
		if ch, err := c.s.State.Channel(id); err == nil {
			return ch, nil
		}
	}
	return c.s.Channel(id, discordgo.WithContext(ctx))
}

// botUserID is the bot's user id, which READY announced.
func (c *Commands) botUserID(ctx context.Context) (string, error) {
	if st := c.s.State; st != nil {
		st.RLock()
		user := st.User
		st.RUnlock()
		if user != nil && user.ID != "" {
			return user.ID, nil
		}
	}
	u, err := c.s.User("@me", discordgo.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("discord: who am I: %w", err)
	}
	return u.ID, nil
}
