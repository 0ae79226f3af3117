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
