package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
)

func cmdSendTest(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := newFlags("send-test", out)
	configFlag := fs.String("config", "newshound.yaml", "config file (or give it as the argument)")
	dest := fs.String("destination", "", "the name of the destination to test, as in the config's destinations (required)")
	timeout := fs.Duration("timeout", 30*time.Second, "give up waiting for the destination's answer after this long")
	level := fs.String("log-level", "warn", "log level: debug, info, warn, error")
	if err := fs.parse(args); err != nil {
		return err
	}
	logger, err := newLogger(errOut, *level)
	if err != nil {
		return err
	}
	cfg, _, err := fs.loadConfig(*configFlag)
	if err != nil {
		return err
	}
	if *dest == "" {
		return usageError{"need --destination NAME; the config has: " + destinationNames(cfg)}
	}
	if *timeout <= 0 {
		return usageError{fmt.Sprintf("--timeout must be more than 0 (how long to wait for the destination's answer), got %v", *timeout)}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	return sendTest(ctx, cfg, *dest, env{logger: logger, console: out, now: time.Now}, out)
}

// sendTest posts a sample alert to the destination called name through
// the notifier the running service would use, and prints what the
// destination answered: the message id, or what went wrong in words that
// say what to fix.
func sendTest(ctx context.Context, cfg *config.Config, name string, e env, out io.Writer) error {
	i := slices.IndexFunc(cfg.Destinations, func(d config.Destination) bool { return d.Name == name })
	if i < 0 {
		// A wrong name is a wrong command line (exit 2), as none is; exit 1
		// says the destination did not take the alert.
		return usageError{fmt.Sprintf("--destination %s: the config has no destination of that name; it has: %s", name, destinationNames(cfg))}
	}
	d := cfg.Destinations[i]
	// Only this destination: another one's problem must not stop the test.
	one := *cfg
	one.Destinations = []config.Destination{d}
	ns, err := openNotifiers(&one, e)
	if err != nil {
		return err
	}
	now := e.now()
	m := notify.Message{Nonce: "send-test-" + strconv.FormatInt(now.UnixMilli(), 36), Alerts: []alert.Alert{sampleAlert(now)}}
	r, err := ns.byName[d.Name].Send(ctx, m)
	label := fmt.Sprintf("%s (%s)", d.Name, d.Type)
	if err != nil {
		fmt.Fprintf(out, "%s: not delivered: %v\n  %s\n", label, err, sendAdvice(d.Type, err))
		e.logger.Debug("send-test failed", "destination", d.Name, "err", err)
		return fmt.Errorf("destination %q did not take the test alert", d.Name)
	}
	switch {
	case r.MessageID != "":
		fmt.Fprintf(out, "%s: delivered, message id %s\n", label, r.MessageID)
	case d.Type == config.Console:
		fmt.Fprintf(out, "%s: delivered (printed above)\n", label)
	default:
		fmt.Fprintf(out, "%s: delivered (accepted; this destination returns no message id)\n", label)
	}
	return nil
}

// sampleAlert is the alert send-test posts: plainly a test, and shaped
// like a real one (a highlighted match, a link, an excerpt).
func sampleAlert(now time.Time) alert.Alert {
	title := "Test alert from newshound: this destination works"
	text := "newshound send-test posted this sample alert to check that the destination accepts alerts. Real alerts look like this one."
	return alert.Alert{
		Subscription: "send-test",
		Feed:         "newshound",
		FeedTitle:    "newshound send-test",
		Title:        title,
		TitleSpans:   []alert.Span{{Start: strings.Index(title, "Test"), End: strings.Index(title, "Test") + len("Test")}},
		Link:         "https://github.com/newshound/newshound",
		Text:         text,
		Published:    now.UTC().Truncate(time.Second),
		Matched:      []string{"Test"},
	}
}

// sendAdvice says what a failed send to a destination of type typ means
// and what to do about it. The advice on a 401, 403 or 404 is Discord's
// (its bot token, the bot's permissions): a Slack or a signed webhook
// refusing newshound gets the general advice.
func sendAdvice(typ string, err error) string {
	msg := err.Error()
	discord := typ == config.DiscordChannel || typ == config.DiscordWebhook
	var re *notify.RetryError
	switch {
	case discord && strings.Contains(msg, "HTTP 401"):
		return "401: the token was refused. Check the bot token (DISCORD_TOKEN, from the Developer Portal → Bot → Reset Token) or the webhook URL."
	case discord && strings.Contains(msg, "HTTP 403"):
		return "403: missing access. The bot needs View Channel, Send Messages and Embed Links in that channel (and to be in that server)."
	case discord && strings.Contains(msg, "HTTP 404"):
		return "404: the channel or webhook does not exist (deleted, or a wrong id or URL)."
	case errors.As(err, &re) && strings.Contains(msg, "429"), errors.As(err, &re) && strings.Contains(msg, "rate limit"):
		return fmt.Sprintf("429: rate limited; the destination asks to wait %s. Try again then.", re.After.Round(time.Second))
	case errors.As(err, &re):
		return fmt.Sprintf("a temporary failure; the service would retry in %s.", re.After.Round(time.Second))
	case errors.Is(err, notify.ErrGone):
		return "the destination refuses newshound until its settings are fixed; the running service would pause it."
	case errors.Is(err, notify.ErrRejected):
		return "the destination refused this message as malformed; the running service would drop such an alert."
	}
	return "a network error or a failure on the destination's side; the running service would retry with back-off."
}

func destinationNames(cfg *config.Config) string {
	names := make([]string, len(cfg.Destinations))
	for i, d := range cfg.Destinations {
		names[i] = d.Name
	}
	if len(names) == 0 {
		return "no destinations"
	}
	return strings.Join(names, ", ")
}
