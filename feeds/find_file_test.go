package feeds

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestFindReadsLocalFilesOnlyFromALocalPage: `feeds discover` allows
// file:// (a saved HTML page, a local feed), but a page on the web must
// not make it read this machine's files by announcing file:// links.
func TestFindReadsLocalFilesOnlyFromALocalPage(t *testing.T) {
	local := filepath.Join(t.TempDir(), "secret.xml")
	if err := os.WriteFile(local, []byte(`<rss version="2.0"><channel><title>Local secret</title><item><guid>1</guid><title>One</title></item></channel></rss>`), 0o644); err != nil {
		t.Fatal(err)
	}
	page := []byte(`<html><head><link rel="alternate" type="application/rss+xml" title="x" href="` + fileURL(t, local) + `"></head><body></body></html>`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write(page)
	}))
	defer srv.Close()
	savedPage := filepath.Join(t.TempDir(), "page.html")
	if err := os.WriteFile(savedPage, page, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		url       string
		wantLinks int // feeds read
	}{
		{"web page announcing a file:// feed", srv.URL + "/", 0},
		{"saved page announcing a file:// feed", fileURL(t, savedPage), 1},
	}
	f := NewFetcher(FetcherOptions{AllowPrivate: true})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			found, err := Find(context.Background(), f, NewParser(), Request{URL: tc.url, AllowFile: true}, time.Now(), AllLinks)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(found.Links); got != tc.wantLinks {
				t.Errorf("got %d feeds read (%+v), want %d", got, found.Links, tc.wantLinks)
			}
		})
	}
}
