// Package golden compares test output with the expected output kept in a
// testdata file, or rewrites that file after a deliberate change (each
// test package's -update flag), so the change is reviewed as a diff.
package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Check compares got with the file at path. With update it first writes
// got there, creating folders as needed.
func Check(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test with -update to create it)", err)
	}
	if string(got) == string(want) {
		return
	}
	n, g, w := firstDifference(string(got), string(want))
	msg := "output differs from %s at line %d:\n got %s\nwant %s\n(if the change is deliberate, run go test with -update and review the diff)"
	if len(got)+len(want) <= 8<<10 {
		t.Errorf(msg+"\ngot:\n%s\nwant:\n%s", path, n, g, w, got, want)
		return
	}
	t.Errorf(msg, path, n, g, w)
}

// firstDifference is the 1-based number of the first line where a and b
// differ, and those two lines.
func firstDifference(a, b string) (int, string, string) {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(al), len(bl)) {
		if x, y := lineAt(al, i), lineAt(bl, i); x != y {
			return i + 1, x, y
		}
	}
	return 0, "", ""
}

func lineAt(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "<end of file>"
}
