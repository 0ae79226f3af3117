package bot

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/fakediscord"
	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
)

// TestADeadHoldersGatewayIsTakenOverWithinALeaseAndAQuarter: README says
// another instance takes a dead one's work over within 30 seconds, a
// 20 s lease and what it takes to start. An instance not serving the
// slash commands looked at the gateway lease every half lease, so a
// holder that died just after a renewal, seen holding it a moment before
// its lease ran out, was taken over a lease and a half later (30 s, and
// then the gateway opens). It looks every quarter lease: a lease and a
// quarter at most (25 s).
func TestADeadHoldersGatewayIsTakenOverWithinALeaseAndAQuarter(t *testing.T) {
	const ttl = 4 * time.Second // long enough that a look's query is a small part of it
	dsn := pgtest.Schema(t)
	ctx := context.Background()
	st, err := store.OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dc := fakediscord.New(t)
	clk := &clock{}
	clk.set(time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC))
	waiter := discordServiceOn(t, dc, clk, nil, st)
	waiter.leases.ttl = ttl

	// The holder renews, then dies: its lease runs out ttl later, unless
	// someone else's clock says otherwise.
	renewed := time.Now()
	if got, err := st.Lease(ctx, gatewayLease, "dead-holder", 1, ttl); err != nil || !got {
		t.Fatalf("the holder's take: %v, %v", got, err)
	}
	// The waiter's first look comes just before the lease runs out, so
	// its next is the one that can take it.
	time.Sleep(time.Until(renewed.Add(ttl - 150*time.Millisecond)))
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { waiter.runCommands(runCtx) })
	defer func() { stop(); wg.Wait() }()

	bound := renewed.Add(ttl + ttl/4 + ttl/8) // an eighth for the looks' queries
	for !waiter.leases.holds(gatewayLease) {
		if time.Now().After(bound) {
			t.Fatalf("the dead holder's gateway lease not taken over %v after its last renewal, want within a lease and a quarter (%v) and a little",
				time.Since(renewed).Round(10*time.Millisecond), ttl+ttl/4)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("taken over %v after the holder's last renewal (lease %v)", time.Since(renewed).Round(10*time.Millisecond), ttl)
}
