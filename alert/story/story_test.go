package story

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2016, 9, 12, 8, 0, 0, 0, time.UTC)

// report is one invented item: a feed's headline and lead.
type report struct {
	title, lead string
}

// groupAll runs reports through a fresh index a minute apart and returns
// the story each joined (the index of the report that opened it).
func groupAll(reports []report) []string {
	idx := NewIndex(Options{})
	stories := make([]string, len(reports))
	for i, r := range reports {
		stories[i], _, _ = idx.Group(fmt.Sprint(i), Make(r.title, r.lead), t0.Add(time.Duration(i)*time.Minute))
	}
	return stories
}

const wireLead = `BEIRUT (Reuters) — Russia and the United States agreed on Friday to a new cessation of hostilities in Syria starting at sundown on Monday, Secretary of State John Kerry said after talks with Foreign Minister Sergei Lavrov in Geneva that ran late into the night. The plan would let aid reach the besieged eastern districts of Aleppo and would lead to joint strikes against the Nusra Front if the truce holds for a week.`

func TestGroupInventedCases(t *testing.T) {
	tests := []struct {
		name    string
		reports []report
		want    []string // the story of each report, by the report that opened it
	}{
		{
			name: "one wire text under five outlets' headlines",
			reports: []report{
				{"Kerry, Lavrov agree Syria truce from Monday - Reuters", wireLead},
				{"U.S. and Russia strike deal on Syria ceasefire | AP", "By Jane Doe, Associated Press\n" + wireLead},
				{"Breakthrough in Geneva: a cessation of hostilities for Syria (AFP)", wireLead + " Advertisement"},
				{"Syria: what the new truce means for Aleppo", "Russia and the United States agreed on Friday to a new cessation of hostilities in Syria starting at sundown on Monday, Secretary of State John Kerry said after talks with Foreign Minister Sergei Lavrov in Geneva that ran late into the night. The plan would let aid reach the besieged eastern districts of Aleppo."},
				{"Diplomats reach late-night accord", "Russia and the United States agreed on Friday to a new cessation of hostilities in Syria starting at sundown on Monday, Secretary of State John Kerry said after talks with Foreign Minister Sergei Lavrov in Geneva that ran late into the night."},
			},
			want: []string{"0", "0", "0", "0", "0"},
		},
		{
			name: "U.S. and US, & and and",
			reports: []report{
				{"U.S. envoy meets Taliban negotiators in Doha", ""},
				{"US envoy meets Taliban negotiators in Doha", ""},
				{"Johnson & Johnson recalls baby powder batch", ""},
				{"Johnson and Johnson recalls baby powder batch", ""},
			},
			want: []string{"0", "0", "2", "2"},
		},
		{
			name: "dated live-blog titles of two days",
			reports: []report{
				{"Markets: as it happened - March 10, 2014", ""},
				{"Markets: as it happened - March 11, 2014", ""},
				{"Syria live updates, 11 September", ""},
				{"Syria live updates, 12 September", ""},
			},
			want: []string{"0", "1", "2", "3"},
		},
		{
			name: "generic titles",
			reports: []report{
				{"Live updates", ""},
				{"Live updates", ""},
				{"Top stories", ""},
				{"Top Stories - BBC News", ""},
				{"Business Highlights", ""},
				{"Business Highlights", ""},
				{"Share this on:", ""},
				{"News in Pictures - 10 March, 2014", ""},
				{"News in Pictures - 11 March, 2014", ""},
			},
			want: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8"},
		},
		{
			name: "two stories sharing words, same place, same day",
			reports: []report{
				{"Aleppo hospital hit by airstrikes", "Warplanes struck the M10 hospital in eastern Aleppo on Monday, killing two nurses and putting the last trauma unit of the besieged districts out of service, doctors said."},
				{"Aleppo hospital staff go unpaid", "Doctors and nurses at the university hospital in government-held western Aleppo have not been paid for three months, the health ministry admitted on Monday, blaming sanctions."},
				{"Airstrikes knock out Aleppo trauma hospital", "Warplanes struck the M10 hospital in eastern Aleppo on Monday, killing two nurses and putting the last trauma unit of the besieged districts out of service, doctors said."},
			},
			want: []string{"0", "1", "0"},
		},
		{
			name: "a rewrite sharing the names",
			reports: []report{
				{"Fed's Plosser says weather, not weakness, slowed hiring", ""},
				{"Plosser: harsh weather behind slow hiring, Fed should keep tapering", ""},
			},
			want: []string{"0", "0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := groupAll(tt.reports)
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("report %d %q: story %s, want %s (all: got %v, want %v)", i, tt.reports[i].title, got[i], tt.want[i], got, tt.want)
				}
			}
		})
	}
}

func TestMakeNormalizes(t *testing.T) {
	tests := []struct {
		name string
		a, b string // titles with the same fingerprint
	}{
		{"U.S. is US", "U.S. troops leave base", "US troops leave base"},
		{"U.S. is US in shingles", "The U.S. and Russia agreed on Friday to a new truce in Syria from sundown on Monday, officials said", "The US and Russia agreed on Friday to a new truce in Syria from sundown on Monday, officials said"},
		{"hyphen joins", "Cease-fire holds in Aleppo", "Ceasefire holds in Aleppo"},
		{"outlet credit", "Ceasefire holds in Aleppo - Reuters", "Ceasefire holds in Aleppo | Al Jazeera English"},
		{"parenthesized credit", "Ceasefire holds in Aleppo (AP)", "Ceasefire holds in Aleppo"},
		{"wire slug", "UPDATE 2-Ceasefire holds in Aleppo", "Ceasefire holds in Aleppo"},
		{"dates and generic words", "Live: ceasefire holds in Aleppo on Monday, March 10", "Ceasefire holds in Aleppo"},
		{"stemming", "ECB sterilisation continues", "ECB sterilization continued"},
		{"case and accents", "ZÜRICH BANKS", "Zurich banks"},
		// long enough for a MinHash signature, whose shingles include "and"
		{"ampersand", "Johnson & Johnson recalls a batch of baby powder in Texas and Ohio after a lab found traces of asbestos", "Johnson and Johnson recalls a batch of baby powder in Texas and Ohio after a lab found traces of asbestos"},
		{"ampersand entity", "Johnson &amp; Johnson recalls a batch of baby powder in Texas and Ohio after a lab found traces of asbestos", "Johnson and Johnson recalls a batch of baby powder in Texas and Ohio after a lab found traces of asbestos"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := Make(tt.a, ""), Make(tt.b, "")
			if !a.Equal(b) {
				t.Errorf("Make(%q) = %v, Make(%q) = %v, want equal", tt.a, a, tt.b, b)
			}
			if a.IsZero() {
				t.Errorf("Make(%q) is empty", tt.a)
			}
		})
	}
}

func TestAmpersandInsideWordsStays(t *testing.T) {
	for _, title := range []string{"AT&T buys DirecTV", "S&P 500 slips"} {
		if got, want := textTokens(title), textTokens(strings.ReplaceAll(title, "&", " and ")); slices.Equal(got, want) {
			t.Errorf("textTokens(%q) = %q, the same as with \"and\"", title, got)
		}
	}
}

func TestTrailingDateIsNotACredit(t *testing.T) {
	if got, want := cleanTitle("Markets: as it happened - March 11, 2014"), "Markets: as it happened - March 11, 2014"; got != want {
		t.Errorf("cleanTitle = %q, want %q", got, want)
	}
	if got, want := cleanTitle("Aleppo truce holds - Reuters"), "Aleppo truce holds"; got != want {
		t.Errorf("cleanTitle = %q, want %q", got, want)
	}
}

func TestGenericTitlesHaveNoWords(t *testing.T) {
	for _, title := range []string{"Live updates", "Top stories", "Business Highlights", "Markets: as it happened - March 11, 2014", "What's happening today", "Share this on:"} {
		if tw, lw := Make(title, "").Words(); tw+lw != 0 {
			t.Errorf("Make(%q) has %d words, want 0", title, tw+lw)
		}
	}
}

func TestGroupedItemsAreCandidates(t *testing.T) {
	// C shares nothing with A, only with B, which joined A's story: C
	// joins it too.
	idx := NewIndex(Options{})
	for i, s := range []struct{ id, title, want string }{
		{"A", "Sbarro files for bankruptcy again", "A"},
		{"B", "Pizza chain Sbarro files for bankruptcy protection again", "A"},
		{"C", "Pizza chain seeks court protection", "A"},
	} {
		got, _, _ := idx.Group(s.id, Make(s.title, ""), t0.Add(time.Duration(i)*time.Minute))
		if got != s.want {
			t.Errorf("%s %q: story %s, want %s", s.id, s.title, got, s.want)
		}
	}
}

func TestWindowEvicts(t *testing.T) {
	idx := NewIndex(Options{Window: 2 * time.Hour})
	fp := Make("Sbarro files for bankruptcy again", "")
	idx.Add("A", "A", fp, t0)
	if _, _, ok := idx.Best(fp, t0.Add(119*time.Minute)); !ok {
		t.Fatalf("an item 119 min old in a 2 h window did not match")
	}
	if got, _, ok := idx.Best(fp, t0.Add(121*time.Minute)); ok {
		t.Errorf("an item 121 min old in a 2 h window matched story %s", got)
	}
	if n := idx.Len(); n != 0 {
		t.Errorf("Len after the window = %d, want 0", n)
	}
	if len(idx.postings)+len(idx.bands)+len(idx.storyNums)+len(idx.storyRefs) != 0 {
		t.Errorf("maps not empty after eviction: postings %d bands %d stories %d/%d",
			len(idx.postings), len(idx.bands), len(idx.storyNums), len(idx.storyRefs))
	}
}

func TestDefaultWindowIs48h(t *testing.T) {
	idx := NewIndex(Options{})
	fp := Make("Sbarro files for bankruptcy again", "")
	idx.Add("A", "A", fp, t0)
	if _, _, ok := idx.Best(fp, t0.Add(47*time.Hour)); !ok {
		t.Errorf("not matched after 47 h")
	}
	if _, _, ok := idx.Best(fp, t0.Add(49*time.Hour)); ok {
		t.Errorf("matched after 49 h")
	}
}

// TestRestoreFromRows rebuilds an index from the rows a store would keep
// (story, encoded fingerprint, time) and checks it answers as the first.
func TestRestoreFromRows(t *testing.T) {
	titles := []string{
		"Sbarro files for bankruptcy again",
		"Pizza chain Sbarro back in bankruptcy court",
		"Malaysia Airlines jet missing over South China Sea",
		"Search for missing Malaysia Airlines jet widens",
		"Fed's Plosser says weather slowed hiring",
	}
	type row struct {
		id, story string
		fp        []byte
		at        time.Time
	}
	live := NewIndex(Options{})
	var rows []row
	for i, title := range titles {
		at := t0.Add(time.Duration(i) * time.Hour)
		fp := Make(title, wireLead[:40*i])
		id := fmt.Sprint(i)
		story, _, _ := live.Group(id, fp, at)
		b, err := fp.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row{id, story, b, at})
	}
	restored := NewIndex(Options{})
	for _, r := range rows {
		var fp Fingerprint
		if err := fp.UnmarshalText(r.fp); err != nil {
			t.Fatalf("row %s: %v", r.id, err)
		}
		restored.Add(r.id, r.story, fp, r.at)
	}
	at := t0.Add(10 * time.Hour)
	for _, probe := range []string{"Sbarro bankruptcy", "Sbarro goes bankrupt again", "Malaysia Airlines jet still missing", "Plosser: weather slowed hiring", "Unrelated story about cats"} {
		fp := Make(probe, "")
		s1, sc1, ok1 := live.Best(fp, at)
		s2, sc2, ok2 := restored.Best(fp, at)
		if s1 != s2 || sc1 != sc2 || ok1 != ok2 {
			t.Errorf("%q: live (%s, %.3f, %v), restored (%s, %.3f, %v)", probe, s1, sc1, ok1, s2, sc2, ok2)
		}
	}
}

func TestEncodingRoundTrip(t *testing.T) {
	for _, fp := range []Fingerprint{
		{},
		Make("Live updates", ""),
		Make("Sbarro files for bankruptcy again", ""),
		Make("Kerry, Lavrov agree Syria truce from Monday - Reuters", wireLead),
	} {
		b, err := fp.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var got Fingerprint
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatalf("UnmarshalBinary(%x): %v", b, err)
		}
		if !got.Equal(fp) {
			t.Errorf("round trip: got %v, want %v", got, fp)
		}
		tw, lw := fp.Words()
		t.Logf("%d title words, %d lead words, signature %v: %d bytes", tw, lw, fp.sig != nil, len(b))
	}
}

func TestEncodingErrors(t *testing.T) {
	good, _ := Make("Kerry, Lavrov agree Syria truce from Monday", wireLead).MarshalBinary()
	tests := map[string][]byte{
		"empty":           {},
		"other version":   append([]byte{9}, good[1:]...),
		"truncated":       good[:len(good)-3],
		"trailing bytes":  append(append([]byte{}, good...), 0),
		"unsorted hashes": {encodingVersion, 2, 5, 0, 0, 0},
		"huge count":      {encodingVersion, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"short signature": {encodingVersion, 0, 0, 3, 1, 2, 3, 4},
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			var fp Fingerprint
			if err := fp.UnmarshalBinary(b); !errors.Is(err, ErrEncoding) {
				t.Errorf("UnmarshalBinary(%x) = %v, want ErrEncoding", b, err)
			}
		})
	}
	var fp Fingerprint
	if err := fp.UnmarshalText([]byte("not base64!")); !errors.Is(err, ErrEncoding) {
		t.Errorf("UnmarshalText = %v, want ErrEncoding", err)
	}
}

// TestLookupIsSublinear checks that a lookup in a full window scores a few
// candidates found through the inverted index, not every item.
func TestLookupIsSublinear(t *testing.T) {
	const n = 10000
	texts := syntheticTexts(n+1, 0)
	idx := NewIndex(Options{})
	for i, r := range texts[:n] {
		idx.Add(fmt.Sprint(i), fmt.Sprint(i), Make(r.title, r.lead), t0.Add(time.Duration(i)*time.Second))
	}
	idx.Best(Make(texts[n].title, ""), t0.Add(n*time.Second))
	if got, limit := len(idx.cands), n/20; got == 0 || got > limit {
		t.Errorf("a lookup among %d items scored %d candidates, want 1 to %d", n, got, limit)
	}
}

func TestCleanLead(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"byline", "By Jane Doe and John Roe, Reuters\nRussia and the US agreed", "Russia and the US agreed"},
		{"a sentence starting with by", "By Monday the truce held.\nRussia and the US agreed", "By Monday the truce held.\nRussia and the US agreed"},
		{"wire dateline", "BEIRUT, Dec 5 (Reuters) - Russia and the US agreed", "Russia and the US agreed"},
		{"AP dateline", "WASHINGTON (AP) — Russia and the US agreed", "Russia and the US agreed"},
		{"byline then dateline", "By Jane Doe\nWASHINGTON (AP) — Russia and the US agreed", "Russia and the US agreed"},
		{"no credit", "Russia and the US agreed (in Geneva) on Friday", "Russia and the US agreed (in Geneva) on Friday"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cleanLead(tt.in); got != tt.want {
				t.Errorf("cleanLead(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestStoryOfFollowsTheWindow(t *testing.T) {
	x := NewIndex(Options{Window: time.Hour})
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	x.Add("a", "s1", Make("Fyffes and Chiquita agree to merge", ""), t0)
	x.Add("b", "s1", Make("Chiquita, Fyffes merger creates banana giant", ""), t0.Add(time.Minute))
	if got, ok := x.StoryOf("b"); !ok || got != "s1" {
		t.Errorf("StoryOf(b) = %q, %v; want s1, true", got, ok)
	}
	x.Add("c", "s2", Make("Unrelated storm hits coast", ""), t0.Add(61*time.Minute))
	if got, ok := x.StoryOf("a"); ok {
		t.Errorf("StoryOf(a) after the window = %q, true; want not found", got)
	}
	if _, ok := x.StoryOf("b"); !ok {
		t.Errorf("StoryOf(b) inside the window: not found")
	}
}
