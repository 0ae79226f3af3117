package discord

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/internal/fakediscord"
	"github.com/newshound/newshound/internal/golden"
)

// ownLink is a link the digest makes: "](https://…)" after an unescaped "]".
var ownLink = regexp.MustCompile(`([^\\])\]\(https://example\.org/[^()\s]*\)`)

// digestOf builds the digest the sender would send for alerts: a daily
// 08:00 digest in Berlin.
func digestOf(alerts []alert.Alert) *notify.Digest {
	berlin := time.FixedZone("CET", 3600)
	key := alert.DigestKey{Kind: alert.KindDigest, Subscription: "cfg:aleppo",
		Since: time.Date(2016, 9, 10, 8, 0, 0, 0, berlin), Until: time.Date(2016, 9, 11, 8, 0, 0, 0, berlin)}
	return notify.NewDigest(key, alerts)
}

func TestDigestEmbedGolden(t *testing.T) {
	storyAt := func(i int, title string) alert.Alert {
		a := testAlert(title)
		a.ID = int64(i)
		a.Link = fmt.Sprintf("https://example.org/news/%d", i)
		a.Published = time.Date(2016, 9, 10, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
		return a
	}
	var many []alert.Alert
	for i := range 200 {
		many = append(many, storyAt(i, fmt.Sprintf("Aleppo ceasefire: day %d of talks between the sides", i)))
	}
	hostile := hostileAlert()
	hostile.Feed = "evil [feed](http://evil) @everyone"
	withParens := storyAt(3, "Kerry (and Lavrov) meet")
	withParens.Link = "https://example.org/wiki/Aleppo_(city)"
	// One story's five reports (the first, then four outlets'), a report
	// that joined it doubtfully, and another story.
	reported := []alert.Alert{storyAt(1, "Kerry and Lavrov agree Aleppo truce")}
	for i, outlet := range []string{"Herald", "evil [feed](http://evil) @everyone", "Post", "Gazette", "Ledger"} {
		r := storyAt(10+i, fmt.Sprintf("Aleppo truce agreed, report %d", i))
		r.FeedTitle, r.Join = outlet, alert.JoinAlso
		if i == 4 {
			r.Doubtful = true
		}
		reported = append(reported, r)
	}
	for i := range reported {
		reported[i].Story = "wire/1"
	}
	reported = append(reported, storyAt(2, "Aleppo hospital hit"))
	tests := []struct {
		name      string
		alerts    []alert.Alert
		wantLines int // story lines shown, "and N more" aside
		wantMore  int
	}{
		{"digest three stories", []alert.Alert{storyAt(1, "Aleppo talks resume"), storyAt(2, "Aleppo ceasefire holds"), withParens}, 3, 0},
		{"digest hostile", []alert.Alert{hostile, storyAt(2, "Aleppo ceasefire holds")}, 2, 0},
		{"digest and more", many, 0, 0},
		{"digest story with reports", reported, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := digestOf(tt.alerts)
			e := DigestEmbed(d, tt.alerts)
			// The digest's own links are meant; any other is feed text
			// that broke out.
			unlinked := *e
			unlinked.Description = ownLink.ReplaceAllString(e.Description, "$1]")
			checkEmbedLimits(t, &unlinked, MaxEmbedTotal)
			lines := strings.Split(e.Description, "\n")
			last := lines[len(lines)-1]
			if len(tt.alerts) == 200 {
				var more int
				if _, err := fmt.Sscanf(last, "*and %d more*", &more); err != nil || more+len(lines)-1 != 200 {
					t.Errorf("last line %q with %d stories shown; want \"and N more\" counting the rest of 200", last, len(lines)-1)
				}
			} else if len(lines) != tt.wantLines {
				t.Errorf("%d lines, want %d:\n%s", len(lines), tt.wantLines, e.Description)
			}
			if !strings.HasPrefix(e.Title, "Digest: aleppo — ") {
				t.Errorf("title %q, want Digest: aleppo — …", e.Title)
			}
			got, err := json.MarshalIndent(e, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden.Check(t, filepath.Join("testdata", "embeds", strings.ReplaceAll(tt.name, " ", "_")+".golden.json"), got, *update)
		})
	}
}

// A digest of stories with many reports each, under long links, is one
// message Discord accepts: the reports a line names are linked only while
// they fit.
func TestDigestOfReportedStoriesPostsOneMessage(t *testing.T) {
	f := fakediscord.New(t)
	n := NewChannelNotifier(newTestSession(t, f, "test-token"), testChannel, NewLimiter(LimiterConfig{}))
	var alerts []alert.Alert
	long := strings.Repeat("x", 280)
	for i := range 60 {
		story := fmt.Sprintf("wire/%d", i)
		for j := range 6 {
			a := testAlert(fmt.Sprintf("Aleppo story %d, report %d", i, j))
			a.ID = int64(i*6 + j)
			a.Link = fmt.Sprintf("https://example.org/news/%d/%d/%s", i, j, long)
			a.Story, a.FeedTitle = story, fmt.Sprintf("Outlet %d", j)
			if j > 0 {
				a.Join = alert.JoinAlso
			}
			alerts = append(alerts, a)
		}
	}
	d := digestOf(alerts)
	if got, want := d.Title, "Digest: aleppo — 60 stories since 08:00"; got != want {
		t.Errorf("title %q, want %q", got, want)
	}
	m := notify.Message{Nonce: "nh2d", Alerts: alerts, Digest: d}
	if _, err := n.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v (the fake rejects any broken limit)", err)
	}
	msgs := f.Messages(testChannel)
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	desc := msgs[0].Embeds[0].Description
	first := strings.SplitN(desc, "\n", 2)[0]
	if !strings.Contains(first, " · also Outlet 1, Outlet 2, Outlet 3 +2") {
		t.Errorf("first line %q, want its story's first three further outlets unlinked (their links are too long) and +2", first)
	}
	if more := regexp.MustCompile(`\*and (\d+) more\*$`).FindStringSubmatch(desc); more == nil || strings.Count(desc, "\n")+atoi(t, more[1]) != 60 {
		t.Errorf("description ends %q; want \"and N more\" counting the stories not shown of 60", desc[max(0, len(desc)-40):])
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The newest story comes first, and the title counts every story.
func TestDigestOrderAndTitle(t *testing.T) {
	older, newer := testAlert("Older story"), testAlert("Newer story")
	newer.Published = older.Published.Add(time.Hour)
	alerts := []alert.Alert{older, newer}
	d := digestOf(alerts)
	if got, want := d.Title, "Digest: aleppo — 2 stories since 08:00"; got != want {
		t.Errorf("title %q, want %q", got, want)
	}
	e := DigestEmbed(d, alerts)
	if !strings.HasPrefix(e.Description, `[Newer story]`) {
		t.Errorf("description starts %q, want the newer story first", e.Description)
	}
}

// A digest of many stories is one message Discord accepts, and a retry
// after a lost answer finds it instead of posting it again.
func TestDigestPostsOneMessage(t *testing.T) {
	f := fakediscord.New(t)
	n := NewChannelNotifier(newTestSession(t, f, "test-token"), testChannel, NewLimiter(LimiterConfig{}))
	var alerts []alert.Alert
	for i := range 150 {
		a := testAlert(fmt.Sprintf("Aleppo story %d", i))
		a.Link = fmt.Sprintf("https://example.org/news/%d", i)
		alerts = append(alerts, a)
	}
	m := notify.Message{Nonce: "nh1d", Alerts: alerts, Digest: digestOf(alerts)}
	r, err := n.Send(context.Background(), m)
	if err != nil {
		t.Fatalf("Send: %v (the fake rejects any broken limit)", err)
	}
	if msgs := f.Messages(testChannel); len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	found, ok, err := n.(notify.Finder).Find(context.Background(), m)
	if err != nil || !ok || found.MessageID != r.MessageID {
		t.Errorf("Find = %v, %v, %v; want the digest posted (%s)", found, ok, err, r.MessageID)
	}
}

// A digest's post is found as Discord reads it back ("+00:00" for the
// "Z" it was sent), and a second digest of the same key and count, listing
// another story (a row held late into an hour whose digest went out), is
// not taken for it: that digest would never be posted.
func TestCarriesDigest(t *testing.T) {
	first := []alert.Alert{testAlert("Aleppo talks resume")}
	late := []alert.Alert{testAlert("Aleppo convoy reaches the east")}
	m := notify.Message{Alerts: first, Digest: digestOf(first)}
	posted := DigestEmbed(m.Digest, m.Alerts)
	readBack := *posted
	readBack.Timestamp = strings.Replace(posted.Timestamp, "Z", "+00:00", 1)
	readBack.Description = posted.Description + "\n"
	msg := &discordgo.Message{Embeds: []*discordgo.MessageEmbed{&readBack}}
	if !carriesDigest(msg, m) {
		t.Errorf("the digest's post, read back with timestamp %q, is not found", readBack.Timestamp)
	}
	other := notify.Message{Alerts: late, Digest: digestOf(late)}
	if other.Digest.Title != m.Digest.Title {
		t.Fatalf("titles %q and %q: the test wants two digests alike but for their stories", other.Digest.Title, m.Digest.Title)
	}
	if carriesDigest(msg, other) {
		t.Error("a digest of the same key listing another story is taken for the first one's post")
	}
}
