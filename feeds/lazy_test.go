package feeds

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestBidiControlsStripped(t *testing.T) {
	const rlo, lri, pdi, lrm, alm = "\u202e", "\u2066", "\u2069", "\u200e", "\u061c"
	body := `<rss version="2.0"><channel><title>Desk` + rlo + `</title>
<item><title>Invoice ` + rlo + `fdp.exe</title><author>` + lri + `Ali` + pdi + `</author><category>Wor` + lrm + `ld</category>
<description>&lt;p&gt;Read ` + rlo + `this&lt;/p&gt; ` + alm + ` now</description><guid>1</guid></item>
<item><description>Only text ` + rlo + `here</description></item>
</channel></rss>`
	for _, lazy := range []bool{false, true} {
		feed, err := NewParserWith(ParserOptions{LazyText: lazy}).Parse([]byte(body), "", "https://bidi.example/feed", testNow)
		if err != nil {
			t.Fatal(err)
		}
		FillText(feed.Items)
		it := feed.Items[0]
		got := []string{feed.Title, it.Title, it.Author, strings.Join(it.Categories, ","), it.Summary, feed.Items[1].Summary}
		want := []string{"Desk", "Invoice fdp.exe", "Ali", "World", "Read this\nnow", "Only text here"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("lazy %v: got %q, want %q", lazy, got, want)
		}
	}
}

func TestStripBidi(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"none", "Aleppo ceasefire", "Aleppo ceasefire"},
		{"other three-byte runes kept", "Kerry – Lavrov “talks” €", "Kerry – Lavrov “talks” €"},
		{"override", "abc\u202edef", "abcdef"},
		{"every control", "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061cx", "x"},
		{"spacing collapsed", "a \u202e b", "a b"},
		{"arabic kept", "وقف إطلاق النار\u200f", "وقف إطلاق النار"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := stripBidi(tc.in); got != tc.want {
				t.Errorf("stripBidi(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestLazyTextMatchesEager parses every corpus feed both ways: the keys
// and every field must be the same once FillText has run, and before it
// only the text (and a picture found in it) may be missing.
func TestLazyTextMatchesEager(t *testing.T) {
	paths := corpusFiles(t, "single")
	eager, lazy := NewParser(), NewParserWith(ParserOptions{MaxItems: DefaultMaxItems, MaxDepth: DefaultMaxDepth, MaxElements: DefaultMaxElements, LazyText: true})
	compared, pending := 0, 0
	for _, path := range paths {
		body, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(path)
		want, err := eager.Parse(body, "", "https://corpus.example/"+name, testNow)
		if err != nil {
			continue
		}
		got, err := lazy.Parse(body, "", "https://corpus.example/"+name, testNow)
		if err != nil {
			t.Fatalf("%s: lazy parse failed: %v", name, err)
		}
		if len(got.Items) != len(want.Items) {
			t.Fatalf("%s: %d items lazily, %d eagerly", name, len(got.Items), len(want.Items))
		}
		for i := range got.Items {
			g, w := got.Items[i], want.Items[i]
			if g.Key != w.Key || g.Title != w.Title || g.Link != w.Link || !g.Published.Equal(w.Published) {
				t.Fatalf("%s item %d: lazy key/title/link/date %q %q %q %v, eager %q %q %q %v", name, i, g.Key, g.Title, g.Link, g.Published, w.Key, w.Title, w.Link, w.Published)
			}
			switch {
			case g.TextPending() && (g.Summary != "" || g.Content != ""):
				t.Fatalf("%s item %d: text extracted before FillText", name, i)
			case g.TextPending():
				pending++
			case g.GUID != "" || g.Link != "" || TitleFingerprint(g.Title) != "":
				t.Fatalf("%s item %d: text extracted eagerly, though the key does not need it", name, i)
			}
			g.FillText()
			if g.TextPending() {
				t.Fatalf("%s item %d: still pending after FillText", name, i)
			}
			if !reflect.DeepEqual(g, w) {
				t.Fatalf("%s item %d after FillText:\n got %+v\nwant %+v", name, i, g, w)
			}
			compared++
		}
	}
	if compared == 0 || pending == 0 {
		t.Fatalf("%d items compared, %d of them pending: want some of each", compared, pending)
	}
	t.Logf("%d items from %d feeds identical (%d left pending by the parse)", compared, len(paths), pending)
}
