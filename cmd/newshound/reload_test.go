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

// TestReloadWithProblemsKeepsTheRunningConfig holds README's SIGHUP
// promise through a running process: a config with problems is reported
// with its file:line, and the running one kept, the process going on; a
// reload that changes what needs a restart names what changed and says
// that nothing of the file was taken, its new feed too; and a good reload
// after them all is taken.
func TestReloadWithProblemsKeepsTheRunningConfig(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"wire", "extra"} {
		feed, err := os.ReadFile("testdata/wire.xml")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n+".xml"), feed, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "newshound.yaml")
	// Local files are read at once, where a URL's first poll is spread
	// over its interval.
	config := func(maxAge, interval string, feeds ...string) string {
		var list strings.Builder
		for _, n := range feeds {
			fmt.Fprintf(&list, "  - name: %s\n    url: file:%s.xml\n", n, n)
		}
		return fmt.Sprintf(`store:
  path: %s
defaults:
  max_age: %s
  interval: %s
feeds:
%ssubscriptions:
  - name: talks
    query: aleppo
`, filepath.Join(dir, "newshound.db"), maxAge, interval, list.String())
	}
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(config("24h", "10m", "wire"))
	p := startNewshound(t, "run", "--config", path)
	waitFor(t, 20*time.Second, "the feed's first poll", func() bool { return polled(p, "wire") || exited(p) })
	if !polled(p, "wire") {
		t.Fatalf("newshound did not poll its feed; output:\n%s", p.out)
	}

	tests := []struct {
		name   string
		config string // "" removes the file
		want   []string
	}{
		{"a line that is no YAML", "feeds: [\n  - name: x\n", []string{path + ":1: YAML syntax"}},
		{"a bad value", config("24h", "5", "wire"), []string{path + `:5:13: interval: \"5\" has no unit`}},
		{"the file gone", "", []string{path + ": cannot read config"}},
		{"a change that needs a restart beside a new feed", config("1h", "10m", "wire", "extra"), []string{"defaults.max_age changed", "nothing of the file was reloaded"}},
	}
	for _, tt := range tests {
		if tt.config == "" {
			os.Remove(path)
		} else {
			write(tt.config)
		}
		line := hangUp(t, p, "config not reloaded")
		for _, want := range tt.want {
			if !strings.Contains(line, want) {
				t.Errorf("%s: the log says\n%s\nwant it to say %q", tt.name, line, want)
			}
		}
		if polled(p, "extra") {
			t.Errorf("%s: the feed of the refused reload was polled", tt.name)
		}
	}
	write(config("24h", "10m", "wire", "extra"))
	if line := hangUp(t, p, "config reloaded"); !strings.Contains(line, "feeds=2") {
		t.Errorf("the good reload logged\n%s\nwant feeds=2", line)
	}
	waitFor(t, 20*time.Second, "the reloaded config's new feed polled", func() bool { return polled(p, "extra") })
}

// hangUp sends p a SIGHUP and returns the log line with msg its reload
// logs, failing the test if p ends first.
func hangUp(t *testing.T, p *process, msg string) string {
	t.Helper()
	key := `msg="` + msg
	before := strings.Count(p.out.String(), key)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the reload's "+msg, func() bool {
		select {
		case <-p.done:
			t.Fatalf("newshound ended at a reload; output:\n%s", p.out)
		default:
		}
		return strings.Count(p.out.String(), key) > before
	})
	lines := strings.Split(p.out.String(), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], key) {
			return lines[i]
		}
	}
	return ""
}

func exited(p *process) bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// polled reports whether p logged its first sight of feed.
func polled(p *process, feed string) bool {
	for _, line := range strings.Split(p.out.String(), "\n") {
		if strings.Contains(line, `msg="first sight of the feed`) && strings.Contains(line, " feed="+feed+" ") {
			return true
		}
	}
	return false
}
