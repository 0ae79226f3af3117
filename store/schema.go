package store

// Schema migrations, one numbered list per dialect. A step is never edited
// once released: later issues append steps. Every step of a dialect must have
// a counterpart with the same version in the other dialect, so the two
// backends stay interchangeable.
//
// Conventions shared by both dialects, so that one Go implementation
// (sqlStore) reads and writes both:
//   - times are BIGINT Unix microseconds in UTC, 0 meaning "unset" (the
//     precision PostgreSQL's timestamptz would keep anyway), except the
//     PostgreSQL-only leases, which live on the database's clock;
//   - booleans are tested with NOT x / x, which both dialects accept;
//   - lists are passed as one JSON array parameter (see queries.go).

type migration struct {
	version int
	name    string
	stmts   []string
}

// watchesVersionTable is step 13 of both dialects: every change of the
// watches bumps the version, in its transaction, so an instance takes in
// another's /watch change by reading one row.
var watchesVersionTable = []string{
	`CREATE TABLE watches_version (
		id      INTEGER PRIMARY KEY CHECK (id = 1),
		version BIGINT NOT NULL
	)`,
	`INSERT INTO watches_version (id, version) VALUES (1, 0)`,
}

// watchesFeedIndex is step 15 of both dialects: the commit of a poll of
// a watch's feed reads that feed's watches (Poll.WatchFeed), which walked
// the whole watches table before.
var watchesFeedIndex = []string{
	`CREATE INDEX watches_feed ON watches (feed_url)`,
}

// refusedReportsStep is step 16 of both dialects: the reports CommitPoll
// refused as duplicates that the story index holds (Poll.Duplicates), kept
// so that a restart, or another instance, puts them back into their story
// (StoryRows). An alert row would do, but every outbox query would then have
// to leave it out; a seen key has no destination, story or fingerprint.
const refusedReportsStep = "reports refused as duplicates, kept for the story index"

// refusedReportsIndexes are step 16's indexes: StoryRows reads the window's
// refused reports by enqueued_at, and a move finds an item's by its story
// (takeRefusedIntoStory), as takeIntoStory does the alerts'.
var refusedReportsIndexes = [2]string{
	`CREATE INDEX refused_reports_enqueued ON refused_reports (enqueued_at)`,
	`CREATE INDEX refused_reports_story ON refused_reports (destination, story)`,
}

// leaseTakeStep is step 17 of both dialects: a lease row keeps the take
// that wrote it, and a give-back deletes only its own take's row
// (Leaser.Release). SQLite has no leases, and its step does nothing.
const leaseTakeStep = "a lease given back only by the take that holds it"

// retryAtStep is step 18 of both dialects: a disabled feed's retry a
// busy host put off is written down (FeedState.RetryAt), for status.
const retryAtStep = "a disabled feed's retry a busy host put off"

// plannedDeliveriesStep is step 19 of both dialects: the delivery each
// subscription's held alerts were planned under, so that a start with a
// config that changed it re-plans them as a reload does
// (Store.ReplanDigests). A database upgraded has none: its held alerts
// are taken as planned under the delivery of the first start after the
// step, which re-plans nothing, as before it.
const plannedDeliveriesStep = "the delivery held alerts were planned under"

var plannedDeliveriesTable = []string{
	`CREATE TABLE planned_deliveries (
		subscription TEXT PRIMARY KEY,
		delivery     TEXT NOT NULL
	)`,
}

var sqliteMigrations = []migration{
	{1, "feeds, seen items, outbox, watches", []string{
		`CREATE TABLE feeds (
			feed_id         TEXT PRIMARY KEY,
			url             TEXT NOT NULL DEFAULT '',
			etag            TEXT NOT NULL DEFAULT '',
			last_modified   TEXT NOT NULL DEFAULT '',
			body_hash       TEXT NOT NULL DEFAULT '',
			initialized     BOOLEAN NOT NULL DEFAULT FALSE,
			last_polled     INTEGER NOT NULL DEFAULT 0,
			last_changed    INTEGER NOT NULL DEFAULT 0,
			next_poll       INTEGER NOT NULL DEFAULT 0,
			error_count     INTEGER NOT NULL DEFAULT 0,
			failing_since   INTEGER NOT NULL DEFAULT 0,
			last_error      TEXT NOT NULL DEFAULT '',
			disabled        BOOLEAN NOT NULL DEFAULT FALSE,
			disabled_reason TEXT NOT NULL DEFAULT '',
			items_seen_at   INTEGER NOT NULL DEFAULT 0
		)`,
		`CREATE TABLE seen_items (
			feed_id    TEXT NOT NULL REFERENCES feeds (feed_id) ON DELETE CASCADE,
			item_key   TEXT NOT NULL,
			first_seen INTEGER NOT NULL,
			last_seen  INTEGER NOT NULL,
			PRIMARY KEY (feed_id, item_key)
		) WITHOUT ROWID`,
		`CREATE INDEX seen_items_last_seen ON seen_items (last_seen)`,
		`CREATE TABLE alerts (
			id           INTEGER PRIMARY KEY AUTOINCREMENT,
			destination  TEXT NOT NULL,
			subscription TEXT NOT NULL DEFAULT '',
			feed_id      TEXT NOT NULL DEFAULT '',
			item_key     TEXT NOT NULL DEFAULT '',
			dedupe_keys  TEXT NOT NULL DEFAULT '[]',
			payload      BLOB,
			created_at   INTEGER NOT NULL,
			batch        TEXT NOT NULL DEFAULT '',
			attempts     INTEGER NOT NULL DEFAULT 0,
			next_attempt INTEGER NOT NULL DEFAULT 0,
			last_error   TEXT NOT NULL DEFAULT '',
			delivered_at INTEGER NOT NULL DEFAULT 0,
			message_id   TEXT NOT NULL DEFAULT '',
			dropped      BOOLEAN NOT NULL DEFAULT FALSE
		)`,
		`CREATE INDEX alerts_pending ON alerts (destination, id) WHERE delivered_at = 0 AND NOT dropped`,
		`CREATE INDEX alerts_created ON alerts (created_at)`,
		`CREATE TABLE alert_dedupe (
			destination TEXT NOT NULL,
			dedupe_key  TEXT NOT NULL,
			alert_id    INTEGER NOT NULL,
			created_at  INTEGER NOT NULL,
			PRIMARY KEY (destination, dedupe_key)
		) WITHOUT ROWID`,
		`CREATE INDEX alert_dedupe_created ON alert_dedupe (created_at)`,
		`CREATE TABLE watches (
			id           INTEGER PRIMARY KEY AUTOINCREMENT,
			guild_id     TEXT NOT NULL,
			channel_id   TEXT NOT NULL,
			feed_url     TEXT NOT NULL,
			query        TEXT NOT NULL,
			created_by   TEXT NOT NULL DEFAULT '',
			created_at   INTEGER NOT NULL,
			paused       BOOLEAN NOT NULL DEFAULT FALSE,
			pause_reason TEXT NOT NULL DEFAULT ''
		)`,
	}},
	{2, "feed leases for several instances", []string{
		`CREATE TABLE feed_leases (
			feed_id     TEXT PRIMARY KEY,
			owner       TEXT NOT NULL,
			lease_until INTEGER NOT NULL
		)`,
	}},
	{3, "the configured URL a feed's state belongs to", []string{
		`ALTER TABLE feeds ADD COLUMN config_url TEXT NOT NULL DEFAULT ''`,
	}},
	{4, "one owner per SQLite file: no lease rows", []string{
		`DROP TABLE IF EXISTS feed_leases`,
	}},
	{5, "alerts retained from when they were enqueued", []string{
		`ALTER TABLE alerts ADD COLUMN enqueued_at INTEGER NOT NULL DEFAULT 0`,
		// Alerts from before this step have no enqueue time; the later of
		// the item's time and the delivery is the best estimate, and never
		// prunes an alert earlier than before.
		`UPDATE alerts SET enqueued_at = MAX(created_at, delivered_at)`,
		`DROP INDEX alerts_created`,
		`CREATE INDEX alerts_enqueued ON alerts (enqueued_at)`,
	}},
	{6, "a watch may ping a role", []string{
		`ALTER TABLE watches ADD COLUMN mention_role TEXT NOT NULL DEFAULT ''`,
	}},
	{7, "held alerts: digests, quiet hours, hourly caps", []string{
		`ALTER TABLE alerts ADD COLUMN hold_until INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE alerts ADD COLUMN digest TEXT NOT NULL DEFAULT ''`,
		`CREATE INDEX alerts_digest ON alerts (destination, digest) WHERE delivered_at = 0 AND NOT dropped AND digest <> ''`,
		`CREATE INDEX alerts_subscription ON alerts (subscription, hold_until, enqueued_at)`,
	}},
	{8, "a watch may post into a forum", []string{
		`ALTER TABLE watches ADD COLUMN forum BOOLEAN NOT NULL DEFAULT FALSE`,
	}},
	{9, "stories: joins, fingerprints, text signatures of seen items", []string{
		`ALTER TABLE alerts ADD COLUMN story TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE alerts ADD COLUMN joins BOOLEAN NOT NULL DEFAULT FALSE`,
		`ALTER TABLE alerts ADD COLUMN fingerprint BLOB NOT NULL DEFAULT X''`,
		`ALTER TABLE seen_items ADD COLUMN text_sig BLOB NOT NULL DEFAULT X''`,
		// StoryLeads and MessageAlerts: the leads of a story, the
		// alerts shown in one message.
		`CREATE INDEX alerts_story_lead ON alerts (destination, story, id) WHERE story <> ''`,
		`CREATE INDEX alerts_message ON alerts (destination, message_id, id) WHERE message_id <> ''`,
		// CountUnheld no longer reads hold_until (Hold sets it on joins,
		// which are not held for a digest): its index follows.
		`DROP INDEX alerts_subscription`,
		`CREATE INDEX alerts_sent_alone ON alerts (subscription, enqueued_at) WHERE digest = '' AND NOT joins`,
	}},
	{10, "joins posted alone count towards max_per_hour", []string{
		// CountUnheld counts them (batch "nh…"): its index takes every
		// alert in no digest.
		`DROP INDEX alerts_sent_alone`,
		`CREATE INDEX alerts_sent_alone ON alerts (subscription, enqueued_at) WHERE digest = ''`,
	}},
	{11, "a join posted alone keeps its enqueue time", []string{
		// PostAlone notes when, for CountUnheld, instead of moving
		// enqueued_at, which status reads as the age of what waits. A
		// join posted alone before this step has it 0 and enqueued_at
		// moved, and CountUnheld counts it by that.
		`ALTER TABLE alerts ADD COLUMN sent_alone_at INTEGER NOT NULL DEFAULT 0`,
		`CREATE INDEX alerts_joins_alone ON alerts (subscription, sent_alone_at) WHERE sent_alone_at <> 0`,
	}},
	{12, "a feed's last successful poll, kept while it fails", []string{
		`ALTER TABLE feeds ADD COLUMN last_success INTEGER NOT NULL DEFAULT 0`,
		// A feed healthy at its last poll succeeded then; a failing one's
		// last success was not kept before this step.
		`UPDATE feeds SET last_success = last_polled WHERE error_count = 0`,
	}},
	{13, "a version of the watches, for instances that share a store", watchesVersionTable},
	{14, "a feed's own poll hint, kept while the feed is unchanged", []string{
		`ALTER TABLE feeds ADD COLUMN min_interval INTEGER NOT NULL DEFAULT 0`,
	}},
	{15, "the watches of a feed found by its URL", watchesFeedIndex},
	{16, refusedReportsStep, []string{
		// A rowid table, unlike seen_items: WITHOUT ROWID, SQLite finds a
		// move's row by the primary key's destination alone, walking
		// every refused report of the destination.
		`CREATE TABLE refused_reports (
			destination TEXT NOT NULL,
			feed_id     TEXT NOT NULL,
			item_key    TEXT NOT NULL,
			story       TEXT NOT NULL,
			fingerprint BLOB NOT NULL,
			enqueued_at INTEGER NOT NULL,
			PRIMARY KEY (destination, feed_id, item_key)
		)`,
		refusedReportsIndexes[0], refusedReportsIndexes[1],
	}},
	{17, leaseTakeStep, nil}, // no leases on SQLite (step 4)
	{18, retryAtStep, []string{
		`ALTER TABLE feeds ADD COLUMN retry_at INTEGER NOT NULL DEFAULT 0`,
	}},
	{19, plannedDeliveriesStep, plannedDeliveriesTable},
}

var postgresMigrations = []migration{
	{1, "feeds, seen items, outbox, watches", []string{
		`CREATE TABLE feeds (
			feed_id         TEXT PRIMARY KEY,
			url             TEXT NOT NULL DEFAULT '',
			etag            TEXT NOT NULL DEFAULT '',
			last_modified   TEXT NOT NULL DEFAULT '',
			body_hash       TEXT NOT NULL DEFAULT '',
			initialized     BOOLEAN NOT NULL DEFAULT FALSE,
			last_polled     BIGINT NOT NULL DEFAULT 0,
			last_changed    BIGINT NOT NULL DEFAULT 0,
			next_poll       BIGINT NOT NULL DEFAULT 0,
			error_count     INTEGER NOT NULL DEFAULT 0,
			failing_since   BIGINT NOT NULL DEFAULT 0,
			last_error      TEXT NOT NULL DEFAULT '',
			disabled        BOOLEAN NOT NULL DEFAULT FALSE,
			disabled_reason TEXT NOT NULL DEFAULT '',
			items_seen_at   BIGINT NOT NULL DEFAULT 0
		)`,
		`CREATE TABLE seen_items (
			feed_id    TEXT NOT NULL REFERENCES feeds (feed_id) ON DELETE CASCADE,
			item_key   TEXT NOT NULL,
			first_seen BIGINT NOT NULL,
			last_seen  BIGINT NOT NULL,
			PRIMARY KEY (feed_id, item_key)
		)`,
		`CREATE INDEX seen_items_last_seen ON seen_items (last_seen)`,
		`CREATE TABLE alerts (
			id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			destination  TEXT NOT NULL,
			subscription TEXT NOT NULL DEFAULT '',
			feed_id      TEXT NOT NULL DEFAULT '',
			item_key     TEXT NOT NULL DEFAULT '',
			dedupe_keys  TEXT NOT NULL DEFAULT '[]',
			payload      BYTEA,
			created_at   BIGINT NOT NULL,
			batch        TEXT NOT NULL DEFAULT '',
			attempts     INTEGER NOT NULL DEFAULT 0,
			next_attempt BIGINT NOT NULL DEFAULT 0,
			last_error   TEXT NOT NULL DEFAULT '',
			delivered_at BIGINT NOT NULL DEFAULT 0,
			message_id   TEXT NOT NULL DEFAULT '',
			dropped      BOOLEAN NOT NULL DEFAULT FALSE
		)`,
		`CREATE INDEX alerts_pending ON alerts (destination, id) WHERE delivered_at = 0 AND NOT dropped`,
		`CREATE INDEX alerts_created ON alerts (created_at)`,
		`CREATE TABLE alert_dedupe (
			destination TEXT NOT NULL,
			dedupe_key  TEXT NOT NULL,
			alert_id    BIGINT NOT NULL,
			created_at  BIGINT NOT NULL,
			PRIMARY KEY (destination, dedupe_key)
		)`,
		`CREATE INDEX alert_dedupe_created ON alert_dedupe (created_at)`,
		`CREATE TABLE watches (
			id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			guild_id     TEXT NOT NULL,
			channel_id   TEXT NOT NULL,
			feed_url     TEXT NOT NULL,
			query        TEXT NOT NULL,
			created_by   TEXT NOT NULL DEFAULT '',
			created_at   BIGINT NOT NULL,
			paused       BOOLEAN NOT NULL DEFAULT FALSE,
			pause_reason TEXT NOT NULL DEFAULT ''
		)`,
	}},
	{2, "feed leases for several instances", []string{
		`CREATE TABLE feed_leases (
			feed_id     TEXT PRIMARY KEY,
			owner       TEXT NOT NULL,
			lease_until BIGINT NOT NULL
		)`,
	}},
	{3, "the configured URL a feed's state belongs to", []string{
		`ALTER TABLE feeds ADD COLUMN config_url TEXT NOT NULL DEFAULT ''`,
	}},
	{4, "leases by name (feed, outbox, gateway) on the database's clock", []string{
		`DROP TABLE IF EXISTS feed_leases`,
		`CREATE TABLE leases (
			name       TEXT PRIMARY KEY,
			owner      TEXT NOT NULL,
			expires_at TIMESTAMPTZ NOT NULL
		)`,
	}},
	{5, "alerts retained from when they were enqueued", []string{
		`ALTER TABLE alerts ADD COLUMN enqueued_at BIGINT NOT NULL DEFAULT 0`,
		`UPDATE alerts SET enqueued_at = GREATEST(created_at, delivered_at)`,
		`DROP INDEX alerts_created`,
		`CREATE INDEX alerts_enqueued ON alerts (enqueued_at)`,
	}},
	{6, "a watch may ping a role", []string{
		`ALTER TABLE watches ADD COLUMN mention_role TEXT NOT NULL DEFAULT ''`,
	}},
	{7, "held alerts: digests, quiet hours, hourly caps", []string{
		`ALTER TABLE alerts ADD COLUMN hold_until BIGINT NOT NULL DEFAULT 0`,
		`ALTER TABLE alerts ADD COLUMN digest TEXT NOT NULL DEFAULT ''`,
		`CREATE INDEX alerts_digest ON alerts (destination, digest) WHERE delivered_at = 0 AND NOT dropped AND digest <> ''`,
		`CREATE INDEX alerts_subscription ON alerts (subscription, hold_until, enqueued_at)`,
	}},
	{8, "a watch may post into a forum", []string{
		`ALTER TABLE watches ADD COLUMN forum BOOLEAN NOT NULL DEFAULT FALSE`,
	}},
	{9, "stories: joins, fingerprints, text signatures of seen items", []string{
		// Constant defaults: PostgreSQL 11+ adds these columns without
		// rewriting the tables.
		`ALTER TABLE alerts ADD COLUMN story TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE alerts ADD COLUMN joins BOOLEAN NOT NULL DEFAULT FALSE`,
		`ALTER TABLE alerts ADD COLUMN fingerprint BYTEA NOT NULL DEFAULT ''::bytea`,
		`ALTER TABLE seen_items ADD COLUMN text_sig BYTEA NOT NULL DEFAULT ''::bytea`,
		`CREATE INDEX alerts_story_lead ON alerts (destination, story, id) WHERE story <> ''`,
		`CREATE INDEX alerts_message ON alerts (destination, message_id, id) WHERE message_id <> ''`,
		`DROP INDEX alerts_subscription`,
		`CREATE INDEX alerts_sent_alone ON alerts (subscription, enqueued_at) WHERE digest = '' AND NOT joins`,
	}},
	{10, "joins posted alone count towards max_per_hour", []string{
		`DROP INDEX alerts_sent_alone`,
		`CREATE INDEX alerts_sent_alone ON alerts (subscription, enqueued_at) WHERE digest = ''`,
	}},
	{11, "a join posted alone keeps its enqueue time", []string{
		`ALTER TABLE alerts ADD COLUMN sent_alone_at BIGINT NOT NULL DEFAULT 0`,
		`CREATE INDEX alerts_joins_alone ON alerts (subscription, sent_alone_at) WHERE sent_alone_at <> 0`,
	}},
	{12, "a feed's last successful poll, kept while it fails", []string{
		`ALTER TABLE feeds ADD COLUMN last_success BIGINT NOT NULL DEFAULT 0`,
		`UPDATE feeds SET last_success = last_polled WHERE error_count = 0`,
	}},
	{13, "a version of the watches, for instances that share a store", watchesVersionTable},
	{14, "a feed's own poll hint, kept while the feed is unchanged", []string{
		`ALTER TABLE feeds ADD COLUMN min_interval BIGINT NOT NULL DEFAULT 0`,
	}},
	{15, "the watches of a feed found by its URL", watchesFeedIndex},
	{16, refusedReportsStep, []string{
		`CREATE TABLE refused_reports (
			destination TEXT NOT NULL,
			feed_id     TEXT NOT NULL,
			item_key    TEXT NOT NULL,
			story       TEXT NOT NULL,
			fingerprint BYTEA NOT NULL,
			enqueued_at BIGINT NOT NULL,
			PRIMARY KEY (destination, feed_id, item_key)
		)`,
		refusedReportsIndexes[0], refusedReportsIndexes[1],
	}},
	{17, leaseTakeStep, []string{
		// A row taken before this step is given back by no one: the
		// instances are stopped for an upgrade, and it runs out.
		`ALTER TABLE leases ADD COLUMN take BIGINT NOT NULL DEFAULT 0`,
	}},
	{18, retryAtStep, []string{
		`ALTER TABLE feeds ADD COLUMN retry_at BIGINT NOT NULL DEFAULT 0`,
	}},
	{19, plannedDeliveriesStep, plannedDeliveriesTable},
}
