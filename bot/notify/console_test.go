package notify

import (
	"context"
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestConsoleEditGolden(t *testing.T) {
	at := time.Date(2016, 9, 10, 17, 15, 0, 0, time.UTC)
	lead := alert.Alert{Title: "Kerry and Lavrov agree Aleppo ceasefire", Feed: "wire-world", Link: "https://example.org/news/1", Published: at.Add(-3 * time.Hour)}
	other := alert.Alert{Title: "Yemen talks resume in Kuwait", Feed: "gulf-wire", Link: "https://example.org/news/2", Published: at.Add(-2 * time.Hour)}
	reuters := alert.Alert{Join: alert.JoinAlso, Feed: "reuters-world", FeedTitle: "Reuters", Title: "Aleppo truce agreed in Geneva", Link: "https://reuters.example/aleppo"}
	nameless := alert.Alert{Join: alert.JoinAlso, Feed: "ap-top", Title: "Truce\nfor Aleppo\t agreed", Link: "https://ap.example/truce"}
	hostile := alert.Alert{Join: alert.JoinAlso, Feed: "evil", FeedTitle: "Evil\x1b[2J\u202eWire", Title: "@everyone\r\nclick", Link: "https://evil.example/x"}
	upd := alert.Alert{Join: alert.JoinUpdate, Feed: "wire-world", Title: lead.Title, Link: lead.Link, Text: "Convoys reached\n\nthe eastern districts " + strings.Repeat("and kept going ", 20), Published: at.Add(time.Hour)}
	yemen := alert.Alert{Join: alert.JoinAlso, Feed: "aj", FeedTitle: "Al Jazeera", Title: "Yemen talks back on", Link: "https://aljazeera.example/yemen"}
	// Joined the way another story's first report is swallowed: the
	// console says so, as Discord's "Perhaps another story" and preview do.
	doubtful := alert.Alert{Join: alert.JoinAlso, Doubtful: true, Feed: "gulf-post", FeedTitle: "Gulf Post", Title: "Oman ferry strike ends", Link: "https://gulfpost.example/ferry"}
	withStory := lead
	for _, j := range []alert.Alert{reuters, nameless, hostile} {
		withStory.Also = append(withStory.Also, alert.Report{Feed: j.Feed, FeedTitle: j.FeedTitle, Title: j.Title, Link: j.Link})
	}
	withStory.Updates = []alert.Update{{At: at, Text: upd.Text, Link: upd.Link}}
	otherStory := other
	otherStory.Also = []alert.Report{{Feed: yemen.Feed, FeedTitle: yemen.FeedTitle, Title: yemen.Title, Link: yemen.Link},
		{Feed: doubtful.Feed, FeedTitle: doubtful.FeedTitle, Title: doubtful.Title, Link: doubtful.Link, Doubtful: true}}
	e := Edit{
		MessageID: "1",
		Message:   Message{Alerts: []alert.Alert{withStory, otherStory}},
		Added: []Join{{Alert: reuters}, {Alert: nameless}, {Alert: hostile}, {Alert: upd, At: at},
			{Alert: yemen, Story: 1}, {Alert: doubtful, Story: 1}},
		Nonce: "e-1",
	}
	var b strings.Builder
	if err := NewConsole(&b).Edit(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "console_edit.golden"), []byte(b.String()), *update)
	for _, bad := range []string{"\x1b", "\u202e", "\r"} {
		if strings.Contains(b.String(), bad) {
			t.Errorf("console output contains %q", bad)
		}
	}
}

func TestConsoleEditRefusesDigests(t *testing.T) {
	var b strings.Builder
	e := Edit{Message: Message{Alerts: []alert.Alert{{Title: "x"}}, Digest: &Digest{Title: "Digest"}}, Added: []Join{{Alert: alert.Alert{Join: alert.JoinAlso}}}}
	if err := NewConsole(&b).Edit(context.Background(), e); !errors.Is(err, ErrRejected) || b.Len() != 0 {
		t.Errorf("Edit of a digest: %v, printed %q; want ErrRejected and nothing", err, b.String())
	}
}

// Feed text in an alert's own block is as inert as in its "also:" lines:
// no escape sequence, bidi control or line break of the feed reaches the
// terminal.
func TestConsoleSendDropsControls(t *testing.T) {
	at := time.Date(2016, 9, 10, 14, 2, 0, 0, time.UTC)
	tests := []struct {
		name string
		a    alert.Alert
	}{
		{"title with a bidi override", alert.Alert{Feed: "wire", Title: "Invoice \u202egnp.exe", Link: "https://example.org/1", Published: at}},
		{"title with an escape sequence", alert.Alert{Feed: "wire", Title: "Breaking\x1b[2J\x1b]0;owned\x07 news", Link: "https://example.org/2", Published: at}},
		{"title with a carriage return", alert.Alert{Feed: "wire", Title: "Real\rFake", Link: "https://example.org/3", Published: at}},
		{"link with an escape sequence", alert.Alert{Feed: "wire", Title: "Fine", Link: "https://example.org/\x1b[2J\u2066x", Published: at}},
		{"matched word with a bidi isolate", alert.Alert{Feed: "wire", Title: "Fine", Matched: []string{"al\u2067eppo"}, Published: at}},
		{"digest title", alert.Alert{Feed: "wire", Title: "Fine", Published: at}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Message{Alerts: []alert.Alert{tt.a}}
			if tt.name == "digest title" {
				m.Digest = &Digest{Title: "Digest: \u202ealeppo\x1b[2J — 1 story since 08:00"}
			}
			var b strings.Builder
			if _, err := NewConsole(&b).Send(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			got := b.String()
			for _, bad := range []string{"\x1b", "\x07", "\u202e", "\u2066", "\u2067", "\r"} {
				if strings.Contains(got, bad) {
					t.Errorf("console output %q contains %q", got, bad)
				}
			}
			if lines := strings.Count(got, "\n"); lines > 5 {
				t.Errorf("console output %q has %d lines; want each field on its own line", got, lines)
			}
		})
	}
}

// Two stories under one headline, such as two outlets' "Live updates"
// pages, are told apart by the line naming each: it is its alert's first
// line, with when and which feed.
func TestConsoleEditTellsStoriesOfOneHeadlineApart(t *testing.T) {
	at := time.Date(2021, 10, 17, 9, 0, 0, 0, time.UTC)
	live := func(feed string, published time.Time) alert.Alert {
		return alert.Alert{Title: "Live Coronavirus News and Updates", Feed: feed, Link: "https://" + feed + ".example/live", Published: published}
	}
	also := alert.Alert{Join: alert.JoinAlso, Feed: "wire", Title: "Cases fall", Link: "https://wire.example/cases"}
	lines := map[string]bool{}
	for _, lead := range []alert.Alert{live("nytimes", at), live("latimes", at.Add(2*time.Hour))} {
		var b strings.Builder
		e := Edit{MessageID: "1", Message: Message{Alerts: []alert.Alert{lead}}, Added: []Join{{Alert: also}}}
		if err := NewConsole(&b).Edit(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(b.String(), "\n")
		alertFirst, _, _ := strings.Cut(FormatText(lead), "\n")
		if want := "story: " + alertFirst; first != want {
			t.Errorf("story line %q, want the alert's first line %q", first, want)
		}
		lines[first] = true
	}
	if len(lines) != 2 {
		t.Errorf("two stories of one headline printed as %v, want two different lines", lines)
	}
}
