package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/newshound/newshound/bot"
	"github.com/newshound/newshound/internal/benchfarm"
)

// benchOptions are `newshound bench`'s flags.
type benchOptions struct {
	Feeds, Hosts, Items, Subs, Rounds int
	Changed, Match                    float64 // share of feeds changed per round; share of new items matching
	Latency                           time.Duration
	Interval, HostGap                 time.Duration
	HostConcurrency, Workers          int
	Instances                         int
	Service, PublishEvery             time.Duration
	Store                             string // "": SQLite in a temporary folder; or postgres://…
	Dir                               string // where the config and SQLite file go ("": a temporary folder)
	InProcessFarm                     bool
	JSON                              bool
	CPUProfile, MemProfile            string
	LogLevel                          string
	// farmCommand makes the command that runs the farm in a process of
	// its own with these arguments (tests run their own binary).
	farmCommand func(args []string) (*exec.Cmd, error)
	// tuneGC, when set, sets the GC target once the services are built,
	// as `run` does (tests leave their process's GC alone).
	tuneGC func(log *slog.Logger, fetches int64)
}

func cmdBench(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := newFlags("bench", out)
	var o benchOptions
	fs.IntVar(&o.Feeds, "feeds", 200, "feeds in the farm")
	fs.IntVar(&o.Hosts, "hosts", 16, "loopback addresses (host names) the feeds are spread over")
	fs.IntVar(&o.Items, "items", 20, "items per feed document")
	fs.IntVar(&o.Subs, "subs", 100, "subscriptions (one catches every new item that matches; the rest match nothing)")
	fs.IntVar(&o.Rounds, "rounds", 3, "rounds, each a pass with changes and a pass without")
	fs.Float64Var(&o.Changed, "changed", 0.1, "share of feeds that get one new item per round (0–1)")
	fs.Float64Var(&o.Match, "match", 1, "share of new items that match a subscription and are posted (0–1)")
	fs.DurationVar(&o.Latency, "latency", 0, "delay of every feed response")
	fs.DurationVar(&o.Interval, "interval", 10*time.Minute, "feed interval (growth per day and service mode use it; floor 1m)")
	fs.DurationVar(&o.HostGap, "host-gap", 0, "defaults.host_gap of the generated config")
	fs.IntVar(&o.HostConcurrency, "host-concurrency", 2, "defaults.host_concurrency of the generated config")
	fs.IntVar(&o.Workers, "workers", 0, "feeds polled at once (0: the service's default)")
	fs.IntVar(&o.Instances, "instances", 1, "newshound instances sharing the store (PostgreSQL only)")
	fs.DurationVar(&o.Service, "service", 0, "after the rounds, run the service this long, publishing every --publish-every (nothing in the last --interval, so longer than --interval + --publish-every)")
	fs.DurationVar(&o.PublishEvery, "publish-every", 10*time.Second, "service mode: how often a --changed share of feeds gets a new item")
	fs.StringVar(&o.Store, "store", "", "postgres://… to bench PostgreSQL (default: SQLite in --dir)")
	fs.StringVar(&o.Dir, "dir", "", "folder for the generated config and the SQLite file (default: a temporary folder, removed)")
	fs.BoolVar(&o.InProcessFarm, "farm-in-process", false, "serve the farm from this process (its CPU then counts against the pipeline)")
	fs.BoolVar(&o.JSON, "json", false, "print the report as JSON")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the measured rounds to this file")
	fs.StringVar(&o.MemProfile, "memprofile", "", "write a heap profile at the end to this file")
	fs.StringVar(&o.LogLevel, "log-level", "warn", "log level of the pipeline")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"bench takes no arguments"}
	}
	if fs.set("publish-every") && o.Service == 0 {
		return usageError{"--publish-every paces the service run: it needs --service"}
	}
	o.farmCommand = func(args []string) (*exec.Cmd, error) {
		self, err := os.Executable()
		if err != nil {
			return nil, err
		}
		return exec.Command(self, append([]string{"bench-farm"}, args...)...), nil
	}
	o.tuneGC = tuneGC
	rep, err := bench(ctx, o, errOut)
	if err != nil {
		return err
	}
	if o.JSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.print(out)
	return nil
}

// cmdBenchFarm is the farm process `bench` starts: it is not meant to be
// run by hand.
func cmdBenchFarm(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := newFlags("bench-farm", out)
	var o benchfarm.Options
	fs.IntVar(&o.Feeds, "feeds", 0, "feeds")
	fs.IntVar(&o.Hosts, "hosts", 1, "loopback addresses")
	fs.IntVar(&o.Items, "items", 20, "items per feed")
	fs.DurationVar(&o.Latency, "latency", 0, "delay of every feed response")
	if err := fs.parse(args); err != nil {
		return err
	}
	return benchfarm.ServeChild(ctx, o, os.Stdin, out)
}

func (o benchOptions) check() error {
	switch {
	case o.Feeds < 1 || o.Rounds < 0 || o.Subs < 1 || o.Items < 1:
		return usageError{"--feeds, --subs and --items must be at least 1, --rounds at least 0"}
	case o.Changed < 0 || o.Changed > 1 || o.Match < 0 || o.Match > 1:
		return usageError{"--changed and --match are shares between 0 and 1"}
	case o.Instances < 1:
		return usageError{"--instances must be at least 1"}
	case o.Instances > 1 && !strings.HasPrefix(o.Store, "postgres"):
		return usageError{"--instances above 1 needs --store postgres://… (SQLite has one owner)"}
	case o.Interval < time.Minute:
		return usageError{"--interval has a floor of 1m, as feed intervals do"}
	// What follows would otherwise be ignored (a negative --workers ran
	// with the default; --hosts 0 ran on one host and reported 0), crash
	// the service mode (a ticker of --publish-every 0 panics) or surface
	// as a problem in the generated config, which the user never wrote.
	case o.Hosts < 1:
		return usageError{fmt.Sprintf("--hosts must be at least 1 (loopback addresses to spread the feeds over), got %d", o.Hosts)}
	case o.Workers < 0:
		return usageError{fmt.Sprintf("--workers must be at least 1, or 0 for the service's default, got %d", o.Workers)}
	case o.HostConcurrency < 1:
		return usageError{fmt.Sprintf("--host-concurrency must be at least 1, as defaults.host_concurrency, got %d", o.HostConcurrency)}
	case o.HostGap < 0:
		return usageError{fmt.Sprintf("--host-gap cannot be negative, got %s", o.HostGap)}
	case o.Latency < 0:
		return usageError{fmt.Sprintf("--latency cannot be negative, got %s", o.Latency)}
	case o.Service < 0:
		return usageError{fmt.Sprintf("--service cannot be negative (0: no service run), got %s", o.Service)}
	case o.PublishEvery <= 0:
		return usageError{fmt.Sprintf("--publish-every must be above 0 (how often the farm publishes in service mode), got %s", o.PublishEvery)}
	// The service run publishes every --publish-every but in its last
	// interval (those items could not be polled before the end): a run no
	// longer than the two would report latencies of nothing, whichever
	// flag was left at its default.
	case o.Service > 0 && o.Changed > 0 && o.Service <= o.Interval+o.PublishEvery:
		return usageError{fmt.Sprintf("--service %s with --publish-every %s publishes nothing: the farm publishes every --publish-every but in the run's last --interval (%s), whose items could not be polled before the end, so a run that publishes is longer than %s (or --changed 0 to measure the service without publishing)",
			o.Service, o.PublishEvery, o.Interval, o.Interval+o.PublishEvery)}
	case o.Store != "" && !strings.HasPrefix(o.Store, "postgres"):
		return usageError{fmt.Sprintf("--store takes a postgres://… URL (leave it out for SQLite), got %q", o.Store)}
	}
	return nil
}

// bench runs the whole bench and returns its report.
func bench(ctx context.Context, o benchOptions, errOut io.Writer) (*benchReport, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dir := o.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "newshound-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	farm, stopFarm, err := startFarm(ctx, o)
	if err != nil {
		return nil, err
	}
	defer stopFarm()
	cfgPath, dbPath, err := writeBenchConfig(dir, o, farm.Addrs())
	if err != nil {
		return nil, err
	}
	logger, err := newLogger(errOut, o.LogLevel)
	if err != nil {
		return nil, err
	}
	svcs, fetches, closeAll, err := openBenchServices(ctx, o, cfgPath, logger)
	if err != nil {
		return nil, err
	}
	defer closeAll()
	if o.tuneGC != nil {
		o.tuneGC(logger, fetches)
	}
	r := &benchRun{o: o, farm: farm, svcs: svcs, dbPath: dbPath}
	return r.run(ctx)
}

// startFarm starts the farm in a process of its own (or in this one) and
// returns its driver and how to stop it.
func startFarm(ctx context.Context, o benchOptions) (benchfarm.Driver, func() error, error) {
	fo := benchfarm.Options{Feeds: o.Feeds, Hosts: o.Hosts, Items: o.Items, Latency: o.Latency}
	if !o.InProcessFarm {
		cmd, err := o.farmCommand([]string{"--feeds", fmt.Sprint(o.Feeds), "--hosts", fmt.Sprint(o.Hosts), "--items", fmt.Sprint(o.Items), "--latency", o.Latency.String()})
		if err != nil {
			return nil, nil, err
		}
		cmd.Stderr = os.Stderr
		c, stop, err := benchfarm.Spawn(cmd)
		return c, stop, err
	}
	f := benchfarm.New(fo)
	farmCtx, stop := context.WithCancel(ctx)
	ready := make(chan benchfarm.Addrs, 1)
	errc := make(chan error, 1)
	go func() { errc <- f.Serve(farmCtx, func(a benchfarm.Addrs) { ready <- a }) }()
	select {
	case a := <-ready:
		return benchfarm.Local{Farm: f, Where: a}, func() error { stop(); return <-errc }, nil
	case err := <-errc:
		stop()
		return nil, nil, err
	}
}

// writeBenchConfig writes the config the bench runs with: the farm's
// feeds, a catch-all subscription for the marker word, and Subs-1 others
// that match nothing, half over every feed and half over three feeds.
func writeBenchConfig(dir string, o benchOptions, a benchfarm.Addrs) (cfgPath, dbPath string, err error) {
	var b strings.Builder
	dbPath = filepath.Join(dir, "bench.db")
	// Names carry a run id, so a PostgreSQL database used before starts
	// afresh for this run.
	run := make([]byte, 3)
	rand.Read(run)
	id := hex.EncodeToString(run)
	if strings.HasPrefix(o.Store, "postgres") {
		fmt.Fprintf(&b, "store:\n  driver: postgres\n  dsn: %q\n", o.Store)
	} else {
		fmt.Fprintf(&b, "store:\n  driver: sqlite\n  path: %q\n", dbPath)
	}
	fmt.Fprintf(&b, "discord:\n  token: bench-token\n  api_base: %q\n  commands: false\n", a.Discord)
	// story_window 0: the bench counts a message per matching item (the
	// grouping's cost per item is BenchmarkGroup's in alert/story).
	fmt.Fprintf(&b, "defaults:\n  interval: %s\n  max_age: 0\n  story_window: 0s\n  allow_private_networks: true\n  host_gap: %s\n  host_concurrency: %d\n",
		o.Interval, o.HostGap, o.HostConcurrency)
	b.WriteString("destinations:\n  - name: desk\n    type: discord-channel\n    channel_id: \"100000000000000042\"\n")
	b.WriteString("feeds:\n")
	for i := range o.Feeds {
		fmt.Fprintf(&b, "  - name: b%s-f%d\n    url: %s\n", id, i, a.FeedURL(i))
	}
	b.WriteString("subscriptions:\n")
	fmt.Fprintf(&b, "  - name: b%s-catch\n    feeds: all\n    query: %s\n    destination: desk\n", id, benchfarm.DefaultMarker)
	for s := 1; s < o.Subs; s++ {
		feeds := "all"
		if s%2 == 0 {
			feeds = fmt.Sprintf("[b%s-f%d, b%s-f%d, b%s-f%d]", id, s%o.Feeds, id, (s*7)%o.Feeds, id, (s*13)%o.Feeds)
		}
		fmt.Fprintf(&b, "  - name: b%s-s%d\n    feeds: %s\n    query: %q\n    destination: desk\n", id, s, feeds, benchQuery(s))
	}
	cfgPath = filepath.Join(dir, "bench.yaml")
	return cfgPath, dbPath, os.WriteFile(cfgPath, []byte(b.String()), 0o600)
}

// benchQuery is subscription s's query: real newsroom shapes over words
// the farm's prose never uses, so only the catch-all matches.
func benchQuery(s int) string {
	w := func(k int) string { return benchTopics[(s*k+k)%len(benchTopics)] }
	switch s % 4 {
	case 0:
		return fmt.Sprintf("%s %s", w(1), w(3))
	case 1:
		return fmt.Sprintf("%s AND (%s OR %s) -%s", w(1), w(5), w(7), w(11))
	case 2:
		return fmt.Sprintf("\"%s %s\" OR title:%s*", w(1), w(3), w(5))
	default:
		return fmt.Sprintf("%s NEAR/5 %s", w(1), w(3))
	}
}

var benchTopics = strings.Fields(`aleppo ceasefire truce kerry lavrov geneva opec heatwave earthquake tsunami
volcano hurricane typhoon wildfire pandemic vaccine referendum impeachment coup sanctions embargo
refinery pipeline bitcoin ethereum semiconductor antitrust merger takeover bankruptcy layoffs
olympics worldcup championship transfer doping nobel pulitzer oscars grammy eurovision
glacier drought famine locust cholera measles ebola zika mpox avalanche landslide`)

// openBenchServices opens the pipeline as `run` does, once per instance,
// and returns what their fetches at once may cost (see fetchBudget).
func openBenchServices(ctx context.Context, o benchOptions, cfgPath string, logger *slog.Logger) ([]*bot.Service, int64, func(), error) {
	var svcs []*bot.Service
	var closers []func() error
	var fetches int64
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	for range o.Instances {
		cfg, err := loadConfig(cfgPath)
		if err != nil {
			closeAll()
			return nil, 0, nil, err
		}
		if o.Workers > 0 { // 0: the service's default (check refuses below 0)
			cfg.Service.Workers = o.Workers
		}
		svc, c, err := openService(ctx, cfg, env{logger: logger, console: io.Discard, now: time.Now})
		if err != nil {
			closeAll()
			return nil, 0, nil, err
		}
		svcs = append(svcs, svc)
		fetches += fetchBudget(cfg)
		closers = append(closers, c)
	}
	return svcs, fetches, closeAll, nil
}

// benchRun is one bench in progress.
type benchRun struct {
	o      benchOptions
	farm   benchfarm.Driver
	svcs   []*bot.Service
	dbPath string
}

func (r *benchRun) run(ctx context.Context) (*benchReport, error) {
	rep := &benchReport{
		Feeds: r.o.Feeds, Hosts: r.o.Hosts, Items: r.o.Items, Subscriptions: r.o.Subs, Rounds: r.o.Rounds,
		ChangedShare: r.o.Changed, MatchShare: r.o.Match, Instances: r.o.Instances, Store: "sqlite",
		FarmInProcess: r.o.InProcessFarm, Interval: r.o.Interval.String(),
	}
	if r.o.Store != "" {
		rep.Store = "postgres"
	}
	first, err := r.pass(ctx, 0)
	if err != nil {
		return nil, err
	}
	first.Passes = 1
	rep.FirstSight = first.finish()
	sizeAfterFirst := r.dbSize(ctx)
	stopProfile, err := startCPUProfile(r.o.CPUProfile)
	if err != nil {
		return nil, err
	}
	var changed, unchanged passStats
	for range r.o.Rounds {
		c, err := r.pass(ctx, r.o.Changed)
		if err != nil {
			stopProfile()
			return nil, err
		}
		u, err := r.pass(ctx, 0)
		if err != nil {
			stopProfile()
			return nil, err
		}
		changed.add(c)
		unchanged.add(u)
	}
	rep.Unchanged = unchanged.finish()
	rep.Changed = changed.finishChanged(rep.Unchanged)
	if total := changed.Polls + unchanged.Polls; total > 0 {
		rep.Ratio304 = float64(changed.NotModified+unchanged.NotModified) / float64(total)
	}
	if size := r.dbSize(ctx); size > 0 {
		rep.DBBytes = size
		if r.o.Rounds > 0 {
			perRound := float64(size-sizeAfterFirst) / float64(r.o.Rounds)
			rep.DBGrowthPerDay = int64(perRound * float64(24*time.Hour) / float64(r.o.Interval))
		}
	}
	if r.o.Service > 0 {
		if rep.Service, err = r.service(ctx); err != nil {
			stopProfile()
			return nil, err
		}
	}
	stopProfile()
	stats, err := r.farm.Stats(ctx, time.Time{})
	if err != nil {
		return nil, err
	}
	rep.Published, rep.Posted, rep.Missing, rep.DiscordMessages = stats.Published, stats.Posted, stats.Missing, stats.Messages
	rep.PeakRSSMB = float64(peakRSS()) / (1 << 20)
	return rep, writeMemProfile(r.o.MemProfile)
}

// pass publishes a round (share of the feeds changed) and polls every
// feed once with every instance, delivering what matched.
func (r *benchRun) pass(ctx context.Context, share float64) (passStats, error) {
	var ps passStats
	if share > 0 {
		round, err := r.farm.Advance(ctx, share, r.o.Match)
		if err != nil {
			return ps, err
		}
		ps.Changed = round.Changed
	}
	before, err := r.farm.Stats(ctx, time.Time{})
	if err != nil {
		return ps, err
	}
	cpu0, t0 := cpuTime(), time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(r.svcs))
	for i, svc := range r.svcs {
		wg.Go(func() { _, errs[i] = svc.RunOnce(ctx) })
	}
	wg.Wait()
	ps.CPU, ps.Wall = cpuTime()-cpu0, time.Since(t0)
	if err := errors.Join(errs...); err != nil {
		return ps, err
	}
	after, err := r.farm.Stats(ctx, time.Time{})
	if err != nil {
		return ps, err
	}
	ps.Polls = after.FeedRequests - before.FeedRequests
	ps.NotModified = after.NotModified - before.NotModified
	return ps, nil
}

// service runs the service for o.Service while the farm publishes, and
// reports its CPU share and the publish→post latency.
func (r *benchRun) service(ctx context.Context) (*serviceStats, error) {
	ctx, stop := context.WithTimeout(ctx, r.o.Service)
	defer stop()
	before, err := r.farm.Stats(ctx, time.Time{})
	if err != nil {
		return nil, err
	}
	start := time.Now()
	cpu0 := cpuTime()
	var wg sync.WaitGroup
	errs := make([]error, len(r.svcs))
	for i, svc := range r.svcs {
		wg.Go(func() { errs[i] = svc.Run(ctx) })
	}
	published := 0
	if r.o.Changed > 0 {
		tick := time.NewTicker(r.o.PublishEvery)
	publishing:
		for {
			select {
			case <-ctx.Done():
				break publishing
			case <-tick.C:
				// Nothing is published in the last interval: its items
				// could not be polled before the end.
				if time.Until(start.Add(r.o.Service)) < r.o.Interval {
					continue
				}
				round, err := r.farm.Advance(ctx, r.o.Changed, r.o.Match)
				if err == nil {
					published += round.Matching
				}
			}
		}
		tick.Stop()
	}
	wg.Wait()
	wall, cpu := time.Since(start), cpuTime()-cpu0
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	after, err := r.farm.Stats(context.WithoutCancel(ctx), start)
	if err != nil {
		return nil, err
	}
	polls := after.FeedRequests - before.FeedRequests
	s := &serviceStats{
		Seconds: wall.Seconds(), Polls: polls, CPUSeconds: cpu.Seconds(), CoreShare: cpu.Seconds() / wall.Seconds(),
		Published: published, LatencyP50MS: after.LatencyP50, LatencyP99MS: after.LatencyP99, Latencies: after.Latencies,
	}
	if polls > 0 {
		s.CPUPer1000 = 1000 * cpu.Seconds() / float64(polls)
	}
	return s, nil
}

// dbSize is the bytes the SQLite database's pages in use take, read
// beside the store through a read-only connection (the file and its WAL
// only grow, and the WAL is recycled, so their sizes say little about
// growth). The store's driver is already registered by package store.
func (r *benchRun) dbSize(ctx context.Context) int64 {
	if r.o.Store != "" {
		return 0 // PostgreSQL: not measured here
	}
	db, err := sql.Open("sqlite", "file:"+r.dbPath+"?mode=ro")
	if err != nil {
		return 0
	}
	defer db.Close()
	var pages, free, size int64
	for q, into := range map[string]*int64{"PRAGMA page_count": &pages, "PRAGMA freelist_count": &free, "PRAGMA page_size": &size} {
		if err := db.QueryRowContext(ctx, q).Scan(into); err != nil {
			return 0
		}
	}
	return (pages - free) * size
}

func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func writeMemProfile(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("allocs").WriteTo(f, 0)
}
