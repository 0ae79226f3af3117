package store

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// InUseError reports that a SQLite database is owned by another process (or
// by another Store in this one): a SQLite store has exactly one owner, which
// holds an OS lock on "<database>.lock" until it closes the store or dies.
type InUseError struct {
	Path string // the database file
	PID  int    // the owner's process id; 0 when it could not be read
}

func (e *InUseError) Error() string {
	holder := "another newshound process"
	switch e.PID {
	case 0:
	case os.Getpid():
		holder = fmt.Sprintf("this process (pid %d): the store is already open", e.PID)
	default:
		holder += fmt.Sprintf(" (pid %d)", e.PID)
	}
	return fmt.Sprintf("store: %s is in use by %s; stop it first or use another store path", e.Path, holder)
}

// sqliteFile returns the file a SQLite path or "file:" URI names, or "" for
// an in-memory database, which no other process can open.
func sqliteFile(path string) string {
	if path == ":memory:" || strings.Contains(path, "mode=memory") {
		return ""
	}
	if rest, ok := strings.CutPrefix(path, "file:"); ok {
		path, _, _ = strings.Cut(rest, "?")
	}
	return path
}

// dbLock is a held lock on one database. The kernel drops it when the
// process dies, however it dies, so a successor after kill -9 opens at once.
type dbLock struct {
	f *os.File
}

// lockDatabase takes the lock on the database at path without waiting, and
// records this process's id in the lock file for the error a second opener
// gets. It returns a nil lock for an in-memory database.
func lockDatabase(path string) (*dbLock, error) {
	file := sqliteFile(path)
	if file == "" {
		return nil, nil
	}
	lockPath := file + ".lock"
	if fi, err := os.Stat(file); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory", path)
	}
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	held, err := tryLockFile(f)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("lock %s: %w", path, err), f.Close())
	}
	if !held {
		f.Close()
		return nil, &InUseError{Path: path, PID: readPID(lockPath)}
	}
	pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
	if err := f.Truncate(0); err != nil {
		return nil, errors.Join(fmt.Errorf("lock %s: %w", path, err), f.Close())
	}
	if _, err := f.WriteAt(pid, 0); err != nil {
		return nil, errors.Join(fmt.Errorf("lock %s: %w", path, err), f.Close())
	}
	return &dbLock{f: f}, nil
}

// release empties the lock file (a stale pid would mislead) and drops the
// lock. The file itself stays: removing it would let a process that opened
// it just before lock a file nobody else can see.
func (l *dbLock) release() error {
	if l == nil {
		return nil
	}
	return errors.Join(l.f.Truncate(0), l.f.Close())
}

// readPID reads the owner's pid from a lock file; 0 when it is not there
// (yet: the owner writes it just after taking the lock).
func readPID(lockPath string) int {
	b, err := os.ReadFile(lockPath)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0
	}
	return pid
}
