package golden

import "testing"

func TestFirstDifference(t *testing.T) {
	tests := []struct {
		name, a, b string
		line       int
		la, lb     string
	}{
		{"second line", "one\ntwo\n", "one\nTWO\n", 2, "two", "TWO"},
		{"one is longer", "one\ntwo", "one", 2, "two", "<end of file>"},
		{"first line", "x", "y", 1, "x", "y"},
	}
	for _, tt := range tests {
		line, la, lb := firstDifference(tt.a, tt.b)
		if line != tt.line || la != tt.la || lb != tt.lb {
			t.Errorf("%s: got line %d (%q vs %q), want %d (%q vs %q)", tt.name, line, la, lb, tt.line, tt.la, tt.lb)
		}
	}
}
