package config

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const formatConfig = `
discord: {token: bot-token}
destinations:
  - name: desk
    type: discord-webhook
    webhook_url: https://discord.com/api/webhooks/1/x
    thread_id: "100000000000000002"
    format:
      username: Newsdesk
      footer: "{feed} · {published}"
      timezone: America/New_York
  - name: forum
    type: discord-channel
    channel_id: "100000000000000003"
    forum: true
    tags: ["100000000000000004", "100000000000000005"]
  - name: console
    type: console
subscriptions:
  - name: syria
    query: aleppo
    destination: [desk, forum, console]
    color: "#C0392B"
    format:
      content: "Wire: {matched}"
      username: "Wire: Syria"
      avatar_url: https://example.org/syria.png
      date_format: "02.01.2006 15:04"
      image: ""
      thumbnail: "{image}"
      timestamp: false
  - name: plain
    query: x
    destination: forum
`

func TestFormatsResolvePerDestination(t *testing.T) {
	c := mustParse(t, formatConfig, noEnv)
	desk := DefaultFormat()
	desk.Username, desk.Footer, desk.Timezone = "Newsdesk", "{feed} · {published}", "America/New_York"

	syriaAtDesk := desk
	syriaAtDesk.Content, syriaAtDesk.Username, syriaAtDesk.AvatarURL = "Wire: {matched}", "Wire: Syria", "https://example.org/syria.png"
	syriaAtDesk.DateFormat, syriaAtDesk.Image, syriaAtDesk.Thumbnail, syriaAtDesk.Timestamp = "02.01.2006 15:04", "", "{image}", false
	syriaAtDesk.Color = new(0xC0392B)
	syriaAtForum := syriaAtDesk
	syriaAtForum.Footer, syriaAtForum.Timezone = "{feed}", "UTC" // the forum's own defaults

	tests := []struct {
		name string
		got  []Target
		want []Target
	}{
		{"several destinations, each with its format", c.Subscriptions[0].Targets, []Target{
			{Destination: "desk", Format: syriaAtDesk},
			{Destination: "forum", Format: syriaAtForum},
			{Destination: "console"}, // formats are Discord's
		}},
		{"no format: the destination's", c.Subscriptions[1].Targets, []Target{{Destination: "forum", Format: DefaultFormat()}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("Targets =\n%+v\nwant\n%+v", tt.got, tt.want)
			}
		})
	}
	if got := c.Subscriptions[0].Destination; got != "desk" {
		t.Errorf("Destination = %q, want the first target, desk", got)
	}
	forum, _ := c.Destination("forum")
	if !forum.Forum || !reflect.DeepEqual(forum.Tags, []string{"100000000000000004", "100000000000000005"}) || forum.ThreadID != "" {
		t.Errorf("forum destination = %+v, want forum with two tags", forum)
	}
	if d, _ := c.Destination("desk"); d.ThreadID != "100000000000000002" || !reflect.DeepEqual(d.Format, desk) {
		t.Errorf("desk destination = %+v, want thread 100000000000000002 and format %+v", d, desk)
	}
}

// TestAnEmptyFormatSetsNothing: README lets format: be empty, as {} or
// left blank. Blank loaded on a subscription with no Discord destination,
// but {} was refused there ("only Discord destinations use a format"),
// though it sets nothing either.
func TestAnEmptyFormatSetsNothing(t *testing.T) {
	for _, format := range []string{"format:", "format: {}"} {
		t.Run(format, func(t *testing.T) {
			cfg := "destinations: [{name: console, type: console}]\n" +
				"subscriptions:\n  - name: s\n    query: aleppo\n    destination: console\n    " + format + "\n"
			if _, err := Parse(filepath.Join(t.TempDir(), "c.yaml"), []byte(cfg), noEnv); err != nil {
				t.Errorf("%s on a console subscription: %v, want it loaded: it sets nothing", format, err)
			}
		})
	}
}

func TestOneDestinationStillWorks(t *testing.T) {
	c := mustParse(t, `
subscriptions:
  - {name: a, query: x}
  - {name: b, query: x, destination: console}
`, noEnv)
	for _, s := range c.Subscriptions {
		if want := []Target{{Destination: "console"}}; s.Destination != "console" || !reflect.DeepEqual(s.Targets, want) {
			t.Errorf("%s: Destination %q, Targets %+v; want console", s.Name, s.Destination, s.Targets)
		}
	}
}

func TestReloadTakesFormatsButNotThreads(t *testing.T) {
	tests := []struct {
		name, from, to string
		wantRestart    []string
	}{
		{"destination format", "footer: \"{feed} · {published}\"", "footer: \"{feed}\"", nil},
		{"subscription format", "content: \"Wire: {matched}\"", "content: \"{matched}\"", nil},
		{"thread", "thread_id: \"100000000000000002\"", "thread_id: \"100000000000000009\"", []string{`destination "desk"`}},
		{"forum tags", "\"100000000000000005\"]", "\"100000000000000006\"]", []string{`destination "forum"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkRestartChanges(t, formatConfig, tt.from, tt.to, tt.wantRestart) })
	}
}

// TestFormatTimezoneIsAnIANAName: a format's timezone takes what a
// delivery's does. "Local" is no IANA name: it would write {published} in
// whatever zone the machine running newshound has.
func TestFormatTimezoneIsAnIANAName(t *testing.T) {
	tests := []struct {
		name, zone, want string // want "": loads
	}{
		{"IANA name", "Europe/Berlin", ""},
		{"UTC", "UTC", ""},
		{"machine zone", "Local", `9:24: timezone: "Local" is not an IANA time zone name`},
		{"machine zone lowercase", "local", `9:24: timezone: "local" is not an IANA time zone name`},
		{"unknown", "Mars/Olympus", `9:24: timezone: "Mars/Olympus" is not an IANA time zone name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := "discord: {token: bot-token}\ndestinations:\n  - name: desk\n    type: discord-channel\n" +
				"    channel_id: \"100000000000000001\"\nsubscriptions:\n  - name: s\n    query: x\n    format: {timezone: " + tt.zone + "}\n"
			c, err := Parse("f.yaml", []byte(text), noEnv)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Parse: %v", err)
			case tt.want == "":
				if got := c.Subscriptions[0].Targets[0].Format.Timezone; got != tt.zone {
					t.Errorf("Timezone = %q, want %q", got, tt.zone)
				}
			case err == nil || !strings.Contains(err.Error(), tt.want):
				t.Errorf("Parse = %v, want a problem containing %q", err, tt.want)
			}
		})
	}
}
