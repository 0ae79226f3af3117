package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/internal/statelog"
	"github.com/newshound/newshound/store"
)

// This file follows a reload, or a restart, that changes when a
// subscription's alerts go out (its mode, schedule, time zone or quiet
// hours): what it holds for a digest is held as the new delivery would
// have held it, so an operator who moves a digest, shortens quiet hours
// or switches to instant sees what waits follow. A restart has no config
// before it to compare with: the delivery held alerts were planned under
// is written down with them (store.ReplanDigests' planned deliveries).

// heldReplans re-plans held alerts for their subscriptions' new delivery
// at a reload or a start, and, when that fails (another instance holds the stories
// lease past lockStories' budget, a store failure), again until it is
// made: at the poll loop's turns, backed off, and at the next reload, so
// that nothing waits for the old time for good.
type heldReplans struct {
	store   store.Store
	commits *commitLock
	live    *live
	now     func() time.Time
	poke    func() // the sender: what moved may be due
	log     *slog.Logger
	errs    *statelog.Log

	// retryAt is owed's next retry time (Unix ns; 0: nothing owed), read
	// by the poll loop without waiting for a re-plan in progress.
	retryAt atomic.Int64
	// retrying is set while a retry the poll loop started runs.
	retrying atomic.Bool

	// running is held by a re-plan; the poll loop's retry does not wait
	// for it. It guards the fields below.
	running sync.Mutex
	owed    map[string][]*alert.Subscription // by id: the deliveries its held alerts may follow; non-nil: a re-plan is owed
	planned map[string]string                // the config subscriptions' deliveries as last found or written down in the store
	started bool                             // atStart was made
	next    time.Time                        // the retry's earliest time
	wait    time.Duration                    // the retry's back-off
}

// afterReload re-plans, in one transaction, the held alerts of each
// config subscription of next whose timing differs from prev's, from
// what a re-plan that failed left them at, or from the delivery written
// down with them. A subscription next lacks keeps its alerts as they were
// held. A failure leaves those alerts at their old times for the moment,
// which loses nothing. It returns how many alerts moved: made again over
// what it made (another instance reloading the same config), none.
func (r *heldReplans) afterReload(ctx context.Context, prev, next *alert.Catalog) int {
	r.running.Lock()
	defer r.running.Unlock()
	subs := map[string]retimed{}
	for _, id := range next.SubscriptionIDs() {
		sub, _ := next.Subscription(id)
		if old, ok := prev.Subscription(id); ok {
			subs[id] = retimed{was: []*alert.Subscription{old}, is: sub}
		}
	}
	return r.replanOwed(ctx, subs, next)
}

// atStart re-plans, at the service's first run, the held alerts of each
// config subscription whose delivery differs from the one they were
// planned under, written down in the store (a restart with a changed
// config, or one before a re-plan owed was made). A failure owes it, as a
// reload's. Nothing is written down for the alerts of a database older
// than that: they are taken as planned under the delivery now.
func (r *heldReplans) atStart(ctx context.Context) {
	r.running.Lock()
	defer r.running.Unlock()
	if !r.started {
		r.started = true
		r.replanOwed(ctx, map[string]retimed{}, r.live.catalog())
	}
}

// retry makes the re-plan a failure left, once its back-off has passed,
// for the subscriptions as they are now; not while a reload re-plans.
func (r *heldReplans) retry(ctx context.Context) {
	if !r.running.TryLock() {
		return
	}
	defer r.running.Unlock()
	if r.owed != nil && !r.now().Before(r.next) {
		r.replanOwed(ctx, map[string]retimed{}, r.live.catalog())
	}
}

// retryBehind starts retry on a goroutine of wg once it is due, unless
// one runs: a retry may wait lockStories' budget (39 s) for the stories
// lease, and the poll loop, which starts the polls that fall due
// meanwhile, must not wait with it.
func (r *heldReplans) retryBehind(ctx context.Context, wg *sync.WaitGroup) {
	at := r.retryAt.Load()
	if at == 0 || r.now().UnixNano() < at || !r.retrying.CompareAndSwap(false, true) {
		return
	}
	wg.Go(func() {
		defer r.retrying.Store(false)
		r.retry(ctx)
	})
}

// replanOwed re-plans subs, and what is owed, for cat, of those whose
// timing changed; a failure owes them, backed off. The caller holds
// running.
func (r *heldReplans) replanOwed(ctx context.Context, subs map[string]retimed, cat *alert.Catalog) int {
	for id, was := range r.owed {
		if sub, ok := cat.Subscription(id); ok {
			// Its alerts still follow was, and a reload's prev held
			// those committed since.
			subs[id] = retimed{was: heldBy(was, subs[id].was...), is: sub}
		}
	}
	maps.DeleteFunc(subs, func(_ string, t retimed) bool { return !t.moved() })
	if len(subs) > 0 {
		return r.replanMade(ctx, subs, cat)
	}
	settled, err := r.settled(ctx, cat)
	switch {
	case err != nil:
		r.failed(ctx, subs, err)
		return 0
	case !settled:
		return r.replanMade(ctx, subs, cat)
	}
	// Else the next failure, in the same state, would not be logged. An
	// empty owed is a failure that named no subscription: a start's, or
	// a read or write of the deliveries.
	if len(r.owed) > 0 {
		r.errs.OK("replan", "held alerts owed a re-plan need none now: their subscriptions were removed or given back the delivery they were held by")
	} else {
		r.errs.OK("replan", "re-planning held alerts works again", "alerts", 0)
	}
	r.paid()
	return 0
}

// replanMade makes replanOwed's re-plan under the stories lease.
func (r *heldReplans) replanMade(ctx context.Context, subs map[string]retimed, cat *alert.Catalog) int {
	n, replanned, err := r.replanLocked(ctx, subs, cat)
	if err != nil {
		// What is written down is owed too: a reload before the retry
		// re-plans its subscriptions from its catalog before, and a
		// note would replace what is written down.
		r.failed(ctx, withPlanned(subs, r.planned, cat), err)
		return 0
	}
	r.paid()
	r.errs.OK("replan", "re-planning held alerts works again", "alerts", n)
	if n > 0 {
		r.log.Info("alerts held for a digest re-planned for their subscription's new delivery", "subscriptions", replanned, "alerts", n)
		r.poke()
	}
	return n
}

// failed owes subs, and logs err once per state, but a shutdown's.
func (r *heldReplans) failed(ctx context.Context, subs map[string]retimed, err error) {
	r.owe(ctx, subs)
	if ctx.Err() != nil {
		return // cut short by the shutdown: no failure of the store's
	}
	// By cause: a give-up on the stories lease is one failure whoever
	// holds it, named or not (commitLock.gaveUp); a store's, its answer.
	r.errs.FailByCause("replan", "re-planning held alerts for their subscription's new delivery failed: they keep the time they were held for until a retry, backed off up to a minute, or the next reload makes it", err, "subscriptions", len(subs))
}

// settled reports whether each config subscription of cat has its
// delivery written down as cat has it, once one written down nowhere
// (new, or of a database from before deliveries were) is, which moves
// nothing, and one of a subscription cat lacks is deleted (changedPlans):
// then nothing needs re-planning, nor the stories lease a
// re-plan waits for (39 s while another instance holds it), which every
// start and `run --once` would take. It reads the store the first time,
// then what this service last found or wrote there.
func (r *heldReplans) settled(ctx context.Context, cat *alert.Catalog) (bool, error) {
	if r.planned == nil {
		stored, err := r.store.PlannedDeliveries(ctx)
		if err != nil {
			return false, err
		}
		r.planned = stored
	}
	changes := changedPlans(r.planned, plannedOf(cat))
	for id, text := range changes {
		if _, had := r.planned[id]; had && text != "" {
			return false, nil
		}
	}
	if len(changes) > 0 {
		if err := r.store.AddPlannedDeliveries(ctx, changes); err != nil {
			return false, err
		}
		for id, text := range changes {
			r.planned[id] = text
		}
		maps.DeleteFunc(r.planned, func(_, text string) bool { return text == "" })
	}
	return true, nil
}

// owe keeps subs for a retry, each with the deliveries its alerts may
// follow: those before, and its delivery now, which holds what is
// committed until the retry; and the deliveries to write down (owed even
// with no subs). Those of more than one delivery are written down as
// such, so that a start before the retry reads them all (noteOwed).
func (r *heldReplans) owe(ctx context.Context, subs map[string]retimed) {
	r.owed = make(map[string][]*alert.Subscription, len(subs))
	for id, t := range subs {
		r.owed[id] = heldBy(t.was, t.is)
	}
	r.noteOwed(ctx)
	r.wait = min(max(2*r.wait, time.Second), time.Minute)
	r.next = r.now().Add(r.wait)
	r.retryAt.Store(r.next.UnixNano())
}

// noteOwed writes down, for each config subscription owed more than one
// delivery, all of them, replacing the one written down, which a start
// would take as the only one its held alerts follow. A failure is not
// logged: the store that failed the re-plan fails this too, and the
// re-plan's failure is, and its retry writes down the delivery it makes.
// It is written even when a shutdown cut the re-plan short: the start
// after the stop has nothing else to read them by.
func (r *heldReplans) noteOwed(ctx context.Context) {
	notes := map[string]string{}
	for id, was := range r.owed {
		if len(was) > 1 && isConfigSub(id) {
			notes[id] = deliveriesText(was)
		}
	}
	if len(notes) == 0 {
		return
	}
	ctx, cancel := recordCtx(ctx)
	defer cancel()
	if r.store.NotePlannedDeliveries(ctx, notes) != nil {
		return
	}
	if r.planned != nil {
		maps.Copy(r.planned, notes)
	}
}

// paid ends what owe kept: nothing is owed, and the back-off starts
// afresh at the next failure.
func (r *heldReplans) paid() {
	r.owed, r.wait = nil, 0
	r.retryAt.Store(0)
}

// replanLocked moves the held alerts of subs under the lock digests are
// formed and holds committed in (on every instance sharing the store): no
// digest of these alerts is being formed while they move.
// With them, each config subscription of cat gets its delivery written
// down, and one whose held alerts were planned under another, as written
// down, not in subs, is re-planned too. It returns how many alerts moved
// and the subscriptions re-planned.
func (r *heldReplans) replanLocked(ctx context.Context, subs map[string]retimed, cat *alert.Catalog) (moved, replanned int, err error) {
	unlock, err := r.commits.lockHoldsAll(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer unlock()
	now := r.now()
	want := plannedOf(cat)
	moved, err = r.store.ReplanDigests(ctx, func(held []store.Alert, planned map[string]string) ([]store.Alert, map[string]string) {
		all := withPlanned(subs, planned, cat)
		replanned = len(all)
		return replan(all, held, now), changedPlans(planned, want)
	})
	if err == nil {
		r.planned = want
	}
	return moved, replanned, err
}

// withPlanned adds to subs, into a copy (a transaction may be tried
// again), each config subscription of cat whose held alerts were planned,
// as planned writes down, under a delivery of another timing (or under
// several, written down while a re-plan was owed: noteOwed). One subs
// has keeps the delivery it names: its held alerts follow it, those this
// instance committed meanwhile too. One written down in words this
// version cannot read, or not at all, is taken as planned under its
// delivery now: it moves nothing, as before deliveries were written down.
func withPlanned(subs map[string]retimed, planned map[string]string, cat *alert.Catalog) map[string]retimed {
	all := maps.Clone(subs)
	for id, text := range planned {
		sub, ok := cat.Subscription(id)
		if _, has := all[id]; has || !ok || !isConfigSub(id) {
			continue
		}
		ds, err := parsePlanned(text)
		if err != nil {
			continue
		}
		t := retimed{is: sub}
		for _, d := range ds {
			was := *sub
			was.Delivery = d
			t.was = append(t.was, &was)
		}
		if t.moved() {
			all[id] = t
		}
	}
	return all
}

// changedPlans is what of want planned does not hold yet, and "" for
// each config subscription planned holds and want lacks: removed, what is
// written down of it goes, or one added back with another delivery would
// be read as changed, and re-planned under the stories lease.
func changedPlans(planned, want map[string]string) map[string]string {
	out := map[string]string{}
	for id, text := range want {
		if planned[id] != text {
			out[id] = text
		}
	}
	for id := range planned {
		if _, ok := want[id]; !ok && isConfigSub(id) {
			out[id] = ""
		}
	}
	return out
}

// plannedOf is the delivery of each config subscription of cat, written
// down. A watch's has no hold, and is not.
func plannedOf(cat *alert.Catalog) map[string]string {
	out := map[string]string{}
	for _, id := range cat.SubscriptionIDs() {
		if sub, _ := cat.Subscription(id); isConfigSub(id) {
			out[id] = deliveryText(sub.Delivery)
		}
	}
	return out
}

func isConfigSub(id string) bool { return strings.HasPrefix(id, configSubID("")) }

// writtenDelivery is a delivery as the store keeps it with the alerts it
// held: JSON, its zone by name.
type writtenDelivery struct {
	Digest     *alert.DigestSchedule `json:"digest,omitempty"`
	Quiet      *alert.QuietHours     `json:"quiet,omitempty"`
	MaxPerHour int                   `json:"max_per_hour,omitempty"`
	Zone       string                `json:"zone"`
}

func deliveryText(d alert.Delivery) string {
	b, err := json.Marshal(writtenDelivery{Digest: d.Digest, Quiet: d.Quiet, MaxPerHour: d.MaxPerHour, Zone: d.ZoneName()})
	if err != nil {
		panic(err) // plain values: cannot fail
	}
	return string(b)
}

// deliveriesText writes down the deliveries of subs, all of which a
// subscription's held alerts may follow (a re-plan owed): a list of them.
func deliveriesText(subs []*alert.Subscription) string {
	texts := make([]string, len(subs))
	for i, s := range subs {
		texts[i] = deliveryText(s.Delivery)
	}
	return "[" + strings.Join(texts, ",") + "]"
}

// parsePlanned reads what deliveryText or deliveriesText wrote.
func parsePlanned(text string) ([]alert.Delivery, error) {
	var ws []writtenDelivery
	if !strings.HasPrefix(text, "[") {
		ws = make([]writtenDelivery, 1)
		if err := json.Unmarshal([]byte(text), &ws[0]); err != nil {
			return nil, err
		}
	} else if err := json.Unmarshal([]byte(text), &ws); err != nil {
		return nil, err
	}
	out := make([]alert.Delivery, len(ws))
	for i, w := range ws {
		loc, err := time.LoadLocation(w.Zone)
		if err != nil {
			return nil, err
		}
		out[i] = alert.Delivery{Digest: w.Digest, Quiet: w.Quiet, MaxPerHour: w.MaxPerHour, Location: loc}
	}
	return out, nil
}

// replan gives each alert of held in a digest of one of subs the digest
// and release time its delivery would have given it when it was held.
// Those it would have sent at once, or by now (a schedule moved to slots
// passed), go out now, in one digest a subscription (the earliest they
// were in), not one message each nor one digest a slot passed. A join
// held in its story's first report's digest follows that report.
func replan(subs map[string]retimed, held []store.Alert, now time.Time) []store.Alert {
	var out, joins []store.Alert
	atOnce := map[string][]store.Alert{}
	leads := storyLeads(held)
	for _, a := range held {
		k, err := alert.ParseDigestKey(a.Digest)
		t, ok := subs[k.Subscription]
		if err != nil || !ok {
			continue
		}
		if _, ok := leads[leadKeyOf(a)]; ok && a.Joins {
			joins = append(joins, a)
			continue
		}
		sub := t.is
		at := heldAt(a, k)
		r := sub.Delivery.Release(sub.ID, at, t.sentBefore(a, k, at))
		if !r.Held() || !r.Key.Until.After(now) {
			atOnce[sub.ID] = append(atOnce[sub.ID], a)
			continue
		}
		a.Digest, a.HoldUntil = r.Key.String(), r.Key.Until
		out = append(out, a)
	}
	for _, rows := range atOnce {
		out = append(out, releaseNow(rows, now)...)
	}
	return append(out, followLeads(joins, leads, out)...)
}

// leadKey names a story's first report held in a digest: a join held in
// the same digest (the sender puts one there, or the schedule held it for
// the same time) is listed under it, and goes where it goes.
type leadKey struct{ dest, story, digest string }

func leadKeyOf(a store.Alert) leadKey { return leadKey{a.Destination, a.Story, a.Digest} }

// storyLeads maps each story's first report in a digest of held (the
// lowest id, of those that are no join) to its id.
func storyLeads(held []store.Alert) map[leadKey]int64 {
	leads := map[leadKey]int64{}
	for _, a := range held {
		if _, ok := leads[leadKeyOf(a)]; !ok && !a.Joins && a.Story != "" {
			leads[leadKeyOf(a)] = a.ID
		}
	}
	return leads
}

// followLeads gives each of joins the digest and release time of its
// story's first report as planned, found in planned by its id.
func followLeads(joins []store.Alert, leads map[leadKey]int64, planned []store.Alert) []store.Alert {
	byID := make(map[int64]store.Alert, len(planned))
	for _, a := range planned {
		byID[a.ID] = a
	}
	var out []store.Alert
	for _, j := range joins {
		if lead, ok := byID[leads[leadKeyOf(j)]]; ok {
			j.Digest, j.HoldUntil = lead.Digest, lead.HoldUntil
			out = append(out, j)
		}
	}
	return out
}

// releaseNow puts rows in one digest, the earliest of theirs, due now.
// Made again, it keeps that digest and time: nothing moves.
func releaseNow(rows []store.Alert, now time.Time) []store.Alert {
	first := slices.MinFunc(rows, func(a, b store.Alert) int {
		return cmp.Or(a.HoldUntil.Compare(b.HoldUntil), cmp.Compare(a.Digest, b.Digest))
	})
	for i := range rows {
		rows[i].Digest = first.Digest
		if rows[i].HoldUntil.After(now) {
			rows[i].HoldUntil = now
		}
	}
	return rows
}

// retimed is a subscription whose timing a reload or a restart changed:
// was, each delivery its held alerts may have been held by (before the
// reload, or as written down with them; with a re-plan owed, each one
// live since the last re-plan made, as rows committed meanwhile were held
// by the one live then, or by is), and is, the delivery now.
type retimed struct {
	was []*alert.Subscription
	is  *alert.Subscription
}

// moved reports whether a delivery of was holds for other digests than is.
func (t retimed) moved() bool {
	return slices.ContainsFunc(t.was, func(w *alert.Subscription) bool { return !w.Delivery.SameTiming(t.is.Delivery) })
}

// heldBy is was with each of more that holds anything and is not in it
// yet: a delivery that holds nothing left no row to read by it, and a
// reload back to the delivery before it moves nothing.
func heldBy(was []*alert.Subscription, more ...*alert.Subscription) []*alert.Subscription {
	out := slices.Clone(was)
	for _, m := range more {
		d := m.Delivery
		if d.MayHold() && !slices.ContainsFunc(out, func(w *alert.Subscription) bool { return deliveryText(w.Delivery) == deliveryText(d) }) {
			out = append(out, m)
		}
	}
	return out
}

// sentBefore is the count of the hour that held a, of digest k, as far as
// it is known: reached for a row max_per_hour held, whether in its "also
// matched" digest or in the quiet hours' that digest fell in (capPushed);
// none for any other. Kept reached, the cap holds it again unless the
// reload lifted the cap: neither quiet hours moved nor a schedule sends it
// past the cap.
func (t retimed) sentBefore(a store.Alert, k alert.DigestKey, at time.Time) int {
	pushed := func(s *alert.Subscription) bool { return capPushed(s, a, at) }
	if k.Kind == alert.KindCapped || k.Kind == alert.KindQuiet && (pushed(t.is) || slices.ContainsFunc(t.was, pushed)) {
		return math.MaxInt
	}
	return 0
}

// capPushed reports whether sub's delivery holds a, held at at, in
// the digest it is in only by its cap: with no count it would not have
// held it. Any delivery may have held it: one of was, or is for a row
// committed after the reload while its re-plan was owed, or on another
// instance that reloaded first.
func capPushed(sub *alert.Subscription, a store.Alert, at time.Time) bool {
	d := sub.Delivery
	return d.MaxPerHour > 0 && !d.Release(sub.ID, at, 0).Held() &&
		d.Release(sub.ID, at, math.MaxInt).Key.String() == a.Digest
}

// heldAt is when a's hold, of digest k, was decided, as far as its row
// tells: a join the sender held as a message of its own (its story's
// message gone) when it did, which may be hours after it was found;
// else when it was enqueued, moments after the poll decided, which may
// fall past the end of the hour, or quiet hours, whose digest k is. A
// hold is decided before the release it names, unless a re-plan released
// it now.
func heldAt(a store.Alert, k alert.DigestKey) time.Time {
	at := latest(a.EnqueuedAt, a.SentAloneAt)
	if a.HoldUntil.Equal(k.Until) && !at.Before(k.Until) {
		return k.Until.Add(-time.Nanosecond)
	}
	return at
}
