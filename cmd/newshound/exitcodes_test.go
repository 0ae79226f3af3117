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

	"github.com/newshound/newshound/bot"
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

// TestCountsAgreeWithTheirNouns: a count of one names one thing. run
// --once ended "1 alerts could not be delivered yet", and preview, feeds
// import and bench said "1 of 1 feeds", "on 1 hosts" and "1 instance(s)".
func TestCountsAgreeWithTheirNouns(t *testing.T) {
	oneHost := benchReport{Feeds: 1, Hosts: 1, Items: 1, Subscriptions: 1, Instances: 1, Store: "sqlite", Posted: 1, Published: 1, DiscordMessages: 1,
		Service: &serviceStats{Latencies: 1}, FirstSight: passStats{Passes: 1}}
	twoHosts := benchReport{Feeds: 2, Hosts: 2, Items: 2, Subscriptions: 2, Instances: 2, Store: "sqlite", Posted: 2, Published: 2, DiscordMessages: 2,
		Service: &serviceStats{Latencies: 2}, FirstSight: passStats{Passes: 2}}
	tests := []struct {
		name string
		got  func() string
		want []string
	}{
		{"one alert undelivered", func() string { return onceTrouble(bot.OnceReport{FeedsPolled: 1, Pending: 1}).Error() }, []string{"1 alert could not be delivered yet"}},
		{"alerts undelivered", func() string { return onceTrouble(bot.OnceReport{FeedsPolled: 1, Pending: 4}).Error() }, []string{"4 alerts could not be delivered yet"}},
		{"bench of one", func() string { var b bytes.Buffer; oneHost.print(&b); return b.String() },
			[]string{"1 feed on 1 host, 1 item each, 1 subscription, 1 instance, sqlite store", "posted 1 of 1 matching item (1 Discord message)", "over 1 item\n", "(1 pass, "}},
		{"bench of two", func() string { var b bytes.Buffer; twoHosts.print(&b); return b.String() },
			[]string{"2 feeds on 2 hosts, 2 items each, 2 subscriptions, 2 instances, sqlite store", "posted 2 of 2 matching items (2 Discord messages)", "over 2 items\n", "(2 passes, "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.got()
			for _, want := range tt.want {
				if !strings.Contains(got, want) {
					t.Errorf("got %q, want it to contain %q", got, want)
				}
			}
		})
	}
}
