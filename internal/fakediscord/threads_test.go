package fakediscord

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestThreadsForumsAndWebhookIdentity(t *testing.T) {
	const (
		forumID  = "300"
		threadID = "301"
		textID   = "302"
		tag      = "400"
	)
	long := strings.Repeat("n", 101)
	tests := []struct {
		name       string
		path, auth string
		body       string
		wantStatus int
		wantInBody string
	}{
		{"forum post", "channels/" + forumID + "/threads", "Bot x", `{"name":"Truce holds","applied_tags":["` + tag + `"],"message":{"content":"x"}}`, 201, `"parent_id":"300"`},
		{"forum post name 101", "channels/" + forumID + "/threads", "Bot x", `{"name":"` + long + `","message":{"content":"x"}}`, 400, `"name":{"_errors"`},
		{"forum post empty name", "channels/" + forumID + "/threads", "Bot x", `{"name":" ","message":{"content":"x"}}`, 400, `"name"`},
		{"forum post unknown tag", "channels/" + forumID + "/threads", "Bot x", `{"name":"a","applied_tags":["999"],"message":{"content":"x"}}`, 400, `"applied_tags":{"0"`},
		{"forum post six tags", "channels/" + forumID + "/threads", "Bot x", `{"name":"a","applied_tags":["400","400","400","400","400","400"],"message":{"content":"x"}}`, 400, `"applied_tags":{"_errors"`},
		{"forum post without message", "channels/" + forumID + "/threads", "Bot x", `{"name":"a"}`, 400, `"message"`},
		{"forum post message too long", "channels/" + forumID + "/threads", "Bot x", `{"name":"a","message":{"content":"` + strings.Repeat("a", 2001) + `"}}`, 400, `"message":{"content"`},
		{"post into a text channel", "channels/" + textID + "/threads", "Bot x", `{"name":"a","message":{"content":"x"}}`, 400, `"code":50024`},
		{"message into a forum", "channels/" + forumID + "/messages", "Bot x", `{"content":"x"}`, 400, `"code":50024`},
		{"message into a thread", "channels/" + threadID + "/messages", "Bot x", `{"content":"x"}`, 200, `"channel_id":"301"`},
		{"webhook into a thread", "webhooks/1/token-1?wait=true&thread_id=" + threadID, "", `{"content":"x"}`, 200, `"channel_id":"301"`},
		{"webhook into a thread of another channel", "webhooks/1/token-1?wait=true&thread_id=999", "", `{"content":"x"}`, 400, `"code":10003`},
		{"webhook names a thread in a text channel", "webhooks/1/token-1?wait=true", "", `{"content":"x","thread_name":"a"}`, 400, `"code":220003`},
		{"webhook into a forum without thread_name", "webhooks/2/token-2?wait=true", "", `{"content":"x"}`, 400, `"code":220001`},
		{"webhook forum post", "webhooks/2/token-2?wait=true", "", `{"content":"x","thread_name":"Truce","applied_tags":["` + tag + `"]}`, 200, `"webhook_id":"2"`},
		{"webhook forum post name 101", "webhooks/2/token-2?wait=true", "", `{"content":"x","thread_name":"` + long + `"}`, 400, `"name"`},
		{"username ok", "webhooks/1/token-1?wait=true", "", `{"content":"x","username":"Wire: Syria","avatar_url":"https://example.org/a.png"}`, 200, `"id"`},
		{"username 81", "webhooks/1/token-1?wait=true", "", `{"content":"x","username":"` + strings.Repeat("u", 81) + `"}`, 400, `"username"`},
		{"username with discord", "webhooks/1/token-1?wait=true", "", `{"content":"x","username":"Discord News"}`, 400, `"username"`},
		{"avatar not a URL", "webhooks/1/token-1?wait=true", "", `{"content":"x","avatar_url":"file:///a.png"}`, 400, `"avatar_url"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t)
			s.AddForum(forumID, tag)
			s.AddThread(threadID, textID)
			s.AddWebhook("1", textID)
			s.AddWebhook("2", forumID)
			resp, body := post(t, s, tt.path, tt.auth, tt.body)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(body, tt.wantInBody) {
				t.Errorf("got %d %s, want %d containing %s", resp.StatusCode, body, tt.wantStatus, tt.wantInBody)
			}
			if posted := len(s.AllMessages()); (resp.StatusCode < 300) != (posted == 1) {
				t.Errorf("status %d but %d messages stored", resp.StatusCode, posted)
			}
		})
	}
}

func TestForumPostIsAThreadWithItsMessage(t *testing.T) {
	s := New(t)
	s.AddForum("300", "400")
	_, body := post(t, s, "channels/300/threads", "Bot x", `{"name":"Truce holds","applied_tags":["400"],"message":{"content":"x"}}`)
	threads := s.Threads("300")
	if len(threads) != 1 || threads[0].Name != "Truce holds" || len(threads[0].Tags) != 1 {
		t.Fatalf("threads = %+v, want one named Truce holds with one tag", threads)
	}
	msgs := s.Messages(threads[0].ID)
	if len(msgs) != 1 || msgs[0].ID != threads[0].ID || idOf(t, body) != threads[0].ID {
		t.Errorf("messages in the post = %+v, answer %s; want one, with the thread's id %s", msgs, body, threads[0].ID)
	}
}

// TestArchivedThread: an archived thread refuses edits of its messages,
// a bot's or a webhook's (400, 50083), until PATCH channels/{id}
// {"archived": false} or a message posted into it, by a bot or by a
// webhook's ?thread_id=, reopens it; a locked thread stays archived.
func TestArchivedThread(t *testing.T) {
	s := New(t)
	s.AddThread("301", "300")
	s.AddWebhook("7", "300")
	s.SetEditLimit(100, time.Second) // two messages, edited six times each
	patch := func(path, auth, body string) (int, string) {
		t.Helper()
		resp, b := request(t, s, http.MethodPatch, path, auth, body)
		return resp.StatusCode, b
	}
	_, body := post(t, s, "channels/301/messages", "Bot x", `{"content":"first"}`)
	botMsg := "channels/301/messages/" + idOf(t, body)
	_, body = post(t, s, "webhooks/7/token-7?wait=true&thread_id=301", "", `{"content":"hooked"}`)
	hookMsg := "webhooks/7/token-7/messages/" + idOf(t, body) + "?thread_id=301"
	for _, step := range []struct {
		name       string
		do         func()
		wantStatus int
	}{
		{"archived", func() { s.ArchiveThread("301") }, 400},
		{"reopened by PATCH", func() { patch("channels/301", "Bot x", `{"archived":false}`) }, 200},
		{"archived again", func() { s.ArchiveThread("301") }, 400},
		{"reopened by a message", func() { post(t, s, "channels/301/messages", "Bot x", `{"content":"second"}`) }, 200},
		{"archived a third time", func() { s.ArchiveThread("301") }, 400},
		{"reopened by a webhook's message", func() { post(t, s, "webhooks/7/token-7?thread_id=301", "", `{"content":"third"}`) }, 200},
		{"locked", func() { s.LockThread("301") }, 400},
		{"locked: not reopened by PATCH", func() {
			if status, _ := patch("channels/301", "Bot x", `{"archived":false}`); status != 403 {
				t.Errorf("PATCH of a locked thread answered %d, want 403", status)
			}
		}, 400},
		{"locked: not reopened by a message", func() {
			for _, p := range [][2]string{{"channels/301/messages", "Bot x"}, {"webhooks/7/token-7?thread_id=301", ""}} {
				if resp, _ := post(t, s, p[0], p[1], `{"content":"fourth"}`); resp.StatusCode != 403 {
					t.Errorf("POST %s into a locked thread answered %d, want 403", p[0], resp.StatusCode)
				}
			}
		}, 400},
	} {
		step.do()
		for _, edit := range []struct{ path, auth string }{{botMsg, "Bot x"}, {hookMsg, ""}} {
			if status, body := patch(edit.path, edit.auth, `{"content":"edited"}`); status != step.wantStatus || status == 400 && !strings.Contains(body, "50083") {
				t.Errorf("%s: PATCH %s answered %d %s, want %d", step.name, edit.path, status, body, step.wantStatus)
			}
		}
	}
}

// TestDeniedThreads: without Create Public Threads and Send Messages in
// Threads (DenyThreads) a channel's threads cannot be started or posted
// in (403 Missing Permissions), a forum's posts can still be opened; an
// unlocked thread takes messages again; Invalid counts the refusals.
func TestDeniedThreads(t *testing.T) {
	s := New(t)
	s.AddForum("300")
	s.AddThread("301", "302")
	_, body := post(t, s, "channels/302/messages", "Bot x", `{"content":"story"}`)
	startPath := "channels/302/messages/" + idOf(t, body) + "/threads"
	for _, step := range []struct {
		name string
		do   func()
		path string
		body string
		want int
	}{
		{"denied: thread start", func() { s.DenyThreads("302") }, startPath, `{"name":"Truce"}`, 403},
		{"denied: message into a thread", func() {}, "channels/301/messages", `{"content":"x"}`, 403},
		{"denied: forum post still opened", func() { s.DenyThreads("300") }, "channels/300/threads", `{"name":"Truce","message":{"content":"x"}}`, 201},
		{"allowed: message into a thread", func() { s.AllowThreads("302") }, "channels/301/messages", `{"content":"x"}`, 200},
		{"allowed: thread start", func() {}, startPath, `{"name":"Truce"}`, 201},
		{"locked", func() { s.LockThread("301") }, "channels/301/messages", `{"content":"x"}`, 403},
		{"unlocked", func() { s.UnlockThread("301") }, "channels/301/messages", `{"content":"x"}`, 200},
	} {
		step.do()
		if resp, body := post(t, s, step.path, "Bot x", step.body); resp.StatusCode != step.want {
			t.Errorf("%s: POST %s answered %d %s, want %d", step.name, step.path, resp.StatusCode, body, step.want)
		}
	}
	for _, tt := range []struct {
		route string
		want  int
	}{
		{"POST " + startPath, 1},
		{"POST channels/301/messages", 2},
		{"POST channels/300/threads", 0},
		{"", 3},
	} {
		if got := s.Invalid(tt.route); got != tt.want {
			t.Errorf("Invalid(%q) = %d, want %d", tt.route, got, tt.want)
		}
	}
}
