package store_test

import (
	"context"
	"testing"

	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
	"github.com/newshound/newshound/store/storetest"
)

func openPostgres(t *testing.T, dsn string, opts ...store.Option) *store.Postgres {
	t.Helper()
	s, err := store.OpenPostgres(context.Background(), dsn, opts...)
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}
	return s
}

func TestPostgresContract(t *testing.T) {
	pgtest.DSN(t)
	storetest.Run(t, func(t *testing.T) storetest.Open {
		schemaDSN := pgtest.Schema(t)
		return func(t *testing.T, opts ...store.Option) store.Store {
			return openPostgres(t, schemaDSN, opts...)
		}
	})
}
