package bot

import (
	"bytes"
	"context"
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
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/corpus"
	"github.com/newshound/newshound/internal/feedtest"
)

// TestLegacyCharsetReadRightPostsNothingAgain upgrades over a feed in
// windows-1251 that its server labels "charset=utf-8". newshound once
// trusted the label and read the Cyrillic as U+FFFD, so every item had
// another key (the headline's fingerprint is part of it). Reading the
// feed right must not post its items again, nor post at last the ones the
// garbled text kept from matching: they are old news. An item published
// afterwards is posted once, its headline in Cyrillic.
func TestLegacyCharsetReadRightPostsNothingAgain(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "orenburg", Query: "оренбург OR nato"})
	h.cfg.Defaults.AllowPrivateNetworks = true
	now := h.clock
	seed := item(1, "Погода без перемен", now.Add(-2*time.Hour))
	posted := item(2, "NATO и Оренбург: учения начались", now.Add(-time.Hour)) // matched through NATO, garbled
	missed := item(3, "Оренбург встречает весну", now.Add(-time.Hour))         // the garbled text matched nothing
	fresh := item(4, "Оренбург открыл новый аэропорт", now)

	var mu sync.Mutex
	var body []byte
	serve := func(items []feedtest.Item, asOldNewshoundReadIt bool) {
		doc := strings.Replace(feedtest.RSS("Вести", items...), `encoding="UTF-8"`, `encoding="windows-1251"`, 1)
		b, err := charmap.Windows1251.NewEncoder().Bytes([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if asOldNewshoundReadIt {
			// What newshound read before it overruled the header:
			// the bytes decoded as UTF-8, U+FFFD for each invalid one.
			if b, err = unicode.UTF8.NewDecoder().Bytes(b); err != nil {
				t.Fatal(err)
			}
		}
		mu.Lock()
		body = b
		mu.Unlock()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	h.cfg.Feeds = append(h.cfg.Feeds, config.Feed{Name: "vesti", URL: srv.URL + "/rss", Interval: 10 * time.Minute})

	poll := func() {
		t.Helper()
		h.clock = h.clock.Add(time.Hour)
		h.runOnce()
	}
	serve([]feedtest.Item{seed}, true)
	poll() // first sight
	serve([]feedtest.Item{posted, missed, seed}, true)
	poll()
	got := h.rec.titles()
	if len(got) != 1 || !strings.Contains(got[0], "NATO") || !strings.ContainsRune(got[0], '\uFFFD') {
		t.Fatalf("before the upgrade: delivered %q, want the NATO item's garbled headline", got)
	}
	before := got[0]

	serve([]feedtest.Item{posted, missed, seed}, false) // the upgrade reads it right
	poll()
	h.wantTitles(before)

	serve([]feedtest.Item{fresh, posted, missed, seed}, false)
	poll()
	poll() // and after a restart, the same document
	h.wantTitles(before, fresh.Title)
}

// TestLegacyCharsetReadRightIsNoLiveUpdate upgrades over real feeds in
// legacy charsets that their servers label "charset=utf-8", followed for
// live updates: the corpus's oren.ru news in windows-1251, every word of
// which versions before read as U+FFFD, and David Bau's blog, whose
// ISO-8859-1 (windows-1252) text they read right but for its dashes, and
// Spiegel's news in ISO-8859-1, its umlauts U+FFFD.
// Reading a feed right changes sentences of items already posted, which is
// no news: those items get no update, and nothing is posted again. A
// sentence an item gains afterwards is an update under its message.
func TestLegacyCharsetReadRightIsNoLiveUpdate(t *testing.T) {
	tests := []struct {
		file  string
		enc   encoding.Encoding
		at    time.Time // the feed's newest item's time, and a little
		fresh int       // the newest items, posted after the first sight
		query string    // matches them, and sentences of theirs the upgrade reads otherwise
		added string    // the sentence the newest item gains
		end   string    // where the text it follows updates of ends
	}{
		{"nodefp_iconv.xml", charmap.Windows1251, time.Date(2014, 1, 23, 4, 0, 0, 0, time.UTC), 2,
			"link:oren OR оренбург* OR детского OR уголовное", "Оренбургские строители обещают сдать детский сад к лету.", "</description>"},
		{"kagi2026_davidbau_rdf_iso8859.xml", charmap.Windows1252, time.Date(2026, 1, 17, 18, 0, 0, 0, time.UTC), 3,
			"agi OR genealogy OR codex OR boss", "Wanting—real wanting—may be the last thing AGI learns.", "]]></content:encoded>"},
		{"kieker2015_spiegel.xml", charmap.ISO8859_1, time.Date(2015, 2, 23, 10, 0, 0, 0, time.UTC), 2,
			"kiew OR ifo OR deutschland OR euro OR waffen", "Der Ifo-Index stieg zum vierten Mal in Folge, sagten die Ökonomen.", "]]></content:encoded>"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(corpus.Dir(t), "news", "single", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if utf8.Valid(raw) {
				// Its text is UTF-8 under a legacy declaration: the
				// feed as its declaration has it.
				if raw, err = tt.enc.NewEncoder().Bytes(raw); err != nil {
					t.Fatal(err)
				}
			}
			sub := config.Subscription{Name: "desk", Query: tt.query, StoryWindow: 48 * time.Hour, Updates: true, MaxAge: 30 * 24 * time.Hour}
			h, rec := storyHarness(t, sub)
			h.clock = tt.at
			h.cfg.Defaults.AllowPrivateNetworks = true
			url := servedAsUTF8(t)
			h.cfg.Feeds = append(h.cfg.Feeds, config.Feed{Name: "legacy", URL: url.String(), Interval: 10 * time.Minute})
			svc, closeStore := h.openWith(rec)
			defer func() { closeStore() }()
			poll := func(doc []byte, asOldNewshoundReadIt bool) {
				t.Helper()
				url.serve(t, doc, asOldNewshoundReadIt)
				h.clock = h.clock.Add(10 * time.Minute)
				if _, err := svc.RunOnce(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			items := itemStart.FindAllIndex(raw, -1)
			if len(items) <= tt.fresh {
				t.Fatalf("%d items in %s, want more than %d", len(items), tt.file, tt.fresh)
			}
			poll(slices.Concat(raw[:items[0][0]], raw[items[tt.fresh][0]:]), true) // first sight, the newest items to come
			poll(raw, true)
			before := rec.titles()
			if len(before) != tt.fresh {
				t.Fatalf("before the upgrade: posted %q, want the %d newest items", before, tt.fresh)
			}

			closeStore()
			svc, closeStore = h.openWith(rec) // the upgrade reads the feed right
			poll(raw, false)
			poll(raw, false)
			if got := rec.titles(); !slices.Equal(got, before) {
				t.Errorf("after the upgrade: posted %q, want %q alone (posted before it)", got, before)
			}
			if got := rec.updates(); len(got) != 0 {
				t.Errorf("after the upgrade: updates %q, want none: the text read right is no news", got)
			}

			first := items[0][0]
			added, err := tt.enc.NewEncoder().Bytes([]byte("\n\n" + tt.added + tt.end))
			if err != nil {
				t.Fatal(err)
			}
			poll(slices.Concat(raw[:first], bytes.Replace(raw[first:], []byte(tt.end), added, 1)), false)
			if got, want := rec.updates(), []string{tt.added}; !slices.Equal(got, want) {
				t.Errorf("updates once the newest item gains a sentence: %q, want %q", got, want)
			}
		})
	}
}

// itemStart finds where an RSS or RDF item begins.
var itemStart = regexp.MustCompile(`<item[ >]`)

// utf8Label is a feed served as "charset=utf-8" whatever its bytes.
type utf8Label struct {
	*httptest.Server
	mu   sync.Mutex
	body []byte
}

func servedAsUTF8(t *testing.T) *utf8Label {
	l := &utf8Label{}
	l.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		defer l.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.Write(l.body)
	}))
	t.Cleanup(l.Close)
	return l
}

func (l *utf8Label) String() string { return l.URL + "/rss" }

// serve serves doc; asOldNewshoundReadIt serves it as newshound read it
// before it overruled the header: the bytes decoded as UTF-8, U+FFFD for
// each invalid one.
func (l *utf8Label) serve(t *testing.T, doc []byte, asOldNewshoundReadIt bool) {
	t.Helper()
	if asOldNewshoundReadIt {
		var err error
		if doc, err = unicode.UTF8.NewDecoder().Bytes(doc); err != nil {
			t.Fatal(err)
		}
	}
	l.mu.Lock()
	l.body = doc
	l.mu.Unlock()
}
