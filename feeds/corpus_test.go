package feeds

import (
	"context"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"

	"github.com/newshound/newshound/internal/corpus"
)

// corpusFiles lists the feed files under corpus/news/<sub>, skipping the
// test when the corpus is absent.
func corpusFiles(t testing.TB, sub string) []string {
	t.Helper()
	root := filepath.Join(corpus.Dir(t), "news", sub)
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !strings.HasSuffix(d.Name(), ".txt") && !strings.HasSuffix(d.Name(), ".md") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func fileURL(t testing.TB, path string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
}

// fetchAndParse reads a corpus file through the Fetcher (file://, so the
// gzip sniffing and limits apply) and parses it.
func fetchAndParse(t testing.TB, f *Fetcher, p *Parser, path string, now time.Time) (*Feed, error) {
	t.Helper()
	res, err := f.Fetch(context.Background(), Request{URL: fileURL(t, path), AllowFile: true})
	if err != nil {
		return nil, err
	}
	return p.Parse(res.Body, res.ContentType, res.URL, now)
}

func TestCorpusFeedsParseOrFailClearly(t *testing.T) {
	corpusDir := corpus.Dir(t)
	var files []string
	for _, sub := range []string{"single", "series", "messy"} {
		files = append(files, corpusFiles(t, sub)...)
	}
	f, p := NewFetcher(FetcherOptions{}), NewParser()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	var feeds, items, failed, failedReal int
	for _, path := range files {
		rel, _ := filepath.Rel(filepath.Join(corpusDir, "news"), path)
		t.Run(rel, func(t *testing.T) {
			feed, err := fetchAndParse(t, f, p, path, now)
			mustFail := strings.HasPrefix(rel, "messy"+string(filepath.Separator))
			if err != nil {
				failed++
				var fe *Error
				if !errors.As(err, &fe) || (fe.Kind != Parse && fe.Kind != NotAFeed) {
					t.Errorf("error %v (%T) is not an *Error of kind Parse or NotAFeed", err, err)
				}
				if len(err.Error()) < 10 {
					t.Errorf("error %q is too terse to act on", err)
				}
				if !mustFail {
					failedReal++
					t.Logf("clear error: %v", err)
				}
				return
			}
			if mustFail {
				t.Fatalf("got %d items, want an error for a failed-fetch file", len(feed.Items))
			}
			feeds++
			items += len(feed.Items)
			if len(feed.Items) == 0 {
				t.Errorf("got no items and no error")
			}
			keys := map[string]bool{}
			for i, it := range feed.Items {
				checkItem(t, i, it)
				if keys[it.Key] {
					t.Errorf("item %d: key %q repeated within the document", i, it.Key)
				}
				keys[it.Key] = true
			}
		})
	}
	t.Logf("%d files: %d feeds parsed with %d items, %d clear errors", len(files), feeds, items, failed)
	// A clear error is acceptable for a few odd real feeds, not as a way
	// for a regression to pass: almost every real feed must parse.
	if realFiles := len(files) - (failed - failedReal); failedReal > realFiles/20 {
		t.Errorf("%d of %d real feeds failed to parse, want at most 5%%", failedReal, realFiles)
	}
}

func checkItem(t *testing.T, i int, it Item) {
	t.Helper()
	if it.Key == "" || len(it.Key) > 32 {
		t.Errorf("item %d: key %q, want 1..32 chars", i, it.Key)
	}
	if it.Title == "" && it.Summary == "" && it.Content == "" {
		t.Errorf("item %d (%s): no text", i, it.Link)
	}
	u, err := url.Parse(it.Link)
	if err != nil || !u.IsAbs() || u.Host == "" {
		t.Errorf("item %d (%q): link %q is not absolute", i, it.Title, it.Link)
	}
	for name, s := range map[string]string{"title": it.Title, "summary": it.Summary, "content": it.Content} {
		if !utf8.ValidString(s) {
			t.Errorf("item %d: %s is not valid UTF-8", i, name)
		}
		if strings.Contains(s, "Ã") && strings.ContainsAny(s, "\u00bc\u00a4\u00b6\u009f") {
			t.Errorf("item %d: %s looks like mojibake: %.80q", i, name, s)
		}
	}
	if it.Published.IsZero() {
		t.Errorf("item %d: zero Published", i)
	}
}

// TestCorpusSpecialCases pins what the corpus notes call out by name.
func TestCorpusSpecialCases(t *testing.T) {
	corpusDir := corpus.Dir(t)
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	f, p := NewFetcher(FetcherOptions{}), NewParser()
	tests := []struct {
		name     string
		file     string
		wantText string    // appears in some title or summary
		wantKind ErrorKind // 0: must parse
	}{
		{"ISO-8859-1 declared, UTF-8 bytes (Spiegel)", "single/kieker2015_spiegel.xml", "ü", 0},
		{"windows-1251 Russian", "single/nodefp_iconv.xml", "Оренбург", 0},
		{"gb2312 Chinese", "single/rsparser_kc0011.rss", "的", 0},
		{"real ISO-8859-1 Portuguese", "single/feedrs_rss_2.0_encoding_1.xml", "ç", 0},
		{"UTF-16 declared, UTF-8 bytes", "single/kagi2026_eliotjones_utf16_mismatch.xml", "", 0},
		{"gzip bytes named .xml", "single/nodefp_compressed.xml", "", 0},
		{"RSS written as JSON", "single/rsparser_ScriptingNews.json", "", NotAFeed},
		{"HTML 403 page", "messy/gesab001_latimes_2021-10-16_7877d1e7_cloudfront403.html.xml", "", NotAFeed},
		{"empty body", "messy/gesab001_bbc_2020-04-28T004318Z_692beb56_empty.xml", "", Parse},
		{"truncated mid-CDATA", "messy/gesab001_latimes_2020-04-28T004318Z_692beb56_truncated.xml", "", Parse},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			feed, err := fetchAndParse(t, f, p, filepath.Join(corpusDir, "news", tc.file), now)
			if tc.wantKind != 0 {
				var fe *Error
				if !errors.As(err, &fe) || fe.Kind != tc.wantKind {
					t.Fatalf("got error %v, want kind %v", err, tc.wantKind)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want a feed", err)
			}
			if len(feed.Items) == 0 {
				t.Fatal("got no items")
			}
			if tc.wantText == "" {
				return
			}
			for _, it := range feed.Items {
				if strings.Contains(it.Title+it.Summary, tc.wantText) {
					return
				}
			}
			t.Errorf("no item text contains %q; first title %q", tc.wantText, feed.Items[0].Title)
		})
	}
}

// TestParagraphTextOnCorpus: on every item of the corpus feeds, the
// summary and content in one line are PlainText's, byte for byte, so an
// upgrade changes no key, match or story of an item; it counts the texts
// that have lines to show.
func TestParagraphTextOnCorpus(t *testing.T) {
	var texts, withLines int
	for _, sub := range []string{"single", "series"} {
		for _, path := range corpusFiles(t, sub) {
			body, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			feed, err := gofeed.NewParser().ParseString(string(body))
			if err != nil {
				continue // not a feed the corpus parses; TestCorpus covers those
			}
			for _, it := range feed.Items {
				for _, raw := range []string{it.Description, it.Content} {
					if raw == "" {
						continue
					}
					texts++
					got := ParagraphText(raw)
					if strings.Contains(got, "\n") {
						withLines++
					}
					if line, plain := strings.ReplaceAll(got, "\n", " "), PlainText(raw); line != plain {
						t.Errorf("%s: ParagraphText in one line differs from PlainText:\n%q\n%q", filepath.Base(path), line, plain)
					}
				}
			}
		}
	}
	t.Logf("%d texts of the corpus, %d with more than one line", texts, withLines)
}
