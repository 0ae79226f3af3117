package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/store"
)

// failMovesFirst is a store whose first failures calls of MoveStories
// fail, as a busy or briefly unreachable database's would (math.MaxInt:
// a store that cannot move stories).
type failMovesFirst struct {
	store.Store
	mu       sync.Mutex
	failures int
	tries    int
}

func (s *failMovesFirst) MoveStories(ctx context.Context, moves []store.StoryMove) error {
	s.mu.Lock()
	s.tries++
	fail := s.failures > 0
	if fail {
		s.failures--
	}
	s.mu.Unlock()
	if fail {
		return errors.New("database is locked")
	}
	return s.Store.MoveStories(ctx, moves)
}

// TestMergeWhoseMoveFailsAtFirstIsStored: a poll commits the edit of a
// posted report (A2, refused as a duplicate) and another report of it
// (B), which joins A2's story; the merge lists that story under A's, and
// the store's first tries to move B's row there fail. The poll logged the
// failure and gave up: the index had B under A's story, its row under
// A2's, so B was posted alone, the story's second message, and a restart
// lists it apart. The move is tried again with back-off until stored; the
// failure is logged once, and the recovery once, with the count. A store
// that goes on failing is tried a bounded number of times by the poll,
// then once a pass as the queued moves' back-off allows
// (TestMovesGivenUpAreStoredOnceTheStoreRecovers), and B waits for them:
// posted alone it would lead the story its row is in, a second message.
func TestMergeWhoseMoveFailsAtFirstIsStored(t *testing.T) {
	tests := []struct {
		failures  int
		tries     int      // calls of MoveStories
		titles    []string // the messages posted, by item: "first", "report"
		also      []string // what the first message lists
		recovered int      // recoveries logged
	}{
		{failures: 1, tries: 2, titles: []string{"first"}, also: []string{"report"}, recovered: 1},
		{failures: 3, tries: 4, titles: []string{"first"}, also: []string{"report"}, recovered: 1},
		// The first pass's poll tries 4 times, and RunOnce 4 more before it
		// exits (after 1, 2 and 4 s, and at the shutdown grace's end, 10 s);
		// the second pass once at its polls' end, and once at the grace's end.
		{failures: 100, tries: len(moveRetries) + 1 + 4 + 2, titles: []string{"first"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("fails %d times", tt.failures), func(t *testing.T) {
			h, rec := storyHarness(t, kesslerSub())
			ctx := context.Background()
			var logs bytes.Buffer
			m := startMerge(t, h, rec, &logs)
			st, moves, pass, first, report := m.st, m.moves, m.pass, m.first, m.report
			moves.failures, moves.tries = tt.failures, 0
			pass()
			h.clock = h.clock.Add(editGap)
			pass()

			titles := map[string]string{"first": first.Title, "report": report.Title}
			var want, wantAlso []string
			for _, k := range tt.titles {
				want = append(want, titles[k])
			}
			for _, k := range tt.also {
				wantAlso = append(wantAlso, "courier: "+titles[k])
			}
			if got := rec.titles(); !slices.Equal(got, want) {
				t.Errorf("messages posted: got %q, want %q", got, want)
			}
			if got := rec.also(); !slices.Equal(got, wantAlso) {
				t.Errorf("the story's message lists: got %q, want %q", got, wantAlso)
			}
			if moves.tries != tt.tries {
				t.Errorf("MoveStories called %d times, want %d", moves.tries, tt.tries)
			}
			rows, err := st.StoryRows(ctx, h.clock.Add(-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows[1:] {
				if stored := r.Story == rows[0].Story; stored != (tt.recovered > 0) {
					t.Errorf("row %d stored under story %q, the first report under %q (moves stored: %v)", r.ID, r.Story, rows[0].Story, tt.recovered > 0)
				}
			}
			for _, c := range []struct {
				line string
				want int
			}{
				{"moving reports into their new story failed", 1},
				{"moving reports into their new story works again", tt.recovered},
				{fmt.Sprintf("failures=%d", tt.failures), tt.recovered},
			} {
				if got := strings.Count(logs.String(), c.line); got != c.want {
					t.Errorf("%q logged %d times, want %d; log:\n%s", c.line, got, c.want, logs.String())
				}
			}
		})
	}
}

// mergeSetup is a service on a harness's database whose MoveStories
// fails as moves says (RunOnce's waits for them taking no time), run up to the poll that commits the edit of a
// posted report (A2, which the duplicate check refuses) and another
// report of it (B), which the merge lists under A's story.
type mergeSetup struct {
	svc                            *Service
	st                             *store.SQLite
	moves                          *failMovesFirst
	pass                           func() // a pass of the service, a minute after the last
	weather, first, edited, report testItem
}

// startMerge starts a mergeSetup for a desk n, logging to logs, with one
// worker, which polls the feeds in the config's order; the store is
// closed when the test ends.
func startMerge(t *testing.T, h *harness, n notify.Notifier, logs io.Writer) mergeSetup {
	t.Helper()
	h.cfg.Service.Workers = 1
	st := h.sqlite(t)
	t.Cleanup(func() { st.Close() })
	m := mergeSetup{st: st, moves: &failMovesFirst{Store: st}}
	svc, err := New(context.Background(), h.options(m.moves, n, logs))
	if err != nil {
		t.Fatal(err)
	}
	m.svc = svc
	// RunOnce's tries of the moves before it exits wait no wall time.
	svc.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	m.pass = minutePasses(t, h, func() *Service { return svc })
	m.weather, m.first, m.edited, m.report = postFirstReport(h, m.pass)
	h.write("courier.xml", m.weather, m.edited, m.report)
	return m
}
