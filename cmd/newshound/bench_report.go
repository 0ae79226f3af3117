package main

import (
	"fmt"
	"io"
	"time"
)

// benchReport is what `newshound bench` prints; its JSON field names are
// its interface (docs/performance.md).
type benchReport struct {
	Feeds         int     `json:"feeds"`
	Hosts         int     `json:"hosts"`
	Items         int     `json:"items_per_feed"`
	Subscriptions int     `json:"subscriptions"`
	Rounds        int     `json:"rounds"`
	ChangedShare  float64 `json:"changed_share"`
	MatchShare    float64 `json:"match_share"`
	Instances     int     `json:"instances"`
	Store         string  `json:"store"`
	Interval      string  `json:"interval"`
	FarmInProcess bool    `json:"farm_in_process"`

	FirstSight passStats `json:"first_sight"`
	Changed    passStats `json:"changed"`   // the passes with changes; CPU per 1,000 is of the changed polls alone
	Unchanged  passStats `json:"unchanged"` // the passes where nothing changed
	Ratio304   float64   `json:"ratio_304"` // of the measured polls, answered 304

	PeakRSSMB float64 `json:"peak_rss_mb"`
	DBBytes   int64   `json:"db_bytes"` // SQLite pages in use after the rounds; 0 on PostgreSQL
	// DBGrowthPerDay is the rounds' growth in bytes at one round per
	// interval, before retention prunes (30 days by default).
	DBGrowthPerDay int64 `json:"db_growth_per_day"`

	Published       int      `json:"published"` // new items that match, over the whole bench
	Posted          int      `json:"posted"`    // of them, posted to the fake Discord
	Missing         []string `json:"missing,omitempty"`
	DiscordMessages int      `json:"discord_messages"`

	Service *serviceStats `json:"service,omitempty"`
}

// passStats are the figures of one or more passes over every feed.
type passStats struct {
	Passes      int           `json:"passes"`
	Polls       int           `json:"polls"`        // feed requests
	Changed     int           `json:"changed"`      // feeds that had a new item
	NotModified int           `json:"not_modified"` // answered 304
	CPU         time.Duration `json:"-"`
	Wall        time.Duration `json:"-"`
	CPUSeconds  float64       `json:"cpu_seconds"` // user + sys of the whole process
	WallSeconds float64       `json:"wall_seconds"`
	PollsPerSec float64       `json:"polls_per_second"`
	// PollsPerCPUSec and CPUPer1000 count the changed polls alone in the
	// changed passes (the unchanged polls' cost taken out).
	PollsPerCPUSec float64 `json:"polls_per_cpu_second"`
	CPUPer1000     float64 `json:"cpu_seconds_per_1000_polls"`
}

func (p *passStats) add(q passStats) {
	p.Passes++
	p.Polls += q.Polls
	p.Changed += q.Changed
	p.NotModified += q.NotModified
	p.CPU += q.CPU
	p.Wall += q.Wall
}

// finish computes the rates of passes where nothing changed.
func (p passStats) finish() passStats {
	p.CPUSeconds, p.WallSeconds = p.CPU.Seconds(), p.Wall.Seconds()
	if p.Wall > 0 {
		p.PollsPerSec = float64(p.Polls) / p.WallSeconds
	}
	if p.Polls > 0 && p.CPU > 0 {
		p.CPUPer1000 = 1000 * p.CPUSeconds / float64(p.Polls)
		p.PollsPerCPUSec = float64(p.Polls) / p.CPUSeconds
	}
	return p
}

// finishChanged computes the rates of passes with changes, taking out the
// cost of their unchanged polls at the rate the unchanged passes measured.
func (p passStats) finishChanged(unchanged passStats) passStats {
	p = p.finish()
	if p.Changed == 0 {
		p.PollsPerCPUSec, p.CPUPer1000 = 0, 0 // no changed poll measured: the rates finish gave are the unchanged polls'
		return p
	}
	rest := float64(p.Polls-p.Changed) * unchanged.CPUPer1000 / 1000
	cpu := max(p.CPUSeconds-rest, 0)
	p.CPUPer1000 = 1000 * cpu / float64(p.Changed)
	if cpu > 0 {
		p.PollsPerCPUSec = float64(p.Changed) / cpu
	}
	return p
}

// growth says how the database grew per day, and at how many feeds
// changed per round as measured: --changed's share of too few feeds
// rounds to none.
func (r *benchReport) growth() string {
	if r.Changed.Passes == 0 {
		return " (no rounds: no growth measured)"
	}
	return fmt.Sprintf(", growing %.1f MB/day at %d of %s changed per %s",
		float64(r.DBGrowthPerDay)/1e6, r.Changed.Changed/r.Changed.Passes, plural(r.Feeds, "feed"), r.Interval)
}

// serviceStats are the figures of the service mode run.
type serviceStats struct {
	Seconds      float64 `json:"seconds"`
	Polls        int     `json:"polls"`
	CPUSeconds   float64 `json:"cpu_seconds"`
	CoreShare    float64 `json:"core_share"` // CPU seconds per second
	CPUPer1000   float64 `json:"cpu_seconds_per_1000_polls"`
	Published    int     `json:"published"` // matching items published during the run
	Latencies    int     `json:"latencies"` // of them, posted
	LatencyP50MS float64 `json:"latency_p50_ms"`
	LatencyP99MS float64 `json:"latency_p99_ms"`
}

func (r *benchReport) print(w io.Writer) {
	fmt.Fprintf(w, "newshound bench: %s on %s, %s each, %s, %s, %s store\n",
		plural(r.Feeds, "feed"), plural(r.Hosts, "host"), plural(r.Items, "item"), plural(r.Subscriptions, "subscription"), plural(r.Instances, "instance"), r.Store)
	if r.FarmInProcess {
		fmt.Fprintln(w, "(farm in this process: its CPU is counted too)")
	}
	row := func(name string, p passStats, what string) {
		fmt.Fprintf(w, "%-11s %6d polls %8.1f polls/s %8.0f %s polls/CPU-s %7.3f CPU-s/1000 (%s, %.2f CPU-s, %.2f s)\n",
			name, p.Polls, p.PollsPerSec, p.PollsPerCPUSec, what, p.CPUPer1000, plural(p.Passes, "pass"), p.CPUSeconds, p.WallSeconds)
	}
	row("first sight", r.FirstSight, "")
	if r.Changed.Changed == 0 && r.Changed.Passes > 0 {
		fmt.Fprintf(w, "%-11s %6d polls, none changed (a --changed share of %g of %d feeds is no feed)\n", "changed", r.Changed.Polls, r.ChangedShare, r.Feeds)
	} else {
		row("changed", r.Changed, "changed")
	}
	row("unchanged", r.Unchanged, "")
	fmt.Fprintf(w, "304 ratio %.3f; peak RSS %.1f MB", r.Ratio304, r.PeakRSSMB)
	if r.DBBytes > 0 {
		fmt.Fprintf(w, "; database %.1f MB%s", float64(r.DBBytes)/1e6, r.growth())
	}
	fmt.Fprintf(w, "\nposted %d of %s (%s)\n", r.Posted, plural(r.Published, "matching item"), plural(r.DiscordMessages, "Discord message"))
	if len(r.Missing) > 0 {
		fmt.Fprintf(w, "NOT POSTED, e.g.: %v\n", r.Missing)
	}
	if s := r.Service; s != nil {
		fmt.Fprintf(w, "service %.0f s: %d polls, %.3f CPU-s (%.2f%% of a core, %.3f CPU-s/1000 polls); publish→post p50 %.0f ms, p99 %.0f ms over %s\n",
			s.Seconds, s.Polls, s.CPUSeconds, 100*s.CoreShare, s.CPUPer1000, s.LatencyP50MS, s.LatencyP99MS, plural(s.Latencies, "item"))
	}
}
