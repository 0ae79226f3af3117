package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/newshound/newshound/feeds"
)

// discoverFeeds prints what src is: a feed (with its title), or a web
// page and the feeds it announces or links to, each with its title. src is
// a URL or a local HTML file. Not reaching the page at all (DNS, a refused
// connection, an HTTP error) is told apart from a page without feeds; both
// are errors. config is the file --config named ("" for none), which a
// hint about a setting names.
func discoverFeeds(ctx context.Context, f *feeds.Fetcher, p *feeds.Parser, src, config string, now time.Time, out io.Writer) error {
	u := sourceURL(src)
	found, err := feeds.Find(ctx, f, p, feeds.Request{URL: u, AllowFile: true}, now, feeds.AllLinks)
	if err != nil {
		return fmt.Errorf("could not read %s: %s", src, readProblem(err, strings.HasPrefix(u, "file:"), config))
	}
	if found.Feed != nil {
		fmt.Fprintf(out, "%s is a feed: %s (%s)\n", found.URL, titleOrNone(found.Feed.Title), plural(len(found.Feed.Items), "item"))
		return nil
	}
	if len(found.Links) > 0 {
		fmt.Fprintf(out, "%s links to %s:\n", found.URL, plural(len(found.Links), "feed"))
		for _, l := range found.Links {
			how := ""
			if !l.Announced {
				how = "  (a link in the page)"
			}
			fmt.Fprintf(out, "  %s\n    %s%s\n", titleOrNone(l.Title()), l.URL, how)
		}
	}
	names := brokenVerb(found.Broken)
	if len(found.Broken) > 0 {
		fmt.Fprintf(out, "%s %s %s that could not be read:\n", found.URL, names, plural(len(found.Broken), "feed"))
		for _, l := range found.Broken {
			how := ""
			if !l.Announced {
				how = "  (a link in the page)"
			}
			fmt.Fprintf(out, "  %s%s\n    %s\n", titleOrNone(l.Title()), how, brokenLink(found.URL, l))
		}
	}
	switch {
	case len(found.Links) > 0:
		return nil
	case len(found.Broken) == 1:
		return fmt.Errorf("no feed read: %s %s 1 feed, and it could not be read (above)", found.URL, names)
	case len(found.Broken) > 1:
		return fmt.Errorf("no feed read: %s %s %d feeds, and none could be read (above)", found.URL, names, len(found.Broken))
	}
	return fmt.Errorf("no feeds found: %s is a web page that neither announces a feed nor links to one", found.URL)
}

// brokenVerb says how a page names the feeds that could not be read:
// Find keeps a saved page's <a href>s naming no file beside its announced
// links.
func brokenVerb(broken []feeds.FoundFeed) string {
	anchors := 0
	for _, l := range broken {
		if !l.Announced {
			anchors++
		}
	}
	switch anchors {
	case 0:
		return "announces"
	case len(broken):
		return "links to"
	}
	return "announces or links to"
}

// brokenLink says why a feed link could not be read. A saved page
// (a file: URL without <base href>) resolves its links relative to its
// site against the file itself, and file:///news/rss.xml names a file that
// does not exist, or, for an <a href> (a guess: rss.html), one beside the
// page that is no feed: the link is shown as the page wrote it, relative
// to a site the file does not name.
func brokenLink(pageURL string, l feeds.FoundFeed) string {
	page, err1 := url.Parse(pageURL)
	link, err2 := url.Parse(l.URL)
	missing := errors.Is(l.Err, fs.ErrNotExist)
	if err1 != nil || err2 != nil || page.Scheme != "file" || link.Scheme != "file" || !missing && l.Announced {
		return fmt.Sprintf("%s: %v", l.URL, l.Err)
	}
	href := link.Path
	if rel, ok := strings.CutPrefix(link.Path, path.Dir(page.Path)+"/"); ok {
		href = rel
	}
	const siteRelative = "a link relative to the site the page came from, which a saved file does not name (give feeds discover the page's URL)"
	if missing {
		return href + ": " + siteRelative
	}
	return fmt.Sprintf("%s: the file it names beside the page is no feed (%v); perhaps %s", href, l.Err, siteRelative)
}

// readProblem says why a URL could not be read and what to do about it
// (feeds.Advice), naming a network failure as such so it is not mistaken
// for a page without feeds; a local file that cannot be read is no
// network failure (local).
func readProblem(err error, local bool, config string) string {
	var fe *feeds.Error
	if !errors.As(err, &fe) {
		return err.Error()
	}
	switch fe.Kind {
	case feeds.Network, feeds.Timeout:
		if local {
			return fetchProblem(err, config) // what to do too, as preview says it
		}
		return fmt.Sprintf("network error (%v); the page was not reached, so whether it has feeds is unknown; %s", err, feeds.Advice(err))
	case feeds.Parse:
		return fmt.Sprintf("neither a feed nor a web page (%v); %s", err, feeds.Advice(err))
	}
	return fetchProblem(err, config)
}

// fetchProblem says why a feed could not be read on the command line and
// what to do about it: a setting of config, the file --config named ("":
// none given), or feeds.Advice.
func fetchProblem(err error, config string) string {
	var fe *feeds.Error
	if errors.As(err, &fe) {
		switch fe.Kind {
		case feeds.Blocked:
			return err.Error() + allowHint(err, config)
		case feeds.TooLarge:
			return err.Error() + "; to read it, raise that limit under defaults: (max_body_bytes, max_items, max_depth, max_elements) in " + configNamed(config)
		}
	}
	if advice := feeds.Advice(err); advice != "" {
		return err.Error() + "; " + advice
	}
	return err.Error()
}

// allowHint is what a refusal of an address by the SSRF guard adds on
// the command line, where allow_private_networks comes from config, the
// file --config named; "" for other errors.
func allowHint(err error, config string) string {
	switch {
	case !feeds.AddressRefused(err):
		return ""
	case config == "":
		return "; to allow it here, give --config with a config that sets it"
	}
	return "; to allow it here, set allow_private_networks: true under defaults: in " + config
}

// configNamed is where a hint sends one to change a setting: the file
// --config named, or one to give.
func configNamed(config string) string {
	if config == "" {
		return "a config given with --config"
	}
	return config
}

func titleOrNone(title string) string {
	if title == "" {
		return "(untitled)"
	}
	return title
}
