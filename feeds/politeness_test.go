package feeds

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// TestHostWaitGivenUpGivesItsStartBack: a fetch that gives up waiting for
// its host's gap (its timeout, the poll's end) had booked the next start,
// and the host's next fetch waited a gap after that start, which no
// request took: a gap too many for every wait given up.
func TestHostWaitGivenUpGivesItsStartBack(t *testing.T) {
	const gap = 10 * time.Second
	tests := []struct {
		name   string
		slots  int
		waitUp time.Duration // the wait given up, within the gap
	}{
		{"one slot, given up at once", 1, time.Millisecond},
		{"one slot, given up half-way", 1, gap / 2},
		{"two slots", 2, gap / 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := newHostLimiter(tt.slots, gap)
				release, err := l.acquire(context.Background(), "news.example")
				if err != nil {
					t.Fatal(err)
				}
				first := time.Now()
				release()
				ctx, cancel := context.WithTimeout(context.Background(), tt.waitUp)
				defer cancel()
				if _, err := l.acquire(ctx, "news.example"); !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("the wait given up: %v, want its deadline", err)
				}
				release, err = l.acquire(context.Background(), "news.example")
				if err != nil {
					t.Fatal(err)
				}
				defer release()
				if got, want := time.Since(first), gap; got != want {
					t.Errorf("the next fetch started %v after the first, want %v (one gap): the start a wait given up booked still counted", got, want)
				}
			})
		})
	}
}
