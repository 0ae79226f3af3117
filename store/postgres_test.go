package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
	"github.com/newshound/newshound/store/storetest"
)

func openPostgres(t *testing.T, dsn string, opts ...store.Option) *store.Postgres {
	t.Helper()
	s, err := store.OpenPostgres(context.Background(), dsn, opts...)
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}
	return s
}

func TestPostgresContract(t *testing.T) {
	pgtest.DSN(t)
	storetest.Run(t, func(t *testing.T) storetest.Open {
		schemaDSN := pgtest.Schema(t)
		return func(t *testing.T, opts ...store.Option) store.Store {
			return openPostgres(t, schemaDSN, opts...)
		}
	})
}

// TestOpenPostgresReadOnlyRefusesWrites: a store opened read-only (status
// beside the running instances) writes nothing, as its doc says: every
// write, those sent through pgx's pipeline and the leases too, fails with
// ErrReadOnly and leaves the database as it was.
func TestOpenPostgresReadOnlyRefusesWrites(t *testing.T) {
	pgtest.DSN(t)
	ctx := context.Background()
	dsn := pgtest.Schema(t)
	owner := openPostgres(t, dsn)
	defer owner.Close()
	ro, err := store.OpenPostgresReadOnly(ctx, dsn)
	if err != nil {
		t.Fatalf("OpenPostgresReadOnly: %v", err)
	}
	defer ro.Close()
	writes := []struct {
		name  string
		write func() error
	}{
		{"CommitPoll", func() error {
			_, err := ro.CommitPoll(ctx, "wire", store.Poll{State: store.FeedState{FeedID: "wire", Initialized: true}, Keys: []string{"k1"}})
			return err
		}},
		{"SaveFeedStates", func() error {
			return ro.SaveFeedStates(ctx, []store.FeedState{{FeedID: "wire", Initialized: true}})
		}},
		{"MoveStories", func() error {
			return ro.MoveStories(ctx, []store.StoryMove{{Destination: "console", Item: "k1", From: "a", To: "b"}})
		}},
		{"Lease", func() error { _, err := ro.Lease(ctx, "stories", "status", 1, time.Minute); return err }},
		{"RenewLeases", func() error {
			_, err := ro.RenewLeases(ctx, []string{"stories"}, "status", time.Minute)
			return err
		}},
		{"Release", func() error { return ro.Release(ctx, "stories", "status", 1) }},
	}
	for _, tc := range writes {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.write(); !errors.Is(err, store.ErrReadOnly) {
				t.Errorf("got %v, want ErrReadOnly", err)
			}
		})
	}
	if st, err := owner.FeedState(ctx, "wire"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("feed state after the read-only writes: got %+v, %v; want none written", st, err)
	}
	if ok, err := owner.Lease(ctx, "stories", "owner", 1, time.Minute); err != nil || !ok {
		t.Errorf("owner's Lease after the read-only one: got %v, %v; want true (the read-only store took none)", ok, err)
	}
}
