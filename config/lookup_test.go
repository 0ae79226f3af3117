package config

import (
	"reflect"
	"testing"
)

func TestLookups(t *testing.T) {
	c := mustParse(t, `
feeds:
  - {name: a, url: "https://a.example.org/"}
  - {name: b, url: "https://b.example.org/"}
  - {name: c, url: "https://c.example.org/"}
subscriptions:
  - {name: every, query: x}
  - {name: some, query: x, feeds: [c, a]}
`, noEnv)
	feedNames := func(fs []Feed) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Name)
		}
		return out
	}
	tests := []struct {
		name string
		sub  int
		want []string
	}{
		{"all feeds when none listed", 0, []string{"a", "b", "c"}},
		{"listed feeds in list order", 1, []string{"c", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := feedNames(c.FeedsOf(c.Subscriptions[tt.sub])); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("FeedsOf = %v, want %v", got, tt.want)
			}
		})
	}
	if d, ok := c.Destination("console"); !ok || d.Type != Console {
		t.Errorf("Destination(console) = %+v, %v; want the default console", d, ok)
	}
	if _, ok := c.Destination("nope"); ok {
		t.Errorf("Destination(nope) found something")
	}
	if f, ok := c.Feed("b"); !ok || f.URL != "https://b.example.org/" {
		t.Errorf("Feed(b) = %+v, %v", f, ok)
	}
}

func TestQueryPos(t *testing.T) {
	const text = "define:\n  x: a\nsubscriptions:\n  - name: plain\n    query: ukraine or gaza\n  - name: quoted\n    query: \"ukraine or gaza\"\n  - name: block\n    query: |\n      ukraine or gaza\n  - name: lines\n    query: |\n      ukraine or\n      gaza\n"
	c, err := Parse("q.yaml", []byte(text), goldenEnv)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		sub  string
		col  int
		want Pos
	}{
		{"plain", 9, Pos{5, 20}},
		{"plain", 1, Pos{5, 12}},
		{"quoted", 9, Pos{7, 21}},
		{"block", 9, Pos{10, 15}}, // one line of a block scalar stands verbatim
		{"lines", 9, Pos{13, 7}},  // several do not: the query's start
	}
	for _, tc := range tests {
		var s Subscription
		for _, x := range c.Subscriptions {
			if x.Name == tc.sub {
				s = x
			}
		}
		if got := s.QueryPos(tc.col); got != tc.want {
			t.Errorf("%s: QueryPos(%d) = %v, want %v", tc.sub, tc.col, got, tc.want)
		}
	}
	if got := (Subscription{}).QueryPos(3); got != (Pos{}) {
		t.Errorf("no query: QueryPos = %v, want the zero Pos", got)
	}
}

// A define is pointed into as a subscription's query is: at the character
// when it stands verbatim on one line, else at its start.
func TestDefineQueryPos(t *testing.T) {
	const text = "define:\n  plain: ukraine or gaza\n  quoted: \"ukraine or gaza\"\n  block: |\n    ukraine or gaza\n  lines: |\n    ukraine or\n    gaza\n  escaped: \"ukraine\\tor gaza\"\n"
	c, err := Parse("q.yaml", []byte(text), goldenEnv)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		define string
		col    int
		want   Pos
	}{
		{"plain", 9, Pos{2, 18}},
		{"plain", 1, Pos{2, 10}},
		{"plain", 0, Pos{2, 10}}, // no column: the query's start
		{"quoted", 9, Pos{3, 20}},
		{"block", 9, Pos{5, 13}},   // one line of a block scalar stands verbatim
		{"lines", 9, Pos{7, 5}},    // several do not: the query's start
		{"escaped", 9, Pos{9, 13}}, // an escape shifts the columns: the start
		{"missing", 9, Pos{}},
	}
	for _, tc := range tests {
		if got := c.DefineQueryPos(tc.define, tc.col); got != tc.want {
			t.Errorf("%s: DefineQueryPos(%d) = %v, want %v", tc.define, tc.col, got, tc.want)
		}
	}
}
