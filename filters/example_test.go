package filters_test

import (
	"fmt"

	"github.com/newshound/newshound/filters"
)

func ExampleSet() {
	set := filters.NewSet(map[string]string{"syria": "aleppo OR halab OR حلب"})
	for id, query := range map[string]string{
		"truce":  `@syria (ceasefire OR truce OR "cessation of hostilities") -football`,
		"envoys": `kerry NEAR/5 lavrov`,
	} {
		if err := set.Add(id, query); err != nil {
			fmt.Println(err)
		}
	}
	doc := &filters.Document{
		Title:   "Kerry and Lavrov agree Aleppo cease-fire",
		Summary: "The truce starts at dawn, officials said.",
	}
	for _, m := range set.Match(doc) {
		fmt.Println(m.ID, filters.MatchedWords(doc, m.Hits))
	}
	// Output:
	// envoys [Kerry Lavrov]
	// truce [Aleppo cease-fire truce]
}

func ExampleParseError() {
	_, err := filters.Parse(`aleppo (ceasefire OR truce`, nil)
	if pe, ok := err.(*filters.ParseError); ok {
		fmt.Println(pe)
		fmt.Println(pe.Caret())
	}
	// Output:
	// query:27: expected ')' to close '(' at 8, found end of query
	// aleppo (ceasefire OR truce
	//                           ^
}

func ExampleHints() {
	for _, h := range filters.Hints("ukraine or gaza") {
		fmt.Println(h)
		fmt.Println(h.Caret())
	}
	// Output:
	// query:9: "or" is searched for as a word (only capital OR is an operator): did you mean OR?
	// ukraine or gaza
	//         ^
}
