package storetest

import (
	"context"
	"slices"
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
