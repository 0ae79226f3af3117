package feeds

import (
	"context"
	"time"
)

// Result is one refresh of one feed: the fetch and, when the body changed,
// the parsed feed.
type Result struct {
	*Response
	Feed *Feed // nil when NotModified
}

// Refresh fetches r and parses the body unless the server said 304 or sent
// the same bytes as last time. It blocks like Fetch. Errors are *Error.
func Refresh(ctx context.Context, f *Fetcher, p *Parser, r Request, now time.Time) (*Result, error) {
	res, err := f.Fetch(ctx, r)
	if err != nil {
		return nil, err
	}
	if res.NotModified {
		return &Result{Response: res}, nil
	}
	feed, err := p.Parse(res.Body, res.ContentType, res.URL, now)
	if err != nil {
		return nil, err
	}
	return &Result{Response: res, Feed: feed}, nil
}

// Outcome summarizes the refresh for Schedule.Next; changed says whether the
// feed had items not seen before (the caller knows, from the store).
func (r *Result) Outcome(changed bool) Outcome {
	o := Outcome{NotModified: r.NotModified, Changed: changed, CacheMaxAge: r.MaxAge}
	if r.Feed != nil {
		o.FeedMinInterval = r.Feed.MinInterval
	}
	return o
}
