package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/newshound/newshound/bot"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/feeds"
)

func cmdRun(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := newFlagSet("run", "newshound run --config FILE [--once] [--metrics ADDR] [--log-level LEVEL]", errOut)
	path := fs.String("config", "newshound.yaml", "config file")
	once := fs.Bool("once", false, "poll every feed once, deliver, and exit")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	metricsAddr := fs.String("metrics", "", "serve Prometheus metrics and /healthz on this address, e.g. 127.0.0.1:9108")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	logger, err := newLogger(errOut, *level)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	// Every goroutine started here ends with ctx and is waited for.
	ctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stop()
	e := env{logger: logger, console: out, now: time.Now}
	if *metricsAddr != "" {
		ln, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			return fmt.Errorf("--metrics: %w", err)
		}
		reg := newRegistry()
		e.registry = reg
		wg.Go(func() {
			if err := serveMetrics(ctx, ln, reg); err != nil {
				logger.Error("metrics server stopped", "err", err)
			}
		})
	}
	svc, closeAll, err := openService(ctx, cfg, e)
	if err != nil {
		return err
	}
	defer closeAll()
	tuneGC(logger)
	if *once {
		return svc.RunOnce(ctx)
	}
	logger.Info("newshound running", "version", version, "feeds", len(cfg.Feeds), "subscriptions", len(cfg.Subscriptions))
	wg.Go(func() { reloadOnHangup(ctx, *path, svc, logger) })
	err = svc.Run(ctx)
	logger.Info("newshound stopped")
	return err
}

func cmdCheck(_ context.Context, args []string, out, errOut io.Writer) error {
	fs := newFlagSet("check", "newshound check --config FILE", errOut)
	path := fs.String("config", "newshound.yaml", "config file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		if errs, ok := err.(config.Errors); ok {
			fmt.Fprintln(out, errs.Error())
			return fmt.Errorf("%s in %s", plural(len(errs), "problem"), *path)
		}
		return err
	}
	fmt.Fprintf(out, "%s: ok (%s, %s, %s)\n", *path, plural(len(cfg.Feeds), "feed"), plural(len(cfg.Subscriptions), "subscription"), plural(len(cfg.Destinations), "destination"))
	return nil
}

func cmdPreview(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := newFlagSet("preview", "newshound preview --query Q [--json] [--config FILE] FEED_URL_OR_FILE...", errOut)
	query := fs.String("query", "", "the query to try (required)")
	asJSON := fs.Bool("json", false, "print one JSON object per matching item")
	path := fs.String("config", "", "config file whose define: entries (@name) and fetch settings to use")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *query == "" || fs.NArg() == 0 {
		return usageError{"need --query and at least one feed URL or file"}
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
	return preview(ctx, previewOptions{
		Query: *query, Defines: cfg.Define, Sources: fs.Args(), JSON: *asJSON,
		Fetcher: fetcher, Parser: feeds.NewParser(), Now: time.Now,
	}, out, errOut)
}

func cmdFeeds(ctx context.Context, args []string, out, errOut io.Writer) error {
	if len(args) == 0 {
		return usageError{"feeds needs a subcommand: import, export or discover"}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(out, "Usage:\n  newshound feeds import FILE.opml\n  newshound feeds export --config FILE\n  newshound feeds discover URL\n")
		return nil
	case "import":
		fs := newFlagSet("feeds import", "newshound feeds import FILE.opml", errOut)
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return usageError{"feeds import takes one OPML file"}
		}
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return err
		}
		defer f.Close()
		return importOPML(f, out)
	case "export":
		fs := newFlagSet("feeds export", "newshound feeds export --config FILE", errOut)
		path := fs.String("config", "newshound.yaml", "config file")
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		cfg, err := config.Load(*path)
		if err != nil {
			return err
		}
		return exportOPML(cfg, out)
	case "discover":
		fs := newFlagSet("feeds discover", "newshound feeds discover URL", errOut)
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return usageError{"feeds discover takes one URL"}
		}
		cfg := config.Default()
		cfg.WithVersion(userAgent())
		fetcher, _ := newFetchers(cfg.Defaults)
		return discoverFeeds(ctx, fetcher, fs.Arg(0), out)
	default:
		return usageError{fmt.Sprintf("unknown feeds subcommand %q (import, export, discover)", args[0])}
	}
}

// userAgent names this release: what feeds that set no User-Agent of
// their own are fetched with.
func userAgent() string { return feeds.UserAgentFor(version) }

// reloadOnHangup reloads the config file on SIGHUP. A config with problems
// is reported and the running one kept.
func reloadOnHangup(ctx context.Context, path string, svc *bot.Service, logger *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
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
		}
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
