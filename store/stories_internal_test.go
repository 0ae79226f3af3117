package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// v8Rows are the rows a database of schema version 8 holds before
// migration 9: a feed with two seen keys, a pending alert and one
// delivered as message m1.
var v8Rows = []statement{
	{`INSERT INTO feeds (feed_id, initialized, items_seen_at) VALUES ('wire', true, $1)`, []any{toMicro(v8Day)}},
	{`INSERT INTO seen_items (feed_id, item_key, first_seen, last_seen) VALUES ('wire', 'k1', $1, $1), ('wire', 'k2', $1, $1)`,
		[]any{toMicro(v8Day)}},
	{`INSERT INTO alerts (destination, subscription, feed_id, item_key, payload, created_at, enqueued_at) VALUES
		('desk', 'sub', 'wire', 'k1', $1, $2, $2)`, []any{[]byte(`{"title":"k1"}`), toMicro(v8Day)}},
	{`INSERT INTO alerts (destination, subscription, feed_id, item_key, payload, created_at, enqueued_at, delivered_at, message_id) VALUES
		('desk', 'sub', 'wire', 'k2', $1, $2, $2, $2, 'm1')`, []any{[]byte(`{"title":"k2"}`), toMicro(v8Day)}},
}

var v8Day = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// makeV8 brings db to schema version 8 of dialect d and fills it with
// v8Rows.
func makeV8(t *testing.T, db *sql.DB, d dialect) {
	t.Helper()
	migrateTo(t, db, d, 8)
	execAll(t, db, v8Rows)
}

// A statement is a query and its arguments.
type statement struct {
	query string
	args  []any
}

// migrateTo brings db to schema version v of dialect d.
func migrateTo(t *testing.T, db *sql.DB, d dialect, v int) {
	t.Helper()
	old := d
	old.migrations = d.migrations[:v]
	if got := old.migrations[v-1].version; got != v {
		t.Fatalf("migration %d is version %d", v, got)
	}
	s := &sqlStore{w: db, r: db, q: &old, opt: newOptions(nil)}
	if err := s.migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func execAll(t *testing.T, db *sql.DB, stmts []statement) {
	t.Helper()
	for _, r := range stmts {
		if _, err := db.ExecContext(context.Background(), r.query, r.args...); err != nil {
			t.Fatalf("%s: %v", r.query, err)
		}
	}
}

// openPostgresDB opens a fresh schema of the test database as a plain
// database/sql handle, and returns it with its DSN.
func openPostgresDB(t *testing.T) (*sql.DB, string) {
	t.Helper()
	dsn := postgresTestSchema(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dsn
}

// makeV10 brings db to schema version 10 of dialect d and fills it with a
// lead delivered at v8Day and a join of its story posted alone an hour
// and a half later: version 10 moved its enqueued_at then.
func makeV10(t *testing.T, db *sql.DB, d dialect) (postedAlone time.Time) {
	t.Helper()
	migrateTo(t, db, d, 10)
	postedAlone = v8Day.Add(90 * time.Minute)
	execAll(t, db, []statement{
		{`INSERT INTO alerts (destination, subscription, feed_id, item_key, payload, created_at, enqueued_at, delivered_at, message_id, story) VALUES
			('desk', 'sub', 'wire', 'lead', $1, $2, $2, $2, 'm1', 's1')`, []any{[]byte(`{"title":"lead"}`), toMicro(v8Day)}},
		{`INSERT INTO alerts (destination, subscription, feed_id, item_key, payload, created_at, enqueued_at, story, joins, batch) VALUES
			('desk', 'sub', 'wire', 'join', $1, $2, $3, 's1', true, 'nh1x1')`, []any{[]byte(`{"title":"join"}`), toMicro(v8Day), toMicro(postedAlone)}},
	})
	return postedAlone
}

// checkMigrated11 checks a store opened over makeV10's database: the join
// posted alone before migration 11 still counts towards max_per_hour in
// the hour it was posted alone, and one posted alone after it counts in
// its own hour while it keeps its enqueue time.
func checkMigrated11(t *testing.T, s *sqlStore, postedAlone time.Time) {
	t.Helper()
	ctx := context.Background()
	count := func(since time.Time) int {
		t.Helper()
		n, err := s.CountUnheld(ctx, "sub", since)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := count(v8Day); got != 2 {
		t.Errorf("CountUnheld since the lead = %d, want 2 (the lead and the join posted alone)", got)
	}
	if got := count(postedAlone); got != 1 {
		t.Errorf("CountUnheld of the hour the join was posted alone = %d, want 1", got)
	}
	if got := count(postedAlone.Add(time.Microsecond)); got != 0 {
		t.Errorf("CountUnheld after = %d, want 0", got)
	}
}

func TestSQLiteMigrate10To11(t *testing.T) {
	var postedAlone time.Time
	s := migratedSQLite(t, func(db *sql.DB, d dialect) { postedAlone = makeV10(t, db, d) })
	checkMigrated11(t, s, postedAlone)
}

func TestPostgresMigrate10To11(t *testing.T) {
	var postedAlone time.Time
	s := migratedPostgres(t, func(db *sql.DB, d dialect) { postedAlone = makeV10(t, db, d) })
	checkMigrated11(t, s, postedAlone)
}

// checkMigrated9 checks a store opened over makeV8's database: the schema
// is at the latest version (9 and after), the old rows read with no story, joins or
// fingerprints, the story queries find them (or rightly nothing), and a
// commit stores story state over them.
func checkMigrated9(t *testing.T, s *sqlStore) {
	ctx := context.Background()
	var version int
	latest := s.q.migrations[len(s.q.migrations)-1].version
	if err := s.r.QueryRowContext(ctx, s.q.appliedVersion).Scan(&version); err != nil || version != latest || latest < 9 {
		t.Fatalf("schema version after opening = %d, %v; want the latest, %d (9 or later)", version, err, latest)
	}
	due, err := s.DueAlerts(ctx, "desk", v8Day, 0)
	if err != nil || len(due) != 1 {
		t.Fatalf("DueAlerts = %+v, %v; want the pending alert", due, err)
	}
	if a := due[0]; a.ItemKey != "k1" || a.Story != "" || a.Joins || a.Fingerprint != nil || string(a.Payload) != `{"title":"k1"}` {
		t.Errorf("migrated pending alert = %+v, want k1 with no story, join or fingerprint", a)
	}
	if got, err := s.MessageAlerts(ctx, "desk", "m1"); err != nil || len(got) != 1 || got[0].ItemKey != "k2" || got[0].Story != "" {
		t.Errorf("MessageAlerts(desk, m1) = %+v, %v; want the delivered k2", got, err)
	}
	if rows, err := s.StoryRows(ctx, time.Time{}); err != nil || len(rows) != 0 {
		t.Errorf("StoryRows = %+v, %v; want none (no migrated row has a fingerprint)", rows, err)
	}
	if a, err := s.StoryLeads(ctx, "desk", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("StoryLeads of the empty story = %+v, %v; want ErrNotFound", a, err)
	}
	if n, err := s.CountUnheld(ctx, "sub", time.Time{}); err != nil || n != 2 {
		t.Errorf("CountUnheld = %d, %v; want 2 (migrated alerts were sent one by one)", n, err)
	}
	if got, err := s.ItemTexts(ctx, "wire", []string{"k1", "k2"}); err != nil || len(got) != 0 {
		t.Errorf("ItemTexts of migrated keys = %q, %v; want none", got, err)
	}

	p := Poll{
		State: FeedState{FeedID: "wire", Initialized: true}, Keys: []string{"k1", "k2", "k3"},
		Alerts: []Alert{{Destination: "desk", ItemKey: "k3", Story: "s3", Fingerprint: []byte("fp3")}},
		Texts:  map[string][]byte{"k1": []byte("sig1"), "k3": []byte("sig3")},
	}
	if n, err := s.CommitPoll(ctx, "wire", p); err != nil || n != 1 {
		t.Fatalf("CommitPoll over the migrated rows = %d, %v; want 1", n, err)
	}
	got, err := s.ItemTexts(ctx, "wire", []string{"k1", "k2", "k3"})
	if want := map[string][]byte{"k1": []byte("sig1"), "k3": []byte("sig3")}; err != nil || !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("ItemTexts after a commit = %q, %v; want %q", got, err, want)
	}
	if rows, err := s.StoryRows(ctx, time.Time{}); err != nil || len(rows) != 1 || rows[0].Story != "s3" {
		t.Errorf("StoryRows after a commit = %+v, %v; want k3's", rows, err)
	}
}

func TestSQLiteMigrate8To9(t *testing.T) {
	checkMigrated9(t, migratedSQLite(t, func(db *sql.DB, d dialect) { makeV8(t, db, d) }))
}

func TestPostgresMigrate8To9(t *testing.T) {
	checkMigrated9(t, migratedPostgres(t, func(db *sql.DB, d dialect) { makeV8(t, db, d) }))
}

// TestSQLiteStoryQueriesUseIndexes reads SQLite's plan of the story
// queries: each finds its rows through an index, never by walking a whole
// table (the outbox keeps 30 days of alerts, seen_items every feed's keys).
func TestSQLiteStoryQueriesUseIndexes(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cases := []struct {
		name, query string
		args        []any
		want        string // in the plan
	}{
		{"StoryLeads", s.q.storyLeads, []any{"desk", "s"}, "USING INDEX alerts_story_lead (destination=? AND story=?)"},
		{"MessageAlerts", s.q.messageAlerts, []any{"desk", "m"}, "USING INDEX alerts_message (destination=? AND message_id=?)"},
		{"CommitPoll's story takes", s.q.takeIntoStory, []any{"s2", "desk", "s", "f/k"}, "USING INDEX alerts_story_lead (destination=? AND story=?)"},
		{"StoryRows", s.q.storyRows, []any{0}, "USING INDEX alerts_enqueued (enqueued_at>?)"},
		{"CountUnheld", s.q.countUnheld, []any{"sub", 0}, "USING INDEX alerts_sent_alone (subscription=? AND enqueued_at>?)"},
		{"CountUnheld's joins posted alone", s.q.countUnheld, []any{"sub", 0}, "USING INDEX alerts_joins_alone (subscription=? AND sent_alone_at>?)"},
		{"Hold", s.q.hold, []any{`["1"]`, 1}, "USING INTEGER PRIMARY KEY (rowid=?)"},
		{"HoldForDigest", s.q.holdForDigest, []any{1, "d", 1, 1}, "USING INTEGER PRIMARY KEY (rowid=?)"},
		{"ItemTexts", s.q.itemTexts, []any{"f", `["a"]`}, "USING PRIMARY KEY (feed_id=? AND item_key=?)"},
		{"FirstSeen", s.q.firstSeen, []any{"f", `["a"]`}, "USING PRIMARY KEY (feed_id=? AND item_key=?)"},
		{"CommitPoll's text signatures", s.q.setTexts, []any{"f", `[["a","00"]]`, 1}, "SCAN j VIRTUAL TABLE"},
		{"CommitPoll's dedupe keys and their stories", s.q.dedupeTaken, []any{"desk", `["k"]`, 0}, "SEARCH d USING PRIMARY KEY (destination=? AND dedupe_key=?)"},
		{"CommitPoll's watches of the feed", s.q.liveWatches, []any{"https://a.example/rss"}, "USING INDEX watches_feed (feed_url=?)"},
		{"StoryRows' refused reports", s.q.refusedRows, []any{0}, "USING INDEX refused_reports_enqueued (enqueued_at>?)"},
		{"a move of a refused report", s.q.takeRefusedIntoStory, []any{"s2", "desk", "s", "f/k"}, "USING INDEX refused_reports_story (destination=? AND story=?)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan := queryPlan(t, s.sqlStore, c.query, c.args...)
			if !strings.Contains(plan, c.want) {
				t.Errorf("plan:\n%s\nwant %q", plan, c.want)
			}
			for _, table := range []string{"alerts", "seen_items", "watches", "refused_reports", "s", "d", "a"} {
				if strings.Contains(plan, "SCAN "+table+"\n") || strings.Contains(plan, "SCAN "+table+" USING") {
					t.Errorf("plan:\n%s\nwalks all of %s", plan, table)
				}
			}
		})
	}
}

// queryPlan returns the plan of query, a line a step: SQLite's EXPLAIN
// QUERY PLAN, or PostgreSQL's EXPLAIN asked with sequential scans off (its
// planner walks a table as small as a test's anyway, index or none).
func queryPlan(t *testing.T, s *sqlStore, query string, args ...any) string {
	t.Helper()
	ctx := context.Background()
	conn, err := s.w.Conn(ctx) // the setting holds for this connection alone
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	explain := "EXPLAIN QUERY PLAN "
	if s.q.name == "postgres" {
		if _, err := conn.ExecContext(ctx, "SET enable_seqscan = off"); err != nil {
			t.Fatal(err)
		}
		defer conn.ExecContext(ctx, "RESET enable_seqscan")
		explain = "EXPLAIN "
	}
	rows, err := conn.QueryContext(ctx, explain+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var plan strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		for i := range vals {
			vals[i] = new(any)
		}
		if err := rows.Scan(vals...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&plan, *vals[len(vals)-1].(*any)) // SQLite's detail, PostgreSQL's one column
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan.String()
}

// makeV11 brings db to schema version 11 of dialect d with a feed healthy
// at its last poll and one failing since before it.
func makeV11(t *testing.T, db *sql.DB, d dialect) {
	t.Helper()
	migrateTo(t, db, d, 11)
	execAll(t, db, []statement{
		{`INSERT INTO feeds (feed_id, initialized, last_polled) VALUES ('healthy', true, $1)`, []any{toMicro(v8Day)}},
		{`INSERT INTO feeds (feed_id, initialized, last_polled, error_count, failing_since, last_error) VALUES
			('failing', true, $1, 2, $2, 'HTTP 503')`, []any{toMicro(v8Day), toMicro(v8Day.Add(-time.Hour))}},
	})
}

// checkMigrated12 checks a store opened over makeV11's database: a feed
// healthy at its last poll last succeeded then; a failing feed's last
// success was not kept, so it has none.
func checkMigrated12(t *testing.T, s *sqlStore) {
	t.Helper()
	states, err := s.FeedStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{"healthy": v8Day, "failing": {}}
	for id, at := range want {
		if got := states[id].LastSuccess; !got.Equal(at) {
			t.Errorf("%s feed: LastSuccess = %v, want %v", id, got, at)
		}
	}
}

func TestSQLiteMigrate11To12(t *testing.T) {
	checkMigrated12(t, migratedSQLite(t, func(db *sql.DB, d dialect) { makeV11(t, db, d) }))
}

func TestPostgresMigrate11To12(t *testing.T) {
	checkMigrated12(t, migratedPostgres(t, func(db *sql.DB, d dialect) { makeV11(t, db, d) }))
}

// makeV14 brings db to schema version 14 of dialect d with two watches
// on two feeds.
func makeV14(t *testing.T, db *sql.DB, d dialect) {
	t.Helper()
	migrateTo(t, db, d, 14)
	execAll(t, db, []statement{
		{`INSERT INTO watches (guild_id, channel_id, feed_url, query, created_by, created_at) VALUES
			('g', 'c1', 'https://a.example/rss', 'aleppo', 'u', $1), ('g', 'c2', 'https://b.example/rss', 'gaza', 'u', $1)`,
			[]any{toMicro(v8Day)}},
	})
}

// checkMigrated15 checks a store opened over makeV14's database: the
// watches read as before, and the commit's read of a feed's watches
// (liveWatches) finds them through the index of step 15, not by walking
// the table (PostgreSQL is asked with sequential scans off, as its planner
// walks a table this small anyway: queryPlan).
func checkMigrated15(t *testing.T, s *sqlStore) {
	t.Helper()
	ctx := context.Background()
	ws, err := s.Watches(ctx)
	if err != nil || len(ws) != 2 || ws[0].FeedURL != "https://a.example/rss" || ws[1].Query != "gaza" {
		t.Fatalf("Watches after the migration = %+v, %v; want both", ws, err)
	}
	want := "USING INDEX watches_feed (feed_url=?)"
	if s.q.name == "postgres" {
		want = "watches_feed"
	}
	if plan := queryPlan(t, s, s.q.liveWatches, "https://a.example/rss"); !strings.Contains(plan, want) {
		t.Errorf("plan of the read of a feed's watches:\n%s\nwant %q", plan, want)
	}
}

func TestSQLiteMigrate14To15(t *testing.T) {
	checkMigrated15(t, migratedSQLite(t, func(db *sql.DB, d dialect) { makeV14(t, db, d) }))
}

func TestPostgresMigrate14To15(t *testing.T) {
	checkMigrated15(t, migratedPostgres(t, func(db *sql.DB, d dialect) { makeV14(t, db, d) }))
}

// makeV15 brings db to schema version 15 of dialect d, as the version
// before refused reports left it: a story's first alert, with its
// fingerprint and dedupe key.
func makeV15(t *testing.T, db *sql.DB, d dialect) {
	t.Helper()
	migrateTo(t, db, d, 15)
	execAll(t, db, []statement{
		{`INSERT INTO feeds (feed_id, initialized, items_seen_at) VALUES ('wire', true, $1)`, []any{toMicro(v8Day)}},
		{`INSERT INTO seen_items (feed_id, item_key, first_seen, last_seen) VALUES ('wire', 'a', $1, $1)`, []any{toMicro(v8Day)}},
		{`INSERT INTO alerts (destination, subscription, feed_id, item_key, dedupe_keys, payload, created_at, enqueued_at, story, fingerprint)
			VALUES ('desk', 'sub', 'wire', 'a', '["link:l"]', $1, $2, $2, 'wire/a', $3)`,
			[]any{[]byte(`{"title":"a"}`), toMicro(v8Day), []byte("fp-a")}},
		{`INSERT INTO alert_dedupe (destination, dedupe_key, alert_id, created_at) VALUES ('desk', 'link:l', 1, $1)`, []any{toMicro(v8Day)}},
	})
}

// checkMigrated16 checks a store opened over makeV15's database: the
// story rows read as before, and a commit whose edit of the story's first
// report the dedupe check refuses keeps it as a refused report, which
// StoryRows reads after them and a move takes into the other story.
func checkMigrated16(t *testing.T, s *sqlStore) {
	t.Helper()
	ctx := context.Background()
	s.opt.now = func() time.Time { return v8Day.Add(time.Minute) } // within the dedupe window of the alert
	p := Poll{
		State: FeedState{FeedID: "wire", Initialized: true}, Keys: []string{"a", "e"},
		Alerts: []Alert{{Destination: "desk", FeedID: "wire", ItemKey: "e", DedupeKeys: []string{"link:l"}, Story: "wire/e", Fingerprint: []byte("fp-e")}},
	}
	if n, err := s.CommitPoll(ctx, "wire", p); err != nil || n != 0 {
		t.Fatalf("CommitPoll of the refused edit = %d, %v; want 0 enqueued", n, err)
	}
	if err := s.MoveStories(ctx, []StoryMove{{Destination: "desk", Item: "wire/e", From: "wire/e", To: "wire/a"}}); err != nil {
		t.Fatal(err)
	}
	rows, err := s.StoryRows(ctx, v8Day)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		id          int64
		key, story  string
		fingerprint string
	}
	var got []row
	for _, r := range rows {
		got = append(got, row{r.ID, r.ItemKey, r.Story, string(r.Fingerprint)})
	}
	if want := []row{{1, "a", "wire/a", "fp-a"}, {0, "e", "wire/a", "fp-e"}}; !slices.Equal(got, want) {
		t.Errorf("StoryRows after the migration and the refused edit = %+v, want %+v", got, want)
	}
}

func TestSQLiteMigrate15To16(t *testing.T) {
	checkMigrated16(t, migratedSQLite(t, func(db *sql.DB, d dialect) { makeV15(t, db, d) }))
}

func TestPostgresMigrate15To16(t *testing.T) {
	checkMigrated16(t, migratedPostgres(t, func(db *sql.DB, d dialect) { makeV15(t, db, d) }))
}

// migratedSQLite is a SQLite store opened over a database that fill made
// with an older schema (fill brings it to its version and adds rows).
func migratedSQLite(t *testing.T, fill func(*sql.DB, dialect)) *sqlStore {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := openSQLitePool(ctx, sqliteDSN(path, true), 1)
	if err != nil {
		t.Fatal(err)
	}
	fill(db, sqliteDialect)
	db.Close()
	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.sqlStore
}

// migratedPostgres is migratedSQLite on PostgreSQL.
func migratedPostgres(t *testing.T, fill func(*sql.DB, dialect)) *sqlStore {
	t.Helper()
	db, dsn := openPostgresDB(t)
	fill(db, postgresDialect)
	s, err := OpenPostgres(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.sqlStore
}

// TestReadOnlyOpenOfAnOlderSchema: status on a database of an older
// schema, which the newshound that runs on it keeps using, says how to
// upgrade it without migrating it under running instances of the older
// version (which could not start again on it): stop them first.
func TestReadOnlyOpenOfAnOlderSchema(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		open func(t *testing.T) error
	}{
		{"sqlite", func(t *testing.T) error {
			path := filepath.Join(t.TempDir(), "old.db")
			db, err := openSQLitePool(ctx, sqliteDSN(path, true), 1)
			if err != nil {
				t.Fatal(err)
			}
			migrateTo(t, db, sqliteDialect, 12)
			db.Close()
			s, err := OpenSQLiteReadOnly(ctx, path)
			if err == nil {
				s.Close()
			}
			return err
		}},
		{"postgres", func(t *testing.T) error {
			db, dsn := openPostgresDB(t)
			migrateTo(t, db, postgresDialect, 12)
			s, err := OpenPostgresReadOnly(ctx, dsn)
			if err == nil {
				s.Close()
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.open(t)
			if err == nil {
				t.Fatal("read-only open of schema 12: got no error, want a refusal")
			}
			for _, want := range []string{"schema version 12 is older", "stop every newshound that runs on it first"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error: got %q, want it to contain %q", err, want)
				}
			}
		})
	}
}
