package feeds

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/andybalholm/brotli"
)

// errTooLarge is wrapped in the *Error of kind TooLarge.
var errTooLarge = errors.New("response body too large")

var errUnsupportedEncoding = errors.New("unsupported Content-Encoding")

// gzipMagic starts every gzip stream; some servers send .xml.gz files
// without Content-Encoding, and the corpus has one saved as .xml.
var gzipMagic = []byte{0x1f, 0x8b}

// decodedReader wraps body in the decompressor named by Content-Encoding.
func decodedReader(body io.Reader, contentEncoding string) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(contentEncoding)) {
	case "", "identity":
		return body, nil
	case "gzip", "x-gzip":
		return gzip.NewReader(body)
	case "br":
		return brotli.NewReader(body), nil
	case "deflate":
		return zlib.NewReader(body)
	default:
		return nil, fmt.Errorf("%w %q", errUnsupportedEncoding, contentEncoding)
	}
}

// readLimited reads all of r but at most limit bytes. The limit applies to
// what r yields — the decompressed stream — so a gzip bomb costs at most
// about twice limit bytes of memory: the buffer doubles but never beyond
// limit+1. sizeHint pre-sizes the buffer when the length is known.
func readLimited(r io.Reader, limit, sizeHint int64) ([]byte, error) {
	size := int64(32 << 10)
	if sizeHint > 0 {
		size = sizeHint + 1 // +1 to see EOF without growing
	}
	buf := make([]byte, 0, min(size, limit+1))
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return nil, fmt.Errorf("%w: over the limit of %d bytes", errTooLarge, limit)
			}
			grown := make([]byte, len(buf), min(int64(2*cap(buf)), limit+1))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			if int64(len(buf)) > limit {
				return nil, fmt.Errorf("%w: over the limit of %d bytes", errTooLarge, limit)
			}
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// gunzipIfCompressed decompresses a body that is still gzip after transport
// decoding (a .gz file served as is), within the same limit.
func gunzipIfCompressed(body []byte, limit int64) ([]byte, error) {
	if !bytes.HasPrefix(body, gzipMagic) {
		return body, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	return readLimited(zr, limit, 0)
}
