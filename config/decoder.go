package config

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

// decoder walks the YAML node tree and collects problems with positions
// instead of stopping at the first one.
type decoder struct {
	file     string
	dir      string // absolute folder of the config file, for relative file:// URLs
	env      func(string) (string, bool)
	lines    []string // the file's text, to locate block scalars' content
	problems Errors
	// known, when not nil, collects "what.key" for every key the decoder
	// accepts, so a test can check the example config documents them all.
	known map[string]bool
	// needless, when not nil, says which keys' values the caller does not
	// need (LoadFeeds): an unset ${ENV} in one of them is no problem.
	needless func(key string) bool
}

func (d *decoder) problemAt(line, col int, format string, args ...any) {
	d.problems = append(d.problems, Problem{File: d.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.problemAt(n.Line, n.Column, format, args...)
}

// warnAt records a problem that does not fail the load (Problem.Warning).
func (d *decoder) warnAt(p Pos, format string, args ...any) {
	d.problems = append(d.problems, Problem{File: d.file, Line: p.Line, Col: p.Col, Warning: true, Msg: fmt.Sprintf(format, args...)})
}

// resolve follows YAML aliases (*name) to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing"
		}
		return strconv.Quote(n.Value)
	}
	return "something else"
}

// fieldFunc decodes the value of one known key. It is not called for a key
// whose value is empty (null): that is refused (emptyValue), or, for the
// keys emptyMeansLeftOut lists, the same as the key left out.
type fieldFunc func(v *yaml.Node)

// emptyMeansLeftOut are the keys (as "mapping.key", or a whole mapping)
// whose empty value is the key left out: the sections, blocks of keys and
// lists, where an empty one ({} or []) would mean just that. Any other
// empty value is refused, so that `interval:` or a subscription's `feeds:`
// with its lines commented out is not silently the default (every feed).
var emptyMeansLeftOut = map[string]bool{
	"config": true, "feed.headers": true, "subscription.format": true, "destination.format": true,
	"subscription.delivery": true, "discord.guilds": true, "destination.tags": true,
}

// requiredKeys have no default: left out, they are missing (require,
// typeNeeds), so an empty one is not told to be deleted.
var requiredKeys = map[string]bool{
	"name": true, "url": true, "query": true, "type": true,
	"webhook_url": true, "channel_id": true, "secret": true, "smtp_host": true, "from": true, "to": true,
}

// emptyValue refuses `key:` with nothing after it (YAML's null), unless
// emptyMeansLeftOut lists it.
func (d *decoder) emptyValue(what string, k *yaml.Node) {
	switch key := k.Value; {
	case emptyMeansLeftOut[what] || emptyMeansLeftOut[what+"."+key]:
	case what != "format" && requiredKeys[key]:
		d.errorf(k, "%s: the value is empty", key)
	case what == "format" && isTemplate(key):
		d.errorf(k, "%s: the value is empty: write \"\" to leave this part out, or delete the line for the default", key)
	default:
		d.errorf(k, "%s: the value is empty: write one, or delete the line for the default", key)
	}
}

// mapping decodes the keys of n with the matching funcs. Unknown and
// repeated keys are problems, because a misspelt key would otherwise be
// ignored in silence. what names the mapping in messages ("feed").
func (d *decoder) mapping(n *yaml.Node, what string, fields map[string]fieldFunc) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s: expected a mapping of keys, got %s", what, kindName(n))
		return
	}
	for key := range fields {
		if d.known != nil {
			d.known[what+"."+key] = true
		}
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		decode, known := fields[k.Value]
		switch {
		case d.mergeKey(k):
		case !known:
			d.errorf(k, "unknown key %q%s", k.Value, d.unknownKeyHint(k.Value, fields))
		case seen[k.Value] > 0:
			d.errorf(k, "duplicate key %q (first at line %d)", k.Value, seen[k.Value])
		case isNull(v):
			seen[k.Value] = k.Line
			if !d.commentedOutValue(k, v) {
				d.emptyValue(what, k)
			}
		default:
			seen[k.Value] = k.Line
			decode(v)
		}
	}
}

// mergeKey reports k when it is a YAML merge key (<<: *name), which the
// decoder does not follow: the keys it would bring in would be lost.
func (d *decoder) mergeKey(k *yaml.Node) bool {
	if k.Value != "<<" || k.Style != 0 {
		return false
	}
	d.errorf(k, "merge keys (<<) are not supported; repeat the keys, or use an alias (*name) for a whole value")
	return true
}

// commentedOutValue reports `color: #FF0000`, which YAML reads as an empty
// value followed by a comment, so the user's setting would vanish silently.
// It says whether it did.
func (d *decoder) commentedOutValue(k, v *yaml.Node) bool {
	comment := v.LineComment
	if comment == "" {
		comment = k.LineComment
	}
	if comment == "" || v.Line != k.Line || v.Style != 0 {
		return false
	}
	if len(comment) > 1 && comment[0] == '#' && comment[1] != ' ' && comment[1] != '#' {
		d.errorf(k, "%s: the value is empty because YAML reads %q as a comment; quote it: %s: \"%s\"", k.Value, comment, k.Value, comment)
		return true
	}
	return false
}

func keysOf(fields map[string]fieldFunc) []string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// str returns the scalar's text with ${ENV} references expanded.
func (d *decoder) str(key string, v *yaml.Node) (string, bool) {
	if v.Kind != yaml.ScalarNode {
		d.errorf(v, "%s: expected a string, got %s", key, kindName(v))
		return "", false
	}
	env, unset := d.env, false
	if d.needless != nil && d.needless(key) {
		env = func(name string) (string, bool) {
			value, ok := d.env(name)
			unset = unset || !ok
			return value, ok
		}
	}
	s, msgs := expandEnv(v.Value, env)
	if unset && len(msgs) > 0 {
		return "", false // a value not needed, with a secret not set
	}
	for _, m := range msgs {
		d.errorf(v, "%s: %s", key, m)
	}
	d.warnBareReference(key, v)
	return s, len(msgs) == 0
}

// bareReference finds $NAME at the start of a value or of a word in it,
// which a shell or docker compose would expand and newshound takes as
// written: only ${NAME} reads the environment.
var bareReference = regexp.MustCompile(`(?:^|\s)\$([A-Za-z_][A-Za-z0-9_]*)`)

// warnBareReference warns of a $NAME in a key that holds a secret or an
// address, where those letters (a token, a password, a URL) are surely not
// what was meant; elsewhere ("$100" in a query) a "$" is text.
func (d *decoder) warnBareReference(key string, v *yaml.Node) {
	if !holdsSecret(key) {
		return
	}
	if m := bareReference.FindStringSubmatch(v.Value); m != nil {
		d.warnAt(Pos{v.Line, v.Column}, "%s: %q is taken as written: only ${%s} reads the environment variable", key, "$"+m[1], m[1])
	}
}

// holdsSecret reports whether key's value is, or may carry, a secret:
// a token, a password, a connection string, an address, a header.
func holdsSecret(key string) bool {
	switch key {
	case "token", "password", "secret", "dsn", "to", "api_base":
		return true
	}
	return strings.HasSuffix(key, "url") || strings.HasPrefix(key, "headers: ")
}

// written is a scalar's value as the user gave it, for messages: its
// ${NAME} references expanded (the value, not the reference), trimmed.
func (d *decoder) written(v *yaml.Node) string {
	s, _ := expandEnv(v.Value, d.env)
	return strings.TrimSpace(s)
}

// nonEmpty is str that also refuses an empty or blank string.
func (d *decoder) nonEmpty(key string, v *yaml.Node) (string, bool) {
	s, ok := d.str(key, v)
	if ok && strings.TrimSpace(s) == "" {
		if written := strings.TrimSpace(v.Value); strings.Contains(written, "${") {
			d.errorf(v, "%s: must not be empty (%s gives %q)", key, written, s)
		} else {
			d.errorf(v, "%s: must not be empty", key)
		}
		return "", false
	}
	return s, ok
}

func (d *decoder) integer(key string, v *yaml.Node, min int) (int, bool) {
	s, ok := d.str(key, v)
	if !ok {
		return 0, false
	}
	text := strings.TrimSpace(s)
	n, err := strconv.Atoi(text)
	switch {
	case errors.Is(err, strconv.ErrRange) && strings.HasPrefix(text, "-"):
		d.errorf(v, "%s: must be at least %d, got %s", key, min, text)
		return 0, false
	case errors.Is(err, strconv.ErrRange):
		d.errorf(v, "%s: %s is too large", key, text)
		return 0, false
	case err != nil:
		d.errorf(v, "%s: expected a whole number, got %q", key, s)
		return 0, false
	}
	if n < min {
		d.errorf(v, "%s: must be at least %d, got %d", key, min, n)
		return 0, false
	}
	return n, true
}

func (d *decoder) boolean(key string, v *yaml.Node) (bool, bool) {
	s, ok := d.str(key, v)
	if !ok {
		return false, false
	}
	switch strings.TrimSpace(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	d.errorf(v, "%s: expected true or false, got %q", key, s)
	return false, false
}

// duration parses "10m", "1h30m" or "3d". A plain number is refused: "600"
// could mean seconds or minutes, and guessing wrong polls a feed 60 times
// too often. "0" is allowed and means zero.
func (d *decoder) duration(key string, v *yaml.Node) (time.Duration, bool) {
	s, ok := d.str(key, v)
	if !ok {
		return 0, false
	}
	dur, err := parseDuration(strings.TrimSpace(s))
	if err != nil {
		d.errorf(v, "%s: %v", key, err)
		return 0, false
	}
	return dur, true
}

var (
	plainNumber = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
	leadingDays = regexp.MustCompile(`^([0-9]+)d(.*)$`)
	// goDuration is what time.ParseDuration reads when the value fits.
	goDuration = regexp.MustCompile(`^\+?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$`)
)

func parseDuration(s string) (time.Duration, error) {
	whole := s
	if s == "0" {
		return 0, nil
	}
	if plainNumber.MatchString(s) {
		return 0, fmt.Errorf("%q has no unit: write e.g. \"%ss\" for seconds, or \"10m\", \"1h30m\"", s, s)
	}
	var days time.Duration
	if m := leadingDays.FindStringSubmatch(s); m != nil {
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || n > maxDays {
			return 0, tooLong(whole)
		}
		days, s = time.Duration(n)*24*time.Hour, m[2]
		if s == "" {
			return days, nil
		}
	}
	dur, err := time.ParseDuration(s)
	if err != nil && goDuration.MatchString(s) {
		return 0, tooLong(whole) // well formed: time.ParseDuration overflowed
	}
	if err != nil || (days > 0 && strings.IndexAny(s, "+-") == 0) {
		return 0, fmt.Errorf("bad duration %q: expected e.g. \"10m\", \"1h30m\" or \"3d\"", whole)
	}
	if dur < 0 {
		return 0, fmt.Errorf("duration %q must not be negative", whole)
	}
	if dur > math.MaxInt64-days {
		return 0, tooLong(whole)
	}
	return days + dur, nil
}

// maxDays is the most days a duration holds (about 292 years): more would
// wrap around to a negative duration.
const maxDays = math.MaxInt64 / int64(24*time.Hour)

func tooLong(s string) error {
	return fmt.Errorf("duration %q is too long: at most %dd", s, maxDays)
}

var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"kb": 1000, "mb": 1000 * 1000, "gb": 1000 * 1000 * 1000,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
}

var sizePattern = regexp.MustCompile(`^([0-9]+)\s*([A-Za-z]*)$`)

// size parses a byte count: 10485760, "10MiB", "512 KB".
func (d *decoder) size(key string, v *yaml.Node) (int64, bool) {
	s, ok := d.str(key, v)
	if !ok {
		return 0, false
	}
	m := sizePattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		d.errorf(v, "%s: expected a size like 10485760 or \"10MiB\", got %q", key, s)
		return 0, false
	}
	unit, known := sizeUnits[strings.ToLower(m[2])]
	n, err := strconv.ParseInt(m[1], 10, 64)
	if known && (errors.Is(err, strconv.ErrRange) || (err == nil && n > (1<<62)/unit)) {
		d.errorf(v, "%s: %s is too large", key, strings.TrimSpace(s))
		return 0, false
	}
	if !known || err != nil || n <= 0 {
		d.errorf(v, "%s: expected a positive size like 10485760 or \"10MiB\" (units B, KB, MB, GB, KiB, MiB, GiB), got %q", key, s)
		return 0, false
	}
	return n * unit, true
}

// list calls each for every element of a sequence.
func (d *decoder) list(key string, v *yaml.Node, each func(i int, el *yaml.Node)) {
	if v.Kind != yaml.SequenceNode {
		d.errorf(v, "%s: expected a list, got %s", key, kindName(v))
		return
	}
	for i, el := range v.Content {
		each(i, resolve(el))
	}
}

// suggestion returns ` (did you mean "x"?)` for the candidate closest to
// word, or "" when none is close enough to be a likely typo.
func suggestion(word string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		dist := editDistance(normalizeKey(word), normalizeKey(c))
		if bestDist < 0 || dist < bestDist {
			best, bestDist = c, dist
		}
	}
	limit := 2
	if len(word) <= 4 {
		limit = 1
	}
	if bestDist < 0 || bestDist > limit {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// unknownKeyHint says what an unknown key in a mapping of fields may have
// meant: a key of it spelt alike, else the places the key belongs, as one
// written in the wrong section ("max_age" under a feed).
func (d *decoder) unknownKeyHint(key string, fields map[string]fieldFunc) string {
	if s := suggestion(key, keysOf(fields)); s != "" || d.known != nil {
		return s // d.known: keyHomes is being learnt
	}
	if homes := keyHomes()[key]; len(homes) > 0 {
		return fmt.Sprintf(" (%s is a key of %s)", key, strings.Join(homes, " and of "))
	}
	return ""
}

// keyHomes maps each key of the schema to the places it may stand in,
// learnt once by decoding a config that visits every mapping, so that it
// follows the decoders. Set in init: the decoders it runs refer to it.
var keyHomes func() map[string][]string

func init() { keyHomes = sync.OnceValue(learnKeyHomes) }

func learnKeyHomes() map[string][]string {
	d := &decoder{file: "every.yaml", env: func(string) (string, bool) { return "", false }, known: map[string]bool{}}
	d.decode([]byte(everySection))
	homes := map[string][]string{}
	for _, k := range slices.Sorted(maps.Keys(d.known)) {
		what, key, _ := strings.Cut(k, ".")
		homes[key] = append(homes[key], placeNames[what])
	}
	return homes
}

// everySection is a config with every mapping of the schema.
const everySection = `
store: {}
defaults: {}
discord: {}
feeds: [{name: f, url: "https://f.example.org/"}]
subscriptions: [{name: s, query: x, format: {}, delivery: {}}]
destinations: [{name: d, type: discord-webhook, webhook_url: "https://discord.com/api/webhooks/1/x"}]
`

// placeNames say where the keys of a mapping stand, by its name in
// decoder.mapping.
var placeNames = map[string]string{
	"config": "the top level", "store": "store:", "defaults": "defaults:", "discord": "discord:",
	"feed": "a feed", "subscription": "a subscription", "destination": "a destination",
	"format": "a format:", "delivery": "a subscription's delivery:",
}

// normalizeKey makes "Max-Age" and "max_age" the same word for suggestions.
func normalizeKey(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), "-", "_")
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and transpositions of neighbours ("qeury") each
// cost one.
func editDistance(a, b string) int {
	s, t := []rune(a), []rune(b)
	prev2 := make([]int, len(t)+1)
	prev := make([]int, len(t)+1)
	cur := make([]int, len(t)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(s); i++ {
		cur[0] = i
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && s[i-1] == t[j-2] && s[i-2] == t[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(t)]
}
