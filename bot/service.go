// Package bot owns the running service's I/O: the poller that fetches due
// feeds and commits their alerts, the outbox sender that delivers them
// through notifiers (console, Discord webhook, Discord bot channel), and
// the adapter that answers the Discord /watch commands. What matches and
// what an alert says is decided by the alerting core (package alert);
// turning a config into objects happens in cmd/newshound.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/newshound/newshound/bot/discord"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/internal/retryafter"
	"github.com/newshound/newshound/internal/statelog"
	"github.com/newshound/newshound/store"
)

// Options are the parts a Service is made of. Every value is used as
// given: Config's values are final (config resolved every default), and
// the fetchers and parser are built by the caller from the same config.
type Options struct {
	Config    *config.Config
	Store     store.Store
	Notifiers map[string]notify.Notifier // by destination name, one per Config.Destinations
	// Channel returns the notifier for a Discord channel (or thread) that
	// a watch delivers to, Forum the one for a forum channel. Nil when no
	// bot token is configured.
	Channel func(channelID string) notify.Notifier
	Forum   func(channelID string) notify.Notifier
	// Discord is the bot's session. With it and discord.commands on, Run
	// answers the /watch slash commands.
	Discord *discordgo.Session
	// DiscordLimiter is the Limiter of Discord's sends; the /watch
	// replies' invalid answers count in it too (nil: in none).
	DiscordLimiter *discord.Limiter
	Fetcher        *feeds.Fetcher
	// WatchFetcher fetches the feeds Discord users add: like Fetcher, but
	// always through the SSRF guard, whatever the config says.
	WatchFetcher *feeds.Fetcher
	Parser       *feeds.Parser
	Logger       *slog.Logger
	Now          func() time.Time
	// Registry, when set, exports the service's metrics (Prometheus).
	Registry prometheus.Registerer
}

// Service is a running newshound: a poller, a sender and, with a Discord
// bot, the /watch commands, sharing one live configuration.
type Service struct {
	settings *config.Config // what needs a restart; the reloadable part lives in live
	live     *live
	poller   *poller
	sender   *sender
	replans  *heldReplans
	watches  *watches
	leases   *leases
	discord  *discordgo.Session
	limiter  *discord.Limiter
	store    store.Store
	log      *slog.Logger
	now      func() time.Time
	// sleep waits d or until ctx ends (RunOnce's wait for digests that
	// clockSkew delays); tests advance their clock instead.
	sleep func(ctx context.Context, d time.Duration) error
}

// New checks the options and compiles the subscriptions.
func New(ctx context.Context, o Options) (*Service, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	cfg := o.Config
	// Only a destination that can edit what it posted lists a story's
	// further reports under its message; elsewhere each is a message, and
	// quiet hours, caps and headline dedupe apply to it as before.
	editable := func(dest string) bool {
		n, ok := destinationNotifier(o.Notifiers, o.Channel, o.Forum, dest)
		_, can := n.(notify.Editor)
		return ok && can
	}
	lv, err := newLive(ctx, o.Store, cfg, editable, o.Logger)
	if err != nil {
		return nil, err
	}
	m := newMetrics(o.Registry, o.Now)
	ls := newLeases(o.Store, cfg.Service.LeaseTTL, o.Logger)
	var recent *recentFeeds
	if o.Discord != nil && cfg.Discord.Commands {
		recent = newRecentFeeds()
	}
	capped, commits := &capLog{}, newCommitLock(ls, o.Now, o.Logger)
	snd := &sender{
		store: o.Store, notifiers: o.Notifiers, channel: o.Channel, forum: o.Forum, live: lv, leases: ls, log: o.Logger, now: o.Now,
		metrics: m, burst: cfg.Discord.Burst, retryBase: cfg.Service.RetryBase, retryMax: cfg.Service.RetryMax,
		nonceWindow: cfg.Service.NonceWindow, wake: make(chan struct{}, 1), storeErrs: statelog.NewAt(o.Logger, o.Now),
		leaseWaits: statelog.NewAt(o.Logger, o.Now), drops: statelog.NewAt(o.Logger, o.Now), pauses: statelog.NewAt(o.Logger, o.Now),
		paused: map[string]string{}, health: map[string]*destHealth{}, leaseFailing: map[string]bool{}, unrecorded: map[int64]string{}, warned: map[string]bool{},
		lastEdit: map[string]time.Time{}, editGap: editGap, dead: map[string]bool{}, capped: capped,
		commits: commits,
	}
	lv.watchesChanged = snd.takeInWatches
	replans := &heldReplans{store: o.Store, commits: commits, live: lv, now: o.Now, poke: snd.poke, log: o.Logger, errs: statelog.NewAt(o.Logger, o.Now)}
	pl := &poller{
		store: o.Store, fetcher: o.Fetcher, watchFetcher: o.WatchFetcher, parser: o.Parser, live: lv, leases: ls,
		recent: recent, log: o.Logger, now: o.Now, sleep: retryafter.Sleep, metrics: m, workers: cfg.Service.Workers, tick: pollTick,
		disableAfter: cfg.Defaults.DisableAfter, enqueued: snd.poke, storeErrs: statelog.NewAt(o.Logger, o.Now), leaseWaits: statelog.NewAt(o.Logger, o.Now), busyHosts: newBusyHosts(o.Logger, o.Now),
		states: newFeedStates(o.Store, !ls.shared()), stories: newStoryGroups(o.Store, ls.shared(), longestStoryWindow(cfg)),
		capped: capped, commits: commits, replans: replans,
	}
	if err := pl.stories.restore(ctx, o.Now()); err != nil {
		return nil, fmt.Errorf("restoring the story index: %w", err)
	}
	// The service keeps one live config: the reloadable part lives in lv;
	// its settings keep only what needs a restart.
	settings := *cfg
	settings.Live = config.Live{}
	return &Service{
		settings: &settings, live: lv, poller: pl, sender: snd, replans: replans, leases: ls, discord: o.Discord, limiter: o.DiscordLimiter, store: o.Store, log: o.Logger, now: o.Now, sleep: retryafter.Sleep,
		watches: &watches{store: o.Store, live: lv, poller: pl, sender: snd, recent: recent, destinations: o.Config.Destinations, log: o.Logger, now: o.Now},
	}, nil
}

func (o Options) check() error {
	var missing []string
	for name, ok := range map[string]bool{
		"Config": o.Config != nil, "Store": o.Store != nil, "Fetcher": o.Fetcher != nil, "WatchFetcher": o.WatchFetcher != nil,
		"Parser": o.Parser != nil, "Logger": o.Logger != nil, "Now": o.Now != nil,
	} {
		if !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("bot: Options need %s", strings.Join(missing, ", "))
	}
	if o.Config.Service.Workers < 1 {
		return errors.New("bot: Config.Service.Workers must be at least 1")
	}
	for _, d := range o.Config.Destinations {
		if _, ok := o.Notifiers[d.Name]; !ok {
			return fmt.Errorf("bot: no notifier for destination %q", d.Name)
		}
	}
	return nil
}

// Watches is what the Discord /watch commands manage.
func (s *Service) Watches() discord.Watches { return s.watches }

// OnceReport is what one RunOnce did.
type OnceReport struct {
	FeedsPolled, FeedsFailed int
	// FeedsStillFailing were not polled: backing off after a failure, or
	// disabled. Every feed fails when all those polled failed too.
	FeedsStillFailing int
	// FeedsElsewhere were not polled: another instance sharing the store
	// was polling them, so they are not known to fail.
	FeedsElsewhere     int
	NewItems, Enqueued int
	Delivered, Dropped int
	Pending            int  // alerts still in the outbox at the end
	MovesLost          int  // story moves not stored at the end, lost with the process: the store failed
	StoreFailed        bool // a read or write of the store failed

	// FeedsLeft were polled, but their new items are the next run's: the
	// poll gave up waiting for the stories lease another instance held.
	// Nothing failed.
	FeedsLeft int
}

// Trouble names the worst thing that went wrong, or "" when nothing did:
// the store failed, every feed failed, or alerts are left undelivered.
func (r OnceReport) Trouble() string {
	switch {
	case r.StoreFailed:
		return "store"
	case r.FeedsPolled+r.FeedsStillFailing > 0 && r.FeedsFailed == r.FeedsPolled && r.FeedsElsewhere == 0:
		return "feeds"
	case r.Pending > 0:
		return "delivery"
	}
	return ""
}

// RunOnce polls every enabled feed once, whatever its schedule (a feed
// whose host is busy waits for its turn: there is no later poll), then
// delivers everything pending and returns what it did. It checks the
// config's destinations but email meanwhile, as Run does at start (see
// checkDestinations). It is what
// `run --once` and cron jobs use. The leases it takes on a shared store
// are renewed while it runs, as under Run, so a pass longer than their ttl
// keeps its work from other instances; the renewing has ended when it
// returns.
func (s *Service) RunOnce(ctx context.Context) (OnceReport, error) {
	renewCtx, stopRenewing := context.WithCancel(ctx)
	var renewing sync.WaitGroup
	renewing.Go(func() { s.leases.renewLoop(renewCtx) })
	defer func() {
		stopRenewing()
		renewing.Wait()
	}()
	s.live.refresh(ctx)
	s.replans.atStart(ctx)
	s.sender.takeInWatches(ctx) // alerts left by removed watches (see sender.dropUnwatched)
	// The config's destinations are checked as Run checks them at start,
	// while the feeds are polled, and before anything is delivered; but
	// for email, whose check is a login and an envelope without a mail: a
	// cron job's run every few minutes would log in at each, which mail
	// providers limit and anti-spam reads as probing addresses, and the
	// run's own mail, if any, tells the same.
	var checking sync.WaitGroup
	checking.Go(func() { s.checkDestinations(ctx, notEmail) })
	cat := s.live.catalog()
	s.poller.forgetRemoved(ctx, cat, nil)
	s.poller.pollAll(ctx, cat.Feeds(), pollEvery)
	checking.Wait()
	// Before delivery: the destinations of moves still queued would wait.
	s.poller.storeQueuedMovesWithin(ctx, s.settings.Service.ShutdownGrace, s.sleep)
	s.sender.pollsOver.Store(true)
	s.sender.takeFormLater()
	// A signal during delivery lets the pass under way finish within the
	// shutdown grace, as under Run: a post cut off after it reached the
	// destination would be posted again by the next run.
	sendCtx, stopSending := s.sendingGrace(ctx)
	defer stopSending()
	// Each pass is reported as the loop's are: a wait for the stories
	// lease another instance holds leaves alerts in the outbox, but is no
	// failure of the store.
	deliverFailed := false
	deliver := func() {
		if s.sender.reportPass(sendCtx, s.sender.deliverAll(sendCtx)) {
			deliverFailed = true
		}
	}
	if ctx.Err() == nil {
		deliver()
	}
	if s.sender.deliverAgain.Swap(false) && ctx.Err() == nil {
		deliver()
	}
	if at := s.sender.takeFormLater(); !at.IsZero() && ctx.Err() == nil {
		// On a shared store a digest found due is formed clockSkew after
		// its time, and a story's further report waits leadGrace for its
		// first alert, which another instance may be committing; a run
		// has no later pass to leave them to.
		wait := at.Sub(s.now())
		s.log.Info("waiting for the digests that fell due to be formed and the reports waiting for their story's first alert (other instances share the store)", "wait", wait)
		if err := s.sleep(ctx, wait); err == nil {
			deliver()
		}
	}
	s.prune(ctx)
	movesLost := s.poller.warnQueuedMovesLeft()
	stopped := ctx.Err() != nil // a signal: what the cut-short calls returned is no failure of the store
	r := OnceReport{
		FeedsPolled: int(s.poller.count.polled.Load()), FeedsFailed: int(s.poller.count.failed.Load()),
		FeedsStillFailing: int(s.poller.count.stillFailing.Load()), FeedsElsewhere: int(s.poller.count.elsewhere.Load()),
		NewItems: int(s.poller.count.newItems.Load()), Enqueued: int(s.poller.count.enqueued.Load()),
		Delivered: int(s.sender.delivered.Load()), Dropped: int(s.sender.dropped.Load()), MovesLost: movesLost,
		StoreFailed: deliverFailed && !stopped || s.poller.count.storeFailures.Load() > 0 || s.sender.storeErrs.FailingKinds() > 0 || movesLost > 0,
		FeedsLeft:   int(s.poller.count.left.Load()),
	}
	// The backlog is counted even when the run was stopped: the summary
	// says what waits for the next run.
	statsCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	stats, err := s.store.OutboxStats(statsCtx)
	if err != nil {
		r.StoreFailed = true
	}
	for _, o := range stats {
		r.Pending += o.Pending
	}
	return r, ctx.Err()
}

// sendingGrace returns the context RunOnce delivers under: it ends the
// shutdown grace after ctx does, or when stop is called, which also waits
// for the goroutine that ends it.
func (s *Service) sendingGrace(ctx context.Context) (sendCtx context.Context, stop func()) {
	sendCtx, stopSending := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-sendCtx.Done():
			return
		case <-ctx.Done():
		}
		grace := time.NewTimer(s.settings.Service.ShutdownGrace)
		defer grace.Stop()
		select {
		case <-sendCtx.Done():
		case <-grace.C:
			s.log.Warn("shutdown: deliveries still in flight after grace period; they stay in the outbox", "grace", s.settings.Service.ShutdownGrace)
			stopSending()
		}
	})
	return sendCtx, func() {
		stopSending()
		wg.Wait()
	}
}

// Run polls feeds on their schedules and delivers alerts until ctx is
// cancelled. Deliveries in flight when ctx ends get the shutdown grace to
// finish. Every goroutine it starts has ended when it returns.
func (s *Service) Run(ctx context.Context) error {
	sendCtx, stopSending := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSending()
	// Before the sender: a digest moved is not sent at its old time first.
	s.replans.atStart(ctx)
	s.sender.takeInWatches(ctx) // alerts left by removed watches (see sender.dropUnwatched)
	var wg sync.WaitGroup
	senderDone := make(chan struct{})
	wg.Go(func() {
		defer close(senderDone)
		s.sender.loop(ctx, sendCtx)
	})
	// The gateway may take a while to open (or never): polling does not
	// wait for it.
	wg.Go(func() { s.runCommands(ctx) })
	wg.Go(func() { s.checkDestinations(ctx, anyDestination) })
	wg.Go(func() { s.pruneLoop(ctx) })
	wg.Go(func() { s.leases.renewLoop(ctx) })
	s.poller.loop(ctx)
	grace := s.settings.Service.ShutdownGrace
	s.log.Info("stopping: polls ended; deliveries in flight may finish", "grace", grace)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-senderDone:
	case <-timer.C:
		s.log.Warn("shutdown: deliveries still in flight after grace period; they stay in the outbox", "grace", grace)
		stopSending()
	}
	wg.Wait()
	return nil
}

// Reload applies a changed config file while running: feeds,
// subscriptions and defines take effect at once (a new feed's first poll
// remembers its backlog, as at start-up; so does that of a feed that comes
// back after a reload or a start without it: see removed.go), and what a
// subscription holds for a digest follows its new delivery (heldReplans).
// Any other change needs a restart and is refused, so the running service
// keeps its old config whole.
func (s *Service) Reload(ctx context.Context, cfg *config.Config) error {
	if changed := s.settings.RestartChanges(cfg); len(changed) > 0 {
		// Taking the rest of the file would run a config no file holds.
		return fmt.Errorf("%s changed, which needs a restart: nothing of the file was reloaded, its feeds, subscriptions and defines neither (restart newshound to apply it, or undo the change and reload)", strings.Join(changed, ", "))
	}
	prev := s.live.catalog()
	if err := s.live.rebuild(ctx, &cfg.Live); err != nil {
		return err
	}
	s.replans.afterReload(ctx, prev, s.live.catalog())
	if err := s.poller.stories.resize(ctx, longestStoryWindow(cfg), s.now()); err != nil {
		return fmt.Errorf("resizing the story window: %w", err)
	}
	s.log.Info("config reloaded", "feeds", len(cfg.Feeds), "subscriptions", len(cfg.Subscriptions))
	// Destinations do not change at a reload, but what Discord or a mail
	// server lets newshound do there may have: a reload is how the
	// operator asks again.
	s.checkDestinations(ctx, anyDestination)
	s.retryUnchecked()
	return nil
}

// retryUnchecked lifts the pause of each config destination that has no
// check (not a notify.Checker: Slack, a signed webhook), since only a
// post tells whether it was fixed: its oldest alert is tried again, and
// refused the same way, it is paused again (logged once: sender.pauses).
// Not at start: nothing is paused then, and a pause the first pass brings
// meanwhile is the answer a check would give.
func (s *Service) retryUnchecked() {
	for _, d := range s.settings.Destinations {
		if _, checked := s.sender.notifiers[d.Name].(notify.Checker); checked {
			continue
		}
		if reason, paused := s.sender.destinationPaused(d.Name); paused {
			s.sender.resume(d.Name)
			s.log.Info("destination paused, with no check but a post: its oldest alert is tried again", "destination", d.Name, "paused_for", reason)
		}
	}
}

// checkDestinations asks each destination of the config that can tell
// (notify.Checker: a Discord channel, thread or forum, with the bot's
// token; a Discord webhook; an email one, by its envelope) whether it can
// take alerts, and logs each that cannot, naming it and why, as an error.
// Nothing is stopped: the other destinations go on, and this one's
// alerts wait and retry as any failing destination's do.
// A failure to ask is a warning. One that can, paused by a refused
// delivery (a 403 or 404, a refused login), is resumed: a reload after
// fixing it is enough, no restart. It asks only the destinations d for
// which which(d) is true (run --once leaves email out: notEmail).
func (s *Service) checkDestinations(ctx context.Context, which func(config.Destination) bool) {
	for _, d := range s.settings.Destinations {
		c, ok := s.sender.notifiers[d.Name].(notify.Checker)
		if !ok || !which(d) {
			continue
		}
		err := c.Check(ctx)
		switch {
		case err == nil:
			if reason, paused := s.sender.destinationPaused(d.Name); paused {
				// Paused by a refused delivery (see pauseDestination),
				// fixed since: its alerts go out again.
				s.sender.lift(d.Name)
				s.log.Info("destination takes alerts again: pause lifted", "destination", d.Name, "paused_for", reason)
			}
		case ctx.Err() != nil:
			return
		case errors.Is(err, notify.ErrCannotPost):
			s.log.Error("destination cannot take alerts; once it is fixed, a reload (SIGHUP) or a restart checks it again", "destination", d.Name, "err", err)
		default:
			s.log.Warn("could not check whether the destination can take alerts", "destination", d.Name, "err", err)
		}
	}
}

// anyDestination and notEmail choose what checkDestinations asks.
func anyDestination(config.Destination) bool { return true }
func notEmail(d config.Destination) bool     { return d.Type != config.Email }

// gatewayLease names the lease that lets one instance of several sharing a
// store open the Discord gateway: two would each answer every command.
const gatewayLease = "gateway"

// commandsRetryMax is the longest wait between two attempts to open the
// gateway for the slash commands: a refused token stays refused until the
// operator changes it, and each attempt costs Discord a request.
const commandsRetryMax = 10 * time.Minute

// runCommands answers the /watch slash commands until ctx ends, when the
// config asks for them. Only the instance holding the gateway lease opens
// the gateway; the others wait, and take over when it goes away. A failure
// to open is logged once per change of state and retried, backing off from
// half the lease's length up to commandsRetryMax: alerts do not depend on
// it. While backing off it holds no lease, and it looks at the lease
// every quarter lease (gatewayLook): one another instance holds ends the
// back-off, so that this one takes over soon after that one goes away,
// within a lease and a quarter of its last renewal (25 s, README's "within
// 30 seconds" with the gateway's opening); a take the store fails does
// not.
func (s *Service) runCommands(ctx context.Context) {
	if s.discord == nil || !s.settings.Discord.Commands {
		return
	}
	errs := statelog.NewAt(s.log, s.now)
	base := s.leases.ttl / 2
	step := base        // the wait after the next failure to open, before jitter
	var retry time.Time // backing off: no try before then
	for {
		got, err := s.leases.tryTake(ctx, gatewayLease)
		switch {
		case err != nil:
			// The store failed, and no other instance was seen serving the
			// commands: the back-off against Discord goes on. The leases
			// log the failed take.
		case got:
			if !s.now().Before(retry) {
				if err := s.serveCommands(ctx, errs); err != nil && ctx.Err() == nil {
					wait := jitter(step)
					errs.Fail("commands", "Discord slash commands unavailable; alerts still go out; retrying with back-off", err, "retry_in", wait)
					retry, step = s.now().Add(wait), min(2*step, commandsRetryMax)
				} else {
					retry, step = time.Time{}, base
				}
			}
			s.leases.release(ctx, gatewayLease)
		default:
			// Another instance serves the commands, so Discord takes the
			// token: take over as soon as that one goes away.
			retry, step = time.Time{}, base
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(gatewayLook(s.leases.ttl)):
		}
	}
}

// gatewayLook is how often an instance not serving the slash commands
// looks at the gateway lease. A quarter lease: a holder that died just
// after a renewal is taken over within a lease and a quarter of it (25 s),
// which leaves the gateway time to open within README's 30 s; looking
// every half lease took a lease and a half (30 s) before it even opened.
func gatewayLook(ttl time.Duration) time.Duration { return ttl / 4 }

// jitter takes up to a fifth off d, so that instances sharing a store
// spread out and no wait exceeds d.
func jitter(d time.Duration) time.Duration {
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}

// serveCommands opens the gateway and serves it until ctx ends or the
// lease is lost; it returns the error that kept the gateway from opening.
func (s *Service) serveCommands(ctx context.Context, errs *statelog.Log) error {
	cmds := discord.NewCommands(s.discord, s.limiter, s.Watches(), s.log)
	stop, err := cmds.Start(ctx, s.settings.Discord.Guilds)
	if err != nil {
		return err
	}
	defer stop()
	errs.OK("commands", "Discord slash commands available again")
	s.log.Info("Discord slash commands ready", "guilds", s.settings.Discord.Guilds)
	check := time.NewTicker(s.leases.ttl / 3)
	defer check.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-check.C:
			if !s.leases.holds(gatewayLease) {
				s.log.Warn("the Discord gateway lease was lost or could not be renewed in time; closing ours")
				return nil
			}
		}
	}
}

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
	if err := s.store.Prune(ctx, s.now().Add(-s.settings.Service.Retention)); err != nil && ctx.Err() == nil {
		s.log.Error("pruning old state", "err", err)
	}
}

// Effective is what a running service does with its settings: the values
// its parts use, as they use them. It lets an operator (and a test) see
// that a setting reached the component it is for.
type Effective struct {
	Fetcher      feeds.FetcherOptions
	WatchFetcher feeds.FetcherOptions
	Parser       feeds.ParserOptions
	Workers      int
	Burst        int
	RetryBase    time.Duration
	RetryMax     time.Duration
	LeaseTTL     time.Duration
	Shared       bool // the store is shared by several instances: leases are in use
	Feeds        []EffectiveFeed
	// StoryWindow is how long reports stay candidates in the story index;
	// SubscriptionStoryWindows each subscription's story_window, by ID.
	StoryWindow              time.Duration
	SubscriptionStoryWindows map[string]time.Duration
	// SubscriptionMaxAges and SubscriptionBackfills are each
	// subscription's max_age (0: no age limit) and backfill, by ID.
	SubscriptionMaxAges   map[string]time.Duration
	SubscriptionBackfills map[string]int
}

// EffectiveFeed is one feed's schedule and request settings.
type EffectiveFeed struct {
	ID        string
	Schedule  feeds.Schedule
	UserAgent string
}

// Effective reports the values the service's parts use now.
func (s *Service) Effective() Effective {
	e := Effective{
		Fetcher: s.poller.fetcher.Options(), WatchFetcher: s.poller.watchFetcher.Options(), Parser: s.poller.parser.Options(),
		Workers: s.poller.workers, Burst: s.sender.burst, RetryBase: s.sender.retryBase, RetryMax: s.sender.retryMax,
		LeaseTTL: s.leases.ttl, Shared: s.leases.shared(),
		StoryWindow: s.poller.stories.window(), SubscriptionStoryWindows: map[string]time.Duration{},
		SubscriptionMaxAges: map[string]time.Duration{}, SubscriptionBackfills: map[string]int{},
	}
	for _, id := range s.live.catalog().SubscriptionIDs() {
		sub, _ := s.live.catalog().Subscription(id)
		e.SubscriptionStoryWindows[id] = sub.StoryWindow
		e.SubscriptionMaxAges[id], e.SubscriptionBackfills[id] = sub.MaxAge, sub.Backfill
	}
	for _, f := range s.live.catalog().Feeds() {
		e.Feeds = append(e.Feeds, EffectiveFeed{ID: f.ID, Schedule: s.poller.schedule(f), UserAgent: f.UserAgent})
	}
	return e
}
