package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
)

// TestBench runs a tiny bench, with the farm in a process of its own (as
// users run it) and in this one, and checks the report: every changed
// item was posted, the passes counted what the farm saw, and the JSON has
// the documented fields, and nothing was logged as going wrong.
func TestBench(t *testing.T) {
	for _, inProcess := range []bool{false, true} {
		name := map[bool]string{false: "farm process", true: "farm in process"}[inProcess]
		t.Run(name, func(t *testing.T) {
			o := benchOptions{
				Feeds: 6, Hosts: 3, Items: 5, Subs: 10, Rounds: 2, Changed: 1, Match: 1,
				Interval: 10 * time.Minute, HostConcurrency: 2, Instances: 1, Dir: t.TempDir(),
				InProcessFarm: inProcess, LogLevel: "warn", farmCommand: testFarmCommand,
				PublishEvery: 10 * time.Second,
			}
			var logs bytes.Buffer
			rep, err := bench(context.Background(), o, &logs)
			if err != nil {
				t.Fatalf("bench: %v\nlogs:\n%s", err, logs.String())
			}
			// The farm's Discord is one a bench user need not doubt: the
			// destination's check at start passes, warning of nothing.
			if strings.Contains(logs.String(), "level=WARN") || strings.Contains(logs.String(), "level=ERROR") {
				t.Errorf("bench logged trouble:\n%s", logs.String())
			}
			if want := o.Rounds * o.Feeds; rep.Published != want || rep.Posted != want || len(rep.Missing) != 0 {
				t.Errorf("published %d, posted %d (missing %v), want %d of %d", rep.Published, rep.Posted, rep.Missing, want, want)
			}
			for _, p := range []struct {
				name          string
				got           passStats
				polls, notMod int
			}{
				{"first sight", rep.FirstSight, o.Feeds, 0},
				{"changed", rep.Changed, o.Rounds * o.Feeds, 0},
				{"unchanged", rep.Unchanged, o.Rounds * o.Feeds, o.Rounds * o.Feeds},
			} {
				if p.got.Polls != p.polls || p.got.NotModified != p.notMod {
					t.Errorf("%s: %d polls, %d answered 304; want %d and %d", p.name, p.got.Polls, p.got.NotModified, p.polls, p.notMod)
				}
			}
			if rep.Changed.Changed != o.Rounds*o.Feeds || rep.Changed.CPUPer1000 <= 0 || rep.Unchanged.PollsPerCPUSec <= 0 {
				t.Errorf("changed pass %+v, unchanged pass %+v: want every feed changed and costs measured", rep.Changed, rep.Unchanged)
			}
			if rep.Ratio304 != 0.5 {
				t.Errorf("304 ratio %v, want 0.5 (the unchanged passes' polls of all polls)", rep.Ratio304)
			}
			if rep.PeakRSSMB <= 0 || rep.DBBytes <= 0 {
				t.Errorf("peak RSS %v MB, database %d bytes: want both measured", rep.PeakRSSMB, rep.DBBytes)
			}
			checkBenchJSON(t, rep)
		})
	}
}

// TestBenchService runs the service mode for a second. A run that short
// publishes nothing (--changed 0 says so: bench refuses one that would
// have published nothing unasked), so it measures the service idle.
func TestBenchService(t *testing.T) {
	o := benchOptions{
		Feeds: 2, Hosts: 1, Items: 2, Subs: 2, Rounds: 0, Changed: 0, Match: 1,
		Interval: 10 * time.Minute, HostConcurrency: 2, Instances: 1, Dir: t.TempDir(),
		InProcessFarm: true, LogLevel: "warn", Service: time.Second, PublishEvery: 10 * time.Second,
	}
	var logs bytes.Buffer
	rep, err := bench(context.Background(), o, &logs)
	if err != nil {
		t.Fatalf("bench: %v\nlogs:\n%s", err, logs.String())
	}
	if rep.Service == nil || rep.Service.Seconds < 0.9 {
		t.Errorf("service = %+v, want a run of a second", rep.Service)
	}
	checkBenchJSON(t, rep)
}

func checkBenchJSON(t *testing.T, rep *benchReport) {
	t.Helper()
	raw, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := strings.Fields(`feeds hosts items_per_feed subscriptions rounds changed_share match_share instances store interval
		farm_in_process first_sight changed unchanged ratio_304 peak_rss_mb db_bytes db_growth_per_day published posted
		discord_messages`)
	if rep.Service != nil {
		want = append(want, "service")
	}
	if keys := sortedKeys(got); !slices.Equal(keys, sortedStrings(want)) {
		t.Errorf("JSON fields = %v\nwant %v", keys, sortedStrings(want))
	}
	pass := strings.Fields("passes polls changed not_modified cpu_seconds wall_seconds polls_per_second polls_per_cpu_second cpu_seconds_per_1000_polls")
	if keys := sortedKeys(got["changed"].(map[string]any)); !slices.Equal(keys, sortedStrings(pass)) {
		t.Errorf("JSON pass fields = %v\nwant %v", keys, sortedStrings(pass))
	}
	if rep.Service == nil {
		return
	}
	service := strings.Fields("seconds polls cpu_seconds core_share cpu_seconds_per_1000_polls published latencies latency_p50_ms latency_p99_ms")
	if keys := sortedKeys(got["service"].(map[string]any)); !slices.Equal(keys, sortedStrings(service)) {
		t.Errorf("JSON service fields = %v\nwant %v", keys, sortedStrings(service))
	}
}

func sortedKeys(m map[string]any) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	return sortedStrings(keys)
}

func sortedStrings(s []string) []string { return slices.Sorted(slices.Values(s)) }

// testFarmCommand runs the farm in this test binary (see TestMain).
func testFarmCommand(args []string) (*exec.Cmd, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), mainArgsEnv+"="+strings.Join(append([]string{"bench-farm"}, args...), "\n"))
	return cmd, nil
}

func TestBenchUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"instances on sqlite", []string{"bench", "--instances", "2"}, "needs --store postgres"},
		{"share above one", []string{"bench", "--changed", "1.5"}, "shares between 0 and 1"},
		{"interval below the floor", []string{"bench", "--interval", "30s"}, "floor of 1m"},
		{"publish every 0 in service mode", []string{"bench", "--interval", "1m", "--service", "1m", "--publish-every", "0"}, "--publish-every must be above 0"},
		{"publish every without service", []string{"bench", "--publish-every", "5s"}, "needs --service"},
		{"service shorter than its interval", []string{"bench", "--interval", "10m", "--service", "5m"}, "--service 5m0s with --publish-every 10s publishes nothing"},
		{"negative workers", []string{"bench", "--workers", "-3"}, "--workers must be at least 1, or 0"},
		{"no hosts", []string{"bench", "--hosts", "0"}, "--hosts must be at least 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := run(context.Background(), tc.args, io.Discard, &stderr); code != exitUsage || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), exitUsage, tc.want)
			}
		})
	}
}

// TestBenchCheck: a bench flag is used or refused, never ignored. Values
// the bench would ignore (--workers -3 ran with the default, --hosts 0
// polled nothing) or crash on (--publish-every 0 in service mode panicked
// in NewTicker) are refused naming the flag; the zeros the help gives a
// meaning to are accepted.
func TestBenchCheck(t *testing.T) {
	// bench's defaults (cmdBench's flags).
	defaults := benchOptions{
		Feeds: 200, Hosts: 16, Items: 20, Subs: 100, Rounds: 3, Changed: 0.1, Match: 1,
		Interval: 10 * time.Minute, HostConcurrency: 2, Instances: 1, PublishEvery: 10 * time.Second,
	}
	for _, tc := range []struct {
		name string
		set  func(*benchOptions)
		want string // "": accepted; else the refusal contains this
	}{
		{"defaults", func(*benchOptions) {}, ""},
		{"workers 0 is the service's default", func(o *benchOptions) { o.Workers = 0 }, ""},
		{"workers set", func(o *benchOptions) { o.Workers = 3 }, ""},
		{"rounds 0", func(o *benchOptions) { o.Rounds = 0 }, ""},
		{"no latency, no host gap", func(o *benchOptions) { o.Latency, o.HostGap = 0, 0 }, ""},
		{"service mode", func(o *benchOptions) { o.Service, o.Interval = 4*time.Minute, time.Minute }, ""},
		{"postgres store", func(o *benchOptions) { o.Store = "postgres://u@127.0.0.1/db" }, ""},
		{"negative workers", func(o *benchOptions) { o.Workers = -3 }, "--workers"},
		{"no hosts", func(o *benchOptions) { o.Hosts = 0 }, "--hosts"},
		{"negative hosts", func(o *benchOptions) { o.Hosts = -1 }, "--hosts"},
		{"publish every 0 in service mode", func(o *benchOptions) { o.Service, o.Interval, o.PublishEvery = time.Minute, time.Minute, 0 }, "--publish-every"},
		{"negative publish every", func(o *benchOptions) { o.PublishEvery = -time.Second }, "--publish-every"},
		{"negative service", func(o *benchOptions) { o.Service = -time.Minute }, "--service"},
		{"negative latency", func(o *benchOptions) { o.Latency = -time.Millisecond }, "--latency"},
		{"negative host gap", func(o *benchOptions) { o.HostGap = -time.Second }, "--host-gap"},
		{"no host concurrency", func(o *benchOptions) { o.HostConcurrency = 0 }, "--host-concurrency"},
		{"store not postgres", func(o *benchOptions) { o.Store = "mysql://db" }, "--store"},
		// The farm publishes every --publish-every but in the run's last
		// --interval: a run publishes once it is longer than the two.
		// --publish-every left at its 10s: a run of 2s published nothing,
		// saying nothing of it.
		{"service shorter than publish-every", func(o *benchOptions) { o.Service, o.Interval = 2*time.Second, time.Minute }, "--service 2s with --publish-every 10s publishes nothing"},
		{"service shorter than its interval", func(o *benchOptions) { o.Service = 5 * time.Minute }, "--service 5m0s with --publish-every 10s publishes nothing"},
		{"service of interval and publish-every", func(o *benchOptions) { o.Service = 10*time.Minute + 10*time.Second }, "--service 10m10s with --publish-every 10s publishes nothing"},
		{"publish-every as long as the service", func(o *benchOptions) {
			o.Service, o.Interval, o.PublishEvery = 2*time.Minute, time.Minute, 2*time.Minute
		}, "--service 2m0s with --publish-every 2m0s publishes nothing"},
		{"service that publishes once", func(o *benchOptions) { o.Service = 10*time.Minute + 11*time.Second }, ""},
		{"service of 1.5 intervals", func(o *benchOptions) { o.Service = 15 * time.Minute }, ""},
		{"short service that publishes nothing anyway", func(o *benchOptions) { o.Service, o.Changed = 5*time.Minute, 0 }, ""},
		{"service of two intervals", func(o *benchOptions) { o.Service = 20 * time.Minute }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := defaults
			tc.set(&o)
			err := o.check()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("check: got %v, want nil", err)
			case tc.want == "":
			case err == nil:
				t.Errorf("check: got nil, want a usage error naming %s", tc.want)
			case !strings.Contains(err.Error(), tc.want):
				t.Errorf("check: got %q, want it to name %s", err, tc.want)
			default:
				if _, ok := err.(usageError); !ok {
					t.Errorf("check: got %T %v, want a usageError (exit %d)", err, err, exitUsage)
				}
			}
		})
	}
}

func TestGCPercentFor(t *testing.T) {
	for _, tc := range []struct {
		name string
		live uint64
		want int
	}{
		{"nothing measured", 0, maxGCPercent},
		{"tiny heap: capped", 1 << 20, maxGCPercent},
		{"8 MB: twice the headroom", 8 << 20, 200},
		{"16 MB: the headroom itself", 16 << 20, 100},
		{"24 MB: the headroom, below the default", 24 << 20, 66},
		{"large catalog: never below half", 300 << 20, minGCPercent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := gcPercentFor(tc.live); got != tc.want {
				t.Errorf("gcPercentFor(%d) = %d, want %d", tc.live, got, tc.want)
			}
		})
	}
}

// TestMemoryLimitFor: README ("No harm") says the soft memory limit is
// the fetches' room, at least 128 MiB, plus twice the live heap at start;
// the 128 MiB is written out, so that the test pins it.
func TestMemoryLimitFor(t *testing.T) {
	for _, tc := range []struct {
		name          string
		live          uint64
		fetches, want int64
	}{
		{"the defaults", 2 << 20, 400 << 20, 404 << 20},
		{"small bodies: the least room", 2 << 20, 5 << 20, (4 << 20) + (128 << 20)},
		{"no budget", 1 << 20, 0, (2 << 20) + (128 << 20)},
		{"saturating", 1 << 63, math.MaxInt64, math.MaxInt64/4*2 + math.MaxInt64/2},
	} {
		if got := memoryLimitFor(tc.live, tc.fetches); got != tc.want {
			t.Errorf("%s: memoryLimitFor(%d, %d) = %d, want %d", tc.name, tc.live, tc.fetches, got, tc.want)
		}
	}
}

func TestFetchBudget(t *testing.T) {
	for _, tc := range []struct {
		name    string
		workers int
		body    int64
		want    int64
	}{
		{"the defaults", 8, 10 << 20, 400 << 20},
		{"overflowing", 8, math.MaxInt64 / 4, math.MaxInt64 / 2},
	} {
		cfg := &config.Config{}
		cfg.Service.Workers, cfg.Defaults.MaxBodyBytes = tc.workers, tc.body
		if got := fetchBudget(cfg); got != tc.want {
			t.Errorf("%s: fetchBudget = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestFinishChangedCountsChangedPollsAlone: the changed row's rates are
// those of the changed polls (README, bench --help: "CPU per 1,000
// polls"). A bench whose --changed share changed no feed (0.1 of 4 feeds
// rounds to none) printed the unchanged polls' rates there, labelled
// "changed polls/CPU-s"; no changed poll was measured, so it has none.
func TestFinishChangedCountsChangedPollsAlone(t *testing.T) {
	unchanged := passStats{Polls: 1000, CPU: time.Second, Wall: time.Second}.finish()
	tests := []struct {
		name                   string
		pass                   passStats
		wantPerCPUSec, wantPer float64
	}{
		{"no feed changed", passStats{Polls: 4, CPU: 10 * time.Millisecond, Wall: time.Millisecond}, 0, 0},
		// 100 polls, 10 changed: 90 unchanged cost 0.09 s of 0.19 s.
		{"ten changed", passStats{Polls: 100, Changed: 10, CPU: 190 * time.Millisecond, Wall: time.Millisecond}, 100, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.pass.finishChanged(unchanged)
			if math.Abs(got.PollsPerCPUSec-tt.wantPerCPUSec) > 1e-6 || math.Abs(got.CPUPer1000-tt.wantPer) > 1e-6 {
				t.Errorf("changed polls per CPU-s %v, CPU-s per 1000 %v; want %v and %v", got.PollsPerCPUSec, got.CPUPer1000, tt.wantPerCPUSec, tt.wantPer)
			}
		})
	}
}

// TestBenchGrowthSaysWhatChanged: the database's growth is of the feeds
// that changed, which the line names as measured. It said "at 10%
// changed" of a --changed 0.1 of 4 feeds, which rounds to none.
func TestBenchGrowthSaysWhatChanged(t *testing.T) {
	tests := []struct {
		name string
		rep  benchReport
		want string
	}{
		{"none changed", benchReport{Feeds: 4, ChangedShare: 0.1, Interval: "10m0s", DBBytes: 1e5, Changed: passStats{Passes: 3, Polls: 12}},
			"; database 0.1 MB, growing 0.0 MB/day at 0 of 4 feeds changed per 10m0s\n"},
		{"a tenth changed", benchReport{Feeds: 200, ChangedShare: 0.1, Interval: "10m0s", DBBytes: 2e6, DBGrowthPerDay: 3e6, Changed: passStats{Passes: 3, Polls: 600, Changed: 60}},
			"; database 2.0 MB, growing 3.0 MB/day at 20 of 200 feeds changed per 10m0s\n"},
		{"one of one changed", benchReport{Feeds: 1, ChangedShare: 1, Interval: "1m0s", DBBytes: 1e5, Changed: passStats{Passes: 1, Polls: 1, Changed: 1}},
			"growing 0.0 MB/day at 1 of 1 feed changed per 1m0s\n"},
		{"no rounds", benchReport{Feeds: 4, ChangedShare: 0.1, Interval: "10m0s", DBBytes: 1e5},
			"; database 0.1 MB (no rounds: no growth measured)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			tt.rep.print(&b)
			if !strings.Contains(b.String(), tt.want) {
				t.Errorf("got\n%s\nwant it to contain %q", b.String(), tt.want)
			}
		})
	}
}
