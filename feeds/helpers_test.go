package feeds

import (
	"os"
	"testing"
)

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o644) }

// namedParser is a Parser and what a subtest calls it.
type namedParser struct {
	name   string
	parser *Parser
}

// eagerAndLazy are a Parser that extracts text eagerly and one with
// LazyText, for what must read the same either way.
func eagerAndLazy() []namedParser {
	return []namedParser{{"eager", NewParser()}, {"lazy", NewParserWith(ParserOptions{LazyText: true})}}
}

// parseOneItem parses doc, a document of one item, with p and returns
// that item, its text filled.
func parseOneItem(t *testing.T, p *Parser, doc string) Item {
	t.Helper()
	feed, err := p.Parse([]byte(doc), "", "https://atom.example/feed", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(feed.Items) != 1 {
		t.Fatalf("%d items, want 1", len(feed.Items))
	}
	it := feed.Items[0]
	it.FillText()
	return it
}
