package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/store"
)

// BenchmarkRenewLeases renews the 40 leases an instance polling 40 feeds
// holds, as its renewal round does every ttl/3: in one statement
// (RenewLeases), against a call per lease (Lease by its holder, how
// rounds were made before), with 0 to 8 other sessions taking leases of
// their own meanwhile, as other instances' polls do. ns/op is one round.
func BenchmarkRenewLeases(b *testing.B) {
	pgtest.DSN(b)
	const held = 40
	for _, busy := range []int{0, 8} {
		for _, how := range []string{"one-statement", "call-per-lease"} {
			b.Run(fmt.Sprintf("%s/busy=%d", how, busy), func(b *testing.B) {
				s, err := store.OpenPostgres(context.Background(), pgtest.Schema(b))
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				ctx := context.Background()
				names := make([]string, held)
				for i := range names {
					names[i] = fmt.Sprintf("feed:f%d", i)
					if ok, err := s.Lease(ctx, names[i], "me", 1, 20*time.Second); err != nil || !ok {
						b.Fatalf("Lease(%s) = %v, %v", names[i], ok, err)
					}
				}
				stop := loadLeases(b, s, busy)
				defer stop()
				b.ResetTimer()
				for b.Loop() {
					renewRound(b, s, names, how)
				}
			})
		}
	}
}

// renewRound renews names for "me" as how says, failing b unless every
// lease is renewed.
func renewRound(b *testing.B, s store.Leaser, names []string, how string) {
	ctx := context.Background()
	if how == "one-statement" {
		renewed, err := s.RenewLeases(ctx, names, "me", 20*time.Second)
		if err != nil || len(renewed) != len(names) {
			b.Fatalf("RenewLeases renewed %d of %d: %v", len(renewed), len(names), err)
		}
		return
	}
	for _, n := range names {
		if ok, err := s.Lease(ctx, n, "me", 1, 20*time.Second); err != nil || !ok {
			b.Fatalf("Lease(%s) = %v, %v", n, ok, err)
		}
	}
}

// loadLeases has n goroutines take and give back leases of their own on
// s until the returned stop, which waits for them.
func loadLeases(b *testing.B, s store.Store, n int) (stop func()) {
	leaser := s.(store.Leaser)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, n)
	for g := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			owner := fmt.Sprintf("other%d", g)
			for i := 0; ctx.Err() == nil; i++ {
				name := fmt.Sprintf("feed:o%d-%d", g, i%50)
				if _, err := leaser.Lease(ctx, name, owner, 1, 20*time.Second); err != nil && ctx.Err() == nil {
					b.Errorf("load: Lease(%s): %v", name, err)
					return
				}
			}
		}()
	}
	return func() {
		cancel()
		for range n {
			<-done
		}
	}
}
