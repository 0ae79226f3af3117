package webhook

import (
	"bytes"
	"cmp"
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

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/internal/alerttest"
	"github.com/newshound/newshound/internal/fakewebhook"
	"github.com/newshound/newshound/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the testdata golden files from the current output")

const secret = "test-secret-0123456789abcdef"

func TestRenderGolden(t *testing.T) {
	noDate := alerttest.Plain()
	noDate.Published, noDate.Matched = time.Time{}, nil
	tests := map[string][]alert.Alert{
		"plain":   {alerttest.Plain()},
		"hostile": {alerttest.Hostile()},
		"burst":   alerttest.Sequence(3),
		"no_date": {noDate},
	}
	for name, alerts := range tests {
		t.Run(name, func(t *testing.T) {
			body, err := Render(alerts)
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, body, "", "  "); err != nil {
				t.Fatalf("Render made invalid JSON: %v", err)
			}
			pretty.WriteByte('\n')
			golden.Check(t, filepath.Join("testdata", name+".golden.json"), pretty.Bytes(), *update)
		})
	}
}

func TestRenderDigestGolden(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	key := alert.DigestKey{Kind: alert.KindDigest, Subscription: "cfg:port-strikes",
		Since: time.Date(2026, 2, 28, 8, 0, 0, 0, cet), Until: time.Date(2026, 3, 1, 8, 0, 0, 0, cet)}
	tests := map[string]struct {
		alerts      []alert.Alert
		wantShown   int
		wantStories int // 0: one per alert
	}{
		"digest":         {alerttest.Sequence(3), 3, 0},
		"digest_hostile": {[]alert.Alert{alerttest.Hostile(), alerttest.Plain()}, 2, 0},
		// README: "100 reports in the webhook's body", written out.
		"digest_and_more": {alerttest.Sequence(107), 100, 0},
		// Every report is listed, with its story_id; "stories" counts
		// the stories.
		"digest_story_with_reports": {alerttest.ReportedStory(3), 5, 2},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			m := notify.Message{Nonce: "nh1d", Alerts: tt.alerts, Digest: notify.NewDigest(key, tt.alerts)}
			body, err := RenderMessage(m)
			if err != nil {
				t.Fatal(err)
			}
			var got Body
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("RenderMessage made invalid JSON: %v", err)
			}
			d := got.Digest
			stories := cmp.Or(tt.wantStories, len(tt.alerts))
			if d == nil || len(got.Alerts) != tt.wantShown || d.Stories != stories || d.More != len(tt.alerts)-tt.wantShown || d.Kind != alert.KindDigest {
				t.Fatalf("body lists %d alerts with digest %+v; want %d of %d alerts, %d stories", len(got.Alerts), d, tt.wantShown, len(tt.alerts), stories)
			}
			if name == "digest_and_more" {
				return // its alerts are the burst's, repeated; the counts are what matter
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, body, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			golden.Check(t, filepath.Join("testdata", name+".golden.json"), pretty.Bytes(), *update)
		})
	}
}

// Hostile text is data in the JSON: it comes back exactly as the feed gave
// it, and no byte of it can end the string or open markup.
func TestHostileTextRoundTrips(t *testing.T) {
	a := alerttest.Hostile()
	body, err := Render([]alert.Alert{a})
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{"<", ">", "&", "\u202E", "\r", "\n", "\x00"} {
		if bytes.Contains(body, []byte(raw)) {
			t.Errorf("body contains %q unescaped", raw)
		}
	}
	var got Body
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if it := got.Alerts[0]; it.Title != a.Title || it.Summary != a.Text || it.Link != a.Link {
		t.Errorf("hostile title, summary or link changed on the way through JSON")
	}
}

func newNotifier(t *testing.T, url, key string, now func() time.Time) *Notifier {
	t.Helper()
	n, err := New(url, key, Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestReceiverVerifiesSignature(t *testing.T) {
	recv := fakewebhook.New(t, secret)
	a := alerttest.Plain()
	_, err := newNotifier(t, recv.URL, secret, time.Now).Send(context.Background(), notify.Message{Nonce: "n1", Alerts: []alert.Alert{a}})
	if err != nil {
		t.Fatalf("Send: %v (receiver refused: %v)", err, recv.Refused())
	}
	got := recv.Deliveries()
	if len(got) != 1 || len(got[0].Alerts) != 1 {
		t.Fatalf("deliveries = %+v, want one with one alert", got)
	}
	d := got[0]
	if !strings.HasPrefix(d.Key, "n1.") || len(d.Key) != len("n1.")+16 {
		t.Errorf("Idempotency-Key = %q, want the nonce n1, a dot and 16 hex digits", d.Key)
	}
	it := d.Alerts[0]
	if it.Title != a.Title || it.Link != a.Link || it.Feed != a.Feed || it.Subscription != a.Subscription ||
		it.Summary != a.Text || strings.Join(it.Matched, ",") != "dock,strike" || it.StoryID != notify.StoryKey(a) ||
		it.Published == nil || !it.Published.Equal(a.Published) {
		t.Errorf("received %+v, does not match the alert %+v", it, a)
	}
}

func TestReceiverRefusesBadRequests(t *testing.T) {
	tests := []struct {
		name       string
		key        string
		skew       time.Duration
		wantReason string
	}{
		{"wrong secret", "another-secret-0123456789", 0, "bad signature"},
		{"stale timestamp", secret, 10 * time.Minute, "stale timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recv := fakewebhook.New(t, secret)
			clock := func() time.Time { return time.Now().Add(-tt.skew) }
			_, err := newNotifier(t, recv.URL, tt.key, clock).Send(context.Background(),
				notify.Message{Nonce: "n1", Alerts: []alert.Alert{alerttest.Plain()}})
			if !errors.Is(err, notify.ErrGone) {
				t.Errorf("Send error = %v, want ErrGone (a 401 needs the operator)", err)
			}
			if n := len(recv.Deliveries()); n != 0 {
				t.Errorf("%d deliveries accepted, want none", n)
			}
			if r := recv.Refused(); len(r) != 1 || !strings.Contains(r[0], tt.wantReason) {
				t.Errorf("refused = %q, want one for %q", r, tt.wantReason)
			}
		})
	}
}

// Each alert of a sequence arrives exactly once through failures before
// and after the receiver took it, and the retry waits are the receiver's.
func TestExactlyOnceThroughFaults(t *testing.T) {
	recv := fakewebhook.New(t, secret)
	recv.FailNext(
		fakewebhook.Fault{Status: 500},
		fakewebhook.Fault{Status: 502, Accept: true}, // taken, answer lost
		fakewebhook.Fault{Status: 429, RetryAfter: "7"},
		fakewebhook.Fault{Status: 503, RetryAfter: "2"},
		fakewebhook.Fault{Status: 503, Accept: true},
	)
	n := newNotifier(t, recv.URL, secret, time.Now)
	alerts := alerttest.Sequence(6)
	var waits []time.Duration
	failures := 0
	for i, a := range alerts {
		m := notify.Message{Nonce: fmt.Sprintf("outbox-%d", i+1), Alerts: []alert.Alert{a}}
		for attempt := 0; ; attempt++ {
			if attempt > 5 {
				t.Fatalf("alert %d: still failing after %d attempts", i, attempt)
			}
			_, err := n.Send(context.Background(), m)
			if err == nil {
				break
			}
			failures++
			if errors.Is(err, notify.ErrGone) || errors.Is(err, notify.ErrRejected) {
				t.Fatalf("alert %d: %v, want a retryable error", i, err)
			}
			if re, ok := errors.AsType[*notify.RetryError](err); ok {
				waits = append(waits, re.After)
			}
		}
	}
	if failures != 5 {
		t.Errorf("%d failed sends, want 5 (one per injected fault)", failures)
	}
	if want := []time.Duration{7 * time.Second, 2 * time.Second}; fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("retry waits = %v, want %v (the Retry-After values)", waits, want)
	}
	got := recv.Deliveries()
	if len(got) != len(alerts) {
		t.Fatalf("%d unique deliveries, want %d", len(got), len(alerts))
	}
	for i, d := range got {
		if d.Alerts[0].Link != alerts[i].Link {
			t.Errorf("delivery %d is %s, want %s", i, d.Alerts[0].Link, alerts[i].Link)
		}
	}
	if _, repeats := recv.Requests(); repeats != 2 {
		t.Errorf("%d repeats dropped by the receiver, want 2 (after the two lost answers)", repeats)
	}
}

func TestStatusMeaning(t *testing.T) {
	type kind string
	const (
		ok       kind = "ok"
		retry    kind = "retry after"
		gone     kind = "gone"
		rejected kind = "rejected"
		plain    kind = "plain error"
	)
	tests := []struct {
		status     int
		retryAfter string
		want       kind
		wantAfter  time.Duration
	}{
		{200, "", ok, 0},
		{202, "", ok, 0},
		{204, "", ok, 0},
		{429, "30", retry, 30 * time.Second},
		{429, "", retry, defaultRateLimitWait},
		{429, "0", retry, 0},
		{503, "5", retry, 5 * time.Second},
		{503, "", plain, 0},
		{500, "", plain, 0},
		{502, "", plain, 0},
		{408, "", plain, 0},
		{410, "", gone, 0},
		{404, "", gone, 0},
		{401, "", gone, 0},
		{403, "", gone, 0},
		{301, "", gone, 0},
		// A refusal of the endpoint rather than of the alert would refuse
		// every alert alike: wrong method, media type, proxy or protocol.
		{405, "", gone, 0},
		{407, "", gone, 0},
		{415, "", gone, 0},
		{426, "", gone, 0},
		{400, "", rejected, 0},
		{413, "", rejected, 0},
		{422, "", rejected, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d_%s", tt.status, tt.retryAfter), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				if tt.status == 301 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			_, err := newNotifier(t, srv.URL+"/hook/secret-token", secret, time.Now).Send(context.Background(),
				notify.Message{Nonce: "n", Alerts: []alert.Alert{alerttest.Plain()}})
			got, after := alerttest.Classify(err)
			if got != string(tt.want) || after != tt.wantAfter {
				t.Errorf("HTTP %d: got %s %v (%v), want %s %v", tt.status, got, after, err, tt.want, tt.wantAfter)
			}
			if err != nil && strings.Contains(err.Error(), "secret-token") {
				t.Errorf("error %q shows the URL's path", err)
			}
		})
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	target := fakewebhook.New(t, secret)
	srv := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	defer srv.Close()
	_, err := newNotifier(t, srv.URL, secret, time.Now).Send(context.Background(),
		notify.Message{Nonce: "n", Alerts: []alert.Alert{alerttest.Plain()}})
	if !errors.Is(err, notify.ErrGone) {
		t.Errorf("Send error = %v, want ErrGone", err)
	}
	if req, _ := target.Requests(); req != 0 {
		t.Errorf("the redirect target got %d requests, want 0", req)
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
	start := time.Now()
	_, err := newNotifier(t, srv.URL, secret, time.Now).Send(ctx, notify.Message{Nonce: "n", Alerts: []alert.Alert{alerttest.Plain()}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send error = %v, want the context's deadline", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send took %v after the context ended", d)
	}
}

func TestNewRefusesBadSettings(t *testing.T) {
	for name, tt := range map[string]struct{ url, secret string }{
		"no scheme":    {"example.org/hook", secret},
		"ftp":          {"ftp://example.org/hook", secret},
		"empty secret": {"https://example.org/hook", ""},
	} {
		if _, err := New(tt.url, tt.secret, Options{}); err == nil {
			t.Errorf("%s: New(%q, %q) succeeded, want an error", name, tt.url, tt.secret)
		}
	}
}

// BenchmarkRenderHostileBurst measures the body of ten alerts of
// 10,000-character hostile text.
func BenchmarkRenderHostileBurst(b *testing.B) {
	alerts := make([]alert.Alert, notify.MaxBurst)
	for i := range alerts {
		alerts[i] = alerttest.Hostile()
	}
	for b.Loop() {
		if _, err := Render(alerts); err != nil {
			b.Fatal(err)
		}
	}
}

// A delivery fits in a receiver's usual limit (nginx's 1 MiB): a digest of
// a busy query, each alert with an article's text, or a burst holding one
// hostile item of megabytes, is delivered with its longest titles and
// summaries cut ("…"), not refused with 413 and dropped whole. Short text
// stays as the feed gave it.
func TestBodyFitsAReceiversLimit(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	key := alert.DigestKey{Kind: alert.KindDigest, Subscription: "cfg:port-strikes",
		Since: time.Date(2026, 2, 28, 8, 0, 0, 0, cet), Until: time.Date(2026, 3, 1, 8, 0, 0, 0, cet)}
	article := func(a alert.Alert) alert.Alert {
		a.Text = strings.Repeat("Dockers at the port voted on Tuesday to stay out. ", 400) // 20,000 characters
		return a
	}
	huge := alerttest.Hostile()
	huge.Title = strings.Repeat("\u202Eévil <b>", 80_000) // 720 kB of title
	huge.Text = strings.Repeat("x", 1<<20)
	longLink := alerttest.Sequence(3)[2]
	longLink.Link = "https://evil.example/track?u=" + strings.Repeat("a", 3<<19) // 1.5 MB, past MaxBodyBytes
	tests := map[string]struct {
		alerts []alert.Alert
		digest bool
		intact bool // alerttest.Plain()'s text must arrive as given
	}{
		"digest of articles": {alerts: mapAlerts(alerttest.Sequence(MaxDigestAlerts), article), digest: true},
		"burst with a hostile item": {
			alerts: []alert.Alert{alerttest.Plain(), huge, article(alerttest.Sequence(2)[1])}, intact: true},
		// the link that cannot fit is left out; the others stay
		"burst with a link of megabytes": {
			alerts: []alert.Alert{alerttest.Plain(), longLink, article(alerttest.Sequence(2)[1])}, intact: true},
		"digest with a link of megabytes": {
			alerts: []alert.Alert{alerttest.Plain(), longLink}, digest: true, intact: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			recv := fakewebhook.New(t, secret)
			m := notify.Message{Nonce: "nh7x3", Alerts: tt.alerts}
			if tt.digest {
				m.Digest = notify.NewDigest(key, tt.alerts)
			}
			if _, err := newNotifier(t, recv.URL, secret, time.Now).Send(context.Background(), m); err != nil {
				t.Fatalf("Send: got %v (receiver refused: %q), want it delivered", err, recv.Refused())
			}
			got := recv.Deliveries()
			if len(got) != 1 || len(got[0].Alerts) != len(tt.alerts) {
				t.Fatalf("got %d deliveries, want 1 of %d alerts", len(got), len(tt.alerts))
			}
			if n := len(got[0].Raw); n > fakewebhook.MaxBody {
				t.Errorf("body of %d bytes, want at most %d", n, fakewebhook.MaxBody)
			}
			for i, it := range got[0].Alerts {
				a := tt.alerts[i]
				wantLink := a.Link
				if len(a.Link) > MaxBodyBytes {
					wantLink = ""
				}
				if it.Link != wantLink {
					t.Errorf("alert %d: link of %d bytes %.60q…, want %.60q…", i, len(it.Link), it.Link, wantLink)
				}
				if tt.intact && a.Title == alerttest.Plain().Title && (it.Title != a.Title || it.Summary != a.Text) {
					t.Errorf("alert %d: short text changed: got %q, want %q", i, it.Summary, a.Text)
				}
				if it.Summary != a.Text && (!strings.HasSuffix(it.Summary, "…") || !strings.HasPrefix(a.Text, strings.TrimSuffix(it.Summary, "…"))) {
					t.Errorf("alert %d: summary %.60q… is not the feed's cut with …", i, it.Summary)
				}
				if it.Title != a.Title && (!strings.HasSuffix(it.Title, "…") || !strings.HasPrefix(a.Title, strings.TrimSuffix(it.Title, "…"))) {
					t.Errorf("alert %d: title %.60q… is not the feed's cut with …", i, it.Title)
				}
				if len(it.Summary) < 1000 && len(a.Text) >= 1000 {
					t.Errorf("alert %d: summary cut to %d bytes, want the room shared out (at least 1000)", i, len(it.Summary))
				}
			}
			if stories := string(got[0].Digest["stories"]); tt.digest && stories != fmt.Sprint(len(tt.alerts)) {
				t.Errorf("digest object counts %q stories, want %d", stories, len(tt.alerts))
			}
		})
	}
}

func mapAlerts(alerts []alert.Alert, f func(alert.Alert) alert.Alert) []alert.Alert {
	for i := range alerts {
		alerts[i] = f(alerts[i])
	}
	return alerts
}

// Outbox ids, and so nonces, start again at 1 in a new database (a fresh
// install, a move to PostgreSQL) and are the same in two installations
// posting to one receiver. A receiver that drops a key it has seen, as
// the README tells it to, must not drop other alerts under an old nonce:
// the Idempotency-Key names the alerts as well as the nonce.
func TestReusedNonceIsANewDelivery(t *testing.T) {
	recv := fakewebhook.New(t, secret)
	seq := alerttest.Sequence(2)
	send := func(a alert.Alert) {
		t.Helper()
		n := newNotifier(t, recv.URL, secret, time.Now) // another database's
		if _, err := n.Send(context.Background(), notify.Message{Nonce: "nh1x1", Alerts: []alert.Alert{a}}); err != nil {
			t.Fatal(err)
		}
	}
	send(seq[0])
	send(seq[1])
	send(seq[1]) // a retry
	_, repeats := recv.Requests()
	if got := recv.Deliveries(); len(got) != 2 || repeats != 1 {
		t.Errorf("got %d deliveries and %d repeats, want 2 deliveries (one per install) and 1 repeat (the retry)", len(got), repeats)
	}
}

// A webhook URL's path and query may hold its token (README: "Any other
// service"); an error that never got an HTTP answer must not show them
// either, since the sender logs it.
func TestTransportErrorHidesTheURLsPath(t *testing.T) {
	tests := []struct {
		name   string
		server func(t *testing.T) string // the endpoint's scheme and host
	}{
		{"connection refused", func(t *testing.T) string {
			srv := httptest.NewServer(http.NotFoundHandler())
			srv.Close()
			return srv.URL
		}},
		{"connection dropped before an answer", func(t *testing.T) string {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
			}))
			t.Cleanup(srv.Close)
			return srv.URL
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			endpoint := tt.server(t) + "/hook/secret-token?key=secret-key"
			_, err := newNotifier(t, endpoint, secret, time.Now).Send(context.Background(),
				notify.Message{Nonce: "n", Alerts: []alert.Alert{alerttest.Plain()}})
			if err == nil {
				t.Fatal("Send succeeded, want a transport error")
			}
			for _, s := range []string{"secret-token", "secret-key"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q shows %q from the URL, want it left out", err, s)
				}
			}
		})
	}
}

// The start of a refusing answer's body is quoted in the error the
// sender logs. It was cut at its 200th byte, which in a body of other
// scripts falls inside a character: the log showed "\xd0" for its end.
func TestErrorQuotesTheAnswerWholeCharacters(t *testing.T) {
	tests := []struct {
		name   string
		answer string
		want   string // the quote's end, with its closing quote and parenthesis
	}{
		{"ascii", strings.Repeat("invalid payload ", 20), `payload invalid …")`},
		{"cyrillic, cut inside a letter", strings.Repeat("Ошибка ", 20), `Ошибка Ош…")`},
		{"short", "недопустимо", `"недопустимо")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusUnprocessableEntity)
				fmt.Fprint(w, tt.answer)
			}))
			defer srv.Close()
			_, err := newNotifier(t, srv.URL+"/hook", secret, time.Now).Send(context.Background(),
				notify.Message{Nonce: "n", Alerts: []alert.Alert{alerttest.Plain()}})
			if err == nil {
				t.Fatal("a 422 sent without error")
			}
			if got := err.Error(); strings.Contains(got, `\x`) || !strings.Contains(got, tt.want) {
				t.Errorf("error %q, want the answer quoted in whole characters, ending %q", got, tt.want)
			}
		})
	}
}
