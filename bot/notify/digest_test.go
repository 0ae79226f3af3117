package notify

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/alert"
)

func TestDigestTitles(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	at := func(d, h int) time.Time { return time.Date(2026, 12, d, h, 0, 0, 0, cet) }
	one := []alert.Alert{{Title: "Aleppo talks", Subscription: "aleppo, syria"}}
	tests := []struct {
		name string
		key  alert.DigestKey
		n    int
		want string
	}{
		{"daily", alert.DigestKey{Kind: alert.KindDigest, Since: at(1, 8), Until: at(2, 8)}, 12, "Digest: aleppo — 12 stories since 08:00"},
		{"one story", alert.DigestKey{Kind: alert.KindDigest, Since: at(1, 8), Until: at(2, 8)}, 1, "Digest: aleppo — 1 story since 08:00"},
		{"weekly names the day", alert.DigestKey{Kind: alert.KindDigest, Since: at(1, 8), Until: at(8, 8)}, 3, "Digest: aleppo — 3 stories since 1 Dec 08:00"},
		{"quiet hours", alert.DigestKey{Kind: alert.KindQuiet, Since: at(1, 22), Until: at(2, 7)}, 2, "Quiet hours 22:00–07:00: aleppo — 2 stories"},
		{"capped", alert.DigestKey{Kind: alert.KindCapped, Since: at(1, 14), Until: at(1, 15)}, 40, "Also matched: aleppo — 40 more stories since 14:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alerts := make([]alert.Alert, tt.n)
			for i := range alerts {
				alerts[i] = one[0]
			}
			if got := NewDigest(tt.key, alerts).Title; got != tt.want {
				t.Errorf("title %q, want %q", got, tt.want)
			}
		})
	}
}

func TestConsoleDigestTitle(t *testing.T) {
	var b strings.Builder
	a := alert.Alert{Title: "Aleppo talks", Feed: "wire", Subscription: "aleppo", Published: time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)}
	key := alert.DigestKey{Kind: alert.KindDigest, Subscription: "cfg:aleppo",
		Since: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), Until: time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)}
	alerts := []alert.Alert{a}
	m := Message{Alerts: alerts, Digest: NewDigest(key, alerts)}
	if _, err := NewConsole(&b).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.SplitN(b.String(), "\n", 2)[0], "== Digest: aleppo — 1 story since 08:00 =="; got != want {
		t.Errorf("first line %q, want %q", got, want)
	}
}

func TestDigestLines(t *testing.T) {
	rep := func(id int64, title, story, join string) alert.Alert {
		return alert.Alert{ID: id, Title: title, Feed: "f" + title, Link: "https://example.org/" + title, Story: story, Join: join}
	}
	doubtful := rep(5, "d", "s1", alert.JoinAlso)
	doubtful.Doubtful = true
	tests := []struct {
		name   string
		alerts []alert.Alert // newest first, as NewDigest sorts them
		want   []string      // each line: its title, then those under it
	}{
		{"no stories", []alert.Alert{rep(2, "b", "", ""), rep(1, "a", "", "")}, []string{"b", "a"}},
		{"further reports under the first", []alert.Alert{rep(4, "c", "s1", alert.JoinAlso), rep(3, "x", "s2", ""), rep(2, "b", "s1", alert.JoinAlso), rep(1, "a", "s1", "")},
			[]string{"x", "a b c"}},
		{"the first report heads its line though enqueued later", []alert.Alert{rep(3, "a", "s1", ""), rep(2, "b", "s1", alert.JoinAlso)}, []string{"a b"}},
		{"without the first report, the earliest heads", []alert.Alert{rep(3, "c", "s1", alert.JoinAlso), rep(2, "b", "s1", alert.JoinAlso)}, []string{"b c"}},
		{"a doubtful report and an update keep their lines", []alert.Alert{doubtful, rep(4, "u", "s1", alert.JoinUpdate), rep(1, "a", "s1", "")}, []string{"d", "u", "a"}},
		{"one report per story (each report its own message)", []alert.Alert{rep(2, "b", "s2", ""), rep(1, "a", "s1", "")}, []string{"b", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := slices.Clone(tt.alerts)
			lines := DigestLines(tt.alerts)
			var got []string
			for _, a := range lines {
				l := a.Title
				for _, r := range a.Also {
					l += " " + r.Title
				}
				got = append(got, l)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("lines %q, want %q", got, tt.want)
			}
			if !slices.EqualFunc(before, tt.alerts, func(x, y alert.Alert) bool { return x.Title == y.Title && len(x.Also) == len(y.Also) }) {
				t.Errorf("DigestLines changed its argument")
			}
			if n := NewDigest(alert.DigestKey{Kind: alert.KindDigest}, tt.alerts).Stories; n != len(tt.want) {
				t.Errorf("NewDigest counts %d stories, want %d", n, len(tt.want))
			}
		})
	}
}
