package discord

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/fakediscord"
)

// discordgoBuckets is how many buckets s's discordgo rate limiter keeps:
// it makes one for each bucket id it is given and never drops one.
func discordgoBuckets(s *discordgo.Session) int {
	return reflect.ValueOf(s.Ratelimiter).Elem().FieldByName("buckets").Len()
}

// discordgo keeps a bucket for each bucket id a request names, for ever,
// and its helpers name one for each message a thread is started on and
// each thread posted into or edited in: a bot with story threads or a
// forum grew by a bucket or two for each story as long as it ran. The
// Limiter does the pacing; the buckets discordgo keeps for the requests
// sent through it stay as few as the requests on their way at once.
func TestDiscordgoBucketsStayBounded(t *testing.T) {
	const maxBuckets = 100
	lead := testAlert("Aleppo ceasefire holds")
	tests := []struct {
		name string
		dest config.Destination
		opts []Option
		ops  int
		// op does the i-th operation with n.
		op func(t *testing.T, n notify.Notifier, i int)
	}{
		{name: "edits of distinct messages in a channel", ops: 2000,
			dest: config.Destination{Type: config.DiscordChannel, ChannelID: testChannel},
			op: func(t *testing.T, n notify.Notifier, i int) {
				e := notify.Edit{MessageID: fmt.Sprint(1_000_000 + i), Message: notify.Message{Alerts: []alert.Alert{lead}}}
				if err := n.(notify.Editor).Edit(context.Background(), e); err != nil && !errors.Is(err, notify.ErrNoMessage) {
					t.Fatalf("edit %d: %v", i, err)
				}
			}},
		{name: "story threads", ops: 300, opts: []Option{WithStoryThreads(true)},
			dest: config.Destination{Type: config.DiscordChannel, ChannelID: testChannel},
			op: func(t *testing.T, n notify.Notifier, i int) {
				storyWithAJoin(t, n, i, lead)
			}},
		{name: "forum posts and their further reports", ops: 300, opts: []Option{WithStoryThreads(true)},
			dest: config.Destination{Type: config.DiscordChannel, ChannelID: editForum, Forum: true},
			op: func(t *testing.T, n notify.Notifier, i int) {
				storyWithAJoin(t, n, i, lead)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			f.SetEditLimit(1_000_000, time.Second)
			f.AddForum(editForum)
			s := newTestSession(t, f, "test-token")
			n, err := NewDestinationNotifier(s, tt.dest, NewLimiter(LimiterConfig{PerSecond: 1e6, Burst: 1e6}), tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.ops {
				tt.op(t, n, i)
			}
			if got := discordgoBuckets(s); got > maxBuckets {
				t.Errorf("after %d operations discordgo keeps %d buckets, want at most %d", tt.ops, got, maxBuckets)
			}
		})
	}
}

// storyWithAJoin posts the i-th story and edits in a further report,
// which goes into the story's thread.
func storyWithAJoin(t *testing.T, n notify.Notifier, i int, lead alert.Alert) {
	t.Helper()
	a := lead
	a.Title, a.Link = fmt.Sprintf("%s %d", lead.Title, i), fmt.Sprintf("%s/%d", lead.Link, i)
	r, err := n.Send(context.Background(), notify.Message{Nonce: fmt.Sprint("lead-", i), Alerts: []alert.Alert{a}})
	if err != nil {
		t.Fatalf("story %d: %v", i, err)
	}
	a.Also = reports(1)
	e := notify.Edit{MessageID: r.MessageID, Message: notify.Message{Alerts: []alert.Alert{a}}, Added: joinsOf(1), Nonce: fmt.Sprint("join-", i)}
	if err := n.(notify.Editor).Edit(context.Background(), e); err != nil {
		t.Fatalf("story %d's join: %v", i, err)
	}
}

// discordgo's interaction helpers name a bucket for each interaction
// token (the response, its deletion, its follow-ups), which it keeps for
// ever: a bot grew by a bucket or more for each slash command as long as
// it ran. Replies now go under buckets discordgo does not keep.
func TestDiscordgoBucketsStayBoundedUnderSlashCommands(t *testing.T) {
	t.Parallel() // each gateway test spends 1 s in discordgo's Close
	const commands, maxBuckets = 60, 20
	f := fakediscord.New(t)
	w := &memoryWatches{addErr: errors.New("feed: HTTP 404")}
	s := connectBot(t, f, w)
	for i := range commands {
		// A list is answered by an edit of the ephemeral deferral; a
		// failed add deletes the public deferral and follows up.
		o := sub("list")
		if i%2 == 1 {
			o = sub("add", opt("feed", "https://example.org/feed.xml"), opt("query", "aleppo"))
		}
		runCommand(t, f, o)
	}
	if got := discordgoBuckets(s); got > maxBuckets {
		t.Errorf("after %d slash commands discordgo keeps %d buckets, want at most %d", commands, got, maxBuckets)
	}
}
