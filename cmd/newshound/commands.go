package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newshound/newshound/bot"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/store"
)

func cmdRun(ctx context.Context, args []string, out, errOut io.Writer) error {
	return runWith(ctx, args, out, errOut, runHooks{})
}

// runHooks let a test stand at the points of run's life that matter; the
// zero value is what newshound does.
type runHooks struct {
	wrapStore func(store.Store) store.Store // wraps the store opened
	hangup    chan os.Signal                // nil: SIGHUP
	joining   func()                        // at shutdown, the goroutines beside the service are told to end, not yet waited for
}

func runWith(ctx context.Context, args []string, out, errOut io.Writer, hooks runHooks) error {
	fs := newFlags("run", out)
	configFlag := fs.String("config", "newshound.yaml", "config file (or give it as the argument)")
	once := fs.Bool("once", false, "poll every feed once, deliver, and exit")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	metricsAddr := fs.String("metrics", "", "serve Prometheus metrics and /healthz on this address, e.g. 127.0.0.1:9108")
	if err := fs.parse(args); err != nil {
		return err
	}
	logger, err := newLogger(errOut, *level)
	if err != nil {
		return err
	}
	if err := checkListenAddr(*metricsAddr); err != nil {
		return err
	}
	// A SIGHUP from here on (a service manager's reload, logrotate) is
	// kept for the reload loop, not left to end the process while it
	// starts; under --once it is ignored.
	hup := hooks.hangup
	if hup == nil {
		hup = make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
	}
	cfg, path, err := fs.loadConfig(*configFlag)
	if err != nil {
		return err
	}
	logWarnings(logger, cfg)
	// Every goroutine started here ends with ctx and is waited for, before
	// the store they use is closed.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	e := env{logger: logger, console: out, now: time.Now, wrapStore: hooks.wrapStore}
	var ln net.Listener
	var reg *prometheus.Registry
	if *metricsAddr != "" {
		if ln, err = net.Listen("tcp", *metricsAddr); err != nil {
			return fmt.Errorf("--metrics: %w", err)
		}
		reg = newRegistry()
		e.registry = reg
	}
	svc, closeAll, err := openService(ctx, cfg, e)
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		return err
	}
	defer func() {
		stop()
		if hooks.joining != nil {
			hooks.joining()
		}
		wg.Wait()
		closeAll()
	}()
	if ln != nil {
		wg.Go(func() {
			if err := serveMetrics(ctx, ln, reg, svc.Health); err != nil {
				logger.Error("metrics server stopped", "err", err)
			}
		})
	}
	tuneGC(logger, fetchBudget(cfg))
	if *once {
		r, err := svc.RunOnce(ctx)
		msg := "run --once done"
		if err != nil {
			if ctx.Err() == nil {
				return err
			}
			msg = "run --once stopped by a signal"
		}
		logger.Info(msg, "feeds_polled", r.FeedsPolled, "feeds_failed", r.FeedsFailed, "feeds_still_failing", r.FeedsStillFailing, "feeds_left", r.FeedsLeft, "new_items", r.NewItems,
			"alerts_enqueued", r.Enqueued, "delivered", r.Delivered, "dropped", r.Dropped, "pending", r.Pending, "moves_not_stored", r.MovesLost, "store_failed", r.StoreFailed)
		if err != nil {
			return exitError{exitFailure, "stopped by a signal before the run was over: the feeds it did not poll are polled, and the alerts it did not deliver are sent, by the next run"}
		}
		return onceTrouble(r)
	}
	logger.Info("newshound running", "version", version, "feeds", len(cfg.Feeds), "subscriptions", len(cfg.Subscriptions))
	wg.Go(func() { reloadOnHangup(ctx, hup, path, svc, logger) })
	err = svc.Run(ctx)
	logger.Info("newshound stopped")
	return err
}

// checkListenAddr refuses, as a wrong command line, a --metrics address no
// listener could take: one without a port, or with a port out of range.
// "" serves no metrics.
func checkListenAddr(addr string) error {
	if addr == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		_, err = net.LookupPort("tcp", port)
	}
	if err != nil {
		return usageError{fmt.Sprintf("--metrics: %q is no HOST:PORT (%v), e.g. 127.0.0.1:9108", addr, err)}
	}
	return nil
}

// onceTrouble turns what went wrong in a run --once into the exit code
// cron and scripts see (README: Exit codes).
func onceTrouble(r bot.OnceReport) error {
	switch r.Trouble() {
	case "store":
		return exitError{exitStore, "the store failed: some of this run may not be recorded"}
	case "feeds":
		if r.FeedsStillFailing == 0 {
			return exitError{exitFeeds, fmt.Sprintf("every feed failed (%d)", r.FeedsFailed)}
		}
		return exitError{exitFeeds, fmt.Sprintf("every feed is failing: %d failed in this run, %d not polled, backing off or disabled after failing before (newshound status says why)", r.FeedsFailed, r.FeedsStillFailing)}
	case "delivery":
		return exitError{exitUndelivered, plural(r.Pending, "alert") + " could not be delivered yet; they stay in the outbox"}
	}
	return nil
}

func cmdCheck(_ context.Context, args []string, out, errOut io.Writer) error {
	fs := newFlags("check", out)
	configFlag := fs.String("config", "newshound.yaml", "config file (or give it as the argument)")
	if err := fs.parse(args); err != nil {
		return err
	}
	path, err := fs.configPath(*configFlag)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(path)
	if err != nil {
		if errs, ok := err.(config.Errors); ok {
			fmt.Fprintln(out, errs.Error())
			return fmt.Errorf("%s in %s", plural(errs.ErrorCount(), "problem"), path)
		}
		return err
	}
	if len(cfg.Warnings) > 0 {
		fmt.Fprintln(out, cfg.Warnings.Error())
	}
	fmt.Fprintf(out, "%s: ok (%s, %s, %s)\n", path, plural(len(cfg.Feeds), "feed"), plural(len(cfg.Subscriptions), "subscription"), plural(len(cfg.Destinations), "destination"))
	return nil
}

func cmdPreview(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := newFlags("preview", out)
	query := fs.String("query", "", "the query to try (required)")
	asJSON := fs.Bool("json", false, "print one JSON object per matching item")
	path := fs.String("config", "", "config file whose define: entries (@name) and fetch settings to use")
	render := fs.String("render", "", "SUBSCRIPTION[@DESTINATION] of --config: print the Discord message each match would get")
	stories := fs.Bool("stories", false, "group the matches into stories as a Discord destination would (defaults.story_window): a further report of a story says which report's message lists it")
	if err := fs.parse(args); err != nil {
		return err
	}
	if *query == "" || fs.NArg() == 0 {
		return usageError{"need --query and at least one feed URL or file"}
	}
	if *stories && *render != "" {
		return usageError{"--stories and --render go apart: --render shows each match's own message"}
	}
	if *asJSON && *render != "" {
		return usageError{"--json and --render go apart: --render prints each match's Discord message, not one {\"feed\":…} record per match"}
	}
	cfg := config.Default()
	cfg.WithVersion(userAgent())
	if *path != "" {
		var err error
		if cfg, err = loadConfig(*path); err != nil {
			return err
		}
	}
	fetcher, _ := newFetchers(cfg.Defaults)
	o := previewOptions{
		Query: *query, Defines: cfg.Define, Config: *path, Sources: fs.Args(), JSON: *asJSON,
		Fetcher: fetcher, Parser: newParser(cfg.Defaults, false), Now: time.Now,
	}
	if *stories {
		if cfg.Defaults.StoryWindow <= 0 {
			return fmt.Errorf("--stories: %s sets defaults.story_window to 0 (never group)", *path)
		}
		o.StoryWindow = cfg.Defaults.StoryWindow
	}
	if *render != "" {
		var err error
		if o.Format, o.Render, err = renderTarget(cfg, *path, *render); err != nil {
			return err
		}
	}
	return preview(ctx, o, out, errOut)
}

func cmdFeeds(ctx context.Context, args []string, out, errOut io.Writer) error {
	if len(args) == 0 {
		return usageError{"feeds needs a subcommand: import, export or discover"}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(out, "Read and write feed lists.\n\nUsage:\n")
		for _, name := range []string{"feeds import", "feeds export", "feeds discover"} {
			fmt.Fprintf(out, "  newshound %s\n      %s\n", helps[name].usage, helps[name].summary)
		}
		fmt.Fprint(out, "\nRun 'newshound feeds SUBCOMMAND --help' for an example and the flags.\n")
		return nil
	case "import":
		return cmdFeedsImport(args[1:], out, errOut)
	case "export":
		return cmdFeedsExport(args[1:], out)
	case "discover":
		return cmdFeedsDiscover(ctx, args[1:], out)
	default:
		return usageError{fmt.Sprintf("unknown feeds subcommand %q (import, export, discover)", args[0])}
	}
}

func cmdFeedsImport(args []string, out, errOut io.Writer) error {
	fs := newFlags("feeds import", out)
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"feeds import takes one OPML file"}
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := importOPML(f, out, errOut); err != nil {
		var oe *feeds.OPMLError
		if errors.As(err, &oe) && oe.Line > 0 {
			return fmt.Errorf("%s:%d: %s", path, oe.Line, oe.Msg)
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func cmdFeedsExport(args []string, out io.Writer) error {
	fs := newFlags("feeds export", out)
	configFlag := fs.String("config", "newshound.yaml", "config file (or give it as the argument)")
	if err := fs.parse(args); err != nil {
		return err
	}
	path, err := fs.configPath(*configFlag)
	if err != nil {
		return err
	}
	list, err := config.LoadFeeds(path) // no secrets needed: only the feeds are read
	if err != nil {
		return err
	}
	return exportOPML(list, out)
}

func cmdFeedsDiscover(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("feeds discover", out)
	path := fs.String("config", "", "config file whose fetch settings (allow_private_networks, user_agent, timeout, the limits) to use")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"feeds discover takes one URL or HTML file"}
	}
	cfg := config.Default()
	cfg.WithVersion(userAgent())
	if *path != "" {
		var err error
		if cfg, err = loadConfig(*path); err != nil {
			return err
		}
	}
	fetcher, _ := newFetchers(cfg.Defaults)
	return discoverFeeds(ctx, fetcher, newParser(cfg.Defaults, false), fs.Arg(0), *path, time.Now(), out)
}

// userAgent names this release: what feeds that set no User-Agent of
// their own are fetched with.
func userAgent() string { return feeds.UserAgentFor(version) }

// reloadOnHangup reloads the config file on each SIGHUP hup receives (one
// that came while newshound started is taken at once). A config with
// problems is reported and the running one kept; its warnings are logged.
func reloadOnHangup(ctx context.Context, hup <-chan os.Signal, path string, svc *bot.Service, logger *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		cfg, err := loadConfig(path)
		if err == nil {
			err = svc.Reload(ctx, cfg)
		}
		if err != nil {
			logger.Error("config not reloaded; the running config stays", "config", path, "err", err)
			continue
		}
		logWarnings(logger, cfg)
	}
}

// logWarnings logs what a config's load noticed without failing it (query
// hints), as check prints it.
func logWarnings(logger *slog.Logger, cfg *config.Config) {
	for _, w := range cfg.Warnings {
		logger.Warn("config " + w.String())
	}
}

// plural counts n of word, one alert, two alerts: a count of one names
// one thing.
func plural(n int, word string) string {
	switch {
	case n == 1:
		return "1 " + word
	case strings.HasSuffix(word, "s"):
		return fmt.Sprintf("%d %ses", n, word) // passes
	}
	return fmt.Sprintf("%d %ss", n, word)
}
