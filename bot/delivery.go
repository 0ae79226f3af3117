package bot

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/store"
)

// This file holds the timing of delivery modes (digests, quiet hours,
// max_per_hour): the poller asks the alerting core when each alert may go
// out and stores held alerts with their release time and digest key; the
// sender sends each released digest as one message.

// deliveryOf turns a subscription's configured delivery into the alerting
// core's.
func deliveryOf(c config.Delivery) alert.Delivery {
	d := alert.Delivery{MaxPerHour: c.MaxPerHour, Location: c.Location}
	if c.Mode == config.Digest {
		d.Digest = &alert.DigestSchedule{Every: c.Every}
		for _, at := range c.At {
			d.Digest.At = append(d.Digest.At, alert.TimeOfDay{Hour: at.Hour, Minute: at.Minute})
		}
	}
	if q := c.QuietHours; q != nil {
		d.Quiet = &alert.QuietHours{
			Start: alert.TimeOfDay{Hour: q.Start.Hour, Minute: q.Start.Minute},
			End:   alert.TimeOfDay{Hour: q.End.Hour, Minute: q.End.Minute},
		}
	}
	return d
}

// hold decides which entries wait for a digest. A capped subscription's
// count of the hour comes from the outbox, so a restart does not reset it.
// The caller holds commits.holds from here to the commit, so that polls of
// other feeds count what this one lets through (and, on a shared store,
// the stories lease, so that other instances' polls do), and passes the
// time it took it at: the sender forms released digests under the same
// lock, so an alert is never held for a digest already formed.
func (p *poller) hold(ctx context.Context, cat *alert.Catalog, entries []alert.Entry, now time.Time) error {
	hours := cat.CapHours(entries, now)
	sent := make(map[string]int, len(hours))
	for sub, since := range hours {
		n, err := p.store.CountUnheld(ctx, sub, since)
		if err != nil {
			return err
		}
		sent[sub] = n
	}
	for _, sub := range cat.Schedule(entries, now, sent) {
		s, _ := cat.Subscription(sub)
		p.capped.report(p.log, sub, s.Delivery.MaxPerHour, hours[sub])
	}
	return nil
}

// mayHold reports whether the subscription of any of entries may hold
// an alert for a digest (a schedule, quiet hours, max_per_hour).
func mayHold(cat *alert.Catalog, entries []alert.Entry) bool {
	for _, e := range entries {
		if s, ok := cat.Subscription(e.Subscription); ok {
			if s.Delivery.MayHold() {
				return true
			}
		}
	}
	return false
}

// capLog remembers the hour each subscription's cap was last reported in,
// so that the log says it once per hour.
type capLog struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// report logs that sub's max_per_hour holds further matches back in the
// hour that starts at hour, once per subscription and hour (the poller's
// new alerts and the sender's reports that would go alone share it).
func (c *capLog) report(log *slog.Logger, sub string, maxPerHour int, hour time.Time) {
	if c.first(sub, hour) {
		log.Info("max_per_hour reached: further matches wait for an \"also matched\" digest at the end of the hour",
			"subscription", sub, "max_per_hour", maxPerHour, "until", hour.Add(time.Hour).Format(time.RFC3339))
	}
}

func (c *capLog) first(sub string, hour time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil {
		c.last = map[string]time.Time{}
	}
	if c.last[sub].Equal(hour) {
		return false
	}
	c.last[sub] = hour
	return true
}

// batchDigests gives each released digest one batch: all its due alerts
// not yet batched, however many (a digest is one message, whatever the
// burst size), stored before the first attempt so that retries repeat the
// nonce. Digest batches made earlier are completed with their alerts
// beyond the page the sender read.
func (s *sender) batchDigests(ctx context.Context, n notify.Notifier, out [][]store.Alert, released []store.Alert) ([][]store.Alert, error) {
	for i, b := range out {
		if b[0].Digest == "" {
			continue
		}
		all, err := s.readSettled(ctx, b[0].Destination, n, func() ([]store.Alert, error) {
			return s.digestRows(ctx, b[0], func(a store.Alert) bool { return a.Batch == b[0].Batch })
		})
		if err != nil {
			return nil, err
		}
		if len(all) > 0 {
			out[i] = all
		}
	}
	if len(released) == 0 {
		return out, nil // no digest formed: no poll's holds to wait for
	}
	// Polls decide and commit holds under commits, on every instance:
	// formed under it, a digest holds every alert held for it, and none
	// comes after.
	unlock, err := s.commits.lockHolds(ctx, released[0].Destination)
	if err != nil {
		return nil, err
	}
	defer unlock()
	now := s.now()
	for _, first := range released {
		group, err := s.digestRows(ctx, first, func(a store.Alert) bool { return a.Batch == "" && !a.HoldUntil.After(now) })
		if err != nil {
			return nil, err
		}
		if len(group) == 0 {
			continue
		}
		name := digestBatchName(group)
		ids := make([]int64, len(group))
		for i := range group {
			ids[i] = group[i].ID
			group[i].Batch = name
		}
		if err := s.store.AssignBatch(ctx, ids, name); err != nil {
			return nil, outboxWrite(err)
		}
		out = append(out, group)
	}
	return out, nil
}

// digestRows returns the pending alerts of first's digest that keep says
// belong with it, oldest first.
func (s *sender) digestRows(ctx context.Context, first store.Alert, keep func(store.Alert) bool) ([]store.Alert, error) {
	all, err := s.store.DigestAlerts(ctx, first.Destination, first.Digest)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(a store.Alert) bool { return !keep(a) }), nil
}

// digestBatchName is unique (the first row belongs to one batch) and
// within Discord's 25-character nonce; "d" sets it apart from bursts.
func digestBatchName(group []store.Alert) string {
	return "nh" + strconv.FormatInt(group[0].ID, 36) + "d"
}

// digestOf describes the digest a batch's alerts make up, and sorts them
// newest first. A key this version cannot read still goes out as a
// digest, titled from what is known.
func (s *sender) digestOf(key string, alerts []alert.Alert) *notify.Digest {
	k, err := alert.ParseDigestKey(key)
	if err != nil {
		s.warnOnce("digest-key:"+key, "unreadable digest key; sending the alerts as a digest without its period", "digest", key, "err", err)
		k = alert.DigestKey{Kind: alert.KindDigest}
	}
	return notify.NewDigest(k, alerts)
}
