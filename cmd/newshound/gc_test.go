package main

import (
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"testing"
)

// TestTuneGCLeavesTheOperatorsSettings: the soft memory limit and the GC
// target newshound sets at start give way to GOMEMLIMIT and GOGC, each on
// its own. (The runtime reads both at start; what a test can see is
// whether tuneGC overwrites what they set, given here by debug's setters,
// outside the values tuneGC picks.)
func TestTuneGCLeavesTheOperatorsSettings(t *testing.T) {
	const theirLimit, theirPercent = 3 << 30, 1000
	tests := []struct {
		name                   string
		env                    map[string]string // "" unsets
		wantLimit, wantPercent bool              // theirs kept
	}{
		{"neither set", map[string]string{"GOMEMLIMIT": "", "GOGC": ""}, false, false},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "3GiB", "GOGC": ""}, true, false},
		{"GOGC set", map[string]string{"GOMEMLIMIT": "", "GOGC": "1000"}, false, true},
		{"both set", map[string]string{"GOMEMLIMIT": "3GiB", "GOGC": "1000"}, true, true},
	}
	oldLimit, oldPercent := debug.SetMemoryLimit(-1), debug.SetGCPercent(100)
	defer func() { debug.SetMemoryLimit(oldLimit); debug.SetGCPercent(oldPercent) }()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
				if v == "" {
					os.Unsetenv(k)
				}
			}
			debug.SetMemoryLimit(theirLimit)
			debug.SetGCPercent(theirPercent)
			tuneGC(slog.New(slog.NewTextHandler(io.Discard, nil)), 400<<20)
			if got := debug.SetMemoryLimit(-1); (got == theirLimit) != tt.wantLimit {
				t.Errorf("memory limit after tuneGC: got %d, want GOMEMLIMIT's %d kept: %v", got, theirLimit, tt.wantLimit)
			}
			if got := debug.SetGCPercent(theirPercent); (got == theirPercent) != tt.wantPercent {
				t.Errorf("GC percent after tuneGC: got %d, want GOGC's %d kept: %v", got, theirPercent, tt.wantPercent)
			}
		})
	}
}
