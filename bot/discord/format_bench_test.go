package discord

import (
	"testing"

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
