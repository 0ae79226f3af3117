package notify

import (
	"context"
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
