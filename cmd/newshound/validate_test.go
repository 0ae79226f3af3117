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

// TestTwinSubscriptionsByTheirQueries: two subscriptions of one feed and
// destination whose queries are one query written two ways (operands of
// AND, OR or NEAR in another order, words in other cases or accents, an
// @name for its text, spacing) are twins, warned of at the second as ever;
// queries that differ in what they match (a field, ONEAR's order, what NOT
// excludes) are not. Compared as text, only spacing made a twin.
func TestTwinSubscriptionsByTheirQueries(t *testing.T) {
	const twin = `: warning: subscription "t": the same query, feeds and destination as subscription "s" (line 4)`
	tests := []struct {
		name, a, b string
		twins      bool
	}{
		{"spacing", "aleppo  truce", "aleppo truce", true},
		{"OR's operands swapped", "aleppo OR idlib", "idlib OR aleppo", true},
		{"AND written out, operands swapped", "aleppo truce", "truce AND aleppo", true},
		{"case and accents", "Aleppo OR Homs", "aleppo OR homs", true},
		{"nested, regrouped", "aleppo AND (truce OR ceasefire)", "(ceasefire OR truce) aleppo", true},
		{"OR of ORs", "(a1 OR b1) OR c1", "c1 OR (b1 OR a1)", true},
		{"a repeated operand", "aleppo OR aleppo OR idlib", "idlib OR aleppo", true},
		{"a define for its text", "@syria truce", "truce (aleppo OR idlib)", true},
		{"NEAR's sides swapped", "aleppo NEAR/3 truce", "truce NEAR/3 aleppo", true},
		{"a field on both sides, or around them", "title:aleppo title:truce", "title:(truce aleppo)", true},
		{"ONEAR's sides swapped", "aleppo ONEAR/3 truce", "truce ONEAR/3 aleppo", false},
		{"another NEAR distance", "aleppo NEAR/3 truce", "aleppo NEAR/4 truce", false},
		{"a field on one only", "title:aleppo", "aleppo", false},
		{"NOT the other word", "aleppo NOT truce", "truce NOT aleppo", false},
		{"AND against OR", "aleppo truce", "aleppo OR truce", false},
		{"a phrase against its words", `"aleppo truce"`, "aleppo truce", false},
		{"a regular expression's case", "/Aleppo/", "/aleppo/", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			yaml := "define:\n  syria: aleppo OR idlib\nsubscriptions:\n  - {name: s, query: '" + tc.a + "'}\n  - {name: t, query: '" + tc.b + "'}\n"
			path := filepath.Join(t.TempDir(), "newshound.yaml")
			if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range loadProblems(t, path) {
				if strings.Contains(p, "the same query") {
					got = append(got, p)
				}
			}
			var want []string
			if tc.twins {
				want = []string{path + ":5:5" + twin}
			}
			if len(got) != len(want) || len(want) == 1 && !strings.HasPrefix(got[0], want[0]) {
				t.Errorf("twin warnings:\n got %q\nwant %q", got, want)
			}
		})
	}
}
