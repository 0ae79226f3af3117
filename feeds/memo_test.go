package feeds

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/newshound/newshound/internal/corpus"
)

// checkRemembered parses body with memo and without, and fails unless the
// remembering parse names exactly the keys of the whole parse (its parsed
// items reading exactly the same, the rest in Known). It returns the
// remembering parse.
func checkRemembered(t *testing.T, p *Parser, body, feedURL string, memo *ItemMemo) *Feed {
	t.Helper()
	want, err := p.Parse([]byte(body), "", feedURL, testNow)
	if err != nil {
		t.Fatalf("whole parse: %v", err)
	}
	got, err := p.ParseRemembering([]byte(body), "", feedURL, testNow, memo)
	if err != nil {
		t.Fatalf("remembering parse: %v", err)
	}
	if got.Title != want.Title || got.Link != want.Link || got.MinInterval != want.MinInterval {
		t.Errorf("feed: got %q %q %v, want %q %q %v", got.Title, got.Link, got.MinInterval, want.Title, want.Link, want.MinInterval)
	}
	byKey := map[string]Item{}
	var wantKeys []string
	for _, it := range want.Items {
		byKey[it.Key] = it
		wantKeys = append(wantKeys, it.Key)
	}
	gotKeys := slices.Clone(got.Known)
	for _, it := range got.Items {
		gotKeys = append(gotKeys, it.Key)
		w, ok := byKey[it.Key]
		if !ok {
			continue // reported below
		}
		it.FillText()
		w.FillText()
		it.pending, w.pending = pendingText{}, pendingText{}
		if !reflect.DeepEqual(it, w) {
			t.Errorf("item %s:\ngot  %+v\nwant %+v", it.Key, it, w)
		}
	}
	sort.Strings(gotKeys)
	sort.Strings(wantKeys)
	if !slices.Equal(gotKeys, wantKeys) {
		t.Errorf("keys: got %q (known %q), want %q", gotKeys, got.Known, wantKeys)
	}
	return got
}

func TestRememberedParseReadsTheSame(t *testing.T) {
	const feedURL = "https://harbour.example/rss"
	doc := func(rssAttrs, link, items string) string {
		return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"` + rssAttrs + `>
<channel><title>Harbour desk</title><link>` + link + `</link><lastBuildDate>` + strconv.Itoa(len(items)) + `</lastBuildDate>
` + items + `</channel></rss>`
	}
	const (
		ns      = ` xmlns:dc="http://purl.org/dc/elements/1.1/"`
		home    = "https://harbour.example/"
		a       = `<item><title>Port reopens</title><link>/news/1</link><description>&lt;p&gt;Ships&lt;/p&gt;</description><dc:creator>Ann</dc:creator></item>` + "\n"
		b       = `<item><title>Tide table</title><guid>2</guid><description>Low at 6.</description></item>` + "\n"
		bEdited = `<item><title>Tide table</title><guid>2</guid><description>Low at 6, high at noon.</description></item>` + "\n"
		c       = `<item><title>Cranes idle</title><guid>3</guid><link>https://harbour.example/3</link><description>Strike.</description></item>` + "\n"
		// Same GUID and headline as b, another link: b's key must fall back to its link.
		bTwin     = `<item><title>Tide table</title><guid>2</guid><link>https://harbour.example/twin</link><description>Again.</description></item>` + "\n"
		titleOnly = `<item><title>Fog warning</title><description>Thick.</description></item>` + "\n"
		unclosed  = `<item><title>Loose</title><guid>9</guid><description>x</description><foo></item>` + "\n"
	)
	tests := []struct {
		name        string
		first, next string
		nextURL     string
		known       int // keys the next parse takes from the memo
	}{
		{"one new item on top", doc(ns, home, a+b), doc(ns, home, c+a+b), "", 2},
		{"nothing new", doc(ns, home, a+b+c), doc(ns, home, a+b+c), "", 3},
		{"an item dropped", doc(ns, home, a+b+c), doc(ns, home, a+c), "", 2},
		{"an edited item is parsed again", doc(ns, home, a+b), doc(ns, home, a+bEdited), "", 1},
		{"namespaces changed", doc(ns, home, a+b), doc(ns+` xmlns:media="http://search.yahoo.com/mrss/"`, home, a+b), "", 0},
		{"channel link changed: relative links resolve elsewhere", doc(ns, home, a+b), doc(ns, "https://other.example/", a+b), "", 0},
		{"another feed URL", doc(ns, home, a+b), doc(ns, home, a+b), "https://harbour.example/other", 0},
		{"a twin makes a GUID ambiguous", doc(ns, home, a+b), doc(ns, home, a+b+bTwin), "", 0},
		{"headline-only keys are not remembered", doc(ns, home, a+titleOnly), doc(ns, home, a+titleOnly), "", 1},
		{"an unbalanced item is not remembered", doc(ns, home, a+unclosed), doc(ns, home, a+unclosed), "", 1},
		{"duplicates stay one", doc(ns, home, a+b), doc(ns, home, a+b+a), "", 2},
		{"a second channel is parsed whole", doc(ns, home, a+b), strings.Replace(doc(ns, home, a+b), "</channel>", "</channel><channel><title>x</title></channel>", 1), "", 0},
	}
	p := NewParserWith(ParserOptions{LazyText: true})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := checkRemembered(t, p, tt.first, feedURL, &ItemMemo{})
			if len(first.Known) != 0 || first.Memo == nil {
				t.Fatalf("first parse: %d known, memo %v; want none known and a memo", len(first.Known), first.Memo)
			}
			url := feedURL
			if tt.nextURL != "" {
				url = tt.nextURL
			}
			next := checkRemembered(t, p, tt.next, url, first.Memo)
			if len(next.Known) != tt.known {
				t.Errorf("known: got %d (%q), want %d", len(next.Known), next.Known, tt.known)
			}
		})
	}
}

// TestRememberedParseWithoutMemoIsParse: a nil memo, an eager parser and
// documents other than RSS parse as ever, without Known.
func TestRememberedParseWithoutMemoIsParse(t *testing.T) {
	const body = `<rss version="2.0"><channel><title>T</title><item><title>I</title><guid>1</guid><description>D</description></item></channel></rss>`
	const atom = `<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><entry><title>E</title><id>1</id><summary>S</summary></entry></feed>`
	tests := []struct {
		name string
		p    *Parser
		body string
		memo bool
	}{
		{"nil memo", NewParserWith(ParserOptions{LazyText: true}), body, false},
		{"eager parser", NewParser(), body, true},
		{"atom", NewParserWith(ParserOptions{LazyText: true}), atom, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var memo *ItemMemo
			if tt.memo {
				memo = &ItemMemo{}
			}
			got, err := tt.p.ParseRemembering([]byte(tt.body), "", "https://x.example/feed", testNow, memo)
			if err != nil {
				t.Fatal(err)
			}
			if got.Memo != nil || got.Known != nil || len(got.Items) != 1 {
				t.Errorf("got memo %v, known %q, %d items; want no memo, no known, 1 item", got.Memo, got.Known, len(got.Items))
			}
		})
	}
}

// TestRememberedParseOfCorpusSeries parses each corpus series in capture
// order with the memo of the snapshot before: every snapshot must name
// exactly the keys a whole parse names, and most of the items it shares
// with the snapshot before (the series are hours to days apart) must come
// from the memo.
func TestRememberedParseOfCorpusSeries(t *testing.T) {
	dir := filepath.Join(corpus.Dir(t), "news", "series")
	series, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	p := NewParserWith(ParserOptions{MaxItems: DefaultMaxItems, MaxDepth: DefaultMaxDepth, MaxElements: DefaultMaxElements, LazyText: true})
	shared, known := 0, 0
	for _, s := range series {
		if !s.IsDir() {
			continue
		}
		files, err := filepath.Glob(filepath.Join(dir, s.Name(), "*"))
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(files)
		memo := &ItemMemo{}
		before := map[string]bool{}
		for _, path := range files {
			body, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			whole, err := p.Parse(body, "", "https://corpus.example/"+s.Name(), testNow)
			if err != nil {
				continue
			}
			now := map[string]bool{}
			for _, it := range whole.Items {
				now[it.Key] = true
				if before[it.Key] {
					shared++
				}
			}
			before = now
			t.Run(s.Name()+"/"+filepath.Base(path), func(t *testing.T) {
				got := checkRemembered(t, p, string(body), "https://corpus.example/"+s.Name(), memo)
				known += len(got.Known)
				memo = got.Memo
				if memo == nil {
					memo = &ItemMemo{}
				}
			})
		}
	}
	if shared == 0 || known < shared*8/10 {
		t.Fatalf("%d of the %d items a snapshot shared with the one before came from the memo: want 80 %%", known, shared)
	}
	t.Logf("%d of the %d items a snapshot shared with the one before came from the memo", known, shared)
}
