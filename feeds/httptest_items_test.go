package feeds

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestServedFeedIsNormalizedIntoItems fetches a feed from a live server
// and checks every normalized field a subscriber relies on.
func TestServedFeedIsNormalizedIntoItems(t *testing.T) {
	const doc = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Desk &amp; Wire</title><link>/</link>
<item>
  <guid isPermaLink="false">desk-1</guid>
  <title>Kerry&#039;s talks: Aleppo &lt;b&gt;truce&lt;/b&gt; holds</title>
  <link>/2016/09/12/truce?utm_source=rss&amp;id=7</link>
  <description>&lt;p&gt;The &lt;a href="/x"&gt;ceasefire&lt;/a&gt; held &amp;amp; aid moved.&lt;/p&gt;</description>
  <category>Middle East</category>
  <pubDate>Mon, 12 Sep 2016 19:05:00 +0000</pubDate>
</item>
<item>
  <title>Undated bulletin</title>
  <link>https://desk.example/bulletin</link>
</item>
</channel></rss>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write([]byte(doc))
	}))
	defer srv.Close()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	res, err := Refresh(context.Background(), NewFetcher(FetcherOptions{AllowPrivate: true}), NewParser(),
		Request{URL: srv.URL + "/feeds/desk.xml"}, now)
	if err != nil {
		t.Fatal(err)
	}
	items := res.Feed.Items
	if len(items) != 2 {
		t.Fatalf("items: got %d, want 2", len(items))
	}
	tests := []struct {
		name, got, want string
	}{
		{"feed title", res.Feed.Title, "Desk & Wire"},
		{"title: entities decoded, tags stripped", items[0].Title, "Kerry's talks: Aleppo truce holds"},
		{"summary: plain text", strings.TrimSpace(items[0].Summary), "The ceasefire held & aid moved."},
		{"link made absolute", items[0].Link, srv.URL + "/2016/09/12/truce?utm_source=rss&id=7"},
		{"category", strings.Join(items[0].Categories, ","), "Middle East"},
		{"published", items[0].Published.Format(time.RFC3339), "2016-09-12T19:05:00Z"},
		{"undated: first seen", items[1].Published.Format(time.RFC3339), now.Format(time.RFC3339)},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if !items[0].Dated || items[1].Dated {
		t.Errorf("Dated: got %v, %v; want true, false", items[0].Dated, items[1].Dated)
	}
	if items[0].Key == "" || items[1].Key == "" || items[0].Key == items[1].Key {
		t.Errorf("keys %q and %q: want two distinct non-empty keys", items[0].Key, items[1].Key)
	}
	again, err := Refresh(context.Background(), NewFetcher(FetcherOptions{AllowPrivate: true}), NewParser(),
		Request{URL: srv.URL + "/feeds/desk.xml"}, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for i := range items {
		if again.Feed.Items[i].Key != items[i].Key {
			t.Errorf("item %d key changed between fetches: %q then %q", i, items[i].Key, again.Feed.Items[i].Key)
		}
	}
}
