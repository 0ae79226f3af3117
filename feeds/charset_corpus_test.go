package feeds

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/corpus"
)

// TestCorpusLegacyCharsetServedAsUTF8 serves real feeds in legacy charsets
// as many servers do, labelled "charset=utf-8" by a server default. The
// bytes are not UTF-8, so the label is wrong: the XML declaration tells the
// charset, and the text must not come out as replacement characters.
func TestCorpusLegacyCharsetServedAsUTF8(t *testing.T) {
	corpusDir := corpus.Dir(t)
	tests := []struct {
		file        string
		contentType string
		want        string // in the feed's title or an item's title
	}{
		{"single/nodefp_iconv.xml", "text/xml; charset=utf-8", "Оренбург"},
		{"single/nodefp_iconv.xml", "application/rss+xml; charset=UTF8", "Оренбург"},
		{"single/rsparser_kc0011.rss", "text/xml; charset=utf-8", "新"},
		{"single/feedrs_rss_0.91_encoding_1.xml", "text/xml;charset=UTF-8", "técnicas"},
	}
	for _, tc := range tests {
		t.Run(tc.file+" as "+tc.contentType, func(t *testing.T) {
			path := filepath.Join(corpusDir, "news", tc.file)
			body, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				w.Write(body)
			}))
			defer srv.Close()
			f := NewFetcher(FetcherOptions{AllowPrivate: true})
			res, err := Refresh(context.Background(), f, NewParser(), Request{URL: srv.URL + "/rss"}, time.Now())
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			text := res.Feed.Title
			for _, it := range res.Feed.Items {
				text += "\n" + it.Title + "\n" + it.Summary
			}
			if strings.ContainsRune(text, '\uFFFD') {
				i := strings.IndexRune(text, '\uFFFD')
				t.Errorf("got replacement characters: %q", text[max(0, i-40):min(len(text), i+40)])
			}
			if !strings.Contains(text, tc.want) {
				t.Errorf("got no %q in the feed's text (title %q)", tc.want, res.Feed.Title)
			}
		})
	}
}
