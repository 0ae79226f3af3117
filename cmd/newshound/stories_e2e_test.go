package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newshound/newshound/internal/fakediscord"
	"github.com/newshound/newshound/internal/feedtest"
)

const (
	e2eStoryHook  = "600000000000000012"
	e2eStoryForum = "700000000000000014"
)

// storyLead is one wire text that five outlets carry under their own
// headlines (invented).
const storyLead = `Engineers reopened the Kessler Dam spillway on Tuesday after three days of record
rainfall pushed the reservoir above its emergency line, forcing the evacuation of about 4,000
residents from the valley towns of Marbeck and Ostry, the regional water authority said.`

var storyHeadlines = []string{
	"Kessler Dam spillway reopened as valley towns evacuate",
	"Thousands flee Marbeck and Ostry as Kessler reservoir rises - Herald",
	"Dam authority: Kessler structure sound, releases to continue | The Post",
	"Record rain forces evacuations below Kessler Dam (AP)",
	"UPDATE 1-Kessler Dam spillway reopened after record rain",
}

// One wire story under five outlets' headlines, through the real binary's
// code path to a bot channel with story threads and to a webhook: one
// message in each, edited to list the four other reports; the channel's
// story thread holds the four reports; no 429 from Discord.
func TestEndToEndOneStoryOneMessage(t *testing.T) {
	dc := fakediscord.New(t)
	dc.AddForum(e2eStoryForum)
	t.Setenv("NEWSHOUND_TEST_TOKEN", "test-bot-token")
	now := time.Now()
	var servers []*feedtest.Server
	var feedsYAML strings.Builder
	for i := range storyHeadlines {
		s := feedtest.NewServer(t, fmt.Sprintf("Outlet %d", i))
		s.Publish(feedtest.Item{GUID: "seed", Title: "Weather stays mild", Link: fmt.Sprintf("https://outlet%d.example/seed", i), Published: now.Add(-time.Hour)})
		servers = append(servers, s)
		fmt.Fprintf(&feedsYAML, "  - name: outlet%d\n    url: %s\n", i, s.URL+"/feed.xml")
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf(`store:
  path: %s
defaults:
  allow_private_networks: true   # the test feed servers are on loopback
  max_age: 0
  host_gap: 0s   # the five feeds share one loopback host: the gap made each run wait 4 s
discord:
  token: ${NEWSHOUND_TEST_TOKEN}
  api_base: %s
  commands: false
feeds:
%ssubscriptions:
  - name: dams
    query: kessler
    destination: [desk, hook, board]
destinations:
  - name: desk
    type: discord-channel
    channel_id: "%s"
    threads: true
  - name: hook
    type: discord-webhook
    webhook_url: %s
  - name: board
    type: discord-channel
    channel_id: "%s"
    forum: true
    threads: true
`, filepath.Join(dir, "state.db"), dc.APIBase(), feedsYAML.String(), e2eChannel, dc.AddWebhook(e2eStoryHook, "700000000000000013"), e2eStoryForum)
	path := filepath.Join(dir, "newshound.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	runCLI(t, "run", "--once", "--config", path) // first sight: nothing posted
	for i, s := range servers {
		s.Publish(feedtest.Item{GUID: "kessler", Title: storyHeadlines[i], Link: fmt.Sprintf("https://outlet%d.example/kessler", i),
			Description: storyLead, Published: now.Add(time.Duration(i) * time.Minute)})
	}
	runCLI(t, "run", "--once", "--config", path)

	posts := dc.Threads(e2eStoryForum)
	if len(posts) != 1 {
		t.Fatalf("the forum has %d posts, want one per story: %+v", len(posts), posts)
	}
	for _, where := range []string{e2eChannel, "700000000000000013", posts[0].ID} {
		msgs := dc.Messages(where)
		if where == posts[0].ID && len(msgs) > 0 && msgs[0].ID == where {
			msgs = msgs[:1] // the post's opening message; the reports follow it in the post
		}
		if len(msgs) != 1 {
			t.Fatalf("channel %s: %d messages, want one per story: %+v", where, len(msgs), msgs)
		}
		also := fieldNamed(msgs[0].Embeds[0], "Also")
		if also == nil {
			t.Fatalf("channel %s: the story's message has no Also field: %+v", where, msgs[0].Embeds[0].Fields)
		}
		if n := strings.Count(also.Value, "](https://outlet"); n != len(storyHeadlines)-1 {
			t.Errorf("channel %s: Also lists %d linked reports (%q), want %d", where, n, also.Value, len(storyHeadlines)-1)
		}
		if len(msgs[0].Edits) == 0 || len(msgs[0].Edits) > 2 {
			t.Errorf("channel %s: the message was edited %d times, want once or twice", where, len(msgs[0].Edits))
		}
	}
	lead := dc.Messages(e2eChannel)[0]
	for _, thread := range []string{lead.ID, posts[0].ID} {
		var inThread int
		for _, m := range dc.Messages(thread) {
			if m.ID != thread { // a forum post's opening message is the story's own
				inThread += len(m.Embeds)
			}
		}
		if inThread != len(storyHeadlines)-1 {
			t.Errorf("the story's thread %s holds %d reports, want %d", thread, inThread, len(storyHeadlines)-1)
		}
	}
	if n := dc.Count429(""); n != 0 {
		t.Errorf("Discord answered %d requests with 429", n)
	}

	// Nothing new: nothing posted, nothing edited.
	edits := len(lead.Edits)
	runCLI(t, "run", "--once", "--config", path)
	if got, _ := dc.Message(lead.ID); len(dc.Messages(e2eChannel)) != 1 || len(got.Edits) != edits {
		t.Errorf("a run with nothing new: %d messages, %d edits; want 1 and %d", len(dc.Messages(e2eChannel)), len(got.Edits), edits)
	}
}

func fieldNamed(e *discordgo.MessageEmbed, name string) *discordgo.MessageEmbedField {
	for _, f := range e.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// On the console, a further report of a story is one "also:" line under
// the story, and the story is not printed twice.
func TestConsolePrintsAlsoLines(t *testing.T) {
	dir := t.TempDir()
	now := time.Now().UTC()
	write := func(name string, items ...feedtest.Item) string {
		path := filepath.Join(dir, name+".xml")
		if err := os.WriteFile(path, []byte(feedtest.RSS(name, items...)), 0o644); err != nil {
			t.Fatal(err)
		}
		return "file://" + filepath.ToSlash(path)
	}
	seed := feedtest.Item{GUID: "seed", Title: "Weather stays mild", Link: "https://example.org/seed", Published: now.Add(-time.Hour)}
	cfg := fmt.Sprintf(`store:
  path: %s
defaults:
  max_age: 0
feeds:
  - name: courier
    url: %s
  - name: herald
    url: %s
subscriptions:
  - name: dams
    query: kessler
`, filepath.Join(dir, "state.db"), write("courier", seed), write("herald", seed))
	path := filepath.Join(dir, "newshound.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	runCLI(t, "run", "--once", "--config", path)
	write("courier", seed, feedtest.Item{GUID: "k", Title: storyHeadlines[0], Link: "https://courier.example/kessler", Description: storyLead, Published: now})
	out := runCLI(t, "run", "--once", "--config", path)
	write("herald", seed, feedtest.Item{GUID: "k", Title: storyHeadlines[1], Link: "https://herald.example/kessler", Description: storyLead, Published: now})
	out += runCLI(t, "run", "--once", "--config", path)
	if n := strings.Count(out, "https://courier.example/kessler"); n != 1 {
		t.Errorf("the story's first report printed %d times, want once:\n%s", n, out)
	}
	want := "story: " + now.UTC().Format("2006-01-02 15:04 MST") + "  [courier] " + storyHeadlines[0] + "\n  also: herald — " + storyHeadlines[1] + " https://herald.example/kessler\n"
	if !strings.Contains(out, want) {
		t.Errorf("console output:\n%s\nwant it to contain:\n%s", out, want)
	}
}
