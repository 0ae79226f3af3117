package bot

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/bot/notify/email"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/fakesmtp"
)

// TestEmailDestinationIsCheckedAndResumedAtAReload: README's "Email" had
// a paused email destination stay paused until a restart, a reload
// having nothing to check a mail server with, and run --once said nothing
// of a to: the server refuses until a mail was refused. The service now
// checks it as a Discord destination: run --once logs what is wrong, a
// reload while it still is leaves it paused without a mail tried, and a
// reload once it is fixed lifts the pause, the alert going out.
func TestEmailDestinationIsCheckedAndResumedAtAReload(t *testing.T) {
	const desk = "desk@example.org"
	ctx := context.Background()
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	h.cfg.Destinations = []config.Destination{{Name: "desk", Type: config.Email}}
	h.afterFirstSight(item(2, "Aleppo talks resume", h.clock))
	srv := fakesmtp.New(t, fakesmtp.Options{})
	srv.Refuse(desk, 550)
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	n, err := email.New(email.Config{Host: srv.Host, Port: srv.Port, TLS: email.NoTLS, From: "alerts@news.example.org", To: []string{desk},
		Timeout: 5 * time.Second, Logger: log.With("destination", "desk")})
	if err != nil {
		t.Fatal(err)
	}
	st := h.sqlite(t)
	defer st.Close()
	svc, err := New(ctx, testOptions(h.cfg, st, map[string]notify.Notifier{"desk": n}, log, func() time.Time { return h.clock }))
	if err != nil {
		t.Fatal(err)
	}
	lines := func(what string) int {
		count := 0
		for line := range strings.Lines(logs.String()) {
			if strings.Contains(line, what) && strings.Contains(line, "destination=desk") {
				count++
			}
		}
		return count
	}
	wantPaused := func(when string, want bool) {
		t.Helper()
		if _, paused := svc.sender.destinationPaused("desk"); paused != want {
			t.Errorf("%s: paused %v, want %v", when, paused, want)
		}
	}
	mailTries := func() int {
		tries := 0
		for _, cmds := range srv.Commands() {
			// a check's session ends so, where a mail's has DATA before
			// QUIT, or, refused, ends without QUIT
			if !slices.Equal(cmds[max(0, len(cmds)-2):], []string{"RSET", "QUIT"}) {
				tries++
			}
		}
		return tries
	}

	if _, err := svc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	wantPaused("run --once, every recipient refused", true)
	// run --once leaves the check to its mail: a cron job's every run
	// would log in otherwise.
	if got, sessions := lines("destination cannot take alerts"), len(srv.Commands()); got != 0 || sessions != 1 || mailTries() != 1 {
		t.Errorf("run --once: %d lines of a check, %d sessions (%d mails); want no check, one session: the mail's", got, sessions, mailTries())
	}
	tries := mailTries()
	if err := svc.Reload(ctx, h.cfg); err != nil {
		t.Fatal(err)
	}
	if got := lines("destination cannot take alerts"); got != 1 || !strings.Contains(logs.String(), "RCPT TO "+desk+": 550") {
		t.Errorf("reloaded: %d lines of the check saying what is wrong, want 1 naming the refused RCPT; logs:\n%s", got, logs)
	}
	if _, err := svc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	wantPaused("reloaded, still refused", true)
	if got := mailTries(); got != tries {
		t.Errorf("reloaded, still refused: %d mails tried, want %d: the reload checks it, and tries no mail", got, tries)
	}

	srv.Refuse(desk, 0)
	if err := svc.Reload(ctx, h.cfg); err != nil {
		t.Fatal(err)
	}
	wantPaused("reloaded, fixed", false)
	if lines("pause lifted") != 1 {
		t.Errorf("reloaded, fixed: want one line saying the pause was lifted; logs:\n%s", logs)
	}
	if _, err := svc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if mails := srv.Mails(); len(mails) != 1 || !slices.Equal(mails[0].To, []string{desk}) {
		t.Errorf("after the fix: %d mails, want the alert to %s", len(mails), desk)
	}
}
