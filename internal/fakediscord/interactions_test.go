package fakediscord

import (
	"net/http"
	"strings"
	"testing"
)

// After its deferral, an interaction's answers go to its token's routes;
// what a deleted response and an expired token make of them is what
// Discord answers.
func TestInteractionAnswersAfterDeletionAndExpiry(t *testing.T) {
	tests := []struct {
		name       string
		change     func(s *Server, id string)
		method     string
		path       string // after webhooks/APP/TOKEN
		wantStatus int
		wantCode   string
	}{
		{"edit, response there", func(*Server, string) {}, http.MethodPatch, "/messages/@original", 200, ""},
		{"edit, response deleted", func(s *Server, id string) { s.DeleteResponse(id, false) }, http.MethodPatch, "/messages/@original", 404, `"code":10008`},
		{"deletion, response deleted", func(s *Server, id string) { s.DeleteResponse(id, false) }, http.MethodDelete, "/messages/@original", 404, `"code":10008`},
		{"follow-up, response deleted", func(s *Server, id string) { s.DeleteResponse(id, false) }, http.MethodPost, "?wait=true", 200, ""},
		{"follow-up, response deleted, follow-ups refused", func(s *Server, id string) { s.DeleteResponse(id, true) }, http.MethodPost, "?wait=true", 404, `"code":10008`},
		{"edit, token expired", func(s *Server, id string) { s.ExpireToken(id) }, http.MethodPatch, "/messages/@original", 401, `"code":50027`},
		{"follow-up, token expired", func(s *Server, id string) { s.ExpireToken(id) }, http.MethodPost, "?wait=true", 401, `"code":50027`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t)
			id := s.Inject(SlashCommand("700000000000000001", "200000000000000001", "watch"))
			token := "itoken-" + id
			if resp, body := request(t, s, http.MethodPost, "interactions/"+id+"/"+token+"/callback", "", `{"type":5}`); resp.StatusCode != http.StatusNoContent {
				t.Fatalf("deferral: %d %s", resp.StatusCode, body)
			}
			tt.change(s, id)
			resp, body := request(t, s, tt.method, "webhooks/"+AppID+"/"+token+tt.path, "", `{"content":"done"}`)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(body, tt.wantCode) {
				t.Errorf("got %d %s, want %d %s", resp.StatusCode, body, tt.wantStatus, tt.wantCode)
			}
		})
	}
}
