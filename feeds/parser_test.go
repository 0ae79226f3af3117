package feeds

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/newshound/newshound/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestParseGolden parses each testdata/parse/NAME.{xml,json} as if fetched
// from https://feeds.example/NAME and compares the normalized Feed with
// NAME.golden.json. Run with -update after a deliberate change and review
// the diff.
func TestParseGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/parse/*")
	if err != nil {
		t.Fatal(err)
	}
	p := NewParser()
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden.json") {
			continue
		}
		name := filepath.Base(in)
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			feed, err := p.Parse(body, "", "https://feeds.example/"+name, testNow)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := json.MarshalIndent(feed, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			goldenPath := strings.TrimSuffix(in, filepath.Ext(in)) + ".golden.json"
			golden.Check(t, goldenPath, got, *update)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		contentType string
		wantKind    ErrorKind
		wantMsg     string
	}{
		{"empty", "  \n", "", Parse, "empty document"},
		{"HTML page without feed links", "<!DOCTYPE html><html><head><title>403</title></head><body>Forbidden</body></html>", "text/html", NotAFeed, "not a feed (HTML page)"},
		{"HTML after a comment", "<!-- cache --><html><head><link rel=alternate type=application/atom+xml href=/a.xml></head></html>", "", NotAFeed, "not a feed (HTML page); it links to these feeds: https://feeds.example/a.xml"},
		{"XHTML page", `<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x"><html xmlns="http://www.w3.org/1999/xhtml"><head><link rel="alternate" type="application/rss+xml" href="/rss"/></head></html>`, "application/xhtml+xml", NotAFeed, "not a feed (HTML page); it links to these feeds: https://feeds.example/rss"},
		{"JSON that is not JSON Feed", `{"rss":{"channel":{"item":[{"title":"x"}]}}}`, "application/json", NotAFeed, `not a feed (JSON, but not a JSON Feed: no "version": "https://jsonfeed.org/version/1.1")`},
		{"plain text", "hello world", "text/plain", Parse, "unrecognized document: neither RSS, Atom nor JSON Feed"},
		{"truncated RSS", `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title><![CDATA[cut`, "", Parse, "invalid feed: "},
		{"unknown charset", "<?xml version=\"1.0\" encoding=\"x-klingon\"?><rss version=\"2.0\"><channel><title>\xff</title></channel></rss>", "", Parse, `unknown charset "x-klingon"`},
	}
	p := NewParser()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			feed, err := p.Parse([]byte(tc.body), tc.contentType, "https://feeds.example/x", testNow)
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("got feed %+v, error %v; want *Error", feed, err)
			}
			if fe.Kind != tc.wantKind || !strings.HasPrefix(fe.Error(), tc.wantMsg) {
				t.Errorf("got %v %q, want %v %q", fe.Kind, fe.Error(), tc.wantKind, tc.wantMsg)
			}
		})
	}
}

func TestParseByteOrderMark(t *testing.T) {
	const bom = "\xef\xbb\xbf"
	tests := []struct {
		name, body, contentType string
	}{
		{"JSON Feed", bom + `{"version":"https://jsonfeed.org/version/1.1","title":"Wire","items":[{"id":"1","url":"https://wire.example/1","title":"Aleppo truce holds"}]}`, "application/feed+json"},
		{"JSON Feed, whitespace after the BOM", bom + "\n " + `{"version":"https://jsonfeed.org/version/1","items":[{"id":"1","url":"/1","title":"Aleppo truce holds"}]}`, ""},
		{"RSS", bom + `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title><item><title>Aleppo truce holds</title><link>https://wire.example/1</link></item></channel></rss>`, "application/rss+xml"},
	}
	p := NewParser()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			feed, err := p.Parse([]byte(tc.body), tc.contentType, "https://wire.example/feed", testNow)
			if err != nil {
				t.Fatalf("got error %v, want the feed", err)
			}
			if len(feed.Items) != 1 || feed.Items[0].Title != "Aleppo truce holds" {
				t.Errorf("got items %+v, want the one item", feed.Items)
			}
		})
	}
}

// TestParseConcurrently shares one Parser between goroutines, as the poll
// workers do; run with -race.
func TestParseConcurrently(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/parse/*.xml")
	p := NewParser()
	want := map[string]int{}
	for _, in := range inputs {
		body, _ := os.ReadFile(in)
		feed, err := p.Parse(body, "", "https://feeds.example/x", testNow)
		if err != nil {
			t.Fatal(err)
		}
		want[in] = len(feed.Items)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for _, in := range inputs {
				body, _ := os.ReadFile(in)
				feed, err := p.Parse(body, "", "https://feeds.example/x", testNow)
				if err != nil || len(feed.Items) != want[in] {
					t.Errorf("%s: got %v items, err %v; want %d", in, feed, err, want[in])
				}
			}
		})
	}
	wg.Wait()
}
