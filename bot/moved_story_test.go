package bot

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/bot/notify/email"
	"github.com/newshound/newshound/bot/notify/webhook"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/fakesmtp"
	"github.com/newshound/newshound/internal/fakewebhook"
	"github.com/newshound/newshound/internal/storycorpus"
)

// storyOutlet is a destination that cannot edit, so each report is a
// message named with its story (README, "One story, one message"), seen
// from the receiving end: stories gives each delivered report's story as
// the destination shows it, by headline (email: the thread its mail
// references; webhook: its story_id), and shown the same for the story a
// report is stored under.
type storyOutlet struct {
	name string
	open func(t *testing.T) (n notify.Notifier, stories func() (byTitle map[string]string, messages int), shown func(story string) string)
}

var storyOutlets = []storyOutlet{
	{name: "email", open: func(t *testing.T) (notify.Notifier, func() (map[string]string, int), func(string) string) {
		srv := fakesmtp.New(t, fakesmtp.Options{Mode: fakesmtp.Plain})
		n, err := email.New(email.Config{Host: srv.Host, Port: srv.Port, TLS: email.NoTLS,
			From: "Newshound <alerts@news.example.org>", To: []string{"desk@example.org"}})
		if err != nil {
			t.Fatal(err)
		}
		stories := func() (map[string]string, int) {
			out := map[string]string{}
			for _, m := range srv.Mails() {
				msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
				if err != nil {
					t.Fatalf("mail %s: %v", m.MessageID, err)
				}
				_, title, _ := strings.Cut(msg.Header.Get("Subject"), "] ")
				out[title] = msg.Header.Get("References")
			}
			return out, len(srv.Mails())
		}
		shown := func(story string) string {
			return "<story." + notify.StoryKey(alert.Alert{Story: story}) + "@news.example.org>"
		}
		return n, stories, shown
	}},
	{name: "webhook", open: func(t *testing.T) (notify.Notifier, func() (map[string]string, int), func(string) string) {
		recv := fakewebhook.New(t, "s3cret")
		n, err := webhook.New(recv.URL, "s3cret", webhook.Options{})
		if err != nil {
			t.Fatal(err)
		}
		stories := func() (map[string]string, int) {
			out := map[string]string{}
			for _, d := range recv.Deliveries() {
				for _, a := range d.Alerts {
					out[a.Title] = a.StoryID
				}
			}
			if refused := recv.Refused(); len(refused) > 0 {
				t.Errorf("the receiver refused requests: %q", refused)
			}
			return out, len(recv.Deliveries())
		}
		shown := func(story string) string { return notify.StoryKey(alert.Alert{Story: story}) }
		return n, stories, shown
	}},
}

// TestMovedReportIsSentUnderItsNewStory: a report enqueued under one story
// and moved to another before it went out, by a re-split or by the merge
// of a story whose first report the duplicate check refused, is sent
// under the story it was moved to, the one the outbox lists it under (and
// a restart groups it under): its mail threads with that story's mails,
// its webhook story_id is that story's.
func TestMovedReportIsSentUnderItsNewStory(t *testing.T) {
	const link = "https://courier.example/kessler"
	scenarios := []struct {
		name string
		// run makes the service's rounds (poll, then deliver) and
		// returns two headlines that must be sent under one story.
		run      func(h *harness, round func()) (string, string)
		sub      config.Subscription
		messages int // how many go out
		// only names the one outlet the scenario is for, if any.
		only string
	}{
		{
			name:     "a re-split takes reports still pending",
			messages: len(storycorpus.ResplitSequence()) - 1, // each report a message of its own
			sub:      config.Subscription{Name: "olives", Query: "olive OR drought", StoryWindow: 48 * time.Hour},
			run:      resplit,
		},
		{
			name: "a re-split takes reports held for the quiet hours' digest",
			sub: config.Subscription{Name: "olives", Query: "olive OR drought", StoryWindow: 48 * time.Hour,
				Delivery: config.Delivery{Mode: config.Instant, Location: time.UTC, // the clock starts at 12:00 UTC
					QuietHours: &config.TimeWindow{Start: config.ClockTime{Hour: 12}, End: config.ClockTime{Hour: 13}}}},
			messages: 1,
			only:     "webhook", // a digest's mail lists its stories in its body
			run: func(h *harness, round func()) (string, string) {
				one, other := resplit(h, round)
				h.clock = h.clock.Add(time.Hour)
				round() // the digest
				return one, other
			},
		},
		{
			name:     "a refused duplicate's story merged into the posted one",
			messages: 2, // the first report, the further one (the edit refused)
			sub:      kesslerSub(),
			run: func(h *harness, round func()) (string, string) {
				for _, o := range outlets {
					h.cfg.Feeds = append(h.cfg.Feeds, config.Feed{Name: o.feed, URL: h.feedURL(o.feed + ".xml"), Interval: 10 * time.Minute})
					h.write(o.feed+".xml", item(0, "Weather stays mild", h.clock.Add(-time.Hour)))
				}
				round() // first sight
				weather := item(0, "Weather stays mild", h.clock.Add(-time.Hour))
				first := testItem{GUID: "urn:courier:1", Title: outlets[0].title, Link: link, Description: kesslerLead, Published: h.clock}
				h.write("courier.xml", weather, first)
				h.clock = h.clock.Add(time.Minute)
				round()
				// The edit, refused as a duplicate of the first report,
				// and a report that the grouping puts in the edit's story.
				edited := testItem{GUID: "urn:courier:2", Title: editedTitle, Link: link, Description: editedLead, Published: h.clock}
				report := testItem{GUID: "urn:herald:1", Title: reportTitle, Link: "https://herald.example/kessler-return", Description: reportLead, Published: h.clock}
				h.write("courier.xml", weather, edited, report)
				h.clock = h.clock.Add(time.Minute)
				round()
				return first.Title, report.Title
			},
		},
	}
	for _, sc := range scenarios {
		for _, out := range storyOutlets {
			if sc.only != "" && out.name != sc.only {
				continue
			}
			t.Run(sc.name+"/"+out.name, func(t *testing.T) {
				h := newHarness(t, sc.sub)
				h.cfg.Service.Workers = 1 // the feeds grouped in the config's order
				h.cfg.Discord.Burst = 100 // each report a message of its own
				n, delivered, shown := out.open(t)
				ctx := context.Background()
				st := h.sqlite(t)
				defer st.Close()
				var svc *Service
				round := func() {
					t.Helper()
					if svc == nil {
						var err error
						if svc, err = New(ctx, h.options(st, n, io.Discard)); err != nil {
							t.Fatal(err)
						}
					}
					if _, err := svc.RunOnce(ctx); err != nil {
						t.Fatalf("RunOnce: %v", err)
					}
				}
				one, other := sc.run(h, round)

				got, messages := delivered()
				if messages != sc.messages {
					t.Errorf("%d messages, want %d", messages, sc.messages)
				}
				if got[one] == "" || got[one] != got[other] {
					t.Errorf("%q sent under story %q, %q under %q: want one story", one, got[one], other, got[other])
				}
				for title, story := range outboxStories(t, h) {
					if s, ok := got[title]; !ok || s != shown(story) {
						t.Errorf("%q sent under story %q; the outbox lists it under %q, shown %q", title, s, story, shown(story))
					}
				}
			})
		}
	}
}

// outboxStories reads the story the outbox lists each delivered report
// under, by headline.
func outboxStories(t *testing.T, h *harness) map[string]string {
	t.Helper()
	db, err := sql.Open("sqlite", h.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT payload, story FROM alerts WHERE delivered_at <> 0`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var payload []byte
		var story string
		if err := rows.Scan(&payload, &story); err != nil {
			t.Fatal(err)
		}
		a, err := alert.Decode(payload)
		if err != nil {
			t.Fatal(err)
		}
		out[a.Title] = story
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// resplit publishes, in one round after the feeds' first sight, the
// reports of storycorpus.ResplitSequence but the last, one feed each, in
// the config's order: a report of B re-splits B's earlier reports out of
// A's story while they are pending. It returns B's first and last
// reports.
func resplit(h *harness, round func()) (string, string) {
	_, bFirst, bNext, _ := storycorpus.ResplitHeadlines()
	titles := storycorpus.ResplitSequence()
	titles = titles[:len(titles)-1]
	for i := range titles {
		h.cfg.Feeds = append(h.cfg.Feeds, config.Feed{Name: fmt.Sprintf("f%02d", i), URL: h.feedURL(fmt.Sprintf("f%02d.xml", i)), Interval: 10 * time.Minute})
		h.write(fmt.Sprintf("f%02d.xml", i), item(0, "Weather stays mild", h.clock.Add(-time.Hour)))
	}
	round() // first sight
	h.clock = h.clock.Add(time.Minute)
	for i, title := range titles {
		h.write(fmt.Sprintf("f%02d.xml", i), item(0, "Weather stays mild", h.clock.Add(-time.Hour)),
			testItem{GUID: fmt.Sprintf("urn:f%02d:olive", i), Title: title, Link: fmt.Sprintf("https://f%02d.example/olive", i), Published: h.clock})
	}
	round() // one round: every report is pending when the re-split moves B's
	return bFirst, bNext[len(bNext)-1]
}
