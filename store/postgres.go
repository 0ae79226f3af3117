package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Postgres is the Store for several newshound instances sharing one
// database. Its schema and behaviour match SQLite's; concurrency between
// instances rests on row locks (a feed's commits serialize on its feeds
// row), ON CONFLICT, and advisory locks for migrations and per-destination
// dedupe. Instances divide the work with leases (see Leaser).
type Postgres struct {
	*sqlStore
}

var (
	_ Store  = (*Postgres)(nil)
	_ Leaser = (*Postgres)(nil)
)

// postgresMaxConns bounds one instance's connections: pollers and senders
// rarely need more, and the server's max_connections is shared.
const postgresMaxConns = 10

// OpenPostgres connects to the database named by dsn (a pgx connection
// string: "postgres://user:pass@host/db?sslmode=disable" or
// "host=… dbname=…") and brings its schema up to date. Tables are created
// in the connection's search_path.
func OpenPostgres(ctx context.Context, dsn string, opts ...Option) (*Postgres, error) {
	return openPostgres(ctx, dsn, false, opts)
}

// OpenPostgresReadOnly opens a shared database for inspection (status)
// beside the running instances: it never migrates or creates tables, a
// database whose schema is not the one this newshound knows is refused,
// and every write fails with ErrReadOnly.
func OpenPostgresReadOnly(ctx context.Context, dsn string, opts ...Option) (*Postgres, error) {
	return openPostgres(ctx, dsn, true, opts)
}

func openPostgres(ctx context.Context, dsn string, readOnly bool, opts []Option) (*Postgres, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	o := newOptions(opts)
	if o.pgDial != nil {
		cfg.DialFunc = o.pgDial
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(postgresMaxConns)
	db.SetMaxIdleConns(postgresMaxConns)
	if err := db.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("connect to postgres: %w", err), db.Close())
	}
	s := &sqlStore{w: db, r: db, q: &postgresDialect, opt: o, readOnly: readOnly}
	s.txr = pgxRunner{db: db}
	if readOnly {
		// Every write, the pipelined ones too, meets inWriteTx's refusal.
		s.w, s.txr = nil, sequentialRunner{s}
	}
	if !readOnly {
		if err := s.migrate(ctx); err != nil {
			return nil, errors.Join(fmt.Errorf("migrate postgres: %w", err), s.Close())
		}
		return &Postgres{s}, nil
	}
	switch err := s.checkSchemaCurrent(ctx); {
	case errors.Is(err, errNoSchema):
		return nil, errors.Join(errors.New("postgres: the database has no newshound tables: newshound has not run with this store yet (or the DSN's search_path names another schema)"), s.Close())
	case err != nil:
		return nil, errors.Join(fmt.Errorf("open postgres read-only: %w", err), s.Close())
	}
	return &Postgres{s}, nil
}

// Leases live on the database's clock (now()), so instances whose clocks
// disagree still agree on who holds what. The lease is taken when free,
// expired, or already the owner's; RETURNING yields a row only then. A
// take writes its take number, so that a give-back of an earlier take of
// the same owner (one the database runs late) finds no row to delete;
// and an earlier take of the owner run late does not write its number
// over a later one's, whose give-back would then delete nothing.
const (
	takeLease = `INSERT INTO leases (name, owner, take, expires_at)
		VALUES ($1, $2, $3, now() + $4::bigint * interval '1 microsecond')
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, take = excluded.take, expires_at = excluded.expires_at
		WHERE (leases.owner = excluded.owner AND leases.take <= excluded.take) OR leases.expires_at <= now()
		RETURNING name`
	// renewLeases updates rows only: a lease given back meanwhile has no
	// row, one another owner took names that owner, and neither is taken.
	renewLeases = `UPDATE leases SET expires_at = now() + $3::bigint * interval '1 microsecond'
		WHERE name = ANY($1::text[]) AND owner = $2
		RETURNING name`
	releaseLease = `DELETE FROM leases WHERE name = $1 AND owner = $2 AND take = $3`
	leaseHolder  = `SELECT owner FROM leases WHERE name = $1 AND expires_at > now()`
)

// Lease takes or renews owner's lease called name for ttl, measured on the
// database's clock, as its take numbered take. It reports false when
// another owner holds it unexpired. A ttl under a microsecond is an
// error, not a release: use Release.
func (p *Postgres) Lease(ctx context.Context, name, owner string, take int64, ttl time.Duration) (bool, error) {
	if name == "" || owner == "" {
		return false, fmt.Errorf("lease %q for %q: empty name or owner", name, owner)
	}
	if ttl < time.Microsecond {
		return false, fmt.Errorf("lease %q for %q: ttl %v is not positive", name, owner, ttl)
	}
	if p.readOnly {
		return false, ErrReadOnly
	}
	var got string
	err := p.w.QueryRowContext(ctx, takeLease, name, owner, take, ttl.Microseconds()).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("lease %q for %q: %w", name, owner, err)
	}
	return true, nil
}

// RenewLeases extends each lease of names that owner holds by ttl, on the
// database's clock, in one statement, and returns the names renewed; see
// Leaser.
func (p *Postgres) RenewLeases(ctx context.Context, names []string, owner string, ttl time.Duration) ([]string, error) {
	if owner == "" {
		return nil, errors.New("renew leases: empty owner")
	}
	if ttl < time.Microsecond {
		return nil, fmt.Errorf("renew %d leases of %q: ttl %v is not positive", len(names), owner, ttl)
	}
	if p.readOnly {
		return nil, ErrReadOnly
	}
	if len(names) == 0 {
		return nil, nil
	}
	rows, err := p.w.QueryContext(ctx, renewLeases, names, owner, ttl.Microseconds())
	if err != nil {
		return nil, fmt.Errorf("renew %d leases of %q: %w", len(names), owner, err)
	}
	renewed, err := scanStrings(rows)
	if err != nil {
		return nil, fmt.Errorf("renew %d leases of %q: %w", len(names), owner, err)
	}
	return renewed, nil
}

// Release ends owner's lease called name at once, if its take numbered
// take holds it, so another instance can take it without waiting for it
// to expire. Releasing a lease owner does not hold, or holds by another
// take, does nothing.
func (p *Postgres) Release(ctx context.Context, name, owner string, take int64) error {
	if p.readOnly {
		return ErrReadOnly
	}
	if _, err := p.w.ExecContext(ctx, releaseLease, name, owner, take); err != nil {
		return fmt.Errorf("release lease %q of %q: %w", name, owner, err)
	}
	return nil
}

// LeaseHolder returns the owner holding the lease called name unexpired,
// by the database's clock, or "" when none does.
func (p *Postgres) LeaseHolder(ctx context.Context, name string) (string, error) {
	var owner string
	err := p.r.QueryRowContext(ctx, leaseHolder, name).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("holder of lease %q: %w", name, err)
	}
	return owner, nil
}

// maxPipelinedBytes bounds the parameters one round trip carries, so that
// a huge poll is sent in slices of about this size instead of one buffer
// holding all of it; a hundred new alerts are far below it.
const maxPipelinedBytes = 1 << 20

// rollbackTimeout bounds the ROLLBACK after a failed transaction, which runs
// even when the caller's context is done.
const rollbackTimeout = 5 * time.Second

// pgxRunner runs a write transaction over pgx's pipeline: BEGIN travels
// with the first statements and COMMIT with the last, so a transaction
// whose statements need one intermediate result (CommitPoll) costs two
// round trips.
type pgxRunner struct{ db *sql.DB }

func (r pgxRunner) runTx(ctx context.Context, fn func(p pipe) error) error {
	conn, err := r.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin postgres transaction: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		pc := driverConn.(*stdlib.Conn).Conn()
		p := &pgxPipe{conn: pc}
		err := p.queue(ctx, step{what: "begin postgres transaction", query: "BEGIN"})
		if err == nil {
			err = fn(p)
		}
		if err == nil {
			err = p.queue(ctx, step{what: "commit postgres transaction", query: "COMMIT"})
		}
		if err == nil {
			err = p.flush(ctx)
		}
		if err != nil && pc.PgConn().TxStatus() != 'I' && !pc.IsClosed() {
			// A failed statement leaves the transaction open (aborted); end
			// it so the connection returns to the pool clean. Should this
			// fail too, database/sql discards the connection (its
			// ResetSession refuses one inside a transaction).
			rbCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
			defer cancel()
			if _, rbErr := pc.Exec(rbCtx, "ROLLBACK"); rbErr != nil {
				err = errors.Join(err, fmt.Errorf("roll back: %w", rbErr))
			}
		}
		return err
	})
}

// pgxPipe queues steps into a pgx batch and sends it when the parameters
// waiting reach maxPipelinedBytes, or when flushed.
type pgxPipe struct {
	conn  *pgx.Conn
	batch *pgx.Batch // nil until a step is queued
	steps []step     // parallel to batch.QueuedQueries
	bytes int        // size of the queued parameters, roughly
}

func (p *pgxPipe) queue(ctx context.Context, steps ...step) error {
	for _, st := range steps {
		if p.batch == nil {
			p.batch = &pgx.Batch{}
		}
		p.batch.Queue(st.query, st.args...)
		p.steps = append(p.steps, st)
		p.bytes += argBytes(st.args)
		if p.bytes >= maxPipelinedBytes {
			if err := p.flush(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *pgxPipe) flush(ctx context.Context) error {
	if len(p.steps) == 0 {
		return nil
	}
	// The results read the batch they came from: hand it over whole.
	batch, steps := p.batch, p.steps
	p.batch, p.steps, p.bytes = nil, nil, 0
	br := p.conn.SendBatch(ctx, batch)
	var err error
	for _, st := range steps {
		if err = readResult(br, st); err != nil {
			err = fmt.Errorf("%s: %w", st.what, err)
			break
		}
	}
	if closeErr := br.Close(); err == nil && closeErr != nil {
		err = fmt.Errorf("postgres pipeline: %w", closeErr)
	}
	return err
}

// argBytes estimates what args weigh on the wire: their text and bytes
// (what grows with a poll's size), and a word for anything else.
func argBytes(args []any) int {
	n := 0
	for _, a := range args {
		switch v := a.(type) {
		case string:
			n += len(v)
		case []byte:
			n += len(v)
		default:
			n += 8
		}
	}
	return n
}

func readResult(br pgx.BatchResults, st step) error {
	if st.row == nil {
		_, err := br.Exec()
		return err
	}
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := st.row(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}
