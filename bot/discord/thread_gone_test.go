package discord

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/alerttest"
	"github.com/newshound/newshound/internal/fakediscord"
)

// TestPostIntoADeletedThreadIsGone: README's "No loss" says a deleted
// channel delays an alert, never drops it, and "Run it in Discord" that
// a destination Discord no longer takes posts for is paused. A thread is
// a channel: a destination's thread_id deleted by a moderator makes every
// post fail alike until the config names another, so the post is
// ErrGone (the destination paused, its alerts kept), on a bot's thread
// (404 Unknown Channel) and a webhook's (400 Unknown Channel) alike. A
// thread a moderator locked is gone too, and the reason the log and
// status give names the thread, not a webhook deleted that is not: a
// webhook's 404 is its thread gone when Discord says Unknown Channel
// (10003), and the webhook deleted only when it says Unknown Webhook
// (10015).
const hookDeleted = "webhook " + editHook + " deleted"

func TestPostIntoADeletedThreadIsGone(t *testing.T) {
	for _, tt := range []struct {
		name  string
		dest  config.Destination
		shut  func(f *fakediscord.Server, id string)
		names string // what the error must name
		not   string // what it must not
	}{
		{"deleted, channel thread", config.Destination{Type: config.DiscordChannel, ChannelID: testChannel, ThreadID: editThread},
			(*fakediscord.Server).DeleteThread, "channel " + editThread, hookDeleted},
		{"deleted, webhook into a thread", config.Destination{Type: config.DiscordWebhook, ThreadID: editThread},
			(*fakediscord.Server).DeleteThread, "thread " + editThread, hookDeleted},
		{"deleted, webhook into a thread, answered 404 Unknown Channel", config.Destination{Type: config.DiscordWebhook, ThreadID: editThread},
			func(f *fakediscord.Server, _ string) { f.FailNext(http.StatusNotFound) }, "thread " + editThread, hookDeleted},
		{"locked, webhook into a thread", config.Destination{Type: config.DiscordWebhook, ThreadID: editThread},
			(*fakediscord.Server).LockThread, "thread " + editThread, hookDeleted},
		{"webhook deleted, posting into a thread", config.Destination{Type: config.DiscordWebhook, ThreadID: editThread},
			func(f *fakediscord.Server, _ string) { f.DeleteWebhook(editHook) }, hookDeleted, "thread " + editThread},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			n := newEditNotifier(t, f, tt.dest)
			tt.shut(f, editThread)
			_, err := n.Send(context.Background(), oneAlert("n-1", "Aleppo ceasefire agreed"))
			if got, _ := alerttest.Classify(err); got != "gone" || !strings.Contains(fmt.Sprint(err), tt.names) || strings.Contains(fmt.Sprint(err), tt.not) {
				t.Errorf("post into the shut thread: got %s (%v), want gone, naming %q, not %q", got, err, tt.names, tt.not)
			}
		})
	}
}

// TestEditInADeletedThreadFindsNoMessage: an edit of a webhook's message
// in its destination's thread_id, the thread deleted, was answered 404
// Unknown Channel as a post may be, and taken for the webhook deleted
// (ErrGone: the destination paused, naming the webhook), where the
// message went with its thread: ErrNoMessage, so the sender posts the
// story's reports on their own, and that post names the thread gone.
func TestEditInADeletedThreadFindsNoMessage(t *testing.T) {
	for _, tt := range []struct {
		name string
		shut func(f *fakediscord.Server)
		want error
	}{
		{"thread deleted", func(f *fakediscord.Server) { f.DeleteThread(editThread) }, notify.ErrNoMessage},
		{"thread deleted, answered 404 Unknown Channel", func(f *fakediscord.Server) { f.FailNext(http.StatusNotFound) }, notify.ErrNoMessage},
		{"webhook deleted", func(f *fakediscord.Server) { f.DeleteWebhook(editHook) }, notify.ErrGone},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			n := newEditNotifier(t, f, config.Destination{Type: config.DiscordWebhook, ThreadID: editThread})
			a := testAlert("Aleppo ceasefire holds")
			r, err := n.Send(context.Background(), notify.Message{Nonce: "lead", Alerts: []alert.Alert{a}})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			tt.shut(f)
			err = n.(notify.Editor).Edit(context.Background(), notify.Edit{MessageID: r.MessageID, Message: notify.Message{Alerts: []alert.Alert{joined(a)}}})
			checkEditError(t, err, tt.want, 0)
		})
	}
}
