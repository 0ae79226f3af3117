package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/fakediscord"
	"github.com/newshound/newshound/internal/feedtest"
	"github.com/newshound/newshound/internal/pgtest"

	_ "modernc.org/sqlite" // "sqlite" driver, to move the clock of stored feeds
)

// mainArgsEnv makes the test binary run newshound's main with these
// arguments (separated by newlines), so tests can start, kill and restart
// real newshound processes.
const mainArgsEnv = "NEWSHOUND_TEST_MAIN_ARGS"

// peakRSSEnv names a file into which such a process writes its peak RSS
// (VmHWM, in kB) before it exits. The rusage of a child reports the
// larger of its own peak and its parent's peak RSS until it was started
// (Linux keeps the high-water mark across the execve of a vfork), so it
// would count the test binary too.
const peakRSSEnv = "NEWSHOUND_TEST_PEAK_RSS_FILE"

func TestMain(m *testing.M) {
	if args := os.Getenv(mainArgsEnv); args != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, strings.Split(args, "\n"), os.Stdout, os.Stderr)
		stop()
		if path := os.Getenv(peakRSSEnv); path != "" {
			writePeakRSS(path)
		}
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// writePeakRSS writes the VmHWM line of /proc/self/status into path.
func writePeakRSS(path string) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(status), "\n") {
		if hwm, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			os.WriteFile(path, []byte(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(hwm), "kB"))), 0o644)
		}
	}
}

// process is a newshound process started from the test binary.
type process struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	done   chan struct{}
	exitOK bool
}

func startNewshound(t *testing.T, args ...string) *process {
	t.Helper()
	return startNewshoundEnv(t, nil, args...)
}

// startNewshoundEnv is startNewshound with more environment variables.
func startNewshoundEnv(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), mainArgsEnv+"="+strings.Join(args, "\n"), "NEWSHOUND_TEST_TOKEN=test-token")
	cmd.Env = append(cmd.Env, env...)
	p := &process{cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := cmd.Wait()
		p.exitOK = err == nil
		close(p.done)
	}()
	t.Cleanup(func() { p.kill() })
	return p
}

// kill ends the process with SIGKILL, as a crash or the OOM killer would.
func (p *process) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// farm serves several RSS feeds on loopback; a feed can be made to hang,
// which leaves a poller mid-poll.
type farm struct {
	srv   *httptest.Server
	mu    sync.Mutex
	items map[string][]feedtest.Item
	hang  map[string]bool
	hits  map[string]int
	held  chan struct{} // closed to release hanging requests
}

func newFarm(t *testing.T, names ...string) *farm {
	f := &farm{items: map[string][]feedtest.Item{}, hang: map[string]bool{}, hits: map[string]int{}, held: make(chan struct{})}
	for _, n := range names {
		f.items[n] = []feedtest.Item{{GUID: n + "-seed", Title: "Weather stays mild on " + n, Link: "https://farm.example/" + n + "/seed", Published: time.Now().Add(-time.Hour)}}
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() { f.release(); f.srv.Close() })
	return f
}

func (f *farm) serve(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/")
	f.mu.Lock()
	f.hits[name]++
	hang, items, held := f.hang[name], f.items[name], f.held
	f.mu.Unlock()
	if hang {
		select {
		case <-held:
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprint(w, feedtest.RSS("Farm "+name, items...))
}

func (f *farm) publish(name, guid, title string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items[name] = append(f.items[name], feedtest.Item{GUID: guid, Title: title, Link: "https://farm.example/" + name + "/" + guid, Description: "Filed by the desk.", Published: time.Now()})
}

func (f *farm) setHang(name string, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hang[name] = on
}

// release lets every hanging request finish, and later ones not hang.
func (f *farm) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.held:
	default:
		close(f.held)
	}
	f.hang = map[string]bool{}
}

func (f *farm) hitCount(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[name]
}

func (f *farm) url(name string) string { return f.srv.URL + "/" + name }

// gate stands in front of the fake Discord: while closed, a message a
// sender posts reaches Discord (it is created) but its answer never
// comes back, which leaves the sender mid-send with a ghost message.
type gate struct {
	srv     *httptest.Server
	mu      sync.Mutex
	closed  bool
	waiting int
	held    chan struct{}
}

func newGate(t *testing.T, dc *fakediscord.Server) *gate {
	target, _ := url.Parse(dc.URL())
	proxy := httputil.NewSingleHostReverseProxy(target)
	g := &gate{held: make(chan struct{})}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		closed := g.closed && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/messages")
		if closed {
			g.waiting++
		}
		held := g.held
		g.mu.Unlock()
		if !closed {
			proxy.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		proxy.ServeHTTP(rec, r) // Discord creates the message…
		select {                // …but the answer is lost
		case <-held:
		case <-r.Context().Done():
		}
		http.Error(w, "gateway timeout", http.StatusGatewayTimeout)
	}))
	t.Cleanup(func() { g.open(); g.srv.Close() })
	return g
}

func (g *gate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
}

func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		g.closed = false
		close(g.held)
	}
}

func (g *gate) sendsWaiting() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting
}

func (g *gate) apiBase() string { return g.srv.URL + "/api/v9/" }

const crashChannel = "700000000000000042"

// writeCrashConfig writes a config with one loopback feed per name and a
// subscription posting "exclusive" stories to a bot channel on the fake
// Discord behind the gate.
func writeCrashConfig(t *testing.T, dir, storeYAML string, f *farm, g *gate, names []string) string {
	t.Helper()
	var feedList strings.Builder
	for _, n := range names {
		fmt.Fprintf(&feedList, "  - name: %s\n    url: %s\n    interval: 1m\n", n, f.url(n))
	}
	cfg := fmt.Sprintf(`%s
defaults:
  allow_private_networks: true   # the farm is on loopback
  max_age: 0
  host_gap: 0s
  story_window: 0s   # these tests count messages per item; grouping has its own tests
discord:
  token: ${NEWSHOUND_TEST_TOKEN}
  api_base: %s
  commands: false
feeds:
%ssubscriptions:
  - name: exclusives
    query: exclusive
    destination: desk
destinations:
  - name: desk
    type: discord-channel
    channel_id: "%s"
`, storeYAML, g.apiBase(), feedList.String(), crashChannel)
	path := filepath.Join(dir, "newshound.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitFor polls cond every 10ms until it holds or limit passes, and
// reports how long it took.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

func titlesPosted(dc *fakediscord.Server) []string {
	var out []string
	for _, m := range dc.Messages(crashChannel) {
		for _, e := range m.Embeds {
			out = append(out, strings.NewReplacer("**", "").Replace(e.Title))
		}
	}
	return out
}

// TestKilledMidPollAndMidSendRecoversAtOnce kills newshound with SIGKILL
// while it is polling a feed and while Discord has created a message whose
// answer never came, then restarts it: the restart polls the feed that
// was due at once, delivers the outbox at once, and every story is posted
// exactly once. A second process on the same SQLite file is refused with
// the holder's pid.
func TestKilledMidPollAndMidSendRecoversAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts several processes")
	}
	names := []string{"f0", "f1", "f2", "f3"}
	f := newFarm(t, names...)
	dc := fakediscord.New(t)
	g := newGate(t, dc)
	dir := t.TempDir()
	db := filepath.Join(dir, "state.db")
	cfg := writeCrashConfig(t, dir, fmt.Sprintf("store:\n  path: %q", db), f, g, names)

	first := startNewshound(t, "run", "--once", "--config", cfg) // first sight: nothing posted
	<-first.done
	if !first.exitOK {
		t.Fatalf("first run failed:\n%s", first.out)
	}
	for _, n := range names {
		f.publish(n, "x1", "Exclusive report from "+n)
	}
	makeDue(t, db)

	g.close()
	f.setHang("f3", true)
	crashing := startNewshound(t, "run", "--config", cfg)
	waitFor(t, 10*time.Second, "a send in flight and a poll of f3 in flight", func() bool {
		return g.sendsWaiting() > 0 && f.hitCount("f3") > 0
	})
	crashing.kill()
	g.open()
	f.release()

	restarted := startNewshound(t, "run", "--config", cfg)
	hitsBefore := f.hitCount("f3")
	took := waitFor(t, 10*time.Second, "the due feed polled and every story posted", func() bool {
		return f.hitCount("f3") > hitsBefore && len(titlesPosted(dc)) >= len(names)
	})
	t.Logf("after the restart: the due feed polled and %d stories posted in %s", len(names), took.Round(time.Millisecond))
	if took > time.Second {
		t.Errorf("recovery took %s, want under a second (no leases to wait for on SQLite)", took)
	}

	second := startNewshound(t, "run", "--config", cfg)
	select {
	case <-second.done:
	case <-time.After(10 * time.Second):
		t.Fatal("a second process on the same SQLite file kept running")
	}
	if second.exitOK {
		t.Error("a second process on the same SQLite file exited 0")
	}
	if pid := strconv.Itoa(restarted.cmd.Process.Pid); !strings.Contains(second.out.String(), "pid "+pid) {
		t.Errorf("the second process's error does not name the holder (pid %s):\n%s", pid, second.out)
	}

	time.Sleep(500 * time.Millisecond) // a duplicate would have arrived by now
	restarted.cmd.Process.Signal(os.Interrupt)
	<-restarted.done
	assertEachOnce(t, titlesPosted(dc), names)
}

// TestKilledInstanceWorkIsTakenOverWithin30s runs two instances on one
// PostgreSQL store, kills the one that holds a feed mid-poll and the
// outbox mid-send, and checks that the other polls that feed and delivers
// the outbox within 30 s, each story once.
func TestKilledInstanceWorkIsTakenOverWithin30s(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a lease to expire")
	}
	// Waits 20 s for the lease, on a farm, a Discord and a schema of its
	// own: beside the other long process tests.
	t.Parallel()
	dsn := pgtest.Schema(t)
	names := []string{"f0", "f1", "f2"}
	f := newFarm(t, names...)
	dc := fakediscord.New(t)
	g := newGate(t, dc)
	cfg := writeCrashConfig(t, t.TempDir(), fmt.Sprintf("store:\n  driver: postgres\n  dsn: %q", dsn), f, g, names)

	first := startNewshound(t, "run", "--once", "--config", cfg)
	<-first.done
	if !first.exitOK {
		t.Fatalf("first run failed:\n%s", first.out)
	}
	for _, n := range names {
		f.publish(n, "x1", "Exclusive report from "+n)
	}
	makeDuePostgres(t, dsn)
	g.close()
	f.setHang("f2", true)
	holder := startNewshound(t, "run", "--config", cfg)
	waitFor(t, 10*time.Second, "the first instance mid-send and mid-poll", func() bool {
		return g.sendsWaiting() > 0 && f.hitCount("f2") > 0
	})
	other := startNewshound(t, "run", "--config", cfg)
	time.Sleep(2 * time.Second) // the other instance is up and finds the work leased
	hitsBefore := f.hitCount("f2")
	holder.kill()
	g.open()
	f.release()
	took := waitFor(t, 45*time.Second, "the feed and the outbox taken over", func() bool {
		return f.hitCount("f2") > hitsBefore && len(titlesPosted(dc)) >= len(names)
	})
	t.Logf("the surviving instance took the feed and the outbox over %s after the kill", took.Round(time.Millisecond))
	if took > 30*time.Second {
		t.Errorf("take-over took %s, want within 30s", took)
	}
	time.Sleep(500 * time.Millisecond)
	other.cmd.Process.Signal(os.Interrupt)
	<-other.done
	assertEachOnce(t, titlesPosted(dc), names)
}

func assertEachOnce(t *testing.T, posted, names []string) {
	t.Helper()
	count := map[string]int{}
	for _, p := range posted {
		count[p]++
	}
	for _, n := range names {
		if title := "Exclusive report from " + n; count[title] != 1 {
			t.Errorf("%q posted %d times, want once (all posted: %q)", title, count[title], posted)
		}
	}
	if len(posted) != len(names) {
		t.Errorf("posted %d messages, want %d: %q", len(posted), len(names), posted)
	}
}

// makeDue moves every stored feed's next poll into the past, as if the
// interval had gone by.
func makeDue(t *testing.T, db string) {
	t.Helper()
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Exec(`UPDATE feeds SET next_poll = 0`); err != nil {
		t.Fatal(err)
	}
}

func makeDuePostgres(t *testing.T, dsn string) {
	t.Helper()
	conn, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Exec(`UPDATE feeds SET next_poll = 0`); err != nil {
		t.Fatal(err)
	}
}
