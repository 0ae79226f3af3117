package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/fakediscord"
	"github.com/newshound/newshound/internal/feedtest"
)

// publish adds an item to the top of the test feed.
func publish(feed *feedtest.Server, guid, title, description string, published time.Time) {
	feed.Publish(feedtest.Item{GUID: guid, Title: title, Link: "https://wire.example/" + guid, Description: description, Published: published})
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
	feed := feedtest.NewServer(t, "Desk wire")
	t.Setenv("NEWSHOUND_TEST_TOKEN", "test-bot-token")
	now := time.Now()
	publish(feed, "a1", "Aleppo ceasefire talks resume in Geneva", "Diplomats say a truce could hold by Friday.", now.Add(-2*time.Hour))
	publish(feed, "k1", "Kerry lands in Moscow", "The secretary of state meets his counterpart.", now.Add(-time.Hour))
	publish(feed, "f1", "Kerry scores twice in football final", "A football story.", now.Add(-time.Hour))
	publish(feed, "x1", "Markets rally on rate hopes", "Nothing about Syria.", now.Add(-time.Hour))
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

	publish(feed, "a2", "Truce in Aleppo holds for a second night", "Residents report a quiet night.", now)
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
