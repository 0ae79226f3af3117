package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestYAMLScanAcceptsValidYAML checks that the mistake finder sees nothing
// wrong in YAML the library accepts: it runs only after a failure, but a
// false alarm above the real mistake would point at the wrong line.
func TestYAMLScanAcceptsValidYAML(t *testing.T) {
	tests := []struct{ name, text string }{
		{"list lined up with its key", "feeds:\n- name: a\n  url: x\n- name: b\nsubscriptions: []\n"},
		{"value on the next line", "define:\n  syria:\n    aleppo OR\n    halab\n"},
		{"block scalar", "define:\n  syria: |\n    aleppo: OR\n   \n    \"halab\n  x: y\n"},
		{"folded with indicator", "define:\n  syria: >-\n    a: b\nfeeds: []\n"},
		{"quoted over lines", "define:\n  syria: \"aleppo\n    OR halab\"\n  x: y\n"},
		{"escaped quotes", `query: "say \"hi\" now"` + "\n" + `other: 'it''s'` + "\n"},
		{"comments", "# top\nfeeds: # the feeds\n  # inside\n  - name: a # first\n    url: x#not a comment\n"},
		{"flow list", "feeds: [a, b]\nguilds: [\"1\",\n  \"2\"]\nx: {a: 1}\n"},
		{"colon without space", "url: https://x.example/a:b\nquery: title:aleppo\n"},
		{"anchors and aliases", "a: &q aleppo\nb: *q\nc: &m\n  d: 1\n"},
		{"nested lists", "a:\n  - - x\n    - y\n  - z\n"},
		{"quoted keys", "\"a b\": 1\n'c': 2\n"},
		{"dash in a value", "query: kerry -lavrov\nx: -5\ny: a - b\n"},
		{"empty values", "a:\nb:\n  c:\n  d: 1\n"},
		{"document marker", "---\na: 1\n"},
		{"windows line ends", "a:\r\n  b: 1\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var n yaml.Node
			if err := yaml.Unmarshal([]byte(tc.text), &n); err != nil {
				t.Fatalf("not valid YAML for the library (%v); fix the case", err)
			}
			if m, ok := findYAMLMistake(strings.Split(tc.text, "\n"), ""); ok {
				t.Errorf("found a mistake in valid YAML at line %d: %s (%s)", m.line, m.msg, m.hint)
			}
		})
	}
}

// TestYAMLScanAcceptsConfigs runs the mistake finder over every config in
// the repository that the YAML library accepts.
func TestYAMLScanAcceptsConfigs(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "errors", "*.yaml"))
	files = append(files, examplePath)
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var n yaml.Node
		if yaml.Unmarshal(data, &n) != nil {
			continue
		}
		if m, ok := findYAMLMistake(strings.Split(string(data), "\n"), ""); ok {
			t.Errorf("%s:%d: found a mistake in valid YAML: %s", file, m.line, m.msg)
		}
	}
}

// TestYAMLHintsFix applies each golden YAML error's hint, where the hint
// spells out the corrected line, and checks that the YAML library then
// accepts the file: a hint that does not fix the mistake is a defect.
// (TestErrorsGolden ties the goldens to the code.)
func TestYAMLHintsFix(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "errors", "yaml_*.golden"))
	fixed := 0
	for _, golden := range files {
		out, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		input := strings.TrimSuffix(golden, ".golden") + ".yaml"
		data, err := os.ReadFile(input)
		if err != nil {
			t.Fatal(err)
		}
		lineNo, fix, ok := correctedLine(string(out))
		if !ok {
			continue
		}
		lines := strings.Split(string(data), "\n")
		old := lines[lineNo-1]
		at := len(old) - len(strings.TrimLeft(old, " ")) // a "- " item replaces the whole line
		if !strings.HasPrefix(fix, "- ") {
			key, _, _ := strings.Cut(fix, ":")
			at = strings.Index(old, key) // "key: value" replaces from the key on
		}
		if at < 0 {
			t.Fatalf("%s: hint %q names no key of line %d", input, fix, lineNo)
		}
		lines[lineNo-1] = old[:at] + fix
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(strings.Join(lines, "\n")), &n); err != nil {
			t.Errorf("%s: line %d fixed as the hint says (%q) still fails: %v", input, lineNo, lines[lineNo-1], err)
		}
		fixed++
	}
	t.Logf("%d golden hints applied", fixed)
	if fixed < 8 {
		t.Errorf("only %d golden hints spell out a corrected line; want at least 8", fixed)
	}
}

// correctedLine finds the line number and the corrected line text in a
// golden error: the hint's text after "write ", "quote it: " and the like.
func correctedLine(out string) (int, string, bool) {
	first, _, _ := strings.Cut(out, "\n")
	_, hint, ok := strings.Cut(out, "\nhint: ")
	if !ok || strings.Contains(hint, "…") {
		return 0, "", false
	}
	hint = strings.TrimSpace(hint)
	var fix string
	for _, lead := range []string{"write it as ", "write ", "quote it: ", "quote it if it is text: ", "quote the whole query: ", "quote the whole value: ", "double it: ", "backslash: "} {
		if i := strings.Index(hint, lead); i >= 0 {
			fix = hint[i+len(lead):]
			break
		}
	}
	if fix == "" {
		return 0, "", false
	}
	parts := strings.SplitN(first, ":", 3)
	if len(parts) < 3 {
		return 0, "", false
	}
	var n int
	if _, err := fmt.Sscanf(parts[1], "%d", &n); err != nil {
		return 0, "", false
	}
	return n, fix, true
}
