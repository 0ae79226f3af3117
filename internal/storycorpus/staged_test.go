package storycorpus

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/newshound/newshound/internal/corpus"
)

// TestStaged joins the labels with the corpus: every distinct item of the
// day labelled, as many as the labels' header says.
func TestStaged(t *testing.T) {
	items, err := Staged(corpus.Dir(t))
	if err != nil {
		t.Fatal(err)
	}
	outlets, stories := map[string]int{}, map[string]int{}
	for _, it := range items {
		outlets[it.Outlet]++
		stories[it.Story]++
	}
	multi := 0
	for _, n := range stories {
		multi += b2i(n > 1)
	}
	want := map[string]int{"bbc": 79, "cnn": 50, "dailymail": 169, "latimes": 105, "nytimes": 23, "smh": 82, "wsj": 13}
	if len(items) != 521 || len(stories) != 480 || multi != 25 || !maps.Equal(outlets, want) {
		t.Errorf("got %d items, %d stories (%d of 2 or more), by outlet %v; want 521, 480 (25), %v as the labels' header says", len(items), len(stories), multi, outlets, want)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestStagedRefusesAMismatch: labels that do not fit the corpus fail the
// join with the line at fault, never label the wrong item.
func TestStagedRefusesAMismatch(t *testing.T) {
	row := func(feed, snapshot, title, link string) string {
		return fmt.Sprintf(`{"file": "news/series/%s/%s_9562ee23.xml", "title": %q, "summary": "", "link": %q, "guid": %q, "published": "Mon, 20 Apr 2020 21:37:00 GMT"}`,
			feed, snapshot, title, link, link)
	}
	jsonl := strings.Join([]string{
		row("bbc", "2020-04-20T004301Z", "Yesterday's item", "https://x/0"),
		row("bbc", "2020-04-21T004301Z", "Oil below zero", "https://x/1"),
		row("bbc", "2020-04-21T021409Z", "Oil below zero, retitled", "https://x/1"),
		row("cnn", "2020-04-21T004301Z", "Nova Scotia shooting", "https://x/1"),
	}, "\n") + "\n"
	label := func(line int, title, story string) string {
		return fmt.Sprintf("%d\t%s\t%s\n", line, TitleHash(title), story)
	}
	both := label(2, "Oil below zero", "oil") + label(4, "Nova Scotia shooting", "ns")
	cases := []struct {
		name, labels, want string // want: in the error; "" for none
	}{
		{"as labelled", "# header\n" + both, ""},
		{"a title changed", label(2, "Oil below nil", "oil") + label(4, "Nova Scotia shooting", "ns"), "line 2: title \"Oil below zero\" hashes to"},
		{"an item unlabelled", label(2, "Oil below zero", "oil"), "line 4 (cnn \"Nova Scotia shooting\") has no label"},
		{"a later snapshot's line labelled", both + label(3, "Oil below zero, retitled", "oil"), "label of line 3: no distinct item"},
		{"another day's line labelled", both + label(1, "Yesterday's item", "y"), "label of line 1: no distinct item"},
		{"a line labelled twice", both + label(2, "Oil below zero", "oil"), "jsonl line 2 labelled twice"},
		{"a line without its story", both + "5\tabcdef01\n", "labels line 3: \"5\\tabcdef01\""},
	}
	for _, c := range cases {
		items, err := joinStaged(strings.NewReader(jsonl), c.labels)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v, want no error", c.name, err)
		case c.want == "" && (len(items) != 2 || items[0].Story != "oil" || items[1].Story != "ns" || items[1].Outlet != "cnn"):
			t.Errorf("%s: got %+v, want line 2 as oil and line 4 as ns (cnn)", c.name, items)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: got error %v, want one saying %q", c.name, err, c.want)
		}
	}
}
