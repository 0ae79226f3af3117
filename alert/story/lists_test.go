package story

import (
	"testing"
	"time"
)

func TestIsListTitle(t *testing.T) {
	tests := []struct {
		title string
		want  bool
	}{
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
	for _, tt := range tests {
		if got := isListTitle(tt.title); got != tt.want {
			t.Errorf("isListTitle(%q) = %v, want %v", tt.title, got, tt.want)
		}
	}
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

func TestRoundUpLead(t *testing.T) {
	tests := []struct {
		title, want string
	}{
		// round-ups: a label and two clauses, or three clauses
		{"Market Wrap: Acme Beats Estimates; Globex Rejects Buyout Offer  ...", "Market Wrap: Acme Beats Estimates"},
		{"Sector Update: Tech Shares Mixed Pre-Market; Initech Drops 6% as CEO  ...", "Sector Update: Tech Shares Mixed Pre-Market"},
		{"Accounting News Roundup: Vandelay is Bankrupt (Again); Big Four firm buys rival", "Accounting News Roundup: Vandelay is Bankrupt (Again)"},
		{"AM BUZZ: Singer Disses Rival?; Actress Doesn't Want To Be Called Bossy", "AM BUZZ: Singer Disses Rival?"},
		{"News Round Up: Acme recalls toasters; Globex opens plant", "News Round Up: Acme recalls toasters"},
		{"Stocks slip; Acme cuts executive pay; Globex named top banana  ...", "Stocks slip"},
		{"'Quiz Night' ends; 'Harbour Lights' debuts; 'Old Friends' reunion", "'Quiz Night' ends"},
		// one story's headline: one semicolon, a label that names no round-up
		{"Acme merging with Globex; HQ will be in Dublin", "Acme merging with Globex; HQ will be in Dublin"},
		{"Wall Street edges lower after record; Acme drags", "Wall Street edges lower after record; Acme drags"},
		{"Harbour Lights: Series TV Schedule, VIDEO; Watch the Mayor Introduce  ...", "Harbour Lights: Series TV Schedule, VIDEO; Watch the Mayor Introduce  ..."},
		{"Acme Restructures: Smith to Lead Retail; Jones to Oversee Acme", "Acme Restructures: Smith to Lead Retail; Jones to Oversee Acme"},
		{"Market Wrap: stocks close higher", "Market Wrap: stocks close higher"},
		{"Market Wrap: stocks close higher;  ...", "Market Wrap: stocks close higher;  ..."},
		{"Live updates; day two", "Live updates; day two"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := roundUpLead(tt.title); got != tt.want {
			t.Errorf("roundUpLead(%q) = %q, want %q", tt.title, got, tt.want)
		}
	}
}

// TestRoundUpsBridgeByTheirTopStory checks that a round-up joins, and is
// joined, through its label and first clause alone: the first report of
// Globex's story is not listed under Acme's because a round-up filed
// there named Globex in a later clause, and a further report of Acme's
// story still joins the round-up.
func TestRoundUpsBridgeByTheirTopStory(t *testing.T) {
	roundUp := "Market Wrap: Acme rocket profit beats forecasts; Globex chief executive to step down  ..."
	tests := []joinCase{
		{"Globex chief executive to step down next year", ""},
		{"Globex says its chief executive will step down", ""},
		{"Acme rocket profit beats forecasts", "acme"},
		{roundUp, "acme"},
	}
	checkJoins(t, []string{roundUp}, tests)
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
