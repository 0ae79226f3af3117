package email

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/internal/alerttest"
	"github.com/newshound/newshound/internal/fakesmtp"
	"github.com/newshound/newshound/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the testdata golden files from the current output")

var sentAt = time.Date(2026, 3, 1, 8, 0, 0, 0, time.FixedZone("CET", 3600))

func envelope(t *testing.T) Envelope {
	t.Helper()
	env, err := ParseEnvelope("Newshound <alerts@news.example.org>", []string{"desk@example.org", "Night Désk <night@example.org>"})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// parts parses a composed mail: its header, and the decoded text and HTML
// parts.
func parts(t *testing.T, raw []byte) (mail.Header, string, string) {
	t.Helper()
	m, err := mail.ReadMessage(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatalf("not a mail: %v", err)
	}
	mediaType, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", m.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(m.Body, params["boundary"])
	var got []string
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(p) // quoted-printable is decoded by the reader
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.Header.Get("Content-Type")+"\n"+string(body))
	}
	if len(got) != 2 || !strings.HasPrefix(got[0], "text/plain; charset=utf-8\n") || !strings.HasPrefix(got[1], "text/html; charset=utf-8\n") {
		t.Fatalf("parts %.200q, want text/plain then text/html", got)
	}
	_, text, _ := strings.Cut(got[0], "\n")
	_, html, _ := strings.Cut(got[1], "\n")
	return m.Header, text, html
}

func TestComposeGolden(t *testing.T) {
	sameStory := alerttest.Plain()
	sameStory.Title = "Dock strike: talks collapse"
	tests := map[string]notify.Message{
		"plain":          {Nonce: "outbox-1", Alerts: []alert.Alert{alerttest.Plain()}},
		"hostile":        {Nonce: "outbox-2", Alerts: []alert.Alert{alerttest.Hostile()}},
		"burst":          {Nonce: "outbox-3", Alerts: alerttest.Sequence(3)},
		"digest":         digestMessage("nh3d", alerttest.Sequence(3)),
		"digest_hostile": digestMessage("nh5d", []alert.Alert{alerttest.Hostile(), alerttest.Plain()}),
		"same_story":     {Nonce: "outbox-4", Alerts: []alert.Alert{alerttest.Plain(), sameStory}},
	}
	for name, m := range tests {
		t.Run(name, func(t *testing.T) {
			raw, err := Compose(m, envelope(t), sentAt)
			if err != nil {
				t.Fatal(err)
			}
			checkWireForm(t, raw)
			_, text, html := parts(t, raw)
			golden.Check(t, filepath.Join("testdata", name+".golden.eml"), raw, *update)
			golden.Check(t, filepath.Join("testdata", name+".golden.txt"), []byte(text), *update)
			golden.Check(t, filepath.Join("testdata", name+".golden.html"), []byte(html), *update)
		})
	}
}

// checkWireForm: CRLF line endings only, no line over 998 octets (RFC
// 5322), header lines within 78.
func checkWireForm(t *testing.T, raw []byte) {
	t.Helper()
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) || bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\r")) {
		t.Error("a bare LF or CR in the mail")
	}
	inHeader := true
	for i, line := range strings.Split(string(raw), "\r\n") {
		if line == "" {
			inHeader = false
		}
		if len(line) > 998 || (inHeader && len(line) > 78) {
			t.Errorf("line %d has %d octets: %.80q", i+1, len(line), line)
		}
	}
}

func mustCompose(t *testing.T, m notify.Message, env Envelope) []byte {
	t.Helper()
	raw, err := Compose(m, env, sentAt)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestComposeHeaders(t *testing.T) {
	env := envelope(t)
	m := notify.Message{Nonce: "outbox-7", Alerts: []alert.Alert{alerttest.Plain()}}
	first, err := Compose(m, env, sentAt)
	if err != nil {
		t.Fatal(err)
	}
	retry, err := Compose(m, env, sentAt.Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	h1, _, _ := parts(t, first)
	h2, _, _ := parts(t, retry)
	if id := h1.Get("Message-Id"); id == "" || id != h2.Get("Message-Id") {
		t.Errorf("Message-ID %q on the first try, %q on the retry; want one, the same", id, h2.Get("Message-Id"))
	}
	other, _ := Compose(notify.Message{Nonce: "outbox-8", Alerts: m.Alerts}, env, sentAt)
	h3, _, _ := parts(t, other)
	if h3.Get("Message-Id") == h1.Get("Message-Id") {
		t.Error("two messages share a Message-ID")
	}
	if ref := h1.Get("In-Reply-To"); ref == "" || ref != h3.Get("References") {
		t.Errorf("In-Reply-To %q, References of the same story's next mail %q; want the same story reference", ref, h3.Get("References"))
	}
	outlet := alerttest.Plain()
	outlet.Link, outlet.Title, outlet.Story = "https://herald.example/strike", "Dockers walk out at every port", "wire/strike-1"
	lead := alerttest.Plain()
	lead.Story = outlet.Story
	h4, _, _ := parts(t, mustCompose(t, notify.Message{Nonce: "outbox-9", Alerts: []alert.Alert{lead}}, env))
	h5, _, _ := parts(t, mustCompose(t, notify.Message{Nonce: "outbox-10", Alerts: []alert.Alert{outlet}}, env))
	if ref := h4.Get("References"); ref == "" || ref != h5.Get("References") || ref == h1.Get("References") {
		t.Errorf("References %q and %q of two outlets' reports of one story (and %q without a story); want one reference for the story", ref, h5.Get("References"), h1.Get("References"))
	}
	digest, _ := Compose(notify.Message{Nonce: "d", Alerts: alerttest.Sequence(2)}, env, sentAt)
	if h, _, _ := parts(t, digest); h.Get("In-Reply-To") != "" || h.Get("References") != "" {
		t.Error("a mail of several stories is threaded into one of them")
	}
	// A digest's own grouping (alert.GroupDigest) names no story another
	// mail names; a digest of one story the grouping named as it came does.
	grouped := []alert.Alert{lead, outlet}
	for i := range grouped {
		grouped[i].Story, grouped[i].DigestStory = "digest/41/0", true
	}
	if h, _, _ := parts(t, mustCompose(t, digestMessage("d2", grouped), env)); h.Get("In-Reply-To") != "" || h.Get("References") != "" {
		t.Errorf("a digest of one story named by the digest's grouping replies to %q", h.Get("In-Reply-To"))
	}
	if h, _, _ := parts(t, mustCompose(t, digestMessage("d3", []alert.Alert{lead, outlet}), env)); h.Get("References") != h4.Get("References") {
		t.Errorf("a digest of one story's reports refers to %q, want the story's %q", h.Get("References"), h4.Get("References"))
	}
	// A feed named "digest" names its stories "digest/…" as they come:
	// its mails thread all the same.
	onDigestFeed, otherOutlet := lead, outlet
	onDigestFeed.Story = alert.ItemID("digest", "urn:item:1")
	otherOutlet.Story = onDigestFeed.Story
	h6, _, _ := parts(t, mustCompose(t, notify.Message{Nonce: "outbox-11", Alerts: []alert.Alert{onDigestFeed}}, env))
	h7, _, _ := parts(t, mustCompose(t, notify.Message{Nonce: "outbox-12", Alerts: []alert.Alert{otherOutlet}}, env))
	if ref := h6.Get("References"); ref == "" || ref != h7.Get("References") {
		t.Errorf("References %q and %q of a story of a feed named digest; want one reference for the story", ref, h7.Get("References"))
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(h1.Get("Subject"))
	if want := "[port-strikes] " + alerttest.Plain().Title; err != nil || subject != want {
		t.Errorf("Subject = %q (%v), want %q", subject, err, want)
	}
	if to, err := h1.AddressList("To"); err != nil || len(to) != 2 || to[1].Name != "Night Désk" {
		t.Errorf("To = %v (%v), want both recipients with their names", to, err)
	}
}

func TestHostileTextIsInert(t *testing.T) {
	raw, err := Compose(notify.Message{Nonce: "h", Alerts: []alert.Alert{alerttest.Hostile()}}, envelope(t), sentAt)
	if err != nil {
		t.Fatal(err)
	}
	h, text, html := parts(t, raw)
	if h.Get("Bcc") != "" || len(h["Bcc"]) > 0 {
		t.Error("feed text injected a Bcc header")
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || strings.ContainsAny(subject, "\r\n\x00\u202E") || len([]rune(subject)) > maxSubject+60 {
		t.Errorf("Subject %q (%v): control characters, or too long", subject, err)
	}
	for _, bad := range []string{"<script", "<img", "<b>", "<!channel>"} {
		if strings.Contains(html, bad) {
			t.Errorf("HTML part contains %q", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;", "&lt;img src=x onerror=alert(1)&gt;", "&amp;lt;b&amp;gt;"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML part lacks the escaped %q", want)
		}
	}
	for _, part := range []string{text, html} {
		if strings.ContainsAny(part, "\u202E\u202C\x00\x07") {
			t.Error("a bidi override or control character reached a part")
		}
	}
	if strings.Contains(text, "\nBcc:") || strings.Contains(text, "\nFrom: spoof") {
		t.Error("feed text starts a line that reads like a header in the text part")
	}
}

func newNotifier(t *testing.T, srv *fakesmtp.Server, mode string, user, pass string, to ...string) *Notifier {
	t.Helper()
	if len(to) == 0 {
		to = []string{"desk@example.org"}
	}
	n, err := New(Config{
		Host: srv.Host, Port: srv.Port, TLS: mode, Username: user, Password: pass,
		From: "Newshound <alerts@news.example.org>", To: to,
		TLSConfig: srv.ClientTLS(), Now: func() time.Time { return sentAt },
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSendModes(t *testing.T) {
	tests := []struct {
		name     string
		server   fakesmtp.Options
		mode     string
		user     string
		wantTLS  bool
		wantUser string
	}{
		{"starttls with auth", fakesmtp.Options{Mode: fakesmtp.StartTLS, Username: "news", Password: "pw"}, StartTLS, "news", true, "news"},
		{"implicit tls with auth", fakesmtp.Options{Mode: fakesmtp.Implicit, Username: "news", Password: "pw"}, ImplicitTLS, "news", true, "news"},
		{"starttls without auth", fakesmtp.Options{Mode: fakesmtp.StartTLS}, StartTLS, "", true, ""},
		{"plain relay", fakesmtp.Options{Mode: fakesmtp.Plain}, NoTLS, "", false, ""},
		// Office 365 offers "AUTH LOGIN XOAUTH2", no PLAIN
		{"starttls with auth login", fakesmtp.Options{Mode: fakesmtp.StartTLS, Username: "news", Password: "pw", AuthLogin: true}, StartTLS, "news", true, "news"},
		{"implicit tls with auth login", fakesmtp.Options{Mode: fakesmtp.Implicit, Username: "news", Password: "pw", AuthLogin: true}, ImplicitTLS, "news", true, "news"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakesmtp.New(t, tt.server)
			n := newNotifier(t, srv, tt.mode, tt.user, "pw", "desk@example.org", "night@example.org")
			a := alerttest.Plain()
			rec, err := n.Send(context.Background(), notify.Message{Nonce: "n1", Alerts: []alert.Alert{a}})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			mails := srv.Mails()
			if len(mails) != 1 {
				t.Fatalf("%d mails, want 1", len(mails))
			}
			got := mails[0]
			if got.TLS != tt.wantTLS || got.User != tt.wantUser || got.From != "alerts@news.example.org" ||
				strings.Join(got.To, ",") != "desk@example.org,night@example.org" || got.MessageID != rec.MessageID {
				t.Errorf("mail TLS %v user %q from %q to %v id %q; want TLS %v user %q, both recipients, id %q",
					got.TLS, got.User, got.From, got.To, got.MessageID, tt.wantTLS, tt.wantUser, rec.MessageID)
			}
			_, text, html := parts(t, got.Data)
			if !strings.Contains(text, a.Link) || !strings.Contains(html, `href="`+a.Link+`"`) {
				t.Errorf("the parts do not both carry the link:\n%s\n%s", text, html)
			}
		})
	}
}

// Each alert of a sequence is mailed once through temporary failures and
// a connection lost after the server took the mail: the retry carries the
// same Message-ID, so the server recognises the repeat.
func TestExactlyOnceThroughFaults(t *testing.T) {
	srv := fakesmtp.New(t, fakesmtp.Options{Mode: fakesmtp.StartTLS, Username: "news", Password: "pw"})
	srv.FailNext(
		fakesmtp.Fault{Command: "DATA", Code: 451},
		fakesmtp.Fault{Command: "DATA", Accept: true}, // taken, then the connection drops
		fakesmtp.Fault{Command: "MAIL", Code: 421},
		fakesmtp.Fault{Command: "RCPT", Code: 450},
		fakesmtp.Fault{Command: "AUTH", Code: 454},
		fakesmtp.Fault{Command: "DATA", Code: 452, Accept: true}, // taken, but the reply says "try again"
	)
	n := newNotifier(t, srv, StartTLS, "news", "pw")
	alerts := alerttest.Sequence(5)
	failures := 0
	for i, a := range alerts {
		m := notify.Message{Nonce: fmt.Sprintf("outbox-%d", i+1), Alerts: []alert.Alert{a}}
		for attempt := 0; ; attempt++ {
			if attempt > 6 {
				t.Fatalf("alert %d: still failing after %d attempts", i, attempt)
			}
			_, err := n.Send(context.Background(), m)
			if err == nil {
				break
			}
			failures++
			if errors.Is(err, notify.ErrGone) || errors.Is(err, notify.ErrRejected) {
				t.Fatalf("alert %d: %v, want a temporary error", i, err)
			}
		}
	}
	if failures != 6 {
		t.Errorf("%d failed sends, want 6 (one per fault)", failures)
	}
	mails := srv.Mails()
	if len(mails) != len(alerts) {
		t.Fatalf("%d unique mails, want %d", len(mails), len(alerts))
	}
	for i, got := range mails {
		if _, text, _ := parts(t, got.Data); !strings.Contains(text, alerts[i].Link) {
			t.Errorf("mail %d is not alert %d", i, i)
		}
	}
	if _, repeats := srv.Stats(); repeats != 2 {
		t.Errorf("%d repeats, want 2 (after the two lost replies)", repeats)
	}
}

func TestReplies(t *testing.T) {
	tests := []struct {
		name     string
		server   fakesmtp.Options
		mode     string
		password string
		fault    *fakesmtp.Fault
		refuse   map[string]int // recipient → RCPT reply code
		// refuseWith is refuse with the reply's text: its enhanced status
		refuseWith map[string]fakesmtp.Fault
		want       string
		wantTo     []string // the recipients of the one mail, when one is taken
		// wantMissed is the receipt's count of recipients refused while
		// the others got the mail: the sender counts them
		wantMissed int
	}{
		{name: "wrong password", server: fakesmtp.Options{Mode: fakesmtp.StartTLS, Username: "news", Password: "pw"},
			mode: StartTLS, password: "wrong", want: "gone"},
		{name: "wrong password, auth login", server: fakesmtp.Options{Mode: fakesmtp.StartTLS, Username: "news", Password: "pw", AuthLogin: true},
			mode: StartTLS, password: "wrong", want: "gone"},
		{name: "no STARTTLS offered", server: fakesmtp.Options{Mode: fakesmtp.Plain},
			mode: StartTLS, want: "gone"},
		{name: "sender refused", server: fakesmtp.Options{Mode: fakesmtp.Plain}, mode: NoTLS,
			fault: &fakesmtp.Fault{Command: "MAIL", Code: 553}, want: "gone"},
		{name: "every recipient refused", server: fakesmtp.Options{Mode: fakesmtp.Plain}, mode: NoTLS,
			refuse: map[string]int{"desk@example.org": 550, "night@example.org": 550}, want: "gone"},
		{name: "one recipient refused", server: fakesmtp.Options{Mode: fakesmtp.Plain}, mode: NoTLS,
			refuse: map[string]int{"night@example.org": 550}, want: "ok", wantTo: []string{"desk@example.org"}, wantMissed: 1},
		// A mailbox full for days must not keep the mail from the others.
		{name: "one mailbox full", server: fakesmtp.Options{Mode: fakesmtp.Plain}, mode: NoTLS,
			refuse: map[string]int{"night@example.org": 452}, want: "ok", wantTo: []string{"desk@example.org"}, wantMissed: 1},
		{name: "first recipient busy once", server: fakesmtp.Options{Mode: fakesmtp.Plain}, mode: NoTLS,
			fault: &fakesmtp.Fault{Command: "RCPT", Code: 452}, want: "ok", wantTo: []string{"night@example.org"}, wantMissed: 1},
		{name: "every mailbox full", server: fakesmtp.Options{Mode: fakesmtp.Plain}, mode: NoTLS,
			refuse: map[string]int{"desk@example.org": 452, "night@example.org": 452}, want: "retry after"},
		// 552 at RCPT is a mailbox over its quota (RFC 5321: exceeded
		// storage allocation): it clears once its owner makes room, so the
		// mail waits for it, as for a 452, and the destination is not
		// paused until a restart that nothing in the config needs.
		{name: "every mailbox full, 552", server: fakesmtp.Options{Mode: fakesmtp.Plain}, mode: NoTLS,
			refuse: map[string]int{"desk@example.org": 552, "night@example.org": 552}, want: "retry after"},
		{name: "one refused, the other's mailbox full, 552", server: fakesmtp.Options{Mode: fakesmtp.Plain}, mode: NoTLS,
			refuse: map[string]int{"desk@example.org": 550, "night@example.org": 552}, want: "retry after"},
		// 5.2.2 is a mailbox full (RFC 3463: a persistent transient
		// failure), whatever the code a server gives it (Exchange, Postfix
		// with a quota: 550 5.2.2; Gmail: 552 5.2.2, at RCPT or at the end
		// of DATA): it clears as a 452 does, so the mail waits for it.
		{name: "every mailbox full, 550 5.2.2", server: fakesmtp.Options{Mode: fakesmtp.Plain}, mode: NoTLS,
			refuseWith: map[string]fakesmtp.Fault{"desk@example.org": {Code: 550, Text: "5.2.2 mailbox full"}, "night@example.org": {Code: 550, Text: "5.2.2 mailbox full"}},
			want:       "retry after"},
		{name: "one refused, the other's mailbox full, 550 5.2.2", server: fakesmtp.Options{Mode: fakesmtp.Plain}, mode: NoTLS,
			refuseWith: map[string]fakesmtp.Fault{"desk@example.org": {Code: 550, Text: "5.1.1 no such user"}, "night@example.org": {Code: 550, Text: "5.2.2 mailbox full"}},
			want:       "retry after"},
		{name: "one mailbox full, 550 5.2.2", server: fakesmtp.Options{Mode: fakesmtp.Plain}, mode: NoTLS,
			refuseWith: map[string]fakesmtp.Fault{"night@example.org": {Code: 550, Text: "5.2.2 mailbox full"}},
			want:       "ok", wantTo: []string{"desk@example.org"}, wantMissed: 1},
		// The reply names no recipient: each is sent the mail alone
		// (TestMailboxFullAtTheEndOfDataHoldsUpOnlyItself), here taken.
		{name: "mail refused at its end, mailbox full, 552 5.2.2", server: fakesmtp.Options{Mode: fakesmtp.Plain}, mode: NoTLS,
			fault: &fakesmtp.Fault{Command: "DATA", Code: 552, Text: "5.2.2 The email account that you tried to reach is over quota"},
			want:  "ok", wantTo: []string{"desk@example.org", "night@example.org"}},
		// The mail's own fault: dropped, as any 5xx at the end of DATA.
		{name: "mail refused at its end, too big, 552 5.3.4", server: fakesmtp.Options{Mode: fakesmtp.Plain}, mode: NoTLS,
			fault: &fakesmtp.Fault{Command: "DATA", Code: 552, Text: "5.3.4 message too big"}, want: "rejected"},
		// The busy one may clear; the mail waits for it rather than drop.
		{name: "one refused, the other busy", server: fakesmtp.Options{Mode: fakesmtp.Plain}, mode: NoTLS,
			refuse: map[string]int{"desk@example.org": 550, "night@example.org": 452}, want: "retry after"},
		{name: "mail refused", server: fakesmtp.Options{Mode: fakesmtp.Plain}, mode: NoTLS,
			fault: &fakesmtp.Fault{Command: "DATA", Code: 554}, want: "rejected"},
		{name: "connection dropped", server: fakesmtp.Options{Mode: fakesmtp.Plain}, mode: NoTLS,
			fault: &fakesmtp.Fault{Command: "MAIL"}, want: "plain error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakesmtp.New(t, tt.server)
			if tt.fault != nil {
				srv.FailNext(*tt.fault)
			}
			for r, code := range tt.refuse {
				srv.Refuse(r, code)
			}
			for r, reply := range tt.refuseWith {
				srv.RefuseWith(r, reply.Code, reply.Text)
			}
			n := newNotifier(t, srv, tt.mode, tt.server.Username, tt.password, "desk@example.org", "night@example.org")
			rec, err := n.Send(context.Background(), notify.Message{Nonce: "n", Alerts: []alert.Alert{alerttest.Plain()}})
			if got := kindOf(err); got != tt.want {
				t.Errorf("got %s (%v), want %s", got, err, tt.want)
			}
			if rec.Missed != tt.wantMissed {
				t.Errorf("receipt counts %d recipients missed, want %d", rec.Missed, tt.wantMissed)
			}
			var got []string
			for _, m := range srv.Mails() {
				got = append(got, strings.Join(m.To, ","))
			}
			want := []string(nil)
			if tt.wantTo != nil {
				want = []string{strings.Join(tt.wantTo, ",")}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("mails to %q, want %q", got, want)
			}
		})
	}
}

// A recipient refused on every mail (a typo in to:, a deleted mailbox, a
// mailbox full for days) is logged when its refusal starts or changes and
// once when it ends, with a count, not once per mail; the others get every
// mail meanwhile.
func TestRefusedRecipientLoggedOncePerState(t *testing.T) {
	repeat := func(code, times int) []int { return slices.Repeat([]int{code}, times) }
	tests := []struct {
		name string
		// night is night@example.org's RCPT reply at each mail (0: accepted)
		night         []int
		wantRefusals  int
		wantRecovered int
		wantLogged    []string
	}{
		{"refused for good on every mail", repeat(550, 20), 1, 0,
			[]string{"level=ERROR", "recipient=night@example.org", `RCPT TO night@example.org: 550 \"recipient refused\""`}},
		{"mailbox full on every mail", repeat(452, 20), 1, 0,
			[]string{`msg="email: recipient refused for now`, "recipient=night@example.org", `RCPT TO night@example.org: 452 \"recipient refused\""`}},
		{"refusal changes, then ends", slices.Concat(repeat(550, 3), repeat(553, 2), repeat(0, 3)), 2, 1,
			// failing_since by the notifier's clock, as its mails are dated
			[]string{"previous_count=3", `msg="email: recipient accepted again; failures is how many mails it missed"`, "failures=5 ", "failing_since=2026-03-01T08:00:00+01:00"}},
		{"never refused", repeat(0, 5), 0, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakesmtp.New(t, fakesmtp.Options{Mode: fakesmtp.Plain})
			var logs bytes.Buffer
			n, err := New(Config{
				Host: srv.Host, Port: srv.Port, TLS: NoTLS,
				From: "Newshound <alerts@news.example.org>", To: []string{"desk@example.org", "night@example.org"},
				Now:    func() time.Time { return sentAt },
				Logger: slog.New(slog.NewTextHandler(&logs, nil)),
			})
			if err != nil {
				t.Fatal(err)
			}
			for i, code := range tt.night {
				srv.Refuse("night@example.org", code)
				a := alerttest.Plain()
				a.ID = int64(i + 1)
				if _, err := n.Send(context.Background(), notify.Message{Nonce: fmt.Sprintf("n%d", i), Alerts: []alert.Alert{a}}); err != nil {
					t.Fatalf("mail %d: %v", i, err)
				}
			}
			out := logs.String()
			if got := strings.Count(out, `msg="email: recipient refused`); got != tt.wantRefusals {
				t.Errorf("refusal logged %d times for %d mails, want %d:\n%s", got, len(tt.night), tt.wantRefusals, out)
			}
			if got := strings.Count(out, `msg="email: recipient accepted again`); got != tt.wantRecovered {
				t.Errorf("recovery logged %d times, want %d:\n%s", got, tt.wantRecovered, out)
			}
			for _, want := range tt.wantLogged {
				if !strings.Contains(out, want) {
					t.Errorf("log lacks %q:\n%s", want, out)
				}
			}
			if got, want := len(srv.Mails()), len(tt.night); got != want {
				t.Errorf("desk@example.org got %d mails, want %d", got, want)
			}
		})
	}
}

// A server that accepts the connection and never greets cannot hold Send
// past its context.
func TestSendHonoursContext(t *testing.T) {
	port, _, closed := silentServer(t)
	n, err := New(Config{Host: "127.0.0.1", Port: port, TLS: NoTLS, From: "a@example.org", To: []string{"b@example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = n.Send(ctx, notify.Message{Nonce: "n", Alerts: []alert.Alert{alerttest.Plain()}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send error = %v, want the context's deadline", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send took %v", d)
	}
	<-closed
}

// silentServer takes one connection and never speaks: closed is closed
// once the client hangs up, or hangUp closes the connection. Both are
// done when the test ends.
func silentServer(t *testing.T) (port int, hangUp func(), closed <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted, done := make(chan net.Conn, 1), make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		accepted <- c
		_, _ = io.Copy(io.Discard, c) // until the client hangs up
	}()
	var once sync.Once
	hangUp = func() {
		once.Do(func() {
			ln.Close()
			select {
			case c := <-accepted:
				c.Close()
			case <-done:
			}
		})
	}
	t.Cleanup(func() { hangUp(); <-done })
	return ln.Addr().(*net.TCPAddr).Port, hangUp, done
}

func TestNewRefusesBadConfig(t *testing.T) {
	base := Config{Host: "smtp.example.org", Port: 587, TLS: StartTLS, From: "a@example.org", To: []string{"b@example.org"}}
	tests := map[string]func(*Config){
		"no host":     func(c *Config) { c.Host = "" },
		"bad port":    func(c *Config) { c.Port = 0 },
		"bad mode":    func(c *Config) { c.TLS = "ssl" },
		"bad from":    func(c *Config) { c.From = "nobody" },
		"no to":       func(c *Config) { c.To = nil },
		"bad address": func(c *Config) { c.To = []string{"@example.org"} },
	}
	for name, change := range tests {
		c := base
		change(&c)
		if _, err := New(c); err == nil {
			t.Errorf("%s: New succeeded, want an error", name)
		}
	}
	if _, err := New(base); err != nil {
		t.Errorf("New(valid config) = %v", err)
	}
}

// The server receives exactly the composed mail: lines that are a lone
// "." or start with one are dot-stuffed on the way and unstuffed on
// arrival, and nothing else changes.
func TestHostileMailArrivesIntact(t *testing.T) {
	srv := fakesmtp.New(t, fakesmtp.Options{Mode: fakesmtp.StartTLS})
	n := newNotifier(t, srv, StartTLS, "", "")
	m := notify.Message{Nonce: "h", Alerts: []alert.Alert{alerttest.Hostile()}}
	if _, err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	want, err := Compose(m, n.env, sentAt)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(want, []byte("\r\n.\r\n")) || !bytes.Contains(want, []byte("\r\n.line")) {
		t.Fatal("the hostile mail has no line to dot-stuff; the test proves nothing")
	}
	mails := srv.Mails()
	if len(mails) != 1 {
		t.Fatalf("%d mails, want 1", len(mails))
	}
	if got := mails[0].Data; !bytes.Equal(got, want) {
		t.Errorf("the server received %d bytes that differ from the %d composed", len(got), len(want))
	}
}

// BenchmarkComposeHostileDigest measures a digest of ten alerts of
// 10,000-character hostile text.
func BenchmarkComposeHostileDigest(b *testing.B) {
	alerts := make([]alert.Alert, notify.MaxBurst)
	for i := range alerts {
		alerts[i] = alerttest.Hostile()
	}
	env, err := ParseEnvelope("a@example.org", []string{"b@example.org"})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Compose(notify.Message{Nonce: "bench", Alerts: alerts}, env, sentAt); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLongDigestEndsWithAndMore: README says a digest mail lists 100
// stories, then "and N more"; the 100 is written out, so that the test
// pins it.
func TestLongDigestEndsWithAndMore(t *testing.T) {
	const shown = 100
	alerts := alerttest.Sequence(shown + 5)
	raw, err := Compose(notify.Message{Nonce: "long", Alerts: alerts}, envelope(t), sentAt)
	if err != nil {
		t.Fatal(err)
	}
	_, text, html := parts(t, raw)
	for name, part := range map[string]string{"text": text, "html": html} {
		if !strings.Contains(part, "and 5 more") {
			t.Errorf("%s part does not end with \"and 5 more\"", name)
		}
		if !strings.Contains(part, alerts[shown-1].Link) || strings.Contains(part, alerts[shown].Link) {
			t.Errorf("%s part does not list exactly the first %d alerts", name, shown)
		}
	}
}

// A digest mail lists each story once, and under it the other outlets'
// reports, each with its link; the hostile outlet name stays text.
func TestDigestListsFurtherReportsUnderTheirStory(t *testing.T) {
	alerts := alerttest.ReportedStory(3)
	_, text, html := parts(t, mustCompose(t, digestMessage("nh7d", alerts), envelope(t)))
	text = strings.ReplaceAll(text, "\r\n", "\n")
	if !strings.Contains(text, "Digest: port-strikes — 2 stories since 08:00") {
		t.Errorf("text part does not count 2 stories:\n%s", text)
	}
	if got := strings.Count(text, "\n----------------------------------------\n"); got != 1 {
		t.Errorf("text part separates %d stories, want 2:\n%s", got+1, text)
	}
	want := "\nAlso:\n- Outlet 1: Dock strike enters third day, outlet 1 reports\n  https://outlet-1.example/strike\n"
	if !strings.Contains(text, want) {
		t.Errorf("text part does not list %q:\n%s", want, text)
	}
	for _, w := range []string{`<a href="https://outlet-1.example/strike" title="Dock strike enters third day, outlet 1 reports">Outlet 1</a>`, `Evil &lt;b&gt;|&lt;/b&gt;`} {
		if !strings.Contains(html, w) {
			t.Errorf("html part lacks %q:\n%s", w, html)
		}
	}
	if strings.Contains(html, "<b>|</b>") {
		t.Errorf("html part carries the outlet's markup:\n%s", html)
	}

	// A story of 25 further reports lists 20 of them and counts the rest.
	_, text, html = parts(t, mustCompose(t, digestMessage("nh8d", alerttest.ReportedStory(25)), envelope(t)))
	text = strings.ReplaceAll(text, "\r\n", "\n")
	if n := strings.Count(text, "\n- Outlet "); n != 19 || !strings.Contains(text, "- and 5 more\n") {
		t.Errorf("text part lists %d outlets named \"Outlet …\" (want 19 and the hostile one) and \"and 5 more\":\n%s", n, text)
	}
	if !strings.Contains(html, "outlet-20.example") || strings.Contains(html, "outlet-21.example") || !strings.Contains(html, " and 5 more") {
		t.Errorf("html part does not list exactly the first 20 reports and \"and 5 more\":\n%s", html)
	}
}

// digestMessage is the message the sender makes of a released daily
// 08:00 digest (Berlin time) of alerts.
func digestMessage(nonce string, alerts []alert.Alert) notify.Message {
	cet := time.FixedZone("CET", 3600)
	d := notify.NewDigest(alert.DigestKey{Kind: alert.KindDigest, Subscription: "cfg:port-strikes",
		Since: time.Date(2026, 2, 28, 8, 0, 0, 0, cet), Until: time.Date(2026, 3, 1, 8, 0, 0, 0, cet)}, alerts)
	return notify.Message{Nonce: nonce, Alerts: alerts, Digest: d}
}

func kindOf(err error) string {
	kind, _ := alerttest.Classify(err)
	return kind
}

// newLoggedNotifier is a notifier without TLS that logs to logs.
func newLoggedNotifier(t *testing.T, srv *fakesmtp.Server, logs *bytes.Buffer, to ...string) *Notifier {
	t.Helper()
	n, err := New(Config{
		Host: srv.Host, Port: srv.Port, TLS: NoTLS,
		From: "Newshound <alerts@news.example.org>", To: to,
		Now:    func() time.Time { return sentAt },
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// numbered is the i-th of a run of one-alert messages.
func numbered(i int) notify.Message {
	a := alerttest.Plain()
	a.ID = int64(i + 1)
	return notify.Message{Nonce: fmt.Sprintf("n%d", i), Alerts: []alert.Alert{a}}
}

// A server at its limit of recipients per transaction answers the next
// RCPT 452 "4.5.3 Too many recipients" (RFC 5321 4.5.3.1.10; older
// servers 552, some only the words). That refuses no one: the rest go in
// a new transaction, under the same Message-ID, so every recipient gets
// every mail and a receiver sees one mail. A recipient refused in a later
// transaction is refused as in the first.
func TestRecipientsPastServerLimitGetTheMail(t *testing.T) {
	to := []string{"a@example.org", "b@example.org", "c@example.org", "d@example.org"}
	tests := []struct {
		name         string
		max          int
		limitReply   string
		refuse       map[string]int
		wantTo       []string
		wantRefusals int // refusals logged over all the mails
	}{
		{"452 with enhanced status", 2, "452 4.5.3 Too many recipients", nil, to, 0},
		{"452 with the words only", 3, "452 Error: too many recipients", nil, to, 0},
		{"552 from an older server", 1, "552 5.5.3 Too many recipients", nil, to, 0},
		{"mailbox full in the second transaction", 2, "", map[string]int{"c@example.org": 452},
			[]string{"a@example.org", "b@example.org", "d@example.org"}, 1},
	}
	const mails = 3
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakesmtp.New(t, fakesmtp.Options{Mode: fakesmtp.Plain, MaxRecipients: tt.max, LimitReply: tt.limitReply})
			for r, code := range tt.refuse {
				srv.Refuse(r, code)
			}
			var logs bytes.Buffer
			n := newLoggedNotifier(t, srv, &logs, to...)
			for i := range mails {
				if _, err := n.Send(context.Background(), numbered(i)); err != nil {
					t.Fatalf("mail %d: %v", i, err)
				}
			}
			got := srv.Mails()
			if len(got) != mails {
				t.Fatalf("%d mails by Message-ID, want %d", len(got), mails)
			}
			for i, m := range got {
				if !slices.Equal(m.To, tt.wantTo) {
					t.Errorf("mail %d went to %v, want %v", i, m.To, tt.wantTo)
				}
			}
			if _, repeats := srv.Stats(); repeats != 0 {
				t.Errorf("%d repeats, want 0", repeats)
			}
			if got := strings.Count(logs.String(), `msg="email: recipient refused`); got != tt.wantRefusals {
				t.Errorf("%d refusals logged, want %d:\n%s", got, tt.wantRefusals, logs.String())
			}
		})
	}
}

// A mailbox full at the end of DATA (Gmail's 552 5.2.2) refuses the
// transaction whole, naming no recipient (RFC 5321 has one reply to the
// mail): retried whole, the mail held up every recipient for as long as
// one mailbox stayed full. Each recipient is then sent it in a transaction
// of its own, so the others get it once and the full one misses it, as
// one refused at RCPT does; nobody getting it, the mail is retried.
func TestMailboxFullAtTheEndOfDataHoldsUpOnlyItself(t *testing.T) {
	const a, b, c = "a@example.org", "b@example.org", "c@example.org"
	tests := []struct {
		name       string
		to, full   []string
		wantTo     []string // each mail's recipients; none: retried
		wantMissed int
	}{
		{"one of three full", []string{a, b, c}, []string{b}, []string{a, c}, 1},
		{"two of three full", []string{a, b, c}, []string{a, c}, []string{b}, 2},
		{"every one full", []string{a, b}, []string{a, b}, nil, 0},
		{"the only recipient full", []string{a}, []string{a}, nil, 0},
	}
	const mails = 2
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakesmtp.New(t, fakesmtp.Options{Mode: fakesmtp.Plain})
			for _, to := range tt.full {
				srv.FullAtData(to, "5.2.2 The email account that you tried to reach is over quota")
			}
			var logs bytes.Buffer
			n := newLoggedNotifier(t, srv, &logs, tt.to...)
			for i := range mails {
				r, err := n.Send(context.Background(), numbered(i))
				if tt.wantTo == nil {
					if _, later := errors.AsType[*notify.RetryError](err); !later {
						t.Fatalf("mail %d: got %v, want a retry: nobody has it", i, err)
					}
					continue
				}
				if err != nil || r.Missed != tt.wantMissed {
					t.Fatalf("mail %d: got %d missed, %v; want %d missed, no error", i, r.Missed, err, tt.wantMissed)
				}
			}
			got := srv.Mails()
			if tt.wantTo == nil && len(got) != 0 {
				t.Fatalf("%d mails delivered, want none", len(got))
			}
			for i, m := range got {
				if !slices.Equal(m.To, tt.wantTo) {
					t.Errorf("mail %d went to %v, want %v", i, m.To, tt.wantTo)
				}
			}
			if tt.wantTo != nil && len(got) != mails {
				t.Errorf("%d mails delivered, want %d", len(got), mails)
			}
			if _, repeats := srv.Stats(); repeats != 0 {
				t.Errorf("%d repeats, want 0", repeats)
			}
			// Emptied, the full mailboxes get the next mail with the others.
			for _, to := range tt.full {
				srv.FullAtData(to, "")
			}
			if _, err := n.Send(context.Background(), numbered(mails)); err != nil {
				t.Fatalf("once emptied: %v", err)
			}
			if last := srv.Mails()[len(srv.Mails())-1]; !slices.Equal(last.To, tt.to) {
				t.Errorf("once emptied, the mail went to %v, want %v", last.To, tt.to)
			}
		})
	}
}

// When a later transaction of a mail split for the recipient limit fails,
// for now or for good, or the server closes the session in it, the mail
// is delivered to those it reached and the rest miss it, as recipients
// refused at RCPT do. Retried whole, it went again to the first
// transaction's recipients on every attempt, for as long as the failure
// lasted (a server that takes one mail per session, say).
func TestSplitMailWhenALaterTransactionFails(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(srv *fakesmtp.Server)
		wantLogged string
	}{
		{"its mail refused for now", func(srv *fakesmtp.Server) {
			srv.FailNext(fakesmtp.Fault{Command: "DATA", Code: 250, Accept: true}, fakesmtp.Fault{Command: "DATA", Code: 451})
		}, `msg="email: recipient refused for now`},
		{"its mail refused for good", func(srv *fakesmtp.Server) {
			srv.FailNext(fakesmtp.Fault{Command: "DATA", Code: 250, Accept: true}, fakesmtp.Fault{Command: "DATA", Code: 554})
		}, `msg="email: recipient refused for good`},
		{"the session closed in it (421)", func(srv *fakesmtp.Server) {
			srv.Refuse("b@example.org", 421)
		}, `msg="email: recipient refused for now`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakesmtp.New(t, fakesmtp.Options{Mode: fakesmtp.Plain, MaxRecipients: 1})
			tt.setup(srv)
			var logs bytes.Buffer
			n := newLoggedNotifier(t, srv, &logs, "a@example.org", "b@example.org")
			r, err := n.Send(context.Background(), numbered(0))
			if err != nil || r.Missed != 1 {
				t.Fatalf("Send: got %+v, %v; want delivered, with b missing it", r, err)
			}
			mails := srv.Mails()
			if len(mails) != 1 || !slices.Equal(mails[0].To, []string{"a@example.org"}) {
				t.Errorf("mails %v, want one to a@example.org", mails)
			}
			if _, repeats := srv.Stats(); repeats != 0 {
				t.Errorf("%d repeats, want none", repeats)
			}
			if !strings.Contains(logs.String(), tt.wantLogged) {
				t.Errorf("log lacks %q:\n%s", tt.wantLogged, logs.String())
			}
		})
	}
}

// A 421 is the server closing the session ("service not available,
// closing transmission channel"), whatever the command it answers: it
// says nothing of a recipient. The mail is retried whole with the
// destination's ordinary back-off (a plain error, not the wait for a
// greylisting), the error names the 421, no recipient is logged as
// refused, and the retry reaches everyone once.
func TestSessionClosedByServer(t *testing.T) {
	tests := []struct {
		name   string
		fault  *fakesmtp.Fault
		refuse string // a recipient whose RCPT is answered 421
	}{
		{name: "421 to MAIL", fault: &fakesmtp.Fault{Command: "MAIL", Code: 421}},
		{name: "421 to the first RCPT", fault: &fakesmtp.Fault{Command: "RCPT", Code: 421}},
		{name: "421 to the second RCPT", refuse: "night@example.org"},
		{name: "421 to the mail", fault: &fakesmtp.Fault{Command: "DATA", Code: 421}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakesmtp.New(t, fakesmtp.Options{Mode: fakesmtp.Plain})
			if tt.fault != nil {
				srv.FailNext(*tt.fault)
			}
			if tt.refuse != "" {
				srv.Refuse(tt.refuse, 421)
			}
			var logs bytes.Buffer
			n := newLoggedNotifier(t, srv, &logs, "desk@example.org", "night@example.org")
			_, err := n.Send(context.Background(), numbered(0))
			if got := kindOf(err); got != "plain error" || !strings.Contains(fmt.Sprint(err), "421") {
				t.Errorf("got %s (%v), want a plain error that names the 421", got, err)
			}
			if strings.Contains(logs.String(), "recipient refused") {
				t.Errorf("a closed session is logged as a recipient's refusal:\n%s", logs.String())
			}
			if got := srv.Mails(); len(got) != 0 {
				t.Errorf("mails %v before the retry, want none", got)
			}
			srv.Refuse("night@example.org", 0)
			if _, err := n.Send(context.Background(), numbered(0)); err != nil {
				t.Fatalf("retry: %v", err)
			}
			want := []string{"desk@example.org", "night@example.org"}
			if got := srv.Mails(); len(got) != 1 || !slices.Equal(got[0].To, want) {
				t.Errorf("mails %v after the retry, want one to %v", got, want)
			}
		})
	}
}

// A feed cannot end a MIME part: a line of feed text that is the mail's
// boundary would cut the text part there and hide or forge the rest. The
// boundary depends only on the message's nonce and the sender's domain,
// both guessable (outbox ids count up), so a hostile feed can write it;
// it must be a string quoted-printable never writes.
func TestFeedTextCannotWriteTheBoundary(t *testing.T) {
	env := envelope(t)
	m := notify.Message{Nonce: "nh2kx1", Alerts: []alert.Alert{alerttest.Plain()}}
	m0, err := mail.ReadMessage(bufio.NewReader(bytes.NewReader(mustCompose(t, m, env))))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(m0.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	boundary := params["boundary"]
	tests := map[string]func(*alert.Alert){
		"title ends the mail":           func(a *alert.Alert) { a.Title = "--" + boundary + "--" },
		"title starts a part":           func(a *alert.Alert) { a.Title = "--" + boundary },
		"a paragraph ends the mail":     func(a *alert.Alert) { a.Text = "Talks resumed.\n\n--" + boundary + "--\n\nPhishing here." },
		"an outlet's report ends it":    func(a *alert.Alert) { a.Also = []alert.Report{{Feed: "--" + boundary + "--", Title: "x"}} },
		"matched words end the mail":    func(a *alert.Alert) { a.Matched = []string{"--" + boundary + "--"} },
		"subscription ends the mail":    func(a *alert.Alert) { a.Subscription = "--" + boundary + "--" },
		"link line ends the mail":       func(a *alert.Alert) { a.Link = "https://x.example/--" + boundary + "--" },
		"the feed's name ends the mail": func(a *alert.Alert) { a.Feed = "--" + boundary + "--" },
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			a := alerttest.Plain()
			edit(&a)
			raw := mustCompose(t, notify.Message{Nonce: m.Nonce, Alerts: []alert.Alert{a}}, env)
			_, text, html := parts(t, raw) // fails unless there are exactly the two parts
			if !strings.Contains(text, "Published: ") || !strings.HasSuffix(strings.TrimSpace(html), "</html>") {
				t.Errorf("a part was cut short: got text %q and HTML ending %q, want the whole of both", text, html[max(0, len(html)-40):])
			}
		})
	}
}

// Outbox ids, and so nonces, start again at 1 in a new database (a fresh
// install, a move to PostgreSQL) and are the same in two installations
// mailing one inbox. A mail of other alerts under an old nonce is another
// mail: a Message-ID the inbox has seen would be dropped as a repeat
// (Gmail does), so the Message-ID names the alerts as well as the nonce.
func TestReusedNonceIsANewMail(t *testing.T) {
	srv := fakesmtp.New(t, fakesmtp.Options{Mode: fakesmtp.Plain})
	seq := alerttest.Sequence(2)
	for i, a := range seq {
		// a new notifier for each: another database's first message
		n := newLoggedNotifier(t, srv, new(bytes.Buffer), "desk@example.org")
		if _, err := n.Send(context.Background(), notify.Message{Nonce: "nh1x1", Alerts: []alert.Alert{a}}); err != nil {
			t.Fatalf("install %d: %v", i, err)
		}
	}
	// and a retry of the second is still recognised as its repeat
	n := newLoggedNotifier(t, srv, new(bytes.Buffer), "desk@example.org")
	if _, err := n.Send(context.Background(), notify.Message{Nonce: "nh1x1", Alerts: seq[1:]}); err != nil {
		t.Fatal(err)
	}
	_, repeats := srv.Stats()
	if got := len(srv.Mails()); got != 2 || repeats != 1 {
		t.Errorf("got %d mails and %d repeats, want 2 mails (one per install) and 1 repeat (the retry)", got, repeats)
	}
}

// A long subject of plain ASCII is folded like an encoded one: no header
// line passes 78 characters (RFC 5322 2.1.1), and it reads back the same.
func TestLongASCIISubjectIsFolded(t *testing.T) {
	tests := map[string]string{
		"words":               strings.Repeat("Harbour cranes idle ", 5) + "on Tuesday",
		"one long word":       strings.Repeat("Harbourcranesidle", 6),
		"long word and words": "Strike " + strings.Repeat("x", 90) + " at the port",
		"short":               "Cranes idle",
	}
	for name, title := range tests {
		t.Run(name, func(t *testing.T) {
			a := alerttest.Plain()
			a.Title = title
			raw := mustCompose(t, notify.Message{Nonce: "x", Alerts: []alert.Alert{a}}, envelope(t))
			checkWireForm(t, raw)
			h, _, _ := parts(t, raw)
			got, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
			if want := "[port-strikes] " + title; err != nil || got != want {
				t.Errorf("Subject reads %q (%v), want %q", got, err, want)
			}
		})
	}
}

// tls: none with a login is allowed for a relay on this machine however
// the config names it (config.isLoopback): net/smtp's own check knew only
// "localhost", "127.0.0.1" and "::1", and refused the others as an
// unencrypted connection, which paused the destination.
func TestLoginWithoutTLSToThisMachine(t *testing.T) {
	for _, host := range []string{"LOCALHOST", "::ffff:127.0.0.1"} {
		for _, login := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s login %v", host, login), func(t *testing.T) {
				srv := fakesmtp.New(t, fakesmtp.Options{Mode: fakesmtp.Plain, Username: "news", Password: "pw", AuthLogin: login})
				n, err := New(Config{Host: host, Port: srv.Port, TLS: NoTLS, Username: "news", Password: "pw",
					From: "alerts@news.example.org", To: []string{"desk@example.org"}})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := n.Send(context.Background(), notify.Message{Nonce: "n", Alerts: []alert.Alert{alerttest.Plain()}}); err != nil {
					t.Fatalf("Send: got %v, want the mail sent", err)
				}
				if m := srv.Mails(); len(m) != 1 || m[0].User != "news" {
					t.Errorf("got %d mails, want 1 sent as news", len(m))
				}
			})
		}
	}
}

// A server that took the mail but never answers QUIT does not hold the
// destination for the rest of the send's time budget (two minutes when
// the sender's context has none): the mail is delivered once its end of
// DATA is answered, and the goodbye is waited for only briefly.
func TestServerHangingAtQuit(t *testing.T) {
	tests := []struct {
		name   string
		server fakesmtp.Options
		mode   string
	}{
		{"plain relay", fakesmtp.Options{Mode: fakesmtp.Plain}, NoTLS},
		{"starttls", fakesmtp.Options{Mode: fakesmtp.StartTLS}, StartTLS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := fakesmtp.New(t, tt.server)
			srv.FailNext(fakesmtp.Fault{Command: "QUIT", Hang: true})
			n := newNotifier(t, srv, tt.mode, "", "", "desk@example.org")
			start := time.Now()
			rec, err := n.Send(context.Background(), notify.Message{Nonce: "n", Alerts: []alert.Alert{alerttest.Plain()}})
			took := time.Since(start)
			if err != nil || rec.MessageID == "" {
				t.Errorf("Send = %+v, %v; want the mail's receipt", rec, err)
			}
			if took > quitWait+5*time.Second {
				t.Errorf("Send took %v against a server hanging at QUIT; want at most %v and a little", took.Round(time.Second), quitWait)
			}
			if mails := srv.Mails(); len(mails) != 1 {
				t.Errorf("server has %d mails, want 1", len(mails))
			}
		})
	}
}

// A send cancelled after the server took the mail, before the wait for
// the answer to QUIT was bounded, ends at once. The watch on the context
// had cut the connection's deadline to now, and the quitWait deadline set
// after it put it 5 s off again, so the cancelled send still waited for a
// server hanging at QUIT. The context here is cancelled when Send asks
// for its deadline once the server has the mail, and waits for the watch
// to have run, as it may have by then.
func TestCancelledBeforeQuit(t *testing.T) {
	// Without a deadline of its own, ctx gets Config.Timeout's, and the
	// deadline Send asks for is that one's: as a minute off here.
	tests := []struct {
		name     string
		deadline time.Duration
	}{
		{"deadline beyond quitWait", time.Minute},
		{"deadline within quitWait", quitWait - time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakesmtp.New(t, fakesmtp.Options{Mode: fakesmtp.Plain})
			srv.FailNext(fakesmtp.Fault{Command: "QUIT", Hang: true})
			n := newNotifier(t, srv, NoTLS, "", "", "desk@example.org")
			parent, cancel := context.WithTimeout(context.Background(), tt.deadline)
			defer cancel()
			watched := make(chan struct{})
			n.watch = func(ctx context.Context, f func()) func() bool {
				return context.AfterFunc(ctx, func() { f(); close(watched) })
			}
			ctx := &cancelOnMail{Context: parent, srv: srv, cancel: cancel, watched: watched}
			start := time.Now()
			rec, err := n.Send(ctx, notify.Message{Nonce: "n", Alerts: []alert.Alert{alerttest.Plain()}})
			took := time.Since(start)
			if !ctx.fired {
				t.Fatal("Send did not ask for the context's deadline after the server took the mail")
			}
			if err != nil || rec.MessageID == "" {
				t.Errorf("Send = %+v, %v; want the mail's receipt", rec, err)
			}
			if took >= quitWait-time.Second {
				t.Errorf("cancelled Send took %v against a server hanging at QUIT; want it to end at once, not wait for quitWait (%v)", took.Round(time.Millisecond), quitWait)
			}
		})
	}
}

// cancelOnMail is a context cancelled the first time its deadline is
// asked for once srv has a mail; it returns after the notifier's watch on
// it has run.
type cancelOnMail struct {
	context.Context
	srv     *fakesmtp.Server
	cancel  context.CancelFunc
	watched chan struct{}
	fired   bool
}

func (c *cancelOnMail) Deadline() (time.Time, bool) {
	if !c.fired && len(c.srv.Mails()) > 0 {
		c.fired = true
		c.cancel()
		<-c.watched
	}
	return c.Context.Deadline()
}

// TestARefusalInTheSplitMissesOnlyItsRecipient: once a mailbox full at
// the end of DATA split a mail into a transaction a recipient, a reply to
// one of those (a 4xx, a 5xx) is that recipient's alone, and the
// connection is still open: the recipients after it were left out with
// it, counted missed and logged as refused with its reply, though no
// server refused them. They get the mail; a dropped connection still ends it.
func TestARefusalInTheSplitMissesOnlyItsRecipient(t *testing.T) {
	const a, b, c, d = "a@example.org", "b@example.org", "c@example.org", "d@example.org"
	full := fakesmtp.Fault{Command: "DATA", Code: 552, Text: "5.2.2 The email account that you tried to reach is over quota"}
	taken := fakesmtp.Fault{Command: "DATA", Code: 250, Accept: true, Text: "2.0.0 queued"}
	tests := []struct {
		name       string
		c          fakesmtp.Fault // the reply to c's own transaction
		wantTo     []string
		wantMissed int
	}{
		{"a 4xx", fakesmtp.Fault{Command: "DATA", Code: 451, Text: "4.3.0 try again later"}, []string{a, d}, 2},
		{"a 5xx", fakesmtp.Fault{Command: "DATA", Code: 554, Text: "5.7.1 message refused"}, []string{a, d}, 2},
		{"the connection dropped", fakesmtp.Fault{Command: "DATA"}, []string{a}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakesmtp.New(t, fakesmtp.Options{Mode: fakesmtp.Plain})
			// the whole mail, then a's, b's and c's transactions
			srv.FailNext(full, taken, full, tt.c)
			var logs bytes.Buffer
			n := newLoggedNotifier(t, srv, &logs, a, b, c, d)
			r, err := n.Send(context.Background(), numbered(0))
			if err != nil || r.Missed != tt.wantMissed {
				t.Fatalf("got %d missed, %v; want %d missed, no error", r.Missed, err, tt.wantMissed)
			}
			var got []string
			for _, m := range srv.Mails() {
				got = append(got, m.To...)
			}
			if !slices.Equal(got, tt.wantTo) {
				t.Errorf("the mail went to %v, want %v", got, tt.wantTo)
			}
			if _, repeats := srv.Stats(); repeats != 0 {
				t.Errorf("%d repeats, want 0", repeats)
			}
			if slices.Contains(tt.wantTo, d) && strings.Contains(logs.String(), "recipient="+d) {
				t.Errorf("d, never refused, is logged:\n%s", logs.String())
			}
		})
	}
}
