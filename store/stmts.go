package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
)

// stmts are the dialect's frequent statements, by SQL text, each prepared
// at its first use rather than at open: a process that opens the store
// and polls one failing feed (`run --once` from cron) needs a few of them,
// and parsing all of them took 40% of an open. The map is read-only after
// open; nil for dialects whose driver caches statements itself.
type stmts map[string]*lazyStmt

// lazyStmt is one statement, prepared on db when first wanted.
type lazyStmt struct {
	db *sql.DB
	q  string
	mu sync.Mutex // held while preparing, so that it is prepared once
	st atomic.Pointer[sql.Stmt]
	// wanted says a write transaction ran it prepared for itself alone:
	// it is prepared on db before the next one begins, when the writer's
	// one connection is free.
	wanted atomic.Bool
}

// add lists queries as prepared on db at their first use.
func (m stmts) add(db *sql.DB, queries ...string) {
	for _, q := range queries {
		m[q] = &lazyStmt{db: db, q: q}
	}
}

// get returns q's statement, preparing it if need be. It may block until
// db has a free connection, so a write transaction must use forTx.
func (l *lazyStmt) get(ctx context.Context) (*sql.Stmt, error) {
	if st := l.st.Load(); st != nil {
		return st, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if st := l.st.Load(); st != nil {
		return st, nil
	}
	st, err := l.db.PrepareContext(ctx, l.q)
	if err != nil {
		// Not kept: a cancelled context or a busy file may pass.
		return nil, fmt.Errorf("prepare %q: %w", l.q, err)
	}
	l.st.Store(st)
	return st, nil
}

// forTx returns q's statement for tx, a transaction on db. The writer's
// pool has one connection, which tx holds, so a statement not prepared
// yet cannot be prepared on the pool now: it is prepared for tx alone and
// marked wanted.
func (l *lazyStmt) forTx(ctx context.Context, tx *sql.Tx) (*sql.Stmt, error) {
	if st := l.st.Load(); st != nil {
		return tx.StmtContext(ctx, st), nil
	}
	st, err := tx.PrepareContext(ctx, l.q)
	if err != nil {
		return nil, fmt.Errorf("prepare %q: %w", l.q, err)
	}
	l.wanted.Store(true)
	return st, nil
}

// prepareWanted prepares on db the statements a transaction wanted. A
// failure is left to their next use, which names the statement.
func (m stmts) prepareWanted(ctx context.Context, db *sql.DB) {
	for _, l := range m {
		if l.db == db && l.wanted.Swap(false) {
			_, _ = l.get(ctx)
		}
	}
}

// forDB returns q's lazy statement when it is prepared on db, else nil.
func (m stmts) forDB(q string, db *sql.DB) *lazyStmt {
	if l := m[q]; l != nil && l.db == db {
		return l
	}
	return nil
}

func (m stmts) close() {
	for _, l := range m {
		if st := l.st.Load(); st != nil {
			st.Close()
		}
	}
}
