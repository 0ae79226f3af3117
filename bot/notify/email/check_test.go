package email

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/internal/fakesmtp"
)

// TestCheckHoldsTheEnvelopeAndSendsNoMail: a paused email destination had
// nothing to check it with, so it stayed paused until a restart. Check
// holds a mail's conversation up to its envelope, never DATA, and says
// what a send would find wrong in the send's words (ErrCannotPost), what
// a send goes on past as a warning, and what it cannot tell as a plain
// error.
func TestCheckHoldsTheEnvelopeAndSendsNoMail(t *testing.T) {
	const desk, night = "desk@example.org", "night@example.org"
	closed := func(t *testing.T) (string, int) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().(*net.TCPAddr)
		ln.Close()
		return addr.IP.String(), addr.Port
	}
	tests := []struct {
		name        string
		server      fakesmtp.Options
		mode        string
		user        string
		fault       func(srv *fakesmtp.Server)
		wait        time.Duration // the check's timeout, if not 2 s: what a server that never greets costs
		kind        string        // "ok", "cannot post" or "unknown"
		says        string        // in the error, or in a warning when kind is ok
		unreachable bool          // the check dials a port nothing listens on
	}{
		{"fine, starttls and a login", fakesmtp.Options{Mode: fakesmtp.StartTLS, Username: "alerts", Password: "pw"}, StartTLS, "alerts", nil, 0, "ok", "", false},
		{"fine, implicit TLS", fakesmtp.Options{Mode: fakesmtp.Implicit}, ImplicitTLS, "", nil, 0, "ok", "", false},
		{"login refused", fakesmtp.Options{Mode: fakesmtp.StartTLS, Username: "alerts", Password: "pw"}, StartTLS, "alerts",
			func(srv *fakesmtp.Server) { srv.FailNext(fakesmtp.Fault{Command: "AUTH", Code: 535}) }, 0, "cannot post", "AUTH as alerts: 535", false},
		{"tls: implicit on a server greeting in clear", fakesmtp.Options{Mode: fakesmtp.StartTLS}, ImplicitTLS, "", nil, 0, "cannot post", "set tls: starttls", false},
		{"tls: starttls on a server speaking TLS first", fakesmtp.Options{Mode: fakesmtp.Implicit}, StartTLS, "", nil, 300 * time.Millisecond, "cannot post", "set tls: implicit", false},
		{"no STARTTLS offered", fakesmtp.Options{Mode: fakesmtp.Plain}, StartTLS, "", nil, 0, "cannot post", "offers no STARTTLS", false},
		{"sender refused", fakesmtp.Options{}, NoTLS, "",
			func(srv *fakesmtp.Server) { srv.FailNext(fakesmtp.Fault{Command: "MAIL", Code: 553}) }, 0, "cannot post", "MAIL FROM alerts@news.example.org: 553", false},
		{"every recipient refused for good", fakesmtp.Options{}, NoTLS, "",
			func(srv *fakesmtp.Server) { srv.Refuse(desk, 550); srv.Refuse(night, 550) }, 0, "cannot post", "every recipient refused: desk@example.org, night@example.org", false},
		{"one recipient refused for good", fakesmtp.Options{}, NoTLS, "",
			func(srv *fakesmtp.Server) { srv.Refuse(night, 550) }, 0, "ok", "recipient refused for good", false},
		{"every recipient greylisted", fakesmtp.Options{}, NoTLS, "",
			func(srv *fakesmtp.Server) { srv.Refuse(desk, 451); srv.Refuse(night, 451) }, 0, "ok", "try again later", false},
		{"every mailbox full, 550 5.2.2", fakesmtp.Options{}, NoTLS, "",
			func(srv *fakesmtp.Server) {
				srv.RefuseWith(desk, 550, "5.2.2 mailbox full")
				srv.RefuseWith(night, 550, "5.2.2 mailbox full")
			}, 0, "ok", "try again later", false},
		{"a login refused for now", fakesmtp.Options{Mode: fakesmtp.StartTLS, Username: "alerts", Password: "pw"}, StartTLS, "alerts",
			func(srv *fakesmtp.Server) { srv.FailNext(fakesmtp.Fault{Command: "AUTH", Code: 454}) }, 0, "unknown", "454", false},
		{"server unreachable", fakesmtp.Options{}, NoTLS, "", nil, 0, "cannot post", "connection refused", true},
		{"two transactions: the server takes one recipient per mail", fakesmtp.Options{MaxRecipients: 1}, NoTLS, "", nil, 0, "ok", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakesmtp.New(t, tt.server)
			host, port := srv.Host, srv.Port
			if tt.unreachable {
				host, port = closed(t)
			}
			if tt.fault != nil {
				tt.fault(srv)
			}
			var logs bytes.Buffer
			wait := cmp.Or(tt.wait, 2*time.Second)
			n, err := New(Config{Host: host, Port: port, TLS: tt.mode, Username: tt.user, Password: "pw",
				From: "Newshound <alerts@news.example.org>", To: []string{desk, night},
				TLSConfig: srv.ClientTLS(), Timeout: wait, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			err = n.Check(context.Background())
			kind := "ok"
			switch {
			case errors.Is(err, notify.ErrCannotPost):
				kind = "cannot post"
			case err != nil:
				kind = "unknown"
			}
			said := logs.String()
			if err != nil {
				said = err.Error()
			}
			if kind != tt.kind || !strings.Contains(said, tt.says) || strings.Contains(said, notify.ErrGone.Error()) {
				t.Errorf("check: got %s (%v; logged %q), want %s saying %q", kind, err, logs.String(), tt.kind, tt.says)
			}
			if tt.says == "" && logs.Len() > 0 {
				t.Errorf("check of a fine destination logged %q", logs.String())
			}
			for i, cmds := range srv.Commands() {
				if slices.Contains(cmds, "DATA") {
					t.Errorf("session %d sent DATA: %q", i, cmds)
				}
				if tt.kind == "ok" && !slices.Contains(cmds, "RSET") || tt.kind == "ok" && cmds[len(cmds)-1] != "QUIT" {
					t.Errorf("session %d: %q, want RSET and QUIT at its end", i, cmds)
				}
			}
			if mails := srv.Mails(); len(mails) != 0 {
				t.Errorf("a check sent %d mails", len(mails))
			}
		})
	}
}

// TestCheckOfASilentServerEndsWithinItsBound: the service waits for the
// checks before run --once delivers and before a reload ends, and a check
// of a server that takes the connection and never greets (a black hole, a
// firewall that drops what follows the handshake) waited a send's whole
// Config.Timeout, 2 minutes unless set: every other destination's alerts
// waited with it. A check ends within checkWait (30 s), is a failure to
// post saying the server sent no greeting, and leaves no connection open.
func TestCheckOfASilentServerEndsWithinItsBound(t *testing.T) {
	port, hangUp, closed := silentServer(t)
	n, err := New(Config{Host: "127.0.0.1", Port: port, TLS: NoTLS,
		From: "alerts@news.example.org", To: []string{"desk@example.org"}, Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	n.checkWait = 100 * time.Millisecond
	done := make(chan error, 1)
	go func() { done <- n.Check(context.Background()) }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		hangUp()
		<-done
		t.Fatalf("check of a silent server still waiting after 30s: bounded by Config.Timeout (%s), want checkWait (%s)", n.cfg.Timeout, n.checkWait)
	}
	if !errors.Is(err, notify.ErrCannotPost) || !strings.Contains(fmt.Sprint(err), "sent no greeting") {
		t.Errorf("check: got %v, want a failure to post saying the server sent no greeting", err)
	}
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Error("the check's connection is still open")
	}
}
