package feeds

import "os"

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
