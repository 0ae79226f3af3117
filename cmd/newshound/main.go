// Command newshound watches news feeds and alerts a chat channel when a
// story matching a query appears. See README.md and `newshound --help`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `newshound watches news feeds and alerts a channel when a story matches a query.

Usage:
  newshound run [--config] FILE [--once] [--metrics ADDR]
                                            poll feeds and deliver alerts
  newshound check [--config] FILE           validate a config; exit 1 on any problem
  newshound status [--config] FILE [--json]
                                            each feed's last success and problem, each destination's backlog
  newshound preview --query Q [--json] [--stories] FEED_URL_OR_FILE...
                                            show which items of these feeds match;
                                            --stories: which would be listed under another's message
  newshound send-test [--config] FILE --destination NAME
                                            post a sample alert to a destination, say what it answered
  newshound feeds import FILE.opml          print the feeds of an OPML file as config YAML
  newshound feeds export [--config] FILE    print the config's feeds as OPML
  newshound feeds discover [--config FILE] URL_OR_FILE
                                            list the feeds a web page links to
  newshound bench [--feeds N] [--subs M] [--changed SHARE] [--json] ...
                                            poll a loopback feed farm and report the costs
  newshound version                         print the version

A config file is ./newshound.yaml unless given. Run 'newshound COMMAND --help'
(or 'newshound help COMMAND') for a command's description, an example and its flags.
` + exitCodesHelp

// exitCodesHelp ends newshound --help and run --help.
const exitCodesHelp = `
Exit codes:
  0  all well; run --once: also when another instance sharing the store held the
     stories lease past a poll's wait: that feed's new items are the next run's
  1  a problem the command found: a bad config, a feed or file it cannot read, a
     destination that refused send-test's alert; or run --once stopped by a signal
     (SIGINT, SIGTERM): the feeds and alerts it did not get to are the next run's
  2  a wrong command line
  3  run: the store could not be opened (held by another newshound, migrated by a
     newer one); run --once: the store failed, so some of the run may not be recorded
  4  run --once: every feed is failing (in this run, or backing off or disabled
     after failing before)
  5  run --once: alerts could not be delivered (they stay in the outbox)
`

// exit codes
const (
	exitOK          = 0
	exitFailure     = 1 // the command ran and found problems (bad config, unreadable feed)
	exitUsage       = 2 // the command line itself is wrong
	exitStore       = 3 // run --once: the store failed (a full disk, a lost database); run: it could not be opened
	exitFeeds       = 4 // run --once: every feed is failing (in this run, or backing off after failing before)
	exitUndelivered = 5 // run --once: alerts could not be delivered (they stay in the outbox)
)

// exitError is a failure with an exit code of its own.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C stops at once
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches a command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"run":       cmdRun,
		"check":     cmdCheck,
		"preview":   cmdPreview,
		"status":    cmdStatus,
		"feeds":     cmdFeeds,
		"send-test": cmdSendTest,
		"bench":     cmdBench,
		// bench-farm is the farm process bench starts; not for users.
		"bench-farm": cmdBenchFarm,
		"version": func(_ context.Context, args []string, out, errOut io.Writer) error {
			fs := newFlags("version", out)
			if err := fs.parse(args); err != nil {
				return err
			}
			if fs.NArg() > 0 {
				return usageError{"version takes no arguments"}
			}
			fmt.Fprintf(out, "newshound %s\n", version)
			return nil
		},
	}
	if args[0] == "help" && len(args) > 1 {
		return help(ctx, args[1:], stdout, stderr)
	}
	name := args[0]
	if name == "feeds" && len(args) > 1 && helps["feeds "+args[1]].name != "" {
		name += " " + args[1] // errors say "newshound feeds import: …"
	}
	if name == "-h" || name == "--help" || name == "help" {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "newshound: unknown command %q\n\n%s", name, usage)
		return exitUsage
	}
	err := cmd(ctx, args[1:], stdout, stderr)
	var ue usageError
	var ee exitError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "newshound %s: %v\n", name, err)
		return exitUsage
	case errors.As(err, &ee):
		fmt.Fprintf(stderr, "newshound %s: %v\n", name, err)
		return ee.code
	default:
		fmt.Fprintf(stderr, "newshound %s: %v\n", name, err)
		return exitFailure
	}
}

// help runs `help COMMAND` as COMMAND --help, not the overview with
// COMMAND ignored. A word after the command's name (a config file, an
// OPML file) is refused rather than ignored.
func help(ctx context.Context, name []string, stdout, stderr io.Writer) int {
	words := 1
	if name[0] == "feeds" && len(name) > 1 {
		words = 2 // help feeds import
	}
	if len(name) > words {
		fmt.Fprintf(stderr, "newshound help: takes one command's name, got %d words: %s\n", len(name), strings.Join(name, " "))
		return exitUsage
	}
	return run(ctx, append(name[:len(name):len(name)], "--help"), stdout, stderr)
}

// usageError is a wrong command line, as opposed to a failure of the work.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Sprintf("bad --log-level %q (debug, info, warn, error)", level)}
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}
