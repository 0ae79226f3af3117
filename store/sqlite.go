package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go, no cgo)
)

// SQLite is the default Store: one database file with one owner process,
// written by one connection at a time, read by several.
type SQLite struct {
	*sqlStore
}

var _ Store = (*SQLite)(nil)

// sqliteBusyTimeoutMS bounds how long a connection waits for another
// connection's write lock (a read-only inspector's checkpoint) before
// failing with SQLITE_BUSY.
const sqliteBusyTimeoutMS = 10_000

// OpenSQLite opens (creating if needed) the database file at path and brings
// its schema up to date. The opening process becomes the database's one
// owner until Close: it holds an OS lock on path+".lock" (with its pid
// written inside), and a second OpenSQLite of the same file, in any process,
// fails at once with an *InUseError naming the file and the owner's pid.
// The kernel drops the lock when the owner dies, so after a crash or kill -9
// the next process opens at once. The path ":memory:" gives a private
// in-memory database on a single connection, for tests that need no file.
func OpenSQLite(ctx context.Context, path string, opts ...Option) (*SQLite, error) {
	if err := checkSQLitePath(path); err != nil {
		return nil, err
	}
	lock, err := lockDatabase(path)
	if err != nil {
		var inUse *InUseError
		if errors.As(err, &inUse) {
			return nil, err
		}
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	s := &sqlStore{q: &sqliteDialect, opt: newOptions(opts), lock: lock}
	s.txr = sequentialRunner{s}
	if s.w, err = openSQLitePool(ctx, sqliteDSN(path, true), 1); err != nil {
		return nil, errors.Join(fmt.Errorf("open sqlite %q: %w", path, err), lock.release())
	}
	s.r = s.w
	if path != ":memory:" {
		if s.r, err = openSQLitePool(ctx, sqliteDSN(path, false), 4); err != nil {
			return nil, errors.Join(fmt.Errorf("open sqlite %q for reading: %w", path, err), s.Close())
		}
	}
	if err := s.migrate(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("migrate sqlite %q: %w", path, err), s.Close())
	}
	s.prepare()
	return &SQLite{s}, nil
}

// OpenSQLiteReadOnly opens an existing database for inspection (status,
// listing) beside its running owner: it takes no lock, never migrates, and
// every write fails with ErrReadOnly. WAL lets it read while the owner
// writes. A database whose schema is not the one this newshound knows is
// refused, since its tables may not read as expected.
func OpenSQLiteReadOnly(ctx context.Context, path string, opts ...Option) (*SQLite, error) {
	if err := checkSQLitePath(path); err != nil {
		return nil, err
	}
	if path == ":memory:" {
		return nil, errors.New("open sqlite read-only: an in-memory database has nothing to read")
	}
	if err := checkSQLiteFile(sqliteFile(path)); err != nil {
		return nil, err
	}
	s := &sqlStore{q: &sqliteDialect, opt: newOptions(opts), readOnly: true}
	s.txr = sequentialRunner{s}
	var err error
	if s.r, err = openSQLitePool(ctx, sqliteDSN(path, false), 2); err != nil {
		return nil, fmt.Errorf("open sqlite %q read-only: %w", path, err)
	}
	if err := s.checkSchemaCurrent(ctx); errors.Is(err, errNoSchema) {
		return nil, errors.Join(fmt.Errorf("%s is not a newshound database (an SQLite file without newshound's tables)", path), s.Close())
	} else if err != nil {
		return nil, errors.Join(fmt.Errorf("open sqlite %q read-only: %w", path, err), s.Close())
	}
	s.prepare()
	return &SQLite{s}, nil
}

// checkSQLiteFile says in words why file, which a read-only open needs,
// cannot be a newshound database: it is not there yet, empty or not an
// SQLite file.
func checkSQLiteFile(file string) error {
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no database at %s yet: newshound has not run with this store (a relative store path is from the working directory): %w", file, err)
	}
	if err != nil {
		return fmt.Errorf("open sqlite %q read-only: %w", file, err)
	}
	defer f.Close()
	header := make([]byte, len(sqliteHeader))
	switch n, err := io.ReadFull(f, header); {
	case n == 0 && (err == io.EOF || err == nil):
		return fmt.Errorf("%s is not a newshound database (an empty file)", file)
	case err != nil && err != io.ErrUnexpectedEOF:
		return fmt.Errorf("open sqlite %q read-only: %w", file, err)
	case string(header) != sqliteHeader:
		return fmt.Errorf("%s is not a newshound database (not an SQLite file)", file)
	}
	return nil
}

// sqliteHeader starts every SQLite database file.
const sqliteHeader = "SQLite format 3\x00"

func checkSQLitePath(path string) error {
	if path == "" {
		return errors.New("open sqlite: empty path")
	}
	if strings.ContainsAny(path, "?#") && !strings.HasPrefix(path, "file:") {
		return fmt.Errorf("open sqlite %q: a plain path may not contain '?' or '#'", path)
	}
	return nil
}

// sqliteDSN adds the connection settings to path. Every connection gets
// WAL (readers never block the writer), a busy timeout (another process
// holding the write lock makes us wait, not fail), foreign keys and
// synchronous=NORMAL (durable at each checkpoint, safe in WAL). The writer
// begins transactions IMMEDIATE so a read-then-write transaction can never
// fail half-way on lock upgrade; readers are query_only.
func sqliteDSN(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeoutMS))
	q.Add("_pragma", "foreign_keys(1)")
	if writer {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
		// A reader's page cache is dropped whenever the file changed since
		// its last read (every commit): a small one costs nothing and keeps
		// four readers from holding 2 MiB each (docs/performance.md).
		q.Add("_pragma", "cache_size(-256)")
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + q.Encode()
}

func openSQLitePool(ctx context.Context, dsn string, conns int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return db, nil
}
