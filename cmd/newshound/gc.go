package main

import (
	"log/slog"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"

	"github.com/newshound/newshound/config"
)

// gcHeadroom is how much the heap may grow between two collections once
// the service is built. newshound's live heap is small next to what it
// allocates: parsing a changed feed allocates several times the feed's
// size, and at Go's default (GOGC=100: the heap may double) a live heap of
// 10 MB means a collection every few feeds (issue 11's profile: 572
// cycles a run, 12 % of the CPU). A fixed headroom instead of a fixed
// ratio keeps small deployments from collecting all the time and large
// ones (a big catalog: 10,000 subscriptions) from growing their peak by a
// multiple of their catalog. Measured in docs/performance.md.
const gcHeadroom = 16 << 20

// GOGC bounds: a live heap over 16 MB (a catalog of 10,000
// subscriptions) keeps the same 16 MB of growth, down to half its size,
// rather than Go's doubling: its peak RSS fell from 95–103 to 90–97 MB
// for no measurable CPU, since such a service allocates little between
// polls. And the heap never grows to more than five times the live set
// (at 800, a 2,000-feed bench's peak RSS varied between 85 and 120 MB,
// for a few per cent of CPU).
const (
	minGCPercent = 50
	maxGCPercent = 400
)

// gcPercentFor is the GOGC that gives a live heap of live bytes about
// gcHeadroom of growth between collections.
func gcPercentFor(live uint64) int {
	if live == 0 {
		return maxGCPercent
	}
	return int(min(max(100*gcHeadroom/live, minGCPercent), maxGCPercent))
}

// tuneGC sets the GC target once the service is built, from the live heap
// measured then, unless the operator chose one with GOGC: theirs wins. It
// also sets a soft memory limit of twice that live heap plus fetches, what
// the feeds polled at once may cost (see fetchBudget; at least
// minFetchRoom), unless the operator set GOMEMLIMIT. The GC target alone
// lets the heap grow to five times a small live heap: eight honest 10 MB
// feeds polled at once (each keeps about 2× its body while its items are
// built) took 579–673 MiB of RSS against the 400 MiB the README promises.
// The limit makes the collector run early when such polls fill the heap;
// a live heap that outgrew it (a catalog grown tenfold by reloads) would
// keep the collector busy, at most half the CPU, which is why it scales
// with the live heap.
func tuneGC(log *slog.Logger, fetches int64) {
	runtime.GC() // start-up's garbage (the config's YAML tree, compilation) is not live
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	var live uint64
	if sample[0].Value.Kind() == metrics.KindUint64 {
		live = sample[0].Value.Uint64()
	}
	if _, set := os.LookupEnv("GOGC"); !set {
		pct := gcPercentFor(live)
		debug.SetGCPercent(pct)
		log.Debug("GC target set", "live_heap_bytes", live, "gogc", pct)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set && fetches > 0 {
		limit := memoryLimitFor(live, fetches)
		debug.SetMemoryLimit(limit)
		log.Debug("memory limit set", "live_heap_bytes", live, "limit_bytes", limit)
	}
}

// memoryLimitFor is the soft memory limit of a service whose live heap is
// live bytes once built and whose fetches at once may cost fetches bytes,
// but never less than minFetchRoom for the fetches: the live heap grows
// after the first polls (memos, the seen keys' caches), and small
// max_body_bytes (64 KiB: a budget of 2.5 MiB) put the limit under the
// running heap, where the collector ran without pause (17,742 cycles
// against 338 in a bench of 1,000 feeds).
func memoryLimitFor(live uint64, fetches int64) int64 {
	return int64(min(live, math.MaxInt64/4))*2 + min(max(fetches, minFetchRoom), math.MaxInt64/2)
}

// minFetchRoom is the least room the memory limit leaves above twice the
// live heap.
const minFetchRoom = 128 << 20

// fetchBudget is what the feeds cfg polls at once may cost: workers × 5 ×
// max_body_bytes (the feeds package doc: a fetch holds its body, 2× while
// reading it, and what its parse keeps), at most math.MaxInt64/2 (no
// limit) for sizes that would overflow.
func fetchBudget(cfg *config.Config) int64 {
	workers, body := int64(cfg.Service.Workers), cfg.Defaults.MaxBodyBytes
	if workers <= 0 || body <= 0 {
		return 0
	}
	if body > math.MaxInt64/2/5/workers {
		return math.MaxInt64 / 2
	}
	return workers * 5 * body
}
