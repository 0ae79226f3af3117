package alert

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"slices"
	"strings"

	"github.com/newshound/newshound/feeds"
)

// This file holds edited headlines for live updates. An item's key
// changes with its headline (feeds.TitleFingerprint is part of it), so a
// live blog whose title carries the time of its last update ("Kessler Dam
// live: updated 14:00 GMT") is a new key at every poll. The duplicate
// check already takes such an item for the one it edits (StoryKeys: the
// same link and a significant headline word in common) and does not post
// it again; here its text is compared with that earlier item's, so that
// the text it added is an update of its story, as for an unchanged
// headline. What headlines a link carried is remembered among the feed's
// seen keys, under the link's key, in the same column as the items' text
// signatures: the store needs nothing more.

// linkKeyPrefix starts the seen key of a link. No item key (a letter and
// base64) or update key (an item key, "~u" and base64) starts with it.
const linkKeyPrefix = "~l"

// linkKey is the seen key under which the headlines of the feed's items
// with link are remembered, or "" for an item without a link (whose edited
// headline the duplicate check posts again: no edit).
func linkKey(link string) string {
	l := feeds.KeyLink(link)
	if l == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(l))
	var buf [32]byte
	return string(base64.RawURLEncoding.AppendEncode(append(buf[:0], linkKeyPrefix...), sum[:16]))
}

// A headline is what a link's key remembers of one item under the link:
// its key, the key of the item it is an edited headline of, at the start
// of a chain of edits (origin; "" when the item is its own start), and
// hashes of its headline's significant words (see rememberedWords).
type headline struct {
	key, origin string
	words       []uint32
}

// start is the key of the first item of the headline's chain of edits.
func (h headline) start() string {
	if h.origin != "" {
		return h.origin
	}
	return h.key
}

// Bounds on what a link's key remembers: a link that a feed gives many of
// its items (a site's address) keeps the first maxLinkHeadlines, a long
// headline its first maxHeadlineWords words.
const (
	maxLinkHeadlines = 16
	maxHeadlineWords = 16
)

// appendHeadlineWordHashes appends to dst the hashes (32-bit FNV-1a) of
// the first maxHeadlineWords of a headline's remembered words.
func appendHeadlineWordHashes(dst []uint32, title string) []uint32 {
	return appendWordHashes(dst, rememberedWords(headlineWords(title)))
}

// rememberedWords are what a link's key remembers of a headline, of its
// normalized words: its significant ones, or, for a headline of five words
// or more with none, the whole headline as one word: a Chinese one, each
// of whose characters is a word, is then known again when re-issued. A
// shorter one ("Live updates") is remembered as nothing, as before.
func rememberedWords(words []string) []string {
	whole := strings.Join(words, " ") // before significantOf filters words in place
	if sig := significantOf(words); len(sig) > 0 || len(words) < 5 {
		return sig
	}
	return []string{whole}
}

// appendWordHashes appends to dst the hashes of the first
// maxHeadlineWords of words.
func appendWordHashes(dst []uint32, words []string) []uint32 {
	for _, w := range words[:min(len(words), maxHeadlineWords)] {
		h := uint32(2166136261)
		for k := 0; k < len(w); k++ {
			h ^= uint32(w[k])
			h *= 16777619
		}
		dst = append(dst, h)
	}
	return dst
}

// shared counts the words of b that a has.
func shared(a, b []uint32) int {
	n := 0
	for _, w := range b {
		if slices.Contains(a, w) {
			n++
		}
	}
	return n
}

// headlinesVersion is the first byte of a link key's encoded headlines; a
// TextSig's versions are small numbers, so the two never pass for each
// other.
const headlinesVersion = 0x81

// appendHeadlines appends the encoding of hs to b.
func appendHeadlines(b []byte, hs []headline) []byte {
	b = append(b, headlinesVersion)
	b = binary.AppendUvarint(b, uint64(len(hs)))
	for _, h := range hs {
		b = binary.AppendUvarint(b, uint64(len(h.key)))
		b = append(b, h.key...)
		b = binary.AppendUvarint(b, uint64(len(h.origin)))
		b = append(b, h.origin...)
		b = binary.AppendUvarint(b, uint64(len(h.words)))
		for _, w := range h.words {
			b = binary.LittleEndian.AppendUint32(b, w)
		}
	}
	return b
}

var errHeadlines = errors.New("alert: link headlines cannot be decoded")

// decodeHeadlines decodes what appendHeadlines encoded; anything else
// (corrupt, another version) is an error, and the link is then taken for
// one never seen.
func decodeHeadlines(b []byte) ([]headline, error) {
	if len(b) == 0 || b[0] != headlinesVersion {
		return nil, errHeadlines
	}
	b = b[1:]
	uvarint := func(limit uint64) (uint64, bool) {
		v, k := binary.Uvarint(b)
		if k <= 0 || v > limit {
			return 0, false
		}
		b = b[k:]
		return v, true
	}
	str := func() (string, bool) {
		n, ok := uvarint(uint64(len(b)))
		if !ok || n > uint64(len(b)) {
			return "", false
		}
		s := string(b[:n])
		b = b[n:]
		return s, true
	}
	n, ok := uvarint(maxLinkHeadlines)
	if !ok {
		return nil, errHeadlines
	}
	hs := make([]headline, n)
	for i := range hs {
		var okKey, okOrigin bool
		hs[i].key, okKey = str()
		hs[i].origin, okOrigin = str()
		nw, okWords := uvarint(maxHeadlineWords)
		if !okKey || !okOrigin || !okWords || uint64(len(b)) < 4*nw {
			return nil, errHeadlines
		}
		hs[i].words = make([]uint32, nw)
		for j := range hs[i].words {
			hs[i].words[j] = binary.LittleEndian.Uint32(b[4*j:])
		}
		b = b[4*nw:]
	}
	if len(b) != 0 {
		return nil, errHeadlines
	}
	return hs, nil
}

// A TextPoll is a fetch's items as one poll of a feed followed for
// updates sees them: each item's link key and headline words, worked out
// once for the poll's steps (Keys, EditedKeys, then Changes, the store
// read in between), and the links' headlines as decoded from the stored
// signatures. It is made anew for each poll and is not safe for
// concurrent use. The items' keys, titles and links must not change
// between the steps; their text may be filled (feeds.FillText) before
// Changes.
type TextPoll struct {
	items []feeds.Item
	words [][]uint32 // items[i]'s headline's (see appendHeadlineWordHashes)
	link  []string   // items[i]'s link key
	next  []int      // the next item with items[i]'s link, or -1
	links []int      // the first item of each link, in the items' order
	keys  map[string]bool
	known map[string]bool // the keys of items cut out before parsing (Known)
	// decoded holds the headlines decoded for a link's key, with the
	// stored bytes they were decoded from.
	decoded map[string]decodedHeadlines
}

type decodedHeadlines struct {
	from []byte
	hs   []headline
}

// NewTextPoll works out the link keys and headline words of a fetch's
// items for one poll.
func NewTextPoll(items []feeds.Item) *TextPoll {
	p := &TextPoll{items: items, words: make([][]uint32, len(items)), link: make([]string, len(items)),
		next: make([]int, len(items)), keys: make(map[string]bool, len(items)), decoded: map[string]decodedHeadlines{}}
	last := map[string]int{} // by link key, the last item with it so far
	var all []uint32
	ends := make([]int, len(items))
	for i := range items {
		p.keys[items[i].Key] = true
		all = appendHeadlineWordHashes(all, items[i].Title)
		ends[i] = len(all)
		p.next[i] = -1
		lk := linkKey(items[i].PublishedLink()) // as versions before origLink was read remembered it
		p.link[i] = lk
		if lk == "" {
			continue
		}
		if j, ok := last[lk]; ok {
			p.next[j] = i
		} else {
			p.links = append(p.links, i)
		}
		last[lk] = i
	}
	start := 0
	for i, end := range ends {
		p.words[i] = all[start:end:end]
		start = end
	}
	return p
}

// Keys are the keys whose stored text signatures Changes needs first: the
// items' own and their links' (which remember the headlines each link
// carried). EditedKeys then names the rest.
func (p *TextPoll) Keys() []string {
	keys := make([]string, 0, len(p.items)+len(p.links))
	for i := range p.items {
		keys = append(keys, p.items[i].Key)
	}
	for _, i := range p.links {
		keys = append(keys, p.link[i])
	}
	return keys
}

// LinkKeys are the seen keys of the fetch's links alone, which remember
// the headlines each link carried: what Reissued and Headlines need of a
// feed not followed for updates (Keys adds the items' own).
func (p *TextPoll) LinkKeys() []string {
	keys := make([]string, 0, len(p.links))
	for _, i := range p.links {
		keys = append(keys, p.link[i])
	}
	return keys
}

// LinkKeys are the seen keys of the links of items, each once, in the
// items' order: what a poll of them keeps present in the store
// (store.Poll.Present), so that the headlines a link's key remembers are
// pruned no sooner than the items under it. TextPoll.LinkKeys is the same
// for a poll's items.
func LinkKeys(items []feeds.Item) []string {
	keys := make([]string, 0, len(items))
	have := make(map[string]bool, len(items))
	for i := range items {
		if lk := linkKey(items[i].PublishedLink()); lk != "" && !have[lk] {
			have[lk] = true
			keys = append(keys, lk)
		}
	}
	return keys
}

// LinksOf are the keys of the links of the items whose keys are in
// itemKeys, each once, in the items' order.
func (p *TextPoll) LinksOf(itemKeys []string) []string {
	want := keySet(itemKeys)
	var keys []string
	for _, first := range p.links {
		for i := first; i >= 0; i = p.next[i] {
			if want[p.items[i].Key] {
				keys = append(keys, p.link[first])
				break
			}
		}
	}
	return keys
}

// Known adds keys of items the fetch holds but were cut out before parsing
// (feeds.Feed.Known): an earlier item that is still in the feed is edited
// by none.
func (p *TextPoll) Known(keys []string) {
	if p.known == nil {
		p.known = make(map[string]bool, len(keys))
	}
	for _, k := range keys {
		p.keys[k] = true
		p.known[k] = true
	}
}

// Reissued names the new items (their keys in unseen) that re-issue an
// item their link carried before under the same headline (the same
// significant words, see appendHeadlineWordHashes; an outlet's credit
// added or taken off since is none: creditForms): the same item under a
// new GUID, or its link with a tracking parameter, which is no news,
// however long after that item it comes (the outbox's duplicate check
// holds 48 hours; the headlines a link's key remembers, as long as the
// feed's seen keys). The earlier item must have left the fetch. An edited
// headline is not one: it may match a query the first did not.
func (p *TextPoll) Reissued(stored map[string][]byte, unseen []string) map[string]bool {
	var again map[string]bool
	for _, i := range p.newItems(unseen) {
		if len(p.words[i]) == 0 {
			continue
		}
		forms := [][]uint32{p.words[i]}
		for _, words := range creditForms(p.items[i].Title) {
			if words = rememberedWords(words); len(words) > 0 {
				forms = append(forms, appendWordHashes(nil, words))
			}
		}
		for _, h := range p.headlines(p.link[i], stored) {
			if !p.keys[h.key] && slices.ContainsFunc(forms, func(w []uint32) bool { return slices.Equal(h.words, w) }) {
				if again == nil {
					again = map[string]bool{}
				}
				again[p.items[i].Key] = true
				break
			}
		}
	}
	return again
}

// Headlines returns, encoded, the headlines of each link of the fetch
// that changed since stored, for a feed not followed for updates (Changes
// returns them with the items' text signatures for one that is). Only new
// items (their keys in unseen) edit earlier ones.
func (p *TextPoll) Headlines(stored map[string][]byte, unseen []string) map[string][]byte {
	editOf := map[int]headline{}
	for _, i := range p.newItems(unseen) {
		if h, ok := p.edited(i, stored); ok {
			editOf[i] = h
		}
	}
	sigs := map[string][]byte{}
	p.remember(sigs, stored, editOf)
	return sigs
}

// newItems are the indexes of the items whose keys are in unseen.
func (p *TextPoll) newItems(unseen []string) []int {
	isNew := keySet(unseen)
	var out []int
	for i := range p.items {
		if isNew[p.items[i].Key] {
			out = append(out, i)
		}
	}
	return out
}

// EditedKeys names the earlier items, not in stored, whose text
// signatures Changes needs given stored (read for Keys): the items that
// new items' headlines edit.
func (p *TextPoll) EditedKeys(stored map[string][]byte) []string {
	var keys []string
	for i := range p.items {
		if h, ok := p.edited(i, stored); ok && !slices.Contains(keys, h.key) {
			if _, have := stored[h.key]; !have {
				keys = append(keys, h.key)
			}
		}
	}
	return keys
}

// headlines are what a link's key remembers in stored.
func (p *TextPoll) headlines(lk string, stored map[string][]byte) []headline {
	b, ok := stored[lk]
	if lk == "" || !ok {
		return nil
	}
	if d, ok := p.decoded[lk]; ok && string(d.from) == string(b) {
		return d.hs
	}
	hs, _ := decodeHeadlines(b)
	p.decoded[lk] = decodedHeadlines{from: b, hs: hs}
	return hs
}

// edited returns what the link's key remembers of the item that items[i]
// edits: an item its link carried before, no longer in this fetch, whose
// headline shares a significant word with items[i]'s (the duplicate
// check's rule: see StoryKeys), the one sharing most. Only an item with no
// text signature of its own (new, or seen before its feed was followed
// for updates) edits another.
func (p *TextPoll) edited(i int, stored map[string][]byte) (headline, bool) {
	if _, seen := stored[p.items[i].Key]; seen || len(p.words[i]) == 0 {
		return headline{}, false
	}
	var best headline
	most := 0
	for _, h := range p.headlines(p.link[i], stored) {
		if n := shared(h.words, p.words[i]); n > most && !p.keys[h.key] {
			best, most = h, n
		}
	}
	return best, most > 0
}

// remember adds to sigs the encoded headlines of each link of the fetch
// that changed since stored: its items' in their order, each with the
// start of its chain of edits (editOf[i] is what items[i] edits, if
// anything), then those it remembered of items cut out before parsing
// (Known), which are still under the link: their bytes did not change.
func (p *TextPoll) remember(sigs, stored map[string][]byte, editOf map[int]headline) {
	var hs []headline
	var b []byte
	for _, first := range p.links {
		lk := p.link[first]
		old := p.headlines(lk, stored)
		hs = hs[:0]
		for i := first; i >= 0 && len(hs) < maxLinkHeadlines; i = p.next[i] {
			h := headline{key: p.items[i].Key, words: p.words[i]}
			if prev, ok := editOf[i]; ok {
				h.origin = prev.start()
			} else if j := slices.IndexFunc(old, func(o headline) bool { return o.key == h.key }); j >= 0 {
				h.origin = old[j].origin
			}
			hs = append(hs, h)
		}
		for _, o := range old {
			if len(hs) == maxLinkHeadlines {
				break
			}
			if p.known[o.key] && !slices.ContainsFunc(hs, func(h headline) bool { return h.key == o.key }) {
				hs = append(hs, o)
			}
		}
		b = appendHeadlines(b[:0], hs)
		if was, ok := stored[lk]; ok && string(was) == string(b) {
			continue
		}
		sigs[lk] = slices.Clone(b)
	}
}

// keySet is the set of keys.
func keySet(keys []string) map[string]bool {
	set := make(map[string]bool, len(keys))
	for _, k := range keys {
		set[k] = true
	}
	return set
}
