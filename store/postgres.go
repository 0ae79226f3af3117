package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// Postgres is the Store for several newshound instances sharing one
// database. Its schema and behaviour match SQLite's; concurrency between
// instances rests on row locks (a feed's commits serialize on its feeds
// row), ON CONFLICT, and advisory locks for migrations and per-destination
// dedupe.
type Postgres struct {
	*sqlStore
}

var _ Store = (*Postgres)(nil)

// postgresMaxConns bounds one instance's connections: pollers and senders
// rarely need more, and the server's max_connections is shared.
const postgresMaxConns = 10

// OpenPostgres connects to the database named by dsn (a pgx connection
// string: "postgres://user:pass@host/db?sslmode=disable" or
// "host=… dbname=…") and brings its schema up to date. Tables are created
// in the connection's search_path.
func OpenPostgres(ctx context.Context, dsn string, opts ...Option) (*Postgres, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db.SetMaxOpenConns(postgresMaxConns)
	db.SetMaxIdleConns(postgresMaxConns)
	if err := db.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("connect to postgres: %w", err), db.Close())
	}
	s := &sqlStore{w: db, r: db, q: &postgresDialect, opt: newOptions(opts)}
	if err := s.migrate(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("migrate postgres: %w", err), s.Close())
	}
	return &Postgres{s}, nil
}
