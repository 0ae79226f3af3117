package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// hostileBodies are eight ~9.9 MB feeds built to cost a parser memory:
// deep nesting, a flood of tiny items, a flood of elements and a deep JSON.
func hostileBodies() map[string][]byte {
	const size = 9_900_000
	fill := func(head, unit, tail string) []byte {
		var b bytes.Buffer
		b.WriteString(head)
		for b.Len() < size-len(tail) {
			b.WriteString(unit)
		}
		b.WriteString(tail)
		return b.Bytes()
	}
	rss := `<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>`
	out := map[string][]byte{
		"deep-elements":  fill(rss+`<item><title>deep</title><description>`, "<a>", "</description></item></channel></rss>"),
		"deep-extension": fill(rss+`<item><title>deep</title><x:e xmlns:x="urn:x">`, "<x:e>", "</x:e></item></channel></rss>"),
		"tiny-items":     fill(rss, "<item><title>t</title></item>", "</channel></rss>"),
		"many-elements":  fill(rss+`<item><title>wide</title>`, "<category>c</category>", "</item></channel></rss>"),
		"deep-json":      fill(`{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[{"title":"deep","content_text":`, "[", "]}]}"),
		"json-items":     fill(`{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[`, `{"id":"i","title":"t"},`, `{"id":"z"}]}`),
		"attributes":     fill(rss+`<item><title>attrs</title><enclosure `, `a="b" `, `/></item></channel></rss>`),
		"unclosed":       fill(rss+`<item><title>open</title>`, "<p>", ""),
	}
	return out
}

// honestBodies are eight ~9.9 MB feeds of 2,000 items each (the item
// limit), four RSS and four JSON Feed, each item with ~4.8 KB of text:
// the most an honest feed can make newshound parse and keep.
func honestBodies() map[string][]byte {
	const items = 2000
	text := strings.Repeat("Officials said the talks would resume after the weekend. ", 84) // ~4.8 KB
	rss := func(feed string) []byte {
		var b bytes.Buffer
		b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>` + feed + `</title>`)
		for i := range items {
			fmt.Fprintf(&b, `<item><title>Report %d of %s</title><link>https://news.example/%s/%d</link><guid>%s-%d</guid><pubDate>Mon, 30 Nov 2026 10:00:00 GMT</pubDate><description>%s</description></item>`,
				i, feed, feed, i, feed, i, text)
		}
		b.WriteString("</channel></rss>")
		return b.Bytes()
	}
	jsonFeed := func(feed string) []byte {
		var b bytes.Buffer
		b.WriteString(`{"version":"https://jsonfeed.org/version/1.1","title":"` + feed + `","items":[`)
		for i := range items {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":"%s-%d","title":"Report %d of %s","url":"https://news.example/%s/%d","date_published":"2026-11-30T10:00:00Z","content_text":"%s"}`,
				feed, i, i, feed, feed, i, text)
		}
		b.WriteString("]}")
		return b.Bytes()
	}
	out := map[string][]byte{}
	for i := range 4 {
		out[fmt.Sprintf("rss-%d", i)] = rss(fmt.Sprintf("rss-%d", i))
		out[fmt.Sprintf("json-%d", i)] = jsonFeed(fmt.Sprintf("json-%d", i))
	}
	return out
}

// TestFeedsStayWithinTheDocumentedMemoryBound polls eight ~9.9 MB feeds
// at once in a real `run --once` and checks that the process's peak RSS
// stays within the bound the README documents (8 × 5 × max_body_bytes,
// plus the process itself): hostile feeds, each of which must fail with an
// error naming its limit, and honest feeds at the item limit, which must
// parse.
func TestFeedsStayWithinTheDocumentedMemoryBound(t *testing.T) {
	if testing.Short() {
		t.Skip("serves 80 MB of feeds twice")
	}
	if raceEnabled {
		t.Skip("memory is measured without the race detector, which multiplies it (go test without -race runs this)")
	}
	for _, tt := range []struct {
		name    string
		bodies  map[string][]byte
		hostile bool
	}{
		{"hostile", hostileBodies(), true},
		{"honest", honestBodies(), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			peakMiB, logs, exitOK := pollAtOnce(t, tt.bodies)
			const maxBody = 10 << 20
			bound := int64(8*5*maxBody+60<<20) >> 20 // the documented bound plus the process itself
			t.Logf("8 %s feeds of ~9.9 MB at once: peak RSS %d MiB (bound %d MiB)", tt.name, peakMiB, bound)
			if peakMiB > bound {
				t.Errorf("peak RSS %d MiB, over the documented bound of %d MiB", peakMiB, bound)
			}
			if !tt.hostile {
				if !exitOK || strings.Contains(logs, "feed failed") {
					t.Errorf("honest feeds: exit ok %v, want every feed parsed:\n%s", exitOK, logs)
				}
				return
			}
			for name := range tt.bodies {
				if !failedOverALimit(logs, name) {
					t.Errorf("feed %s: no failure naming its limit in the log:\n%s", name, logs)
				}
			}
			if exitOK {
				t.Error("run --once exited 0 with every feed failing; want exit code 4")
			}
		})
	}
}

// pollAtOnce serves bodies as feeds on loopback, polls them all at once
// in a real `run --once`, and returns the process's peak RSS, its log and
// whether it exited 0.
func pollAtOnce(t *testing.T, bodies map[string][]byte) (peakMiB int64, logs string, exitOK bool) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := bodies[strings.TrimPrefix(r.URL.Path, "/")]
		if b[0] == '{' {
			w.Header().Set("Content-Type", "application/feed+json")
		} else {
			w.Header().Set("Content-Type", "application/rss+xml")
		}
		w.Write(b)
	}))
	defer srv.Close()
	dir := t.TempDir()
	var feedList strings.Builder
	for name := range bodies {
		fmt.Fprintf(&feedList, "  - name: %s\n    url: %s/%s\n", name, srv.URL, name)
	}
	cfg := fmt.Sprintf(`store:
  path: %q
defaults:
  allow_private_networks: true
  host_concurrency: 8
  host_gap: 0s
feeds:
%ssubscriptions:
  - name: all
    query: deep OR wide OR attrs OR open OR t
`, filepath.Join(dir, "state.db"), feedList.String())
	path := filepath.Join(dir, "newshound.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	peakFile := filepath.Join(dir, "peak-rss")
	p := startNewshoundEnv(t, []string{peakRSSEnv + "=" + peakFile}, "run", "--once", "--config", path)
	<-p.done
	kb, err := os.ReadFile(peakFile)
	if err != nil {
		t.Fatalf("the process reported no peak RSS: %v\n%s", err, p.out.String())
	}
	peakKB, err := strconv.ParseInt(string(kb), 10, 64)
	if err != nil {
		t.Fatalf("peak RSS %q: %v", kb, err)
	}
	return peakKB / 1024, p.out.String(), p.exitOK
}

// failedOverALimit reports whether the log says feed name failed over a
// limit.
func failedOverALimit(logs, name string) bool {
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "feed failed") && strings.Contains(line, "feed="+name+" ") && strings.Contains(line, "over the limit") {
			return true
		}
	}
	return false
}
