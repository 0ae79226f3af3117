package main

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/store"
)

// TestShutdownEndsReloadBeforeClosingStore: a SIGTERM that comes while a
// SIGHUP's reload is reading the store must let that reload end before
// the store is closed. The store was closed as soon as the service had
// stopped, with the reload (and the metrics server) still running, so
// the reload read a closed store. The reload is held inside the store
// (StoryRows, which a changed story_window makes it read) until run says
// it is joining its goroutines, or the store is closed under it.
func TestShutdownEndsReloadBeforeClosingStore(t *testing.T) {
	f := newFarm(t, "wire")
	dir := t.TempDir()
	path := filepath.Join(dir, "newshound.yaml")
	writeConfig := func(storyWindow string) {
		t.Helper()
		cfg := `store:
  path: ` + filepath.Join(dir, "newshound.db") + `
defaults:
  allow_private_networks: true   # the farm is on loopback
  host_gap: 0s
  story_window: 0s
feeds:
  - name: wire
    url: ` + f.url("wire") + `
subscriptions:
  - name: talks
    query: aleppo
    destination: console
    story_window: ` + storyWindow + `
destinations:
  - name: console
    type: console
`
		if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeConfig("0s")
	st := &heldStore{reading: make(chan struct{}), joining: make(chan struct{}), closed: make(chan struct{})}
	hup := make(chan os.Signal, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	opened := make(chan struct{}) // run has read the config
	done := make(chan error, 1)
	go func() {
		done <- runWith(ctx, []string{"--config", path}, &out, &errOut, runHooks{
			wrapStore: func(s store.Store) store.Store { st.Store = s; close(opened); return st },
			hangup:    hup,
			joining:   func() { close(st.joining) },
		})
	}()
	select {
	case <-opened:
	case err := <-done:
		t.Fatalf("run ended (%v) before it opened the store; output:\n%s", err, errOut.String())
	}
	writeConfig("1h") // the reload reads the story rows of the new window
	hup <- nil
	select {
	case <-st.reading:
	case err := <-done:
		t.Fatalf("run ended (%v) before the reload read the store; output:\n%s", err, errOut.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("the reload did not read the store; output:\n%s", errOut.String())
	}
	cancel() // SIGTERM
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("run did not end; output:\n%s", errOut.String())
	}
	if got := st.closedReading(); got != 0 {
		t.Errorf("the store was closed with %d reload reads of it running, want 0; output:\n%s", got, errOut.String())
	}
}

// heldStore holds each StoryRows call until run is joining its
// goroutines or the store is closed, and counts the calls running when
// it was closed.
type heldStore struct {
	store.Store
	reading chan struct{} // closed as the first StoryRows starts
	joining chan struct{} // closed by run's joining hook
	closed  chan struct{}

	mu               sync.Mutex
	running, atClose int
	once             sync.Once
}

func (s *heldStore) StoryRows(ctx context.Context, since time.Time) ([]store.Alert, error) {
	s.mu.Lock()
	s.running++
	s.mu.Unlock()
	s.once.Do(func() { close(s.reading) })
	select {
	case <-s.joining:
	case <-s.closed:
	}
	rows, err := s.Store.StoryRows(ctx, since)
	s.mu.Lock()
	s.running--
	s.mu.Unlock()
	return rows, err
}

func (s *heldStore) Close() error {
	s.mu.Lock()
	s.atClose = s.running
	s.mu.Unlock()
	close(s.closed)
	return s.Store.Close()
}

func (s *heldStore) closedReading() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.atClose
}
