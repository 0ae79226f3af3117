package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestNewDestinationTypes(t *testing.T) {
	env := func(name string) (string, bool) {
		v, ok := map[string]string{"SMTP_PASSWORD": "s3cret", "HOOK_SECRET": "0123456789abcdef"}[name]
		return v, ok
	}
	c := mustParse(t, `
destinations:
  - name: slack
    type: slack-webhook
    webhook_url: https://hooks.slack.com/services/T000/B000/XXXX
  - name: mail
    type: email
    smtp_host: smtp.example.org
    tls: implicit
    username: news
    password: ${SMTP_PASSWORD}
    from: "Newshound <news@example.org>"
    to: [desk@example.org, "Night Desk <night@example.org>"]
  - name: relay
    type: email
    smtp_host: localhost
    tls: none
    smtp_port: 2525
    from: news@example.org
    to: desk@example.org
  - name: mail-default-tls
    type: email
    smtp_host: smtp.example.org
    from: news@example.org
    to: desk@example.org
  - name: hook
    type: webhook
    url: https://n8n.example.org/webhook/news
    secret: ${HOOK_SECRET}
subscriptions:
  - {name: s, query: x, destination: slack}
`, env)
	want := []Destination{
		{Name: "slack", Type: SlackWebhook, WebhookURL: "https://hooks.slack.com/services/T000/B000/XXXX", Line: 3},
		{Name: "mail", Type: Email, Line: 6, SMTP: SMTP{
			Host: "smtp.example.org", Port: 465, TLS: ImplicitTLS, Username: "news", Password: "s3cret",
			From: `"Newshound" <news@example.org>`, To: []string{"<desk@example.org>", `"Night Desk" <night@example.org>`},
		}},
		{Name: "relay", Type: Email, Line: 14, SMTP: SMTP{
			Host: "localhost", Port: 2525, TLS: NoTLS, From: "<news@example.org>", To: []string{"<desk@example.org>"},
		}},
		{Name: "mail-default-tls", Type: Email, Line: 21, SMTP: SMTP{
			Host: "smtp.example.org", Port: 587, TLS: StartTLS, From: "<news@example.org>", To: []string{"<desk@example.org>"},
		}},
		{Name: "hook", Type: Webhook, URL: "https://n8n.example.org/webhook/news", Secret: "0123456789abcdef", Line: 26},
	}
	if !reflect.DeepEqual(c.Destinations, want) {
		t.Errorf("Destinations:\n got %+v\nwant %+v", c.Destinations, want)
	}
}

func TestDefaultSMTPPort(t *testing.T) {
	for mode, want := range map[string]int{StartTLS: 587, ImplicitTLS: 465, NoTLS: 25} {
		if got := DefaultSMTPPort(mode); got != want {
			t.Errorf("DefaultSMTPPort(%q) = %d, want %d", mode, got, want)
		}
	}
}

// TestSMTPPortAgainstTLS: a tls: that cannot match its port by convention
// fails every mail: port 465 speaks TLS from the first byte, so with
// STARTTLS (the default) or no TLS newshound waits for a greeting the
// server never sends, and every mail times out minutes later; 587 and 25
// greet in clear, so tls: implicit fails its handshake and pauses the
// destination at its first mail. The config loads (a server on an odd
// port may do otherwise), with a warning at the port naming the fix.
func TestSMTPPortAgainstTLS(t *testing.T) {
	tests := []struct {
		name, port, tls, want string
	}{
		{"465, default tls", "465", "", `newshound.yaml:7:16: warning: smtp_port: 465 is SMTPS, TLS from the first byte; add tls: implicit (tls is starttls)`},
		{"465, tls none", "465", "    tls: none\n", `newshound.yaml:7:16: warning: smtp_port: 465 is SMTPS, TLS from the first byte; add tls: implicit (tls is none)`},
		{"465, tls implicit", "465", "    tls: implicit\n", ""},
		{"587, tls implicit", "587", "    tls: implicit\n", `newshound.yaml:7:16: warning: smtp_port: 587 greets in clear, not TLS from the first byte; set tls: starttls (tls is implicit: each mail's handshake fails, and the destination is paused)`},
		{"25, tls implicit", "25", "    tls: implicit\n", `newshound.yaml:7:16: warning: smtp_port: 25 greets in clear, not TLS from the first byte; set tls: starttls (tls is implicit: each mail's handshake fails, and the destination is paused)`},
		{"587, default tls", "587", "", ""},
		{"25, tls none", "25", "    tls: none\n", ""},
		{"an odd port, tls implicit", "2465", "    tls: implicit\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, `
destinations:
  - name: mail
    type: email
    smtp_host: smtp.example.org
    from: news@example.org
    smtp_port: `+tt.port+`
    to: desk@example.org
`+tt.tls+`subscriptions:
  - {name: s, query: x, destination: mail}
`, noEnv)
			got := ""
			if len(c.Warnings) > 0 {
				got = c.Warnings.Error()
			}
			if !strings.HasSuffix(got, tt.want) || (tt.want == "") != (got == "") {
				t.Errorf("warnings %q, want one ending %q", got, tt.want)
			}
		})
	}
}

// TestRefusedWebhookURLHidesItsSecret: a Slack webhook URL is a secret (its
// path), and so may be a signed webhook's query; a refused one is named in
// the error, which check prints and the service logs, without it. A URL
// with no scheme (pasted without https://) or one that does not parse
// was shown whole, and one whose path is "/" with its query.
func TestRefusedWebhookURLHidesItsSecret(t *testing.T) {
	const secret = "s3cr3tXYZ"
	tests := []struct {
		name, dest, want string
	}{
		{"slack, no scheme", "{name: d, type: slack-webhook, webhook_url: \"hooks.slack.com/services/T000/B000/" + secret + "\"}",
			`webhook_url "hooks.slack.com/…": expected an http(s) URL`},
		{"slack, does not parse", "{name: d, type: slack-webhook, webhook_url: \"https://hooks.slack.com/services/T000/B000/" + secret + "%zz\"}",
			`webhook_url "https://hooks.slack.com/…": not a URL`},
		{"slack, another scheme", "{name: d, type: slack-webhook, webhook_url: \"ftp://hooks.slack.com/services/T000/B000/" + secret + "\"}",
			`webhook_url "ftp://hooks.slack.com/…": expected an http(s) URL`},
		{"webhook, a query on the root", "{name: d, type: webhook, url: \"ftp://example.org/?token=" + secret + "\", secret: 0123456789abcdef}",
			`url "ftp://example.org/…": expected an http(s) URL`},
		{"webhook, no scheme", "{name: d, type: webhook, url: \"example.org?token=" + secret + "\", secret: 0123456789abcdef}",
			`url "example.org…": expected an http(s) URL`},
		// A password with a "/", "?" or "#" in it makes the URL one that
		// does not parse: where its host begins cannot be told.
		{"webhook, a slash in the password", "{name: d, type: webhook, url: \"https://user:" + secret + "/1@example.org/hook\", secret: 0123456789abcdef}",
			`url "https://…": not a URL`},
		{"webhook, a hash in the password", "{name: d, type: webhook, url: \"https://user:" + secret + "#1@example.org/hook\", secret: 0123456789abcdef}",
			`url "https://…": not a URL`},
		{"slack, backslashes", "{name: d, type: slack-webhook, webhook_url: 'https://hooks.slack.com\\services\\T000\\B000\\" + secret + "'}",
			`webhook_url "https://hooks.slack.com…": not a URL`},
		{"slack, a bare token", "{name: d, type: slack-webhook, webhook_url: \"xoxb-1-2-" + secret + "\"}",
			`webhook_url "…": expected an http(s) URL`},
		{"webhook, a password of digits and a slash", "{name: d, type: webhook, url: \"ftp://user:123/" + secret + "@example.org/hook\", secret: 0123456789abcdef}",
			`url "ftp://…": expected an http(s) URL`},
		{"slack, a question mark in the password, no scheme", "{name: d, type: slack-webhook, webhook_url: \"user:" + secret + "?1@hooks.slack.com/services/T000\"}",
			`webhook_url "…": expected an http(s) URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("d.yaml", []byte("destinations:\n  - "+tt.dest+"\n"), noEnv)
			if err == nil {
				t.Fatal("Parse: no error, want the URL refused")
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error shows the secret: %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to say %q", err, tt.want)
			}
		})
	}
}
