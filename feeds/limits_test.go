package feeds

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func rssWithItems(n int, extra string) string {
	var b strings.Builder
	b.WriteString(`<rss version="2.0"><channel><title>Limits</title>` + extra)
	for i := range n {
		fmt.Fprintf(&b, "<item><title>Story %d</title><guid>g%d</guid></item>\n", i, i)
	}
	b.WriteString("</channel></rss>")
	return b.String()
}

func jsonWithItems(n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(`{"id":"%d","title":"Story %d"}`, i, i)
	}
	return `{"version":"https://jsonfeed.org/version/1.1","title":"Limits","items":[` + strings.Join(items, ",") + `]}`
}

func TestParseLimits(t *testing.T) {
	small := ParserOptions{MaxItems: 3, MaxDepth: 8, MaxElements: 200}
	tests := []struct {
		name      string
		opts      ParserOptions
		body      string
		wantLimit string // "" when the feed must parse
		wantGot   int
		wantItems int
	}{
		{"items at the limit", small, rssWithItems(3, ""), "", 0, 3},
		{"items over the limit", small, rssWithItems(5, ""), limitItems, 5, 0},
		{"zero means no item limit", ParserOptions{}, rssWithItems(5, ""), "", 0, 5},
		{"atom entries over the limit", small, `<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>` +
			strings.Repeat(`<entry><title>E</title><id>x</id></entry>`, 4) + `</feed>`, limitItems, 4, 0},
		{"extension items are not items", small, rssWithItems(1, `<x:list xmlns:x="urn:x">`+strings.Repeat("<x:item/>", 9)+`</x:list>`), "", 0, 1},
		{"json items at the limit", small, jsonWithItems(3), "", 0, 3},
		{"json items over the limit", small, jsonWithItems(4), limitItems, 4, 0},
		{"depth at the limit", small, rssWithItems(1, `<x:a xmlns:x="urn:x">`+strings.Repeat("<x:b>", 5)+strings.Repeat("</x:b>", 5)+`</x:a>`), "", 0, 1},
		{"depth over the limit", small, rssWithItems(1, `<x:a xmlns:x="urn:x">`+strings.Repeat("<x:b>", 6)+strings.Repeat("</x:b>", 6)+`</x:a>`), limitDepth, 9, 0},
		{"zero means no depth limit", ParserOptions{}, rssWithItems(1, `<x:a xmlns:x="urn:x">`+strings.Repeat("<x:b>", 500)+strings.Repeat("</x:b>", 500)+`</x:a>`), "", 0, 1},
		// encoding/xml (not strict) closes <br> at </description>: not nesting.
		{"unclosed tags closed by their parent", small, `<rss version="2.0"><channel><title>T</title>` +
			strings.Repeat(`<item><title>S</title><description><p>one<br>two<br>three</p></description></item>`, 1) + `</channel></rss>`, "", 0, 1},
		{"json depth over the limit", small, `{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","_x":[[[[[[[[1]]]]]]]]}]}`, limitDepth, 9, 0},
		{"json values over the limit", small, `{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","tags":[` + strings.Repeat(`"a",`, 200) + `"b"]}]}`, limitJSONValues, 201, 0},
		{"json keys are not values", small, `{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1"` + strings.Repeat(`, "_k" : 1`, 300) + `}]}`, "", 0, 1},
		{"brackets inside json strings do not nest", small, `{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","title":"[[[[[[[[[[{{{{{{\"[[[["}]}`, "", 0, 1},
		{"elements over the limit", small, rssWithItems(1, `<x:a xmlns:x="urn:x">`+strings.Repeat(`<x:b/>`, 200)+`</x:a>`), limitElements, 201, 0},
		{"attributes count as elements", small, rssWithItems(1, `<x:a xmlns:x="urn:x"`+strings.Repeat(` b="1"`, 200)+`/>`), limitElements, 206, 0}, // rss, version, channel, title, x:a, xmlns:x and 200
		{"too many namespaces in scope", ParserOptions{}, rssWithItems(1, `<x:a`+nsDecls(maxNamespacesInScope+1)+`/>`), limitNamespaces, maxNamespacesInScope + 1, 0},
		{"namespaces redeclared per item", ParserOptions{}, `<rss version="2.0"><channel><title>T</title>` +
			strings.Repeat(`<item xmlns:dc="http://purl.org/dc/elements/1.1/"><title>S</title><dc:creator>A</dc:creator></item>`, 100) + `</channel></rss>`, "", 0, 1},
		{"text of one element over the limit", ParserOptions{}, rssWithItems(0, `<item><title>`+strings.Repeat("x", maxElementText+1)+`</title></item>`), limitText, maxElementText + 1, 0},
		{"extension text in many pieces", ParserOptions{}, rssWithItems(0, `<x:a xmlns:x="urn:x">`+strings.Repeat("text<!---->", 20000)+`</x:a>`), limitTextPieces, 0, 0},
		{"native text in many CDATA pieces is linear", ParserOptions{}, rssWithItems(0, `<item><title>T</title><description>`+strings.Repeat("<![CDATA[text]]>", 20000)+`</description></item>`), "", 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			feed, err := NewParserWith(tc.opts).Parse([]byte(tc.body), "", "https://limits.example/feed", testNow)
			if tc.wantLimit == "" {
				if err != nil {
					t.Fatalf("got error %v, want a feed", err)
				}
				if len(feed.Items) != tc.wantItems {
					t.Fatalf("got %d items, want %d", len(feed.Items), tc.wantItems)
				}
				return
			}
			if feed != nil {
				t.Fatalf("got a feed of %d items, want an error", len(feed.Items))
			}
			wantKind(t, err, TooLarge)
			var le *LimitError
			if !errors.As(err, &le) {
				t.Fatalf("got %v (%T), want a *LimitError", err, err)
			}
			if le.Limit != tc.wantLimit {
				t.Errorf("got limit %q, want %q", le.Limit, tc.wantLimit)
			}
			if tc.wantGot != 0 && le.Got != tc.wantGot {
				t.Errorf("got count %d, want %d", le.Got, tc.wantGot)
			}
			if msg := err.Error(); !strings.Contains(msg, le.Limit) || !strings.Contains(msg, fmt.Sprint(le.Max)) || !strings.Contains(msg, fmt.Sprint(le.Got)) {
				t.Errorf("message %q does not name the limit, its value and the count", msg)
			}
		})
	}
}

func nsDecls(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, ` xmlns:n%d="urn:n%d"`, i, i)
	}
	return b.String()
}

// TestHostileFeedsBounded parses each hostile body with the default limits
// and checks the peak heap it costs against the bound in the package doc.
func TestHostileFeedsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("measures memory")
	}
	p := NewParser()
	for _, h := range hostileBodies {
		t.Run(h.name, func(t *testing.T) {
			body := h.build(hostileSize)
			bound := 4.0
			if strings.Contains(h.name, "windows-1251") {
				bound = 8 // decoded to UTF-8 first: twice the bytes
			}
			var err error
			peak, _ := peakHeap(func() {
				_, err = p.Parse(body, h.contentType, "https://hostile.example/feed", testNow)
			})
			if ratio := float64(peak) / float64(len(body)); ratio > bound {
				t.Errorf("peak heap %.1f× the body (err %v), want at most %.0f×", ratio, err, bound)
			}
			if err == nil {
				return
			}
			var le *LimitError
			if !errors.As(err, &le) {
				t.Errorf("got %v, want nil or a *LimitError", err)
			}
		})
	}
}

// FuzzCheckLimits: the scans (and the date rewrite) index the body by
// hand; they must not panic on any input, whatever the limits.
func FuzzCheckLimits(f *testing.F) {
	f.Add([]byte(rssWithItems(2, `<x:a xmlns:x="urn:x">t<!---->t<![CDATA[c]]></x:a>`)))
	f.Add([]byte(jsonWithItems(2)))
	f.Add([]byte(`<!DOCTYPE r [<!ENTITY e "]>">]><r a='>' b="x"/><?pi ?><</r></`))
	f.Add([]byte(`{"items":["\"`))
	f.Add([]byte(`<pubDate> Mon, 19 Sep 2016 10:00:00 GMT </pubDate><pubDate>x EST</pubDate>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, o := range []ParserOptions{{}, {MaxItems: 1, MaxDepth: 2, MaxElements: 3}} {
			checkXML(body, o)
			checkJSON(body, o)
		}
		in := string(body)
		out := numericGMTDates(body)
		if string(body) != in {
			t.Fatal("numericGMTDates modified its input")
		}
		if !strings.Contains(in, "<pubDate>") && string(out) != in {
			t.Fatalf("numericGMTDates changed a body without <pubDate>: %q", out)
		}
	})
}
