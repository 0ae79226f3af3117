package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/newshound/newshound/internal/fakediscord"
	"github.com/newshound/newshound/internal/fakeslack"
	"github.com/newshound/newshound/internal/fakesmtp"
	"github.com/newshound/newshound/internal/fakewebhook"
	"github.com/newshound/newshound/internal/golden"
)

const (
	sendTestChannel = "700000000000000071"
	sendTestWebhook = "600000000000000061"
	sendTestSecret  = "send-test-secret-0123456789"
)

// sendTestWorld is one of every destination type, each on its fake.
type sendTestWorld struct {
	config string
	dc     *fakediscord.Server
	slack  *fakeslack.Server
	hook   *fakewebhook.Receiver
	smtp   *fakesmtp.Server
}

func newSendTestWorld(t *testing.T) *sendTestWorld {
	t.Helper()
	w := &sendTestWorld{dc: fakediscord.New(t), slack: fakeslack.New(t), hook: fakewebhook.New(t, sendTestSecret), smtp: fakesmtp.New(t, fakesmtp.Options{})}
	t.Setenv("NEWSHOUND_TEST_TOKEN", "test-bot-token")
	t.Setenv("NEWSHOUND_TEST_SECRET", sendTestSecret)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`store:
  path: %s
discord:
  token: ${NEWSHOUND_TEST_TOKEN}
  api_base: %s
feeds:
  - name: wire
    url: https://wire.example/rss
subscriptions:
  - name: all
    query: harbour
    destination: desk
destinations:
  - name: desk
    type: discord-channel
    channel_id: "%s"
  - name: hook
    type: discord-webhook
    webhook_url: %s
  - name: screen
    type: console
  - name: team
    type: slack-webhook
    webhook_url: %s
  - name: mail
    type: email
    smtp_host: %s
    smtp_port: %d
    tls: none
    from: "newshound <alerts@example.org>"
    to: [desk@example.org]
  - name: n8n
    type: webhook
    url: %s
    secret: ${NEWSHOUND_TEST_SECRET}
`, filepath.Join(dir, "state.db"), w.dc.APIBase(), sendTestChannel, w.dc.WebhookURL(sendTestWebhook), w.slack.URL, w.smtp.Host, w.smtp.Port, w.hook.URL)
	w.config = filepath.Join(dir, "newshound.yaml")
	if err := os.WriteFile(w.config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestSendTest posts the sample alert to each destination type through its
// real notifier, and on Discord through every answer a desk meets. The
// golden file shows what the user reads for each.
func TestSendTest(t *testing.T) {
	tests := []struct {
		name        string
		destination string
		args        []string // more flags
		setup       func(w *sendTestWorld)
		wantCode    int
		delivered   func(w *sendTestWorld) int // how many messages the destination holds afterwards
		advice      string                     // what the output advises, when set
	}{
		{name: "discord channel", destination: "desk", wantCode: exitOK,
			delivered: func(w *sendTestWorld) int { return len(w.dc.Messages(sendTestChannel)) }},
		{name: "discord webhook", destination: "hook", wantCode: exitOK,
			delivered: func(w *sendTestWorld) int { return len(w.dc.Messages(sendTestWebhook)) }},
		{name: "console", destination: "screen", wantCode: exitOK},
		{name: "slack", destination: "team", wantCode: exitOK,
			delivered: func(w *sendTestWorld) int { return len(w.slack.Messages()) }},
		{name: "email", destination: "mail", wantCode: exitOK,
			delivered: func(w *sendTestWorld) int { return len(w.smtp.Mails()) }},
		{name: "signed webhook", destination: "n8n", wantCode: exitOK,
			delivered: func(w *sendTestWorld) int { return len(w.hook.Deliveries()) }},
		{name: "401 token refused", destination: "desk", wantCode: exitFailure,
			setup: func(w *sendTestWorld) { w.dc.FailNext(http.StatusUnauthorized) }},
		{name: "403 missing access", destination: "desk", wantCode: exitFailure,
			setup: func(w *sendTestWorld) { w.dc.DenyChannel(sendTestChannel) }},
		{name: "404 channel deleted", destination: "desk", wantCode: exitFailure,
			setup: func(w *sendTestWorld) { w.dc.DeleteChannel(sendTestChannel) }},
		{name: "404 webhook deleted", destination: "hook", wantCode: exitFailure,
			setup: func(w *sendTestWorld) { w.dc.DeleteWebhook(sendTestWebhook) }},
		// Discord's advice (the bot token, the bot's permissions) is no
		// help for a destination outside Discord.
		{name: "slack 403 invalid_token", destination: "team", wantCode: exitFailure,
			setup: func(w *sendTestWorld) {
				w.slack.FailNext(fakeslack.Fault{Status: http.StatusForbidden, Body: "invalid_token"})
			},
			advice: "the destination refuses newshound until its settings are fixed"},
		{name: "signed webhook 401", destination: "n8n", wantCode: exitFailure,
			setup:  func(w *sendTestWorld) { w.hook.FailNext(fakewebhook.Fault{Status: http.StatusUnauthorized}) },
			advice: "the destination refuses newshound until its settings are fixed"},
		{name: "signed webhook 404", destination: "n8n", wantCode: exitFailure,
			setup:  func(w *sendTestWorld) { w.hook.FailNext(fakewebhook.Fault{Status: http.StatusNotFound}) },
			advice: "the destination refuses newshound until its settings are fixed"},
		{name: "429 rate limited", destination: "desk", wantCode: exitFailure,
			setup: func(w *sendTestWorld) { w.dc.Cloudflare429(1) }},
		{name: "400 malformed", destination: "desk", wantCode: exitFailure,
			setup: func(w *sendTestWorld) { w.dc.FailNext(http.StatusBadRequest) }},
		// A name the config does not have is a wrong command line, as a
		// missing one is, not a destination that failed (exit 1).
		{name: "unknown destination", destination: "nowhere", wantCode: exitUsage},
		{name: "no destination given", destination: "", wantCode: exitUsage},
		{name: "timeout 0", destination: "desk", args: []string{"--timeout", "0"}, wantCode: exitUsage,
			delivered: func(w *sendTestWorld) int { return len(w.dc.Messages(sendTestChannel)) }},
	}
	var report bytes.Buffer
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newSendTestWorld(t)
			if tt.setup != nil {
				tt.setup(w)
			}
			args := []string{"send-test", w.config}
			if tt.destination != "" {
				args = append(args, "--destination", tt.destination)
			}
			args = append(args, tt.args...)
			var out, errOut bytes.Buffer
			code := run(context.Background(), args, &out, &errOut)
			if code != tt.wantCode {
				t.Errorf("exit code: got %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out.String(), errOut.String())
			}
			if tt.delivered != nil {
				want := 0
				if tt.wantCode == exitOK {
					want = 1
				}
				if got := tt.delivered(w); got != want {
					t.Errorf("messages at the destination: got %d, want %d", got, want)
				}
			}
			if !strings.Contains(out.String(), tt.advice) {
				t.Errorf("output:\n%s\nwant the advice %q", out.String(), tt.advice)
			}
			fmt.Fprintf(&report, "## %s: exit %d\n%s", tt.name, code, out.String())
			for _, line := range strings.Split(strings.TrimSpace(errOut.String()), "\n") {
				if strings.HasPrefix(line, "newshound send-test:") {
					fmt.Fprintf(&report, "stderr: %s\n", strings.ReplaceAll(line, w.config, "CONFIG"))
				}
			}
			report.WriteString("\n")
		})
	}
	// The sample alert carries the time it is sent, and a mail's id is
	// made from it; the fakes' ports change from run to run.
	stable := regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d UTC`).ReplaceAll(report.Bytes(), []byte("YYYY-MM-DD hh:mm UTC"))
	stable = regexp.MustCompile(`<[0-9a-f]+\.alert@`).ReplaceAll(stable, []byte("<HASH.alert@"))
	stable = regexp.MustCompile(`127\.0\.0\.1:\d+`).ReplaceAll(stable, []byte("127.0.0.1:PORT"))
	golden.Check(t, filepath.Join("testdata", "send_test.golden"), stable, *update)
}
