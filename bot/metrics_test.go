package bot

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/newshound/newshound/bot/discord"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/bot/notify/email"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/fakesmtp"
	"github.com/newshound/newshound/store"
)

func TestMetricsCountPollsAndDeliveries(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	h.afterFirstSight(item(2, "Aleppo talks resume", h.clock), item(3, "Aleppo truce", h.clock))
	h.rec.fail = []error{nil, fmt.Errorf("HTTP 400: embed too long: %w", notify.ErrRejected)}

	body := h.metricsAfterRunOnce(t, h.rec)
	for _, want := range []string{
		`newshound_polls_total{result="changed"} 1`,
		`newshound_polls_total{result="not_modified"} 1`,
		`newshound_new_items_total 2`,
		`newshound_alerts_enqueued_total 2`,
		`newshound_alerts_delivered_total{destination="desk"} 1`,
		`newshound_alerts_dropped_total{destination="desk"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// An email recipient the server refuses while another takes the mail
// misses its alerts (README: No loss, the email exception): each alert a
// recipient missed is counted, so the misses show beside the deliveries.
// The server is a real SMTP conversation on loopback.
func TestMetricsCountEmailRecipientMisses(t *testing.T) {
	tests := []struct {
		name       string
		refuse     map[string]int // recipient → RCPT reply
		wantMissed string         // the counter's line
	}{
		{"every recipient accepts", nil, `newshound_alerts_missed_total{destination="desk"} 0`},
		{"one mailbox full", map[string]int{"night@example.org": 452}, `newshound_alerts_missed_total{destination="desk"} 2`},
		{"one full, one gone", map[string]int{"night@example.org": 452, "late@example.org": 550}, `newshound_alerts_missed_total{destination="desk"} 4`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			h.afterFirstSight(item(2, "Aleppo talks resume", h.clock), item(3, "Aleppo truce", h.clock))
			srv := fakesmtp.New(t, fakesmtp.Options{Mode: fakesmtp.Plain})
			for r, code := range tt.refuse {
				srv.Refuse(r, code)
			}
			mailer, err := email.New(email.Config{Host: srv.Host, Port: srv.Port, TLS: email.NoTLS,
				From: "alerts@news.example.org", To: []string{"desk@example.org", "night@example.org", "late@example.org"}})
			if err != nil {
				t.Fatal(err)
			}
			body := h.metricsAfterRunOnce(t, mailer)
			if want := `newshound_alerts_delivered_total{destination="desk"} 2`; !strings.Contains(body, want) {
				t.Errorf("metrics lack %q", want)
			}
			got := ""
			for line := range strings.Lines(body) {
				if strings.HasPrefix(line, "newshound_alerts_missed_total{") {
					got = strings.TrimSpace(line)
				}
			}
			if got != tt.wantMissed {
				t.Errorf("missed counter %q, want %q", got, tt.wantMissed)
			}
		})
	}
}

// metricsAfterRunOnce runs one pass of a service on the harness's store,
// delivering through n, and returns what its /metrics page says then.
func (h *harness) metricsAfterRunOnce(t *testing.T, n notify.Notifier) string {
	t.Helper()
	_, body := h.runOnceMetered(t, n, &logBuffer{})
	return body
}

// runOnceMetered is one run --once delivering to n as the desk, logging to
// logs; it returns the run's report and what /metrics says after it.
func (h *harness) runOnceMetered(t *testing.T, n notify.Notifier, logs *logBuffer) (OnceReport, string) {
	t.Helper()
	ctx := context.Background()
	st := h.sqlite(t)
	defer st.Close()
	reg := prometheus.NewRegistry()
	o := h.options(st, n, logs)
	o.Registry = reg
	svc, err := New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := svc.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rep, rec.Body.String()
}

// TestPollDurationCountsOnlyPolls: newshound_poll_duration_seconds is
// "time to fetch, parse, match and record one feed". A feed whose host had
// no free slot within `timeout` is not fetched (counted as not_fetched,
// "no poll and no failure"): its wait is no poll's duration, and counting
// it would put `timeout` into every busy host's quantiles. Three feeds on
// one host that answers in a second, one request at a time, 1.5 s timeout
// (busyHostHarness): the third is not fetched.
func TestPollDurationCountsOnlyPolls(t *testing.T) {
	var delay atomic.Int64
	delay.Store(int64(time.Second))
	h := busyHostHarness(t, &delay)
	st, err := store.OpenSQLite(context.Background(), h.db, store.WithClock(func() time.Time { return h.clock }))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg := prometheus.NewRegistry()
	o := h.options(st, h.rec, io.Discard)
	o.Registry = reg
	svc, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	// One pass as the scheduled loop makes it when every feed is due.
	svc.poller.pollAll(context.Background(), svc.live.catalog().Feeds(), pollNow)
	polls := map[string]float64{}
	var observed uint64
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		switch f.GetName() {
		case "newshound_polls_total":
			for _, m := range f.GetMetric() {
				polls[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
			}
		case "newshound_poll_duration_seconds":
			observed = f.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	if polls["not_fetched"] != 1 {
		t.Fatalf("polls by result %v, want one not_fetched (the setup did not make the host busy)", polls)
	}
	fetched := polls["changed"] + polls["unchanged"] + polls["not_modified"] + polls["error"]
	if float64(observed) != fetched {
		t.Errorf("poll durations observed: %d, want %v, one per feed fetched (polls by result %v)", observed, fetched, polls)
	}
}

// The series of a watch's channel stayed in /metrics for ever once no
// watch named the channel any more (/watch remove, or an edit that moves
// the watch): one per channel ever watched, each scrape. They go, but
// only once scrapes have read their last counts: they stay retireAfter
// after the change, or after what was pending for the channel has gone
// out (the alert of a moved watch whose post had failed is still
// delivered there, and counted), and the first scrape past that reads
// them once more; the next finds none. A channel a watch still names,
// paused or not, keeps them. Read through a real scrape of the
// registry's HTTP handler.
func TestMetricsForgetAChannelNoWatchNames(t *testing.T) {
	ctx := context.Background()
	moved := func(t *testing.T, w discord.Watches, id int64, _ string) {
		to := watchOtherChannel
		_, err := w.Edit(ctx, discord.EditRequest{GuildID: watchGuild, ID: id, ChannelID: &to})
		mustDo(t, err)
	}
	tests := []struct {
		name string
		// pending: the channel's post fails (500) before the change, so
		// its alert is still to be sent after it
		pending bool
		change  func(t *testing.T, w discord.Watches, id int64, feedURL string)
		kept    bool
	}{
		{
			name:   "removed",
			change: func(t *testing.T, w discord.Watches, id int64, _ string) { mustDo(t, w.Remove(ctx, watchGuild, id)) },
		},
		{name: "moved to another channel", change: moved},
		{name: "moved to another channel, an alert pending for the first", pending: true, change: moved},
		{
			name: "removed, another watch on the channel",
			change: func(t *testing.T, w discord.Watches, id int64, feedURL string) {
				_, err := w.Add(ctx, discord.AddRequest{GuildID: watchGuild, ChannelID: watchChannel, FeedURL: feedURL, Query: "kerry"})
				mustDo(t, err)
				mustDo(t, w.Remove(ctx, watchGuild, id))
			},
			kept: true,
		},
		{
			// watched again before its series went: they are its own again
			name: "removed, then watched again",
			change: func(t *testing.T, w discord.Watches, id int64, feedURL string) {
				mustDo(t, w.Remove(ctx, watchGuild, id))
				_, err := w.Add(ctx, discord.AddRequest{GuildID: watchGuild, ChannelID: watchChannel, FeedURL: feedURL, Query: "kerry"})
				mustDo(t, err)
			},
			kept: true,
		},
		{
			name: "paused",
			change: func(t *testing.T, w discord.Watches, id int64, _ string) {
				mustDo(t, w.SetPaused(ctx, watchGuild, id, true))
			},
			kept: true,
		},
	}
	series := `destination="` + channelDestination(watchChannel) + `"`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOneWatch(t, nil)
			dc, clk, feed, w := o.dc, o.clk, o.feed, o.w
			scrapeURL := o.scrapeURL(t)
			runOnce := func() { o.committedPass(t) }
			runOnce() // first sight
			feed.Publish(item(2, "Aleppo convoy reaches the city", clk.now()))
			clk.advance(time.Hour)
			want := `newshound_alerts_delivered_total{` + series + `} 1`
			if tt.pending {
				dc.FailNext(http.StatusInternalServerError)
				want = `newshound_send_errors_total{` + series + `,kind="error"} 1`
			}
			runOnce()
			if got := linesWith(t, scrapeURL, series); !slices.Contains(got, want) {
				t.Fatalf("before the change: series %q, want %q among them", got, want)
			}
			tt.change(t, w, o.id, feed.URL+"/rss")
			if got := linesWith(t, scrapeURL, series); !slices.Contains(got, want) {
				t.Errorf("after the change: series %q, want %q among them", got, want)
			}
			clk.advance(time.Minute) // past a failed post's back-off, well within retireAfter
			runOnce()
			delivered := `newshound_alerts_delivered_total{` + series + `} 1`
			if got := linesWith(t, scrapeURL, series); !slices.Contains(got, delivered) {
				t.Errorf("after the next pass: series %q, want %q among them", got, delivered)
			}
			clk.advance(retireAfter)
			if got := linesWith(t, scrapeURL, series); !slices.Contains(got, delivered) {
				t.Errorf("at the first scrape %v after the last counts: series %q, want %q among them", retireAfter, got, delivered)
			}
			got := linesWith(t, scrapeURL, series)
			if tt.kept && len(got) == 0 {
				t.Errorf("at the scrape after it: series of the channel a watch still names: none, want them kept")
			}
			if !tt.kept && len(got) != 0 {
				t.Errorf("at the scrape after it: series of the channel no watch names: %q, want none", got)
			}
			if posted := len(dc.Messages(watchChannel)); tt.pending && posted != 1 {
				t.Errorf("posts in the first channel: %d, want its pending alert posted", posted)
			}
		})
	}
}

// A channel no watch names any more keeps its series while an alert for
// it is still in the outbox. The moved watch's alert for its former
// channel fails there, before and after the move, and waits out a
// back-off of an hour (as a Retry-After of Discord's may ask, up to a
// day): its series were retired retireAfter after their last counts,
// whatever still waited, so a scrape deleted them, and the alert's
// delivery counted from 0 again, which Prometheus takes for a counter
// reset. They stay until the outbox holds nothing for the channel, and
// go retireAfter after that.
func TestMetricsKeepAChannelsSeriesWhileItsAlertWaits(t *testing.T) {
	ctx := context.Background()
	o := newOneWatch(t, nil)
	dc, clk, svc := o.dc, o.clk, o.svc
	scrapeURL := o.scrapeURL(t)
	// pass is a pass of Run's sender: RunOnce takes the watches in as a
	// process starting does, and forgets the destination's failures.
	pass := func() {
		t.Helper()
		if err := svc.sender.deliverAll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	post := "POST channels/" + watchChannel + "/messages"
	series := `destination="` + channelDestination(watchChannel) + `"`
	delivered := func(n int) string { return fmt.Sprintf(`newshound_alerts_delivered_total{%s} %d`, series, n) }

	moveWatchWithAlertWaiting(t, o)
	clk.advance(59 * time.Minute)
	pass() // the alert is not due
	clk.advance(2 * time.Minute)
	dc.FailNextOn(post, http.StatusInternalServerError)
	pass() // it fails again: another hour
	clk.advance(retireAfter + time.Minute)
	pass()
	for _, scrapeNo := range []string{"first", "second"} {
		if got := linesWith(t, scrapeURL, series); !slices.Contains(got, delivered(1)) {
			t.Errorf("%s scrape %v after the last counts, an alert still waiting for the channel: series %q, want %q among them", scrapeNo, retireAfter, got, delivered(1))
		}
	}
	clk.advance(time.Hour)
	pass() // delivered at last
	if posted := len(dc.Messages(watchChannel)); posted != 2 {
		t.Fatalf("posts in the first channel: %d, want 2 (the waiting alert delivered)", posted)
	}
	if got := linesWith(t, scrapeURL, series); !slices.Contains(got, delivered(2)) {
		t.Errorf("after the waiting alert's delivery: series %q, want %q among them, not a counter started again", got, delivered(2))
	}
	clk.advance(retireAfter)
	if got := linesWith(t, scrapeURL, series); !slices.Contains(got, delivered(2)) {
		t.Errorf("at the first scrape %v after the delivery: series %q, want %q among them", retireAfter, got, delivered(2))
	}
	if got := linesWith(t, scrapeURL, series); len(got) != 0 {
		t.Errorf("at the scrape after it: series %q, want none", got)
	}
}

// README: the alerts still waiting for a watch when it goes are "counted
// in newshound_alerts_dropped_total". The count was added and the
// channel's series deleted in the same step, so no scrape ever showed it
// (run --once's Dropped alone kept it). A scrape after the pass that
// follows the change must show it, beside the failed post that kept the
// alert waiting.
func TestScrapeShowsTheAlertsDroppedWithTheirWatch(t *testing.T) {
	ctx := context.Background()
	series := `destination="` + channelDestination(watchChannel) + `"`
	tests := []struct {
		name   string
		change func(t *testing.T, o *oneWatch)
		want   []string
	}{
		{
			name:   "removed",
			change: func(t *testing.T, o *oneWatch) { mustDo(t, o.w.Remove(ctx, watchGuild, o.id)) },
			want: []string{
				`newshound_alerts_dropped_total{` + series + `} 1`,
				`newshound_send_errors_total{` + series + `,kind="gone"} 1`,
			},
		},
		{
			// the watch stays, moved to a live channel: what waits for the
			// deleted one goes nowhere
			name: "edited to another channel",
			change: func(t *testing.T, o *oneWatch) {
				moved := watchOtherChannel
				_, err := o.w.Edit(ctx, discord.EditRequest{GuildID: watchGuild, ID: o.id, ChannelID: &moved})
				mustDo(t, err)
			},
			want: []string{
				`newshound_alerts_dropped_total{` + series + `} 1`,
				`newshound_send_errors_total{` + series + `,kind="gone"} 2`, // before the edit, and the drop's try
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOneWatch(t, nil)
			scrapeURL := o.scrapeURL(t)
			if _, err := o.svc.RunOnce(ctx); err != nil { // first sight
				t.Fatal(err)
			}
			o.dc.DeleteChannel(watchChannel)
			o.feed.Publish(item(2, "Aleppo convoy reaches the city", o.clk.now()))
			o.clk.advance(time.Hour)
			if _, err := o.svc.RunOnce(ctx); err != nil { // the post fails: the channel is paused
				t.Fatal(err)
			}
			tt.change(t, o)
			o.clk.advance(time.Hour)
			report, err := o.svc.RunOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := linesWith(t, scrapeURL, series)
			for _, want := range tt.want {
				if !slices.Contains(got, want) {
					t.Errorf("scrape after the change: series %q, want %q among them (run --once counted %d dropped)", got, want, report.Dropped)
				}
			}
		})
	}
}

// linesWith scrapes url and returns the sample lines that contain s.
func linesWith(t *testing.T, url, s string) []string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %s, %v", resp.Status, err)
	}
	var out []string
	for line := range strings.Lines(string(body)) {
		if !strings.HasPrefix(line, "#") && strings.Contains(line, s) {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}

// scrapeURL serves the metrics of o's service over HTTP for the test and
// returns where to scrape them.
func (o *oneWatch) scrapeURL(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(promhttp.HandlerFor(o.reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// moveWatchWithAlertWaiting posts o's watch's first alert, fails its
// second with a 500 under a back-off of an hour, and moves the watch to
// another channel: the alert waits in the outbox for a channel no watch
// names.
func moveWatchWithAlertWaiting(t *testing.T, o *oneWatch) {
	t.Helper()
	ctx := context.Background()
	dc, clk, feed := o.dc, o.clk, o.feed
	o.svc.sender.retryBase, o.svc.sender.retryMax = time.Hour, time.Hour
	runOnce := func() { o.committedPass(t) }
	runOnce() // first sight
	feed.Publish(item(2, "Aleppo convoy reaches the city", clk.now()))
	clk.advance(time.Hour)
	runOnce()
	truce := item(3, "Aleppo truce holds in the northern districts", clk.now())
	truce.Description = "Residents returned to markets as the guns fell silent overnight." // another story
	feed.Publish(truce)
	clk.advance(time.Hour)
	dc.FailNextOn("POST channels/"+watchChannel+"/messages", http.StatusInternalServerError)
	runOnce() // the second alert waits an hour
	to := watchOtherChannel
	_, err := o.w.Edit(ctx, discord.EditRequest{GuildID: watchGuild, ID: o.id, ChannelID: &to})
	mustDo(t, err)
}

// pendingReads counts the store's PendingDestinations calls.
type pendingReads struct {
	store.Store
	n atomic.Int64
}

func (s *pendingReads) PendingDestinations(ctx context.Context) ([]string, error) {
	s.n.Add(1)
	return s.Store.PendingDestinations(ctx)
}

// TestARetiredChannelsWaitingAlertCostsNoReadAPass: while an alert for a
// channel no watch names waits in the outbox (a back-off, up to a day's
// Retry-After), each pass (every sendTick, 2 s) read the outbox's
// destinations twice, the second time to find whether the pass sent the
// last of them, which it had not: it sent nothing. A pass that sends or
// drops nothing reads them once.
func TestARetiredChannelsWaitingAlertCostsNoReadAPass(t *testing.T) {
	const passes = 10
	reads := &pendingReads{}
	o := newOneWatch(t, func(st store.Store) store.Store { reads.Store = st; return reads })
	moveWatchWithAlertWaiting(t, o)
	before := reads.n.Load()
	for range passes {
		o.clk.advance(sendTick)
		if err := o.svc.sender.deliverAll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := reads.n.Load() - before; got != passes {
		t.Errorf("%d passes sending nothing, an alert waiting for a retired channel: %d reads of the outbox's destinations, want %d", passes, got, passes)
	}
}
