package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/newshound/newshound/internal/golden"
)

// TestRunOnceAnswers: what `run --once` says about a feed it sees for the
// first time, about matches too old to post, and at the end. Silence is
// never the answer: backfill 0 still says how many items were remembered.
func TestRunOnceAnswers(t *testing.T) {
	feed, err := filepath.Abs("testdata/wire.xml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		sub  string // the subscription's extra keys
		runs int
	}{
		{name: "backfill 0", sub: "backfill: 0\n    max_age: 0", runs: 2},
		{name: "backfill 5, no age limit", sub: "backfill: 5\n    max_age: 0", runs: 1},
		{name: "backfill 5, default max_age", sub: "backfill: 5", runs: 1},
	}
	var report bytes.Buffer
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := fmt.Sprintf("store:\n  path: %s\nfeeds:\n  - name: wire\n    url: %s\nsubscriptions:\n  - name: aleppo\n    query: aleppo\n    %s\n",
				filepath.Join(dir, "state.db"), "file://"+filepath.ToSlash(feed), tt.sub)
			path := filepath.Join(dir, "newshound.yaml")
			if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			for i := range tt.runs {
				var out, errOut bytes.Buffer
				if code := run(context.Background(), []string{"run", path, "--once"}, &out, &errOut); code != exitOK {
					t.Fatalf("run %d: exit %d\n%s", i+1, code, errOut.String())
				}
				fmt.Fprintf(&report, "## %s, run %d\n%s", tt.name, i+1, answers(errOut.String()))
				if out.Len() > 0 {
					fmt.Fprintf(&report, "console:\n%s", out.String())
				}
				report.WriteString("\n")
			}
		})
	}
	golden.Check(t, filepath.Join("testdata", "run_once_answers.golden"), report.Bytes(), *update)
}

var logTime = regexp.MustCompile(`^time=\S+ `)

// answers keeps the log lines a user reads after a run, without times.
func answers(log string) string {
	var b strings.Builder
	for _, line := range strings.Split(log, "\n") {
		if line == "" {
			continue
		}
		b.WriteString(logTime.ReplaceAllString(line, "") + "\n")
	}
	return b.String()
}
