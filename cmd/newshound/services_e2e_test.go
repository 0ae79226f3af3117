package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/fakediscord"
	"github.com/newshound/newshound/internal/fakeslack"
	"github.com/newshound/newshound/internal/fakesmtp"
	"github.com/newshound/newshound/internal/fakewebhook"
	"github.com/newshound/newshound/internal/feedtest"
)

// servicesWorld is one subscription sent to a Discord webhook, Slack, a
// mailbox and a signed webhook, each on its fake, as README's "One
// destination or several" sets it up.
type servicesWorld struct {
	config string
	dc     *fakediscord.Server
	slack  *fakeslack.Server
	hook   *fakewebhook.Receiver
	smtp   *fakesmtp.Server
	feed   *feedtest.Server
	other  *feedtest.Server // another outlet's feed
}

func newServicesWorld(t *testing.T) *servicesWorld {
	t.Helper()
	w := &servicesWorld{dc: fakediscord.New(t), slack: fakeslack.New(t), hook: fakewebhook.New(t, sendTestSecret),
		smtp: fakesmtp.New(t, fakesmtp.Options{Mode: fakesmtp.Plain}), feed: feedtest.NewServer(t, "Desk wire"),
		other: feedtest.NewServer(t, "Other wire")}
	t.Setenv("NEWSHOUND_TEST_SECRET", sendTestSecret)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`store:
  path: %s
defaults:
  allow_private_networks: true   # the test feed server is on loopback
  max_age: 0
discord:
  api_base: %s
feeds:
  - name: desk-wire
    url: %s
  - name: other-wire
    url: %s
subscriptions:
  - name: aleppo
    query: aleppo
    destination: [desk, team, inbox, n8n]
    backfill: 7
destinations:
  - name: desk
    type: discord-webhook
    webhook_url: %s
  - name: team
    type: slack-webhook
    webhook_url: %s
  - name: inbox
    type: email
    smtp_host: %s
    smtp_port: %d
    tls: none
    from: "newshound <alerts@example.org>"
    to: [desk@example.org, night@example.org]
  - name: n8n
    type: webhook
    url: %s
    secret: ${NEWSHOUND_TEST_SECRET}
`, filepath.Join(dir, "state.db"), w.dc.APIBase(), w.feed.URL+"/feed.xml", w.other.URL+"/feed.xml", w.dc.WebhookURL(e2eWebhook), w.slack.URL,
		w.smtp.Host, w.smtp.Port, w.hook.URL)
	w.config = filepath.Join(dir, "newshound.yaml")
	if err := os.WriteFile(w.config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return w
}

// counts is how many alerts each fake holds, by destination name.
func (w *servicesWorld) counts() map[string]int {
	got := map[string]int{"desk": 0, "team": 0, "inbox": 0, "n8n": 0}
	for _, m := range w.dc.Messages(e2eWebhook) {
		got["desk"] += len(m.Embeds)
	}
	for _, m := range w.slack.Messages() {
		for _, b := range m.Payload.Blocks {
			if b.Type == "section" {
				got["team"]++
			}
		}
	}
	for _, m := range w.smtp.Mails() {
		for i := range 10 {
			if bytes.Contains(m.Data, fmt.Appendf(nil, "https://wire.example/a%d", i)) {
				got["inbox"]++
			}
		}
	}
	for _, d := range w.hook.Deliveries() {
		got["n8n"] += len(d.Alerts)
	}
	return got
}

func runOnce(t *testing.T, config string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"run", "--once", "--config", config}, &out, &errOut)
	return code, out.String() + errOut.String()
}

// deskTitles are seven stories the feed's backlog gives at once: more
// than discord.burst's 5, so a burst.
var deskTitles = []string{
	"Kerry and Lavrov agree Aleppo ceasefire in Geneva",
	"Aleppo: 叙利亚停火协议在阿勒颇生效",
	"Football: Aleppo club wins the national cup final",
	"Aleppo's ancient souk reopens to traders after restoration",
	"Drought hits wheat harvest from Aleppo to Hama",
	"Opera house in Aleppo stages its first Verdi since 2011",
	"Aleppo soap makers move their workshops to Gaziantep",
}

// TestOneFailingServiceDelaysOnlyItsOwnAlerts holds README's "One
// destination or several": "Each destination gets its own alert and has
// its own outbox, so a failing or slow one … delays only its own alerts",
// through the binary's run --once and the real notifiers: while one
// service fails, the others get the feed's backlog; run --once exits 5
// (the alerts "stay in the outbox for the next run"); a run before the
// failing one's wait is over sends it nothing (Slack's "429 is waited out
// as its Retry-After asks"), and the next gives it its alerts, once, a
// burst as one message, repeating nothing elsewhere.
func TestOneFailingServiceDelaysOnlyItsOwnAlerts(t *testing.T) {
	tests := []struct {
		name    string
		failing string // the destination that fails
		fail    func(w *servicesWorld)
		wait    time.Duration // until the failing one is tried again
	}{
		{"slack 500", "team", func(w *servicesWorld) {
			w.slack.FailNext(fakeslack.Fault{Status: http.StatusInternalServerError, Body: "rollup_error"})
		}, time.Second},
		{"slack 429 with Retry-After", "team", func(w *servicesWorld) {
			w.slack.FailNext(fakeslack.Fault{Status: http.StatusTooManyRequests, Body: "rate_limited", RetryAfter: "2"})
		}, 2 * time.Second},
		{"mail server dropping the connection mid-DATA", "inbox", func(w *servicesWorld) {
			w.smtp.FailNext(fakesmtp.Fault{Command: "DATA"})
		}, time.Second},
		{"signed webhook 503 with Retry-After", "n8n", func(w *servicesWorld) {
			w.hook.FailNext(fakewebhook.Fault{Status: http.StatusServiceUnavailable, RetryAfter: "2"})
		}, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newServicesWorld(t)
			now := time.Now()
			for i, title := range deskTitles {
				publish(w.feed, fmt.Sprint("a", i), title, "From the desk wire.", now.Add(-time.Duration(len(deskTitles)-i)*time.Hour))
			}
			tt.fail(w)
			all := len(deskTitles)
			want := map[string]int{"desk": all, "team": all, "inbox": all, "n8n": all}
			want[tt.failing] = 0
			failedAt := time.Now()
			code, out := runOnce(t, w.config)
			if code != exitUndelivered {
				t.Errorf("first run: exit %d, want %d\n%s", code, exitUndelivered, out)
			}
			if got := w.counts(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("alerts after the first run: got %v, want %v\n%s", got, want, out)
			}
			if tt.wait > time.Second {
				// A run within the wait asked for sends nothing to it.
				time.Sleep(time.Until(failedAt.Add(tt.wait / 2)))
				code, out = runOnce(t, w.config)
				if got := w.counts(); code != exitUndelivered || fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("a run within the wait: exit %d, alerts %v; want %d, %v\n%s", code, got, exitUndelivered, want, out)
				}
			}
			// The wait is kept in the database and is real time: the
			// binary has no other clock.
			time.Sleep(time.Until(failedAt.Add(tt.wait + 100*time.Millisecond)))
			code, out = runOnce(t, w.config)
			if code != exitOK {
				t.Errorf("run after the wait: exit %d, want %d\n%s", code, exitOK, out)
			}
			want[tt.failing] = all
			if got := w.counts(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("alerts after the wait: got %v, want %v\n%s", got, want, out)
			}
			if n := len(w.slack.Messages()); n != 1 {
				t.Errorf("Slack got %d messages, want the burst as 1", n)
			}
			if _, _, early := w.slack.Stats(); early != 0 {
				t.Errorf("Slack got %d requests before its Retry-After, want 0", early)
			}
			for _, m := range w.smtp.Mails() {
				if len(m.To) != 2 || !strings.Contains(string(m.Data), "text/html") || !strings.Contains(string(m.Data), "text/plain") {
					t.Errorf("mail %s to %v: want both recipients and a plain-text and an HTML part", m.MessageID, m.To)
				}
			}
		})
	}
}

// header returns a mail's header field, "" when absent.
func mailHeader(t *testing.T, m fakesmtp.Mail, key string) string {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("mail %s: %v", m.MessageID, err)
	}
	return msg.Header.Get(key)
}

// TestAStorysReportsAreOneThreadInEveryService holds, through the binary,
// what README promises of a story's further report outside Discord: mails
// "about one story carry In-Reply-To and References naming it … every
// outlet's report of the story", the signed webhook's "story_id is the
// same for every outlet's report of one story", while the Discord
// webhook's message is edited ("Also: …") rather than posted again.
func TestAStorysReportsAreOneThreadInEveryService(t *testing.T) {
	w := newServicesWorld(t)
	if code, out := runOnce(t, w.config); code != exitOK { // first sight of both feeds
		t.Fatalf("first sight: exit %d\n%s", code, out)
	}
	now := time.Now()
	lead := "Russia and the United States agreed a ceasefire for Aleppo on Friday after talks in Geneva."
	publish(w.feed, "k1", "Kerry and Lavrov agree Aleppo ceasefire in Geneva", lead, now.Add(-time.Hour))
	if code, out := runOnce(t, w.config); code != exitOK {
		t.Fatalf("first report: exit %d\n%s", code, out)
	}
	publish(w.other, "k2", "Kerry, Lavrov agree on Aleppo ceasefire at Geneva talks", lead, now)
	if code, out := runOnce(t, w.config); code != exitOK {
		t.Fatalf("second report: exit %d\n%s", code, out)
	}
	if n := len(w.dc.Messages(e2eWebhook)); n != 1 {
		t.Errorf("Discord webhook: %d messages, want the story's one, edited", n)
	}
	mails := w.smtp.Mails()
	if len(mails) != 2 {
		t.Fatalf("%d mails, want one per report", len(mails))
	}
	first, second := mailHeader(t, mails[0], "In-Reply-To"), mailHeader(t, mails[1], "In-Reply-To")
	if first == "" || first != second || mailHeader(t, mails[1], "References") != second {
		t.Errorf("In-Reply-To %q and %q (References %q): want both naming the story", first, second, mailHeader(t, mails[1], "References"))
	}
	var stories []string
	for _, d := range w.hook.Deliveries() {
		for _, a := range d.Alerts {
			stories = append(stories, a.StoryID)
		}
	}
	if len(stories) != 2 || stories[0] == "" || stories[0] != stories[1] {
		t.Errorf("webhook story_ids %q, want two alike", stories)
	}
}

// TestMailRefusedForEveryRecipientKeepsItsAlerts: README's "No loss"
// says a deleted channel delays an alert, never drops it, and lists an
// email recipient refused while another accepts as the one exception for
// mail. A server that refuses every recipient for good at RCPT (the
// mailboxes of to: do not exist, or it relays for no one without a login)
// refuses the envelope, as a refused sender does, and would refuse every
// mail alike: the destination is paused, logged once, its alerts kept,
// and delivered by the run after it is fixed.
func TestMailRefusedForEveryRecipientKeepsItsAlerts(t *testing.T) {
	w := newServicesWorld(t)
	now := time.Now()
	for i, title := range deskTitles[:2] {
		publish(w.feed, fmt.Sprint("a", i), title, "From the desk wire.", now.Add(-time.Duration(2-i)*time.Hour))
	}
	w.smtp.Refuse("desk@example.org", 550)
	w.smtp.Refuse("night@example.org", 550)
	code, out := runOnce(t, w.config)
	if code != exitUndelivered {
		t.Errorf("run with every recipient refused: exit %d, want %d (the alerts wait)\n%s", code, exitUndelivered, out)
	}
	logged := map[string]int{"alert dropped": 0, "destination paused": 0}
	for msg := range logged {
		logged[msg] = strings.Count(out, `msg="`+msg)
	}
	if want := map[string]int{"alert dropped": 0, "destination paused": 1}; fmt.Sprint(logged) != fmt.Sprint(want) {
		t.Errorf("logged %v, want %v\n%s", logged, want, out)
	}
	w.smtp.Refuse("desk@example.org", 0)
	w.smtp.Refuse("night@example.org", 0)
	if code, out := runOnce(t, w.config); code != exitOK {
		t.Errorf("run after the fix: exit %d, want %d\n%s", code, exitOK, out)
	}
	if got := w.counts()["inbox"]; got != 2 {
		t.Errorf("the mailbox got %d alerts after the fix, want the 2 kept", got)
	}
}
