package store_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
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

func TestSQLiteHasNoLeases(t *testing.T) {
	s := openSQLite(t, filepath.Join(t.TempDir(), "one.db"))
	if _, ok := any(s).(store.Leaser); ok {
		t.Errorf("%T implements store.Leaser; a store with one owner needs no leases", s)
	}
}

func TestSQLiteSecondOpenInProcess(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "newshound.db")
	first, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	second, err := store.OpenSQLite(ctx, path)
	var inUse *store.InUseError
	if !errors.As(err, &inUse) {
		second.Close()
		first.Close()
		t.Fatalf("second OpenSQLite = %v, want an *InUseError", err)
	}
	if inUse.Path != path || inUse.PID != os.Getpid() {
		t.Errorf("InUseError = %+v, want path %s and pid %d", inUse, path, os.Getpid())
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again := openSQLite(t, path)
	if _, err := again.FeedStates(ctx); err != nil {
		t.Errorf("after the owner closed, a new owner reads: %v", err)
	}
}

// ownerEnv names the database a child test process opens and holds until
// it is killed.
const ownerEnv = "NEWSHOUND_STORE_OWNER_DB"

// TestSQLiteOwnerChild is the child half of TestSQLiteOneOwnerProcess; it
// does nothing unless run by it.
func TestSQLiteOwnerChild(t *testing.T) {
	path := os.Getenv(ownerEnv)
	if path == "" {
		t.Skip("run by TestSQLiteOneOwnerProcess")
	}
	s, err := store.OpenSQLite(context.Background(), path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println("ready")
	time.Sleep(time.Minute) // until killed; the parent never waits this long
	s.Close()
	os.Exit(3)
}

func TestSQLiteOneOwnerProcess(t *testing.T) {
	if os.Getenv(ownerEnv) != "" {
		t.Skip("in the child")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "newshound.db")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestSQLiteOwnerChild$")
	cmd.Env = append(os.Environ(), ownerEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := false
	t.Cleanup(func() {
		if !waited {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("child said %q, %v; want ready", line, err)
	}

	s, err := store.OpenSQLite(ctx, path)
	if err == nil {
		s.Close()
		t.Fatal("OpenSQLite while another process owns the database succeeded, want an error")
	}
	wantMsg := fmt.Sprintf("store: %s is in use by another newshound process (pid %d); stop it first or use another store path", path, cmd.Process.Pid)
	if err.Error() != wantMsg {
		t.Errorf("error = %q, want %q", err, wantMsg)
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	waited = true
	start := time.Now()
	s = openSQLite(t, path)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("opening after the owner was killed took %v, want at once", took)
	}
	p := store.Poll{Keys: []string{"a"}, Alerts: []store.Alert{{Destination: "console", ItemKey: "a"}}}
	if n, err := s.CommitPoll(ctx, "f", p); err != nil || n != 1 {
		t.Errorf("CommitPoll by the new owner = %d, %v; want 1, nil", n, err)
	}
}

func TestOpenSQLiteReadOnly(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "newshound.db")
	owner := openSQLite(t, path)
	p := store.Poll{
		State:  store.FeedState{FeedID: "wire", Initialized: true},
		Keys:   []string{"k1"},
		Alerts: []store.Alert{{Destination: "console", ItemKey: "k1"}},
	}
	if _, err := owner.CommitPoll(ctx, "wire", p); err != nil {
		t.Fatal(err)
	}

	ro, err := store.OpenSQLiteReadOnly(ctx, path)
	if err != nil {
		t.Fatalf("OpenSQLiteReadOnly beside the owner: %v", err)
	}
	defer ro.Close()
	if st, err := ro.FeedState(ctx, "wire"); err != nil || !st.Initialized {
		t.Errorf("read-only FeedState = %+v, %v; want the owner's state", st, err)
	}
	pending, err := ro.PendingAlerts(ctx, "console", time.Now(), 0)
	if err != nil || len(pending) != 1 {
		t.Fatalf("read-only PendingAlerts = %d, %v; want 1", len(pending), err)
	}
	writes := map[string]func() error{
		"CommitPoll": func() error {
			_, err := ro.CommitPoll(ctx, "wire", store.Poll{Keys: []string{"k2"}})
			return err
		},
		"SaveFeedState":  func() error { return ro.SaveFeedState(ctx, store.FeedState{FeedID: "x"}) },
		"SaveFeedStates": func() error { return ro.SaveFeedStates(ctx, []store.FeedState{{FeedID: "x"}}) },
		"MarkDelivered":  func() error { return ro.MarkDelivered(ctx, pending[0].ID, "m", time.Now()) },
		"AssignBatch":    func() error { return ro.AssignBatch(ctx, []int64{pending[0].ID}, "b") },
		"Prune":          func() error { return ro.Prune(ctx, time.Now()) },
		"AddWatch":       func() error { _, err := ro.AddWatch(ctx, store.Watch{FeedURL: "u"}); return err },
	}
	for name, write := range writes {
		if err := write(); !errors.Is(err, store.ErrReadOnly) {
			t.Errorf("read-only %s = %v, want ErrReadOnly", name, err)
		}
	}
	// The owner keeps writing, and the inspector sees it.
	if err := owner.MarkDelivered(ctx, pending[0].ID, "m1", time.Now()); err != nil {
		t.Fatalf("owner write beside a read-only store: %v", err)
	}
	if got, err := ro.PendingAlerts(ctx, "console", time.Now(), 0); err != nil || len(got) != 0 {
		t.Errorf("read-only PendingAlerts after delivery = %d, %v; want 0", len(got), err)
	}

	missing := filepath.Join(t.TempDir(), "missing.db")
	if s, err := store.OpenSQLiteReadOnly(ctx, missing); err == nil {
		s.Close()
		t.Errorf("OpenSQLiteReadOnly(%s) succeeded, want an error", missing)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenSQLiteReadOnly created %s (stat: %v)", missing, err)
	}
}
