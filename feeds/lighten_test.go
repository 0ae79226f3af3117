package feeds

import (
	"os"
	"reflect"
	"testing"
)

// TestLightenedParseReadsTheSame: with descriptions set aside, every item
// reads exactly as in a whole parse (keys, titles, summaries, pictures),
// for the shapes that trip a scanner.
func TestLightenedParseReadsTheSame(t *testing.T) {
	rss := func(items string) string {
		return `<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment <item><description>not this</description></item> -->
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Harbour desk</title><link>https://harbour.example/</link><description>The channel's own &lt;b&gt;description&lt;/b&gt;</description>
` + items + `</channel></rss>`
	}
	tests := []struct {
		name    string
		body    string
		lighten bool // the scanner takes it (else the whole document is parsed)
	}{
		{"plain and escaped HTML", rss(`<item><title>Port reopens</title><link>https://harbour.example/1</link><description>&lt;p&gt;Ships &amp;amp; cranes &lt;img src="/a.jpg"&gt;&lt;/p&gt;</description></item>
<item><title>Tide table</title><guid>2</guid><description>Low at 6.</description></item>`), true},
		{"CDATA holding an end tag", rss(`<item><title>Code</title><guid>c</guid><description><![CDATA[<p>Write </description> here</p>]]></description></item>`), true},
		{"text around CDATA", rss(`<item><title>Mixed</title><guid>m</guid><description>Before &amp; <![CDATA[<b>inside</b>]]> after</description></item>`), true},
		{"nested description in XHTML", rss(`<item><title>Nest</title><guid>n</guid><description><div><description>inner</description> outer</div></description></item>`), true},
		{"comment inside", rss(`<item><title>Note</title><guid>k</guid><description>a <!-- </description> --> b</description></item>`), true},
		{"empty description falls back to dc:description", rss(`<item><title>Empty</title><guid>e</guid><description>  </description><dc:description>From Dublin Core</dc:description></item>
<item><title>Full</title><guid>f</guid><description>Some text</description></item>`), true},
		{"empty CDATA falls back too", rss(`<item><title>Empty</title><guid>e</guid><description><![CDATA[ ]]></description><dc:description>From Dublin Core</dc:description></item>
<item><title>Full</title><guid>f</guid><description>Some text</description></item>`), true},
		{"content:encoded beside", rss(`<item><title>Both</title><guid>b</guid><description>Short</description><content:encoded><![CDATA[<p>Long <img src="https://harbour.example/b.png"></p>]]></content:encoded></item>`), true},
		{"attributes with > in quotes", rss(`<item><title>Attr</title><guid isPermaLink="false" note="a>b">g</guid><description type="html" x='1>2'>Quoted</description></item>`), true},
		{"an item known only by its text", rss(`<item><description>No title, no link, no guid</description></item>
<item><description>Another one</description></item>`), true},
		{"self-closing description", rss(`<item><title>Self</title><guid>s</guid><description/></item>`), false},
		{"atom is parsed whole", `<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><entry><title>E</title><id>1</id><summary>S</summary></entry></feed>`, false},
		{"an internal DTD subset is parsed whole", `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x "ex">]><rss version="2.0"><channel><title>T</title><item><title>I</title><guid>1</guid><description>&x;</description></item></channel></rss>`, false},
	}
	eager := NewParser()
	lazy := NewParserWith(ParserOptions{LazyText: true})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, ok := lightenRSS([]byte(tt.body)); ok != tt.lighten {
				t.Errorf("lightenRSS ok = %v, want %v", ok, tt.lighten)
			}
			want, err := eager.Parse([]byte(tt.body), "", "https://harbour.example/rss", testNow)
			if err != nil {
				t.Fatal(err)
			}
			got, err := lazy.Parse([]byte(tt.body), "", "https://harbour.example/rss", testNow)
			if err != nil {
				t.Fatal(err)
			}
			FillText(got.Items)
			if got.Title != want.Title || len(got.Items) != len(want.Items) {
				t.Fatalf("feed: got %q with %d items, want %q with %d", got.Title, len(got.Items), want.Title, len(want.Items))
			}
			for i := range want.Items {
				g, w := got.Items[i], want.Items[i]
				g.pending, w.pending = pendingText{}, pendingText{}
				if !reflect.DeepEqual(g, w) {
					t.Errorf("item %d:\ngot  %+v\nwant %+v", i, g, w)
				}
			}
		})
	}
}

// TestLightenTakesMostCorpusRSS: the set-aside path is the one real RSS
// feeds take (TestLazyTextMatchesEager checks they read the same).
func TestLightenTakesMostCorpusRSS(t *testing.T) {
	rss, taken := 0, 0
	for _, path := range corpusFiles(t, "single") {
		body, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if name, _ := rootElement(body); name != "rss" {
			continue
		}
		rss++
		if _, _, ok := lightenRSS(body); ok {
			taken++
		}
	}
	t.Logf("%d of %d RSS corpus feeds have their descriptions set aside", taken, rss)
	if rss == 0 || taken*10 < rss*8 {
		t.Errorf("only %d of %d RSS feeds lightened, want most", taken, rss)
	}
}
