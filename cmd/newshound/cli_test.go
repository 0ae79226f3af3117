package main

import (
	"bytes"
	"context"
	"flag"
	"path/filepath"
	"strings"
	"testing"

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
		{name: "help", args: []string{"--help"}, wantCode: exitOK, wantOut: "newshound preview --query Q"},
		{name: "run help", args: []string{"run", "--help"}, wantCode: exitOK, wantErr: "-once"},
		{name: "preview help", args: []string{"preview", "--help"}, wantCode: exitOK, wantErr: "-json"},
		{name: "check help", args: []string{"check", "--help"}, wantCode: exitOK, wantErr: "-config"},
		{name: "feeds import help", args: []string{"feeds", "import", "--help"}, wantCode: exitOK, wantErr: "Usage: newshound feeds import FILE.opml"},
		{name: "version", args: []string{"version"}, wantCode: exitOK, wantOut: "newshound dev"},
		{name: "bad flag", args: []string{"run", "--nope"}, wantCode: exitUsage, wantErr: "flag provided but not defined"},
		{
			name: "preview", args: []string{"preview", "--query", "aleppo AND (ceasefire OR truce)", "testdata/wire.xml"},
			wantCode: exitOK, golden: "preview.golden",
		},
		{
			name: "preview json", args: []string{"preview", "--json", "--query", `kerry OR "bus fares"`, "testdata/wire.xml"},
			wantCode: exitOK, golden: "preview_json.golden",
		},
		{
			name: "preview flags after the feed", args: []string{"preview", "testdata/wire.xml", "--query", "aleppo AND (ceasefire OR truce)"},
			wantCode: exitOK, golden: "preview.golden", wantErr: "2 of 3 items matched",
		},
		{name: "feeds help", args: []string{"feeds", "--help"}, wantCode: exitOK, wantOut: "newshound feeds discover URL"},
		{
			name: "preview whole words", args: []string{"preview", "--query", "US", "testdata/wire.xml"},
			wantCode: exitOK, golden: "preview_none.golden",
		},
		{
			name: "preview bad query", args: []string{"preview", "--query", "aleppo AND (", "testdata/wire.xml"},
			wantCode: exitFailure, wantErr: "^",
		},
		{
			name: "preview unreadable feed", args: []string{"preview", "--query", "aleppo", "testdata/missing.xml", "testdata/wire.xml"},
			wantCode: exitFailure, wantErr: "testdata/missing.xml",
		},
		{name: "feeds import", args: []string{"feeds", "import", "testdata/reader.opml"}, wantCode: exitOK, golden: "import.golden"},
		{name: "feeds import leaves out what a config would not poll", args: []string{"feeds", "import", "testdata/hostile.opml"}, wantCode: exitFailure, golden: "import_hostile.golden", wantErr: "4 of 5 feeds left out"},
		{name: "feeds export", args: []string{"feeds", "export", "--config", "../../examples/newshound.yaml"}, wantCode: exitOK, wantOut: `xmlUrl="file:///`},
		{name: "feeds no subcommand", args: []string{"feeds"}, wantCode: exitUsage, wantErr: "import, export or discover"},
		{name: "check bad config", args: []string{"check", "--config", "testdata/bad.yaml"}, wantCode: exitFailure, golden: "check_bad.golden"},
		{name: "check warns of a lowercase or", args: []string{"check", "--config", "testdata/hint.yaml"}, wantCode: exitOK, golden: "check_hint.golden"},
		{name: "check example", args: []string{"check", "--config", "../../examples/newshound.yaml"}, wantCode: exitOK, wantOut: "ok ("},
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
