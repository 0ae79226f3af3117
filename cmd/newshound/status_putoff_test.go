package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/store"
)

// TestStatusOfADisabledFeedWhoseRetryABusyHostPutOff: a running service
// retries its disabled feeds at its start; when a busy host puts one's
// retry off (its wait for the host's slot ended), the service makes it a
// minute later, and status said "at start/reload", as if nothing would
// try the feed before a restart. It says when the retry is planned.
func TestStatusOfADisabledFeedWhoseRetryABusyHostPutOff(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "state.db")
	f := newFarm(t, "a", "b")
	_, st := statusStore(t, db)
	polled := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	var states []store.FeedState
	for _, name := range []string{"a", "b"} {
		url := f.srv.URL + "/" + name
		states = append(states, store.FeedState{FeedID: name, URL: url, ConfigURL: url, Initialized: true, LastPolled: polled,
			ErrorCount: 40, FailingSince: polled.Add(-72 * time.Hour), LastError: "HTTP 410 Gone", Disabled: true, DisabledReason: "HTTP 410 Gone"})
	}
	if err := st.SaveFeedStates(context.Background(), states); err != nil {
		t.Fatal(err)
	}
	st.Close()
	// One feed of the host is fetched; the other's retry waits a second
	// for the host's gap of a minute, and is put off.
	cfg := fmt.Sprintf("store: {path: %q}\ndefaults: {allow_private_networks: true, host_gap: 1m, timeout: 1s}\nfeeds:\n  - name: a\n    url: %s/a\n  - name: b\n    url: %s/b\n",
		db, f.srv.URL, f.srv.URL)
	path := filepath.Join(dir, "newshound.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	p := startNewshound(t, "run", "--config", path)
	name := putOffFeed(t, db)
	for deadline := time.Now().Add(20 * time.Second); name == ""; name = putOffFeed(t, db) {
		if time.Now().After(deadline) {
			t.Fatalf("no retry was put off within 20 s; newshound's output:\n%s", p.out.String())
		}
		time.Sleep(50 * time.Millisecond) // another process writes it
	}
	var r statusReport
	if err := json.Unmarshal([]byte(runCLI(t, "status", "--json", "--config", path)), &r); err != nil {
		t.Fatal(err)
	}
	var putOff feedStatus
	for _, fs := range r.Feeds {
		if fs.Name == name {
			putOff = fs
		}
	}
	retry := started.Add(time.Minute)
	if putOff.NextPoll == nil || putOff.NextPoll.Before(retry.Add(-time.Second)) || putOff.NextPoll.After(time.Now().Add(time.Minute)) {
		t.Errorf("status --json: feed %q disabled with next_poll %v, want its retry a busy host put off, a minute after the start (%v)",
			name, putOff.NextPoll, retry.Format(time.RFC3339))
	}
	for line := range strings.Lines(runCLI(t, "status", "--config", path)) {
		if feed, _, _ := strings.Cut(line, " "); feed == name && !strings.Contains(line, "retry in ") {
			t.Errorf("status: %q, want the feed's retry planned (\"retry in …\"), not left to a start or reload", strings.TrimSpace(line))
		}
	}
}

// putOffFeed names the disabled feed whose put-off retry the running
// service wrote down (the next poll it plans, which the test saved as
// none), "" while there is none.
func putOffFeed(t *testing.T, db string) string {
	t.Helper()
	var name string
	readSQLite(t, db, `SELECT feed_id FROM feeds WHERE disabled AND next_poll <> 0`, &name)
	return name
}
