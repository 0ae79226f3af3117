package email

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/internal/alerttest"
	"github.com/newshound/newshound/internal/fakesmtp"
)

// TestWrongTLSModeSaysWhichToSet: README's example sets smtp_port 587 and
// tls: starttls; a server on 465 (Gmail's, Fastmail's SMTPS) left at the
// default tls waits for a TLS hello while newshound waits for its
// greeting, and tls: implicit on 587 gets a greeting where it wants TLS.
// Either way every mail fails alike until tls: is set, so the error says
// which to set, and the second, which no wait can fix, pauses the
// destination as a server without the STARTTLS it is told to use does.
func TestWrongTLSModeSaysWhichToSet(t *testing.T) {
	tests := []struct {
		name   string
		server fakesmtp.Mode
		mode   string
		want   string // in the error
		kind   string // alerttest.Classify's
	}{
		{"starttls to a server speaking TLS first", fakesmtp.Implicit, StartTLS, "tls: implicit", "plain error"},
		{"implicit to a server greeting in clear", fakesmtp.StartTLS, ImplicitTLS, "tls: starttls", "gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakesmtp.New(t, fakesmtp.Options{Mode: tt.server})
			n, err := New(Config{Host: srv.Host, Port: srv.Port, TLS: tt.mode, From: "alerts@news.example.org",
				To: []string{"desk@example.org"}, TLSConfig: srv.ClientTLS(), Timeout: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			_, err = n.Send(context.Background(), notify.Message{Nonce: "n1", Alerts: []alert.Alert{alerttest.Plain()}})
			if kind, _ := alerttest.Classify(err); kind != tt.kind || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %s: %v; want %s, saying %q", kind, err, tt.kind, tt.want)
			}
		})
	}
}
