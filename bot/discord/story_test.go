package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/fakediscord"
	"github.com/newshound/newshound/internal/golden"
)

// Outlets reporting the story of testAlert.
var outlets = []string{"Reuters", "AP", "Al Jazeera", "BBC World", "Le Monde", "Der Spiegel", "NHK World", "ABC News (AU)", "Deutsche Welle", "France 24"}

// reports returns n reports of the story by the outlets, in turn.
func reports(n int) []alert.Report {
	out := make([]alert.Report, n)
	for i := range out {
		name := outlets[i%len(outlets)]
		out[i] = alert.Report{
			Feed:      fmt.Sprintf("feed-%d", i+1),
			FeedTitle: name,
			Title:     fmt.Sprintf("%s: Aleppo ceasefire holds, report %d", name, i+1),
			Link:      fmt.Sprintf("https://%s.example/world/aleppo-ceasefire-%d", strings.ToLower(strings.NewReplacer(" ", "-", "(", "", ")", "").Replace(name)), i+1),
		}
	}
	return out
}

// updates returns n updates a quarter of an hour apart, from 17:15 UTC.
func updates(n int, text string) []alert.Update {
	out := make([]alert.Update, n)
	for i := range out {
		out[i] = alert.Update{
			At:   time.Date(2016, 9, 10, 17, 15, 0, 0, time.UTC).Add(time.Duration(i) * 15 * time.Minute),
			Text: fmt.Sprintf("(%d) %s", i+1, text),
		}
	}
	return out
}

// doubtful marks the reports at the given indexes as doubtful joins,
// with headlines of another story.
func doubtful(reports []alert.Report, at ...int) []alert.Report {
	for _, i := range at {
		reports[i].Doubtful = true
		if strings.Contains(reports[i].Title, "Aleppo") {
			reports[i].Title = fmt.Sprintf("Fabrikam shares jump %d%% after surprise profit", i+1)
		}
	}
	return reports
}

// hostileHeadlines are reports with a headline, whose headline or link
// tries to ping, reorder or crowd out the list.
func hostileHeadlines() []alert.Report {
	return []alert.Report{
		{Feed: "evil5", FeedTitle: "Evil Wire", Title: "Markets rally", Link: "https://evil.example/@everyone/rally"},
		{Feed: "evil6", FeedTitle: "Evil Wire", Title: "\u202eyllar stekram\u202c @here", Link: "https://evil.example/c"},
		{Feed: "evil7", FeedTitle: "Evil Wire", Title: "A link too long to be worth its room", Link: "https://evil.example/" + strings.Repeat("x", 400)},
	}
}

// hostileReports are reports whose every field tries to ping, format or
// break the Also list's links.
func hostileReports() []alert.Report {
	return []alert.Report{
		{Feed: "evil", FeedTitle: "@everyone **Breaking** <@&123>", Title: "@here", Link: "https://evil.example/a"},
		{Feed: "evil2", FeedTitle: "Evil](https://phish.example) [x", Title: "t", Link: "https://evil.example/b?x=)](https://phish.example)"},
		{Feed: "evil3", FeedTitle: "`code` ~~strike~~ ||spoiler|| \u202egnp.exe", Link: "javascript:alert(1)"},
		{Feed: "evil4", FeedTitle: "\n# Heading\n> quote", Link: "https://evil.example/<@everyone>"},
		{Feed: "", FeedTitle: "", Link: "https://no-name.example/x"},
	}
}

func TestStoryGolden(t *testing.T) {
	longText := strings.Repeat("Aid convoys crossed into eastern Aleppo as the truce held for a second night. ", 30)
	withStory := func(a alert.Alert, also []alert.Report, ups []alert.Update) alert.Alert {
		a.Also, a.Updates = also, ups
		return a
	}
	damascus := withFormat(testAlert("Aleppo ceasefire holds"), func(f *config.Format) { f.Timezone = "Asia/Damascus" })
	var burst []alert.Alert
	for i := range notify.MaxBurst {
		a := testAlert(fmt.Sprintf("Aleppo story %d: %s", i+1, strings.Repeat("long title words ", 10)))
		a.Link = fmt.Sprintf("https://example.org/news/%d", i+1)
		a.Text = longText
		burst = append(burst, withStory(a, reports(40), updates(4, longText)))
	}
	hostile := hostileAlert()
	hostileUps := []alert.Update{
		{At: time.Date(2016, 9, 10, 17, 15, 0, 0, time.UTC), Text: "@everyone [click](http://evil) **now** <@456>\n# not a heading"},
	}
	tests := []struct {
		name   string
		alerts []alert.Alert
	}{
		{"three also reports", []alert.Alert{withStory(testAlert("Aleppo ceasefire holds"), reports(3), nil)}},
		{"forty also reports", []alert.Alert{withStory(testAlert("Aleppo ceasefire holds"), reports(40), nil)}},
		{"updates", []alert.Alert{withStory(testAlert("Aleppo ceasefire holds"), reports(2), updates(3, "Convoys reached the eastern districts."))}},
		{"updates in the format zone", []alert.Alert{withStory(damascus, nil, updates(2, "Convoys reached the eastern districts."))}},
		{"more updates than fit", []alert.Alert{withStory(testAlert("Aleppo ceasefire holds"), reports(5), updates(12, longText[:900]))}},
		{"burst of ten with many reports", burst},
		{"hostile", []alert.Alert{withStory(hostile, hostileReports(), hostileUps)}},
		{"doubtful reports", []alert.Alert{withStory(testAlert("Aleppo ceasefire holds"), doubtful(reports(5), 2, 4), nil)}},
		{"many doubtful reports", []alert.Alert{withStory(testAlert("Aleppo ceasefire holds"), doubtful(reports(40), 3, 5, 8, 11, 14, 17, 20, 23, 26, 29, 32, 35), updates(2, "Convoys reached the eastern districts."))}},
		{"hostile doubtful", []alert.Alert{withStory(hostile, doubtful(append(hostileReports(), hostileHeadlines()...), 0, 1, 2, 3, 4, 5, 6, 7), nil)}},
		{"doubtful reports and many updates", []alert.Alert{withStory(testAlert("Aleppo ceasefire holds"), doubtful(reports(2), 1), updates(30, "Convoys reached the eastern districts."))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			n := NewChannelNotifier(newTestSession(t, f, "test-token"), testChannel, NewLimiter(LimiterConfig{}))
			posted := notify.Message{Nonce: "story", Alerts: withoutStories(tt.alerts)}
			r, err := n.Send(context.Background(), posted)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			edit := notify.Edit{MessageID: r.MessageID, Message: notify.Message{Nonce: "story", Alerts: tt.alerts}}
			if err := n.(notify.Editor).Edit(context.Background(), edit); err != nil {
				t.Fatalf("Edit: %v (the fake validates every limit)", err)
			}
			m, _ := f.Message(r.MessageID)
			if len(m.Edits) != 1 {
				t.Fatalf("message edited %d times, want 1", len(m.Edits))
			}
			checkStoryEmbeds(t, m.Embeds, tt.alerts)
			var out bytes.Buffer
			if err := json.Indent(&out, m.Edits[0].Raw, "", "  "); err != nil {
				t.Fatal(err)
			}
			out.WriteByte('\n')
			path := filepath.Join("testdata", "stories", strings.ReplaceAll(tt.name, " ", "_")+".golden.json")
			golden.Check(t, path, out.Bytes(), *update)
		})
	}
}

func withoutStories(alerts []alert.Alert) []alert.Alert {
	out := slices.Clone(alerts)
	for i := range out {
		out[i].Also, out[i].Updates = nil, nil
	}
	return out
}

// linkTarget finds the targets of the markdown links in a field value:
// "](" not escaped by a backslash.
var linkTarget = regexp.MustCompile(`(?:^|[^\\])\]\(([^)]*)\)`)

// checkStoryEmbeds asserts Discord's limits on the embeds and their
// fields, and that the story's fields link only the reports' own http(s)
// links and can mention no one.
func checkStoryEmbeds(t *testing.T, embeds []*discordgo.MessageEmbed, alerts []alert.Alert) {
	t.Helper()
	total := 0
	for i, e := range embeds {
		total += EmbedLength(e)
		checkEmbedLimits(t, &discordgo.MessageEmbed{Title: e.Title, Description: e.Description, Footer: e.Footer, Author: e.Author}, MaxEmbedTotal)
		if len(e.Fields) > MaxFields {
			t.Errorf("embed %d has %d fields, limit %d", i, len(e.Fields), MaxFields)
		}
		var links []string
		for _, r := range alerts[i].Also {
			if markdownLinkTarget(r.Link) != "" {
				links = append(links, markdownLinkTarget(r.Link))
			}
		}
		for _, fl := range e.Fields {
			if n := utf8.RuneCountInString(fl.Value); n > MaxFieldValue || n == 0 || fl.Name == "" || utf8.RuneCountInString(fl.Name) > MaxFieldName {
				t.Errorf("embed %d field %q: value of %d code points", i, fl.Name, n)
			}
			for _, mention := range []string{"@everyone", "@here", "<@", "<#"} {
				if strings.Contains(fl.Value, mention) {
					t.Errorf("embed %d field %q contains live %q: %s", i, fl.Name, mention, clip(fl.Value))
				}
			}
			for _, m := range linkTarget.FindAllStringSubmatch(fl.Value, -1) {
				if !slices.Contains(links, m[1]) {
					t.Errorf("embed %d field %q links %q, not one of the reports' links", i, fl.Name, m[1])
				}
			}
		}
	}
	if total > MaxEmbedTotal {
		t.Errorf("embeds total %d code points, limit %d", total, MaxEmbedTotal)
	}
}

// The Also list names as many outlets as fit, then "+N"; updates keep the
// newest and count the earlier ones left out.
func TestStoryFieldsShrink(t *testing.T) {
	tests := []struct {
		name        string
		also        int
		updates     int
		room        int
		wantNamed   int    // outlets named in the Also field (-1: no field)
		wantMore    string // the Also field's ending
		wantUpdates int
		wantEarlier string // the "Earlier updates" value, "" for none
	}{
		{"all fit", 3, 2, 6000, 3, "Al Jazeera", 2, ""},
		{"also cut at 1024", 40, 0, 6000, 15, "+25", 0, ""},
		{"updates keep the newest", 2, 30, 6000, 2, "AP", 23, "7 not shown"},
		{"tight room shrinks also first", 20, 3, 600, 5, "+15", 3, ""},
		{"tighter still drops old updates", 20, 6, 400, 2, "+18", 3, "3 not shown"},
		{"no room", 20, 6, 10, -1, "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := testAlert("Aleppo ceasefire holds")
			a.Also, a.Updates = reports(tt.also), updates(tt.updates, "Convoys reached the eastern districts of the city.")
			fields, _ := storyFields(a, tt.room)
			if n := fieldsLength(fields); n > tt.room {
				t.Errorf("fields take %d code points, room %d", n, tt.room)
			}
			named, more, shown, earlier := -1, "", 0, ""
			for _, f := range fields {
				switch f.Name {
				case alsoName:
					named = strings.Count(f.Value, "](")
					if strings.HasSuffix(f.Value, ")") {
						more = f.Value[strings.LastIndex(f.Value, "[")+1 : strings.LastIndex(f.Value, "]")]
					} else {
						more = f.Value[strings.LastIndex(f.Value, " ")+1:]
					}
				case earlierName:
					earlier = f.Value
				default:
					shown++
				}
			}
			if named != tt.wantNamed || more != tt.wantMore || shown != tt.wantUpdates || earlier != tt.wantEarlier {
				t.Errorf("got %d outlets named ending %q, %d updates, earlier %q; want %d ending %q, %d, %q",
					named, more, shown, earlier, tt.wantNamed, tt.wantMore, tt.wantUpdates, tt.wantEarlier)
			}
		})
	}
}

// TestDoubtField: the doubtful reports' headlines fill their field as far
// as they fit (one more would not), then "+N"; with no other report they
// get the whole room the reports have; whatever is left out makes
// storyFields say it cut.
func TestDoubtField(t *testing.T) {
	for _, n := range []int{1, 5, 12, 40} {
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		reps := doubtful(reports(n), all...)
		for room := 0; room <= 1300; room += 7 {
			fields, shown := doubtField(reps, room)
			limit := min(MaxFieldValue, room-utf8.RuneCountInString(doubtName))
			if fieldsLength(fields) > room || len(fields) == 1 && utf8.RuneCountInString(fields[0].Value) > MaxFieldValue {
				t.Fatalf("%d reports, room %d: field of %d code points", n, room, fieldsLength(fields))
			}
			if len(fields) == 0 && utf8.RuneCountInString(reportCount(n)) <= limit {
				t.Errorf("%d reports, room %d: no field, but %q fits", n, room, reportCount(n))
			}
			if shown == n || len(fields) == 0 {
				continue
			}
			lines := make([]string, 0, shown+2)
			for _, r := range reps[:shown+1] {
				lines = append(lines, doubtEntry(r))
			}
			if rest := n - shown - 1; rest > 0 {
				lines = append(lines, moreReports(rest))
			}
			if more := strings.Join(lines, "\n"); utf8.RuneCountInString(more) <= limit {
				t.Errorf("%d reports, room %d: %d headlines shown, but %d fit (%d of %d code points)", n, room, shown, shown+1, utf8.RuneCountInString(more), limit)
			}
		}
	}

	a := testAlert("Aleppo ceasefire holds")
	a.Also = doubtful(reports(5), 0, 1, 2, 3, 4)
	fields, cut := storyFields(a, 800)
	if len(fields) != 1 || fields[0].Name != doubtName || strings.Count(fields[0].Value, "\n") != 4 || cut {
		t.Errorf("5 doubtful reports alone in 800 code points: %d fields %v, cut %v; want all 5 headlines, not cut", len(fields), fields, cut)
	}
	a.Also = reports(40)
	for i := range a.Also[3:] {
		a.Also[3+i].Doubtful = true
	}
	if _, cut := storyFields(a, 6000); !cut {
		t.Error("3 outlets and 37 doubtful headlines, which cannot all fit: cut = false, want true")
	}
}
