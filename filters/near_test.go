package filters

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// between is a title with `kerry`, n words, then `lavrov`.
func between(n int) string {
	return "Kerry " + strings.Repeat("and ", n) + "Lavrov"
}

// TestNearCountsWordsBetween pins what NEAR/n means, as README says: at
// most n-1 words between the two, in either order (ONEAR: in the order
// written), in one field; words counted as matching splits them.
func TestNearCountsWordsBetween(t *testing.T) {
	type tc struct {
		name, query string
		doc         Document
		want        bool
	}
	var tests []tc
	for _, n := range []int{1, 2, 5, 10, 20} {
		tests = append(tests,
			tc{fmt.Sprintf("NEAR/%d, %d between", n, n-1), fmt.Sprintf("kerry NEAR/%d lavrov", n), Document{Title: between(n - 1)}, true},
			tc{fmt.Sprintf("NEAR/%d, %d between", n, n), fmt.Sprintf("kerry NEAR/%d lavrov", n), Document{Title: between(n)}, false},
			tc{fmt.Sprintf("NEAR/%d, %d between, other order", n, n-1), fmt.Sprintf("lavrov NEAR/%d kerry", n), Document{Title: between(n - 1)}, true},
			tc{fmt.Sprintf("NEAR/%d, %d between, other order", n, n), fmt.Sprintf("lavrov NEAR/%d kerry", n), Document{Title: between(n)}, false},
			tc{fmt.Sprintf("ONEAR/%d, %d between", n, n-1), fmt.Sprintf("kerry ONEAR/%d lavrov", n), Document{Title: between(n - 1)}, true},
			tc{fmt.Sprintf("ONEAR/%d, %d between", n, n), fmt.Sprintf("kerry ONEAR/%d lavrov", n), Document{Title: between(n)}, false},
			tc{fmt.Sprintf("ONEAR/%d, other order", n), fmt.Sprintf("lavrov ONEAR/%d kerry", n), Document{Title: between(n - 1)}, false},
		)
	}
	tests = append(tests,
		tc{"each part of a hyphenated word counts", "kerry NEAR/2 lavrov", Document{Title: "Kerry cease-fire Lavrov"}, false},
		tc{"a hyphenated word is two", "kerry NEAR/3 lavrov", Document{Title: "Kerry cease-fire Lavrov"}, true},
		tc{"each part of a dotted word counts", "kerry NEAR/2 lavrov", Document{Title: "Kerry U.S. Lavrov"}, false},
		tc{"a time is two words", "kerry NEAR/2 lavrov", Document{Title: "Kerry 10:30 Lavrov"}, false},
		tc{"a possessive is one word", "kerry NEAR/1 lavrov", Document{Title: "Kerry's Lavrov"}, true},
		tc{"punctuation is no word", "kerry NEAR/1 lavrov", Document{Title: "Kerry — Lavrov."}, true},
		tc{"a sentence end is no barrier", "kerry NEAR/1 lavrov", Document{Title: "Kerry. Lavrov"}, true},
		tc{"a line break is no barrier", "kerry NEAR/1 lavrov", Document{Summary: "Kerry\nLavrov"}, true},
		tc{"not across fields", "kerry NEAR/20 lavrov", Document{Title: "Kerry", Summary: "Lavrov"}, false},
		tc{"not across categories", "kerry NEAR/20 lavrov", Document{Categories: []string{"Kerry", "Lavrov"}}, false},
		tc{"one occurrence is not two", "kerry NEAR/5 kerry", Document{Title: "Kerry talks"}, false},
		tc{"two occurrences", "kerry NEAR/5 kerry", Document{Title: "Kerry meets Kerry"}, true},
		tc{"a phrase counts from its last word", `"john kerry" NEAR/1 lavrov`, Document{Title: "John Kerry Lavrov"}, true},
		tc{"a phrase counts from its first word, after", `"john kerry" NEAR/1 lavrov`, Document{Title: "Lavrov John Kerry"}, true},
		tc{"a nested NEAR counts from its window", `(kerry NEAR/1 lavrov) NEAR/1 talks`, Document{Title: "Kerry Lavrov talks"}, true},
		tc{"a nested NEAR counts from its window, 1 between", `(kerry NEAR/1 lavrov) NEAR/1 talks`, Document{Title: "Kerry Lavrov to talks"}, false},
	)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, err := Parse(tc.query, nil)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.query, err)
			}
			if _, got := q.Match(&tc.doc); got != tc.want {
				t.Errorf("%q on %+v: got match %v, want %v", tc.query, tc.doc, got, tc.want)
			}
			set := NewSet(nil)
			if err := set.Add("q", tc.query); err != nil {
				t.Fatal(err)
			}
			if got := len(set.Match(&tc.doc)) == 1; got != tc.want {
				t.Errorf("%q on %+v: Set got match %v, want %v", tc.query, tc.doc, got, tc.want)
			}
		})
	}
}

// TestReadmeNearRow checks the NEAR row of README's query table against
// the matcher: "x NEAR/n y   at most m words between" must match with m
// words between and not with m+1.
func TestReadmeNearRow(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^(\w+ NEAR/(\d+) \w+)\s+at most (\d+) words? between`).FindSubmatch(data)
	if row == nil {
		t.Fatal(`README's query table has no row "a NEAR/n b   at most m words between": it must say how NEAR/n counts`)
	}
	query := string(row[1])
	m, _ := strconv.Atoi(string(row[3]))
	q, err := Parse(query, nil)
	if err != nil {
		t.Fatal(err)
	}
	words := strings.Fields(query)
	for _, k := range []int{m, m + 1} {
		doc := Document{Title: words[0] + " " + strings.Repeat("and ", k) + words[2]}
		if _, got := q.Match(&doc); got != (k == m) {
			t.Errorf("README says %s allows at most %d words between; %q on %q: got match %v", query, m, query, doc.Title, got)
		}
	}
}
