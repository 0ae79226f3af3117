package alert

import (
	"fmt"
	"testing"
	"time"

	"github.com/newshound/newshound/feeds"
)

// BenchmarkAlertsSubscriptions matches one new item of one feed among
// 2,000 against 100 and 10,000 subscriptions (half over every feed, half
// over three feeds), none of which match it, and then against the same
// plus one that does: what a changed feed costs the alerting core. The
// cost should follow the matches and the item's words, not the number of
// subscriptions (issue 11: subscriptions × feeds).
func BenchmarkAlertsSubscriptions(b *testing.B) {
	const feedCount = 2000
	var feedList []Feed
	for i := range feedCount {
		feedList = append(feedList, Feed{ID: fmt.Sprintf("f%d", i), Name: fmt.Sprintf("f%d", i)})
	}
	topics := []string{"aleppo", "ceasefire", "kerry", "lavrov", "opec", "heatwave", "earthquake", "tsunami", "referendum", "sanctions", "pipeline", "merger"}
	item := feeds.Item{
		Key: "k1", Title: "Harbour reopens after the storm", Link: "https://wire.example/1",
		Summary:   "Officials said the harbour would reopen on Monday after repairs to the sea wall and the main road.",
		Published: now.Add(-time.Minute), Dated: true,
	}
	for _, subCount := range []int{100, 10000} {
		var subs []Subscription
		for s := range subCount {
			sub := Subscription{
				ID: fmt.Sprintf("s%d", s), Query: fmt.Sprintf("%s %s", topics[s%len(topics)], topics[(s*7+3)%len(topics)]),
				Destination: "desk", AllFileFeeds: s%2 == 0,
			}
			if !sub.AllFileFeeds {
				sub.Feeds = []string{fmt.Sprintf("f%d", s%feedCount), fmt.Sprintf("f%d", (s*7)%feedCount), fmt.Sprintf("f%d", (s*13)%feedCount)}
			}
			subs = append(subs, sub)
		}
		for _, matching := range []bool{false, true} {
			all := subs
			if matching {
				all = append(subs[:subCount:subCount], Subscription{ID: "harbour", Query: "harbour", AllFileFeeds: true, Destination: "desk"})
			}
			cat, skipped := NewCatalog(nil, feedList, all)
			if len(skipped) > 0 {
				b.Fatal(skipped)
			}
			b.Run(fmt.Sprintf("subs=%d/match=%v", subCount, matching), func(b *testing.B) {
				want := 0
				if matching {
					want = 1
				}
				b.ReportAllocs()
				for b.Loop() {
					res := cat.Alerts(Input{FeedID: "f1234", FeedTitle: "Wire", Items: []feeds.Item{item}, Now: now})
					if len(res.Entries) != want {
						b.Fatalf("%d alerts, want %d", len(res.Entries), want)
					}
				}
			})
		}
	}
}
