package bot

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
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

// groupedOpenerRace stops the poll of feed refused, whose opener of a
// story (A2) is grouped with a further report of it, between its grouping
// and its commit (at joinLateOpeners' look at the story's leads), until
// the poll of feed report, grouped after it into that story, has
// committed, and a send pass has run or waited a second for the moves.
type groupedOpenerRace struct {
	store.Store
	refused, report string // feed ids
	armed           bool
	svc             *Service
	grouped         chan struct{} // closed when the refused poll has grouped
	reported        chan struct{} // closed when the report's commit is over
	passed          chan error    // the send pass is over
	once            [2]sync.Once
	t               *testing.T
}

func (s *groupedOpenerRace) wait(ch chan struct{}, what string) { waitClosed(s.t, ch, what) }

func (s *groupedOpenerRace) StoryLeads(ctx context.Context, dest, story string) ([]store.Alert, error) {
	if s.armed && strings.HasPrefix(story, s.refused+"/") {
		s.once[0].Do(func() {
			close(s.grouped)
			s.wait(s.reported, "the report's commit")
			go func() { s.passed <- s.svc.sender.deliverAll(context.WithoutCancel(ctx)) }()
			select {
			case err := <-s.passed:
				s.passed <- err
			case <-time.After(time.Second): // the pass waits for this poll's moves
			}
		})
	}
	return s.Store.StoryLeads(ctx, dest, story)
}

func (s *groupedOpenerRace) UnseenKeys(ctx context.Context, feedID string, keys []string) ([]string, error) {
	if s.armed && feedID == s.report {
		s.wait(s.grouped, "the refused poll's grouping")
	}
	return s.Store.UnseenKeys(ctx, feedID, keys)
}

func (s *groupedOpenerRace) CommitPoll(ctx context.Context, feedID string, p store.Poll) (int, error) {
	n, err := s.Store.CommitPoll(ctx, feedID, p)
	if s.armed && feedID == s.report && len(p.Alerts) > 0 {
		s.once[1].Do(func() { close(s.reported) })
	}
	return n, err
}

// TestReportCommittedBeforeItsGroupedOpenerGoesUnderItsNewStory: where
// each report is a message named with its story (email, webhook), one
// worker groups the edit of a posted report (A2, which the duplicate
// check will refuse) and a further report of its (C); another groups
// the herald's report (B) into A2's story and commits first. A send pass
// between B's commit and A2's read B's row and sent it under A2's story,
// which the merge that follows A2's commit then listed under A's: B went
// out under a story id no other message has. B goes under A's story.
func TestReportCommittedBeforeItsGroupedOpenerGoesUnderItsNewStory(t *testing.T) {
	for _, out := range storyOutlets {
		t.Run(out.name, func(t *testing.T) {
			h, _ := storyHarness(t, kesslerSub())
			h.cfg.Service.Workers = 2
			n, delivered, shown := out.open(t)
			ctx := context.Background()
			st := h.sqlite(t)
			defer st.Close()
			race := &groupedOpenerRace{Store: st, refused: "courier", report: "herald",
				grouped: make(chan struct{}), reported: make(chan struct{}), passed: make(chan error, 1), t: t}
			svc, err := New(ctx, h.options(race, n, io.Discard))
			if err != nil {
				t.Fatal(err)
			}
			race.svc = svc
			pass := minutePasses(t, h, func() *Service { return svc })
			weather, first, edited, report := postFirstReport(h, pass)
			further := testItem{GUID: "urn:courier:3", Title: laterTitle, Link: "https://courier.example/kessler-home", Description: reportLead, Published: h.clock}
			h.write("courier.xml", weather, edited, further)
			h.write("herald.xml", weather, report)
			race.armed = true
			h.clock = h.clock.Add(time.Minute)
			svc.poller.pollAll(ctx, svc.live.catalog().Feeds(), pollNow)
			race.armed = false
			if err := <-race.passed; err != nil {
				t.Fatalf("the send pass between the commits: %v", err)
			}
			h.clock = h.clock.Add(time.Minute)
			if err := svc.sender.deliverAll(ctx); err != nil {
				t.Fatalf("deliverAll: %v", err)
			}

			got, messages := delivered()
			if messages != 3 { // A, B and C; A2 refused
				t.Errorf("%d messages, want 3", messages)
			}
			for _, it := range []testItem{report, further} {
				if got[first.Title] == "" || got[it.Title] != got[first.Title] {
					t.Errorf("%q sent under story %q, %q under %q: want one story", first.Title, got[first.Title], it.Title, got[it.Title])
				}
			}
			for title, story := range outboxStories(t, h) {
				if s, ok := got[title]; !ok || s != shown(story) {
					t.Errorf("%q sent under story %q; the outbox lists it under %q, shown %q", title, s, story, shown(story))
				}
			}
		})
	}
}
