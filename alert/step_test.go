package alert

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/feeds"
)

var now = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func news(key, title string, age time.Duration) feeds.Item {
	return feeds.Item{
		Key: key, Title: title, Link: "https://wire.example/" + key, Summary: "From the wire desk.",
		Published: now.Add(-age), Dated: true,
	}
}

// underLink is it under the link of another item's key: a live page's.
func underLink(it feeds.Item, key string) feeds.Item {
	it.Link = "https://wire.example/" + key
	return it
}

// TestAlerts runs the alerting core on its own: no store, no HTTP, no
// goroutines, only feeds, subscriptions, items and a time.
func TestAlerts(t *testing.T) {
	fileFeeds := []Feed{{ID: "wire", Name: "wire"}, {ID: "other", Name: "other"}, {ID: "watch:1", Name: "example.org", FromDiscord: true}}
	livePage := []feeds.Item{ // two headlines of one link that share a word
		underLink(news("1", "Storm hits the coast", time.Hour), "live"),
		underLink(news("2", "Storm closes schools", 2*time.Hour), "live"),
	}
	tests := []struct {
		name       string
		subs       []Subscription
		feed       string
		items      []feeds.Item
		firstSight bool
		want       []string // "destination: title [subscriptions]", oldest first
		tooOld     int
		heldBack   int
	}{
		{
			name:  "a match on every file feed",
			subs:  []Subscription{{ID: "a", Name: "aleppo", Query: "aleppo", AllFileFeeds: true, Destination: "desk"}},
			feed:  "other",
			items: []feeds.Item{news("1", "Aleppo truce holds", time.Hour), news("2", "Oil prices slip", time.Hour)},
			want:  []string{"desk: Aleppo truce holds [aleppo]"},
		},
		{
			name:  "all file feeds does not include Discord watches' feeds",
			subs:  []Subscription{{ID: "a", Name: "aleppo", Query: "aleppo", AllFileFeeds: true, Destination: "desk"}},
			feed:  "watch:1",
			items: []feeds.Item{news("1", "Aleppo truce holds", time.Hour)},
		},
		{
			name:  "a feed the subscription does not list",
			subs:  []Subscription{{ID: "a", Name: "aleppo", Query: "aleppo", Feeds: []string{"wire"}, Destination: "desk"}},
			feed:  "other",
			items: []feeds.Item{news("1", "Aleppo truce holds", time.Hour)},
		},
		{
			name: "two subscriptions, one destination: one alert naming both in config order",
			subs: []Subscription{
				{ID: "b", Name: "truce", Query: "truce", Feeds: []string{"wire"}, Destination: "desk"},
				{ID: "a", Name: "aleppo", Query: "aleppo", AllFileFeeds: true, Destination: "desk"},
			},
			feed:  "wire",
			items: []feeds.Item{news("1", "Aleppo truce holds", time.Hour)},
			want:  []string{"desk: Aleppo truce holds [truce, aleppo]"},
		},
		{
			name: "two destinations: one alert each",
			subs: []Subscription{
				{ID: "a", Name: "aleppo", Query: "aleppo", AllFileFeeds: true, Destination: "desk"},
				{ID: "b", Name: "syria", Query: "aleppo OR syria", AllFileFeeds: true, Destination: "console"},
			},
			feed:  "wire",
			items: []feeds.Item{news("1", "Aleppo truce holds", time.Hour)},
			want:  []string{"desk: Aleppo truce holds [aleppo]", "console: Aleppo truce holds [syria]"},
		},
		{
			name:   "older than max_age: not posted, counted",
			subs:   []Subscription{{ID: "a", Name: "aleppo", Query: "aleppo", AllFileFeeds: true, Destination: "desk", MaxAge: 24 * time.Hour}},
			feed:   "wire",
			items:  []feeds.Item{news("1", "Aleppo truce holds", 48*time.Hour), news("2", "Aleppo aid arrives", time.Hour)},
			want:   []string{"desk: Aleppo aid arrives [aleppo]"},
			tooOld: 1,
		},
		{
			name:  "undated items are always young enough",
			subs:  []Subscription{{ID: "a", Name: "aleppo", Query: "aleppo", AllFileFeeds: true, Destination: "desk", MaxAge: time.Hour}},
			feed:  "wire",
			items: []feeds.Item{func() feeds.Item { it := news("1", "Aleppo truce holds", 48*time.Hour); it.Dated = false; return it }()},
			want:  []string{"desk: Aleppo truce holds [aleppo]"},
		},
		{
			name:       "first sight posts nothing without backfill",
			subs:       []Subscription{{ID: "a", Name: "aleppo", Query: "aleppo", AllFileFeeds: true, Destination: "desk"}},
			feed:       "wire",
			items:      []feeds.Item{news("1", "Aleppo truce holds", 3*time.Hour), news("2", "Aleppo aid arrives", 2*time.Hour)},
			firstSight: true,
			heldBack:   2,
		},
		{
			name: "first sight posts each subscription's newest backfill matches, oldest first",
			subs: []Subscription{{ID: "a", Name: "aleppo", Query: "aleppo", AllFileFeeds: true, Destination: "desk", Backfill: 2}},
			feed: "wire",
			items: []feeds.Item{
				news("1", "Aleppo truce holds", time.Hour), news("2", "Aleppo aid arrives", 3*time.Hour),
				news("3", "Aleppo convoy waits", 2*time.Hour), news("4", "Oil prices slip", time.Minute),
			},
			firstSight: true,
			want:       []string{"desk: Aleppo convoy waits [aleppo]", "desk: Aleppo truce holds [aleppo]"},
			heldBack:   1,
		},
		{
			name: "backfill is per subscription",
			subs: []Subscription{
				{ID: "a", Name: "aleppo", Query: "aleppo", AllFileFeeds: true, Destination: "desk", Backfill: 1},
				{ID: "b", Name: "oil", Query: "oil", AllFileFeeds: true, Destination: "desk"},
			},
			feed:       "wire",
			items:      []feeds.Item{news("1", "Aleppo truce holds", time.Hour), news("2", "Oil prices slip", time.Hour)},
			firstSight: true,
			want:       []string{"desk: Aleppo truce holds [aleppo]"},
			heldBack:   1,
		},
		{
			name: "held back counts alerts, not subscriptions: two of one destination",
			subs: []Subscription{
				{ID: "a", Name: "aleppo", Query: "aleppo", AllFileFeeds: true, Destination: "desk"},
				{ID: "b", Name: "truce", Query: "truce", AllFileFeeds: true, Destination: "desk"},
			},
			feed:       "wire",
			items:      []feeds.Item{news("1", "Aleppo truce holds", time.Hour), news("2", "Aleppo truce broken", 2*time.Hour)},
			firstSight: true,
			heldBack:   2,
		},
		{
			name: "an item one subscription backfills is not held back by another of its destination",
			subs: []Subscription{
				{ID: "a", Name: "aleppo", Query: "aleppo", AllFileFeeds: true, Destination: "desk", Backfill: 1},
				{ID: "b", Name: "truce", Query: "truce", AllFileFeeds: true, Destination: "desk"},
				{ID: "c", Name: "syria", Query: "aleppo", AllFileFeeds: true, Destination: "console"},
			},
			feed:       "wire",
			items:      []feeds.Item{news("1", "Aleppo truce holds", time.Hour), news("2", "Aleppo truce broken", 2*time.Hour)},
			firstSight: true,
			want:       []string{"desk: Aleppo truce holds [aleppo]"},
			heldBack:   3,
		},
		{
			name:       "backfill: an item under the link of an earlier one no subscription matched",
			subs:       []Subscription{{ID: "a", Name: "schools", Query: "schools", AllFileFeeds: true, Destination: "desk", Backfill: 1}},
			feed:       "wire",
			items:      livePage,
			firstSight: true,
			want:       []string{"desk: Storm closes schools [schools]"},
		},
		{
			name: "backfill: an item under the link of an earlier one posted to another destination",
			subs: []Subscription{
				{ID: "a", Name: "coast", Query: "coast", AllFileFeeds: true, Destination: "desk", Backfill: 1},
				{ID: "b", Name: "schools", Query: "schools", AllFileFeeds: true, Destination: "console", Backfill: 1},
			},
			feed:       "wire",
			items:      livePage,
			firstSight: true,
			want:       []string{"console: Storm closes schools [schools]", "desk: Storm hits the coast [coast]"},
		},
		{
			name: "backfill: an item under the link of an earlier one its destination holds back",
			subs: []Subscription{
				{ID: "a", Name: "storm", Query: "storm", AllFileFeeds: true, Destination: "desk"},
				{ID: "b", Name: "schools", Query: "schools", AllFileFeeds: true, Destination: "desk", Backfill: 1},
			},
			feed:       "wire",
			items:      livePage,
			firstSight: true,
			want:       []string{"desk: Storm closes schools [schools]"},
			heldBack:   1,
		},
		{
			name: "backfill: an article listed twice is one alert, none held back",
			subs: []Subscription{{ID: "a", Name: "aleppo", Query: "aleppo", AllFileFeeds: true, Destination: "desk", Backfill: 3}},
			feed: "wire",
			items: []feeds.Item{
				news("1", "Aleppo truce holds", time.Hour),
				underLink(news("2", "Aleppo truce holds", time.Hour), "1"),
			},
			firstSight: true,
			want:       []string{"desk: Aleppo truce holds [aleppo]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, skipped := NewCatalog(nil, fileFeeds, tt.subs)
			if len(skipped) > 0 {
				t.Fatalf("skipped: %v", skipped)
			}
			res := c.Alerts(Input{FeedID: tt.feed, FeedTitle: "Wire", Items: tt.items, FirstSight: tt.firstSight, Now: now})
			var got []string
			for _, e := range res.Entries {
				got = append(got, fmt.Sprintf("%s: %s [%s]", e.Destination, e.Alert.Title, e.Alert.Subscription))
				if e.FeedID != tt.feed || e.ItemKey == "" || len(e.DedupeKeys) == 0 || !strings.HasPrefix(e.DedupeKeys[0], "item:"+tt.feed+"/") {
					t.Errorf("entry %+v: want the feed, the item key and story keys", e)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("alerts:\ngot  %q\nwant %q", got, tt.want)
			}
			if res.TooOld != tt.tooOld || res.HeldBack != tt.heldBack {
				t.Errorf("too old %d, held back %d; want %d, %d", res.TooOld, res.HeldBack, tt.tooOld, tt.heldBack)
			}
		})
	}
}

func TestAlertCarriesMatchedWordsSpansAndLook(t *testing.T) {
	c, _ := NewCatalog(map[string]string{"syria": "aleppo OR damascus"}, []Feed{{ID: "wire", Name: "wire"}}, []Subscription{
		{ID: "a", Name: "aleppo", Query: "@syria truce", AllFileFeeds: true, Destination: "desk", Color: new(0xff0000), MentionRole: "42"},
	})
	it := news("1", "Aleppo truce holds", time.Hour)
	it.Summary = "The truce in Aleppo held overnight."
	res := c.Alerts(Input{FeedID: "wire", FeedTitle: "Wire service", Items: []feeds.Item{it}, Now: now})
	if len(res.Entries) != 1 {
		t.Fatalf("entries: got %d, want 1", len(res.Entries))
	}
	a := res.Entries[0].Alert
	if !slices.Equal(a.Matched, []string{"Aleppo", "truce"}) {
		t.Errorf("matched: got %q, want [Aleppo truce]", a.Matched)
	}
	if want := []Span{{0, 6}, {7, 12}}; !slices.Equal(a.TitleSpans, want) {
		t.Errorf("title spans: got %v, want %v", a.TitleSpans, want)
	}
	if a.Feed != "wire" || a.FeedTitle != "Wire service" || a.Color == nil || *a.Color != 0xff0000 || a.MentionRole != "42" || a.Text != it.Summary {
		t.Errorf("alert: %+v", a)
	}
	back, err := Decode(Encode(a))
	if err != nil || !slices.Equal(back.Matched, a.Matched) || back.Title != a.Title {
		t.Errorf("Decode(Encode(a)) = %+v, %v", back, err)
	}
}

// TestConfigTitleNamesTheFeed: a feed's title: in the config, written for
// people, names its reports in alerts rather than the title the feed gives
// itself, which may be a section's ("Metro" for a city paper's feed).
func TestConfigTitleNamesTheFeed(t *testing.T) {
	tests := []struct {
		name, configTitle, ownTitle, want string
	}{
		{"the config's title", "Harbour Gazette", "Metro", "Harbour Gazette"},
		{"no config title: the feed's own", "", "Metro", "Metro"},
		{"neither", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := NewCatalog(nil, []Feed{{ID: "gazette", Name: "gazette", Title: tt.configTitle}}, []Subscription{
				{ID: "a", Name: "floods", Query: "flood", AllFileFeeds: true, Destination: "desk"},
			})
			res := c.Alerts(Input{FeedID: "gazette", FeedTitle: tt.ownTitle, Items: []feeds.Item{news("1", "Flood warning for the harbour", time.Hour)}, Now: now})
			if len(res.Entries) != 1 {
				t.Fatalf("entries: got %d, want 1", len(res.Entries))
			}
			if got := res.Entries[0].Alert.FeedTitle; got != tt.want {
				t.Errorf("FeedTitle = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCatalogSkipsQueriesThatDoNotCompile(t *testing.T) {
	c, skipped := NewCatalog(nil, []Feed{{ID: "wire"}}, []Subscription{
		{ID: "bad", Query: "aleppo AND (", AllFileFeeds: true, Destination: "desk"},
		{ID: "good", Query: "aleppo", AllFileFeeds: true, Destination: "desk"},
	})
	if len(skipped) != 1 || skipped[0].ID != "bad" {
		t.Errorf("skipped: got %v, want the bad one", skipped)
	}
	if _, ok := c.Subscription("good"); !ok {
		t.Error("the good subscription is missing")
	}
}
