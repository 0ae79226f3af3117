package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
)

// sqlStore implements Store over database/sql for any dialect. Writes go
// through w and reads through r; for SQLite w is a one-connection pool, so
// writers queue in Go instead of failing with SQLITE_BUSY, while readers use
// their own connections and WAL lets them run beside the writer.
type sqlStore struct {
	w, r *sql.DB // w is nil when readOnly
	q    *dialect
	opt  options
	txr  txRunner // how CommitPoll and SaveFeedStates reach the database

	lock     *dbLock // SQLite's ownership of its file; nil otherwise
	readOnly bool

	// prepared holds statements prepared once on w or r, by SQL text, for
	// dialects whose driver would otherwise parse every statement on every
	// call (parsing was 60% of a CommitPoll on SQLite).
	prepared stmts

	closeOnce sync.Once
	closeErr  error
}

func (s *sqlStore) now() time.Time { return s.opt.now().UTC() }

// Close closes the database. It is safe to call more than once.
func (s *sqlStore) Close() error {
	s.closeOnce.Do(func() {
		s.prepared.close()
		var errW, errR error
		if s.w != nil {
			errW = s.w.Close()
		}
		if s.r != nil && s.r != s.w {
			errR = s.r.Close()
		}
		// The lock goes last: another process may open the file as soon
		// as it is released.
		s.closeErr = errors.Join(errW, errR, s.lock.release())
	})
	return s.closeErr
}

// migrate applies the dialect's pending migrations in one transaction and
// records each in schema_migrations, so a crash mid-way leaves the schema as
// it was. Opening a database migrated by a newer newshound is an error.
// A schema already current, every open but an upgrade's, is read without
// the write transaction (and PostgreSQL's lock of the migrations).
func (s *sqlStore) migrate(ctx context.Context) error {
	if applied, err := s.schemaVersion(ctx, s.w); err == nil && applied == s.latestVersion() {
		return nil
	}
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
		latest := s.latestVersion()
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

func (s *sqlStore) latestVersion() int { return s.q.migrations[len(s.q.migrations)-1].version }

// errNoSchema is checkSchemaCurrent's error for a database without
// newshound's tables; each read-only open says it in its own words.
var errNoSchema = errors.New("no newshound tables")

// schemaVersion reads the version of db's schema, or errNoSchema.
func (s *sqlStore) schemaVersion(ctx context.Context, db *sql.DB) (int, error) {
	var exists bool
	if err := db.QueryRowContext(ctx, s.q.hasMigrationsTable).Scan(&exists); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if !exists {
		return 0, errNoSchema
	}
	var applied int
	if err := db.QueryRowContext(ctx, s.q.appliedVersion).Scan(&applied); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return applied, nil
}

// checkSchemaCurrent refuses a database whose schema version is not the
// latest this newshound knows, or that has no newshound tables
// (errNoSchema): a read-only store cannot migrate it.
func (s *sqlStore) checkSchemaCurrent(ctx context.Context) error {
	applied, err := s.schemaVersion(ctx, s.r)
	if err != nil {
		return err
	}
	latest := s.latestVersion()
	switch {
	case applied > latest:
		return fmt.Errorf("database schema version %d is newer than this newshound knows (%d): upgrade newshound", applied, latest)
	case applied < latest:
		// Upgrading under the instances that run on it would leave them
		// on a schema they refuse at their next start, working meanwhile
		// by an older version's rules beside the new one's.
		return fmt.Errorf("database schema version %d is older than this newshound's (%d): stop every newshound that runs on it first, then start this one, which upgrades it (an older newshound does not start on the upgraded schema)", applied, latest)
	}
	return nil
}

// ErrReadOnly is returned by every write to a store opened read-only.
var ErrReadOnly = errors.New("store opened read-only")

// inWriteTx runs fn in a write transaction and commits it when fn succeeds.
func (s *sqlStore) inWriteTx(ctx context.Context, fn func(tx writeTx) error) error {
	if s.readOnly {
		return ErrReadOnly
	}
	s.prepared.prepareWanted(ctx, s.w)
	sqlTx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin %s transaction: %w", s.q.name, err)
	}
	tx := writeTx{Tx: sqlTx, prepared: s.prepared, w: s.w}
	if err := fn(tx); err != nil {
		return errors.Join(err, ignoreDone(tx.Rollback()))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit %s transaction: %w", s.q.name, err)
	}
	return nil
}

// prepare lists the dialect's frequent statements, each prepared at its
// first use: writes on w (whose one connection every write transaction
// uses) and reads on r.
func (s *sqlStore) prepare() {
	s.prepared = stmts{}
	readers := s.r
	if s.lock != nil && !s.readOnly {
		// SQLite, its one owner: the writer's connection answers which keys
		// are new from a page cache its own commits keep current, where a
		// reader's cache is dropped whenever the file changed (every commit
		// does) and its pages read again.
		readers = s.w
	}
	s.prepared.add(readers, s.q.unseenKeys)
	s.prepared.add(s.r, s.q.feedState, s.q.feedStates, s.q.pendingAlerts, s.q.pendingDestinations,
		s.q.itemTexts, s.q.storyLeads, s.q.messageAlerts)
	if !s.readOnly {
		s.prepared.add(s.w, s.q.saveFeedState, s.q.markItemsSeenAt,
			s.q.insertSeen, s.q.bumpSeen, s.q.insertSeenTexts, s.q.setTexts, s.q.dedupeTaken,
			s.q.insertAlerts, s.q.recordChunkDedupe, s.q.assignBatch, s.q.markDelivered, s.q.markFailed,
			s.q.hold, s.q.holdForDigest, s.q.postAlone)
	}
}

func (s *sqlStore) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if l := s.prepared[q]; l != nil {
		st, err := l.get(ctx)
		if err != nil {
			return nil, err
		}
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

func (s *sqlStore) queryRow(ctx context.Context, q string, args ...any) row {
	if l := s.prepared[q]; l != nil {
		st, err := l.get(ctx)
		if err != nil {
			return row{err: err}
		}
		return row{row: st.QueryRowContext(ctx, args...)}
	}
	return row{row: s.r.QueryRowContext(ctx, q, args...)}
}

// row is a *sql.Row, or the error that kept its statement from running.
type row struct {
	row *sql.Row
	err error
}

func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.row.Scan(dest...)
}

// writeTx is a write transaction that runs prepared statements where it has
// them; the statements it derives close when the transaction ends.
type writeTx struct {
	*sql.Tx
	prepared stmts
	w        *sql.DB // the pool tx is on
}

// stmt returns q's prepared statement for tx, or nil when q is none.
func (tx writeTx) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if l := tx.prepared.forDB(q, tx.w); l != nil {
		return l.forTx(ctx, tx.Tx)
	}
	return nil, nil
}

func (tx writeTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st, err := tx.stmt(ctx, q); err != nil || st != nil {
		if err != nil {
			return nil, err
		}
		return st.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, q, args...)
}

func (tx writeTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st, err := tx.stmt(ctx, q); err != nil || st != nil {
		if err != nil {
			return nil, err
		}
		return st.QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, q, args...)
}

func (tx writeTx) QueryRowContext(ctx context.Context, q string, args ...any) row {
	if st, err := tx.stmt(ctx, q); err != nil || st != nil {
		if err != nil {
			return row{err: err}
		}
		return row{row: st.QueryRowContext(ctx, args...)}
	}
	return row{row: tx.Tx.QueryRowContext(ctx, q, args...)}
}

func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

// FeedState returns the state of feedID, or ErrNotFound.
func (s *sqlStore) FeedState(ctx context.Context, feedID string) (FeedState, error) {
	st, err := scanFeedState(s.queryRow(ctx, s.q.feedState, feedID).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return FeedState{}, fmt.Errorf("feed state %q: %w", feedID, ErrNotFound)
	}
	if err != nil {
		return FeedState{}, fmt.Errorf("read feed state %q: %w", feedID, err)
	}
	return st, nil
}

// FeedStates returns the state of every feed, by feed id, in one query: what
// a poller loads once at start instead of one read per feed.
func (s *sqlStore) FeedStates(ctx context.Context) (map[string]FeedState, error) {
	rows, err := s.query(ctx, s.q.feedStates)
	if err != nil {
		return nil, fmt.Errorf("read feed states: %w", err)
	}
	defer rows.Close()
	states := map[string]FeedState{}
	for rows.Next() {
		st, err := scanFeedState(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("read feed states: %w", err)
		}
		states[st.FeedID] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read feed states: %w", err)
	}
	return states, nil
}

func scanFeedState(scan func(dest ...any) error) (FeedState, error) {
	var st FeedState
	var lastPolled, lastChanged, nextPoll, failingSince, lastSuccess, minInterval, retryAt int64
	err := scan(&st.FeedID, &st.URL, &st.ETag, &st.LastModified, &st.BodyHash, &st.Initialized,
		&lastPolled, &lastChanged, &nextPoll, &st.ErrorCount, &failingSince, &st.LastError,
		&st.Disabled, &st.DisabledReason, &st.ConfigURL, &lastSuccess, &minInterval, &retryAt)
	if err != nil {
		return FeedState{}, err
	}
	st.LastPolled, st.LastChanged = fromMicro(lastPolled), fromMicro(lastChanged)
	st.NextPoll, st.FailingSince = fromMicro(nextPoll), fromMicro(failingSince)
	st.LastSuccess, st.RetryAt = fromMicro(lastSuccess), fromMicro(retryAt)
	st.MinInterval = time.Duration(minInterval) * time.Microsecond
	return st, nil
}

// SaveFeedState stores the state of a poll that produced no items.
func (s *sqlStore) SaveFeedState(ctx context.Context, st FeedState) error {
	return s.SaveFeedStates(ctx, []FeedState{st})
}

// SaveFeedStates stores many feeds' states in one transaction (one round
// trip on PostgreSQL), so a poller can group-commit the outcomes of polls
// that produced no items (304, errors, unchanged bodies).
func (s *sqlStore) SaveFeedStates(ctx context.Context, states []FeedState) error {
	for _, st := range states {
		if st.FeedID == "" {
			return errors.New("save feed state: empty FeedID")
		}
	}
	if len(states) == 0 {
		return nil
	}
	return s.txr.runTx(ctx, func(tx pipe) error {
		for _, st := range states {
			if err := tx.queue(ctx, s.saveFeedStateStep(st)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *sqlStore) saveFeedStateStep(st FeedState) step {
	return step{
		what:  fmt.Sprintf("save feed state %q", st.FeedID),
		query: s.q.saveFeedState,
		args: []any{st.FeedID, st.URL, storableText(st.ETag), storableText(st.LastModified), st.BodyHash, st.Initialized,
			toMicro(st.LastPolled), toMicro(st.LastChanged), toMicro(st.NextPoll), st.ErrorCount,
			toMicro(st.FailingSince), storableText(st.LastError), st.Disabled, storableText(st.DisabledReason), st.ConfigURL,
			toMicro(st.LastSuccess), st.MinInterval.Microseconds(), toMicro(st.RetryAt)},
	}
}

// storableText is text from outside (an error quoting a server's answer, a
// response header) as both backends keep it: PostgreSQL refuses a NUL and
// bytes that are not UTF-8, which SQLite would keep, so each becomes U+FFFD
// on both.
func storableText(s string) string {
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// UnseenKeys returns the subset of keys not yet seen for feedID, in the
// order given.
func (s *sqlStore) UnseenKeys(ctx context.Context, feedID string, keys []string) ([]string, error) {
	var unseen []string
	for chunk := range slices.Chunk(keys, rowsPerStatement) {
		list, err := jsonList(chunk)
		if err != nil {
			return nil, fmt.Errorf("unseen keys of %q: %w", feedID, err)
		}
		got, err := s.queryStrings(ctx, s.q.unseenKeys, feedID, list)
		if err != nil {
			return nil, fmt.Errorf("unseen keys of %q: %w", feedID, err)
		}
		unseen = append(unseen, got...)
	}
	return unseen, nil
}

// rowsPerStatement bounds the rows (keys, alerts) one statement carries, so
// that a poll of 100,000 items is many modest statements in one
// transaction, never one giant parameter.
const rowsPerStatement = 500

// CommitPoll records a poll in one transaction: the feed state, every key
// (new ones inserted, present ones' last_seen bumped, and that of the
// Present keys already seen), the text signatures
// of Poll.Texts (new keys inserted with theirs, seen keys' rewritten when
// they changed) and the alerts of keys
// this commit inserted whose dedupe keys are not already in the outbox of
// their destination within the dedupe window (those it refused so that
// carry a story kept as refused reports: keepRefused). It returns how many
// alerts were enqueued.
//
// The transaction is two exchanges with the database: the first records
// the state and keys and reads back which keys are new and which dedupe
// keys are taken; the second inserts the alerts chosen from those answers
// (a poll without alerts needs only the first, unless it matched items
// under the watches of its feed, which the first reads and the commit
// compares: see Poll.WatchFeed; a feed of the config file reads none, and
// runs exactly the statements it ran before). On PostgreSQL each is one
// round trip, or for a huge poll one per megabyte of statements of at most 500 rows each. Text signatures travel in the first exchange; a poll
// without them runs exactly the statements it ran before they existed.
func (s *sqlStore) CommitPoll(ctx context.Context, feedID string, p Poll) (int, error) {
	st, keys, err := checkPoll(feedID, p)
	if err != nil {
		return 0, err
	}
	now := s.now()
	enqueued := 0
	var dups []Duplicate
	err = s.txr.runTx(ctx, func(tx pipe) error {
		c := &pollCommit{s: s, tx: tx, feedID: feedID, now: now}
		if err := c.record(ctx, st, keys, p.Texts, p.Alerts, p.WatchFeed); err != nil {
			return err
		}
		if err := c.bump(ctx, p.Present); err != nil {
			return err
		}
		if len(p.Alerts) == 0 && p.WatchFeed == "" {
			return nil // nothing to choose: the commit travels with the rest
		}
		if err := tx.flush(ctx); err != nil {
			return err
		}
		if p.WatchFeed != "" {
			if err := c.edited(p.Watches); err != nil {
				return err // rolled back: the poll is matched again
			}
		}
		var chosen []int
		chosen, dups = c.choose(p.Alerts)
		enqueued = len(chosen)
		// The refused reports first: an alert of this poll that takes
		// one into its story (Alert.Takes) moves it as it moves this
		// poll's alerts, which enqueue inserts before their takes.
		if err := c.keepRefused(ctx, p.Alerts, dups); err != nil {
			return err
		}
		return c.enqueue(ctx, p.Alerts, chosen)
	})
	if err != nil {
		return 0, fmt.Errorf("commit poll of %q: %w", feedID, err)
	}
	if p.Duplicates != nil {
		*p.Duplicates = dups
	}
	return enqueued, nil
}

// checkPoll validates a poll before any SQL runs and returns its state with
// FeedID filled in and its keys without duplicates. Text must be valid
// UTF-8: it travels in JSON, which would silently replace invalid bytes.
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
		if !utf8.ValidString(k) {
			return FeedState{}, nil, fmt.Errorf("commit poll of %q: key %q is not valid UTF-8", feedID, k)
		}
		inPoll[k] = true
	}
	for _, a := range p.Alerts {
		if !inPoll[a.ItemKey] {
			return FeedState{}, nil, fmt.Errorf("commit poll of %q: alert for item %q whose key is not in Poll.Keys", feedID, a.ItemKey)
		}
		if a.Destination == "" {
			return FeedState{}, nil, fmt.Errorf("commit poll of %q: alert for item %q has no destination", feedID, a.ItemKey)
		}
		if id, watch := WatchOf(a.Subscription); watch && !slices.ContainsFunc(p.Watches, func(w Watch) bool { return w.ID == id }) {
			return FeedState{}, nil, fmt.Errorf("commit poll of %q: alert of %q for item %q: its watch is not in Poll.Watches", feedID, a.Subscription, a.ItemKey)
		}
		texts := [][]string{{a.Destination, a.Subscription, a.FeedID, a.Batch, a.LastError, a.Digest, a.Story}, a.DedupeKeys}
		for _, t := range a.Takes {
			texts = append(texts, []string{t.Item, t.From})
		}
		for _, text := range texts {
			if i := slices.IndexFunc(text, func(v string) bool { return !utf8.ValidString(v) }); i >= 0 {
				return FeedState{}, nil, fmt.Errorf("commit poll of %q: alert for item %q: %q is not valid UTF-8", feedID, a.ItemKey, text[i])
			}
		}
	}
	for _, w := range p.Watches {
		if w.FeedURL != p.WatchFeed || w.Paused {
			return FeedState{}, nil, fmt.Errorf("commit poll of %q: Poll.Watches has watch %d of %q (paused %v), not one of Poll.WatchFeed %q not paused", feedID, w.ID, w.FeedURL, w.Paused, p.WatchFeed)
		}
	}
	for k := range p.Texts {
		if !inPoll[k] {
			return FeedState{}, nil, fmt.Errorf("commit poll of %q: text signature for item %q whose key is not in Poll.Keys", feedID, k)
		}
	}
	return st, keys, nil
}

// lastSeenGranularity is how stale a present key's last_seen may get before
// a commit rewrites it. Prune allows for it, so it trades a little pruning
// precision (a key gone from its feed may live this much longer) for not
// rewriting every key of every feed on every poll.
const lastSeenGranularity = time.Hour

// pollCommit is one CommitPoll transaction in progress.
type pollCommit struct {
	s      *sqlStore
	tx     pipe
	feedID string
	now    time.Time

	fresh map[string]bool // keys this transaction inserted
	// taken are the dedupe keys in the outbox within the window, each
	// with the story of the alert that holds it.
	taken map[destKey]string
	// watched are the stored watches of Poll.WatchFeed, not paused, as
	// they are at the commit, by id: see edited.
	watched map[int64]Watch
}

// destKey is a dedupe key within one destination.
type destKey struct{ destination, key string }

// record queues the first exchange: lock the destinations (PostgreSQL),
// read the watches of the feed (Poll.WatchFeed), save the state, mark the
// keys seen (collecting the new ones) with their text signatures and look
// up the alerts' dedupe keys (collecting those taken). The answers are in
// c.watched, c.fresh and c.taken once the pipe is flushed.
func (c *pollCommit) record(ctx context.Context, st FeedState, keys []string, texts map[string][]byte, alerts []Alert, watchFeed string) error {
	c.fresh = make(map[string]bool)
	c.taken = make(map[destKey]string)
	dedupe := dedupeKeysByDestination(alerts)
	if err := c.lockDestinations(ctx, dedupe); err != nil {
		return err
	}
	if err := c.readWatches(ctx, watchFeed); err != nil {
		return err
	}
	now := toMicro(c.now)
	err := c.tx.queue(ctx, c.s.saveFeedStateStep(st), step{
		what: "mark items seen", query: c.s.q.markItemsSeenAt, args: []any{c.feedID, now},
	})
	if err != nil {
		return err
	}
	for chunk := range slices.Chunk(keys, rowsPerStatement) {
		list, err := jsonList(chunk)
		if err != nil {
			return err
		}
		insert := step{what: "mark keys seen", query: c.s.q.insertSeen, args: []any{c.feedID, list, now}, row: c.markFresh}
		withSigs, changed, err := textRows(chunk, texts)
		if err != nil {
			return err
		}
		if withSigs != "" {
			insert.query, insert.args = c.s.q.insertSeenTexts, []any{c.feedID, withSigs, now}
		}
		steps := []step{insert, c.bumpStep(list)}
		if changed != "" {
			steps = append(steps, step{what: "remember text signatures", query: c.s.q.setTexts, args: []any{c.feedID, changed, now}})
		}
		if err := c.tx.queue(ctx, steps...); err != nil {
			return err
		}
	}
	cutoff := toMicro(c.now.Add(-c.s.opt.dedupeWindow))
	for _, d := range dedupe {
		for chunk := range slices.Chunk(d.keys, rowsPerStatement) {
			list, err := jsonList(chunk)
			if err != nil {
				return err
			}
			err = c.tx.queue(ctx, step{
				what: fmt.Sprintf("check dedupe keys of %q", d.destination), query: c.s.q.dedupeTaken,
				args: []any{d.destination, list, cutoff},
				row: func(scan func(...any) error) error {
					var k, story string
					if err := scan(&k, &story); err != nil {
						return err
					}
					c.taken[destKey{d.destination, k}] = story
					return nil
				}})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// bump queues the statements that bump the last-seen time of those of
// present (Poll.Present) already seen, inserting none.
func (c *pollCommit) bump(ctx context.Context, present []string) error {
	for chunk := range slices.Chunk(uniqueStrings(present), rowsPerStatement) {
		list, err := jsonList(chunk)
		if err != nil {
			return err
		}
		if err := c.tx.queue(ctx, c.bumpStep(list)); err != nil {
			return err
		}
	}
	return nil
}

// bumpStep bumps the last-seen time of the seen keys of list (a JSON
// array) not bumped within lastSeenGranularity.
func (c *pollCommit) bumpStep(list string) step {
	return step{what: "bump last seen", query: c.s.q.bumpSeen,
		args: []any{c.feedID, list, toMicro(c.now), toMicro(c.now.Add(-lastSeenGranularity))}}
}

// markFresh collects a key the insert of seen keys returned: one this
// commit inserted.
func (c *pollCommit) markFresh(scan func(...any) error) error {
	var k string
	if err := scan(&k); err != nil {
		return err
	}
	c.fresh[k] = true
	return nil
}

// textRows encodes the text signatures of one chunk of keys as JSON arrays
// of [key, signature (hex)] rows: withSigs has every key of the chunk (the
// signature empty where texts has none), what insertSeenTexts inserts;
// changed has the keys texts names, what setTexts writes over keys
// already seen. Both are empty when texts names no key of the chunk, and
// the commit then runs the plain insertSeen.
func textRows(chunk []string, texts map[string][]byte) (withSigs, changed string, err error) {
	if len(texts) == 0 {
		return "", "", nil
	}
	all := make([][2]string, len(chunk))
	var named [][2]string
	for i, k := range chunk {
		all[i][0] = k
		if sig, ok := texts[k]; ok {
			all[i][1] = hex.EncodeToString(sig)
			named = append(named, all[i])
		}
	}
	if len(named) == 0 {
		return "", "", nil
	}
	a, err := json.Marshal(all)
	if err != nil {
		return "", "", err
	}
	n, err := json.Marshal(named)
	if err != nil {
		return "", "", err
	}
	return string(a), string(n), nil
}

// destinationKeys are the dedupe keys a poll's alerts carry for one
// destination.
type destinationKeys struct {
	destination string
	keys        []string
}

// dedupeKeysByDestination groups the alerts' dedupe keys by destination,
// destinations sorted (the order locks are taken in) and keys unique.
func dedupeKeysByDestination(alerts []Alert) []destinationKeys {
	byDest := map[string][]string{}
	for _, a := range alerts {
		byDest[a.Destination] = append(byDest[a.Destination], a.DedupeKeys...)
	}
	out := make([]destinationKeys, 0, len(byDest))
	for d, keys := range byDest {
		out = append(out, destinationKeys{d, uniqueStrings(keys)})
	}
	slices.SortFunc(out, func(a, b destinationKeys) int { return strings.Compare(a.destination, b.destination) })
	return out
}

// lockDestinations takes the dialect's per-destination lock for every
// destination this commit may enqueue to, in sorted order so that two
// transactions cannot deadlock on each other, and before any row lock.
func (c *pollCommit) lockDestinations(ctx context.Context, dests []destinationKeys) error {
	if c.s.q.lockDestination == "" {
		return nil
	}
	for _, d := range dests {
		err := c.tx.queue(ctx, step{
			what: fmt.Sprintf("lock destination %q", d.destination), query: c.s.q.lockDestination,
			args: []any{d.destination},
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// readWatches queues the read of the watches of feedURL (Poll.WatchFeed)
// not paused, into c.watched. A poll matches with the watches its catalog
// had: one added or resumed since (here or on another instance) is to get
// what it matches of the poll's new items, which would be marked seen
// unmatched for it; one removed since has had its pending alerts dropped
// (DropUnwatched), and an alert this commit enqueued for it would go out
// to where nobody watches any more; one paused since is to post nothing,
// and another watch of its channel that matched the item too is to post
// it; one edited since is to post what its new query matches, in its new
// channel (see edited). On PostgreSQL the watches' version row is locked
// first (lockWatches), until the commit: a change of the watches either
// comes after the commit, as if made after this poll (a removal's
// DropUnwatched finds these alerts), or is seen here. No watch row is
// locked: a change locks its row before the version row, and would wait
// for this commit while this one waited for it.
func (c *pollCommit) readWatches(ctx context.Context, feedURL string) error {
	if feedURL == "" {
		return nil
	}
	c.watched = make(map[int64]Watch)
	var steps []step
	if c.s.q.lockWatches != "" {
		steps = append(steps, step{what: "lock the watches' version", query: c.s.q.lockWatches, row: func(scan func(...any) error) error {
			var version int64
			return scan(&version)
		}})
	}
	steps = append(steps, step{
		what: "read the watches of the feed", query: c.s.q.liveWatches, args: []any{feedURL},
		row: func(scan func(...any) error) error {
			w := Watch{FeedURL: feedURL}
			if err := scan(&w.ID, &w.Query, &w.ChannelID, &w.Forum, &w.MentionRole); err != nil {
				return err
			}
			c.watched[w.ID] = w
			return nil
		}})
	return c.tx.queue(ctx, steps...)
}

// edited returns an ErrWatchesEdited naming how the stored watches of the
// feed, not paused (c.watched), differ from those the poll matched under
// (Poll.Watches): one added or resumed, removed or paused, or edited in
// its query, its destination (channel, forum) or the role its alerts ping
// during the poll: every field of a watch that shapes its alert. The
// store does not match: the transaction is rolled back, and the caller
// matches the poll again under the watches as they are and commits it
// anew, as if made after the change. Its items are not marked seen
// meanwhile, so what a watch matches at the commit is not lost, and what
// it matched only before the change is never enqueued.
func (c *pollCommit) edited(matched []Watch) error {
	var changes []string
	was := make(map[int64]Watch, len(matched))
	for _, w := range matched {
		was[w.ID] = w
	}
	for _, id := range slices.Sorted(maps.Keys(c.watched)) {
		if _, ok := was[id]; !ok {
			changes = append(changes, fmt.Sprintf("watch %d added or resumed", id))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(was)) {
		w, now := was[id], c.watched[id]
		switch {
		case now.ID == 0:
			changes = append(changes, fmt.Sprintf("watch %d removed or paused", id))
		case now.Query != w.Query:
			changes = append(changes, fmt.Sprintf("watch %d's query edited from %q to %q", id, w.Query, now.Query))
		case now.ChannelID != w.ChannelID || now.Forum != w.Forum:
			changes = append(changes, fmt.Sprintf("watch %d moved from channel %s (forum %v) to %s (forum %v)", id, w.ChannelID, w.Forum, now.ChannelID, now.Forum))
		case now.MentionRole != w.MentionRole:
			changes = append(changes, fmt.Sprintf("watch %d's role edited from %q to %q", id, w.MentionRole, now.MentionRole))
		}
	}
	if len(changes) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrWatchesEdited, strings.Join(changes, ", "))
}

// choose returns the indexes of the alerts to enqueue, in order: those
// whose item this commit newly marked seen (a watch's alert is of a watch
// as it is at the commit: see edited) and none of whose dedupe keys is
// taken for its destination, by the outbox or by an alert chosen before
// it; and those it refused for a key taken so (the rest of those newly
// seen).
func (c *pollCommit) choose(alerts []Alert) (chosen []int, dups []Duplicate) {
	for i, a := range alerts {
		if !c.fresh[a.ItemKey] {
			continue
		}
		if k := slices.IndexFunc(a.DedupeKeys, func(k string) bool {
			_, ok := c.taken[destKey{a.Destination, k}]
			return ok
		}); k >= 0 {
			dups = append(dups, Duplicate{Alert: i, Story: c.taken[destKey{a.Destination, a.DedupeKeys[k]}]})
			continue
		}
		for _, k := range a.DedupeKeys {
			c.taken[destKey{a.Destination, k}] = a.Story
		}
		chosen = append(chosen, i)
	}
	return chosen, dups
}

// enqueue queues the second exchange: the chosen alerts and their dedupe
// keys, rowsPerStatement alerts to a statement.
func (c *pollCommit) enqueue(ctx context.Context, alerts []Alert, chosen []int) error {
	now := toMicro(c.now)
	for chunk := range slices.Chunk(chosen, rowsPerStatement) {
		rows, err := c.alertRows(alerts, chunk)
		if err != nil {
			return err
		}
		steps := []step{{what: "insert alerts", query: c.s.q.insertAlerts, args: []any{rows, now}}}
		if c.s.q.recordChunkDedupe != "" {
			steps = append(steps, step{what: "record dedupe keys", query: c.s.q.recordChunkDedupe,
				args: []any{len(chunk), now}})
		}
		if err := c.tx.queue(ctx, steps...); err != nil {
			return err
		}
	}
	return c.takeIntoStories(ctx, alerts, chosen)
}

// keepRefused queues, for each alert refused as a duplicate that carries a
// story and a fingerprint (one the story index holds, as StoryRows reads
// alerts), the statement that keeps it as a refused report: the index
// lists it in its story, or under the story of the alert holding its key
// once the caller's merge moves it (MoveStories), and its words help the
// story's further reports find it; StoryRows gives it back after a
// restart, and to other instances.
func (c *pollCommit) keepRefused(ctx context.Context, alerts []Alert, dups []Duplicate) error {
	for _, d := range dups {
		a := alerts[d.Alert]
		if a.Story == "" || len(a.Fingerprint) == 0 {
			continue
		}
		err := c.tx.queue(ctx, step{what: "keep a report refused as a duplicate", query: c.s.q.insertRefused,
			args: []any{a.Destination, a.FeedID, a.ItemKey, a.Story, a.Fingerprint, toMicro(c.now)}})
		if err != nil {
			return err
		}
	}
	return nil
}

// takeIntoStories queues, for each chosen alert that takes earlier alerts
// into its story (Alert.Takes), the statements that move them.
func (c *pollCommit) takeIntoStories(ctx context.Context, alerts []Alert, chosen []int) error {
	for _, i := range chosen {
		a := alerts[i]
		for _, t := range a.Takes {
			err := c.tx.queue(ctx, c.s.moveSteps(StoryMove{Destination: a.Destination, Item: t.Item, From: t.From, To: a.Story})...)
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// moveSteps are the statements that make one move: of the item's alerts
// (takeIntoStory) and of its refused report (takeRefusedIntoStory).
func (s *sqlStore) moveSteps(m StoryMove) []step {
	args := []any{m.To, m.Destination, m.From, m.Item}
	return []step{
		{what: "take alerts into their story", query: s.q.takeIntoStory, args: args},
		{what: "take a refused report into its story", query: s.q.takeRefusedIntoStory, args: args},
	}
}

// MoveStories makes moves in one transaction (see Store.MoveStories); a
// move into the empty story (ungrouping) is refused, as is one whose
// values the database rejects (ErrMoveRefused).
func (s *sqlStore) MoveStories(ctx context.Context, moves []StoryMove) error {
	for _, m := range moves {
		if m.To == "" {
			return fmt.Errorf("move %q in %q from story %q: empty story: %w", m.Item, m.Destination, m.From, ErrMoveRefused)
		}
	}
	if len(moves) == 0 {
		return nil
	}
	err := s.txr.runTx(ctx, func(tx pipe) error {
		for _, m := range moves {
			if err := tx.queue(ctx, s.moveSteps(m)...); err != nil {
				return err
			}
		}
		return nil
	})
	if refusedForGood(err) {
		return fmt.Errorf("move %d alerts into their stories: %w: %w", len(moves), ErrMoveRefused, err)
	}
	if err != nil {
		return fmt.Errorf("move %d alerts into their stories: %w", len(moves), err)
	}
	return nil
}

// refusedForGood reports whether err is the database refusing the values
// it was given rather than failing to take them: PostgreSQL's data
// exceptions (SQLSTATE class 22), which the same values raise again
// however often they are tried. SQLite stores any text it is given.
func refusedForGood(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "22")
}

// alertRows encodes alerts as the JSON array of rows the insertAlerts
// statement reads: [destination, subscription, feed_id, item_key,
// dedupe_keys (a JSON text), payload (hex), created_at, batch, attempts,
// next_attempt, last_error, hold_until, digest, story, joins, fingerprint
// (hex)].
func (c *pollCommit) alertRows(alerts []Alert, chunk []int) (string, error) {
	rows := make([][]any, len(chunk))
	for i, idx := range chunk {
		a := alerts[idx]
		dedupe, err := jsonList(uniqueStrings(a.DedupeKeys))
		if err != nil {
			return "", err
		}
		created := a.CreatedAt
		if created.IsZero() {
			created = c.now
		}
		rows[i] = []any{a.Destination, a.Subscription, a.FeedID, a.ItemKey, dedupe,
			hex.EncodeToString(a.Payload), toMicro(created), a.Batch, a.Attempts,
			toMicro(a.NextAttempt), a.LastError, toMicro(a.HoldUntil), a.Digest,
			a.Story, a.Joins, hex.EncodeToString(a.Fingerprint)}
	}
	b, err := json.Marshal(rows)
	return string(b), err
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

// DueAlerts returns the undelivered, undropped alerts of destination not
// held past now, oldest (lowest id) first, whatever their NextAttempt. A
// limit of zero or less means no limit.
func (s *sqlStore) DueAlerts(ctx context.Context, destination string, now time.Time, limit int) ([]Alert, error) {
	if limit <= 0 {
		limit = math.MaxInt32
	}
	return s.alerts(ctx, fmt.Sprintf("due alerts for %q", destination), s.q.dueAlerts, destination, toMicro(now), limit)
}

// DigestAlerts returns the undelivered, undropped alerts of destination
// whose Digest is digest, oldest first; none for an empty digest.
func (s *sqlStore) DigestAlerts(ctx context.Context, destination, digest string) ([]Alert, error) {
	return s.alerts(ctx, fmt.Sprintf("alerts of digest %q for %q", digest, destination), s.q.digestAlerts, destination, digest)
}

// BatchAlerts returns the undelivered, undropped alerts of destination in
// batch, oldest first; none for an empty batch.
func (s *sqlStore) BatchAlerts(ctx context.Context, destination, batch string) ([]Alert, error) {
	return s.alerts(ctx, fmt.Sprintf("alerts of batch %q for %q", batch, destination), s.q.batchAlerts, destination, batch)
}

// BatchDelivered returns the first alert of destination's batch, from id
// from on, recorded delivered, or ErrNotFound.
func (s *sqlStore) BatchDelivered(ctx context.Context, destination, batch string, from int64) (Alert, error) {
	as, err := s.alerts(ctx, fmt.Sprintf("delivered alert of batch %q for %q", batch, destination), s.q.batchDelivered, destination, batch, from)
	if err != nil {
		return Alert{}, err
	}
	if len(as) == 0 {
		return Alert{}, ErrNotFound
	}
	return as[0], nil
}

// CountUnheld counts subscription's alerts enqueued at or after since,
// delivered or not, that were sent one by one: not held for a digest (no
// Digest; a HoldUntil set by Hold does not make one held), and not joins
// (which edit their story's message rather than post one) unless posted
// alone (a message batch, "nh…"), counted from when PostAlone was called.
func (s *sqlStore) CountUnheld(ctx context.Context, subscription string, since time.Time) (int, error) {
	var n int
	if err := s.queryRow(ctx, s.q.countUnheld, subscription, toMicro(since)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count alerts of %q since %s: %w", subscription, since.Format(time.RFC3339), err)
	}
	return n, nil
}

func (s *sqlStore) alerts(ctx context.Context, what, query string, args ...any) ([]Alert, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	alerts, err := scanAlerts(rows)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return alerts, nil
}

// StoryRows returns the alerts enqueued (on the store's clock) at or after
// since whose Fingerprint is not empty, by id, with only ID, Destination,
// FeedID, ItemKey, Story, Joins, Fingerprint and EnqueuedAt read: it runs
// at every start over the story window's rows, so it leaves the payloads
// on disk. The refused reports of that time (ID 0) come among them by
// EnqueuedAt, each after the alerts of its commit.
func (s *sqlStore) StoryRows(ctx context.Context, since time.Time) ([]Alert, error) {
	what := fmt.Sprintf("story rows since %s", since.Format(time.RFC3339))
	alerts, err := s.storyRows(ctx, s.q.storyRows, since, func(scan func(...any) error, a *Alert) error {
		return scan(&a.ID, &a.Destination, &a.FeedID, &a.ItemKey, &a.Story, &a.Joins, &a.Fingerprint)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	refused, err := s.storyRows(ctx, s.q.refusedRows, since, func(scan func(...any) error, a *Alert) error {
		return scan(&a.Destination, &a.FeedID, &a.ItemKey, &a.Story, &a.Fingerprint)
	})
	if err != nil {
		return nil, fmt.Errorf("%s, refused reports: %w", what, err)
	}
	return mergeByEnqueued(alerts, refused), nil
}

// storyRows runs a query of story rows since a time, scanning each row's
// columns but its last, enqueued_at.
func (s *sqlStore) storyRows(ctx context.Context, query string, since time.Time, scanRow func(func(...any) error, *Alert) error) ([]Alert, error) {
	rows, err := s.query(ctx, query, toMicro(since))
	if err != nil {
		return nil, err
	}
	return scanEach(rows, func(scan func(...any) error) (Alert, error) {
		var a Alert
		var enqueued int64
		err := scanRow(func(dest ...any) error { return scan(append(dest, &enqueued)...) }, &a)
		a.EnqueuedAt = fromMicro(enqueued)
		return a, err
	})
}

// mergeByEnqueued puts each of refused (by EnqueuedAt) among alerts (by
// id) before the first alert enqueued after it: the alerts keep their
// order, and a refused report comes after those of its commit.
func mergeByEnqueued(alerts, refused []Alert) []Alert {
	if len(refused) == 0 {
		return alerts
	}
	out := make([]Alert, 0, len(alerts)+len(refused))
	for _, a := range alerts {
		for len(refused) > 0 && refused[0].EnqueuedAt.Before(a.EnqueuedAt) {
			out, refused = append(out, refused[0]), refused[1:]
		}
		out = append(out, a)
	}
	return append(out, refused...)
}

// StoryLeads returns the alerts that may lead story in destination (see
// Store.StoryLeads): its alerts that are no join, then its joins posted
// alone; delivered, dropped or pending; or ErrNotFound (also for the
// empty story: grouping was off).
func (s *sqlStore) StoryLeads(ctx context.Context, destination, story string) ([]Alert, error) {
	what := fmt.Sprintf("leads of story %q in %q", story, destination)
	as, err := s.alerts(ctx, what, s.q.storyLeads, destination, story)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return as, nil
}

// MessageAlerts returns the alerts of destination marked delivered with
// messageID (MarkDelivered), oldest first; none for an empty messageID.
func (s *sqlStore) MessageAlerts(ctx context.Context, destination, messageID string) ([]Alert, error) {
	return s.alerts(ctx, fmt.Sprintf("alerts of message %q in %q", messageID, destination), s.q.messageAlerts, destination, messageID)
}

// Hold sets HoldUntil of those of ids that are neither delivered nor
// dropped, in one statement; a zero until releases them. It leaves Digest
// alone: a held join was never held for a digest (CountUnheld); like any
// alert held past now, OutboxStats leaves it out until then.
func (s *sqlStore) Hold(ctx context.Context, ids []int64, until time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	list, err := idList(ids)
	if err != nil {
		return err
	}
	return s.inWriteTx(ctx, func(tx writeTx) error {
		if _, err := tx.ExecContext(ctx, s.q.hold, list, toMicro(until)); err != nil {
			return fmt.Errorf("hold %d alerts until %s: %w", len(ids), until.Format(time.RFC3339), err)
		}
		return nil
	})
}

// HoldForDigest puts an alert waiting for no batch yet into a digest (see
// Store.HoldForDigest).
func (s *sqlStore) HoldForDigest(ctx context.Context, id int64, digest string, until, at time.Time) error {
	return s.updateAlert(ctx, fmt.Sprintf("hold for digest %q", digest), id, s.q.holdForDigest, id, digest, toMicro(until), toMicro(at))
}

// ReplanDigests moves held alerts to the digests plan gives them (see
// Store.ReplanDigests).
func (s *sqlStore) ReplanDigests(ctx context.Context, plan func([]Alert, map[string]string) ([]Alert, map[string]string)) (int, error) {
	moved := 0
	err := s.inWriteTx(ctx, func(tx writeTx) error {
		moved = 0
		rows, err := tx.QueryContext(ctx, s.q.heldForDigests)
		if err != nil {
			return fmt.Errorf("alerts held for digests: %w", err)
		}
		held, err := scanAlerts(rows)
		if err != nil {
			return fmt.Errorf("alerts held for digests: %w", err)
		}
		planned, err := plannedDeliveries(ctx, tx, s.q.plannedDeliveries)
		if err != nil {
			return err
		}
		was := make(map[int64]Alert, len(held))
		for _, a := range held {
			was[a.ID] = a
		}
		moves, deliveries := plan(held, planned)
		if err := s.writePlanned(ctx, tx, s.q.setPlannedDelivery, deliveries); err != nil {
			return err
		}
		for _, a := range moves {
			old, ok := was[a.ID]
			if !ok || old.Digest == a.Digest && toMicro(old.HoldUntil) == toMicro(a.HoldUntil) {
				continue
			}
			res, err := tx.ExecContext(ctx, s.q.replanDigest, a.ID, a.Digest, toMicro(a.HoldUntil), old.Digest)
			if err != nil {
				return fmt.Errorf("re-plan alert %d into digest %q: %w", a.ID, a.Digest, err)
			}
			if n, err := res.RowsAffected(); err == nil {
				moved += int(n)
			}
		}
		return nil
	})
	return moved, err
}

// PlannedDeliveries reads the delivery each subscription's held alerts
// were planned under (see Store.PlannedDeliveries).
func (s *sqlStore) PlannedDeliveries(ctx context.Context) (map[string]string, error) {
	return plannedDeliveries(ctx, s.r, s.q.plannedDeliveries)
}

// AddPlannedDeliveries writes down the deliveries of subscriptions that
// have none (see Store.AddPlannedDeliveries).
func (s *sqlStore) AddPlannedDeliveries(ctx context.Context, deliveries map[string]string) error {
	return s.inWriteTx(ctx, func(tx writeTx) error {
		return s.writePlanned(ctx, tx, s.q.addPlannedDelivery, deliveries)
	})
}

// NotePlannedDeliveries writes deliveries down in place of what is (see
// Store.NotePlannedDeliveries).
func (s *sqlStore) NotePlannedDeliveries(ctx context.Context, deliveries map[string]string) error {
	return s.inWriteTx(ctx, func(tx writeTx) error {
		return s.writePlanned(ctx, tx, s.q.setPlannedDelivery, deliveries)
	})
}

// writePlanned writes deliveries down with query: setPlannedDelivery,
// which replaces what is written, or addPlannedDelivery, which keeps it;
// an empty one deletes what is written. Instances write the same
// subscriptions at once (outside the re-plan's lock: starts, re-plans
// owed), so each takes their rows in one order, or PostgreSQL refuses
// one as a deadlock.
func (s *sqlStore) writePlanned(ctx context.Context, tx writeTx, query string, deliveries map[string]string) error {
	for _, sub := range slices.Sorted(maps.Keys(deliveries)) {
		d := deliveries[sub]
		q, args := query, []any{sub, d}
		if d == "" {
			q, args = s.q.dropPlanned, args[:1]
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("the delivery subscription %q's held alerts follow: %w", sub, err)
		}
	}
	return nil
}

// plannedDeliveries reads, with q (ReplanDigests' transaction, or a read
// outside it), the delivery each subscription's held alerts were planned
// under.
func plannedDeliveries(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("the deliveries held alerts follow: %w", err)
	}
	type planned struct{ sub, delivery string }
	all, err := scanEach(rows, func(scan func(...any) error) (planned, error) {
		var p planned
		return p, scan(&p.sub, &p.delivery)
	})
	if err != nil {
		return nil, fmt.Errorf("the deliveries held alerts follow: %w", err)
	}
	out := make(map[string]string, len(all))
	for _, p := range all {
		out[p.sub] = p.delivery
	}
	return out, nil
}

// PostAlone makes a join a message of its own (see Store.PostAlone).
func (s *sqlStore) PostAlone(ctx context.Context, id int64, story, batch string, at time.Time) error {
	return s.updateAlert(ctx, fmt.Sprintf("post alone in batch %q", batch), id, s.q.postAlone, id, batch, toMicro(at), story)
}

// ItemTexts returns the stored text signature of each of keys of feedID
// that has a non-empty one (Poll.Texts); keys unseen or without one are
// absent.
func (s *sqlStore) ItemTexts(ctx context.Context, feedID string, keys []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for chunk := range slices.Chunk(keys, rowsPerStatement) {
		list, err := jsonList(chunk)
		if err != nil {
			return nil, fmt.Errorf("text signatures of %q: %w", feedID, err)
		}
		if err := s.readTexts(ctx, feedID, list, out); err != nil {
			return nil, fmt.Errorf("text signatures of %q: %w", feedID, err)
		}
	}
	return out, nil
}

// FirstSeen returns when each of keys of feedID that is seen was first
// seen (see Store.FirstSeen).
func (s *sqlStore) FirstSeen(ctx context.Context, feedID string, keys []string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for chunk := range slices.Chunk(keys, rowsPerStatement) {
		list, err := jsonList(chunk)
		if err != nil {
			return nil, fmt.Errorf("first sight of keys of %q: %w", feedID, err)
		}
		rows, err := s.query(ctx, s.q.firstSeen, feedID, list)
		if err != nil {
			return nil, fmt.Errorf("first sight of keys of %q: %w", feedID, err)
		}
		type sight struct {
			key   string
			first int64
		}
		sights, err := scanEach(rows, func(scan func(...any) error) (sight, error) {
			var v sight
			return v, scan(&v.key, &v.first)
		})
		if err != nil {
			return nil, fmt.Errorf("first sight of keys of %q: %w", feedID, err)
		}
		for _, v := range sights {
			out[v.key] = fromMicro(v.first)
		}
	}
	return out, nil
}

func (s *sqlStore) readTexts(ctx context.Context, feedID, list string, into map[string][]byte) error {
	rows, err := s.query(ctx, s.q.itemTexts, feedID, list)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var sig []byte
		if err := rows.Scan(&key, &sig); err != nil {
			return err
		}
		into[key] = sig
	}
	return rows.Err()
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

// OutboxStats describes each destination's pending alerts: every
// undelivered, undropped alert but those held past now (for a digest, or
// by Hold: a join waiting a moment for its story's message), as
// Store.OutboxStats says.
func (s *sqlStore) OutboxStats(ctx context.Context) ([]OutboxStats, error) {
	rows, err := s.query(ctx, s.q.outboxStats, toMicro(s.now()))
	if err != nil {
		return nil, fmt.Errorf("outbox stats: %w", err)
	}
	out, err := scanEach(rows, func(scan func(...any) error) (OutboxStats, error) {
		var o OutboxStats
		var oldest int64
		err := scan(&o.Destination, &o.Pending, &oldest, &o.Attempts, &o.LastError)
		o.OldestEnqueued = fromMicro(oldest)
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("outbox stats: %w", err)
	}
	return out, nil
}

// AssignBatch sets Batch on those of ids that are neither delivered nor
// dropped; other ids are left alone.
func (s *sqlStore) AssignBatch(ctx context.Context, ids []int64, batch string) error {
	if len(ids) == 0 {
		return nil
	}
	list, err := idList(ids)
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

// MarkDelivered records that the destination accepted alert id, and its
// undelivered batch mates (see Store.MarkDelivered). A zero at means now,
// since a zero delivery time would read as "not delivered".
func (s *sqlStore) MarkDelivered(ctx context.Context, id int64, messageID string, at time.Time) error {
	if at.IsZero() {
		at = s.now()
	}
	return s.updateAlert(ctx, "mark delivered", id, s.q.markDelivered, id, toMicro(at), messageID)
}

// MarkFailed counts a failed attempt, keeps its error and hides the alert
// from PendingAlerts until nextAttempt.
func (s *sqlStore) MarkFailed(ctx context.Context, id int64, errMsg string, nextAttempt time.Time) error {
	return s.updateAlert(ctx, "mark failed", id, s.q.markFailed, id, storableText(errMsg), toMicro(nextAttempt))
}

// MarkDropped gives up on alert id for good, keeping reason as its error.
func (s *sqlStore) MarkDropped(ctx context.Context, id int64, reason string) error {
	return s.updateAlert(ctx, "mark dropped", id, s.q.markDropped, id, storableText(reason))
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
// was in its feed's latest item set), delivered or dropped alerts enqueued
// before `before` (whatever the age of their item), and dedupe keys older than both `before` and the dedupe
// window (so pruning never shortens the window).
//
// Story state lives in those rows and goes with them, with nothing extra
// to keep: an alert's Story, Joins and Fingerprint with the alert, a seen
// key's text signature with the key; a refused report, having no delivery
// to wait for, goes once enqueued before `before`. The story window is far shorter than
// the retention, so StoryRows, StoryLeads and MessageAlerts never miss a
// row they need (a story whose lead was pruned has outlived its window).
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
			{"refused reports", s.q.pruneRefused, []any{toMicro(before)}},
		}
		for _, st := range steps {
			if _, err := tx.ExecContext(ctx, st.query, st.args...); err != nil {
				return fmt.Errorf("prune %s: %w", st.what, err)
			}
		}
		return nil
	})
}

// ForgetFeeds deletes the states and seen keys of feedIDs.
func (s *sqlStore) ForgetFeeds(ctx context.Context, feedIDs []string) error {
	if len(feedIDs) == 0 {
		return nil
	}
	ids, err := jsonList(feedIDs)
	if err != nil {
		return err
	}
	return s.inWriteTx(ctx, func(tx writeTx) error {
		for _, q := range []string{s.q.forgetSeen, s.q.forgetFeeds} {
			if _, err := tx.ExecContext(ctx, q, ids); err != nil {
				return fmt.Errorf("forget feeds %q: %w", feedIDs, err)
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
		if err := tx.QueryRowContext(ctx, s.q.addWatch, w.GuildID, w.ChannelID, w.FeedURL, w.Query,
			w.CreatedBy, toMicro(w.CreatedAt), w.Paused, w.PauseReason, w.MentionRole, w.Forum).Scan(&w.ID); err != nil {
			return err
		}
		return s.bumpWatches(ctx, tx)
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
	ws, err := scanEach(rows, scanWatch)
	if err != nil {
		return nil, fmt.Errorf("list watches: %w", err)
	}
	return ws, nil
}

// scanWatch reads one row of watchColumns.
func scanWatch(scan func(...any) error) (Watch, error) {
	var w Watch
	var created int64
	err := scan(&w.ID, &w.GuildID, &w.ChannelID, &w.FeedURL, &w.Query, &w.CreatedBy,
		&created, &w.Paused, &w.PauseReason, &w.MentionRole, &w.Forum)
	w.CreatedAt = fromMicro(created)
	return w, err
}

// RemoveWatch deletes watch id, or reports ErrNotFound.
func (s *sqlStore) RemoveWatch(ctx context.Context, id int64) error {
	return s.inWriteTx(ctx, func(tx writeTx) error {
		if err := execOne(ctx, tx, fmt.Sprintf("remove watch %d", id), s.q.removeWatch, id); err != nil {
			return err
		}
		return s.bumpWatches(ctx, tx)
	})
}

// UpdateWatch sets what change sets of watch id and returns the watch as
// it now is, or reports ErrNotFound.
func (s *sqlStore) UpdateWatch(ctx context.Context, id int64, change WatchChange) (Watch, error) {
	var forum *bool
	if change.ChannelID != nil {
		forum = &change.Forum
	}
	var w Watch
	err := s.inWriteTx(ctx, func(tx writeTx) error {
		var err error
		if w, err = scanWatch(tx.QueryRowContext(ctx, s.q.updateWatch, id, change.Query, change.ChannelID, forum, change.MentionRole).Scan); err != nil {
			return err
		}
		return s.bumpWatches(ctx, tx)
	})
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Watch{}, fmt.Errorf("update watch %d: %w", id, err)
	}
	return w, nil
}

// SetWatchPaused pauses or resumes watch id, or reports ErrNotFound.
func (s *sqlStore) SetWatchPaused(ctx context.Context, id int64, paused bool, reason string) error {
	return s.inWriteTx(ctx, func(tx writeTx) error {
		if err := execOne(ctx, tx, fmt.Sprintf("pause watch %d", id), s.q.setWatchPaused, id, paused, reason); err != nil {
			return err
		}
		return s.bumpWatches(ctx, tx)
	})
}

// bumpWatches moves the watches' version on, in the transaction that
// changes them.
func (s *sqlStore) bumpWatches(ctx context.Context, tx writeTx) error {
	if _, err := tx.ExecContext(ctx, s.q.bumpWatches); err != nil {
		return fmt.Errorf("moving the watches' version on: %w", err)
	}
	return nil
}

// WatchesVersion reads the watches' version: one row.
func (s *sqlStore) WatchesVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := s.r.QueryRowContext(ctx, s.q.watchesVersion).Scan(&v); err != nil {
		return 0, fmt.Errorf("reading the watches' version: %w", err)
	}
	return v, nil
}

// DropUnwatched drops the pending alerts of watches that no longer exist
// and counts them by destination.
func (s *sqlStore) DropUnwatched(ctx context.Context, reason string) (map[string]int, error) {
	out := map[string]int{}
	err := s.inWriteTx(ctx, func(tx writeTx) error {
		rows, err := tx.QueryContext(ctx, s.q.dropUnwatched, storableText(reason))
		if err != nil {
			return err
		}
		dests, err := scanEach(rows, func(scan func(...any) error) (string, error) {
			var d string
			return d, scan(&d)
		})
		for _, d := range dests {
			out[d]++
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dropping the alerts of removed watches: %w", err)
	}
	return out, nil
}

func scanAlerts(rows *sql.Rows) ([]Alert, error) { return scanEach(rows, scanAlert) }

// scanAlert reads one row of alertColumns.
func scanAlert(scan func(...any) error) (Alert, error) {
	var a Alert
	var dedupe string
	var created, next, delivered, enqueued, held, alone int64
	if err := scan(&a.ID, &a.Destination, &a.Subscription, &a.FeedID, &a.ItemKey, &dedupe,
		&a.Payload, &created, &a.Batch, &a.Attempts, &next, &a.LastError, &delivered,
		&a.MessageID, &a.Dropped, &enqueued, &held, &a.Digest, &a.Story, &a.Joins, &a.Fingerprint, &alone); err != nil {
		return Alert{}, err
	}
	a.Fingerprint = nilIfEmpty(a.Fingerprint)
	if err := json.Unmarshal([]byte(dedupe), &a.DedupeKeys); err != nil {
		return Alert{}, fmt.Errorf("alert %d: dedupe keys: %w", a.ID, err)
	}
	a.CreatedAt, a.NextAttempt, a.DeliveredAt = fromMicro(created), fromMicro(next), fromMicro(delivered)
	a.EnqueuedAt, a.HoldUntil, a.SentAloneAt = fromMicro(enqueued), fromMicro(held), fromMicro(alone)
	return a, nil
}

func scanStrings(rows *sql.Rows) ([]string, error) {
	return scanEach(rows, func(scan func(...any) error) (string, error) {
		var v string
		err := scan(&v)
		return v, err
	})
}

// scanEach reads every row of rows with scan, which is given rows.Scan,
// and closes rows.
func scanEach[T any](rows *sql.Rows, scan func(scan func(...any) error) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows.Scan)
		if err != nil {
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

// idList encodes ids as the JSON array of strings a LIST($N) parameter
// expects (the statement casts them back).
func idList(ids []int64) (string, error) {
	strs := make([]string, len(ids))
	for i, id := range ids {
		strs[i] = strconv.FormatInt(id, 10)
	}
	return jsonList(strs)
}

// nilIfEmpty reads an empty stored blob as nil, whichever of the two the
// driver returned, so both dialects give the same Alert.
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
