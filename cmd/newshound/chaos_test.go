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
// posts and edits at the given rates: a 500 before Discord sees the
// request, a "ghost" 500 after Discord created (or edited) the message, or
// a 429 with Retry-After.
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
		posting := r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/messages")
		editing := r.Method == http.MethodPatch && strings.Contains(r.URL.Path, "/messages/")
		if !posting && !editing {
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
func TestChaos(t *testing.T) { chaos(t, false) }

// TestChaosWithStories is TestChaos with story grouping on, each matching
// item one of four stories' reports: every matching item is seen exactly
// once, as a message or listed under its story's message ("Also"), and a
// story's reports go under one message unless they came before it was out.
func TestChaosWithStories(t *testing.T) { chaos(t, true) }

// chaosStories are the stories the grouping variant's items report.
var chaosStories = []string{
	"Kessler dam spillway reopened after record rain",
	"Harbour ferry strike ends with pay deal",
	"Marbeck council votes emergency budget",
	"Ostry rail tunnel flooded overnight",
}

func chaos(t *testing.T, stories bool) {
	if testing.Short() {
		t.Skip("kills and restarts newshound many times")
	}
	// Mostly waits (each round's run before its kill), on a farm, a
	// Discord and a store of its own: beside the other long process tests.
	t.Parallel()
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
	if stories {
		groupStories(t, cfg)
	}

	first := startNewshound(t, "run", "--once", "--config", cfg)
	<-first.done
	var matching []string
	links := map[string]string{} // link → title of a matching item
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
			if stories {
				title = fmt.Sprintf("Exclusive: %s, %s report %d", chaosStories[rng.IntN(len(chaosStories))], n, published)
			}
			guid := fmt.Sprintf("x%d", published)
			f.publish(n, guid, title)
			matching = append(matching, title)
			links["https://farm.example/"+n+"/"+guid] = title
		}
		makeDue(t, db)
		p := startNewshound(t, "run", "--config", cfg)
		time.Sleep(time.Duration(200+rng.IntN(2000)) * time.Millisecond)
		p.kill()
		t.Logf("round %d: killed after %d seen so far", round, len(seenItems(dc, links)))
	}
	makeDue(t, db)
	last := startNewshound(t, "run", "--config", cfg)
	waitFor(t, 60*time.Second, "every matching item seen", func() bool { return len(seenItems(dc, links)) >= len(matching) })
	time.Sleep(2 * time.Second) // a duplicate would have come by now
	last.cmd.Process.Signal(os.Interrupt)
	<-last.done

	seen := seenItems(dc, links)
	count := map[string]int{}
	for _, p := range seen {
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
	for title, c := range count {
		strays += c
		t.Logf("not matching: %q", title)
	}
	fd.mu.Lock()
	t.Logf("chaos: %d rounds, published %d, matching %d, messages %d, seen %d, duplicates %d, lost %d, not matching %d; Discord answered %d posts and edits with %d 500s, %d ghost 500s, %d 429s",
		rounds, published, len(matching), len(dc.Messages(crashChannel)), len(seen), duplicates, lost, strays, fd.seen, fd.fails, fd.ghosts, fd.limits)
	fd.mu.Unlock()
	if fd.fails+fd.ghosts+fd.limits == 0 {
		t.Errorf("no fault was injected in %d posts: the test proved nothing", fd.seen)
	}
	if duplicates != 0 || lost != 0 || strays != 0 {
		t.Errorf("want every matching item exactly once and nothing else (seed %d)", seed)
	}
	if stories && len(dc.Messages(crashChannel)) >= len(matching) {
		t.Errorf("%d messages for %d reports of %d stories: nothing was grouped", len(dc.Messages(crashChannel)), len(matching), len(chaosStories))
	}
}

// groupStories turns story grouping on in a crash config.
func groupStories(t *testing.T, cfg string) {
	t.Helper()
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	grouped := strings.Replace(string(b), "story_window: 0s", "story_window: 48h", 1)
	if grouped == string(b) {
		t.Fatal("the crash config sets no story_window")
	}
	if err := os.WriteFile(cfg, []byte(grouped), 0o644); err != nil {
		t.Fatal(err)
	}
}

// seenItems are the items a reader of the channel sees: each message's
// titles, and each report listed in an "Also" field (by its link).
func seenItems(dc *fakediscord.Server, links map[string]string) []string {
	out := titlesPosted(dc)
	for _, m := range dc.Messages(crashChannel) {
		for _, e := range m.Embeds {
			for _, f := range e.Fields {
				if f.Name != "Also" {
					continue
				}
				for _, part := range strings.Split(f.Value, "](") {
					if i := strings.IndexByte(part, ')'); i > 0 {
						if title, ok := links[part[:i]]; ok {
							out = append(out, title)
						}
					}
				}
			}
		}
	}
	return out
}
