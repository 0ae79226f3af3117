package main

import (
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
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
// measured then, unless the operator chose one with GOGC: theirs wins.
// GOMEMLIMIT is left to the operator: a limit below the live heap (a
// catalog that grew) would make the collector run without pause.
func tuneGC(log *slog.Logger) {
	if _, set := os.LookupEnv("GOGC"); set {
		return
	}
	runtime.GC() // start-up's garbage (the config's YAML tree, compilation) is not live
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	var live uint64
	if sample[0].Value.Kind() == metrics.KindUint64 {
		live = sample[0].Value.Uint64()
	}
	pct := gcPercentFor(live)
	debug.SetGCPercent(pct)
	log.Debug("GC target set", "live_heap_bytes", live, "gogc", pct)
}
