package bot

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/discord"
	"github.com/newshound/newshound/feeds"
	"github.com/newshound/newshound/internal/fakediscord"
	"github.com/newshound/newshound/internal/feedtest"
	"github.com/newshound/newshound/store"
)

// TestWatchAddFeedErrorsSayWhatToDo reads what /watch add answers for
// each way its feed fails: one line that names the URL, the cause, and
// what the person can do about it.
func TestWatchAddFeedErrorsSayWhatToDo(t *testing.T) {
	srv := feedtest.NewFailingSite(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/rss"
	ln.Close()

	dc := fakediscord.New(t)
	clk := &clock{}
	clk.set(time.Now())
	open := discordService(t, dc, clk, feeds.NewFetcher(feeds.FetcherOptions{AllowPrivate: true, MaxBodyBytes: 4 << 10}))
	guarded := discordService(t, dc, clk, nil)
	tests := []struct {
		name string
		svc  *Service
		url  string
		want []string // in the error's one line, in this order
	}{
		{"DNS", open, "http://no-such-host.invalid/rss", []string{"http://no-such-host.invalid/rss", "no such host", "check the host name in the URL"}},
		{"connection refused", open, refused, []string{refused, "connection refused", "nothing answers at that address and port"}},
		{"private address", guarded, srv.URL + "/rss", []string{srv.URL + "/rss", "not allowed", "whoever runs the bot"}},
		{"not a feed", open, srv.URL + "/text", []string{srv.URL + "/text", "unrecognized document", "give the address of the feed itself"}},
		{"HTTP 404", open, srv.URL + "/rss", []string{srv.URL + "/rss", "HTTP 404 Not Found", "check the URL: the feed may have moved"}},
		{"HTTP 503", open, srv.URL + "/down", []string{srv.URL + "/down", "HTTP 503 Service Unavailable", "try again later"}},
		{"too large", open, srv.URL + "/items/500", []string{srv.URL + "/items/500", "response body too large", "whoever runs the bot can raise"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := tt.svc.Watches().Add(ctx, discord.AddRequest{GuildID: watchGuild, ChannelID: watchChannel, FeedURL: tt.url, Query: "aleppo"})
			if err == nil {
				t.Fatalf("Add(%s): no error", tt.url)
			}
			line := err.Error()
			if strings.Contains(line, "\n") {
				t.Errorf("error: got %q, want one line", line)
			}
			rest := line
			for _, want := range tt.want {
				i := strings.Index(rest, want)
				if i < 0 {
					t.Fatalf("error: got %q, want %q after what is found before", line, want)
				}
				rest = rest[i+len(want):]
			}
		})
	}
}

// TestWatchAddErrorHidesTheURLsSecret: /watch add's answer is logged
// too, so a URL it refuses shows no password or token, whatever the
// refusal, as the log shows a feed's URL (redact.URL).
func TestWatchAddErrorHidesTheURLsSecret(t *testing.T) {
	const secret = "s3cret"
	dc := fakediscord.New(t)
	clk := &clock{}
	clk.set(time.Now())
	svc := discordService(t, dc, clk, nil)
	for _, u := range []string{
		"ftp://reader:" + secret + "@news.example/rss",
		"https://reader:" + secret + "@news.example/%zz",
		"https://news.example/%zz?token=" + secret,
		"http://reader:" + secret + "@127.0.0.1/rss",
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := svc.Watches().Add(ctx, discord.AddRequest{GuildID: watchGuild, ChannelID: watchChannel, FeedURL: u, Query: "aleppo"})
		cancel()
		if err == nil {
			t.Fatalf("Add(%s): no error", u)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Add(%s): error %q shows the secret", u, err)
		}
	}
}

// TestWatchLogsHideTheFeedURLsSecret: what /watch logs of a feed it adds,
// and of one a resumed watch cannot read, names its URL as every log
// line does, its token hidden (redact.URL).
func TestWatchLogsHideTheFeedURLsSecret(t *testing.T) {
	const secret = "s3cret"
	srv := feedtest.NewServer(t, "Wire", feedtest.Item{GUID: "1", Title: "Aleppo ceasefire", Link: "https://wire.example/1"})
	feedURL := srv.URL + "/rss?token=" + secret
	dc := fakediscord.New(t)
	clk := &clock{}
	clk.set(time.Now())
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "state.db"), store.WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var logs logBuffer
	o := discordOptions(t, dc, clk, feeds.NewFetcher(feeds.FetcherOptions{AllowPrivate: true}), st)
	o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	svc, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	info, err := svc.Watches().Add(ctx, discord.AddRequest{GuildID: watchGuild, ChannelID: watchChannel, FeedURL: feedURL, Query: "aleppo"})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Watches().SetPaused(ctx, watchGuild, info.ID, true); err != nil {
		t.Fatal(err)
	}
	srv.SetStatus(http.StatusServiceUnavailable)
	if err := svc.Watches().SetPaused(ctx, watchGuild, info.ID, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"watch added", "a resumed watch's feed could not be read"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log: no %q in\n%s", want, logs.String())
		}
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, secret) {
			t.Errorf("log line shows the feed's token: %s", line)
		}
	}
}
