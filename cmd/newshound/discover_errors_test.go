package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newshound/newshound/internal/feedtest"
)

// TestDiscoverErrorsSayWhatToDo reads what feeds discover tells a person
// for each way a URL fails: one line that names the URL, the cause, and
// what to do about it.
func TestDiscoverErrorsSayWhatToDo(t *testing.T) {
	srv := feedtest.NewFailingSite(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "newshound.yaml")
	strict := filepath.Join(dir, "strict.yaml") // allows no private address
	saved := filepath.Join(dir, "saved.html")
	for name, text := range map[string]string{
		cfg:                           "defaults:\n  allow_private_networks: true\n  max_body_bytes: 20KiB\n  max_items: 3\n",
		strict:                        "defaults:\n  max_items: 3\n",
		filepath.Join(dir, "rss.xml"): `<?xml version="1.0"?><urlset><url><loc>https://news.example/</loc></url></urlset>`,
		// A saved page's link relative to its site, which names a file
		// beside it that is no feed.
		saved: `<html><body><a href="rss.xml">RSS</a></body></html>`,
	} {
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	refused := "http://" + closedPort(t) + "/rss"
	tests := []struct {
		name    string
		args    []string
		wantErr []string // in stderr's one line, in this order
		wantOut string
	}{
		{"DNS", []string{"http://no-such-host.invalid/rss"},
			[]string{"could not read http://no-such-host.invalid/rss: network error (", "no-such-host.invalid", "check the host name in the URL"}, ""},
		{"connection refused", []string{"--config", cfg, refused},
			[]string{"could not read " + refused + ": network error (", "connection refused", "nothing answers at that address and port"}, ""},
		{"private address", []string{srv.URL + "/rss"},
			[]string{"could not read " + srv.URL + "/rss: address not allowed: 127.0.0.1, a loopback address", "give --config with a config that sets it"}, ""},
		// With --config given, the hint names that file, not --config.
		{"private address with a config that forbids it", []string{"--config", strict, srv.URL + "/rss"},
			[]string{"could not read " + srv.URL + "/rss: address not allowed: 127.0.0.1", "to allow it here, set allow_private_networks: true under defaults: in " + strict}, ""},
		{"not a feed", []string{"--config", cfg, srv.URL + "/text"},
			[]string{"could not read " + srv.URL + "/text: neither a feed nor a web page (", "give the address of the feed itself, or of a web page that announces it"}, ""},
		{"HTTP 404", []string{"--config", cfg, srv.URL + "/rss"},
			[]string{"could not read " + srv.URL + "/rss: HTTP 404 Not Found", "check the URL: the feed may have moved"}, ""},
		{"HTTP 503", []string{"--config", cfg, srv.URL + "/down"},
			[]string{"could not read " + srv.URL + "/down: HTTP 503 Service Unavailable", "try again later"}, ""},
		{"body too large", []string{"--config", cfg, srv.URL + "/items/1000"},
			[]string{"could not read " + srv.URL + "/items/1000: response body too large: over the limit of 20480 bytes", "raise that limit", "max_body_bytes"}, ""},
		{"too many items", []string{"--config", cfg, srv.URL + "/items/5"},
			[]string{"could not read " + srv.URL + "/items/5: items: 5, over the limit of 3", "raise that limit", "max_items", "in " + cfg}, ""},
		{"missing local file", []string{filepath.Join(dir, "missing.html")},
			[]string{"could not read " + filepath.Join(dir, "missing.html") + ": ", "no such file or directory", "check the file's path"}, ""},
		{"unsupported scheme", []string{"ftp://news.example/rss"},
			[]string{"could not read ftp://news.example/rss: unsupported URL scheme \"ftp\" (want http, https or file)"}, ""},
		{"saved page linking to a local file that is no feed", []string{saved},
			[]string{"no feed read: file://" + filepath.ToSlash(saved) + " links to 1 feed, and it could not be read (above)"},
			"rss.xml: the file it names beside the page is no feed (unrecognized document: neither RSS, Atom nor JSON Feed); " +
				"perhaps a link relative to the site the page came from, which a saved file does not name (give feeds discover the page's URL)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(context.Background(), append([]string{"feeds", "discover"}, tt.args...), &out, &errOut); code != exitFailure {
				t.Errorf("exit code: got %d, want %d", code, exitFailure)
			}
			line := errOut.String()
			if strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
				t.Errorf("stderr: got %q, want one line", line)
			}
			rest := strings.TrimPrefix(line, "newshound feeds discover: ")
			for _, want := range tt.wantErr {
				i := strings.Index(rest, want)
				if i < 0 {
					t.Fatalf("stderr: got %q, want %q after what is found before", line, want)
				}
				rest = rest[i+len(want):]
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("stdout: got %q, want it to contain %q", out.String(), tt.wantOut)
			}
		})
	}
}
