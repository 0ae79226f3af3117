package bot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
)

// TestLiveUpdateOfAnItemKeyedOtherwiseBeforeGoesUnderItsStory upgrades
// over an Atom live blog whose title, of type text, has an escaped tag:
// 75bb92d read it as HTML ("Kessler Dam"), as it reads a title of
// type html still, so serving it as html first leaves the store as that
// version left it: the blog posted under its old key, its story named by
// that key. The upgrade reads the title as text, a new key that
// Feed.OldKeys maps to the old one: nothing is posted again. When the
// blog then gains a matching paragraph, that update goes under the
// blog's message like any other, not out as a message of its own that
// looks like the blog posted again.
func TestLiveUpdateOfAnItemKeyedOtherwiseBeforeGoesUnderItsStory(t *testing.T) {
	const (
		first = "Engineers reopened the Kessler Dam spillway on Tuesday."
		added = "A second spillway gate opened at noon, officials said."
	)
	sub := config.Subscription{Name: "dams", Query: "kessler OR spillway", StoryWindow: 48 * time.Hour, Updates: true, Backfill: 1}
	h, rec := storyHarness(t, sub)
	h.cfg.Feeds = append(h.cfg.Feeds, config.Feed{Name: "damblog", URL: h.feedURL("damblog.atom"), Interval: 10 * time.Minute})
	blog := func(titleType, body string) {
		doc := fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Courier</title><id>urn:courier</id><updated>%[1]s</updated>
<entry><id>urn:courier:blog</id><title type=%[2]q>Kessler Dam &lt;live&gt;</title><link href="https://courier.example/live"/>
<updated>%[1]s</updated><content type="text">%[3]s</content></entry></feed>`, h.clock.Format(time.RFC3339), titleType, body)
		if err := os.WriteFile(filepath.Join(h.dir, "damblog.atom"), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	poll := func(svc *Service) {
		t.Helper()
		h.clock = h.clock.Add(10 * time.Minute)
		if _, err := svc.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	blog("html", first) // as 75bb92d read it
	svc, closeStore := h.openWith(rec)
	defer func() { closeStore() }()
	poll(svc) // first sight: the blog is backfilled
	if got, want := rec.titles(), []string{"Kessler Dam"}; !slices.Equal(got, want) {
		t.Fatalf("before the upgrade: posted %q, want %q", got, want)
	}

	closeStore()
	svc, closeStore = h.openWith(rec) // the upgrade
	blog("text", first)
	poll(svc)
	if got := rec.titles(); len(got) != 1 {
		t.Fatalf("after the upgrade: messages %q, want the blog's alone (posted before it)", got)
	}

	blog("text", first+"\n\n"+added)
	poll(svc)
	if got, want := rec.updates(), []string{added}; !slices.Equal(got, want) {
		t.Errorf("updates under the blog's message: %q, want %q", got, want)
	}
	if got := rec.titles(); len(got) != 1 {
		t.Errorf("messages %q, want the blog's alone: its update goes under it", got)
	}
}
