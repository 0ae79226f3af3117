package filters

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeQueryExamples: every example in README's query-language
// table is a query of its own, so each must be accepted as a
// subscription's query is (a reader copies them). A regex alone, for one,
// is refused: its row shows it beside a word.
func TestReadmeQueryExamples(t *testing.T) {
	examples := readmeQueryExamples(t, "../README.md")
	if len(examples) < 8 {
		t.Fatalf("found %d examples in README's query-language table: %q; has the table moved?", len(examples), examples)
	}
	defines := map[string]string{"syria": "aleppo OR halab"} // for @syria
	for _, q := range examples {
		t.Run(q, func(t *testing.T) {
			if err := NewSet(defines).Add("readme", q); err != nil {
				t.Errorf("README's example %q: got %v, want it accepted", q, err)
			}
		})
	}
}

// readmeQueryExamples returns the queries in the left column of the code
// block under "## The query language": in each row, runs of text two
// spaces or more apart, but for the last, the description, when there
// are several (a query as long as the example with parentheses has its
// row to itself).
func readmeQueryExamples(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "## The query language")
	if !ok {
		t.Fatalf("%s: no \"## The query language\" section", path)
	}
	_, block, ok := strings.Cut(section, "```\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatalf("%s: no code block in \"## The query language\"", path)
	}
	run := regexp.MustCompile(`\S+(?: \S+)*`) // text with single spaces in it
	var queries []string
	for _, line := range strings.Split(strings.TrimRight(block, "\n"), "\n") {
		fields := run.FindAllString(line, -1)
		if len(fields) > 1 {
			fields = fields[:len(fields)-1]
		}
		queries = append(queries, fields...)
	}
	return queries
}
