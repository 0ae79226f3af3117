package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/fakediscord"
	"github.com/newshound/newshound/internal/golden"
)

const (
	formatForum  = "200000000000000010"
	formatThread = "200000000000000011"
	formatTag    = "200000000000000012"
	formatHook   = "600000000000000010"
)

// formatAlert is an item with every field a placeholder reads.
func formatAlert(title string) alert.Alert {
	a := testAlert(title)
	a.Feed, a.FeedTitle = "wire-world", "World Wire — Top Stories"
	a.Author = "Jane Doe"
	a.Categories = []string{"Middle East", "Diplomacy"}
	a.Matched = []string{"Aleppo", "ceasefire"}
	a.ImageURL = "https://img.example.org/aleppo.jpg"
	a.ID = 1
	return a
}

// withFormat returns a with the default format changed by edit.
func withFormat(a alert.Alert, edit func(f *config.Format)) alert.Alert {
	f := config.DefaultFormat()
	edit(&f)
	af := alert.Format(f)
	a.Format = &af
	return a
}

// sendTo posts alerts as one message to a destination on a fake Discord
// (which refuses any payload that breaks a limit) and returns what it
// stored.
func sendTo(t *testing.T, dest config.Destination, alerts ...alert.Alert) (*fakediscord.Server, []fakediscord.Message) {
	t.Helper()
	f := fakediscord.New(t)
	f.AddForum(formatForum, formatTag)
	f.AddThread(formatThread, testChannel)
	token := "test-token"
	if dest.Type == config.DiscordWebhook {
		channel := testChannel
		if dest.Forum {
			channel = formatForum
		}
		dest.WebhookURL, token = f.AddWebhook(formatHook, channel), ""
	}
	n, err := NewDestinationNotifier(newTestSession(t, f, token), dest, NewLimiter(LimiterConfig{}))
	if err != nil {
		t.Fatalf("NewDestinationNotifier: %v", err)
	}
	if _, err := n.Send(context.Background(), notify.Message{Nonce: "fmt", Alerts: alerts}); err != nil {
		t.Fatalf("Send: %v (the fake refuses payloads that break Discord's rules)", err)
	}
	return f, f.AllMessages()
}

// posted is a golden file's view of one accepted message.
type posted struct {
	Channel string          `json:"channel"`
	Thread  string          `json:"thread,omitempty"` // a forum post's name and tags
	Tags    []string        `json:"tags,omitempty"`
	Body    json.RawMessage `json:"body"`
}

func TestFormatGolden(t *testing.T) {
	channel := config.Destination{Type: config.DiscordChannel, ChannelID: testChannel}
	webhook := config.Destination{Type: config.DiscordWebhook}
	a := formatAlert("Aleppo ceasefire holds as aid convoys roll in")
	b := formatAlert("Aleppo truce talks resume in Geneva")
	b.ID, b.Link = 2, "https://example.org/news/2"
	tests := []struct {
		name   string
		dest   config.Destination
		alerts []alert.Alert
	}{
		{"default format", channel, []alert.Alert{a}},
		{"every placeholder", channel, []alert.Alert{withFormat(a, func(f *config.Format) {
			f.Content = "{title} | {link} | {summary} | {feed} | {feed_title} | {author} | {categories} | {published} | {matched} | {subscription} | {image}"
			f.Title = "[{feed}] {title}"
			f.Description = "{summary}\n\nMatched: {matched} · {categories}"
			f.Footer = "{feed_title} · {subscription} · {published}"
			f.Author = "By {author}"
			f.Thumbnail, f.Image = "{image}", ""
			f.Timestamp = false
			f.Color = new(0xC0392B)
		})}},
		{"date format and zone", channel, []alert.Alert{withFormat(a, func(f *config.Format) {
			f.Footer = "{published}"
			f.Content = "Damascus: {published}"
			f.DateFormat, f.Timezone = "Monday 2 January 2006, 15:04 MST", "Asia/Damascus"
		})}},
		{"url template", channel, []alert.Alert{withFormat(a, func(f *config.Format) {
			f.URL = "https://archive.example.org/save?u={link}&t={title}"
		})}},
		{"parts left out", channel, []alert.Alert{withFormat(a, func(f *config.Format) {
			f.Title, f.Author, f.Footer, f.Image, f.URL = "", "", "", "", ""
		})}},
		{"webhook identity", webhook, []alert.Alert{withFormat(a, func(f *config.Format) {
			f.Username, f.AvatarURL = "Wire: {feed}", "https://example.org/syria.png"
		})}},
		{"webhook thread", config.Destination{Type: config.DiscordWebhook, ThreadID: formatThread}, []alert.Alert{a}},
		{"channel thread", config.Destination{Type: config.DiscordChannel, ChannelID: testChannel, ThreadID: formatThread}, []alert.Alert{a}},
		{"forum post", config.Destination{Type: config.DiscordChannel, ChannelID: formatForum, Forum: true, Tags: []string{formatTag}}, []alert.Alert{a, b}},
		{"webhook forum post", config.Destination{Type: config.DiscordWebhook, Forum: true, Tags: []string{formatTag}}, []alert.Alert{withFormat(a, func(f *config.Format) {
			f.Username = "Syria desk"
		})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, msgs := sendTo(t, tt.dest, tt.alerts...)
			var out []posted
			for _, m := range msgs {
				p := posted{Channel: m.ChannelID, Body: m.Raw}
				for _, th := range f.Threads(formatForum) {
					if th.ID == m.ChannelID {
						p.Thread, p.Tags = th.Name, th.Tags
					}
				}
				if pings := m.Pings(); len(pings) > 0 {
					t.Errorf("message would ping %v", pings)
				}
				out = append(out, p)
			}
			got, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "formats", strings.ReplaceAll(tt.name, " ", "_")+".golden.json")
			golden.Check(t, path, append(got, '\n'), *update)
		})
	}
}

// A forum gets one post per alert, also in a burst, named after each
// item's title.
func TestForumPostPerAlert(t *testing.T) {
	var alerts []alert.Alert
	for i := range 3 {
		a := formatAlert(fmt.Sprintf("Aleppo ceasefire, day %d", i+1))
		a.ID = int64(i + 1)
		alerts = append(alerts, a)
	}
	f, _ := sendTo(t, config.Destination{Type: config.DiscordChannel, ChannelID: formatForum, Forum: true}, alerts...)
	threads := f.Threads(formatForum)
	if len(threads) != 3 {
		t.Fatalf("got %d posts, want 3 (one per alert): %+v", len(threads), threads)
	}
	for i, th := range threads {
		if want := alerts[i].Title; th.Name != want {
			t.Errorf("post %d named %q, want %q", i, th.Name, want)
		}
	}
}

// When a later post of a burst fails, the retry does not open the earlier
// posts again.
func TestOnePostEachRetriesOnlyWhatFailed(t *testing.T) {
	var p onePostEach
	var posted []int64
	failOn := int64(2)
	post := func(_ context.Context, a alert.Alert) (notify.Receipt, error) {
		if a.ID == failOn {
			failOn = 0
			return notify.Receipt{}, errors.New("503")
		}
		posted = append(posted, a.ID)
		return notify.Receipt{MessageID: fmt.Sprint("m", a.ID)}, nil
	}
	m := notify.Message{Alerts: []alert.Alert{{ID: 1}, {ID: 2}, {ID: 3}}}
	if _, err := p.send(context.Background(), m, post); err == nil {
		t.Fatal("first send succeeded, want the error of post 2")
	}
	r, err := p.send(context.Background(), m, post)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if want := []int64{1, 2, 3}; !slices.Equal(posted, want) {
		t.Errorf("posted %v, want %v (each once)", posted, want)
	}
	if r.MessageID != "m1" || len(p.done) != 0 {
		t.Errorf("receipt %+v, memory %v; want m1 and an empty memory", r, p.done)
	}
}

// A hostile item through a desk's template that puts every feed value
// everywhere still pings no one and stays within every limit, alone and as
// a burst of ten.
func TestHostileItemThroughCustomFormat(t *testing.T) {
	every := "{title} {link} {summary} {feed} {feed_title} {author} {categories} {published} {matched} {subscription} {image}"
	hostile := func() alert.Alert {
		a := hostileAlert()
		a.FeedTitle = "<@&999> @here " + strings.Repeat("🛰", 300)
		a.Categories = []string{"@everyone", strings.Repeat("[x](http://evil)", 100)}
		a.Matched = []string{"<@1>", "@here"}
		a.Subscription = "@everyone " + strings.Repeat("s", 500)
		return withFormat(a, func(f *config.Format) {
			f.Content = "Alert: " + every
			f.Title, f.Description, f.Footer, f.Author = every, every+"\n"+every, every, every
			f.Username = "{feed} {author}"
			f.URL, f.Thumbnail, f.Image = "{link}", "https://example.org/t?{title}", "{image}"
		})
	}
	for _, n := range []int{1, 10} {
		alerts := make([]alert.Alert, n)
		for i := range alerts {
			alerts[i] = hostile()
		}
		for _, dest := range []config.Destination{
			{Type: config.DiscordChannel, ChannelID: testChannel},
			{Type: config.DiscordWebhook},
			{Type: config.DiscordChannel, ChannelID: formatForum, Forum: true},
			{Type: config.DiscordWebhook, Forum: true},
		} {
			for i := range alerts {
				alerts[i].ID = int64(i + 1)
			}
			_, msgs := sendTo(t, dest, alerts...)
			want := 1
			if dest.Forum {
				want = n // a post per alert
			}
			if len(msgs) != want {
				t.Fatalf("%s, %d alerts: %d messages, want %d", dest.Type, n, len(msgs), want)
			}
			for _, m := range msgs {
				if pings := m.Pings(); len(pings) != 0 {
					t.Errorf("%s, %d alerts: message would ping %v", dest.Type, n, pings)
				}
				for _, word := range []string{"@everyone", "@here", "<@", "](http"} {
					if strings.Contains(m.Content, word) {
						t.Errorf("%s, %d alerts: content has a live %q: %q", dest.Type, n, word, clip(m.Content))
					}
				}
				if c := utf8.RuneCountInString(m.Content); c > MaxContent {
					t.Errorf("content has %d code points", c)
				}
				for _, e := range m.Embeds {
					checkEmbedLimits(t, e, MaxEmbedTotal)
				}
				if name := m.Username; strings.Contains(name, "@everyone") || utf8.RuneCountInString(name) > MaxUsername {
					t.Errorf("username %q", name)
				}
			}
		}
	}
}

func TestPublishedText(t *testing.T) {
	at := time.Date(2016, 9, 12, 17, 5, 0, 0, time.UTC)
	tests := []struct {
		layout, zone, want string
	}{
		{"2006-01-02 15:04 MST", "UTC", "2016-09-12 17:05 UTC"},
		{"02.01.2006 15:04", "Europe/Berlin", "12.09.2016 19:05"},
		{"Jan 2, 3:04 PM MST", "America/New_York", "Sep 12, 1:05 PM EDT"},
		{"15:04", "Asia/Kolkata", "22:35"},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			got := publishedText(at, &alert.Format{DateFormat: tt.layout, Timezone: tt.zone})
			if got != tt.want {
				t.Errorf("publishedText(%s, %s) = %q, want %q", tt.layout, tt.zone, got, tt.want)
			}
		})
	}
}

// Feed values cannot complete a mention with a "<" from the desk's text or
// from the value before them.
func TestNoMentionAcrossParts(t *testing.T) {
	a := formatAlert("@&123> agreed")
	a.TitleSpans = nil
	a.Author = "Jane <"
	tests := []struct{ name, tmpl string }{
		{"after the desk's <", "<{title}"},
		{"after a value's <", "{author}{title}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, limit := range []int{MaxContent, 12} {
				got := renderTemplate(a, &defaultFormat, tt.tmpl, markdownField, limit)
				if strings.Contains(got, "<@") {
					t.Errorf("renderTemplate(%q) = %q, a live mention", tt.tmpl, got)
				}
				if n := utf8.RuneCountInString(got); n > limit {
					t.Errorf("renderTemplate(%q, %d) has %d code points", tt.tmpl, limit, n)
				}
			}
		})
	}
}

// TestParagraphsStayInTheDescription: an item's text keeps its
// paragraphs; the description shows them, while the parts of a message
// that are one line (title, footer, author, a webhook's name) get the text
// in one line, its matched words still bold.
func TestParagraphsStayInTheDescription(t *testing.T) {
	a := testAlert("Aleppo talks")
	a.Text = "Talks on an Aleppo ceasefire resumed.\n\nThe envoy arrives on Monday."
	a.TextSpans = []alert.Span{{Start: 12, End: 18}}
	a = withFormat(a, func(f *config.Format) {
		f.Title, f.Description, f.Footer, f.Author, f.Username = "{summary}", "{summary}", "{summary}", "{summary}", "{summary}"
	})
	e := Embed(a, MaxEmbedTotal)
	const line = "Talks on an **Aleppo** ceasefire resumed. The envoy arrives on Monday."
	const plain = "Talks on an Aleppo ceasefire resumed. The envoy arrives on Monday."
	got := []string{e.Title, e.Description, e.Footer.Text, e.Author.Name, Username(a)}
	want := []string{line, "Talks on an **Aleppo** ceasefire resumed.\n\nThe envoy arrives on Monday.", plain, plain, plain}
	if !slices.Equal(got, want) {
		t.Errorf("title, description, footer, author, username:\ngot  %q\nwant %q", got, want)
	}
}
