package filters

import (
	"strconv"
	"strings"
	"testing"
)

// tokenString renders tokens compactly: text@pos, with +w for joined forms.
func tokenString(toks []Token) string {
	var b strings.Builder
	for i, t := range toks {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.Text)
		b.WriteByte('@')
		b.WriteString(strconv.Itoa(t.Pos))
		if t.Width > 1 {
			b.WriteString("+" + strconv.Itoa(t.Width))
		}
	}
	return b.String()
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"simple words", "Aleppo ceasefire talks", "aleppo@0 ceasefire@1 talks@2"},
		{"accents removed", "Zürich Ärger café", "zurich@0 arger@1 cafe@2"},
		{"decomposed accent", "Zu\u0308rich", "zurich@0"},
		{"arabic", "حلب", "حلب@0"},
		{"arabic harakat", "حَلَب", "حلب@0"},
		{"possessive", "Assad's forces", "assad@0 forces@1"},
		{"curly possessive", "Assad\u2019s forces", "assad@0 forces@1"},
		{"entity possessive", "Assad&#039;s forces", "assad@0 forces@1"},
		{"hyphen", "a cease-fire holds", "a@0 cease@1 fire@2 ceasefire@1+2 holds@3"},
		{"apostrophe join", "O'Brien said", "o@0 brien@1 obrien@0+2 said@2"},
		{"dangling hyphen", "pre- and post-war", "pre@0 and@1 post@2 war@3 postwar@2+2"},
		{"double hyphen is a separator", "yes--no", "yes@0 no@1"},
		{"numbers", "In 2016, 1,000 died", "in@0 2016@1 1@2 000@3 died@4"},
		{"html stripped", "<p>Aleppo <b>truce</b></p>", "aleppo@0 truce@1"},
		{"tag splits words", "Ale<br/>ppo", "ale@0 ppo@1"},
		{"less-than is text", "a < b", "a@0 b@1"},
		{"entities", "Tom &amp; Jerry &eacute;t&eacute;", "tom@0 jerry@1 ete@2"},
		{"unknown entity kept", "&bogus; word", "bogus@0 word@1"},
		{"fold sharp s", "Straße", "strasse@0"},
		{"fullwidth", "ＡＢＣ１２", "abc12@0"},
		{"ligature", "ﬁnance", "finance@0"},
		{"han unigrams", "北京市", "北@0 京@1 市@2"},
		{"dotted capital I", "İstanbul", "istanbul@0"},
		{"greek", "ΑΘΗΝΑ Αθήνα", "αθηνα@0 αθηνα@1"},
		{"cyrillic", "Москва", "москва@0"},
		{"empty", "", ""},
		{"punctuation only", "!!! ... ---", ""},
		{"us and bus", "US bus", "us@0 bus@1"},
		{"nbsp separates", "a\u00a0b", "a@0 b@1"},
		{"possessive plural keeps word", "the Smiths' house", "the@0 smiths@1 house@2"},
		{"trailing apostrophe s alone", "'s", "s@0"},
		{"acronym", "the U.S. economy", "the@0 u@1 s@2 us@1+2 economy@3"},
		{"acronym then hyphen", "U.S.-led", "u@0 s@1 us@0+2 led@2"},
		{"decimal is not an acronym", "3.5 percent", "3@0 5@1 percent@2"},
		{"initial before name", "J.Smith", "j@0 smith@1"},
		{"sentence end", "end.Next", "end@0 next@1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tokenString(Normalize(tc.in))
			if got != tc.want {
				t.Errorf("Normalize(%q)\n got %s\nwant %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestNormalizeOffsets(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // the original text of each token
	}{
		{"ascii", "Kerry meets Lavrov", []string{"Kerry", "meets", "Lavrov"}},
		{"possessive span excludes 's", "Assad's", []string{"Assad"}},
		{"hyphen parts and joined", "cease-fire", []string{"cease", "fire", "cease-fire"}},
		{"entity inside word", "Z&uuml;rich", []string{"Z&uuml;rich"}},
		{"multibyte", "à Zürich", []string{"à", "Zürich"}},
		{"inside html", "<i>Aleppo</i>", []string{"Aleppo"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			toks := Normalize(tc.in)
			var got []string
			for _, tk := range toks {
				got = append(got, tc.in[tk.Start:tk.End])
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("spans of %q: got %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestNormalizeSoftHyphen: a soft hyphen (U+00AD, "&shy;") is invisible, a
// place where a long word may break; German and Dutch feeds put it inside
// words. It was a separator, so "bundesregierung" missed "Bundes&shy;regierung".
func TestNormalizeSoftHyphen(t *testing.T) {
	tests := []struct {
		name, in, want string
		span           string // the original text of the first token
	}{
		{"inside a word", "Die Bundes\u00adregierung", "die@0 bundesregierung@1", "Die"},
		{"entity inside a word", "Bundes&shy;regierung", "bundesregierung@0", "Bundes&shy;regierung"},
		{"several", "Bun\u00addes\u00adre\u00adgie\u00adrung", "bundesregierung@0", "Bun\u00addes\u00adre\u00adgie\u00adrung"},
		{"accented word", "Zü\u00adrich", "zurich@0", "Zü\u00adrich"},
		{"with a hyphen", "Covid\u00ad-19", "covid@0 19@1 covid19@0+2", "Covid\u00ad"},
		{"alone", "a \u00ad b", "a@0 b@1", "a"},
		{"leading", "\u00adword", "word@0", "word"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			toks := Normalize(tc.in)
			if got := tokenString(toks); got != tc.want {
				t.Errorf("Normalize(%q)\n got %s\nwant %s", tc.in, got, tc.want)
			}
			if len(toks) > 0 && tc.in[toks[0].Start:toks[0].End] != tc.span {
				t.Errorf("first token's span %q, want %q", tc.in[toks[0].Start:toks[0].End], tc.span)
			}
		})
	}
	q, err := Parse("bundesregierung", nil)
	if err != nil {
		t.Fatal(err)
	}
	doc := Document{Title: "Die Bundes&shy;regierung"}
	hits, ok := q.Match(&doc)
	if got := strings.Join(MatchedWords(&doc, hits), "|"); !ok || got != "Bundes&shy;regierung" {
		t.Errorf("bundesregierung in %q: matched %v, words %q", doc.Title, ok, got)
	}
}

// TestNormalizeStrokeAndTatweel: a letter with a stroke (ł, ø, đ, ı) has no
// decomposition, so "lodz" missed "Łódź" although the query language is
// accent-insensitive; the Arabic tatweel (a letter-stretching stroke in
// headlines) kept "غـزة" from matching "غزة".
func TestNormalizeStrokeAndTatweel(t *testing.T) {
	tests := []struct{ query, title string }{
		{"lodz", "Protest in Łódź"},
		{"walesa", "Lech Wałęsa"},
		{"kobenhavn", "KØBENHAVN"},
		{"kobenhavn", "København"},
		{"djokovic", "Djokovic"},
		{"dokovic", "Novak Đoković"},
		{"diyarbakir", "Diyarbakır"},
		{"diyarbakir", "DİYARBAKIR"},
		{"Łódź", "Lodz"},
		{"غزة", "قصف غـزة"},
		{"غـزة", "قصف غزة"},
	}
	matchTitles(t, tests)
}

// TestNormalizeApostropheLookalikes: the modifier letter apostrophe
// (U+02BC, Ukrainian's official apostrophe and what some keyboards type),
// the ʻokina (U+02BB) and an acute accent typed for an apostrophe (U+00B4)
// are letters or symbols to Unicode, so "Germanyʼs" was one word that
// "germany" did not match, and a phrase missed "Germany´s economy".
func TestNormalizeApostropheLookalikes(t *testing.T) {
	tests := []struct{ query, title string }{
		{"germany", "Germanyʼs exports fall"},
		{`"germany's exports"`, "Germanyʼs exports fall"},
		{`"germany's exports"`, "Germany´s exports fall"},
		{"hawaii", "Volcano erupts on Hawaiʻi"},
		{"п'ять", "пʼять областей без світла"},
		{"пʼять", "п'ять областей без світла"},
		{"obrien", "Oʼbrien resigns"},
	}
	matchTitles(t, tests)
}

// matchTitles checks that each query matches its title.
func matchTitles(t *testing.T, tests []struct{ query, title string }) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.query+" in "+tc.title, func(t *testing.T) {
			q, err := Parse(tc.query, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := q.Match(&Document{Title: tc.title}); !ok {
				t.Errorf("%q does not match %q (%s)", tc.query, tc.title, tokenString(Normalize(tc.title)))
			}
		})
	}
}
