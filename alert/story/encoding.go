package story

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
)

// encodingVersion is the first byte of an encoded Fingerprint. Change it
// when the words or hashes change, so that rows stored by an older release
// are recognized (and re-fingerprinted or left to age out of the window).
const encodingVersion = 1

// ErrEncoding is returned (wrapped) for an encoded fingerprint that cannot
// be decoded: corrupt, truncated, or of another version.
var ErrEncoding = errors.New("story: bad fingerprint encoding")

// MarshalBinary encodes the fingerprint compactly: a version byte, the
// title and lead hashes as sorted deltas in varints, and the MinHash
// signature: about 5 bytes a word, 130 more for a signature (a headline
// alone takes about 50 bytes, a headline with a lead about 300).
func (fp Fingerprint) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 1+5*(len(fp.title)+len(fp.lead))+4*len(fp.sig)+4)
	b = append(b, encodingVersion)
	b = appendHashes(b, fp.title)
	b = appendHashes(b, fp.lead)
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

// UnmarshalBinary decodes what MarshalBinary encoded.
func (fp *Fingerprint) UnmarshalBinary(b []byte) error {
	if len(b) == 0 || b[0] != encodingVersion {
		return fmt.Errorf("%w: version %v, want %d", ErrEncoding, b[:min(1, len(b))], encodingVersion)
	}
	d := decoder{b: b[1:]}
	title := d.hashes()
	lead := d.hashes()
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
	*fp = Fingerprint{title: title, lead: lead, sig: sig}
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
