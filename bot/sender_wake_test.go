package bot

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/store"
)

// flakyDesk answers its first sends with errs, in order, then takes
// them; it notes when each send came.
type flakyDesk struct {
	recorder
	mu    sync.Mutex
	errs  []error
	sends []time.Time
	took  time.Duration // each send that works takes this long
}

func (d *flakyDesk) Send(ctx context.Context, m notify.Message) (notify.Receipt, error) {
	d.mu.Lock()
	d.sends = append(d.sends, time.Now())
	var err error
	if len(d.errs) > 0 {
		err, d.errs = d.errs[0], d.errs[1:]
	}
	d.mu.Unlock()
	if err != nil {
		return notify.Receipt{}, err
	}
	time.Sleep(d.took)
	return d.recorder.Send(ctx, m)
}

// sentAt returns each send's time from start.
func (d *flakyDesk) sentAt(start time.Time) []time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	var got []time.Duration
	for _, at := range d.sends {
		got = append(got, at.Sub(start))
	}
	return got
}

// TestRetryIsSentWhenItFallsDue: an alert whose destination failed is
// tried again when its wait ends (the back-off's, or the Retry-After the
// destination asked for), not at the sender's next tick after that.
func TestRetryIsSentWhenItFallsDue(t *testing.T) {
	tests := []struct {
		name string
		errs []error
		want []time.Duration // each send's time from the first
	}{
		{"a back-off of 1 s, then 2 s", []error{errors.New("503 Service Unavailable"), errors.New("503 Service Unavailable")}, []time.Duration{0, time.Second, 3 * time.Second}},
		{"a Retry-After of 3 s", []error{&notify.RetryError{After: 3 * time.Second, Err: errors.New("429")}}, []time.Duration{0, 3 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				desk := &flakyDesk{errs: tt.errs}
				svc := newBubbleSender(t, map[string]notify.Notifier{"desk": desk})
				start := time.Now()
				stop := svc.runSender()
				time.Sleep(tt.want[len(tt.want)-1] + time.Millisecond)
				synctest.Wait()
				stop()

				if got := desk.sentAt(start); !slices.Equal(got, tt.want) {
					t.Errorf("sends at %v from the first, want %v", got, tt.want)
				}
				if n := len(desk.titles()); n != 1 {
					t.Errorf("%d messages delivered, want 1", n)
				}
			})
		})
	}
}

// TestRetryFallingDueWhileAnotherSendsIsSentThen: a destination whose
// wait ends while another destination's retry is being sent is tried
// when its wait ends, not at the sender's next tick.
func TestRetryFallingDueWhileAnotherSendsIsSentThen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		slow := &flakyDesk{errs: []error{errors.New("503 Service Unavailable")}, took: 200 * time.Millisecond}
		asks := &flakyDesk{errs: []error{&notify.RetryError{After: 1100 * time.Millisecond, Err: errors.New("429")}}}
		svc := newBubbleSender(t, map[string]notify.Notifier{"desk": slow, "night": asks})
		start := time.Now()
		stop := svc.runSender()
		time.Sleep(3 * time.Second)
		synctest.Wait()
		stop()

		for _, c := range []struct {
			name string
			desk *flakyDesk
			want []time.Duration
		}{
			{"desk (back-off of 1 s, then 200 ms a send)", slow, []time.Duration{0, time.Second}},
			{"night (Retry-After of 1.1 s)", asks, []time.Duration{0, 1100 * time.Millisecond}},
		} {
			if got := c.desk.sentAt(start); !slices.Equal(got, c.want) {
				t.Errorf("%s: sends at %v from the start, want %v", c.name, got, c.want)
			}
		}
	})
}

// bubbleSender is a service whose sender runs in a synctest bubble, on a
// clock that moves with the bubble's, with one alert enqueued for each
// of its desks.
type bubbleSender struct {
	*Service
}

func newBubbleSender(t *testing.T, desks map[string]notify.Notifier) bubbleSender {
	t.Helper()
	h := newHarness(t)
	h.cfg.Destinations = nil
	for _, name := range slices.Sorted(maps.Keys(desks)) {
		h.cfg.Destinations = append(h.cfg.Destinations, config.Destination{Name: name, Type: config.Console})
		h.cfg.Subscriptions = append(h.cfg.Subscriptions, config.Subscription{Name: "dams-" + name, Query: "kessler", Destination: name, MaxAge: 24 * time.Hour})
	}
	h.cfg.Service.RetryBase = time.Second
	start := time.Now()
	now := func() time.Time { return h.clock.Add(time.Since(start)) }
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, h.db, store.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := New(ctx, testOptions(h.cfg, st, desks, slog.New(slog.NewTextHandler(io.Discard, nil)), now))
	if err != nil {
		t.Fatal(err)
	}
	svc.poller.pollAll(ctx, svc.live.catalog().Feeds(), pollNow) // first sight
	h.write("wire.xml", item(1, "Kessler Dam spillway reopened", h.clock))
	f, _ := svc.live.catalog().Feed("wire")
	svc.poller.pollFeed(ctx, f, pollNow, nil)
	return bubbleSender{svc}
}

// runSender runs the sender's loop until the returned stop.
func (b bubbleSender) runSender() (stop func()) {
	runCtx, cancel := context.WithCancel(context.Background())
	var sending sync.WaitGroup
	sending.Go(func() { b.sender.loop(runCtx, context.Background()) })
	return func() {
		cancel()
		sending.Wait()
	}
}

// TestResumedDestinationIsSentToAtOnce: a destination paused after a
// delivery failure (a channel's lost permission) and resumed (/watch
// resume, or a reload's check finding it fixed) gets the alerts that
// waited for it at once, not at the sender's next tick.
func TestResumedDestinationIsSentToAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		desk := &recorder{}
		svc := newBubbleSender(t, map[string]notify.Notifier{"desk": desk})
		svc.sender.pauseDestination(context.Background(), "desk", "403 Missing Permissions")
		stop := svc.runSender()
		defer stop()
		synctest.Wait()
		if n := len(desk.titles()); n != 0 {
			t.Fatalf("%d alerts sent to the paused desk, want 0", n)
		}
		svc.sender.resume("desk")
		synctest.Wait() // no time passes in the bubble
		if got, want := desk.titles(), []string{"Kessler Dam spillway reopened"}; !slices.Equal(got, want) {
			t.Errorf("sent at the resume: %q, want %q", got, want)
		}
	})
}
