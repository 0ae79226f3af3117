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
		// the second pass once at its polls' end, and once at the grace's
		// end. Each try after splitAfter failures is the batch and two
		// moves alone.
		{failures: 100, tries: len(moveRetries) + 1 + 2 + 2*3 + 2*3, titles: []string{"first"}},
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
	// The poll's tries of the moves, and RunOnce's before it exits, wait
	// no wall time.
	svc.sleep, svc.poller.sleep = noWait, noWait
	m.pass = minutePasses(t, h, func() *Service { return svc })
	m.weather, m.first, m.edited, m.report = postFirstReport(h, m.pass)
	h.write("courier.xml", m.weather, m.edited, m.report)
	return m
}

// noWait is a sleep that waits for nothing but ctx's end.
func noWait(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// failMovesOf is a store that fails every MoveStories holding a move of
// item, as a database rejecting that row for good would, with an error
// that does not say so (down: every MoveStories fails; downMidRound: every
// one but the first of a single move after a batch of several, an outage
// that begins in the middle of each round); it records the items of the
// moves it stored.
type failMovesOf struct {
	store.Store
	item         string
	down         bool
	downMidRound bool
	afterBatch   bool // the last call was a batch of several moves
	tries        int
	stored       []string
}

func (s *failMovesOf) MoveStories(ctx context.Context, moves []store.StoryMove) error {
	s.tries++
	up := !s.downMidRound || s.afterBatch && len(moves) == 1
	s.afterBatch = len(moves) > 1
	if s.down || !up || slices.ContainsFunc(moves, func(m store.StoryMove) bool { return m.Item == s.item }) {
		return errors.New("database disk image is malformed")
	}
	if err := s.Store.MoveStories(ctx, moves); err != nil {
		return err
	}
	for _, m := range moves {
		s.stored = append(s.stored, m.Item)
	}
	return nil
}

// TestAMoveTheStoreFailsAloneIsDroppedAfterRounds: a queued move the
// store fails for good without saying so (a row the database rejects,
// with an error like an outage's) failed every move queued with it, for
// as long as the process ran. Once the queue failed splitAfter tries in a
// row, its moves are made one by one: the others are stored, and the
// failing one is dropped, logged with what it was and counted, once it
// failed maxAloneFailures rounds between two tries of a move stored. A
// store that is down fails every move: none is dropped, and a round makes
// three tries (the batch, and two moves alone); with the row rejected, a
// round makes six (the batch, the two moves, and the failing one again
// between two tries of the move stored).
func TestAMoveTheStoreFailsAloneIsDroppedAfterRounds(t *testing.T) {
	tests := []struct {
		name    string
		down    bool
		stored  []string // the items of the moves stored
		dropped float64
		queued  int
		tries   int
	}{
		{"one row the database rejects", false, []string{"feed/0", "feed/1", "feed/2"}, 1, 0, 18},
		{"the store is down", true, nil, 0, 4, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, rec := storyHarness(t, kesslerSub())
			st := h.sqlite(t)
			defer st.Close()
			failing := &failMovesOf{Store: st, item: "feed/bad", down: tt.down}
			var logs bytes.Buffer
			svc, err := New(context.Background(), h.options(failing, rec, &logs))
			if err != nil {
				t.Fatal(err)
			}
			q := &svc.poller.commits.queued
			move := func(item string) store.StoryMove {
				return store.StoryMove{Destination: "desk", Item: item, From: "feed/a", To: "feed/b"}
			}
			q.add([]store.StoryMove{move("feed/bad")})
			for range splitAfter {
				q.failed(h.clock)
			}
			for i := range maxAloneFailures {
				q.add([]store.StoryMove{move(fmt.Sprintf("feed/%d", i))})
				svc.poller.flushQueuedMoves(context.Background())
			}
			// a move stored is made again around a failing one's try
			if got := slices.Compact(slices.Clone(failing.stored)); !slices.Equal(got, tt.stored) {
				t.Errorf("moves stored: got %q, want %q", got, tt.stored)
			}
			for _, c := range []struct {
				name      string
				got, want any
			}{
				{"moves queued", q.size(), tt.queued},
				{"MoveStories calls", failing.tries, tt.tries},
				{"moves dropped counted", counterValue(t, svc.poller.metrics.movesDropped.WithLabelValues("failing")), tt.dropped},
				{"drops logged naming the move", strings.Count(logs.String(), "reason=failing destination=desk item=feed/bad from=feed/a to=feed/b"), int(tt.dropped)},
			} {
				if c.got != c.want {
					t.Errorf("%s: got %v, want %v; log:\n%s", c.name, c.got, c.want, logs.String())
				}
			}
		})
	}
}

// TestAnOutageMidRoundDropsNoMove: a store that goes down in the middle
// of a round of moves made one by one, after it stored one, fails the
// moves after it as an outage does, not each for itself. moveOneByOne
// took every failure after a move stored for a move failing alone: three
// such rounds dropped the moves the outage left (each round going through
// all of them, a try of up to moveTry each). A move is taken to fail
// alone only when the store takes a move just before and just after it;
// two failures in a row end the round (the store is down).
func TestAnOutageMidRoundDropsNoMove(t *testing.T) {
	const queued = 8
	h, rec := storyHarness(t, kesslerSub())
	st := h.sqlite(t)
	defer st.Close()
	failing := &failMovesOf{Store: st, downMidRound: true}
	var logs bytes.Buffer
	svc, err := New(context.Background(), h.options(failing, rec, &logs))
	if err != nil {
		t.Fatal(err)
	}
	q := &svc.poller.commits.queued
	for i := range queued {
		q.add([]store.StoryMove{{Destination: "desk", Item: fmt.Sprintf("feed/%d", i), From: "feed/a", To: "feed/b"}})
	}
	for range splitAfter {
		q.failed(h.clock)
	}
	for range maxAloneFailures {
		svc.poller.flushQueuedMoves(context.Background())
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"moves dropped counted", counterValue(t, svc.poller.metrics.movesDropped.WithLabelValues("failing")), 0.0},
		{"moves stored", len(failing.stored), maxAloneFailures},
		{"moves queued", q.size(), queued - maxAloneFailures},
		{"drops logged", strings.Count(logs.String(), "story move dropped"), 0},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v; log:\n%s", c.name, c.got, c.want, logs.String())
		}
	}
	// a round: the batch, a move stored, two failures, one look whether
	// the store works
	if limit := 5 * maxAloneFailures; failing.tries > limit {
		t.Errorf("MoveStories calls: got %d, want at most %d (5 a round)", failing.tries, limit)
	}
}

// hangingMoves is a store whose MoveStories fails only after its try's
// whole time (moveTry), as one that no longer answers does, on the
// harness's clock.
type hangingMoves struct {
	store.Store
	h *harness
}

func (s *hangingMoves) MoveStories(context.Context, []store.StoryMove) error {
	s.h.clock = s.h.clock.Add(moveTry)
	return context.DeadlineExceeded
}

// TestRunOnceTriesQueuedMovesWithinTheGrace: run --once tries the queued
// moves before it delivers for up to the shutdown grace. The grace
// counted only the waits between the tries, not the tries, each up to
// moveTry against a store that does not answer (a split one, the batch
// and then the moves alone, two or three of them): the run went on for
// the waits' 10 s and four tries, 40 s, before it delivered. No try
// starts once the grace has passed.
func TestRunOnceTriesQueuedMovesWithinTheGrace(t *testing.T) {
	const grace = 10 * time.Second
	h, rec := storyHarness(t, kesslerSub())
	st := h.sqlite(t)
	defer st.Close()
	svc, err := New(context.Background(), h.options(&hangingMoves{Store: st, h: h}, rec, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	q := &svc.poller.commits.queued
	q.add([]store.StoryMove{{Destination: "desk", Item: "feed/0", From: "feed/a", To: "feed/b"}})
	q.failed(h.clock)
	sleep := func(ctx context.Context, d time.Duration) error {
		h.clock = h.clock.Add(d)
		return ctx.Err()
	}
	start := h.clock
	svc.poller.storeQueuedMovesWithin(context.Background(), grace, sleep)
	if took, limit := h.clock.Sub(start), grace+2*moveTry; took > limit {
		t.Errorf("the tries of the queued moves took %v, want at most %v (the grace, and a split try begun at its end)", took, limit)
	}
	if q.size() != 1 {
		t.Errorf("moves queued: got %d, want 1", q.size())
	}
}
