package feeds

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"
	"unicode"

	"github.com/mmcdole/gofeed"
)

// Key prefixes say which identity a key was built from.
const (
	keyFromGUID  = "g"
	keyFromLink  = "l"
	keyFromTitle = "t"
)

// itemKey builds the stable key of it within its feed.
//
// The identity is the GUID, unless it is empty or ambiguous (within this
// document it also names another item with the same headline and another
// link: see ambiguousGUIDs); else the canonical link; else the title and
// date. The title's
// fingerprint (letters and digits, case-folded) is always part of the key:
// real feeds reuse one GUID and link for a different story (CNN's
// /collections/ pages, SMH's live pages, BBC explainers), and a key from the
// GUID alone would hide those stories forever. A reworded headline therefore
// counts as new; a change of case, punctuation, spacing or entity encoding
// does not. Keys are a one-letter source prefix and 22 characters of hash,
// compact enough to store by the thousand.
func itemKey(it Item, guidAmbiguous bool) string {
	return itemKeyWith(it, TitleFingerprint(it.Title), guidAmbiguous)
}

// itemKeyWith is itemKey given the title's fingerprint, computed once.
func itemKeyWith(it Item, fp string, guidAmbiguous bool) string {
	prefix, identity := keyFromTitle, ""
	switch {
	case it.GUID != "" && !guidAmbiguous:
		prefix, identity = keyFromGUID, it.GUID
	case it.Link != "":
		prefix, identity = keyFromLink, KeyLink(it.Link)
	case it.GUID != "":
		prefix, identity = keyFromGUID, it.GUID
	case !it.keyDate.IsZero():
		identity = it.keyDate.UTC().Format(time.RFC3339)
	}
	if fp == "" && prefix == keyFromTitle {
		// No GUID, link, title: the text is all there is.
		fp = TitleFingerprint(it.Summary + " " + it.Content)
	}
	// Hash identity, NUL, fingerprint; a stack buffer serves most items.
	var buf [512]byte
	sum := sha256.Sum256(append(append(append(buf[:0], identity...), 0), fp...))
	var key [1 + 22]byte
	key[0] = prefix[0]
	base64.RawURLEncoding.Encode(key[1:], sum[:16])
	return string(key[:])
}

// TitleFingerprint reduces a title to its case-folded letters and digits,
// one space between words, so that cosmetic edits keep the same key.
func TitleFingerprint(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		if r == '\'' || r == '\u2019' || r == '\u2018' {
			continue // "Germany's" and "Germany’s" and "Germanys" alike
		}
		space = true
	}
	return b.String()
}

// previousKeys is Feed.OldKeys for the items whose key versions before
// this one made otherwise: each one's key mapped to the key it had then.
// in are the items gofeed gave, all the Items normalized from them and
// keys their keys, in document order, as normalizer.keyed makes them.
// Versions before read an Atom title, summary or content of type text,
// and a JSON Feed's content_text, title and summary, as HTML (see
// textKinds; a summary and content make the key of an item with no GUID,
// link or headline), and left a date in the future out of the key of an
// item known by its headline and date, so that its key changed once the
// clock passed the date. nil when no item is keyed otherwise, as almost none
// is; else the keys are made again as then.
func (n *normalizer) previousKeys(in []*gofeed.Item, all []Item, keys []string) map[string]string {
	if !n.keyedOtherwiseBefore(all) {
		return nil
	}
	before := *n
	before.asBefore, before.lazy = true, true // keys do not depend on laziness
	_, old := before.keyed(in)
	m := make(map[string]string)
	for i, k := range keys {
		if _, ok := m[k]; !ok && old[i] != k {
			m[k] = old[i]
		}
	}
	return m
}

// keyedOtherwiseBefore reports whether an item of all may have had
// another key in versions before this one (see previousKeys).
func (n *normalizer) keyedOtherwiseBefore(all []Item) bool {
	for gi, kinds := range n.plain {
		if kinds&plainTitle != 0 && TitleFingerprint(PlainText(gi.Title)) != TitleFingerprint(titleText(gi.Title, true)) {
			return true
		}
	}
	for _, it := range all {
		if it.GUID == "" && it.Link == "" && (n.inTheFuture(it.keyDate) || it.keyedByPlainText) {
			return true
		}
	}
	return false
}
