package feeds

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"
)

// hostileSize is the size of each hostile body in the memory tests: large
// enough that the parse dominates the heap, small enough for a shared
// 2-core machine. The bound scales with the body.
const hostileSize = 4 << 20

// hostileBody is one document built to cost a parser as much as possible.
type hostileBody struct {
	name        string
	contentType string
	build       func(size int) []byte
}

// fill repeats unit until the document (head + units + tail) reaches size.
func fill(head, unit, tail string, size int) []byte {
	var b bytes.Buffer
	b.Grow(size)
	b.WriteString(head)
	for b.Len()+len(unit)+len(tail) <= size {
		b.WriteString(unit)
	}
	b.WriteString(tail)
	return b.Bytes()
}

// nested opens and closes the same element n times, as deep as fits in size.
func nested(head, open, close, tail string, size int) []byte {
	n := (size - len(head) - len(tail)) / (len(open) + len(close))
	var b bytes.Buffer
	b.Grow(size)
	b.WriteString(head)
	b.WriteString(strings.Repeat(open, n))
	b.WriteString(strings.Repeat(close, n))
	b.WriteString(tail)
	return b.Bytes()
}

const (
	rssHead  = `<?xml version="1.0"?><rss version="2.0" xmlns:x="urn:x"><channel><title>Hostile</title><link>https://hostile.example/</link>`
	rssTail  = `</channel></rss>`
	jsonHead = `{"version":"https://jsonfeed.org/version/1.1","title":"Hostile","items":[`
)

var hostileBodies = []hostileBody{
	// Not hostile: the largest honest feed the default limits accept,
	// DefaultMaxItems items of HTML text filling the body.
	{"honest, at the item limit", "application/rss+xml", func(n int) []byte {
		var b bytes.Buffer
		b.WriteString(rssHead)
		words := strings.Repeat("Talks on the Aleppo ceasefire resumed in Geneva on &lt;b&gt;Friday&lt;/b&gt;. ", (n/DefaultMaxItems-250)/80)
		for i := range DefaultMaxItems {
			fmt.Fprintf(&b, "<item><title>Story number %d</title><link>https://hostile.example/%d</link><guid>g%d</guid><description>%s</description></item>\n", i, i, i, words)
		}
		b.WriteString(rssTail)
		return b.Bytes()
	}},
	{"honest JSON, at the item limit", "application/feed+json", func(n int) []byte {
		var b bytes.Buffer
		b.WriteString(jsonHead)
		words := strings.Repeat("Talks on the Aleppo ceasefire resumed in Geneva on <b>Friday</b>. ", (n/DefaultMaxItems-250)/68)
		for i := range DefaultMaxItems {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":"g%d","url":"https://hostile.example/%d","title":"Story number %d","content_html":"%s"}`, i, i, i, words)
		}
		b.WriteString("]}")
		return b.Bytes()
	}},
	// Not hostile either: Cyrillic in windows-1251 doubles when decoded.
	{"honest windows-1251", "application/rss+xml; charset=windows-1251", func(n int) []byte {
		return cyrillicRSS(rssHead, n)
	}},
	// Nor this: the same served as "charset=utf-8", as many servers label
	// everything, with the encoding in its XML declaration. Its items' old
	// keys are worked out as well (Feed.OldKeys).
	{"windows-1251 as utf-8", "application/rss+xml; charset=utf-8", func(n int) []byte {
		return cyrillicRSS(strings.Replace(rssHead, `version="1.0"`, `version="1.0" encoding="windows-1251"`, 1), n)
	}},
	{"deep extension", "application/rss+xml", func(n int) []byte {
		return nested(rssHead, "<x:a>", "</x:a>", rssTail, n)
	}},
	{"deep inside an item", "application/rss+xml", func(n int) []byte {
		return nested(rssHead+"<item><title>Deep</title><description>", "<p>", "</p>", "</description></item>"+rssTail, n)
	}},
	{"deep unclosed", "application/rss+xml", func(n int) []byte {
		return fill(rssHead, "<x:a>", rssTail, n)
	}},
	{"many tiny items", "application/rss+xml", func(n int) []byte {
		return fill(rssHead, "<item><title>Tiny story</title></item>", rssTail, n)
	}},
	{"many tiny atom entries", "application/atom+xml", func(n int) []byte {
		return fill(`<feed xmlns="http://www.w3.org/2005/Atom"><title>Hostile</title>`, "<entry><title>Tiny</title></entry>", "</feed>", n)
	}},
	{"many extension siblings", "application/rss+xml", func(n int) []byte {
		return fill(rssHead, "<x:a/>", rssTail, n)
	}},
	{"huge attribute", "application/rss+xml", func(n int) []byte {
		head := rssHead + `<x:a b="`
		tail := `"/>` + rssTail
		return fill(head, "A", tail, n)
	}},
	{"many attributes", "application/rss+xml", func(n int) []byte {
		return fill(rssHead+"<x:a", ` b="1"`, "/>"+rssTail, n)
	}},
	{"many namespaces", "application/rss+xml", func(n int) []byte {
		var b bytes.Buffer
		b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel xmlns:n="urn:n"`)
		for i := 0; b.Len() < n/2; i++ {
			fmt.Fprintf(&b, ` xmlns:n%d="urn:%d"`, i, i)
		}
		b.WriteString("><title>Hostile</title>")
		return fill(b.String(), "<n:a/>", rssTail, n)
	}},
	{"huge title", "application/rss+xml", func(n int) []byte {
		return fill(rssHead+"<item><title>", "Huge ", "</title></item>"+rssTail, n)
	}},
	{"huge texts", "application/rss+xml", func(n int) []byte {
		item := "<item><title>Huge</title><description>" + strings.Repeat("Many words. ", 80_000) + "</description></item>"
		return fill(rssHead, item, rssTail, n)
	}},
	{"entity expansion", "application/rss+xml", func(n int) []byte {
		head := `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol "lol">` +
			`<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
			`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">` +
			`<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>` +
			`<rss version="2.0"><channel><title>&lol9;</title>`
		return fill(head, "<item><title>&lol9;&lol9;&lol9;&lol9;&lol9;&lol9;&lol9;&lol9;</title><description>&lol9;</description></item>", rssTail, n)
	}},
	{"text split by comments", "application/rss+xml", func(n int) []byte {
		return fill(rssHead+"<x:a>", "x<!---->", "</x:a>"+rssTail, n)
	}},
	{"windows-1252 high bytes", "application/rss+xml; charset=windows-1252", func(n int) []byte {
		return fill(rssHead+"<item><title>", "\x80", "</title></item>"+rssTail, n)
	}},
	{"deep json", "application/feed+json", func(n int) []byte {
		return nested(jsonHead+`{"id":"1","_x":`, "[", "]", "}]}", n)
	}},
	{"many json tags", "application/feed+json", func(n int) []byte {
		return fill(jsonHead+`{"id":"0","tags":["a"`, `,"a"`, "]}]}", n)
	}},
	{"many tiny json items", "application/feed+json", func(n int) []byte {
		return fill(jsonHead+`{"id":"0"}`, `,{"id":"1"}`, "]}", n)
	}},
}

// peakHeap runs f and reports the largest growth of the heap's objects over
// what was there before, sampled every 100µs, and the bytes allocated.
// The heap's objects include the garbage not yet collected, which under
// the default GOGC is up to as much again as the live heap and depends on
// when the collector happens to run (and on what other tests left on the
// heap), so f runs with the collector started at every 10 % of growth:
// the peak is then the memory f keeps at once, within a tenth.
func peakHeap(f func()) (peak, allocated uint64) {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	metrics.Read(samples)
	base, allocBase := samples[0].Value.Uint64(), samples[1].Value.Uint64()
	var (
		wg   sync.WaitGroup
		max  uint64
		done = make(chan struct{})
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(100 * time.Microsecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > max {
				max = v
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	f()
	metrics.Read(samples)
	close(done)
	wg.Wait()
	if v := samples[0].Value.Uint64(); v > max {
		max = v
	}
	if max < base {
		return 0, samples[1].Value.Uint64() - allocBase
	}
	return max - base, samples[1].Value.Uint64() - allocBase
}

// TestHostileFeedsReport prints what each hostile body costs to parse with
// the default limits. It asserts nothing but that each parse ends; the
// bound is asserted by TestHostileFeedsBounded.
//
//	go test ./feeds/ -run HostileFeedsReport -v
func TestHostileFeedsReport(t *testing.T) {
	if testing.Short() {
		t.Skip("measures memory; slow")
	}
	p := NewParser()
	for _, h := range hostileBodies {
		body := h.build(hostileSize)
		var err error
		var items int
		start := time.Now()
		peak, alloc := peakHeap(func() {
			var feed *Feed
			feed, err = p.Parse(body, h.contentType, "https://hostile.example/feed", testNow)
			if feed != nil {
				items = len(feed.Items)
			}
		})
		var fe *Error
		errors.As(err, &fe)
		t.Logf("%-24s %5.1f MB  peak %6.1f× body  allocated %6.1f× body  %6v  items %6d  err %v",
			h.name, float64(len(body))/1e6, float64(peak)/float64(len(body)), float64(alloc)/float64(len(body)),
			time.Since(start).Round(time.Millisecond), items, err)
	}
}

// cyrillicRSS is an honest feed of DefaultMaxItems items in windows-1251,
// filling about n bytes, under head.
func cyrillicRSS(head string, n int) []byte {
	var b bytes.Buffer
	b.WriteString(head)
	words := strings.Repeat("\xcf\xe5\xf0\xe5\xec\xe8\xf0\xe8\xe5 \xe2 \xc0\xeb\xe5\xef\xef\xe5. ", (n/DefaultMaxItems-250)/26)
	for i := range DefaultMaxItems {
		fmt.Fprintf(&b, "<item><title>\xcd\xee\xe2\xee\xf1\xf2\xfc %d</title><guid>g%d</guid><description>%s</description></item>\n", i, i, words)
	}
	b.WriteString(rssTail)
	return b.Bytes()
}
