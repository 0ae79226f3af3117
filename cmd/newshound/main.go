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
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `newshound watches news feeds and alerts a channel when a story matches a query.

Usage:
  newshound run --config FILE [--once] [--metrics ADDR]
                                            poll feeds and deliver alerts
  newshound check --config FILE             validate a config; exit 1 on any problem
  newshound preview --query Q [--json] FEED_URL_OR_FILE...
                                            show which items of these feeds match
  newshound feeds import FILE.opml          print the feeds of an OPML file as config YAML
  newshound feeds export --config FILE      print the config's feeds as OPML
  newshound feeds discover URL              list the feeds a web page links to
  newshound bench [--feeds N] [--subs M] [--json] ...
                                            poll a loopback feed farm and report the costs
  newshound version                         print the version

Run 'newshound COMMAND --help' for a command's flags.
`

// exit codes
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and found problems (bad config, unreadable feed)
	exitUsage   = 2 // the command line itself is wrong
)

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
		"run":     cmdRun,
		"check":   cmdCheck,
		"preview": cmdPreview,
		"feeds":   cmdFeeds,
		"bench":   cmdBench,
		// bench-farm is the farm process bench starts; not for users.
		"bench-farm": cmdBenchFarm,
		"version": func(_ context.Context, args []string, out, errOut io.Writer) error {
			fs := newFlagSet("version", "newshound version", errOut)
			if err := fs.Parse(args); err != nil {
				return err
			}
			fmt.Fprintf(out, "newshound %s\n", version)
			return nil
		},
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "help" {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	cmd, ok := cmds[name]
	if !ok {
		fmt.Fprintf(stderr, "newshound: unknown command %q\n\n%s", name, usage)
		return exitUsage
	}
	err := cmd(ctx, args[1:], stdout, stderr)
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "newshound %s: %v\n", name, err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "newshound %s: %v\n", name, err)
		return exitFailure
	}
}

// usageError is a wrong command line, as opposed to a failure of the work.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// newFlagSet returns a flag set whose --help prints summary then flags.
func newFlagSet(name, summary string, errOut io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.Usage = func() {
		fmt.Fprintf(errOut, "Usage: %s\n", summary)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses flags wherever they stand among the arguments
// (`preview FEED --query Q` as well as `preview --query Q FEED`); the
// other arguments are left in positional.
func parseFlags(fs *flag.FlagSet, args []string) error {
	_, err := parseInterspersed(fs, args)
	return err
}

func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if rest[0] == "--" {
			positional = append(positional, rest[1:]...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	// Leave the positional arguments where fs.Args() finds them.
	_ = fs.Parse(append([]string{"--"}, positional...))
	return positional, nil
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Sprintf("bad --log-level %q (debug, info, warn, error)", level)}
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}
