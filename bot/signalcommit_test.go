package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/store"
)

// interruptedCommits runs interrupt inside each CommitPoll, before the
// store's: a signal (or the disk failing) just as a poll commits.
type interruptedCommits struct {
	store.Store
	interrupt func() error
}

func (s interruptedCommits) CommitPoll(ctx context.Context, feedID string, p store.Poll) (int, error) {
	if err := s.interrupt(); err != nil {
		return 0, err
	}
	return s.Store.CommitPoll(ctx, feedID, p)
}

// TestSignalDuringACommitIsNoStoreFailure: a signal that stops run --once
// (or the service) while a poll commits cuts the commit short; that is no
// failure of the store. It was taken for one: logged as "recording polls
// failed; polling pauses until the store takes writes again" and reported
// as store_failed in the run's summary. A commit the store refuses is
// still both. Either way the item is not lost: the next run posts it.
func TestSignalDuringACommitIsNoStoreFailure(t *testing.T) {
	tests := []struct {
		name string
		// signal says whether the run's context is cancelled; else the
		// store refuses the commit.
		signal    bool
		wantStore bool
	}{
		{name: "a signal", signal: true},
		{name: "the store failing", wantStore: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			h.runOnce()
			h.write("wire.xml", item(1, "Aleppo report", h.clock))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			st, err := store.OpenSQLite(ctx, h.db, store.WithClock(func() time.Time { return h.clock }))
			if err != nil {
				t.Fatal(err)
			}
			interrupt := func() error { return errors.New("disk full") }
			if tt.signal {
				interrupt = func() error { cancel(); return nil }
			}
			logs := &logBuffer{}
			svc, err := New(ctx, h.options(interruptedCommits{st, interrupt}, h.rec, logs))
			if err != nil {
				t.Fatal(err)
			}
			r, err := svc.RunOnce(ctx)
			if stopped := errors.Is(err, context.Canceled); stopped != tt.signal {
				t.Fatalf("RunOnce: %v, want stopped by the signal %v", err, tt.signal)
			}
			if r.StoreFailed != tt.wantStore {
				t.Errorf("StoreFailed = %v, want %v", r.StoreFailed, tt.wantStore)
			}
			if got := strings.Contains(logs.String(), "recording polls failed"); got != tt.wantStore {
				t.Errorf("logged a failure to record polls: %v, want %v; logs:\n%s", got, tt.wantStore, logs)
			}
			st.Close()
			h.runOnce()
			h.wantTitles("Aleppo report")
		})
	}
}
