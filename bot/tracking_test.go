package bot

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/newshound/newshound/config"
)

// TestOneArticleOnTwoFeedsOfItsSite: a site that lists one article on
// several of its feeds (DW's "all" and "world") marks the link with each
// feed's own tracking parameter; the article is posted once, even under a
// headline too short to be told by its words alone. The parameters are
// those real feeds use (see ../shared/corpus).
func TestOneArticleOnTwoFeedsOfItsSite(t *testing.T) {
	tests := []struct {
		name           string
		link           string
		query1, query2 string // the tracking parameters on each feed ("": none)
	}{
		{"DW", "https://www.dw.com/en/merz-visits-kyiv/a-75995188", "maca=en-rss-en-all-1573-rdf", "maca=en-rss-en-world-4025-rdf"},
		{"Al Jazeera", "https://www.aljazeera.com/news/2026/2/18/merz-visits-kyiv", "traffic_source=rss", ""},
		{"CS Monitor", "https://www.csmonitor.com/World/Europe/2026/0217/merz-visits-kyiv", "icid=rss", "icid=rss_world"},
		{"NYT", "https://www.nytimes.com/2026/02/17/world/europe/merz-kyiv.html", "partner=rss&emc=rss", "emc=rss"},
		{"Washington Post", "https://www.washingtonpost.com/world/2026/02/17/merz-kyiv/", "wprss=rss_world", "wprss=rss_europe"},
		{"CNN", "https://www.cnn.com/2026/02/17/europe/merz-kyiv/index.html", "eref=rss_topstories", "eref=rss_world"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "kyiv", Query: "kyiv"})
			h.runOnce() // first sight of both feeds
			now := h.clock
			one := item(1, "Merz visits Kyiv", now)
			one.GUID, one.Link = "", withQuery(tt.link, tt.query1)
			other := one
			other.Link = withQuery(tt.link, tt.query2)
			h.write("wire.xml", one)
			h.write("other.xml", other)
			h.runOnce()
			h.wantTitles("Merz visits Kyiv")
		})
	}
}

func withQuery(link, query string) string {
	if query == "" {
		return link
	}
	return link + "?" + query
}

// TestUpgradeKeepsTheDuplicateCheckOfLinksWithFeedParameters: an outbox
// written before CanonicalLink dropped the parameters sites set apart for
// each feed (DW's maca, …) holds the duplicate check's link keys with
// them. An item the feed then lists again under a new GUID, its link and
// short headline unchanged, within the check's 48 hours, was refused by
// those keys before the upgrade and posted again after it: its keys were
// only the new form. The link keys are also given in the form a feed keeps
// (KeyLink).
func TestUpgradeKeepsTheDuplicateCheckOfLinksWithFeedParameters(t *testing.T) {
	const bare = "https://www.dw.com/en/merz-visits-kyiv/a-75995188"
	const link = bare + "?maca=en-rss-en-all-1573-rdf"
	h := newHarness(t, config.Subscription{Name: "kyiv", Query: "kyiv"})
	h.runOnce() // first sight
	first := item(1, "Merz visits Kyiv", h.clock)
	first.Link = link
	h.write("wire.xml", first)
	h.runOnce()
	h.wantTitles("Merz visits Kyiv")
	// The outbox as the version before wrote it: its link keys kept maca,
	// and none was without it.
	db, err := sql.Open("sqlite", h.db)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `UPDATE OR IGNORE alert_dedupe SET dedupe_key = replace(dedupe_key, ?, ?)`, "link:"+bare+"|", "link:"+link+"|"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM alert_dedupe WHERE dedupe_key LIKE ?`, "link:"+bare+"|%"); err != nil {
		t.Fatal(err)
	}
	var old int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM alert_dedupe WHERE dedupe_key LIKE ?`, "link:"+link+"|%").Scan(&old); err != nil || old == 0 {
		t.Fatalf("the old form of the link keys: %d (%v), want some", old, err)
	}
	db.Close()
	again := first
	again.GUID = "https://www.dw.com/a-75995188-2"
	h.write("wire.xml", first, again)
	h.runOnce()
	if got := h.rec.titles(); len(got) != 1 {
		t.Errorf("alerts: got %q, want %q once", got, strings.Join(got[:1], ""))
	}
}
