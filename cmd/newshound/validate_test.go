package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newshound/newshound/config"
)

// TestQueryProblemPositions: a query problem is reported at the file's
// line and column of the offending character, in a define as in a
// subscription, whenever the query stands verbatim on one line; else at
// the query's first character (the caret picture points inside it).
func TestQueryProblemPositions(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want string // "line:col: " and the start of the message
	}{
		{
			name: "define on one line",
			yaml: "define:\n  syria: aleppo OR (idlib\n",
			want: "2:26: expected ')' to close '('",
		},
		{
			name: "define quoted",
			yaml: "define:\n  syria: \"aleppo OR (idlib\"\n",
			want: "2:27: expected ')' to close '('",
		},
		{
			name: "define over several lines",
			yaml: "define:\n  syria: |\n    aleppo OR\n    (idlib\n",
			want: "3:5: expected ')' to close '('",
		},
		{
			name: "subscription on one line",
			yaml: "subscriptions:\n  - name: a\n    query: aleppo OR (idlib\n",
			want: "3:28: expected ')' to close '('",
		},
		{
			name: "define hint",
			yaml: "define:\n  conflict: ukraine and gaza\n",
			want: "2:21: warning: \"and\" is searched for as a word",
		},
		{
			name: "subscription hint",
			yaml: "subscriptions:\n  - name: war\n    query: ukraine or gaza\n",
			want: "3:20: warning: \"or\" is searched for as a word",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "newshound.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			problems := loadProblems(t, path)
			want := path + ":" + tc.want
			for _, p := range problems {
				if strings.HasPrefix(p, want) {
					return
				}
			}
			t.Errorf("got problems:\n%s\nwant one starting %q", strings.Join(problems, "\n"), want)
		})
	}
}

// loadProblems loads the config at path and returns its problems and
// warnings, each as "file:line:col: message".
func loadProblems(t *testing.T, path string) []string {
	t.Helper()
	cfg, err := loadConfig(path)
	var list config.Errors
	switch {
	case err == nil:
		list = cfg.Warnings
	case !errors.As(err, &list):
		t.Fatalf("loadConfig: got %v, want config problems", err)
	}
	var out []string
	for _, p := range list {
		out = append(out, fmt.Sprint(p))
	}
	return out
}

// TestDefineCycleNamesEveryDefine: a cycle of defines is reported, in the
// subscription that reaches it and in each define, naming every define of
// the cycle with the file:line:col where it names the next.
func TestDefineCycleNamesEveryDefine(t *testing.T) {
	yaml := "define:\n" +
		"  a: x OR @b\n" + // line 2: @b at col 11
		"  b: y @c\n" + // line 3: @c at col 8
		"  c: z @a\n" + // line 4: @a at col 8
		"subscriptions:\n" +
		"  - name: s\n" +
		"    query: news @a\n" // line 7: @a at col 17
	path := filepath.Join(t.TempDir(), "newshound.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	at := func(line, col int) string { return fmt.Sprintf("%s:%d:%d", path, line, col) }
	for _, tc := range []struct{ name, want string }{
		{"subscription", at(7, 17) + ": @a refers to itself: @a → @b (" + at(2, 11) + ") → @c (" + at(3, 8) + ") → @a (" + at(4, 8) + ")"},
		{"define a", at(2, 11) + ": @b refers to itself: @b → @c (" + at(3, 8) + ") → @a (" + at(4, 8) + ") → @b (" + at(2, 11) + ")"},
		{"define c", at(4, 8) + ": @a refers to itself: @a → @b (" + at(2, 11) + ") → @c (" + at(3, 8) + ") → @a (" + at(4, 8) + ")"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			problems := loadProblems(t, path)
			for _, p := range problems {
				if strings.HasPrefix(p, tc.want) {
					return
				}
			}
			t.Errorf("got problems:\n%s\nwant one starting %q", strings.Join(problems, "\n"), tc.want)
		})
	}
}
