package bot

import (
	"context"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/discord"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/fakediscord"
)

// These tests take a story's further reports through the real Discord
// notifiers and Limiter to the fake Discord on loopback.

const deskForum = "800000000000000077"

// discordDesk returns a fake Discord with a forum (deskForum) and a
// webhook into watchChannel, and dest's notifier on it.
func discordDesk(t *testing.T, dest config.Destination, opts ...discord.Option) (*fakediscord.Server, notify.Notifier) {
	t.Helper()
	dc := fakediscord.New(t)
	dc.AddForum(deskForum)
	token := "test-token"
	if dest.Type == config.DiscordWebhook {
		dest.WebhookURL, token = dc.AddWebhook("900000000000000009", watchChannel), ""
	}
	session, err := discord.NewSession(token, dc.APIBase(), nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := discord.NewDestinationNotifier(session, dest, discord.NewLimiter(discord.LimiterConfig{}), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return dc, n
}

// TestArchivedPostReopenedLaterKeepsItsStory: a story's forum post was
// archived for inactivity, and reopening it is rate limited for a moment
// when a further report comes. The report waits and is listed in the
// story's post; it does not open a second post for the story.
func TestArchivedPostReopenedLaterKeepsItsStory(t *testing.T) {
	dc, n := discordDesk(t, config.Destination{Type: config.DiscordChannel, ChannelID: deskForum, Forum: true})
	h, _ := storyHarness(t, kesslerSub())
	svc, closeStore := h.openWith(n)
	defer closeStore()
	ctx := context.Background()
	pass := func() {
		t.Helper()
		h.clock = h.clock.Add(time.Minute)
		if _, err := svc.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	pass() // first sight
	h.publishReport(0)
	pass()
	posts := dc.Threads(deskForum)
	if len(posts) != 1 {
		t.Fatalf("forum posts after the story's first report: %d, want 1", len(posts))
	}
	dc.ArchiveThread(posts[0].ID)
	const wait = 300 * time.Millisecond
	dc.Route429("PATCH channels/"+posts[0].ID, wait)
	h.publishReport(1)
	pass() // reopening the post is rate limited
	time.Sleep(wait + 50*time.Millisecond)
	pass()
	if got := len(dc.Threads(deskForum)); got != 1 {
		t.Errorf("forum posts: got %d, want 1: the further report goes into the story's post", got)
	}
	if m, _ := dc.Message(posts[0].ID); len(m.Edits) != 1 {
		t.Errorf("the story's post was edited %d times, want once", len(m.Edits))
	}
}
