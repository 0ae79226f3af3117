package bot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/store"
)

// BenchmarkPollCycle measures one poll of every feed of a newsroom-sized
// setup (200 feeds of 50 items on a loopback server, 100 subscriptions),
// the way `run` does it: fetch, parse, normalize, match, commit. In the
// "changed" case every feed carries 5 new items per poll; in the
// "unchanged" case the server answers 304 to the conditional GET.
func BenchmarkPollCycle(b *testing.B) {
	for _, changed := range []bool{false, true} {
		name := map[bool]string{false: "unchanged", true: "changed"}[changed]
		b.Run(name, func(b *testing.B) { benchmarkPollCycle(b, 200, 100, changed) })
	}
}

func benchmarkPollCycle(b *testing.B, nFeeds, nSubs int, changed bool) {
	var generation atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gen := generation.Load()
		etag := fmt.Sprintf(`"%s-%d"`, r.URL.Path, gen)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, benchFeed(r.URL.Path, gen))
	}))
	defer srv.Close()

	cfg := config.Default()
	cfg.Defaults.MaxAge, cfg.Defaults.AllowPrivateNetworks, cfg.Defaults.HostConcurrency, cfg.Defaults.HostGap = 0, true, 64, 0
	cfg.Destinations = []config.Destination{{Name: "desk", Type: config.Console}}
	for i := range nFeeds {
		cfg.Feeds = append(cfg.Feeds, config.Feed{Name: fmt.Sprintf("feed-%d", i), URL: fmt.Sprintf("%s/f%d", srv.URL, i), Interval: 10 * time.Minute})
	}
	for i := range nSubs {
		cfg.Subscriptions = append(cfg.Subscriptions, config.Subscription{
			Name: fmt.Sprintf("sub-%d", i), Query: fmt.Sprintf("(%s OR %s) -%s", benchWords[i%len(benchWords)], benchWords[(i*7+3)%len(benchWords)], benchWords[(i*3+1)%len(benchWords)]),
			Destination: "desk",
		})
	}
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc, err := New(ctx, testOptions(cfg, st, map[string]notify.Notifier{"desk": notify.NewConsole(io.Discard)}, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.RunOnce(ctx); err != nil { // first sight
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if changed {
			generation.Add(1)
		}
		if _, err := svc.RunOnce(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*nFeeds), "µs/feed")
}

var benchWords = strings.Fields("aleppo ceasefire truce kerry lavrov geneva oil opec storm heatwave election parliament court strike market shares bank inflation rescue earthquake")

// benchFeed is an RSS document of 50 items; generation gen shifts the
// window by 5 items, so each new generation has 5 new items.
func benchFeed(path string, gen int64) string {
	var sb strings.Builder
	sb.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Bench</title><link>https://bench.example/</link>`)
	for i := gen * 5; i < gen*5+50; i++ {
		w1, w2 := benchWords[int(i)%len(benchWords)], benchWords[int(i*7)%len(benchWords)]
		fmt.Fprintf(&sb, `<item><guid>%s-%d</guid><title>Story %d on %s and the %s talks</title><link>https://bench.example%s/%d</link><description>Reporters say the &lt;b&gt;%s&lt;/b&gt; question dominated a long day of talks, with officials promising more news on %s tomorrow.</description></item>`,
			path, i, i, w1, w2, path, i, w2, w1)
	}
	sb.WriteString(`</channel></rss>`)
	return sb.String()
}
