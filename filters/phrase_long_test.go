package filters

import (
	"strings"
	"testing"
)

// hostilePhraseCases are a long phrase against an item repeating its
// words: tried from every start, each cost the phrase's length, and 2,000
// words against 100,000 ran past two minutes.
func hostilePhraseCases(phraseWords, itemWords int) []struct {
	name, query string
	doc         Document
	want        bool
} {
	xs := strings.Repeat("x ", phraseWords-1)
	item := strings.Repeat("x ", itemWords)
	half := strings.Repeat("x ", itemWords/2)
	// A phrase whose rarest word is as common as the others, and one
	// whose later words are all hyphenated, so not anchored: both almost
	// match from every start.
	xys := strings.Repeat("x y ", phraseWords/2)
	xyItem := strings.Repeat("x y ", itemWords/2)
	hyphens := strings.Repeat("x-y ", phraseWords/2)
	return []struct {
		name, query string
		doc         Document
		want        bool
	}{
		{"z at the end", `"` + xs + `z"`, Document{Title: item + "z"}, true},
		{"z in the middle", `"` + xs + `z"`, Document{Title: half + "z " + half}, true},
		{"z out of scope", `title:"` + xs + `z"`, Document{Title: item, Summary: "z"}, false},
		{"z elsewhere", `"` + xs + `z"`, Document{Title: item, Summary: "z"}, false},
		{"all x", `"` + xs + `x"`, Document{Title: item}, true},
		{"all x near", `"` + xs + `x" NEAR/3 x`, Document{Title: item}, true},
		{"x y, y nowhere", `"` + xys + `y"`, Document{Title: xyItem}, false},
		{"x y, y at the end", `"` + xys + `y"`, Document{Title: xyItem + "y"}, true},
		{"hyphenated, y nowhere", `"` + hyphens + `y"`, Document{Title: xyItem}, false},
		{"all hyphenated, never", `"` + hyphens + `x-x"`, Document{Title: xyItem}, false},
	}
}

// TestLongPhraseHostileItem: the cases above must end, alone and in a Set.
// The 10 s limit is for "unbounded": fixed, each takes milliseconds.
func TestLongPhraseHostileItem(t *testing.T) {
	for _, tt := range hostilePhraseCases(2000, 100000) {
		t.Run(tt.name, func(t *testing.T) {
			alone, inSet := matchBoth(t, tt.query, &tt.doc)
			if (alone != "-") != tt.want || (inSet != "-") != tt.want {
				t.Errorf("Query.Match %v, Set.Match %v; want %v", alone != "-", inSet != "-", tt.want)
			}
		})
	}
}

// BenchmarkPhrase measures long phrases against hostile items (sizes the
// old matching could still finish) and corpus phrases against their items.
//
//	go test ./filters/ -run '^$' -bench Phrase -benchmem
func BenchmarkPhrase(b *testing.B) {
	for _, tt := range hostilePhraseCases(200, 10000) {
		q, err := Parse(tt.query, nil)
		if err != nil {
			b.Fatal(err)
		}
		set := NewSet(nil)
		if err := set.Add("q", tt.query); err != nil {
			b.Fatal(err)
		}
		b.Run("hostile/"+strings.ReplaceAll(tt.name, " ", "-")+"/Query", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				q.Match(&tt.doc)
			}
		})
		b.Run("hostile/"+strings.ReplaceAll(tt.name, " ", "-")+"/Set", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				set.Match(&tt.doc)
			}
		})
	}
	docs := loadCorpus(b)
	set := NewSet(nil)
	for i, ph := range corpusPhrases(docs, 500) {
		if err := set.Add(ph, ph); err != nil {
			b.Fatal(i, err)
		}
	}
	b.Run("corpus/Set-500-phrases", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			set.Match(&docs[i%len(docs)])
		}
	})
}
