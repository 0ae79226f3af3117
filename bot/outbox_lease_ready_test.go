package bot

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
)

// TestAnOutboxLeaseNotGivenKeepsTheServiceNotReady: readiness said what
// the pass before had found of the destinations' outbox leases
// (sender.leaseFailing, set at a pass's end): while a pass that found the
// desk's lease not given still sent to a slow destination, the service
// was ready. It is not ready from a take the store fails until a take of
// that lease is answered, or nothing waits for it any more (another
// instance delivered the desk's alerts).
func TestAnOutboxLeaseNotGivenKeepsTheServiceNotReady(t *testing.T) {
	tests := []struct {
		name string
		// deliveredElsewhere: the desk's alerts are delivered by another
		// instance, so that the next pass does not try the desk's lease
		deliveredElsewhere bool
	}{
		{"the lease is given again", false},
		{"the desk's alerts are delivered elsewhere", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				h := newHarness(t,
					config.Subscription{Name: "aleppo", Query: "aleppo"},
					config.Subscription{Name: "aleppo-mail", Query: "aleppo", Destination: "mail"})
				h.cfg.Destinations = append(h.cfg.Destinations, config.Destination{Name: "mail", Type: config.Console})
				st := h.sqlite(t)
				defer st.Close()
				slow := &slowNotifier{started: make(chan struct{}), release: make(chan struct{})}
				log := slog.New(slog.NewTextHandler(io.Discard, nil))
				svc, err := New(ctx, testOptions(h.cfg, st, map[string]notify.Notifier{"desk": h.rec, "mail": slow}, log, func() time.Time { return h.clock }))
				if err != nil {
					t.Fatal(err)
				}
				leaser := &leasesFailing{prefix: "outbox:desk"}
				svc.leases.leaser = leaser
				if _, err := svc.RunOnce(ctx); err != nil { // first sight
					t.Fatal(err)
				}
				h.write("wire.xml", item(1, "Aleppo ceasefire holds", h.clock))
				h.clock = h.clock.Add(11 * time.Minute)
				svc.poller.pollAll(ctx, svc.live.catalog().Feeds(), pollEvery)
				ready := func(when string, want bool) {
					t.Helper()
					if got := svc.Health(); got.Ready != want {
						t.Errorf("%s: ready %v (reasons %q), want %v", when, got.Ready, got.Reasons, want)
					}
				}

				leaser.fail.Store(true)
				tick := make(chan time.Time)
				passOver := make(chan struct{})
				go func() {
					svc.sender.reportPass(ctx, svc.sender.deliverWhile(ctx, passStarts{tick: tick}))
					close(passOver)
				}()
				<-slow.started
				synctest.Wait() // the desk's take has failed
				ready("a pass that found the desk's lease not given, still sending to mail", false)
				if !tt.deliveredElsewhere {
					leaser.fail.Store(false)
					tick <- h.clock // the desk is started again
					synctest.Wait()
					ready("the desk's lease taken again, the pass still sending to mail", true)
				}
				close(slow.release)
				<-passOver
				ready("after that pass", !tt.deliveredElsewhere)
				if !tt.deliveredElsewhere {
					return
				}
				rows, err := st.PendingAlerts(ctx, "desk", h.clock, 10)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rows {
					if err := st.MarkDelivered(ctx, r.ID, "elsewhere", h.clock); err != nil {
						t.Fatal(err)
					}
				}
				svc.sender.reportPass(ctx, svc.sender.deliverAll(ctx))
				ready("after a pass with nothing to send to the desk", true)
			})
		})
	}
}
