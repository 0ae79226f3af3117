package bot

import (
	"context"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/store"
)

// mergeRaceStore puts another worker's commit exactly between the commit
// of a poll whose opener the duplicate check refused and the merge of its
// story that follows: the reporting feed's poll reads its new keys only
// once the refused poll is committing (so that its report is grouped into
// the refused opener's story), and the refused poll's CommitPoll returns
// only once the report's is over.
type mergeRaceStore struct {
	store.Store
	refused, report string // feed ids
	armed           bool
	committing      chan struct{} // closed when the refused poll's commit begins
	reported        chan struct{} // closed when the report's commit is over
	once            [2]sync.Once
	t               *testing.T
}

func (s *mergeRaceStore) wait(ch chan struct{}, what string) {
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		s.t.Errorf("waited 10 s for %s", what)
	}
}

func (s *mergeRaceStore) UnseenKeys(ctx context.Context, feedID string, keys []string) ([]string, error) {
	if s.armed && feedID == s.report {
		s.wait(s.committing, "the refused poll's commit to begin")
	}
	return s.Store.UnseenKeys(ctx, feedID, keys)
}

func (s *mergeRaceStore) CommitPoll(ctx context.Context, feedID string, p store.Poll) (int, error) {
	if !s.armed || len(p.Alerts) == 0 {
		return s.Store.CommitPoll(ctx, feedID, p)
	}
	switch feedID {
	case s.refused:
		s.once[0].Do(func() { close(s.committing) })
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
	st, err := store.OpenSQLite(ctx, h.db, store.WithClock(func() time.Time { return h.clock }))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	race := &mergeRaceStore{Store: st, refused: "courier", report: "herald",
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
