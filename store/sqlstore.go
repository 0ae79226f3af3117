package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// sqlStore implements Store over database/sql for any dialect. Writes go
// through w and reads through r; for SQLite w is a one-connection pool, so
// writers queue in Go instead of failing with SQLITE_BUSY, while readers use
// their own connections and WAL lets them run beside the writer.
type sqlStore struct {
	w, r *sql.DB
	q    *dialect
	opt  options

	// prepared holds statements prepared once on w and r, by SQL text, for
	// dialects whose driver would otherwise parse every statement on every
	// call (parsing was 60% of a CommitPoll on SQLite). Read-only after open.
	prepared map[string]*sql.Stmt

	closeOnce sync.Once
	closeErr  error
}

func (s *sqlStore) now() time.Time { return s.opt.now().UTC() }

// Close closes the database. It is safe to call more than once.
func (s *sqlStore) Close() error {
	s.closeOnce.Do(func() {
		for _, st := range s.prepared {
			st.Close()
		}
		errW := s.w.Close()
		var errR error
		if s.r != s.w {
			errR = s.r.Close()
		}
		s.closeErr = errors.Join(errW, errR)
	})
	return s.closeErr
}

// migrate applies the dialect's pending migrations in one transaction and
// records each in schema_migrations, so a crash mid-way leaves the schema as
// it was. Opening a database migrated by a newer newshound is an error.
func (s *sqlStore) migrate(ctx context.Context) error {
	return s.inWriteTx(ctx, func(tx writeTx) error {
		if s.q.lockMigrations != "" {
			if _, err := tx.ExecContext(ctx, s.q.lockMigrations); err != nil {
				return fmt.Errorf("lock migrations: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q.createMigrationsTable); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var applied int
		if err := tx.QueryRowContext(ctx, s.q.appliedVersion).Scan(&applied); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		latest := s.q.migrations[len(s.q.migrations)-1].version
		if applied > latest {
			return fmt.Errorf("database schema version %d is newer than this newshound knows (%d): upgrade newshound", applied, latest)
		}
		for _, m := range s.q.migrations {
			if m.version <= applied {
				continue
			}
			for _, stmt := range m.stmts {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
				}
			}
			if _, err := tx.ExecContext(ctx, s.q.recordMigration, m.version, m.name, toMicro(s.now())); err != nil {
				return fmt.Errorf("record migration %d: %w", m.version, err)
			}
		}
		return nil
	})
}

// inWriteTx runs fn in a write transaction and commits it when fn succeeds.
func (s *sqlStore) inWriteTx(ctx context.Context, fn func(tx writeTx) error) error {
	sqlTx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin %s transaction: %w", s.q.name, err)
	}
	tx := writeTx{Tx: sqlTx, prepared: s.prepared}
	if err := fn(tx); err != nil {
		return errors.Join(err, ignoreDone(tx.Rollback()))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit %s transaction: %w", s.q.name, err)
	}
	return nil
}

// prepare prepares the dialect's frequent statements: writes on w (whose
// one connection every write transaction uses) and reads on r.
func (s *sqlStore) prepare(ctx context.Context) error {
	s.prepared = map[string]*sql.Stmt{}
	sets := []struct {
		db      *sql.DB
		queries []string
	}{
		{s.w, []string{s.q.saveFeedState, s.q.markItemsSeenAt, s.q.insertSeen, s.q.bumpSeen,
			s.q.dedupeHit, s.q.insertAlert, s.q.recordDedupe, s.q.assignBatch,
			s.q.markDelivered, s.q.markFailed, s.q.claimFeed}},
		{s.r, []string{s.q.feedState, s.q.unseenKeys, s.q.pendingAlerts, s.q.pendingDestinations}},
	}
	for _, set := range sets {
		for _, q := range set.queries {
			st, err := set.db.PrepareContext(ctx, q)
			if err != nil {
				return fmt.Errorf("prepare %q: %w", q, err)
			}
			s.prepared[q] = st
		}
	}
	return nil
}

func (s *sqlStore) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := s.prepared[q]; st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.r.QueryContext(ctx, q, args...)
}

// queryStrings runs a read whose rows are one string each.
func (s *sqlStore) queryStrings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return scanStrings(rows)
}

func (s *sqlStore) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if st := s.prepared[q]; st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.r.QueryRowContext(ctx, q, args...)
}

// writeTx is a write transaction that runs prepared statements where it has
// them; the statements it derives close when the transaction ends.
type writeTx struct {
	*sql.Tx
	prepared map[string]*sql.Stmt
}

func (tx writeTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := tx.prepared[q]; st != nil {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, q, args...)
}

func (tx writeTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := tx.prepared[q]; st != nil {
		return tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, q, args...)
}

func (tx writeTx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := tx.prepared[q]; st != nil {
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, q, args...)
}

func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

// FeedState returns the state of feedID, or ErrNotFound.
func (s *sqlStore) FeedState(ctx context.Context, feedID string) (FeedState, error) {
	var st FeedState
	var lastPolled, lastChanged, nextPoll, failingSince int64
	err := s.queryRow(ctx, s.q.feedState, feedID).Scan(
		&st.FeedID, &st.URL, &st.ETag, &st.LastModified, &st.BodyHash, &st.Initialized,
		&lastPolled, &lastChanged, &nextPoll, &st.ErrorCount, &failingSince, &st.LastError,
		&st.Disabled, &st.DisabledReason, &st.ConfigURL)
	if errors.Is(err, sql.ErrNoRows) {
		return FeedState{}, fmt.Errorf("feed state %q: %w", feedID, ErrNotFound)
	}
	if err != nil {
		return FeedState{}, fmt.Errorf("read feed state %q: %w", feedID, err)
	}
	st.LastPolled, st.LastChanged = fromMicro(lastPolled), fromMicro(lastChanged)
	st.NextPoll, st.FailingSince = fromMicro(nextPoll), fromMicro(failingSince)
	return st, nil
}

// SaveFeedState stores the state of a poll that produced no items.
func (s *sqlStore) SaveFeedState(ctx context.Context, st FeedState) error {
	if st.FeedID == "" {
		return errors.New("save feed state: empty FeedID")
	}
	return s.inWriteTx(ctx, func(tx writeTx) error { return s.saveFeedState(ctx, tx, st) })
}

func (s *sqlStore) saveFeedState(ctx context.Context, tx writeTx, st FeedState) error {
	_, err := tx.ExecContext(ctx, s.q.saveFeedState,
		st.FeedID, st.URL, st.ETag, st.LastModified, st.BodyHash, st.Initialized,
		toMicro(st.LastPolled), toMicro(st.LastChanged), toMicro(st.NextPoll), st.ErrorCount,
		toMicro(st.FailingSince), st.LastError, st.Disabled, st.DisabledReason, st.ConfigURL)
	if err != nil {
		return fmt.Errorf("save feed state %q: %w", st.FeedID, err)
	}
	return nil
}

// UnseenKeys returns the subset of keys not yet seen for feedID, in the
// order given.
func (s *sqlStore) UnseenKeys(ctx context.Context, feedID string, keys []string) ([]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	list, err := jsonList(keys)
	if err != nil {
		return nil, fmt.Errorf("unseen keys of %q: %w", feedID, err)
	}
	unseen, err := s.queryStrings(ctx, s.q.unseenKeys, feedID, list)
	if err != nil {
		return nil, fmt.Errorf("unseen keys of %q: %w", feedID, err)
	}
	return unseen, nil
}

// CommitPoll records a poll in one transaction: the feed state, every key
// (new ones inserted, present ones' last_seen bumped) and the alerts of keys
// this commit inserted whose dedupe keys are not already in the outbox of
// their destination within the dedupe window. It returns how many alerts
// were enqueued.
func (s *sqlStore) CommitPoll(ctx context.Context, feedID string, p Poll) (int, error) {
	st, keys, err := checkPoll(feedID, p)
	if err != nil {
		return 0, err
	}
	keyList, err := jsonList(keys)
	if err != nil {
		return 0, fmt.Errorf("commit poll of %q: %w", feedID, err)
	}
	now := s.now()
	enqueued := 0
	err = s.inWriteTx(ctx, func(tx writeTx) error {
		enqueued = 0
		if err := s.saveFeedState(ctx, tx, st); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q.markItemsSeenAt, feedID, toMicro(now)); err != nil {
			return fmt.Errorf("commit poll of %q: %w", feedID, err)
		}
		fresh, err := s.markSeen(ctx, tx, feedID, keyList, now)
		if err != nil {
			return err
		}
		if err := s.lockDestinations(ctx, tx, p.Alerts, fresh); err != nil {
			return err
		}
		for _, a := range p.Alerts {
			if !fresh[a.ItemKey] {
				continue
			}
			ok, err := s.enqueueUnlessDuplicate(ctx, tx, a, now)
			if err != nil {
				return fmt.Errorf("commit poll of %q: alert for %q: %w", feedID, a.ItemKey, err)
			}
			if ok {
				enqueued++
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return enqueued, nil
}

// checkPoll validates a poll before any SQL runs and returns its state with
// FeedID filled in and its keys without duplicates.
func checkPoll(feedID string, p Poll) (FeedState, []string, error) {
	if feedID == "" {
		return FeedState{}, nil, errors.New("commit poll: empty feed id")
	}
	st := p.State
	if st.FeedID == "" {
		st.FeedID = feedID
	}
	if st.FeedID != feedID {
		return FeedState{}, nil, fmt.Errorf("commit poll of %q: state is for feed %q", feedID, st.FeedID)
	}
	keys := uniqueStrings(p.Keys)
	inPoll := make(map[string]bool, len(keys))
	for _, k := range keys {
		inPoll[k] = true
	}
	for _, a := range p.Alerts {
		if !inPoll[a.ItemKey] {
			return FeedState{}, nil, fmt.Errorf("commit poll of %q: alert for item %q whose key is not in Poll.Keys", feedID, a.ItemKey)
		}
		if a.Destination == "" {
			return FeedState{}, nil, fmt.Errorf("commit poll of %q: alert for item %q has no destination", feedID, a.ItemKey)
		}
	}
	return st, keys, nil
}

// lastSeenGranularity is how stale a present key's last_seen may get before
// a commit rewrites it. Prune allows for it, so it trades a little pruning
// precision (a key gone from its feed may live this much longer) for not
// rewriting every key of every feed on every poll.
const lastSeenGranularity = time.Hour

// markSeen inserts the keys not yet seen, bumps last_seen of the others and
// returns the set of keys this transaction inserted.
func (s *sqlStore) markSeen(ctx context.Context, tx writeTx, feedID, keyList string, now time.Time) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, s.q.insertSeen, feedID, keyList, toMicro(now))
	if err != nil {
		return nil, fmt.Errorf("mark keys of %q seen: %w", feedID, err)
	}
	inserted, err := scanStrings(rows)
	if err != nil {
		return nil, fmt.Errorf("mark keys of %q seen: %w", feedID, err)
	}
	bumpBefore := toMicro(now.Add(-lastSeenGranularity))
	if _, err := tx.ExecContext(ctx, s.q.bumpSeen, feedID, keyList, toMicro(now), bumpBefore); err != nil {
		return nil, fmt.Errorf("bump last seen of %q: %w", feedID, err)
	}
	fresh := make(map[string]bool, len(inserted))
	for _, k := range inserted {
		fresh[k] = true
	}
	return fresh, nil
}

// lockDestinations takes the dialect's per-destination lock for every
// destination this commit may enqueue to, in sorted order so that two
// transactions cannot deadlock on each other.
func (s *sqlStore) lockDestinations(ctx context.Context, tx writeTx, alerts []Alert, fresh map[string]bool) error {
	if s.q.lockDestination == "" {
		return nil
	}
	var dests []string
	for _, a := range alerts {
		if fresh[a.ItemKey] {
			dests = append(dests, a.Destination)
		}
	}
	dests = uniqueStrings(dests)
	slices.Sort(dests)
	for _, d := range dests {
		if _, err := tx.ExecContext(ctx, s.q.lockDestination, d); err != nil {
			return fmt.Errorf("lock destination %q: %w", d, err)
		}
	}
	return nil
}

// enqueueUnlessDuplicate inserts a and records its dedupe keys, unless one of
// them was recorded for a's destination within the window.
func (s *sqlStore) enqueueUnlessDuplicate(ctx context.Context, tx writeTx, a Alert, now time.Time) (bool, error) {
	dedupe := uniqueStrings(a.DedupeKeys)
	dedupeList, err := jsonList(dedupe)
	if err != nil {
		return false, err
	}
	if len(dedupe) > 0 {
		var dup bool
		cutoff := toMicro(now.Add(-s.opt.dedupeWindow))
		if err := tx.QueryRowContext(ctx, s.q.dedupeHit, a.Destination, dedupeList, cutoff).Scan(&dup); err != nil {
			return false, fmt.Errorf("check dedupe keys: %w", err)
		}
		if dup {
			return false, nil
		}
	}
	created := a.CreatedAt
	if created.IsZero() {
		created = now
	}
	payload := a.Payload
	if payload == nil {
		payload = []byte{}
	}
	var id int64
	err = tx.QueryRowContext(ctx, s.q.insertAlert, a.Destination, a.Subscription, a.FeedID, a.ItemKey,
		dedupeList, payload, toMicro(created), a.Batch, a.Attempts, toMicro(a.NextAttempt), a.LastError).Scan(&id)
	if err != nil {
		return false, fmt.Errorf("insert alert: %w", err)
	}
	if len(dedupe) > 0 {
		if _, err := tx.ExecContext(ctx, s.q.recordDedupe, a.Destination, dedupeList, id, toMicro(now)); err != nil {
			return false, fmt.Errorf("record dedupe keys: %w", err)
		}
	}
	return true, nil
}

// PendingAlerts returns undelivered, undropped alerts for destination whose
// NextAttempt is not after now, oldest (lowest id) first. A limit of zero or
// less means no limit.
func (s *sqlStore) PendingAlerts(ctx context.Context, destination string, now time.Time, limit int) ([]Alert, error) {
	if limit <= 0 {
		limit = math.MaxInt32
	}
	rows, err := s.query(ctx, s.q.pendingAlerts, destination, toMicro(now), limit)
	if err != nil {
		return nil, fmt.Errorf("pending alerts for %q: %w", destination, err)
	}
	alerts, err := scanAlerts(rows)
	if err != nil {
		return nil, fmt.Errorf("pending alerts for %q: %w", destination, err)
	}
	return alerts, nil
}

// PendingDestinations lists, sorted, the destinations with undelivered,
// undropped alerts.
func (s *sqlStore) PendingDestinations(ctx context.Context) ([]string, error) {
	dests, err := s.queryStrings(ctx, s.q.pendingDestinations)
	if err != nil {
		return nil, fmt.Errorf("pending destinations: %w", err)
	}
	return dests, nil
}

// AssignBatch sets Batch on those of ids that are neither delivered nor
// dropped; other ids are left alone.
func (s *sqlStore) AssignBatch(ctx context.Context, ids []int64, batch string) error {
	if len(ids) == 0 {
		return nil
	}
	strs := make([]string, len(ids))
	for i, id := range ids {
		strs[i] = strconv.FormatInt(id, 10)
	}
	list, err := jsonList(strs)
	if err != nil {
		return err
	}
	return s.inWriteTx(ctx, func(tx writeTx) error {
		if _, err := tx.ExecContext(ctx, s.q.assignBatch, list, batch); err != nil {
			return fmt.Errorf("assign batch %q: %w", batch, err)
		}
		return nil
	})
}

// MarkDelivered records that the destination accepted alert id. A zero at
// means now, since a zero delivery time would read as "not delivered".
func (s *sqlStore) MarkDelivered(ctx context.Context, id int64, messageID string, at time.Time) error {
	if at.IsZero() {
		at = s.now()
	}
	return s.updateAlert(ctx, "mark delivered", id, s.q.markDelivered, id, toMicro(at), messageID)
}

// MarkFailed counts a failed attempt, keeps its error and hides the alert
// from PendingAlerts until nextAttempt.
func (s *sqlStore) MarkFailed(ctx context.Context, id int64, errMsg string, nextAttempt time.Time) error {
	return s.updateAlert(ctx, "mark failed", id, s.q.markFailed, id, errMsg, toMicro(nextAttempt))
}

// MarkDropped gives up on alert id for good, keeping reason as its error.
func (s *sqlStore) MarkDropped(ctx context.Context, id int64, reason string) error {
	return s.updateAlert(ctx, "mark dropped", id, s.q.markDropped, id, reason)
}

func (s *sqlStore) updateAlert(ctx context.Context, what string, id int64, query string, args ...any) error {
	return s.inWriteTx(ctx, func(tx writeTx) error {
		return execOne(ctx, tx, fmt.Sprintf("%s alert %d", what, id), query, args...)
	})
}

// execOne runs a statement that must change exactly one row, or reports
// ErrNotFound.
func execOne(ctx context.Context, tx writeTx, what, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}

// Prune forgets seen keys last present before `before` (never a key that
// was in its feed's latest item set), delivered or dropped alerts created
// before `before`, and dedupe keys older than both `before` and the dedupe
// window (so pruning never shortens the window).
func (s *sqlStore) Prune(ctx context.Context, before time.Time) error {
	dedupeBefore := before
	if cutoff := s.now().Add(-s.opt.dedupeWindow); cutoff.Before(dedupeBefore) {
		dedupeBefore = cutoff
	}
	return s.inWriteTx(ctx, func(tx writeTx) error {
		steps := []struct {
			what, query string
			args        []any
		}{
			{"seen keys", s.q.pruneSeen, []any{toMicro(before), lastSeenGranularity.Microseconds()}},
			{"finished alerts", s.q.pruneAlerts, []any{toMicro(before)}},
			{"dedupe keys", s.q.pruneDedupe, []any{toMicro(dedupeBefore)}},
		}
		for _, st := range steps {
			if _, err := tx.ExecContext(ctx, st.query, st.args...); err != nil {
				return fmt.Errorf("prune %s: %w", st.what, err)
			}
		}
		return nil
	})
}

// AddWatch stores w and returns it with its ID (and CreatedAt, when zero)
// filled in.
func (s *sqlStore) AddWatch(ctx context.Context, w Watch) (Watch, error) {
	if w.CreatedAt.IsZero() {
		w.CreatedAt = s.now()
	}
	w.CreatedAt = fromMicro(toMicro(w.CreatedAt))
	err := s.inWriteTx(ctx, func(tx writeTx) error {
		return tx.QueryRowContext(ctx, s.q.addWatch, w.GuildID, w.ChannelID, w.FeedURL, w.Query,
			w.CreatedBy, toMicro(w.CreatedAt), w.Paused, w.PauseReason).Scan(&w.ID)
	})
	if err != nil {
		return Watch{}, fmt.Errorf("add watch on %q: %w", w.FeedURL, err)
	}
	return w, nil
}

// Watches returns every watch, oldest first.
func (s *sqlStore) Watches(ctx context.Context) ([]Watch, error) {
	rows, err := s.query(ctx, s.q.watches)
	if err != nil {
		return nil, fmt.Errorf("list watches: %w", err)
	}
	defer rows.Close()
	var ws []Watch
	for rows.Next() {
		var w Watch
		var created int64
		if err := rows.Scan(&w.ID, &w.GuildID, &w.ChannelID, &w.FeedURL, &w.Query, &w.CreatedBy,
			&created, &w.Paused, &w.PauseReason); err != nil {
			return nil, fmt.Errorf("list watches: %w", err)
		}
		w.CreatedAt = fromMicro(created)
		ws = append(ws, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list watches: %w", err)
	}
	return ws, nil
}

// RemoveWatch deletes watch id, or reports ErrNotFound.
func (s *sqlStore) RemoveWatch(ctx context.Context, id int64) error {
	return s.inWriteTx(ctx, func(tx writeTx) error {
		return execOne(ctx, tx, fmt.Sprintf("remove watch %d", id), s.q.removeWatch, id)
	})
}

// SetWatchPaused pauses or resumes watch id, or reports ErrNotFound.
func (s *sqlStore) SetWatchPaused(ctx context.Context, id int64, paused bool, reason string) error {
	return s.inWriteTx(ctx, func(tx writeTx) error {
		return execOne(ctx, tx, fmt.Sprintf("pause watch %d", id), s.q.setWatchPaused, id, paused, reason)
	})
}

// ClaimFeed takes or renews owner's lease on feedID until `until`, so that
// of several instances sharing a database only one polls a feed at a time.
// It reports false when another owner holds an unexpired lease. An owner
// releases its lease early by claiming with until set to the current time.
func (s *sqlStore) ClaimFeed(ctx context.Context, feedID, owner string, until time.Time) (bool, error) {
	if owner == "" {
		return false, errors.New("claim feed: empty owner")
	}
	claimed := false
	err := s.inWriteTx(ctx, func(tx writeTx) error {
		var got string
		err := tx.QueryRowContext(ctx, s.q.claimFeed, feedID, owner, toMicro(until), toMicro(s.now())).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		claimed = err == nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("claim feed %q for %q: %w", feedID, owner, err)
	}
	return claimed, nil
}

func scanAlerts(rows *sql.Rows) ([]Alert, error) {
	defer rows.Close()
	var alerts []Alert
	for rows.Next() {
		var a Alert
		var dedupe string
		var created, next, delivered int64
		if err := rows.Scan(&a.ID, &a.Destination, &a.Subscription, &a.FeedID, &a.ItemKey, &dedupe,
			&a.Payload, &created, &a.Batch, &a.Attempts, &next, &a.LastError, &delivered,
			&a.MessageID, &a.Dropped); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(dedupe), &a.DedupeKeys); err != nil {
			return nil, fmt.Errorf("alert %d: dedupe keys: %w", a.ID, err)
		}
		a.CreatedAt, a.NextAttempt, a.DeliveredAt = fromMicro(created), fromMicro(next), fromMicro(delivered)
		alerts = append(alerts, a)
	}
	return alerts, rows.Err()
}

func scanStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// jsonList encodes strs as the JSON array a LIST($N) parameter expects.
// Invalid UTF-8 is refused: JSON would silently replace it, and the stored
// key would no longer equal the caller's.
func jsonList(strs []string) (string, error) {
	for _, v := range strs {
		if !utf8.ValidString(v) {
			return "", fmt.Errorf("key %q is not valid UTF-8", v)
		}
	}
	if strs == nil {
		strs = []string{}
	}
	b, err := json.Marshal(strs)
	return string(b), err
}

// uniqueStrings returns vs without repeats, first occurrence first.
func uniqueStrings(vs []string) []string {
	seen := make(map[string]bool, len(vs))
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// toMicro and fromMicro convert between time.Time and the stored Unix
// microseconds, keeping the zero time as 0.
func toMicro(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicro(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}
