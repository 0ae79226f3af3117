package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
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

// TestOverviewNamesTheFlagsREADMEDoes: each command's line in `newshound
// --help` names the flags its line in README's "Commands" names. The
// overview had fallen behind: it left out preview's --stories, bench's
// --changed and feeds discover's --config (without which a loopback or
// private page is refused).
func TestOverviewNamesTheFlagsREADMEDoes(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "\n## Commands\n")
	_, block, _ := strings.Cut(section, "```\n")
	block, _, _ = strings.Cut(block, "```")
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, &out, &errOut); code != exitOK {
		t.Fatalf("exit code %d, want 0; stderr:\n%s", code, errOut.String())
	}
	overview := commandLines(out.String(), "  newshound ")
	documented := commandLines(block, "newshound ")
	if len(documented) == 0 {
		t.Fatal("no command lines in README's Commands block")
	}
	flagWord := regexp.MustCompile(`--[a-z-]+`)
	for cmd, line := range documented {
		got, ok := overview[cmd]
		if !ok {
			t.Errorf("%s: in README's Commands, not in newshound --help", cmd)
			continue
		}
		for _, f := range flagWord.FindAllString(line, -1) {
			if !slices.Contains(flagWord.FindAllString(got, -1), f) {
				t.Errorf("%s: README names %s, newshound --help does not:\n  got:  %s\n  want: %s", cmd, f, got, line)
			}
		}
	}
}

// commandLines maps each command ("run", "feeds import") to its synopsis
// among the lines of text that start with prefix.
func commandLines(text, prefix string) map[string]string {
	lines := map[string]string{}
	for _, l := range strings.Split(text, "\n") {
		rest, ok := strings.CutPrefix(l, prefix)
		if !ok {
			continue
		}
		words := strings.Fields(rest)
		cmd := words[0]
		if cmd == "feeds" && len(words) > 1 {
			cmd += " " + words[1]
		}
		lines[cmd] = rest
	}
	return lines
}
