package caret

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestUnder(t *testing.T) {
	long := strings.Repeat("a", 300) + "X" + strings.Repeat("b", 300)
	tests := []struct {
		name, line string
		col        int
		want       string
	}{
		{"short line", "aleppo (truce", 8, "aleppo (truce\n       ^"},
		{"past the end", "aleppo (truce", 14, "aleppo (truce\n             ^"},
		{"column 0 is the first", "x", 0, "x\n^"},
		{"tabs are copied", "a\tb", 3, "a\tb\n \t^"},
		{"wide characters count twice", "北京 x", 4, "北京 x\n     ^"},
		{"combining marks take no column", "Zu\u0308rich x", 8, "Zu\u0308rich x\n      ^"},
		{
			"cut on both sides", long, 301,
			"…" + strings.Repeat("a", 49) + "X" + strings.Repeat("b", 48) + "…\n" + strings.Repeat(" ", 50) + "^",
		},
		{
			"cut on the right only", long, 3,
			strings.Repeat("a", 99) + "…\n  ^",
		},
		{
			"cut on the left only", long, 601,
			"…" + strings.Repeat("b", 99) + "\n" + strings.Repeat(" ", 99) + "^",
		},
		{
			"caret past the end of a long line", long, 602,
			"…" + strings.Repeat("b", 99) + "\n" + strings.Repeat(" ", 100) + "^",
		},
		{
			"counts characters, not bytes", strings.Repeat("é", 300) + "X", 301,
			"…" + strings.Repeat("é", 98) + "X\n" + strings.Repeat(" ", 99) + "^",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Under(tc.line, tc.col)
			if got != tc.want {
				t.Errorf("Under(%.20q…, %d):\n%s\nwant:\n%s", tc.line, tc.col, got, tc.want)
			}
			first, _, _ := strings.Cut(got, "\n")
			if n := utf8.RuneCountInString(first); n > Width {
				t.Errorf("shown line has %d characters, want at most %d", n, Width)
			}
		})
	}
}

func TestCut(t *testing.T) {
	tests := []struct{ name, line, want string }{
		{"short", "aleppo", "aleppo"},
		{"exactly Width", strings.Repeat("x", Width), strings.Repeat("x", Width)},
		{"long", strings.Repeat("é", 5000), strings.Repeat("é", Width-1) + "…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Cut(tc.line); got != tc.want {
				t.Errorf("Cut: got %q, want %q", got, tc.want)
			}
		})
	}
}
