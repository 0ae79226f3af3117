package bot

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/discord"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/bot/notify/webhook"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/fakediscord"
	"github.com/newshound/newshound/internal/fakewebhook"
)

// TestADestinationRefusingEveryAlertIsLoggedOnce: README's "Quiet when
// healthy, loud when not" logs a failing destination once, with a count,
// and "No loss" has each alert a destination refuses dropped, logged and
// counted. A destination that refuses every alert (a format template that
// makes every embed invalid, a receiver that refuses the body) is one
// failure: its first drop is logged at ERROR with the reason, the next
// ones are counted (the metrics have each), and the destination's next
// delivery says how many were dropped.
func TestADestinationRefusingEveryAlertIsLoggedOnce(t *testing.T) {
	const refused = 20
	tests := []struct {
		name string
		dest config.Destination
		// refuse makes the destination answer 400 to the next n posts and
		// returns its notifier.
		refuse func(t *testing.T, n int) notify.Notifier
		reason string // in the ERROR line
	}{
		{"Discord channel, Invalid Form Body", config.Destination{Name: "desk", Type: config.DiscordChannel, ChannelID: watchChannel},
			func(t *testing.T, n int) notify.Notifier {
				dc := fakediscord.New(t)
				for range n {
					dc.FailNextOn("POST channels/"+watchChannel+"/messages", http.StatusBadRequest)
				}
				session, err := discord.NewSession("test-token", dc.APIBase(), nil)
				if err != nil {
					t.Fatal(err)
				}
				return discord.NewChannelNotifier(session, watchChannel, discord.NewLimiter(discord.LimiterConfig{}))
			}, "50035"},
		{"signed webhook, 400", config.Destination{Name: "desk", Type: config.Webhook},
			func(t *testing.T, n int) notify.Notifier {
				rcv := fakewebhook.New(t, "s3cret")
				for range n {
					rcv.FailNext(fakewebhook.Fault{Status: http.StatusBadRequest})
				}
				wh, err := webhook.New(rcv.URL, "s3cret", webhook.Options{})
				if err != nil {
					t.Fatal(err)
				}
				return wh
			}, "400"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Destination: "desk"})
			h.cfg.Destinations = []config.Destination{tt.dest}
			h.cfg.Discord.Burst = refused + 1                    // each alert its own post: one drop per refusal
			h.runOnceLogged(t, fakediscord.New(t), &logBuffer{}) // first sight
			var items []testItem
			for i, what := range distinctHeadlines[:refused+1] {
				items = append(items, item(i+1, "Aleppo "+what, h.clock.Add(time.Duration(i)*time.Second)))
			}
			h.write("wire.xml", items...)
			h.clock = h.clock.Add(time.Minute)

			logs := &logBuffer{}
			rep, metrics := h.runOnceMetered(t, tt.refuse(t, refused), logs)
			if rep.Dropped != refused || rep.Delivered != 1 {
				t.Errorf("run --once: delivered %d, dropped %d; want 1, %d", rep.Delivered, rep.Dropped, refused)
			}
			if want := `newshound_alerts_dropped_total{destination="desk"} 20`; !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %q", want)
			}
			errs, recoveries := errorsAnd(logs, "takes alerts again")
			if len(errs) != 1 {
				t.Fatalf("got %d ERROR lines, want 1 (the first drop):\n%s", len(errs), strings.Join(errs, ""))
			}
			for _, want := range []string{"alert dropped", "destination=desk", "subscription=cfg:aleppo", tt.reason} {
				if !strings.Contains(errs[0], want) {
					t.Errorf("the drop's ERROR line lacks %q:\n%s", want, errs[0])
				}
			}
			if len(recoveries) != 1 || !strings.Contains(recoveries[0], "failures=20") || !strings.Contains(recoveries[0], "destination=desk") {
				t.Errorf("got recovery lines %q, want one with destination=desk failures=20", recoveries)
			}
		})
	}
}

// errorsAnd are the ERROR lines of logs, and the other lines saying what.
func errorsAnd(logs *logBuffer, what string) (errs, others []string) {
	for line := range strings.Lines(logs.String()) {
		switch {
		case strings.Contains(line, "level=ERROR"):
			errs = append(errs, line)
		case strings.Contains(line, what):
			others = append(others, line)
		}
	}
	return errs, others
}

// distinctHeadlines are headlines of separate stories, so that each is
// its own alert (not a join of the one before).
var distinctHeadlines = []string{
	"bakery reopens after shelling", "water pumps restored in eastern districts", "university exams postponed",
	"football club wins regional cup", "cholera vaccination campaign begins", "textile factory resumes exports",
	"citadel restoration funded by UNESCO", "airport receives first commercial flight", "power grid repaired by engineers",
	"schoolchildren return to classrooms", "olive harvest exceeds forecasts", "hospital opens new maternity ward",
	"museum recovers looted mosaics", "bus routes extended to suburbs", "journalists detained at checkpoint",
	"snowstorm closes mountain roads", "pharmacy shortages worsen", "orchestra performs in ruined theatre",
	"refugee families register for aid", "bread prices doubled overnight", "archaeologists map ancient souk",
}

// TestAWatchChannelsDropsEndWithItsWatch: the drops of a watch's channel
// are forgotten once no watch names it, as its failures and pause are
// (forgetUnwatched): a bot whose /watch channels come and go keeps no
// entry for each, and a watch brought back onto the channel later logs
// its first drop at ERROR and counts its own, not the old watch's.
func TestAWatchChannelsDropsEndWithItsWatch(t *testing.T) {
	ctx := context.Background()
	moved := "800000000000000003"
	tests := []struct {
		name       string
		stop, back func(t *testing.T, o *oneWatch)
	}{
		{"removed, then added again",
			func(t *testing.T, o *oneWatch) { mustDo(t, o.w.Remove(ctx, watchGuild, o.id)) },
			func(t *testing.T, o *oneWatch) {
				info, err := o.w.Add(ctx, discord.AddRequest{GuildID: watchGuild, ChannelID: watchChannel, FeedURL: o.feed.URL + "/rss", Query: "aleppo"})
				if err != nil {
					t.Fatal(err)
				}
				o.id = info.ID
			}},
		{"edited to another channel, then back",
			func(t *testing.T, o *oneWatch) { editWatchChannel(t, o, moved) },
			func(t *testing.T, o *oneWatch) { editWatchChannel(t, o, watchChannel) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOneWatch(t, nil)
			dest := channelDestination(watchChannel)
			items := 1 // newOneWatch's feed has one
			run := func(headline string, refuse bool) {
				t.Helper()
				if refuse {
					o.dc.FailNextOn("POST channels/"+watchChannel+"/messages", http.StatusBadRequest)
				}
				if headline != "" {
					items++
					o.feed.Publish(item(items, headline, o.clk.now()))
				}
				o.clk.advance(time.Hour)
				if _, err := o.svc.RunOnce(ctx); err != nil {
					t.Fatal(err)
				}
			}
			run("", false) // first sight
			run("Aleppo convoy reaches the city", true)
			tt.stop(t, o)
			if o.svc.sender.drops.Failing(dest) {
				t.Errorf("drops of %s still kept once no watch names it", dest)
			}
			tt.back(t, o)
			run("", false) // a watch added again sees its feed first
			run("Aleppo bakery reopens after shelling", true)
			run("Aleppo water pumps restored", false)

			if got := strings.Count(o.logs.String(), "level=ERROR msg=\"alert dropped"); got != 2 {
				t.Errorf("got %d ERROR lines of a drop, want 2 (each watch's first)", got)
			}
			var recoveries []string
			for line := range strings.Lines(o.logs.String()) {
				if strings.Contains(line, "takes alerts again") {
					recoveries = append(recoveries, line)
				}
			}
			if len(recoveries) != 1 || !strings.Contains(recoveries[0], "failures=1 ") {
				t.Errorf("got recovery lines %q, want one with failures=1 (the watch back's drop)", recoveries)
			}
		})
	}
}

// editWatchChannel moves o's watch to channel, as /watch edit does.
func editWatchChannel(t *testing.T, o *oneWatch, channel string) {
	t.Helper()
	if _, err := o.w.Edit(context.Background(), discord.EditRequest{GuildID: watchGuild, ID: o.id, ChannelID: &channel}); err != nil {
		t.Fatal(err)
	}
}
