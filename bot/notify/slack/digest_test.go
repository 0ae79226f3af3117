package slack

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/internal/alerttest"
	"github.com/newshound/newshound/internal/golden"
)

// testDigest is the digest the sender makes of alerts: a daily 08:00
// digest in Berlin.
func testDigest(alerts []alert.Alert) *notify.Digest {
	cet := time.FixedZone("CET", 3600)
	return notify.NewDigest(alert.DigestKey{Kind: alert.KindDigest, Subscription: "cfg:aleppo",
		Since: time.Date(2016, 9, 10, 8, 0, 0, 0, cet), Until: time.Date(2016, 9, 11, 8, 0, 0, 0, cet)}, alerts)
}

func TestRenderDigestGolden(t *testing.T) {
	tests := []struct {
		name     string
		alerts   []alert.Alert
		wantMore int // stories counted in "and N more"
		stories  int // the lines and "and N more" count; 0: one per alert
	}{
		{"digest", alerttest.Sequence(5), 0, 0},
		{"digest_hostile", hostileBurst(3), 0, 0},
		{"digest_and_more", alerttest.Sequence(150), 50, 0},
		{"digest_story_with_reports", alerttest.ReportedStory(4), 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := testDigest(tt.alerts)
			p := RenderDigest(d, tt.alerts, "nh1d")
			if err := checkPayload(p); err != nil {
				t.Error(err)
			}
			lines := 0
			for _, b := range p.Blocks[1:] {
				if b.Type == "section" {
					lines += strings.Count(b.Text.Text, "\n") + 1
				}
			}
			last := p.Blocks[len(p.Blocks)-1]
			var more int
			if last.Type == "context" {
				fmt.Sscanf(last.Elements[0].Text, "_and %d more_", &more)
			}
			stories := cmp.Or(tt.stories, len(tt.alerts))
			if lines+more != stories || more != tt.wantMore {
				t.Errorf("%d lines and %d more, want %d stories in all", lines, more, stories)
			}
			if !strings.HasPrefix(p.Text, "Digest: ") || p.Blocks[0].Text.Text != "*"+p.Text+"*" {
				t.Errorf("text %q, header %q; want the digest's title", p.Text, p.Blocks[0].Text.Text)
			}
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(p); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", tt.name+".golden.json"), b.Bytes(), *update)
		})
	}
}
