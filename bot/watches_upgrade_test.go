package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/newshound/newshound/store"
)

// TestWatchListShowsAWatchWhoseQueryNoLongerParses upgrades over watches
// stored by a version whose query language accepted what this one refuses
// (75bb92d took "covid19:" for a word, a no-break space after "title:",
// and "site:www..0"). The service skips such a watch, logging it once per
// rebuild; /watch list, where the people who made it look, must say it is
// not running and why, so that they can /watch edit it, and show the rest
// as before.
func TestWatchListShowsAWatchWhoseQueryNoLongerParses(t *testing.T) {
	b := startBot(t)
	ctx := context.Background()
	tests := []struct {
		name, query string
		want        string // in the watch's line; "" when it runs
	}{
		{"still valid", "aleppo", ""},
		{"field with a digit", "covid19: vaccine", `unknown field "covid19"`},
		{"no-break space after a field", "title:\u00a0aleppo", "title: must be followed directly"},
		{"site with an empty label", "site:www..0 aleppo", "site: must be followed by a host name"},
	}
	for _, tc := range tests {
		if _, err := b.svc.store.AddWatch(ctx, store.Watch{GuildID: watchGuild, ChannelID: watchChannel, FeedURL: b.feed.URL + "/rss", Query: tc.query}); err != nil {
			t.Fatal(err)
		}
	}
	reply := slash(t, b.dc, "list")
	t.Logf("/watch list:\n%s", reply)
	lines := strings.Split(strings.TrimSpace(reply), "\n")
	if len(lines) != len(tests) {
		t.Fatalf("/watch list replied %d lines, want %d:\n%s", len(lines), len(tests), reply)
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			line := lines[i]
			notRunning := strings.Contains(line, "not running")
			switch {
			case tc.want == "" && notRunning:
				t.Errorf("got %q, want the watch shown running", line)
			case tc.want != "" && (!notRunning || !strings.Contains(line, tc.want) || !strings.Contains(line, "/watch edit")):
				t.Errorf("got %q, want it shown not running with %q and how to fix it (/watch edit)", line, tc.want)
			}
		})
	}
}
