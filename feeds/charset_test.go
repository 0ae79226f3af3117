package feeds

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

func TestToUTF8(t *testing.T) {
	const doc = `<?xml version="1.0" encoding="%s"?><rss version="2.0"><channel><title>%s</title></channel></rss>`
	enc := func(e encoding.Encoding, s string) []byte {
		b, err := e.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	doc2 := func(decl, title string) string {
		return strings.Replace(strings.Replace(doc, "%s", decl, 1), "%s", title, 1)
	}
	tests := []struct {
		name        string
		body        []byte
		contentType string
		want        string // must appear in the output
	}{
		{"UTF-8 as is", []byte(doc2("UTF-8", "Zürich")), "", "Zürich"},
		{"UTF-8 BOM dropped", append([]byte("\xEF\xBB\xBF"), doc2("UTF-8", "Zürich")...), "", "<?xml"},
		{"ISO-8859-1 prolog over UTF-8 bytes", []byte(doc2("ISO-8859-1", "führende")), "", "führende"},
		{"real ISO-8859-1", enc(charmap.ISO8859_1, doc2("ISO-8859-1", "São Paulo")), "", "São Paulo"},
		{"header charset wins over prolog", enc(charmap.Windows1251, doc2("ISO-8859-1", "Оренбург")), "text/xml; charset=windows-1251", "Оренбург"},
		{"header UTF-8 of bytes that are not: prolog wins", enc(charmap.Windows1251, doc2("windows-1251", "Оренбург")), "text/xml; charset=utf-8", "Оренбург"},
		{"gb2312 prolog", enc(simplifiedchinese.GBK, doc2("gb2312", "新闻")), "", "新闻"},
		{"ISO-2022-JP is 7-bit: label trusted", enc(japanese.ISO2022JP, doc2("ISO-2022-JP", "東京")), "", "東京"},
		{"no declaration, not UTF-8: windows-1252", enc(charmap.Windows1252, "<rss><channel><title>caf\u00e9 \u2019</title></channel></rss>"), "", "café ’"},
		{"UTF-16LE with BOM", enc(unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), doc2("utf-16", "حلب")), "", "حلب"},
		{"UTF-16BE without BOM", enc(unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), doc2("utf-16", "حلب")), "", "حلب"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := toUTF8(tc.body, tc.contentType)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(got), tc.want) {
				t.Errorf("got %q, want it to contain %q", got, tc.want)
			}
			if enc := strings.ToLower(xmlDeclEncoding(got)); enc != "" && enc != "utf-8" {
				t.Errorf("output still declares encoding %q", enc)
			}
		})
	}
}

// TestOldKeysOfALegacyCharsetServedAsUTF8: a document whose "charset=utf-8"
// header is overruled maps each item's key to the key it had when the
// header was trusted, which is what the same text read as UTF-8 gives.
func TestOldKeysOfALegacyCharsetServedAsUTF8(t *testing.T) {
	doc := `<?xml version="1.0" encoding="windows-1251"?><rss version="2.0"><channel><title>Вести</title>` +
		`<item><guid>a</guid><title>Оренбург встречает весну</title></item>` +
		`<item><title>NATO и Оренбург</title><link>https://v.example/2</link></item></channel></rss>`
	body, err := charmap.Windows1251.NewEncoder().Bytes([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	p := NewParserWith(ParserOptions{LazyText: true})
	feed, err := p.ParseRemembering(body, "text/xml; charset=utf-8", "https://v.example/rss", time.Now(), &ItemMemo{})
	if err != nil {
		t.Fatal(err)
	}
	garbled, err := unicode.UTF8.NewDecoder().Bytes(body)
	if err != nil {
		t.Fatal(err)
	}
	old, err := p.Parse(garbled, "text/xml; charset=utf-8", "https://v.example/rss", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(feed.Items) != 2 || len(old.Items) != 2 || feed.Items[0].Title != "Оренбург встречает весну" {
		t.Fatalf("items %+v, read as UTF-8 %+v", feed.Items, old.Items)
	}
	for i, it := range feed.Items {
		if got := feed.OldKeys[it.Key]; got != old.Items[i].Key {
			t.Errorf("item %d: old key %q, want %q", i, got, old.Items[i].Key)
		}
	}
	if old.OldKeys != nil {
		t.Errorf("a document read as it is labelled has old keys: %v", old.OldKeys)
	}
}

// TestReadBeforeKeepsReferences reads sentences of an item in ISO-8859-1
// served as "charset=utf-8" as versions before read them: each raw
// letter as U+FFFD, each written as a character reference as itself; a
// raw no-break space, read now as a space, as U+FFFD too.
func TestReadBeforeKeepsReferences(t *testing.T) {
	doc := `<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>Nachrichten</title>` +
		`<item><guid>n-1</guid><title>Waffenruhe in &#214;sterreich und Übersee</title>` +
		"<description>\u00a0Gr&#252;&#223;e aus Kiew, wo es wieder Schüsse gab. Die Lage ist ruhig.&#160;Sehr ruhig. Nachts \u00a0 Schüsse.\u00a0</description>" +
		`</item></channel></rss>`
	body, err := charmap.ISO8859_1.NewEncoder().Bytes([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, lazy := range []bool{false, true} {
		feed, err := NewParserWith(ParserOptions{LazyText: lazy}).Parse(body, "text/xml; charset=utf-8", "https://n.example/rss", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		FillText(feed.Items)
		before := feed.ReadBefore(&feed.Items[0])
		tests := []struct{ sentence, want string }{
			{"Grüße aus Kiew, wo es wieder Schüsse gab.", "Grüße aus Kiew, wo es wieder Sch\uFFFDsse gab."},
			{"Waffenruhe in Österreich und Übersee", "Waffenruhe in Österreich und \uFFFDbersee"},
			{"Die Lage ist ruhig.", "Die Lage ist ruhig."},
			// Raw no-break spaces, read now as spaces, collapsed.
			{"Nachts Schüsse.", "Nachts \uFFFD Sch\uFFFDsse."},
			// Not in the item: every letter as if written raw.
			{"Grüße aus Wien.", "Gr\uFFFD\uFFFDe aus Wien."},
			// Asked again, after a sentence that follows it.
			{"Grüße aus Kiew, wo es wieder Schüsse gab.", "Grüße aus Kiew, wo es wieder Sch\uFFFDsse gab."},
			// Ending inside a run of letters: not a sentence of the item.
			{"Grü", "Gr\uFFFD"},
		}
		for _, tt := range tests {
			if got := before(tt.sentence); got != tt.want {
				t.Errorf("lazy %v: %q read before as %q, want %q", lazy, tt.sentence, got, tt.want)
			}
		}
	}
}

// TestReadBeforeBesideNoBreakSpacesAmongLetters reads, as versions before
// read it, a sentence of an item in windows-1252 (declared ISO-8859-1, as
// such feeds are) served as "charset=utf-8", whose text elsewhere has a
// raw no-break space between two characters past ASCII: read now as a
// space where they read U+FFFD, with a space beside the pair that both
// read as one ("75 € mehr", "« Bonjour »"). The sentence keeps the
// letters it writes as character references, as they read them.
func TestReadBeforeBesideNoBreakSpacesAmongLetters(t *testing.T) {
	const (
		mixed = "Gr&#252;&#223;e aus Kiew, wo es wieder Schüsse gab."
		want  = "Grüße aus Kiew, wo es wieder Sch\uFFFDsse gab."
	)
	tests := []struct{ name, text string }{
		{"a price, a no-break space before its euro sign", "Es kostet 75\u00a0€ mehr. " + mixed},
		{"French quotes with no-break spaces inside", "«\u00a0Bonjour\u00a0» a-t-il dit. " + mixed},
		{"a no-break space between two words of letters past ASCII", mixed + " Er sagte: «\u00a0Ça\u00a0» et «\u00a0Ère\u00a0» là."},
		{"a raw no-break space and a space beside it", mixed + " Öl\u00a0 ändert nichts."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := `<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>Nachrichten</title>` +
				`<item><guid>n-1</guid><title>Waffenruhe</title><description>` + tt.text + `</description></item></channel></rss>`
			body, err := charmap.Windows1252.NewEncoder().Bytes([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			feed, err := NewParser().Parse(body, "text/xml; charset=utf-8", "https://n.example/rss", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			FillText(feed.Items)
			if got := feed.ReadBefore(&feed.Items[0])(strings.ReplaceAll(mixed, "&#252;&#223;", "üß")); got != want {
				t.Errorf("read before as %q, want %q", got, want)
			}
		})
	}
}

// BenchmarkAlignLargeItem aligns an item's text of size bytes in
// windows-1252 as read now and as versions before read it, its raw
// no-break spaces between letters past ASCII ("75 € mehr") among them:
// the time per byte stays the same from 256 KB to 4 MB.
func BenchmarkAlignLargeItem(b *testing.B) {
	const para = "Gr&#252;&#223;e aus Kiew, wo es wieder Schüsse gab. Das Brot kostet 3\u00a0€ mehr. " +
		"«\u00a0Ça\u00a0» a-t-il dit. Взрыв прогремел в Луганске. "
	for _, size := range []int{256 << 10, 1 << 20, 4 << 20} {
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			text := strings.Repeat(para, size/len(para))
			raw, err := encoding.ReplaceUnsupported(charmap.Windows1252.NewEncoder()).Bytes([]byte(text))
			if err != nil {
				b.Fatal(err)
			}
			now := PlainText(string(raw))
			garbled, err := unicode.UTF8.NewDecoder().Bytes(raw) // U+FFFD for each byte
			if err != nil {
				b.Fatal(err)
			}
			before := PlainText(string(garbled))
			b.SetBytes(int64(len(now)))
			for b.Loop() {
				if !align(now, before).ok {
					b.Fatal("the two readings do not align")
				}
			}
		})
	}
}
