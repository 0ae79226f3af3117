// Package pgtest gives tests an empty PostgreSQL schema of their own on the
// server named by NEWSHOUND_TEST_POSTGRES_DSN (.ci/postgres.sh prints one),
// and skips them, saying why, when it is not set.
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// DSNEnv names a PostgreSQL database the tests may create and drop schemas
// in.
const DSNEnv = "NEWSHOUND_TEST_POSTGRES_DSN"

// DSN returns the test database's DSN, or skips the test.
func DSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(DSNEnv)
	if dsn == "" {
		t.Skipf("PostgreSQL tests skipped: set %s (for example to the output of .ci/postgres.sh)", DSNEnv)
	}
	return dsn
}

// schemas counts the schemas this process made.
var schemas atomic.Int64

// Schema creates an empty schema for one test, drops it when the test
// ends, and returns a DSN whose search_path points at it. It skips the
// test when no test database is configured.
func Schema(t testing.TB) string {
	t.Helper()
	dsn := DSN(t)
	ctx := context.Background()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	// The count tells apart schemas of parallel tests made within one
	// tick of the clock.
	schema := fmt.Sprintf("nh_test_%d_%d", time.Now().UnixNano(), schemas.Add(1))
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(t, dsn, schema)
}

func withSearchPath(t testing.TB, dsn, schema string) string {
	t.Helper()
	if !strings.Contains(dsn, "://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("%s: %v", DSNEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
