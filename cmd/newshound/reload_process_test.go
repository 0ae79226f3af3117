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

// TestReloadTunesTheGCAgain: the GC target and memory limit are set from
// the live heap once the service is built, and again after each reload
// (SIGHUP), since a reload may grow or shrink the catalog the live heap
// holds (README: the limit is twice the live heap plus the fetches).
func TestReloadTunesTheGCAgain(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		t.Skip("GOMEMLIMIT is set: newshound sets no memory limit of its own")
	}
	dir := t.TempDir()
	feed := filepath.Join(dir, "wire.xml")
	if err := os.WriteFile(feed, []byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title></channel></rss>`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "newshound.yaml")
	config := func(subs int) string {
		var b strings.Builder
		fmt.Fprintf(&b, "store:\n  path: %q\nfeeds:\n  - name: wire\n    url: file://%s\nsubscriptions:\n", filepath.Join(dir, "state.db"), feed)
		for i := range subs {
			fmt.Fprintf(&b, "  - name: s%d\n    query: kessler%d OR dam%d\n    destination: console\n", i, i, i)
		}
		b.WriteString("destinations:\n  - name: console\n    type: console\n")
		return b.String()
	}
	if err := os.WriteFile(cfg, []byte(config(1)), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startNewshound(t, "run", "--log-level", "debug", "--config", cfg)
	tuned := func() int { return strings.Count(p.out.String(), `msg="memory limit set"`) }
	waitFor(t, 20*time.Second, "the memory limit set at start", func() bool { return tuned() == 1 })
	if err := os.WriteFile(cfg, []byte(config(500)), 0o644); err != nil {
		t.Fatal(err)
	}
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 20*time.Second, "the memory limit set again after the reload", func() bool { return tuned() == 2 })
	if strings.Contains(p.out.String(), "config not reloaded") {
		t.Fatalf("the reload failed:\n%s", p.out)
	}
	p.cmd.Process.Signal(os.Interrupt)
	<-p.done
}
