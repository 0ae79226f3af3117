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
	path := writeFarmConfig(t, f, "aleppo and ceasefire", "wire")
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

// TestSignalStopsRunOnceSayingWhatItLeft: SIGINT or SIGTERM during run
// --once stops it cleanly: it logs its summary, the alert it found but
// did not deliver counted as pending (not as a store failure), says that
// the rest waits for the next run and exits 1 (README: Exit codes); the
// next run delivers that alert. It said only "newshound run: context
// canceled" before, with no summary, so a cron job's mail told nobody what
// had happened.
func TestSignalStopsRunOnceSayingWhatItLeft(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			f := newFarm(t, "wire", "slow")
			path := writeFarmConfig(t, f, "aleppo", "wire", "slow")
			runOnce := func() *process {
				t.Helper()
				p := startNewshound(t, "run", "--once", "--config", path)
				select {
				case <-p.done:
				case <-time.After(30 * time.Second):
					t.Fatalf("run --once did not end; output:\n%s", p.out)
				}
				return p
			}
			runOnce() // first sight
			f.publish("wire", "talks-1", "Aleppo ceasefire talks resume")
			f.setHang("slow", true)
			hits := f.hitCount("slow")
			p := startNewshound(t, "run", "--once", "--log-level", "debug", "--config", path)
			waitFor(t, 20*time.Second, "the slow feed's fetch and the wire's alert", func() bool {
				return f.hitCount("slow") > hits && strings.Contains(p.out.String(), "msg=polled feed=wire")
			})
			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-p.done:
			case <-time.After(30 * time.Second):
				t.Fatalf("run --once did not end; output:\n%s", p.out)
			}
			out := p.out.String()
			if code := p.cmd.ProcessState.ExitCode(); code != exitFailure {
				t.Errorf("exit code %d, want %d; output:\n%s", code, exitFailure, out)
			}
			for _, want := range []string{`msg="run --once stopped by a signal"`, "alerts_enqueued=1 delivered=0", "pending=1", "store_failed=false", "the next run"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "context canceled") {
				t.Errorf("output says \"context canceled\":\n%s", out)
			}
			f.release()
			if out := runOnce().out.String(); !strings.Contains(out, "Aleppo ceasefire talks resume") {
				t.Errorf("the next run did not deliver the alert:\n%s", out)
			}
		})
	}
}

// writeFarmConfig writes a config of the farm's feeds names, polled into a
// SQLite store beside it, with one subscription of query printed to the
// console, and returns its path.
func writeFarmConfig(t *testing.T, f *farm, query string, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	var feedList strings.Builder
	for _, n := range names {
		fmt.Fprintf(&feedList, "  - name: %s\n    url: %s\n", n, f.url(n))
	}
	cfg := fmt.Sprintf(`store:
  path: %s
defaults:
  allow_private_networks: true   # the farm is on loopback
  host_gap: 0s
feeds:
%ssubscriptions:
  - name: talks
    query: %s
    destination: console
destinations:
  - name: console
    type: console
`, filepath.Join(dir, "newshound.db"), feedList.String(), query)
	path := filepath.Join(dir, "newshound.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
