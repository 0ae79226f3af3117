package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/internal/fakediscord"
)

const testChannel = "200000000000000001"

func newTestSession(t *testing.T, f *fakediscord.Server, token string) *discordgo.Session {
	t.Helper()
	s, err := NewSession(token, f.APIBase(), nil)
	if err != nil {
		t.Fatalf("NewSession: %v", err)
	}
	return s
}

func testAlert(title string) alert.Alert {
	return alert.Alert{
		Subscription: "aleppo",
		Feed:         "wire-world",
		Title:        title,
		TitleSpans:   []alert.Span{{Start: 0, End: 6}},
		Link:         "https://example.org/news/1",
		Text:         "Talks on an Aleppo ceasefire resumed in Geneva.",
		TextSpans:    []alert.Span{{Start: 12, End: 18}, {Start: 19, End: 28}},
		Published:    time.Date(2016, 9, 10, 14, 2, 0, 0, time.UTC),
	}
}

func oneAlert(nonce, title string) notify.Message {
	return notify.Message{Nonce: nonce, Alerts: []alert.Alert{testAlert(title)}}
}

// rawMessage is the JSON of a posted message, decoded loosely to check
// exactly what went over the wire.
type rawMessage struct {
	Nonce           string          `json:"nonce"`
	EnforceNonce    bool            `json:"enforce_nonce"`
	Content         string          `json:"content"`
	AllowedMentions json.RawMessage `json:"allowed_mentions"`
	Embeds          []struct {
		Title       string `json:"title"`
		URL         string `json:"url"`
		Description string `json:"description"`
		Timestamp   string `json:"timestamp"`
		Footer      struct {
			Text string `json:"text"`
		} `json:"footer"`
	} `json:"embeds"`
}

// parseOf returns allowed_mentions.parse exactly as sent ("[]", "null", …).
func parseOf(t *testing.T, allowed json.RawMessage) string {
	t.Helper()
	var am struct {
		Parse json.RawMessage `json:"parse"`
	}
	if err := json.Unmarshal(allowed, &am); err != nil {
		t.Fatalf("decode allowed_mentions %s: %v", allowed, err)
	}
	return string(am.Parse)
}

func decodeRaw(t *testing.T, m fakediscord.Message) rawMessage {
	t.Helper()
	var r rawMessage
	if err := json.Unmarshal(m.Raw, &r); err != nil {
		t.Fatalf("decode posted JSON %s: %v", m.Raw, err)
	}
	return r
}

func TestChannelNotifierPostsEmbedWithoutPings(t *testing.T) {
	f := fakediscord.New(t)
	n := NewChannelNotifier(newTestSession(t, f, "test-token"), testChannel, NewLimiter(LimiterConfig{}))

	rc, err := n.Send(context.Background(), oneAlert("n-1", "Aleppo ceasefire agreed"))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs := f.Messages(testChannel)
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	if rc.MessageID != msgs[0].ID {
		t.Errorf("receipt id = %q, want the posted message's %q", rc.MessageID, msgs[0].ID)
	}
	raw := decodeRaw(t, msgs[0])
	checks := []struct{ name, got, want string }{
		{"allowed_mentions.parse", parseOf(t, raw.AllowedMentions), "[]"},
		{"nonce", raw.Nonce, "n-1"},
		{"enforce_nonce", fmt.Sprint(raw.EnforceNonce), "true"},
		{"title", raw.Embeds[0].Title, "**Aleppo** ceasefire agreed"},
		{"url", raw.Embeds[0].URL, "https://example.org/news/1"},
		{"description", raw.Embeds[0].Description, "Talks on an **Aleppo ceasefire** resumed in Geneva."},
		{"timestamp", raw.Embeds[0].Timestamp, "2016-09-10T14:02:00Z"},
		{"footer", raw.Embeds[0].Footer.Text, "wire-world"},
		{"content", raw.Content, ""},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if pings := msgs[0].Pings(); len(pings) != 0 {
		t.Errorf("message would ping %v, want nothing", pings)
	}
}

func TestMentionRoleOptIn(t *testing.T) {
	f := fakediscord.New(t)
	n := NewChannelNotifier(newTestSession(t, f, "test-token"), testChannel, NewLimiter(LimiterConfig{}))
	m := oneAlert("role-1", "Aleppo ceasefire agreed")
	m.Alerts[0].MentionRole = "555000000000000001"
	m.Alerts[0].Text = "@everyone <@&777> look"
	if _, err := n.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs := f.Messages(testChannel)
	got := strings.Join(msgs[0].Pings(), ",")
	if want := "role:555000000000000001"; got != want {
		t.Errorf("pings = %q, want %q (the opted-in role only)", got, want)
	}
}

func TestNonceRetryPostsOnce(t *testing.T) {
	f := fakediscord.New(t)
	n := NewChannelNotifier(newTestSession(t, f, "test-token"), testChannel, NewLimiter(LimiterConfig{}))
	m := oneAlert("outbox-42", "Aleppo ceasefire agreed")
	first, err := n.Send(context.Background(), m)
	if err != nil {
		t.Fatalf("first Send: %v", err)
	}
	// The process "crashed" before marking the row delivered: the sender
	// sends the same message, with the same nonce, again.
	again, err := n.Send(context.Background(), m)
	if err != nil {
		t.Fatalf("retried Send: %v", err)
	}
	if got := len(f.Messages(testChannel)); got != 1 {
		t.Errorf("got %d messages after a retry, want 1", got)
	}
	if again.MessageID != first.MessageID {
		t.Errorf("retry receipt %q, want the first message's %q", again.MessageID, first.MessageID)
	}
}

func TestLongNonceIsShortenedStably(t *testing.T) {
	long := strings.Repeat("outbox-row-", 5)
	a, b := shortNonce(long), shortNonce(long)
	if len(a) > MaxNonce || a != b {
		t.Errorf("shortNonce(%q) = %q then %q, want the same ≤ %d chars", long, a, b, MaxNonce)
	}
}

func TestWebhookNotifierRecordsMessageID(t *testing.T) {
	f := fakediscord.New(t)
	url := f.WebhookURL("600000000000000001")
	n, err := NewWebhookNotifier(newTestSession(t, f, ""), url, NewLimiter(LimiterConfig{}))
	if err != nil {
		t.Fatalf("NewWebhookNotifier: %v", err)
	}
	rc, err := n.Send(context.Background(), oneAlert("n-1", "Aleppo ceasefire agreed"))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs := f.Messages("600000000000000001")
	if len(msgs) != 1 {
		t.Fatalf("got %d webhook messages, want 1", len(msgs))
	}
	if rc.MessageID == "" || rc.MessageID != msgs[0].ID {
		t.Errorf("receipt id = %q, want %q", rc.MessageID, msgs[0].ID)
	}
	if got := parseOf(t, decodeRaw(t, msgs[0]).AllowedMentions); got != "[]" {
		t.Errorf("allowed_mentions.parse = %s, want []", got)
	}
}

// A webhook URL on the api_base host (a REST proxy) passes `newshound
// check` and must work in `run` too: the notifier used to accept only
// discord.com and refused to start.
func TestWebhookOnAPIBaseHostIsAccepted(t *testing.T) {
	f := fakediscord.New(t)
	discordURL := f.WebhookURL("600000000000000002")
	proxyURL := strings.Replace(discordURL, "https://discord.com/api/", f.APIBase(), 1)
	n, err := NewWebhookNotifier(newTestSession(t, f, ""), proxyURL, NewLimiter(LimiterConfig{}))
	if err != nil {
		t.Fatalf("NewWebhookNotifier(%s): %v", proxyURL, err)
	}
	if _, err := n.Send(context.Background(), oneAlert("", "Aleppo ceasefire agreed")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := len(f.Messages("600000000000000002")); got != 1 {
		t.Errorf("got %d webhook messages, want 1", got)
	}
	// Another host is still refused, whatever the session's api_base.
	other := strings.Replace(discordURL, "https://discord.com/api/", "https://evil.example/api/v9/", 1)
	if _, err := NewWebhookNotifier(newTestSession(t, f, ""), other, NewLimiter(LimiterConfig{})); err == nil {
		t.Errorf("NewWebhookNotifier(%s) accepted a host that is neither Discord nor api_base", other)
	}
}

// A webhook that cannot be reached used to be reported with its full URL,
// token included, in the error the sender logs.
func TestUnreachableWebhookErrorHidesToken(t *testing.T) {
	s, err := NewSession("", "http://127.0.0.1:1/api/v9/", nil) // nothing listens on port 1
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewWebhookNotifier(s, "https://discord.com/api/webhooks/123456789012345678/SECRET", NewLimiter(LimiterConfig{}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = n.Send(context.Background(), oneAlert("", "Aleppo"))
	if err == nil {
		t.Fatal("Send to an unreachable api_base succeeded")
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error %q leaks the webhook token", err)
	}
	var retry *notify.RetryError
	if errors.As(err, &retry) || errors.Is(err, notify.ErrGone) || errors.Is(err, notify.ErrRejected) {
		t.Errorf("error %q: want a plain retryable error", err)
	}
}

func TestWebhookURLs(t *testing.T) {
	tests := []struct {
		name, url, id, token string
		wantErr              bool
	}{
		{"discord", "https://discord.com/api/webhooks/123/abc-DEF", "123", "abc-DEF", false},
		{"versioned", "https://discord.com/api/v10/webhooks/123/abc", "123", "abc", false},
		{"legacy host", "https://discordapp.com/api/webhooks/123/abc", "123", "abc", false},
		{"canary", "https://canary.discord.com/api/webhooks/123/abc", "123", "abc", false},
		{"other host", "https://evil.example/api/webhooks/123/SECRET", "", "", true},
		{"plain http", "http://discord.com/api/webhooks/123/SECRET", "", "", true},
		{"no token", "https://discord.com/api/webhooks/123", "", "", true},
		{"bad id", "https://discord.com/api/webhooks/abc/SECRET", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var id, token string
			n, err := NewWebhookNotifier(nil, tt.url, nil)
			if w, ok := n.(*WebhookNotifier); ok {
				id, token = w.id, w.token
			}
			if (err != nil) != tt.wantErr || id != tt.id || token != tt.token {
				t.Errorf("NewWebhookNotifier(%q) parsed %q, %q, %v; want %q, %q, error %v", tt.url, id, token, err, tt.id, tt.token, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error %q leaks the token", err)
			}
		})
	}
}

func TestErrorClassification(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(f *fakediscord.Server)
		webhook  bool
		want     error
		wantText string
	}{
		{"channel deleted", func(f *fakediscord.Server) { f.DeleteChannel(testChannel) }, false, notify.ErrGone, "channel " + testChannel + " not found"},
		{"permission removed", func(f *fakediscord.Server) { f.DenyChannel(testChannel) }, false, notify.ErrGone, "missing access to channel " + testChannel},
		{"token revoked", func(f *fakediscord.Server) { f.FailNext(http.StatusUnauthorized) }, false, notify.ErrGone, "bot token rejected"},
		{"webhook deleted", func(f *fakediscord.Server) { f.DeleteWebhook("600000000000000001") }, true, notify.ErrGone, "webhook 600000000000000001 deleted"},
		{"bad payload", func(f *fakediscord.Server) { f.FailNext(http.StatusBadRequest) }, false, notify.ErrRejected, "Invalid Form Body (code 50035); content: Injected failure."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			n := newNotifier(t, f, tt.webhook, NewLimiter(LimiterConfig{}))
			tt.setup(f)
			_, err := n.Send(context.Background(), oneAlert("n-1", "Aleppo"))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Send error = %v, want one wrapping %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not say %q", err, tt.wantText)
			}
		})
	}
}

func TestServerErrorIsPlainRetryable(t *testing.T) {
	for _, status := range []int{http.StatusInternalServerError, http.StatusBadGateway} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			f := fakediscord.New(t)
			n := newNotifier(t, f, false, NewLimiter(LimiterConfig{}))
			f.FailNext(status)
			_, err := n.Send(context.Background(), oneAlert("n-1", "Aleppo"))
			var re *notify.RetryError
			if err == nil || errors.Is(err, notify.ErrGone) || errors.Is(err, notify.ErrRejected) || errors.As(err, &re) {
				t.Fatalf("Send error = %v, want a plain error for the sender's back-off", err)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("HTTP %d", status)) {
				t.Errorf("error %q does not name the status", err)
			}
			if got := len(f.Requests("")); got != 1 {
				t.Errorf("got %d requests, want 1 (no hidden retries)", got)
			}
		})
	}
}

func newNotifier(t *testing.T, f *fakediscord.Server, webhook bool, lim *Limiter) notify.Notifier {
	t.Helper()
	if !webhook {
		return NewChannelNotifier(newTestSession(t, f, "test-token"), testChannel, lim)
	}
	n, err := NewWebhookNotifier(newTestSession(t, f, ""), f.WebhookURL("600000000000000001"), lim)
	if err != nil {
		t.Fatalf("NewWebhookNotifier: %v", err)
	}
	return n
}

func TestBurstOfTenEmbedsFitsOneMessage(t *testing.T) {
	f := fakediscord.New(t)
	n := NewChannelNotifier(newTestSession(t, f, "test-token"), testChannel, NewLimiter(LimiterConfig{}))
	var m notify.Message
	m.Nonce = "burst-1"
	for i := range notify.MaxBurst {
		a := testAlert(fmt.Sprintf("Aleppo story %d %s", i, strings.Repeat("long title words ", 30)))
		a.Text = strings.Repeat("Aleppo ceasefire talks continue with more detail. ", 200)
		a.Author = strings.Repeat("Reporter Name ", 30)
		m.Alerts = append(m.Alerts, a)
	}
	if _, err := n.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v (the fake validates every limit)", err)
	}
	msgs := f.Messages(testChannel)
	if len(msgs) != 1 || len(msgs[0].Embeds) != notify.MaxBurst {
		t.Fatalf("got %d messages, want 1 with %d embeds", len(msgs), notify.MaxBurst)
	}
	total := 0
	for _, e := range msgs[0].Embeds {
		total += EmbedLength(e)
	}
	if total > MaxEmbedTotal || total < MaxEmbedTotal*9/10 {
		t.Errorf("embeds total %d code points, want ≤ %d and using most of it", total, MaxEmbedTotal)
	}
}

// TestFindByTheRenderedURL: the look for a ghost compares what was posted
// as it was rendered: a format's own url ("archive.example/?u={link}") is
// the embed's URL, not the link; a link no URL can carry (over 2,048
// characters) leaves the embed without one, and the message is told by
// the rest of its embed. Another alert's message is not taken for it.
func TestFindByTheRenderedURL(t *testing.T) {
	archived := testAlert("Aleppo convoy")
	archived.Format = &alert.Format{Title: "{title}", URL: "https://archive.example/?u={link}"}
	long := testAlert("Aleppo convoy reaches the city")
	long.Link = "https://example.org/news/" + strings.Repeat("a", 2100)
	other := long
	other.Title = "Homs convoy turned back"
	tests := []struct {
		name   string
		posted alert.Alert
		find   alert.Alert
		want   bool
	}{
		{"the format's own url", archived, archived, true},
		{"a link too long for a URL", long, long, true},
		{"another alert with the same overlong link", long, other, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			n := NewChannelNotifier(newTestSession(t, f, "test-token"), testChannel, NewLimiter(LimiterConfig{}))
			r, err := n.Send(context.Background(), notify.Message{Nonce: "nh1", Alerts: []alert.Alert{tt.posted}})
			if err != nil {
				t.Fatal(err)
			}
			found, ok, err := n.(notify.Finder).Find(context.Background(), notify.Message{Nonce: "nh1", Alerts: []alert.Alert{tt.find}})
			if err != nil || ok != tt.want || ok && found.MessageID != r.MessageID {
				t.Errorf("Find = %v, %v, %v; want found %v (message %s)", found, ok, err, tt.want, r.MessageID)
			}
		})
	}
}

// TestFindDoesNotTakeAnotherAlertsMessage: a look for a lost post must
// not find another alert's message, or the alert is never posted: a
// format's url shared by many alerts, an update carrying its item's link.
func TestFindDoesNotTakeAnotherAlertsMessage(t *testing.T) {
	for _, url := range []string{"https://desk.example/wire", "https://desk.example/{feed}", "https://desk.example/s/{subscription}"} {
		posted := testAlert("Aleppo convoy reaches the city")
		posted.Format = &alert.Format{Title: "{title}", URL: url}
		other := testAlert("Homs convoy turned back")
		other.Link = "https://example.org/news/2"
		other.Format = posted.Format
		f := fakediscord.New(t)
		n := NewChannelNotifier(newTestSession(t, f, "test-token"), testChannel, NewLimiter(LimiterConfig{}))
		if _, err := n.Send(context.Background(), notify.Message{Nonce: "nh1", Alerts: []alert.Alert{posted}}); err != nil {
			t.Fatal(err)
		}
		found, ok, err := n.(notify.Finder).Find(context.Background(), notify.Message{Nonce: "nh2", Alerts: []alert.Alert{other}})
		if ok {
			t.Errorf("url %q: a different alert's ghost look found %v (err %v): it would never be posted", url, found, err)
		}
	}
}

// TestFindDoesNotTakeTheItemsMessageForItsUpdate: an update posted as a
// message of its own has its item's link; its look must not find the
// item's first message.
func TestFindDoesNotTakeTheItemsMessageForItsUpdate(t *testing.T) {
	posted := testAlert("Aleppo convoy reaches the city")
	upd := posted
	upd.Text = "Later: the convoy was turned back at the checkpoint near Aleppo."
	upd.TextSpans = nil
	upd.Join = alert.JoinUpdate
	f := fakediscord.New(t)
	n := NewChannelNotifier(newTestSession(t, f, "test-token"), testChannel, NewLimiter(LimiterConfig{}))
	if _, err := n.Send(context.Background(), notify.Message{Nonce: "nh1", Alerts: []alert.Alert{posted}}); err != nil {
		t.Fatal(err)
	}
	found, ok, err := n.(notify.Finder).Find(context.Background(), notify.Message{Nonce: "nh2", Alerts: []alert.Alert{upd}})
	if ok {
		t.Errorf("an update message's ghost look found the item's first message %v (err %v)", found, err)
	}
}

// discordgo serialises the requests that share a bucket id, holding the
// bucket's lock until the answer comes. Every webhook was sent under one
// bucket id ("webhooks//"), so a webhook whose request hung held up every
// other webhook destination, for up to the client's 30 s timeout each.
func TestWebhooksDoNotWaitForEachOther(t *testing.T) {
	const (
		stuck = "600000000000000031"
		other = "600000000000000032"
	)
	tests := []struct {
		name string
		do   func(ctx context.Context, n notify.Notifier, id string) error
	}{
		{"send", func(ctx context.Context, n notify.Notifier, _ string) error {
			_, err := n.Send(ctx, oneAlert("", "Aleppo"))
			return err
		}},
		{"edit", func(ctx context.Context, n notify.Notifier, id string) error {
			return n.(notify.Editor).Edit(ctx, notify.Edit{MessageID: id, Message: oneAlert("", "Aleppo, updated")})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			s := newTestSession(t, f, "")
			lim := NewLimiter(LimiterConfig{})
			notifier := func(id string) notify.Notifier {
				n, err := NewWebhookNotifier(s, f.AddWebhook(id, id), lim)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			hung, fine := notifier(stuck), notifier(other)
			r, err := fine.Send(context.Background(), oneAlert("", "Aleppo"))
			if err != nil {
				t.Fatal(err)
			}
			release := f.Hold("POST webhooks/" + stuck)
			t.Cleanup(release)
			go func() { _, _ = hung.Send(context.Background(), oneAlert("", "Aleppo")) }() // answered once released
			f.WaitFor(replyTimeout, func() bool { return f.Waiting("POST webhooks/"+stuck) == 1 })

			done := make(chan error, 1)
			go func() { done <- tt.do(context.Background(), fine, r.MessageID) }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("webhook %s: %v", other, err)
				}
			case <-time.After(3 * time.Second):
				t.Errorf("webhook %s's %s still waits after 3 s for webhook %s's hung request", other, tt.name, stuck)
				release()
				<-done
			}
		})
	}
}
