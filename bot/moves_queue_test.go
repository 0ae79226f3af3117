package bot

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/store"
)

// TestMovesGivenUpAreStoredOnceTheStoreRecovers: a poll commits the edit
// of a posted report (A2, refused as a duplicate) and another report of it
// (B), which the merge lists under A's story; the store fails the move
// for longer than the poll's tries. The poll gave up and only logged it:
// the store kept B, and the refused A2, in A2's story for good, so B was
// posted alone, a second message for the story, and after a restart a
// later report of the story went under B's message. The moves stay queued
// and are stored once the store works again: B waits for them, then goes
// under A's message, and a restart keeps the story one.
func TestMovesGivenUpAreStoredOnceTheStoreRecovers(t *testing.T) {
	h, rec := storyHarness(t, kesslerSub())
	ctx := context.Background()
	var logs bytes.Buffer
	m := startMerge(t, h, rec, &logs)
	st, moves, pass, first, report := m.st, m.moves, m.pass, m.first, m.report
	moves.failures, moves.tries = math.MaxInt, 0
	pass()
	// 4 tries in the poll, 4 before RunOnce exits (after 1, 2 and 4 s, and
	// at the shutdown grace's end, 10 s), the last two, after splitAfter
	// failures, each the batch and two moves alone.
	if want := len(moveRetries) + 1 + 2 + 2*3; moves.tries != want {
		t.Errorf("MoveStories called %d times in the pass, want %d", moves.tries, want)
	}
	if got, want := rec.titles(), []string{first.Title}; !slices.Equal(got, want) {
		t.Errorf("while the moves are not stored, messages posted: got %q, want %q", got, want)
	}

	moves.failures = 0 // the store works again
	h.clock = h.clock.Add(editGap)
	pass()
	if got, want := rec.titles(), []string{first.Title}; !slices.Equal(got, want) {
		t.Errorf("messages posted: got %q, want %q", got, want)
	}
	if got, want := rec.also(), []string{"courier: " + report.Title}; !slices.Equal(got, want) {
		t.Errorf("the story's message lists: got %q, want %q", got, want)
	}
	rows, err := st.StoryRows(ctx, h.clock.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[1:] {
		if r.Story != rows[0].Story {
			t.Errorf("row %d (%s) stored under story %q, the first report under %q", r.ID, r.ItemKey, r.Story, rows[0].Story)
		}
	}
	for _, c := range []struct {
		line string
		want int
	}{
		{"moving reports into their new story failed", 1},
		{"moving reports into their new story works again", 1},
	} {
		if got := strings.Count(logs.String(), c.line); got != c.want {
			t.Errorf("%q logged %d times, want %d; log:\n%s", c.line, got, c.want, logs.String())
		}
	}

	// A restart rebuilds the stories from the stored rows: a third
	// outlet's report of the story goes under A's message too.
	st.Close()
	svc, closeStore := h.openWith(rec)
	defer closeStore()
	later := testItem{GUID: "urn:post:1", Title: laterTitle, Link: "https://post.example/kessler-home", Description: reportLead, Published: h.clock}
	h.write("post.xml", m.weather, later)
	minutePasses(t, h, func() *Service { return svc })()
	if got, want := rec.titles(), []string{first.Title}; !slices.Equal(got, want) {
		t.Errorf("after a restart, messages posted: got %q, want %q", got, want)
	}
	if got, want := rec.also(), []string{"courier: " + report.Title, "post: " + later.Title}; !slices.Equal(got, want) {
		t.Errorf("after a restart, the story's message lists: got %q, want %q", got, want)
	}
}

// TestMovesGivenUpHoldTheirDestination: where each report is a message
// named with its story (email, webhook), the report B whose merge the
// store failed to move for longer than the poll's tries was sent under the
// story its row stayed in, A2's, not A's. It waits for the queued move,
// and goes under A's story once the store works again.
func TestMovesGivenUpHoldTheirDestination(t *testing.T) {
	for _, o := range storyOutlets {
		t.Run(o.name, func(t *testing.T) {
			h, _ := storyHarness(t, kesslerSub())
			desk, delivered, _ := o.open(t)
			m := startMerge(t, h, desk, io.Discard)
			moves, pass, first, report := m.moves, m.pass, m.first, m.report
			moves.failures = math.MaxInt
			pass()
			if got, n := delivered(); n != 1 {
				t.Errorf("while the moves are not stored, %d messages (%q), want 1: the first report", n, got)
			}
			moves.failures = 0 // the store works again
			pass()
			got, n := delivered()
			if n != 2 || got[first.Title] == "" || got[report.Title] != got[first.Title] {
				t.Errorf("%d messages, %q under story %q, %q under %q: want 2, one story", n, first.Title, got[first.Title], report.Title, got[report.Title])
			}
		})
	}
}

// TestMovesFailingForGoodHoldTheirDestinationForALimitedTime: when the
// store keeps refusing the merge's move, report B waits maxMovesHold,
// then goes out under the story its row has: a desk gets the report, in
// a message of its own, rather than nothing for as long as the moves
// fail. The move is still tried: once stored, the story's next report
// goes under A's story.
func TestMovesFailingForGoodHoldTheirDestinationForALimitedTime(t *testing.T) {
	for _, o := range storyOutlets {
		t.Run(o.name, func(t *testing.T) {
			h, _ := storyHarness(t, kesslerSub())
			desk, delivered, _ := o.open(t)
			var logs bytes.Buffer
			m := startMerge(t, h, desk, &logs)
			moves, pass, report := m.moves, m.pass, m.report
			moves.failures = math.MaxInt
			pass() // queues the move at its time
			h.clock = h.clock.Add(maxMovesHold - time.Minute - time.Second)
			pass() // a minute later: maxMovesHold less a second after
			if got, n := delivered(); n != 1 {
				t.Errorf("just before the hold's end, %d messages (%q), want 1: the first report", n, got)
			}
			pass()
			got, n := delivered()
			if n != 2 || got[report.Title] == "" {
				t.Errorf("at the hold's end, %d messages (%q), want 2: %q sent under the story its row has", n, got, report.Title)
			}
			if c := strings.Count(logs.String(), "story moves not stored for too long"); c != 1 {
				t.Errorf("the end of the hold logged %d times, want 1; log:\n%s", c, logs.String())
			}
		})
	}
}

// TestMovesQueueKeepsOrderAndBound: queued moves come out oldest first;
// past maxQueuedMoves the oldest are dropped and counted, and their
// destination is no longer held once none of its moves is queued; a
// store of what was queued up to a point leaves the later moves queued.
func TestMovesQueueKeepsOrderAndBound(t *testing.T) {
	move := func(dest string, i int) store.StoryMove {
		return store.StoryMove{Destination: dest, Item: fmt.Sprintf("feed/%d", i), From: "a", To: "b"}
	}
	var q movesQueue
	quiet := slog.New(slog.DiscardHandler)
	if q.holds("desk", quiet) || q.due(time.Time{}) {
		t.Fatalf("an empty queue holds the desk or is due")
	}
	q.add([]store.StoryMove{move("desk", 0), move("mail", 1)})
	_, upTo := q.snapshot()
	var more []store.StoryMove
	for i := range maxQueuedMoves - 1 {
		more = append(more, move("mail", 2+i))
	}
	droppedNow, dropped := q.add(more)
	got, _ := q.snapshot()
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"dropped now", droppedNow, 1},
		{"dropped since empty", dropped, 1},
		{"size", len(got), maxQueuedMoves},
		{"first queued", got[0], move("mail", 1)},
		{"last queued", got[len(got)-1], move("mail", maxQueuedMoves)},
		{"desk held", q.holds("desk", quiet), false},
		{"mail held", q.holds("mail", quiet), true},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	q.failed(now)
	if q.due(now) || !q.due(now.Add(time.Second)) {
		t.Errorf("after a failure: due at once %v, a second later %v; want false, true", q.due(now), q.due(now.Add(time.Second)))
	}
	if dropped := q.stored(upTo); dropped != 0 || q.size() != maxQueuedMoves-1 || !q.due(now) {
		t.Errorf("stored up to the first two moves: %d dropped reported, %d queued, due %v; want 0, %d, true", dropped, q.size(), q.due(now), maxQueuedMoves-1)
	}
	_, upTo = q.snapshot()
	if dropped := q.stored(upTo); dropped != 1 || q.size() != 0 || q.holds("mail", quiet) {
		t.Errorf("stored all: %d dropped reported, %d queued, mail held %v; want 1, 0, false", dropped, q.size(), q.holds("mail", quiet))
	}
}

// TestMovesQueueHoldsADestinationForALimitedTime: a destination whose
// moves stay queued is held for maxMovesHold from its oldest queued move,
// then goes on, logged once, until none of its moves is queued (the
// oldest counts, wherever a failure alone put it); moves queued again
// hold it again. A move the store can never take must not
// hold a destination's alerts for good.
func TestMovesQueueHoldsADestinationForALimitedTime(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	q := movesQueue{now: func() time.Time { return now }}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	move := store.StoryMove{Destination: "mail", Item: "feed/1", From: "a", To: "b"}
	const released = "story moves not stored for too long"
	steps := []struct {
		name   string
		step   func()
		want   bool
		logged int
	}{
		{"queued", func() { q.add([]store.StoryMove{move}) }, true, 0},
		{"just before the limit", func() { now = now.Add(maxMovesHold - time.Second) }, true, 0},
		{"a later move queued", func() { q.add([]store.StoryMove{move}) }, true, 0},
		{"the oldest failed alone: to the back", func() { q.toBack(move, true) }, true, 0},
		{"the oldest at the limit", func() { now = now.Add(time.Second) }, false, 1},
		{"asked again", func() { now = now.Add(time.Minute) }, false, 1},
		{"stored, queued again", func() {
			_, upTo := q.snapshot()
			q.stored(upTo)
			q.add([]store.StoryMove{move})
		}, true, 1},
		{"the new one at the limit", func() { now = now.Add(maxMovesHold) }, false, 2},
	}
	for _, s := range steps {
		s.step()
		if got := q.holds("mail", log); got != s.want {
			t.Errorf("%s: holds = %v, want %v", s.name, got, s.want)
		}
		if got := strings.Count(logs.String(), released); got != s.logged {
			t.Errorf("%s: %q logged %d times, want %d", s.name, released, got, s.logged)
		}
	}
}

// TestQueuedMovesAreStoredByThePollLoop: under Run, moves a poll gave up
// storing are tried again by the poll loop once their back-off has
// passed, with no poll of the story's feed to bring them, and the sender,
// poked, lists the report under the story's message.
func TestQueuedMovesAreStoredByThePollLoop(t *testing.T) {
	h, rec := storyHarness(t, kesslerSub())
	q := queueMovesForRun(t, h, rec)
	q.moves.mu.Lock()
	q.moves.failures = 0 // the store works again
	q.moves.mu.Unlock()
	q.clk.advance(time.Minute) // past the moves' back-off; no feed is due

	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); q.svc.Run(runCtx) }()
	defer func() { stop(); <-done }()
	want := []string{"courier: " + q.report.Title}
	waitForCondition(t, "the report listed under the story's message", func() bool { return slices.Equal(rec.also(), want) })
	if got, want := rec.titles(), []string{q.first.Title}; !slices.Equal(got, want) {
		t.Errorf("messages posted: got %q, want %q", got, want)
	}
	if got := strings.Count(q.logs.String(), "story moves kept while the store failed are stored"); got != 1 {
		t.Errorf("the queued moves' store logged %d times, want 1; log:\n%s", got, q.logs.String())
	}
}

// TestRunTriesQueuedMovesOnceMoreAtItsEnd: Run, stopped while story
// moves are queued (their back-off not passed), tries them once more, and
// logs those lost with the process, with their count.
func TestRunTriesQueuedMovesOnceMoreAtItsEnd(t *testing.T) {
	tests := []struct {
		name   string
		works  bool // the store, at the end
		tries  int  // MoveStories calls at the end
		logged int  // "not stored when the service stopped"
	}{
		{"the store works again", true, 1, 0},
		// The queue failed splitAfter tries in a row (RunOnce's): the
		// batch, then two moves alone, and the store is taken for down.
		{"the store still fails", false, 3, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, rec := storyHarness(t, kesslerSub())
			q := queueMovesForRun(t, h, rec)
			q.moves.mu.Lock()
			tries := q.moves.tries
			if tt.works {
				q.moves.failures = 0
			}
			q.moves.mu.Unlock()
			before := len(q.logs.String())
			runCtx, stop := context.WithCancel(context.Background())
			stop()
			q.svc.Run(runCtx)
			if got := q.moves.tries - tries; got != tt.tries {
				t.Errorf("MoveStories called %d times by Run, want %d (at its end)", got, tt.tries)
			}
			logs := q.logs.String()[before:]
			lost := strings.Count(logs, "story moves not stored when the service stopped")
			if lost != tt.logged || lost > 0 && !strings.Contains(logs, "moves=2 dropped=0") {
				t.Errorf("the moves lost logged %d times, want %d, with moves=2 dropped=0; Run's log:\n%s", lost, tt.logged, logs)
			}
		})
	}
}

// queuedForRun is a service, for Run, on its own clock (read by Run's
// goroutines, unlike the harness's), whose last RunOnce committed the
// edit of a posted report (A2) and another report of it (B), and queued
// the merge's moves: the store failed them (moves.failures).
type queuedForRun struct {
	svc           *Service
	clk           *clock
	moves         *failMovesFirst
	logs          *logBuffer
	first, report testItem
}

func queueMovesForRun(t *testing.T, h *harness, rec notify.Notifier) queuedForRun {
	t.Helper()
	h.cfg.Service.Workers = 1
	q := queuedForRun{clk: &clock{}, logs: &logBuffer{}}
	q.clk.set(h.clock)
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, h.db, store.WithClock(q.clk.now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	q.moves = &failMovesFirst{Store: st}
	q.svc, err = New(ctx, testOptions(h.cfg, q.moves, map[string]notify.Notifier{"desk": rec}, slog.New(slog.NewTextHandler(q.logs, nil)), q.clk.now))
	if err != nil {
		t.Fatal(err)
	}
	q.svc.sleep, q.svc.poller.sleep = noWait, noWait // the poll's and RunOnce's waits for the moves
	pass := func() {
		t.Helper()
		h.clock = h.clock.Add(time.Minute)
		q.clk.set(h.clock)
		if _, err := q.svc.RunOnce(ctx); err != nil {
			t.Fatalf("RunOnce: %v", err)
		}
	}
	weather, first, edited, report := postFirstReport(h, pass)
	q.first, q.report = first, report
	h.write("courier.xml", weather, edited, report)
	q.moves.failures = math.MaxInt
	pass()
	return q
}

// TestAMoveTheStoreRefusesIsDroppedAlone: a queued move the store can
// never make (into the empty story: store.ErrMoveRefused) failed every
// later move with it, since all are stored in one transaction: the
// merge's move of report B under A's story was retried, queued, and held
// the desk, for as long as the process ran. The refused move is dropped
// alone, logged once with what it was and counted; the merge's moves are
// stored, and B goes under A's message.
func TestAMoveTheStoreRefusesIsDroppedAlone(t *testing.T) {
	h, rec := storyHarness(t, kesslerSub())
	var logs bytes.Buffer
	m := startMerge(t, h, rec, &logs)
	refused := store.StoryMove{Destination: "desk", Item: "courier/urn:gone", From: "courier/urn:gone", To: ""}
	m.svc.poller.commits.queued.add([]store.StoryMove{refused})
	m.pass()
	h.clock = h.clock.Add(editGap)
	m.pass()
	if got, want := rec.titles(), []string{m.first.Title}; !slices.Equal(got, want) {
		t.Errorf("messages posted: got %q, want %q", got, want)
	}
	if got, want := rec.also(), []string{"courier: " + m.report.Title}; !slices.Equal(got, want) {
		t.Errorf("the story's message lists: got %q, want %q", got, want)
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"moves queued", m.svc.poller.commits.queued.size(), 0},
		{"MoveStories failures logged as the store's", strings.Count(logs.String(), "moving reports into their new story failed"), 0},
		{"refusals logged", strings.Count(logs.String(), "story move dropped, the store does not take it"), 1},
		{"refusals logged naming the move", strings.Count(logs.String(), `reason=refused destination=desk item=courier/urn:gone from=courier/urn:gone to=""`), 1},
		{"moves dropped counted", counterValue(t, m.svc.poller.metrics.movesDropped.WithLabelValues("refused")), 1.0},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v; log:\n%s", c.name, c.got, c.want, logs.String())
		}
	}
}

// counterValue reads a counter.
func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// TestRunOnceTriesQueuedMovesBeforeItExits: run --once whose poll gave up
// storing a merge's moves (the store failing past the poll's tries)
// logged them at its end, and they were lost with the process, its exit
// code 0: the report B stayed under its old story in the store, so the
// next run posted it, or a later report, under the wrong message. The
// moves are tried again, with their back-off, within the shutdown grace,
// before delivery: stored, B goes under A's message in this very run;
// still failing, the summary counts them and the run says the store
// failed (exit 3).
func TestRunOnceTriesQueuedMovesBeforeItExits(t *testing.T) {
	const grace = 10 * time.Second
	tests := []struct {
		name     string
		failures int
		listed   bool // B listed under A's message
		trouble  string
		lost     int // moves left at exit
	}{
		{"the store works again within the grace", len(moveRetries) + 3, true, "", 0},
		{"the store stays down", math.MaxInt, false, "store", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, rec := storyHarness(t, kesslerSub())
			h.cfg.Service.ShutdownGrace = grace
			logs := &logBuffer{}
			m := startMerge(t, h, rec, logs)
			var waited time.Duration
			m.svc.sleep = func(ctx context.Context, d time.Duration) error { waited += d; return ctx.Err() }
			m.moves.failures = tt.failures
			h.clock = h.clock.Add(time.Minute)
			r, err := m.svc.RunOnce(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var also []string
			if tt.listed {
				also = []string{"courier: " + m.report.Title}
			}
			if got := rec.also(); !slices.Equal(got, also) {
				t.Errorf("A's message lists %q, want %q", got, also)
			}
			if got := r.Trouble(); got != tt.trouble {
				t.Errorf("Trouble() = %q, want %q (report %+v)", got, tt.trouble, r)
			}
			if r.MovesLost != tt.lost {
				t.Errorf("MovesLost = %d, want %d", r.MovesLost, tt.lost)
			}
			if waited > grace {
				t.Errorf("waited %v for the moves at exit, more than the shutdown grace %v", waited, grace)
			}
			lost := strings.Count(logs.String(), "story moves not stored when the service stopped")
			if want := min(tt.lost, 1); lost != want || tt.lost > 0 && !strings.Contains(logs.String(), fmt.Sprintf("moves=%d", tt.lost)) {
				t.Errorf("the moves lost logged %d times, want %d with moves=%d; log:\n%s", lost, want, tt.lost, logs.String())
			}
		})
	}
}
