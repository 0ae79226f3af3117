package store_test

import (
	"context"
	"database/sql"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
)

// TestOpenOfACurrentSchemaWaitsForNoWriter: opening a database whose
// schema is already current, every start but an upgrade's, reads its
// version and takes no write lock, so it does not wait for another
// connection holding one (an inspector's checkpoint on SQLite; another
// instance's migration lock on PostgreSQL, taken here by hand).
func TestOpenOfACurrentSchemaWaitsForNoWriter(t *testing.T) {
	cases := []struct {
		name   string
		target func(t *testing.T) (driver, dsn string, open func(ctx context.Context) (store.Store, error))
		hold   string // run on another connection during the open
	}{
		{"sqlite", func(t *testing.T) (string, string, func(ctx context.Context) (store.Store, error)) {
			path := filepath.Join(t.TempDir(), "s.db")
			return "sqlite", path, func(ctx context.Context) (store.Store, error) { return store.OpenSQLite(ctx, path) }
		}, "BEGIN IMMEDIATE"},
		{"postgres", func(t *testing.T) (string, string, func(ctx context.Context) (store.Store, error)) {
			dsn := pgtest.Schema(t)
			return "pgx", dsn, func(ctx context.Context) (store.Store, error) { return store.OpenPostgres(ctx, dsn) }
		}, "SELECT pg_advisory_lock(7072611417)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			driver, dsn, open := c.target(t)
			s, err := open(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			db, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			conn, err := db.Conn(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.ExecContext(context.Background(), c.hold); err != nil {
				t.Fatal(err)
			}
			// Released at once after the open, so that other packages'
			// tests migrating their own schemas wait no longer.
			defer conn.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			s, err = open(ctx)
			if err != nil {
				t.Fatalf("open while another connection holds %q: %v", c.hold, err)
			}
			s.Close()
		})
	}
}

// TestOpenMigratesTheSchemaItCreatesIn: a PostgreSQL search_path may name
// another newshound's schema after the one this instance creates its
// tables in (`"$user", public`, with public migrated by another
// deployment). The first open migrates its own schema, as an open always
// did, and does not take the other's tables, current as they are, for its
// own.
func TestOpenMigratesTheSchemaItCreatesIn(t *testing.T) {
	ctx := context.Background()
	other := pgtest.Schema(t)
	s, err := store.OpenPostgres(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	own := pgtest.Schema(t)
	ownSchema, otherSchema := searchPath(t, own), searchPath(t, other)
	both := strings.Replace(own, "search_path="+ownSchema, "search_path="+url.QueryEscape(ownSchema+","+otherSchema), 1)
	s, err = store.OpenPostgres(ctx, both)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("pgx", own)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var migrated bool
	if err := db.QueryRowContext(ctx, "SELECT to_regclass($1) IS NOT NULL", ownSchema+".schema_migrations").Scan(&migrated); err != nil {
		t.Fatal(err)
	}
	if !migrated {
		t.Errorf("schema %s (search_path %s,%s) has no schema_migrations after the open: got its tables from %s", ownSchema, ownSchema, otherSchema, otherSchema)
	}
}

// searchPath is the search_path a pgtest DSN sets.
func searchPath(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := u.Query().Get("search_path")
	if p == "" {
		t.Fatalf("DSN %q sets no search_path", dsn)
	}
	return p
}

// TestInstancesStartingAtOnceMigrateOnce: instances started together on
// an empty PostgreSQL schema each read no version before migrating; the
// migration runs once, under its lock, and each of them opens.
func TestInstancesStartingAtOnceMigrateOnce(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Schema(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := store.OpenPostgres(ctx, dsn)
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("instance %d: %v", i, err)
		}
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, versions int
	if err := db.QueryRowContext(ctx, "SELECT count(*), count(DISTINCT version) FROM schema_migrations").Scan(&rows, &versions); err != nil {
		t.Fatal(err)
	}
	if rows != versions || rows == 0 {
		t.Errorf("schema_migrations has %d rows of %d versions, want each version once", rows, versions)
	}
}

// TestOpenRefusesANewerSchema: an open of a schema a newer newshound
// migrated is refused, as before the version was read first.
func TestOpenRefusesANewerSchema(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		driver string
		dsn    func(t *testing.T) string
		open   func(ctx context.Context, dsn string) (store.Store, error)
	}{
		{"sqlite", "sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "s.db") },
			func(ctx context.Context, dsn string) (store.Store, error) { return store.OpenSQLite(ctx, dsn) }},
		{"postgres", "pgx", func(t *testing.T) string { return pgtest.Schema(t) },
			func(ctx context.Context, dsn string) (store.Store, error) { return store.OpenPostgres(ctx, dsn) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dsn := c.dsn(t)
			s, err := c.open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			db, err := sql.Open(c.driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'from the future', 0)"); err != nil {
				t.Fatal(err)
			}
			s, err = c.open(ctx, dsn)
			if err == nil {
				s.Close()
			}
			if want := "newer than this newshound knows"; err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("got error %v, want one with %q", err, want)
			}
		})
	}
}
