package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestCLI(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		golden   string // compare stdout with testdata/<golden>
		wantOut  string // or: stdout contains this
		wantErr  string // stderr contains this
	}{
		{name: "no command", args: nil, wantCode: exitUsage, wantErr: "Usage:"},
		{name: "unknown command", args: []string{"fly"}, wantCode: exitUsage, wantErr: `unknown command "fly"`},
		{name: "help", args: []string{"--help"}, wantCode: exitOK, golden: "help.golden"},
		// help COMMAND is COMMAND --help, not the overview with COMMAND ignored.
		{name: "help a command", args: []string{"help", "run"}, wantCode: exitOK, golden: "help_run.golden"},
		{name: "help a feeds subcommand", args: []string{"help", "feeds", "import"}, wantCode: exitOK, golden: "help_feeds_import.golden"},
		// A word after the command's name is refused, not ignored.
		{name: "help a command and more", args: []string{"help", "run", "desk.yaml"}, wantCode: exitUsage, golden: "empty.golden", wantErr: "newshound help: takes one command's name, got 2 words: run desk.yaml\n"},
		{name: "help a feeds subcommand and more", args: []string{"help", "feeds", "import", "x.opml"}, wantCode: exitUsage, golden: "empty.golden", wantErr: "newshound help: takes one command's name, got 3 words: feeds import x.opml\n"},
		{name: "help an unknown command", args: []string{"help", "fly"}, wantCode: exitUsage, golden: "empty.golden", wantErr: `unknown command "fly"`},
		{name: "run help", args: []string{"run", "--help"}, wantCode: exitOK, golden: "help_run.golden"},
		{name: "preview help", args: []string{"preview", "--help"}, wantCode: exitOK, golden: "help_preview.golden"},
		{name: "check help", args: []string{"check", "-h"}, wantCode: exitOK, golden: "help_check.golden"},
		{name: "send-test help", args: []string{"send-test", "--help"}, wantCode: exitOK, golden: "help_send-test.golden"},
		{name: "feeds import help", args: []string{"feeds", "import", "--help"}, wantCode: exitOK, golden: "help_feeds_import.golden"},
		{name: "feeds discover help", args: []string{"feeds", "discover", "--help"}, wantCode: exitOK, golden: "help_feeds_discover.golden"},
		{name: "help after other flags", args: []string{"status", "x.yaml", "--json", "--help"}, wantCode: exitOK, wantOut: "Example:\n  newshound status newshound.yaml"},
		{name: "version", args: []string{"version"}, wantCode: exitOK, wantOut: "newshound dev"},
		{name: "bad flag", args: []string{"run", "--nope"}, wantCode: exitUsage, wantErr: "flag provided but not defined: -nope (see 'newshound run --help')"},
		// A --metrics address that no listener could take is a wrong
		// command line, as a bad --log-level is; one taken by another
		// process is not.
		{name: "metrics address without a port", args: []string{"run", "--once", "--metrics", "localhost", "../../examples/newshound.yaml"}, wantCode: exitUsage, golden: "empty.golden", wantErr: "--metrics: \"localhost\" is no HOST:PORT"},
		{name: "metrics port out of range", args: []string{"run", "--once", "--metrics", "127.0.0.1:99999", "../../examples/newshound.yaml"}, wantCode: exitUsage, golden: "empty.golden", wantErr: "--metrics: \"127.0.0.1:99999\" is no HOST:PORT"},
		{
			name: "preview", args: []string{"preview", "--query", "aleppo AND (ceasefire OR truce)", "testdata/wire.xml"},
			wantCode: exitOK, golden: "preview.golden",
		},
		{
			name: "preview json", args: []string{"preview", "--json", "--query", `kerry OR "bus fares"`, "testdata/wire.xml"},
			wantCode: exitOK, golden: "preview_json.golden",
		},
		// A match by site: or link: alone names no word: "matched" is
		// still the list README shows, empty, never null.
		{
			name: "preview json without matched words", args: []string{"preview", "--json", "--query", "site:wire.example", "testdata/wire.xml"},
			wantCode: exitOK, wantOut: `"matched":[]}`,
		},
		// A relative file URL is read as a config reads it (file:feeds/x.xml
		// as file://feeds/x.xml), here from the working directory.
		{
			name: "preview a relative file: URL", args: []string{"preview", "--query", "aleppo AND (ceasefire OR truce)", "file:testdata/wire.xml"},
			wantCode: exitOK, wantErr: "2 of 3 items matched",
		},
		{
			name: "preview flags after the feed", args: []string{"preview", "testdata/wire.xml", "--query", "aleppo AND (ceasefire OR truce)"},
			wantCode: exitOK, golden: "preview.golden", wantErr: "2 of 3 items matched",
		},
		{
			name: "preview stories", args: []string{"preview", "--stories", "--query", "kerry OR lavrov", "../../examples/feeds/wire.atom", "../../examples/feeds/world.xml"},
			wantCode: exitOK, golden: "preview_stories.golden",
		},
		{
			// README: with the world desk's feed first, the wire's report of
			// the next day is loosely like both reports of the story, and
			// listed under it (the collective join).
			name: "preview stories, the world desk's feed first", args: []string{"preview", "--stories", "--query", "kerry OR lavrov", "../../examples/feeds/world.xml", "../../examples/feeds/wire.atom"},
			wantCode: exitOK, golden: "preview_stories_world_first.golden",
		},
		{
			name: "preview stories json", args: []string{"preview", "--stories", "--json", "--query", "kerry OR lavrov", "../../examples/feeds/wire.atom", "../../examples/feeds/world.xml"},
			wantCode: exitOK, golden: "preview_stories_json.golden",
		},
		{
			name: "preview stories doubtful", args: []string{"preview", "--stories", "--query", "bankruptcy", "testdata/bankruptcies.xml"},
			wantCode: exitOK, golden: "preview_stories_doubtful.golden",
		},
		{
			name: "preview stories doubtful json", args: []string{"preview", "--stories", "--json", "--query", "bankruptcy", "testdata/bankruptcies.xml"},
			wantCode: exitOK, golden: "preview_stories_doubtful_json.golden",
		},
		{
			name: "preview stories with render", args: []string{"preview", "--stories", "--config", "testdata/render.yaml", "--render", "aleppo", "--query", "aleppo", "testdata/wire.xml"},
			wantCode: exitUsage, wantErr: "--stories and --render go apart",
		},
		{
			// --render prints the Discord payload, not one JSON object per
			// match: --json would be silently ignored, so it is refused.
			name: "preview json with render", args: []string{"preview", "--json", "--config", "testdata/render.yaml", "--render", "aleppo", "--query", "aleppo", "testdata/wire.xml"},
			wantCode: exitUsage, golden: "empty.golden", wantErr: "--json and --render go apart",
		},
		{
			name: "preview stories where the config never groups", args: []string{"preview", "--stories", "--config", "testdata/nostories.yaml", "--query", "aleppo", "testdata/wire.xml"},
			wantCode: exitFailure, wantErr: "defaults.story_window to 0",
		},
		{name: "feeds help", args: []string{"feeds", "--help"}, wantCode: exitOK, golden: "help_feeds.golden"},
		// An item with no date, or one no parser reads, is shown as
		// such: not dated at the time preview ran.
		{
			name: "preview undated items", args: []string{"preview", "--query", "aleppo", "testdata/undated.xml"},
			wantCode: exitOK, golden: "preview_undated.golden",
		},
		{
			name: "preview undated items json", args: []string{"preview", "--json", "--query", "aleppo", "testdata/undated.xml"},
			wantCode: exitOK, golden: "preview_undated_json.golden",
		},
		{
			name: "preview whole words", args: []string{"preview", "--query", "US", "testdata/wire.xml"},
			wantCode: exitOK, golden: "preview_none.golden",
		},
		{
			name: "preview bad query", args: []string{"preview", "--query", "aleppo AND (", "testdata/wire.xml"},
			wantCode: exitFailure, wantErr: "^",
		},
		{
			name: "preview one unreadable feed", args: []string{"preview", "--query", "aleppo", "testdata/missing.xml"},
			wantCode: exitFailure, wantErr: "; check the file's path\n0 of 0 items matched\nnewshound preview: 1 of 1 feed could not be read\n",
		},
		{
			name: "preview one item", args: []string{"preview", "--query", "aleppo", "testdata/one_item.xml"},
			wantCode: exitOK, wantErr: "1 of 1 item matched\n",
		},
		// Defines come from a config: without --config, an @name says so.
		{
			name: "preview a define without a config", args: []string{"preview", "--query", "aleppo AND @truce", "testdata/wire.xml"},
			wantCode: exitFailure, golden: "empty.golden",
			wantErr: "newshound preview: query:12: unknown define @truce\naleppo AND @truce\n           ^\n@truce names a query of a config's define:, which preview reads from --config FILE\n",
		},
		{
			name: "preview a bracketed define without a config", args: []string{"preview", "--query", "(@truce OR ceasefire)", "testdata/wire.xml"},
			wantCode: exitFailure, wantErr: "\n@truce names a query of a config's define:",
		},
		{
			name: "preview unreadable feed", args: []string{"preview", "--query", "aleppo", "testdata/missing.xml", "testdata/wire.xml"},
			wantCode: exitFailure, wantErr: "testdata/missing.xml",
		},
		{name: "feeds import", args: []string{"feeds", "import", "testdata/reader.opml"}, wantCode: exitOK, golden: "import.golden"},
		{name: "feeds import leaves out what a config would not poll", args: []string{"feeds", "import", "testdata/hostile.opml"}, wantCode: exitFailure, golden: "import_hostile.golden", wantErr: "4 of 5 feeds left out"},
		{
			name: "feeds import of one feed left out", args: []string{"feeds", "import", "testdata/opml_one.opml"},
			wantCode: exitFailure, golden: "import_one.golden",
			wantErr: "left out \"http://10.0.0.1/feed\": 10.0.0.1 is a private address (add it to the config by hand, with allow_private_networks: true)\nnewshound feeds import: testdata/opml_one.opml: 1 of 1 feed left out: ",
		},
		// An attribute written in another case (xmlurl) is read; a feed's
		// outline without a URL is left out aloud, not taken for a folder.
		{
			name: "feeds import urlless outline", args: []string{"feeds", "import", "testdata/urlless.opml"},
			wantCode: exitFailure, golden: "import_urlless.golden", wantErr: "left out \"Lost link\": an outline of type rss without an xmlUrl\nnewshound feeds import: testdata/urlless.opml: 1 of 3 feeds left out",
		},
		// A feed titled "All" is not named all, which a config refuses
		// (feeds: all means every feed).
		{name: "feeds import a feed titled all", args: []string{"feeds", "import", "testdata/opml_all.opml"}, wantCode: exitOK, golden: "import_all.golden"},
		// What cannot be imported says which file, and where in it.
		{
			name: "feeds import empty file", args: []string{"feeds", "import", "testdata/opml_zero.opml"},
			wantCode: exitFailure, golden: "empty.golden", wantErr: "newshound feeds import: testdata/opml_zero.opml: empty file, not OPML\n",
		},
		{
			name: "feeds import a feed, not OPML", args: []string{"feeds", "import", "testdata/wire.xml"},
			wantCode: exitFailure, golden: "empty.golden", wantErr: "newshound feeds import: testdata/wire.xml:2: not OPML: the document is <rss>, not <opml>\n",
		},
		{
			name: "feeds import truncated", args: []string{"feeds", "import", "testdata/opml_truncated.opml"},
			wantCode: exitFailure, golden: "empty.golden", wantErr: "newshound feeds import: testdata/opml_truncated.opml:5: XML syntax error: unexpected EOF\n",
		},
		{
			name: "feeds import without feeds", args: []string{"feeds", "import", "testdata/opml_nofeeds.opml"},
			wantCode: exitFailure, golden: "empty.golden", wantErr: "newshound feeds import: testdata/opml_nofeeds.opml: no feeds in it (no outline has an xmlUrl)\n",
		},
		{
			name: "feeds import missing file", args: []string{"feeds", "import", "testdata/no-such.opml"},
			wantCode: exitFailure, golden: "empty.golden", wantErr: "newshound feeds import: open testdata/no-such.opml: no such file or directory\n",
		},
		{name: "feeds export", args: []string{"feeds", "export", "--config", "../../examples/newshound.yaml"}, wantCode: exitOK, wantOut: `xmlUrl="file:///`},
		{name: "feeds no subcommand", args: []string{"feeds"}, wantCode: exitUsage, wantErr: "import, export or discover"},
		{name: "check bad config", args: []string{"check", "--config", "testdata/bad.yaml"}, wantCode: exitFailure, golden: "check_bad.golden"},
		{name: "check warns of a lowercase or", args: []string{"check", "--config", "testdata/hint.yaml"}, wantCode: exitOK, golden: "check_hint.golden"},
		{name: "check example", args: []string{"check", "--config", "../../examples/newshound.yaml"}, wantCode: exitOK, wantOut: "ok ("},

		// A config path given as an argument is used, or refused with a
		// reason; never ignored in favour of ./newshound.yaml.
		{name: "check positional config", args: []string{"check", "testdata/bad.yaml"}, wantCode: exitFailure, golden: "check_bad.golden"},
		{name: "check positional example", args: []string{"check", "../../examples/newshound.yaml"}, wantCode: exitOK, wantOut: "../../examples/newshound.yaml: ok ("},
		{name: "check same path twice", args: []string{"check", "--config", "testdata/bad.yaml", "testdata/bad.yaml"}, wantCode: exitFailure, golden: "check_bad.golden"},
		{
			name: "check two configs", args: []string{"check", "--config", "../../examples/newshound.yaml", "testdata/bad.yaml"},
			wantCode: exitUsage, golden: "empty.golden", wantErr: "newshound check: two config files given: --config ../../examples/newshound.yaml and testdata/bad.yaml; give one\n",
		},
		{
			name: "check three arguments", args: []string{"check", "a.yaml", "b.yaml"},
			wantCode: exitUsage, golden: "empty.golden", wantErr: "newshound check: takes one config file, got 2 arguments: a.yaml b.yaml\n",
		},
		// An empty name (--config "$CFG" with CFG unset) is a wrong
		// command line, not a config with one problem in "".
		{name: "check empty config name", args: []string{"check", "--config", ""}, wantCode: exitUsage, golden: "empty.golden", wantErr: "newshound check: --config is empty: give it a value, or leave it out\n"},
		// Any flag given empty is refused likewise: read as left out, it
		// would be ignored (no metrics served, no config's defines read).
		// An empty argument (an unset "$CONFIG") is a usage error, not a
		// file "" that cannot be opened (exit 1).
		{name: "check empty argument", args: []string{"check", ""}, wantCode: exitUsage, golden: "empty.golden", wantErr: "newshound check: an argument is empty (an unset shell variable?) (see 'newshound check --help')\n"},
		{name: "feeds import empty argument", args: []string{"feeds", "import", ""}, wantCode: exitUsage, wantErr: "an argument is empty"},
		{name: "preview empty feed", args: []string{"preview", "--query", "aleppo", ""}, wantCode: exitUsage, wantErr: "an argument is empty"},
		{name: "run empty metrics address", args: []string{"run", "--once", "--metrics=", "testdata/none.yaml"}, wantCode: exitUsage, wantErr: "newshound run: --metrics is empty: give it a value, or leave it out\n"},
		{name: "preview empty config", args: []string{"preview", "--config=", "--query", "aleppo", "testdata/wire.xml"}, wantCode: exitUsage, golden: "empty.golden", wantErr: "newshound preview: --config is empty"},
		{name: "preview empty render", args: []string{"preview", "--config", "testdata/render.yaml", "--render=", "--query", "aleppo", "testdata/wire.xml"}, wantCode: exitUsage, golden: "empty.golden", wantErr: "newshound preview: --render is empty"},
		{name: "feeds discover empty config", args: []string{"feeds", "discover", "--config=", "testdata/wire.xml"}, wantCode: exitUsage, golden: "empty.golden", wantErr: "newshound feeds discover: --config is empty"},
		// A flag given twice would keep the last value and ignore the
		// first: refused when the two differ.
		{name: "check two configs by flag", args: []string{"check", "--config", "testdata/none.yaml", "--config", "../../examples/newshound.yaml"}, wantCode: exitUsage, golden: "empty.golden", wantErr: "newshound check: --config given twice: testdata/none.yaml and ../../examples/newshound.yaml; give one (see 'newshound check --help')\n"},
		{name: "preview two queries", args: []string{"preview", "--query", "kerry", "testdata/wire.xml", "--query", "aleppo"}, wantCode: exitUsage, golden: "empty.golden", wantErr: "newshound preview: --query given twice: kerry and aleppo; give one"},
		{name: "send-test two destinations", args: []string{"send-test", "--destination", "x", "../../examples/newshound.yaml", "--destination", "console"}, wantCode: exitUsage, golden: "empty.golden", wantErr: "newshound send-test: --destination given twice: x and console"},
		{name: "status json on and off", args: []string{"status", "--json", "--json=false", "testdata/none.yaml"}, wantCode: exitUsage, wantErr: "newshound status: --json given twice: true and false"},
		{name: "check the same config twice by flag", args: []string{"check", "--config", "../../examples/newshound.yaml", "--config=../../examples/newshound.yaml"}, wantCode: exitOK, wantOut: "ok ("},
		// One file written two ways is one file, not two.
		{name: "check the same config twice, written otherwise", args: []string{"check", "--config", "../../examples/newshound.yaml", "--config=../../examples/./newshound.yaml"}, wantCode: exitOK, wantOut: "ok ("},
		{name: "check the same config by flag and argument, written otherwise", args: []string{"check", "--config", "../../examples/newshound.yaml", "../../examples//newshound.yaml"}, wantCode: exitOK, wantOut: "ok ("},
		{name: "bench empty store", args: []string{"bench", "--store=", "--feeds", "0"}, wantCode: exitUsage, wantErr: "newshound bench: --store is empty"},
		{name: "status empty config argument", args: []string{"status", ""}, wantCode: exitUsage, wantErr: "an argument is empty"},
		{name: "run positional config", args: []string{"run", "testdata/bad.yaml", "--once"}, wantCode: exitFailure, wantErr: "testdata/bad.yaml:"},
		{name: "status positional config", args: []string{"status", "testdata/bad.yaml"}, wantCode: exitFailure, wantErr: "testdata/bad.yaml:"},
		{name: "feeds export positional config", args: []string{"feeds", "export", "testdata/bad.yaml"}, wantCode: exitFailure, wantErr: "testdata/bad.yaml:"},
		{name: "feeds export positional example", args: []string{"feeds", "export", "../../examples/newshound.yaml"}, wantCode: exitOK, wantOut: `xmlUrl="file:///`},
		{name: "send-test positional config", args: []string{"send-test", "testdata/bad.yaml", "--destination", "x"}, wantCode: exitFailure, wantErr: "testdata/bad.yaml:"},
		{name: "version takes no arguments", args: []string{"version", "x.yaml"}, wantCode: exitUsage, wantErr: "takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), tt.args, &out, &errOut)
			if code != tt.wantCode {
				t.Errorf("exit code: got %d, want %d\nstderr:\n%s", code, tt.wantCode, errOut.String())
			}
			if tt.golden != "" {
				golden.Check(t, filepath.Join("testdata", tt.golden), out.Bytes(), *update)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("stdout: got %q, want it to contain %q", out.String(), tt.wantOut)
			}
			if !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stderr: got %q, want it to contain %q", errOut.String(), tt.wantErr)
			}
		})
	}
}

// TestEveryCommandHasHelp: each command's --help goes to stdout with a
// one-line description, the usage, an example that names the command,
// and nothing on stderr.
func TestEveryCommandHasHelp(t *testing.T) {
	for name, h := range helps {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := append(strings.Fields(name), "--help")
			if code := run(context.Background(), args, &out, &errOut); code != exitOK {
				t.Fatalf("exit code: got %d, want %d", code, exitOK)
			}
			if errOut.Len() > 0 {
				t.Errorf("stderr: got %q, want nothing", errOut.String())
			}
			first, _, _ := strings.Cut(out.String(), "\n")
			if first != h.summary || strings.Contains(first, "\n") {
				t.Errorf("first line: got %q, want the summary %q", first, h.summary)
			}
			for _, want := range []string{"Usage:\n  newshound " + name, "Example:\n  newshound " + name} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("help: got\n%s\nwant it to contain %q", out.String(), want)
				}
			}
		})
	}
}

// TestOPMLRoundTrip: what feeds import prints is a config whose feeds
// export back with the same titles and URLs.
func TestOPMLRoundTrip(t *testing.T) {
	var imported, errOut bytes.Buffer
	if code := run(context.Background(), []string{"feeds", "import", "testdata/reader.opml"}, &imported, &errOut); code != exitOK {
		t.Fatalf("import: exit %d: %s", code, errOut.String())
	}
	cfg := filepath.Join(t.TempDir(), "newshound.yaml")
	if err := os.WriteFile(cfg, imported.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var exported bytes.Buffer
	if code := run(context.Background(), []string{"feeds", "export", cfg}, &exported, &errOut); code != exitOK {
		t.Fatalf("export: exit %d: %s", code, errOut.String())
	}
	in, err := os.Open("testdata/reader.opml")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	want, err := feeds.ReadOPML(in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := feeds.ReadOPML(&exported)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("exported %d feeds, want %d", len(got), len(want))
	}
	for i := range want {
		wantTitle := want[i].Title
		if wantTitle == "" {
			wantTitle = "untitled-example" // the name made from the host
		}
		if got[i].Title != wantTitle || got[i].URL != want[i].URL {
			t.Errorf("feed %d: got %q %s, want %q %s", i, got[i].Title, got[i].URL, wantTitle, want[i].URL)
		}
	}
}
