package filters

import "testing"

// TestMatchFoldsLetters: a query matches across the letters that have a
// usual spelling of two Latin letters or of another letter (æ as ae, œ
// as oe, þ as th, ð as d; ß as ss, ø as o, ł as l and đ as d already),
// either way round, in words, phrases and prefixes, alone and in a Set.
// Normalize, whose words alert/story and alert's duplicate check keep in
// the store (text signatures, fingerprints, headline keys), is unchanged,
// so an upgrade changes none of them.
func TestMatchFoldsLetters(t *testing.T) {
	tests := []struct {
		name, query, title string
	}{
		{"ae in text", "caesar", "Cæsar salad"},
		{"ae in query", "cæsar", "Caesar salad"},
		{"capital AE", "aegir", "ÆGIR shipping"},
		{"oe", "oeuvre", "Chef-d'œuvre"},
		{"capital OE", "oeuvre", "Œuvre complète"},
		{"thorn", "thor", "Þór wins"},
		{"capital thorn", "thorsson", "ÞORSSON"},
		{"eth", "gudmundsson", "Guðmundsson scores"},
		{"sharp s", "strasse", "Straße closed"},
		{"o with stroke", "kobenhavn", "København"},
		{"l with stroke", "lodz", "Łódź"},
		{"d with stroke", "dakovic", "Đaković"},
		{"phrase", `"faeroe islands"`, "Færøe Islands vote"},
		{"prefix", "encycl*", "Encyclopædia Britannica"},
		{"prefix folded", "caes*", "Cæsarean"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := &Document{Title: tc.title}
			q, err := Parse(tc.query, nil)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.query, err)
			}
			if _, ok := q.Match(doc); !ok {
				t.Errorf("Parse(%q).Match(%q): no match, want one", tc.query, tc.title)
			}
			set := NewSet(nil)
			if err := set.Add("q", tc.query); err != nil {
				t.Fatal(err)
			}
			if got := set.Match(doc); len(got) != 1 {
				t.Errorf("Set of %q, Match(%q): got %d matches, want 1", tc.query, tc.title, len(got))
			}
		})
	}
	for _, tc := range []struct{ in, want string }{
		{"Cæsar", "cæsar@0"}, {"œuvre", "œuvre@0"}, {"Þór", "þor@0"}, {"Guðmundsson", "guðmundsson@0"},
	} {
		if got := tokenString(Normalize(tc.in)); got != tc.want {
			t.Errorf("Normalize(%q): got %s, want %s (unchanged: its words are stored)", tc.in, got, tc.want)
		}
	}
}
