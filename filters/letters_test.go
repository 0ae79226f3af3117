package filters

import "testing"

// TestMatchFoldsLetters: a query matches across the letters that have a
// usual spelling of two Latin letters or of another letter (æ as ae, œ
// as oe, þ as th, ð as d; ß as ss, ø as o, ł as l and đ as d already),
// either way round, in words, phrases and prefixes, alone and in a Set;
// and across accents (Alép, Zürich, Greek tonos, Russian stress marks,
// ё, which Russian mostly writes е), but not across the marks that make
// another letter (apart): Japanese dakuten and handakuten (ガス, gas, is
// not カス, dregs; パン not ハン), the Cyrillic breve and diaeresis (мой
// is not мои, ў not у, ї not і) and the acute of Macedonian ѓ and ќ.
// Normalize, whose words alert/story and alert's duplicate check keep in
// the store (text signatures, fingerprints, headline keys), is unchanged,
// so an upgrade changes none of them.
func TestMatchFoldsLetters(t *testing.T) {
	tests := []struct {
		name, query, title string
		apart              bool
	}{
		{"ae in text", "caesar", "Cæsar salad", false},
		{"ae in query", "cæsar", "Caesar salad", false},
		{"capital AE", "aegir", "ÆGIR shipping", false},
		{"oe", "oeuvre", "Chef-d'œuvre", false},
		{"capital OE", "oeuvre", "Œuvre complète", false},
		{"thorn", "thor", "Þór wins", false},
		{"capital thorn", "thorsson", "ÞORSSON", false},
		{"eth", "gudmundsson", "Guðmundsson scores", false},
		{"sharp s", "strasse", "Straße closed", false},
		{"o with stroke", "kobenhavn", "København", false},
		{"l with stroke", "lodz", "Łódź", false},
		{"d with stroke", "dakovic", "Đaković", false},
		{"phrase", `"faeroe islands"`, "Færøe Islands vote", false},
		{"prefix", "encycl*", "Encyclopædia Britannica", false},
		{"prefix folded", "caes*", "Cæsarean", false},
		{"Latin acute", "alep", "Alép sous les bombes", false},
		{"Latin acute in query", "alép", "Alep under siege", false},
		{"umlaut", "zurich", "Zürich votes", false},
		{"Greek tonos", "αθηνα", "Αθήνα: απεργία", false},
		{"Russian stress mark", "замок", "За\u0301мок закрыт", false},
		{"yo folds to ye", "елка", "Ёлка на площади", false},
		{"ye matches yo", "ёлка", "Елка на площади", false},
		{"short i", "мой", "Мой город", false},
		{"short i is not i", "мой", "Мои города", true},
		{"i is not short i", "мои", "Мой город", true},
		{"Belarusian short u", "ўрад", "Урад", true},
		{"Ukrainian yi", "їжа", "Іжа", true},
		{"Macedonian gje", "ѓавол", "Гавол", true},
		{"dakuten", "ガス", "ガス料金が上がる", false},
		{"dakuten is not kana alone", "ガス", "カスタマー", true},
		{"kana alone is not dakuten", "カス", "ガス料金", true},
		{"handakuten", "パン", "ハンバーグ", true},
		{"handakuten is not dakuten", "パン", "バン", true},
		{"hiragana dakuten", "がす", "かす", true},
		{"half-width kana", "ガス", "ｶﾞｽ料金", false},
		{"decomposed kana", "ガス", "カ\u3099ス料金", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := &Document{Title: tc.title}
			q, err := Parse(tc.query, nil)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.query, err)
			}
			if _, ok := q.Match(doc); ok == tc.apart {
				t.Errorf("Parse(%q).Match(%q): got %v, want %v", tc.query, tc.title, ok, !tc.apart)
			}
			set := NewSet(nil)
			if err := set.Add("q", tc.query); err != nil {
				t.Fatal(err)
			}
			if got := len(set.Match(doc)) == 1; got == tc.apart {
				t.Errorf("Set of %q, Match(%q): got %v, want %v", tc.query, tc.title, got, !tc.apart)
			}
		})
	}
	for _, tc := range []struct{ in, want string }{
		{"Cæsar", "cæsar@0"}, {"œuvre", "œuvre@0"}, {"Þór", "þor@0"}, {"Guðmundsson", "guðmundsson@0"},
		{"ガス", "カ@0 ス@1"}, {"ｶﾞｽ", "カ@0 ス@1"}, {"мой", "мои@0"}, {"ёлка", "елка@0"},
	} {
		if got := tokenString(Normalize(tc.in)); got != tc.want {
			t.Errorf("Normalize(%q): got %s, want %s (unchanged: its words are stored)", tc.in, got, tc.want)
		}
	}
}
