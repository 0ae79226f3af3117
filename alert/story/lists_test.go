package story

import (
	"testing"
	"time"
)

func TestIsListTitle(t *testing.T) {
	tests := []titleCase{
		// lists of names
		{"Stocks to watch: Acme Corp (ACME), Globex Inc (GBX), Initech", true},
		{"Analyst upgrades: Acme Inc. (ACME), Globex Company, Inc., and Initech, Inc.", true},
		{"Morning Movers - Acme Robotics, Inc.(NASDAQ:ACMR), Globex Foods  ...", true},
		{"Retail Stock News: Globex Company Inc (NYSE: GBX), Initech Outfitters  ...", true},
		{"Retail Stock News: Globex Company Inc (NYSE: GBX), Initech Outfitters", false}, // a company and one more name
		{"Wednesday's most watched including Globex Inc, Initech, Vandelay Industries ...", true},
		{"Early movers: ACMR, GBX, INTC, VDL & more", false}, // bare symbols are not told from initials
		// one company, or a clause after a comma
		{"Globex Company, Inc. (GBX) in good position to refinance debt by year end", false},
		{"Globex Foods (GBX) Releases Quarterly Earnings, Beats Expectations", false},
		{"Initech Outfitters (INTC) Needs Patience, Says Broker", false},
		{"Globex says profit fell, CEO to leave in 2027", false},
		{"Acme and Globex end their partnership", false},
		{"Acme, Globex End Partnership Agreement", false},
		{"New Dragon Saga Trailer Teases Battles, Betrayal (VIDEO)", false},
		{"In brief | Nation & World, March 11, 2026", false},
		{"iOS 27 Adds CarPlay Support, Boosts Siri, Touch ID", false},
		{"Live updates", false},
		// one story's headline naming several places, people or products
		{"Microsoft to Buy Activision Blizzard Inc., Report Says", false},
		{"Exxon Mobil Corp. to Acquire Pioneer Natural Resources Co., Sources Say", false},
		{"Apple Inc Sues Masimo Corp, Says Patents Invalid", false},
		{"2nd-Half Turnaround Seen for Initech Outfitters (INTC), Broker Says", false},
		{"Nvidia Corp. Shares Fall, Dragging Down Nasdaq", false},
		{"EU fines Apple, Google, Meta", false},
		{"Israel strikes Beirut, Tyre, Sidon", false},
		{"Hurricane Milton slams Florida, Georgia, South Carolina", false},
		{"Trump names Rubio, Waltz, Hegseth", false},
		{"Apple unveils iPhone 16, Apple Watch Series 10, AirPods 4", false},
		{"Messi, Suarez, Alba score as Inter Miami win", false},
		{"Acme Corp to merge with Globex, Initech", false},
		{"Regulators clear Acme Corp (ACME), Globex merger", false},
		{"", false},
	}
	checkTitles(t, "isListTitle", isListTitle, tests)
}

// TestListHeadlinesBridgeNothing checks that a report joins no story
// through a list headline it shares one name with: the first report of
// Globex's story is not listed under Acme's because a market round-up in
// Acme's story named Globex too. A near copy of the list still joins it.
func TestListHeadlinesBridgeNothing(t *testing.T) {
	acme := []string{
		"Acme quarterly profit beats forecasts on rocket sales",
		"Acme rocket sales lift quarterly profit",
		"Acme shares jump after profit beat",
		"Stocks to watch: Acme Corp (ACME), Globex Inc (GBX), Initech",
	}
	tests := []joinCase{
		{"Globex Inc chief executive to step down next year", ""},
		{"Stocks: Globex Inc to cut 500 jobs", ""},
		{"Stocks to watch: Acme Corp (ACME), Globex Inc (GBX), Initech", "acme"},
		{"Acme profit beat sends shares higher", "acme"},
	}
	checkJoins(t, acme, tests)
}

func TestIsRoundUpTitle(t *testing.T) {
	tests := []titleCase{
		// round-ups: a label and two clauses, or three clauses
		{"Market Wrap: Acme Beats Estimates; Globex Rejects Buyout Offer  ...", true},
		{"Sector Update: Tech Shares Mixed Pre-Market; Initech Drops 6% as CEO  ...", true},
		{"World News Updates: Flood Toll Rises in Valdoria; Health Agency Warns of Shortage", true},
		{"Accounting News Roundup: Vandelay is Bankrupt (Again); Big Four firm buys rival", true},
		{"AM BUZZ: Singer Disses Rival?; Actress Doesn't Want To Be Called Bossy", true},
		{"News Round Up: Acme recalls toasters; Globex opens plant", true},
		{"News in Brief: Acme recalls toasters; Globex opens plant", true},
		{"Top Stories: Acme recalls toasters; Globex opens plant", true},
		{"Headlines: Acme recalls toasters; Globex opens plant", true},
		{"Stocks slip; Acme cuts executive pay; Globex named top banana  ...", true},
		// a newsletter: its topics before a round-up's label, or the label and
		// nothing distinctive after it
		{"Flu, Valdoria Floods, Acme Strike: Your Friday Briefing", true},
		{"Flu Vaccines, School Closures and Acme: Your Monday Briefing", true},
		{"Flu Briefing: What Happened Today", true},
		{"Morning Headlines: Monday, March 9", true},
		{"'Quiz Night' ends; 'Harbour Lights' debuts; 'Old Friends' reunion", true},
		// one story's headline: one semicolon, a label that names no round-up,
		// later clauses that start with no name
		{"Owners arrested; warehouse fire toll rises to 27; probe ordered", false},
		{"Valdoria air pollution: AQI crosses 450; schools shut; construction banned", false},
		{"Hurricane Milton update: storm makes landfall near Siesta Key; millions without power", false},
		{"Police update: suspect in Lincoln High shooting arrested; lockdown lifted", false},
		{"Acme merging with Globex; HQ will be in Dublin", false},
		{"Wall Street edges lower after record; Acme drags", false},
		{"UPDATE: Suspect arrested; Lincoln High School lockdown lifted", false},
		{"UPDATE 2: Suspect arrested; Lincoln High School lockdown lifted", false},
		{"Valdoria floods live updates: toll rises; army deployed", false},
		{"Harbour Lights: Series TV Schedule, VIDEO; Watch the Mayor Introduce  ...", false},
		{"Acme Restructures: Smith to Lead Retail; Jones to Oversee Acme", false},
		{"Market Wrap: stocks close higher", false},
		{"Valdoria: Your Friday Briefing", false}, // one topic: the story's
		{"Acme, Globex: what the merger means for you", false},
		{"Flu Briefing: health agency backs boosters", false},
		{"Market Wrap: stocks close higher;  ...", false},
		{"Live updates; day two", false},
		{"", false},
	}
	checkTitles(t, "isRoundUpTitle", isRoundUpTitle, tests)
}

// TestRoundUpsBridgeNothing checks that a report joins no story through a
// round-up it shares one clause with: the first report of Globex's story
// is not listed under Acme's because a market wrap in Acme's story named
// Globex in its second clause, nor is the next day's column on Globex
// under the first day's. A near copy of the round-up still joins it, a
// further report of Acme's story joins through Acme's reports, and a
// story's headline that reads like a round-up joins its story by its
// words.
func TestRoundUpsBridgeNothing(t *testing.T) {
	acme := []string{
		"Acme quarterly profit beats forecasts on rocket sales",
		"Acme rocket sales lift quarterly profit",
		"Market Wrap: Tech Shares Mixed Pre-Market; Acme Rocket Profit Beats Forecasts; Globex Chief Executive to Step Down  ...",
	}
	checkJoins(t, acme, []joinCase{
		{"Globex chief executive to step down next year", ""},
		{"Globex says its chief executive will step down", ""},
		{"Market Wrap: Tech Shares Mixed Pre-Market; Globex Wins $2 Billion Pentagon Contract", ""},
		{"Market Wrap: Tech Shares Mixed Pre-Market; Acme Rocket Profit Beats Forecasts; Globex Chief Executive to Step Down  ...", "acme"},
		{"Acme rocket profit beat sends shares higher", "acme"},
		{"Acme rocket sales: profit beats forecasts; shares jump; analysts upbeat", "acme"},
	})
}

// TestNewsletterBridgesNothing checks that a newsletter listed first
// takes no report of a story it teases: the reports open the story's own
// message, as they did before the newsletter came, instead of being
// listed under it. The lead of a daily briefing is its top story's teaser,
// and the topics of a briefing's headline are those of the day's stories.
func TestNewsletterBridgesNothing(t *testing.T) {
	tests := []leadCase{
		{
			"Flu Briefing: What Happened Today",
			"The health agency rules on flu boosters for older people.",
			"Health agency panel backs flu boosters for people over 65",
			"A health agency panel recommended flu boosters for people over 65 on Friday, but not for younger adults.",
		},
		{
			"Flu Vaccines, Valdoria Floods, Mayor Ortega: Your Friday Briefing",
			"Here's what you need to know.",
			"Mayor Ortega denies bribery claims in Valdoria interview",
			"Mayor Ortega denied on Thursday that he took bribes from a builder, in a television interview.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.first, func(t *testing.T) {
			if got, score, ok := tt.best(); ok {
				t.Errorf("%q joins %q (score %.2f); want a message of its own", tt.next, got, score)
			}
		})
	}
}

// leadCase is a first report and a later one, each a title and a lead.
type leadCase struct{ first, lead, next, nextLead string }

// best is where the later report goes in an index holding the first, as
// story "first", ten minutes before.
func (tt leadCase) best() (story string, score float64, ok bool) {
	idx := NewIndex(Options{})
	at := t0.Add(time.Minute)
	idx.Add("0", "first", Make(tt.first, tt.lead), at)
	return idx.Best(Make(tt.next, tt.nextLead), at.Add(10*time.Minute))
}

// TestRoundUpShapedHeadlineOfOneStoryGathersItsReports checks that one
// story's headline shaped like a round-up (a label, semicolons), when it is
// the story's first report and so its message, still takes another
// outlet's report of the story: were it taken for a round-up, nothing
// would join it (see isRoundUpTitle) and the desk would get a second
// message for the story.
func TestRoundUpShapedHeadlineOfOneStoryGathersItsReports(t *testing.T) {
	tests := []leadCase{
		{ // "<event> update:" names one story, not a column
			"Hurricane Milton update: storm makes landfall near Siesta Key; millions without power",
			"Hurricane Milton made landfall near Siesta Key on Wednesday night as a Category 3 storm, leaving more than two million homes and businesses in Florida without power.",
			"Hurricane Milton makes landfall near Siesta Key as Category 3 storm",
			"Milton came ashore near Siesta Key late Wednesday with winds of 120 mph, knocking out power to millions across Florida, officials said.",
		},
		{
			"Police update: suspect in Lincoln High shooting arrested; lockdown lifted",
			"Police arrested a suspect in the shooting at Lincoln High School on Tuesday afternoon and lifted the lockdown on nearby schools.",
			"Suspect arrested after Lincoln High School shooting, police say",
			"A suspect is in custody after a shooting at Lincoln High School, police said on Tuesday, and a lockdown of the area has been lifted.",
		},
		{ // a topic label and two semicolons
			"Valdoria air pollution: AQI crosses 450; schools shut; construction banned",
			"Valdoria's air quality index crossed 450 on Thursday, prompting authorities to shut primary schools and ban construction across the capital.",
			"Valdoria shuts schools, bans construction as AQI crosses 450",
			"Authorities in Valdoria closed primary schools and banned construction work after the air quality index crossed 450, the severe-plus category.",
		},
		{ // the package's own example of one story's round-up-shaped headline
			"Owners arrested; warehouse fire toll rises to 27; probe ordered",
			"Police arrested the two owners of the Kessler warehouse as the death toll from Sunday's fire rose to 27 and the state ordered an inquiry.",
			"Warehouse fire toll rises to 27 as owners are arrested",
			"The death toll from the Kessler warehouse fire rose to 27 on Monday, and police arrested the warehouse's two owners.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.first, func(t *testing.T) {
			if got, score, ok := tt.best(); !ok || got != "first" {
				t.Errorf("%q opens a story of its own (best %q, score %.2f, ok %v); want it under %q", tt.next, got, score, ok, tt.first)
			}
		})
	}
}

// joinCase is a report and the story it should join after the reports of
// story "acme": "" for a story of its own.
type joinCase struct{ title, want string }

func checkJoins(t *testing.T, acme []string, tests []joinCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.title, func(t *testing.T) {
			idx, at := oneStory("acme", acme)
			got, score, ok := idx.Best(Make(tt.title, ""), at.Add(time.Minute))
			if !ok {
				got = ""
			}
			if got != tt.want {
				t.Errorf("joined %q (score %.2f), want %q", got, score, tt.want)
			}
		})
	}
}

// titleCase is a headline and whether it is of the kind a detector finds.
type titleCase struct {
	title string
	want  bool
}

func checkTitles(t *testing.T, name string, detect func(string) bool, tests []titleCase) {
	t.Helper()
	for _, tt := range tests {
		if got := detect(tt.title); got != tt.want {
			t.Errorf("%s(%q) = %v, want %v", name, tt.title, got, tt.want)
		}
	}
}
