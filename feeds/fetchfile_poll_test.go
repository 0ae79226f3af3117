//go:build unix && !darwin && !ios

package feeds

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestFetchFileOfANamedPipeHonoursItsContext: a file:// feed that is a
// named pipe blocked the poll in its open until a writer came, and in
// its reads until the writer wrote, whatever the context said: a
// cancelled poll, a shutdown or the fetch's timeout. Its read now ends
// with the context (Canceled) or the timeout (Timeout), and a pipe no
// writer has opened reads as empty at once; a pipe a writer fills is
// read as a file.
func TestFetchFileOfANamedPipeHonoursItsContext(t *testing.T) {
	// fifo makes a named pipe, released at the end of the test, so that
	// a fetch still blocked in it (the defect) returns.
	fifo := func(t *testing.T) string {
		t.Helper()
		path := filepath.Join(t.TempDir(), "feed.xml")
		if err := syscall.Mkfifo(path, 0o600); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
		t.Cleanup(func() {
			if w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w.Close()
			}
		})
		return path
	}
	// fetch fetches path in a goroutine; it fails the test when the fetch
	// is still blocked 5 s later.
	fetch := func(t *testing.T, ctx context.Context, f *Fetcher, path string) (*Response, error) {
		t.Helper()
		type result struct {
			res *Response
			err error
		}
		done := make(chan result, 1)
		go func() {
			res, err := f.Fetch(ctx, Request{URL: fileURL(t, path), AllowFile: true})
			done <- result{res, err}
		}()
		select {
		case r := <-done:
			return r.res, r.err
		case <-time.After(5 * time.Second):
			t.Fatalf("Fetch still blocked 5 s after it started")
			return nil, nil
		}
	}

	t.Run("no writer: read as empty at once", func(t *testing.T) {
		res, err := fetch(t, context.Background(), testFetcher(FetcherOptions{}), fifo(t))
		if err != nil || len(res.Body) > 0 {
			t.Errorf("got %d bytes, error %v; want an empty body (the parser then says so)", len(res.Body), err)
		}
	})

	t.Run("a writer that writes a feed and closes: read as a file", func(t *testing.T) {
		path := fifo(t)
		// The writer has the pipe open, and its feed written, before the
		// reader comes (O_RDWR does not wait for a reader), and closes once
		// the reader has the pipe open: then the reader reads the feed,
		// then the end, whatever the machine's timing.
		w, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if _, err := w.WriteString(testFeed); err != nil {
			t.Fatal(err)
		}
		type result struct {
			res *Response
			err error
		}
		// The fetch goroutine reports by its channel alone: the fetch
		// helper's t.Fatalf there would end that goroutine, not the test,
		// which would then wait for its result until the binary's timeout.
		got := make(chan result, 1)
		feedURL := fileURL(t, path)
		go func() {
			res, err := testFetcher(FetcherOptions{Timeout: 10 * time.Second}).Fetch(context.Background(), Request{URL: feedURL, AllowFile: true})
			got <- result{res, err}
		}()
		waitForAnotherOpen(t, path, w)
		w.Close()
		var r result
		select {
		case r = <-got:
		case <-time.After(5 * time.Second):
			t.Fatal("Fetch still blocked 5 s after the writer closed")
		}
		if r.err != nil {
			t.Fatal(r.err)
		}
		if string(r.res.Body) != testFeed {
			t.Errorf("got %q, want the feed the writer wrote", r.res.Body)
		}
	})

	tests := []struct {
		name    string
		timeout time.Duration // the fetcher's
		cancel  bool          // the context is cancelled after 100 ms
		writer  string        // what a writer writes, then keeps the pipe open
		want    ErrorKind
	}{
		{"a writer that never writes, cancelled", time.Minute, true, "", Canceled},
		{"a writer that stalls mid-feed, cancelled", time.Minute, true, testFeed[:40], Canceled},
		{"a writer that stalls mid-feed, timeout", 300 * time.Millisecond, false, testFeed[:40], Timeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := fifo(t)
			// The writer: opened read-write, which Linux and the BSDs
			// open at once, so that it is there before the fetch.
			w, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Skipf("opening the pipe read-write: %v", err)
			}
			defer w.Close()
			if _, err := w.WriteString(tc.writer); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel {
				time.AfterFunc(100*time.Millisecond, cancel)
			}
			start := time.Now()
			_, err = fetch(t, ctx, testFetcher(FetcherOptions{Timeout: tc.timeout}), path)
			if err == nil {
				t.Fatalf("fetched the pipe, want a %s error", tc.want)
			}
			wantKind(t, err, tc.want)
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("took %v, want the fetch to end with its context", took)
			}
		})
	}
}

// waitForAnotherOpen waits until this process holds path open through a
// descriptor other than mine (Linux's /proc/self/fd; elsewhere the test
// is skipped).
func waitForAnotherOpen(t *testing.T, path string, mine *os.File) {
	t.Helper()
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("no /proc/self/fd to see the reader open the pipe")
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		fds, _ := os.ReadDir("/proc/self/fd")
		for _, fd := range fds {
			if fd.Name() == strconv.Itoa(int(mine.Fd())) {
				continue
			}
			if target, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && target == path {
				return
			}
		}
	}
	t.Fatal("the reader never opened the pipe")
}
