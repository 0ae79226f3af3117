package feeds

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/newshound/newshound/internal/corpus"
)

// feedparser's test files carry the expected result in a leading comment:
// Expect: a Python expression. We run the simple-equality ones that map
// onto our fields.
var conformanceExamples = flag.Int("conformance.examples", 3, "examples logged per failure class")

var (
	fpExpectRe = regexp.MustCompile(`(?s)Description:\s*(.*?)\s*Expect:\s*(.*?)\s*-->`)
	fpHeaderRe = regexp.MustCompile(`(?m)^Header:\s*Content-type:\s*(.*?)\s*$`)
	fpSimpleRe = regexp.MustCompile(`^(?:not bozo and )?(feed|entries\[(\d+)\])\['(\w+)'\] == u?('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")$`)
)

// conformanceField returns our value for a feedparser key, and false when
// the key has no counterpart among our fields.
func conformanceField(feed *Feed, entry int, key string) (string, bool) {
	if entry < 0 {
		switch key {
		case "title":
			return feed.Title, true
		case "link":
			return feed.Link, true
		}
		return "", false
	}
	if entry >= len(feed.Items) {
		return "<no such entry>", true
	}
	it := feed.Items[entry]
	switch key {
	case "title":
		return it.Title, true
	case "link":
		return it.Link, true
	case "id", "guid":
		return it.GUID, true
	case "author":
		return it.Author, true
	case "summary", "description":
		return firstNonEmpty(it.Summary, it.Content), true
	}
	return "", false
}

// pyString decodes a Python string literal ('…' or "…" with \n, \xNN,
// \uNNNN, \UNNNNNNNN escapes; \xNN is a code point, not a byte).
func pyString(lit string) (string, error) {
	body := lit[1 : len(lit)-1]
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' || i+1 == len(body) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := body[i]; e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if i+n >= len(body)+1 {
				return "", fmt.Errorf("short escape in %s", lit)
			}
			v, err := strconv.ParseUint(body[i+1:i+1+n], 16, 32)
			if err != nil {
				return "", err
			}
			b.WriteRune(rune(v))
			i += n
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return b.String(), nil
}

type conformanceCase struct {
	file, contentType, key, want string
	entry                        int // -1: feed
}

func loadConformanceCases(t *testing.T, root string) []conformanceCase {
	t.Helper()
	var cases []conformanceCase
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".xml") {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		m := fpExpectRe.FindSubmatch(raw)
		if m == nil {
			return nil
		}
		s := fpSimpleRe.FindStringSubmatch(strings.TrimSpace(string(m[2])))
		if s == nil {
			return nil
		}
		c := conformanceCase{file: path, key: s[3], entry: -1}
		if s[2] != "" {
			c.entry, _ = strconv.Atoi(s[2])
		}
		if _, ok := conformanceField(&Feed{Items: []Item{{}}}, min(c.entry, 0), c.key); !ok {
			return nil
		}
		if c.want, err = pyString(s[4]); err != nil {
			return nil
		}
		if h := fpHeaderRe.FindSubmatch(raw); h != nil {
			c.contentType = string(h[1])
		}
		cases = append(cases, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

// classifyMismatch names why our value differs from feedparser's.
func classifyMismatch(want, got string, parseErr error) string {
	switch {
	case parseErr != nil:
		return "parse error (feedparser recovers from ill-formed XML)"
	case got == "<no such entry>":
		return "entry missing"
	case PlainText(want) == got || ParagraphText(want) == got:
		return "by design: feedparser keeps (sanitized) HTML, we give plain text"
	case collapseSpace(want, false) == collapseSpace(got, false):
		return "by design: whitespace collapsed"
	case strings.Contains(want, "://") || strings.HasPrefix(want, "/"):
		return "link resolution differs"
	case got == "":
		return "value not extracted"
	case !utf8.ValidString(got) || strings.ContainsRune(got, utf8.RuneError):
		return "charset"
	}
	return "other value"
}

func TestConformanceFeedparser(t *testing.T) {
	root := filepath.Join(corpus.Dir(t), "conformance", "feedparser", "tests")
	cases := loadConformanceCases(t, root)
	p := NewParser()
	classes := map[string]int{}
	examples := map[string][]string{}
	pass := 0
	for _, c := range cases {
		body, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, c.file)
		feedURL := "http://127.0.0.1:8097/tests/" + filepath.ToSlash(rel)
		var got string
		feed, perr := p.Parse(body, c.contentType, feedURL, testNow)
		if perr == nil {
			got, _ = conformanceField(feed, c.entry, c.key)
		}
		if perr == nil && got == c.want {
			pass++
			continue
		}
		class := classifyMismatch(c.want, got, perr)
		classes[class]++
		if len(examples[class]) < *conformanceExamples {
			examples[class] = append(examples[class], fmt.Sprintf("%s [%s]: want %.60q, got %.60q", rel, c.key, c.want, got))
		}
	}
	byDesign := 0
	for class, n := range classes {
		if strings.HasPrefix(class, "by design") {
			byDesign += n
		}
	}
	t.Logf("feedparser simple-equality cases on our fields: %d; exact pass %d (%.1f%%); equal after our by-design plain-text/whitespace normalization %d (%.1f%%)",
		len(cases), pass, 100*float64(pass)/float64(len(cases)), pass+byDesign, 100*float64(pass+byDesign)/float64(len(cases)))
	names := make([]string, 0, len(classes))
	for class := range classes {
		names = append(names, class)
	}
	sort.Slice(names, func(i, j int) bool { return classes[names[i]] > classes[names[j]] })
	for _, class := range names {
		t.Logf("  %4d  %s", classes[class], class)
		for _, ex := range examples[class] {
			t.Logf("          e.g. %s", ex)
		}
	}
	if len(cases) == 0 {
		t.Error("no conformance cases found: the Expect format changed?")
	}
	// A floor under the rate (93% when it was set), so that a regression in
	// parsing or normalization fails the test instead of only lowering a
	// logged figure.
	if rate := float64(pass+byDesign) / float64(max(len(cases), 1)); rate < 0.90 {
		t.Errorf("pass rate after by-design normalization %.1f%%, want at least 90%%", 100*rate)
	}
}
