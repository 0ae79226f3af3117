package bot

import (
	"slices"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/pgtest"
)

// TestFeedAnotherInstanceDropsIsStillFollowedHere: two instances on one
// PostgreSQL store list the wire feed; a reload drops it from one of them
// (a rolling config change, or a config that differs). That one makes the
// feed await a first sight when no instance is polling it at that moment.
// The other still lists the feed and has been following it: what the feed
// publishes next is news there, not backlog. Its next poll took the mark
// for a first sight and posted nothing of what the feed had published
// since its last poll. A third instance that never polled the feed, or
// the one that dropped it taking it back, still gets a first sight.
func TestFeedAnotherInstanceDropsIsStillFollowedHere(t *testing.T) {
	tests := []struct {
		name string
		// next picks the instance whose poll comes next: a dropped the
		// feed, b followed it, open starts another.
		next func(a, b *Service, open func() *Service) *Service
		want []string
	}{
		{name: "the instance that follows it", next: func(_, b *Service, _ func() *Service) *Service { return b },
			want: []string{"Aleppo talks resume"}},
		{name: "an instance started since", next: func(_, _ *Service, open func() *Service) *Service { return open() }},
		{name: "the instance that dropped it, taking it back", next: func(a, _ *Service, _ func() *Service) *Service { return a }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn := pgtest.Schema(t)
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			h.clock = time.Now().UTC().Truncate(time.Second) // the database's clock times leases
			all := slices.Clone(h.cfg.Feeds)
			open := func() *Service {
				svc, _ := openOnPostgres(t, h, dsn)
				return svc
			}
			pass := h.passWith
			a, b := open(), open()
			pass(a, all) // first sight
			pass(b, all) // b follows the feed
			pass(a, all[1:])
			if st := feedState(t, a.store, "wire"); !awaitsFirstSight(st) {
				t.Fatalf("the feed a dropped: state %+v, want it to await a first sight", st)
			}
			h.write("wire.xml", item(1, "Aleppo talks resume", h.clock.Add(-time.Minute)))
			pass(tt.next(a, b, open), all)
			h.wantTitles(tt.want...)
		})
	}
}
