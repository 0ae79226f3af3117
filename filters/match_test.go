package filters

import (
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestQueryMatch(t *testing.T) {
	defines := map[string]string{
		"syria": `aleppo OR halab OR حلب`,
		"truce": `ceasefire OR truce OR "cessation of hostilities"`,
	}
	tests := []struct {
		name  string
		query string
		doc   Document
		want  string // matched words joined by "|", or "-" for no match
	}{
		{"ISIS not in crisis", "ISIS", Document{Title: "A crisis in the making"}, "-"},
		{"ISIS whole word", "ISIS", Document{Title: "Fighters loyal to ISIS retreat"}, "ISIS"},
		{"US not in bus", "US", Document{Title: "School bus crash"}, "-"},
		{"US is case-insensitive", "US", Document{Title: "us and them"}, "us"},
		{"regex keeps case", `/\bUS\b/ election`, Document{Title: "Let us hope the election is calm"}, "-"},
		{"regex matches case", `/\bUS\b/ election`, Document{Title: "US election day"}, "US|election"},
		{"apostrophe entity", "Assad", Document{Title: "Assad&#039;s forces advance"}, "Assad"},
		{"possessive", "assad forces", Document{Title: "Assad’s forces advance"}, "Assad|forces"},
		{"zurich accent", "zurich", Document{Title: "Banks in Zürich"}, "Zürich"},
		{"zurich query accent", "Zürich", Document{Title: "ZURICH stocks"}, "ZURICH"},
		{"arabic", "حلب", Document{Title: "قصف حلب"}, "حلب"},
		{"arabic harakat", "حلب", Document{Title: "قصف حَلَب"}, "حَلَب"},
		{"hyphen query matches joined", "cease-fire", Document{Title: "Ceasefire holds"}, "Ceasefire"},
		{"hyphen query matches spaced", "cease-fire", Document{Title: "The cease fire holds"}, "cease fire"},
		{"hyphen query matches hyphen", "cease-fire", Document{Title: "The cease-fire holds"}, "cease-fire"},
		{"joined query matches hyphen", "ceasefire", Document{Title: "The cease-fire holds"}, "cease-fire"},
		{"phrase over hyphen", `"the ceasefire holds"`, Document{Title: "The cease-fire holds"}, "The cease-fire holds"},
		{"phrase", `"cessation of hostilities"`, Document{Summary: "calls for a cessation of hostilities"}, "cessation of hostilities"},
		{"phrase order", `"cessation of hostilities"`, Document{Summary: "hostilities of cessation"}, "-"},
		{"implicit and across fields", "aleppo ceasefire", Document{Title: "Aleppo", Summary: "ceasefire"}, "Aleppo|ceasefire"},
		{"and missing", "aleppo ceasefire", Document{Title: "Aleppo shelled"}, "-"},
		{"or", "aleppo OR mosul", Document{Title: "Mosul offensive"}, "Mosul"},
		{"lowercase or is a word", "aleppo or mosul", Document{Title: "Mosul offensive"}, "-"},
		{"not", "kerry NOT lavrov", Document{Title: "Kerry meets Lavrov"}, "-"},
		{"minus", "kerry -lavrov", Document{Title: "Kerry speaks"}, "Kerry"},
		{"not no highlight", "kerry -lavrov", Document{Title: "Kerry speaks", Summary: "no Russian"}, "Kerry"},
		{"precedence and over or", "a1 OR b1 c1", Document{Title: "a1"}, "a1"},
		{"parentheses", "(a1 OR b1) c1", Document{Title: "a1"}, "-"},
		{"title field", "title:aleppo", Document{Summary: "aleppo"}, "-"},
		{"title field hit", "title:aleppo", Document{Title: "Aleppo"}, "Aleppo"},
		{"author field", "author:smith", Document{Title: "Smith", Author: "Jane Doe"}, "-"},
		{"author field hit", "author:smith", Document{Title: "x", Author: "Ann Smith"}, "Smith"},
		{"author not default", "smith", Document{Author: "Ann Smith"}, "-"},
		{"category default", "politics", Document{Categories: []string{"World", "Politics"}}, "Politics"},
		{"category field", "category:world", Document{Title: "world", Categories: []string{"Sport"}}, "-"},
		{"link field", "link:middleeast", Document{Link: "https://example.org/news/middleeast/1"}, "middleeast"},
		{"link field url", "link:https://example.org/news", Document{Link: "https://example.org/news/middleeast/1"}, "https://example.org/news"},
		{"time", "10:30", Document{Title: "Vote at 10:30 today"}, "10:30"},
		{"site", "site:bbc.co.uk syria", Document{Title: "Syria", Link: "https://www.bbc.co.uk/news/1"}, "Syria|www.bbc.co.uk"},
		{"site subdomain", "site:bbc.co.uk syria", Document{Title: "Syria", Link: "https://news.bbc.co.uk/1"}, "Syria|news.bbc.co.uk"},
		{"site not suffix", "site:bbc.co.uk syria", Document{Title: "Syria", Link: "https://notbbc.co.uk/1"}, "-"},
		{"feed field", "feed:reuters-world aleppo", Document{Title: "Aleppo", Feed: "reuters-world"}, "Aleppo|reuters-world"},
		{"prefix", "ceasefire*", Document{Title: "Ceasefires collapse"}, "Ceasefires"},
		{"prefix whole word", "cease*", Document{Title: "Cease-fire"}, "Cease-fire"},
		{"near", "aleppo NEAR/3 ceasefire", Document{Title: "Ceasefire in battered Aleppo"}, "Ceasefire|Aleppo"},
		{"near too far", "aleppo NEAR/2 ceasefire", Document{Title: "Ceasefire in battered Aleppo"}, "-"},
		{"onear order", "aleppo ONEAR/5 ceasefire", Document{Title: "Ceasefire in Aleppo"}, "-"},
		{"onear ok", "aleppo ONEAR/5 ceasefire", Document{Title: "Aleppo ceasefire"}, "Aleppo|ceasefire"},
		{"near not across fields", "aleppo NEAR/5 ceasefire", Document{Title: "Aleppo", Summary: "ceasefire"}, "-"},
		{"near or operand", "(aleppo OR halab) NEAR/2 truce", Document{Title: "Halab truce"}, "Halab|truce"},
		{"define", "@syria @truce", Document{Title: "Halab truce"}, "Halab|truce"},
		{"define field scope", "title:@syria", Document{Summary: "Aleppo"}, "-"},
		{"number", "2016", Document{Title: "The 2016 election"}, "2016"},
		{"number whole", "2016", Document{Title: "The 20160 code"}, "-"},
		{"html in field", "truce", Document{Summary: "<p>A <b>truce</b></p>"}, "truce"},
		{"hyphen word parts", "fire", Document{Title: "cease-fire"}, "fire"},
		{"inner field wins", "title:(aleppo OR summary:truce)", Document{Summary: "truce"}, "truce"},
		{"outer field applies", "title:(aleppo OR truce)", Document{Summary: "truce"}, "-"},
		{"near adjacent is 1", "kerry NEAR/1 lavrov", Document{Title: "Lavrov Kerry"}, "Lavrov|Kerry"},
		{"near 1 with a word between", "kerry NEAR/1 lavrov", Document{Title: "Kerry and Lavrov"}, "-"},
		{"onear phrase", `"security council" ONEAR/2 vote`, Document{Title: "Security Council to vote"}, "Security Council|vote"},
		{"near over joined word", "cease-fire NEAR/1 holds", Document{Title: "Ceasefire holds"}, "Ceasefire|holds"},
		{"acronym query", "U.S.", Document{Title: "US troops"}, "US"},
		{"acronym text", "us", Document{Title: "U.S. troops"}, "U.S"},
		{"category phrase stays in one category", `"middle east"`, Document{Categories: []string{"Middle", "East"}}, "-"},
		{"regex field", `title:/Kerry|Lavrov/ talks`, Document{Title: "Lavrov", Summary: "talks"}, "Lavrov|talks"},
		{"regex scoped miss", `title:/Kerry/ talks`, Document{Summary: "Kerry talks"}, "-"},
		{"regex runs on across lines", `aleppo /ceasefire.*Aleppo/`, Document{Summary: "The ceasefire holds\nAid reached Aleppo"}, "ceasefire holds Aid reached Aleppo"},
		{"regex over a line break", `aid /said Aid/`, Document{Summary: "officials said\nAid convoys"}, "said Aid"},
		{"regex anchors the field, not a line", `aid /^Aid/`, Document{Summary: "officials said\nAid convoys"}, "-"},
		{"phrase over a line break, a word of one line", `"said aid"`, Document{Summary: "officials said\nAid convoys"}, "said Aid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, err := Parse(tc.query, defines)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.query, err)
			}
			hits, ok := q.Match(&tc.doc)
			got := "-"
			if ok {
				got = strings.Join(MatchedWords(&tc.doc, hits), "|")
			}
			if got != tc.want {
				t.Errorf("%q on %+v: got %q, want %q (hits %v)", tc.query, tc.doc, got, tc.want, hits)
			}
			set := NewSet(defines)
			if err := set.Add("q", tc.query); err != nil {
				t.Fatalf("Set.Add(%q): %v", tc.query, err)
			}
			var setHits []Hit
			if ms := set.Match(&tc.doc); len(ms) == 1 {
				setHits = ms[0].Hits
			}
			if !slices.Equal(setHits, hits) {
				t.Errorf("%q: Set hits %v, Query hits %v", tc.query, setHits, hits)
			}
		})
	}
}

// TestHostileItem matches queries whose cost grows with repeated words
// against an item that repeats one word many times: it must finish (the
// test timeout is the bound) and still find the matches.
func TestHostileItem(t *testing.T) {
	doc := &Document{Content: strings.Repeat("war ", 20000) + "peace"}
	for _, query := range []string{
		"war NEAR/20 war NEAR/20 war",
		"(war OR peace) NEAR/20 (war OR peace) NEAR/3 war",
		`"war war war war war war war war"`,
		"war ONEAR/1 peace",
	} {
		t.Run(query, func(t *testing.T) {
			set := NewSet(nil)
			if err := set.Add("q", query); err != nil {
				t.Fatal(err)
			}
			if got := set.Match(doc); len(got) != 1 {
				t.Errorf("Set: got %d matches, want 1", len(got))
			}
			q, err := Parse(query, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := q.Match(doc); !ok {
				t.Errorf("Query: no match, want one")
			}
		})
	}
}

// TestHostileQueryMemoryIsBounded: a short query repeating a word kept,
// in collect mode, every place of the word once per repeat. Against a
// long item that was 2 GB and 10 s for "a a a …" (100 times, 200 bytes)
// on 50,000 words; each word, prefix or regex now highlights at most
// maxSpans places and a match at most maxHits, so the memory is bounded
// by those and the item, not by their product with the query. A NEAR
// nested in another holds at most maxSpans spans per level, not a word's
// every place.
func TestHostileQueryMemoryIsBounded(t *testing.T) {
	item := &Document{Title: strings.Repeat("war ", 20000) + "peace"}
	repeat := func(s string) string { return strings.Repeat(s, 40) }
	tests := []struct {
		name  string
		query string
	}{
		{"a word repeated", repeat("war ") + "peace"},
		{"an OR of a word repeated", "peace" + repeat(" OR war")},
		{"a prefix repeated", repeat("war* ") + "peace"},
		{"a regex repeated", repeat(`/war/ `) + "peace"},
		{"a regex repeated past the bound", strings.Repeat(`/w/ `, 330) + "peace"},
		{"repeated in a Set's simple form", "war OR war OR war OR war"},
		{"NEAR nested 49 deep", strings.Repeat("(war NEAR/1 ", 49) + "peace" + strings.Repeat(")", 49)},
	}
	const maxAlloc = 16 << 20 // the item's tokens take about 1 MB
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Parse(tt.query, nil)
			if err != nil {
				t.Fatal(err)
			}
			set := NewSet(nil)
			if err := set.Add("q", tt.query); err != nil {
				t.Fatal(err)
			}
			var alone, inSet []Hit
			allocAlone := allocated(func() { alone, _ = q.Match(item) })
			allocSet := allocated(func() {
				if m := set.Match(item); len(m) == 1 {
					inSet = m[0].Hits
				}
			})
			// regexp keeps its machines in a sync.Pool, which the race
			// detector empties at random: a regex's then are not the query's.
			poolEmptied := raceDetector && hasRegex(q.root)
			if !poolEmptied && (allocAlone > maxAlloc || allocSet > maxAlloc) {
				t.Errorf("matching allocated %d MB alone, %d MB in a Set; want at most %d MB", allocAlone>>20, allocSet>>20, maxAlloc>>20)
			}
			if len(alone) == 0 || len(alone) > maxHits || !slices.Equal(alone, inSet) {
				t.Errorf("got %d hits alone, %d in a Set; want the same, 1 to %d", len(alone), len(inSet), maxHits)
			}
		})
	}
}

// allocated returns the bytes fn allocates (the package's tests do not
// run in parallel).
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
