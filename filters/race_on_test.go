//go:build race

package filters

// raceDetector is set when tests run with -race, which makes them about ten
// times slower; the long corpus tests then check a sample of items.
const raceDetector = true
