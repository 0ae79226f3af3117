package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
)

// TestSharedSchemaOfAnotherVersion: README ("Several instances") says a
// newer newshound's first start upgrades a shared schema, on which an
// older newshound no longer starts, and that a newer newshound's status
// says so and leaves the schema as it is. On a PostgreSQL schema one
// version behind this newshound (older: status) or ahead of it (newer:
// status, run --once and run), each says so, naming both versions, with
// the exit code README gives, and the schema's version is what it was.
// (The upgrade itself is store's TestPostgresMigrate15To16 and alike.)
// Each command has a deadline, so that a start the schema did not refuse
// fails the test rather than hanging it.
func TestSharedSchemaOfAnotherVersion(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		older   bool // else newer
		code    int
		wantErr string // %[1]d the schema's version, %[2]d this newshound's
	}{
		{"status, older schema", []string{"status"}, true, exitFailure,
			"database schema version %[1]d is older than this newshound's (%[2]d): stop every newshound"},
		{"status, newer schema", []string{"status"}, false, exitFailure,
			"database schema version %[1]d is newer than this newshound knows (%[2]d)"},
		{"run --once, newer schema", []string{"run", "--once"}, false, exitStore,
			"database schema version %[1]d is newer than this newshound knows (%[2]d)"},
		{"run, newer schema", []string{"run"}, false, exitStore,
			"database schema version %[1]d is newer than this newshound knows (%[2]d)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dsn := pgtest.Schema(t)
			st, err := store.OpenPostgres(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			st.Close()
			db, err := sql.Open("pgx", dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			version := func() int {
				t.Helper()
				var v int
				if err := db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
					t.Fatal(err)
				}
				return v
			}
			latest := version()
			schema := latest + 1
			change := `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'from a newer newshound', 0)`
			if tt.older {
				schema, change = latest-1, `DELETE FROM schema_migrations WHERE version = $1 + 1`
			}
			if _, err := db.ExecContext(ctx, change, schema); err != nil {
				t.Fatal(err)
			}
			path := configWithPostgres(t, dsn)
			runCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			var out, errOut bytes.Buffer
			code := run(runCtx, append(tt.args, path), &out, &errOut)
			if runCtx.Err() != nil {
				t.Fatalf("%s still running after 30 s: the schema %d was not refused\nstderr:\n%s", tt.args, schema, errOut.String())
			}
			if code != tt.code {
				t.Errorf("exit code: got %d, want %d\nstderr:\n%s", code, tt.code, errOut.String())
			}
			if want := fmt.Sprintf(tt.wantErr, schema, latest); !strings.Contains(errOut.String(), want) {
				t.Errorf("stderr: got %q, want it to contain %q", errOut.String(), want)
			}
			if got := version(); got != schema {
				t.Errorf("schema version after %s: got %d, want %d, as it was", tt.args, got, schema)
			}
		})
	}
}
