package bot

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/discord"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/bot/notify/slack"
	"github.com/newshound/newshound/bot/notify/webhook"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/fakediscord"
	"github.com/newshound/newshound/internal/fakeslack"
	"github.com/newshound/newshound/internal/fakewebhook"
)

// refusable is a destination on a fake receiver: its notifier, refuse,
// which makes its next post refused for good (the sender pauses it), and
// what it has taken and been asked.
type refusable struct {
	n        notify.Notifier
	refuse   func()
	taken    func() int
	requests func() int
}

// TestReloadTriesAPausedUncheckedDestinationAgain: a Discord destination
// paused by a refused delivery is checked at a reload and resumed when
// the check passes; a Slack or signed webhook destination has no check
// that does not post, and stayed paused until a restart. A reload lifts
// its pause, so its oldest alert is tried again: refused the same way, it
// is paused again without another ERROR line; taken, the pause's run is
// logged ended with its count.
func TestReloadTriesAPausedUncheckedDestinationAgain(t *testing.T) {
	for _, tt := range []struct {
		name string
		typ  string
		open func(t *testing.T) refusable
	}{
		{"slack, no_service", config.SlackWebhook, func(t *testing.T) refusable {
			srv := fakeslack.New(t)
			n, err := slack.New(srv.URL, slack.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return refusable{n: n,
				refuse:   func() { srv.FailNext(fakeslack.Fault{Status: http.StatusNotFound, Body: "no_service"}) },
				taken:    func() int { return len(srv.Messages()) },
				requests: func() int { r, _, _ := srv.Stats(); return r }}
		}},
		{"signed webhook, 410", config.Webhook, func(t *testing.T) refusable {
			rcv := fakewebhook.New(t, "s3cret")
			n, err := webhook.New(rcv.URL, "s3cret", webhook.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return refusable{n: n,
				refuse:   func() { rcv.FailNext(fakewebhook.Fault{Status: http.StatusGone}) },
				taken:    func() int { return len(rcv.Deliveries()) },
				requests: func() int { r, _ := rcv.Requests(); return r }}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			h.cfg.Destinations = []config.Destination{{Name: "desk", Type: tt.typ}}
			h.afterFirstSight(item(2, "Aleppo talks resume", h.clock))
			d := tt.open(t)
			st := h.sqlite(t)
			defer st.Close()
			logs := &logBuffer{}
			svc, err := New(ctx, testOptions(h.cfg, st, map[string]notify.Notifier{"desk": d.n}, slog.New(slog.NewTextHandler(logs, nil)), func() time.Time { return h.clock }))
			if err != nil {
				t.Fatal(err)
			}
			runOnce := func() {
				t.Helper()
				if _, err := svc.RunOnce(ctx); err != nil {
					t.Fatalf("RunOnce: %v", err)
				}
			}
			reload := func() {
				t.Helper()
				if err := svc.Reload(ctx, h.cfg); err != nil {
					t.Fatalf("Reload: %v", err)
				}
			}
			wantPaused := func(when string, want bool, requests int) {
				t.Helper()
				if _, paused := svc.sender.destinationPaused("desk"); paused != want || d.requests() != requests {
					t.Errorf("%s: paused %v after %d posts, want %v after %d", when, paused, d.requests(), want, requests)
				}
			}

			d.refuse()
			runOnce()
			wantPaused("refused", true, 1)
			runOnce()
			wantPaused("a pass without a reload", true, 1)
			d.refuse()
			reload()
			runOnce()
			wantPaused("refused again after a reload", true, 2)
			reload()
			runOnce()
			wantPaused("taken after the next reload", false, 3)
			if d.taken() != 1 {
				t.Errorf("alerts taken: %d, want 1", d.taken())
			}

			errs, ended := errorsAnd(logs, "pause ended")
			if len(errs) != 1 || !strings.Contains(errs[0], "destination paused") || !strings.Contains(errs[0], "destination=desk") {
				t.Errorf("got ERROR lines %q, want one: the first pause", errs)
			}
			if len(ended) != 1 || !strings.Contains(ended[0], "failures=2") {
				t.Errorf("got lines %q, want one saying the pause ended after 2 refusals", ended)
			}
		})
	}
}

// liftable is a service with one destination whose every post is
// refused for good (the sender pauses it), and lift, which lifts the
// pause as the operator would without fixing what refuses the posts.
type liftable struct {
	svc   *Service
	logs  *logBuffer
	lift  func()
	names string // what the pause's error names
}

// TestAPauseAfterALiftedOneIsLoggedAgain: a pause lifted by a check that
// passes (a reload's check of a webhook asks after the webhook, not the
// thread it posts into) or by a moderator (/watch resume) is logged as
// lifted; a post that finds the destination as refusing as before pauses
// it again, and that pause must be logged, or the log's last word is that
// the destination takes alerts again.
func TestAPauseAfterALiftedOneIsLoggedAgain(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		open func(t *testing.T) liftable
	}{
		{"webhook into a deleted thread, reloaded", func(t *testing.T) liftable {
			const hook, thread = "900000000000000031", "200000000000000031"
			dc := fakediscord.New(t)
			dc.AddThread(thread, watchChannel)
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			h.cfg.Destinations = []config.Destination{{Name: "desk", Type: config.DiscordWebhook, WebhookURL: dc.AddWebhook(hook, watchChannel), ThreadID: thread}}
			h.afterFirstSight(item(2, "Aleppo talks resume", h.clock))
			session, err := discord.NewSession("", dc.APIBase(), nil)
			if err != nil {
				t.Fatal(err)
			}
			n, err := discord.NewDestinationNotifier(session, h.cfg.Destinations[0], discord.NewLimiter(discord.LimiterConfig{}))
			if err != nil {
				t.Fatal(err)
			}
			st := h.sqlite(t)
			t.Cleanup(func() { st.Close() })
			logs := &logBuffer{}
			svc, err := New(ctx, testOptions(h.cfg, st, map[string]notify.Notifier{"desk": n}, slog.New(slog.NewTextHandler(logs, nil)), func() time.Time { return h.clock }))
			if err != nil {
				t.Fatal(err)
			}
			dc.DeleteThread(thread)
			return liftable{svc: svc, logs: logs, names: "thread " + thread, lift: func() {
				if err := svc.Reload(ctx, h.cfg); err != nil {
					t.Fatal(err)
				}
			}}
		}},
		{"watch's deleted channel, /watch resume", func(t *testing.T) liftable {
			o := newOneWatch(t, nil)
			if _, err := o.svc.RunOnce(ctx); err != nil { // first sight
				t.Fatal(err)
			}
			o.dc.DeleteChannel(watchChannel)
			o.feed.Publish(item(2, "Aleppo convoy reaches the city", o.clk.now()))
			o.clk.advance(time.Hour)
			return liftable{svc: o.svc, logs: o.logs, names: watchChannel, lift: func() {
				if err := o.w.SetPaused(ctx, watchGuild, o.id, false); err != nil {
					t.Fatal(err)
				}
			}}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.open(t)
			for range 2 {
				if _, err := d.svc.RunOnce(ctx); err != nil {
					t.Fatal(err)
				}
				d.lift()
			}
			if _, err := d.svc.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			var paused []string
			for line := range strings.Lines(d.logs.String()) {
				if strings.Contains(line, "level=ERROR msg=\"destination paused") {
					paused = append(paused, line)
				}
			}
			if len(paused) != 3 {
				t.Errorf("paused, lifted, twice, then paused again: got %d ERROR lines saying it was paused %q, want 3", len(paused), paused)
			}
			for _, line := range paused {
				if !strings.Contains(line, d.names) {
					t.Errorf("got %q, want the pause naming %s", line, d.names)
				}
			}
		})
	}
}
