package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/store"
)

// sender delivers the outbox: each destination's pending alerts in order,
// destinations in parallel, through their notifiers, recording each
// outcome (delivered, retry later, dropped, destination paused).
type sender struct {
	store     store.Store
	notifiers map[string]notify.Notifier // by destination name
	// channel returns the notifier for a Discord channel that a watch
	// delivers to; nil when no bot token is configured.
	channel   func(channelID string) notify.Notifier
	live      *live // to pause the watches of a destination that is gone
	leases    *leases
	log       *slog.Logger
	now       func() time.Time
	metrics   *metrics
	burst     int // more pending alerts than this go as bursts
	retryBase time.Duration
	retryMax  time.Duration
	wake      chan struct{} // poked after a poll enqueued alerts

	mu     sync.Mutex
	paused map[string]string // destination -> reason it was paused
	warned map[string]bool   // problems already reported, by key
}

// sendTick is how often the sender looks for retries that fell due.
const sendTick = 2 * time.Second

func (s *sender) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// loop delivers pending alerts whenever a poll enqueued some and on a
// tick for retries, until runCtx ends; sendCtx bounds in-flight sends.
func (s *sender) loop(runCtx, sendCtx context.Context) {
	t := time.NewTicker(sendTick)
	defer t.Stop()
	for {
		if err := s.deliverAll(sendCtx); err != nil && sendCtx.Err() == nil {
			s.log.Error("delivering alerts", "err", err)
		}
		select {
		case <-runCtx.Done():
			return
		case <-s.wake:
		case <-t.C:
		}
	}
}

// deliverAll sends everything that is due, destination by destination,
// oldest first, until nothing due is left or a destination must wait.
func (s *sender) deliverAll(ctx context.Context) error {
	dests, err := s.store.PendingDestinations(ctx)
	if err != nil {
		return err
	}
	// Destinations are independent: one that is slow or down must not
	// hold up the others.
	var wg sync.WaitGroup
	errs := make([]error, len(dests))
	for i, d := range dests {
		wg.Go(func() {
			if err := s.deliverDestination(ctx, d); err != nil {
				errs[i] = fmt.Errorf("destination %q: %w", d, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *sender) deliverDestination(ctx context.Context, dest string) error {
	lease := "outbox:" + dest
	if !s.leases.take(ctx, lease) {
		return nil // another instance is sending to it
	}
	defer s.leases.release(ctx, lease)
	// A batch is sent at most once per pass, so an alert whose outcome
	// could not be recorded is not sent again and again.
	sent := map[string]bool{}
	for ctx.Err() == nil {
		if !s.leases.holds(lease) {
			return nil // this instance stalled and another took the outbox over
		}
		if reason, paused := s.destinationPaused(dest); paused {
			s.log.Debug("destination paused; alerts kept", "destination", dest, "reason", reason)
			return nil
		}
		n, ok := s.notifierFor(dest)
		if !ok {
			s.warnOnce("no-notifier:"+dest, "alerts wait for a destination that is no longer configured; they stay in the outbox", "destination", dest)
			return nil
		}
		pending, err := s.duePrefix(ctx, dest)
		if err != nil || len(pending) == 0 {
			return err
		}
		batches, err := s.batch(ctx, pending)
		if err != nil {
			return err
		}
		for _, b := range batches {
			if sent[b[0].Batch] {
				return nil
			}
			sent[b[0].Batch] = true
			if stop := s.sendBatch(ctx, dest, n, b); stop {
				return nil
			}
		}
	}
	return ctx.Err()
}

// duePrefix returns the oldest pending alerts of dest that are due, in
// order, stopping at the first that is not due yet: a destination that asked
// to wait gets its alerts in their original order when it is ready, not the
// newer ones first.
func (s *sender) duePrefix(ctx context.Context, dest string) ([]store.Alert, error) {
	now := s.now()
	pending, err := s.store.PendingAlerts(ctx, dest, now.Add(100*365*24*time.Hour), 100)
	if err != nil {
		return nil, err
	}
	for i, a := range pending {
		if a.NextAttempt.After(now) {
			return pending[:i], nil
		}
	}
	return pending, nil
}

// batch groups pending alerts into messages. Alerts that already carry a
// batch (a send was tried) keep it, so a retry is the same message with the
// same nonce; the rest are batched now and the batch is stored before the
// first attempt.
func (s *sender) batch(ctx context.Context, pending []store.Alert) ([][]store.Alert, error) {
	var out [][]store.Alert
	index := map[string]int{}
	var fresh []store.Alert
	for _, a := range pending {
		if a.Batch == "" {
			fresh = append(fresh, a)
			continue
		}
		if i, ok := index[a.Batch]; ok {
			out[i] = append(out[i], a)
			continue
		}
		index[a.Batch] = len(out)
		out = append(out, []store.Alert{a})
	}
	size := 1
	if len(fresh) > s.burst {
		size = notify.MaxBurst
	}
	for len(fresh) > 0 {
		k := min(size, len(fresh))
		group := fresh[:k]
		fresh = fresh[k:]
		name := batchName(group)
		ids := make([]int64, len(group))
		for i := range group {
			ids[i] = group[i].ID
			group[i].Batch = name
		}
		if err := s.store.AssignBatch(ctx, ids, name); err != nil {
			return nil, err
		}
		out = append(out, group)
	}
	return out, nil
}

// batchName is derived from the first outbox row and the size, so it is
// unique and short enough to serve as a Discord nonce (≤ 25 characters).
func batchName(group []store.Alert) string {
	return "nh" + strconv.FormatInt(group[0].ID, 36) + "x" + strconv.Itoa(len(group))
}

// sendBatch sends one message and records the outcome. It reports whether
// the destination must stop for now (rate limited, gone, or shutting down).
func (s *sender) sendBatch(ctx context.Context, dest string, n notify.Notifier, b []store.Alert) (stop bool) {
	msg := notify.Message{Nonce: b[0].Batch}
	for _, row := range b {
		a, err := alert.Decode(row.Payload)
		if err != nil {
			s.drop(ctx, row, fmt.Sprintf("unreadable payload: %v", err))
			continue
		}
		a.ID = row.ID
		msg.Alerts = append(msg.Alerts, a)
	}
	if len(msg.Alerts) == 0 {
		return false
	}
	receipt, err := n.Send(ctx, msg)
	// What happened is recorded even when shutdown cancelled ctx during the
	// send: a message Discord accepted must be marked delivered.
	rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err == nil {
		s.metrics.delivered.WithLabelValues(dest).Add(float64(len(b)))
		now := s.now()
		for _, row := range b {
			if err := s.store.MarkDelivered(rec, row.ID, receipt.MessageID, now); err != nil {
				// The alert stays pending and will be sent again with the
				// same nonce; stop here rather than resend it at once.
				s.log.Error("recording a delivered alert failed; it will be retried", "id", row.ID, "err", err)
				stop = true
			}
		}
		return stop
	}
	return s.handleSendError(ctx, rec, dest, b, err)
}

// handleSendError decides what a failed send means; rec is the context
// for recording it, which outlives a shutdown.
func (s *sender) handleSendError(ctx, rec context.Context, dest string, b []store.Alert, err error) (stop bool) {
	var retry *notify.RetryError
	switch {
	case ctx.Err() != nil:
		return true
	case errors.As(err, &retry):
		s.metrics.sendErrors.WithLabelValues(dest, "retry").Inc()
		s.log.Warn("destination asks to wait", "destination", dest, "err", err)
		s.markFailed(rec, b, err, s.now().Add(retry.After))
		return true
	case errors.Is(err, notify.ErrGone):
		s.metrics.sendErrors.WithLabelValues(dest, "gone").Inc()
		s.pauseDestination(rec, dest, err.Error())
		return true
	case errors.Is(err, notify.ErrRejected) && len(b) == 1:
		s.drop(rec, b[0], err.Error())
		return false
	case errors.Is(err, notify.ErrRejected):
		// One alert of the burst is bad: unbatch them so each is tried
		// (and if need be dropped) alone.
		s.log.Warn("burst rejected; retrying its alerts one by one", "destination", dest, "err", err)
		for _, row := range b {
			if err := s.store.AssignBatch(rec, []int64{row.ID}, batchName([]store.Alert{row})); err != nil {
				s.log.Error("unbatching", "id", row.ID, "err", err)
			}
		}
		return false
	default:
		s.metrics.sendErrors.WithLabelValues(dest, "error").Inc()
		next := s.now().Add(s.backoff(b[0].Attempts))
		s.log.Warn("delivery failed; will retry", "destination", dest, "err", err, "retry_at", next.Format(time.RFC3339))
		s.markFailed(rec, b, err, next)
		return true
	}
}

func (s *sender) backoff(attempts int) time.Duration {
	d := s.retryBase
	for range attempts {
		d *= 2
		if d >= s.retryMax {
			return s.retryMax
		}
	}
	return d
}

func (s *sender) markFailed(ctx context.Context, b []store.Alert, err error, next time.Time) {
	for _, row := range b {
		if e := s.store.MarkFailed(ctx, row.ID, err.Error(), next); e != nil {
			s.log.Error("recording failed delivery", "id", row.ID, "err", e)
		}
	}
}

func (s *sender) drop(ctx context.Context, row store.Alert, reason string) {
	s.metrics.dropped.WithLabelValues(row.Destination).Inc()
	s.log.Error("alert dropped: the destination will not accept it", "id", row.ID, "destination", row.Destination, "subscription", row.Subscription, "reason", reason)
	if err := s.store.MarkDropped(ctx, row.ID, reason); err != nil {
		s.log.Error("recording dropped alert", "id", row.ID, "err", err)
	}
}

func (s *sender) destinationPaused(dest string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	reason, ok := s.paused[dest]
	return reason, ok
}

// pauseDestination stops deliveries to a destination that is gone (channel
// deleted, webhook deleted, access removed). Its alerts stay in the outbox;
// watches delivering there are paused with the reason.
func (s *sender) pauseDestination(ctx context.Context, dest, reason string) {
	s.mu.Lock()
	s.paused[dest] = reason
	s.mu.Unlock()
	s.log.Error("destination paused: it no longer accepts messages; fix it and restart", "destination", dest, "reason", reason)
	watches, err := s.store.Watches(ctx)
	if err != nil {
		s.log.Error("listing watches to pause", "err", err)
		return
	}
	changed := false
	for _, w := range watches {
		if channelDestination(w.ChannelID) == dest && !w.Paused {
			if err := s.store.SetWatchPaused(ctx, w.ID, true, reason); err != nil {
				s.log.Error("pausing watch", "watch", w.ID, "err", err)
			}
			changed = true
		}
	}
	if changed {
		if err := s.live.rebuild(ctx, nil); err != nil {
			s.log.Error("reloading subscriptions", "err", err)
		}
	}
}

func (s *sender) notifierFor(dest string) (notify.Notifier, bool) {
	if n, ok := s.notifiers[dest]; ok {
		return n, true
	}
	if id, ok := strings.CutPrefix(dest, "channel:"); ok && s.channel != nil {
		return s.channel(id), true
	}
	return nil, false
}

// resume lifts a pause (a moderator resumed a watch of the destination).
func (s *sender) resume(dest string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.paused, dest)
}

// warnOnce logs a warning the first time key is seen in this process, and
// at debug level after that, so a lasting condition does not flood the log.
func (s *sender) warnOnce(key, msg string, args ...any) {
	s.mu.Lock()
	seen := s.warned[key]
	s.warned[key] = true
	s.mu.Unlock()
	if seen {
		s.log.Debug(msg, args...)
		return
	}
	s.log.Warn(msg, args...)
}
