package discord

import (
	"context"
	"encoding/json"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/internal/fakediscord"
	"github.com/newshound/newshound/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// hostileAlert is a feed item written to break a bot: mentions, markdown,
// a masked link and a 10 kB title.
func hostileAlert() alert.Alert {
	title := "@everyone Aleppo " + strings.Repeat("ceasefire ", 1000)
	text := "Hey @everyone and @here, <@&123> <@456> <#789> **bold** __under__ ~~strike~~ `code` ||spoiler||\n" +
		"> quote\n# Heading\n- item\n12. numbered\n[click](http://evil) ](http://evil) \\* Aleppo"
	return alert.Alert{
		Subscription: "aleppo",
		Feed:         "evil-feed @everyone",
		Title:        title,
		TitleSpans:   []alert.Span{{Start: 10, End: 16}, {Start: 17, End: len(title)}},
		Link:         "javascript:alert(1)",
		Text:         text,
		TextSpans:    []alert.Span{{Start: strings.Index(text, "Aleppo"), End: len(text)}, {Start: -5, End: 3}, {Start: 40, End: 9999}},
		Author:       "<@&123> @everyone",
		ImageURL:     "file:///etc/passwd",
		Published:    time.Date(2016, 9, 10, 14, 2, 0, 0, time.UTC),
	}
}

func TestEmbedGolden(t *testing.T) {
	arabic := "وقف إطلاق النار في حلب يدخل حيز التنفيذ"
	long := strings.Repeat("Diplomats said the Aleppo ceasefire would hold. ", 120)
	far := strings.Repeat("Background paragraph about other things. ", 40) + "Then the Aleppo ceasefire was announced."
	farMatch := strings.Index(far, "Aleppo")
	tests := []struct {
		name   string
		alert  alert.Alert
		budget int
	}{
		{"plain", testAlert("Kerry and Lavrov agree Aleppo ceasefire"), MaxEmbedTotal},
		{"hostile", hostileAlert(), MaxEmbedTotal},
		{"arabic", alert.Alert{
			Subscription: "aleppo", Feed: "bbc-arabic", Title: arabic,
			TitleSpans: []alert.Span{{Start: strings.Index(arabic, "حلب"), End: strings.Index(arabic, "حلب") + len("حلب")}},
			Link:       "https://www.bbc.com/arabic/1", Color: new(0x112233),
			Published: time.Date(2016, 9, 12, 8, 0, 0, 0, time.FixedZone("EEST", 3*3600)),
		}, MaxEmbedTotal},
		{"cut inside bold", alert.Alert{
			Subscription: "aleppo", Feed: "wire", Title: "Long story", Link: "https://example.org/2",
			Text: long, TextSpans: []alert.Span{{Start: 200, End: len(long)}},
			Author: "Jane Doe", ImageURL: "https://example.org/img.jpg",
		}, 600},
		{"spans mid-rune and overlapping", alert.Alert{
			Subscription: "x", Feed: "wire", Title: "Zürich talks: Zürich",
			TitleSpans: []alert.Span{{Start: 1, End: 3}, {Start: 2, End: 7}, {Start: 14, End: 14}, {Start: 20, End: 30}},
			Link:       "https://example.org/3",
		}, MaxEmbedTotal},
		{"match far into the text", alert.Alert{
			Subscription: "aleppo", Feed: "wire", Title: "Long report", Link: "https://example.org/4",
			Text: far, TextSpans: []alert.Span{{Start: farMatch, End: farMatch + len("Aleppo")}},
		}, 800},
		{"empty title", alert.Alert{Subscription: "x", Feed: "wire", Text: "   only text   "}, MaxEmbedTotal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Embed(tt.alert, tt.budget)
			checkEmbedLimits(t, e, tt.budget)
			got, err := json.MarshalIndent(e, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "embeds", strings.ReplaceAll(tt.name, " ", "_")+".golden.json")
			golden.Check(t, path, got, *update)
		})
	}
}

// checkEmbedLimits asserts every Discord limit and that nothing in the
// embed can mention anyone or leave a bold marker open.
func checkEmbedLimits(t *testing.T, e *discordgo.MessageEmbed, budget int) {
	t.Helper()
	fields := map[string]struct {
		value string
		max   int
	}{
		"title":       {e.Title, MaxTitle},
		"description": {e.Description, MaxDescription},
	}
	if e.Footer != nil {
		fields["footer"] = struct {
			value string
			max   int
		}{e.Footer.Text, MaxFooter}
	}
	if e.Author != nil {
		fields["author"] = struct {
			value string
			max   int
		}{e.Author.Name, MaxAuthor}
	}
	for name, f := range fields {
		if n := utf8.RuneCountInString(f.value); n > f.max {
			t.Errorf("%s has %d code points, limit %d", name, n, f.max)
		}
	}
	if n := EmbedLength(e); n > budget {
		t.Errorf("embed counts %d code points, budget %d", n, budget)
	}
	// Footer and author name are shown as written (no markdown): only
	// mentions matter there.
	plain := []string{e.Title, e.Description}
	if e.Footer != nil {
		plain = append(plain, e.Footer.Text)
	}
	if e.Author != nil {
		plain = append(plain, e.Author.Name)
	}
	for i, text := range plain {
		for _, mention := range []string{"@everyone", "@here", "<@", "<#", "](http"} {
			if mention == "](http" && i >= 2 {
				continue
			}
			if strings.Contains(text, mention) {
				t.Errorf("rendered text %q contains live %q", clip(text), mention)
			}
		}
		if n := strings.Count(strings.ReplaceAll(text, `\*`, ""), "**"); i < 2 && n%2 != 0 {
			t.Errorf("rendered text %q has %d bold markers, want an even number", clip(text), n)
		}
	}
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

func TestHostileItemPostsValidMessageWithoutPings(t *testing.T) {
	f := fakediscord.New(t)
	n := NewChannelNotifier(newTestSession(t, f, "test-token"), testChannel, NewLimiter(LimiterConfig{}))
	m := notify.Message{Nonce: "hostile", Alerts: []alert.Alert{hostileAlert()}}
	if _, err := n.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v (the fake rejects any broken limit)", err)
	}
	msgs := f.Messages(testChannel)
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	if pings := msgs[0].Pings(); len(pings) != 0 {
		t.Errorf("message would ping %v", pings)
	}
	// Embeds never ping, so Pings alone cannot catch a lost "parse": [].
	if got := parseOf(t, decodeRaw(t, msgs[0]).AllowedMentions); got != "[]" {
		t.Errorf("allowed_mentions.parse = %s, want []", got)
	}
	if msgs[0].Content != "" {
		t.Errorf("content = %q, want none", msgs[0].Content)
	}
}

func TestMarkdownEscapes(t *testing.T) {
	tests := []struct {
		name, in, want string
		spans          []alert.Span
	}{
		{"markdown chars", "a*b_c~d`e|f>g", `a\*b\_c\~d\` + "`" + `e\|f\>g`, nil},
		{"masked link", "[x](http://evil)", `\[x\]\(http://evil\)`, nil},
		{"line start only", "# a - b\n- c", "\\# a - b\n\\- c", nil},
		{"everyone", "@everyone @Here", "@\u200deveryone @\u200dHere", nil},
		{"mentions", "<@1> <@&2> <#3> <t:4> a<b", "<\u200d@1\\> <\u200d@&2\\> <\u200d#3\\> <\u200dt:4\\> a<b", nil},
		{"backslash", `\*`, `\\\*`, nil},
		{"bold words joined", "Aleppo ceasefire now", "**Aleppo ceasefire** now", []alert.Span{{Start: 0, End: 6}, {Start: 6, End: 16}}},
		{"overlapping spans merged", "Aleppo ceasefire now", "**Aleppo ceasefire** now", []alert.Span{{Start: 0, End: 9}, {Start: 3, End: 16}}},
		{"bold words apart", "Aleppo and ceasefire", "**Aleppo** and **ceasefire**", []alert.Span{{Start: 0, End: 6}, {Start: 11, End: 20}}},
		{"span trimmed of spaces", "a  Aleppo  b", "a **Aleppo** b", []alert.Span{{Start: 1, End: 10}}},
		{"newline ends bold", "Aleppo\nceasefire", "**Aleppo**\n**ceasefire**", []alert.Span{{Start: 0, End: 16}}},
		{"white space collapsed", "  a \t b\n\n\n\nc  ", "a b\n\nc", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := markdown(tt.in, tt.spans, 1000); got != tt.want {
				t.Errorf("markdown(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMarkdownTruncation(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		spans []alert.Span
		limit int
		want  string
	}{
		{"fits", "one two", nil, 7, "one two"},
		{"word boundary", "one two three", nil, 10, "one two…"},
		{"no space in reach", "abcdefghijkl", nil, 5, "abcd…"},
		{"escape counted", "a*b*c*d*e", nil, 6, `a\*b…`},
		{"bold closed at cut", "one two three four", []alert.Span{{Start: 4, End: 18}}, 14, "one **two**…"},
		{"zero limit", "one", nil, 0, ""},
		{"huge input", strings.Repeat("@", 8<<20), nil, 10, "@@@@@@@@@…"},
		{"huge input of spaces then text", strings.Repeat(" ", 1<<20) + "word", nil, 10, "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := markdown(tt.in, tt.spans, tt.limit)
			if got != tt.want {
				t.Errorf("markdown(%q, %d) = %q, want %q", clip(tt.in), tt.limit, got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > tt.limit {
				t.Errorf("result has %d code points, limit %d", n, tt.limit)
			}
		})
	}
}

// TestColorOf: a configured colour wins, the subscription's over its
// format's; black (0) is a configured colour too and goes out as nearBlack,
// since Discord draws 0 as no colour; only a colour left out (nil) picks
// one from the subscription's name.
func TestColorOf(t *testing.T) {
	const crimson, navy = 0xC0392B, 0x1F3A93
	fromName := palette[6] // fnv-1a of "markets" picks the seventh
	tests := []struct {
		name   string
		color  *int
		format *alert.Format
		want   int
	}{
		{"left out: from the name", nil, nil, fromName},
		{"format without a colour: from the name", nil, &alert.Format{Title: "{title}"}, fromName},
		{"subscription's colour", new(crimson), nil, crimson},
		{"subscription's black", new(0), nil, nearBlack},
		{"format's colour", nil, &alert.Format{Color: new(navy)}, navy},
		{"format's black", nil, &alert.Format{Color: new(0)}, nearBlack},
		{"subscription's black over the format's colour", new(0), &alert.Format{Color: new(navy)}, nearBlack},
		{"subscription's colour over the format's black", new(crimson), &alert.Format{Color: new(0)}, crimson},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := alert.Alert{Subscription: "markets", Color: tt.color, Format: tt.format}
			if got := colorOf(a); got != tt.want {
				t.Errorf("colorOf = %#06x, want %#06x", got, tt.want)
			}
			if e := Embed(a, MaxEmbedTotal); e.Color != tt.want {
				t.Errorf("Embed(…).Color = %#06x, want %#06x", e.Color, tt.want)
			}
		})
	}
}
