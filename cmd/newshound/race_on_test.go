//go:build race

package main

// raceEnabled: the race detector multiplies memory use, so memory bounds
// are measured only without it.
const raceEnabled = true
