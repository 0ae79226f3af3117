package main

import (
	"os"
	"runtime/debug"
)

// gcPercent is the GC target of `run` and `bench`. newshound's live heap
// is small (tens of MB: the catalog, the compiled queries, a few parsed
// feeds in flight) but it allocates fast while parsing, so at Go's default
// of 100 the heap sits near the 4 MB minimum and the collector runs
// hundreds of times a round (12 % of the CPU in the profile of issue 11).
// 400 lets the heap grow to five times the live set between cycles: a
// few tens of MB more at most, for a large cut in GC work (measured in
// docs/performance.md).
const gcPercent = 400

// memoryLimit caps the heap the higher target may grow to: above it the
// collector works harder instead of letting the process grow. 1 GiB is
// far above what a 100,000-feed deployment needs (docs/performance.md),
// so it bounds a runaway, not normal work.
const memoryLimit = 1 << 30

// tuneGC sets the GC target, unless the operator chose one with GOGC or
// GOMEMLIMIT: their choice wins.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(memoryLimit)
	}
}
