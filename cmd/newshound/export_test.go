package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// exportConfig is a config whose destinations' secrets come from the
// environment, as the example advises, with feeds that have titles.
const exportConfig = `discord:
  token: ${NEWSHOUND_EXPORT_TEST_TOKEN}
destinations:
  - name: desk
    type: discord-webhook
    webhook_url: ${NEWSHOUND_EXPORT_TEST_HOOK}
feeds:
  - name: reuters-world
    title: Reuters World News
    url: https://example.com/reuters.xml
  - name: bbc
    url: https://example.com/bbc.xml
    headers:
      Authorization: Bearer ${NEWSHOUND_EXPORT_TEST_FEED_TOKEN}
  - name: ap
    title: AP Top News
    url: https://example.com/ap.xml
subscriptions:
  - name: all
    query: aleppo
    destination: desk
`

func writeExportConfig(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "newshound.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestFeedsExportNeedsNoSecrets: `feeds export` writes the feeds of a
// config whose destinations' and feeds' headers' ${ENV} secrets are not
// set, which only running the config needs. A feed whose URL needs an
// unset variable is refused, naming the variable and its line, rather
// than exported without it; with the variable set it is exported with it.
func TestFeedsExportNeedsNoSecrets(t *testing.T) {
	secretURL := strings.Replace(exportConfig, "url: https://example.com/ap.xml", "url: https://example.com/ap.xml?key=${NEWSHOUND_EXPORT_TEST_KEY}", 1)
	tests := []struct {
		name     string
		yaml     string
		env      map[string]string
		wantCode int
		wantOut  []string
		wantErr  string
	}{
		{
			name: "secrets unset", yaml: exportConfig, wantCode: exitOK,
			wantOut: []string{`xmlUrl="https://example.com/reuters.xml"`, `xmlUrl="https://example.com/bbc.xml"`, `xmlUrl="https://example.com/ap.xml"`},
		},
		{
			name: "feed url secret unset", yaml: secretURL, wantCode: exitFailure,
			wantErr: ":17:10: url: environment variable NEWSHOUND_EXPORT_TEST_KEY is not set",
		},
		{
			name: "unknown section", yaml: exportConfig + "feedz:\n  - name: x\n", wantCode: exitFailure,
			wantErr: `:22:1: unknown key "feedz"`,
		},
		{
			name: "feed without url", yaml: strings.Replace(exportConfig, "subscriptions:", "  - name: nourl\nsubscriptions:", 1), wantCode: exitFailure,
			wantErr: `feed "nourl": missing url`,
		},
		{
			name: "feed url secret set", yaml: secretURL, env: map[string]string{"NEWSHOUND_EXPORT_TEST_KEY": "k1"}, wantCode: exitOK,
			wantOut: []string{`xmlUrl="https://example.com/ap.xml?key=k1"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			path := writeExportConfig(t, tc.yaml)
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"feeds", "export", path}, &out, &errOut)
			if code != tc.wantCode {
				t.Fatalf("exit code: got %d, want %d\nstderr:\n%s", code, tc.wantCode, errOut.String())
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout: got\n%s\nwant it to contain %s", out.String(), w)
				}
			}
			if !strings.Contains(errOut.String(), tc.wantErr) {
				t.Errorf("stderr: got %q, want it to contain %q", errOut.String(), tc.wantErr)
			}
		})
	}
}

// TestFeedsExportImportKeepsNames: a config's feeds exported as OPML and
// imported again get their names back (and keep their titles), so the
// subscriptions' feeds: lists still name them.
func TestFeedsExportImportKeepsNames(t *testing.T) {
	path := writeExportConfig(t, exportConfig)
	var opml, errOut bytes.Buffer
	if code := run(context.Background(), []string{"feeds", "export", path}, &opml, &errOut); code != exitOK {
		t.Fatalf("export: exit code %d\n%s", code, errOut.String())
	}
	opmlPath := filepath.Join(t.TempDir(), "feeds.opml")
	if err := os.WriteFile(opmlPath, opml.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if code := run(context.Background(), []string{"feeds", "import", opmlPath}, &out, &errOut); code != exitOK {
		t.Fatalf("import: exit code %d\n%s", code, errOut.String())
	}
	for _, want := range []string{
		"  - name: \"reuters-world\"\n    title: \"Reuters World News\"\n    url: \"https://example.com/reuters.xml\"\n",
		"  - name: \"bbc\"\n",
		"  - name: \"ap\"\n    title: \"AP Top News\"\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("import of the export: got\n%s\nwant it to contain\n%s", out.String(), want)
		}
	}
}

// TestImportKeepsExportedNamesFirst: a name `feeds export` wrote
// (newshoundName) is what subscriptions use, so a name made from another
// outline's title must not take it, wherever that outline stands: before,
// the made name came first and the exported feed was renamed "world-2".
func TestImportKeepsExportedNamesFirst(t *testing.T) {
	tests := []struct {
		name, outlines string
		want           []string
	}{
		{"made name first",
			`<outline text="World" xmlUrl="https://a.example.com/rss"/>
    <outline text="Desk world" newshoundName="world" xmlUrl="https://b.example.com/rss"/>`,
			[]string{"  - name: \"world-2\"\n    title: \"World\"\n    url: \"https://a.example.com/rss\"\n",
				"  - name: \"world\"\n    title: \"Desk world\"\n    url: \"https://b.example.com/rss\"\n"}},
		{"exported name first",
			`<outline text="Desk world" newshoundName="world" xmlUrl="https://b.example.com/rss"/>
    <outline text="World" xmlUrl="https://a.example.com/rss"/>`,
			[]string{"  - name: \"world\"\n    title: \"Desk world\"\n    url: \"https://b.example.com/rss\"\n",
				"  - name: \"world-2\"\n    title: \"World\"\n    url: \"https://a.example.com/rss\"\n"}},
		{"a made name clashing with a made one",
			`<outline text="World" xmlUrl="https://a.example.com/rss"/>
    <outline text="World!" xmlUrl="https://b.example.com/rss"/>`,
			[]string{"  - name: \"world\"\n    title: \"World\"\n", "  - name: \"world-2\"\n    title: \"World!\"\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opml := `<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>
    ` + tc.outlines + `
</body></opml>`
			path := filepath.Join(t.TempDir(), "feeds.opml")
			if err := os.WriteFile(path, []byte(opml), 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			if code := run(context.Background(), []string{"feeds", "import", path}, &out, &errOut); code != exitOK {
				t.Fatalf("import: exit code %d\n%s", code, errOut.String())
			}
			for _, want := range tc.want {
				if !strings.Contains(out.String(), want) {
					t.Errorf("got\n%s\nwant it to contain\n%s", out.String(), want)
				}
			}
		})
	}
}
