package store

import "strings"

// dialect is the SQL one database speaks. Statements are written once with
// numbered parameters ($1, $2: modernc.org/sqlite binds $N to the Nth
// argument just as PostgreSQL does) and a LIST($N) token for "the rows of the
// JSON array of strings in parameter N", exposing columns j.value and j.key
// (its position). Passing a whole list as one parameter keeps each
// statement's text constant whatever the feed's size, so a 500-item feed is
// one statement rather than 500 or a batch loop.
type dialect struct {
	name       string
	migrations []migration

	// lockMigrations serializes instances migrating one database at once;
	// empty when the write transaction already excludes other writers.
	lockMigrations string
	// lockDestination serializes dedupe checks for one destination across
	// concurrent transactions; empty when writers are already serialized.
	lockDestination string

	createMigrationsTable string
	appliedVersion        string
	recordMigration       string
	// hasMigrationsTable says (a boolean) whether schema_migrations exists:
	// a read-only open of a database newshound never ran with finds none.
	hasMigrationsTable string

	feedState       string
	feedStates      string
	saveFeedState   string
	markItemsSeenAt string
	unseenKeys      string
	insertSeen      string
	bumpSeen        string
	// insertSeenTexts is insertSeen for a JSON array of [key, signature
	// (hex)] rows: a poll with text signatures (Poll.Texts).
	insertSeenTexts string
	// setTexts stores the text signatures of a JSON array of [key,
	// signature (hex)] rows, rewriting only those that changed: an upsert
	// run after insertSeen, so every key is there.
	setTexts  string
	itemTexts string
	// firstSeen returns when each listed key of a feed was first seen.
	firstSeen string

	// dedupeTaken returns which of a list of dedupe keys are in one
	// destination's outbox within the window, each with the story of the
	// alert that holds it ("" when it has none or is pruned).
	dedupeTaken string
	// insertAlerts inserts a JSON array of alert rows (see alertRows) in
	// their order; on PostgreSQL it also records their dedupe keys.
	insertAlerts string
	// recordChunkDedupe records the dedupe keys of the alerts insertAlerts
	// just inserted, where that takes a second statement (SQLite).
	recordChunkDedupe string
	// insertRefused keeps a report CommitPoll refused as a duplicate
	// (refused_reports), refusedRows reads the window's back for StoryRows,
	// and takeRefusedIntoStory moves one as takeIntoStory moves alerts.
	insertRefused        string
	refusedRows          string
	takeRefusedIntoStory string

	pendingAlerts       string
	dueAlerts           string
	digestAlerts        string
	batchAlerts         string
	batchDelivered      string
	countUnheld         string
	storyRows           string
	storyLeads          string
	takeIntoStory       string
	messageAlerts       string
	hold                string
	holdForDigest       string
	heldForDigests      string
	replanDigest        string
	plannedDeliveries   string
	setPlannedDelivery  string
	addPlannedDelivery  string
	dropPlanned         string
	postAlone           string
	pendingDestinations string
	outboxStats         string
	assignBatch         string
	markDelivered       string
	markFailed          string
	markDropped         string

	pruneSeen    string
	pruneAlerts  string
	pruneDedupe  string
	pruneRefused string

	forgetSeen  string
	forgetFeeds string

	addWatch       string
	watches        string
	removeWatch    string
	setWatchPaused string
	updateWatch    string
	bumpWatches    string
	watchesVersion string
	dropUnwatched  string
	// lockWatches (PostgreSQL; empty where writers are serialized) takes
	// a share lock on the watches' version row until the transaction
	// ends: every change of the watches (add, remove, pause, resume,
	// edit) moves that row on (bumpWatches) in its transaction, so one
	// either waits for the commit that locked it, as if made after it, or
	// was committed before the lock was granted and is seen by the
	// statements that follow, liveWatches.
	lockWatches string
	// liveWatches returns the watches of a feed URL not paused, with
	// what the commit compares of them: query, channel, forum and role.
	liveWatches string
}

const alertColumns = `id, destination, subscription, feed_id, item_key, dedupe_keys, payload,
	created_at, batch, attempts, next_attempt, last_error, delivered_at, message_id, dropped, enqueued_at,
	hold_until, digest, story, joins, fingerprint, sent_alone_at`

// insertAlertColumns are the columns insertAlerts fills, in the order of an
// alert row followed by enqueued_at.
const insertAlertColumns = `destination, subscription, feed_id, item_key, dedupe_keys, payload,
	created_at, batch, attempts, next_attempt, last_error, hold_until, digest, story, joins, fingerprint,
	enqueued_at`

const watchColumns = `id, guild_id, channel_id, feed_url, query, created_by, created_at, paused, pause_reason,
	mention_role, forum`

const feedColumns = `feed_id, url, etag, last_modified, body_hash, initialized, last_polled,
	last_changed, next_poll, error_count, failing_since, last_error, disabled, disabled_reason,
	config_url, last_success, min_interval, retry_at`

// commonQueries are the statements both dialects accept verbatim once LIST
// is expanded. Parameters in a SELECT list carry a CAST because PostgreSQL
// cannot infer their type there.
var commonQueries = dialect{
	createMigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at BIGINT NOT NULL
	)`,
	appliedVersion:  `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`,
	recordMigration: `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,

	feedState:  `SELECT ` + feedColumns + ` FROM feeds WHERE feed_id = $1`,
	feedStates: `SELECT ` + feedColumns + ` FROM feeds`,
	saveFeedState: `INSERT INTO feeds (` + feedColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
		ON CONFLICT (feed_id) DO UPDATE SET
			url = excluded.url, etag = excluded.etag, last_modified = excluded.last_modified,
			body_hash = excluded.body_hash, initialized = excluded.initialized,
			last_polled = excluded.last_polled, last_changed = excluded.last_changed,
			next_poll = excluded.next_poll, error_count = excluded.error_count,
			failing_since = excluded.failing_since, last_error = excluded.last_error,
			disabled = excluded.disabled, disabled_reason = excluded.disabled_reason,
			config_url = excluded.config_url, last_success = excluded.last_success,
			min_interval = excluded.min_interval, retry_at = excluded.retry_at`,
	markItemsSeenAt: `UPDATE feeds SET items_seen_at = $2 WHERE feed_id = $1`,
	unseenKeys: `SELECT j.value FROM LIST($2)
		WHERE NOT EXISTS (SELECT 1 FROM seen_items s WHERE s.feed_id = $1 AND s.item_key = j.value)
		ORDER BY j.key`,
	// DO NOTHING returns no row for a key already present, in both
	// dialects, so RETURNING names exactly the keys this commit inserted; a
	// concurrent transaction inserting the same key waits for ours and then
	// does nothing.
	insertSeen: `INSERT INTO seen_items (feed_id, item_key, first_seen, last_seen)
		SELECT CAST($1 AS TEXT), j.value, CAST($3 AS BIGINT), CAST($3 AS BIGINT) FROM LIST($2) WHERE true
		ON CONFLICT (feed_id, item_key) DO NOTHING
		RETURNING item_key`,
	// Only keys not bumped for a while ($4) are rewritten: a feed polled
	// every minute would otherwise rewrite all its keys on every poll.
	bumpSeen: `UPDATE seen_items SET last_seen = $3
		WHERE feed_id = $1 AND last_seen < $4 AND item_key IN (SELECT j.value FROM LIST($2))`,
	// CROSS JOIN makes SQLite look each key up rather than walk the feed's
	// keys once per listed key; PostgreSQL plans it as any join.
	itemTexts: `SELECT j.value, s.text_sig FROM LIST($2) CROSS JOIN seen_items s
		WHERE s.feed_id = $1 AND s.item_key = j.value AND length(s.text_sig) > 0`,

	// By the primary key, one lookup a listed key, as itemTexts.
	firstSeen: `SELECT j.value, s.first_seen FROM LIST($2) CROSS JOIN seen_items s
		WHERE s.feed_id = $1 AND s.item_key = j.value`,

	dedupeTaken: `SELECT j.value, COALESCE(a.story, '') FROM LIST($2) CROSS JOIN alert_dedupe d
		LEFT JOIN alerts a ON a.id = d.alert_id
		WHERE d.destination = $1 AND d.dedupe_key = j.value AND d.created_at > $3`,

	pendingAlerts: `SELECT ` + alertColumns + ` FROM alerts
		WHERE destination = $1 AND delivered_at = 0 AND NOT dropped AND next_attempt <= $2
		ORDER BY id LIMIT $3`,
	dueAlerts: `SELECT ` + alertColumns + ` FROM alerts
		WHERE destination = $1 AND delivered_at = 0 AND NOT dropped AND hold_until <= $2
		ORDER BY id LIMIT $3`,
	digestAlerts: `SELECT ` + alertColumns + ` FROM alerts
		WHERE destination = $1 AND delivered_at = 0 AND NOT dropped AND digest = $2 AND digest <> ''
		ORDER BY id`,
	batchAlerts: `SELECT ` + alertColumns + ` FROM alerts
		WHERE destination = $1 AND delivered_at = 0 AND NOT dropped AND batch = $2 AND batch <> ''
		ORDER BY id`,
	// A batch's rows are its first row ($3) and later ones: the primary
	// key bounds the search.
	batchDelivered: `SELECT ` + alertColumns + ` FROM alerts
		WHERE id >= $3 AND destination = $1 AND batch = $2 AND batch <> '' AND delivered_at <> 0
		ORDER BY id LIMIT 1`,
	// Held means held for a digest (Digest set), whatever Hold did since;
	// a join is no message of its own.
	// A join posted alone counts from when it was (sent_alone_at; one
	// posted before that column has it 0 and its enqueued_at moved).
	// Two counts, so that each reads its index (alerts_sent_alone,
	// alerts_joins_alone).
	countUnheld: `SELECT
		(SELECT COUNT(*) FROM alerts
			WHERE subscription = $1 AND enqueued_at >= $2 AND digest = ''
				AND (NOT joins OR (batch LIKE 'nh%' AND sent_alone_at = 0)))
		+ (SELECT COUNT(*) FROM alerts
			WHERE subscription = $1 AND sent_alone_at >= $2 AND sent_alone_at <> 0 AND digest = '')`,
	// StoryRows runs at every start over the story window's rows: it reads
	// no payload, and it reads only the window's rows (alerts_enqueued)
	// and sorts them: ordered by a bare id, SQLite would rather walk the
	// whole outbox in id order than sort, hence +id.
	storyRows: `SELECT id, destination, feed_id, item_key, story, joins, fingerprint, enqueued_at
		FROM alerts WHERE enqueued_at >= $1 AND length(fingerprint) > 0
		ORDER BY +id`,
	// The story <> '' and message_id <> '' terms are the conditions of the
	// partial indexes these read (alerts_story_lead, alerts_message).
	// A story's alert that is no join leads it even when joins of the story
	// have lower ids: those a re-split moved into it (takeIntoStory). A
	// join a digest carried is no message of its own and leads nothing.
	storyLeads: `SELECT ` + alertColumns + ` FROM alerts
		WHERE destination = $1 AND story = $2 AND story <> ''
			AND (NOT joins OR (batch LIKE 'nh%' AND digest = ''))
		ORDER BY joins, id`,
	// takeIntoStory moves an item's alerts of one destination from one
	// story to another (a re-split, see Alert.Takes); it reads the
	// alerts_story_lead index by its story term.
	takeIntoStory: `UPDATE alerts SET story = $1
		WHERE destination = $2 AND story = $3 AND story <> '' AND feed_id || '/' || item_key = $4`,
	// An item is new once in its feed, so a refused report is written
	// once; a feed forgotten (ForgetFeeds) and seen again may refuse it
	// again, which replaces it.
	insertRefused: `INSERT INTO refused_reports (destination, feed_id, item_key, story, fingerprint, enqueued_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (destination, feed_id, item_key) DO UPDATE SET
			story = excluded.story, fingerprint = excluded.fingerprint, enqueued_at = excluded.enqueued_at`,
	refusedRows: `SELECT destination, feed_id, item_key, story, fingerprint, enqueued_at
		FROM refused_reports WHERE enqueued_at >= $1 ORDER BY enqueued_at`,
	takeRefusedIntoStory: `UPDATE refused_reports SET story = $1
		WHERE destination = $2 AND story = $3 AND feed_id || '/' || item_key = $4`,
	messageAlerts: `SELECT ` + alertColumns + ` FROM alerts
		WHERE destination = $1 AND message_id = $2 AND message_id <> '' AND delivered_at <> 0
		ORDER BY id`,
	pendingDestinations: `SELECT DISTINCT destination FROM alerts
		WHERE delivered_at = 0 AND NOT dropped ORDER BY destination`,
	// Alerts held (for a digest, quiet hours, or a join waiting a few
	// seconds for its story's message) are not backlog.
	outboxStats: `SELECT p.destination, p.pending, p.oldest, a.attempts, a.last_error
		FROM (SELECT destination, COUNT(*) AS pending, MIN(enqueued_at) AS oldest, MIN(id) AS first_id
			FROM alerts WHERE delivered_at = 0 AND NOT dropped AND hold_until <= $1
			GROUP BY destination) p
		JOIN alerts a ON a.id = p.first_id
		ORDER BY p.destination`,
	assignBatch: `UPDATE alerts SET batch = $2
		WHERE delivered_at = 0 AND NOT dropped AND id IN (SELECT CAST(j.value AS BIGINT) FROM LIST($1))`,
	hold: `UPDATE alerts SET hold_until = $2
		WHERE delivered_at = 0 AND NOT dropped AND id IN (SELECT CAST(j.value AS BIGINT) FROM LIST($1))`,
	holdForDigest: `UPDATE alerts SET digest = $2, hold_until = $3, sent_alone_at = $4
		WHERE id = $1 AND delivered_at = 0 AND NOT dropped AND batch = ''`,
	heldForDigests: `SELECT ` + alertColumns + ` FROM alerts
		WHERE delivered_at = 0 AND NOT dropped AND digest <> '' AND batch = ''
		ORDER BY id`,
	// Only a row still in the digest it was read in moves: one another
	// instance re-planned, batched or sent meanwhile is left as it is.
	replanDigest: `UPDATE alerts SET digest = $2, hold_until = $3
		WHERE id = $1 AND digest = $4 AND delivered_at = 0 AND NOT dropped AND batch = ''`,
	plannedDeliveries: `SELECT subscription, delivery FROM planned_deliveries`,
	setPlannedDelivery: `INSERT INTO planned_deliveries (subscription, delivery) VALUES ($1, $2)
		ON CONFLICT (subscription) DO UPDATE SET delivery = excluded.delivery`,
	addPlannedDelivery: `INSERT INTO planned_deliveries (subscription, delivery) VALUES ($1, $2)
		ON CONFLICT (subscription) DO NOTHING`,
	dropPlanned: `DELETE FROM planned_deliveries WHERE subscription = $1`,
	postAlone: `UPDATE alerts SET batch = $2, sent_alone_at = $3
		WHERE id = $1 AND delivered_at = 0 AND NOT dropped AND joins AND digest = '' AND story = $4`,
	// A message's batch ("nh…") is one message: the alert's undelivered
	// batch mates (the same destination and batch) are marked with it, in
	// the statement; an edit's joins ("nj…") are not one message. The ids
	// are listed first, so both dialects find the rows by id.
	markDelivered: `UPDATE alerts SET delivered_at = $2, message_id = $3, last_error = ''
		WHERE id IN (SELECT CAST($1 AS BIGINT)
			UNION SELECT b.id FROM alerts a JOIN alerts b ON b.destination = a.destination AND b.batch = a.batch
			WHERE a.id = $1 AND a.batch LIKE 'nh%' AND b.delivered_at = 0 AND NOT b.dropped)`,
	markFailed:  `UPDATE alerts SET attempts = attempts + 1, last_error = $2, next_attempt = $3 WHERE id = $1`,
	markDropped: `UPDATE alerts SET dropped = true, last_error = $2 WHERE id = $1`,

	// A key in the feed's latest item set has last_seen within $2 (the bump
	// granularity) of the feed's items_seen_at: it is kept however old, or
	// it would come back as new after a long run of 304s.
	pruneSeen: `DELETE FROM seen_items WHERE last_seen < $1
		AND last_seen < (SELECT f.items_seen_at - $2 FROM feeds f WHERE f.feed_id = seen_items.feed_id)`,
	pruneAlerts: `DELETE FROM alerts WHERE (delivered_at <> 0 OR dropped) AND enqueued_at < $1`,
	pruneDedupe: `DELETE FROM alert_dedupe WHERE created_at < $1`,
	// A refused report has no delivery to wait for: it goes with the
	// finished alerts of its time.
	pruneRefused: `DELETE FROM refused_reports WHERE enqueued_at < $1`,

	forgetSeen:  `DELETE FROM seen_items WHERE feed_id IN (SELECT j.value FROM LIST($1))`,
	forgetFeeds: `DELETE FROM feeds WHERE feed_id IN (SELECT j.value FROM LIST($1))`,

	addWatch: `INSERT INTO watches (guild_id, channel_id, feed_url, query, created_by, created_at, paused, pause_reason, mention_role, forum)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
	watches:        `SELECT ` + watchColumns + ` FROM watches ORDER BY id`,
	removeWatch:    `DELETE FROM watches WHERE id = $1`,
	setWatchPaused: `UPDATE watches SET paused = $2, pause_reason = $3 WHERE id = $1`,
	// A NULL parameter leaves its column as it is.
	updateWatch: `UPDATE watches SET query = COALESCE(CAST($2 AS TEXT), query),
		channel_id = COALESCE(CAST($3 AS TEXT), channel_id), forum = COALESCE(CAST($4 AS BOOLEAN), forum),
		mention_role = COALESCE(CAST($5 AS TEXT), mention_role)
		WHERE id = $1 RETURNING ` + watchColumns,
	bumpWatches:    `UPDATE watches_version SET version = version + 1 WHERE id = 1`,
	watchesVersion: `SELECT version FROM watches_version WHERE id = 1`,
	liveWatches:    `SELECT id, query, channel_id, forum, mention_role FROM watches WHERE feed_url = $1 AND NOT paused ORDER BY id`,
	// The pending alerts of watches that are gone: a watch's alerts carry
	// its subscription, WatchSubscription(id).
	dropUnwatched: `UPDATE alerts SET dropped = true, last_error = $1
		WHERE delivered_at = 0 AND NOT dropped AND subscription LIKE 'watch:%'
			AND subscription NOT IN (SELECT 'watch:' || id FROM watches)
		RETURNING destination`,
}

var sqliteDialect = withOwnStatements(commonQueries.expand("sqlite", sqliteMigrations,
	"json_each($N) AS j", "", ""), ownStatements{
	hasMigrationsTable: `SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')`,
	insertAlerts: `INSERT INTO alerts (` + insertAlertColumns + `)
		SELECT j.value->>0, j.value->>1, j.value->>2, j.value->>3, j.value->>4, unhex(j.value->>5),
			j.value->>6, j.value->>7, j.value->>8, j.value->>9, j.value->>10, j.value->>11, j.value->>12,
			j.value->>13, j.value->>14, unhex(j.value->>15), $2
		FROM json_each($1) AS j ORDER BY j.key`,
	// The alerts just inserted are the $1 highest ids: SQLite write
	// transactions exclude each other, and AUTOINCREMENT numbers one
	// statement's rows consecutively above every id ever used.
	recordChunkDedupe: `INSERT INTO alert_dedupe (destination, dedupe_key, alert_id, created_at)
		SELECT a.destination, d.value, a.id, $2 FROM alerts a, json_each(a.dedupe_keys) AS d
		WHERE a.id > (SELECT MAX(id) FROM alerts) - $1
		ON CONFLICT (destination, dedupe_key) DO UPDATE SET
			alert_id = excluded.alert_id, created_at = excluded.created_at`,
	insertSeenTexts: `INSERT INTO seen_items (feed_id, item_key, first_seen, last_seen, text_sig)
		SELECT $1, j.value->>0, $3, $3, unhex(j.value->>1) FROM json_each($2) AS j WHERE true
		ON CONFLICT (feed_id, item_key) DO NOTHING
		RETURNING item_key`,
	// An upsert whose rows all exist (insertSeen ran before it): unlike
	// UPDATE … FROM, SQLite drives it from the list, one key lookup a row.
	setTexts: `INSERT INTO seen_items (feed_id, item_key, first_seen, last_seen, text_sig)
		SELECT $1, j.value->>0, $3, $3, unhex(j.value->>1) FROM json_each($2) AS j WHERE true
		ON CONFLICT (feed_id, item_key) DO UPDATE SET text_sig = excluded.text_sig
			WHERE seen_items.text_sig <> excluded.text_sig`,
})

// PostgreSQL serializes migrations and per-destination dedupe with
// transaction-scoped advisory locks; SQLite needs neither because its write
// transactions (BEGIN IMMEDIATE) already exclude each other.
var postgresDialect = withOwnStatements(commonQueries.expand("postgres", postgresMigrations,
	"jsonb_array_elements_text($N::jsonb) WITH ORDINALITY AS j(value, key)",
	`SELECT pg_advisory_xact_lock(7072611417)`,
	`SELECT pg_advisory_xact_lock(hashtext('newshound.dedupe:' || $1::text))`), ownStatements{
	// In the schema a migration creates its tables in, not any schema of
	// the search_path: a later one may hold another deployment's.
	hasMigrationsTable: `SELECT to_regclass(quote_ident(current_schema()) || '.schema_migrations') IS NOT NULL`,
	// One statement inserts the alerts and records their dedupe keys (taken
	// from the rows it inserted), so the alerts cost one round trip.
	insertAlerts: `WITH a AS (
		INSERT INTO alerts (` + insertAlertColumns + `)
		SELECT j.value->>0, j.value->>1, j.value->>2, j.value->>3, j.value->>4, decode(j.value->>5, 'hex'),
			(j.value->>6)::bigint, j.value->>7, (j.value->>8)::int, (j.value->>9)::bigint, j.value->>10,
			(j.value->>11)::bigint, j.value->>12, j.value->>13, (j.value->>14)::boolean,
			decode(j.value->>15, 'hex'), $2::bigint
		FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS j(value, key) ORDER BY j.key
		RETURNING id, destination, dedupe_keys)
	INSERT INTO alert_dedupe (destination, dedupe_key, alert_id, created_at)
	SELECT a.destination, d.value, a.id, $2::bigint FROM a, jsonb_array_elements_text(a.dedupe_keys::jsonb) AS d(value)
	ON CONFLICT (destination, dedupe_key) DO UPDATE SET
		alert_id = excluded.alert_id, created_at = excluded.created_at`,
	insertSeenTexts: `INSERT INTO seen_items (feed_id, item_key, first_seen, last_seen, text_sig)
		SELECT $1::text, j.value->>0, $3::bigint, $3::bigint, decode(j.value->>1, 'hex')
		FROM jsonb_array_elements($2::jsonb) AS j(value)
		ON CONFLICT (feed_id, item_key) DO NOTHING
		RETURNING item_key`,
	setTexts: `INSERT INTO seen_items (feed_id, item_key, first_seen, last_seen, text_sig)
		SELECT $1::text, j.value->>0, $3::bigint, $3::bigint, decode(j.value->>1, 'hex')
		FROM jsonb_array_elements($2::jsonb) AS j(value)
		ON CONFLICT (feed_id, item_key) DO UPDATE SET text_sig = excluded.text_sig
			WHERE seen_items.text_sig <> excluded.text_sig`,
	lockWatches: commonQueries.watchesVersion + ` FOR SHARE`,
})

// ownStatements are a dialect's statements that differ too much between
// the two to share a text.
type ownStatements struct {
	insertAlerts, recordChunkDedupe string
	insertSeenTexts, setTexts       string
	hasMigrationsTable              string
	lockWatches                     string
}

func withOwnStatements(d dialect, own ownStatements) dialect {
	d.insertAlerts, d.recordChunkDedupe = own.insertAlerts, own.recordChunkDedupe
	d.insertSeenTexts, d.setTexts = own.insertSeenTexts, own.setTexts
	d.hasMigrationsTable = own.hasMigrationsTable
	d.lockWatches = own.lockWatches
	return d
}

// expand returns a copy of d for one database: LIST($N) becomes listSQL with
// $N substituted, and the dialect-only statements are filled in.
func (d dialect) expand(name string, steps []migration, listSQL, lockMigrations, lockDestination string) dialect {
	x := func(q string) string { return expandList(q, listSQL) }
	d.name, d.migrations = name, steps
	d.lockMigrations, d.lockDestination = lockMigrations, lockDestination
	for _, q := range []*string{
		&d.unseenKeys, &d.insertSeen, &d.bumpSeen, &d.itemTexts, &d.firstSeen, &d.dedupeTaken, &d.assignBatch, &d.hold,
		&d.forgetSeen, &d.forgetFeeds,
	} {
		*q = x(*q)
	}
	return d
}

// expandList rewrites every LIST($N) in q; N is one or more digits.
func expandList(q, listSQL string) string {
	var b strings.Builder
	for {
		i := strings.Index(q, "LIST($")
		if i < 0 {
			b.WriteString(q)
			return b.String()
		}
		end := strings.IndexByte(q[i:], ')')
		param := q[i+len("LIST(") : i+end] // "$N"
		b.WriteString(q[:i])
		b.WriteString(strings.ReplaceAll(listSQL, "$N", param))
		q = q[i+end+1:]
	}
}
