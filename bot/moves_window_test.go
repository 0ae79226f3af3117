package bot

import (
	"context"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/pgtest"
)

// TestReportSentBetweenItsCommitAndItsMovesGoesUnderItsNewStory: where
// each report is a message named with its story (email, webhook), a poll
// commits the edit of a posted report (A2, refused as a duplicate) and
// another report of it (B), which joins A2's story until the merge that
// follows the commit moves it under A's. A send pass that read the outbox
// in between sent B under A2's story: a mail of a thread of its own, a
// webhook story_id the story never had. B goes under A's story.
func TestReportSentBetweenItsCommitAndItsMovesGoesUnderItsNewStory(t *testing.T) {
	for _, out := range storyOutlets {
		t.Run(out.name, func(t *testing.T) {
			h, _ := storyHarness(t, kesslerSub())
			n, delivered, shown := out.open(t)
			svc, first, report := sendBetweenCommitAndMerge(t, h, n)
			h.clock = h.clock.Add(time.Minute)
			if err := svc.sender.deliverAll(context.Background()); err != nil {
				t.Fatalf("deliverAll: %v", err)
			}

			got, messages := delivered()
			if messages != 2 { // the first report and B; A2 refused
				t.Errorf("%d messages, want 2", messages)
			}
			if got[first.Title] == "" || got[report.Title] != got[first.Title] {
				t.Errorf("%q sent under story %q, %q under %q: want one story", first.Title, got[first.Title], report.Title, got[report.Title])
			}
			for title, story := range outboxStories(t, h) {
				if s, ok := got[title]; !ok || s != shown(story) {
					t.Errorf("%q sent under story %q; the outbox lists it under %q, shown %q", title, s, story, shown(story))
				}
			}
		})
	}
}

// TestInstancesReportSentBetweenCommitAndMovesGoesUnderItsNewStory is the
// same on a shared PostgreSQL store: instance A commits the edit (A2,
// refused) and B, and instance B's send pass reads the outbox before A's
// merge moves B's row under A's story. B goes under A's story.
func TestInstancesReportSentBetweenCommitAndMovesGoesUnderItsNewStory(t *testing.T) {
	for _, out := range storyOutlets {
		t.Run(out.name, func(t *testing.T) {
			dsn := pgtest.Schema(t)
			h, rec := storyHarness(t, kesslerSub())
			n, delivered, _ := out.open(t)
			clk, at := h.sharedClock(rec) // rec is not the desk: n is
			_, b, first, report := instancesSendBetweenCommitAndMerge(t, h, dsn, clk, at, n)
			at(time.Minute)
			b.RunOnce(context.Background())

			got, messages := delivered()
			if messages != 2 { // the first report and B; A2 refused
				t.Errorf("%d messages, want 2", messages)
			}
			if got[first.Title] == "" || got[report.Title] != got[first.Title] {
				t.Errorf("%q sent under story %q, %q under %q: want one story", first.Title, got[first.Title], report.Title, got[report.Title])
			}
		})
	}
}
