package fakediscord

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func post(t *testing.T, s *Server, path, auth, body string) (*http.Response, string) {
	t.Helper()
	return request(t, s, http.MethodPost, path, auth, body)
}

func embedJSON(fields string) string { return `{"embeds":[{` + fields + `}]}` }

func TestMessageValidation(t *testing.T) {
	long := func(n int, r string) string { return strings.Repeat(r, n) }
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantInBody string
	}{
		{"plain ok", `{"content":"hi","allowed_mentions":{"parse":[]}}`, 200, `"id"`},
		{"title 256 code points of é ok", embedJSON(`"title":"` + long(256, "é") + `"`), 200, `"id"`},
		{"title 257", embedJSON(`"title":"` + long(257, "a") + `"`), 400, `"embeds":{"0":{"title":{"_errors":[{"code":"BASE_TYPE_MAX_LENGTH"`},
		{"title trimmed before counting", embedJSON(`"title":"  ` + long(256, "a") + `  "`), 200, `"id"`},
		{"description 4097", embedJSON(`"description":"` + long(4097, "a") + `"`), 400, `"description"`},
		{"footer 2049", embedJSON(`"footer":{"text":"` + long(2049, "a") + `"}`), 400, `"footer":{"text"`},
		{"author 257", embedJSON(`"author":{"name":"` + long(257, "a") + `"}`), 400, `"author":{"name"`},
		{"total 6001", `{"embeds":[{"description":"` + long(4096, "a") + `"},{"description":"` + long(1905, "a") + `"}]}`, 400, "MAX_EMBED_SIZE_EXCEEDED"},
		{"11 embeds", `{"embeds":[` + strings.TrimSuffix(strings.Repeat(`{"title":"x"},`, 11), ",") + `]}`, 400, `"embeds":{"_errors"`},
		{"content 2001", `{"content":"` + long(2001, "a") + `"}`, 400, `"content"`},
		{"nonce 26", `{"content":"x","nonce":"` + long(26, "n") + `"}`, 400, `"nonce"`},
		{"bad image url", embedJSON(`"title":"x","image":{"url":"file:///etc/passwd"}`), 400, "URL_TYPE_INVALID_URL"},
		{"bad timestamp", embedJSON(`"title":"x","timestamp":"yesterday"`), 400, `"timestamp"`},
		{"bad parse value", `{"content":"x","allowed_mentions":{"parse":["all"]}}`, 400, "ENUM_TYPE_COERCE"},
		{"empty", `{"content":"  "}`, 400, `"code":50006`},
		{"not json", `{`, 400, `"code":50109`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t)
			resp, body := post(t, s, "channels/1/messages", "Bot x", tt.body)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(body, tt.wantInBody) {
				t.Errorf("got %d %s, want %d containing %s", resp.StatusCode, body, tt.wantStatus, tt.wantInBody)
			}
			if tt.wantStatus == 400 && !strings.Contains(body, `"code":50`) {
				t.Errorf("400 body %s lacks a Discord error code", body)
			}
		})
	}
}

func TestEnforceNonce(t *testing.T) {
	tests := []struct {
		name         string
		second       string
		wantMessages int
	}{
		{"enforced repeat returns the first", `{"content":"b","nonce":"n1","enforce_nonce":true}`, 1},
		{"without enforce_nonce posts again", `{"content":"b","nonce":"n1"}`, 2},
		{"other nonce posts", `{"content":"b","nonce":"n2","enforce_nonce":true}`, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t)
			_, first := post(t, s, "channels/1/messages", "Bot x", `{"content":"a","nonce":"n1","enforce_nonce":true}`)
			_, second := post(t, s, "channels/1/messages", "Bot x", tt.second)
			if got := len(s.Messages("1")); got != tt.wantMessages {
				t.Errorf("got %d messages, want %d", got, tt.wantMessages)
			}
			if tt.wantMessages == 1 && idOf(t, first) != idOf(t, second) {
				t.Errorf("repeat returned %s, want the first message %s", second, first)
			}
		})
	}
}

func idOf(t *testing.T, body string) string {
	t.Helper()
	var m struct{ ID string }
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return m.ID
}

func TestRateLimitHeadersAnd429(t *testing.T) {
	s := New(t)
	s.RateLimit("POST channels/1/messages", 2, 10*time.Second)
	var statuses []int
	var remaining []string
	for range 3 {
		resp, body := post(t, s, "channels/1/messages", "Bot x", `{"content":"x"}`)
		statuses = append(statuses, resp.StatusCode)
		remaining = append(remaining, resp.Header.Get("X-RateLimit-Remaining"))
		if resp.StatusCode == 429 && (!strings.Contains(body, `"retry_after":`) || !strings.Contains(body, `"global":false`)) {
			t.Errorf("route 429 body %s", body)
		}
		if resp.Header.Get("X-RateLimit-Reset-After") == "" || resp.Header.Get("X-RateLimit-Bucket") == "" {
			t.Errorf("missing rate-limit headers: %v", resp.Header)
		}
	}
	if got, want := strings.Join(remaining, ","), "1,0,0"; got != want {
		t.Errorf("X-RateLimit-Remaining = %s, want %s", got, want)
	}
	if statuses[2] != 429 {
		t.Errorf("statuses = %v, want the third refused", statuses)
	}
	reqs := s.Requests("POST channels/1/messages")
	if len(reqs) != 3 || reqs[2].RetryAfter <= 9*time.Second || reqs[2].ResetAt.IsZero() {
		t.Errorf("recorded %+v, want the 429 with its announced reset", reqs)
	}
}

func TestGlobal429AndCloudflare(t *testing.T) {
	s := New(t)
	s.Global429(10 * time.Second)
	resp, body := post(t, s, "channels/1/messages", "Bot x", `{"content":"x"}`)
	if resp.StatusCode != 429 || resp.Header.Get("X-RateLimit-Global") != "true" || !strings.Contains(body, `"global":true`) {
		t.Errorf("global 429: got %d %v %s", resp.StatusCode, resp.Header, body)
	}
	resp, _ = post(t, s, "channels/2/messages", "Bot x", `{"content":"x"}`)
	if resp.StatusCode != 429 {
		t.Errorf("other route during a global limit: got %d, want 429", resp.StatusCode)
	}

	// Global429On starts at the route's next request, not before.
	s1 := New(t)
	s1.Global429On("POST channels/1/messages", 10*time.Second)
	for i, want := range []struct {
		channel string
		status  int
	}{{"2", 200}, {"1", 429}, {"2", 429}} {
		if resp, _ := post(t, s1, "channels/"+want.channel+"/messages", "Bot x", `{"content":"x"}`); resp.StatusCode != want.status {
			t.Errorf("request %d, to channel %s, with a global 429 on channel 1's posts: got %d, want %d", i, want.channel, resp.StatusCode, want.status)
		}
	}

	s2 := New(t)
	s2.Cloudflare429(1)
	resp, body = post(t, s2, "channels/1/messages", "Bot x", `{"content":"x"}`)
	if resp.StatusCode != 429 || !strings.HasPrefix(body, "<!DOCTYPE html>") {
		t.Errorf("cloudflare 429: got %d %s", resp.StatusCode, body)
	}
}

func TestWebhookExecute(t *testing.T) {
	s := New(t)
	url := s.WebhookURL("42")
	path := strings.TrimPrefix(url, "https://discord.com/api/")
	tests := []struct {
		name   string
		path   string
		before func()
		want   int
	}{
		{"wait returns the message", path + "?wait=true", func() {}, 200},
		{"no wait", path, func() {}, 204},
		{"wrong token", "webhooks/42/nope?wait=true", func() {}, 401},
		{"deleted", path + "?wait=true", func() { s.DeleteWebhook("42") }, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.before()
			resp, body := post(t, s, tt.path, "", `{"content":"x","nonce":"ignored"}`)
			if resp.StatusCode != tt.want {
				t.Errorf("got %d %s, want %d", resp.StatusCode, body, tt.want)
			}
		})
	}
	if got := len(s.Messages("42")); got != 2 {
		t.Errorf("got %d webhook messages, want 2", got)
	}
}

func TestPings(t *testing.T) {
	none := []string{}
	tests := []struct {
		name string
		m    Message
		want string
	}{
		{"default allows all", Message{Content: "@everyone <@&1> <@2>"}, "@everyone role:1 user:2"},
		{"parse empty", Message{Content: "@everyone <@&1> <@!2>", AllowedMentions: &AllowedMentions{Parse: &none}}, ""},
		{"role opted in", Message{Content: "<@&1> <@&3>", AllowedMentions: &AllowedMentions{Parse: &none, Roles: []string{"1"}}}, "role:1"},
		{"zero-width joiner", Message{Content: "@\u200deveryone"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(tt.m.Pings(), " "); got != tt.want {
				t.Errorf("Pings() = %q, want %q", got, tt.want)
			}
		})
	}
}
