package bot

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
)

// raceStore is one instance's store in TestInstancesGroupingAtOnceOpenOneStory.
// While armed, its commit of alerts waits (up to a second) until the other
// instance has read the story rows it groups with (storyGroups.takeIn):
// both have then grouped before either committed, unless one waited for
// the other's commit before grouping.
type raceStore struct {
	store.Store
	armed       *atomic.Bool
	read, other chan struct{} // closed at this instance's, the other's read of story rows
	once        sync.Once
}

func (s *raceStore) Lease(ctx context.Context, name, owner string, take int64, ttl time.Duration) (bool, error) {
	return s.Store.(store.Leaser).Lease(ctx, name, owner, take, ttl)
}

func (s *raceStore) RenewLeases(ctx context.Context, names []string, owner string, ttl time.Duration) ([]string, error) {
	return s.Store.(store.Leaser).RenewLeases(ctx, names, owner, ttl)
}

func (s *raceStore) Release(ctx context.Context, name, owner string, take int64) error {
	return s.Store.(store.Leaser).Release(ctx, name, owner, take)
}

func (s *raceStore) LeaseHolder(ctx context.Context, name string) (string, error) {
	return s.Store.(store.Leaser).LeaseHolder(ctx, name)
}

func (s *raceStore) StoryRows(ctx context.Context, since time.Time) ([]store.Alert, error) {
	rows, err := s.Store.StoryRows(ctx, since)
	if s.armed.Load() {
		s.once.Do(func() { close(s.read) })
	}
	return rows, err
}

func (s *raceStore) CommitPoll(ctx context.Context, feedID string, p store.Poll) (int, error) {
	if s.armed.Load() && len(p.Alerts) > 0 {
		select {
		case <-s.other:
		case <-time.After(time.Second):
		}
	}
	return s.Store.CommitPoll(ctx, feedID, p)
}

// TestInstancesGroupingAtOnceOpenOneStory: two instances on one
// PostgreSQL store poll two outlets' first reports of one new story at
// once, the first instance's commit held until the second has read the
// story rows it groups with. Each instance grouping before the other
// committed opened the story and posted its own message (two messages for
// one story in one destination); the stories lease (poller.lockStories)
// makes the second wait for the first's commit and join its story.
func TestInstancesGroupingAtOnceOpenOneStory(t *testing.T) {
	dsn := pgtest.Schema(t)
	h, rec := storyHarness(t, kesslerSub())
	h.clock = time.Now().UTC()
	ctx := context.Background()
	var armed atomic.Bool
	readA, readB := make(chan struct{}), make(chan struct{})
	open := func(feed string, read, other chan struct{}) *Service {
		st, err := store.OpenPostgres(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		cfg := *h.cfg
		cfg.Feeds = nil
		for _, f := range h.cfg.Feeds {
			if f.Name == feed {
				cfg.Feeds = append(cfg.Feeds, f)
			}
		}
		o := testOptions(&cfg, &raceStore{Store: st, armed: &armed, read: read, other: other},
			map[string]notify.Notifier{"desk": rec}, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return h.clock })
		svc, err := New(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	a := open("courier", readA, readB)
	b := open("herald", readB, readA)
	a.RunOnce(ctx)
	b.RunOnce(ctx)
	h.publishReport(0)
	h.publishReport(1)
	h.clock = h.clock.Add(time.Minute)
	armed.Store(true)
	var wg sync.WaitGroup
	wg.Go(func() { a.RunOnce(ctx) })
	wg.Go(func() { b.RunOnce(ctx) })
	wg.Wait()
	armed.Store(false)
	for range 3 {
		h.clock = h.clock.Add(time.Minute)
		a.RunOnce(ctx)
		b.RunOnce(ctx)
	}
	if got := rec.titles(); len(got) != 1 {
		t.Errorf("messages %q, want one: two instances grouping one story at once post it once", got)
	}
}
