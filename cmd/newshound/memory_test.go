package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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

// TestHostileFeedsStayWithinTheDocumentedMemoryBound polls eight hostile
// ~9.9 MB feeds at once in a real `run --once` and checks that each fails
// with an error naming its limit and that the process's peak RSS stays
// within the bound examples/newshound.yaml documents (8 × 5 ×
// max_body_bytes, plus the process itself).
func TestHostileFeedsStayWithinTheDocumentedMemoryBound(t *testing.T) {
	if testing.Short() {
		t.Skip("serves 80 MB of hostile feeds")
	}
	if raceEnabled {
		t.Skip("memory is measured without the race detector, which multiplies it (go test without -race runs this)")
	}
	bodies := hostileBodies()
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
	p := startNewshound(t, "run", "--once", "--config", path)
	<-p.done
	peakMB := p.cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss / 1024
	const maxBody = 10 << 20
	bound := int64(8*5*maxBody+60<<20) >> 20 // the documented bound plus the process itself
	t.Logf("8 hostile feeds of ~9.9 MB at once: peak RSS %d MB (bound %d MB)", peakMB, bound)
	if peakMB > bound {
		t.Errorf("peak RSS %d MB, over the documented bound of %d MB", peakMB, bound)
	}
	logs := p.out.String()
	for name := range bodies {
		named := false
		for _, line := range strings.Split(logs, "\n") {
			if strings.Contains(line, "feed failed") && strings.Contains(line, "feed="+name+" ") && strings.Contains(line, "over the limit") {
				named = true
			}
		}
		if !named {
			t.Errorf("feed %s: no failure naming its limit in the log:\n%s", name, logs)
		}
	}
	if p.exitOK {
		t.Error("run --once exited 0 with every feed failing; want exit code 4")
	}
}
