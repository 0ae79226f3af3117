package story

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSlugWords(t *testing.T) {
	tests := []struct {
		name, link string
		want       []string
	}{
		{"dated slug", "http://www.example.com/2014/03/11/why-acme-corp-is-called-a-comeback-story-by-analyst/",
			[]string{"why", "acme", "corp", "called", "comeback", "story", "analyst"}},
		{"slug with id and extension", "http://www.example.com/news/business/acme-shares-jump-globex-upgrade-20140311,0,1312750.story?track=rss",
			[]string{"acme", "shares", "jump", "globex", "upgrade"}},
		{"underscores and an id segment", "http://example.com/7509228/acme_shares_jump_globex_upgrade.html",
			[]string{"acme", "shares", "jump", "globex", "upgrade"}},
		{"furniture run into the slug", "http://example.com/article-acme-shares-jump-index.html",
			[]string{"acme", "shares", "jump"}},
		{"sections and ids only", "http://www.example.com/news/business/article5770902.ece", nil},
		{"two words are no slug", "http://example.com/markets/acme-upgrade/12345", nil},
		{"random id", "http://example.com/Politics/H2EvwJSK2VE6OF7iK1g3PP/", nil},
		{"no link", "", nil},
		{"not a link", "://", nil},
		{"no path", "https://www.example.com", nil},
		{"a home page", "https://www.example.com/", nil},
		{"tracking parameters", "https://www.smh.com.au/national/children-paying-the-price-of-library-shutdowns-20200418-p54l00.html?ref=rss&utm_medium=rss&utm_source=rss_feed",
			[]string{"children", "paying", "the", "price", "library", "shutdowns"}},
		{"a wire id", "https://www.reuters.com/article/us-ukraine-crisis-sanctions-idUSBREA2A1XY20140311", []string{"ukraine", "crisis", "sanctions"}},
		{"percent-encoded Arabic", "https://www.aljazeera.net/news/2024/5/19/%D8%A7%D9%84%D8%AD%D8%B1%D8%A8-%D8%B9%D9%84%D9%89-%D8%BA%D8%B2%D8%A9",
			[]string{"الحرب", "على", "غزة"}},
		{"accented letters", "https://www.example.de/politik/münchen-öffnet-die-straßen-wieder", []string{"münchen", "öffnet", "die", "straßen", "wieder"}},
		{"Chinese, one run of letters", "https://cn.example.com/新闻/中国经济增长放缓", nil},
		{"a broken escape", "https://example.com/acme-shares-jump-%zz", nil},
		{"a name written in mixed case", "https://example.com/2026/03/11/apple-unveils-new-iPhone-at-event", []string{"apple", "unveils", "new", "iphone", "event"}},
		{"an id run into the slug", "http://www.afr.com/p/technology/australian_bitcoin_traders_burnt_Q5G0ljoMMxeYPvdvUPzaRI",
			[]string{"australian", "bitcoin", "traders", "burnt"}},
		{"two names in mixed case among a dozen words", "http://www.streetinsider.com/Special+Reports/Market+Wrap%3A+Chiquita+Now+Biggest+Banana+Brand%3B+eBay+Rejects+Icahn+Offer%3B+McDonalds+Comps+Fell+in+Feb./9266121.html",
			[]string{"market", "chiquita", "now", "biggest", "banana", "ebay", "rejects", "icahn", "mcdonalds", "comps", "fell", "feb"}},
		{"Google News redirect", "http://news.google.com/news/url?sa=t&fd=R&url=http://www.spiegel.de/politik/deutschland/netzpolitik-affaere-justizminister-heiko-maas-in-der-kritik-a-1046760.html", nil},
		{"Google News article id", "https://news.google.com/rss/articles/zhA-ubkU_PPN-kJxe_iRmbQjERx9s-l8_e8qX_eqGsMqnWRhnx_6gN6lldPflAq3zg2eWw_SO67p-IlP0nBYwgx9VNep-hHIlrcTNo_XPeHKBZDRgI6MbN_32FL44ncDb-_JZHd97-KrIGQWP8LnJfzHMIaX5S7odnppIRy2QMTZkrgQkdfgyNlM3V2aCMZCT3U9gZf6?oc=5", nil},
		{"another Google News article id", "https://news.google.com/rss/articles/bRF-_FVC92BAofEBWDDk8IiwISdQrGUHhZ0zOTRz40akFxCDd8wlmusTEuBjnqTAGaKK6-G8V5CMAFDqb3Bi6Icyz37AuPyzm3S0uM3xXHxnh7VvYQJwNMjau2M_wvU_Gg8tg0BjEe6A-daV0Vd8-zP1BloeI5_NOqf5Q5eb7dT3ZS9-rmEptI0AHDeWOhPEWCEAiKY_UWIQP4viuggQ-euWw_IE7cJSDQg1", nil},
		{"FeedBurner, its id then the slug", "http://rss.cnn.com/~r/rss/cnn_topstories/~3/7o8TRrLwstE/dnt-tx-black-friday-dealership-one-dollar-cars.kprc.html",
			[]string{"dnt", "black", "friday", "dealership", "one", "dollar", "cars", "kprc"}},
		// Past maxSlugLink by its query or fragment: the slug is read whole.
		{"a signature's kilobyte after the slug", "https://wire.example/2026/03/11/pizza-chain-sbarro-files-for-bankruptcy-again.html?sig=" + strings.Repeat("0f", 600),
			[]string{"pizza", "chain", "sbarro", "files", "for", "bankruptcy", "again"}},
		{"a fragment's kilobyte after the slug", "https://wire.example/2026/03/11/pizza-chain-sbarro-files-for-bankruptcy-again#" + strings.Repeat("0f", 600),
			[]string{"pizza", "chain", "sbarro", "files", "for", "bankruptcy", "again"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := slugWords(tt.link); !slices.Equal(got, tt.want) {
				t.Errorf("slugWords(%q) = %q, want %q", tt.link, got, tt.want)
			}
		})
	}
}

// TestSlugJoinsACutHeadline: with slug words on (slugOwn), a headline
// that names too little of its story (cut by the feed, or written as a
// teaser) joins it through the words of its link's slug when the feed
// gives no lead and the slug may open a join; under a link without a
// slug, with another story's slug, with slug words off, or where the slug
// may only confirm a join the titles make (Options.slugConfirm, the
// defaults), it opens a message of its own.
func TestSlugJoinsACutHeadline(t *testing.T) {
	const (
		first     = "Acme Corp shares jump after Globex analyst upgrade"
		firstLink = "https://wire.example/2026/03/11/acme-corp-shares-jump-after-globex-analyst-upgrade/"
		teaser    = "Stock of the day: the retailer everyone wrote off"
	)
	slugOn := Options{slugMode: slugOwn, slugWeight: 0.5, slugConfirm: -1}
	tests := []struct {
		name, link string
		opt        Options
		want       bool
	}{
		{"slug names the story", "https://markets.example/2026/03/11/acme-corp-shares-jump-globex-upgrade-retailer/", slugOn, true},
		{"no slug", "https://markets.example/p/48213", slugOn, false},
		{"slug of another story", "https://markets.example/2026/03/11/initech-recalls-printers-after-fires/", slugOn, false},
		{"slug words off", "https://markets.example/2026/03/11/acme-corp-shares-jump-globex-upgrade-retailer/", Options{slugMode: -1}, false},
		{"the defaults", "https://markets.example/2026/03/11/acme-corp-shares-jump-globex-upgrade-retailer/", Options{}, false},
		{"slug only confirming", "https://markets.example/2026/03/11/acme-corp-shares-jump-globex-upgrade-retailer/", Options{slugMode: slugOwn, slugWeight: 0.5, slugConfirm: slugTitleBars | slugRefuseAll}, false},
		{"slug-only join weak, not refused", "https://markets.example/2026/03/11/acme-corp-shares-jump-globex-upgrade-retailer/", Options{slugMode: slugOwn, slugWeight: 0.5, slugConfirm: slugTitleBars | slugWeak}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx := NewIndex(tt.opt)
			idx.Group("first", Make(first, "").WithLink(firstLink), t0)
			_, score, joined := idx.Group("teaser", Make(teaser, "").WithLink(tt.link), t0.Add(time.Hour))
			if joined != tt.want {
				t.Errorf("%q under %s: joined %v (score %.2f), want %v", teaser, tt.link, joined, score, tt.want)
			}
		})
	}
}

// TestSlugIgnoredBesideALead: the slug stands in for a lead the feed does
// not give; beside a lead it adds nothing, so that grouping reports with
// leads is as it was.
func TestSlugIgnoredBesideALead(t *testing.T) {
	link := "https://markets.example/2026/03/11/acme-corp-shares-jump-globex-upgrade/"
	slugOn := Options{slugMode: slugOwn, slugWeight: 0.5, slugConfirm: -1}
	with, without := NewIndex(slugOn), NewIndex(slugOn)
	with.Add("a", "a", Make("Kerry, Lavrov agree Syria truce", wireLead).WithLink(link), t0)
	without.Add("a", "a", Make("Kerry, Lavrov agree Syria truce", wireLead), t0)
	probe := Make("Syria truce agreed in Geneva", wireLead)
	_, s1, ok1 := with.Best(probe.WithLink(link), t0.Add(time.Hour))
	_, s2, ok2 := without.Best(probe, t0.Add(time.Hour))
	if s1 != s2 || ok1 != ok2 {
		t.Errorf("with the slug: %.3f, %v; without: %.3f, %v; want the same", s1, ok1, s2, ok2)
	}
}

// TestDefaultsAreSlugConfirmed: the zero Options are the setting
// TestUCITune measured as slugConfirmed, and a negative slugMode or
// slugConfirm turns what the zero value gives off.
func TestDefaultsAreSlugConfirmed(t *testing.T) {
	tests := []struct {
		name       string
		opt        Options
		mode, conf int
	}{
		{"zero", Options{}, slugOwn, slugTitleBars | slugRefuseAll},
		{"slugConfirmed", slugConfirmed, slugOwn, slugTitleBars | slugRefuseAll},
		{"slug words off", Options{slugMode: -1}, slugOff, slugTitleBars | slugRefuseAll},
		{"no confirming", Options{slugConfirm: -1}, slugOwn, 0},
		{"as the lead, joins weak", Options{slugMode: slugAsLead, slugConfirm: slugWeak}, slugAsLead, slugWeak},
	}
	for _, tt := range tests {
		got := tt.opt.withDefaults()
		if got.slugMode != tt.mode || got.slugConfirm != tt.conf {
			t.Errorf("%s: slugMode %d, slugConfirm %d; want %d, %d", tt.name, got.slugMode, got.slugConfirm, tt.mode, tt.conf)
		}
	}
	if got, want := (Options{}).withDefaults(), slugConfirmed.withDefaults(); got != want {
		t.Errorf("the defaults %+v, want slugConfirmed's %+v", got, want)
	}
}

// TestSlugOfAHugeLink: a hostile feed's link of 100 kB costs no more than
// its first part: its slug words are those of its first kilobyte, at most
// maxSlugWords of them, and its fingerprint stays small.
func TestSlugOfAHugeLink(t *testing.T) {
	var words []string
	for i := range 25000 {
		words = append(words, string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676%26)))
	}
	head := "https://example.com/2026/03/11/acme-corp-shares-jump-after-globex-analyst-upgrade/"
	link := head + strings.Join(words, "-")
	if len(link) < 100_000 {
		t.Fatalf("link of %d bytes, want 100 kB or more", len(link))
	}
	got := slugWords(link)
	want := slugWords(link[:strings.LastIndexByte(link[:maxSlugLink], '-')])
	if len(want) > maxSlugWords {
		want = want[:maxSlugWords]
	}
	if !slices.Equal(got, want) {
		t.Errorf("slug words of a %d-byte link: %d words %q…, want its first kilobyte's, %d words %q…", len(link), len(got), got[:min(len(got), 12)], len(want), want[:min(len(want), 12)])
	}
	b, _ := Make("Acme Corp shares jump", "").WithLink(link).MarshalBinary()
	if len(b) > 300 {
		t.Errorf("fingerprint of a %d-byte link: %d bytes, want at most 300", len(link), len(b))
	}
}

// TestALinkEveryItemShares: a feed that gives every item the same link
// (its home page, a section's or a live page's) does not make its items
// one story: they group as they would with no link.
func TestALinkEveryItemShares(t *testing.T) {
	titles := []string{
		"Markets rally as central bank holds rates", "Storm warning issued for the northern coast",
		"Oil prices slip as OPEC output hits a record", "Heatwave ends with record rainfall",
		"Valley farmers count losses after storm", "Dam project approved by council",
		"Council approves new bus lanes", "Rates held as markets watch inflation",
		"Record rainfall floods valley farms", "OPEC meets to discuss output cut",
		"Museum reopens after two-year renovation", "Teachers vote to strike over pay",
		"Airport expansion plan faces legal challenge", "Football club sacks manager after defeat",
		"Wildfire forces evacuations in the hills", "New vaccine approved for older adults",
	}
	group := func(link string) []string {
		idx := NewIndex(Options{})
		var got []string
		for i, title := range titles {
			s, _, _ := idx.Group(fmt.Sprint(i), Make(title, "").WithLink(link), t0.Add(time.Duration(i)*10*time.Minute))
			got = append(got, s)
		}
		return got
	}
	want := group("")
	for _, link := range []string{
		"https://www.example.com/",
		"https://www.example.com/world-news-live-updates-today/",
		"https://www.example.com/latest/breaking-news-headlines-rolling-coverage-around-the-world",
	} {
		if got := group(link); !slices.Equal(got, want) {
			t.Errorf("every item under %s: stories %v, want %v, as with no link", link, got, want)
		}
	}
}

// TestSlugJoinsAloneOnlyThroughAStorysWords: under the defaults a link's
// slug only confirms a join the titles make to the report they resemble,
// but a teaser whose headline shares nothing with a story of three or more
// reports joins it through the words the story has made its own when its
// slug carries them: doubtfully, so that its headline is listed under the
// story ("Perhaps another story"). Refusing those joins too was measured:
// see DefaultOptions.
func TestSlugJoinsAloneOnlyThroughAStorysWords(t *testing.T) {
	story := []struct{ title, link string }{
		{"Acme Corp shares jump after Globex analyst upgrade", "https://wire.example/2026/03/11/acme-corp-shares-jump-after-globex-analyst-upgrade/"},
		{"Acme shares soar on Globex upgrade", "https://news.example/2026/03/11/acme-shares-soar-globex-upgrade/"},
		{"Globex analyst upgrades Acme Corp; stock jumps", "https://biz.example/2026/03/11/globex-analyst-upgrades-acme-corp-stock-jumps/"},
		{"Acme Corp stock rallies as Globex turns bullish", "https://biz2.example/2026/03/11/acme-corp-stock-rallies-globex-bullish/"},
	}
	const slug = "https://markets.example/2026/03/11/acme-corp-shares-jump-globex-analyst-upgrade-retailer/"
	tests := []struct {
		name    string
		reports int
		teaser  string
		want    bool
	}{
		{"one report", 1, "Why this comeback is for real", false},
		{"two reports", 2, "Why this comeback is for real", false},
		{"three reports", 3, "Why this comeback is for real", true},
		{"four reports", 4, "Stock of the day: the retailer everyone wrote off", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, link := range []string{slug, "https://markets.example/p/48213"} {
				idx := NewIndex(Options{})
				for i, r := range story[:tt.reports] {
					idx.Group(fmt.Sprint(i), Make(r.title, "").WithLink(r.link), t0.Add(time.Duration(i)*time.Minute))
				}
				want := tt.want && link == slug
				_, score, joined := idx.Group("teaser", Make(tt.teaser, "").WithLink(link), t0.Add(time.Hour))
				if joined != want || joined && !idx.Doubtful("teaser") {
					t.Errorf("%q under %s: joined %v by %.2f (doubtful %v), want joined %v, doubtful", tt.teaser, link, joined, score, idx.Doubtful("teaser"), want)
				}
			}
		})
	}
}
