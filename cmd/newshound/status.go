package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/newshound/newshound/bot"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/filters"
	"github.com/newshound/newshound/internal/redact"
	"github.com/newshound/newshound/store"
)

// statusReport is what `newshound status --json` prints.
type statusReport struct {
	Feeds        []feedStatus        `json:"feeds"`
	Destinations []destinationStatus `json:"destinations"`
	// Watches whose query does not compile (saved under an older query
	// language, or naming a define the config dropped): the service
	// skips them.
	WatchesNotRunning []watchStatus `json:"watches_not_running,omitempty"`
}

type watchStatus struct {
	ID      int64  `json:"id"`
	Query   string `json:"query"`
	Problem string `json:"problem"`
}

type feedStatus struct {
	Name           string     `json:"name"`
	URL            string     `json:"url"`
	LastPolled     *time.Time `json:"last_polled,omitempty"`
	LastSuccess    *time.Time `json:"last_success,omitempty"` // the last poll that worked, also while the feed fails
	FailingSince   *time.Time `json:"failing_since,omitempty"`
	LastError      string     `json:"last_error,omitempty"`
	NextPoll       *time.Time `json:"next_poll,omitempty"` // disabled: the retry a busy host put off, else none (the next start or reload polls it); none while paused; never polled: due, the time status ran
	Disabled       bool       `json:"disabled,omitempty"`
	DisabledReason string     `json:"disabled_reason,omitempty"`
	OnceRetry      *time.Time `json:"once_retry,omitempty"` // disabled: when run --once tries it again (bot.DisabledRetry)
	Paused         bool       `json:"paused,omitempty"`     // a /watch feed whose watches are all paused: not polled
}

type destinationStatus struct {
	Name          string     `json:"name"`
	Pending       int        `json:"pending"`
	OldestPending *time.Time `json:"oldest_pending,omitempty"`
	Attempts      int        `json:"attempts,omitempty"` // of the oldest pending alert
	LastError     string     `json:"last_error,omitempty"`
	PausedReason  string     `json:"paused_reason,omitempty"`
}

func cmdStatus(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := newFlags("status", out)
	configFlag := fs.String("config", "newshound.yaml", "config file (or give it as the argument)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.parse(args); err != nil {
		return err
	}
	cfg, _, err := fs.loadConfig(*configFlag)
	if err != nil {
		return err
	}
	st, err := openStoreToRead(ctx, cfg.Store)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now().UTC()
	// The JSON's "due now" is given to the second; ages are measured from
	// now itself, or a poll made in this second reads "-1s ago".
	r, err := readStatus(ctx, cfg, st, now.Truncate(time.Second))
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return writeStatus(out, r, now)
}

// openStoreToRead opens the store beside a running service, read-only:
// it neither takes a SQLite file from its owner nor migrates (or creates)
// a shared PostgreSQL schema under the running instances.
func openStoreToRead(ctx context.Context, c config.Store) (store.Store, error) {
	switch c.Driver {
	case "sqlite":
		return store.OpenSQLiteReadOnly(ctx, c.Path)
	case "postgres":
		return store.OpenPostgresReadOnly(ctx, c.DSN)
	}
	return openStore(ctx, c)
}

// readStatus reports the store's state; now is when a feed never polled
// is due (the service polls it as soon as it runs with it).
func readStatus(ctx context.Context, cfg *config.Config, st store.Store, now time.Time) (statusReport, error) {
	states, err := st.FeedStates(ctx)
	if err != nil {
		return statusReport{}, err
	}
	outbox, err := st.OutboxStats(ctx)
	if err != nil {
		return statusReport{}, err
	}
	watches, err := st.Watches(ctx)
	if err != nil {
		return statusReport{}, err
	}
	r := statusReport{Feeds: []feedStatus{}, Destinations: []destinationStatus{}}
	for _, f := range cfg.Feeds {
		r.Feeds = append(r.Feeds, feedStatusOf(f.Name, f.URL, states[f.Name], f.Interval))
	}
	r.Feeds = append(r.Feeds, watchFeedStatuses(watches, states, cfg.Defaults.Interval)...)
	for i, f := range r.Feeds {
		if f.LastPolled == nil && f.NextPoll == nil && !f.Disabled && !f.Paused {
			r.Feeds[i].NextPoll = &now // due, as the text says, not "none"
		}
	}
	for _, w := range watches {
		if err := filters.NewSet(cfg.Define).Add("watch", w.Query); err != nil {
			r.WatchesNotRunning = append(r.WatchesNotRunning, watchStatus{ID: w.ID, Query: w.Query, Problem: err.Error()})
		}
	}
	paused := map[string]string{}
	for _, w := range watches {
		if w.Paused && w.PauseReason != "paused by a moderator" {
			dest := "channel:" + w.ChannelID
			if w.Forum {
				dest = "forum:" + w.ChannelID
			}
			paused[dest] = w.PauseReason
		}
	}
	byName := map[string]store.OutboxStats{}
	for _, o := range outbox {
		byName[o.Destination] = o
	}
	names := []string{}
	for _, d := range cfg.Destinations {
		names = append(names, d.Name)
	}
	for _, o := range outbox { // watch channels and destinations no longer configured
		if !slices.Contains(names, o.Destination) {
			names = append(names, o.Destination)
		}
	}
	for _, n := range names {
		o := byName[n]
		d := destinationStatus{Name: n, Pending: o.Pending, Attempts: o.Attempts, LastError: o.LastError, PausedReason: paused[n]}
		d.OldestPending = timeOrNil(o.OldestEnqueued)
		r.Destinations = append(r.Destinations, d)
	}
	return r, nil
}

// watchFeedStatuses are the feeds /watch added, in the order of their
// first watch, each named by its watches ("watch #1, #3"), polled every
// interval.
func watchFeedStatuses(watches []store.Watch, states map[string]store.FeedState, interval time.Duration) []feedStatus {
	var urls []string
	ids := map[string][]string{}
	active := map[string]bool{}
	for _, w := range watches {
		if _, ok := ids[w.FeedURL]; !ok {
			urls = append(urls, w.FeedURL)
		}
		ids[w.FeedURL] = append(ids[w.FeedURL], fmt.Sprintf("#%d", w.ID))
		active[w.FeedURL] = active[w.FeedURL] || !w.Paused
	}
	var out []feedStatus
	for _, u := range urls {
		f := feedStatusOf("watch "+strings.Join(ids[u], ", "), u, states[bot.WatchFeedID(u)], interval)
		if f.Paused = !active[u]; f.Paused {
			// Not polled, nor retried by run --once when disabled, until
			// a watch resumes, as the text's "watches paused".
			f.NextPoll, f.OnceRetry = nil, nil
		}
		out = append(out, f)
	}
	return out
}

// feedStatusOf is the status of a feed polled every interval.
func feedStatusOf(name, url string, st store.FeedState, interval time.Duration) feedStatus {
	f := feedStatus{
		Name: name, URL: url, LastPolled: timeOrNil(st.LastPolled), FailingSince: timeOrNil(st.FailingSince),
		LastError: st.LastError, NextPoll: timeOrNil(st.NextPoll), Disabled: st.Disabled, DisabledReason: st.DisabledReason,
		LastSuccess: timeOrNil(st.LastSuccess),
	}
	if st.URL != "" {
		f.URL = st.URL // after a permanent redirect
	}
	f.URL = redact.URL(f.URL)
	if st.Disabled {
		// Polled again at the next start or config reload, or when the
		// running service makes the retry a busy host put off.
		f.NextPoll = timeOrNil(st.RetryAt)
		f.OnceRetry = timeOrNil(bot.DisabledRetry(st, interval))
	}
	return f
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// writeStatus prints the report as two tables, times as ages from now.
func writeStatus(out io.Writer, r statusReport, now time.Time) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FEED\tLAST SUCCESS\tNEXT POLL\tPROBLEM")
	for _, f := range r.Feeds {
		problem, next := f.LastError, inOrNow(now, f.NextPoll)
		switch {
		case f.Disabled:
			problem = "disabled: " + f.DisabledReason
		case f.FailingSince != nil:
			problem = fmt.Sprintf("failing for %s: %s", since(now, *f.FailingSince), f.LastError)
		}
		switch {
		case f.Paused:
			// Disabled too, it is tried again when a watch resumes.
			next = "watches paused"
		case f.Disabled:
			// Not polled again until the service starts or reloads, makes
			// the retry a busy host put off, or run --once finds its
			// back-off over.
			next = "at start/reload"
			if f.NextPoll != nil {
				next = "retry " + inOrNow(now, f.NextPoll) + " (host busy)"
			}
			if f.OnceRetry != nil {
				next += ", run --once " + strings.Replace(inOrNow(now, f.OnceRetry), "due", "now", 1)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Name, agoOrNever(now, f.LastSuccess), next, oneLineOr(problem, "-"))
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "DESTINATION\tPENDING\tOLDEST\tPROBLEM")
	for _, d := range r.Destinations {
		problem := d.LastError
		if d.PausedReason != "" {
			problem = "paused: " + d.PausedReason
		}
		oldest := "-"
		if d.OldestPending != nil {
			oldest = ago(now, *d.OldestPending)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", d.Name, d.Pending, oldest, oneLineOr(problem, "-"))
	}
	if len(r.WatchesNotRunning) > 0 {
		fmt.Fprintln(tw)
		fmt.Fprintln(tw, "WATCH NOT RUNNING\tQUERY\tPROBLEM (fix it with /watch edit)")
		for _, w := range r.WatchesNotRunning {
			fmt.Fprintf(tw, "#%d\t%s\t%s\n", w.ID, oneLineOr(w.Query, "-"), oneLineOr(w.Problem, "-"))
		}
	}
	return tw.Flush()
}

func ago(now, t time.Time) string { return since(now, t) + " ago" }

func since(now, t time.Time) string { return now.Sub(t).Round(time.Second).String() }

func agoOrNever(now time.Time, t *time.Time) string {
	if t == nil {
		return "never"
	}
	return ago(now, *t)
}

func inOrNow(now time.Time, t *time.Time) string {
	if t == nil || !t.After(now) {
		return "due"
	}
	return "in " + t.Sub(now).Round(time.Second).String()
}

func oneLineOr(s, empty string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return empty
	}
	return s
}
