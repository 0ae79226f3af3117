package bot

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/newshound/newshound/config"
)

// TestRunOnceSaysEveryFeedFailsWhileTheyBackOff: a run --once whose feeds
// all fail says so (exit code 4) at every run while they fail, not only
// at the run that first found each failure. A failing feed is backed off,
// and run --once does not poll it before its back-off ends, so the next
// cron run polled nothing, counted no failure and reported all well (exit
// 0) while every feed was still failing. A feed that recovers, or one
// that works beside the failing ones, ends it.
func TestRunOnceSaysEveryFeedFailsWhileTheyBackOff(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	broken := func(name string) {
		if err := os.WriteFile(filepath.Join(h.dir, name), []byte("<html>not a feed</html>"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	once := func() OnceReport {
		t.Helper()
		svc, st := h.open()
		defer st.Close()
		r, err := svc.RunOnce(context.Background())
		if err != nil {
			t.Fatalf("RunOnce: %v", err)
		}
		return r
	}
	steps := []struct {
		name        string
		after       time.Duration // since the run before
		wire, other bool          // the feed works
		want        string
	}{
		{"both work", 0, true, true, ""},
		{"both fail", time.Minute, false, false, "feeds"},
		{"both still fail, backing off", time.Minute, false, false, "feeds"},
		{"one works again past its back-off", 20 * time.Minute, true, false, ""},
		{"it fails again, the other backing off", time.Minute, false, false, "feeds"},
	}
	for _, s := range steps {
		h.clock = h.clock.Add(s.after)
		h.write("wire.xml", item(1, "Weather stays mild", h.clock))
		h.write("other.xml", item(2, "Markets calm", h.clock))
		if !s.wire {
			broken("wire.xml")
		}
		if !s.other {
			broken("other.xml")
		}
		r := once()
		if got := r.Trouble(); got != s.want {
			t.Errorf("%s: trouble %q, want %q (report %+v)", s.name, got, s.want, r)
		}
	}
}

// TestRunOnceNamesTheFailingFeedsItDoesNotPoll: a run --once leaves a
// feed alone while it backs off from failing, and its summary counted it
// (feeds_still_failing=1) without a word of which feed, why or until when:
// a desk that had put back a file feed's missing file ran again, saw
// exit 0 and nothing else, and took the feed for working (found replaying
// the corpus series: a feed whose first snapshot came later than the
// others' was not polled by the runs that followed). Each run is a
// process of its own, so each names the feeds it leaves alone.
func TestRunOnceNamesTheFailingFeedsItDoesNotPoll(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	once := func() string {
		t.Helper()
		st := h.sqlite(t)
		defer st.Close()
		logs := &logBuffer{}
		svc, err := New(context.Background(), h.options(st, h.rec, logs))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.RunOnce(context.Background()); err != nil {
			t.Fatalf("RunOnce: %v", err)
		}
		return logs.String()
	}
	once()
	if err := os.Remove(filepath.Join(h.dir, "other.xml")); err != nil {
		t.Fatal(err)
	}
	h.clock = h.clock.Add(time.Minute)
	once()
	h.write("other.xml", item(2, "Markets calm", h.clock))
	h.clock = h.clock.Add(time.Minute)
	logs := once()
	var line string
	for l := range strings.Lines(logs) {
		if strings.Contains(l, "feed=other") {
			line = l
		}
	}
	for _, want := range []string{"not polled", "next_poll=2026-11-21T12:11:00Z", "no such file"} {
		if !strings.Contains(line, want) {
			t.Errorf("the run's line about the feed backing off: got %q, want it to say %q; the run logged:\n%s", line, want, logs)
		}
	}
}

// elsewhereLeaser grants every lease but those another instance holds.
type elsewhereLeaser struct{ held map[string]bool }

func (e elsewhereLeaser) Lease(ctx context.Context, name, owner string, take int64, ttl time.Duration) (bool, error) {
	return !e.held[name], nil
}

func (e elsewhereLeaser) RenewLeases(ctx context.Context, names []string, owner string, ttl time.Duration) ([]string, error) {
	return renewEach(ctx, e.Lease, names, owner, ttl)
}

func (e elsewhereLeaser) Release(ctx context.Context, name, owner string, take int64) error {
	return nil
}

func (e elsewhereLeaser) LeaseHolder(ctx context.Context, name string) (string, error) {
	return "", nil
}

// TestRunOnceFeedsPolledElsewhereAreNotFailing: on a shared store, a feed
// another instance is polling is skipped by run --once, which knows
// nothing of how it fares; beside a feed backing off after failing, the
// run reported that every feed is failing (exit 4) although the other
// instance was polling the second feed fine.
func TestRunOnceFeedsPolledElsewhereAreNotFailing(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	h.write("other.xml", item(2, "Markets calm", h.clock))
	if err := os.WriteFile(filepath.Join(h.dir, "wire.xml"), []byte("<html>not a feed</html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	runs := []struct {
		name string
		held map[string]bool // leases another instance holds
		want string
	}{
		{"wire fails, other works", nil, ""},
		{"wire backing off, other polled elsewhere", map[string]bool{"feed:other": true}, ""},
		{"wire backing off, wire polled elsewhere too", map[string]bool{"feed:other": true, "feed:wire": true}, ""},
	}
	for _, r := range runs {
		h.clock = h.clock.Add(time.Minute)
		svc, st := h.open()
		svc.leases.leaser = elsewhereLeaser{held: r.held}
		rep, err := svc.RunOnce(context.Background())
		st.Close()
		if err != nil {
			t.Fatalf("%s: RunOnce: %v", r.name, err)
		}
		if got := rep.Trouble(); got != r.want {
			t.Errorf("%s: trouble %q, want %q (report %+v)", r.name, got, r.want, rep)
		}
	}
}

// leasesFailing is a shared store that, while fail is set, refuses the
// takes of the leases whose names begin with prefix or, hang, does not
// answer them until the caller gives up (leases.callTimeout: a store that
// hangs); it grants the others.
type leasesFailing struct {
	elsewhereLeaser
	prefix string
	hang   bool
	fail   atomic.Bool
}

func (l *leasesFailing) Lease(ctx context.Context, name, owner string, take int64, ttl time.Duration) (bool, error) {
	if !strings.HasPrefix(name, l.prefix) || !l.fail.Load() {
		return true, nil
	}
	if l.hang {
		<-ctx.Done()
		return false, ctx.Err()
	}
	return false, errDiskFull
}

// feedLeasesFailing is a harness and its service on a shared store that
// fails every take of a feed's lease.
func feedLeasesFailing(t *testing.T) (*harness, *Service) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
	svc, st := h.open()
	t.Cleanup(func() { st.Close() })
	leaser := &leasesFailing{prefix: "feed:"}
	leaser.fail.Store(true)
	svc.leases.leaser = leaser
	return h, svc
}

// TestAFeedLeaseTheStoreDoesNotGiveIsAFailureOfTheStore: a poll whose
// take of its feed's lease failed counted the feed as polled by another
// instance: run --once reported all well (exit 0) having polled nothing,
// and the service stayed ready. It is a failure of the store, as a take of
// the stories lease that fails is (commitLock.gaveUp), and the feed is
// tried again later.
func TestAFeedLeaseTheStoreDoesNotGiveIsAFailureOfTheStore(t *testing.T) {
	_, svc := feedLeasesFailing(t)
	rep, err := svc.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	if got := rep.Trouble(); got != "store" || rep.FeedsElsewhere != 0 {
		t.Errorf("trouble %q, %d feeds elsewhere, want %q and none elsewhere (report %+v)", got, rep.FeedsElsewhere, "store", rep)
	}
	if h := svc.Health(); h.Ready {
		t.Errorf("Health: ready, want not ready while no feed's lease can be taken (reasons %q)", h.Reasons)
	}
}

// TestAnOutboxLeaseTheStoreDoesNotGiveIsAFailureOfTheStore: a
// destination whose outbox lease the store failed to give, or did not
// give within leases.callTimeout, was taken for one another instance
// sends: run --once said alerts could not be delivered (exit 5), not that
// the store failed (3), and the service stayed ready while nothing was
// delivered. It is a failure of the store, logged once (by the leases)
// however many passes it lasts, the feeds' leases given meanwhile too,
// and once when it is over.
func TestAnOutboxLeaseTheStoreDoesNotGiveIsAFailureOfTheStore(t *testing.T) {
	tests := []struct {
		name string
		hang bool
	}{
		{"the store refuses the take", false},
		{"the store does not answer the take", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
				logs := &logBuffer{}
				svc, st := h.openLogging(logs)
				defer st.Close()
				leaser := &leasesFailing{prefix: "outbox:", hang: tt.hang}
				svc.leases.leaser = leaser
				once := func() OnceReport {
					t.Helper()
					rep, err := svc.RunOnce(ctx)
					if err != nil {
						t.Fatalf("RunOnce: %v", err)
					}
					h.clock = h.clock.Add(11 * time.Minute)
					return rep
				}
				once() // first sight
				h.write("wire.xml", item(1, "Aleppo ceasefire holds", h.clock))
				leaser.fail.Store(true)
				if got := once().Trouble(); got != "store" {
					t.Errorf("run --once while the outbox lease is not given: trouble %q, want %q", got, "store")
				}
				if hl := svc.Health(); hl.Ready {
					t.Errorf("Health: ready, want not ready while no outbox lease can be taken (reasons %q)", hl.Reasons)
				}
				if !svc.sender.reportPass(ctx, svc.sender.deliverAll(ctx)) {
					t.Errorf("a further pass whose take failed again: no failure of the store, want one")
				}
				// The feeds' leases, taken between, are given.
				if got := once().Trouble(); got != "store" {
					t.Errorf("run --once while the outbox lease is still not given: trouble %q, want %q", got, "store")
				}
				leaser.fail.Store(false)
				if got := once().Trouble(); got != "" {
					t.Errorf("run --once once the lease is given: trouble %q, want none", got)
				}
				if hl := svc.Health(); !hl.Ready {
					t.Errorf("Health: not ready once the lease is given (reasons %q)", hl.Reasons)
				}
				h.wantTitles("Aleppo ceasefire holds")
				wantLogged(t, logs.String(), map[string]int{
					"taking a lease failed":                 1,
					"taking leases works again":             1,
					`works again" leases=outbox failures=3`: 1, // a take a pass
					"reading the outbox failed":             0,
				})
			})
		})
	}
}

// TestAFeedLeaseGivenAgainEndsThePause: a failing take of a feed's lease
// makes the service not ready (it paused polling then), and a take the store
// answers again ends that, though it finds every feed polled by another
// instance (a second instance's usual lot), so that nothing is written:
// the pause ended only with a write, and an instance that polled nothing
// after a hiccup stayed not ready, "store: writes fail", for good.
func TestAFeedLeaseGivenAgainEndsThePause(t *testing.T) {
	h, svc := feedLeasesFailing(t)
	h.passWith(svc, h.cfg.Feeds)
	if got := svc.Health(); got.Ready {
		t.Fatalf("Health while no feed's lease is given: ready, want not ready")
	}
	elsewhere := elsewhereLeaser{held: map[string]bool{}}
	for _, f := range h.cfg.Feeds {
		elsewhere.held["feed:"+f.Name] = true
	}
	svc.leases.leaser = elsewhere
	h.passWith(svc, h.cfg.Feeds)
	if got := svc.Health(); !got.Ready {
		t.Errorf("Health once the store answers the takes (every feed polled elsewhere): not ready (reasons %q), want ready", got.Reasons)
	}
}
