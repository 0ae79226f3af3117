package story

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// encodingVersion is the first byte of an encoded Fingerprint. Change it
// when the words or hashes change, so that rows stored by an older release
// are recognized (and re-fingerprinted or left to age out of the window).
// Version 2 added how each title word is written; a version 1 row still
// decodes, without it (its words are never taken for names). Version 3
// added a byte of flags after the version: flagList, the title is a list
// of names (a version 1 or 2 row is taken for no list). Version 4 added,
// after the flags, when the item was published (Unix seconds, 0 when
// unknown; a row of an earlier version is of unknown time). Version 5
// added, after the publication time, the days the title dates itself to
// (dateSpan, 0 when none; a row of an earlier version is undated).
// Version 6 added, after the lead, the link's slug words (see WithLink; a
// row of an earlier version has none, and groups by its title and lead);
// a fingerprint without them is still written as version 5, so that only
// a headline alone under a slug (no lead, or one of its words alone) is a
// row an older release cannot read.
const (
	encodingVersion = 6
	encodingNoSlug  = 5
	encodingNoDates = 4
	encodingNoTime  = 3
	encodingNoFlags = 2
	encodingNoCases = 1
)

// flagList marks a fingerprint whose title is a list of names.
const flagList = 1

// ErrEncoding is returned (wrapped) for an encoded fingerprint that cannot
// be decoded: corrupt, truncated, or of another version.
var ErrEncoding = errors.New("story: bad fingerprint encoding")

// MarshalBinary encodes the fingerprint compactly: a version byte, a byte
// of flags, the publication time and the title's dates in varints, the
// title hashes as sorted deltas in varints, how each title word is written
// (four bits a word), the lead and slug hashes likewise, and the MinHash
// signature: about 5 bytes a word, 130 more for a signature (a headline
// alone takes about 45 bytes, a headline with a lead about 300).
func (fp Fingerprint) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 2+binary.MaxVarintLen64+5*(len(fp.title)+len(fp.lead)+len(fp.slug))+(len(fp.title)+1)/2+4*len(fp.sig)+4)
	var flags byte
	if fp.list {
		flags |= flagList
	}
	// Without slug words, version 5, which a release before them reads:
	// it skips a row it cannot read, leaving the row's story unopened.
	version := byte(encodingNoSlug)
	if len(fp.slug) > 0 {
		version = encodingVersion
	}
	b = append(b, version, flags)
	b = binary.AppendUvarint(b, uint64(fp.published))
	b = binary.AppendUvarint(b, uint64(fp.dates))
	b = appendHashes(b, fp.title)
	b = appendCases(b, fp)
	b = appendHashes(b, fp.lead)
	if version == encodingVersion {
		b = appendHashes(b, fp.slug)
	}
	b = binary.AppendUvarint(b, uint64(len(fp.sig)))
	for _, v := range fp.sig {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return b, nil
}

func appendHashes(b []byte, hs []uint32) []byte {
	b = binary.AppendUvarint(b, uint64(len(hs)))
	prev := uint32(0)
	for _, h := range hs {
		b = binary.AppendUvarint(b, uint64(h-prev))
		prev = h
	}
	return b
}

// appendCases packs how each title word is written, four bits a word.
func appendCases(b []byte, fp Fingerprint) []byte {
	for i := 0; i < len(fp.title); i += 2 {
		packed := fp.caseOf(i)
		if i+1 < len(fp.title) {
			packed |= fp.caseOf(i+1) << 4
		}
		b = append(b, packed)
	}
	return b
}

// UnmarshalBinary decodes what MarshalBinary encoded.
func (fp *Fingerprint) UnmarshalBinary(b []byte) error {
	if len(b) == 0 || b[0] < encodingNoCases || b[0] > encodingVersion {
		return fmt.Errorf("%w: version %v, want %d", ErrEncoding, b[:min(1, len(b))], encodingVersion)
	}
	d := decoder{b: b[1:]}
	var flags byte
	if b[0] >= encodingNoTime {
		flags = d.byte()
		if d.err == nil && flags&^flagList != 0 {
			d.err = fmt.Errorf("flags %#x", flags)
		}
	}
	var published uint64
	if b[0] >= encodingNoDates {
		published = d.uvarint()
		if d.err == nil && published > math.MaxInt64 {
			d.err = fmt.Errorf("publication time %d", published)
		}
	}
	var dates uint64
	if b[0] >= encodingNoSlug {
		dates = d.uvarint()
		if d.err == nil && dates > math.MaxUint32 {
			d.err = fmt.Errorf("dates %#x", dates)
		}
	}
	title := d.hashes()
	var cases []uint8
	if b[0] != encodingNoCases {
		cases = d.cases(len(title))
	}
	lead := d.hashes()
	var slug []uint32
	if b[0] >= encodingVersion {
		slug = d.hashes()
	}
	n := d.uvarint()
	if d.err == nil && n != 0 && n != sigSize {
		d.err = fmt.Errorf("signature of %d values, want %d", n, sigSize)
	}
	var sig []uint32
	for range n {
		if d.err != nil {
			break
		}
		sig = append(sig, d.uint32())
	}
	if d.err == nil && len(d.b) > 0 {
		d.err = fmt.Errorf("%d bytes left over", len(d.b))
	}
	if d.err != nil {
		return fmt.Errorf("%w: %v", ErrEncoding, d.err)
	}
	*fp = Fingerprint{title: title, cases: cases, lead: lead, slug: slug, sig: sig, list: flags&flagList != 0, published: int64(published), dates: dateSpan(dates)}
	return nil
}

// MarshalText is MarshalBinary in unpadded base64, for a text column.
func (fp Fingerprint) MarshalText() ([]byte, error) {
	b, err := fp.MarshalBinary()
	if err != nil {
		return nil, err
	}
	out := make([]byte, base64.RawStdEncoding.EncodedLen(len(b)))
	base64.RawStdEncoding.Encode(out, b)
	return out, nil
}

// UnmarshalText decodes what MarshalText encoded.
func (fp *Fingerprint) UnmarshalText(text []byte) error {
	b := make([]byte, base64.RawStdEncoding.DecodedLen(len(text)))
	n, err := base64.RawStdEncoding.Decode(b, text)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrEncoding, err)
	}
	return fp.UnmarshalBinary(b[:n])
}

// decoder reads varints and keeps the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errors.New("truncated varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.err = errors.New("truncated flags")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uint32() uint32 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 4 {
		d.err = errors.New("truncated signature")
		return 0
	}
	v := binary.LittleEndian.Uint32(d.b)
	d.b = d.b[4:]
	return v
}

// hashes reads a sorted list of distinct hashes written by appendHashes.
func (d *decoder) hashes() []uint32 {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)) { // each takes a byte at least
		d.err = fmt.Errorf("%d hashes in %d bytes", n, len(d.b))
	}
	if d.err != nil || n == 0 {
		return nil
	}
	hs := make([]uint32, 0, n)
	prev := uint64(0)
	for i := range n {
		delta := d.uvarint()
		if d.err != nil {
			return nil
		}
		if (i > 0 && delta == 0) || prev+delta > 1<<32-1 {
			d.err = errors.New("hashes not sorted and distinct")
			return nil
		}
		prev += delta
		hs = append(hs, uint32(prev))
	}
	return hs
}

// cases reads how each of n title words is written (see appendCases).
func (d *decoder) cases(n int) []uint8 {
	if d.err != nil || n == 0 {
		return nil
	}
	size := (n + 1) / 2
	if len(d.b) < size {
		d.err = errors.New("truncated title cases")
		return nil
	}
	cs := make([]uint8, n)
	for i := range cs {
		cs[i] = d.b[i/2] >> (4 * (i % 2)) & 0xf
		if cs[i] > caseLower {
			d.err = fmt.Errorf("title case %d", cs[i])
			return nil
		}
	}
	d.b = d.b[size:]
	return cs
}
