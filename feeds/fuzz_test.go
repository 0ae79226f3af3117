package feeds

import (
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/newshound/newshound/internal/corpus"
)

// FuzzParse feeds arbitrary bytes through charset decoding, gofeed and
// normalization: it must never panic, and what it returns must keep the
// promises the bot relies on.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/parse/*")
	for _, path := range seeds {
		if b, err := os.ReadFile(path); err == nil {
			f.Add(b, "")
		}
	}
	// Small real feeds, read in place when the corpus is present.
	corpusDir, ok, err := corpus.Locate()
	if err != nil {
		f.Fatal(err)
	}
	if real, err := filepath.Glob(filepath.Join(corpusDir, "news", "single", "*")); ok && err == nil {
		for _, path := range real {
			if st, err := os.Stat(path); err == nil && st.Size() < 16<<10 {
				if b, err := os.ReadFile(path); err == nil {
					f.Add(b, "")
				}
			}
		}
	}
	f.Add([]byte(testFeed), "application/rss+xml; charset=windows-1256")
	f.Add([]byte(`<?xml version="1.0" encoding="utf-16"?><rss><channel><item><title>x</title></item></channel></rss>`), "")
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","url":"/a"}]}`), "application/json")
	f.Add([]byte("<!DOCTYPE html><link rel=alternate type=application/rss+xml href=/f>"), "text/html")
	p := NewParser()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		var feed *Feed
		var err error
		done := make(chan struct{})
		go func() {
			defer close(done)
			feed, err = p.Parse(body, contentType, "https://fuzz.example/feed.xml", now)
		}()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			t.Fatalf("HANG for %d bytes", len(body))
		}
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %v is %T, want *Error", err, err)
			}
			return
		}
		keys := map[string]bool{}
		for i, it := range feed.Items {
			if it.Key == "" || keys[it.Key] {
				t.Fatalf("item %d: key %q empty or repeated", i, it.Key)
			}
			keys[it.Key] = true
			if !utf8.ValidString(it.Title) || !utf8.ValidString(it.Summary) || !utf8.ValidString(it.Content) {
				t.Fatalf("item %d: text is not valid UTF-8", i)
			}
			if it.Published.IsZero() || it.Published.After(now.Add(futureSlack)) {
				t.Fatalf("item %d: Published %v", i, it.Published)
			}
		}
	})
}
