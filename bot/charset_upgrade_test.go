package bot

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/newshound/newshound/config"
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
