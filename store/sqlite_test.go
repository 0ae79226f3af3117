package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/newshound/newshound/store"
	"github.com/newshound/newshound/store/storetest"
)

func sqliteDB(t *testing.T) storetest.Open {
	path := filepath.Join(t.TempDir(), "newshound.db")
	return func(t *testing.T, opts ...store.Option) store.Store {
		t.Helper()
		s, err := store.OpenSQLite(context.Background(), path, opts...)
		if err != nil {
			t.Fatalf("OpenSQLite(%s): %v", path, err)
		}
		return s
	}
}

func TestSQLiteContract(t *testing.T) {
	storetest.Run(t, sqliteDB)
}

func openSQLite(t *testing.T, path string) *store.SQLite {
	t.Helper()
	s, err := store.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatalf("OpenSQLite(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// crashEnv names the database a child test process writes to and then
// abandons without closing, as a crash would.
const crashEnv = "NEWSHOUND_STORE_CRASH_DB"

// TestSQLiteCrashChild is the child half of TestSQLiteCrashAfterEnqueue; it
// does nothing unless run by it.
func TestSQLiteCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("run by TestSQLiteCrashAfterEnqueue")
	}
	s, err := store.OpenSQLite(context.Background(), path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	p := store.Poll{
		State:  store.FeedState{FeedID: "wire", Initialized: true},
		Keys:   []string{"k1", "k2"},
		Alerts: []store.Alert{{Destination: "console", ItemKey: "k1", DedupeKeys: []string{"story:1"}, Payload: []byte("{}")}},
	}
	if n, err := s.CommitPoll(context.Background(), "wire", p); err != nil || n != 1 {
		fmt.Fprintln(os.Stderr, "commit:", n, err)
		os.Exit(2)
	}
	os.Exit(42) // no Close, no checkpoint: the alert lives only in the WAL
}

func TestSQLiteCrashAfterEnqueue(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip("in the child")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestSQLiteCrashChild$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 42 {
		t.Fatalf("child: %v, want exit status 42; output:\n%s", err, out)
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Logf("no WAL file left by the child (%v): the crash was less abrupt than intended", err)
	}

	s := openSQLite(t, path)
	ctx := context.Background()
	p := store.Poll{
		State:  store.FeedState{FeedID: "wire", Initialized: true},
		Keys:   []string{"k1", "k2"},
		Alerts: []store.Alert{{Destination: "console", ItemKey: "k1", DedupeKeys: []string{"story:1"}}},
	}
	if n, err := s.CommitPoll(ctx, "wire", p); err != nil || n != 0 {
		t.Errorf("re-poll after crash = %d, %v; want 0, nil", n, err)
	}
	pending, err := s.PendingAlerts(ctx, "console", time.Now(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].ItemKey != "k1" {
		t.Fatalf("pending after crash = %+v, want exactly the alert for k1", pending)
	}
}

func TestOpenSQLiteErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		path string
	}{
		{"empty path", ""},
		{"directory missing", filepath.Join(dir, "no", "such", "dir", "x.db")},
		{"query in a plain path", filepath.Join(dir, "x.db?mode=ro")},
		{"path is a directory", dir},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := store.OpenSQLite(context.Background(), c.path)
			if err == nil {
				s.Close()
				t.Fatalf("OpenSQLite(%q) succeeded, want an error", c.path)
			}
		})
	}
}

func TestOpenSQLiteMemory(t *testing.T) {
	s := openSQLite(t, ":memory:")
	ctx := context.Background()
	p := store.Poll{Keys: []string{"a"}, Alerts: []store.Alert{{Destination: "console", ItemKey: "a"}}}
	if n, err := s.CommitPoll(ctx, "f", p); err != nil || n != 1 {
		t.Fatalf("CommitPoll = %d, %v; want 1, nil", n, err)
	}
	if got, err := s.PendingAlerts(ctx, "console", time.Now(), 10); err != nil || len(got) != 1 {
		t.Errorf("PendingAlerts = %d alerts, %v; want 1", len(got), err)
	}
}
