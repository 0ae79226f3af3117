package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/internal/alerttest"
	"github.com/newshound/newshound/internal/fakeslack"
	"github.com/newshound/newshound/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the testdata golden files from the current output")

func hostileBurst(n int) []alert.Alert {
	out := make([]alert.Alert, n)
	for i := range out {
		out[i] = alerttest.Hostile()
		out[i].Link += fmt.Sprint(i)
	}
	return out
}

func TestRenderGolden(t *testing.T) {
	bare := alerttest.Plain()
	bare.Link, bare.Text, bare.Published, bare.Matched, bare.Subscription = "javascript:alert(1)", "", time.Time{}, nil, ""
	tests := map[string][]alert.Alert{
		"plain":        {alerttest.Plain()},
		"hostile":      {alerttest.Hostile()},
		"burst":        alerttest.Sequence(3),
		"bare":         {bare},
		"and_20_more":  alerttest.Sequence(36),
		"hostile_x_10": hostileBurst(10),
	}
	for name, alerts := range tests {
		t.Run(name, func(t *testing.T) {
			p := Render(alerts, "nonce-"+name)
			if err := checkPayload(p); err != nil {
				t.Error(err)
			}
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false) // readable golden files; the body sent escapes them
			enc.SetIndent("", "  ")
			if err := enc.Encode(p); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", name+".golden.json"), b.Bytes(), *update)
		})
	}
}

// checkPayload holds a payload to Slack's limits and to inertness: no
// control sequence but our links and dates.
func checkPayload(p Payload) error {
	if len(p.Blocks) > MaxBlocks {
		return fmt.Errorf("%d blocks, over %d", len(p.Blocks), MaxBlocks)
	}
	fp := fakeslack.Payload{Text: p.Text}
	for _, b := range p.Blocks {
		fb := fakeslack.Block{Type: b.Type}
		if b.Text != nil {
			fb.Text = &fakeslack.Text{Text: b.Text.Text}
		}
		for _, el := range b.Elements {
			fb.Elements = append(fb.Elements, fakeslack.Text{Text: el.Text})
		}
		fp.Blocks = append(fp.Blocks, fb)
	}
	for _, text := range fp.Texts() {
		if n := utf8.RuneCountInString(text); n > MaxText {
			return fmt.Errorf("a text of %d characters, over %d", n, MaxText)
		}
		if seqs := fakeslack.ControlSequences(text); len(seqs) > 0 {
			return fmt.Errorf("control sequences %q in %.200q", seqs, text)
		}
	}
	return nil
}

// Feed text renders as written, never as formatting, a mention, a
// broadcast or a link of its own.
func TestFeedTextIsInert(t *testing.T) {
	tests := []struct{ in, want string }{
		{"@everyone look", "@\u200deveryone look"},
		{"@Channel and @here", "@\u200dChannel and @\u200dhere"},
		{"<!channel> <@U123> <#C123|general>", "&lt;!channel&gt; &lt;@U123&gt; &lt;#C123|general&gt;"},
		{"<https://evil.example|click>", "&lt;https://evil.example|click&gt;"},
		{"*bold* _it_ ~s~ `c`", "∗bold∗ ˍitˍ ∼s∼ ˋcˋ"},
		{"AT&T &amp; co", "AT&amp;T &amp;amp; co"},
		{"a\u202Eevil\u202C b\x00\x07c", "aevil bc"},
		{"one\r\n\r\n\r\ntwo", "one two"},
		{"user@example.org", "user@example.org"},
	}
	for _, tt := range tests {
		if got := render(tt.in, nil, 1000, false); got != tt.want {
			t.Errorf("render(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestFeedTextQuotesNothing: Slack reads "&gt;" opening a line as a
// quote ("&gt;&gt;&gt;" quotes all that follows); feed text that keeps its
// lines opens many, each defused by an invisible soft hyphen.
func TestFeedTextQuotesNothing(t *testing.T) {
	in := "> quoted\n>>> all the rest\n\n\uff1e wide\na > b"
	want := "\u00ad&gt; quoted\n\u00ad&gt;&gt;&gt; all the rest\n\n\u00ad\uff1e wide\na &gt; b"
	if got := render(in, nil, 1000, true); got != want {
		t.Errorf("render(%q) = %q, want %q", in, got, want)
	}
}

func TestRenderBoldAndCut(t *testing.T) {
	text := "Talks on the dock strike resumed on Tuesday morning"
	spans := []alert.Span{{Start: 13, End: 24}}
	tests := []struct {
		limit int
		want  string
	}{
		{1000, "Talks on the *dock strike* resumed on Tuesday morning"},
		{30, "Talks on the *dock strike*…"},
		{20, "Talks on the *dock*…"},
		{5, "Talk…"},
	}
	for _, tt := range tests {
		got := render(text, spans, tt.limit, true)
		if got != tt.want {
			t.Errorf("limit %d: got %q, want %q", tt.limit, got, tt.want)
		}
		if n := utf8.RuneCountInString(got); n > tt.limit {
			t.Errorf("limit %d: %d characters", tt.limit, n)
		}
	}
}

func TestLinkTarget(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://news.example.org/a?b=1&c=2", "https://news.example.org/a?b=1&amp;c=2"},
		{"https://evil.example/a?b=1&c=<x>|y", "https://evil.example/a?b=1&amp;c=%3Cx%3E%7Cy"},
		{"javascript:alert(1)", ""},
		{"/relative", ""},
		{"https://example.org/" + strings.Repeat("a", 3000), ""},
	}
	for _, tt := range tests {
		if got := linkTarget(tt.in); got != tt.want {
			t.Errorf("linkTarget(%.60q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func newNotifier(t *testing.T, url string) *Notifier {
	t.Helper()
	n, err := New(url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFakeSlackAcceptsHostileBursts(t *testing.T) {
	fake := fakeslack.New(t)
	n := newNotifier(t, fake.URL)
	for i, alerts := range [][]alert.Alert{{alerttest.Hostile()}, hostileBurst(notify.MaxBurst), hostileBurst(40)} {
		if _, err := n.Send(context.Background(), notify.Message{Nonce: fmt.Sprint("h", i), Alerts: alerts}); err != nil {
			t.Fatalf("message %d: %v (fake refused: %v)", i, err, fake.Invalid())
		}
	}
	msgs := fake.Messages()
	if len(msgs) != 3 {
		t.Fatalf("%d messages, want 3", len(msgs))
	}
	for _, m := range msgs {
		for _, text := range m.Payload.Texts() {
			if seqs := fakeslack.ControlSequences(text); len(seqs) > 0 {
				t.Errorf("control sequences %q reached Slack", seqs)
			}
		}
	}
	last := msgs[2].Payload.Blocks
	if got := last[len(last)-1].Elements[0].Text; got != "_and 24 more_" {
		t.Errorf("last block of 40 alerts = %q, want _and 24 more_", got)
	}
}

// Each alert of a sequence reaches Slack once through failures, a lost
// answer (a repeat the fake recognises by the block ids) and a rate limit
// whose Retry-After is honoured.
func TestExactlyOnceThroughFaults(t *testing.T) {
	fake := fakeslack.New(t)
	fake.FailNext(
		fakeslack.Fault{Status: 500, Body: "rollup_error"},
		fakeslack.Fault{Status: 502, Accept: true},
	)
	n := newNotifier(t, fake.URL)
	alerts := alerttest.Sequence(5)
	rateLimited := false
	for i, a := range alerts {
		if i == 3 {
			fake.RateLimitNext(time.Second)
		}
		m := notify.Message{Nonce: fmt.Sprintf("outbox-%d", i+1), Alerts: []alert.Alert{a}}
		for attempt := 0; ; attempt++ {
			if attempt > 5 {
				t.Fatalf("alert %d: still failing after %d attempts", i, attempt)
			}
			_, err := n.Send(context.Background(), m)
			if err == nil {
				break
			}
			if errors.Is(err, notify.ErrGone) || errors.Is(err, notify.ErrRejected) {
				t.Fatalf("alert %d: %v, want a retryable error", i, err)
			}
			if re, ok := errors.AsType[*notify.RetryError](err); ok {
				rateLimited = true
				if re.After != time.Second {
					t.Errorf("RetryError.After = %v, want the fake's 1s", re.After)
				}
				time.Sleep(re.After)
			}
		}
	}
	if !rateLimited {
		t.Error("no RetryError for the 429")
	}
	requests, repeats, early := fake.Stats()
	msgs := fake.Messages()
	if len(msgs) != len(alerts) {
		t.Fatalf("%d unique messages, want %d", len(msgs), len(alerts))
	}
	for i, m := range msgs {
		if !strings.Contains(m.Payload.Blocks[0].Text.Text, alerts[i].Link) {
			t.Errorf("message %d does not link %s", i, alerts[i].Link)
		}
	}
	if repeats != 1 || early != 0 || requests != len(alerts)+3 {
		t.Errorf("requests %d, repeats %d, early %d; want %d, 1, 0", requests, repeats, early, len(alerts)+3)
	}
}

func TestAnswers(t *testing.T) {
	tests := []struct {
		status     int
		body       string
		retryAfter string
		want       string
		wantAfter  time.Duration
	}{
		{200, "ok", "", "ok", 0},
		{429, "rate_limited", "12", "retry after", 12 * time.Second},
		{429, "rate_limited", "", "retry after", defaultRateLimitWait},
		{400, "invalid_payload", "", "rejected", 0},
		{400, "invalid_blocks", "", "rejected", 0},
		{400, "no_text", "", "rejected", 0},
		{403, "invalid_token", "", "gone", 0},
		{403, "action_prohibited", "", "gone", 0},
		{404, "channel_not_found", "", "gone", 0},
		{404, "no_service", "", "gone", 0},
		{410, "channel_is_archived", "", "gone", 0},
		{400, "channel_not_found", "", "gone", 0},
		// a url that is no incoming webhook (a Slack-compatible server's
		// page) refuses every message alike
		{405, "", "", "gone", 0},
		{415, "", "", "gone", 0},
		{302, "", "", "gone", 0},
		{500, "rollup_error", "", "plain error", 0},
		{503, "", "", "plain error", 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d_%s", tt.status, tt.body), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				if tt.status == 302 {
					w.Header().Set("Location", "https://elsewhere.example/")
				}
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}))
			defer srv.Close()
			_, err := newNotifier(t, srv.URL+"/services/T1/B1/secrettoken").Send(context.Background(),
				notify.Message{Nonce: "n", Alerts: []alert.Alert{alerttest.Plain()}})
			got, after := alerttest.Classify(err)
			if got != tt.want || after != tt.wantAfter {
				t.Errorf("got %s %v (%v), want %s %v", got, after, err, tt.want, tt.wantAfter)
			}
			if err != nil && strings.Contains(err.Error(), "secrettoken") {
				t.Errorf("error %q shows the webhook's secret path", err)
			}
		})
	}
}

func TestSendHonoursContext(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := newNotifier(t, srv.URL).Send(ctx, notify.Message{Nonce: "n", Alerts: []alert.Alert{alerttest.Plain()}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send error = %v, want the context's deadline", err)
	}
}

// BenchmarkRenderHostileBurst measures the worst case the renderer sees:
// ten alerts of 10,000-character hostile text.
func BenchmarkRenderHostileBurst(b *testing.B) {
	alerts := hostileBurst(notify.MaxBurst)
	for b.Loop() {
		if _, err := json.Marshal(Render(alerts, "bench")); err != nil {
			b.Fatal(err)
		}
	}
}

// An item without a title (RSS allows one with a description alone), or
// whose title is only control characters, is posted: its notification
// text reads "(untitled)", as its section does, not "", which Slack
// refuses (no_text) so that the alert would be dropped.
func TestUntitledAlertIsPosted(t *testing.T) {
	tests := map[string]string{
		"no title":           "",
		"blank title":        " \t ",
		"control characters": "\u202E\x00\x07",
	}
	for name, title := range tests {
		t.Run(name, func(t *testing.T) {
			fake := fakeslack.New(t)
			a := alerttest.Plain()
			a.Title = title
			for _, alerts := range [][]alert.Alert{{a}, {a, alerttest.Plain()}} {
				if _, err := newNotifier(t, fake.URL).Send(context.Background(), notify.Message{Nonce: fmt.Sprint("u", len(alerts)), Alerts: alerts}); err != nil {
					t.Fatalf("%d alerts: got %v (fake refused: %q), want it posted", len(alerts), err, fake.Invalid())
				}
			}
			msgs := fake.Messages()
			if len(msgs) != 2 || !strings.HasPrefix(msgs[0].Payload.Text, "(untitled)") {
				t.Errorf("got %d messages, the first's text %q; want 2, starting (untitled)", len(msgs), msgs[0].Payload.Text)
			}
		})
	}
}
