// Package store owns newshound's durable state behind one interface: feed
// state (validators, schedule, errors), the keys of items already seen per
// feed, the outbox of alerts waiting for delivery, and watches created from
// Discord. SQLite (modernc.org/sqlite, no cgo) is the default, owned by one
// process at a time; a PostgreSQL implementation lets several instances
// share one database, dividing the work with leases (Leaser).
//
// No SQL leaves this package.
package store

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrWatchesEdited is returned (wrapped) by CommitPoll when the watches
// of the poll's feed are not, at the commit, those the poll matched its
// items under (Poll.Watches): a watch of the feed was added, resumed,
// removed or paused, or had its query or its channel edited, during the
// poll. Nothing of the poll is recorded: its items are to be matched
// again under the watches as they are now, and committed anew.
var ErrWatchesEdited = errors.New("the watches of the feed changed while the poll matched its items")

// ErrMoveRefused is returned (wrapped) by MoveStories when a move is one
// the store never takes, so that trying it again fails the same way: a
// move into the empty story, or a value the database rejects for good (on
// PostgreSQL a data exception, SQLSTATE class 22: a NUL byte or invalid
// UTF-8 in a text). Of several moves at least one is refused, and none is
// made; the caller finds which by making them one by one.
var ErrMoveRefused = errors.New("the store refuses the move for good")

// FeedState is what newshound remembers about one feed between polls.
type FeedState struct {
	FeedID string // the configured feed name, or "watch:<id>" for Discord watches
	URL    string // the current URL (updated after a permanent redirect)
	// ConfigURL is the URL the feed had in the config when this state was
	// made, so an edit of the config (a new URL) is told apart from a
	// permanent redirect and starts the feed afresh.
	ConfigURL string

	ETag         string
	LastModified string
	BodyHash     string // hash of the last body parsed, to skip unchanged bodies

	Initialized bool // the first fetch was recorded (its backlog not posted)

	LastPolled time.Time
	// LastSuccess is the last poll that worked (a 304 counts), kept while
	// the feed fails; zero when none has (or none since this was
	// recorded: a failing feed's state from before version 12 of the
	// schema).
	LastSuccess time.Time
	LastChanged time.Time // last time the body (or item set) changed
	// MinInterval is the feed's own "poll me no more often than" hint
	// (RSS <ttl>, sy:updatePeriod) in the last document parsed: a 304 or
	// a body the same as before is not parsed, and the hint holds while
	// the feed is unchanged. 0: none.
	MinInterval  time.Duration
	NextPoll     time.Time
	ErrorCount   int       // consecutive failures
	FailingSince time.Time // zero when healthy
	LastError    string

	Disabled       bool
	DisabledReason string
	// RetryAt is when the running service makes again the retry of this
	// disabled feed that a busy host put off (its start's or reload's
	// one more try), so that status can tell it; zero when none waits.
	// Only a restart or a reload tries a disabled feed otherwise.
	RetryAt time.Time
}

// Alert is one outbox row: a matched item waiting for (or done with)
// delivery to one destination.
type Alert struct {
	ID           int64
	Destination  string
	Subscription string
	FeedID       string
	ItemKey      string
	// DedupeKeys group one story across GUIDs, links and feeds: the alert is
	// not enqueued when any of these keys was enqueued for the same
	// destination within the dedupe window.
	DedupeKeys []string
	Payload    []byte // the rendered alert (JSON), opaque to the store
	// CreatedAt is the item's time as the caller sets it (zero: the
	// store's clock at enqueue).
	CreatedAt time.Time
	// EnqueuedAt is set by the store from its own clock when the alert is
	// enqueued (ignored on input); retention counts from it.
	EnqueuedAt time.Time
	// SentAloneAt is when PostAlone made this join a message of its own,
	// or HoldForDigest held it as one (read only; zero otherwise, and for
	// one made so before the store noted it, whose EnqueuedAt moved then
	// instead).
	SentAloneAt time.Time

	// Batch groups alerts sent as one message (a burst). It is assigned
	// before the first send attempt and kept for retries, so a retry sends
	// the same message with the same nonce.
	Batch       string
	Attempts    int
	NextAttempt time.Time
	LastError   string

	DeliveredAt time.Time
	MessageID   string
	Dropped     bool

	// HoldUntil keeps the alert back until then (a digest, quiet hours, an
	// hourly cap); zero means it may go out at once. Held alerts do not
	// hold up the destination's other alerts.
	HoldUntil time.Time
	// Digest names the digest a held alert goes out in: the destination's
	// pending alerts with one Digest are sent as one message.
	Digest string

	// Story names the story the alert belongs to in its destination ("":
	// grouping is off); the alert of its first report opens it.
	Story string
	// Joins says the alert is an addition to its story's first message
	// (another outlet's report, an update of the item), not a message of
	// its own: the sender edits that message (see StoryLeads).
	Joins bool
	// Fingerprint is the item's story fingerprint (alert/story), kept so
	// that the story index is rebuilt as it was after a restart.
	Fingerprint []byte
	// Takes are earlier alerts of the destination that this alert's story
	// takes from the story they were in (a re-split: the first reports of
	// this story, listed under another): CommitPoll sets their Story to
	// this alert's when it enqueues this alert. Only written, never read
	// back.
	Takes []StoryTake
}

// A StoryTake names the alerts of one item in a destination (Item is
// "feed_id/item_key", the story index's name of the item) whose story was
// From.
type StoryTake struct {
	Item, From string
}

// A StoryMove names the alerts of one item in Destination (Item as in
// StoryTake) whose story is From, to be moved to story To.
type StoryMove struct {
	Destination, Item, From, To string
}

// Poll is the result of one poll of one feed, committed atomically: the new
// feed state, every item key present in the fetch, and the alerts for the
// items that matched.
type Poll struct {
	State FeedState
	// Keys are all item keys in this fetch. Keys not seen before are
	// recorded as seen; keys already seen have their last-seen time bumped so
	// that pruning never forgets an item that is still in the feed.
	Keys []string
	// Present are keys that stand for items of this fetch without being
	// items (the keys of their links, which remember the links'
	// headlines: alert.TextPoll): those already seen have their last-seen
	// time bumped as Keys' have, so that pruning keeps them while the feed
	// serves their items; those not seen are not recorded. Keys names
	// those to record (with Texts).
	Present []string
	// Alerts are enqueued only for items whose key this commit newly marks
	// as seen (so two pollers racing on one feed enqueue once), and only when
	// none of their DedupeKeys is already in the outbox for that destination
	// within the window. The alert of a watch (Subscription
	// WatchSubscription(id)) must have its watch in Watches.
	Alerts []Alert
	// WatchFeed is, for the feed behind Discord watches, the FeedURL of
	// its watches, and Watches the watches of that URL, not paused, the
	// poll matched its items under, as its catalog read them (a watch
	// whose query the catalog could not compile too): set when the poll
	// has items to match. When the watches stored on WatchFeed, not
	// paused, differ at the commit from Watches (one more or one fewer, or
	// one with another Query, ChannelID, Forum or MentionRole: an add,
	// resume, removal, pause or edit during the poll), CommitPoll records
	// nothing and returns ErrWatchesEdited, so that the poll is matched again under
	// the watches as they are, as if made after the change: a watch gets
	// what it matches at the commit, in the channel it has then, once.
	// Empty for a feed of the config file, which no watch covers: its
	// commit reads no watch. Not stored.
	WatchFeed string
	Watches   []Watch
	// Texts are text signatures to remember for keys of this fetch (new
	// items, seen ones whose text changed, for live updates; and the
	// alerting core's keys of the items' links, which remember their
	// headlines, for every feed). The store keeps them as opaque bytes.
	Texts map[string][]byte
	// Duplicates, when not nil, is where a CommitPoll that succeeds puts
	// the alerts of Alerts it did not enqueue because one of their
	// DedupeKeys was taken (see Duplicate), in their order. A story's
	// first report refused so (an item already alerted, its headline
	// rewritten) leaves no alert to lead its story: the caller's grouping
	// lists that story's reports under the story of the alert that holds
	// the key instead. Each refused alert with a Story and a Fingerprint
	// is kept as a refused report (see StoryRows), whether or not
	// Duplicates is set.
	Duplicates *[]Duplicate
}

// A Duplicate is an alert of a Poll that CommitPoll did not enqueue,
// though its item was new, because one of its DedupeKeys was taken for its
// destination, by the outbox within the dedupe window or by an alert of
// the poll enqueued before it.
type Duplicate struct {
	Alert int // its index in Poll.Alerts
	// Story is the story of the alert that holds the first of its keys
	// taken, as that alert is stored now ("": it has none, or it is
	// pruned).
	Story string
}

// Watch is a subscription created from Discord with /watch add.
type Watch struct {
	ID          int64
	GuildID     string
	ChannelID   string
	FeedURL     string
	Query       string
	CreatedBy   string
	CreatedAt   time.Time
	Paused      bool
	PauseReason string
	Forum       bool   // ChannelID is a forum channel: each alert opens a post
	MentionRole string // role id its alerts ping; empty: no one
}

// WatchSubscription names the subscription of watch id in its alerts
// (Alert.Subscription).
func WatchSubscription(id int64) string { return watchSubscriptionPrefix + strconv.FormatInt(id, 10) }

// watchSubscriptionPrefix begins the Subscription of every watch's alert.
const watchSubscriptionPrefix = "watch:"

// WatchOf returns the id of the watch whose alerts carry subscription sub
// (WatchSubscription(id)), or false when sub is no watch's.
func WatchOf(sub string) (int64, bool) {
	id, ok := strings.CutPrefix(sub, watchSubscriptionPrefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(id, 10, 64)
	return n, err == nil
}

// WatchChange is an edit of a watch: nil fields stay as they are.
type WatchChange struct {
	Query       *string
	ChannelID   *string
	Forum       bool    // with ChannelID: it is a forum channel
	MentionRole *string // "" pings no one
}

// Store is newshound's durable state. Implementations are safe for
// concurrent use.
type Store interface {
	// FeedState returns the state of feedID, or ErrNotFound.
	FeedState(ctx context.Context, feedID string) (FeedState, error)
	// FeedStates returns every feed's state by feed id, in one query.
	FeedStates(ctx context.Context) (map[string]FeedState, error)
	// SaveFeedState stores the state of a poll that produced no items (304,
	// error, unchanged body).
	SaveFeedState(ctx context.Context, st FeedState) error
	// SaveFeedStates stores many such states in one transaction.
	SaveFeedStates(ctx context.Context, states []FeedState) error
	// UnseenKeys returns the subset of keys not yet seen for feedID, in the
	// order given.
	UnseenKeys(ctx context.Context, feedID string, keys []string) ([]string, error)
	// CommitPoll records a poll in one transaction and returns how many
	// alerts were enqueued; or, when the watches of the feed changed
	// since the poll matched under them (Poll.Watches), records nothing
	// and returns an error that is ErrWatchesEdited.
	CommitPoll(ctx context.Context, feedID string, p Poll) (int, error)

	// PendingAlerts returns undelivered, undropped alerts for destination
	// whose NextAttempt is not after now, oldest first.
	PendingAlerts(ctx context.Context, destination string, now time.Time, limit int) ([]Alert, error)
	// DueAlerts returns undelivered, undropped alerts for destination that
	// are not held past now (HoldUntil), oldest first, whatever their
	// NextAttempt: the sender keeps a destination's order across retries.
	DueAlerts(ctx context.Context, destination string, now time.Time, limit int) ([]Alert, error)
	// BatchAlerts returns every undelivered, undropped alert of one batch
	// (a message already formed), oldest first, wherever the page of
	// DueAlerts ended.
	BatchAlerts(ctx context.Context, destination, batch string) ([]Alert, error)
	// BatchDelivered returns an alert of destination's batch recorded
	// delivered, looking from id from on (the batch's first row), or
	// ErrNotFound: a message batch ("nh…") with a row delivered went out
	// whole, though versions before MarkDelivered marked the batch may
	// have left its other rows pending.
	BatchDelivered(ctx context.Context, destination, batch string, from int64) (Alert, error)
	// DigestAlerts returns every undelivered, undropped alert of one
	// digest of destination, oldest first.
	DigestAlerts(ctx context.Context, destination, digest string) ([]Alert, error)
	// CountUnheld counts subscription's alerts enqueued at or after since
	// that were not held: those sent one by one (max_per_hour counts them).
	// Held means held for a digest (Digest set; Hold does not make an alert
	// held in this sense), and a join is not sent but edited into its
	// story's message (or goes in the digest that holds its story's first
	// alert, see HoldForDigest), so neither counts; a join posted as a
	// message of its own (PostAlone) counts from when it was.
	CountUnheld(ctx context.Context, subscription string, since time.Time) (int, error)
	// StoryRows returns the alerts enqueued at or after since that carry a
	// fingerprint, in the order they were enqueued, with ID, Destination,
	// FeedID, ItemKey, Story, Joins, Fingerprint and EnqueuedAt set: the
	// rows the story index is rebuilt from. Among them, each after the
	// alerts of its commit, are the refused reports enqueued since then
	// (ID 0, no outbox row): the alerts with a Story and a Fingerprint
	// CommitPoll refused as duplicates (Poll.Duplicates), which the
	// caller's index holds, their EnqueuedAt the commit's.
	StoryRows(ctx context.Context, since time.Time) ([]Alert, error)
	// StoryLeads returns the alerts that may lead story in destination,
	// delivered, dropped or pending, in the order they would, or
	// ErrNotFound: first those with Joins false, then the joins posted as
	// messages of their own (their batch a message's, "nh…", and in no
	// digest), each by id. The caller takes the first whose message can
	// still be edited: when the story's first alert never reached the
	// outbox, or its message was dropped or deleted, the first report
	// posted alone leads the story from then on. A join posted alone that
	// a re-split moved into the story comes after the story's own first
	// alert.
	StoryLeads(ctx context.Context, destination, story string) ([]Alert, error)
	// MoveStories makes moves in one transaction, as CommitPoll makes an
	// alert's Takes: the alerts of each move's item in its destination
	// whose story is From get story To, and so does its refused report
	// (see StoryRows); alerts in another story are left as they are, so a
	// move made twice changes nothing the second time. A move the store
	// never takes fails the batch with ErrMoveRefused.
	MoveStories(ctx context.Context, moves []StoryMove) error
	// MessageAlerts returns the alerts of destination delivered as, or
	// into, the message messageID (its own alerts and the joins already
	// shown in it), oldest first.
	MessageAlerts(ctx context.Context, destination, messageID string) ([]Alert, error)
	// Hold sets HoldUntil of the given undelivered alerts (a join that must
	// wait for its story's message, an edit that must wait its turn). It
	// sets no Digest: DueAlerts and OutboxStats skip them until then.
	Hold(ctx context.Context, ids []int64, until time.Time) error
	// HoldForDigest puts the undelivered alert id, not yet in a batch,
	// into the digest digest, held until until (a join whose story's
	// first alert max_per_hour held for that digest goes in it too, not
	// past the cap). It reports ErrNotFound when no such alert waits: it
	// was delivered, dropped or batched meanwhile. A join held at by its
	// subscription's delivery, as a message of its own would be (its
	// story's message gone), keeps at as its SentAloneAt: a re-plan of the
	// hold reads when it was decided from it, not from the enqueue, which
	// may be long before; a join that follows its lead's hold has at zero.
	HoldForDigest(ctx context.Context, id int64, digest string, until, at time.Time) error
	// ReplanDigests, in one transaction, reads the alerts held for a
	// digest and in no batch yet (undelivered, undropped), by id, and the
	// delivery each subscription's held alerts were planned under (by
	// subscription id, in the caller's words: kept as given), gives them
	// to plan, and stores the Digest and HoldUntil plan returns for each
	// alert that differs, unless another writer changed its digest,
	// batched, sent or dropped it since the read, and each delivery plan
	// returns (an empty one deletes the subscription's: removed from the
	// config). plan returns alerts of those it was given, by ID; it must
	// not block. It returns how many alerts moved: a plan made again over
	// what it made moves none.
	ReplanDigests(ctx context.Context, plan func(held []Alert, planned map[string]string) ([]Alert, map[string]string)) (int, error)
	// PlannedDeliveries reads, outside ReplanDigests' transaction and
	// whatever lock its caller takes for it, the deliveries it would give
	// plan: a start whose config changed none needs no re-plan.
	PlannedDeliveries(ctx context.Context) (map[string]string, error)
	// AddPlannedDeliveries writes down, by subscription id, the delivery
	// of each subscription of deliveries that has none written down, and
	// leaves one written down (by a re-plan meanwhile) as it is: what a
	// subscription new to the store holds was planned under its delivery.
	// An empty delivery deletes the subscription's (removed from the
	// config), so that one added back later is new to the store.
	AddPlannedDeliveries(ctx context.Context, deliveries map[string]string) error
	// NotePlannedDeliveries writes down, by subscription id, deliveries,
	// replacing what is written, outside ReplanDigests: those a re-plan
	// that failed leaves a subscription's held alerts following, for a
	// start before it is made.
	NotePlannedDeliveries(ctx context.Context, deliveries map[string]string) error
	// PostAlone makes the undelivered join id, in no digest, a message of
	// its own: it gets the message batch batch ("nh…") and CountUnheld
	// counts it from at, when it was decided, in that hour; its
	// EnqueuedAt stays when it was enqueued. It reports ErrNotFound when
	// no such join waits, or when it is no longer in story (the story its
	// caller found with no message to go under): a move (MoveStories) put
	// it in another story since it was read.
	PostAlone(ctx context.Context, id int64, story, batch string, at time.Time) error
	// ItemTexts returns the remembered text signature of each of keys of
	// feedID that has one (see Poll.Texts).
	ItemTexts(ctx context.Context, feedID string, keys []string) (map[string][]byte, error)
	// FirstSeen returns when each of keys of feedID that is seen was first
	// seen, on the store's clock (the commit that first marked it, whose
	// alerts' EnqueuedAt it is): a story's first report that the commit
	// refused as a duplicate has no alert, but its key tells when it came.
	FirstSeen(ctx context.Context, feedID string, keys []string) (map[string]time.Time, error)

	// PendingDestinations lists destinations with undelivered alerts.
	PendingDestinations(ctx context.Context) ([]string, error)
	// OutboxStats describes each destination that has pending alerts.
	OutboxStats(ctx context.Context) ([]OutboxStats, error)
	// AssignBatch sets Batch on the given undelivered alerts.
	AssignBatch(ctx context.Context, ids []int64, batch string) error
	// MarkDelivered records that the destination took alert id as (or
	// in) message messageID, and with it, in one statement, every
	// undelivered, undropped alert of the same destination and message
	// batch (a Batch "nh…", as StoryLeads reads it; not an edit's): such a
	// batch is one message, so a process that dies after recording one of
	// its alerts does not send the others again as a message of their own.
	MarkDelivered(ctx context.Context, id int64, messageID string, at time.Time) error
	MarkFailed(ctx context.Context, id int64, errMsg string, nextAttempt time.Time) error
	MarkDropped(ctx context.Context, id int64, reason string) error

	// Prune forgets seen keys not present in their feed since before, and
	// delivered or dropped alerts, and refused reports, enqueued before
	// before. Story state goes with those rows (a key's text signature, an alert's story and
	// fingerprint): it needs no retention of its own.
	Prune(ctx context.Context, before time.Time) error
	// ForgetFeeds deletes what is kept about each of feedIDs (its state
	// and seen keys, with their text signatures) in one transaction, as if
	// it had never been polled: its next poll is a first sight. Alerts and
	// dedupe keys stay, to be delivered and pruned as usual.
	ForgetFeeds(ctx context.Context, feedIDs []string) error

	AddWatch(ctx context.Context, w Watch) (Watch, error)
	Watches(ctx context.Context) ([]Watch, error)
	RemoveWatch(ctx context.Context, id int64) error
	SetWatchPaused(ctx context.Context, id int64, paused bool, reason string) error
	// UpdateWatch sets what change sets of watch id, in one statement,
	// and returns the watch as it now is, or reports ErrNotFound: two
	// edits of different fields at once both take.
	UpdateWatch(ctx context.Context, id int64, change WatchChange) (Watch, error)
	// WatchesVersion is a number that every change of the watches (add,
	// remove, pause, resume, edit), by any instance, moves on: reading it
	// is one row, so an instance may ask every few seconds whether to
	// read the watches again.
	WatchesVersion(ctx context.Context) (int64, error)
	// DropUnwatched drops the pending alerts (undelivered, undropped) of
	// watches that no longer exist, those whose Subscription is
	// WatchSubscription(id) of no stored watch, keeping reason as their
	// error, and counts them by destination: a removed watch's alerts are
	// no longer wanted.
	DropUnwatched(ctx context.Context, reason string) (map[string]int, error)

	Close() error
}

// OutboxStats is one destination's backlog: how many alerts wait, since
// when, and what the first of them last ran into. Alerts held (for a
// digest, quiet hours, or a join waiting a moment for its story's message)
// are not backlog and are not counted until their time.
type OutboxStats struct {
	Destination    string
	Pending        int
	OldestEnqueued time.Time
	Attempts       int    // of the oldest pending alert
	LastError      string // of the oldest pending alert
}

// Leaser is implemented by stores that several newshound instances share
// (PostgreSQL): an instance does a piece of work (polls a feed, sends a
// destination's outbox, holds the Discord gateway) only while it holds the
// lease named for it. A store with one owner (SQLite) does not implement it:
// its owner does all the work.
type Leaser interface {
	// Lease takes or renews owner's lease called name (for example
	// "feed:reuters", "outbox:desk", "gateway") for ttl, measured on the
	// database's clock, and reports whether owner holds it; false means
	// another owner holds it unexpired. take numbers the take among
	// owner's (a holding's takes may share one), growing from one to the
	// next: the lease row keeps the last take's, which Release must name,
	// and a take numbered below the row's of the same owner (one the
	// database runs late) takes nothing and reports false.
	Lease(ctx context.Context, name, owner string, take int64, ttl time.Duration) (bool, error)
	// RenewLeases extends by ttl, on the database's clock, every lease
	// of names that owner still holds, in one call whatever their number,
	// and returns the names it renewed. A name left out was given back,
	// or taken by another owner, since owner took it: owner no longer
	// holds it, and a renewal does not take it again (Lease would). A
	// lease past its expiry that no other owner took meanwhile is renewed:
	// no one else can have worked under it.
	RenewLeases(ctx context.Context, names []string, owner string, ttl time.Duration) ([]string, error)
	// Release ends owner's lease called name at once when owner holds it
	// by the take numbered take; it does nothing else. So a give-back
	// the database runs late, after another worker of owner took the
	// lease anew (another take), leaves that take alone.
	Release(ctx context.Context, name, owner string, take int64) error
	// LeaseHolder returns the owner holding the lease called name
	// unexpired, "" when none does: who another instance waits for.
	LeaseHolder(ctx context.Context, name string) (string, error)
}
