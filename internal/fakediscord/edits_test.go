package fakediscord

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func request(t *testing.T, s *Server, method, path, auth, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.APIBase()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// editFixture is a channel with a bot message, a webhook message, and a
// thread holding a message of the same webhook.
type editFixture struct {
	bot, hook, inThread string
}

const (
	editChannel = "500"
	editThread  = "501"
)

func newEditFixture(t *testing.T, s *Server) editFixture {
	t.Helper()
	s.AddWebhook("7", editChannel)
	s.AddWebhook("8", editChannel)
	s.AddThread(editThread, editChannel)
	_, bot := post(t, s, "channels/"+editChannel+"/messages", "Bot x", embedJSON(`"title":"first"`))
	_, hook := post(t, s, "webhooks/7/token-7?wait=true", "", `{"content":"by hook"}`)
	_, inThread := post(t, s, "webhooks/7/token-7?wait=true&thread_id="+editThread, "", `{"content":"in thread"}`)
	return editFixture{bot: idOf(t, bot), hook: idOf(t, hook), inThread: idOf(t, inThread)}
}

func TestMessageEdits(t *testing.T) {
	tests := []struct {
		name       string
		path       func(f editFixture) string
		auth, body string
		wantStatus int
		wantInBody string
	}{
		{"bot edits its message", func(f editFixture) string { return "channels/" + editChannel + "/messages/" + f.bot }, "Bot x", embedJSON(`"title":"second"`), 200, `"edited_timestamp"`},
		{"unknown message", func(f editFixture) string { return "channels/" + editChannel + "/messages/999" }, "Bot x", `{"content":"x"}`, 404, `"code":10008`},
		{"message of another channel", func(f editFixture) string { return "channels/502/messages/" + f.bot }, "Bot x", `{"content":"x"}`, 404, `"code":10008`},
		{"bot edits a webhook's message", func(f editFixture) string { return "channels/" + editChannel + "/messages/" + f.hook }, "Bot x", `{"content":"x"}`, 403, `"code":50005`},
		{"without a bot token", func(f editFixture) string { return "channels/" + editChannel + "/messages/" + f.bot }, "", `{"content":"x"}`, 401, `Unauthorized`},
		{"edit breaks a limit", func(f editFixture) string { return "channels/" + editChannel + "/messages/" + f.bot }, "Bot x", embedJSON(`"title":"` + strings.Repeat("t", 257) + `"`), 400, `"title":{"_errors"`},
		{"edit field value 1025", func(f editFixture) string { return "channels/" + editChannel + "/messages/" + f.bot }, "Bot x", embedJSON(`"title":"x","fields":[{"name":"Also","value":"` + strings.Repeat("v", 1025) + `"}]`), 400, `"fields":{"0":{"value"`},
		{"edit with an empty field value", func(f editFixture) string { return "channels/" + editChannel + "/messages/" + f.bot }, "Bot x", embedJSON(`"title":"x","fields":[{"name":"Also","value":" "}]`), 400, `"BASE_TYPE_REQUIRED"`},
		{"edit empties the message", func(f editFixture) string { return "channels/" + editChannel + "/messages/" + f.bot }, "Bot x", `{"embeds":[]}`, 400, `"code":50006`},
		{"webhook edits its message", func(f editFixture) string { return "webhooks/7/token-7/messages/" + f.hook }, "", `{"content":"edited"}`, 200, `"content":"edited"`},
		{"webhook with a wrong token", func(f editFixture) string { return "webhooks/7/token-8/messages/" + f.hook }, "", `{"content":"x"}`, 401, `"code":50027`},
		{"another webhook's message", func(f editFixture) string { return "webhooks/8/token-8/messages/" + f.hook }, "", `{"content":"x"}`, 404, `"code":10008`},
		{"thread message without thread_id", func(f editFixture) string { return "webhooks/7/token-7/messages/" + f.inThread }, "", `{"content":"x"}`, 404, `"code":10008`},
		{"thread message with thread_id", func(f editFixture) string {
			return "webhooks/7/token-7/messages/" + f.inThread + "?thread_id=" + editThread
		}, "", `{"content":"x"}`, 200, `"channel_id":"501"`},
		{"thread of another channel", func(f editFixture) string { return "webhooks/7/token-7/messages/" + f.inThread + "?thread_id=999" }, "", `{"content":"x"}`, 400, `"code":10003`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t)
			f := newEditFixture(t, s)
			resp, body := request(t, s, http.MethodPatch, tt.path(f), tt.auth, tt.body)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(body, tt.wantInBody) {
				t.Errorf("got %d %s, want %d containing %s", resp.StatusCode, body, tt.wantStatus, tt.wantInBody)
			}
			edited := 0
			for _, m := range s.AllMessages() {
				edited += len(m.Edits)
			}
			if want := map[bool]int{true: 1, false: 0}[resp.StatusCode == 200]; edited != want {
				t.Errorf("status %d but %d edits stored, want %d", resp.StatusCode, edited, want)
			}
		})
	}
}

func TestEditHistory(t *testing.T) {
	s := New(t)
	f := newEditFixture(t, s)
	path := "channels/" + editChannel + "/messages/" + f.bot
	request(t, s, http.MethodPatch, path, "Bot x", `{"content":"one"}`)
	request(t, s, http.MethodPatch, path, "Bot x", embedJSON(`"title":"two"`))
	m, ok := s.Message(f.bot)
	if !ok {
		t.Fatal("message not found after its edits")
	}
	// The second edit replaced the embeds and kept the content the first set.
	if m.Content != "one" || len(m.Embeds) != 1 || m.Embeds[0].Title != "two" {
		t.Errorf("message now %q with %d embeds, want content one and the embed titled two", m.Content, len(m.Embeds))
	}
	if len(m.Edits) != 2 || m.Edits[0].Content != "one" || len(m.Edits[0].Embeds) != 1 || m.Edits[0].Embeds[0].Title != "first" {
		t.Errorf("history %+v, want two revisions, the first with content one and the posted embed", m.Edits)
	}
	if m.EditedAt.IsZero() || m.EditedAt.Before(m.Edits[0].At) || !m.EditedAt.Equal(m.Edits[1].At) {
		t.Errorf("edited at %s, revisions at %s and %s", m.EditedAt, m.Edits[0].At, m.Edits[1].At)
	}
	if !strings.Contains(string(m.Raw), `"first"`) {
		t.Errorf("Raw = %s, want the body the message was posted with", m.Raw)
	}
	s.DeleteMessage(f.bot)
	if resp, body := request(t, s, http.MethodPatch, path, "Bot x", `{"content":"three"}`); resp.StatusCode != 404 || !strings.Contains(body, `"code":10008`) {
		t.Errorf("edit of a deleted message: %d %s, want 404 code 10008", resp.StatusCode, body)
	}
}

func TestThreadFromMessage(t *testing.T) {
	tests := []struct {
		name       string
		path       func(f editFixture) string
		body       string
		again      bool // start it twice
		wantStatus int
		wantInBody string
	}{
		{"started", func(f editFixture) string { return "channels/" + editChannel + "/messages/" + f.bot + "/threads" }, `{"name":"Truce holds"}`, false, 201, `"type":11`},
		{"already started", func(f editFixture) string { return "channels/" + editChannel + "/messages/" + f.bot + "/threads" }, `{"name":"Truce holds"}`, true, 400, `"code":160004`},
		{"unknown message", func(f editFixture) string { return "channels/" + editChannel + "/messages/999/threads" }, `{"name":"Truce"}`, false, 404, `"code":10008`},
		{"name 101", func(f editFixture) string { return "channels/" + editChannel + "/messages/" + f.bot + "/threads" }, `{"name":"` + strings.Repeat("n", 101) + `"}`, false, 400, `"name"`},
		{"inside a thread", func(f editFixture) string { return "channels/" + editThread + "/messages/" + f.inThread + "/threads" }, `{"name":"Truce"}`, false, 400, `"code":50024`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t)
			f := newEditFixture(t, s)
			if tt.again {
				request(t, s, http.MethodPost, tt.path(f), "Bot x", tt.body)
			}
			resp, body := request(t, s, http.MethodPost, tt.path(f), "Bot x", tt.body)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(body, tt.wantInBody) {
				t.Errorf("got %d %s, want %d containing %s", resp.StatusCode, body, tt.wantStatus, tt.wantInBody)
			}
		})
	}
}

func TestThreadFromMessageTakesItsIDAndMessages(t *testing.T) {
	s := New(t)
	f := newEditFixture(t, s)
	_, body := request(t, s, http.MethodPost, "channels/"+editChannel+"/messages/"+f.bot+"/threads", "Bot x", `{"name":"Truce holds"}`)
	if got := idOf(t, body); got != f.bot {
		t.Errorf("thread id %s, want the message's %s", got, f.bot)
	}
	if resp, body := post(t, s, "channels/"+f.bot+"/messages", "Bot x", `{"content":"also: AP"}`); resp.StatusCode != 200 {
		t.Fatalf("post into the thread: %d %s", resp.StatusCode, body)
	}
	var names []string
	for _, th := range s.Threads(editChannel) {
		names = append(names, th.ID+" "+th.Name)
	}
	if got, want := strings.Join(names, ","), f.bot+" Truce holds"; got != want {
		t.Errorf("threads of the channel %q, want %q", got, want)
	}
	if got := len(s.Messages(f.bot)); got != 1 {
		t.Errorf("got %d messages in the thread, want 1", got)
	}
}

// TestThreadFromMessageDeleted: a thread started from a message answers a
// second start 400 (160004); deleted, posts into it answer 404 Unknown
// Channel (10003) and the message may start it again, with its id.
func TestThreadFromMessageDeleted(t *testing.T) {
	s := New(t)
	f := newEditFixture(t, s)
	start := "channels/" + editChannel + "/messages/" + f.bot + "/threads"
	into := "channels/" + f.bot + "/messages"
	steps := []struct {
		name, path  string
		deleteFirst bool
		wantStatus  int
		wantInBody  string
	}{
		{"start", start, false, 201, `"id":"` + f.bot + `"`},
		{"start again", start, false, 400, `"code":160004`},
		{"post into it", into, false, 200, `"channel_id":"` + f.bot + `"`},
		{"post into it deleted", into, true, 404, `"code":10003`},
		{"start after its deletion", start, false, 201, `"id":"` + f.bot + `"`},
		{"post into it started again", into, false, 200, `"channel_id":"` + f.bot + `"`},
	}
	for _, st := range steps {
		if st.deleteFirst {
			s.DeleteThread(f.bot)
			if got := len(s.Threads(editChannel)); got != 0 {
				t.Errorf("%s: %d threads left in the channel, want 0", st.name, got)
			}
		}
		body := `{"content":"also: AP"}`
		if st.path == start {
			body = `{"name":"Truce holds"}`
		}
		resp, got := request(t, s, http.MethodPost, st.path, "Bot x", body)
		if resp.StatusCode != st.wantStatus || !strings.Contains(got, st.wantInBody) {
			t.Errorf("%s: got %d %s, want %d containing %s", st.name, resp.StatusCode, got, st.wantStatus, st.wantInBody)
		}
	}
}

func TestEditBucketIsPerChannel(t *testing.T) {
	s := New(t)
	f := newEditFixture(t, s)
	_, other := post(t, s, "channels/"+editChannel+"/messages", "Bot x", `{"content":"second story"}`)
	_, elsewhere := post(t, s, "channels/600/messages", "Bot x", `{"content":"another channel"}`)
	s.SetEditLimit(2, time.Minute)
	edits := []struct{ path, wantStatus, wantRemaining string }{
		{"channels/" + editChannel + "/messages/" + f.bot, "200", "1"},
		{"channels/" + editChannel + "/messages/" + idOf(t, other), "200", "0"},
		{"channels/" + editChannel + "/messages/" + f.bot, "429", "0"}, // a third edit in the channel, of either message
		{"channels/600/messages/" + idOf(t, elsewhere), "200", "1"},
	}
	var buckets []string
	for i, e := range edits {
		resp, body := request(t, s, http.MethodPatch, e.path, "Bot x", `{"content":"edit"}`)
		if got := resp.Status[:3]; got != e.wantStatus || resp.Header.Get("X-RateLimit-Remaining") != e.wantRemaining {
			t.Errorf("edit %d: %s remaining %s (%s), want %s remaining %s", i, got, resp.Header.Get("X-RateLimit-Remaining"), body, e.wantStatus, e.wantRemaining)
		}
		if e.wantStatus == "429" && (resp.Header.Get("Retry-After") == "" || !strings.Contains(body, `"retry_after"`)) {
			t.Errorf("edit %d: 429 without Retry-After: %v %s", i, resp.Header, body)
		}
		buckets = append(buckets, resp.Header.Get("X-RateLimit-Bucket"))
	}
	// The counts are the channel's (see wantRemaining); the hash, like
	// Discord's, leaves the channel out.
	if buckets[0] == "" || buckets[0] != buckets[1] || buckets[0] != buckets[3] {
		t.Errorf("X-RateLimit-Bucket %v: want one hash for every channel's edits", buckets)
	}
	if got := s.Count429(EditBucket(editChannel)); got != 1 {
		t.Errorf("Count429(%s) = %d, want 1", EditBucket(editChannel), got)
	}
	if got := s.Count429(EditBucket("600")); got != 0 {
		t.Errorf("Count429(%s) = %d, want 0", EditBucket("600"), got)
	}
}
