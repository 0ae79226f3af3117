package discord

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/fakediscord"
)

// TestStoryThreadShutIsTriedAgainAfterABackOff: a story thread that stays
// shut (the bot may not start threads in the channel, a moderator locked
// the story's thread, a forum refuses the bot's posts into its posts) is
// refused once over a burst of edits, not on every edit: each refusal
// counts towards Discord's invalid-request limit. Once the back-off has
// passed it is tried once more, the next back-off is longer, and once the
// thread is open again it is used on every edit. Every edit still edits
// the story's message, which lists the reports.
func TestStoryThreadShutIsTriedAgainAfterABackOff(t *testing.T) {
	const burst = 5
	channel := config.Destination{Type: config.DiscordChannel, ChannelID: testChannel}
	forum := config.Destination{Type: config.DiscordChannel, ChannelID: editForum, Forum: true}
	for _, tt := range []struct {
		name   string
		dest   config.Destination
		opened bool // an edit opens the story's thread before it is shut
		shut   func(f *fakediscord.Server, msg string)
		open   func(f *fakediscord.Server, msg string)
		// refused is the route the refusals come on.
		refused func(msg string) string
	}{
		{"threads refused in the channel", channel, false,
			func(f *fakediscord.Server, _ string) { f.DenyThreads(testChannel) },
			func(f *fakediscord.Server, _ string) { f.AllowThreads(testChannel) },
			func(msg string) string { return "POST channels/" + testChannel + "/messages/" + msg + "/threads" }},
		{"story thread locked", channel, true,
			func(f *fakediscord.Server, msg string) { f.LockThread(msg) },
			func(f *fakediscord.Server, msg string) { f.UnlockThread(msg) },
			func(msg string) string { return "POST channels/" + msg + "/messages" }},
		{"forum post refusing the bot's posts", forum, false,
			func(f *fakediscord.Server, _ string) { f.DenyThreads(editForum) },
			func(f *fakediscord.Server, _ string) { f.AllowThreads(editForum) },
			func(msg string) string { return "POST channels/" + msg + "/messages" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			f.AddForum(editForum)
			f.SetEditLimit(100, time.Second) // the test is about refusals, not the edit bucket
			lim := NewLimiter(LimiterConfig{})
			var offset atomic.Int64 // how far the test moved the clock on
			lim.clock = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
			later := func(d time.Duration) { offset.Add(int64(d)) }
			n, err := NewDestinationNotifier(newTestSession(t, f, "test-token"), tt.dest, lim, WithStoryThreads(true))
			if err != nil {
				t.Fatal(err)
			}
			lead, r := postStory(t, n)
			msg, route := r.MessageID, tt.refused(r.MessageID)
			edits := 0
			edit := func() {
				t.Helper()
				edits++
				lead.Also = reports(edits)
				e := notify.Edit{MessageID: msg, Message: notify.Message{Alerts: []alert.Alert{lead}}, Added: joinsOf(edits)[edits-1:], Nonce: fmt.Sprint("e-", edits), InsideNonceWindow: true}
				if err := n.(notify.Editor).Edit(context.Background(), e); err != nil {
					t.Fatalf("edit %d: %v", edits, err)
				}
			}
			// posts counts the joins' posts in the story's thread (a forum
			// post's opening message is the story's message).
			posts := func() int {
				k := 0
				for _, m := range f.Messages(msg) {
					if m.ID != msg {
						k++
					}
				}
				return k
			}
			type state struct{ refused, posts int }
			check := func(step string, want state) {
				t.Helper()
				if got := (state{f.Invalid(route), posts()}); got != want {
					t.Errorf("%s: got %d refused on %s and %d posts in the thread, want %d and %d", step, got.refused, route, got.posts, want.refused, want.posts)
				}
				if m, _ := f.Message(msg); len(m.Edits) != edits {
					t.Errorf("%s: the story's message edited %d times, want %d (every edit)", step, len(m.Edits), edits)
				}
			}
			opened := 0
			if tt.opened {
				edit()
				opened = 1
			}
			tt.shut(f, msg)
			for range burst {
				edit()
			}
			check(fmt.Sprintf("%d edits, thread shut", burst), state{1, opened})
			later(threadRetryFirst + time.Second)
			edit()
			check("after the back-off", state{2, opened})
			edit()
			check("at once after a second refusal", state{2, opened})
			later(threadRetryFirst + time.Second)
			edit()
			check("after the first back-off again (the second is longer)", state{2, opened})
			tt.open(f, msg)
			later(threadRetryFirst)
			edit()
			check("thread open, after the second back-off", state{2, opened + 1})
			edit()
			check("at once after it worked", state{2, opened + 2})
		})
	}
}

// TestShutThreadsBackOff: each refusal after a try doubles the back-off
// up to threadRetryMax; it working forgets it; a kind not tried for
// threadShutIdle is forgotten, in the log too, so that the memory of
// threads that come and go stays bounded.
func TestShutThreadsBackOff(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := newShutThreads(nil)
	var got []time.Duration
	now := start
	for range 7 {
		wait := s.refused("post:1", now)
		got = append(got, wait)
		if !s.leftOut(now.Add(wait-time.Second), "post:1") || s.leftOut(now.Add(wait), "post:1") {
			t.Errorf("after a refusal at %s: left out until %s, want until just before", now, wait)
		}
		now = now.Add(wait)
	}
	want := []time.Duration{5 * time.Minute, 10 * time.Minute, 20 * time.Minute, 40 * time.Minute, time.Hour, time.Hour, time.Hour}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("back-offs %v, want %v", got, want)
	}
	s.worked("post:1")
	if s.leftOut(now, "post:1") || s.refused("post:1", now) != threadRetryFirst {
		t.Errorf("after it worked: still left out, or the next refusal not back to %s", threadRetryFirst)
	}

	for _, tt := range []struct {
		name   string
		idle   time.Duration
		kept   bool
		failed bool // still failing in the log
	}{
		{"tried lately", threadShutIdle - time.Minute, true, true},
		{"idle for long", threadShutIdle, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newShutThreads(nil)
			s.refused("start:2", start)
			s.log.Fail("start:2", "left out", fmt.Errorf("HTTP 403"))
			s.leftOut(start.Add(tt.idle), "other")
			s.mu.Lock()
			_, kept := s.shut["start:2"]
			s.mu.Unlock()
			if kept != tt.kept || s.log.Failing("start:2") != tt.failed {
				t.Errorf("after %s: kept %v, failing in the log %v; want %v, %v", tt.idle, kept, s.log.Failing("start:2"), tt.kept, tt.failed)
			}
		})
	}
}

// TestKnownThreadsAreForgottenWhenIdle: a story thread known to exist is
// remembered while edits post into it, and forgotten once none has for
// threadStartedIdle, so that the memory of stories that come and go stays
// bounded; one found deleted is forgotten at once.
func TestKnownThreadsAreForgottenWhenIdle(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name    string
		used    time.Duration // when an edit last posted into it, after start (< 0: never)
		deleted bool
		at      time.Duration // when the memory is swept, after start
		want    bool
	}{
		{"just started", -1, false, 0, true},
		{"started, idle for less than threadStartedIdle", -1, false, threadStartedIdle - time.Minute, true},
		{"started, idle for threadStartedIdle", -1, false, threadStartedIdle, false},
		{"posted into since", 2 * time.Hour, false, threadStartedIdle + time.Hour, true},
		{"found deleted", -1, true, 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newShutThreads(nil)
			s.exists("7", start)
			if tt.used >= 0 && !s.started("7", start.Add(tt.used)) {
				t.Fatal("a thread just started is not known")
			}
			if tt.deleted {
				s.deleted("7")
			}
			s.leftOut(start.Add(tt.at), "other") // sweeps
			s.mu.Lock()
			_, got := s.known["7"]
			s.mu.Unlock()
			if got != tt.want {
				t.Errorf("known after the sweep: got %v, want %v", got, tt.want)
			}
		})
	}
}
