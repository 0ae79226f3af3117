package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/filters"
)

// PreviewOptions says what `newshound preview` looks at.
type PreviewOptions struct {
	Query   string
	Defines map[string]string // named queries for @name
	Sources []string          // feed URLs or local file paths
	JSON    bool              // one JSON object per matching item
	Fetcher *feeds.Fetcher
	Parser  *feeds.Parser
	Now     func() time.Time
}

// previewRecord is one line of `preview --json`.
type previewRecord struct {
	Feed      string    `json:"feed"`
	Key       string    `json:"key"`
	Title     string    `json:"title"`
	Link      string    `json:"link"`
	Published time.Time `json:"published"`
	Matched   []string  `json:"matched"`
}

// Preview prints the items of the sources that match the query, through
// the same matcher and rendering the running bot uses. A source that cannot
// be read is reported on errOut and the others are still previewed; the
// returned error says how many failed.
func Preview(ctx context.Context, o PreviewOptions, out, errOut io.Writer) error {
	set := filters.NewSet(o.Defines)
	if err := set.Add("preview", o.Query); err != nil {
		return queryError(o.Query, err)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	sub := &subscription{ID: "preview", Name: "preview"}
	failed, items, hits := 0, 0, 0
	for _, src := range o.Sources {
		f := &feedSpec{ID: src, Name: src, URL: sourceURL(src), AllowFile: true}
		res, err := feeds.Refresh(ctx, o.Fetcher, o.Parser, feeds.Request{URL: f.URL, AllowFile: true}, o.Now())
		if err != nil {
			failed++
			fmt.Fprintf(errOut, "%s: %v\n", src, err)
			continue
		}
		feed := res.Feed
		items += len(feed.Items)
		for i := range feed.Items {
			it := &feed.Items[i]
			doc := documentOf(f, it)
			for _, m := range set.Match(doc) {
				hits++
				a := renderAlert([]matched{{sub, m}}, f, feed, it, doc)
				if err := writePreview(out, o.JSON, src, it, a.Matched, a.Title, a.Link, a.Published); err != nil {
					return err
				}
			}
		}
	}
	// The count goes to errOut, so that --json output stays pure JSON.
	fmt.Fprintf(errOut, "%d of %d items matched\n", hits, items)
	if failed > 0 {
		return fmt.Errorf("%d of %d feeds could not be read", failed, len(o.Sources))
	}
	return nil
}

func writePreview(out io.Writer, asJSON bool, src string, it *feeds.Item, matched []string, title, link string, published time.Time) error {
	if asJSON {
		return json.NewEncoder(out).Encode(previewRecord{
			Feed: src, Key: it.Key, Title: title, Link: link, Published: published, Matched: matched,
		})
	}
	_, err := fmt.Fprintf(out, "%s  %s\n  %s\n  matched: %s\n", published.UTC().Format("2006-01-02 15:04"), notify.OneLine(title), link, strings.Join(matched, ", "))
	return err
}

// sourceURL turns a command-line argument into a URL: URLs stay, paths
// become file:// URLs.
func sourceURL(src string) string {
	if u, err := url.Parse(src); err == nil && (u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "file") {
		return src
	}
	abs, err := filepath.Abs(src)
	if err != nil {
		abs = src
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
}

// queryError adds the caret picture to a query parse error.
func queryError(query string, err error) error {
	if pe, ok := err.(*filters.ParseError); ok {
		return fmt.Errorf("%w\n%s", pe, pe.Caret())
	}
	return err
}
