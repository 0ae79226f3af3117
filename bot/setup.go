package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/bwmarrin/discordgo"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/newshound/newshound/bot/discord"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/filters"
	"github.com/newshound/newshound/store"
)

// Env is what the process gives the service: where logs and console alerts
// go, and (in tests) the HTTP transport to Discord.
type Env struct {
	Logger           *slog.Logger
	Console          io.Writer             // console destination output
	DiscordTransport http.RoundTripper     // nil: http.DefaultTransport
	Registry         prometheus.Registerer // nil: metrics are not exported
}

// Open builds a Service from a loaded config: it opens the store and the
// notifiers of every destination. The returned func closes them.
func Open(ctx context.Context, cfg *config.Config, env Env) (*Service, func() error, error) {
	st, err := openStore(ctx, cfg.Store)
	if err != nil {
		return nil, nil, err
	}
	notifiers, channel, session, err := openNotifiers(cfg, env)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	svc, err := New(ctx, Options{Config: cfg, Store: st, Notifiers: notifiers, Channel: channel, Discord: session, Logger: env.Logger, Registry: env.Registry})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return svc, st.Close, nil
}

func openStore(ctx context.Context, c config.Store) (store.Store, error) {
	switch c.Driver {
	case "", "sqlite":
		return store.OpenSQLite(ctx, c.Path)
	case "postgres":
		return store.OpenPostgres(ctx, c.DSN)
	default:
		return nil, fmt.Errorf("store driver %q is not supported", c.Driver)
	}
}

// openNotifiers makes one notifier per destination. All Discord
// destinations share one session and one rate limiter, as Discord counts
// limits per token and per IP.
func openNotifiers(cfg *config.Config, env Env) (map[string]notify.Notifier, func(string) notify.Notifier, *discordgo.Session, error) {
	out := map[string]notify.Notifier{}
	var session *discordgo.Session
	var limiter *discord.Limiter
	discordSession := func() (*discordgo.Session, error) {
		if session != nil {
			return session, nil
		}
		s, err := discord.NewSession(cfg.Discord.Token, cfg.Discord.APIBase, env.DiscordTransport)
		if err != nil {
			return nil, err
		}
		session, limiter = s, discord.NewLimiter(discord.LimiterConfig{Logger: env.Logger})
		return s, nil
	}
	for _, d := range cfg.Destinations {
		switch d.Type {
		case config.Console:
			out[d.Name] = notify.NewConsole(env.Console)
		case config.DiscordWebhook:
			s, err := discordSession()
			if err != nil {
				return nil, nil, nil, err
			}
			n, err := discord.NewWebhookNotifier(s, d.WebhookURL, limiter)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("destination %q: %w", d.Name, err)
			}
			out[d.Name] = n
		case config.DiscordChannel:
			s, err := discordSession()
			if err != nil {
				return nil, nil, nil, err
			}
			out[d.Name] = discord.NewChannelNotifier(s, d.ChannelID, limiter)
		default:
			return nil, nil, nil, fmt.Errorf("destination %q: unknown type %q", d.Name, d.Type)
		}
	}
	var channel func(string) notify.Notifier
	if cfg.Discord.Token != "" {
		s, err := discordSession()
		if err != nil {
			return nil, nil, nil, err
		}
		channel = func(id string) notify.Notifier { return discord.NewChannelNotifier(s, id, limiter) }
	}
	return out, channel, session, nil
}

// ValidateQueries is a config.Validator: it parses every subscription's
// query and every define, and reports problems at their file:line:col.
func ValidateQueries(c *config.Config) []config.Problem {
	var problems []config.Problem
	for name, q := range c.Define {
		if _, err := filters.Parse(q, c.Define); err != nil {
			pos := c.DefinePos[name]
			problems = append(problems, queryProblem(c.Path, pos.Line, pos.Col, false, err))
		}
	}
	for _, s := range c.Subscriptions {
		if s.Query == "" {
			continue // config reports a missing query itself
		}
		set := filters.NewSet(c.Define)
		if err := set.Add(s.Name, s.Query); err != nil {
			problems = append(problems, queryProblem(c.Path, s.QueryLine, s.QueryCol, s.QueryVerbatim, err))
		}
	}
	return problems
}

// queryProblem places a query error in the file: at the offending
// character when the query stands verbatim on its line, else at the query's
// start (the caret picture below the message still points inside it).
func queryProblem(file string, line, col int, verbatim bool, err error) config.Problem {
	p := config.Problem{File: file, Line: line, Col: col, Msg: err.Error(), Err: err}
	var pe *filters.ParseError
	if errors.As(err, &pe) {
		if verbatim && pe.Pos > 0 {
			p.Col = col + pe.Pos - 1
		}
		p.Msg = pe.Msg + "\n" + pe.Caret()
	}
	return p
}
