package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestHelpListsEveryExitCode: the exit codes scripts and cron jobs act on
// are in the help a user reads (newshound --help, and run --help for
// run --once's own), each with what it means. They were only in README;
// --help named 1 for check alone, and 2 (a wrong command line) nowhere.
func TestHelpListsEveryExitCode(t *testing.T) {
	codes := map[int]string{
		exitOK:          "all well",
		exitFailure:     "stopped by a signal",
		exitUsage:       "wrong command line",
		exitStore:       "store failed",
		exitFeeds:       "every feed is failing",
		exitUndelivered: "could not be delivered",
	}
	for _, args := range [][]string{{"--help"}, {"run", "--help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(context.Background(), args, &out, &errOut); code != exitOK {
				t.Fatalf("exit code %d, want 0; stderr:\n%s", code, errOut.String())
			}
			_, list, ok := strings.Cut(out.String(), "\nExit codes:\n")
			if !ok {
				t.Fatalf("no \"Exit codes:\" section:\n%s", out.String())
			}
			for code, what := range codes {
				if !strings.Contains(list, fmt.Sprintf("  %d  ", code)) || !strings.Contains(list, what) {
					t.Errorf("exit code %d (%s) not listed:\n%s", code, what, list)
				}
			}
		})
	}
}
