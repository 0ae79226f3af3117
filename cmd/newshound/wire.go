package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/newshound/newshound/bot"
	"github.com/newshound/newshound/bot/discord"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/bot/notify/email"
	"github.com/newshound/newshound/bot/notify/slack"
	"github.com/newshound/newshound/bot/notify/webhook"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/store"
)

// This file is where a config becomes objects: the store, the fetchers,
// the notifiers and the Discord session, put together into a bot.Service.

// env is what the process gives the service: where logs and console alerts
// go, and (in tests) the HTTP transport to Discord.
type env struct {
	logger           *slog.Logger
	console          io.Writer             // console destination output
	discordTransport http.RoundTripper     // nil: http.DefaultTransport
	registry         prometheus.Registerer // nil: metrics are not exported
	now              func() time.Time
	wrapStore        func(store.Store) store.Store // nil: the store as opened (tests watch it)
}

// openService builds the service a config describes. The returned func
// closes what it opened.
func openService(ctx context.Context, cfg *config.Config, e env) (*bot.Service, func() error, error) {
	st, err := openStore(ctx, cfg.Store)
	if err != nil {
		// Not a bad config: the store is held by another process, was
		// migrated by a newer newshound, or cannot be reached.
		return nil, nil, exitError{exitStore, err.Error()}
	}
	if e.wrapStore != nil {
		st = e.wrapStore(st)
	}
	ns, err := openNotifiers(cfg, e)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	fetcher, watchFetcher := newFetchers(cfg.Defaults)
	svc, err := bot.New(ctx, bot.Options{
		Config: cfg, Store: st, Notifiers: ns.byName, Channel: ns.channel, Forum: ns.forum, Discord: ns.session, DiscordLimiter: ns.limiter,
		Fetcher: fetcher, WatchFetcher: watchFetcher, Parser: newParser(cfg.Defaults, true),
		Logger: e.logger, Now: e.now, Registry: e.registry,
	})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return svc, st.Close, nil
}

func openStore(ctx context.Context, c config.Store) (store.Store, error) {
	switch c.Driver {
	case "sqlite":
		return store.OpenSQLite(ctx, c.Path)
	case "postgres":
		return store.OpenPostgres(ctx, c.DSN)
	default:
		return nil, fmt.Errorf("store driver %q is not supported", c.Driver)
	}
}

// newFetchers makes the feed fetcher the config asks for, and the one for
// feeds added from Discord, which always goes through the SSRF guard.
func newFetchers(d config.Defaults) (fetcher, watchFetcher *feeds.Fetcher) {
	o := fetcherOptions(d)
	fetcher = feeds.NewFetcher(o)
	o.AllowPrivate = false
	return fetcher, feeds.NewFetcher(o)
}

// newParser makes the feed parser with the config's limits. A lazy one
// leaves the text of items unread until FillText: the poller reads only
// what is new.
func newParser(d config.Defaults, lazy bool) *feeds.Parser {
	return feeds.NewParserWith(feeds.ParserOptions{MaxItems: d.MaxItems, MaxDepth: d.MaxDepth, MaxElements: d.MaxElements, LazyText: lazy})
}

// fetcherOptions passes the config's fetch settings on as they are.
func fetcherOptions(d config.Defaults) feeds.FetcherOptions {
	return feeds.FetcherOptions{
		Version:            version,
		UserAgent:          d.UserAgent,
		MaxBodyBytes:       d.MaxBodyBytes,
		Timeout:            d.Timeout,
		AllowPrivate:       d.AllowPrivateNetworks,
		ProxyResolvesNames: d.ProxyResolvesNames,
		HostConcurrency:    d.HostConcurrency,
		HostGap:            d.HostGap,
	}
}

// notifiers are the destinations' notifiers, and (with a bot token) the
// makers of notifiers for the channels and forums that watches post to.
type notifiers struct {
	byName  map[string]notify.Notifier
	channel func(channelID string) notify.Notifier
	forum   func(channelID string) notify.Notifier
	session *discordgo.Session
	limiter *discord.Limiter // the session's
}

// openNotifiers makes one notifier per destination. All Discord
// destinations share one session and one rate limiter, as Discord counts
// limits per token and per IP.
func openNotifiers(cfg *config.Config, e env) (notifiers, error) {
	out := map[string]notify.Notifier{}
	var session *discordgo.Session
	var limiter *discord.Limiter
	discordSession := func() (*discordgo.Session, error) {
		if session != nil {
			return session, nil
		}
		s, err := discord.NewSession(cfg.Discord.Token, cfg.Discord.APIBase, e.discordTransport)
		if err != nil {
			return nil, err
		}
		session, limiter = s, discord.NewLimiter(discord.LimiterConfig{Logger: e.logger})
		return s, nil
	}
	for _, d := range cfg.Destinations {
		switch d.Type {
		case config.Console:
			out[d.Name] = notify.NewConsole(e.console)
		case config.DiscordWebhook, config.DiscordChannel:
			s, err := discordSession()
			if err != nil {
				return notifiers{}, err
			}
			n, err := discord.NewDestinationNotifier(s, d, limiter, discord.WithStoryThreads(d.Threads))
			if err != nil {
				return notifiers{}, fmt.Errorf("destination %q: %w", d.Name, err)
			}
			out[d.Name] = n
		case config.SlackWebhook, config.Email, config.Webhook:
			n, err := openOtherNotifier(d, e)
			if err != nil {
				return notifiers{}, fmt.Errorf("destination %q: %w", d.Name, err)
			}
			out[d.Name] = n
		default:
			return notifiers{}, fmt.Errorf("destination %q: unknown type %q", d.Name, d.Type)
		}
	}
	ns := notifiers{byName: out}
	if cfg.Discord.Token != "" {
		s, err := discordSession()
		if err != nil {
			return notifiers{}, err
		}
		ns.channel = func(id string) notify.Notifier { return discord.NewChannelNotifier(s, id, limiter) }
		ns.forum = func(id string) notify.Notifier {
			n, err := discord.NewDestinationNotifier(s, config.Destination{Type: config.DiscordChannel, ChannelID: id, Forum: true}, limiter)
			if err != nil { // a forum channel id cannot be refused; keep the sender's contract anyway
				return failing{err}
			}
			return n
		}
	}
	ns.session, ns.limiter = session, limiter
	return ns, nil
}

// failing is a notifier that could not be made: every send says why.
type failing struct{ err error }

func (f failing) Send(context.Context, notify.Message) (notify.Receipt, error) {
	return notify.Receipt{}, fmt.Errorf("%w: %v", notify.ErrGone, f.err)
}

// openOtherNotifier makes the notifier of a destination outside Discord.
func openOtherNotifier(d config.Destination, e env) (notify.Notifier, error) {
	switch d.Type {
	case config.SlackWebhook:
		return slack.New(d.WebhookURL, slack.Options{})
	case config.Email:
		return email.New(email.Config{
			Host: d.SMTP.Host, Port: d.SMTP.Port, TLS: d.SMTP.TLS, Username: d.SMTP.Username, Password: d.SMTP.Password,
			// the destination's name tells which to: list a refusal is about
			From: d.SMTP.From, To: d.SMTP.To, Logger: e.logger.With("destination", d.Name),
		})
	case config.Webhook:
		return webhook.New(d.URL, d.Secret, webhook.Options{})
	}
	return nil, fmt.Errorf("unknown type %q", d.Type)
}
