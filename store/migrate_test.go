package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
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
