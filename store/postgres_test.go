package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/store"
	"github.com/newshound/newshound/store/storetest"
)

// postgresDSNEnv names a PostgreSQL database the tests may create and drop
// schemas in; .ci/postgres.sh prints one.
const postgresDSNEnv = "NEWSHOUND_TEST_POSTGRES_DSN"

func postgresDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(postgresDSNEnv)
	if dsn == "" {
		t.Skipf("PostgreSQL tests skipped: set %s (for example to the output of .ci/postgres.sh)", postgresDSNEnv)
	}
	return dsn
}

// postgresSchema creates an empty schema for one test, drops it when the
// test ends, and returns a DSN whose search_path points at it.
func postgresSchema(t testing.TB, dsn string) string {
	t.Helper()
	ctx := context.Background()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := fmt.Sprintf("nh_test_%d", time.Now().UnixNano())
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
		t.Fatalf("%s: %v", postgresDSNEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func openPostgres(t *testing.T, dsn string, opts ...store.Option) *store.Postgres {
	t.Helper()
	s, err := store.OpenPostgres(context.Background(), dsn, opts...)
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}
	return s
}

func TestPostgresContract(t *testing.T) {
	dsn := postgresDSN(t)
	storetest.Run(t, func(t *testing.T) storetest.Open {
		schemaDSN := postgresSchema(t, dsn)
		return func(t *testing.T, opts ...store.Option) store.Store {
			return openPostgres(t, schemaDSN, opts...)
		}
	})
}
