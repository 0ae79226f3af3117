// Package config owns newshound's configuration: the YAML schema, defaults,
// ${ENV} secrets, validation with file:line:col errors, and reloading. It
// reads the config file and nothing else: it does not open feeds, databases
// or Discord, and it imports no other newshound package. Query syntax is
// checked by a Validator the caller passes to LoadWith.
//
// Reloading needs no machinery: Load is pure, so a reload is another Load,
// and the caller swaps the result in only when it returns no error.
package config

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Config is a loaded, validated configuration. Every default is filled in
// here, once: the packages that receive these values use them as they are,
// and a 0 means what this file says it means.
type Config struct {
	Path         string // the file it was loaded from
	Store        Store
	Defaults     Defaults
	Discord      Discord
	Destinations []Destination
	Service      Service
	// Live is what a reload (SIGHUP) may change while the service runs.
	Live
	// Warnings are the problems that did not fail the load (from
	// validators, such as query hints), in file order, for check to print.
	Warnings Errors
}

// Live is the part of a config that a running service takes on reload,
// swapped in as one value: everything else needs a restart (see
// RestartChanges).
type Live struct {
	Define    map[string]string // named queries, used as @name
	DefinePos map[string]Pos    // where each define's query text starts
	// DefineVerbatim says, per define, what Subscription.QueryVerbatim
	// says of a subscription's query: that offsets into it are offsets
	// into its line (see DefineQueryPos).
	DefineVerbatim map[string]bool
	Feeds          []Feed
	Subscriptions  []Subscription
}

// Service holds the running service's own settings. They have no keys in
// the file; they are here so that every default has one owner.
type Service struct {
	Workers       int           // feeds polled at once; 8
	ShutdownGrace time.Duration // how long deliveries in flight may finish after Ctrl-C; 10s
	RetryBase     time.Duration // first retry after a destination failed, doubling; 1s
	RetryMax      time.Duration // a failing destination is tried at least this often; 15s
	// NonceWindow is how long a retry's nonce lets Discord recognise a post
	// it already took (Discord: "a few minutes"); a retry later than that
	// first looks for the post in the channel. 2m.
	NonceWindow time.Duration
	Retention   time.Duration // delivered alerts and seen keys of items gone from their feed; 30 days
	// LeaseTTL is how long a lease of a shared (PostgreSQL) store lasts
	// unrenewed: a dead instance's feeds, outboxes and Discord gateway are
	// taken over after at most this long. Held leases are renewed every
	// LeaseTTL/3. 20s, so that work is taken over within 30s.
	LeaseTTL time.Duration
}

// Store selects the database.
type Store struct {
	Driver string // "sqlite" (default) or "postgres"
	Path   string // sqlite file; default "newshound.db"
	DSN    string // postgres connection string
}

// Defaults apply to every feed and subscription that does not say otherwise.
type Defaults struct {
	Interval time.Duration // default 10m, floor 1m (a feed's own interval: the same)
	Backfill int           // newest N items posted on a feed's first sight; default 0
	MaxAge   time.Duration // items older than this are never posted; default 24h; 0 = no age limit
	// StoryWindow is how long a story's first message takes further
	// reports of the story (listed under it, "Also: Reuters · AP") instead
	// of posting each: default 48h; 0 = never group, every report is a
	// message of its own.
	StoryWindow  time.Duration
	UserAgent    string // default DefaultUserAgent (with the version: see WithVersion)
	MaxBodyBytes int64  // default 10 MiB
	// A feed over any of these fails with an error naming the limit,
	// never parses as empty. 0 = no limit.
	MaxItems             int           // items (RSS item, Atom entry, JSON Feed item) in one feed; default 2000
	MaxDepth             int           // nesting of XML elements or JSON values; default 64
	MaxElements          int           // XML elements and attributes, or JSON values; default 100000
	Timeout              time.Duration // one request, slot wait excluded; default 30s
	AllowPrivateNetworks bool
	// ProxyResolvesNames: through a proxy (HTTPS_PROXY, HTTP_PROXY,
	// socks5://), give it the feed's host name, checked only as resolved
	// here (when it resolves here), instead of a checked IP to tunnel to.
	// Default false: the proxy gets CONNECT to a checked IP address.
	ProxyResolvesNames bool
	HostConcurrency    int           // requests to one host at once; default 2, at least 1
	HostGap            time.Duration // minimum gap between requests to one host; default 1s; 0 = no gap
	DisableAfter       time.Duration // a feed failing this long is disabled; default 72h; 0 = never
}

// Discord configures the bot account and the REST endpoint.
type Discord struct {
	Token   string   // bot token, usually "${DISCORD_TOKEN}"
	APIBase string   // default "https://discord.com/api/v9/"
	Guilds  []string // register slash commands in these guilds; empty = global
	// Commands enables slash commands (default true when a token is set).
	Commands bool
	// Burst: when more than this many alerts are waiting for one channel
	// or webhook, they go as messages of up to 10 embeds each instead of
	// one message per alert. Default 5; at least 1.
	Burst int
}

// Feed is one configured feed.
type Feed struct {
	Name     string
	Title    string // optional, for people: the name of the feed's reports in alerts (else the feed's own title), and what `feeds export` writes as the OPML title (else Name)
	URL      string // http(s):// or file:// (a relative file path is made absolute against the config file's folder)
	Interval time.Duration
	// OwnInterval says the feed sets its own interval: a newsroom that
	// asks for speed on a feed gets it, and the feed's hints (<ttl>,
	// sy:updatePeriod, Cache-Control max-age) do not slow it down.
	OwnInterval bool
	UserAgent   string
	Headers     map[string]string // extra request headers, names in canonical form
	Line        int               // where it is declared, for messages
}

// Subscription is a query over a set of feeds, delivered to a destination.
type Subscription struct {
	Name  string
	Feeds []string // feed names; empty means all feeds
	Query string
	// Destination is the first of Targets' destinations. Load fills in
	// Targets; code that builds a Subscription by hand may set only this
	// (it then gets DefaultFormat).
	Destination string
	// Targets are the destinations its alerts go to, each with the format
	// they take there (the destination's format: overlaid with the
	// subscription's). Each gets its own alert and outbox order.
	Targets  []Target
	Backfill int
	MaxAge   time.Duration // 0 = no age limit
	// StoryWindow: see Defaults.StoryWindow (0 = never group).
	StoryWindow time.Duration
	// Updates follows the text of items already posted: text a live blog
	// adds that matches the query is shown under the story's message
	// ("Update 17:15 UTC: …"). Default false.
	Updates bool
	// Color is the colour the subscription's color: key gives, also in
	// each Target's Format; nil = none given (0 is black).
	Color       *int
	MentionRole string   // role id to ping; empty = no ping
	Delivery    Delivery // when alerts go out; the zero value is instant (see delivery.go)
	Line        int
	// QueryLine and QueryCol locate the query's first character (1-based,
	// columns in characters), so a problem at character i of a one-line
	// query is at column QueryCol+i. QueryLine is 0 when no query was given.
	QueryLine, QueryCol int
	// QueryVerbatim says the query stands in the file exactly as written on
	// one line at QueryLine:QueryCol (a plain or simply quoted scalar), so an
	// offset into the query is an offset into that line. Not so for block
	// scalars and escapes.
	QueryVerbatim bool
	// QueryForm is the query in a normal form, which a Validator that
	// parses queries may set (the filters package's: two queries with one
	// form match alike, "a OR b" and "b OR a"); twins of a subscription
	// (a warning) are found by it, and where it is "" by the query spaced
	// alike.
	QueryForm string
}

// Target is one destination of a subscription, with the format its
// alerts take there.
type Target struct {
	Destination string
	Format      Format
}

// Destination kinds.
const (
	Console        = "console"
	DiscordWebhook = "discord-webhook"
	DiscordChannel = "discord-channel"
	SlackWebhook   = "slack-webhook"
	Email          = "email"
	Webhook        = "webhook" // a generic JSON webhook, signed with HMAC-SHA256
)

// Destination is where alerts go.
type Destination struct {
	Name       string
	Type       string // Console, DiscordWebhook, DiscordChannel, SlackWebhook, Email or Webhook
	WebhookURL string // DiscordWebhook and SlackWebhook
	// WebhookID and WebhookToken are parsed out of WebhookURL, so the
	// notifier can call the webhook through its own API base.
	WebhookID    string
	WebhookToken string
	ChannelID    string
	// URL and Secret configure a generic Webhook: the endpoint, and the
	// HMAC-SHA256 key its requests are signed with.
	URL    string
	Secret string
	SMTP   SMTP // type Email
	// ThreadID posts into this thread of the channel or webhook's channel
	// (Discord types only); "" = the channel itself.
	ThreadID string
	// Forum says the channel (or the webhook's channel) is a forum: each
	// alert opens a post of its own, named after the item's title, with
	// the forum tags in Tags (ids; at most 5).
	Forum bool
	Tags  []string
	// Threads opens a thread on a story's first message and posts the
	// story's further reports and updates into it (DiscordChannel only;
	// the bot needs Create Public Threads and Send Messages in Threads).
	Threads bool
	// Format is the default format of the destination's alerts (Discord
	// types only; DefaultFormat overlaid with the destination's format:).
	Format Format
	Line   int
}

// TLS modes of an SMTP connection.
const (
	StartTLS    = "starttls" // plain connection upgraded with STARTTLS; refused if the server does not offer it
	ImplicitTLS = "implicit" // TLS from the first byte ("SMTPS", usually port 465)
	NoTLS       = "none"     // no encryption: only for a relay on the same host or network
)

// SMTP configures an Email destination.
type SMTP struct {
	Host string
	// Port defaults by TLS mode: 587 for starttls, 465 for implicit, 25
	// for none.
	Port     int
	TLS      string // StartTLS (default), ImplicitTLS or NoTLS
	Username string // empty = no AUTH
	Password string // usually "${SMTP_PASSWORD}"
	From     string // an RFC 5322 address: "newshound <alerts@example.org>"
	To       []string
}

// DefaultSMTPPort is the usual port for a TLS mode.
func DefaultSMTPPort(tls string) int {
	switch tls {
	case ImplicitTLS:
		return 465
	case NoTLS:
		return 25
	}
	return 587
}

// Defaults for keys the file leaves out.
const (
	DefaultStorePath    = "newshound.db" // relative to the working directory
	DefaultAPIBase      = "https://discord.com/api/v9/"
	DefaultUserAgent    = "newshound (+https://github.com/newshound/newshound)"
	DefaultDestination  = "console" // the destination that exists when none is configured
	MinInterval         = time.Minute
	defaultInterval     = 10 * time.Minute
	defaultMaxAge       = 24 * time.Hour
	defaultStoryWindow  = 48 * time.Hour
	defaultMaxBodyBytes = 10 << 20
	defaultTimeout      = 30 * time.Second
	defaultHostConc     = 2
	defaultHostGap      = time.Second
	defaultBurst        = 5
	defaultDisableAfter = 72 * time.Hour
)

// Default is the configuration of a file that sets nothing: console
// output, SQLite in DefaultStorePath, every default filled in. Commands
// that run without a config file (preview, feeds discover) use its values.
func Default() *Config { return defaultConfig("") }

// defaultConfig is a Config before the file is applied.
func defaultConfig(path string) *Config {
	return &Config{
		Path:  path,
		Store: Store{Driver: "sqlite", Path: DefaultStorePath},
		Defaults: Defaults{
			Interval:           defaultInterval,
			MaxAge:             defaultMaxAge,
			StoryWindow:        defaultStoryWindow,
			UserAgent:          DefaultUserAgent,
			MaxBodyBytes:       defaultMaxBodyBytes,
			MaxItems:           2000,
			MaxDepth:           64,
			MaxElements:        100_000,
			Timeout:            defaultTimeout,
			ProxyResolvesNames: false, // the proxy tunnels to a checked IP
			HostConcurrency:    defaultHostConc,
			HostGap:            defaultHostGap,
			DisableAfter:       defaultDisableAfter,
		},
		Discord: Discord{APIBase: DefaultAPIBase, Burst: defaultBurst},
		Service: Service{
			Workers:       8,
			ShutdownGrace: 10 * time.Second,
			RetryBase:     time.Second,
			RetryMax:      15 * time.Second,
			NonceWindow:   2 * time.Minute,
			Retention:     30 * 24 * time.Hour,
			LeaseTTL:      20 * time.Second,
		},
		Live: Live{Define: map[string]string{}, DefinePos: map[string]Pos{}, DefineVerbatim: map[string]bool{}},
	}
}

// WithVersion names a release in the User-Agent of every feed that uses
// the default one ("newshound/1.2.0 (+https://…)"); a User-Agent the file
// sets is sent as written.
func (c *Config) WithVersion(userAgent string) {
	if c.Defaults.UserAgent == DefaultUserAgent {
		c.Defaults.UserAgent = userAgent
	}
	for i := range c.Feeds {
		if c.Feeds[i].UserAgent == DefaultUserAgent {
			c.Feeds[i].UserAgent = userAgent
		}
	}
}

// RestartChanges names, as the file's keys (defaults.max_age,
// discord.guilds, destination "desk"), what next changes from c that a
// running service cannot take without a restart (everything but Live).
func (c *Config) RestartChanges(next *Config) []string {
	changed := changedKeys("store", c.Store, next.Store)
	changed = append(changed, changedKeys("defaults", c.Defaults, next.Defaults)...)
	// Guilds are a set: their order changes nothing.
	guildsAsSet := func(d Discord) Discord {
		d.Guilds = sorted(d.Guilds, strings.Compare)
		return d
	}
	changed = append(changed, changedKeys("discord", guildsAsSet(c.Discord), guildsAsSet(next.Discord))...)
	changed = append(changed, changedDestinations(c.Destinations, next.Destinations)...)
	if c.Service != next.Service {
		changed = append(changed, "service")
	}
	return changed
}

// changedKeys names, as section.key, the fields in which a and b, two
// values of one section's struct, differ.
func changedKeys[T any](section string, a, b T) []string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	var changed []string
	for i := range va.NumField() {
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			changed = append(changed, section+"."+keyName(va.Type().Field(i).Name))
		}
	}
	return changed
}

// keyName is the file's key of a field: MaxAge max_age, APIBase api_base,
// DSN dsn.
func keyName(field string) string {
	var b strings.Builder
	r := []rune(field)
	for i, c := range r {
		upper := unicode.IsUpper(c)
		wordStart := i > 0 && upper && (unicode.IsLower(r[i-1]) || i+1 < len(r) && unicode.IsLower(r[i+1]))
		if wordStart {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

// changedDestinations names each destination added, removed or changed
// from before to next. A destination's format reaches alerts through the
// subscriptions' Targets, which a reload takes: it needs no restart. Nor
// does its place in the list: the service finds destinations by name.
func changedDestinations(before, next []Destination) []string {
	withoutFormat := func(x Destination) Destination {
		x.Line, x.Format = 0, Format{}
		return x
	}
	byName := func(ds []Destination) map[string]Destination {
		m := make(map[string]Destination, len(ds))
		for _, d := range ds {
			m[d.Name] = withoutFormat(d)
		}
		return m
	}
	was, is := byName(before), byName(next)
	var changed []string
	names := append(slices.Collect(maps.Keys(was)), slices.Collect(maps.Keys(is))...)
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		x, inBefore := was[name]
		y, inNext := is[name]
		if inBefore != inNext || !reflect.DeepEqual(x, y) {
			changed = append(changed, fmt.Sprintf("destination %q", name))
		}
	}
	return changed
}

// sorted is a sorted copy of xs.
func sorted[T any](xs []T, cmp func(T, T) int) []T {
	return slices.SortedFunc(slices.Values(xs), cmp)
}

// sameSet reports whether xs and ys hold the same elements in any order,
// as cmp compares them.
func sameSet[T any](xs, ys []T, cmp func(T, T) int) bool {
	return slices.EqualFunc(sorted(xs, cmp), sorted(ys, cmp), func(x, y T) bool { return cmp(x, y) == 0 })
}
