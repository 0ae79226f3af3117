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
