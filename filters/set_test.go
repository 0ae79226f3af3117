package filters

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestSetAddErrors(t *testing.T) {
	tests := []struct {
		name, query, want string
		parseErr          bool
	}{
		{"regex alone", `/\bUS\b/`, "query:1: the query needs a word, phrase, prefix or site: that every match contains; a regular expression or an exclusion cannot stand alone, since it would be tested on every item (add a word, e.g. `/\\bUS\\b/ election`)", true},
		{"or with a regex", `aleppo OR /\bUS\b/`, "query:11: the query needs a word, phrase, prefix or site: that every match contains, and /\\bUS\\b/, a side of OR, has none: " +
			"a regular expression or an exclusion cannot stand alone, since it would be tested on every item (add a word beside it: (/\\bUS\\b/ AND WORD))", true},
		{"or with a regex in a group", `(halab OR title:/x/) /z/`, "query:11: the query needs a word, phrase, prefix or site: that every match contains, and title:/x/, a side of OR, has none", true},
		{"exclusion alone", `-football`, "query:1: a query needs at least one word to look for", true},
		{"syntax", `aleppo (`, "query:9: expected a word, a phrase or '(' but found end of query", true},
		{"duplicate id", `aleppo`, `filters: duplicate query id "dup"`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSet(nil)
			if err := s.Add("dup", "existing"); err != nil {
				t.Fatal(err)
			}
			id := "new"
			if !tc.parseErr {
				id = "dup"
			}
			err := s.Add(id, tc.query)
			if err == nil {
				t.Fatalf("Add(%q): no error, want %s", tc.query, tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("Add(%q)\n got %s\nwant %s...", tc.query, err, tc.want)
			}
			var pe *ParseError
			if got := errors.As(err, &pe); got != tc.parseErr {
				t.Errorf("Add(%q): *ParseError %v, want %v", tc.query, got, tc.parseErr)
			}
			if s.Len() != 1 {
				t.Errorf("Len after a failed Add: got %d, want 1", s.Len())
			}
		})
	}
}

func TestSetMatchSortedByID(t *testing.T) {
	s := NewSet(nil)
	ids := []string{"zeta", "alpha", "mid", "beta"}
	for _, id := range ids {
		if err := s.Add(id, "aleppo"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Add("other", "mosul"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range s.Match(&Document{Title: "Aleppo"}) {
		got = append(got, m.ID)
	}
	want := slices.Sorted(slices.Values(ids))
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if s.Len() != 5 {
		t.Errorf("Len: got %d, want 5", s.Len())
	}
}

// TestSetConcurrentMatch runs one built Set from many goroutines; run it
// with -race.
func TestSetConcurrentMatch(t *testing.T) {
	s := NewSet(nil)
	for i, q := range []string{"aleppo", `"cease fire"`, "kerry NEAR/3 lavrov", "site:example.com", "zur*"} {
		if err := s.Add(fmt.Sprint(i), q); err != nil {
			t.Fatal(err)
		}
	}
	docs := []Document{
		{Title: "Aleppo cease fire", Link: "https://example.com/a"},
		{Title: "Kerry meets Lavrov in Zurich"},
		{Title: "Nothing here"},
	}
	want := make([][]Match, len(docs))
	for i := range docs {
		want[i] = s.Match(&docs[i])
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for n := 0; n < 200; n++ {
				i := (g + n) % len(docs)
				if got := s.Match(&docs[i]); !equalMatches(got, want[i]) {
					errs <- fmt.Sprintf("doc %d: got %v, want %v", i, got, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestMatchedWords(t *testing.T) {
	doc := &Document{
		Title:      "Aleppo: ALEPPO truce in Zürich",
		Summary:    "Zurich and aleppo",
		Categories: []string{"World", "Syria"},
	}
	tests := []struct {
		name string
		hits []Hit
		want []string
	}{
		{"dedupe by case", []Hit{{FieldTitle, 0, 0, 6}, {FieldTitle, 0, 8, 14}, {FieldSummary, 0, 11, 17}}, []string{"Aleppo"}},
		{"dedupe by accent", []Hit{{FieldTitle, 0, 24, 31}, {FieldSummary, 0, 0, 6}}, []string{"Zürich"}},
		{"category index", []Hit{{FieldCategory, 1, 0, 5}}, []string{"Syria"}},
		{"out of range skipped", []Hit{{FieldTitle, 0, 30, 99}, {FieldCategory, 5, 0, 1}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := MatchedWords(doc, tc.hits); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
