package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
)

// TestItemsRememberedWithinOneProcessPostOnce polls one feed again and
// again in one process, where the parser skips the items of the last
// committed document (feeds.ItemMemo), and then after a restart: every
// new match is posted once, and nothing known is posted again, whether
// it stayed, was edited, left or came back.
func TestItemsRememberedWithinOneProcessPostOnce(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	now := h.clock
	calm := item(1, "Markets rally on rate hopes", now.Add(-time.Hour))
	first := item(2, "Aleppo ceasefire talks resume", now)
	edited := first
	edited.Description = "Report from the wire desk, updated with reactions."
	second := item(3, "Aleppo truce holds", now)
	third := item(4, "Aleppo convoy reaches the city", now)
	fourth := item(5, "Aleppo airport reopens", now)
	steps := []struct {
		name  string
		items []testItem
		want  []string // delivered so far
	}{
		{"first sight", []testItem{calm}, nil},
		{"a match", []testItem{first, calm}, []string{first.Title}},
		{"the same document", []testItem{first, calm}, []string{first.Title}},
		{"the match edited, another one", []testItem{second, edited, calm}, []string{first.Title, second.Title}},
		{"one gone", []testItem{second, calm}, []string{first.Title, second.Title}},
		{"it came back, a third", []testItem{third, edited, second, calm}, []string{first.Title, second.Title, third.Title}},
	}
	svc, st := h.open()
	for _, s := range steps {
		h.clock = h.clock.Add(10 * time.Minute)
		h.write("wire.xml", s.items...)
		if _, err := svc.RunOnce(context.Background()); err != nil {
			t.Fatalf("%s: RunOnce: %v", s.name, err)
		}
		if got := h.rec.titles(); strings.Join(got, "\n") != strings.Join(s.want, "\n") {
			t.Fatalf("%s: delivered %q, want %q", s.name, got, s.want)
		}
	}
	st.Close()
	h.clock = h.clock.Add(10 * time.Minute)
	h.write("wire.xml", fourth, third, edited, second, calm)
	h.runOnce() // a restart: nothing remembered in memory
	h.wantTitles(first.Title, second.Title, third.Title, fourth.Title)
}
