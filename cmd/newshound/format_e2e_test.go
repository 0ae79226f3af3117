package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/fakediscord"
	"github.com/newshound/newshound/internal/feedtest"
)

const (
	e2eThread    = "700000000000000008"
	e2eForum     = "700000000000000009"
	e2eForumTag  = "700000000000000010"
	e2eForumHook = "600000000000000011"
)

// One subscription delivered to a channel, a thread of it, a forum and a
// webhook into the forum at once: each gets each alert once, in its own
// format, across runs.
func TestEndToEndSeveralDestinations(t *testing.T) {
	dc := fakediscord.New(t)
	dc.AddThread(e2eThread, e2eChannel)
	dc.AddForum(e2eForum, e2eForumTag)
	feed := feedtest.NewServer(t, "Desk wire")
	t.Setenv("NEWSHOUND_TEST_TOKEN", "test-bot-token")
	now := time.Now()
	publish(feed, "a1", "Aleppo ceasefire talks resume in Geneva", "Diplomats say a truce could hold by Friday.", now.Add(-2*time.Hour))
	publish(feed, "x1", "Markets rally on rate hopes", "Nothing about Syria.", now.Add(-time.Hour))
	dir := t.TempDir()
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
    destination: [desk, desk-thread, forum, forum-hook]
    backfill: 5
    format:
      content: "Syria: {matched}"
destinations:
  - name: desk
    type: discord-channel
    channel_id: "%s"
  - name: desk-thread
    type: discord-channel
    channel_id: "%s"
    thread_id: "%s"
    format:
      footer: "{feed} · {published}"
      timezone: Asia/Damascus
  - name: forum
    type: discord-channel
    channel_id: "%s"
    forum: true
    tags: ["%s"]
  - name: forum-hook
    type: discord-webhook
    webhook_url: %s
    forum: true
    format:
      username: Syria desk
`, filepath.Join(dir, "state.db"), dc.APIBase(), feed.URL+"/feed.xml",
		e2eChannel, e2eChannel, e2eThread, e2eForum, e2eForumTag, dc.AddWebhook(e2eForumHook, e2eForum))
	path := filepath.Join(dir, "newshound.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}

	check := func(when string, titles ...string) {
		t.Helper()
		expect := func(where string, msgs []fakediscord.Message) {
			t.Helper()
			if len(msgs) != len(titles) {
				t.Fatalf("%s: %s got %d messages, want %d", when, where, len(msgs), len(titles))
			}
			for i, m := range msgs {
				if len(m.Embeds) != 1 || m.Embeds[0].URL != "https://wire.example/"+titles[i] {
					t.Errorf("%s: %s message %d = %+v, want the alert of %s", when, where, i, m.Embeds, titles[i])
				}
				if m.Content != "Syria: Aleppo, ceasefire, truce" && m.Content != "Syria: Truce, Aleppo" {
					t.Errorf("%s: %s message %d content %q, want the subscription's format", when, where, i, m.Content)
				}
			}
		}
		expect("channel", dc.Messages(e2eChannel))
		expect("thread", dc.Messages(e2eThread))
		posts := dc.Threads(e2eForum)
		if len(posts) != 2*len(titles) {
			t.Fatalf("%s: forum has %d posts, want %d (bot and webhook, one per alert): %+v", when, len(posts), 2*len(titles), posts)
		}
		var bot, hook []fakediscord.Message
		for _, p := range posts {
			msgs := dc.Messages(p.ID)
			if len(msgs) != 1 {
				t.Fatalf("%s: post %q has %d messages, want 1", when, p.Name, len(msgs))
			}
			if msgs[0].WebhookID != "" {
				hook = append(hook, msgs[0])
				if msgs[0].Username != "Syria desk" {
					t.Errorf("%s: webhook post under %q, want Syria desk", when, msgs[0].Username)
				}
			} else {
				bot = append(bot, msgs[0])
				if len(p.Tags) != 1 || p.Tags[0] != e2eForumTag {
					t.Errorf("%s: post %q tags %v, want [%s]", when, p.Name, p.Tags, e2eForumTag)
				}
			}
		}
		expect("forum (bot)", bot)
		expect("forum (webhook)", hook)
		for _, m := range dc.Messages(e2eThread) {
			if f := m.Embeds[0].Footer; f == nil || len(f.Text) < len("desk-wire · ") || f.Text[:len("desk-wire · ")] != "desk-wire · " {
				t.Errorf("%s: thread footer %+v, want the thread destination's format", when, f)
			}
		}
	}

	runCLI(t, "run", "--once", "--config", path)
	check("first run", "a1")
	runCLI(t, "run", "--once", "--config", path)
	check("second run", "a1")
	publish(feed, "a2", "Truce in Aleppo holds for a second night", "Residents report a quiet night.", now)
	runCLI(t, "run", "--once", "--config", path)
	check("after a new item", "a1", "a2")
}
