package story

import (
	"cmp"
	"errors"
	"fmt"
	"math"
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

// columnLead is a recurring column's lead, the same every day.
const columnLead = "A selection of the best photographs of the day from around the harbour, sent in by our readers and taken by our photographers on the quays, the ferries and the fish market."

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
			// A recurring column keeps its headline and its lead: only the
			// day tells one day's from the next (found in a BBC feed). The
			// week's column, of both days, bridges neither to the other.
			name: "the same column of two days, under the same lead",
			reports: []report{
				{"Harbour in pictures: 19 February 2025", columnLead},
				{"Harbour week in pictures: 14-20 February", columnLead},
				{"Harbour in pictures: 20 February 2025", columnLead},
				{"Harbour In Pictures, Feb. 20", columnLead},
				{"Harbour in pictures 2/21/25", columnLead},
				{"Harbour week in pictures: 3-7 February", columnLead},
			},
			want: []string{"0", "0", "2", "2", "4", "5"},
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
				{"Home", ""},
				{"Home", ""},
				{"Latest news", ""},
				{"Latest News | Reuters", ""},
			},
			want: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"},
		},
		{
			name: "outlet credits tie nothing",
			reports: []report{
				{"Fed holds interest rates steady - Reuters", ""},
				{"Oil slips as OPEC output climbs - Reuters", ""},
				{"Fed holds interest rates steady | AP", ""},
				{"Oil slips as OPEC output climbs (AP)", ""},
				{"Fed holds interest rates steady (Reuters)", ""},
			},
			want: []string{"0", "1", "0", "1", "0"},
		},
		{
			name: "same place, same day, two stories",
			reports: []report{
				{"Aleppo hospital hit by airstrike", ""},
				{"Aleppo ceasefire talks resume in Geneva", ""},
				{"Airstrike hits hospital in Aleppo", ""},
				{"Geneva talks on Aleppo ceasefire resume", ""},
			},
			want: []string{"0", "1", "0", "1"},
		},
		{
			name: "same place, same day, two stories, with leads",
			reports: []report{
				{"Aleppo hospital hit by airstrike", "Warplanes struck a hospital in eastern Aleppo on Monday, killing two nurses and wounding patients, doctors in the besieged city said."},
				{"Aleppo ceasefire talks resume in Geneva", "Russian and US diplomats resumed talks in Geneva on Monday on a ceasefire for Aleppo, where the besieged eastern districts have been bombed for weeks, officials said."},
			},
			want: []string{"0", "1"},
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
			// Found in a local paper's feed: "Riverside County reports 209 new
			// coronavirus cases" joined "Orange County reports 1 new
			// coronavirus death", the shared "County" taken for a name.
			name: "template headlines of two counties, and two storms",
			reports: []report{
				{"Millbrook County reports 40 new flu cases", ""},
				{"Harlow County reports 12 new flu deaths", ""},
				{"Millbrook County reports 31 new flu cases", ""},
				{"Hurricane Opal strengthens off the coast", ""},
				{"Hurricane Brisa strengthens off the coast", ""},
			},
			want: []string{"0", "1", "0", "3", "4"},
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
			a.cases, b.cases = nil, nil // how words are written may differ
			a.dates, b.dates = 0, 0     // a dated title is apart only from another day's (TestTitleDates)
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
	if len(idx.postings)+len(idx.wordStory)+len(idx.bands)+len(idx.storyNums)+len(idx.storyRefs) != 0 {
		t.Errorf("maps not empty after eviction: postings %d word stories %d bands %d stories %d/%d",
			len(idx.postings), len(idx.wordStory), len(idx.bands), len(idx.storyNums), len(idx.storyRefs))
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
		Make("Stocks to watch: Acme Corp (ACME), Globex, Initech", ""),
		Make("Sbarro files for bankruptcy again", "").WithPublished(t0),
		Make("Sbarro files for bankruptcy again", "").WithLink("https://wire.example/2026/03/11/pizza-chain-sbarro-files-for-bankruptcy-again/"),
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
		"no flags":        {encodingVersion},
		"no time":         {encodingVersion, 0},
		"time too large":  {encodingVersion, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 0, 0},
		"no dates":        {encodingVersion, 0, 0},
		"dates too large": {encodingVersion, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x1f, 0, 0, 0},
		"unknown flag":    {encodingVersion, 2, 0, 0, 0, 0, 0},
		"unsorted hashes": {encodingVersion, 0, 0, 0, 2, 5, 0, 0, 0},
		"huge count":      {encodingVersion, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"short signature": {encodingVersion, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4},
		"unsorted slug":   {encodingVersion, 0, 0, 0, 0, 0, 2, 5, 0, 0},
		"no title cases":  {encodingVersion, 0, 0, 0, 2, 5, 3},
		"bad title case":  {encodingVersion, 0, 0, 0, 1, 5, 0x0f, 0, 0},
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

// templateBackground are invented headlines of a day's window in which the
// words of templated headlines ("releases", "quarterly", "earnings",
// "rating", "upgraded", "shares") are written in lower case, and the
// companies of the templates are named inside sentences, as the window of
// a busy destination has them.
var templateBackground = []string{
	"Retailers report weak quarterly earnings after a cold winter",
	"Toy maker releases its quarterly earnings a week early",
	"Analysts expect strong quarterly earnings from regional banks",
	"Broker upgraded the stock rating of two carmakers",
	"Airline shares down after fuel costs rise",
	"Chipmaker releases a faster processor for phones",
	"Investors weigh quarterly earnings against rate fears",
	"Shoppers flock to Kroger for holiday deals",
	"Discount chain Ross Stores plans 40 new outlets",
	"Banana importer Fyffes agrees merger with Chiquita",
	"Mall operators fear closures as Sbarro struggles",
	"Credit rating of utility upgraded on new contracts",
	"Tech shares down on bond yield jump",
}

// TestTemplatedHeadlinesKeepTheirStories checks that headlines written to
// one template about different companies ("X Releases Quarterly Earnings")
// are told apart, while two reports of one company's news are not.
func TestTemplatedHeadlinesKeepTheirStories(t *testing.T) {
	tests := []struct {
		name    string
		titles  []string
		company []string // titles of one company are one story, of two companies two
	}{
		{
			name: "quarterly earnings releases in Title Case",
			titles: []string{
				"Bon-Ton Stores Releases Quarterly Earnings",
				"Dollar General Releases Quarterly Earnings",
				"Stein Mart Releases Quarterly Earnings",
				"Bon-Ton Stores Inc. Releases Quarterly Earnings Results",
			},
			company: []string{"Bon-Ton", "Dollar General", "Stein Mart", "Bon-Ton"},
		},
		{
			name: "stock ratings upgraded by one broker",
			titles: []string{
				"Kroger Stock Rating Upgraded by Zacks",
				"Ross Stores Stock Rating Upgraded by Zacks",
				"Kroger Stock Rating Upgraded by Zacks (KR)",
			},
			company: []string{"Kroger", "Ross", "Kroger"},
		},
		{
			name: "shares down",
			titles: []string{
				"Shares of Fyffes down 3% after profit warning",
				"Shares of Sbarro down 3% after profit warning",
				"Fyffes shares down 3% on profit warning",
			},
			company: []string{"Fyffes", "Sbarro", "Fyffes"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx := NewIndex(Options{})
			at := t0
			for i, title := range templateBackground {
				at = at.Add(time.Minute)
				idx.Group(fmt.Sprint("bg", i), Make(title, ""), at)
			}
			stories := make([]string, len(tt.titles))
			for i, title := range tt.titles {
				at = at.Add(time.Minute)
				stories[i], _, _ = idx.Group(fmt.Sprint(i), Make(title, ""), at)
			}
			for i := range stories {
				for j := range i {
					if same, want := stories[i] == stories[j], tt.company[i] == tt.company[j]; same != want {
						t.Errorf("%q and %q: one story %v, want %v (stories %v)", tt.titles[j], tt.titles[i], same, want, stories)
					}
				}
			}
		})
	}
}

// oneStory is an index holding the titles as one story, a minute apart;
// it returns the time of the last.
func oneStory(name string, titles []string) (*Index, time.Time) {
	idx := NewIndex(Options{})
	at := t0
	for i, title := range titles {
		at = at.Add(time.Minute)
		idx.Add(fmt.Sprint(i), name, Make(title, ""), at)
	}
	return idx, at
}

// TestReportsPublishedDaysApart checks that two reports published further
// apart than the window and two days are two stories whatever their words,
// by similarity or through a story's keywords, while reports of unknown
// time, or published within the window, group as before: a backfill, or
// max_age: 0, brings in one year's "Who are the hostages released by
// Hamas?" beside the next year's hostage story.
func TestReportsPublishedDaysApart(t *testing.T) {
	const day = 24 * time.Hour
	published := time.Date(2025, 1, 20, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		window time.Duration
		gap    time.Duration // the second report's publication after the first's; -1: unknown
		want   bool          // the second report joins the first's story
	}{
		{"an hour apart", 0, time.Hour, true},
		{"two days apart", 0, 2 * day, true},
		{"three days apart", 0, 3 * day, false},
		{"three days earlier", 0, -3 * day, false},
		{"a year apart", 0, 365 * day, false},
		{"the second of unknown time", 0, -1, true},
		{"a week's window, five days apart", 7 * day, 5 * day, true},
		{"a week's window, eight days apart", 7 * day, 8 * day, false},
		{"an hour's window, two days apart", time.Hour, 2 * day, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx := NewIndex(Options{Window: tt.window})
			title := "Who are the hostages released by Hamas in Gaza?"
			idx.Add("0", "0", Make(title, "").WithPublished(published), t0)
			second := Make(title, "")
			if tt.gap != -1 {
				second = second.WithPublished(published.Add(tt.gap))
			}
			got, score, ok := idx.Best(second, t0.Add(time.Minute))
			if joined := ok && got == "0"; joined != tt.want {
				t.Errorf("joined: %v (story %q, score %.2f), want %v", joined, got, score, tt.want)
			}
		})
	}
	t.Run("through keywords", func(t *testing.T) {
		for _, tt := range []struct {
			gap  time.Duration
			want bool
		}{{day, true}, {4 * day, false}} {
			idx := NewIndex(Options{})
			for i, title := range []string{
				"Titanfall sales beat forecasts",
				"Strong Titanfall sales lift the Xbox One",
				"Microsoft cheers Titanfall sales",
				"Titanfall tops the charts on launch week",
			} {
				idx.Add(fmt.Sprint(i), "titanfall", Make(title, "").WithPublished(published.Add(time.Duration(i)*time.Hour)), t0.Add(time.Duration(i)*time.Minute))
			}
			fp := Make("Record launch week sales for robot shooter Titanfall", "").WithPublished(published.Add(3*time.Hour + tt.gap))
			got, score, ok := idx.Best(fp, t0.Add(time.Hour))
			if joined := ok && got == "titanfall"; joined != tt.want {
				t.Errorf("%v after the last report: joined %v (story %q, score %.2f), want %v", tt.gap, joined, got, score, tt.want)
			}
		}
	})
}

// TestResplitNarrowsTheStorysDates checks that a report a re-split takes
// out of a story no longer counts among the dates that story's reports
// were published at: "Olive oil harvest fails in drought", published two
// days after the olive oil price reports it joined weakly, is taken into
// its own story by the next drought report, and a price report published 60
// hours after the price reports (58 after the last) is then too far from
// every report of the price story to join it through its keywords.
func TestResplitNarrowsTheStorysDates(t *testing.T) {
	published := time.Date(2025, 1, 20, 9, 0, 0, 0, time.UTC)
	reports := []struct {
		title string
		after time.Duration // published after the first
	}{
		{"Olive oil prices jump", 0},
		{"Olive oil prices jump worldwide", time.Hour},
		{"Poor harvest lifts olive oil prices", 2 * time.Hour},
		{"Olive oil harvest fails in drought", 47 * time.Hour}, // joins the price story weakly
		{"Drought ruins olive harvest", 47 * time.Hour},        // re-split (resplitAfter 1): takes #3
	}
	tests := []struct {
		name  string
		opt   Options
		after time.Duration // the price report's publication after the first report
		want  bool          // it joins the price story, "0"
	}{
		{"re-split, 60 hours after", Options{resplitAfter: 1}, 60 * time.Hour, false},
		{"re-split, 2 hours after", Options{resplitAfter: 1}, 2 * time.Hour, true},
		{"no re-split, 60 hours after", Options{resplitBar: -1}, 60 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx := NewIndex(tt.opt)
			for i, r := range reports {
				idx.Group(fmt.Sprint(i), Make(r.title, "").WithPublished(published.Add(r.after)), t0.Add(time.Duration(i)*time.Minute))
			}
			wantMoved := tt.opt.resplitAfter == 1
			if s, _ := idx.StoryOf("3"); (s == "4") != wantMoved {
				t.Fatalf("#3 is in story %s; re-split: %v", s, wantMoved)
			}
			fp := Make("Olive oil prices climb again", "").WithPublished(published.Add(tt.after))
			got, score, ok := idx.Best(fp, t0.Add(10*time.Minute))
			if joined := ok && got == "0"; joined != tt.want {
				t.Errorf("joined the price story: %v (story %q, score %.2f), want %v", joined, got, score, tt.want)
			}
		})
	}
}

// TestKeywordsNeedTheItemsName checks that an item joins a story through
// the story's keywords only when the story carries the item's name.
func TestKeywordsNeedTheItemsName(t *testing.T) {
	story := []string{
		"Titanfall sales beat forecasts",
		"Strong Titanfall sales lift the Xbox One",
		"Microsoft cheers Titanfall sales",
		"Titanfall tops the charts on launch week",
	}
	tests := []struct {
		title string
		want  bool // joins the Titanfall story
	}{
		{"McDonald's February sales fall in the cold", false},
		{"Burger chain McDonald's sees sales slump", false},
		{"Record launch week sales for robot shooter Titanfall", true},
	}
	for _, tt := range tests {
		t.Run(tt.title, func(t *testing.T) {
			idx, at := oneStory("titanfall", story)
			got, score, ok := idx.Best(Make(tt.title, ""), at.Add(time.Minute))
			if joined := ok && got == "titanfall"; joined != tt.want {
				t.Errorf("joined the story: %v (story %q, score %.2f), want %v", joined, got, score, tt.want)
			}
		})
	}
}

// TestRoleAbbreviationIsNoName checks that "CEO", which headlines write
// in capitals as they write names, ties no two stories: "Initech CEO to
// resign" is not the Globex story whose reports say "Globex CEO", though
// "Initech" was seen before only in a Title Case headline, which says
// nothing of whether it is a name.
func TestRoleAbbreviationIsNoName(t *testing.T) {
	idx := NewIndex(Options{})
	at := t0
	// A window of hundreds of items, as a busy desk's, where "CEO" weighs
	// enough to be a story's keyword.
	for i := range 600 {
		at = at.Add(time.Minute)
		idx.Add(fmt.Sprint("farm", i), "farm", Make("Quiet day on the farm", ""), at)
	}
	// "CEO" is in eight items of six stories, three of them Globex's: a
	// name of that story by its writing, not a keyword of it.
	for i, title := range []string{
		"Globex CEO woos Washington with a merger in view",
		"Globex CEO pitches merger to regulators",
		"Globex CEO vows lower prices after the merger",
		"Hooli CEO sells shares",
		"Vandelay CEO joins the board of a bank",
		"Pendant CEO defends pay package",
		"Soylent CEO says demand is strong",
		"Wonka CEO opens a new factory",
		"Stocks To Watch Today Include Initech And Hooli",
	} {
		at = at.Add(time.Minute)
		story := fmt.Sprint(i)
		if i < 3 {
			story = "globex"
		}
		idx.Add(fmt.Sprint(i), story, Make(title, ""), at)
	}
	for _, title := range []string{"Initech CEO to resign", "Initech CEO to resign next year"} {
		if got, score, ok := idx.Best(Make(title, ""), at.Add(time.Minute)); ok {
			t.Errorf("%q joined story %q (score %.2f), want a story of its own", title, got, score)
		}
	}
}

// TestOlderVersionsDecode checks that fingerprints stored by older
// releases still decode, without what they did not record: version 1
// without how title words are written, versions 1 and 2 without flags,
// versions before 5 without the title's dates.
func TestOlderVersionsDecode(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want Fingerprint
	}{
		{"version 1", []byte{1, 2, 5, 3, 0, 0}, Fingerprint{title: []uint32{5, 8}}},
		{"version 2", []byte{2, 2, 5, 3, 0x31, 0, 0}, Fingerprint{title: []uint32{5, 8}, cases: []uint8{caseCapital, caseProper}}},
		{"version 3, a list", []byte{3, flagList, 2, 5, 3, 0x31, 0, 0}, Fingerprint{title: []uint32{5, 8}, cases: []uint8{caseCapital, caseProper}, list: true}},
		{"version 4, dated", []byte{4, 0, 0x80, 0x01, 2, 5, 3, 0x31, 0, 0}, Fingerprint{title: []uint32{5, 8}, cases: []uint8{caseCapital, caseProper}, published: 128}},
		{"version 5, a title dated", []byte{5, 0, 0x80, 0x01, 0x05, 2, 5, 3, 0x31, 0, 0}, Fingerprint{title: []uint32{5, 8}, cases: []uint8{caseCapital, caseProper}, published: 128, dates: 5}},
	}
	for _, tt := range tests {
		var fp Fingerprint
		if err := fp.UnmarshalBinary(tt.b); err != nil {
			t.Fatalf("UnmarshalBinary(%s) = %v", tt.name, err)
		}
		if !fp.Equal(tt.want) {
			t.Errorf("%s: decoded %v, want %v", tt.name, fp, tt.want)
		}
	}
}

func TestTitleDates(t *testing.T) {
	day := func(month, d uint32) uint32 { return month*32 + d }
	span := func(a, b uint32) dateSpan { return dateSpan(a<<16 | b) }
	tests := []struct {
		title string
		want  dateSpan
	}{
		{"Markets: as it happened - March 11, 2014", span(day(3, 11), day(3, 11))},
		{"Day in pictures: 19 February 2015", span(day(2, 19), day(2, 19))},
		{"Week in pictures: 14-20 February 2015", span(day(2, 14), day(2, 20))},
		{"EU Week Ahead March 10-14: Bank Resolution", span(day(3, 10), day(3, 14))},
		{"Wellness calendar, Aug. 16-22", span(day(8, 16), day(8, 22))},
		{"It's March 11th and the game is finally here", span(day(3, 11), day(3, 11))},
		{"Music meetup: Tuesday March 11th 12:30-1:30PM", span(day(3, 11), day(3, 11))},
		{"The Energy Report 3/10/14", span(day(3, 10), day(3, 10))},
		{"Daily recap (25/12/2014)", span(day(12, 25), day(12, 25))},
		{"Briefing 2020-04-21", span(day(4, 21), day(4, 21))},
		{"Harbour in pictures, 30 Sept.", span(day(9, 30), day(9, 30))},
		{"Ceasefire holds in Aleppo", 0},
		{"Protesters march 5 miles to the capital", 0}, // a month's name only capitalized
		{"March Madness: 68 teams, one bracket", 0},
		{"Gets married 8 months after the breakup", 0},
		{"Stocks rise 3% in May", 0},
		{"Fed's May 12:30 statement", 0}, // a time, not a day
		{"Sales up 24/7 at the May 40 store", 0},
		{"Open 24/7", 0},
	}
	for _, tt := range tests {
		if got := titleDates(tt.title); got != tt.want {
			t.Errorf("titleDates(%q) = %d-%d, want %d-%d", tt.title, got.first(), got.last(), tt.want.first(), tt.want.last())
		}
	}
	if !titleDates("Day in pictures: 19 February").apart(titleDates("Day in pictures: 20 February")) {
		t.Error("two days' columns are not apart")
	}
	if titleDates("Week in pictures: 14-20 February").apart(titleDates("Day in pictures: 20 February")) ||
		titleDates("Day in pictures: 20 February").apart(titleDates("Ceasefire holds")) {
		t.Error("overlapping or undated titles are apart")
	}
}

// TestDatesRoundTrip checks that a title's dates are stored with its
// fingerprint: a restart keeps two days' columns apart.
func TestDatesRoundTrip(t *testing.T) {
	fp := Make("Harbour in pictures: 19 February 2025", columnLead)
	b, err := fp.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got Fingerprint
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if got.dates == 0 || !got.Equal(fp) {
		t.Errorf("decoded dates %d-%d, want %d-%d", got.dates.first(), got.dates.last(), fp.dates.first(), fp.dates.last())
	}
}

func TestHowTitlesWriteWords(t *testing.T) {
	tests := []struct {
		title string
		want  map[string]uint8
	}{
		{"Pizza chain Sbarro files for bankruptcy", map[string]uint8{"pizza": caseStart, "chain": caseLower, "sbarro": caseProper, "files": caseLower}},
		{"Sbarro Files For Chapter 11 Bankruptcy", map[string]uint8{"sbarro": caseCapital, "files": caseCapital, "chapter": caseCapital}},
		{"LINDSAY PREMIERES ON OWN", map[string]uint8{"lindsay": caseCapital, "premieres": caseCapital}},
		{"Cosmos: Making science sexy again", map[string]uint8{"cosmos": caseStart, "making": caseStart, "science": caseLower}},
		{"Fed's Plosser says U.S. hiring slowed", map[string]uint8{"fed": caseStart, "plosser": caseProper, "us": caseProper, "hiring": caseLower}},
		{"Mt. Gox files for bankruptcy", map[string]uint8{"mt": caseStart, "gox": caseStart}},
		{"Acme CEO to resign after IPO", map[string]uint8{"acme": caseStart, "ceo": caseLower, "ipo": caseLower, "resign": caseLower}},
		{"中国 economy slows", map[string]uint8{"中": caseNone, "economy": caseLower}},
	}
	for _, tt := range tests {
		t.Run(tt.title, func(t *testing.T) {
			got := map[string]uint8{}
			for _, w := range casedTokens(tt.title) {
				got[w.text] = w.c
			}
			for word, want := range tt.want {
				if got[word] != want {
					t.Errorf("%q written %d, want %d (all: %v)", word, got[word], want, got)
				}
			}
		})
	}
}

// TestResplitWeakFirstReport: the first report of a story (B) joins
// another (A) weakly, on words and no name; when the following reports of
// B resemble it alone, and more than it resembled A, the next one opens
// B's own message and takes B's first report with it, so that B's later
// reports join B. With resplitAfter 1 the second report of B opens it;
// with the defaults, the report after the fifth that followed B's first.
func TestResplitWeakFirstReport(t *testing.T) {
	type step struct {
		title      string
		story      string // as Group returns it
		joined     bool
		storyAfter string // StoryOf once all are added
	}
	for _, tc := range []struct {
		name  string
		opt   Options
		steps []step
	}{
		{
			name: "second report of B opens it",
			opt:  Options{resplitAfter: 1},
			steps: []step{
				{"Olive oil prices jump", "0", false, "0"},
				{"Olive oil prices jump worldwide", "0", true, "0"},
				{"Poor harvest lifts olive oil prices", "0", true, "0"},
				{"Olive oil harvest fails in drought", "0", true, "4"}, // B's first report, shown under A
				{"Drought ruins olive harvest", "4", false, "4"},       // B's own message
				{"Drought hits olive growers", "4", true, "4"},
			},
		},
		{
			name: "off",
			opt:  Options{resplitBar: -1},
			steps: []step{
				{"Olive oil prices jump", "0", false, "0"},
				{"Olive oil prices jump worldwide", "0", true, "0"},
				{"Poor harvest lifts olive oil prices", "0", true, "0"},
				{"Olive oil harvest fails in drought", "0", true, "0"},
				{"Drought ruins olive harvest", "0", true, "0"},
				{"Drought hits olive growers", "0", true, "0"},
			},
		},
		{
			name: "names shared: no resplit",
			opt:  Options{resplitAfter: 1},
			steps: []step{
				{"Sbarro files for bankruptcy again", "0", false, "0"},
				{"Pizza chain Sbarro files for bankruptcy protection again", "0", true, "0"},
				{"Sbarro pizza chain to close mall stores", "0", true, "0"}, // weakly, but through the name Sbarro
				{"Sbarro to close mall stores across the country", "0", true, "0"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idx := NewIndex(tc.opt)
			for i, s := range tc.steps {
				story, score, joined := idx.Group(fmt.Sprint(i), Make(s.title, ""), t0.Add(time.Duration(i)*time.Minute))
				if story != s.story || joined != s.joined {
					t.Errorf("#%d %q: Group = (%s, %.2f, %v), want (%s, %v)", i, s.title, story, score, joined, s.story, s.joined)
				}
			}
			for i, s := range tc.steps {
				if got, _ := idx.StoryOf(fmt.Sprint(i)); got != s.storyAfter {
					t.Errorf("#%d %q: StoryOf = %s, want %s", i, s.title, got, s.storyAfter)
				}
			}
		})
	}
}

// TestResplitDefaults: with the default options the resplitAfter-th
// report that resembles B's weakly joined first report alone opens B's
// message, and takes B's earlier reports with it; B's later reports join
// it.
func TestResplitDefaults(t *testing.T) {
	idx := NewIndex(Options{})
	titles := []string{
		"Olive oil prices jump",
		"Olive oil prices jump worldwide",
		"Poor harvest lifts olive oil prices",
		"Olive oil harvest fails in drought", // B's first report: joins A weakly
	}
	for i, title := range titles {
		idx.Group(fmt.Sprint(i), Make(title, ""), t0.Add(time.Duration(i)*time.Minute))
	}
	b := len(titles) - 1
	opened := -1
	var moved []Move
	before := len(titles)
	for i, end := len(titles), len(titles)+DefaultOptions.resplitAfter+2; i < end; i++ {
		title := fmt.Sprintf("Drought ruins olive harvest, report %c", 'a'+i)
		titles = append(titles, title)
		story, _, joined := idx.Group(fmt.Sprint(i), Make(title, ""), t0.Add(time.Duration(i)*time.Minute))
		if m := idx.Moved(); len(m) > 0 {
			if !joined && opened < 0 {
				moved = slices.Clone(m)
			} else {
				t.Errorf("#%d %q: Moved = %v, want none", i, title, m)
			}
		}
		switch {
		case !joined && opened < 0:
			opened = i
		case !joined:
			t.Errorf("#%d %q opened story %s, want it to join B's (opened by #%d)", i, title, story, opened)
		case opened >= 0 && story != fmt.Sprint(opened):
			t.Errorf("#%d %q joined story %s, want B's, %d", i, title, story, opened)
		}
	}
	if want := before + DefaultOptions.resplitAfter - 1; opened != want {
		t.Fatalf("B's message opened by #%d, want #%d", opened, want)
	}
	for i := b; i < opened; i++ {
		if got, _ := idx.StoryOf(fmt.Sprint(i)); got != fmt.Sprint(opened) {
			t.Errorf("#%d: StoryOf = %s, want B's, %d", i, got, opened)
		}
	}
	if got, _ := idx.StoryOf("0"); got != "0" {
		t.Errorf("A's first report: StoryOf = %s, want 0", got)
	}
	var wantMoved []Move
	for i := b; i < opened; i++ {
		wantMoved = append(wantMoved, Move{ID: fmt.Sprint(i), From: "0"})
	}
	slices.SortFunc(moved, func(a, b Move) int { // numeric order of the IDs
		return cmp.Or(cmp.Compare(len(a.ID), len(b.ID)), cmp.Compare(a.ID, b.ID))
	})
	if !slices.Equal(moved, wantMoved) {
		t.Errorf("Moved at B's message = %v, want %v", moved, wantMoved)
	}

	// Re-adding the rows with the moves stored rebuilds B's story: B's next
	// report joins B's message after a restart too.
	rebuilt := NewIndex(Options{})
	for i, title := range titles {
		story, _ := idx.StoryOf(fmt.Sprint(i))
		rebuilt.Add(fmt.Sprint(i), story, Make(title, ""), t0.Add(time.Duration(i)*time.Minute))
	}
	next := len(titles)
	story, _, joined := rebuilt.Group(fmt.Sprint(next), Make("Olive harvest fails as drought ruins groves", ""), t0.Add(time.Duration(next)*time.Minute))
	if !joined || story != fmt.Sprint(opened) {
		t.Errorf("B's next report after a rebuild: Group = (%s, %v), want B's, %d", story, joined, opened)
	}
}

// TestYoungBar: with the young bar on (it is off by default since the
// support bar), an item with a capitalized word new to the window that
// resembles a story of one report only weakly (0.25, below youngBar)
// opens a message of its own; it joins a story of two reports, or when it
// brings no new capitalized word, or when the young bar is off.
func TestYoungBar(t *testing.T) {
	const (
		probe  = "Prosecutors open criminal investigation of GM over ignition switch recall"
		second = "Prosecutors investigate GM over deadly ignition switch defect"
		named  = "GM picks Jenner and Block, King and Spalding law firms for recall review"
		plain  = "GM hires outside law firms to lead internal recall review team"
	)
	young := Options{youngBar: 0.27}
	for _, tc := range []struct {
		name   string
		opt    Options
		titles []string
		joined bool // whether the last title joins story 0
	}{
		{"new names, story of one report", young, []string{probe, named}, false},
		{"new names, story of two reports", young, []string{probe, second, named}, true},
		{"no new capitalized word", young, []string{probe, plain}, true},
		{"off", Options{}, []string{probe, named}, true},
		{"any item", Options{youngBar: 0.27, youngAny: true}, []string{probe, plain}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idx := NewIndex(tc.opt)
			var story string
			var score float64
			var joined bool
			for i, title := range tc.titles {
				story, score, joined = idx.Group(fmt.Sprint(i), Make(title, ""), t0.Add(time.Duration(i)*time.Minute))
			}
			if got := joined && story == "0"; got != tc.joined {
				t.Errorf("last title: Group = (%s, %.2f, %v), joins story 0 %v, want %v", story, score, joined, got, tc.joined)
			}
		})
	}
}

// mtGoxThenSbarro are three reports of the Mt. Gox story, then Sbarro's:
// the first of them (#3) joins the Mt. Gox story through its keyword
// "bankruptcy".
var mtGoxThenSbarro = []string{
	"Mt. Gox files for US bankruptcy",
	"Mt. Gox bankruptcy filing in Texas court",
	"Bitcoin exchange Mt. Gox seeks bankruptcy protection",
	"Sbarro Files For Second Bankruptcy Protection", // joins through the keyword
	"Sbarro pizza chain files second bankruptcy in three years",
	"Sbarro files second bankruptcy as mall traffic dwindles",
	"Pizza chain Sbarro files for bankruptcy again",
	"Sbarro bankruptcy: pizza chain closes mall stores",
	"Sbarro second bankruptcy hits pizza chain",
	"Sbarro pizza bankruptcy again",
	"Sbarro pizza chain files for bankruptcy",
	"Sbarro pizza chain back in bankruptcy court",
	"Sbarro bankruptcy filing blames falling mall traffic",
	"Sbarro files second bankruptcy in three years",
}

// TestResplitKeywordJoin: "Sbarro Files For Second Bankruptcy Protection"
// joins the Mt. Gox story through its keyword "bankruptcy" (its Title
// Case words are no names, so the names do not keep it apart); since it
// brings a capitalized word new to the window, that join is weak, and
// Sbarro's later reports re-split it: with resplitAfter 1 the first of
// them, with the defaults the resplitAfter-th (the fixture has enough
// Sbarro reports for resplitAfter 10). With noResplitKeyword they stay in
// the Mt. Gox story.
func TestResplitKeywordJoin(t *testing.T) {
	titles := mtGoxThenSbarro
	for _, tc := range []struct {
		name   string
		opt    Options
		opener int // the Sbarro report that opens Sbarro's story; -1: none
	}{
		{"resplitAfter 1", Options{resplitAfter: 1}, 4},
		{"defaults", Options{}, 3 + DefaultOptions.resplitAfter},
		{"off", Options{resplitAfter: 1, noResplitKeyword: true}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idx := NewIndex(tc.opt)
			for i, title := range titles {
				story, score, joined := idx.Group(fmt.Sprint(i), Make(title, ""), t0.Add(time.Duration(i)*time.Minute))
				if want := i != 0 && i != tc.opener; joined != want {
					t.Errorf("#%d %q: Group = (%s, %.2f, %v), want joined %v", i, title, story, score, joined, want)
				}
			}
			want := "0"
			if tc.opener >= 0 {
				want = fmt.Sprint(tc.opener)
			}
			for i := 3; i < len(titles); i++ {
				if got, _ := idx.StoryOf(fmt.Sprint(i)); got != want {
					t.Errorf("#%d %q: StoryOf = %s, want %s", i, titles[i], got, want)
				}
			}
			if got, _ := idx.StoryOf("2"); got != "0" {
				t.Errorf("#2: StoryOf = %s, want 0", got)
			}
		})
	}
}

// TestDoubtful: a report that joins through the story's keywords alone
// (with or without a name new to the window), or weakly through a report
// it shares no name with, is doubtful; one that joins through the story's
// names, or opens a story, is not, nor is a doubtful report once a
// re-split took it into its own story.
func TestDoubtful(t *testing.T) {
	mtGox := mtGoxThenSbarro[:3]
	tests := []struct {
		name   string
		titles []string // the last one is the report judged; the others are no doubtful joins
		want   bool
	}{
		{"through the story's keyword alone", append(slices.Clone(mtGox), "Bankruptcy again for a pizza chain"), true},
		{"through the keyword, with a name new to the window", mtGoxThenSbarro[:4], true},
		{"weakly, through a report it shares no name with", []string{
			"Olive oil prices jump", "Olive oil prices jump worldwide", "Poor harvest lifts olive oil prices", "Olive oil harvest fails in drought"}, true},
		{"through the story's names", append(slices.Clone(mtGox), "Mt. Gox chief apologises in Tokyo bankruptcy court"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx := NewIndex(Options{})
			for i, title := range tt.titles {
				story, score, joined := idx.Group(fmt.Sprint(i), Make(title, ""), t0.Add(time.Duration(i)*time.Minute))
				want := tt.want && i == len(tt.titles)-1
				if got := idx.Doubtful(fmt.Sprint(i)); got != want || want && !joined {
					t.Errorf("#%d %q: Group = (%s, %.2f, %v), Doubtful = %v, want %v", i, title, story, score, joined, got, want)
				}
			}
			if idx.Doubtful("unknown") {
				t.Error(`Doubtful("unknown") = true, want false`)
			}
		})
	}

	// Sbarro's later reports re-split its first one into Sbarro's own
	// story: no longer doubtful.
	idx := NewIndex(Options{})
	for i, title := range mtGoxThenSbarro {
		idx.Group(fmt.Sprint(i), Make(title, ""), t0.Add(time.Duration(i)*time.Minute))
	}
	if got, _ := idx.StoryOf("3"); got == "0" {
		t.Fatal("the first Sbarro report is still in the Mt. Gox story; the fixture no longer re-splits")
	}
	if idx.Doubtful("3") {
		t.Error("the first Sbarro report, re-split into its own story: Doubtful = true, want false")
	}
}

// TestSupportBar: the first report of a new story, mostly words new to the
// window, that is like one report of a grown story by 0.26 (below
// supportBar) through the company and "Apps" opens a message of its own,
// and the next report of its story joins it; it joins the grown story
// when the bar is off, when the story has fewer than supportItems
// reports, or when its new words weigh less than supportNovel. A report
// of the story that is like it but names something else is no support.
func TestSupportBar(t *testing.T) {
	titles := []string{
		// other stories of the company, so that its name is every story's
		"Zentrix shares climb after quarterly results beat forecasts",
		"EU regulators open antitrust probe into Zentrix search deals",
		"Zentrix hires former Oracle executive to run cloud unit",
		"Zentrix buys Danish robotics startup Lynge",
		"Court rejects Zentrix patent claim against Korvo",
		// a story of four reports (5 to 8)
		"Zentrix to release developer kit for smartwatch makers",
		"Zentrix smartwatch kit coming within weeks",
		"Zentrix opens its wearables platform to outside developers",
		"Zentrix Announces Smartwatch Apps For Runners And Cyclists",
		// a new story, like #8 alone
		"Zentrix Apps: Cloud Suite Will Pay Resellers $20 For Each Customer Referral",
		"Zentrix Office Apps referral program pays $20 per customer",
	}
	const first = 9 // the new story's first report
	for _, tc := range []struct {
		name   string
		opt    Options
		listed string // a report added to story 5 just before the new story's first, if any
		opener string // the story the last two reports are in
	}{
		{"defaults", Options{}, "", "9"},
		{"off", Options{supportBar: -1}, "", "5"},
		{"story under supportItems", Options{supportItems: 5}, "", "5"},
		{"new words under supportNovel", Options{supportNovel: 0.8}, "", "5"},
		// As like the first report as can be, but of another company: the
		// titles name different things, so it is no support.
		{"a second report naming something else", Options{}, "Korvo resellers get referral fees", "9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idx := NewIndex(tc.opt)
			for i, title := range titles {
				at := t0.Add(time.Duration(i) * time.Minute)
				if i == first && tc.listed != "" {
					idx.Add("listed", "5", Make(tc.listed, ""), at.Add(-time.Second))
				}
				story, score, _ := idx.Group(fmt.Sprint(i), Make(title, ""), at)
				if i >= 5 && i < first && story != "5" {
					t.Fatalf("#%d %q: Group = (%s, %.2f), want story 5", i, title, story, score)
				}
				if i >= first && story != tc.opener {
					t.Errorf("#%d %q: Group = (%s, %.2f), want story %s", i, title, story, score, tc.opener)
				}
			}
		})
	}
}

// TestNovelShare: the share of an item's weight that its words new to the
// window make counts its lead's words at LeadWeight: none for an item
// whose words the window knows, a part for one whose lead alone is new.
func TestNovelShare(t *testing.T) {
	idx := NewIndex(Options{})
	idx.Add("0", "0", Make("Kessler dam spillway reopened", ""), t0)
	idx.Add("1", "1", Make("Halvorsen frigate docks in Tallinn", ""), t0)
	for _, tc := range []struct {
		name        string
		title, lead string
		want        func(title, lead float64) float64 // from the weights of the title's and lead's words
	}{
		{"known title, no lead", "Kessler dam spillway reopened", "", func(_, _ float64) float64 { return 0 }},
		{"known title, new lead", "Kessler dam spillway reopened", "Marbeck Ostry residents evacuated overnight",
			func(title, lead float64) float64 {
				return DefaultOptions.LeadWeight * lead / (title + DefaultOptions.LeadWeight*lead)
			}},
		{"new title and lead", "Zentrix referral bounty", "Resellers earn twenty dollars per customer",
			func(_, _ float64) float64 { return 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fp := Make(tc.title, tc.lead)
			idx.weighQuery(fp)
			var title, lead float64
			for _, w := range idx.qw.title {
				title += w
			}
			for _, w := range idx.qw.lead {
				lead += w
			}
			if want := tc.want(title, lead); math.Abs(idx.qnovel-want) > 1e-9 {
				t.Errorf("qnovel = %.4f, want %.4f", idx.qnovel, want)
			}
		})
	}
}

// TestSubjectBar: an item whose heaviest name ("Lynge") no report of a
// story of five carries opens a message of its own rather than join it by
// a similarity below subjectBar (0.27, through "Zentrix" and
// "smartwatch"); with the bar off, or for a story under subjectItems
// items, it joins.
func TestSubjectBar(t *testing.T) {
	titles := []string{
		"Zentrix unveils smartwatch with heart monitor and sleep tracking",
		"Zentrix smartwatch goes on sale in April for runners and cyclists",
		"Zentrix smartwatch to cost $299 with heart monitor and GPS",
		"Hands on with the Zentrix smartwatch: bright screen, heavy strap",
		"Zentrix smartwatch review: a good heart monitor, a weak battery",
	}
	const next = "Zentrix to fold Lynge robots into smartwatch unit; Aarhus engineers relocated to Odense"
	for _, tc := range []struct {
		name   string
		opt    Options
		titles []string
		joined bool
	}{
		{"defaults", Options{}, titles, false},
		{"off", Options{subjectBar: -1}, titles, true},
		{"story under subjectItems", Options{}, titles[:subjectItems-1], true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idx := NewIndex(tc.opt)
			for i, title := range tc.titles {
				if story, score, _ := idx.Group(fmt.Sprint(i), Make(title, ""), t0.Add(time.Duration(i)*time.Minute)); story != "0" {
					t.Fatalf("#%d %q: Group = (%s, %.2f), want story 0", i, title, story, score)
				}
			}
			story, score, joined := idx.Group("next", Make(next, ""), t0.Add(time.Hour))
			if joined != tc.joined {
				t.Errorf("%q: Group = (%s, %.2f, %v), want joined %v", next, story, score, joined, tc.joined)
			}
		})
	}
}

// TestCollectiveJoin: a report like no earlier report enough to join it,
// but a little like two reports of one story, joins that story (see
// Options.collectBar); one as little like a single report of it opens a
// message of its own.
func TestCollectiveJoin(t *testing.T) {
	story := []string{
		"Harbor city council approves new ferry terminal budget plan after long debate",
		"Ferry terminal budget vote delayed by harbor council dispute",
	}
	for _, tc := range []struct {
		name  string
		opt   Options
		title string
		want  string // the story the new report is in
	}{
		{"like both reports", Options{}, "Commuters weigh in on ferry plans as harbor waterfront crowds grow", "0"},
		{"off", Options{collectBar: -1}, "Commuters weigh in on ferry plans as harbor waterfront crowds grow", "2"},
		{"three reports asked", Options{collectItems: 3}, "Commuters weigh in on ferry plans as harbor waterfront crowds grow", "2"},
		{"like one report", Options{}, "Commuters weigh in on city ferry plans as waterfront crowds grow", "2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idx := NewIndex(tc.opt)
			for i, title := range story {
				if got, score, _ := idx.Group(fmt.Sprint(i), Make(title, ""), t0.Add(time.Duration(i)*time.Minute)); got != "0" {
					t.Fatalf("#%d %q: Group = (%s, %.2f), want story 0", i, title, got, score)
				}
			}
			got, score, _ := idx.Group("2", Make(tc.title, ""), t0.Add(2*time.Minute))
			if got != tc.want {
				t.Errorf("%q: Group = (%s, %.2f), want story %s", tc.title, got, score, tc.want)
			}
		})
	}
}

// TestARowOfVersion5GroupsAsBefore: a row stored before the slug words
// (encoding version 5) decodes with none, and a new report, with its
// link's slug, joins it under the defaults where a release before the
// slug words (beforeSlug, no link) joined it, and opens a story where it
// opened one.
func TestARowOfVersion5GroupsAsBefore(t *testing.T) {
	const link = "https://news.example/2026/03/11/kessler-dam-spillway-reopened-valley-evacuation-orders/"
	row := decodeVersion5(t, Make("Kessler Dam spillway reopened as valley towns evacuate", "").WithPublished(t0))
	probes := []struct{ title, link string }{
		{"Valley towns evacuate as Kessler Dam spillway reopens", link},
		{"Kessler Dam: towns below told to leave", link},
		{"Evacuation orders for the valley", link},
		{"Markets rally as central bank holds rates", "https://news.example/2026/03/11/markets-rally-central-bank-holds/"},
	}
	for _, p := range probes {
		before, now := NewIndex(beforeSlug), NewIndex(Options{})
		before.Add("old", "old", row, t0)
		now.Add("old", "old", row, t0)
		_, sc1, want := before.Best(Make(p.title, ""), t0.Add(time.Hour))
		_, sc2, got := now.Best(Make(p.title, "").WithLink(p.link), t0.Add(time.Hour))
		if got != want {
			t.Errorf("%q beside a version 5 row: joined %v (%.3f), before the slug words %v (%.3f)", p.title, got, sc2, want, sc1)
		}
	}
}

// decodeVersion5 encodes fp, which has no slug words, checks it is
// written as version 5, and decodes it.
func decodeVersion5(t *testing.T, fp Fingerprint) Fingerprint {
	t.Helper()
	b, err := fp.MarshalBinary()
	if err != nil || b[0] != encodingNoSlug {
		t.Fatalf("%v encoded as %x, %v: want version 5", fp, b, err)
	}
	var old Fingerprint
	if err := old.UnmarshalBinary(b); err != nil || !old.Equal(fp) {
		t.Fatalf("version 5 row %x decoded as %v, %v; want %v", b, old, err, fp)
	}
	return old
}

// TestOlderReleasesReadWhatHasNoSlug: a fingerprint without slug words is
// written as version 5, which a release before the slug words reads (it
// skips a row of a version it does not know, and so leaves the row's
// story unopened: the story's next report would be a message again).
// Slug words count only for a report without a lead, so beside a lead
// they are not kept, and only a headline alone under a slug takes
// version 6.
func TestOlderReleasesReadWhatHasNoSlug(t *testing.T) {
	const slugLink = "https://wire.example/2026/03/11/pizza-chain-sbarro-files-for-bankruptcy-again/"
	tests := []struct {
		name string
		fp   Fingerprint
		want byte
	}{
		{"a headline", Make("Sbarro files for bankruptcy again", ""), encodingNoSlug},
		{"a headline under a link without a slug", Make("Sbarro files for bankruptcy again", "").WithLink("https://wire.example/p/48213"), encodingNoSlug},
		{"a headline and a lead under a slug", Make("Kerry, Lavrov agree Syria truce from Monday", wireLead).WithLink(slugLink), encodingNoSlug},
		{"a headline alone under a slug", Make("Sbarro files for bankruptcy again", "").WithLink(slugLink), encodingVersion},
		// A lead of the headline's words alone gives none: the slug's
		// stand in for it, as for no lead.
		{"a headline under a slug, its lead the headline again", Make("Sbarro files for bankruptcy again", "Sbarro files for bankruptcy again.").WithLink(slugLink), encodingVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.fp.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if b[0] != tt.want {
				t.Errorf("written as version %d, want %d", b[0], tt.want)
			}
			var got Fingerprint
			if err := got.UnmarshalBinary(b); err != nil || !got.Equal(tt.fp) {
				t.Errorf("read back as %v, %v; want %v", got, err, tt.fp)
			}
		})
	}
}
