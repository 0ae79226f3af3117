package filters

import "testing"

// TestNormal: two spellings of one query have one normal form, and two
// queries with one normal form match the same documents; queries that
// match differently have different forms.
func TestNormal(t *testing.T) {
	defines := map[string]string{"syria": "aleppo OR idlib"}
	docs := []Document{
		{Title: "Aleppo truce holds"},
		{Title: "Idlib shelled", Summary: "no truce"},
		{Title: "Truce talks", Summary: "in Aleppo"},
		{Title: "The cease-fire in Aleppo holds"},
		{Title: "Aleppo: a ceasefire, then a truce"},
		{Title: "Zürich", Author: "Aleppo Desk"},
		{Title: "truce near Aleppo"},
	}
	tests := []struct {
		name, a, b string
		same       bool
	}{
		{"spacing", "aleppo  truce", "aleppo truce", true},
		{"OR's operands", "aleppo OR idlib", "idlib OR aleppo", true},
		{"AND written out", "aleppo truce", "truce AND aleppo", true},
		{"case and accents", "Zürich OR ALEPPO", "aleppo OR zurich", true},
		{"regrouped", "aleppo AND (truce OR ceasefire)", "(ceasefire OR truce) aleppo", true},
		{"OR of ORs", "(aleppo OR idlib) OR truce", "truce OR (idlib OR aleppo)", true},
		{"AND of ANDs through a field", "title:(aleppo truce) holds", "title:aleppo holds title:truce", true},
		{"a repeat", "aleppo OR aleppo OR idlib", "idlib OR aleppo", true},
		{"a define", "@syria truce", "truce (idlib OR aleppo)", true},
		{"a define's OR merged", "@syria OR homs", "aleppo OR homs OR idlib", true},
		{"NEAR's sides", "aleppo NEAR/3 truce", "truce NEAR/3 aleppo", true},
		{"a quoted word", `"aleppo"`, "aleppo", true},
		{"ONEAR's sides", "aleppo ONEAR/3 truce", "truce ONEAR/3 aleppo", false},
		{"NEAR's distance", "aleppo NEAR/3 truce", "aleppo NEAR/4 truce", false},
		{"a field", "title:aleppo", "aleppo", false},
		{"another field", "title:aleppo", "author:aleppo", false},
		{"NOT's side", "aleppo NOT truce", "truce NOT aleppo", false},
		{"AND against OR", "aleppo truce", "aleppo OR truce", false},
		{"a phrase against its words", `"aleppo truce"`, "aleppo truce", false},
		{"a phrase's order", `"aleppo truce"`, `"truce aleppo"`, false},
		{"a hyphenated word against a phrase", "cease-fire", `"cease fire"`, false},
		{"a prefix against its word", "alep*", "alep", false},
		{"a regular expression's case", "/Aleppo/", "/aleppo/", false},
		{"a regular expression against a word", "/aleppo/", "aleppo", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse(tt.a, defines)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Parse(tt.b, defines)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Normal() == b.Normal(); got != tt.same {
				t.Fatalf("Normal(%q) = %s\nNormal(%q) = %s\nequal %v, want %v", tt.a, a.Normal(), tt.b, b.Normal(), got, tt.same)
			}
			if !tt.same {
				return
			}
			for _, d := range docs {
				_, okA := a.Match(&d)
				_, okB := b.Match(&d)
				if okA != okB {
					t.Errorf("one normal form, but on %+v %q matches %v and %q %v", d, tt.a, okA, tt.b, okB)
				}
			}
		})
	}
}
