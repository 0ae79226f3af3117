package feeds

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
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

// TestFindSavedPageAnchorsNamingNoFile: a saved page's <a href> that names
// no file (a link relative to the page's site, resolved against the file)
// is Broken, as an announced one is, not left out as a guess that is no
// feed; so is one naming a file beside it that is no feed, which the same
// link relative to the site may name.
func TestFindSavedPageAnchorsNamingNoFile(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"rss.xml":   `<rss version="2.0"><channel><title>Beside</title><item><guid>1</guid><title>One</title></item></channel></rss>`,
		"notes.xml": `just notes, not a feed`,
		"page.html": `<html><body><a href="rss.xml">Beside</a> <a href="notes.xml">Notes</a> <a href="/nowhere/feed">Site</a></body></html>`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	found, err := Find(context.Background(), NewFetcher(FetcherOptions{}), NewParser(), Request{URL: fileURL(t, filepath.Join(dir, "page.html")), AllowFile: true}, time.Now(), AllLinks)
	if err != nil {
		t.Fatal(err)
	}
	if len(found.Links) != 1 || found.Links[0].URL != fileURL(t, filepath.Join(dir, "rss.xml")) {
		t.Errorf("got links %+v, want the feed beside the page alone", found.Links)
	}
	var broken []string
	for _, b := range found.Broken {
		if b.Announced || b.Err == nil {
			t.Errorf("broken %+v: want an <a href> with its error", b)
		}
		broken = append(broken, b.URL)
	}
	if want := []string{fileURL(t, filepath.Join(dir, "notes.xml")), "file:///nowhere/feed"}; !slices.Equal(broken, want) {
		t.Errorf("got broken %q, want the <a href>s naming a file that is no feed and no file, %q", broken, want)
	}
}
