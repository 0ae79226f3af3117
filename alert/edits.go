package alert

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/fnv"
	"slices"

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
	l := feeds.CanonicalLink(link)
	if l == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(l))
	return linkKeyPrefix + base64.RawURLEncoding.EncodeToString(sum[:16])
}

// A headline is what a link's key remembers of one item under the link:
// its key, the key of the item it is an edited headline of, at the start
// of a chain of edits (origin; "" when the item is its own start), and
// hashes of its headline's significant words (see significantWords).
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

// headlineWordHashes hashes the significant words of a headline.
func headlineWordHashes(title string) []uint32 {
	words := significantWords(title)
	out := make([]uint32, 0, min(len(words), maxHeadlineWords))
	for _, w := range words[:min(len(words), maxHeadlineWords)] {
		h := fnv.New32a()
		h.Write([]byte(w))
		out = append(out, h.Sum32())
	}
	return out
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

func encodeHeadlines(hs []headline) []byte {
	b := []byte{headlinesVersion}
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

// decodeHeadlines decodes what encodeHeadlines encoded; anything else
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

// edits finds, for a fetch's items, the earlier items whose headline each
// new one edits, from what the links' keys remember (stored, by key).
type edits struct {
	items  []feeds.Item
	stored map[string][]byte
	links  map[string][]headline // by link key, as stored
	words  [][]uint32            // items[i]'s headline's
	link   []string              // items[i]'s link key
	keys   map[string]bool       // the items' keys
}

func newEdits(items []feeds.Item, stored map[string][]byte) *edits {
	e := &edits{items: items, stored: stored, links: map[string][]headline{}, words: make([][]uint32, len(items)),
		link: make([]string, len(items)), keys: make(map[string]bool, len(items))}
	for i := range items {
		e.keys[items[i].Key] = true
		e.words[i] = headlineWordHashes(items[i].Title)
		lk := linkKey(items[i].Link)
		e.link[i] = lk
		if _, done := e.links[lk]; lk == "" || done {
			continue
		}
		e.links[lk] = nil
		if b, ok := stored[lk]; ok {
			e.links[lk], _ = decodeHeadlines(b)
		}
	}
	return e
}

// of returns what the link's key remembers of the item that items[i]
// edits: an item its link carried before, no longer in this fetch, whose
// headline shares a significant word with items[i]'s (the duplicate
// check's rule: see StoryKeys), the one sharing most. Only an item with no
// text signature of its own (new, or seen before its feed was followed
// for updates) edits another.
func (e *edits) of(i int) (headline, bool) {
	it := &e.items[i]
	if _, seen := e.stored[it.Key]; seen || len(e.words[i]) == 0 {
		return headline{}, false
	}
	var best headline
	most := 0
	for _, h := range e.links[e.link[i]] {
		if n := shared(h.words, e.words[i]); n > most && !e.keys[h.key] {
			best, most = h, n
		}
	}
	return best, most > 0
}

// remembered returns the encoded headlines of each link of the fetch that
// changed: its items' in their order, each with the start of its chain of
// edits (editOf[i] is what items[i] edits, if anything).
func (e *edits) remembered(editOf map[int]headline) map[string][]byte {
	byLink := map[string][]headline{}
	var order []string
	for i := range e.items {
		it, lk := &e.items[i], e.link[i]
		if lk == "" || len(byLink[lk]) >= maxLinkHeadlines {
			continue
		}
		if _, ok := byLink[lk]; !ok {
			order = append(order, lk)
		}
		h := headline{key: it.Key, words: e.words[i]}
		if prev, ok := editOf[i]; ok {
			h.origin = prev.start()
		} else if j := slices.IndexFunc(e.links[lk], func(old headline) bool { return old.key == it.Key }); j >= 0 {
			h.origin = e.links[lk][j].origin
		}
		byLink[lk] = append(byLink[lk], h)
	}
	out := map[string][]byte{}
	for _, lk := range order {
		b := encodeHeadlines(byLink[lk])
		if old, ok := e.stored[lk]; ok && string(old) == string(b) {
			continue
		}
		out[lk] = b
	}
	return out
}

// TextKeys are the keys whose stored text signatures TextChanges needs
// first: the items' own and their links' (which remember the headlines
// each link carried). EditedKeys then names the rest.
func TextKeys(items []feeds.Item) []string {
	keys := make([]string, 0, 2*len(items))
	for _, it := range items {
		keys = append(keys, it.Key)
	}
	links := map[string]bool{}
	for _, it := range items {
		if lk := linkKey(it.Link); lk != "" && !links[lk] {
			links[lk] = true
			keys = append(keys, lk)
		}
	}
	return keys
}

// EditedKeys names the earlier items, not in stored, whose text signatures
// TextChanges needs given stored (read for TextKeys): the items that new
// items' headlines edit.
func EditedKeys(items []feeds.Item, stored map[string][]byte) []string {
	e := newEdits(items, stored)
	var keys []string
	for i := range items {
		if h, ok := e.of(i); ok && !slices.Contains(keys, h.key) {
			if _, have := stored[h.key]; !have {
				keys = append(keys, h.key)
			}
		}
	}
	return keys
}
