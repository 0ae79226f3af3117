package config

import (
	"errors"
	"testing"
)

// TestValidatorWarnings checks that a validator's warnings do not fail the
// load and reach Config.Warnings, and that with an error they are printed
// beside it as warnings.
func TestValidatorWarnings(t *testing.T) {
	const text = "subscriptions:\n  - name: war\n    query: ukraine or gaza\n"
	hint := func(c *Config) []Problem {
		s := c.Subscriptions[0]
		return []Problem{{Line: s.QueryLine, Col: s.QueryCol + 8, Msg: `"or" is searched for as a word: did you mean OR?`, Warning: true}}
	}
	broken := func(c *Config) []Problem {
		return []Problem{{Line: 2, Col: 5, Msg: "made-up error"}}
	}
	const warning = `w.yaml:3:20: warning: "or" is searched for as a word: did you mean OR?`
	tests := []struct {
		name       string
		validators []Validator
		wantErr    string // "" for a config
		wantErrors int
		wantWarn   string
	}{
		{"warning only", []Validator{hint}, "", 0, warning},
		{"warning and error", []Validator{hint, broken}, "w.yaml:2:5: made-up error\n" + warning, 1, ""},
		{"neither", nil, "", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parse("w.yaml", []byte(text), goldenEnv, tc.validators)
			if tc.wantErr != "" {
				var problems Errors
				if !errors.As(err, &problems) || c != nil {
					t.Fatalf("got config %v, error %v; want only an Errors", c, err)
				}
				if got := err.Error(); got != tc.wantErr {
					t.Errorf("error:\n got %s\nwant %s", got, tc.wantErr)
				}
				if got := problems.ErrorCount(); got != tc.wantErrors {
					t.Errorf("ErrorCount: got %d, want %d", got, tc.wantErrors)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want a config", err)
			}
			got := ""
			if len(c.Warnings) > 0 {
				got = c.Warnings.Error()
			}
			if got != tc.wantWarn {
				t.Errorf("Warnings:\n got %q\nwant %q", got, tc.wantWarn)
			}
		})
	}
}

// TestHashtagWarning checks that `query: aleppo #ceasefire`, which YAML
// reads as "aleppo" and a comment, loads with a warning, and that a
// comment written "# like this" gets none.
func TestHashtagWarning(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"hashtag", "subscriptions:\n  - name: war\n    query: aleppo #ceasefire\n",
			"h.yaml:3:19: warning: query: YAML reads \"#ceasefire\" as a comment, so the query is only \"aleppo\"\n" +
				"    query: aleppo #ceasefire\n" +
				"                  ^\n" +
				"hint: if the # is part of the query, quote it all: query: 'aleppo #ceasefire'"},
		{"in a define", "define:\n  syria: halab #حلب\n",
			"h.yaml:2:16: warning: define syria: YAML reads \"#حلب\" as a comment, so the query is only \"halab\"\n" +
				"  syria: halab #حلب\n" +
				"               ^\n" +
				"hint: if the # is part of the query, quote it all: syria: 'halab #حلب'"},
		{"a comment", "subscriptions:\n  - name: war\n    query: aleppo # the city\n", ""},
		{"quoted", "subscriptions:\n  - name: war\n    query: 'aleppo #ceasefire'\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := warningsOf(t, "h.yaml", tc.text); got != tc.want {
				t.Errorf("Warnings:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// warningsOf parses a config that must load and returns its warnings as
// check prints them ("" for none).
func warningsOf(t *testing.T, path, text string) string {
	t.Helper()
	c, err := Parse(path, []byte(text), goldenEnv)
	if err != nil {
		t.Fatalf("got error %v, want a config", err)
	}
	if len(c.Warnings) == 0 {
		return ""
	}
	return c.Warnings.Error()
}
