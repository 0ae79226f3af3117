package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/newshound/newshound/store"
)

// storyAlert is an alert of story in dest; fp is its fingerprint.
func storyAlert(dest, key, story string, joins bool, fp string) store.Alert {
	a := alert(dest, key)
	a.Story, a.Joins = story, joins
	if fp != "" {
		a.Fingerprint = []byte(fp)
	}
	return a
}

// withDedupe is a with the dedupe keys given.
func withDedupe(a store.Alert, dedupe ...string) store.Alert {
	a.DedupeKeys = dedupe
	return a
}

// storyOf is what a test compares of an alert's story state.
type storyOf struct {
	Key, Story  string
	Joins       bool
	Fingerprint string
}

func storiesOf(as []store.Alert) []storyOf {
	out := make([]storyOf, len(as))
	for i, a := range as {
		out[i] = storyOf{a.ItemKey, a.Story, a.Joins, string(a.Fingerprint)}
	}
	return out
}

// byItemKey indexes alerts by their item key.
func byItemKey(alerts []store.Alert) map[string]store.Alert {
	m := make(map[string]store.Alert, len(alerts))
	for _, a := range alerts {
		m[a.ItemKey] = a
	}
	return m
}

func due(t *testing.T, s store.Store, dest string, now time.Time) []store.Alert {
	t.Helper()
	as, err := s.DueAlerts(context.Background(), dest, now, 0)
	if err != nil {
		t.Fatalf("DueAlerts(%q): %v", dest, err)
	}
	return as
}

// testStoryRoundTrip: Story, Joins and Fingerprint come back as committed,
// through DueAlerts and StoryRows, across a reopen; an alert without them
// reads with none (a nil Fingerprint in every dialect). StoryRows has the
// rows with a fingerprint enqueued since the time asked, by id, without
// payloads.
func testStoryRoundTrip(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	first := []store.Alert{
		storyAlert("desk", "a", "story-1", false, "fp-a"),
		storyAlert("desk", "b", "story-1", true, "fp-b\x00\xff"), // any bytes
		storyAlert("desk", "c", "", false, ""),
		storyAlert("wire", "a", "story-9", false, "fp-a"),
	}
	commit(t, s, "f", poll("f", []string{"a", "b", "c"}, first...))
	h.clock.Advance(time.Hour)
	later := h.clock.Now()
	commit(t, s, "g", poll("g", []string{"d", "e"},
		storyAlert("desk", "d", "story-1", true, "fp-d"), storyAlert("desk", "e", "story-2", false, "")))
	s.Close()
	s = h.store(t)

	wantDesk := []storyOf{
		{"a", "story-1", false, "fp-a"}, {"b", "story-1", true, "fp-b\x00\xff"}, {"c", "", false, ""},
		{"d", "story-1", true, "fp-d"}, {"e", "story-2", false, ""},
	}
	dueDesk := due(t, s, "desk", h.clock.Now())
	if got := storiesOf(dueDesk); !slices.Equal(got, wantDesk) {
		t.Errorf("DueAlerts = %+v\nwant %+v", got, wantDesk)
	}
	for _, a := range dueDesk {
		if len(a.Fingerprint) == 0 && a.Fingerprint != nil {
			t.Errorf("alert %s without a fingerprint reads %#v, want nil", a.ItemKey, a.Fingerprint)
		}
	}

	cases := []struct {
		name  string
		since time.Time
		want  []storyOf
	}{
		{"since the start", epoch, []storyOf{
			{"a", "story-1", false, "fp-a"}, {"b", "story-1", true, "fp-b\x00\xff"},
			{"a", "story-9", false, "fp-a"}, {"d", "story-1", true, "fp-d"},
		}},
		{"since the second commit", later, []storyOf{{"d", "story-1", true, "fp-d"}}},
		{"after every commit", later.Add(time.Second), []storyOf{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows, err := s.StoryRows(ctx, c.since)
			if err != nil {
				t.Fatal(err)
			}
			if got := storiesOf(rows); !slices.Equal(got, c.want) {
				t.Errorf("StoryRows(%v) = %+v\nwant %+v", c.since, got, c.want)
			}
			if !slices.IsSorted(ids(rows)) {
				t.Errorf("StoryRows ids = %v, want ascending", ids(rows))
			}
		})
	}
	rows, err := s.StoryRows(ctx, epoch)
	if err != nil {
		t.Fatal(err)
	}
	type destKey struct{ dest, key string }
	queued := map[destKey]store.Alert{}
	for _, dest := range []string{"desk", "wire"} {
		for _, a := range due(t, s, dest, h.clock.Now()) {
			queued[destKey{dest, a.ItemKey}] = a
		}
	}
	for _, r := range rows {
		a := queued[destKey{r.Destination, r.ItemKey}]
		if r.ID != a.ID || r.FeedID != a.FeedID || !r.EnqueuedAt.Equal(a.EnqueuedAt) || a.ID == 0 {
			t.Errorf("story row %s/%s = ID %d, FeedID %q, EnqueuedAt %v; want %d, %q, %v as the alert",
				r.Destination, r.ItemKey, r.ID, r.FeedID, r.EnqueuedAt, a.ID, a.FeedID, a.EnqueuedAt)
		}
		if r.Payload != nil {
			t.Errorf("story row %s carries a payload of %d bytes, want none read", r.ItemKey, len(r.Payload))
		}
	}
	if a, d := queued[destKey{"desk", "a"}], queued[destKey{"desk", "d"}]; !a.EnqueuedAt.Equal(epoch) || !d.EnqueuedAt.Equal(later) {
		t.Errorf("EnqueuedAt of a, d = %v, %v; want %v, %v", a.EnqueuedAt, d.EnqueuedAt, epoch, later)
	}
}

// testStoryLeads: the leads are the story's alerts that are not joins, by
// id, however the joins around them are numbered, whatever became of
// them, then its joins posted alone; joins alone, joins carried by a
// digest, another destination's story, the empty story and an unknown one
// have none.
func testStoryLeads(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	// The joins come first by id: a join may be enqueued before its lead
	// when a late report is matched before the first one is delivered.
	inDigest := storyAlert("desk", "d", "digest-only", true, "fp")
	inDigest.Digest, inDigest.HoldUntil = "capped|x", h.clock.Now()
	commit(t, s, "f", poll("f", []string{"j1", "j2", "l1", "l2", "x", "n", "d"},
		storyAlert("desk", "j1", "story-1", true, "fp"),
		storyAlert("desk", "j2", "story-1", true, "fp"),
		storyAlert("desk", "l1", "story-1", false, "fp"),
		storyAlert("desk", "l2", "story-1", false, "fp"),
		storyAlert("desk", "x", "joins-only", true, "fp"),
		storyAlert("desk", "n", "", false, ""),
		inDigest,
	))
	commit(t, s, "g", poll("g", []string{"w"}, storyAlert("wire", "w", "story-2", false, "fp")))
	lead := func(dest, story string) (store.Alert, error) {
		leads, err := s.StoryLeads(ctx, dest, story)
		if err != nil {
			return store.Alert{}, err
		}
		return leads[0], nil
	}
	keys := func(story string) []string {
		leads, _ := s.StoryLeads(ctx, "desk", story)
		var out []string
		for _, l := range leads {
			out = append(out, l.ItemKey)
		}
		return out
	}
	got, err := lead("desk", "story-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.ItemKey != "l1" || got.Joins || !bytes.Equal(got.Payload, []byte(`{"title":"l1"}`)) || got.Story != "story-1" {
		t.Errorf("StoryLeads(desk, story-1)[0] = %+v, want the full row of l1", got)
	}
	if k := keys("story-1"); !slices.Equal(k, []string{"l1", "l2"}) {
		t.Errorf("StoryLeads(desk, story-1) = %q, want l1, l2 (the joins waiting for an edit lead nothing)", k)
	}
	for _, mark := range []struct {
		name string
		do   func(id int64) error
	}{
		{"delivered", func(id int64) error { return s.MarkDelivered(ctx, id, "m1", h.clock.Now()) }},
		{"dropped", func(id int64) error { return s.MarkDropped(ctx, id, "gone") }},
	} {
		if err := mark.do(got.ID); err != nil {
			t.Fatal(err)
		}
		if again, err := lead("desk", "story-1"); err != nil || again.ID != got.ID {
			t.Errorf("StoryLeads after the lead was %s = %s (%d), %v; want l1 (%d) first", mark.name, again.ItemKey, again.ID, err, got.ID)
		}
	}
	dg := dueKey(t, s, "desk", "d")
	if err := s.AssignBatch(ctx, []int64{dg.ID}, "nh1d"); err != nil {
		t.Fatal(err)
	}
	none := []struct{ name, dest, story string }{
		{"joins only", "desk", "joins-only"},
		{"a join sent in a digest", "desk", "digest-only"},
		{"another destination's story", "desk", "story-2"},
		{"a story in another destination", "wire", "story-1"},
		{"the empty story", "desk", ""},
		{"an unknown story", "desk", "nope"},
	}
	for _, c := range none {
		if a, err := lead(c.dest, c.story); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("StoryLeads of %s = %+v, %v; want ErrNotFound", c.name, a, err)
		}
	}
	// A story whose first alert never reached the outbox: its first join
	// posted as a message of its own leads it; a join batched for an edit
	// does not.
	x := dueKey(t, s, "desk", "x")
	if err := s.AssignBatch(ctx, []int64{x.ID}, "njedit"); err != nil {
		t.Fatal(err)
	}
	if a, err := lead("desk", "joins-only"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("StoryLeads of a story whose join waits for an edit = %+v, %v; want ErrNotFound", a, err)
	}
	if err := s.AssignBatch(ctx, []int64{x.ID}, "nh1x1"); err != nil {
		t.Fatal(err)
	}
	if a, err := lead("desk", "joins-only"); err != nil || a.ID != x.ID {
		t.Errorf("StoryLeads of a story whose join was posted alone = %+v, %v; want that join", a, err)
	}
}

// dueKey is the undelivered alert of destination with item key key.
func dueKey(t *testing.T, s store.Store, destination, key string) store.Alert {
	t.Helper()
	rows, err := s.DueAlerts(context.Background(), destination, time.Now().Add(24*time.Hour), 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.ItemKey == key {
			return r
		}
	}
	t.Fatalf("no pending alert %q in %s", key, destination)
	return store.Alert{}
}

// testMessageAlerts: the alerts delivered as or into one message of one
// destination, oldest first with their payloads; not the joins still
// waiting, not another message's, not another destination's, and none for
// the empty message ID (a destination that returns no ID).
func testMessageAlerts(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	commit(t, s, "f", poll("f", []string{"a", "j1", "b", "j2", "j3", "hook"},
		storyAlert("desk", "a", "story-1", false, "fp"),
		storyAlert("desk", "j1", "story-1", true, "fp"),
		storyAlert("desk", "b", "story-2", false, "fp"),
		storyAlert("desk", "j2", "story-1", true, "fp"),
		storyAlert("desk", "j3", "story-1", true, "fp"),
		storyAlert("wire", "a", "story-1", false, "fp"),
		storyAlert("desk", "hook", "story-3", false, "fp"),
	))
	byKey := map[string]int64{}
	for _, a := range due(t, s, "desk", h.clock.Now()) {
		byKey[a.ItemKey] = a.ID
	}
	wire := due(t, s, "wire", h.clock.Now())
	deliver := map[int64]string{byKey["a"]: "m1", byKey["j1"]: "m1", byKey["b"]: "m2", byKey["j3"]: "m1", wire[0].ID: "m1", byKey["hook"]: ""}
	for _, id := range slices.Sorted(maps.Keys(deliver)) {
		if err := s.MarkDelivered(ctx, id, deliver[id], h.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		dest, message string
		want          []string
	}{
		{"desk", "m1", []string{"a", "j1", "j3"}},
		{"desk", "m2", []string{"b"}},
		{"wire", "m1", []string{"a"}},
		{"desk", "", nil},
		{"desk", "m3", nil},
		{"elsewhere", "m1", nil},
	}
	for _, c := range cases {
		got, err := s.MessageAlerts(ctx, c.dest, c.message)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(itemKeys(got), c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("MessageAlerts(%q, %q) = %q, want %q", c.dest, c.message, itemKeys(got), c.want)
		}
		for _, a := range got {
			if a.Destination != c.dest || a.MessageID != c.message || a.DeliveredAt.IsZero() ||
				!bytes.Equal(a.Payload, []byte(`{"title":"`+a.ItemKey+`"}`)) || a.Story == "" {
				t.Errorf("MessageAlerts(%q, %q): %+v, want the full delivered row", c.dest, c.message, a)
			}
		}
	}
}

// testHold: a held alert is not due until its time, then is again; it is
// backlog all along (no digest), and holding it changes nothing
// CountUnheld counts. Delivered and dropped alerts are not held.
func testHold(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	commit(t, s, "f", poll("f", []string{"lead", "join", "other", "sent"},
		storyAlert("desk", "lead", "story-1", false, "fp"),
		storyAlert("desk", "join", "story-1", true, "fp"),
		storyAlert("desk", "other", "", false, ""),
		storyAlert("desk", "sent", "", false, ""),
	))
	all := due(t, s, "desk", h.clock.Now())
	byKey := byItemKey(all)
	if err := s.MarkDelivered(ctx, byKey["sent"].ID, "m0", h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	counted := func() int {
		t.Helper()
		n, err := s.CountUnheld(ctx, "sub-desk", epoch)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := counted()
	if before != 3 {
		t.Errorf("CountUnheld = %d, want 3 (lead, other, sent: the join is edited in, not sent)", before)
	}

	until := h.clock.Now().Add(5 * time.Second)
	if err := s.Hold(ctx, []int64{byKey["join"].ID, byKey["sent"].ID}, until); err != nil {
		t.Fatal(err)
	}
	if err := s.Hold(ctx, nil, until); err != nil {
		t.Errorf("Hold of no alerts = %v, want nil", err)
	}
	steps := []struct {
		name string
		at   time.Time
		want []string
	}{
		{"before the hold ends", h.clock.Now(), []string{"lead", "other"}},
		{"just before", until.Add(-time.Microsecond), []string{"lead", "other"}},
		{"when it ends", until, []string{"lead", "join", "other"}},
		{"after", until.Add(time.Hour), []string{"lead", "join", "other"}},
	}
	for _, st := range steps {
		if got := itemKeys(due(t, s, "desk", st.at)); !slices.Equal(got, st.want) {
			t.Errorf("DueAlerts %s = %q, want %q", st.name, got, st.want)
		}
	}
	held := due(t, s, "desk", until)[1]
	if !held.HoldUntil.Equal(until) || held.Digest != "" {
		t.Errorf("held join: HoldUntil %v, Digest %q; want %v and no digest", held.HoldUntil, held.Digest, until)
	}
	stats, err := s.OutboxStats(ctx)
	if err != nil || len(stats) != 1 || stats[0].Pending != 2 {
		t.Errorf("OutboxStats while the join is held = %+v, %v; want 2 pending on desk (a held join is not backlog until its time)", stats, err)
	}
	if n := counted(); n != before {
		t.Errorf("CountUnheld after Hold = %d, want %d as before", n, before)
	}
	sent, err := s.MessageAlerts(ctx, "desk", "m0")
	if err != nil || len(sent) != 1 || !sent[0].HoldUntil.IsZero() {
		t.Errorf("delivered alert after Hold = %+v, %v; want it not held", sent, err)
	}

	if err := s.Hold(ctx, []int64{byKey["join"].ID}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got, want := itemKeys(due(t, s, "desk", h.clock.Now())), []string{"lead", "join", "other"}; !slices.Equal(got, want) {
		t.Errorf("DueAlerts after a Hold until the zero time = %q, want %q (released)", got, want)
	}
}

// testItemTexts: text signatures committed with a poll are read back for
// the keys that have one; a later commit updates them (for new keys and
// seen ones), a commit without Texts keeps them, and they go when Prune
// forgets their key.
func testItemTexts(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	texts := func(feed string, keys ...string) map[string]string {
		t.Helper()
		got, err := s.ItemTexts(ctx, feed, keys)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for k, v := range got {
			out[k] = string(v)
		}
		return out
	}
	commitTexts := func(feed string, keys []string, sigs map[string]string) {
		t.Helper()
		p := poll(feed, keys)
		if sigs != nil {
			p.Texts = map[string][]byte{}
			for k, v := range sigs {
				p.Texts[k] = []byte(v)
			}
		}
		commit(t, s, feed, p)
	}
	all := []string{"a", "b", "c", "d", "unseen"}
	steps := []struct {
		name  string
		keys  []string
		sigs  map[string]string
		after time.Duration
		want  map[string]string
	}{
		{"first commit", []string{"a", "b", "c"}, map[string]string{"a": "sig-a", "b": "sig-b\x00"},
			0, map[string]string{"a": "sig-a", "b": "sig-b\x00"}},
		{"seen keys updated, a new one inserted with its own", []string{"a", "b", "c", "d"}, map[string]string{"a": "sig-a2", "c": "sig-c", "d": "sig-d"},
			time.Minute, map[string]string{"a": "sig-a2", "b": "sig-b\x00", "c": "sig-c", "d": "sig-d"}},
		{"no Texts keeps them", []string{"a", "b", "c", "d"}, nil,
			time.Minute, map[string]string{"a": "sig-a2", "b": "sig-b\x00", "c": "sig-c", "d": "sig-d"}},
		{"the same signature again", []string{"a", "b", "c", "d"}, map[string]string{"a": "sig-a2"},
			time.Minute, map[string]string{"a": "sig-a2", "b": "sig-b\x00", "c": "sig-c", "d": "sig-d"}},
	}
	for _, st := range steps {
		h.clock.Advance(st.after)
		commitTexts("f", st.keys, st.sigs)
		if got := texts("f", all...); !maps.Equal(got, st.want) {
			t.Errorf("%s: ItemTexts = %q, want %q", st.name, got, st.want)
		}
	}
	if got := texts("other", all...); len(got) != 0 {
		t.Errorf("ItemTexts of another feed = %q, want none", got)
	}
	if got := texts("f"); len(got) != 0 {
		t.Errorf("ItemTexts of no keys = %q, want none", got)
	}
	bad := poll("f", []string{"a"})
	bad.Texts = map[string][]byte{"elsewhere": []byte("x")}
	if _, err := s.CommitPoll(ctx, "f", bad); err == nil {
		t.Error("CommitPoll with a text signature for a key not in the poll succeeded, want an error")
	}

	// Many keys: the statements are cut in chunks, signatures on either
	// side of the cut.
	many := keysN("k", 1200)
	sigs := map[string]string{}
	for i := 0; i < len(many); i += 100 {
		sigs[many[i]] = fmt.Sprintf("sig-%d", i)
	}
	sigs[many[499]], sigs[many[500]] = "last of the first", "first of the second"
	commitTexts("big", many, sigs)
	if got := texts("big", many...); !maps.Equal(got, sigs) {
		t.Errorf("ItemTexts of 1200 keys = %d signatures, want %d", len(got), len(sigs))
	}

	h.clock.Advance(24 * time.Hour)
	commitTexts("f", []string{"a"}, nil) // b, c and d leave the feed
	h.clock.Advance(30 * 24 * time.Hour)
	commitTexts("f", []string{"a"}, nil)
	if err := s.Prune(ctx, h.clock.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, want := texts("f", all...), map[string]string{"a": "sig-a2"}; !maps.Equal(got, want) {
		t.Errorf("ItemTexts after Prune = %q, want %q (pruned keys take their signatures)", got, want)
	}
}

// testMoveStories: MoveStories moves the destination's alerts of an item
// that are in the story named, in one transaction, and nothing else: not
// the item's alerts of another destination, not an item in another story
// (a move made again finds nothing to move), not an item with no alerts.
// A move into no story is refused for good (store.ErrMoveRefused), and
// none of the batch is made; so is a move whose text the database cannot
// hold (a NUL byte: PostgreSQL refuses it, SQLite finds nothing to move),
// never a failure a caller would try again.
func testMoveStories(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	commit(t, s, "feed", poll("feed", []string{"a", "b", "c"},
		storyAlert("desk", "a", "feed/a", false, "fp-a"),
		storyAlert("desk", "b", "feed/a", true, "fp-b"),
		storyAlert("other", "b", "feed/a", false, "fp-b"),
		storyAlert("desk", "c", "feed/c", false, "fp-c"),
	))
	stories := func() map[string]string {
		t.Helper()
		rows, err := s.StoryRows(ctx, epoch)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range rows {
			got[r.Destination+":"+r.ItemKey] = r.Story
		}
		return got
	}
	before := stories()
	refused := []store.StoryMove{
		{Destination: "desk", Item: "feed/b", From: "feed/a", To: "feed/c"},
		{Destination: "desk", Item: "feed/a", From: "feed/a", To: ""},
	}
	if err := s.MoveStories(ctx, refused); !errors.Is(err, store.ErrMoveRefused) {
		t.Errorf("MoveStories into the empty story: got %v, want ErrMoveRefused", err)
	}
	if got := stories(); !maps.Equal(got, before) {
		t.Errorf("stories after a refused MoveStories = %v, want %v", got, before)
	}
	nul := []store.StoryMove{
		{Destination: "desk", Item: "feed/b", From: "feed/a", To: "feed/c"},
		{Destination: "desk", Item: "feed/\x00", From: "feed/a", To: "feed/c"},
	}
	err := s.MoveStories(ctx, nul)
	if err != nil && !errors.Is(err, store.ErrMoveRefused) {
		t.Errorf("MoveStories of an item with a NUL byte: got %v, want nil or ErrMoveRefused", err)
	}
	wantB := "feed/a" // refused: none of the batch is made
	if err == nil {
		wantB = "feed/c"
	}
	if got := stories()["desk:b"]; got != wantB {
		t.Errorf("after MoveStories of an item with a NUL byte (err %v), desk:b in story %q, want %q", err, got, wantB)
	}
	if err := s.MoveStories(ctx, []store.StoryMove{{Destination: "desk", Item: "feed/b", From: "feed/c", To: "feed/a"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.MoveStories(ctx, nil); err != nil {
		t.Errorf("MoveStories(nil): %v", err)
	}
	moves := []store.StoryMove{
		{Destination: "desk", Item: "feed/b", From: "feed/a", To: "feed/c"},
		{Destination: "desk", Item: "feed/a", From: "feed/x", To: "feed/c"}, // in another story
		{Destination: "desk", Item: "feed/z", From: "feed/a", To: "feed/c"}, // no alerts
	}
	for range 2 { // the second time finds nothing to move
		if err := s.MoveStories(ctx, moves); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{"desk:a": "feed/a", "desk:b": "feed/c", "other:b": "feed/a", "desk:c": "feed/c"}
	if got := stories(); !maps.Equal(got, want) {
		t.Errorf("stories after MoveStories = %v, want %v", got, want)
	}
	// The sender reads the pending rows' stories (not their payloads'):
	// what it sends a moved report under.
	for _, dest := range []string{"desk", "other"} {
		for _, a := range due(t, s, dest, epoch.Add(time.Hour)) {
			if k := dest + ":" + a.ItemKey; a.Story != want[k] {
				t.Errorf("DueAlerts after MoveStories: %s in story %q, want %q", k, a.Story, want[k])
			}
		}
	}
}

// testStoryTakes: an alert that takes earlier alerts into its story (a
// re-split) moves them there when it is enqueued: only the destination's
// alerts of that item that were in the story named, and not when the alert
// itself is not enqueued (its dedupe key is taken).
func testStoryTakes(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	commit(t, s, "feed", poll("feed", []string{"a", "b"},
		storyAlert("desk", "a", "feed/a", false, "fp-a"),
		storyAlert("desk", "b", "feed/a", true, "fp-b"),
		storyAlert("other", "b", "feed/a", false, "fp-b"),
	))
	// b went out as a message of its own (in a digest): a join with a
	// message's batch, as a story's lead may be.
	b := due(t, s, "desk", epoch.Add(time.Hour))[1]
	if b.ItemKey != "b" {
		t.Fatalf("second due alert %q, want b", b.ItemKey)
	}
	if err := s.AssignBatch(ctx, []int64{b.ID}, "nh-digest-1d"); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Minute)
	c := storyAlert("desk", "c", "feed/c", false, "fp-c")
	c.DedupeKeys = []string{"t:c"}
	c.Takes = []store.StoryTake{{Item: "feed/b", From: "feed/a"}, {Item: "feed/a", From: "feed/x"}}
	if n := commit(t, s, "feed", poll("feed", []string{"a", "b", "c"}, c)); n != 1 {
		t.Fatalf("CommitPoll enqueued %d, want 1", n)
	}
	h.clock.Advance(time.Minute)
	d := storyAlert("desk", "d", "feed/d", false, "fp-d")
	d.DedupeKeys = []string{"t:c"} // taken: d is not enqueued, nor are its takes made
	d.Takes = []store.StoryTake{{Item: "feed/a", From: "feed/a"}}
	if n := commit(t, s, "feed", poll("feed", []string{"a", "b", "c", "d"}, d)); n != 0 {
		t.Fatalf("CommitPoll enqueued %d, want 0", n)
	}
	rows, err := s.StoryRows(ctx, epoch)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Destination, Key, Story string }
	var got []row
	for _, r := range rows {
		got = append(got, row{r.Destination, r.ItemKey, r.Story})
	}
	// d, refused, is kept as a refused report of its own story.
	want := []row{{"desk", "a", "feed/a"}, {"desk", "b", "feed/c"}, {"other", "b", "feed/a"}, {"desk", "c", "feed/c"}, {"desk", "d", "feed/d"}}
	if !slices.Equal(got, want) {
		t.Errorf("StoryRows after the takes = %+v\nwant %+v", got, want)
	}
	if leads, err := s.StoryLeads(ctx, "desk", "feed/c"); err != nil || leads[0].ItemKey != "c" {
		t.Errorf("StoryLeads(desk, feed/c) = %+v, %v; want c first (b, moved into it, is a join posted alone with a lower id)", leads, err)
	}
}

// testHoldForDigest: a join put into its lead's digest is held with it,
// then due and read with the digest's alerts, and counts towards no cap;
// one delivered, dropped or already in a batch is not put in.
func testHoldForDigest(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	until := h.clock.Now().Add(time.Hour)
	lead := storyAlert("desk", "lead", "story-1", false, "fp")
	lead.Digest, lead.HoldUntil = "capped|x", until
	commit(t, s, "f", poll("f", []string{"lead", "join", "batched", "gone", "sent"},
		lead,
		storyAlert("desk", "join", "story-1", true, "fp"),
		storyAlert("desk", "batched", "story-1", true, "fp"),
		storyAlert("desk", "gone", "story-1", true, "fp"),
		storyAlert("desk", "sent", "story-1", true, "fp"),
	))
	byKey := byItemKey(due(t, s, "desk", until))
	before, err := s.CountUnheld(ctx, "sub-desk", epoch)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AssignBatch(ctx, []int64{byKey["batched"].ID}, "nj1"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDropped(ctx, byKey["gone"].ID, "test"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDelivered(ctx, byKey["sent"].ID, "m1", h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.HoldForDigest(ctx, byKey["join"].ID, lead.Digest, until, time.Time{}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"batched", "gone", "sent"} {
		if err := s.HoldForDigest(ctx, byKey[k].ID, lead.Digest, until, time.Time{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("HoldForDigest of %s = %v, want ErrNotFound", k, err)
		}
	}
	if got, want := itemKeys(due(t, s, "desk", h.clock.Now())), []string{"batched"}; !slices.Equal(got, want) {
		t.Errorf("DueAlerts before the digest's release = %q, want %q", got, want)
	}
	if got, want := itemKeys(due(t, s, "desk", until)), []string{"lead", "join", "batched"}; !slices.Equal(got, want) {
		t.Errorf("DueAlerts at the digest's release = %q, want %q", got, want)
	}
	in, err := s.DigestAlerts(ctx, "desk", lead.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := itemKeys(in), []string{"lead", "join"}; !slices.Equal(got, want) {
		t.Errorf("DigestAlerts = %q, want %q", got, want)
	}
	if !in[1].HoldUntil.Equal(until) || !in[1].Joins || !in[1].SentAloneAt.IsZero() {
		t.Errorf("the join in the digest: HoldUntil %v, Joins %v, SentAloneAt %v; want %v, a join still, held with its lead", in[1].HoldUntil, in[1].Joins, in[1].SentAloneAt, until)
	}
	if n, err := s.CountUnheld(ctx, "sub-desk", epoch); err != nil || n != before {
		t.Errorf("CountUnheld = %d, %v; want %d as before", n, err, before)
	}
}

// testPostAlone: a join posted as a message of its own gets its batch and
// counts towards max_per_hour (CountUnheld) from when it was posted, in
// that hour, not the hour it was enqueued in; a join edited in, or held
// for a digest, never counts, and only a waiting join can be posted alone,
// only while it is in the story it was found in.
func testPostAlone(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	enqueued := h.clock.Now()
	commit(t, s, "f", poll("f", []string{"lead", "alone", "edited", "held", "gone"},
		storyAlert("desk", "lead", "story-1", false, "fp"),
		storyAlert("desk", "alone", "story-1", true, "fp"),
		storyAlert("desk", "edited", "story-1", true, "fp"),
		storyAlert("desk", "held", "story-1", true, "fp"),
		storyAlert("desk", "gone", "story-1", true, "fp"),
	))
	byKey := byItemKey(due(t, s, "desk", enqueued))
	counted := func(since time.Time) int {
		t.Helper()
		n, err := s.CountUnheld(ctx, "sub-desk", since)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := counted(epoch); n != 1 {
		t.Fatalf("CountUnheld = %d, want 1 (the lead)", n)
	}
	later := enqueued.Add(90 * time.Minute)
	if err := s.AssignBatch(ctx, []int64{byKey["edited"].ID}, "nj7"); err != nil {
		t.Fatal(err)
	}
	if err := s.HoldForDigest(ctx, byKey["held"].ID, "capped|x", later, later); err != nil {
		t.Fatal(err)
	}
	if in, err := s.DigestAlerts(ctx, "desk", "capped|x"); err != nil || len(in) != 1 || !in[0].SentAloneAt.Equal(later) {
		t.Errorf("DigestAlerts(capped|x) = %+v, %v; want the join held as a message of its own at %v", in, err, later)
	}
	if err := s.MarkDropped(ctx, byKey["gone"].ID, "test"); err != nil {
		t.Fatal(err)
	}
	if err := s.PostAlone(ctx, byKey["alone"].ID, "story-2", "nh8", later); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PostAlone of alone in story-2 = %v, want ErrNotFound (it is in story-1: moved since it was read)", err)
	}
	if err := s.PostAlone(ctx, byKey["alone"].ID, "story-1", "nh9", later); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"lead", "gone", "held"} {
		if err := s.PostAlone(ctx, byKey[k].ID, "story-1", "nh10", later); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("PostAlone of %s = %v, want ErrNotFound (not a waiting join in no digest)", k, err)
		}
	}
	if got := counted(epoch); got != 2 {
		t.Errorf("CountUnheld = %d, want 2 (the lead and the join posted alone)", got)
	}
	if got := counted(later.Add(-time.Minute)); got != 1 {
		t.Errorf("CountUnheld of the hour it was posted in = %d, want 1 (the join posted alone)", got)
	}
	b, err := s.BatchAlerts(ctx, "desk", "nh9")
	if err != nil || len(b) != 1 || b[0].ItemKey != "alone" || !b[0].Joins || !b[0].EnqueuedAt.Equal(enqueued) || !b[0].SentAloneAt.Equal(later) {
		t.Errorf("BatchAlerts(nh9) = %+v, %v; want the join, enqueued at %v as before and sent alone at %v", b, err, enqueued, later)
	}
	// status: the join posted alone, the one alert left waiting, is as
	// old as when it was enqueued.
	for _, k := range []string{"lead", "edited"} {
		if err := s.MarkDelivered(ctx, byKey[k].ID, "m-"+k, enqueued); err != nil {
			t.Fatal(err)
		}
	}
	stats, err := s.OutboxStats(ctx)
	if err != nil || len(stats) != 1 || stats[0].Pending != 1 || !stats[0].OldestEnqueued.Equal(enqueued) {
		t.Errorf("OutboxStats = %+v, %v; want desk's one pending alert enqueued at %v, not when it was posted alone (%v)", stats, err, enqueued, later)
	}
	// The join held as a message of its own, released by a re-plan, is
	// no message of its own yet: versions before HoldForDigest kept when
	// in sent_alone_at count as this one does, so after a downgrade too.
	if _, err := s.ReplanDigests(ctx, func(held []store.Alert, _ map[string]string) ([]store.Alert, map[string]string) {
		for i := range held {
			held[i].Digest, held[i].HoldUntil = "capped|now", enqueued
		}
		return held, nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := counted(later.Add(-time.Minute)); got != 1 {
		t.Errorf("CountUnheld of that hour, the held join released = %d, want 1 (the join posted alone)", got)
	}
}

// testCommitReportsDuplicates: a commit given Poll.Duplicates names the
// alerts it refused because a dedupe key of theirs was taken in their
// destination, each with the story of the alert holding the first such
// key as it is stored now (a move since counts); it names no alert
// enqueued, none refused for its item being seen already, and none
// whose key is taken only in another destination.
func testCommitReportsDuplicates(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	commit(t, s, "f", poll("f", []string{"a", "j", "n"},
		withDedupe(storyAlert("desk", "a", "f/a", false, "fp-a"), "link:l|kessler"),
		withDedupe(storyAlert("desk", "j", "f/a", true, "fp-j"), "link:m|dam"),
		withDedupe(alert("desk", "n"), "title:no story"),
	))
	if err := s.MoveStories(ctx, []store.StoryMove{{Destination: "desk", Item: "feed/j", From: "f/a", To: "f/m"}}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		keys   []string // the poll's item keys
		alerts []store.Alert
		want   []store.Duplicate
		queued int // alerts enqueued
	}{
		{"a key of a story's first alert", []string{"e"},
			[]store.Alert{withDedupe(storyAlert("desk", "e", "g/e", false, "fp-e"), "item:g/e", "link:l|kessler")},
			[]store.Duplicate{{Alert: 0, Story: "f/a"}}, 0},
		{"a key of a join, moved since", []string{"e2"},
			[]store.Alert{withDedupe(storyAlert("desk", "e2", "g/e2", false, "fp"), "link:m|dam")},
			[]store.Duplicate{{Alert: 0, Story: "f/m"}}, 0},
		{"the first key taken decides", []string{"e3"},
			[]store.Alert{withDedupe(storyAlert("desk", "e3", "g/e3", false, "fp"), "item:g/e3", "title:no story", "link:l|kessler")},
			[]store.Duplicate{{Alert: 0, Story: ""}}, 0},
		{"a key taken by an alert of the same poll", []string{"x1", "x2"},
			[]store.Alert{
				withDedupe(storyAlert("desk", "x1", "g/x1", false, "fp"), "link:x|fire"),
				withDedupe(storyAlert("desk", "x2", "g/x2", false, "fp"), "link:x|fire"),
			},
			[]store.Duplicate{{Alert: 1, Story: "g/x1"}}, 1},
		{"a key taken in another destination only", []string{"w"},
			[]store.Alert{withDedupe(storyAlert("wire", "w", "g/w", false, "fp"), "link:l|kessler")}, nil, 1},
		{"an item seen before", []string{"e"},
			[]store.Alert{withDedupe(storyAlert("desk", "e", "g/e", false, "fp-e"), "link:l|kessler")}, nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := []store.Duplicate{{Alert: -1, Story: "left from before"}}
			p := poll("g", c.keys, c.alerts...)
			p.Duplicates = &got
			n, err := s.CommitPoll(ctx, "g", p)
			if err != nil {
				t.Fatalf("CommitPoll: %v", err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("Duplicates = %+v, want %+v", got, c.want)
			}
			if n != c.queued {
				t.Errorf("enqueued %d, want %d", n, c.queued)
			}
		})
	}
}

// testRefusedReports: an alert CommitPoll refuses as a duplicate that
// carries a story and a fingerprint is kept as a refused report, which
// StoryRows reads (ID 0) after the alerts of its commit, across a reopen;
// MoveStories and a later alert's Takes move it as they move alerts, and
// Prune forgets it once enqueued before the time given. A refused alert
// with no story or no fingerprint is kept nowhere.
func testRefusedReports(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	commit(t, s, "f", poll("f", []string{"a"}, withDedupe(storyAlert("desk", "a", "feed/a", false, "fp-a"), "link:l")))
	h.clock.Advance(time.Minute)
	refusedAt := h.clock.Now()
	commit(t, s, "g", poll("g", []string{"e", "n", "u", "b"},
		withDedupe(storyAlert("desk", "e", "feed/e", false, "fp-e\x00\xff"), "link:l"),
		withDedupe(storyAlert("desk", "n", "", false, ""), "link:l"),       // grouping off
		withDedupe(storyAlert("desk", "u", "feed/a", false, ""), "link:l"), // no fingerprint
		withDedupe(storyAlert("desk", "b", "feed/b", false, "fp-b"), "link:b"),
	))
	h.clock.Advance(time.Minute)
	rowsSince := func(since time.Time) []storyOf {
		t.Helper()
		rows, err := s.StoryRows(ctx, since)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.ItemKey == "e" && (r.ID != 0 || r.FeedID != "feed" || !r.EnqueuedAt.Equal(refusedAt)) {
				t.Errorf("refused report = %+v, want ID 0 of feed \"feed\" enqueued at %v", r, refusedAt)
			}
		}
		return storiesOf(rows)
	}
	if got, want := rowsSince(epoch), []storyOf{{"a", "feed/a", false, "fp-a"}, {"b", "feed/b", false, "fp-b"}, {"e", "feed/e", false, "fp-e\x00\xff"}}; !slices.Equal(got, want) {
		t.Errorf("StoryRows after the refusal = %+v\nwant %+v", got, want)
	}
	if got := rowsSince(refusedAt.Add(time.Second)); len(got) != 0 {
		t.Errorf("StoryRows after every commit = %+v, want none", got)
	}

	if err := s.MoveStories(ctx, []store.StoryMove{{Destination: "desk", Item: "feed/e", From: "feed/e", To: "feed/a"}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = h.store(t)
	if got, want := rowsSince(epoch)[2], (storyOf{"e", "feed/a", false, "fp-e\x00\xff"}); got != want {
		t.Errorf("refused report after MoveStories and a reopen = %+v, want %+v", got, want)
	}
	c := storyAlert("desk", "c", "feed/c", false, "fp-c")
	c.Takes = []store.StoryTake{{Item: "feed/e", From: "feed/a"}}
	commit(t, s, "g", poll("g", []string{"c"}, c))
	if got, want := rowsSince(epoch)[2], (storyOf{"e", "feed/c", false, "fp-e\x00\xff"}); got != want {
		t.Errorf("refused report after a take = %+v, want %+v", got, want)
	}
	// A report taken by an alert of the poll that refuses it: the take
	// moves it as it moves that poll's alerts.
	taker := storyAlert("desk", "t", "feed/t", false, "fp-t")
	taker.Takes = []store.StoryTake{{Item: "feed/r", From: "feed/r"}}
	commit(t, s, "g", poll("g", []string{"r", "t"},
		withDedupe(storyAlert("desk", "r", "feed/r", false, "fp-r"), "link:l"), taker))
	if i := slices.IndexFunc(rowsSince(epoch), func(r storyOf) bool { return r.Key == "r" }); i < 0 || rowsSince(epoch)[i].Story != "feed/t" {
		t.Errorf("StoryRows after a take in the refusing poll = %+v, want r in feed/t", rowsSince(epoch))
	}

	if err := s.Prune(ctx, refusedAt); err != nil {
		t.Fatal(err)
	}
	if got := rowsSince(epoch); !slices.ContainsFunc(got, func(r storyOf) bool { return r.Key == "e" }) {
		t.Errorf("StoryRows after a prune before the refusal = %+v, want e still", got)
	}
	if err := s.Prune(ctx, refusedAt.Add(time.Microsecond)); err != nil {
		t.Fatal(err)
	}
	if got := rowsSince(epoch); slices.ContainsFunc(got, func(r storyOf) bool { return r.Key == "e" }) {
		t.Errorf("StoryRows after a prune past the refusal = %+v, want e gone", got)
	}
}

// testFirstSeen: FirstSeen tells when each seen key of a feed was first
// seen (the commit that first marked it, on the store's clock, as
// EnqueuedAt), whatever commits saw it again since, whether its alert was
// enqueued or refused as a duplicate (a ghost story's first report, which
// has no row: see alert.Stories.Restore); keys not seen are left out.
func testFirstSeen(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	commit(t, s, "f", poll("f", []string{"a", "b"}, alert("desk", "a", "link-a")))
	h.clock.Advance(time.Hour)
	withText := poll("f", []string{"a", "b", "c"})
	withText.Texts = map[string][]byte{"c": []byte("sig-c")}
	commit(t, s, "f", withText)
	commit(t, s, "g", poll("g", []string{"a"}))
	h.clock.Advance(time.Hour)
	if n := commit(t, s, "f", poll("f", []string{"a", "b", "c", "dup"}, alert("desk", "dup", "link-a"))); n != 0 {
		t.Fatalf("the duplicate's commit enqueued %d alerts, want 0", n)
	}
	cases := []struct {
		feed string
		keys []string
		want map[string]time.Time
	}{
		{"f", []string{"a", "b", "c", "dup", "unseen"}, map[string]time.Time{
			"a": epoch, "b": epoch, "c": epoch.Add(time.Hour), "dup": epoch.Add(2 * time.Hour)}},
		{"g", []string{"a", "b"}, map[string]time.Time{"a": epoch.Add(time.Hour)}},
		{"nope", []string{"a"}, map[string]time.Time{}},
		{"f", nil, map[string]time.Time{}},
	}
	for _, c := range cases {
		got, err := s.FirstSeen(ctx, c.feed, c.keys)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.EqualFunc(got, c.want, time.Time.Equal) {
			t.Errorf("FirstSeen(%q, %q) = %v, want %v", c.feed, c.keys, got, c.want)
		}
	}
}
