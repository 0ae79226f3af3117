package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSQLitePragmas(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cases := []struct {
		db     *sql.DB
		pragma string
		want   string
	}{
		{s.w, "journal_mode", "wal"},
		{s.w, "foreign_keys", "1"},
		{s.w, "synchronous", "1"}, // NORMAL
		{s.w, "busy_timeout", "10000"},
		{s.r, "foreign_keys", "1"},
		{s.r, "busy_timeout", "10000"},
		{s.r, "query_only", "1"},
		{s.r, "journal_mode", "wal"},
	}
	for _, c := range cases {
		role := "reader"
		if c.db == s.w {
			role = "writer"
		}
		var got string
		if err := c.db.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
			t.Fatalf("%s PRAGMA %s: %v", role, c.pragma, err)
		}
		if got != c.want {
			t.Errorf("%s PRAGMA %s = %q, want %q", role, c.pragma, got, c.want)
		}
	}
}

func TestSQLiteMigrationsRecorded(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	for open := range 2 {
		s, err := OpenSQLite(ctx, path)
		if err != nil {
			t.Fatalf("open %d: %v", open, err)
		}
		var rows, maxVersion int
		err = s.r.QueryRowContext(ctx, "SELECT COUNT(*), MAX(version) FROM schema_migrations").Scan(&rows, &maxVersion)
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := len(sqliteMigrations)
		if rows != want || maxVersion != sqliteMigrations[want-1].version {
			t.Errorf("open %d: schema_migrations has %d rows up to %d, want %d up to %d",
				open, rows, maxVersion, want, sqliteMigrations[want-1].version)
		}
	}
}

func TestSQLiteRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "n.db")
	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.w.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'from the future', 0)")
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err = OpenSQLite(ctx, path)
	if err == nil {
		s.Close()
		t.Fatal("OpenSQLite of a newer schema succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "9999") {
		t.Errorf("error = %q, want it to name the database's version 9999", err)
	}
}

func TestDialectsHaveMatchingMigrations(t *testing.T) {
	if len(sqliteMigrations) != len(postgresMigrations) {
		t.Fatalf("%d SQLite migrations, %d PostgreSQL: every step needs both", len(sqliteMigrations), len(postgresMigrations))
	}
	for i := range sqliteMigrations {
		a, b := sqliteMigrations[i], postgresMigrations[i]
		if a.version != b.version || a.version != i+1 {
			t.Errorf("migration %d: SQLite version %d, PostgreSQL %d, want both %d", i, a.version, b.version, i+1)
		}
	}
}

func TestExpandList(t *testing.T) {
	cases := []struct {
		name, in, list, want string
	}{
		{"none", "SELECT 1", "json_each($N) AS j", "SELECT 1"},
		{"one", "SELECT j.value FROM LIST($2) WHERE x", "json_each($N) AS j", "SELECT j.value FROM json_each($2) AS j WHERE x"},
		{"two-digit", "FROM LIST($12)", "f($N::jsonb) AS j", "FROM f($12::jsonb) AS j"},
		{"twice", "LIST($1) LIST($3)", "e($N)", "e($1) e($3)"},
	}
	for _, c := range cases {
		if got := expandList(c.in, c.list); got != c.want {
			t.Errorf("%s: expandList(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

// TestPruneRows checks what Prune deletes, row by row: the Store interface
// cannot show finished alerts or dedupe keys, so this looks at the tables.
func TestPruneRows(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	now := start
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "prune.db"),
		WithClock(func() time.Time { return now }), WithDedupeWindow(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	commitAt := func(at time.Time, key string) int64 {
		t.Helper()
		now = at
		p := Poll{Keys: []string{key}, Alerts: []Alert{{Destination: "d", ItemKey: key, DedupeKeys: []string{"story:" + key}}}}
		if n, err := s.CommitPoll(ctx, "f-"+key, p); err != nil || n != 1 {
			t.Fatalf("CommitPoll(%s) = %d, %v", key, n, err)
		}
		var id int64
		if err := s.r.QueryRowContext(ctx, "SELECT id FROM alerts WHERE item_key = $1", key).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	old := start
	recent := start.Add(10 * 24 * time.Hour)
	ids := map[string]int64{
		"old-delivered":    commitAt(old, "old-delivered"),
		"old-dropped":      commitAt(old, "old-dropped"),
		"old-pending":      commitAt(old, "old-pending"),
		"recent-delivered": commitAt(recent, "recent-delivered"),
	}
	for key, mark := range map[string]func(id int64) error{
		"old-delivered":    func(id int64) error { return s.MarkDelivered(ctx, id, "m", old) },
		"old-dropped":      func(id int64) error { return s.MarkDropped(ctx, id, "gone") },
		"recent-delivered": func(id int64) error { return s.MarkDelivered(ctx, id, "m", recent) },
	} {
		if err := mark(ids[key]); err != nil {
			t.Fatal(err)
		}
	}
	now = recent.Add(time.Hour)
	if err := s.Prune(ctx, recent.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		key                 string
		wantAlert, wantSeen bool
		wantDedupe          bool
	}{
		// Each "f-KEY" feed's only key is in its latest fetch: never pruned.
		{"old-delivered", false, true, false},
		{"old-dropped", false, true, false},
		{"old-pending", true, true, false},
		{"recent-delivered", true, true, true},
	}
	for _, c := range cases {
		exists := func(query string, arg string) bool {
			var ok bool
			if err := s.r.QueryRowContext(ctx, query, arg).Scan(&ok); err != nil {
				t.Fatal(err)
			}
			return ok
		}
		got := []bool{
			exists("SELECT EXISTS (SELECT 1 FROM alerts WHERE item_key = $1)", c.key),
			exists("SELECT EXISTS (SELECT 1 FROM seen_items WHERE item_key = $1)", c.key),
			exists("SELECT EXISTS (SELECT 1 FROM alert_dedupe WHERE dedupe_key = 'story:' || $1)", c.key),
		}
		want := []bool{c.wantAlert, c.wantSeen, c.wantDedupe}
		if !slices.Equal(got, want) {
			t.Errorf("%s after prune: alert, seen key, dedupe key exist = %v, want %v", c.key, got, want)
		}
	}
}

// TestSQLiteMigrateFromLeases opens a database made by the schema before
// single ownership and enqueue times (version 3): its lease table goes, and
// its alerts get an enqueue time no earlier than they were delivered.
func TestSQLiteMigrateFromLeases(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v3.db")
	old := sqliteDialect
	old.migrations = sqliteMigrations[:3]
	db, err := openSQLitePool(ctx, sqliteDSN(path, true), 1)
	if err != nil {
		t.Fatal(err)
	}
	v3 := &sqlStore{w: db, r: db, q: &old, opt: newOptions(nil)}
	if err := v3.migrate(ctx); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, stmt := range []string{
		`INSERT INTO feed_leases (feed_id, owner, lease_until) VALUES ('wire', 'host-1', 1)`,
		fmt.Sprintf(`INSERT INTO alerts (destination, item_key, created_at, delivered_at) VALUES
			('d', 'delivered', %d, %d), ('d', 'pending', %d, 0)`,
			toMicro(day.AddDate(0, -2, 0)), toMicro(day), toMicro(day.AddDate(0, 0, -1))),
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var leaseTables int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE name = 'feed_leases'`).Scan(&leaseTables); err != nil {
		t.Fatal(err)
	}
	if leaseTables != 0 {
		t.Error("feed_leases still exists after migrating")
	}
	want := map[string]time.Time{"delivered": day, "pending": day.AddDate(0, 0, -1)}
	for key, at := range want {
		var got int64
		if err := s.r.QueryRowContext(ctx, `SELECT enqueued_at FROM alerts WHERE item_key = $1`, key).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if !fromMicro(got).Equal(at) {
			t.Errorf("%s alert: enqueued_at = %v, want %v", key, fromMicro(got), at)
		}
	}
}
