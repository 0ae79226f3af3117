package bot

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/discord"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/store"
)

// TestRefusedTokenSlashCommandsBackOff checks that a bot token Discord
// refuses (revoked, reset in the developer portal) makes the slash
// commands' retries back off and be logged once: at a fixed half lease
// (10 s with the default lease) it cost Discord a refused request and the
// log an error line every time, for as long as the bot ran. The lease is
// shortened to a second, so that without back-off the gateway is tried
// about ten times in the five seconds the test runs.
func TestRefusedTokenSlashCommandsBackOff(t *testing.T) {
	var requests atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"message": "401: Unauthorized", "code": 0}`)
	}))
	defer api.Close()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	session, err := discord.NewSession("revoked-token", api.URL+"/api/v9/", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Discord = config.Discord{Token: "revoked-token", APIBase: api.URL + "/api/v9/", Commands: true, Burst: 5}
	cfg.Service.LeaseTTL = time.Second
	var logs logBuffer
	o := testOptions(cfg, st, nil, slog.New(slog.NewTextHandler(&logs, nil)), time.Now)
	o.Discord = session
	svc, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	svc.Run(ctx)
	if n := strings.Count(logs.String(), "Discord slash commands unavailable"); n != 1 {
		t.Errorf("the refused token was logged %d times, want once:\n%s", n, logs.String())
	}
	// Backing off from half a second: tries at about 0, 0.5, 1.5 and 3.5 s.
	if n := requests.Load(); n == 0 || n > 6 {
		t.Errorf("Discord got %d requests in 5 s, want 1 to 6 (backing off, not every half second)", n)
	}
}

func TestNextCommandsRetry(t *testing.T) {
	tests := []struct {
		name     string
		d        time.Duration
		min, max time.Duration
	}{
		{"doubles", 10 * time.Second, 20 * time.Second, 24 * time.Second},
		{"up to the longest wait", 8 * time.Minute, commandsRetryMax, commandsRetryMax * 6 / 5},
		{"stays there", commandsRetryMax, commandsRetryMax, commandsRetryMax * 6 / 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 100 {
				if got := nextCommandsRetry(tt.d); got < tt.min || got > tt.max {
					t.Fatalf("nextCommandsRetry(%v) = %v, want %v to %v", tt.d, got, tt.min, tt.max)
				}
			}
		})
	}
}
