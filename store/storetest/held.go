package storetest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/store"
)

// testHeldAlerts: alerts held for a digest are kept (with their hold and
// digest key) across a reopen, are not due before their time, do not count
// as backlog, come back together by digest key, and are not counted as
// sent one by one.
func testHeldAlerts(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	release := h.clock.Now().Add(2 * time.Hour)
	held := func(key string) store.Alert {
		a := alert("desk", key)
		a.HoldUntil, a.Digest = release, "digest|morning"
		return a
	}
	commit(t, s, "f", poll("f", []string{"a", "b", "c", "d"}, alert("desk", "a"), held("b"), alert("desk", "c"), held("d")))
	s.Close()
	s = h.store(t)

	due := func(at time.Time) []string {
		t.Helper()
		got, err := s.DueAlerts(ctx, "desk", at, 0)
		if err != nil {
			t.Fatal(err)
		}
		return itemKeys(got)
	}
	if got, want := due(h.clock.Now()), []string{"a", "c"}; !slices.Equal(got, want) {
		t.Errorf("DueAlerts before the release = %q, want %q", got, want)
	}
	if got, want := due(release), []string{"a", "b", "c", "d"}; !slices.Equal(got, want) {
		t.Errorf("DueAlerts at the release = %q, want %q", got, want)
	}
	digest, err := s.DigestAlerts(ctx, "desk", "digest|morning")
	if err != nil || !slices.Equal(itemKeys(digest), []string{"b", "d"}) {
		t.Fatalf("DigestAlerts = %q, %v; want [b d]", itemKeys(digest), err)
	}
	if !digest[0].HoldUntil.Equal(release) || digest[0].Digest != "digest|morning" {
		t.Errorf("held alert read back with hold %v digest %q, want %v and digest|morning", digest[0].HoldUntil, digest[0].Digest, release)
	}
	if none, err := s.DigestAlerts(ctx, "desk", ""); err != nil || len(none) != 0 {
		t.Errorf("DigestAlerts of the empty key = %q, %v; want none", itemKeys(none), err)
	}
	if n, err := s.CountUnheld(ctx, "sub-desk", h.clock.Now().Add(-time.Minute)); err != nil || n != 2 {
		t.Errorf("CountUnheld = %d, %v; want 2 (the held ones do not count)", n, err)
	}
	if n, err := s.CountUnheld(ctx, "sub-desk", h.clock.Now().Add(time.Minute)); err != nil || n != 0 {
		t.Errorf("CountUnheld after the enqueue = %d, %v; want 0", n, err)
	}
	stats, err := s.OutboxStats(ctx)
	if err != nil || len(stats) != 1 || stats[0].Pending != 2 {
		t.Errorf("OutboxStats before the release = %+v, %v; want 2 pending (held alerts are not backlog)", stats, err)
	}
	h.clock.Advance(2 * time.Hour)
	if stats, err := s.OutboxStats(ctx); err != nil || len(stats) != 1 || stats[0].Pending != 4 {
		t.Errorf("OutboxStats at the release = %+v, %v; want 4 pending", stats, err)
	}
	for _, a := range digest {
		if err := s.MarkDelivered(ctx, a.ID, "m", h.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if left, err := s.DigestAlerts(ctx, "desk", "digest|morning"); err != nil || len(left) != 0 {
		t.Errorf("DigestAlerts after delivery = %q, %v; want none", itemKeys(left), err)
	}
}

// testReplanDigests: ReplanDigests gives plan the alerts held for a
// digest and in no batch, and moves those plan moves; made
// again, the plan moves none, and an alert another instance moved since
// the read stays as it moved it.
func testReplanDigests(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	old := h.clock.Now().Add(2 * time.Hour)
	heldFor := func(a store.Alert) store.Alert {
		a.Digest, a.HoldUntil = "digest|old", old
		return a
	}
	commit(t, s, "f", poll("f", []string{"a", "b", "batched", "sent", "free", "elsewhere"},
		heldFor(alert("desk", "a")), heldFor(alert("desk", "b")), heldFor(alert("desk", "batched")),
		heldFor(alert("desk", "sent")), alert("desk", "free"), heldFor(alert("wire", "elsewhere"))))
	byKey := byItemKey(due(t, s, "desk", old))
	if err := s.AssignBatch(ctx, []int64{byKey["batched"].ID}, "nh1d"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDelivered(ctx, byKey["sent"].ID, "m1", h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	// plan moves desk's alerts into digest, released at until, notes
	// which it was given, and gives desk the delivery digest, noting the
	// one it had.
	var planned map[string]string
	plan := func(digest string, until time.Time, given *[]string) func([]store.Alert, map[string]string) ([]store.Alert, map[string]string) {
		return func(held []store.Alert, was map[string]string) ([]store.Alert, map[string]string) {
			*given, planned = itemKeys(held), was
			var out []store.Alert
			for _, a := range held {
				if a.Destination == "desk" {
					a.Digest, a.HoldUntil = digest, until
					out = append(out, a)
				}
			}
			return out, map[string]string{"desk": digest}
		}
	}
	soon := h.clock.Now().Add(time.Hour)
	tests := []struct {
		name        string
		digest      string
		until       time.Time
		wantMoved   int
		wantPlanned map[string]string // given to plan
	}{
		{"moved", "digest|new", soon, 2, map[string]string{}},
		{"made again", "digest|new", soon, 0, map[string]string{"desk": "digest|new"}},
		{"released now", "digest|now", h.clock.Now(), 2, map[string]string{"desk": "digest|new"}},
	}
	for _, tt := range tests {
		var given []string
		moved, err := s.ReplanDigests(ctx, plan(tt.digest, tt.until, &given))
		if err != nil {
			t.Fatalf("%s: ReplanDigests: %v", tt.name, err)
		}
		if want := []string{"a", "b", "elsewhere"}; !slices.Equal(given, want) || moved != tt.wantMoved {
			t.Errorf("%s: plan given %q, %d moved; want %q, %d", tt.name, given, moved, want, tt.wantMoved)
		}
		if !maps.Equal(planned, tt.wantPlanned) {
			t.Errorf("%s: plan given the deliveries %q, want %q", tt.name, planned, tt.wantPlanned)
		}
		in, err := s.DigestAlerts(ctx, "desk", tt.digest)
		if err != nil {
			t.Fatal(err)
		}
		if got := itemKeys(in); !slices.Equal(got, []string{"a", "b"}) || !in[0].HoldUntil.Equal(tt.until) {
			t.Errorf("%s: digest %q holds %q until %v, want [a b] until %v", tt.name, tt.digest, got, in[0].HoldUntil, tt.until)
		}
	}
	if in, err := s.DigestAlerts(ctx, "wire", "digest|old"); err != nil || len(in) != 1 {
		t.Errorf("an alert the plan left: %d in its digest (%v), want 1", len(in), err)
	}
	// Outside the re-plan: a subscription's delivery written down stays
	// as the re-plan wrote it, one written down nowhere is added.
	if err := s.AddPlannedDeliveries(ctx, map[string]string{"desk": "digest|added", "wire": "digest|added"}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.PlannedDeliveries(ctx); err != nil || !maps.Equal(got, map[string]string{"desk": "digest|now", "wire": "digest|added"}) {
		t.Errorf("PlannedDeliveries after AddPlannedDeliveries: got %q (%v), want desk's as re-planned, wire's added", got, err)
	}
	// A subscription removed: an empty delivery deletes what is written
	// down of it, outside the re-plan or in it.
	if err := s.AddPlannedDeliveries(ctx, map[string]string{"wire": ""}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.PlannedDeliveries(ctx); err != nil || !maps.Equal(got, map[string]string{"desk": "digest|now"}) {
		t.Errorf("PlannedDeliveries after AddPlannedDeliveries of wire's removal: got %q (%v), want desk's alone", got, err)
	}
	if _, err := s.ReplanDigests(ctx, func([]store.Alert, map[string]string) ([]store.Alert, map[string]string) {
		return nil, map[string]string{"desk": "", "wire": "digest|again"}
	}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.PlannedDeliveries(ctx); err != nil || !maps.Equal(got, map[string]string{"wire": "digest|again"}) {
		t.Errorf("PlannedDeliveries after a re-plan removing desk: got %q (%v), want wire's alone", got, err)
	}
	// A re-plan owed: what is written down is replaced outside it.
	if err := s.NotePlannedDeliveries(ctx, map[string]string{"wire": "digest|owed", "desk": "digest|owed"}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.PlannedDeliveries(ctx); err != nil || !maps.Equal(got, map[string]string{"wire": "digest|owed", "desk": "digest|owed"}) {
		t.Errorf("PlannedDeliveries after NotePlannedDeliveries: got %q (%v), want both noted", got, err)
	}

	// Another instance sharing the store re-plans between this one's read
	// and its writes: what it moved stays as it moved it.
	if _, ok := s.(store.Leaser); !ok {
		return // one owner: no other writer
	}
	other := h.store(t)
	var given []string
	moved, err := s.ReplanDigests(ctx, func(held []store.Alert, was map[string]string) ([]store.Alert, map[string]string) {
		if _, err := other.ReplanDigests(ctx, plan("digest|other", soon, &given)); err != nil {
			t.Errorf("the other instance's ReplanDigests: %v", err)
		}
		return plan("digest|this", soon, &given)(held, was)
	})
	if err != nil {
		t.Fatal(err)
	}
	in, err := s.DigestAlerts(ctx, "desk", "digest|other")
	if err != nil {
		t.Fatal(err)
	}
	if got := itemKeys(in); moved != 0 || !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("re-planned by another instance meanwhile: %d moved, %q left in its digest; want 0 moved, [a b] left", moved, got)
	}
}

// testConcurrentPlannedDeliveries: instances sharing the store write
// down deliveries outside the re-plan's lock at once (a re-plan owed on
// each: NotePlannedDeliveries; starts: AddPlannedDeliveries), each
// listing the same subscriptions: none is refused for the others'.
func testConcurrentPlannedDeliveries(t *testing.T, h *harness) {
	deliveries := map[string]string{}
	for i := range 200 {
		deliveries[fmt.Sprintf("cfg:sub-%03d", i)] = "digest|owed"
	}
	stores := []store.Store{h.store(t)}
	if _, ok := stores[0].(store.Leaser); ok {
		stores = append(stores, h.store(t))
	}
	write := []func(store.Store) error{
		func(s store.Store) error { return s.NotePlannedDeliveries(context.Background(), deliveries) },
		func(s store.Store) error { return s.AddPlannedDeliveries(context.Background(), deliveries) },
	}
	for round := range 8 {
		errs := make([]error, 4)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { errs[i] = write[i/2%2](stores[i%len(stores)]) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d, writer %d: got %v, want the deliveries written", round, i, err)
			}
		}
	}
}
