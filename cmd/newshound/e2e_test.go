package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/fakediscord"
)

// feedServer serves one RSS feed whose items a test can change.
type feedServer struct {
	mu    sync.Mutex
	items []string
	*httptest.Server
}

func newFeedServer(t *testing.T) *feedServer {
	fs := &feedServer{}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Desk wire</title><link>https://wire.example/</link>`)
		for _, it := range fs.items {
			fmt.Fprint(w, it)
		}
		fmt.Fprint(w, `</channel></rss>`)
	}))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *feedServer) add(guid, title, description string, published time.Time) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	it := fmt.Sprintf(`<item><guid>%s</guid><title>%s</title><link>https://wire.example/%s</link><description>%s</description><pubDate>%s</pubDate></item>`,
		guid, title, guid, description, published.UTC().Format(time.RFC1123Z))
	fs.items = append([]string{it}, fs.items...)
}

const e2eChannel = "700000000000000007"
const e2eWebhook = "600000000000000006"

// writeE2EConfig writes a config that sends Aleppo alerts to a webhook and
// Kerry alerts to a bot channel, both on the fake Discord.
func writeE2EConfig(t *testing.T, dir, feedURL string, dc *fakediscord.Server) string {
	t.Helper()
	cfg := fmt.Sprintf(`store:
  path: %s
defaults:
  allow_private_networks: true   # the test feed server is on loopback
  max_age: 0
discord:
  token: ${NEWSHOUND_TEST_TOKEN}
  api_base: %s
feeds:
  - name: desk-wire
    url: %s
subscriptions:
  - name: aleppo
    query: aleppo AND (ceasefire OR truce)
    destination: webhook
    backfill: 5
  - name: kerry
    query: kerry -football
    destination: desk
    backfill: 5
destinations:
  - name: webhook
    type: discord-webhook
    webhook_url: %s
  - name: desk
    type: discord-channel
    channel_id: "%s"
`, filepath.Join(dir, "state.db"), dc.APIBase(), feedURL, dc.WebhookURL(e2eWebhook), e2eChannel)
	path := filepath.Join(dir, "newshound.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runCLI runs the binary's code path and fails the test on a non-zero exit.
func runCLI(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), args, &out, &errOut); code != 0 {
		t.Fatalf("newshound %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out.String(), errOut.String())
	}
	return out.String()
}

// alertView is what a reader sees of one Discord alert.
type alertView struct {
	Title, URL, Description, Footer string
	ParseMentions                   string // allowed_mentions.parse as sent
}

func viewsOf(t *testing.T, msgs []fakediscord.Message) []alertView {
	t.Helper()
	var out []alertView
	for _, m := range msgs {
		var raw struct {
			AllowedMentions map[string]json.RawMessage `json:"allowed_mentions"`
		}
		if err := json.Unmarshal(m.Raw, &raw); err != nil {
			t.Fatalf("message body: %v", err)
		}
		for _, e := range m.Embeds {
			v := alertView{Title: e.Title, URL: e.URL, Description: e.Description, ParseMentions: string(raw.AllowedMentions["parse"])}
			if e.Footer != nil {
				v.Footer = e.Footer.Text
			}
			out = append(out, v)
		}
	}
	return out
}

func TestEndToEndFeedToDiscord(t *testing.T) {
	dc := fakediscord.New(t)
	feed := newFeedServer(t)
	t.Setenv("NEWSHOUND_TEST_TOKEN", "test-bot-token")
	now := time.Now()
	feed.add("a1", "Aleppo ceasefire talks resume in Geneva", "Diplomats say a truce could hold by Friday.", now.Add(-2*time.Hour))
	feed.add("k1", "Kerry lands in Moscow", "The secretary of state meets his counterpart.", now.Add(-time.Hour))
	feed.add("f1", "Kerry scores twice in football final", "A football story.", now.Add(-time.Hour))
	feed.add("x1", "Markets rally on rate hopes", "Nothing about Syria.", now.Add(-time.Hour))
	cfg := writeE2EConfig(t, t.TempDir(), feed.URL+"/feed.xml", dc)

	runCLI(t, "run", "--once", "--config", cfg)
	webhook := viewsOf(t, dc.Messages(e2eWebhook))
	desk := viewsOf(t, dc.Messages(e2eChannel))
	wantWebhook := []alertView{{
		Title: "**Aleppo ceasefire** talks resume in Geneva", URL: "https://wire.example/a1",
		Description: "Diplomats say a **truce** could hold by Friday.", Footer: "desk-wire", ParseMentions: "[]",
	}}
	wantDesk := []alertView{{
		Title: "**Kerry** lands in Moscow", URL: "https://wire.example/k1",
		Description: "The secretary of state meets his counterpart.", Footer: "desk-wire", ParseMentions: "[]",
	}}
	assertViews(t, "webhook after first run", webhook, wantWebhook)
	assertViews(t, "channel after first run", desk, wantDesk)

	runCLI(t, "run", "--once", "--config", cfg)
	assertViews(t, "webhook after second run", viewsOf(t, dc.Messages(e2eWebhook)), wantWebhook)
	assertViews(t, "channel after second run", viewsOf(t, dc.Messages(e2eChannel)), wantDesk)

	feed.add("a2", "Truce in Aleppo holds for a second night", "Residents report a quiet night.", now)
	runCLI(t, "run", "--once", "--config", cfg)
	wantWebhook = append(wantWebhook, alertView{
		Title: "**Truce** in **Aleppo** holds for a second night", URL: "https://wire.example/a2",
		Description: "Residents report a quiet night.", Footer: "desk-wire", ParseMentions: "[]",
	})
	assertViews(t, "webhook after a new item", viewsOf(t, dc.Messages(e2eWebhook)), wantWebhook)
	assertViews(t, "channel after a new item", viewsOf(t, dc.Messages(e2eChannel)), wantDesk)
}

func assertViews(t *testing.T, what string, got, want []alertView) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d alerts, want %d:\ngot  %+v\nwant %+v", what, len(got), len(want), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s: alert %d:\ngot  %+v\nwant %+v", what, i, got[i], want[i])
		}
	}
}
