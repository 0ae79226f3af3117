// Package benchfarm is the loopback world `newshound bench` polls: a farm
// of RSS feeds spread over many loopback addresses (one host name per
// address, so per-host politeness applies as it would on the Internet),
// whose items are realistic in size (100–300 words, some HTML) and a
// chosen share of which get a new item each round; and a fake Discord that
// accepts channel messages (and answers the destination's check at start,
// as Discord would for a bot that may post) and records when each item's
// alert arrived, so the bench can tell which published items were posted
// and how late.
//
// A Farm is driven directly (in-process) or through its control endpoints
// by a Client, when it runs in a process of its own so that its CPU time
// is not counted against the pipeline's.
package benchfarm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options shape a farm. Zero values mean what their comments say.
type Options struct {
	Feeds int // number of feeds
	// Hosts spreads the feeds over this many loopback addresses
	// (127.0.0.1, 127.0.0.2, …); 0 or 1: all on 127.0.0.1.
	Hosts int
	Items int // items per feed document; 0: 20
	// Latency delays every feed response (not the fake Discord's); 0: none.
	Latency time.Duration
	// Marker is the word a matching new item carries in its title; "":
	// DefaultMarker.
	Marker string
}

// DefaultMarker is the word the bench's catch-all subscription queries.
const DefaultMarker = "bulletin"

// Round is what one Advance published.
type Round struct {
	Changed  int `json:"changed"`  // feeds that got a new item
	Matching int `json:"matching"` // new items that carry the marker
}

// Stats is what the farm saw since it started.
type Stats struct {
	FeedRequests int `json:"feed_requests"`
	NotModified  int `json:"not_modified"` // answered 304
	// Published counts the marked (matching) items published by Advance;
	// Posted those of them whose alert reached the fake Discord; Missing
	// lists a few links published but not posted.
	Published int      `json:"published"`
	Posted    int      `json:"posted"`
	Missing   []string `json:"missing,omitempty"`
	Messages  int      `json:"discord_messages"`
	// LatencyP50/P99 are publish→post delays of the items published at or
	// after the since time asked for (milliseconds).
	LatencyP50 float64 `json:"latency_p50_ms"`
	LatencyP99 float64 `json:"latency_p99_ms"`
	Latencies  int     `json:"latencies"`
}

// Farm serves the feeds and the fake Discord. Its methods are safe for
// concurrent use.
type Farm struct {
	opts Options
	base time.Time // publish time of the initial items' newest
	// run makes this farm's items differ from every other farm's (links,
	// GUIDs, words), so a database used by an earlier bench does not take
	// them for stories it has already posted.
	run uint64

	mu        sync.Mutex
	feeds     []feedState
	cursor    int     // next feed to change (changes rotate over the farm)
	matchAcc  float64 // carries the fractional share of matching items
	published map[string]time.Time
	posted    map[string]time.Time
	requests  int
	notMod    int
	messages  int
	nextID    int64
}

type feedState struct {
	newest   int          // sequence number of the newest item
	marked   map[int]bool // items carrying the marker
	pubTimes map[int]time.Time
	modified time.Time
}

// New makes a farm of o.Feeds feeds, each with o.Items items already
// published (none of them marked, so a first sight posts nothing).
func New(o Options) *Farm {
	if o.Items <= 0 {
		o.Items = 20
	}
	if o.Hosts <= 0 {
		o.Hosts = 1
	}
	if o.Marker == "" {
		o.Marker = DefaultMarker
	}
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	f := &Farm{opts: o, base: base, run: rand.Uint64(), feeds: make([]feedState, o.Feeds), published: map[string]time.Time{}, posted: map[string]time.Time{}}
	for i := range f.feeds {
		f.feeds[i] = feedState{newest: o.Items - 1, modified: base}
	}
	return f
}

// Advance gives share (0–1) of the feeds one new item each, rotating over
// the farm so successive rounds change different feeds; match (0–1) of the
// new items carry the marker word.
func (f *Farm) Advance(share, match float64) Round {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := int(math.Round(share * float64(len(f.feeds))))
	now := time.Now()
	var r Round
	for range min(n, len(f.feeds)) {
		i := f.cursor
		f.cursor = (f.cursor + 1) % len(f.feeds)
		fs := &f.feeds[i]
		fs.newest++
		fs.modified = now
		if fs.pubTimes == nil {
			fs.pubTimes = map[int]time.Time{}
		}
		fs.pubTimes[fs.newest] = now
		r.Changed++
		f.matchAcc += match
		if f.matchAcc >= 1-1e-9 {
			f.matchAcc--
			if fs.marked == nil {
				fs.marked = map[int]bool{}
			}
			fs.marked[fs.newest] = true
			f.published[f.itemLink(i, fs.newest)] = now
			r.Matching++
		}
	}
	return r
}

// Stats reports what the farm saw; latencies count the items published at
// or after since.
func (f *Farm) Stats(since time.Time) Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := Stats{FeedRequests: f.requests, NotModified: f.notMod, Published: len(f.published), Messages: f.messages}
	var lat []float64
	for link, pub := range f.published {
		at, ok := f.posted[link]
		if !ok {
			if len(s.Missing) < 10 {
				s.Missing = append(s.Missing, link)
			}
			continue
		}
		s.Posted++
		if !pub.Before(since) {
			lat = append(lat, float64(at.Sub(pub).Microseconds())/1000)
		}
	}
	slices.Sort(lat)
	slices.Sort(s.Missing)
	s.Latencies = len(lat)
	s.LatencyP50, s.LatencyP99 = percentile(lat, 0.50), percentile(lat, 0.99)
	return s
}

// percentile of sorted xs by the nearest-rank method; 0 when empty.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(xs)))) - 1
	return xs[max(i, 0)]
}

// itemLink is the link of item seq of feed i: what the fake Discord sees
// as the embed URL.
func (f *Farm) itemLink(i, seq int) string {
	return fmt.Sprintf("https://news%d.example/%x/story/%d/%d", i%97, f.run>>40, i, seq)
}

// Addrs says where a started farm listens.
type Addrs struct {
	Hosts   []string `json:"hosts"`   // base URLs, one per loopback address
	Discord string   `json:"discord"` // api_base of the fake Discord
	Control string   `json:"control"` // base URL of the control endpoints
}

// FeedURL is the URL of feed i.
func (a Addrs) FeedURL(i int) string {
	return fmt.Sprintf("%s/f/%d", a.Hosts[i%len(a.Hosts)], i)
}

// Serve listens on the farm's loopback addresses and serves until ctx is
// cancelled; ready is called with the addresses once every listener is
// up. It returns when every server has stopped.
func (f *Farm) Serve(ctx context.Context, ready func(Addrs)) error {
	var lns []net.Listener
	closeAll := func() {
		for _, ln := range lns {
			ln.Close()
		}
	}
	var a Addrs
	for h := range f.opts.Hosts {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.%d:0", h+1))
		if err != nil {
			closeAll()
			return fmt.Errorf("benchfarm: host %d of %d: %w (Linux routes all of 127.0.0.0/8 to loopback; elsewhere use --hosts 1)", h+1, f.opts.Hosts, err)
		}
		lns = append(lns, ln)
		a.Hosts = append(a.Hosts, "http://"+ln.Addr().String())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		closeAll()
		return err
	}
	lns = append(lns, ln)
	a.Discord = "http://" + ln.Addr().String() + "/api/v9/"
	a.Control = "http://" + ln.Addr().String()
	srv := &http.Server{Handler: f.Handler(), ReadHeaderTimeout: 10 * time.Second}
	var wg sync.WaitGroup
	for _, ln := range lns {
		wg.Go(func() { _ = srv.Serve(ln) })
	}
	ready(a)
	<-ctx.Done()
	// The bench is over: nothing waits for an answer any more.
	err = srv.Close()
	wg.Wait()
	return err
}

// Handler serves feeds under /f/, the fake Discord under /api/v9/ and the
// control endpoints under /control/.
func (f *Farm) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /f/{id}", f.serveFeed)
	mux.HandleFunc("POST /api/v9/channels/{channel}/messages", f.createMessage)
	// What the destination's check at start asks, answered as Discord
	// would for a bot that owns its guild: it may post.
	mux.HandleFunc("GET /api/v9/users/@me", answerJSON(`{"id":"`+botID+`","username":"bench","bot":true}`))
	mux.HandleFunc("GET /api/v9/channels/{channel}", func(w http.ResponseWriter, r *http.Request) {
		answerJSON(fmt.Sprintf(`{"id":%q,"type":0,"guild_id":%q,"name":"bench"}`, r.PathValue("channel"), guildID))(w, r)
	})
	mux.HandleFunc("GET /api/v9/guilds/{guild}", answerJSON(`{"id":"`+guildID+`","name":"bench","owner_id":"`+botID+`","roles":[]}`))
	mux.HandleFunc("POST /control/advance", f.controlAdvance)
	mux.HandleFunc("GET /control/stats", f.controlStats)
	return mux
}

// The fake Discord's bot and the guild it owns.
const (
	botID   = "100000000000000001"
	guildID = "100000000000000002"
)

func answerJSON(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}
}

func (f *Farm) serveFeed(w http.ResponseWriter, r *http.Request) {
	i, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || i < 0 || i >= len(f.feeds) {
		http.NotFound(w, r)
		return
	}
	if f.opts.Latency > 0 {
		select {
		case <-time.After(f.opts.Latency):
		case <-r.Context().Done():
			return
		}
	}
	f.mu.Lock()
	f.requests++
	fs := f.feeds[i]
	etag := fmt.Sprintf(`"f%d-%d"`, i, fs.newest)
	if r.Header.Get("If-None-Match") == etag {
		f.notMod++
		f.mu.Unlock()
		w.WriteHeader(http.StatusNotModified)
		return
	}
	marked := markedWithin(fs.marked, fs.newest-f.opts.Items+1)
	pubTimes := make([]time.Time, f.opts.Items)
	for k := range pubTimes {
		seq := fs.newest - k
		if t, ok := fs.pubTimes[seq]; ok {
			pubTimes[k] = t
		} else {
			pubTimes[k] = f.base.Add(-time.Duration(f.opts.Items-1-seq) * time.Hour)
		}
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", fs.modified.UTC().Format(http.TimeFormat))
	w.Write(f.document(i, fs.newest, marked, pubTimes))
}

// markedWithin copies the marked sequence numbers from lowest on, so the
// document is rendered without the lock.
func markedWithin(marked map[int]bool, lowest int) map[int]bool {
	out := map[int]bool{}
	for seq := range marked {
		if seq >= lowest {
			out[seq] = true
		}
	}
	return out
}

// messagePayload is the part of a Discord message the fake looks at.
type messagePayload struct {
	Embeds []struct {
		URL string `json:"url"`
	} `json:"embeds"`
}

func (f *Farm) createMessage(w http.ResponseWriter, r *http.Request) {
	var m messagePayload
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		http.Error(w, `{"message":"bad json","code":50109}`, http.StatusBadRequest)
		return
	}
	now := time.Now()
	f.mu.Lock()
	f.messages++
	f.nextID++
	id := f.nextID
	for _, e := range m.Embeds {
		if _, seen := f.posted[e.URL]; !seen && e.URL != "" {
			f.posted[e.URL] = now
		}
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"id": strconv.FormatInt(1_000_000_000+id, 10), "channel_id": r.PathValue("channel")})
}

func (f *Farm) controlAdvance(w http.ResponseWriter, r *http.Request) {
	share, err1 := strconv.ParseFloat(r.FormValue("share"), 64)
	match, err2 := strconv.ParseFloat(r.FormValue("match"), 64)
	if err := errors.Join(err1, err2); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	json.NewEncoder(w).Encode(f.Advance(share, match))
}

func (f *Farm) controlStats(w http.ResponseWriter, r *http.Request) {
	var since time.Time
	if s := r.FormValue("since"); s != "" {
		var err error
		if since, err = time.Parse(time.RFC3339Nano, s); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	json.NewEncoder(w).Encode(f.Stats(since))
}

// document renders feed i's newest Items items, newest first.
func (f *Farm) document(i, newest int, marked map[int]bool, pubTimes []time.Time) []byte {
	var b strings.Builder
	b.Grow(f.opts.Items * 2200)
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Bench wire %d</title><link>https://news%d.example/</link><description>Loopback news for newshound bench</description>
`, i, i%97)
	for k := range f.opts.Items {
		seq := newest - k
		f.writeItem(&b, i, seq, marked[seq], pubTimes[k])
	}
	b.WriteString("</channel></rss>\n")
	return []byte(b.String())
}

// writeItem writes one item whose words are fixed by (feed, seq): a title
// of 6–11 words and a description of 100–300 words in paragraphs, with
// some markup and entities, escaped as RSS descriptions usually are.
func (f *Farm) writeItem(b *strings.Builder, feed, seq int, marked bool, pub time.Time) {
	rng := rand.New(rand.NewPCG(uint64(feed)^f.run, uint64(seq)))
	title := words(rng, 6+rng.IntN(6))
	if marked {
		marker := f.opts.Marker
		title = strings.ToUpper(marker[:1]) + marker[1:] + ": " + title
	}
	link := f.itemLink(feed, seq)
	fmt.Fprintf(b, "<item><guid isPermaLink=\"false\">bench-%x-%d-%d</guid><title>%s</title><link>%s</link><pubDate>%s</pubDate><description>",
		f.run>>40, feed, seq, title, link, pub.UTC().Format(time.RFC1123Z))
	total := 100 + rng.IntN(201)
	for total > 0 {
		n := min(total, 30+rng.IntN(40))
		total -= n
		para := words(rng, n)
		if rng.IntN(3) == 0 { // some emphasis and a link, escaped markup
			cut := strings.IndexByte(para, ' ')
			para = "&lt;b&gt;" + para[:max(cut, 0)] + "&lt;/b&gt;" + para[max(cut, 0):] + ` &lt;a href="` + link + `"&gt;more&lt;/a&gt; &amp;amp; analysis`
		}
		b.WriteString("&lt;p&gt;" + para + ".&lt;/p&gt;")
	}
	b.WriteString("</description></item>\n")
}

func words(rng *rand.Rand, n int) string {
	var b strings.Builder
	for k := range n {
		if k > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(vocabulary[rng.IntN(len(vocabulary))])
	}
	return b.String()
}

// vocabulary is ordinary news prose; query words the bench subscribes to
// (apart from the marker) are not among them, as most queries match
// nothing most of the time.
var vocabulary = strings.Fields(`the of and to in a said on for with as was at by that from its it has
have will be is are were an after government minister officials people city year week day
police report reports new two three first last over more than about against into during
talks meeting agreement plan support forces security state national local public party
leaders leader president prime court law vote votes election council members group groups
company market prices price shares bank economy growth trade deal workers union strike
health hospital school students children families residents water power energy weather
rain storm road train airport border region country capital north south east west central
spokesman statement announced confirmed expected told reporters according sources earlier
later month months years since while before under between across without despite amid
would could should may might also still only just even again most many several some any
their his her they he she we our new old major small large long short early late high low
international foreign domestic military aid help service services system data online
report investigation inquiry evidence officials agency department ministry committee
project budget tax taxes costs funding million billion percent rise fall record figures`)
