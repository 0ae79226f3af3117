package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/store"
)

// This file puts a story's further reports and updates (joins: outbox rows
// with Joins set) under the story's first message, by editing it. A join
// that cannot go there (its story's message was dropped or deleted, went
// out in a digest, the story's first alert never came, the destination
// cannot edit) is posted as a message of its own: a report grouped into
// the wrong story, or one whose story is gone, is still seen. The first
// such report leads the story from then on (StoryLeads), so a story whose
// message is gone gets one more message, not one per report, also after a
// restart, which forgets which messages are gone: a refused edit's joins
// are placed again under the story's next lead (placeRefused). A join
// never goes out before its story's first alert, and one whose first
// alert max_per_hour (or a digest) holds goes in that digest with it, so
// it never goes past the cap.

// editGap is the least time between two edits of one message: Discord
// allows about five edits per five seconds in a channel, and a story that
// draws sixty reports in a minute is better edited a dozen times than
// sixty. The sender's field editGap is this unless a test sets another.
const editGap = 5 * time.Second

// leadGrace is how long a join waits for its story's first alert to be
// committed (two polls racing) before it is posted alone; leadPoll is how
// often it looks again for a story's first alert that is not out yet. A
// join whose story's first report was committed with no alert (refused as
// a duplicate) does not wait: that alert never comes (openerCommitted).
const (
	leadGrace = 30 * time.Second
	leadPoll  = 2 * time.Second
)

// leadGrace is how long a join waits for its story's first alert to be
// committed. When this process polls no more (run --once, after its
// polls) and no other instance shares the store, a first alert not
// committed by now never will be: the join does not wait.
func (s *sender) leadGrace() time.Duration {
	if s.pollsOver.Load() && !s.leases.shared() {
		return 0
	}
	return leadGrace
}

// splitJoins sets apart the joins not yet decided on, and those whose
// edit was tried (a batch "nj…", kept so a retry is the same edit with the
// same nonce). A join that carries a message's batch ("nh…") was decided
// to go alone, and one held in a digest goes in the digest: both are sent
// like any alert.
func splitJoins(rows []store.Alert) (messages, joins []store.Alert) {
	for _, r := range rows {
		if r.Joins && r.Digest == "" && (r.Batch == "" || strings.HasPrefix(r.Batch, editPrefix)) {
			joins = append(joins, r)
		} else {
			messages = append(messages, r)
		}
	}
	return messages, joins
}

// editPrefix starts the batch name of joins whose edit was tried.
const editPrefix = "nj"

// storyEdit is one edit to make: the joins that go under one message.
type storyEdit struct {
	key   string      // the message's id, or "lead:<row>" for a destination without ids
	lead  store.Alert // the first alert of one of the message's stories
	joins []store.Alert
	done  bool // tried, or held back, this pass: takes no more joins
	// formedBefore says the edit was formed before this pass: an earlier
	// attempt may have posted its joins (into a story thread).
	formedBefore bool
	// shown are the message's rows as recallEdit read them this pass
	// (MessageAlerts), for composeEdit; nil when not read.
	shown []store.Alert
}

// editStories places a pass's joins: under their story's message, later
// (the message is not out yet, or was edited less than editGap ago), or
// alone. It returns the error of a wait for the stories lease (goAlone),
// which the pass reports (sender.reportPass); the store's errors it logs.
func (s *sender) editStories(ctx context.Context, dest string, n notify.Notifier, joins []store.Alert, formed map[string]bool) (sendOutcome, error) {
	ed, canEdit := n.(notify.Editor)
	now := s.now()
	var edits []*storyEdit
	var alone []store.Alert
	leads := map[string]leadLookup{} // by story: one query per story and pass
	for _, j := range joins {
		if id, ok := s.takenEarlier([]store.Alert{j}); ok {
			// Shown already; only its record failed.
			s.recordDelivered(ctx, dest, []store.Alert{j}, notify.Receipt{MessageID: id})
			continue
		}
		l, ok := leads[j.Story]
		if !ok {
			l = s.storyLead(ctx, dest, j.Story)
			if errors.Is(l.err, store.ErrNotFound) {
				if gone, err := s.openerCommitted(ctx, j.Story); err != nil {
					l.err = err // a store error: the switch reports it
				} else {
					l.openerGone = gone
				}
			}
			leads[j.Story] = l
		}
		lead, err := l.lead, l.err
		switch {
		case errors.Is(err, store.ErrNotFound) && !l.openerGone && now.Sub(j.EnqueuedAt) < s.leadGrace():
			s.hold(ctx, j, now.Add(leadPoll))
			if s.pollsOver.Load() {
				s.formLater(j.EnqueuedAt.Add(leadGrace)) // run --once waits for it
			}
		case err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, errLeadsGone):
			s.outboxFailed(err)
			return sendStop, nil
		case err == nil && heldForDigest(lead) && j.Batch == "":
			// max_per_hour (or a digest) holds the story's first alert:
			// the join goes in the same digest. Posted alone, or after
			// the digest (no story's message), it would go past the cap.
			s.holdForDigest(ctx, j, lead)
		case !canEdit:
			alone = append(alone, j)
		case err != nil:
			// The story's first alert never came, or its message is gone:
			// this one leads it from now on, and the story's further
			// reports wait for its message (see StoryLeads).
			alone = append(alone, j)
			leads[j.Story] = leadLookup{lead: j, postedNow: true}
		case lead.DeliveredAt.IsZero() && s.pollsOver.Load() && (l.postedNow || dueBy(lead, now)):
			// Its story's message is posted later in this pass (a join
			// posted alone, or a first alert further on in the outbox:
			// a poll that grouped before this report's committed after
			// it): run --once places it under that message in a pass of
			// its own, as Run does leadPoll later. Held, it would wait
			// for a pass the run never makes.
			s.deliverAgain.Store(true)
		case lead.DeliveredAt.IsZero():
			// Not out yet (or its digest's send is being retried).
			s.hold(ctx, j, latest(now.Add(leadPoll), lead.HoldUntil, lead.NextAttempt))
		default:
			edits = addToEdit(edits, lead, j)
		}
	}
	alone, out := s.sendEdits(ctx, dest, ed, edits, alone, now)
	if out != sendNext || len(alone) == 0 {
		return out, nil
	}
	return s.goAlone(ctx, dest, alone, canEdit, formed)
}

// goAlone makes messages of their own of the joins that go alone, those
// that max_per_hour or quiet hours let through. It counts them and gives
// each its batch (postAlone) under commits, as polls count and commit new
// alerts (on every instance of a shared store): counted apart, a poll's
// alert and a report posted alone could each take the hour's last place.
// The pass sends the batches after, outside commits: a post waiting out a
// rate limit holds no poll. Where the destination
// edits, a join goes alone for want of a message to go under, and a poll
// may be committing its story's first report (joinLateOpeners looked for
// a report posted alone before that commit): under commits, the story's
// leads are read again. Waiting for the stories lease another instance
// holds is no failure of the store: its error goes to the pass's report
// (sender.reportPass), as readSettled's and batchDigests' do.
func (s *sender) goAlone(ctx context.Context, dest string, alone []store.Alert, canEdit bool, formed map[string]bool) (sendOutcome, error) {
	if canEdit || s.mayCap(alone) {
		unlock, err := s.commits.lockHolds(ctx, dest)
		if err != nil {
			return sendStop, err
		}
		defer unlock()
	}
	now := s.now() // decided now, after the commits waited for
	ok := true
	if canEdit {
		if alone, ok = s.stillLeaderless(ctx, dest, alone, now); !ok {
			return sendStop, nil
		}
	}
	if alone, ok = s.capAlone(ctx, alone, now); !ok {
		return sendStop, nil
	}
	return s.postAlone(ctx, dest, alone, formed, now), nil
}

// stillLeaderless returns the joins of alone whose story still has no
// message they can go under. A story that has one now (its first report
// was committed late, by a poll that found no report of it posted alone)
// takes its join in a later pass, as editStories places it; it reports
// false when the store failed.
func (s *sender) stillLeaderless(ctx context.Context, dest string, alone []store.Alert, now time.Time) ([]store.Alert, bool) {
	out := alone[:0:0]
	for _, j := range alone {
		l := s.storyLead(ctx, dest, j.Story)
		switch {
		case l.err == nil:
			if !s.unbatch(ctx, j, now.Add(leadPoll)) {
				return nil, false
			}
		case errors.Is(l.err, store.ErrNotFound) || errors.Is(l.err, errLeadsGone):
			out = append(out, j)
		default:
			s.outboxFailed(l.err)
			return nil, false
		}
	}
	return out, true
}

// mayCap reports whether the subscription of any of joins has
// max_per_hour or quiet hours.
func (s *sender) mayCap(joins []store.Alert) bool {
	if s.live == nil {
		return false
	}
	cat := s.live.catalog()
	return slices.ContainsFunc(joins, func(j store.Alert) bool {
		sub, ok := cat.Subscription(j.Subscription)
		return ok && (sub.Delivery.MaxPerHour > 0 || sub.Delivery.Quiet != nil)
	})
}

// capAlone holds back the joins that would go alone, as messages of their
// own, past their subscription's max_per_hour or inside its quiet hours
// (a story the cap held, whose digest went out; a story whose message is
// gone): each goes in the digest a new alert of its subscription would go
// in now, and those let through count towards the cap in order, as the
// poller counts new alerts. It returns the joins that go alone, and false
// when the store failed. A join of a refused edit is held like the others:
// going alone, it would have been posted again just the same.
func (s *sender) capAlone(ctx context.Context, alone []store.Alert, now time.Time) ([]store.Alert, bool) {
	if s.live == nil {
		return alone, true
	}
	cat := s.live.catalog()
	sent := map[string]int{} // by subscription: its hour's count so far
	out := alone[:0:0]
	for _, j := range alone {
		sub, ok := cat.Subscription(j.Subscription)
		if !ok || sub.Delivery.MaxPerHour == 0 && sub.Delivery.Quiet == nil {
			out = append(out, j)
			continue
		}
		n, counted := sent[j.Subscription]
		if !counted && sub.Delivery.MaxPerHour > 0 {
			c, err := s.store.CountUnheld(ctx, j.Subscription, sub.Delivery.HourStart(now))
			if err != nil {
				s.outboxFailed(fmt.Errorf("counting max_per_hour: %w", err))
				return nil, false
			}
			n = c
		}
		r := sub.Delivery.Release(sub.ID, now, n)
		if !r.Held() {
			sent[j.Subscription] = n + 1
			out = append(out, j)
			continue
		}
		if j.Batch != "" {
			if err := s.store.AssignBatch(ctx, []int64{j.ID}, ""); err != nil {
				s.outboxFailed(outboxWrite(fmt.Errorf("unbatching a refused edit: %w", err)))
				return nil, false
			}
		}
		if err := s.store.HoldForDigest(ctx, j.ID, r.Key.String(), r.Key.Until, now); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.storeErrs.Fail("hold", "holding a story's report for later failed; retrying", err)
			return nil, false
		}
		s.storeErrs.OK("hold", "holding a story's report for later works again")
		if r.Key.Kind == alert.KindCapped && s.capped != nil {
			s.capped.report(s.log, sub.ID, sub.Delivery.MaxPerHour, sub.Delivery.HourStart(now))
		}
		sent[j.Subscription] = n
	}
	return out, true
}

// sendEdits makes the pass's edits that are due, each only while this
// instance still holds the outbox lease (as sendBatches sends), and
// returns alone with the joins that must go alone after all: those of an
// edit refused (its message is gone) whose story has no other message to
// go under (see placeRefused).
func (s *sender) sendEdits(ctx context.Context, dest string, ed notify.Editor, edits []*storyEdit, alone []store.Alert, now time.Time) ([]store.Alert, sendOutcome) {
	for i := 0; i < len(edits); i++ { // placeRefused may add edits
		if !s.leases.holds(outboxLease(dest)) {
			return nil, sendStop // this instance stalled and another may have taken the outbox over
		}
		e := edits[i]
		e.done = true
		refused := e.joins
		if e.lead.MessageID == "" || !s.isDead(dest, e.lead.MessageID) { // else found gone by an earlier edit
			if !s.recallEdit(ctx, dest, e) {
				return nil, sendStop
			}
			if next, ok := s.editDue(dest, e.key, now); !ok {
				for _, j := range e.joins {
					s.hold(ctx, j, next)
				}
				continue
			}
			e.formedBefore = e.joins[0].Batch != ""
			if !s.formEdit(ctx, e) {
				return nil, sendStop
			}
			var out sendOutcome
			out, refused = s.sendEdit(ctx, dest, ed, e)
			s.beat.progress(s.now()) // see sendBatches
			if out != sendNext {
				return nil, out
			}
		}
		var ok bool
		if edits, alone, ok = s.placeRefused(ctx, dest, edits, alone, refused, now); !ok {
			return nil, sendStop
		}
	}
	return alone, sendNext
}

// placeRefused places the joins of an edit the destination refused (their
// message is gone, and marked dead) again, by their story's leads as they
// are now: under the message that leads the story after the dead one (a
// report posted alone earlier, maybe before a restart, which forgot the
// dead message), in an edit of its own with a nonce of its own; held
// while that message is not out yet; alone, one per story, which then
// leads it, when the story has no message left. The story's other joins
// wait for that one's message.
func (s *sender) placeRefused(ctx context.Context, dest string, edits []*storyEdit, alone, refused []store.Alert, now time.Time) ([]*storyEdit, []store.Alert, bool) {
	leads := map[string]leadLookup{}
	for _, j := range refused {
		if slices.ContainsFunc(alone, func(a store.Alert) bool { return a.Story == j.Story }) {
			if !s.unbatch(ctx, j, now.Add(leadPoll)) {
				return nil, nil, false
			}
			continue
		}
		l, ok := leads[j.Story]
		if !ok {
			l = s.storyLead(ctx, dest, j.Story)
			leads[j.Story] = l
		}
		switch {
		case l.err != nil && !errors.Is(l.err, store.ErrNotFound) && !errors.Is(l.err, errLeadsGone):
			s.outboxFailed(l.err)
			return nil, nil, false
		case l.err != nil:
			alone = append(alone, j)
		case l.lead.DeliveredAt.IsZero():
			if !s.unbatch(ctx, j, latest(now.Add(leadPoll), l.lead.HoldUntil, l.lead.NextAttempt)) {
				return nil, nil, false
			}
		default:
			if err := s.store.AssignBatch(ctx, []int64{j.ID}, ""); err != nil {
				s.outboxFailed(outboxWrite(fmt.Errorf("unbatching a refused edit: %w", err)))
				return nil, nil, false
			}
			j.Batch = ""
			edits = addToEdit(edits, l.lead, j)
		}
	}
	return edits, alone, true
}

// unbatch takes a join out of an edit that was refused (so it was not
// shown) and holds it until at: it goes into another message's edit, with
// a nonce of its own.
func (s *sender) unbatch(ctx context.Context, j store.Alert, at time.Time) bool {
	if err := s.store.AssignBatch(ctx, []int64{j.ID}, ""); err != nil {
		s.outboxFailed(outboxWrite(fmt.Errorf("unbatching a refused edit: %w", err)))
		return false
	}
	s.hold(ctx, j, at)
	return true
}

// errLeadsGone says a story has leads but none can take its further
// reports any more (StoryLeads, usableLead).
var errLeadsGone = errors.New("every message of the story is gone")

// leadLookup is the lead of one story, or why it has none now
// (store.ErrNotFound: its first alert is not in the outbox, yet;
// errLeadsGone).
type leadLookup struct {
	lead store.Alert
	err  error
	// postedNow says lead is a join this pass posts alone, to lead its
	// story from now on.
	postedNow bool
	// openerGone says the story has no lead (store.ErrNotFound) and never
	// will: its first report was committed without an alert (see
	// openerCommitted).
	openerGone bool
}

// openerCommitted reports whether the item a story is named after, its
// first report (alert.ItemID: the feed's ID, "/", the item's key), was
// committed: its key is seen in its feed, a feed of the catalog.
// CommitPoll marks an item seen and enqueues its alerts in one
// transaction, so a story with no alert in the outbox whose first report
// was committed never gets one: the commit refused it as a duplicate, and
// the story could not go under the story of the alert holding its key
// (poller.followMoves: published days from that story's reports, that
// alert's subscription does not group, or the move failed). Its further
// reports then need not wait leadGrace for it. A story named otherwise
// (alert.SplitItemID), or after an item of a feed the catalog no longer
// has, or whose key was pruned, is not known to be committed: its reports
// wait.
func (s *sender) openerCommitted(ctx context.Context, story string) (bool, error) {
	if s.live == nil {
		return false, nil
	}
	feedID, key, ok := alert.SplitItemID(story)
	if !ok {
		return false, nil
	}
	f, ok := s.live.catalog().Feed(feedID)
	if !ok {
		return false, nil
	}
	unseen, err := s.store.UnseenKeys(ctx, f.ID, []string{key})
	if err != nil {
		return false, fmt.Errorf("is the first report of story %q committed: %w", story, err)
	}
	return len(unseen) == 0, nil
}

// storyLead returns the alert whose message a story's further reports go
// under: the first of StoryLeads that can still take them.
func (s *sender) storyLead(ctx context.Context, dest, story string) leadLookup {
	leads, err := s.store.StoryLeads(ctx, dest, story)
	if err != nil {
		return leadLookup{err: err}
	}
	for _, l := range leads {
		if s.usableLead(dest, l) {
			return leadLookup{lead: l}
		}
	}
	return leadLookup{err: errLeadsGone}
}

// usableLead reports whether a story's joins may go under l's message: not
// when it was dropped, when its message is gone or refused edits, or when
// it went out in a digest (a digest is no story's message; until it goes
// out, its joins wait for it).
func (s *sender) usableLead(dest string, l store.Alert) bool {
	inDigest := l.Digest != "" && !l.DeliveredAt.IsZero()
	return !l.Dropped && !inDigest && !s.isDead(dest, l.MessageID)
}

// heldForDigest reports whether a story's lead waits for a digest that is
// not formed yet (max_per_hour, quiet hours): its joins can go in it.
func heldForDigest(l store.Alert) bool {
	return l.Digest != "" && l.DeliveredAt.IsZero() && l.Batch == ""
}

// holdForDigest puts a join into the digest its story's lead waits for,
// held until that digest's release: the digest lists it with the story,
// and it counts towards no cap (it is no message of its own). It reports
// whether the store took the hold (or the join is gone meanwhile).
func (s *sender) holdForDigest(ctx context.Context, j, lead store.Alert) bool {
	err := s.store.HoldForDigest(ctx, j.ID, lead.Digest, lead.HoldUntil, time.Time{})
	if err != nil && !errors.Is(err, store.ErrNotFound) { // not found: sent or dropped meanwhile
		s.storeErrs.Fail("hold", "holding a story's report for later failed; retrying", err)
		return false
	}
	s.storeErrs.OK("hold", "holding a story's report for later works again")
	return true
}

// joinDigests puts the new joins whose story's lead waits for a digest
// into that digest before the pass forms its batches, and returns the
// other joins, for editStories. A digest released in this pass then lists
// the joins first seen in it (a cron's run --once at the top of the hour,
// a destination paused across it): placed after the digest was sent, they
// would find their story out in a digest and go alone, past the cap.
func (s *sender) joinDigests(ctx context.Context, dest string, joins []store.Alert) ([]store.Alert, bool) {
	leads := map[string]leadLookup{}
	rest := joins[:0:0]
	for _, j := range joins {
		if _, taken := s.takenEarlier([]store.Alert{j}); taken || j.Batch != "" {
			rest = append(rest, j)
			continue
		}
		l, ok := leads[j.Story]
		if !ok {
			l = s.storyLead(ctx, dest, j.Story)
			leads[j.Story] = l
		}
		if l.err != nil || !heldForDigest(l.lead) {
			rest = append(rest, j) // editStories decides (and reports a store error)
			continue
		}
		if !s.holdForDigest(ctx, j, l.lead) {
			return nil, false
		}
	}
	return rest, true
}

// addToEdit puts a join with the others of its message: the joins of a
// tried edit (one batch) stay together, apart from new ones.
func addToEdit(edits []*storyEdit, lead store.Alert, j store.Alert) []*storyEdit {
	key := lead.MessageID
	if key == "" {
		key = "lead:" + strconv.FormatInt(lead.ID, 10)
	}
	for _, e := range edits {
		if e.key == key && e.joins[0].Batch == j.Batch && !e.done {
			e.joins = append(e.joins, j)
			return edits
		}
	}
	return append(edits, &storyEdit{key: key, lead: lead, joins: []store.Alert{j}})
}

// formEdit gives new joins their edit's batch before the first attempt,
// so that a retry is the same edit with the same nonce (a story thread
// does not get the reports twice).
func (s *sender) formEdit(ctx context.Context, e *storyEdit) bool {
	if e.joins[0].Batch != "" {
		return true
	}
	name := editPrefix + strings.TrimPrefix(batchName(e.joins), "nh")
	ids := make([]int64, len(e.joins))
	for i := range e.joins {
		ids[i] = e.joins[i].ID
		e.joins[i].Batch = name
	}
	if err := s.store.AssignBatch(ctx, ids, name); err != nil {
		s.outboxFailed(outboxWrite(fmt.Errorf("batching an edit: %w", err)))
		return false
	}
	return true
}

func latest(t time.Time, more ...time.Time) time.Time {
	for _, u := range more {
		if u.After(t) {
			t = u
		}
	}
	return t
}

// dueBy reports whether a pass at now sends a, neither held nor waiting
// for a retry.
func dueBy(a store.Alert, now time.Time) bool {
	return !a.HoldUntil.After(now) && !a.NextAttempt.After(now)
}

// hold puts a join back until at.
func (s *sender) hold(ctx context.Context, j store.Alert, at time.Time) {
	if err := s.store.Hold(ctx, []int64{j.ID}, at); err != nil {
		s.storeErrs.Fail("hold", "holding a story's report for later failed; retrying", err)
		return
	}
	s.storeErrs.OK("hold", "holding a story's report for later works again")
}

// editDue reports whether the message may be edited now, and if not when.
// A destination without message ids (the console) shows each edit as new
// lines and is never held back.
func (s *sender) editDue(dest, key string, now time.Time) (time.Time, bool) {
	if strings.HasPrefix(key, "lead:") {
		return now, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.lastEdit[dest+"|"+key].Add(s.editGap)
	return next, !now.Before(next)
}

// recallEdit makes sure editDue knows when e's message was last edited,
// also when this process has not edited it yet (a restart, run --once):
// then the store tells, by the latest delivery of a report into it. On a
// shared store it always asks, since the instances take turns at the
// outbox and another may have edited the message since. It reports false
// when the store failed.
func (s *sender) recallEdit(ctx context.Context, dest string, e *storyEdit) bool {
	if strings.HasPrefix(e.key, "lead:") || e.lead.MessageID == "" {
		return true
	}
	s.mu.Lock()
	_, known := s.lastEdit[dest+"|"+e.key]
	s.mu.Unlock()
	if known && !s.leases.shared() {
		return true
	}
	rows, err := s.store.MessageAlerts(ctx, dest, e.lead.MessageID)
	if err != nil {
		s.outboxFailed(err)
		return false
	}
	e.shown = rows
	var last time.Time // zero: never edited, due now
	for _, r := range rows {
		if r.Joins && !postedAlone(r) && r.DeliveredAt.After(last) {
			last = r.DeliveredAt
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if mine, known := s.lastEdit[dest+"|"+e.key]; !known || last.After(mine) {
		s.lastEdit[dest+"|"+e.key] = last
	}
	return true
}

func (s *sender) edited(dest, key string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.lastEdit) > 4096 { // bounded: only the last editGap matters
		for k, t := range s.lastEdit {
			if at.Sub(t) > s.editGap {
				delete(s.lastEdit, k)
			}
		}
	}
	s.lastEdit[dest+"|"+key] = at
}

// sendEdit edits one message and records its joins delivered into it. It
// returns the joins that must go alone (the message is gone, or the
// destination refused the edit).
func (s *sender) sendEdit(ctx context.Context, dest string, ed notify.Editor, e *storyEdit) (sendOutcome, []store.Alert) {
	edit, err := s.composeEdit(ctx, dest, e)
	if err != nil {
		s.outboxFailed(err)
		return sendStop, nil
	}
	// A first attempt, or a retry whose nonces still catch the earlier
	// posts, needs no look into the story's thread.
	edit.InsideNonceWindow = !e.formedBefore || s.insideNonceWindow(ed, e.joins)
	err = ed.Edit(ctx, edit)
	rec, cancel := recordCtx(ctx)
	defer cancel()
	switch {
	case err == nil:
		s.recovered(dest)
		s.edited(dest, e.key, s.now())
		s.metrics.storyEdits.WithLabelValues(dest).Inc()
		s.metrics.listed.WithLabelValues(dest).Add(float64(len(e.joins)))
		return stopUnless(s.recordDelivered(rec, dest, e.joins, notify.Receipt{MessageID: e.lead.MessageID})), nil
	case ctx.Err() == nil && (errors.Is(err, notify.ErrNoMessage) || errors.Is(err, notify.ErrRejected)):
		s.markDead(dest, e.lead.MessageID)
		s.log.Warn("a story's message cannot be edited; its further reports are posted as messages of their own",
			"destination", dest, "message", e.lead.MessageID, "reports", len(e.joins), "err", err)
		return sendNext, e.joins
	default:
		return s.handleSendError(ctx, rec, dest, e.joins, err), nil
	}
}

// composeEdit is the message as it will stand: the alerts it was posted
// with (a join posted alone that leads its story is one), each with the
// reports and updates listed under it so far, plus the joins of this
// edit. What was shown stays shown: a report a re-split moved into
// another story since it was listed here (takeIntoStory) stays listed
// under the alert it was listed under, named by its payload's story, and
// is not listed under the new story's message (it was never edited in
// there), so it is shown once, where the reader saw it.
func (s *sender) composeEdit(ctx context.Context, dest string, e *storyEdit) (notify.Edit, error) {
	rows := []store.Alert{e.lead}
	switch {
	case e.shown != nil:
		rows = e.shown // read by recallEdit just before
	case e.lead.MessageID != "":
		var err error
		if rows, err = s.store.MessageAlerts(ctx, dest, e.lead.MessageID); err != nil {
			return notify.Edit{}, err
		}
	}
	edit := notify.Edit{MessageID: e.lead.MessageID, Nonce: e.joins[0].Batch}
	byStory := map[string]int{}
	var joined []store.Alert
	for _, r := range rows {
		if r.Joins && r.ID != e.lead.ID && !postedAlone(r) {
			joined = append(joined, r)
			continue
		}
		a, err := alert.Decode(r.Payload)
		if err != nil {
			continue // shown as it was: nothing to add it to
		}
		a.ID = r.ID
		if r.Story != "" {
			byStory[r.Story] = len(edit.Message.Alerts)
		}
		edit.Message.Alerts = append(edit.Message.Alerts, a)
	}
	for i, r := range append(joined, e.joins...) {
		a, err := alert.Decode(r.Payload)
		if err != nil {
			continue
		}
		a.ID = r.ID
		k, ok := byStory[r.Story]
		if !ok && i < len(joined) {
			k, ok = byStory[a.Story] // moved by a re-split since it was listed here
		}
		if ok {
			attach(&edit.Message.Alerts[k], a, r.EnqueuedAt)
		}
		if i >= len(joined) {
			edit.Added = append(edit.Added, notify.Join{Alert: a, Story: k, At: r.EnqueuedAt})
		}
	}
	return edit, nil
}

// postedAlone reports whether a join went out as a message of its own
// (postAlone's batch, a message's "nh…"): in that message it is an alert,
// not a report listed under one.
func postedAlone(r store.Alert) bool {
	return r.Joins && r.Digest == "" && strings.HasPrefix(r.Batch, "nh")
}

// attach lists a join under its story's alert.
func attach(lead *alert.Alert, j alert.Alert, at time.Time) {
	if j.Join == alert.JoinUpdate {
		lead.Updates = append(lead.Updates, alert.Update{At: at, Text: j.Text, Link: j.Link})
		return
	}
	lead.Also = append(lead.Also, alert.Report{Feed: j.Feed, FeedTitle: j.FeedTitle, Title: j.Title, Link: j.Link, Doubtful: j.Doubtful})
}

// isDead reports whether a message was found not to be there (or not
// editable) in this process: its story's further reports go alone without
// asking again.
func (s *sender) isDead(dest, messageID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dead[dest+"|"+messageID]
}

func (s *sender) markDead(dest, messageID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dead[dest+"|"+messageID] = true
}

// postAlone gives each join a batch of its own, so that the pass sends it
// as a message, in order, counted towards max_per_hour from now
// (store.PostAlone). The batches are noted as formed now: no earlier send
// of them can have reached the destination (see findGhost).
func (s *sender) postAlone(ctx context.Context, dest string, joins []store.Alert, formed map[string]bool, now time.Time) sendOutcome {
	ids := make([]int64, 0, len(joins))
	for _, j := range joins {
		name := batchName([]store.Alert{j})
		formed[name] = true
		// Not found: sent or dropped meanwhile, or moved into another
		// story (a merge's or a re-split's moves), where the next pass
		// places it.
		if err := s.store.PostAlone(ctx, j.ID, j.Story, name, now); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.outboxFailed(outboxWrite(fmt.Errorf("batching a report posted alone: %w", err)))
			return sendStop
		}
		ids = append(ids, j.ID)
	}
	s.log.Debug("reports posted as messages of their own", "destination", dest, "ids", ids)
	return sendReread
}
