package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestStatementPreparedAtFirstUseNamesItselfInItsError: a statement is
// prepared when first used, not at open, and a failure to prepare it (here
// its table renamed after the open) says which statement, as the open's
// error did.
func TestStatementPreparedAtFirstUseNamesItselfInItsError(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		stmt func(s *SQLite) string
		use  func(s *SQLite) error
	}{
		{"a row read", func(s *SQLite) string { return s.q.feedState }, func(s *SQLite) error {
			_, err := s.FeedState(ctx, "wire")
			return err
		}},
		{"rows read", func(s *SQLite) string { return s.q.feedStates }, func(s *SQLite) error {
			_, err := s.FeedStates(ctx)
			return err
		}},
		{"a write in a transaction", func(s *SQLite) string { return s.q.saveFeedState }, func(s *SQLite) error {
			return s.SaveFeedState(ctx, FeedState{FeedID: "wire"})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "s.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.w.ExecContext(ctx, "ALTER TABLE feeds RENAME TO feeds_gone"); err != nil {
				t.Fatal(err)
			}
			err = c.use(s)
			if want := fmt.Sprintf("prepare %q", c.stmt(s)); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("got error %v, want one with %s", err, want)
			}
		})
	}
}

// TestStatementsArePreparedOnceForAllTheirUses: a read is prepared on its
// pool at its first use, however many use it at once; a write, first used
// in a transaction holding the writer's one connection, is prepared for
// that transaction alone, then on the pool before the next one.
func TestStatementsArePreparedOnceForAllTheirUses(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	prepared := func(q string) bool { return s.prepared[q].st.Load() != nil }
	for q := range s.prepared {
		if prepared(q) {
			t.Errorf("prepared at open: %q", q)
		}
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := s.FeedStates(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if !prepared(s.q.feedStates) {
		t.Errorf("feedStates not prepared after its first use")
	}
	for i, want := range []bool{false, true} {
		if err := s.SaveFeedState(ctx, FeedState{FeedID: "wire"}); err != nil {
			t.Fatal(err)
		}
		if got := prepared(s.q.saveFeedState); got != want {
			t.Errorf("after write %d: saveFeedState prepared on the pool %v, want %v", i+1, got, want)
		}
	}
}
