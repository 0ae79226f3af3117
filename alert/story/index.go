package story

import (
	"math"
	"slices"
	"time"
)

// Options tune an Index. The zero value of a field means the default
// written beside it (DefaultOptions); a negative Window is an error of the
// caller's config and is treated as the default as well, since an index
// that forgets everything at once groups nothing.
type Options struct {
	// Window is how long an item remains a candidate (default 48 h).
	Window time.Duration
	// Threshold is the similarity (0..1) an earlier item must reach for a
	// new item to join its story.
	Threshold float64
	// NearCopy is the MinHash similarity (0..1) at which two texts are
	// copies of the same wire text whatever their words weigh.
	NearCopy float64
	// MinShared is the fewest distinctive words two items must share to
	// group on words (a title with fewer never groups on the title alone).
	MinShared int
	// MinIDF is the inverse document frequency from which a word counts as
	// distinctive.
	MinIDF float64
	// Prior is the number of imagined earlier items in which no word
	// occurred, so that at a cold start every word not generic is
	// distinctive, and a word becomes common only once many items of the
	// window carry it.
	Prior int
	// LeadWeight is how much a lead word weighs against a title word.
	LeadWeight float64
	// A story's keywords are the words that at least KeywordItems of its
	// items carry and that at least the KeywordShare of all the items of the
	// window carrying them belong to: the names a story has made its own
	// ("Carney", "Fyffes"). An item whose keywords of one story weigh
	// KeywordWeight (in IDF) joins that story even when no single earlier
	// report is similar enough, as a reader who has followed the story
	// would join it.
	KeywordItems  int
	KeywordShare  float64
	KeywordWeight float64
	// KeywordFraction is the least share of an item's weight its keywords
	// of a story must make for the item to join it: "Sbarro files for
	// bankruptcy" is not the story whose keyword "bankruptcy" is, since
	// "Sbarro" weighs more.
	KeywordFraction float64
	// Balance weighs the longer of two texts in the word similarity:
	// 0 divides the shared weight by the smaller text's weight (a short
	// headline inside a longer one is similar), 0.5 by the geometric mean.
	Balance float64
}

// DefaultOptions are the options tuned on the tune half of the UCI news
// aggregator stories (see corpus_test.go).
var DefaultOptions = Options{
	Window:     48 * time.Hour,
	Threshold:  0.3,
	NearCopy:   0.5,
	MinShared:  2,
	MinIDF:     1.0,
	Prior:      50,
	LeadWeight: 0.5,

	KeywordItems:  3,
	KeywordShare:  0.4,
	KeywordWeight: 3,

	KeywordFraction: 0.15,
	Balance:         0.2,
}

func (o Options) withDefaults() Options {
	d := DefaultOptions
	if o.Window > 0 {
		d.Window = o.Window
	}
	if o.Threshold > 0 {
		d.Threshold = o.Threshold
	}
	if o.NearCopy > 0 {
		d.NearCopy = o.NearCopy
	}
	if o.MinShared > 0 {
		d.MinShared = o.MinShared
	}
	if o.MinIDF > 0 {
		d.MinIDF = o.MinIDF
	}
	if o.Prior > 0 {
		d.Prior = o.Prior
	}
	if o.LeadWeight > 0 {
		d.LeadWeight = o.LeadWeight
	}
	if o.KeywordItems > 0 {
		d.KeywordItems = o.KeywordItems
	}
	if o.KeywordShare > 0 {
		d.KeywordShare = o.KeywordShare
	}
	if o.KeywordWeight > 0 {
		d.KeywordWeight = o.KeywordWeight
	}
	if o.Balance > 0 {
		d.Balance = o.Balance
	}
	if o.KeywordFraction > 0 {
		d.KeywordFraction = o.KeywordFraction
	}
	return d
}

// An Index holds the items of a sliding time window and finds, for a new
// item, the story of its most similar earlier item. Memory is bounded by
// the items of the window: items older than the window are evicted as
// newer times are passed in. Document frequencies are counted over the
// items of the window, so they too are restored exactly by re-adding the
// stored rows of the window in their order (see [Index.Add]).
type Index struct {
	opt Options

	entries []entry // in the order added; entries[0] has sequence number base
	base    int
	latest  time.Time // the newest time passed in

	df       map[uint32]int32 // words → items of the window that have them
	postings map[uint32][]int // words → sequence numbers of the items, ascending
	bands    map[uint64][]int // MinHash bands → sequence numbers, ascending
	stories  map[string]*storyWords

	acc   map[int]float64 // scratch: candidate → shared weight
	cands []int           // scratch
}

// storyWords counts, for one story, how many of its items in the window
// carry each word.
type storyWords struct {
	items int
	words map[uint32]int32
}

type entry struct {
	id, story string
	fp        Fingerprint
	at        time.Time
}

// NewIndex returns an empty index.
func NewIndex(opt Options) *Index {
	return &Index{
		opt:      opt.withDefaults(),
		df:       make(map[uint32]int32),
		postings: make(map[uint32][]int),
		bands:    make(map[uint64][]int),
		stories:  make(map[string]*storyWords),
		acc:      make(map[int]float64),
	}
}

// Len is the number of items in the window.
func (x *Index) Len() int { return len(x.entries) }

// Group finds the story of fp at time at (see [Index.Best]), or opens a new
// story named id, then adds the item. It returns the story and whether the
// item joined an earlier one.
func (x *Index) Group(id string, fp Fingerprint, at time.Time) (story string, score float64, joined bool) {
	story, score, joined = x.Best(fp, at)
	if !joined {
		story = id
	}
	x.Add(id, story, fp, at)
	return story, score, joined
}

// Add puts an item of the given story into the window. Re-adding the
// stored rows of a window (story id, fingerprint, time), oldest first,
// rebuilds the index as it was.
func (x *Index) Add(id, story string, fp Fingerprint, at time.Time) {
	x.advance(at)
	seq := x.base + len(x.entries)
	x.entries = append(x.entries, entry{id: id, story: story, fp: fp, at: at})
	for _, h := range fp.title {
		x.df[h]++
		x.postings[h] = append(x.postings[h], seq)
	}
	for _, h := range fp.lead {
		x.df[h]++
		x.postings[h] = append(x.postings[h], seq)
	}
	for _, b := range bandKeys(fp.sig) {
		x.bands[b] = append(x.bands[b], seq)
	}
	sw := x.stories[story]
	if sw == nil {
		sw = &storyWords{words: make(map[uint32]int32)}
		x.stories[story] = sw
	}
	sw.items++
	for _, h := range fp.title {
		sw.words[h]++
	}
	for _, h := range fp.lead {
		sw.words[h]++
	}
}

// Best returns the story of the earlier item most similar to fp among the
// items of the window ending at at, with its similarity, when that
// similarity reaches the threshold; failing that, the story whose keywords
// fp carries (see Options.KeywordItems), with the share of fp's weight
// they make. Ties go to the earliest item or story.
func (x *Index) Best(fp Fingerprint, at time.Time) (story string, score float64, ok bool) {
	x.advance(at)
	best, bestScore := -1, 0.0
	kwStory, kwWeight := "", 0.0
	cands := x.candidates(fp)
	for _, seq := range cands {
		e := &x.entries[seq-x.base]
		if at.Sub(e.at) > x.opt.Window {
			continue // added late with an old time; not yet evicted
		}
		if s := x.similarity(fp, e.fp); s > bestScore {
			best, bestScore = seq, s
		}
	}
	if best >= 0 && bestScore >= x.opt.Threshold {
		return x.entries[best-x.base].story, bestScore, true
	}
	for _, seq := range cands {
		s := x.entries[seq-x.base].story
		if w := x.keywordWeight(fp, s); w > kwWeight {
			kwStory, kwWeight = s, w
		}
	}
	if kwWeight >= x.opt.KeywordWeight {
		if share := kwWeight / x.weight(fp); share >= x.opt.KeywordFraction {
			return kwStory, share, true
		}
	}
	return "", bestScore, false
}

// keywordWeight is the weight of fp's words that are keywords of story.
func (x *Index) keywordWeight(fp Fingerprint, story string) float64 {
	sw := x.stories[story]
	if sw == nil {
		return 0
	}
	w := 0.0
	for i, words := range [][]uint32{fp.title, fp.lead} {
		for _, h := range words {
			c := sw.words[h]
			if int(c) < x.opt.KeywordItems || float64(c) < x.opt.KeywordShare*float64(x.df[h]) {
				continue
			}
			ww := x.wordWeight(h)
			if i == 1 {
				ww *= x.opt.LeadWeight
			}
			w += ww
		}
	}
	return w
}

// advance moves the window's end to at (never back) and evicts what fell
// out of it.
func (x *Index) advance(at time.Time) {
	if at.After(x.latest) {
		x.latest = at
	}
	cutoff := x.latest.Add(-x.opt.Window)
	n := 0
	for n < len(x.entries) && x.entries[n].at.Before(cutoff) {
		x.forget(x.base+n, &x.entries[n])
		n++
	}
	if n > 0 {
		clear(x.entries[:n]) // drop references for the collector
		x.entries = x.entries[n:]
		x.base += n
	}
}

// forget removes the oldest entry's words, which are at the front of
// their posting lists.
func (x *Index) forget(seq int, e *entry) {
	drop := func(h uint32) {
		if x.df[h]--; x.df[h] <= 0 {
			delete(x.df, h)
		}
		x.postings[h] = dropFront(x.postings[h], seq)
		if len(x.postings[h]) == 0 {
			delete(x.postings, h)
		}
	}
	for _, h := range e.fp.title {
		drop(h)
	}
	for _, h := range e.fp.lead {
		drop(h)
	}
	for _, b := range bandKeys(e.fp.sig) {
		x.bands[b] = dropFront(x.bands[b], seq)
		if len(x.bands[b]) == 0 {
			delete(x.bands, b)
		}
	}
	sw := x.stories[e.story]
	if sw.items--; sw.items == 0 {
		delete(x.stories, e.story)
		return
	}
	for _, words := range [][]uint32{e.fp.title, e.fp.lead} {
		for _, h := range words {
			if sw.words[h]--; sw.words[h] <= 0 {
				delete(sw.words, h)
			}
		}
	}
}

// dropFront removes seq from the front of a posting list, where the oldest
// item of the window always is.
func dropFront(p []int, seq int) []int {
	if len(p) > 0 && p[0] == seq {
		return p[1:]
	}
	return p
}

// maxPosting bounds the work of one lookup: a word carried by more items
// than this is too common to find candidates by (it still counts in the
// similarity of candidates found by rarer words).
const maxPosting = 512

// candidates are the items sharing a distinctive word or a MinHash band
// with fp, in ascending order.
func (x *Index) candidates(fp Fingerprint) []int {
	clear(x.acc)
	x.cands = x.cands[:0]
	add := func(p []int) {
		for _, seq := range p {
			if _, dup := x.acc[seq]; !dup {
				x.acc[seq] = 0
				x.cands = append(x.cands, seq)
			}
		}
	}
	for _, words := range [][]uint32{fp.title, fp.lead} {
		for _, h := range words {
			if p := x.postings[h]; len(p) <= maxPosting && x.idf(h) >= x.opt.MinIDF {
				add(p)
			}
		}
	}
	for _, b := range bandKeys(fp.sig) {
		add(x.bands[b])
	}
	slices.Sort(x.cands)
	return x.cands
}

// idf is the inverse document frequency of a word over the window, with
// Prior imagined items that lack it.
func (x *Index) idf(h uint32) float64 {
	n := float64(len(x.entries) + x.opt.Prior)
	return math.Log((n + 1) / (float64(x.df[h]) + 1))
}

// similarity is the larger of the near-copy similarity of the signatures
// and the word similarity: the weight of the distinctive words a and b
// share over the weight of the smaller of the two, zero when they share
// fewer than MinShared distinctive words.
func (x *Index) similarity(a, b Fingerprint) float64 {
	near := sigSimilarity(a.sig, b.sig)
	if near >= x.opt.NearCopy {
		return 1
	}
	wa, wb := x.weight(a), x.weight(b)
	shared, n := x.shared(a, b)
	if n < x.opt.MinShared || wa == 0 || wb == 0 {
		return 0
	}
	lo, hi := min(wa, wb), max(wa, wb)
	return shared / (math.Pow(lo, 1-x.opt.Balance) * math.Pow(hi, x.opt.Balance))
}

// weight is the total weight of a fingerprint's distinctive words.
func (x *Index) weight(fp Fingerprint) float64 {
	w := 0.0
	for _, h := range fp.title {
		w += x.wordWeight(h)
	}
	for _, h := range fp.lead {
		w += x.opt.LeadWeight * x.wordWeight(h)
	}
	return w
}

// wordWeight is a word's IDF, or 0 for a word too common to be distinctive.
func (x *Index) wordWeight(h uint32) float64 {
	if idf := x.idf(h); idf >= x.opt.MinIDF {
		return idf
	}
	return 0
}

// shared is the weight and number of the distinctive words a and b share;
// a word weighs as a lead word when it is in either's lead only.
func (x *Index) shared(a, b Fingerprint) (w float64, n int) {
	inTitle := func(fp Fingerprint, h uint32) bool {
		_, ok := slices.BinarySearch(fp.title, h)
		return ok
	}
	visit := func(h uint32) {
		ww := x.wordWeight(h)
		if ww == 0 {
			return
		}
		if !inTitle(a, h) || !inTitle(b, h) {
			ww *= x.opt.LeadWeight
		}
		w += ww
		n++
	}
	intersect(a.title, b.title, visit)
	intersect(a.title, b.lead, visit)
	intersect(a.lead, b.title, visit)
	intersect(a.lead, b.lead, visit)
	return w, n
}

// intersect calls f for each value in both sorted slices.
func intersect(a, b []uint32, f func(uint32)) {
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			f(a[i])
			i++
			j++
		}
	}
}

// sigSimilarity estimates the Jaccard similarity of two shingle sets.
func sigSimilarity(a, b []uint32) float64 {
	if len(a) != sigSize || len(b) != sigSize {
		return 0
	}
	same := 0
	for i := range a {
		if a[i] == b[i] {
			same++
		}
	}
	return float64(same) / sigSize
}

// bandRows is the number of signature values per LSH band: with 2 rows
// and 16 bands, texts of Jaccard similarity 0.5 share a band with
// probability 0.99, texts of 0.1 with 0.15.
const bandRows = 2

// bandKeys are the LSH band keys of a signature, each tagged with its
// band's number so that equal values in different bands differ.
func bandKeys(sig []uint32) []uint64 {
	if len(sig) != sigSize {
		return nil
	}
	keys := make([]uint64, 0, sigSize/bandRows)
	for i := 0; i < sigSize; i += bandRows {
		h := uint64(i)
		for _, v := range sig[i : i+bandRows] {
			h = mix64(h<<32 ^ uint64(v) ^ h)
		}
		keys = append(keys, h)
	}
	return keys
}
