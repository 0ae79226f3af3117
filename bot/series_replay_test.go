package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/corpus"
)

// A served document: a feed's answer at one poll.
type servedDoc struct {
	status int
	ctype  string
	body   []byte
}

// docServer answers every request with the document the test set last,
// as a live feed answers with what it publishes now.
type docServer struct {
	mu  sync.Mutex
	doc servedDoc
	srv *httptest.Server
}

func newDocServer(t *testing.T) *docServer {
	s := &docServer{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		d := s.doc
		s.mu.Unlock()
		w.Header().Set("Content-Type", d.ctype)
		w.WriteHeader(d.status)
		w.Write(d.body)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *docServer) set(d servedDoc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.doc = d
}

// A capture is one snapshot of a corpus series: what the feed served then.
type capture struct {
	at   time.Time
	body []byte
}

// seriesSnapshots reads a corpus series (news/series/NAME) in capture
// order, its files named by capture time (2020-04-21T004301Z_9562ee23.xml).
func seriesSnapshots(t *testing.T, name string) []capture {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(corpus.Dir(t), "news", "series", name, "*.xml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("series %s: no snapshots (%v)", name, err)
	}
	slices.Sort(paths)
	var out []capture
	for _, p := range paths {
		at, err := time.Parse("2006-01-02T150405Z", strings.SplitN(filepath.Base(p), "_", 2)[0])
		if err != nil {
			t.Fatalf("snapshot %s: %v", p, err)
		}
		body, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, capture{at: at, body: body})
	}
	return out
}

func rssDoc(body []byte) servedDoc {
	return servedDoc{status: http.StatusOK, ctype: "application/rss+xml; charset=utf-8", body: body}
}

var (
	itemRe     = regexp.MustCompile(`(?s)<item\b.*?</item>`)
	itemLinkRe = regexp.MustCompile(`(?s)(<link>\s*(?:<!\[CDATA\[)?)(https?://[^<\]\s]+)`)
	titleRe    = regexp.MustCompile(`(?s)(<title>\s*(?:<!\[CDATA\[)?)(.*?)(\s*(?:\]\]>)?\s*</title>)`)
	guidRe     = regexp.MustCompile(`(?s)<guid\b[^>]*>\s*(?:<!\[CDATA\[)?([^<\]]*?)\s*(?:\]\]>)?\s*</guid>`)
	pubDateRe  = regexp.MustCompile(`(?s)<pubDate>[^<]*</pubDate>`)
)

// inItems applies edit to each <item> of an RSS document.
func inItems(body []byte, edit func([]byte) []byte) []byte {
	return itemRe.ReplaceAllFunc(body, edit)
}

// withTracking gives each item's link the parameters a newsletter tool or
// a CDN's "share" template adds.
func withTracking(body []byte) []byte {
	return inItems(body, func(it []byte) []byte {
		return itemLinkRe.ReplaceAllFunc(it, func(m []byte) []byte {
			sub := itemLinkRe.FindSubmatch(m)
			link, amp := string(sub[2]), "&amp;"
			if strings.Contains(string(sub[1]), "CDATA") {
				amp = "&"
			}
			sep := "?"
			if strings.Contains(link, "?") {
				sep = amp
			}
			return []byte(string(sub[1]) + link + sep + "utm_source=rss" + amp + "utm_medium=feed" + amp + "utm_campaign=news")
		})
	})
}

// reissued gives each item a new GUID, as a CMS migration does.
func reissued(body []byte) []byte {
	return inItems(body, func(it []byte) []byte {
		return guidRe.ReplaceAllFunc(it, func(m []byte) []byte {
			sum := sha256.Sum256(guidRe.FindSubmatch(m)[1])
			return []byte(`<guid isPermaLink="false">urn:cms2:` + hex.EncodeToString(sum[:8]) + `</guid>`)
		})
	})
}

// rehosted moves each item's link to an aggregator's site, as a wire
// copy's is.
func rehosted(body []byte) []byte {
	return inItems(body, func(it []byte) []byte {
		return itemLinkRe.ReplaceAll(it, []byte("${1}https://newswire.example/story?u=${2}"))
	})
}

const credit = " - Newswire"

// credited ends each headline with the outlet's credit.
func credited(body []byte) []byte {
	return inItems(body, func(it []byte) []byte {
		return titleRe.ReplaceAll(it, []byte("${1}${2}"+credit+"${3}"))
	})
}

// redated dates every item at, as feeds that stamp the time of the fetch
// do.
func redated(body []byte, at time.Time) []byte {
	return inItems(body, func(it []byte) []byte {
		return pubDateRe.ReplaceAll(it, []byte("<pubDate>"+at.Format(time.RFC1123Z)+"</pubDate>"))
	})
}

// firstItems keeps the first half of the items, as a feed that shortens
// its list for a while does.
func firstItems(body []byte) []byte {
	n := len(itemRe.FindAll(body, -1))
	i := 0
	return inItems(body, func(it []byte) []byte {
		i++
		if i > (n+1)/2 {
			return nil
		}
		return it
	})
}

// A glitch is what a feed serves for one poll between two of its honest
// answers.
type glitch struct {
	name string
	doc  func(body []byte, at time.Time) servedDoc
}

var glitches = []glitch{
	{"headlines credited", func(b []byte, _ time.Time) servedDoc { return rssDoc(credited(b)) }},
	{"HTTP 500", func([]byte, time.Time) servedDoc {
		return servedDoc{status: http.StatusInternalServerError, ctype: "text/plain", body: []byte("upstream timed out")}
	}},
	{"truncated", func(b []byte, _ time.Time) servedDoc { return rssDoc(b[:len(b)/2]) }},
	{"an HTML page", func([]byte, time.Time) servedDoc {
		return servedDoc{status: http.StatusOK, ctype: "text/html; charset=utf-8",
			body: []byte("<!DOCTYPE html><html><head><title>Just a moment...</title></head><body><p>Checking your browser</p></body></html>")}
	}},
	{"half the items", func(b []byte, _ time.Time) servedDoc { return rssDoc(firstItems(b)) }},
	{"links with utm_ parameters", func(b []byte, _ time.Time) servedDoc { return rssDoc(withTracking(b)) }},
	{"GUIDs reissued", func(b []byte, _ time.Time) servedDoc { return rssDoc(reissued(b)) }},
	{"dates rewritten", func(b []byte, at time.Time) servedDoc { return rssDoc(redated(b, at)) }},
	{"GUIDs reissued, links with utm_ parameters", func(b []byte, _ time.Time) servedDoc { return rssDoc(withTracking(reissued(b))) }},
	{"all at once", func(b []byte, at time.Time) servedDoc {
		return rssDoc(credited(redated(withTracking(reissued(b)), at)))
	}},
}

// A timedDoc is what each feed of a replay serves at one poll's time.
type timedDoc struct {
	at   time.Time
	docs []servedDoc // by feed, in the order of the replay's names
}

// replay polls feeds named names, each serving its documents of polls in
// turn at the poll's time, each poll a run --once of its own, and returns
// the titles each poll delivered. Every item matches, of any age, under
// the default story window, for a desk that cannot edit what it posted:
// each report of a story is a message, each item one at most.
func replay(t *testing.T, names []string, polls []timedDoc) [][]string {
	t.Helper()
	h := newHarness(t, config.Subscription{Name: "all", Query: "feed:" + strings.Join(names, " OR feed:"), MaxAge: 50 * 365 * 24 * time.Hour, StoryWindow: 48 * time.Hour})
	h.cfg.Defaults.AllowPrivateNetworks = true
	h.cfg.Feeds = nil
	var srvs []*docServer
	for _, name := range names {
		srv := newDocServer(t)
		srvs = append(srvs, srv)
		h.cfg.Feeds = append(h.cfg.Feeds, config.Feed{Name: name, URL: srv.srv.URL + "/rss", Interval: 10 * time.Minute})
	}
	var out [][]string
	for _, p := range polls {
		for i, d := range p.docs {
			srvs[i].set(d)
		}
		h.clock = p.at
		before := len(h.rec.titles())
		h.runOnce()
		out = append(out, h.rec.titles()[before:])
	}
	return out
}

// missingFrom is what of b a lacks, each title as often as it lacks it.
func missingFrom(a, b []string) []string {
	left := map[string]int{}
	for _, s := range a {
		left[s]++
	}
	var out []string
	for _, s := range b {
		if left[s] > 0 {
			left[s]--
			continue
		}
		out = append(out, s)
	}
	return out
}

// TestCorpusSeriesGlitchesPostNothing holds README's "No flood" and "No
// duplicate" to real captures of a feed (BBC's, three in three hours of
// April 2020: items drop off the end, 14 new ones come) with what live
// feeds do between two honest answers, one after another: credit their
// headlines, fail, cut off, answer with a challenge page, shorten their
// list, add tracking parameters to their links, reissue their GUIDs,
// stamp every item with the time of the fetch. A glitch posts nothing,
// and neither does the honest answer after it: the captures post what
// they post without glitches. Each poll is a run --once of its own: a
// restart re-posts nothing either.
func TestCorpusSeriesGlitchesPostNothing(t *testing.T) {
	var clean, glitched []timedDoc
	for _, s := range seriesSnapshots(t, "bbc")[:3] {
		clean = append(clean, timedDoc{s.at, []servedDoc{rssDoc(s.body)}})
		glitched = append(glitched, timedDoc{s.at, []servedDoc{rssDoc(s.body)}})
		for i, g := range glitches {
			at := s.at.Add(time.Duration(i+1) * time.Minute)
			glitched = append(glitched, timedDoc{at, []servedDoc{g.doc(s.body, at)}})
		}
	}
	want := slices.Concat(replay(t, []string{"wire"}, clean)...)
	got := replay(t, []string{"wire"}, glitched)
	for i, titles := range got {
		if g := i % (len(glitches) + 1); g > 0 && len(titles) > 0 {
			t.Errorf("capture %d, then %s, posted %q, want nothing", i/(len(glitches)+1), glitches[g-1].name, titles)
		}
	}
	if all := slices.Concat(got...); !slices.Equal(all, want) {
		t.Errorf("with glitches, the captures posted %d alerts, without %d:\nonly with: %q\nonly without: %q",
			len(all), len(want), missingFrom(want, all), missingFrom(all, want))
	}
}

// TestCorpusFeedsGlitchesPostNothing holds the glitches of
// TestCorpusSeriesGlitchesPostNothing, one after another, to feeds of other
// kinds: China Digital Times' (headlines in Chinese, their source first,
// "新华网 | 徐才厚癌症恶化医治无效死亡") and ABC News' (links in CDATA). After
// the first sight, nothing is posted.
func TestCorpusFeedsGlitchesPostNothing(t *testing.T) {
	for _, name := range []string{"greatfire2015_cdt.xml", "gogator_abcnews.xml"} {
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(corpus.Dir(t), "news", "single", name))
			if err != nil {
				t.Fatal(err)
			}
			at := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
			polls := []timedDoc{{at, []servedDoc{rssDoc(body)}}}
			for i, g := range glitches {
				at := at.Add(time.Duration(i+1) * time.Minute)
				polls = append(polls, timedDoc{at, []servedDoc{g.doc(body, at)}})
			}
			for i, titles := range replay(t, []string{"wire"}, polls) {
				if i > 0 && len(titles) > 0 {
					t.Errorf("%s posted %d: %q, want nothing", glitches[i-1].name, len(titles), titles)
				}
			}
		})
	}
}

// TestCorpusSeriesOnSeveralFeedsPostsEachItemOnce holds README's "No
// duplicate" ("the same wire copy on several feeds ... destinations that
// cannot edit get the same wire headline once") to real captures carried
// by several feeds at once: an outlet's home and section feeds, which list
// the same items, and aggregators that carry them with their tracking
// parameters, under their own GUIDs with their credit, or under their own
// links too. Every item is posted once, as the outlet's feed alone posts
// it, but a headline of fewer than five words under another link, which
// is another story ("Live updates"). Three BBC captures of April 2020: the
// first sight, then 39 and 43 new items, of which some headlines end in
// their source ("… 'just another patient' - New Zealand nurse").
func TestCorpusSeriesOnSeveralFeedsPostsEachItemOnce(t *testing.T) {
	copies := []struct {
		name string
		copy func([]byte) []byte
	}{
		{"same", func(b []byte) []byte { return b }},
		{"tracked", withTracking},
		{"reissued", func(b []byte) []byte { return credited(reissued(b)) }},
		{"rehosted", func(b []byte) []byte { return credited(reissued(rehosted(b))) }},
	}
	names := []string{"wire"}
	for _, c := range copies {
		names = append(names, c.name)
	}
	var alone, all []timedDoc
	for _, s := range seriesSnapshots(t, "bbc")[2:5] {
		alone = append(alone, timedDoc{s.at, []servedDoc{rssDoc(s.body)}})
		docs := []servedDoc{rssDoc(s.body)}
		for _, c := range copies {
			docs = append(docs, rssDoc(c.copy(s.body)))
		}
		all = append(all, timedDoc{s.at, docs})
	}
	want := slices.Concat(replay(t, []string{"wire"}, alone)...)
	for _, title := range want {
		if len(strings.Fields(title)) < 5 {
			want = append(want, title) // the rehosted copy's
		}
	}
	got := slices.Concat(replay(t, names, all)...)
	// Any feed's copy may come first: the feeds are polled at once.
	for i := range got {
		got[i] = strings.TrimSuffix(got[i], credit)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("on %d feeds, the captures posted %d alerts, on one %d:\nonly on several: %q\nonly on one: %q",
			len(names), len(got), len(want), missingFrom(want, got), missingFrom(got, want))
	}
}

// TestCorpusSeriesGroupsAcrossRestartsAsInOneProcess holds README's "One
// story, one message: the grouping state is kept in the database with the
// outbox, so a restart groups as before" to real captures (the LA Times'
// first four, three of April 2020 and one of June: 94 alerts posted, 12
// reports listed under them) for a desk that edits its messages: polled
// by one process, or by a new one at each capture, the same alerts are
// posted and the same reports listed.
func TestCorpusSeriesGroupsAcrossRestartsAsInOneProcess(t *testing.T) {
	caps := seriesSnapshots(t, "latimes")[:4]
	run := func(restarts bool) (sent, joins []string) {
		h := newHarness(t, config.Subscription{Name: "all", Query: "feed:wire", MaxAge: 50 * 365 * 24 * time.Hour, StoryWindow: 48 * time.Hour})
		h.cfg.Defaults.AllowPrivateNetworks = true
		srv := newDocServer(t)
		h.cfg.Feeds = []config.Feed{{Name: "wire", URL: srv.srv.URL + "/rss", Interval: 10 * time.Minute}}
		rec := &editRecorder{deleted: map[string]bool{}, clock: func() time.Time { return h.clock }}
		svc, closeStore := h.openWith(rec)
		for i, c := range caps {
			if restarts && i > 0 {
				closeStore()
				svc, closeStore = h.openWith(rec)
			}
			srv.set(rssDoc(c.body))
			// The second pass, past the sender's wait for a story's first
			// alert (leadGrace), lists the reports that waited.
			for _, at := range []time.Time{c.at, c.at.Add(leadGrace + time.Second)} {
				h.clock = at
				if _, err := svc.RunOnce(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
		}
		closeStore()
		rec.emu.Lock()
		defer rec.emu.Unlock()
		for _, e := range rec.edits {
			for _, j := range e.Added {
				joins = append(joins, j.Alert.Title)
			}
		}
		slices.Sort(joins)
		return rec.titles(), joins
	}
	sent, joins := run(false)
	if len(joins) == 0 {
		t.Fatalf("one process listed no report under another's message (%d posted): the captures test no grouping", len(sent))
	}
	sentAgain, joinsAgain := run(true)
	if !slices.Equal(sentAgain, sent) {
		t.Errorf("with restarts, %d alerts posted, in one process %d:\nonly with restarts: %q\nonly in one process: %q",
			len(sentAgain), len(sent), missingFrom(sent, sentAgain), missingFrom(sentAgain, sent))
	}
	if !slices.Equal(joinsAgain, joins) {
		t.Errorf("with restarts, %d reports listed, in one process %d:\nonly with restarts: %q\nonly in one process: %q",
			len(joinsAgain), len(joins), missingFrom(joins, joinsAgain), missingFrom(joinsAgain, joins))
	}
}
