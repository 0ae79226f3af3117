package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHangupWhileRunningOnce: a SIGHUP that comes while newshound is busy
// (a service manager's reload, logrotate) must not end it. Under --once
// no reload loop runs, and the signal's default action killed the process
// mid-poll; it is ignored now, and the run finishes. The config's query
// hint is logged at start, as check prints it.
func TestHangupWhileRunningOnce(t *testing.T) {
	f := newFarm(t, "wire")
	f.setHang("wire", true)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`store:
  path: %s
defaults:
  allow_private_networks: true   # the farm is on loopback
  host_gap: 0s
feeds:
  - name: wire
    url: %s
subscriptions:
  - name: talks
    query: aleppo and ceasefire
    destination: console
destinations:
  - name: console
    type: console
`, filepath.Join(dir, "newshound.db"), f.url("wire"))
	path := filepath.Join(dir, "newshound.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startNewshound(t, "run", "--once", "--config", path)
	waitFor(t, 20*time.Second, "the feed's fetch", func() bool { return f.hitCount("wire") > 0 })
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let a default action end it, as it did
	f.release()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("run --once did not end; output:\n%s", p.out)
	}
	if !p.exitOK {
		t.Errorf("run --once ended with %v after a SIGHUP, want exit 0; output:\n%s", p.cmd.ProcessState, p.out)
	}
	if out := p.out.String(); !strings.Contains(out, "newshound.yaml:11:") || !strings.Contains(out, "is searched for as a word") {
		t.Errorf("output has no warning for the query's \"and\":\n%s", out)
	}
}
