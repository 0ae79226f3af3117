package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/discord"
	"github.com/newshound/newshound/config"
)

// renderTarget finds what `preview --render SUBSCRIPTION[@DESTINATION]`
// shows: the subscription's format at that Discord destination (its first
// Discord one when none is named), and a writer of the payload as JSON.
func renderTarget(cfg *config.Config, path, name string) (*alert.Format, func(io.Writer, alert.Alert) error, error) {
	if path == "" {
		return nil, nil, usageError{"--render needs --config (the subscription and destination come from it)"}
	}
	subName, destName, at := strings.Cut(name, "@")
	switch {
	case subName == "":
		return nil, nil, usageError{fmt.Sprintf("--render %q: nothing before the @; name a subscription", name)}
	case at && destName == "":
		return nil, nil, usageError{fmt.Sprintf("--render %q: nothing after the @; name a destination, or leave the @ out", name)}
	}
	var sub *config.Subscription
	for i := range cfg.Subscriptions {
		if cfg.Subscriptions[i].Name == subName {
			sub = &cfg.Subscriptions[i]
		}
	}
	if sub == nil {
		return nil, nil, fmt.Errorf("--render: %s has no subscription %q", path, subName)
	}
	for _, t := range sub.Targets {
		d, ok := cfg.Destination(t.Destination)
		if !ok || (destName != "" && d.Name != destName) {
			continue
		}
		if d.Type != config.DiscordChannel && d.Type != config.DiscordWebhook {
			if destName != "" {
				return nil, nil, fmt.Errorf("--render: destination %q is %s; only Discord messages are rendered", destName, d.Type)
			}
			continue
		}
		format := alert.Format(t.Format)
		return &format, func(out io.Writer, a alert.Alert) error {
			a.Subscription, a.Color, a.MentionRole = sub.Name, format.Color, sub.MentionRole
			payload, err := discord.Payload(d, a)
			if err != nil {
				return err
			}
			b, err := json.MarshalIndent(payload, "", "  ")
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(out, "%s\n", b)
			return err
		}, nil
	}
	if destName != "" {
		return nil, nil, fmt.Errorf("--render: subscription %q does not deliver to %q", subName, destName)
	}
	return nil, nil, fmt.Errorf("--render: subscription %q has no Discord destination", subName)
}
