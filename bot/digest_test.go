package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/store"
)

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// sent returns the messages delivered since the last call.
func (r *recorder) since(n *int) []notify.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.msgs[*n:])
	*n = len(r.msgs)
	return out
}

func messageTitles(m notify.Message) []string {
	var out []string
	for _, a := range m.Alerts {
		out = append(out, a.Title)
	}
	return out
}

// instantTitles is the titles of the alerts among msgs sent one by one,
// in order.
func instantTitles(msgs []notify.Message) []string {
	var out []string
	for _, m := range msgs {
		if m.Digest == nil {
			out = append(out, messageTitles(m)...)
		}
	}
	return out
}

// wantSent reports msgs, sent at at, unless they are the alerts instant
// one by one and the digests digests.
func wantSent(t *testing.T, at string, msgs []notify.Message, instant []string, digests [][]string) {
	t.Helper()
	gotInstant, gotDigests := instantTitles(msgs), digestTitles(msgs)
	if !slices.Equal(gotInstant, instant) || !slices.EqualFunc(gotDigests, digests, slices.Equal) {
		t.Errorf("at %s: got alerts %q and digests %q, want alerts %q and digests %q", at, gotInstant, gotDigests, instant, digests)
	}
}

// digestTitles is the titles of each digest among msgs, in order.
func digestTitles(msgs []notify.Message) [][]string {
	var digests [][]string
	for _, m := range msgs {
		if m.Digest != nil {
			digests = append(digests, messageTitles(m))
		}
	}
	return digests
}

// A daily 08:00 digest in Berlin, over a week that crosses the end of
// summer time (25 October 2026): one message a day, at 08:00 local time,
// with exactly the stories that matched since the day before, newest
// first; a day without matches sends nothing; an instant subscription of
// the same destination is not held up by the held alerts.
func TestDailyDigestAcrossDSTChange(t *testing.T) {
	loc := berlin(t)
	daily := config.Delivery{Mode: config.Digest, At: []config.ClockTime{{Hour: 8}}, Location: loc}
	h := newHarness(t,
		config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: daily},
		config.Subscription{Name: "storms", Query: "storm"})
	h.clock = time.Date(2026, 10, 22, 12, 0, 0, 0, loc)
	h.afterFirstSight()
	read := 0
	n := 10
	for day := 22; day <= 28; day++ {
		at := func(hour, minute int) time.Time { return time.Date(2026, 10, day, hour, minute, 0, 0, loc) }
		var want []string
		if day != 26 { // a quiet news day: no digest the morning after
			h.clock = at(12, 0)
			a1 := item(n, fmt.Sprintf("Aleppo talks, day %d", day), h.clock)
			storm := item(n+1, fmt.Sprintf("Storm warning, day %d", day), h.clock)
			h.clock = at(23, 30)
			a2 := item(n+2, fmt.Sprintf("Aleppo truce, night %d", day), h.clock)
			h.write("wire.xml", a1, storm)
			h.clock = at(12, 5)
			h.runOnce()
			if got := h.rec.since(&read); len(got) != 1 || got[0].Digest != nil || got[0].Alerts[0].Title != storm.Title {
				t.Fatalf("day %d: the instant storm alert: got %d messages %v, want it alone at once", day, len(got), got)
			}
			h.write("wire.xml", a1, storm, a2)
			h.clock = at(23, 35)
			h.runOnce()
			want = []string{a2.Title, a1.Title} // newest first
			n += 3
		}
		h.clock = time.Date(2026, 10, day+1, 7, 59, 0, 0, loc)
		h.runOnce()
		if got := h.rec.since(&read); len(got) != 0 {
			t.Fatalf("day %d: %d messages before 08:00 local (%s): %v", day, len(got), h.clock, got)
		}
		h.clock = time.Date(2026, 10, day+1, 8, 0, 0, 0, loc)
		h.runOnce()
		h.clock = h.clock.Add(time.Minute)
		h.runOnce()
		got := h.rec.since(&read)
		if want == nil {
			if len(got) != 0 {
				t.Errorf("day %d: %d messages for a day without matches, want none", day, len(got))
			}
			continue
		}
		if len(got) != 1 || got[0].Digest == nil {
			t.Fatalf("day %d: got %d messages %v, want one digest", day, len(got), got)
		}
		if titles := messageTitles(got[0]); !slices.Equal(titles, want) {
			t.Errorf("day %d: digest lists %q, want %q", day, titles, want)
		}
		if got, want := got[0].Digest.Title, "Digest: aleppo — 2 stories since 08:00"; got != want {
			t.Errorf("day %d: digest title %q, want %q", day, got, want)
		}
		if u := got[0].Digest.Until; !u.Equal(time.Date(2026, 10, day+1, 8, 0, 0, 0, loc)) {
			t.Errorf("day %d: digest until %s, want 08:00 local", day, u)
		}
	}
}

// Matches inside quiet hours wait and go out as one message when they end;
// outside them alerts go out at once.
func TestQuietHoursHoldAndRelease(t *testing.T) {
	loc := berlin(t)
	quiet := config.Delivery{Mode: config.Instant, Location: loc, QuietHours: &config.TimeWindow{Start: config.ClockTime{Hour: 22}, End: config.ClockTime{Hour: 7}}}
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: quiet})
	at := func(day, hour, minute int) time.Time { return time.Date(2026, 12, day, hour, minute, 0, 0, loc) }
	h.clock = at(1, 20, 0)
	h.afterFirstSight()
	read := 0
	var items []testItem
	publish := func(n int, title string, when time.Time) []notify.Message {
		h.clock = when
		items = append(items, item(n, title, when))
		h.write("wire.xml", items...)
		h.runOnce()
		return h.rec.since(&read)
	}
	if got := publish(10, "Aleppo evening", at(1, 21, 59)); len(got) != 1 || got[0].Digest != nil {
		t.Fatalf("before quiet hours: %v, want one alert at once", got)
	}
	if got := publish(11, "Aleppo late", at(1, 22, 0)); len(got) != 0 {
		t.Fatalf("at 22:00: %v, want it held", got)
	}
	if got := publish(12, "Aleppo night", at(2, 3, 0)); len(got) != 0 {
		t.Fatalf("at 03:00: %v, want it held", got)
	}
	h.clock = at(2, 6, 59)
	h.runOnce()
	if got := h.rec.since(&read); len(got) != 0 {
		t.Fatalf("at 06:59: %v, want nothing yet", got)
	}
	h.clock = at(2, 7, 0)
	h.runOnce()
	got := h.rec.since(&read)
	if len(got) != 1 || got[0].Digest == nil || got[0].Digest.Kind != alert.KindQuiet {
		t.Fatalf("at 07:00: %v, want one quiet-hours digest", got)
	}
	if titles := messageTitles(got[0]); !slices.Equal(titles, []string{"Aleppo night", "Aleppo late"}) {
		t.Errorf("quiet-hours digest lists %q, want the night's two, newest first", titles)
	}
	if got, want := got[0].Digest.Title, "Quiet hours 22:00–07:00: aleppo — 2 stories"; got != want {
		t.Errorf("title %q, want %q", got, want)
	}
	if got := publish(13, "Aleppo morning", at(2, 7, 1)); len(got) != 1 || got[0].Digest != nil {
		t.Errorf("after quiet hours: %v, want one alert at once", got)
	}
}

// max_per_hour: beyond N alerts in a clock hour the rest wait for one
// "also matched" digest at the end of the hour; the count survives a
// restart (it comes from the outbox) and the log says so once.
func TestMaxPerHourCaps(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: config.Delivery{MaxPerHour: 2}})
	h.clock = time.Date(2026, 12, 2, 9, 50, 0, 0, time.UTC)
	h.afterFirstSight()
	read := 0
	var items []testItem
	for i := range 5 {
		items = append(items, item(10+i, fmt.Sprintf("Aleppo update %d", i), h.clock))
	}
	h.clock = time.Date(2026, 12, 2, 10, 5, 0, 0, time.UTC)
	h.write("wire.xml", items...)
	var logs bytes.Buffer
	h.runOnceLogging(&logs)
	got := h.rec.since(&read)
	var titles []string
	for _, m := range got {
		if m.Digest != nil {
			t.Fatalf("a digest before the end of the hour: %v", m)
		}
		titles = append(titles, messageTitles(m)...)
	}
	if len(titles) != 2 {
		t.Fatalf("sent at once %q, want the first 2", titles)
	}
	if n := strings.Count(logs.String(), "max_per_hour reached"); n != 1 {
		t.Errorf("the log says max_per_hour reached %d times, want once:\n%s", n, logs.String())
	}

	// A restart (a new run) within the hour: the count comes from the outbox.
	h.clock = time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC)
	items = append(items, item(20, "Aleppo update 5", h.clock))
	h.write("wire.xml", items...)
	h.runOnce()
	h.clock = time.Date(2026, 12, 2, 10, 59, 59, 0, time.UTC)
	h.runOnce()
	if got := h.rec.since(&read); len(got) != 0 {
		t.Fatalf("within the hour after the cap: %v, want nothing", got)
	}
	h.clock = time.Date(2026, 12, 2, 11, 0, 0, 0, time.UTC)
	h.runOnce()
	got = h.rec.since(&read)
	if len(got) != 1 || got[0].Digest == nil || got[0].Digest.Kind != alert.KindCapped || len(got[0].Alerts) != 4 {
		t.Fatalf("at 11:00: %v, want one \"also matched\" digest of 4", got)
	}
	if got, want := got[0].Digest.Title, "Also matched: aleppo — 4 more stories since 10:00"; got != want {
		t.Errorf("title %q, want %q", got, want)
	}
	// A new hour: the cap starts again.
	items = append(items, item(21, "Aleppo update 6", h.clock))
	h.write("wire.xml", items...)
	h.runOnce()
	if got := h.rec.since(&read); len(got) != 1 || got[0].Digest != nil {
		t.Errorf("in the next hour: %v, want one alert at once", got)
	}
}

// The process is down at the digest time: the digest goes out when it
// starts, once. A send whose outcome was lost is retried as the same
// message (the same nonce and stories), not as a second digest.
func TestMissedDigestSendsOnStartOnce(t *testing.T) {
	daily := config.Delivery{Mode: config.Digest, At: []config.ClockTime{{Hour: 8}}, Location: time.UTC}
	h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: daily})
	h.clock = time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	h.afterFirstSight()
	var items []testItem
	for i := range 130 { // more than a burst and a page (100) of the outbox hold
		items = append(items, item(10+i, fmt.Sprintf("Aleppo story %d", i), h.clock))
	}
	h.write("wire.xml", items...)
	h.runOnce()
	read := 0
	if got := h.rec.since(&read); len(got) != 0 {
		t.Fatalf("before 08:00: %v", got)
	}
	// Down from 07:00 to 09:30; on start the send fails as if the answer
	// was lost.
	h.clock = time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)
	h.rec.fail = []error{errors.New("connection reset")}
	h.runOnce()
	if got := h.rec.since(&read); len(got) != 0 {
		t.Fatalf("the failed attempt delivered %v", got)
	}
	h.clock = h.clock.Add(time.Minute)
	h.runOnce()
	h.clock = h.clock.Add(time.Minute)
	h.runOnce()
	got := h.rec.since(&read)
	if len(got) != 1 || got[0].Digest == nil || len(got[0].Alerts) != 130 {
		t.Fatalf("after the restart: %d messages, want one digest of 130", len(got))
	}
	if !strings.HasSuffix(got[0].Nonce, "d") {
		t.Errorf("nonce %q, want a digest batch", got[0].Nonce)
	}
}

// runOnceLogging is runOnce with the service's log written to w.
func (h *harness) runOnceLogging(w *bytes.Buffer) {
	h.t.Helper()
	svc, st := h.openLogging(w)
	defer st.Close()
	if _, err := svc.RunOnce(context.Background()); err != nil {
		h.t.Fatalf("RunOnce: %v", err)
	}
}

// openLogging is open with the service's log written to w.
func (h *harness) openLogging(w io.Writer) (*Service, store.Store) {
	h.t.Helper()
	st := h.sqlite(h.t)
	svc, err := New(context.Background(), h.options(st, h.rec, w))
	if err != nil {
		st.Close()
		h.t.Fatal(err)
	}
	return svc, st
}

// digestRefuser refuses (a 400) every message that carries the alert
// titled bad, as a destination refuses one malformed alert.
type digestRefuser struct {
	recorder
	bad string
}

func (r *digestRefuser) Send(ctx context.Context, m notify.Message) (notify.Receipt, error) {
	if slices.Contains(messageTitles(m), r.bad) {
		return notify.Receipt{}, fmt.Errorf("HTTP 400: invalid form body: %w", notify.ErrRejected)
	}
	return r.recorder.Send(ctx, m)
}

// TestRefusedDigestIsNotAFlood: a capped subscription's "also matched"
// digest that the destination refuses (one of its alerts is malformed)
// is tried again in halves, each a digest, until the bad alert is alone
// and dropped; the others go out in a few digests, not one message each,
// which would be the flood max_per_hour held back.
func TestRefusedDigestIsNotAFlood(t *testing.T) {
	for _, n := range []int{2, 5, 16} {
		t.Run(fmt.Sprintf("%d held", n), func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo", Delivery: config.Delivery{MaxPerHour: 1}})
			h.clock = time.Date(2026, 12, 2, 9, 50, 0, 0, time.UTC)
			h.afterFirstSight()
			var items []testItem
			for i := range n + 1 {
				items = append(items, item(10+i, fmt.Sprintf("Aleppo update %d", i), h.clock))
			}
			h.clock = time.Date(2026, 12, 2, 10, 5, 0, 0, time.UTC)
			h.write("wire.xml", items...)
			h.runOnce() // update 0 goes out; the rest wait for 11:00
			bad := fmt.Sprintf("Aleppo update %d", n/2+1)
			ref := &digestRefuser{bad: bad}
			ref.msgs = slices.Clone(h.rec.msgs)
			read := len(ref.msgs)
			h.clock = time.Date(2026, 12, 2, 11, 0, 0, 0, time.UTC)
			svc, closeStore := h.openWith(ref)
			defer closeStore()
			if _, err := svc.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			got := ref.since(&read)
			var titles []string
			for _, m := range got {
				if m.Digest == nil {
					t.Errorf("a message that is no digest: %q", messageTitles(m))
				}
				titles = append(titles, messageTitles(m)...)
			}
			var want []string
			for i := 1; i <= n; i++ {
				if title := fmt.Sprintf("Aleppo update %d", i); title != bad {
					want = append(want, title)
				}
			}
			if !sameSet(titles, want) {
				t.Errorf("delivered %q, want %q (all but the refused %q)", titles, want, bad)
			}
			if limit := bits.Len(uint(n)); len(got) > limit { // a digest per level of halving at most
				t.Errorf("%d messages for %d held alerts, want at most %d digests", len(got), n, limit)
			}
		})
	}
}
