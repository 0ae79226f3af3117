package feeds

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckFeedURL(t *testing.T) {
	tests := []struct {
		name         string
		url          string
		allowPrivate bool
		allowFile    bool
		wantErr      string // a word the message must contain; "" for no error
	}{
		{"https", "https://news.example.org/rss.xml", false, false, ""},
		{"http with port", "http://news.example.org:8080/feed", false, false, ""},
		{"public literal", "http://203.0.114.7/feed", false, false, ""},
		{"file refused", "file:///etc/passwd", false, false, "file:"},
		{"file allowed", "file:///srv/feeds/world.xml", false, true, ""},
		{"gopher", "gopher://example.org/1/", false, false, `"gopher"`},
		{"ftp", "ftp://example.org/feed.xml", false, false, `"ftp"`},
		{"javascript", "javascript:alert(1)", false, false, `"javascript"`},
		{"no scheme", "news.example.org/rss", false, false, "no scheme"},
		{"no host", "https:///rss", false, false, "no host"},
		{"not a URL", "http://example.org/%zz", false, false, `not a valid URL (invalid URL escape "%zz")`},
		{"loopback", "http://127.0.0.1:8080/feed", false, false, "loopback"},
		{"loopback allowed", "http://127.0.0.1:8080/feed", true, false, ""},
		{"localhost", "http://localhost/feed", false, false, "loopback"},
		{"localhost subdomain", "http://feeds.localhost./feed", false, false, "loopback"},
		{"private", "http://192.168.1.10/feed", false, false, "private"},
		{"cloud metadata", "http://169.254.169.254/latest/meta-data/", false, false, "metadata"},
		{"ipv6 loopback", "http://[::1]/feed", false, false, "loopback"},
		{"ipv4-mapped loopback", "http://[::ffff:127.0.0.1]/feed", false, false, "loopback"},
		{"names are not resolved", "http://intranet.example/feed", false, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckFeedURL(tc.url, tc.allowPrivate, tc.allowFile)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got no error, want one mentioning %q", tc.wantErr)
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.Kind != Blocked {
				t.Errorf("got %v (%T), want an *Error of kind Blocked", err, err)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("got %q, want it to mention %q", err, tc.wantErr)
			}
			// A caller whose line names the URL takes the reason alone.
			var r *URLRefusal
			if !errors.As(err, &r) {
				t.Fatalf("got %v (%T), want it to wrap a *URLRefusal", err, err)
			}
			if r.URL != tc.url || !strings.Contains(r.Reason, tc.wantErr) || strings.Contains(r.Reason, tc.url) {
				t.Errorf("got URLRefusal{URL: %q, Reason: %q}, want URL %q and a reason mentioning %q but not the URL", r.URL, r.Reason, tc.url, tc.wantErr)
			}
		})
	}
}
