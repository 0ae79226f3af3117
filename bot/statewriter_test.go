package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/feedtest"
	"github.com/newshound/newshound/store"
)

// stateStore is a store that only keeps feed states, counts the calls
// that reach it, and fails writes while fail is set.
type stateStore struct {
	store.Store // not used: calling anything else panics
	mu          sync.Mutex
	states      map[string]store.FeedState
	reads       int
	batches     [][]string // feed IDs of each SaveFeedStates call
	fail        error
}

func (s *stateStore) FeedState(_ context.Context, id string) (store.FeedState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	st, ok := s.states[id]
	if !ok {
		return store.FeedState{}, store.ErrNotFound
	}
	return st, nil
}

func (s *stateStore) FeedStates(context.Context) (map[string]store.FeedState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	out := map[string]store.FeedState{}
	for id, st := range s.states {
		out[id] = st
	}
	return out, nil
}

func (s *stateStore) SaveFeedState(ctx context.Context, st store.FeedState) error {
	return s.SaveFeedStates(ctx, []store.FeedState{st})
}

func (s *stateStore) SaveFeedStates(_ context.Context, states []store.FeedState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	var ids []string // in the order written
	for _, st := range states {
		s.states[st.FeedID] = st
		ids = append(ids, st.FeedID)
	}
	s.batches = append(s.batches, ids)
	return nil
}

func (s *stateStore) etag(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.states[id].ETag
}

func TestFeedStatesGroupCommit(t *testing.T) {
	ctx := context.Background()
	st := func(id, etag string) store.FeedState { return store.FeedState{FeedID: id, ETag: etag} }
	tests := []struct {
		name        string
		oneOwner    bool
		run         func(t *testing.T, fs *feedStates, db *stateStore)
		wantBatches [][]string
		wantETags   map[string]string // in the store at the end
	}{
		{
			name:     "queued states are written in one transaction, the latest per feed, in key order",
			oneOwner: true,
			run: func(t *testing.T, fs *feedStates, db *stateStore) {
				for _, s := range []store.FeedState{st("d", "1"), st("a", "1"), st("c", "1"), st("b", "1"), st("a", "2")} {
					if _, err := fs.queue(ctx, s); err != nil {
						t.Fatal(err)
					}
				}
				if len(db.batches) != 0 {
					t.Errorf("written before the flush: %v", db.batches)
				}
				if _, err := fs.flush(ctx); err != nil {
					t.Fatal(err)
				}
			},
			wantBatches: [][]string{{"a", "b", "c", "d"}},
			wantETags:   map[string]string{"a": "2", "b": "1", "c": "1", "d": "1"},
		},
		{
			name:     "a full batch is written at once",
			oneOwner: true,
			run: func(t *testing.T, fs *feedStates, db *stateStore) {
				fs.maxBatch = 2
				fs.queue(ctx, st("a", "1"))
				fs.queue(ctx, st("b", "1"))
				fs.queue(ctx, st("c", "1"))
			},
			wantBatches: [][]string{{"a", "b"}},
			wantETags:   map[string]string{"a": "1", "b": "1"},
		},
		{
			name:     "a failed flush keeps the states for the next one",
			oneOwner: true,
			run: func(t *testing.T, fs *feedStates, db *stateStore) {
				fs.queue(ctx, st("a", "1"))
				db.fail = errors.New("disk full")
				if _, err := fs.flush(ctx); err == nil {
					t.Error("flush: no error from a failing store")
				}
				db.fail = nil
				fs.queue(ctx, st("b", "1"))
				if _, err := fs.flush(ctx); err != nil {
					t.Fatal(err)
				}
			},
			wantBatches: [][]string{{"a", "b"}},
			wantETags:   map[string]string{"a": "1", "b": "1"},
		},
		{
			name:     "a direct write after settle is not overwritten by an older queued one",
			oneOwner: true,
			run: func(t *testing.T, fs *feedStates, db *stateStore) {
				fs.queue(ctx, st("a", "old"))
				fs.settle("a")
				db.states["a"] = st("a", "committed") // what CommitPoll wrote
				fs.flush(ctx)
			},
			wantETags: map[string]string{"a": "committed"},
		},
		{
			name:     "a queued state is what the next poll reads, before any flush",
			oneOwner: true,
			run: func(t *testing.T, fs *feedStates, db *stateStore) {
				fs.queue(ctx, st("a", "queued"))
				got, found, err := fs.load(ctx, "a")
				if err != nil || !found || got.ETag != "queued" {
					t.Errorf("load = %+v, %v, %v; want the queued state", got, found, err)
				}
			},
			wantETags: map[string]string{},
		},
		{
			name:     "one owner: states are read once, then from memory",
			oneOwner: true,
			run: func(t *testing.T, fs *feedStates, db *stateStore) {
				db.states["a"] = st("a", "stored")
				if err := fs.preload(ctx); err != nil {
					t.Fatal(err)
				}
				for range 3 {
					fs.preload(ctx)
					if got, found, _ := fs.load(ctx, "a"); !found || got.ETag != "stored" {
						t.Errorf("load(a) = %+v, %v; want the stored state", got, found)
					}
				}
				if _, found, _ := fs.load(ctx, "new"); found {
					t.Error("load(new): found a state the store does not have")
				}
				fs.load(ctx, "new")
				if db.reads != 2 {
					t.Errorf("%d reads reached the store, want 2 (one bulk, one for the unknown feed)", db.reads)
				}
			},
			wantETags: map[string]string{"a": "stored"},
		},
		{
			name: "shared store: a state is written at once, for the next instance to see",
			run: func(t *testing.T, fs *feedStates, db *stateStore) {
				if _, err := fs.queue(ctx, st("a", "1")); err != nil {
					t.Fatal(err)
				}
				if got := db.etag("a"); got != "1" {
					t.Errorf("stored ETag after queue = %q, want it written at once", got)
				}
				fs.flush(ctx)
			},
			wantBatches: [][]string{{"a"}},
			wantETags:   map[string]string{"a": "1"},
		},
		{
			name: "shared store: every load reads the store",
			run: func(t *testing.T, fs *feedStates, db *stateStore) {
				db.states["a"] = st("a", "stored")
				fs.preload(ctx)
				fs.load(ctx, "a")
				db.states["a"] = st("a", "another instance")
				if got, _, _ := fs.load(ctx, "a"); got.ETag != "another instance" {
					t.Errorf("load(a) = %q, want what the other instance wrote", got.ETag)
				}
			},
			wantETags: map[string]string{"a": "another instance"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := &stateStore{states: map[string]store.FeedState{}}
			fs := newFeedStates(db, tc.oneOwner)
			tc.run(t, fs, db)
			if !slices.EqualFunc(db.batches, tc.wantBatches, slices.Equal) {
				t.Errorf("batches written = %v, want %v", db.batches, tc.wantBatches)
			}
			for id, want := range tc.wantETags {
				if got := db.etag(id); got != want {
					t.Errorf("stored ETag of %s = %q, want %q", id, got, want)
				}
			}
			if len(db.states) != len(tc.wantETags) {
				t.Errorf("%d states stored, want %d", len(db.states), len(tc.wantETags))
			}
		})
	}
}

// countingStore counts the feed-state calls that reach a real store.
type countingStore struct {
	store.Store
	reads, saves, batches atomic.Int64
}

func (c *countingStore) FeedState(ctx context.Context, id string) (store.FeedState, error) {
	c.reads.Add(1)
	return c.Store.FeedState(ctx, id)
}

func (c *countingStore) SaveFeedState(ctx context.Context, st store.FeedState) error {
	c.saves.Add(1)
	return c.Store.SaveFeedState(ctx, st)
}

func (c *countingStore) SaveFeedStates(ctx context.Context, states []store.FeedState) error {
	c.batches.Add(1)
	return c.Store.SaveFeedStates(ctx, states)
}

// TestNotModifiedPassWritesOnce polls feeds that answer 304 and checks
// that a pass reads no state and writes all of them in one transaction,
// and that what it wrote is the polls' outcome.
func TestNotModifiedPassWritesOnce(t *testing.T) {
	const feedCount = 12
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		etag := `"` + r.URL.Path + `"`
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		io.WriteString(w, feedtest.RSS("wire", feedtest.Item{GUID: "g1" + r.URL.Path, Title: "Harbour reopens", Link: "https://wire.example/1"}))
	}))
	defer srv.Close()
	cfg := config.Default()
	cfg.Defaults.AllowPrivateNetworks, cfg.Defaults.HostConcurrency, cfg.Defaults.HostGap = true, 4, 0
	cfg.Destinations = []config.Destination{{Name: "desk", Type: config.Console}}
	cfg.Subscriptions = []config.Subscription{{Name: "harbour", Query: "harbour", Destination: "desk"}}
	for i := range feedCount {
		cfg.Feeds = append(cfg.Feeds, config.Feed{Name: fmt.Sprintf("f%d", i), URL: fmt.Sprintf("%s/f%d", srv.URL, i), Interval: 10 * time.Minute})
	}
	ctx := context.Background()
	sqlite, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer sqlite.Close()
	db := &countingStore{Store: sqlite}
	svc, err := New(ctx, testOptions(cfg, db, map[string]notify.Notifier{"desk": notify.NewConsole(io.Discard)}, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RunOnce(ctx); err != nil { // first sight: full bodies, CommitPoll
		t.Fatal(err)
	}
	firstPolled := time.Now()
	db.reads.Store(0)
	db.saves.Store(0)
	db.batches.Store(0)
	for range 2 {
		if _, err := svc.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if r, s, b := db.reads.Load(), db.saves.Load(), db.batches.Load(); r != 0 || s != 0 || b != 2 {
		t.Errorf("two passes of 304s: %d state reads, %d single saves, %d batches; want 0, 0 and 2", r, s, b)
	}
	states, err := sqlite.FeedStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range feedCount {
		st := states[fmt.Sprintf("f%d", i)]
		if st.ETag == "" || !st.LastPolled.After(firstPolled) || !st.Initialized {
			t.Errorf("state of f%d = %+v: want the ETag kept, polled after the first sight, initialized", i, st)
		}
	}
}

// slowReadStore is a stateStore whose reads wait for release, after
// saying they began.
type slowReadStore struct {
	*stateStore
	began, release chan struct{}
}

func (s *slowReadStore) FeedState(ctx context.Context, id string) (store.FeedState, error) {
	st, err := s.stateStore.FeedState(ctx, id)
	s.began <- struct{}{}
	<-s.release
	return st, err
}

// TestFeedStateReadDoesNotHideANewerWrite: a read of a feed's state from
// the store that a write of this process overtakes (queued and flushed
// while the read waited) must not leave the older state in the cache,
// where every later load would find it.
func TestFeedStateReadDoesNotHideANewerWrite(t *testing.T) {
	ctx := context.Background()
	db := &slowReadStore{
		stateStore: &stateStore{states: map[string]store.FeedState{"wire": {FeedID: "wire", ETag: "old"}}},
		began:      make(chan struct{}), release: make(chan struct{}),
	}
	fs := newFeedStates(db, true)
	read := make(chan struct{})
	go func() {
		defer close(read)
		if _, _, err := fs.load(ctx, "wire"); err != nil {
			t.Error(err)
		}
	}()
	<-db.began
	if _, err := fs.queue(ctx, store.FeedState{FeedID: "wire", ETag: "new"}); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.flush(ctx); err != nil {
		t.Fatal(err)
	}
	close(db.release)
	<-read
	if st, _, err := fs.load(ctx, "wire"); err != nil || st.ETag != "new" {
		t.Errorf("load after the write = ETag %q (err %v), want %q", st.ETag, err, "new")
	}
}
