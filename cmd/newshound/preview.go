package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/filters"
)

// previewOptions says what `newshound preview` looks at.
type previewOptions struct {
	Query   string
	Defines map[string]string // named queries for @name
	Config  string            // the --config file the defines come from; "" when none was given
	Sources []string          // feed URLs or local file paths
	JSON    bool              // one JSON object per matching item
	Fetcher *feeds.Fetcher
	Parser  *feeds.Parser
	Now     func() time.Time
	// Format and Render, when set, show each match as the message a
	// destination would be sent (preview --render).
	Format *alert.Format
	Render func(out io.Writer, a alert.Alert) error
	// StoryWindow, when positive, groups the matches into stories as a
	// destination that can edit would (preview --stories).
	StoryWindow time.Duration
}

// previewRecord is one line of `preview --json`.
type previewRecord struct {
	Feed      string    `json:"feed"`
	Key       string    `json:"key"`
	Title     string    `json:"title"`
	Link      string    `json:"link"`
	Published time.Time `json:"published,omitzero"` // absent when the item has no date a parser reads
	Matched   []string  `json:"matched"`
	// With --stories: the story (its first report, "feed/key") and, for
	// a further report, the title of the report whose message lists it,
	// and whether it joined doubtfully (Discord lists it by its headline
	// under "Perhaps another story").
	Story     string `json:"story,omitempty"`
	AlsoUnder string `json:"also_under,omitempty"`
	Doubtful  bool   `json:"doubtful,omitempty"`
}

// preview prints the items of the sources that match the query, through
// the alerting core the running bot uses: the query is a subscription
// over the sources, with no age limit and no first sight. A source that
// cannot be read is reported on errOut and the others are still
// previewed; the returned error says how many failed.
func preview(ctx context.Context, o previewOptions, out, errOut io.Writer) error {
	if err := filters.NewSet(o.Defines).Add("preview", o.Query); err != nil {
		return fmt.Errorf("%w%s", bot.QueryError(err), o.defineHint(err))
	}
	for _, h := range filters.Hints(o.Query) {
		fmt.Fprintf(errOut, "warning: %s\n%s\n", h, h.Caret())
	}
	sources := make([]alert.Feed, len(o.Sources))
	for i, src := range o.Sources {
		sources[i] = alert.Feed{ID: src, Name: src, URL: sourceURL(src), AllowFile: true}
	}
	catalog, _ := alert.NewCatalog(o.Defines, sources, []alert.Subscription{{ID: "preview", Name: "preview", Query: o.Query, AllFileFeeds: true,
		Format: o.Format, StoryWindow: o.StoryWindow, Destination: "preview"}})
	stories := alert.NewStories(o.StoryWindow)
	firstTitles := map[string]string{} // story → the title of its first report
	failed, items, hits := 0, 0, 0
	for _, f := range sources {
		res, err := feeds.Refresh(ctx, o.Fetcher, o.Parser, feeds.Request{URL: f.URL, AllowFile: true}, o.Now())
		if err != nil {
			failed++
			fmt.Fprintf(errOut, "%s: %s\n", f.ID, fetchProblem(err, o.Config))
			continue
		}
		items += len(res.Feed.Items)
		undated := map[string]bool{} // an alert's Published is then the time preview ran
		for _, it := range res.Feed.Items {
			if !it.Dated {
				undated[it.Key] = true
			}
		}
		now := o.Now()
		matched := catalog.Alerts(alert.Input{FeedID: f.ID, FeedTitle: res.Feed.Title, Items: res.Feed.Items, Now: now})
		if o.StoryWindow > 0 {
			stories.Group(matched.Entries, now)
		}
		for _, e := range matched.Entries {
			hits++
			alsoUnder := ""
			switch {
			case e.Joins:
				alsoUnder = firstTitles[e.Story]
			case e.Story != "":
				firstTitles[e.Story] = e.Alert.Title
			}
			write := func() error { return writePreview(out, o.JSON, f.ID, e, undated[e.ItemKey], alsoUnder) }
			if o.Render != nil {
				write = func() error { return o.Render(out, e.Alert) }
			}
			if err := write(); err != nil {
				return err
			}
		}
	}
	// The count goes to errOut, so that --json output stays pure JSON.
	fmt.Fprintf(errOut, "%d of %s matched\n", hits, plural(items, "item"))
	if failed > 0 {
		return fmt.Errorf("%d of %s could not be read", failed, plural(len(o.Sources), "feed"))
	}
	return nil
}

// defineHint is what an unknown @name adds when no --config was given:
// "unknown define" alone leaves a user to guess where defines come from.
func (o previewOptions) defineHint(err error) string {
	var pe *filters.ParseError
	if o.Config != "" || !errors.As(err, &pe) || pe.UnknownDefine == "" {
		return ""
	}
	return fmt.Sprintf("\n@%s names a query of a config's define:, which preview reads from --config FILE", pe.UnknownDefine)
}

// writePreview prints one match; undated says its item has no date a
// parser reads (shown as such, not as the time preview ran); alsoUnder is
// the title of the report whose message would list it (preview --stories),
// "" when it would be a message of its own.
func writePreview(out io.Writer, asJSON bool, src string, e alert.Entry, undated bool, alsoUnder string) error {
	a := e.Alert
	published := a.Published.UTC().Format("2006-01-02 15:04 UTC")
	if undated {
		a.Published = time.Time{}
		published = fmt.Sprintf("%-20s", "(no date)")
	}
	if asJSON {
		matched := a.Matched
		if matched == nil {
			matched = []string{} // site: or link: alone names no word; a script reads a list, as the webhook's
		}
		return json.NewEncoder(out).Encode(previewRecord{
			Feed: src, Key: e.ItemKey, Title: a.Title, Link: a.Link, Published: a.Published, Matched: matched,
			Story: e.Story, AlsoUnder: alsoUnder, Doubtful: a.Doubtful,
		})
	}
	feed := src
	if a.FeedTitle != "" {
		feed = fmt.Sprintf("%s (%s)", notify.OneLine(a.FeedTitle), src)
	}
	_, err := fmt.Fprintf(out, "%s  %s\n  %s\n  feed: %s\n  matched: %s\n",
		published, notify.OneLine(a.Title), a.Link, feed, strings.Join(a.Matched, ", "))
	switch {
	case err != nil || alsoUnder == "":
	case a.Doubtful:
		_, err = fmt.Fprintf(out, "  also under, perhaps another story: %s\n", notify.OneLine(alsoUnder))
	default:
		_, err = fmt.Fprintf(out, "  also under: %s\n", notify.OneLine(alsoUnder))
	}
	return err
}

// sourceURL turns a command-line argument into a URL: URLs stay, paths
// become file:// URLs.
func sourceURL(src string) string {
	u, err := url.Parse(src)
	switch {
	case err == nil && u.Scheme == "file" && u.Opaque != "":
		// file:feeds/world.xml, as a config may write it: a relative path
		// (the fetcher reads file://feeds/world.xml so too).
		if src, err = url.PathUnescape(u.Opaque); err != nil {
			src = u.Opaque
		}
	case err == nil && strings.HasPrefix(src[len(u.Scheme):], "://"):
		// Any scheme://: an unsupported one is refused as such, not
		// read as a file of that name.
		return src
	}
	abs, err := filepath.Abs(src)
	if err != nil {
		abs = src
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
}
