package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/newshound/newshound/config"
)

// commandHelp is what `newshound COMMAND --help` prints to stdout: what
// the command does in one line, how to call it, an example, and its flags.
type commandHelp struct {
	name    string // "check", "feeds import"
	summary string // one line: what it does
	usage   string // the synopsis, without "newshound "
	example string // one command line a user can copy
	after   string // printed after the flags (run: the exit codes)
}

// helps are the commands' help texts, by name.
var helps = map[string]commandHelp{
	"run": {
		name: "run", summary: "Poll the config's feeds and deliver alerts until stopped (or once, with --once).",
		usage:   "run [--config] FILE [--once] [--metrics ADDR] [--log-level LEVEL]",
		example: "newshound run newshound.yaml --metrics 127.0.0.1:9108",
		after:   exitCodesHelp,
	},
	"check": {
		name: "check", summary: "Validate a config file: every problem as FILE:line:col, exit 1 on any.",
		usage:   "check [--config] FILE",
		example: "newshound check newshound.yaml",
	},
	"bench": {
		name: "bench", summary: "Poll a loopback feed farm through the real pipeline and report what it costs (CPU per poll, memory, database growth, latency).",
		usage:   "bench [--feeds N] [--subs M] [--changed SHARE] [--rounds R] [--service DURATION] [--store DSN] [--json] ...",
		example: "newshound bench --feeds 2000 --hosts 1 --host-gap 0s --changed 1 --rounds 3",
	},
	"bench-farm": {
		name: "bench-farm", summary: "Serve the feed farm that bench starts in a process of its own (not for use by hand).",
		usage:   "bench-farm --feeds N [--hosts H] [--items I] [--latency D]",
		example: "newshound bench-farm --feeds 200 --hosts 16",
	},
	"status": {
		name: "status", summary: "Show each feed's last success, problem and next poll (the config's and /watch's), each destination's backlog, and the watches whose query no longer parses.",
		usage:   "status [--config] FILE [--json]",
		example: "newshound status newshound.yaml",
	},
	"preview": {
		name: "preview", summary: "Show which items of these feeds match a query, with the matched words.",
		usage:   "preview --query Q [--json] [--stories] [--config FILE [--render SUBSCRIPTION[@DESTINATION]]] FEED_URL_OR_FILE...",
		example: `newshound preview --query 'aleppo AND (ceasefire OR truce)' https://feeds.example.org/world.xml`,
	},
	"send-test": {
		name: "send-test", summary: "Post a sample alert to one destination and say what it answered.",
		usage:   "send-test [--config] FILE --destination NAME",
		example: "newshound send-test newshound.yaml --destination desk",
	},
	"feeds import": {
		name: "feeds import", summary: "Print an OPML file's feeds as config YAML, keeping titles and folders.",
		usage:   "feeds import FILE.opml",
		example: "newshound feeds import subscriptions.opml > imported.yaml  # then move its entries under feeds:",
	},
	"feeds export": {
		name: "feeds export", summary: "Print the config's feeds as OPML, for a feed reader.",
		usage:   "feeds export [--config] FILE",
		example: "newshound feeds export newshound.yaml > feeds.opml",
	},
	"feeds discover": {
		name: "feeds discover", summary: "List the feeds a web page (a URL or a saved HTML file) links to, with their titles.",
		usage:   "feeds discover [--config FILE] URL_OR_FILE",
		example: "newshound feeds discover https://www.example.org/news/",
	},
	"version": {
		name: "version", summary: "Print newshound's version.",
		usage: "version", example: "newshound version",
	},
}

// flags is a command's flag set and its help.
type flags struct {
	*flag.FlagSet
	help commandHelp
	out  io.Writer // where --help goes
}

// newFlags returns the flag set of the named command. The flag package's
// own output is discarded: a bad flag comes back as a usageError that run
// prints, and --help goes to out.
func newFlags(name string, out io.Writer) *flags {
	h, ok := helps[name]
	if !ok {
		panic("newshound: no help for command " + name) // a programming error, caught by TestEveryCommandHasHelp
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flags{FlagSet: fs, help: h, out: out}
}

// parse parses flags wherever they stand among the arguments (`preview
// FEED --query Q` as well as `preview --query Q FEED`); the other
// arguments are left where fs.Args() finds them. --help prints the help
// and returns flag.ErrHelp. A flag given twice with different values, or
// given empty, is refused: flag.Parse would keep the last and ignore the
// first, or read an empty one as left out; so is an empty argument.
func (f *flags) parse(args []string) error {
	twice := f.watchTwice()
	err := f.parseAnywhere(args)
	repeated := twice()
	switch {
	case errors.Is(err, flag.ErrHelp):
		f.printHelp()
		return err
	case err != nil:
		return usageError{fmt.Sprintf("%v (see 'newshound %s --help')", err, f.help.name)}
	case repeated != "":
		return usageError{fmt.Sprintf("%s; give one (see 'newshound %s --help')", repeated, f.help.name)}
	}
	if name := f.givenEmpty(); name != "" {
		return usageError{fmt.Sprintf("--%s is empty: give it a value, or leave it out", name)}
	}
	if slices.Contains(f.Args(), "") {
		// a file, a URL or a feed, none of which "" names: an unset shell
		// variable ("$CONFIG") is the likely cause, not a file called "".
		return usageError{fmt.Sprintf("an argument is empty (an unset shell variable?) (see 'newshound %s --help')", f.help.name)}
	}
	return nil
}

func (f *flags) parseAnywhere(args []string) error {
	var positional []string
	for {
		if err := f.Parse(args); err != nil {
			return err
		}
		rest := f.Args()
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
	return f.Parse(append([]string{"--"}, positional...))
}

// watchTwice has each flag remember a second value given for it that
// differs from the first. The function it returns gives the flags their
// own values back (the help's defaults are read from them) and says the
// first flag so given.
func (f *flags) watchTwice() func() string {
	var repeated string
	own := map[string]flag.Value{}
	f.VisitAll(func(fl *flag.Flag) {
		own[fl.Name] = fl.Value
		fl.Value = &onceValue{Value: fl.Value, name: fl.Name, repeated: &repeated}
	})
	return func() string {
		f.VisitAll(func(fl *flag.Flag) { fl.Value = own[fl.Name] })
		return repeated
	}
}

// onceValue is a flag's value that notes, in repeated, a second value
// that differs from the first.
type onceValue struct {
	flag.Value
	name     string
	given    bool
	repeated *string
}

func (v *onceValue) Set(s string) error {
	before := v.Value.String()
	if err := v.Value.Set(s); err != nil {
		return err
	}
	if after := v.Value.String(); v.given && !sameFlagValue(v.name, before, after) && *v.repeated == "" {
		*v.repeated = fmt.Sprintf("--%s given twice: %s and %s", v.name, before, after)
	}
	v.given = true
	return nil
}

// pathFlags are the flags that name a file or a folder.
var pathFlags = map[string]bool{"config": true, "dir": true, "cpuprofile": true, "memprofile": true}

// sameFlagValue reports whether a and b, two values given for the flag
// name, are the same: a path written two ways (./a.yaml, a.yaml) names
// one file.
func sameFlagValue(name, a, b string) bool {
	return a == b || pathFlags[name] && samePath(a, b)
}

// samePath reports whether a and b are one path written two ways
// (./a.yaml, a.yaml); an empty one names no file.
func samePath(a, b string) bool {
	return a != "" && b != "" && filepath.Clean(a) == filepath.Clean(b)
}

// IsBoolFlag lets a bool flag stand without a value (--json), as flag
// asks its own values.
func (v *onceValue) IsBoolFlag() bool {
	b, ok := v.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// givenEmpty names a string flag given an empty value (--metrics=, or
// --config "$CFG" with CFG unset), which would read as the flag left out:
// a flag given is used or refused, never ignored.
func (f *flags) givenEmpty() string {
	name := ""
	f.Visit(func(fl *flag.Flag) {
		if g, ok := fl.Value.(flag.Getter); ok && name == "" && g.Get() == "" {
			name = fl.Name
		}
	})
	return name
}

func (f *flags) printHelp() {
	h := f.help
	fmt.Fprintf(f.out, "%s\n\nUsage:\n  newshound %s\n\nExample:\n  %s\n", h.summary, h.usage, h.example)
	hasFlags := false
	f.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprint(f.out, "\nFlags:\n")
		f.SetOutput(f.out)
		f.PrintDefaults()
		f.SetOutput(io.Discard)
	}
	fmt.Fprint(f.out, h.after)
}

// set reports whether the flag called name was given on the command line.
func (f *flags) set(name string) bool {
	given := false
	f.Visit(func(fl *flag.Flag) { given = given || fl.Name == name })
	return given
}

// loadConfig loads the config the command line names (see configPath),
// and says which file that is.
func (f *flags) loadConfig(flagValue string) (*config.Config, string, error) {
	path, err := f.configPath(flagValue)
	if err != nil {
		return nil, "", err
	}
	cfg, err := loadConfig(path)
	return cfg, path, err
}

// configPath is the config file a command works on: a positional
// argument, or --config, or its default. Both given and different is an
// error, as is more than one positional argument: a path on the command
// line is never silently ignored.
func (f *flags) configPath(flagValue string) (string, error) {
	switch args := f.Args(); {
	case len(args) == 0:
		return flagValue, nil
	case len(args) > 1:
		return "", usageError{fmt.Sprintf("takes one config file, got %d arguments: %s", len(args), strings.Join(args, " "))}
	case f.set("config") && !samePath(flagValue, args[0]):
		return "", usageError{fmt.Sprintf("two config files given: --config %s and %s; give one", flagValue, args[0])}
	default:
		return args[0], nil
	}
}
