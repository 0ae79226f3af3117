package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/newshound/newshound/internal/redact"
)

// This file decodes the keys that belong to one kind of destination, and
// checks that each destination has the keys its type needs.

// keyTypes says which destination types use each type-specific key.
var keyTypes = map[string][]string{
	"webhook_url": {DiscordWebhook, SlackWebhook},
	"channel_id":  {DiscordChannel},
	"url":         {Webhook},
	"secret":      {Webhook},
	"smtp_host":   {Email},
	"smtp_port":   {Email},
	"tls":         {Email},
	"username":    {Email},
	"password":    {Email},
	"from":        {Email},
	"to":          {Email},
	"thread_id":   {DiscordChannel, DiscordWebhook},
	"forum":       {DiscordChannel, DiscordWebhook},
	"tags":        {DiscordChannel, DiscordWebhook},
	"threads":     {DiscordChannel},
}

// typeNeeds lists the keys each destination type cannot do without.
var typeNeeds = map[string][]string{
	DiscordWebhook: {"webhook_url"},
	DiscordChannel: {"channel_id"},
	SlackWebhook:   {"webhook_url"},
	Webhook:        {"url", "secret"},
	Email:          {"smtp_host", "from", "to"},
}

// maxForumTags is the most tags Discord applies to one forum post.
const maxForumTags = 5

// minSecret is the shortest webhook secret accepted: a short HMAC key can
// be guessed from signed requests.
const minSecret = 16

// destinationKeys decodes the type-specific keys into dest. Whether the
// type uses them is checked afterwards, when the type is known.
func (d *decoder) destinationKeys(dest *Destination) map[string]fieldFunc {
	return map[string]fieldFunc{
		"webhook_url": func(v *yaml.Node) { setIf(&dest.WebhookURL)(d.nonEmpty("webhook_url", v)) },
		"channel_id":  func(v *yaml.Node) { setIf(&dest.ChannelID)(d.snowflake("channel_id", v)) },
		"url":         func(v *yaml.Node) { setIf(&dest.URL)(d.webhookURL("url", v)) },
		"secret": func(v *yaml.Node) {
			s, ok := d.nonEmpty("secret", v)
			if ok && len(s) < minSecret {
				d.errorf(v, "secret: must be at least %d characters, got %d (e.g. the output of openssl rand -hex 32)", minSecret, len(s))
				return
			}
			setIf(&dest.Secret)(s, ok)
		},
		"thread_id": func(v *yaml.Node) { setIf(&dest.ThreadID)(d.snowflake("thread_id", v)) },
		"forum":     func(v *yaml.Node) { setIf(&dest.Forum)(d.boolean("forum", v)) },
		"threads":   func(v *yaml.Node) { setIf(&dest.Threads)(d.boolean("threads", v)) },
		"tags": func(v *yaml.Node) {
			d.list("tags", v, func(_ int, el *yaml.Node) {
				if id, ok := d.snowflake("tags", el); ok {
					dest.Tags = append(dest.Tags, id)
				}
			})
			if len(dest.Tags) > maxForumTags {
				d.errorf(v, "tags: a forum post takes at most %d tags, got %d", maxForumTags, len(dest.Tags))
			}
		},
		"smtp_host": func(v *yaml.Node) { setIf(&dest.SMTP.Host)(d.smtpHost(v)) },
		"smtp_port": func(v *yaml.Node) {
			port, ok := d.integer("smtp_port", v, 1)
			if ok && port > 65535 {
				d.errorf(v, "smtp_port: must be at most 65535, got %d", port)
				return
			}
			setIf(&dest.SMTP.Port)(port, ok)
		},
		"tls": func(v *yaml.Node) {
			modes := []string{StartTLS, ImplicitTLS, NoTLS}
			mode, ok := d.str("tls", v)
			if ok && !slices.Contains(modes, mode) {
				d.errorf(v, "tls: expected starttls, implicit or none, got %q%s", mode, suggestion(mode, modes))
				return
			}
			setIf(&dest.SMTP.TLS)(mode, ok)
		},
		"username": func(v *yaml.Node) { setIf(&dest.SMTP.Username)(d.nonEmpty("username", v)) },
		"password": func(v *yaml.Node) { setIf(&dest.SMTP.Password)(d.nonEmpty("password", v)) },
		"from":     func(v *yaml.Node) { setIf(&dest.SMTP.From)(d.address("from", v)) },
		"to": func(v *yaml.Node) {
			if v.Kind == yaml.ScalarNode { // one address needs no list
				if a, ok := d.address("to", v); ok {
					dest.SMTP.To = []string{a}
				}
				return
			}
			d.list("to", v, func(_ int, el *yaml.Node) {
				if a, ok := d.address("to", el); ok {
					dest.SMTP.To = append(dest.SMTP.To, a)
				}
			})
			if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
				d.errorf(v, "to: the list is empty")
			}
		},
	}
}

// destinationKinds checks the keys each destination type needs, fills in
// defaults, and refuses keys another type uses, which would otherwise be
// ignored in silence.
func (d *decoder) destinationKinds(n *yaml.Node, dest *Destination, dc Discord, given map[string]*yaml.Node) {
	if dest.Type == "" {
		return // missing or invalid type: already reported
	}
	for _, key := range inFileOrder(given) {
		if users := keyTypes[key]; !slices.Contains(users, dest.Type) {
			d.errorf(given[key], "%s: only used by %s, not %s", key, typeList(users), dest.Type)
		}
	}
	var missing []string
	for _, key := range typeNeeds[dest.Type] {
		if given[key] == nil && !hasKey(n, key) { // an empty one is reported already
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		d.errorf(n, "%s: type %s needs %s", label("destination", dest.Name), dest.Type, strings.Join(missing, ", "))
	}
	switch dest.Type {
	case DiscordWebhook:
		if dest.WebhookURL == "" {
			return
		}
		id, token, err := ParseWebhookURL(strings.TrimSpace(dest.WebhookURL), dc.APIBase)
		if err != nil {
			d.errorf(given["webhook_url"], "%v", err)
			return
		}
		dest.WebhookID, dest.WebhookToken = id, token
		d.threadKeys(dest, given)
	case DiscordChannel:
		d.threadKeys(dest, given)
		if dc.Token == "" {
			d.errorf(n, "%s: type discord-channel needs discord.token (the bot token, e.g. token: ${DISCORD_TOKEN})", label("destination", dest.Name))
		}
	case SlackWebhook:
		if dest.WebhookURL != "" {
			if err := checkHTTPURL(strings.TrimSpace(dest.WebhookURL)); err != nil {
				d.errorf(given["webhook_url"], "webhook_url %q: %v (want https://hooks.slack.com/services/…)", redact.Endpoint(dest.WebhookURL), err)
				dest.WebhookURL = ""
			}
		}
	case Email:
		d.smtpDefaults(n, dest, given)
	}
}

// threadKeys checks that a destination is a thread or a forum, not both,
// and that only a forum has tags.
func (d *decoder) threadKeys(dest *Destination, given map[string]*yaml.Node) {
	switch {
	case dest.ThreadID != "" && dest.Forum:
		d.errorf(given["thread_id"], "thread_id: a destination is a thread or a forum (forum: true opens a post per story), not both")
	case dest.Threads && dest.ThreadID != "":
		d.errorf(given["threads"], "threads: a thread cannot hold threads; leave out thread_id to open a thread per story in the channel")
	case len(dest.Tags) > 0 && !dest.Forum:
		d.errorf(given["tags"], "tags: only a forum's posts take tags (add forum: true)")
	}
}

// smtpDefaults fills in the TLS mode and port, and refuses a password sent
// in clear over a network.
func (d *decoder) smtpDefaults(n *yaml.Node, dest *Destination, given map[string]*yaml.Node) {
	s := &dest.SMTP
	if s.TLS == "" {
		s.TLS = StartTLS
	}
	if s.Port == 0 {
		s.Port = DefaultSMTPPort(s.TLS)
	}
	switch {
	case given["username"] != nil && given["password"] == nil:
		d.errorf(given["username"], "username: needs password too (e.g. password: ${SMTP_PASSWORD})")
	case given["password"] != nil && given["username"] == nil:
		d.errorf(given["password"], "password: needs username too")
	case s.Username != "" && s.TLS == NoTLS && s.Host != "" && !isLoopback(s.Host):
		d.errorf(given["username"], "username: tls: none would send the password in clear to %s; use tls: starttls or implicit", s.Host)
	}
	if p := given["smtp_port"]; p != nil && s.Port == DefaultSMTPPort(ImplicitTLS) && s.TLS != ImplicitTLS {
		// The server waits for a TLS handshake and newshound for its
		// greeting: each mail would time out. A warning, not an error:
		// some relay may speak plain SMTP there.
		d.warnAt(posOf(p), "smtp_port: %d is SMTPS, TLS from the first byte; add tls: implicit (tls is %s)", s.Port, s.TLS)
	}
	if p := given["smtp_port"]; p != nil && (s.Port == 587 || s.Port == 25) && s.TLS == ImplicitTLS {
		// The server greets in clear and the handshake fails on it: the
		// notifier pauses the destination at its first mail.
		d.warnAt(posOf(p), "smtp_port: %d greets in clear, not TLS from the first byte; set tls: starttls (tls is implicit: each mail's handshake fails, and the destination is paused)", s.Port)
	}
}

// webhookURL reads an http(s) URL.
func (d *decoder) webhookURL(key string, v *yaml.Node) (string, bool) {
	s, ok := d.nonEmpty(key, v)
	if !ok {
		return "", false
	}
	s = strings.TrimSpace(s)
	if err := checkHTTPURL(s); err != nil {
		d.errorf(v, "%s %q: %v", key, redact.Endpoint(s), err)
		return "", false
	}
	return s, true
}

func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("not a URL")
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("expected an http(s) URL")
	case u.Host == "":
		return fmt.Errorf("has no host")
	}
	return nil
}

// smtpHost reads a host name or IP address, without a port or scheme.
func (d *decoder) smtpHost(v *yaml.Node) (string, bool) {
	s, ok := d.nonEmpty("smtp_host", v)
	if !ok {
		return "", false
	}
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "/: \t") && net.ParseIP(s) == nil {
		d.errorf(v, "smtp_host: expected a host name like smtp.example.org (the port goes in smtp_port), got %q", s)
		return "", false
	}
	return s, true
}

// address reads one mail address: "alerts@example.org" or
// "Desk <desk@example.org>".
func (d *decoder) address(key string, v *yaml.Node) (string, bool) {
	s, ok := d.nonEmpty(key, v)
	if !ok {
		return "", false
	}
	a, err := mail.ParseAddress(strings.TrimSpace(s))
	if err != nil {
		d.errorf(v, "%s: %q is not a mail address (write desk@example.org or \"Desk <desk@example.org>\")", key, s)
		return "", false
	}
	return a.String(), true
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// typeList names destination types in messages: "type console" or "types
// discord-webhook and slack-webhook".
func typeList(types []string) string {
	if len(types) == 1 {
		return "type " + types[0]
	}
	return "types " + strings.Join(types[:len(types)-1], ", ") + " and " + types[len(types)-1]
}

// inFileOrder returns the keys of m in the order they appear in the file.
func inFileOrder(m map[string]*yaml.Node) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if m[a].Line != m[b].Line {
			return m[a].Line - m[b].Line
		}
		return m[a].Column - m[b].Column
	})
	return keys
}
