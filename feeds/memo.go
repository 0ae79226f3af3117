package feeds

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"hash/maphash"
	"slices"

	"github.com/mmcdole/gofeed"
)

// A changed feed usually repeats nineteen items of its last fetch byte for
// byte, and parsing them again was most of what a changed poll cost. An
// ItemMemo remembers, for one feed, a hash of each RSS item's bytes and
// the key it had. Given the memo, the parser leaves the items it knows out
// of what gofeed reads and reports only their keys (Feed.Known).
//
// An item's key depends on its own bytes and on three things around it,
// which the memo also pins: the namespaces and xml:base of the <rss> and
// <channel> start tags, the feed's URL and link (relative links resolve
// against them), and the other items of the document (a GUID repeated
// under one headline makes the key fall back to the link). The memo holds
// only documents in which no GUID and headline repeat, and a parse that
// would bring one together with a remembered item is done in full, without
// the memo. Keys built from a headline and date alone are never
// remembered: whether a date counts depends on the clock. A document with
// a new item whose date has no zone is parsed whole too: that date is read
// at the offsets the other items' dates state (normalizer.statedOffsets).

// ItemMemo is what the parser remembers of one feed's last document. The
// zero value (or nil) remembers nothing. It is immutable once made.
type ItemMemo struct {
	seed    maphash.Seed // the Parser's: a memo is only read by the parser that made it
	context uint64       // the <rss> and <channel> start tags and the feed URL
	base    uint64       // what relative links resolved against, hashed
	items   []memoItem   // sorted by hash
}

// memoItem is one remembered item, in 32 bytes: a memo is kept for every
// feed, and the heap the collector lets grow is a multiple of what is
// kept.
type memoItem struct {
	hash uint64   // of the item's bytes, <item> to </item>
	key  [16]byte // the key's hash, decoded (see itemKeyWith)
	// guidTitle is a hash of the GUID and headline fingerprint, 0 without
	// a GUID. Two items with the same one read as a repeat, which only
	// makes the parse whole: 32 bits are enough.
	guidTitle uint32
	prefix    byte // the key's source
}

// rememberedItem packs key (a one-letter prefix and 22 characters of
// base64) into a memoItem; ok is false for a key not of that shape.
func rememberedItem(hash uint64, guidTitle uint32, key string) (memoItem, bool) {
	m := memoItem{hash: hash, guidTitle: guidTitle}
	if len(key) != 1+22 {
		return m, false
	}
	n, err := base64.RawURLEncoding.Decode(m.key[:], []byte(key[1:]))
	if err != nil || n != len(m.key) {
		return m, false
	}
	m.prefix = key[0]
	return m, true
}

// itemKey is the key m was made from.
func (m memoItem) itemKey() string {
	var key [1 + 22]byte
	key[0] = m.prefix
	base64.RawURLEncoding.Encode(key[1:], m.key[:])
	return string(key[:])
}

// Len is how many items the memo remembers.
func (m *ItemMemo) Len() int {
	if m == nil {
		return 0
	}
	return len(m.items)
}

func (m *ItemMemo) lookup(hash uint64) (memoItem, bool) {
	if m == nil {
		return memoItem{}, false
	}
	i, ok := slices.BinarySearchFunc(m.items, hash, func(it memoItem, h uint64) int { return cmp.Compare(it.hash, h) })
	if !ok {
		return memoItem{}, false
	}
	return m.items[i], true
}

// itemScan is what lighten does with whole items for a parse with a memo:
// it hashes each <item> directly inside <channel>, leaves out those the
// memo knows, and lists every one in document order.
type itemScan struct {
	seed       maphash.Seed
	memo       *ItemMemo
	context    maphash.Hash // the start tags above the items, then the feed URL
	contextSum uint64       // context's sum, once the first item was met
	channel    bool         // the <channel> start tag was met
	started    bool         // the first item was met
	usable     bool         // the memo's context is this document's
	spans      []itemSpan
	skipped    int
}

// itemSpan is one item of the document: known (left out, its key from
// the memo) or to be parsed.
type itemSpan struct {
	hash  uint64
	known bool
	memo  memoItem // when known
	// balanced: every end tag in the item closes the element opened last.
	// Only such an item ends where encoding/xml (not strict, as gofeed
	// runs it) ends it whatever surrounds it, so only such an item may be
	// left out of a later document.
	balanced bool
}

func newItemScan(seed maphash.Seed, memo *ItemMemo, feedURL string) *itemScan {
	sc := &itemScan{seed: seed, memo: memo}
	sc.context.SetSeed(seed)
	sc.context.WriteString(feedURL)
	sc.context.WriteByte(0)
	return sc
}

// element looks at the start tag of name, from start to end (stack: the
// open elements around it). It reports whether the element is an item to
// leave out, and where it ends then; ok false means the document is not
// one this scan reads with certainty.
func (sc *itemScan) element(body []byte, start, end int, name string, stack []string, selfClosing bool) (skip bool, after int, ok bool) {
	switch {
	case len(stack) == 0: // <rss>
		sc.context.Write(body[start:end])
		return false, 0, true
	case len(stack) == 1:
		if name != "channel" || sc.channel {
			return false, 0, false // a second channel, or items beside it: gofeed reads those its own way
		}
		sc.channel = true
		sc.context.Write(body[start:end])
		return false, 0, true
	case len(stack) != 2 || stack[1] != "channel" || name != "item":
		return false, 0, true
	}
	if !sc.started {
		sc.started = true
		sc.contextSum = sc.context.Sum64()
		sc.usable = sc.memo != nil && sc.memo.seed == sc.seed && sc.memo.context == sc.contextSum && len(sc.memo.items) > 0
	}
	after = end
	if !selfClosing {
		_, a, ok := elementEnd(body, end, "item")
		if !ok {
			return false, 0, false
		}
		after = a
	}
	h := maphash.Bytes(sc.seed, body[start:after])
	if sc.usable {
		if m, ok := sc.memo.lookup(h); ok {
			sc.spans = append(sc.spans, itemSpan{hash: h, known: true, memo: m})
			sc.skipped++
			return true, after, true
		}
	}
	sc.spans = append(sc.spans, itemSpan{hash: h, balanced: balanced(body[start:after])})
	return false, 0, true
}

// itemsRemembered normalizes the items gofeed parsed from a document
// lightened by sc, with the known ones in between: the parsed items, the
// keys of the known ones, the memo of this document and the keys the
// parsed ones had in versions before (previousKeys). ok is false when
// the document is to be parsed in full instead.
func (n *normalizer) itemsRemembered(in []*gofeed.Item, sc *itemScan) (items []Item, known []string, memo *ItemMemo, oldKeys map[string]string, ok bool) {
	if len(in) != len(sc.spans)-sc.skipped || slices.Contains(in, nil) {
		return nil, nil, nil, nil, false
	}
	var base uint64
	if n.base != nil {
		base = maphash.String(sc.seed, n.base.String())
	}
	if sc.skipped > 0 && sc.memo.base != base {
		return nil, nil, nil, nil, false
	}
	parsed := make([]Item, len(in))
	fingerprints := make([]string, len(in))
	guidTitles := make([]uint32, len(sc.spans))
	next := 0
	for i, sp := range sc.spans {
		if sp.known {
			guidTitles[i] = sp.memo.guidTitle
			continue
		}
		parsed[next] = n.item(in[next])
		fingerprints[next] = TitleFingerprint(parsed[next].Title)
		guidTitles[i] = sc.guidTitle(parsed[next].GUID, fingerprints[next])
		next++
	}
	if repeats(guidTitles) {
		if sc.skipped > 0 {
			return nil, nil, nil, nil, false
		}
		items, oldKeys := n.items(in)
		return items, nil, nil, oldKeys, true // keys as ever; no memo of such a document
	}
	// No GUID and headline repeat: no GUID is ambiguous.
	memo = &ItemMemo{seed: sc.seed, context: sc.contextSum, base: base, items: make([]memoItem, 0, len(sc.spans))}
	seen := make(map[string]bool, len(sc.spans))
	keys := make([]string, len(parsed))
	next = 0
	for i, sp := range sc.spans {
		var key string
		if sp.known {
			key = sp.memo.itemKey()
		} else {
			it := parsed[next]
			it.setKey(itemKeyWith(it, fingerprints[next], false))
			key, keys[next] = it.Key, it.Key
			if !seen[key] {
				it.stripBidi()
				items = append(items, it)
			}
			if key[0] != keyFromTitle[0] && sp.balanced {
				if m, ok := rememberedItem(sp.hash, guidTitles[i], key); ok {
					memo.items = append(memo.items, m)
				}
			}
			next++
		}
		if sp.known {
			if !seen[key] {
				known = append(known, key)
			}
			memo.items = append(memo.items, sp.memo)
		}
		seen[key] = true
	}
	slices.SortFunc(memo.items, func(a, b memoItem) int { return cmp.Compare(a.hash, b.hash) })
	memo.items = slices.Clip(slices.CompactFunc(memo.items, func(a, b memoItem) bool { return a.hash == b.hash }))
	return items, known, memo, n.previousKeys(in, parsed, keys), true
}

// guidTitle hashes an item's GUID and headline fingerprint: 0 without a
// GUID (such an item cannot make another one's GUID ambiguous).
func (sc *itemScan) guidTitle(guid, fingerprint string) uint32 {
	if guid == "" {
		return 0
	}
	var h maphash.Hash
	h.SetSeed(sc.seed)
	h.WriteString(guid)
	h.WriteByte(0)
	h.WriteString(fingerprint)
	return uint32(h.Sum64()) | 1 // never 0
}

// repeats reports whether a non-zero value occurs twice.
func repeats(vs []uint32) bool {
	s := slices.Clone(vs)
	slices.Sort(s)
	for i := 1; i < len(s); i++ {
		if s[i] != 0 && s[i] == s[i-1] {
			return true
		}
	}
	return false
}

// balanced reports whether every start tag in an element's bytes is
// closed by the next end tag at its level, under the same name (see
// itemSpan).
func balanced(b []byte) bool {
	var stack []string
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			break
		}
		i += j
		switch {
		case bytes.HasPrefix(b[i:], []byte("<!--")):
			end := bytes.Index(b[i+4:], []byte("-->"))
			if end < 0 {
				return false
			}
			i += 4 + end + 3
		case bytes.HasPrefix(b[i:], []byte("<![CDATA[")):
			end := bytes.Index(b[i+9:], []byte("]]>"))
			if end < 0 {
				return false
			}
			i += 9 + end + 3
		case bytes.HasPrefix(b[i:], []byte("<?")), bytes.HasPrefix(b[i:], []byte("<!")):
			return false // not expected inside an item: no promises
		case bytes.HasPrefix(b[i:], []byte("</")):
			name, next, ok := tagName(b, i+2)
			if !ok || len(stack) == 0 || stack[len(stack)-1] != name {
				return false
			}
			end := bytes.IndexByte(b[next:], '>')
			if end < 0 || len(bytes.TrimSpace(b[next:next+end])) > 0 {
				return false
			}
			stack = stack[:len(stack)-1]
			i = next + end + 1
		default:
			name, next, ok := tagName(b, i+1)
			if !ok {
				return false
			}
			end, selfClosing, ok := tagEnd(b, next)
			if !ok {
				return false
			}
			if !selfClosing {
				stack = append(stack, name)
			}
			i = end
		}
	}
	return len(stack) == 0
}
