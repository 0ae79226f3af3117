package feeds

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/newshound/newshound/internal/corpus"
)

// BenchmarkRefreshCorpus fetches every parseable feed of the corpus from a
// loopback server, parses and normalizes it: one op is the whole corpus.
//
//	go test ./feeds/ -run '^$' -bench RefreshCorpus -benchtime 20x
func BenchmarkRefreshCorpus(b *testing.B) { benchmarkRefreshCorpus(b, DefaultParserOptions()) }

// BenchmarkRefreshCorpusLazy is the poller's case: the text of no item is
// extracted (as when every item was seen before; FillText costs what the
// eager parse spends on the items it is called for).
func BenchmarkRefreshCorpusLazy(b *testing.B) {
	o := DefaultParserOptions()
	o.LazyText = true
	benchmarkRefreshCorpus(b, o)
}

func benchmarkRefreshCorpus(b *testing.B, o ParserOptions) {
	corpusDir := corpus.Dir(b)
	var paths []string
	for _, sub := range []string{"single", "series"} {
		paths = append(paths, corpusFiles(b, sub)...)
	}
	bodies := map[string][]byte{}
	var total int64
	for i, path := range paths {
		body, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		name := "/" + strings.ReplaceAll(path[len(corpusDir):], "/", "_")
		_ = i
		bodies[name] = body
		total += int64(len(body))
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bodies[r.URL.Path])
	}))
	defer srv.Close()
	f, p := testFetcher(FetcherOptions{HostConcurrency: 4}), NewParserWith(o)
	ctx := context.Background()

	items := 0
	for name := range bodies {
		if res, err := Refresh(ctx, f, p, Request{URL: srv.URL + name}, testNow); err == nil {
			items += len(res.Feed.Items)
		}
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		for name := range bodies {
			Refresh(ctx, f, p, Request{URL: srv.URL + name}, testNow)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	n := float64(b.N)
	b.ReportMetric(float64(items)*n/b.Elapsed().Seconds(), "items/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/(float64(items)*n), "allocs/item")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/(float64(items)*n), "B/item")
	b.ReportMetric(float64(len(bodies)), "feeds/op")
	b.ReportMetric(float64(items), "items/op")
}
