package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/fakediscord"
)

const (
	editHook   = "600000000000000020"
	editThread = "200000000000000021"
	editForum  = "200000000000000022"
)

// editTarget is a destination to post to and then edit on the fake.
type editTarget struct {
	name string
	dest config.Destination
	// channel is where the fake keeps the destination's messages.
	channel string
}

func editTargets() []editTarget {
	return []editTarget{
		{"channel", config.Destination{Type: config.DiscordChannel, ChannelID: testChannel}, testChannel},
		{"channel thread", config.Destination{Type: config.DiscordChannel, ChannelID: testChannel, ThreadID: editThread}, editThread},
		{"webhook", config.Destination{Type: config.DiscordWebhook}, testChannel},
		{"webhook into a thread", config.Destination{Type: config.DiscordWebhook, ThreadID: editThread}, editThread},
		{"webhook forum post", config.Destination{Type: config.DiscordWebhook, Forum: true}, ""},
		{"forum post", config.Destination{Type: config.DiscordChannel, ChannelID: editForum, Forum: true}, ""},
	}
}

// newEditNotifier returns the destination's notifier on f, with a thread
// of testChannel, a forum and a webhook into the channel (or the forum).
func newEditNotifier(t *testing.T, f *fakediscord.Server, dest config.Destination, opts ...Option) notify.Notifier {
	t.Helper()
	f.AddThread(editThread, testChannel)
	f.AddForum(editForum)
	token := "test-token"
	if dest.Type == config.DiscordWebhook {
		channel := testChannel
		if dest.Forum {
			channel = editForum
		}
		dest.WebhookURL, token = f.AddWebhook(editHook, channel), ""
	}
	n, err := NewDestinationNotifier(newTestSession(t, f, token), dest, NewLimiter(LimiterConfig{}), opts...)
	if err != nil {
		t.Fatalf("NewDestinationNotifier: %v", err)
	}
	return n
}

// joined is testAlert's story after two further reports and an update.
func joined(a alert.Alert) alert.Alert {
	a.Also = reports(2)
	a.Updates = updates(1, "Convoys reached the eastern districts.")
	return a
}

func TestEditReplacesThePostedMessage(t *testing.T) {
	for _, tt := range editTargets() {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			n := newEditNotifier(t, f, tt.dest)
			a := testAlert("Aleppo ceasefire holds")
			r, err := n.Send(context.Background(), notify.Message{Nonce: "lead", Alerts: []alert.Alert{a}})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			before, _ := f.Message(r.MessageID)
			err = n.(notify.Editor).Edit(context.Background(), notify.Edit{MessageID: r.MessageID, Message: notify.Message{Nonce: "lead", Alerts: []alert.Alert{joined(a)}}})
			if err != nil {
				t.Fatalf("Edit: %v", err)
			}
			m, ok := f.Message(r.MessageID)
			if !ok || len(m.Edits) != 1 {
				t.Fatalf("message %s found %v with %d edits, want 1 edit", r.MessageID, ok, len(m.Edits))
			}
			if tt.channel != "" && m.ChannelID != tt.channel {
				t.Errorf("edited message is in %s, want %s", m.ChannelID, tt.channel)
			}
			want, _ := RenderEmbeds([]alert.Alert{joined(a)})
			if got := fieldNames(m.Embeds); got != fieldNames(want) || got == "" {
				t.Errorf("edited message has fields %q, want %q", got, fieldNames(want))
			}
			if m.Embeds[0].Title != before.Embeds[0].Title || m.Embeds[0].URL != before.Embeds[0].URL {
				t.Errorf("edit changed the alert: title %q url %q, was %q %q", m.Embeds[0].Title, m.Embeds[0].URL, before.Embeds[0].Title, before.Embeds[0].URL)
			}
			if pings := m.Pings(); len(pings) > 0 {
				t.Errorf("edited message would ping %v", pings)
			}
			if got := len(f.AllMessages()); got != 1 {
				t.Errorf("the fake holds %d messages, want the one edited", got)
			}
		})
	}
}

func fieldNames(embeds []*discordgo.MessageEmbed) string {
	var names []string
	for _, e := range embeds {
		for _, f := range e.Fields {
			names = append(names, f.Name)
		}
	}
	return strings.Join(names, ",")
}

// An edit without joins renders what Send posted: one renderer for both.
func TestEditWithoutJoinsRendersAsSend(t *testing.T) {
	f := fakediscord.New(t)
	n := newEditNotifier(t, f, config.Destination{Type: config.DiscordChannel, ChannelID: testChannel})
	a := formatAlert("Aleppo ceasefire holds")
	a.MentionRole = "555000000000000001"
	m := notify.Message{Nonce: "same", Alerts: []alert.Alert{a, testAlert("Aleppo truce talks")}}
	r, err := n.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.(notify.Editor).Edit(context.Background(), notify.Edit{MessageID: r.MessageID, Message: m}); err != nil {
		t.Fatal(err)
	}
	posted, edited := decodeRaw(t, fakediscord.Message{Raw: f.AllMessages()[0].Raw}), rawOfEdit(t, f, r.MessageID)
	if fmt.Sprint(posted.Embeds) != fmt.Sprint(edited.Embeds) || posted.Content != edited.Content {
		t.Errorf("edit sent %+v %q, want what was posted: %+v %q", edited.Embeds, edited.Content, posted.Embeds, posted.Content)
	}
	if got := parseOf(t, edited.AllowedMentions); got != "[]" {
		t.Errorf("edit's allowed_mentions.parse = %s, want []", got)
	}
}

func rawOfEdit(t *testing.T, f *fakediscord.Server, id string) rawMessage {
	t.Helper()
	m, _ := f.Message(id)
	if len(m.Edits) == 0 {
		t.Fatalf("message %s was not edited", id)
	}
	return decodeRaw(t, fakediscord.Message{Raw: m.Edits[len(m.Edits)-1].Raw})
}

func TestEditErrors(t *testing.T) {
	type arm func(f *fakediscord.Server, messageID string)
	tests := []struct {
		name      string
		webhook   bool
		forum     bool // a forum post
		arm       arm
		want      error // nil: a plain error (retried with back-off)
		wantRetry time.Duration
	}{
		{"channel message deleted", false, false, func(f *fakediscord.Server, id string) { f.DeleteMessage(id) }, notify.ErrNoMessage, 0},
		{"webhook message deleted", true, false, func(f *fakediscord.Server, id string) { f.DeleteMessage(id) }, notify.ErrNoMessage, 0},
		{"channel rate limited", false, false, func(f *fakediscord.Server, id string) {
			f.Route429("PATCH channels/"+testChannel+"/messages/"+id, 30*time.Second)
		}, nil, 30 * time.Second},
		{"webhook rate limited", true, false, func(f *fakediscord.Server, id string) {
			f.Route429("PATCH webhooks/"+editHook+"/messages/"+id, 30*time.Second)
		}, nil, 30 * time.Second},
		{"server error", false, false, func(f *fakediscord.Server, _ string) { f.FailNext(http.StatusBadGateway) }, nil, 0},
		{"permission removed", false, false, func(f *fakediscord.Server, _ string) { f.DenyChannel(testChannel) }, notify.ErrGone, 0},
		{"channel deleted", false, false, func(f *fakediscord.Server, _ string) { f.DeleteChannel(testChannel) }, notify.ErrGone, 0},
		{"webhook deleted", true, false, func(f *fakediscord.Server, _ string) { f.DeleteWebhook(editHook) }, notify.ErrGone, 0},
		{"bad payload", false, false, func(f *fakediscord.Server, _ string) { f.FailNext(http.StatusBadRequest) }, notify.ErrRejected, 0},
		{"forum post's message deleted", false, true, func(f *fakediscord.Server, id string) { f.DeleteMessage(id) }, notify.ErrNoMessage, 0},
		{"forum post deleted", false, true, func(f *fakediscord.Server, id string) { f.DeleteChannel(id) }, notify.ErrNoMessage, 0},
		{"webhook's forum post deleted", true, true, func(f *fakediscord.Server, id string) { f.DeleteChannel(id) }, notify.ErrNoMessage, 0},
		{"forum post rate limited", false, true, func(f *fakediscord.Server, id string) {
			f.Route429("PATCH channels/"+id+"/messages/"+id, 30*time.Second)
		}, nil, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			dest := config.Destination{Type: config.DiscordChannel, ChannelID: testChannel}
			switch {
			case tt.webhook:
				dest = config.Destination{Type: config.DiscordWebhook, Forum: tt.forum}
			case tt.forum:
				dest = config.Destination{Type: config.DiscordChannel, ChannelID: editForum, Forum: true}
			}
			n := newEditNotifier(t, f, dest)
			a := testAlert("Aleppo ceasefire holds")
			r, err := n.Send(context.Background(), notify.Message{Nonce: "lead", Alerts: []alert.Alert{a}})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			tt.arm(f, r.MessageID)
			err = n.(notify.Editor).Edit(context.Background(), notify.Edit{MessageID: r.MessageID, Message: notify.Message{Alerts: []alert.Alert{joined(a)}}})
			checkEditError(t, err, tt.want, tt.wantRetry)
		})
	}
}

// checkEditError asserts err is want (nil: a plain error) and, for
// wantRetry > 0, a RetryError of about that wait.
func checkEditError(t *testing.T, err, want error, wantRetry time.Duration) {
	t.Helper()
	if err == nil {
		t.Fatal("Edit succeeded, want an error")
	}
	var re *notify.RetryError
	isRetry := errors.As(err, &re)
	switch {
	case wantRetry > 0:
		if !isRetry || re.After < wantRetry-time.Second || re.After > wantRetry {
			t.Errorf("Edit error = %v, want a RetryError of about %s", err, wantRetry)
		}
	case want != nil:
		if !errors.Is(err, want) || isRetry {
			t.Errorf("Edit error = %v, want one wrapping %v", err, want)
		}
	default:
		if isRetry || errors.Is(err, notify.ErrGone) || errors.Is(err, notify.ErrRejected) || errors.Is(err, notify.ErrNoMessage) {
			t.Errorf("Edit error = %v, want a plain error for the sender's back-off", err)
		}
	}
	for _, other := range []error{notify.ErrGone, notify.ErrRejected, notify.ErrNoMessage} {
		if other != want && errors.Is(err, other) {
			t.Errorf("Edit error = %v also wraps %v", err, other)
		}
	}
}

func TestEditRefusesWhatCannotBeEdited(t *testing.T) {
	a := testAlert("Aleppo ceasefire holds")
	tests := []struct {
		name string
		dest config.Destination
		edit notify.Edit
		want error
	}{
		{"digest", config.Destination{Type: config.DiscordChannel, ChannelID: testChannel},
			notify.Edit{MessageID: "1", Message: notify.Message{Alerts: []alert.Alert{a}, Digest: &notify.Digest{Title: "Digest"}}}, notify.ErrRejected},
		{"no message id", config.Destination{Type: config.DiscordWebhook}, notify.Edit{Message: notify.Message{Alerts: []alert.Alert{a}}}, notify.ErrNoMessage},
		{"forum burst", config.Destination{Type: config.DiscordWebhook, Forum: true},
			notify.Edit{MessageID: "1", Message: notify.Message{Alerts: []alert.Alert{a, a}}}, notify.ErrNoMessage},
		{"forum burst with a bot token", config.Destination{Type: config.DiscordChannel, ChannelID: editForum, Forum: true},
			notify.Edit{MessageID: "1", Message: notify.Message{Alerts: []alert.Alert{a, a}}}, notify.ErrNoMessage},
		{"forum digest with a bot token", config.Destination{Type: config.DiscordChannel, ChannelID: editForum, Forum: true},
			notify.Edit{MessageID: "1", Message: notify.Message{Alerts: []alert.Alert{a, a}, Digest: &notify.Digest{Title: "Digest"}}}, notify.ErrRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			err := newEditNotifier(t, f, tt.dest).(notify.Editor).Edit(context.Background(), tt.edit)
			if !errors.Is(err, tt.want) {
				t.Errorf("Edit error = %v, want %v", err, tt.want)
			}
			if got := len(f.Requests("")); got != 0 {
				t.Errorf("the fake got %d requests, want none", got)
			}
		})
	}
}

// joinsOf returns n alerts joining testAlert's story: other outlets'
// reports of it.
func joinsOf(n int) []notify.Join {
	out := make([]notify.Join, n)
	for i, r := range reports(n) {
		a := testAlert(r.Title)
		a.Feed, a.FeedTitle, a.Link, a.Join = r.Feed, r.FeedTitle, r.Link, alert.JoinAlso
		out[i] = notify.Join{Alert: a}
	}
	return out
}

func TestStoryThread(t *testing.T) {
	f := fakediscord.New(t)
	n := newEditNotifier(t, f, config.Destination{Type: config.DiscordChannel, ChannelID: testChannel}, WithStoryThreads(true))
	lead := testAlert("Aleppo ceasefire holds as aid convoys roll in, " + strings.Repeat("and the talks go on ", 10))
	r, err := n.Send(context.Background(), notify.Message{Nonce: "lead", Alerts: []alert.Alert{lead}})
	if err != nil {
		t.Fatal(err)
	}
	ed := n.(notify.Editor)
	edit := func(nonce string, also int) error {
		a := lead
		a.Also = reports(also)
		all := joinsOf(also)
		return ed.Edit(context.Background(), notify.Edit{MessageID: r.MessageID, Message: notify.Message{Alerts: []alert.Alert{a}}, Added: all[len(all)-min(also, 12):], Nonce: nonce})
	}
	if err := edit("e-1", 2); err != nil {
		t.Fatalf("first edit: %v", err)
	}
	threads := f.Threads(testChannel)
	if len(threads) != 1 || threads[0].ID != r.MessageID || threads[0].Name != ThreadName(lead) || len([]rune(threads[0].Name)) > MaxThreadName {
		t.Fatalf("threads %+v, want one with the message's id %s named after the story", threads, r.MessageID)
	}
	inThread := f.Messages(r.MessageID)
	if len(inThread) != 1 || len(inThread[0].Embeds) != 2 || inThread[0].Embeds[1].URL != joinsOf(2)[1].Alert.Link {
		t.Fatalf("thread holds %d messages (%+v), want one carrying the 2 joins", len(inThread), inThread)
	}
	// The sender retries the same edit (its answer was lost): the thread
	// is known to exist, and the nonce returns the earlier post.
	if err := edit("e-1", 2); err != nil {
		t.Fatalf("retried edit: %v", err)
	}
	if got := len(f.Messages(r.MessageID)); got != 1 {
		t.Errorf("thread holds %d messages after a retried edit, want 1", got)
	}
	// A later edit with 12 new joins posts them in two messages (10 embeds
	// at most each).
	if err := edit("e-2", 14); err != nil {
		t.Fatalf("second edit: %v", err)
	}
	var sizes []int
	for _, m := range f.Messages(r.MessageID) {
		sizes = append(sizes, len(m.Embeds))
		if pings := m.Pings(); len(pings) > 0 {
			t.Errorf("thread post would ping %v", pings)
		}
	}
	if fmt.Sprint(sizes) != "[2 10 2]" {
		t.Errorf("thread posts carry %v embeds, want [2 10 2]", sizes)
	}
	m, _ := f.Message(r.MessageID)
	if len(m.Edits) != 3 || !strings.Contains(fieldNames(m.Embeds), alsoName) {
		t.Errorf("story message edited %d times with fields %q, want 3 edits listing the reports", len(m.Edits), fieldNames(m.Embeds))
	}
	if got := len(f.Threads(testChannel)); got != 1 {
		t.Errorf("%d threads, want the story's one", got)
	}
}

// TestStoryThreadStartedOnce: the edits of a story with story threads
// start its thread once and then post into it directly (its id is the
// message's), instead of asking to start it again on every edit and being
// told it exists (400, 160004): one request saved per edit on the
// channel's bucket. A thread deleted meanwhile (404 Unknown Channel) is
// started again and the edit's reports posted into it; a restarted
// notifier, which knows no thread, asks once. No edit costs an invalid
// request.
func TestStoryThreadStartedOnce(t *testing.T) {
	const edits = 4
	for _, tt := range []struct {
		name string
		// before is done before edit k (1-based), if set.
		before map[int]string // "delete" the thread, or "restart" the notifier
		want   threadRequests
	}{
		{"edits of one story", nil, threadRequests{starts: 1, posts: edits}},
		{"thread deleted between edits", map[int]string{3: "delete"}, threadRequests{starts: 2, posts: edits, notFound: 1}},
		{"notifier restarted between edits", map[int]string{3: "restart"}, threadRequests{starts: 2, posts: edits}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			f.SetEditLimit(100, time.Second) // the test is about the thread's requests, not the edit bucket
			dest := config.Destination{Type: config.DiscordChannel, ChannelID: testChannel}
			newNotifier := func() notify.Notifier {
				n, err := NewDestinationNotifier(newTestSession(t, f, "test-token"), dest, NewLimiter(LimiterConfig{}), WithStoryThreads(true))
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			n := newNotifier()
			lead, r := postStory(t, n)
			for k := 1; k <= edits; k++ {
				switch tt.before[k] {
				case "delete":
					f.DeleteThread(r.MessageID)
				case "restart":
					n = newNotifier()
				}
				lead.Also = reports(k)
				e := notify.Edit{MessageID: r.MessageID, Message: notify.Message{Alerts: []alert.Alert{lead}}, Added: joinsOf(k)[k-1:], Nonce: fmt.Sprint("e-", k), InsideNonceWindow: true}
				if err := n.(notify.Editor).Edit(context.Background(), e); err != nil {
					t.Fatalf("edit %d: %v", k, err)
				}
			}
			if got := countThreadRequests(f, r.MessageID); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			var joins []string
			for _, m := range f.Messages(r.MessageID) {
				for _, em := range m.Embeds {
					joins = append(joins, em.URL)
				}
			}
			var want []string
			for _, j := range joinsOf(edits) {
				want = append(want, j.Alert.Link)
			}
			if fmt.Sprint(joins) != fmt.Sprint(want) {
				t.Errorf("the story's thread got the reports %v, want %v (each once, in order)", joins, want)
			}
			if m, _ := f.Message(r.MessageID); len(m.Edits) != edits {
				t.Errorf("the story's message edited %d times, want %d", len(m.Edits), edits)
			}
		})
	}
}

// threadRequests counts the requests about a story's thread.
type threadRequests struct {
	starts   int // POST channels/{c}/messages/{m}/threads, however answered
	posts    int // posts into the thread that succeeded
	notFound int // posts into it answered 404 (the thread deleted)
	invalid  int // answers Discord counts as invalid (401, 403, 429), on any route
}

func countThreadRequests(f *fakediscord.Server, msg string) threadRequests {
	c := threadRequests{
		starts:  len(f.Requests("POST channels/" + testChannel + "/messages/" + msg + "/threads")),
		invalid: f.Invalid(""),
	}
	for _, r := range f.Requests("POST channels/" + msg + "/messages") {
		switch {
		case r.Status >= 200 && r.Status < 300:
			c.posts++
		case r.Status == http.StatusNotFound:
			c.notFound++
		}
	}
	return c
}

// A thread the bot may not open (Create Public Threads missing) must not
// hold up the edit, which lists the joins as well.
func TestStoryThreadRefusedStillEdits(t *testing.T) {
	f := fakediscord.New(t)
	n := newEditNotifier(t, f, config.Destination{Type: config.DiscordChannel, ChannelID: testChannel}, WithStoryThreads(true))
	lead := testAlert("Aleppo ceasefire holds")
	r, err := n.Send(context.Background(), notify.Message{Nonce: "lead", Alerts: []alert.Alert{lead}})
	if err != nil {
		t.Fatal(err)
	}
	f.FailNext(http.StatusForbidden) // the thread start
	lead.Also = reports(1)
	if err := n.(notify.Editor).Edit(context.Background(), notify.Edit{MessageID: r.MessageID, Message: notify.Message{Alerts: []alert.Alert{lead}}, Added: joinsOf(1), Nonce: "e-1"}); err != nil {
		t.Fatalf("Edit: %v", err)
	}
	if m, _ := f.Message(r.MessageID); len(m.Edits) != 1 {
		t.Errorf("message edited %d times, want 1", len(m.Edits))
	}
	if got := len(f.Threads(testChannel)); got != 0 {
		t.Errorf("%d threads, want none", got)
	}
}

// TestStoryThreadLeftOutIsLoggedOnce: a story thread that stays shut
// (the bot may not open threads in the channel; a moderator locked the
// story's thread) is left out of every edit, and said so once, not on
// each edit; each edit still lists the reports in the message.
func TestStoryThreadLeftOutIsLoggedOnce(t *testing.T) {
	const edits = 3
	for _, tt := range []struct {
		name   string
		opened bool                                    // an earlier edit opened the story's thread
		shut   func(f *fakediscord.Server, msg string) // before each edit
	}{
		{"threads refused in the channel", false, func(f *fakediscord.Server, _ string) { f.DenyThreads(testChannel) }},
		{"story thread locked", true, func(f *fakediscord.Server, msg string) { f.LockThread(msg) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			var logs strings.Builder
			lim := NewLimiter(LimiterConfig{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			dest := config.Destination{Type: config.DiscordChannel, ChannelID: testChannel}
			n, err := NewDestinationNotifier(newTestSession(t, f, "test-token"), dest, lim, WithStoryThreads(true))
			if err != nil {
				t.Fatal(err)
			}
			lead, r := postStory(t, n)
			if tt.opened {
				lead.Also = reports(1)
				if err := n.(notify.Editor).Edit(context.Background(), notify.Edit{MessageID: r.MessageID, Message: notify.Message{Alerts: []alert.Alert{lead}}, Added: joinsOf(1), Nonce: "e-0", InsideNonceWindow: true}); err != nil {
					t.Fatal(err)
				}
			}
			m, _ := f.Message(r.MessageID)
			before := len(m.Edits)
			for k := range edits {
				tt.shut(f, r.MessageID)
				lead.Also = reports(k + 2)
				e := notify.Edit{MessageID: r.MessageID, Message: notify.Message{Alerts: []alert.Alert{lead}}, Added: joinsOf(k + 2)[k+1:], Nonce: fmt.Sprint("e-", k+1), InsideNonceWindow: true}
				if err := n.(notify.Editor).Edit(context.Background(), e); err != nil {
					t.Fatalf("edit %d: %v", k+1, err)
				}
			}
			if m, _ = f.Message(r.MessageID); len(m.Edits)-before != edits {
				t.Errorf("message edited %d times, want %d", len(m.Edits)-before, edits)
			}
			if got := strings.Count(logs.String(), "story thread left out"); got != 1 {
				t.Errorf("story thread left out logged %d times over %d edits, want once:\n%s", got, edits, logs.String())
			}
		})
	}
}

func TestStoryThreadsOnlyForChannels(t *testing.T) {
	for _, dest := range []config.Destination{
		{Name: "hook", Type: config.DiscordWebhook, WebhookURL: "https://discord.com/api/webhooks/1/t"},
		{Name: "thread", Type: config.DiscordChannel, ChannelID: testChannel, ThreadID: editThread},
	} {
		if _, err := NewDestinationNotifier(nil, dest, nil, WithStoryThreads(true)); err == nil {
			t.Errorf("%s: story threads accepted, want an error", dest.Name)
		}
	}
	forum := config.Destination{Name: "forum", Type: config.DiscordChannel, ChannelID: editForum, Forum: true}
	if _, err := NewDestinationNotifier(nil, forum, nil, WithStoryThreads(true)); err != nil {
		t.Errorf("forum: story threads refused: %v", err)
	}
}

// forumStory posts a story's first alert into a forum with story threads
// on a fake Discord.
func forumStory(t *testing.T) (*fakediscord.Server, notify.Notifier, alert.Alert, notify.Receipt) {
	t.Helper()
	f := fakediscord.New(t)
	n := newEditNotifier(t, f, config.Destination{Type: config.DiscordChannel, ChannelID: editForum, Forum: true}, WithStoryThreads(true))
	lead, r := postStory(t, n)
	return f, n, lead, r
}

// postStory posts a story's first alert through n.
func postStory(t *testing.T, n notify.Notifier) (alert.Alert, notify.Receipt) {
	t.Helper()
	lead := testAlert("Aleppo ceasefire holds")
	r, err := n.Send(context.Background(), notify.Message{Nonce: "lead", Alerts: []alert.Alert{lead}})
	if err != nil {
		t.Fatal(err)
	}
	return lead, r
}

// TestForumStoryThread: in a forum with story threads, a story's post
// takes its further reports (the post is a thread) and its opening
// message lists them; a retried edit posts nothing twice; a post the bot
// may no longer post in is left out of the edit, not the forum.
func TestForumStoryThread(t *testing.T) {
	f, n, lead, r := forumStory(t)
	edit := func(nonce string, also int) error {
		a := lead
		a.Also = reports(also)
		return n.(notify.Editor).Edit(context.Background(), notify.Edit{MessageID: r.MessageID, Message: notify.Message{Alerts: []alert.Alert{a}}, Added: joinsOf(also)[also-2:], Nonce: nonce})
	}
	for _, nonce := range []string{"e-1", "e-1"} { // the second: a retry whose answer was lost
		if err := edit(nonce, 2); err != nil {
			t.Fatalf("edit %s: %v", nonce, err)
		}
	}
	posts, inPost := f.Threads(editForum), f.Messages(r.MessageID)
	if len(posts) != 1 || posts[0].ID != r.MessageID {
		t.Fatalf("forum posts %+v, want the story's one, %s", posts, r.MessageID)
	}
	if len(inPost) != 2 || inPost[0].ID != r.MessageID || len(inPost[1].Embeds) != 2 || inPost[1].Embeds[1].URL != joinsOf(2)[1].Alert.Link {
		t.Fatalf("the post holds %+v, want its opening message and one carrying the 2 reports", inPost)
	}
	if m, _ := f.Message(r.MessageID); len(m.Edits) != 2 || fieldNamed(m.Embeds, "Also") == "" {
		t.Errorf("opening message edited %d times, fields %q; want 2 edits listing the reports", len(m.Edits), fieldNames(m.Embeds))
	}
	f.DenyChannel(r.MessageID)
	if err := edit("e-2", 4); !errors.Is(err, notify.ErrNoMessage) {
		t.Errorf("edit of a post closed to the bot: %v, want a missing message (not a gone forum)", err)
	}
}

// fieldNamed is the value of the first embed field named name, or "".
func fieldNamed(embeds []*discordgo.MessageEmbed, name string) string {
	for _, e := range embeds {
		for _, f := range e.Fields {
			if f.Name == name {
				return f.Value
			}
		}
	}
	return ""
}

// An edit burst through the real notifier and Limiter: 30 edits of 3
// messages of one channel, as fast as the notifier allows, against the
// channel's edit bucket (5 per window, as on Discord, with a short window
// to keep the test quick). The Limiter learns the bucket from the headers
// and waits: the fake answers no 429, and every edit lands.
func TestEditBurstRespectsRateLimits(t *testing.T) {
	const (
		perWindow = 5
		window    = 400 * time.Millisecond
		messages  = 3
		each      = 10
	)
	f := fakediscord.New(t)
	f.SetEditLimit(perWindow, window)
	s := newTestSession(t, f, "test-token")
	lim := NewLimiter(LimiterConfig{})
	var ids []string
	var alerts []alert.Alert
	for i := range messages {
		a := testAlert(fmt.Sprintf("Aleppo story %d", i+1))
		r, err := NewChannelNotifier(s, testChannel, lim).Send(context.Background(), notify.Message{Nonce: fmt.Sprint("lead-", i), Alerts: []alert.Alert{a}})
		if err != nil {
			t.Fatal(err)
		}
		ids, alerts = append(ids, r.MessageID), append(alerts, a)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i := range messages {
		wg.Add(1)
		go func() { // one destination per story, as the sender runs them
			defer wg.Done()
			n := NewChannelNotifier(s, testChannel, lim).(notify.Editor)
			for k := range each {
				a := alerts[i]
				a.Also = reports(k + 1)
				if err := editUntilDone(n, notify.Edit{MessageID: ids[i], Message: notify.Message{Alerts: []alert.Alert{a}}}); err != nil {
					t.Errorf("edit %d of message %d: %v", k+1, i+1, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	for i, id := range ids {
		if m, _ := f.Message(id); len(m.Edits) != each {
			t.Errorf("message %d edited %d times, want %d", i+1, len(m.Edits), each)
		}
	}
	got429 := f.Count429(fakediscord.EditBucket(testChannel))
	if got429 != 0 {
		t.Errorf("the fake answered %d 429s to the edits, want none", got429)
	}
	// 30 edits at 5 per window need at least 5 windows after the first.
	if least := (messages*each/perWindow - 1) * window; elapsed < least {
		t.Errorf("30 edits took %s, less than the bucket allows (%s)", elapsed, least)
	}
	t.Logf("%d edits of %d messages in one channel, %d per %s: %s, %d 429s", messages*each, messages, perWindow, window, elapsed.Round(time.Millisecond), got429)
}

// editUntilDone edits, retrying at once on a RetryError (at most 5 times),
// so only the Limiter stands between a retry and the fake.
func editUntilDone(n notify.Editor, e notify.Edit) error {
	for attempt := 0; ; attempt++ {
		err := n.Edit(context.Background(), e)
		var re *notify.RetryError
		if !errors.As(err, &re) || attempt == 5 {
			return err
		}
	}
}

// TestEditReopensAnArchivedThread: a message in a thread Discord archived
// for inactivity is edited all the same. The bot reopens the thread
// (PATCH channels/{id}); a webhook, which cannot, reopens it by posting
// the edit's new reports into it.
func TestEditReopensAnArchivedThread(t *testing.T) {
	for _, tt := range []struct {
		name   string
		dest   config.Destination
		thread func(postID string) string
		posted int // messages the edit posts into the thread
	}{
		{"forum post", config.Destination{Type: config.DiscordChannel, ChannelID: editForum, Forum: true}, func(id string) string { return id }, 0},
		{"thread destination", config.Destination{Type: config.DiscordChannel, ChannelID: testChannel, ThreadID: editThread}, func(string) string { return editThread }, 0},
		{"webhook forum post", config.Destination{Type: config.DiscordWebhook, Forum: true}, func(id string) string { return id }, 1},
		{"webhook into a thread", config.Destination{Type: config.DiscordWebhook, ThreadID: editThread}, func(string) string { return editThread }, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			n := newEditNotifier(t, f, tt.dest)
			a, r := postLead(t, n)
			thread := tt.thread(r.MessageID)
			before := len(f.Messages(thread))
			f.ArchiveThread(thread)
			edit := notify.Edit{MessageID: r.MessageID, Message: notify.Message{Alerts: []alert.Alert{joined(a)}}, Added: joinsOf(2), Nonce: "e-1"}
			if err := n.(notify.Editor).Edit(context.Background(), edit); err != nil {
				t.Fatalf("Edit in an archived thread: %v", err)
			}
			if m, _ := f.Message(r.MessageID); len(m.Edits) != 1 {
				t.Errorf("message edited %d times, want once", len(m.Edits))
			}
			msgs := f.Messages(thread)
			if got := len(msgs) - before; got != tt.posted {
				t.Fatalf("the edit posted %d messages into the thread, want %d", got, tt.posted)
			}
			if tt.posted > 0 {
				last := msgs[len(msgs)-1]
				if len(last.Embeds) != 2 || last.Content != "" {
					t.Errorf("posted into the thread: %d embeds, content %q; want the 2 new reports and no content", len(last.Embeds), last.Content)
				}
			}
		})
	}
}

// postLead sends a story's first alert, to be edited.
func postLead(t *testing.T, n notify.Notifier) (alert.Alert, notify.Receipt) {
	t.Helper()
	a := testAlert("Aleppo ceasefire holds")
	r, err := n.Send(context.Background(), notify.Message{Nonce: "lead", Alerts: []alert.Alert{a}})
	if err != nil {
		t.Fatal(err)
	}
	return a, r
}

// TestEditInAnArchivedThreadThatStaysShut: a locked thread cannot be
// reopened, and the edit is refused as one message's (ErrRejected, not the
// destination gone), so the sender posts the reports on their own. A
// webhook that posted the reports into the thread to reopen it and then
// finds the message deleted reports no error: the reports are shown, and
// an error would have the sender post them again.
func TestEditInAnArchivedThreadThatStaysShut(t *testing.T) {
	targets := []struct {
		name    string
		dest    config.Destination
		thread  func(postID string) string
		webhook bool
	}{
		{"forum post", config.Destination{Type: config.DiscordChannel, ChannelID: editForum, Forum: true}, func(id string) string { return id }, false},
		{"thread destination", config.Destination{Type: config.DiscordChannel, ChannelID: testChannel, ThreadID: editThread}, func(string) string { return editThread }, false},
		{"webhook forum post", config.Destination{Type: config.DiscordWebhook, Forum: true}, func(id string) string { return id }, true},
		{"webhook into a thread", config.Destination{Type: config.DiscordWebhook, ThreadID: editThread}, func(string) string { return editThread }, true},
	}
	for _, tt := range targets {
		for _, c := range []struct {
			name    string
			shut    func(f *fakediscord.Server, thread, msg string)
			wantErr error // nil: no error
			posted  int
		}{
			{"locked", func(f *fakediscord.Server, thread, _ string) { f.LockThread(thread) }, notify.ErrRejected, 0},
			{"message deleted", func(f *fakediscord.Server, thread, msg string) { f.DeleteMessage(msg); f.ArchiveThread(thread) }, notify.ErrNoMessage, 0},
		} {
			if c.name == "message deleted" && tt.webhook {
				c.wantErr, c.posted = nil, 1
			}
			t.Run(tt.name+"/"+c.name, func(t *testing.T) {
				f := fakediscord.New(t)
				n := newEditNotifier(t, f, tt.dest)
				a, r := postLead(t, n)
				thread := tt.thread(r.MessageID)
				c.shut(f, thread, r.MessageID)
				before := len(f.Messages(thread))
				err := n.(notify.Editor).Edit(context.Background(), notify.Edit{MessageID: r.MessageID, Message: notify.Message{Alerts: []alert.Alert{joined(a)}}, Added: joinsOf(2), Nonce: "e-1"})
				switch {
				case c.wantErr == nil && err != nil:
					t.Errorf("Edit: %v, want no error", err)
				case c.wantErr != nil && !errors.Is(err, c.wantErr):
					t.Errorf("Edit: %v, want %v", err, c.wantErr)
				case errors.Is(err, notify.ErrGone):
					t.Errorf("Edit: %v: the destination is not gone", err)
				}
				if got := len(f.Messages(thread)) - before; got != c.posted {
					t.Errorf("posted %d messages into the thread, want %d", got, c.posted)
				}
			})
		}
	}
}

// TestEditInAnArchivedThreadWhoseReopeningMustWait: reopening the
// archived thread is rate limited (a 429 that asks for a minute). The
// thread is not shut: the edit is to be tried again later (a RetryError),
// not refused as one of a message that cannot be edited, which would have
// the sender post the story's reports on their own (a second post).
func TestEditInAnArchivedThreadWhoseReopeningMustWait(t *testing.T) {
	for _, tt := range []struct {
		name   string
		dest   config.Destination
		thread func(postID string) string
		reopen func(thread string) string // the route that reopens the thread
	}{
		{"forum post", config.Destination{Type: config.DiscordChannel, ChannelID: editForum, Forum: true},
			func(id string) string { return id }, func(th string) string { return "PATCH channels/" + th }},
		{"thread destination", config.Destination{Type: config.DiscordChannel, ChannelID: testChannel, ThreadID: editThread},
			func(string) string { return editThread }, func(th string) string { return "PATCH channels/" + th }},
		{"webhook forum post", config.Destination{Type: config.DiscordWebhook, Forum: true},
			func(id string) string { return id }, func(string) string { return "POST webhooks/" + editHook }},
		{"webhook into a thread", config.Destination{Type: config.DiscordWebhook, ThreadID: editThread},
			func(string) string { return editThread }, func(string) string { return "POST webhooks/" + editHook }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			n := newEditNotifier(t, f, tt.dest)
			a, r := postLead(t, n)
			thread := tt.thread(r.MessageID)
			f.ArchiveThread(thread)
			f.Route429(tt.reopen(thread), time.Minute)
			err := n.(notify.Editor).Edit(context.Background(), notify.Edit{MessageID: r.MessageID, Message: notify.Message{Alerts: []alert.Alert{joined(a)}}, Added: joinsOf(2), Nonce: "e-1"})
			var retry *notify.RetryError
			if !errors.As(err, &retry) {
				t.Errorf("Edit: %v, want a RetryError: reopening the thread was rate limited", err)
			}
			if errors.Is(err, notify.ErrRejected) || errors.Is(err, notify.ErrNoMessage) {
				t.Errorf("Edit: %v: the message can still be edited", err)
			}
			if m, _ := f.Message(r.MessageID); len(m.Edits) != 0 {
				t.Errorf("message edited %d times, want none yet", len(m.Edits))
			}
		})
	}
}

// TestWebhookReopenPostsWhatItCan: an edit of 12 reports reopens the
// thread with its first message of 10; the second message held back (the
// webhook's bucket spent for an hour) is left out, and the edit lists
// every report, so that the sender posts none of them again.
func TestWebhookReopenPostsWhatItCan(t *testing.T) {
	f := fakediscord.New(t)
	n := newEditNotifier(t, f, config.Destination{Type: config.DiscordWebhook, Forum: true})
	f.RateLimit("POST webhooks/"+editHook, 2, time.Hour) // the post and one message into it
	a, r := postLead(t, n)
	f.ArchiveThread(r.MessageID)
	a.Also = reports(12)
	err := n.(notify.Editor).Edit(context.Background(), notify.Edit{MessageID: r.MessageID, Message: notify.Message{Alerts: []alert.Alert{a}}, Added: joinsOf(12), Nonce: "e-1"})
	if err != nil {
		t.Fatalf("Edit: %v, want no error: the thread is open and the message lists every report", err)
	}
	if got := f.Messages(r.MessageID); len(got) != 2 || len(got[1].Embeds) != MaxEmbeds {
		t.Errorf("the post holds %d messages, want its opener and one of %d reports", len(got), MaxEmbeds)
	}
	if m, _ := f.Message(r.MessageID); len(m.Edits) != 1 {
		t.Errorf("the opener was edited %d times, want once", len(m.Edits))
	}
}

// TestForumStoryThreadOpenerDeleted: when a story's post lost its opening
// message, the edit fails before the joins are posted into the post, so
// the sender's posting them as posts of their own shows each once.
func TestForumStoryThreadOpenerDeleted(t *testing.T) {
	f, n, lead, r := forumStory(t)
	f.DeleteMessage(r.MessageID)
	a := lead
	a.Also = reports(2)
	err := n.(notify.Editor).Edit(context.Background(), notify.Edit{MessageID: r.MessageID, Message: notify.Message{Alerts: []alert.Alert{a}}, Added: joinsOf(2), Nonce: "e-1"})
	if !errors.Is(err, notify.ErrNoMessage) {
		t.Errorf("edit of a post whose opening message is gone: %v, want a missing message", err)
	}
	if got := f.Messages(r.MessageID); len(got) != 0 {
		t.Errorf("the post holds %d messages, want none: the joins go out as posts of their own", len(got))
	}
}

// TestStoryThreadJoinsRetriedPastTheNonceWindow: the joins went into the
// story's thread, then the message's edit failed; the sender retries the
// edit after Discord's nonce window, when the nonces no longer return the
// earlier posts. The joins are found in the thread and not posted again.
// Inside the window nothing is looked for.
func TestStoryThreadJoinsRetriedPastTheNonceWindow(t *testing.T) {
	f := fakediscord.New(t)
	n := newEditNotifier(t, f, config.Destination{Type: config.DiscordChannel, ChannelID: testChannel}, WithStoryThreads(true))
	lead := testAlert("Aleppo ceasefire holds")
	r, err := n.Send(context.Background(), notify.Message{Nonce: "lead", Alerts: []alert.Alert{lead}})
	if err != nil {
		t.Fatal(err)
	}
	ed := n.(notify.Editor)
	a := lead
	a.Also = reports(12)
	e := notify.Edit{MessageID: r.MessageID, Message: notify.Message{Alerts: []alert.Alert{a}}, Added: joinsOf(12), Nonce: "e-1", InsideNonceWindow: true}
	f.SetEditLimit(0, time.Hour) // the message's edit fails once the joins are in the thread
	if err = ed.Edit(context.Background(), e); err == nil {
		t.Fatal("first edit succeeded; want it to fail after posting into the thread")
	}
	if got := len(f.Messages(r.MessageID)); got != 2 {
		t.Fatalf("thread holds %d posts after the first attempt, want 2 (10 + 2 joins)", got)
	}
	if got := len(f.Requests("GET channels/" + r.MessageID + "/messages")); got != 0 {
		t.Errorf("the first attempt read the thread %d times, want 0 (inside the nonce window)", got)
	}
	// The retry comes minutes later, from a restarted process.
	f.SetEditLimit(100, time.Millisecond)
	f.SetNonceWindow(time.Nanosecond)
	dest := config.Destination{Type: config.DiscordChannel, ChannelID: testChannel}
	n, err = NewDestinationNotifier(newTestSession(t, f, "test-token"), dest, NewLimiter(LimiterConfig{}), WithStoryThreads(true))
	if err != nil {
		t.Fatal(err)
	}
	ed = n.(notify.Editor)
	e.InsideNonceWindow = false
	if err := ed.Edit(context.Background(), e); err != nil {
		t.Fatalf("retried edit: %v", err)
	}
	if got := len(f.Messages(r.MessageID)); got != 2 {
		t.Errorf("thread holds %d posts after the retry, want the first attempt's 2", got)
	}
	if m, _ := f.Message(r.MessageID); len(m.Edits) != 1 {
		t.Errorf("story message edited %d times, want 1", len(m.Edits))
	}
	// A later edit's joins, past the window too, are new: posted.
	a.Also = reports(13)
	e = notify.Edit{MessageID: r.MessageID, Message: notify.Message{Alerts: []alert.Alert{a}}, Added: joinsOf(13)[12:], Nonce: "e-2"}
	if err := ed.Edit(context.Background(), e); err != nil {
		t.Fatalf("second edit: %v", err)
	}
	if got := len(f.Messages(r.MessageID)); got != 3 {
		t.Errorf("thread holds %d posts after a second edit, want 3", got)
	}
}
