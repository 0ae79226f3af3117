package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/fakediscord"
)

// faultyDiscord stands in front of the fake Discord and spoils message
// posts at the given rates: a 500 before Discord sees the post, a "ghost"
// 500 after Discord created the message, or a 429 with Retry-After.
type faultyDiscord struct {
	srv                         *httptest.Server
	mu                          sync.Mutex
	rng                         *rand.Rand
	fail, ghost, limited        float64
	fails, ghosts, limits, seen int
}

func newFaultyDiscord(t *testing.T, dc *fakediscord.Server, seed uint64, fail, ghost, limited float64) *faultyDiscord {
	target, _ := url.Parse(dc.URL())
	proxy := httputil.NewSingleHostReverseProxy(target)
	f := &faultyDiscord{rng: rand.New(rand.NewPCG(seed, seed^0x5eed)), fail: fail, ghost: ghost, limited: limited}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/messages") {
			proxy.ServeHTTP(w, r)
			return
		}
		switch f.draw() {
		case "fail":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"message": "500: Internal Server Error", "code": 0}`)
		case "ghost":
			proxy.ServeHTTP(httptest.NewRecorder(), r) // created…
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError) // …but the answer says not
			fmt.Fprint(w, `{"message": "500: Internal Server Error", "code": 0}`)
		case "limited":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "1")
			w.Header().Set("X-RateLimit-Limit", "5")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset-After", "1.000")
			w.Header().Set("X-RateLimit-Bucket", "chaos")
			w.Header().Set("X-RateLimit-Scope", "user")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"message": "You are being rate limited.", "retry_after": 1.0, "global": false}`)
		default:
			proxy.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *faultyDiscord) draw() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen++
	x := f.rng.Float64()
	switch {
	case x < f.fail:
		f.fails++
		return "fail"
	case x < f.fail+f.ghost:
		f.ghosts++
		return "ghost"
	case x < f.fail+f.ghost+f.limited:
		f.limits++
		return "limited"
	}
	return "ok"
}

func (f *faultyDiscord) apiBase() string { return f.srv.URL + "/api/v9/" }

// TestChaos publishes news over time on a farm of loopback feeds, delivers
// through a Discord that answers 10 % 500s, 5 % ghost 500s and 5 % 429s,
// and kills the real newshound process with SIGKILL at random moments,
// restarting it each time. At the end every matching item has been posted
// exactly once, and nothing else. NEWSHOUND_SOAK=N runs N rounds instead
// of 16, with a new seed each time (not in CI).
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts newshound many times")
	}
	rounds, seed := 16, uint64(20261202)
	if n, err := strconv.Atoi(os.Getenv("NEWSHOUND_SOAK")); err == nil && n > 0 {
		rounds, seed = n, uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	names := []string{"f0", "f1", "f2", "f3", "f4", "f5"}
	f := newFarm(t, names...)
	dc := fakediscord.New(t)
	fd := newFaultyDiscord(t, dc, seed, 0.10, 0.05, 0.05)
	dir := t.TempDir()
	db := filepath.Join(dir, "state.db")
	cfg := writeCrashConfig(t, dir, fmt.Sprintf("store:\n  path: %q", db), f, &gate{srv: fd.srv}, names)

	first := startNewshound(t, "run", "--once", "--config", cfg)
	<-first.done
	var matching []string
	published := 0
	for round := range rounds {
		for range 1 + rng.IntN(4) {
			n := names[rng.IntN(len(names))]
			published++
			if rng.IntN(4) == 0 {
				f.publish(n, fmt.Sprintf("w%d", published), fmt.Sprintf("Weather report %d from %s", published, n))
				continue
			}
			title := fmt.Sprintf("Exclusive report %d from %s", published, n)
			f.publish(n, fmt.Sprintf("x%d", published), title)
			matching = append(matching, title)
		}
		makeDue(t, db)
		p := startNewshound(t, "run", "--config", cfg)
		time.Sleep(time.Duration(200+rng.IntN(2000)) * time.Millisecond)
		p.kill()
		t.Logf("round %d: killed after %d posts so far", round, len(titlesPosted(dc)))
	}
	makeDue(t, db)
	last := startNewshound(t, "run", "--config", cfg)
	waitFor(t, 60*time.Second, "every matching item posted", func() bool { return len(titlesPosted(dc)) >= len(matching) })
	time.Sleep(2 * time.Second) // a duplicate would have come by now
	last.cmd.Process.Signal(os.Interrupt)
	<-last.done

	posted := titlesPosted(dc)
	count := map[string]int{}
	for _, p := range posted {
		count[p]++
	}
	duplicates, lost, strays := 0, 0, 0
	for _, m := range matching {
		switch c := count[m]; {
		case c == 0:
			lost++
		case c > 1:
			duplicates += c - 1
		}
		delete(count, m)
	}
	for _, c := range count {
		strays += c
	}
	fd.mu.Lock()
	t.Logf("chaos: %d rounds, published %d, matching %d, posted %d, duplicates %d, lost %d, not matching %d; Discord answered %d posts with %d 500s, %d ghost 500s, %d 429s",
		rounds, published, len(matching), len(posted), duplicates, lost, strays, fd.seen, fd.fails, fd.ghosts, fd.limits)
	fd.mu.Unlock()
	if fd.fails+fd.ghosts+fd.limits == 0 {
		t.Errorf("no fault was injected in %d posts: the test proved nothing", fd.seen)
	}
	if duplicates != 0 || lost != 0 || strays != 0 {
		t.Errorf("want every matching item exactly once and nothing else (seed %d)", seed)
	}
}
