package main

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/bot"
	"github.com/newshound/newshound/internal/feedtest"
	"github.com/newshound/newshound/internal/golden"
	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
)

// TestStatusJSON writes a store with one healthy feed, one failing, one
// disabled, a /watch feed whose watches are all paused and a backlog, and
// checks `status --json` against a golden file. The paused feed is not
// polled ("watches paused" in the text): no next_poll, though its state
// keeps the one planned before the pause.
func TestStatusJSON(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "state.db")
	ctx := context.Background()
	at, st := statusStore(t, db)
	states := []store.FeedState{
		{FeedID: "wire", URL: "https://wire.example/rss", ConfigURL: "https://wire.example/rss", Initialized: true, LastPolled: at, LastSuccess: at, NextPoll: at.Add(10 * time.Minute)},
		{FeedID: "markets", URL: "https://markets.example/rss", ConfigURL: "https://markets.example/rss", Initialized: true, LastPolled: at, LastSuccess: at.Add(-40 * time.Minute), NextPoll: at.Add(20 * time.Minute),
			ErrorCount: 3, FailingSince: at.Add(-30 * time.Minute), LastError: "HTTP 503 Service Unavailable"},
		{FeedID: "gone", URL: "https://gone.example/rss", ConfigURL: "https://gone.example/rss", LastPolled: at, ErrorCount: 1, FailingSince: at,
			LastError: "HTTP 410 Gone", Disabled: true, DisabledReason: "HTTP 410 Gone"},
	}
	const paused = "https://paused.example/feed"
	if _, err := st.AddWatch(ctx, store.Watch{GuildID: "1", ChannelID: "10", FeedURL: paused, Query: "kerry", Paused: true, PauseReason: "paused by a moderator"}); err != nil {
		t.Fatal(err)
	}
	states = append(states, store.FeedState{FeedID: bot.WatchFeedID(paused), URL: paused, Initialized: true, LastPolled: at, LastSuccess: at, NextPoll: at.Add(15 * time.Minute)})
	if err := st.SaveFeedStates(ctx, states); err != nil {
		t.Fatal(err)
	}
	var alerts []store.Alert
	for i := range 3 {
		key := fmt.Sprintf("item-%d", i)
		alerts = append(alerts, store.Alert{Destination: "desk", Subscription: "cfg:all", FeedID: "wire", ItemKey: key, DedupeKeys: []string{"item:wire/" + key}, Payload: []byte(`{}`), CreatedAt: at})
	}
	if _, err := st.CommitPoll(ctx, "wire", store.Poll{State: states[0], Keys: []string{"item-0", "item-1", "item-2"}, Alerts: alerts}); err != nil {
		t.Fatal(err)
	}
	pending, err := st.PendingAlerts(ctx, "desk", at, 1)
	if err != nil || len(pending) != 1 {
		t.Fatal(pending, err)
	}
	if err := st.MarkFailed(ctx, pending[0].ID, "HTTP 502 Bad Gateway", at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`store:
  path: %q
feeds:
  - name: wire
    url: https://wire.example/rss
  - name: markets
    url: https://markets.example/rss
  - name: gone
    url: https://gone.example/rss
  - name: new
    url: https://new.example/rss
subscriptions:
  - name: all
    query: news
    destination: desk
destinations:
  - name: desk
    type: console
`, db)
	path := filepath.Join(dir, "newshound.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	// status reads beside the running service, which holds the store.
	var out, errOut bytes.Buffer
	before := time.Now().UTC().Truncate(time.Second)
	if code := run(ctx, []string{"status", "--json", "--config", path}, &out, &errOut); code != 0 {
		t.Fatalf("status: exit %d: %s", code, errOut.String())
	}
	after := time.Now()
	golden.Check(t, filepath.Join("testdata", "status.golden.json"), checkDueNow(t, out.Bytes(), "new", before, after), *update)

	out.Reset()
	if code := run(ctx, []string{"status", "--config", path}, &out, &errOut); code != 0 {
		t.Fatalf("status: exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"markets", "failing for", "HTTP 503", "disabled: HTTP 410 Gone", "watches paused", "desk", "3", "HTTP 502"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, out.String())
		}
	}
	st.Close()
}

// checkDueNow checks that the never-polled feed name is due in status
// --json, as the text says ("due"): its next_poll is the time status ran,
// between before and after. The text showed "due" while --json left
// next_poll out, which README reads as none. It returns the report with
// that time as STATUS-RAN, for a golden file.
func checkDueNow(t *testing.T, report []byte, name string, before, after time.Time) []byte {
	t.Helper()
	var r statusReport
	if err := json.Unmarshal(report, &r); err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Feeds {
		if f.Name != name {
			continue
		}
		if f.NextPoll == nil || f.NextPoll.Before(before) || f.NextPoll.After(after) {
			t.Errorf("feed %s never polled: next_poll %v, want the time status ran (due), between %v and %v", name, f.NextPoll, before, after)
			return report
		}
		return bytes.ReplaceAll(report, []byte(f.NextPoll.Format(time.RFC3339Nano)), []byte("STATUS-RAN"))
	}
	t.Errorf("no feed %s in %s", name, report)
	return report
}

func TestOnceExitCodes(t *testing.T) {
	tests := []struct {
		name     string
		report   bot.OnceReport
		wantCode int
	}{
		{"all well", bot.OnceReport{FeedsPolled: 3, Delivered: 2}, exitOK},
		{"some feeds failed", bot.OnceReport{FeedsPolled: 3, FeedsFailed: 2}, exitOK},
		{"every feed failed", bot.OnceReport{FeedsPolled: 3, FeedsFailed: 3}, exitFeeds},
		{"every feed backing off after failing", bot.OnceReport{FeedsStillFailing: 2}, exitFeeds},
		{"those polled failed, the rest backing off", bot.OnceReport{FeedsPolled: 1, FeedsFailed: 1, FeedsStillFailing: 2}, exitFeeds},
		{"one polled fine beside feeds backing off", bot.OnceReport{FeedsPolled: 1, FeedsStillFailing: 2}, exitOK},
		{"one polled by another instance beside feeds backing off", bot.OnceReport{FeedsStillFailing: 2, FeedsElsewhere: 1}, exitOK},
		{"a poll left for the next run: another instance held the stories lease", bot.OnceReport{FeedsPolled: 2, FeedsFailed: 1, FeedsLeft: 1}, exitOK},
		{"no feed", bot.OnceReport{}, exitOK},
		{"alerts left in the outbox", bot.OnceReport{FeedsPolled: 3, Pending: 4}, exitUndelivered},
		{"store failed", bot.OnceReport{FeedsPolled: 3, FeedsFailed: 3, Pending: 1, StoreFailed: true}, exitStore},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := onceTrouble(tt.report)
			code := exitOK
			var ee exitError
			if errors.As(err, &ee) {
				code = ee.code
			}
			if code != tt.wantCode {
				t.Errorf("exit code %d (%v), want %d", code, err, tt.wantCode)
			}
		})
	}
}

// TestStatusLastSuccessOfAFailingFeed: a feed that worked and then fails
// shows when it last worked, in the table and in --json; one that never
// worked shows "never".
func TestStatusLastSuccessOfAFailingFeed(t *testing.T) {
	dir := t.TempDir()
	feed := feedtest.NewServer(t, "Wire", feedtest.Item{GUID: "1", Title: "Markets rally", Link: "https://wire.example/1", Published: time.Now().Add(-time.Hour)})
	broken := feedtest.NewServer(t, "Broken")
	broken.SetStatus(http.StatusServiceUnavailable)
	cfg := fmt.Sprintf(`store:
  path: %q
defaults:
  allow_private_networks: true   # the test feed servers are on loopback
feeds:
  - name: wire
    url: %s/rss
  - name: broken
    url: %s/rss
subscriptions:
  - name: all
    query: aleppo
destinations:
  - name: console
    type: console
`, filepath.Join(dir, "state.db"), feed.URL, broken.URL)
	path := filepath.Join(dir, "newshound.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	once := func() {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := run(context.Background(), []string{"run", "--once", "--config", path}, &out, &errOut); code != exitOK && code != exitFeeds {
			t.Fatalf("run --once: exit %d\n%s", code, errOut.String())
		}
	}
	before := time.Now().UTC()
	once()
	worked := time.Now().UTC()
	feed.SetStatus(http.StatusServiceUnavailable)
	once()

	var r statusReport
	if err := json.Unmarshal([]byte(runCLI(t, "status", "--json", "--config", path)), &r); err != nil {
		t.Fatal(err)
	}
	byName := map[string]feedStatus{}
	for _, f := range r.Feeds {
		byName[f.Name] = f
	}
	wire, brk := byName["wire"], byName["broken"]
	if wire.FailingSince == nil {
		t.Fatalf("wire: got no failing_since, want the feed failing: %+v", wire)
	}
	if got := wire.LastSuccess; got == nil || got.Before(before.Truncate(time.Microsecond)) || got.After(worked) {
		t.Errorf("wire's last_success: got %v, want the first run's poll, between %v and %v", got, before, worked)
	}
	if brk.LastSuccess != nil {
		t.Errorf("broken's last_success: got %v, want none: it never worked", brk.LastSuccess)
	}
	table := runCLI(t, "status", "--config", path)
	for _, line := range strings.Split(table, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		switch fields[0] {
		case "wire":
			if fields[1] == "never" {
				t.Errorf("status shows the failing feed that worked before as never successful:\n%s", table)
			}
		case "broken":
			if fields[1] != "never" {
				t.Errorf("status shows the feed that never worked with last success %q, want never:\n%s", fields[1], table)
			}
		}
	}
}

// TestStatusTable: what status prints for each state of a feed and a
// destination, times as ages from now.
func TestStatusTable(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	r := statusReport{
		Feeds: []feedStatus{
			{Name: "healthy", LastPolled: at(-time.Minute), LastSuccess: at(-time.Minute), NextPoll: at(9 * time.Minute)},
			{Name: "failing", LastPolled: at(-time.Minute), LastSuccess: at(-2 * time.Hour), FailingSince: at(-30 * time.Minute),
				LastError: "HTTP 503 Service Unavailable", NextPoll: at(4 * time.Minute)},
			{Name: "never-worked", LastPolled: at(-time.Minute), FailingSince: at(-time.Hour), LastError: "dial tcp: connection refused", NextPoll: at(20 * time.Minute)},
			{Name: "disabled", LastPolled: at(-time.Hour), LastSuccess: at(-72 * time.Hour), FailingSince: at(-72 * time.Hour),
				LastError: "HTTP 410 Gone", Disabled: true, DisabledReason: "HTTP 410 Gone", OnceRetry: at(5 * time.Hour)},
			{Name: "new"},
		},
		Destinations: []destinationStatus{
			{Name: "desk", Pending: 2, OldestPending: at(-90 * time.Second), Attempts: 3, LastError: "HTTP 502 Bad Gateway"},
			{Name: "channel:1", Pending: 1, OldestPending: at(-time.Hour), PausedReason: "channel deleted"},
			{Name: "console"},
		},
	}
	var out bytes.Buffer
	if err := writeStatus(&out, r, now); err != nil {
		t.Fatal(err)
	}
	want := `FEED          LAST SUCCESS  NEXT POLL                              PROBLEM
healthy       1m0s ago      in 9m0s                                -
failing       2h0m0s ago    in 4m0s                                failing for 30m0s: HTTP 503 Service Unavailable
never-worked  never         in 20m0s                               failing for 1h0m0s: dial tcp: connection refused
disabled      72h0m0s ago   at start/reload, run --once in 5h0m0s  disabled: HTTP 410 Gone
new           never         due                                    -

DESTINATION  PENDING  OLDEST      PROBLEM
desk         2        1m30s ago   HTTP 502 Bad Gateway
channel:1    1        1h0m0s ago  paused: channel deleted
console      0        -           -
`
	if got := out.String(); got != want {
		t.Errorf("status printed\n%s\nwant\n%s", got, want)
	}
}

// TestStatusListsWatchFeeds: status lists the feeds that /watch added
// after the config's, each named by its watches, with its state; one
// whose watches are all paused is not polled, and says so.
func TestStatusListsWatchFeeds(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "state.db")
	ctx := context.Background()
	at, st := statusStore(t, db)
	const wire, blog = "https://wire.example/rss", "https://blog.example/feed"
	for _, w := range []store.Watch{
		{GuildID: "1", ChannelID: "10", FeedURL: wire, Query: "aleppo"},
		{GuildID: "1", ChannelID: "10", FeedURL: blog, Query: "kerry", Paused: true, PauseReason: "paused by a moderator"},
		{GuildID: "2", ChannelID: "20", FeedURL: wire, Query: "storm"},
	} {
		if _, err := st.AddWatch(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SaveFeedStates(ctx, []store.FeedState{
		{FeedID: bot.WatchFeedID(wire), URL: wire, Initialized: true, LastPolled: at, LastSuccess: at.Add(-time.Hour),
			ErrorCount: 2, FailingSince: at.Add(-30 * time.Minute), LastError: "HTTP 503", NextPoll: at.Add(5 * time.Minute)},
		{FeedID: bot.WatchFeedID(blog), URL: blog, Initialized: true, LastPolled: at.Add(-time.Hour), LastSuccess: at.Add(-time.Hour), NextPoll: at.Add(-50 * time.Minute)},
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	path := filepath.Join(dir, "newshound.yaml")
	cfg := fmt.Sprintf("store:\n  path: %q\nfeeds:\n  - name: desk\n    url: https://desk.example/rss\nsubscriptions:\n  - name: all\n    query: news\n", db)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var r statusReport
	if err := json.Unmarshal([]byte(runCLI(t, "status", "--json", "--config", path)), &r); err != nil {
		t.Fatal(err)
	}
	type row struct {
		name, url, lastError string
		paused               bool
	}
	var got []row
	for _, f := range r.Feeds {
		got = append(got, row{f.Name, f.URL, f.LastError, f.Paused})
	}
	want := []row{
		{"desk", "https://desk.example/rss", "", false},
		{"watch #1, #3", wire, "HTTP 503", false},
		{"watch #2", blog, "", true},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("status feeds:\n got %v\nwant %v", got, want)
	}
	var out bytes.Buffer
	if err := writeStatus(&out, r, at); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"watch #1, #3  1h0m0s ago    in 5m0s         failing for 30m0s: HTTP 503",
		"watch #2      1h0m0s ago    watches paused  -",
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("status table lacks %q:\n%s", line, out.String())
		}
	}
}

// statusStore opens a new SQLite store at db whose clock stands at the
// time it returns.
func statusStore(t *testing.T, db string) (time.Time, store.Store) {
	t.Helper()
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	st, err := store.OpenSQLite(context.Background(), db, store.WithClock(func() time.Time { return at }))
	if err != nil {
		t.Fatal(err)
	}
	return at, st
}

// TestOnceStoreUnopenable: a run --once whose store cannot be opened (held
// by another newshound, migrated by a newer one, in a folder that is not
// there) exits 3, "the store failed", not 1, which tells cron the config
// is bad; the message names the store.
func TestOnceStoreUnopenable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	held := filepath.Join(dir, "held.db")
	holder, err := store.OpenSQLite(ctx, held)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	newer := filepath.Join(dir, "newer.db")
	st, err := store.OpenSQLite(ctx, newer)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", newer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'from a newer newshound', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	tests := []struct {
		name, db, wantErr string
	}{
		{"in use by another process", held, "is in use by"},
		{"migrated by a newer newshound", newer, "is newer than this newshound knows"},
		{"folder missing", filepath.Join(dir, "missing", "x.db"), filepath.Join(dir, "missing", "x.db")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := configWithStore(t, tt.db)
			var out, errOut bytes.Buffer
			if code := run(ctx, []string{"run", "--once", path}, &out, &errOut); code != exitStore {
				t.Errorf("exit code: got %d, want %d (the store failed)\nstderr:\n%s", code, exitStore, errOut.String())
			}
			if !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stderr: got %q, want it to contain %q", errOut.String(), tt.wantErr)
			}
		})
	}
}

// TestStatusWithoutItsDatabase: status on a config whose SQLite file is
// not there yet, or is not a newshound database (an empty file, a text
// file), says so in words and names the file, not "no such table".
func TestStatusWithoutItsDatabase(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "notes.db")
	if err := os.WriteFile(text, []byte("shopping list\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "never-run.db")
	tests := []struct {
		name, db, wantErr string
	}{
		{"not there yet", missing, fmt.Sprintf("no database at %s yet: newshound has not run with this store", missing)},
		{"empty file", empty, fmt.Sprintf("%s is not a newshound database", empty)},
		{"not SQLite", text, fmt.Sprintf("%s is not a newshound database", text)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := configWithStore(t, tt.db)
			var out, errOut bytes.Buffer
			if code := run(context.Background(), []string{"status", path}, &out, &errOut); code != exitFailure {
				t.Errorf("exit code: got %d, want %d", code, exitFailure)
			}
			if !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stderr: got %q, want it to contain %q", errOut.String(), tt.wantErr)
			}
			if out.Len() > 0 {
				t.Errorf("stdout: got %q, want nothing", out.String())
			}
			if _, err := os.Stat(missing); err == nil {
				t.Errorf("status created %s", missing)
			}
		})
	}
}

// configWithStore writes a config of one feed whose SQLite store is db
// and returns its path.
func configWithStore(t *testing.T, db string) string {
	t.Helper()
	return configOfOneFeed(t, fmt.Sprintf("{path: %q}", db))
}

// configWithPostgres is configWithStore for the PostgreSQL database dsn.
func configWithPostgres(t *testing.T, dsn string) string {
	t.Helper()
	return configOfOneFeed(t, fmt.Sprintf("{driver: postgres, dsn: %q}", dsn))
}

// configOfOneFeed writes a config of one feed whose store: is st.
func configOfOneFeed(t *testing.T, st string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "newshound.yaml")
	cfg := fmt.Sprintf("store: %s\nfeeds:\n  - name: wire\n    url: https://wire.example/rss\n", st)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestStatusFeedLine: a feed's line in status. A disabled feed is polled
// again by the service only at its next start or config reload, so it has
// no next poll (text: the restart or reload), whatever its stored schedule
// says, but for the retry a busy host put off (RetryAt), which the service
// makes then, and by run --once once the longest back-off (6 h, or a
// longer interval) has passed since its last poll; a failing feed says how
// long it has been failing.
func TestStatusFeedLine(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name                  string
		state                 store.FeedState
		interval              time.Duration // 0: 10 minutes
		wantNext, wantProblem string
	}{
		{"disabled after its last back-off", store.FeedState{Disabled: true, DisabledReason: "HTTP 410 Gone", ErrorCount: 40,
			LastPolled: now.Add(-time.Hour), FailingSince: now.Add(-73 * time.Hour), NextPoll: now.Add(5 * time.Hour), LastError: "HTTP 410 Gone"}, 0,
			"at start/reload, run --once in 5h0m0s", "disabled: HTTP 410 Gone"},
		{"disabled, no schedule", store.FeedState{Disabled: true, DisabledReason: "HTTP 410 Gone", LastPolled: now.Add(-time.Hour)}, 0,
			"at start/reload, run --once in 5h0m0s", "disabled: HTTP 410 Gone"},
		{"disabled, polled every 12 hours", store.FeedState{Disabled: true, DisabledReason: "HTTP 410 Gone", LastPolled: now.Add(-time.Hour)}, 12 * time.Hour,
			"at start/reload, run --once in 11h0m0s", "disabled: HTTP 410 Gone"},
		{"disabled, its back-off over", store.FeedState{Disabled: true, DisabledReason: "HTTP 410 Gone", LastPolled: now.Add(-7 * time.Hour)}, 0,
			"at start/reload, run --once now", "disabled: HTTP 410 Gone"},
		{"disabled, its retry put off by a busy host", store.FeedState{Disabled: true, DisabledReason: "HTTP 410 Gone", LastPolled: now.Add(-time.Hour),
			NextPoll: now.Add(4 * time.Minute), RetryAt: now.Add(4 * time.Minute)}, 0,
			"retry in 4m0s (host busy), run --once in 5h0m0s", "disabled: HTTP 410 Gone"},
		{"failing, backing off", store.FeedState{ErrorCount: 3, LastPolled: now.Add(-time.Hour), FailingSince: now.Add(-2 * time.Hour),
			NextPoll: now.Add(5 * time.Hour), LastError: "HTTP 503"}, 0, "in 5h0m0s", "failing for 2h0m0s: HTTP 503"},
		{"failing since this poll", store.FeedState{ErrorCount: 1, LastPolled: now, FailingSince: now,
			NextPoll: now.Add(15 * time.Minute), LastError: "HTTP 503"}, 0, "in 15m0s", "failing for 0s: HTTP 503"},
		{"never polled", store.FeedState{}, 0, "due", "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := feedStatusOf("gone", "https://gone.example/rss", tt.state, cmp.Or(tt.interval, 10*time.Minute))
			if tt.state.Disabled && !reflect.DeepEqual(f.NextPoll, timeOrNil(tt.state.RetryAt)) {
				t.Errorf("next_poll: got %v, want %v (a disabled feed waits for a restart or reload, or its retry put off)", f.NextPoll, timeOrNil(tt.state.RetryAt))
			}
			var out bytes.Buffer
			if err := writeStatus(&out, statusReport{Feeds: []feedStatus{f}}, now); err != nil {
				t.Fatal(err)
			}
			line := strings.Split(out.String(), "\n")[1]
			if !strings.Contains(line, "  "+tt.wantNext+"  ") {
				t.Errorf("feed line: got %q, want NEXT POLL %q", line, tt.wantNext)
			}
			if !strings.HasSuffix(line, "  "+tt.wantProblem) {
				t.Errorf("feed line: got %q, want PROBLEM %q", line, tt.wantProblem)
			}
		})
	}
}

// TestStatusOnPostgres: status reads a shared PostgreSQL store beside the
// running instances and changes nothing: on a database newshound has not
// run with it says so and creates no tables (it used to migrate, which a
// newer newshound's status would also do to the instances' schema).
func TestStatusOnPostgres(t *testing.T) {
	dsn := pgtest.Schema(t)
	ctx := context.Background()
	path := configWithPostgres(t, dsn)
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"status", path}, &out, &errOut); code != exitFailure {
		t.Errorf("status on an empty database: exit code got %d, want %d\nstdout:\n%s", code, exitFailure, out.String())
	}
	if want := "has no newshound tables: newshound has not run with this store"; !strings.Contains(errOut.String(), want) {
		t.Errorf("stderr: got %q, want it to contain %q", errOut.String(), want)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var created bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&created); err != nil {
		t.Fatal(err)
	}
	if created {
		t.Error("status created newshound's tables: got a schema_migrations table, want none")
	}

	st, err := store.OpenPostgres(ctx, dsn) // what run does
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out.Reset()
	errOut.Reset()
	if code := run(ctx, []string{"status", path}, &out, &errOut); code != exitOK {
		t.Errorf("status beside a running instance: exit code got %d, want 0\nstderr:\n%s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "wire  never") {
		t.Errorf("stdout: got %q, want the feed wire, never polled", out.String())
	}
}

// TestStatusNamesWatchesWhoseQueryNoLongerParses: a watch stored by an
// older version whose query this one refuses ("covid19:" is now an
// unknown field), or naming a define the config dropped, does not run;
// status names it with the parse error, in its table and its JSON
// (watches_not_running), so that an operator sees it after an upgrade.
func TestStatusNamesWatchesWhoseQueryNoLongerParses(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "state.db")
	ctx := context.Background()
	_, st := statusStore(t, db)
	const wire = "https://wire.example/rss"
	for _, q := range []string{"aleppo", "covid19: vaccine", "@gone storm", "@kept storm"} {
		if _, err := st.AddWatch(ctx, store.Watch{GuildID: "1", ChannelID: "10", FeedURL: wire, Query: q}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	path := filepath.Join(dir, "newshound.yaml")
	cfg := fmt.Sprintf("store:\n  path: %q\ndefine:\n  kept: flood OR flooding\nfeeds:\n  - name: desk\n    url: https://desk.example/rss\nsubscriptions:\n  - name: all\n    query: news\n", db)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var r struct {
		Watches []struct {
			ID      int64  `json:"id"`
			Query   string `json:"query"`
			Problem string `json:"problem"`
		} `json:"watches_not_running"`
	}
	if err := json.Unmarshal([]byte(runCLI(t, "status", "--json", "--config", path)), &r); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		id      int64
		query   string
		problem string
	}{
		{"field with a digit", 2, "covid19: vaccine", `unknown field "covid19"`},
		{"define dropped", 3, "@gone storm", "gone"},
	}
	if len(r.Watches) != len(tests) {
		t.Fatalf("watches_not_running: %+v, want watches #2 and #3", r.Watches)
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := r.Watches[i]; got.ID != tc.id || got.Query != tc.query || !strings.Contains(got.Problem, tc.problem) {
				t.Errorf("got %+v, want #%d %q with a problem naming %q", got, tc.id, tc.query, tc.problem)
			}
		})
	}
	text := runCLI(t, "status", "--config", path)
	for _, want := range []string{"#2", "covid19: vaccine", `unknown field "covid19"`} {
		if !strings.Contains(text, want) {
			t.Errorf("status table lacks %q:\n%s", want, text)
		}
	}
}

// TestStatusHidesTheFeedURLsPassword: status (and its --json, which a
// monitor may keep) shows a feed's URL, its config one or the one it moved
// to, with the password of https://user:pass@… hidden, and a user name
// given without one, an API key or token in its query, a fragment and a
// webhook's token (README: "A feed has name and url"), as the log does.
func TestStatusHidesTheFeedURLsPassword(t *testing.T) {
	tests := []struct {
		name, configURL string
		state           store.FeedState
		want            string
	}{
		{"config URL", "https://alice:s3cret@wire.example/rss", store.FeedState{}, "https://alice:xxxxx@wire.example/rss"},
		{"moved URL", "https://alice:s3cret@wire.example/rss", store.FeedState{URL: "https://alice:s3cret@wire.example/feed"}, "https://alice:xxxxx@wire.example/feed"},
		{"no password", "https://wire.example/rss", store.FeedState{}, "https://wire.example/rss"},
		{"an API key in the query", "https://api.wire.example/v2/rss?category=world&api_key=s3cret&lang=en", store.FeedState{}, "https://api.wire.example/v2/rss?category=world&api_key=xxxxx&lang=en"},
		{"a token and a password", "https://alice:s3cret@wire.example/rss?Access-Token=s3cret", store.FeedState{}, "https://alice:xxxxx@wire.example/rss?Access-Token=xxxxx"},
		{"a query with no secret", "https://wire.example/rss?section=world&keywords=truce", store.FeedState{}, "https://wire.example/rss?section=world&keywords=truce"},
		{"a user name without a password", "https://s3cret@git.example/alice.atom", store.FeedState{}, "https://xxxxx@git.example/alice.atom"},
		{"a fragment", "https://wire.example/rss#access_token=s3cret", store.FeedState{}, "https://wire.example/rss#…"},
		{"a webhook's token", "https://discord.com/api/webhooks/123/s3cret", store.FeedState{}, "https://discord.com/api/webhooks/123/…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := feedStatusOf("private", tt.configURL, tt.state, 10*time.Minute).URL; got != tt.want {
				t.Errorf("got URL %q, want %q", got, tt.want)
			}
		})
	}
}

// TestStatusDisabledWatchFeed: a /watch feed is polled, and retried by
// run --once once disabled, only while a watch of it runs; one whose
// watches are all paused says so, with no time of a retry that does not
// come, in the text and in --json's once_retry.
func TestStatusDisabledWatchFeed(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	const feedURL = "https://gone.example/rss"
	states := map[string]store.FeedState{bot.WatchFeedID(feedURL): {Disabled: true, DisabledReason: "HTTP 410 Gone", LastPolled: now.Add(-7 * time.Hour)}}
	tests := []struct {
		name      string
		paused    bool
		wantNext  string
		wantRetry bool
	}{
		{"a watch runs", false, "at start/reload, run --once now", true},
		{"its watches paused", true, "watches paused", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := watchFeedStatuses([]store.Watch{{ID: 1, FeedURL: feedURL, Paused: tt.paused}}, states, 10*time.Minute)
			var out bytes.Buffer
			if err := writeStatus(&out, statusReport{Feeds: fs}, now); err != nil {
				t.Fatal(err)
			}
			line := strings.Split(out.String(), "\n")[1]
			if !strings.Contains(line, "  "+tt.wantNext+"  ") || !strings.HasSuffix(line, "  disabled: HTTP 410 Gone") {
				t.Errorf("feed line: got %q, want NEXT POLL %q, PROBLEM %q", line, tt.wantNext, "disabled: HTTP 410 Gone")
			}
			if got := fs[0].OnceRetry != nil; got != tt.wantRetry {
				t.Errorf("once_retry given: %v, want %v", got, tt.wantRetry)
			}
		})
	}
}

// TestStatusRightAfterAPollShowsNoNegativeAge: status run within the
// second of a feed's poll said "-1s ago" for its last success, since the
// time it measured ages from was cut to the whole second. The poll here is
// made late in a second, where the cut time is over half a second early.
func TestStatusRightAfterAPollShowsNoNegativeAge(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "state.db")
	st, err := store.OpenSQLite(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	// Late in a second: what is waited for is a place on the clock, not
	// another goroutine.
	if frac := time.Duration(time.Now().Nanosecond()); frac < 600*time.Millisecond {
		time.Sleep(600*time.Millisecond - frac)
	}
	polled := time.Now().UTC()
	const url = "https://wire.example/rss"
	if err := st.SaveFeedStates(context.Background(), []store.FeedState{{FeedID: "wire", URL: url, ConfigURL: url,
		Initialized: true, LastPolled: polled, LastSuccess: polled, NextPoll: polled.Add(10 * time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	path := filepath.Join(dir, "newshound.yaml")
	cfg := fmt.Sprintf("store:\n  path: %q\nfeeds:\n  - name: wire\n    url: %s\nsubscriptions:\n  - name: all\n    query: news\n", db, url)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	table := runCLI(t, "status", "--config", path)
	if time.Since(polled) >= 400*time.Millisecond {
		t.Skipf("status took %v, past the second of the poll: the case is not made", time.Since(polled))
	}
	for _, line := range strings.Split(table, "\n") {
		if fields := strings.Fields(line); len(fields) > 1 && fields[0] == "wire" && fields[1] != "0s" {
			t.Errorf("status right after the poll: last success %q, want \"0s\" ago:\n%s", fields[1], table)
		}
	}
}
