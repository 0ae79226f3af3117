package alert

import (
	"testing"

	"github.com/newshound/newshound/feeds"
)

// TestSameStory checks which pairs of items the dedupe keys treat as one
// story. The headline pairs are real edits and reuses seen in the corpus
// series (see ../shared/corpus/news/series/SERIES_STATS.txt).
func TestSameStory(t *testing.T) {
	tests := []struct {
		name     string
		a, b     feeds.Item
		sameFeed bool // both items come from one feed (else from two)
		same     bool
	}{
		{
			name: "headline edited under the same link",
			a:    feeds.Item{Key: "a", Link: "https://www.bbc.co.uk/news/health-51205344", Title: "Coronavirus: Should we all be wearing face masks now?"},
			b:    feeds.Item{Key: "b", Link: "https://www.bbc.co.uk/news/health-51205344", Title: "Coronavirus: Should the public wear face masks?"},
			same: true,
		},
		{
			name: "headline rewritten under the same link",
			a:    feeds.Item{Key: "a", Link: "https://www.latimes.com/california/story/2020-04-20/man-arrested", Title: "O.C. man held on suspicion of threatening cameraman after Huntington Beach protest"},
			b:    feeds.Item{Key: "b", Link: "https://www.latimes.com/california/story/2020-04-20/man-arrested", Title: "Man accused of threatening Fox journalist covering O.C. stay-at-home protest"},
			same: true,
		},
		// README ("No duplicate"): an edited headline under the same link
		// is the same story when it keeps a word of four letters or more
		// that is not a common word. Real edits from the BBC series:
		{
			name: "an edit keeping one word of four letters (free)",
			a:    feeds.Item{Key: "a", Link: "https://www.bbc.co.uk/news/health-53847025?at_medium=RSS&at_campaign=KARANGA", Title: "Can I get a free flu jab?"},
			b:    feeds.Item{Key: "b", Link: "https://www.bbc.co.uk/news/health-53847025?at_medium=RSS&at_campaign=KARANGA", Title: "Flu jab 2021: Who’s eligible for a free vaccine?"},
			same: true,
		},
		{
			name: "an edit keeping only a word of three letters (new): rewritten entirely",
			a:    feeds.Item{Key: "a", Link: "https://www.bbc.co.uk/news/explainers-52530518", Title: "All you need to know about new measures"},
			b:    feeds.Item{Key: "b", Link: "https://www.bbc.co.uk/news/explainers-52530518", Title: "Covid: What are the new tiers and lockdown rules in England, Scotland, Wales and Northern Ireland?"},
			same: false,
		},
		{
			name: "a headline rewritten with no word kept",
			a:    feeds.Item{Key: "a", Link: "https://www.bbc.co.uk/news/health-51943612", Title: "Coronavirus: Testing and why it matters"},
			b:    feeds.Item{Key: "b", Link: "https://www.bbc.co.uk/news/health-51943612", Title: "What tests are being done in the UK?"},
			same: false,
		},
		{
			// CNN's short link carried the first headline, then another
			// story's ("Merkel: Germany is on thinnest ice"), here worded
			// to share only "says", one of the common words that link
			// nothing.
			name: "an edit keeping only a common word (says): rewritten entirely",
			a:    feeds.Item{Key: "a", Link: "https://cnn.it/3ePAJo3", Title: "Almost half of coronavirus deaths in Europe were in care homes, WHO says"},
			b:    feeds.Item{Key: "b", Link: "https://cnn.it/3ePAJo3", Title: "Merkel says Germany is on thinnest ice"},
			same: false,
		},
		// README names "after" and "live" beside "says": a reused link
		// whose two headlines share only one of them is two stories.
		// CNN's short link again, with two of CNN's real headlines:
		{
			name: "an edit keeping only a common word (after): rewritten entirely",
			a:    feeds.Item{Key: "a", Link: "https://cnn.it/3ePAJo3", Title: "Hundreds of Rohingya refugees rescued after two months at sea"},
			b:    feeds.Item{Key: "b", Link: "https://cnn.it/3ePAJo3", Title: "Historic plane to transport dog musher home after he was stranded in Alaska"},
			same: false,
		},
		// The New York Times' markets live blog under one link, with two
		// of its real headlines:
		{
			name: "an edit keeping only a common word (live): rewritten entirely",
			a:    feeds.Item{Key: "a", Link: "https://www.nytimes.com/2020/05/29/business/stock-market-today-coronavirus.html", Title: "Live Stock Market News During the Coronavirus Pandemic"},
			b:    feeds.Item{Key: "b", Link: "https://www.nytimes.com/2020/05/29/business/stock-market-today-coronavirus.html", Title: "Wall Street Rallies, Bucking Drop in Global Stocks: Live Updates"},
			same: false,
		},
		{
			name: "one link reused for unrelated stories",
			a:    feeds.Item{Key: "a", Link: "https://www.cnn.com/collections/us-virus-intl-042220/", Title: "Nearly all Covid-19 patients put on ventilators in NY's largest health system died: study"},
			b:    feeds.Item{Key: "b", Link: "https://www.cnn.com/collections/us-virus-intl-042220/", Title: "The dangerous morality behind the 'Open It Up' movement"},
			same: false,
		},
		{
			name: "tracking parameters on the link",
			a:    feeds.Item{Key: "a", Link: "https://wire.example/story?id=7&utm_source=rss", Title: "Aleppo truce holds"},
			b:    feeds.Item{Key: "b", Link: "https://wire.example/story?id=7", Title: "Aleppo truce holds"},
			same: true,
		},
		{
			// The BBC series links articles bare in 2020 and with
			// ?at_medium=RSS&at_campaign=KARANGA from 2021 on.
			name: "BBC's tracking parameters added under an edited headline",
			a:    feeds.Item{Key: "a", Link: "https://www.bbc.co.uk/news/health-51205344", Title: "Coronavirus: Should we all be wearing face masks now?"},
			b:    feeds.Item{Key: "b", Link: "https://www.bbc.co.uk/news/health-51205344?at_medium=RSS&at_campaign=KARANGA", Title: "What are the rules and guidance for face masks and coverings?"},
			same: true,
		},
		{
			name: "one article on two feeds of its site, each with its parameter",
			a:    feeds.Item{Key: "a", Link: "https://www.dw.com/en/x/a-75995188?maca=en-rss-en-all-1573-rdf", Title: "Merz visits Kyiv"},
			b:    feeds.Item{Key: "b", Link: "https://www.dw.com/en/x/a-75995188?maca=en-rss-en-world-4025-rdf", Title: "Merz visits Kyiv"},
			same: true,
		},
		{
			name: "wire copy on two sites with an outlet credit",
			a:    feeds.Item{Key: "a", Link: "https://one.example/x", Title: "Kerry and Lavrov agree Aleppo ceasefire plan - Reuters"},
			b:    feeds.Item{Key: "b", Link: "https://two.example/y", Title: "Kerry and Lavrov agree Aleppo ceasefire plan"},
			same: true,
		},
		{
			// The BBC series: a headline ending in its quote's source,
			// which the credit's rule takes for a credit, carried with
			// an aggregator's credit after it.
			name: "wire copy with a credit, of a headline ending in its source",
			a:    feeds.Item{Key: "a", Link: "https://www.bbc.co.uk/news/world-asia-52361227", Title: "Coronavirus: Boris Johnson was 'just another patient' - New Zealand nurse"},
			b:    feeds.Item{Key: "b", Link: "https://newswire.example/story?u=52361227", Title: "Coronavirus: Boris Johnson was 'just another patient' - New Zealand nurse - Newswire"},
			same: true,
		},
		{
			// China Digital Times names the source first; the headline
			// after " | " has no spaces, and was taken for a credit.
			name: "a Chinese headline after its source, on two sites",
			a:    feeds.Item{Key: "a", Link: "https://chinadigitaltimes.net/chinese/2015/03/385722", Title: "新华网 | 徐才厚癌症恶化医治无效死亡"},
			b:    feeds.Item{Key: "b", Link: "https://newswire.example/story?u=385722", Title: "新华网 | 徐才厚癌症恶化医治无效死亡"},
			same: true,
		},
		{
			// A Chinese outlet's name of four characters is a credit.
			name: "a Chinese headline with each outlet's credit",
			a:    feeds.Item{Key: "a", Link: "https://cn.nytimes.example/2015/03/385722", Title: "徐才厚癌症恶化医治无效死亡 - 纽约时报"},
			b:    feeds.Item{Key: "b", Link: "https://xinhuanet.example/2015/03/385722", Title: "徐才厚癌症恶化医治无效死亡 - 新华网"},
			same: true,
		},
		{
			// Google News credits each headline with its outlet's name,
			// which in Chinese or Japanese runs to seven to nine
			// characters.
			name: "a Chinese headline with outlets' credits of seven characters",
			a:    feeds.Item{Key: "a", Link: "https://cn.nytimes.example/2015/03/385722", Title: "中央军委原副主席徐才厚去世 - 纽约时报中文网"},
			b:    feeds.Item{Key: "b", Link: "https://bbc.example/zhongwen/2015/03/385722", Title: "中央军委原副主席徐才厚去世 - BBC中文网"},
			same: true,
		},
		{
			name: "a Japanese headline with outlets' credits of eight and nine characters",
			a:    feeds.Item{Key: "a", Link: "https://asahi.example/articles/ASN4P", Title: "東京都で新たに感染確認、過去最多に - 朝日新聞デジタル"},
			b:    feeds.Item{Key: "b", Link: "https://yomiuri.example/national/20200421", Title: "東京都で新たに感染確認、過去最多に - 読売新聞オンライン"},
			same: true,
		},
		{
			// A news flash's headline of two characters with its outlet's
			// credit is five characters, each a word: the next flash is
			// another story.
			name:     "a short Chinese headline with a credit, on the next flash",
			a:        feeds.Item{Key: "a", Link: "https://xinhua.example/flash/20150316a", Title: "快讯 - 新华社"},
			b:        feeds.Item{Key: "b", Link: "https://xinhua.example/flash/20150316b", Title: "快讯 - 新华社"},
			sameFeed: true,
			same:     false,
		},
		{
			name:     "one GUID for every item of a feed",
			a:        feeds.Item{Key: "a", GUID: "https://wire.example/", Link: "https://wire.example/1", Title: "Aleppo ceasefire holds overnight"},
			b:        feeds.Item{Key: "b", GUID: "https://wire.example/", Link: "https://wire.example/2", Title: "Aleppo hospital bombed in airstrike"},
			sameFeed: true,
			same:     false,
		},
		{
			// A Google News feed credits every headline; a daily live
			// page's is short but for the credit, and the next day's
			// (within the outbox's 48 h) is another story.
			name:     "a short headline with the same credit on the next day's page",
			a:        feeds.Item{Key: "a", Link: "https://www.bbc.co.uk/news/live/world-52360001", Title: "Coronavirus latest updates - BBC News"},
			b:        feeds.Item{Key: "b", Link: "https://www.bbc.co.uk/news/live/world-52375002", Title: "Coronavirus latest updates - BBC News"},
			sameFeed: true,
			same:     false,
		},
		{
			name: "short generic headlines on different links",
			a:    feeds.Item{Key: "a", Link: "https://one.example/live/1", Title: "Live updates"},
			b:    feeds.Item{Key: "b", Link: "https://one.example/live/2", Title: "Live updates"},
			same: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			feedB := "feed-b"
			if tt.sameFeed {
				feedB = "feed-a"
			}
			ka := map[string]bool{}
			for _, k := range StoryKeys("feed-a", &tt.a) {
				ka[k] = true
			}
			var shared []string
			for _, k := range StoryKeys(feedB, &tt.b) {
				if ka[k] {
					shared = append(shared, k)
				}
			}
			if got := len(shared) > 0; got != tt.same {
				t.Errorf("same story: got %v (shared keys %q), want %v", got, shared, tt.same)
			}
		})
	}
}
