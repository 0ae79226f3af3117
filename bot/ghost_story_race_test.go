package bot

import (
	"context"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
)

// mergeRaceStore puts another worker's commit exactly between the commit
// of a poll whose opener the duplicate check refused and the merge of its
// story that follows: the reporting feed's poll reads its new keys only
// once the opener's poll is committing (so that its report is grouped into
// the opener's story), and the opener's CommitPoll returns only once the
// report's is over. With reportFirst the opener's commit is made only once
// the report's is over: the report's rows come before its story's first
// alert in the outbox, as two polls of one run may leave them.
type mergeRaceStore struct {
	store.Store
	opener, report string // feed ids
	reportFirst    bool
	armed          bool
	committing     chan struct{} // closed when the opener's poll's commit begins
	reported       chan struct{} // closed when the report's commit is over
	once           [2]sync.Once
	t              *testing.T
}

func (s *mergeRaceStore) wait(ch chan struct{}, what string) { waitClosed(s.t, ch, what) }

// waitClosed waits for ch to be closed, and fails t after 10 s.
func waitClosed(t *testing.T, ch chan struct{}, what string) {
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Errorf("waited 10 s for %s", what)
	}
}

func (s *mergeRaceStore) UnseenKeys(ctx context.Context, feedID string, keys []string) ([]string, error) {
	if s.armed && feedID == s.report {
		s.wait(s.committing, "the opener's poll's commit to begin")
	}
	return s.Store.UnseenKeys(ctx, feedID, keys)
}

func (s *mergeRaceStore) CommitPoll(ctx context.Context, feedID string, p store.Poll) (int, error) {
	if !s.armed || len(p.Alerts) == 0 {
		return s.Store.CommitPoll(ctx, feedID, p)
	}
	switch feedID {
	case s.opener:
		s.once[0].Do(func() { close(s.committing) })
		if s.reportFirst {
			s.wait(s.reported, "the report's commit")
			return s.Store.CommitPoll(ctx, feedID, p)
		}
		n, err := s.Store.CommitPoll(ctx, feedID, p)
		s.wait(s.reported, "the report's commit")
		return n, err
	case s.report:
		n, err := s.Store.CommitPoll(ctx, feedID, p)
		s.once[1].Do(func() { close(s.reported) })
		return n, err
	}
	return s.Store.CommitPoll(ctx, feedID, p)
}

// TestReportCommittedBeforeARefusedOpenersMergeGoesUnderItsStory: of two
// workers, one commits a poll whose first report of a story (A2, an edit
// of A, already posted) the duplicate check refuses; the other, meanwhile,
// groups another feed's report of that story (B) into A2's story and
// commits it before the first lists A2's story under A's
// (mergeDuplicates). The merge moved in the store only the rows of the
// refused poll's own commit: B's row stayed in A2's story, which has no
// message, and B was posted alone, the story's second message. B goes
// under A's message.
func TestReportCommittedBeforeARefusedOpenersMergeGoesUnderItsStory(t *testing.T) {
	h, rec := storyHarness(t, kesslerSub())
	h.cfg.Service.Workers = 2
	ctx := context.Background()
	st := h.sqlite(t)
	defer st.Close()
	race := &mergeRaceStore{Store: st, opener: "courier", report: "herald",
		committing: make(chan struct{}), reported: make(chan struct{}), t: t}
	svc, err := New(ctx, h.options(race, rec, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	poll := minutePasses(t, h, func() *Service { return svc })
	weather, first, edited, report := postFirstReport(h, poll)
	h.write("courier.xml", weather, edited)
	h.write("herald.xml", weather, report)
	race.armed = true
	poll()
	race.armed = false
	if got, want := rec.titles(), []string{first.Title}; !slices.Equal(got, want) {
		t.Errorf("messages posted: got %q, want %q", got, want)
	}
	if got, want := rec.also(), []string{"herald: " + report.Title}; !slices.Equal(got, want) {
		t.Errorf("the story's message lists: got %q, want %q", got, want)
	}
	rows, err := st.StoryRows(ctx, h.clock.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var stories []string
	for _, r := range rows {
		stories = append(stories, r.ItemKey[:min(len(r.ItemKey), 12)]+" in "+r.Story)
	}
	for _, r := range rows[1:] {
		if r.Story != rows[0].Story {
			t.Errorf("stored stories %q: want every row in the first report's", stories)
			break
		}
	}
}

// sendMidMerge runs a send pass of svc between the commit of a poll of
// feed (armed) and the moves that follow it (mergeDuplicates,
// followMoves), as the sender's own loop may: it starts the pass once the
// commit is over, and lets the poll go on when the pass posts a report
// alone, or is over, or a second has passed (a pass that waits for the
// moves waits that long).
type sendMidMerge struct {
	store.Store
	feed   string
	armed  bool
	svc    *Service
	alone  chan struct{} // a report was posted alone
	passed chan error    // the pass is over
}

func (s *sendMidMerge) CommitPoll(ctx context.Context, feedID string, p store.Poll) (int, error) {
	n, err := s.Store.CommitPoll(ctx, feedID, p)
	if !s.armed || feedID != s.feed || len(p.Alerts) == 0 || err != nil {
		return n, err
	}
	s.armed = false
	go func() { s.passed <- s.svc.sender.deliverAll(context.WithoutCancel(ctx)) }()
	select {
	case <-s.alone:
	case err := <-s.passed:
		s.passed <- err
	case <-time.After(time.Second):
	}
	return n, err
}

func (s *sendMidMerge) PostAlone(ctx context.Context, id int64, story, batch string, at time.Time) error {
	select {
	case s.alone <- struct{}{}:
	default:
	}
	return s.Store.PostAlone(ctx, id, story, batch, at)
}

// sendBetweenCommitAndMerge posts the first report of a story (A) to n
// through a service over h's SQLite store, then polls the courier's edit
// of it (A2, refused as a duplicate) and another outlet's report of it
// (B, which joins A2's story) in one poll, with a send pass between its
// commit and the merge that follows it (sendMidMerge). It returns the
// service, A and B.
func sendBetweenCommitAndMerge(t *testing.T, h *harness, n notify.Notifier) (svc *Service, first, report testItem) {
	t.Helper()
	h.cfg.Service.Workers = 1
	ctx := context.Background()
	st := h.sqlite(t)
	t.Cleanup(func() { st.Close() })
	mid := &sendMidMerge{Store: st, feed: "courier", alone: make(chan struct{}, 1), passed: make(chan error, 1)}
	svc, err := New(ctx, h.options(mid, n, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	mid.svc = svc
	pass := func() { // a poll of every feed and a send pass, as under Run
		t.Helper()
		h.clock = h.clock.Add(time.Minute)
		svc.poller.pollAll(ctx, svc.live.catalog().Feeds(), pollNow)
		if err := svc.sender.deliverAll(ctx); err != nil {
			t.Fatalf("deliverAll: %v", err)
		}
	}
	weather, first, edited, report := postFirstReport(h, pass)
	h.write("courier.xml", weather, edited, report)
	mid.armed = true
	h.clock = h.clock.Add(time.Minute)
	svc.poller.pollAll(ctx, svc.live.catalog().Feeds(), pollNow)
	if mid.armed {
		t.Fatal("no commit of the courier's poll")
	}
	if err := <-mid.passed; err != nil {
		t.Fatalf("the send pass between commit and moves: %v", err)
	}
	return svc, first, report
}

// TestReportMovedByAMergeDuringASendPassIsNotPostedAlone: a poll commits
// the edit of a posted report (A2, refused as a duplicate) and another
// outlet's report of it (B), which joins A2's story; the merge then moves
// B under A's story. A send pass that read B's row in between found A2's
// story with no message and A2 committed, and posted B alone at once
// (sender.openerCommitted), the story's second message, though B's row
// was under A's story a moment later. B goes under A's message.
func TestReportMovedByAMergeDuringASendPassIsNotPostedAlone(t *testing.T) {
	h, rec := storyHarness(t, kesslerSub())
	svc, first, report := sendBetweenCommitAndMerge(t, h, rec)
	ctx := context.Background()
	h.clock = h.clock.Add(editGap)
	if err := svc.sender.deliverAll(ctx); err != nil {
		t.Fatalf("deliverAll: %v", err)
	}
	if got, want := rec.titles(), []string{first.Title}; !slices.Equal(got, want) {
		t.Errorf("messages posted: got %q, want %q", got, want)
	}
	if got, want := rec.also(), []string{"courier: " + report.Title}; !slices.Equal(got, want) {
		t.Errorf("the story's message lists: got %q, want %q", got, want)
	}
}

// instancesSendBetweenCommitAndMerge is sendBetweenCommitAndMerge on a
// shared PostgreSQL store (dsn) of two instances on clk (at moves it on):
// A polls the courier, and B's send pass runs between A's commit and the
// merge that follows it (until it ends or waits for the stories lease).
// It returns the instances, A and B (the reports).
func instancesSendBetweenCommitAndMerge(t *testing.T, h *harness, dsn string, clk *clock, at func(time.Duration), n notify.Notifier) (a, b *Service, first, report testItem) {
	t.Helper()
	a, ast := h.openInstance(dsn, clk, n, "courier")
	b, bst := h.openInstance(dsn, clk, n, "courier") // its sender looks the story's feed up
	ctx := context.Background()
	weather, first, edited, report := postFirstReport(h, func() {
		at(time.Minute)
		a.RunOnce(ctx)
	})
	h.write("courier.xml", weather, edited, report)
	at(time.Minute)
	var wg sync.WaitGroup
	ast.arm(afterCommit, func() {
		bst.meanwhile(t, &wg, func() {
			if err := b.sender.deliverAll(ctx); err != nil {
				t.Error(err)
			}
		})
	})
	a.poller.pollAll(ctx, a.live.catalog().Feeds(), pollNow)
	wg.Wait()
	return a, b, first, report
}

// TestInstancesReportMovedByAMergeIsNotPostedAlone: instance A commits a
// poll with the edit of a posted report (A2, refused as a duplicate) and
// another outlet's report of it (B), which joins A2's story until the
// merge that follows the commit moves it under A's. Instance B's send
// pass, between the two, read B's row in A2's story, found that story
// with no message and A2 committed, and waited for the stories lease to
// post B alone; given the lease once A's moves were stored, it looked
// again for a message of A2's story, found none, and posted B alone, the
// story's second message. B goes under A's message.
func TestInstancesReportMovedByAMergeIsNotPostedAlone(t *testing.T) {
	dsn := pgtest.Schema(t)
	h, rec := storyHarness(t, kesslerSub())
	clk, at := h.sharedClock(rec)
	a, b, first, report := instancesSendBetweenCommitAndMerge(t, h, dsn, clk, at, rec)
	ctx := context.Background()
	for range 2 {
		at(editGap)
		b.RunOnce(ctx)
		a.RunOnce(ctx)
	}
	if got, want := rec.titles(), []string{first.Title}; !slices.Equal(got, want) {
		t.Errorf("messages posted: got %q, want %q", got, want)
	}
	if got, want := rec.also(), []string{"courier: " + report.Title}; !slices.Equal(got, want) {
		t.Errorf("the story's message lists: got %q, want %q", got, want)
	}
}
