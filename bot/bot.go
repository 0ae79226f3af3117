// Package bot owns the running service: the poll loop that fetches due
// feeds and turns new matching items into outbox rows, the outbox sender
// that delivers them through notifiers (console, Discord webhook, Discord
// bot channel), and the Discord slash-command watches. It wires feeds,
// filters, store and config together and parses neither feeds nor queries
// itself.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/newshound/newshound/bot/discord"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/store"
)

// Options wires a Service. Config, Store and Notifiers are required.
type Options struct {
	Config    *config.Config
	Store     store.Store
	Notifiers map[string]notify.Notifier // by destination name
	// Channel returns the notifier for a Discord channel that a watch
	// delivers to. Nil when no bot token is configured.
	Channel func(channelID string) notify.Notifier
	// Discord is the bot's session. With it and discord.commands enabled,
	// Run opens the gateway and answers the /watch slash commands.
	Discord *discordgo.Session
	Fetcher *feeds.Fetcher // default: built from Config.Defaults
	// WatchFetcher fetches feeds that Discord users add. Default: like
	// Fetcher but always with the SSRF guard on, whatever the config says.
	WatchFetcher *feeds.Fetcher
	Parser       *feeds.Parser    // default: feeds.NewParser()
	Logger       *slog.Logger     // default: slog.Default()
	Now          func() time.Time // default: time.Now
	Workers      int              // concurrent feed polls; default 8
	// ShutdownGrace bounds how long in-flight deliveries may continue after
	// the run context is cancelled. Default 10s.
	ShutdownGrace time.Duration
	// Registry, when set, exports the service's metrics (Prometheus).
	Registry prometheus.Registerer
	// RetryBase is the first retry delay after a failed delivery; it
	// doubles per attempt up to RetryMax. Defaults 5s and 10m.
	RetryBase, RetryMax time.Duration
}

// Service is a running newshound.
type Service struct {
	cfg          *config.Config
	store        store.Store
	notifiers    map[string]notify.Notifier
	channel      func(channelID string) notify.Notifier
	discord      *discordgo.Session
	owner        string // this instance's name in leases
	fetcher      *feeds.Fetcher
	watchFetcher *feeds.Fetcher
	parser       *feeds.Parser
	log          *slog.Logger
	now          func() time.Time
	workers      int
	grace        time.Duration
	retryBase    time.Duration
	retryMax     time.Duration
	burst        int           // more pending alerts than this go as bursts
	gatewayTerm  time.Duration // how long the gateway lease lasts unrenewed
	metrics      *metrics

	rebuildMu sync.Mutex // serializes rebuilds of subs
	mu        sync.RWMutex
	subs      *subscriptions         // swapped whole when watches change
	paused    map[string]string      // destination -> reason it was paused
	recent    map[string]*feeds.Feed // feed ID -> last parsed copy, for /watch test
	warned    map[string]bool        // problems already reported, by key
	wake      chan struct{}          // pokes the sender after a poll enqueued alerts
}

// New checks the options and builds the subscriptions' matcher.
func New(ctx context.Context, o Options) (*Service, error) {
	if o.Config == nil || o.Store == nil {
		return nil, errors.New("bot: Config and Store are required")
	}
	s := &Service{
		cfg:          o.Config,
		store:        o.Store,
		notifiers:    o.Notifiers,
		channel:      o.Channel,
		discord:      o.Discord,
		owner:        instanceName(),
		metrics:      newMetrics(o.Registry),
		fetcher:      o.Fetcher,
		watchFetcher: o.WatchFetcher,
		parser:       o.Parser,
		log:          o.Logger,
		now:          o.Now,
		workers:      o.Workers,
		grace:        o.ShutdownGrace,
		retryBase:    o.RetryBase,
		retryMax:     o.RetryMax,
		paused:       map[string]string{},
		recent:       map[string]*feeds.Feed{},
		warned:       map[string]bool{},
		wake:         make(chan struct{}, 1),
	}
	s.fillDefaults()
	for _, d := range s.cfg.Destinations {
		if _, ok := s.notifiers[d.Name]; !ok {
			return nil, fmt.Errorf("bot: no notifier for destination %q", d.Name)
		}
	}
	if err := s.reloadSubscriptions(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Service) fillDefaults() {
	if s.fetcher == nil {
		s.fetcher = NewFetcher(s.cfg.Defaults)
	}
	if s.watchFetcher == nil {
		guarded := s.cfg.Defaults
		guarded.AllowPrivateNetworks = false
		s.watchFetcher = NewFetcher(guarded)
	}
	if s.parser == nil {
		s.parser = feeds.NewParser()
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.workers <= 0 {
		s.workers = 8
	}
	if s.grace <= 0 {
		s.grace = 10 * time.Second
	}
	if s.retryBase <= 0 {
		s.retryBase = 5 * time.Second
	}
	if s.gatewayTerm <= 0 {
		s.gatewayTerm = 2 * time.Minute
	}
	s.burst = s.cfg.Discord.Burst
	if s.burst <= 0 {
		s.burst = 5
	}
	if s.retryMax <= 0 {
		s.retryMax = 10 * time.Minute
	}
}

// Watches is what the Discord /watch commands manage.
func (s *Service) Watches() discord.Watches { return watches{s} }

// NewFetcher builds the feed fetcher the configuration asks for.
func NewFetcher(d config.Defaults) *feeds.Fetcher {
	return feeds.NewFetcher(feeds.FetcherOptions{
		UserAgent:       d.UserAgent,
		MaxBodyBytes:    d.MaxBodyBytes,
		Timeout:         d.Timeout,
		AllowPrivate:    d.AllowPrivateNetworks,
		HostConcurrency: d.HostConcurrency,
		HostGap:         d.HostGap,
	})
}

// RunOnce polls every enabled feed once, whatever its schedule, then
// delivers everything pending and returns. It is what `run --once` and
// cron jobs use.
func (s *Service) RunOnce(ctx context.Context) error {
	s.pollAll(ctx, s.currentSubs().feedList())
	err := s.deliverAll(ctx)
	s.prune(ctx)
	return err
}

// Run polls feeds on their schedules and delivers alerts until ctx is
// cancelled. Deliveries in flight when ctx ends get ShutdownGrace to finish.
func (s *Service) Run(ctx context.Context) error {
	sendCtx, stopSending := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSending()
	senderDone := make(chan struct{})
	go func() {
		defer close(senderDone)
		s.sendLoop(ctx, sendCtx)
	}()

	// The gateway may take a while to open (or never): polling does not
	// wait for it.
	commandsDone := make(chan struct{})
	go func() {
		defer close(commandsDone)
		s.runCommands(ctx)
	}()
	defer func() { <-commandsDone }()
	go s.pruneLoop(ctx)
	s.pollLoop(ctx)
	s.log.Info("stopping: polls ended; deliveries in flight may finish", "grace", s.grace)

	timer := time.NewTimer(s.grace)
	defer timer.Stop()
	select {
	case <-senderDone:
	case <-timer.C:
		s.log.Warn("shutdown: deliveries still in flight after grace period; they stay in the outbox", "grace", s.grace)
		stopSending()
		<-senderDone
	}
	return nil
}

// gatewayLease names the lease that lets one instance of several sharing a
// store open the Discord gateway: two would each answer every command.
const gatewayLease = "discord:gateway"

// runCommands answers the /watch slash commands until ctx ends, when the
// config asks for them. Only the instance holding the gateway lease opens
// the gateway; the others wait, and take over when it goes away. A failure
// to open is logged and retried: alerts do not depend on it.
func (s *Service) runCommands(ctx context.Context) {
	if s.discord == nil || !s.cfg.Discord.Commands {
		return
	}
	for {
		if s.claim(ctx, gatewayLease, s.gatewayTerm) {
			s.serveCommands(ctx)
		}
		select {
		case <-ctx.Done():
			s.release(ctx, gatewayLease)
			return
		case <-time.After(s.gatewayTerm / 2):
		}
	}
}

// serveCommands opens the gateway and keeps the lease until ctx ends or
// the lease is lost.
func (s *Service) serveCommands(ctx context.Context) {
	cmds := discord.NewCommands(s.discord, s.Watches(), s.log)
	stop, err := cmds.Start(ctx, s.cfg.Discord.Guilds)
	if err != nil {
		s.log.Error("Discord slash commands unavailable; alerts still go out; retrying", "err", err)
		return
	}
	defer stop()
	s.log.Info("Discord slash commands ready", "guilds", s.cfg.Discord.Guilds)
	renew := time.NewTicker(s.gatewayTerm / 3)
	defer renew.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-renew.C:
			if !s.claim(ctx, gatewayLease, s.gatewayTerm) {
				s.log.Warn("another instance holds the Discord gateway now; closing ours")
				return
			}
		}
	}
}

// Retention is how long state no longer needed is kept: seen keys of items
// gone from their feed, and delivered or dropped alerts.
const Retention = 30 * 24 * time.Hour

// pruneLoop forgets old state once at start and then daily, so the
// database does not grow without bound.
func (s *Service) pruneLoop(ctx context.Context) {
	t := time.NewTicker(24 * time.Hour)
	defer t.Stop()
	for {
		s.prune(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Service) prune(ctx context.Context) {
	if err := s.store.Prune(ctx, s.now().Add(-Retention)); err != nil && ctx.Err() == nil {
		s.log.Error("pruning old state", "err", err)
	}
}

// warnOnce logs a warning the first time key is seen in this process, and
// at debug level after that, so a lasting condition does not flood the log.
func (s *Service) warnOnce(key, msg string, args ...any) {
	s.mu.Lock()
	seen := s.warned[key]
	s.warned[key] = true
	s.mu.Unlock()
	if seen {
		s.log.Debug(msg, args...)
		return
	}
	s.log.Warn(msg, args...)
}
