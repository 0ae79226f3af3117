package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/store"
)

// This file puts a story's further reports and updates (joins: outbox rows
// with Joins set) under the story's first message, by editing it. A join
// that cannot go there (its story's message was dropped or deleted, the
// destination cannot edit, the story's first alert never came) is posted
// as a message of its own: a report grouped into the wrong story, or one
// whose story is gone, is still seen.

// editGap is the least time between two edits of one message: Discord
// allows about five edits per five seconds in a channel, and a story that
// draws sixty reports in a minute is better edited a dozen times than
// sixty. The sender's field editGap is this unless a test sets another.
const editGap = 5 * time.Second

// leadGrace is how long a join waits for its story's first alert to be
// committed (two polls racing) before it is posted alone; leadPoll is how
// often it looks again for a story's first alert that is not out yet.
const (
	leadGrace = 30 * time.Second
	leadPoll  = 2 * time.Second
)

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
}

// editStories places a pass's joins: under their story's message, later
// (the message is not out yet, or was edited less than editGap ago), or
// alone.
func (s *sender) editStories(ctx context.Context, dest string, n notify.Notifier, joins []store.Alert, formed map[string]bool) sendOutcome {
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
			l.lead, l.err = s.store.StoryLead(ctx, dest, j.Story)
			leads[j.Story] = l
		}
		lead, err := l.lead, l.err
		switch {
		case errors.Is(err, store.ErrNotFound) && now.Sub(j.EnqueuedAt) < leadGrace:
			s.hold(ctx, j, now.Add(leadPoll))
		case errors.Is(err, store.ErrNotFound):
			alone = append(alone, j) // the story's first alert never came: this one leads it
		case err != nil:
			s.storeErrs.fail("outbox", "reading the outbox failed; retrying", err)
			return sendStop
		case lead.ID == j.ID, !canEdit, lead.Dropped, lead.Digest != "", s.isDead(dest, lead.MessageID):
			// Nothing to list it under: a message of its own.
			alone = append(alone, j)
		case lead.DeliveredAt.IsZero():
			s.hold(ctx, j, latest(now.Add(leadPoll), lead.HoldUntil, lead.NextAttempt))
		default:
			edits = addToEdit(edits, lead, j)
		}
	}
	for _, e := range edits {
		if next, ok := s.editDue(dest, e.key, now); !ok {
			for _, j := range e.joins {
				s.hold(ctx, j, next)
			}
			continue
		}
		if !s.formEdit(ctx, e) {
			return sendStop
		}
		out, refused := s.sendEdit(ctx, dest, ed, e)
		if out != sendNext {
			return out
		}
		alone = append(alone, refused...)
	}
	if len(alone) == 0 {
		return sendNext
	}
	return s.postAlone(ctx, dest, alone, formed)
}

// leadLookup is the answer of StoryLead for one story.
type leadLookup struct {
	lead store.Alert
	err  error
}

// addToEdit puts a join with the others of its message: the joins of a
// tried edit (one batch) stay together, apart from new ones.
func addToEdit(edits []*storyEdit, lead store.Alert, j store.Alert) []*storyEdit {
	key := lead.MessageID
	if key == "" {
		key = "lead:" + strconv.FormatInt(lead.ID, 10)
	}
	for _, e := range edits {
		if e.key == key && e.joins[0].Batch == j.Batch {
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
		s.storeErrs.fail("outbox", "reading the outbox failed; retrying", fmt.Errorf("batching an edit: %w", err))
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

// hold puts a join back until at.
func (s *sender) hold(ctx context.Context, j store.Alert, at time.Time) {
	if err := s.store.Hold(ctx, []int64{j.ID}, at); err != nil {
		s.storeErrs.fail("hold", "holding a story's report for later failed; retrying", err)
		return
	}
	s.storeErrs.ok("hold", "holding a story's report for later works again")
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
	rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	edit, err := s.composeEdit(ctx, dest, e)
	if err != nil {
		s.storeErrs.fail("outbox", "reading the outbox failed; retrying", err)
		return sendStop, nil
	}
	err = ed.Edit(ctx, edit)
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
// with, each with the reports and updates of its story so far, plus the
// joins of this edit.
func (s *sender) composeEdit(ctx context.Context, dest string, e *storyEdit) (notify.Edit, error) {
	rows := []store.Alert{e.lead}
	if e.lead.MessageID != "" {
		var err error
		if rows, err = s.store.MessageAlerts(ctx, dest, e.lead.MessageID); err != nil {
			return notify.Edit{}, err
		}
	}
	edit := notify.Edit{MessageID: e.lead.MessageID, Nonce: e.joins[0].Batch}
	byStory := map[string]int{}
	var joined []store.Alert
	for _, r := range rows {
		if r.Joins {
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
		if ok {
			attach(&edit.Message.Alerts[k], a, r.EnqueuedAt)
		}
		if i >= len(joined) {
			edit.Added = append(edit.Added, notify.Join{Alert: a, Story: k, At: r.EnqueuedAt})
		}
	}
	return edit, nil
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
// as a message, in order. The batches are noted as formed now: no earlier
// send of them can have reached the destination (see findGhost).
func (s *sender) postAlone(ctx context.Context, dest string, joins []store.Alert, formed map[string]bool) sendOutcome {
	ids := make([]int64, 0, len(joins))
	for _, j := range joins {
		name := batchName([]store.Alert{j})
		formed[name] = true
		if err := s.store.AssignBatch(ctx, []int64{j.ID}, name); err != nil {
			s.storeErrs.fail("outbox", "reading the outbox failed; retrying", fmt.Errorf("batching a report posted alone: %w", err))
			return sendStop
		}
		ids = append(ids, j.ID)
	}
	s.log.Debug("reports posted as messages of their own", "destination", dest, "ids", ids)
	return sendReread
}
