package store

import (
	"context"
	"fmt"
)

// step is one statement of a write transaction. When row is set the
// statement returns rows and row is called with each row's Scan.
type step struct {
	what  string // for errors: "save feed state \"reuters\""
	query string
	args  []any
	row   func(scan func(dest ...any) error) error
}

// pipe carries a write transaction's statements to the database. Queued
// steps run in order; their row callbacks have all run once flush returns.
// SQLite runs each step as it is queued (it is in-process: a statement costs
// no round trip); PostgreSQL holds them and sends them together, so a flush
// is one round trip whatever the number of steps.
type pipe interface {
	queue(ctx context.Context, steps ...step) error
	flush(ctx context.Context) error
}

// txRunner runs fn in one write transaction. After fn returns nil, the
// steps still queued are sent together with the commit.
type txRunner interface {
	runTx(ctx context.Context, fn func(p pipe) error) error
}

// sequentialRunner runs steps one by one on a database/sql transaction.
type sequentialRunner struct{ s *sqlStore }

func (r sequentialRunner) runTx(ctx context.Context, fn func(p pipe) error) error {
	return r.s.inWriteTx(ctx, func(tx writeTx) error { return fn(sequentialPipe{tx}) })
}

type sequentialPipe struct{ tx writeTx }

func (p sequentialPipe) queue(ctx context.Context, steps ...step) error {
	for _, st := range steps {
		if err := p.run(ctx, st); err != nil {
			return fmt.Errorf("%s: %w", st.what, err)
		}
	}
	return nil
}

func (p sequentialPipe) flush(context.Context) error { return nil }

func (p sequentialPipe) run(ctx context.Context, st step) error {
	if st.row == nil {
		_, err := p.tx.ExecContext(ctx, st.query, st.args...)
		return err
	}
	rows, err := p.tx.QueryContext(ctx, st.query, st.args...)
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
