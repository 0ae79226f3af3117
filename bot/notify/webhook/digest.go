package webhook

import (
	"time"

	"github.com/newshound/newshound/bot/notify"
)

// MaxDigestAlerts is the most alerts one digest body lists, newest first,
// every report of a story with the same "story_id";
// "more" counts the rest, so a runaway query cannot make a body that a
// receiver refuses for its size.
const MaxDigestAlerts = 100

// Digest is the "digest" object of a body that carries a digest:
//
//	"digest": {
//	  "title": "Digest: aleppo — 12 stories since 08:00",
//	  "kind": "digest",            // digest (scheduled), quiet (after quiet hours) or capped (beyond max_per_hour)
//	  "subscription": "aleppo",
//	  "since": "2026-01-01T08:00:00+01:00", "until": "2026-01-02T08:00:00+01:00",  // RFC 3339, the subscription's zone
//	  "stories": 12,               // all stories of the digest, each once however many reports it has (before 2026-12 each report counted)
//	  "more": 0                    // the alerts (reports) not in "alerts"
//	}
type Digest struct {
	Title        string    `json:"title"`
	Kind         string    `json:"kind"`
	Subscription string    `json:"subscription"`
	Since        time.Time `json:"since"`
	Until        time.Time `json:"until"`
	Stories      int       `json:"stories"`
	More         int       `json:"more"`
}

// RenderMessage returns the JSON body for m: Render's for alerts, with a
// "digest" object and at most MaxDigestAlerts alerts for a digest.
func RenderMessage(m notify.Message) ([]byte, error) {
	if m.Digest == nil {
		return Render(m.Alerts)
	}
	shown := m.Alerts[:min(len(m.Alerts), MaxDigestAlerts)]
	b := Body{Version: Version, Alerts: make([]Item, len(shown))}
	for i, a := range shown {
		b.Alerts[i] = item(a)
	}
	d := m.Digest
	stories := d.Stories
	if stories == 0 {
		stories = len(notify.DigestLines(m.Alerts))
	}
	b.Digest = &Digest{Title: d.Title, Kind: d.Kind, Subscription: d.Subscription, Since: d.Since, Until: d.Until,
		Stories: stories, More: len(m.Alerts) - len(shown)}
	return encode(b)
}
