package story

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// aleppoHeadlines are invented headlines under which five feeds carry each
// of the five Aleppo articles of the corpus (in file order): outlet
// credits, "U.S." and "US", one-word edits and rewrites.
var aleppoHeadlines = [5][5]string{
	{
		"Syria Daily: 27 killed as pro-regime attacks hit eastern Aleppo",
		"White Helmets: 27 killed in pro-regime attacks on east Aleppo - EA WorldView",
		"Last hospital standing in eastern Aleppo copes with hundreds of injured",
		"Syria Daily: 27 slain as pro-regime attacks hit eastern Aleppo",
		"Omar hospital attack: medic describes horror (AP)",
	},
	{
		"Aleppo bombed as U.S., Russia plan talks",
		"Aleppo bombed as US, Russia plan talks - Reuters",
		"Aleppo bombed as U.S. and Russia plan talks | Al Jazeera",
		"Kerry ready to walk away if Aleppo deal falls short",
		"Putin sees 'some alignment' with Washington on Syria",
	},
	{
		"Lavrov equates Syrian rebels with Nusra 'terrorists'",
		"Lavrov equates Syria's rebels with Nusra terrorists - Reuters",
		"At press conference with Kerry, Lavrov lumps rebels in with Jabhat al-Nusra",
		"Russia's Lavrov: rebels are terrorists | EA WorldView",
		"LIVE: Kerry and Lavrov news conference",
	},
	{
		"U.S. and Russia to negotiate rebel withdrawal from Aleppo",
		"US, Russia to negotiate rebel exit from Aleppo",
		"Russia: rebels who refuse to leave eastern Aleppo will be treated as terrorists",
		"US and Russia to negotiate rebel withdrawal from Aleppo - Washington Examiner",
		"Kerry seeks to salvage something from Aleppo as rebels face exit",
	},
	{
		"US sees progress in Syria talks with Russian Federation, expects meeting soon",
		"U.S. sees progress in Syria talks with Russia, expects meeting soon - Reuters",
		"Kerry, Lavrov fail to strike Syria ceasefire deal in China",
		"No Syria ceasefire deal after Kerry-Lavrov meeting (AFP)",
		"US sees progress in Syria talks with Russia, expects meeting soon",
	},
}

// articleLead is what a feed would give as an article's summary: its
// first paragraphs, without photo captions and page furniture.
func articleLead(text string) string {
	var paras []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if len(strings.Fields(line)) < 8 || strings.HasPrefix(line, "PHOTO:") {
			continue
		}
		paras = append(paras, line)
		if len(paras) == 2 {
			break
		}
	}
	return strings.Join(paras, "\n")
}

// TestAleppoArticles puts each of the five Aleppo articles under five
// feeds' headlines, as the issue describes, and wants five stories: one
// per article, every report joined to its article's story.
func TestAleppoArticles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpusDir, "articles", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("corpus not found: the Aleppo articles need ../shared/corpus/articles")
	}
	if len(files) != len(aleppoHeadlines) {
		t.Fatalf("%d articles, want %d", len(files), len(aleppoHeadlines))
	}
	leads := make([]string, len(files))
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		leads[i] = articleLead(string(b))
	}
	idx := NewIndex(Options{})
	storyOf := map[string]int{} // story → article that opened it
	at := time.Date(2016, 12, 5, 9, 0, 0, 0, time.UTC)
	// feed by feed, so that each article's first report comes early and
	// the others find both their own story and the others' in the window
	for feed := range 5 {
		for article := range files {
			at = at.Add(7 * time.Minute)
			id := fmt.Sprintf("feed%d/article%d", feed, article)
			lead := leads[article]
			if feed%2 == 1 { // some feeds send HTML with entities
				lead = strings.ReplaceAll(lead, "’", "&#8217;")
			}
			story, score, joined := idx.Group(id, Make(aleppoHeadlines[article][feed], lead), at)
			if !joined {
				storyOf[story] = article
				t.Logf("%s opens a story: %q", id, aleppoHeadlines[article][feed])
				continue
			}
			if got := storyOf[story]; got != article {
				t.Errorf("%s %q joined the story of article %d (score %.2f), want article %d", id, aleppoHeadlines[article][feed], got, score, article)
			}
		}
	}
	if len(storyOf) != len(files) {
		t.Errorf("%d stories, want %d", len(storyOf), len(files))
	}
}
