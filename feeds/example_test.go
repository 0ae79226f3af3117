package feeds_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/newshound/newshound/feeds"
)

// The poll loop in a few lines: refresh a feed with the validators of the
// last poll, then ask the schedule when to come back.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<rss version="2.0"><channel><title>Desk</title><link>https://desk.example/</link><ttl>20</ttl>
<item><title>Aleppo ceasefire talks resume</title><link>/1?utm_source=rss</link><guid>1</guid></item>
</channel></rss>`)
	}))
	defer srv.Close()

	fetcher := feeds.NewFetcher(feeds.FetcherOptions{AllowPrivate: true}) // httptest is on loopback
	parser := feeds.NewParser()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

	res, err := feeds.Refresh(context.Background(), fetcher, parser, feeds.Request{URL: srv.URL}, now)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, it := range res.Feed.Items {
		fmt.Println(it.Title, it.Link, feeds.CanonicalLink(it.Link))
	}
	d := feeds.DefaultSchedule().Next(feeds.PollHistory{FeedID: "desk"}, res.Outcome(true), now)
	fmt.Println("next poll in", d.Next.Sub(now), "because", d.Reason)
	// Output:
	// Aleppo ceasefire talks resume https://desk.example/1?utm_source=rss https://desk.example/1
	// next poll in 20m0s because feed asks for no more than one poll per 20m0s
}
