package discord

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/config"
)

// BenchmarkRenderEmbeds measures a burst of ten alerts, in the default
// format and in one that puts every placeholder in every part.
func BenchmarkRenderEmbeds(b *testing.B) {
	every := "{title} {link} {summary} {feed} {feed_title} {author} {categories} {published} {matched} {subscription} {image}"
	custom := func(a alert.Alert) alert.Alert {
		return withFormat(a, func(f *config.Format) {
			f.Content, f.Title, f.Description, f.Footer, f.Author = every, every, every, every, every
		})
	}
	for _, bc := range []struct {
		name string
		make func(alert.Alert) alert.Alert
	}{{"default", func(a alert.Alert) alert.Alert { return a }}, {"every placeholder everywhere", custom}} {
		alerts := make([]alert.Alert, 10)
		for i := range alerts {
			alerts[i] = bc.make(formatAlert("Aleppo ceasefire holds as aid convoys roll in"))
		}
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := RenderEmbeds(alerts); err != nil {
					b.Fatal(err)
				}
				Content(alerts)
			}
		})
	}
}

// BenchmarkRenderStoryEmbed measures the edit of a big story's message:
// 60 further reports (every fifth doubtful) and 40 live updates.
func BenchmarkRenderStoryEmbed(b *testing.B) {
	a := formatAlert("Aleppo ceasefire holds as aid convoys roll in")
	for i := range 60 {
		a.Also = append(a.Also, alert.Report{Feed: fmt.Sprintf("feed-%d", i), FeedTitle: fmt.Sprintf("Outlet number %d", i), Title: "Aleppo ceasefire holds as aid convoys roll in across the city " + strings.Repeat("x", i%20), Link: fmt.Sprintf("https://example.org/%d/some/long/path/to/an/article?id=%d", i, i), Doubtful: i%5 == 0})
	}
	for i := range 40 {
		a.Updates = append(a.Updates, alert.Update{At: time.Unix(int64(1700000000+i*60), 0), Text: strings.Repeat("Aid convoys entered eastern Aleppo on Tuesday. ", 8), Link: "https://example.org/live"})
	}
	for b.Loop() {
		if _, err := RenderEmbeds([]alert.Alert{a}); err != nil {
			b.Fatal(err)
		}
	}
}
