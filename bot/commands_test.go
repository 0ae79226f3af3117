package bot

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/bot/discord"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/store"
)

// refusingDiscord is a Discord API on loopback that answers every request
// with code, and notes when each came.
type refusingDiscord struct {
	*httptest.Server
	mu    sync.Mutex
	times []time.Time
}

func newRefusingDiscord(t *testing.T, code int) *refusingDiscord {
	d := &refusingDiscord{}
	d.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		d.times = append(d.times, time.Now())
		d.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		io.WriteString(w, `{"message": "refused", "code": 0}`)
	}))
	t.Cleanup(d.Close)
	return d
}

func (d *refusingDiscord) requests() []time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.times)
}

// commandsService is a service that serves the slash commands through api
// (and nothing else), with leases of ttl.
func commandsService(t *testing.T, api *refusingDiscord, ttl time.Duration, logs io.Writer) *Service {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	session, err := discord.NewSession("revoked-token", api.URL+"/api/v9/", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Discord = config.Discord{Token: "revoked-token", APIBase: api.URL + "/api/v9/", Commands: true, Burst: 5}
	cfg.Service.LeaseTTL = ttl
	o := testOptions(cfg, st, nil, slog.New(slog.NewTextHandler(logs, nil)), time.Now)
	o.Discord = session
	svc, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestRefusedTokenSlashCommandsBackOff checks that a bot token Discord
// refuses (revoked, reset in the developer portal) makes the slash
// commands' retries back off and be logged once: at a fixed half lease
// (10 s with the default lease) it cost Discord a refused request and the
// log an error line every time, for as long as the bot ran. The lease is
// shortened to a second, so that without back-off the gateway is tried
// about ten times in the five seconds the test runs. The first retry comes
// when the log line says (retry_in, half a lease at most).
func TestRefusedTokenSlashCommandsBackOff(t *testing.T) {
	t.Parallel() // seconds of real waits for the gateway lease and Discord, on a server and store of its own
	api := newRefusingDiscord(t, http.StatusUnauthorized)
	var logs logBuffer
	svc := commandsService(t, api, time.Second, &logs)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	svc.Run(ctx)
	if n := strings.Count(logs.String(), "Discord slash commands unavailable"); n != 1 {
		t.Errorf("the refused token was logged %d times, want once:\n%s", n, logs.String())
	}
	// Backing off from half a second: tries at about 0, 0.5, 1.5 and 3.5 s
	// (a little sooner with jitter), not every half second.
	got := api.requests()
	if len(got) < 2 || len(got) > 6 {
		t.Fatalf("Discord got %d requests in 5 s, want 2 to 6 (backing off, not every half second)", len(got))
	}
	if gap := got[1].Sub(got[0]); gap > 800*time.Millisecond {
		t.Errorf("the first retry came %v after the first try, want within half a lease (500 ms) and a poll", gap.Round(10*time.Millisecond))
	}
}

// TestCommandsLeaseHeldElsewhereEndsTheBackOff checks that an instance
// backing off after failures to open the gateway looks at the lease every
// half lease while another instance holds it, so that it takes the
// commands over soon after that one goes away (a deploy, a crash), not at
// the end of its back-off (up to 10 minutes).
func TestCommandsLeaseHeldElsewhereEndsTheBackOff(t *testing.T) {
	t.Parallel() // seconds of real waits for the gateway lease and Discord, on a server and store of its own
	api := newRefusingDiscord(t, http.StatusServiceUnavailable)
	svc := commandsService(t, api, 400*time.Millisecond, io.Discard)
	leaser := &otherLeaser{}
	svc.leases.leaser = leaser
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.Run(ctx) }()
	time.Sleep(3300 * time.Millisecond) // failing at about 0, 0.2, 0.6, 1.4 and 3 s
	leaser.mu.Lock()
	leaser.other = true
	leaser.mu.Unlock()
	from := time.Now()
	time.Sleep(3 * time.Second)
	n := leaser.triesSince(from)
	cancel()
	<-done
	if n < 5 {
		t.Errorf("with the lease held by another instance, it was tried %d times in 3 s; want about every 200 ms (half the lease)", n)
	}
}

// otherLeaser grants every lease but the gateway's while other is set
// (another instance holds it), and notes the tries at the gateway's.
type otherLeaser struct {
	mu      sync.Mutex
	other   bool
	gwTries []time.Time
}

func (p *otherLeaser) Lease(ctx context.Context, name, owner string, take int64, ttl time.Duration) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if name != gatewayLease {
		return true, nil
	}
	p.gwTries = append(p.gwTries, time.Now())
	return !p.other, nil
}

func (p *otherLeaser) RenewLeases(ctx context.Context, names []string, owner string, ttl time.Duration) ([]string, error) {
	return renewEach(ctx, p.Lease, names, owner, ttl)
}

func (p *otherLeaser) Release(ctx context.Context, name, owner string, take int64) error { return nil }

func (p *otherLeaser) LeaseHolder(ctx context.Context, name string) (string, error) {
	return "", nil
}

func (p *otherLeaser) triesSince(t time.Time) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, x := range p.gwTries {
		if !x.Before(t) {
			n++
		}
	}
	return n
}

func TestJitter(t *testing.T) {
	for _, d := range []time.Duration{time.Second, commandsRetryMax} {
		for range 100 {
			if got := jitter(d); got < d*4/5 || got > d {
				t.Fatalf("jitter(%v) = %v, want %v to %v", d, got, d*4/5, d)
			}
		}
	}
}

// TestCommandsStoreFailingTheGatewayLeaseKeepsTheBackOff: a take of the
// gateway lease that the store failed counted as another instance serving
// the commands, which ends the back-off against Discord, so a store
// hiccup had a token Discord refuses tried again at once. The take is
// scripted and the clock stands still: after a failure to open, no take
// may try Discord again before the back-off ends, whatever the store did
// meanwhile, and the store's failure is logged once (by the leases).
func TestCommandsStoreFailingTheGatewayLeaseKeepsTheBackOff(t *testing.T) {
	api := newRefusingDiscord(t, http.StatusUnauthorized)
	var logs logBuffer
	svc := commandsService(t, api, 400*time.Millisecond, &logs)
	at := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	svc.now = func() time.Time { return at }
	leaser := &scriptedGateway{asked: make(chan struct{}), answers: make(chan error)}
	svc.leases.leaser = leaser
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.runCommands(ctx) }()
	defer func() { cancel(); <-done }()

	takes := []struct {
		name    string
		answer  error // nil: given
		wantTry bool  // Discord tried under this take
	}{
		{"first take: the gateway is opened, and refused", nil, true},
		{"backing off", nil, false},
		{"the store fails the take", errDiskFull, false},
		{"the store gives it again, still backing off", nil, false},
	}
	before := 0
	for i, tk := range takes {
		<-leaser.asked
		if i > 0 {
			n := len(api.requests())
			if got := n > before; got != takes[i-1].wantTry {
				t.Errorf("%s: Discord tried: %v (requests %d → %d), want %v", takes[i-1].name, got, before, n, takes[i-1].wantTry)
			}
			before = n
		}
		leaser.answers <- tk.answer
	}
	<-leaser.asked
	if n := len(api.requests()); n != before {
		t.Errorf("%s: Discord tried: true (requests %d → %d), want false", takes[len(takes)-1].name, before, n)
	}
	if n := strings.Count(logs.String(), "taking a lease failed"); n != 1 {
		t.Errorf("the failing take was logged %d times, want once:\n%s", n, logs.String())
	}
}

// scriptedGateway answers each take of the gateway lease with what the
// test sends on answers (nil: given), after saying on asked that it was
// asked; a take ends with ctx.
type scriptedGateway struct {
	elsewhereLeaser
	asked   chan struct{}
	answers chan error
}

func (g *scriptedGateway) Lease(ctx context.Context, name, owner string, take int64, ttl time.Duration) (bool, error) {
	select {
	case g.asked <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	select {
	case err := <-g.answers:
		return err == nil, err
	case <-ctx.Done():
		return false, ctx.Err()
	}
}
