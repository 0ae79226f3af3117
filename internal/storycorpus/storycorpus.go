// Package storycorpus holds the story-grouping tests' fixtures: it reads
// the shared news corpus (found by internal/corpus) for the five Aleppo
// articles and has the invented headlines under which five feeds carry
// each, and the invented headlines of the re-split tests.
package storycorpus

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// AleppoHeadlines are invented headlines under which five feeds carry each
// of the five Aleppo articles of the corpus (in file order): outlet
// credits, "U.S." and "US", one-word edits and rewrites.
var AleppoHeadlines = [5][5]string{
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

// AleppoLeads returns the lead of each Aleppo article in file order.
func AleppoLeads(corpus string) (leads []string, err error) {
	articles, err := Articles(corpus)
	for _, a := range articles {
		leads = append(leads, ArticleLead(strings.Join(a.Paragraphs, "\n")))
	}
	return leads, err
}

// ArticleLead is what a feed would give as an article's summary: its
// first paragraphs, without photo captions and page furniture.
func ArticleLead(text string) string {
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

// An Article is one article of the corpus: its file's name and its
// paragraphs (the file's non-blank lines, spacing collapsed).
type Article struct {
	Name       string
	Paragraphs []string
}

// Articles returns the articles of the corpus in file order.
func Articles(corpus string) (articles []Article, err error) {
	dir := filepath.Join(corpus, "articles")
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("no articles in %s", dir)
	}
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		a := Article{Name: filepath.Base(f)}
		for line := range strings.Lines(string(b)) {
			if line = strings.Join(strings.Fields(line), " "); line != "" {
				a.Paragraphs = append(a.Paragraphs, line)
			}
		}
		articles = append(articles, a)
	}
	return articles, nil
}

// A UCIReport is one row of topics/uci_news_stories.tsv: a headline, its
// link, its outlet, and the story the aggregator put it in (the gold
// label).
type UCIReport struct {
	Title, URL, Publisher, Story string
}

// UCI returns the UCI News Aggregator rows split as the corpus README
// says: the stories whose id sorts in the first half are for tuning, the
// rest for reporting.
func UCI(corpus string) (tune, report []UCIReport, err error) {
	b, err := os.ReadFile(filepath.Join(corpus, "topics", "uci_news_stories.tsv"))
	if err != nil {
		return nil, nil, err
	}
	var rows []UCIReport
	for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if i == 0 {
			continue // the header
		}
		fs := strings.Split(line, "\t")
		if len(fs) != 7 {
			return nil, nil, fmt.Errorf("uci_news_stories.tsv:%d: %d fields, want 7", i+1, len(fs))
		}
		rows = append(rows, UCIReport{Title: fs[1], URL: fs[2], Publisher: fs[3], Story: fs[5]})
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.Story)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	firstReport := ids[len(ids)/2]
	for _, r := range rows {
		if r.Story < firstReport {
			tune = append(tune, r)
		} else {
			report = append(report, r)
		}
	}
	return tune, report, nil
}
