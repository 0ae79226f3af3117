package feeds

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"mime"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// toUTF8 returns body as UTF-8 with any XML declaration that names another
// encoding removed, so that gofeed (which trusts only the prolog) neither
// mangles valid UTF-8 nor re-decodes what we decoded.
//
// The order of trust: a UTF-16 byte-order mark; then bytes that are valid
// UTF-8 (a legacy encoding almost never produces valid UTF-8 by accident,
// while a wrong declaration is common: the corpus Spiegel feed declares
// ISO-8859-1 and is UTF-8) unless the label is a 7-bit encoding such as
// ISO-2022-JP; then the HTTP Content-Type charset, unless it says UTF-8
// of bytes that are not (many servers label everything so): then the
// XML declaration's encoding wins; then the XML declaration; then
// windows-1252, what browsers assume.
func toUTF8(body []byte, contentType string) ([]byte, error) {
	out, _, err := decodeBody(body, contentType, false)
	return out, err
}

// decodeBody is toUTF8, also reporting whether the header's UTF-8 was
// overruled by the XML declaration. trustUTF8Header decodes as newshound
// did before it overruled the header: invalid bytes become U+FFFD.
func decodeBody(body []byte, contentType string, trustUTF8Header bool) (out []byte, overruled bool, err error) {
	if bytes.HasPrefix(body, []byte{0xFE, 0xFF}) || bytes.HasPrefix(body, []byte{0xFF, 0xFE}) {
		dec := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder()
		out, err := dec.Bytes(body)
		if err != nil {
			return nil, false, fmt.Errorf("decoding UTF-16: %w", err)
		}
		return dropXMLDecl(out), false, nil
	}
	if enc := utf16WithoutBOM(body); enc != nil {
		out, err := enc.NewDecoder().Bytes(body)
		if err != nil {
			return nil, false, fmt.Errorf("decoding UTF-16: %w", err)
		}
		return dropXMLDecl(out), false, nil
	}
	body = bytes.TrimPrefix(body, utf8BOM)
	label := headerCharset(contentType)
	if label == "" {
		label = xmlDeclEncoding(body)
	}
	if utf8.Valid(body) && !sevenBitStateful(label) {
		return dropXMLDecl(body), false, nil
	}
	if !trustUTF8Header && isUTF8Label(label) {
		// The header says UTF-8 and the bytes say otherwise: the
		// document's own declaration is the better witness.
		if decl := xmlDeclEncoding(body); decl != "" && !isUTF8Label(decl) {
			label, overruled = decl, true
		}
	}
	if label == "" {
		label = "windows-1252"
	}
	enc, name := charset.Lookup(label)
	if enc == nil {
		return nil, false, fmt.Errorf("unknown charset %q", label)
	}
	out, err = enc.NewDecoder().Bytes(body)
	if err != nil {
		return nil, false, fmt.Errorf("decoding %s: %w", name, err)
	}
	return dropXMLDecl(out), overruled, nil
}

// oldCharset is Feed.OldCharset of a document as fetched (raw), whose
// header's UTF-8 was overruled or not (decodeBody).
func oldCharset(overruled bool, raw []byte) string {
	if !overruled {
		return ""
	}
	return xmlDeclEncoding(raw)
}

// AsReadBefore is text of the feed's document as versions before read it
// (see OldCharset), text itself when they read it right: a change of an
// item's text that the reading alone makes is no news. A letter the
// document writes as a character reference ("&#252;"), which they read
// right, it garbles as it does the raw ones: ReadBefore tells them apart
// for an item's own text.
func (f *Feed) AsReadBefore(text string) string {
	enc, _ := charset.Lookup(f.OldCharset)
	if enc == nil {
		return text
	}
	b, err := encoding.ReplaceUnsupported(enc.NewEncoder()).Bytes([]byte(text))
	if err != nil {
		return text
	}
	if b, err = unicode.UTF8.NewDecoder().Bytes(b); err != nil {
		return text
	}
	return string(b)
}

// ReadBefore gives a sentence of the item's title or text as versions
// before read it (see OldCharset): where the document wrote its letters
// raw, as AsReadBefore does, and where it wrote them as character
// references ("&#252;"), right, as they did, so that a sentence with
// both is read as they read it too. It is AsReadBefore for a sentence
// the item's text as read then does not give (see aligned.read). The
// function is for one goroutine, asked of the sentences in their order
// (each is then found in one pass over the text).
func (f *Feed) ReadBefore(it *Item) func(sentence string) string {
	old, ok := f.readBefore[it.Key]
	if !ok {
		return f.AsReadBefore
	}
	old.FillText()
	fields := []*aligned{align(it.Title, old.Title), align(it.Summary, old.Summary), align(it.Content, old.Content)}
	return func(sentence string) string {
		for _, a := range fields {
			if s, ok := a.read(sentence); ok {
				return s
			}
		}
		return f.AsReadBefore(sentence)
	}
}

// aligned is a text read now and as versions before read it. A reading
// of a legacy charset changes no ASCII, so the runs of other bytes
// between the same ASCII text are one text read two ways (runs); ok is
// false when the two differ in their ASCII. A raw no-break space (0xA0 in
// Latin-1 and windows-125x) is read now as a space, and the whitespace
// around it collapsed, where they read U+FFFD: a run holds the spaces
// that stand for one in the other reading, and in now may be empty.
type aligned struct {
	now, before string
	runs        []pairedRun
	ok          bool
	next        int // where the sentence read last ended
}

// pairedRun is a run of bytes past ASCII in now, [from, to), and in
// before, [beforeFrom, beforeTo).
type pairedRun struct{ from, to, beforeFrom, beforeTo int }

func align(now, before string) *aligned {
	a := &aligned{now: now, before: before}
	i, j := 0, 0
	for i < len(now) || j < len(before) {
		if i < len(now) && j < len(before) && now[i] < utf8.RuneSelf && now[i] == before[j] {
			i, j = i+1, j+1
			continue
		}
		end, endBefore, ok := stretch(now, before, i, j)
		if !ok {
			return a
		}
		a.runs = appendRuns(a.runs, pairedRun{i, end, j, endBefore}, now, before)
		i, j = end, endBefore
	}
	a.ok = true
	return a
}

// stretch is where now from i and before from j, which differ there, go
// on alike again: past their bytes past ASCII and spaces, up to the next
// other byte, which they share, and short of the spaces both end with.
// ok is false when the two go on with different bytes, or neither has a
// byte past ASCII there: they differ in their ASCII.
func stretch(now, before string, i, j int) (end, endBefore int, ok bool) {
	end, endBefore = stretchEnd(now, i), stretchEnd(before, j)
	if end < len(now) != (endBefore < len(before)) || end < len(now) && now[end] != before[endBefore] {
		return 0, 0, false
	}
	for end > i && endBefore > j && now[end-1] == before[endBefore-1] && isSpaceByte(now[end-1]) {
		end, endBefore = end-1, endBefore-1
	}
	return end, endBefore, pastASCII(now[i:end]) || pastASCII(before[j:endBefore])
}

// appendRuns appends to runs the stretch s, word by word where its words
// in now and before pair up: as many of them, each pair of as many
// characters (as a sentence that begins or ends between two wants). Else
// a no-break space made a word two now, or a space beside it one word
// less, and which word is which is not known: s is one run.
func appendRuns(runs []pairedRun, s pairedRun, now, before string) []pairedRun {
	n := len(runs)
	w, wb := now[s.from:s.to], before[s.beforeFrom:s.beforeTo]
	at, atBefore := s.from, s.beforeFrom
	for {
		k, kb := strings.IndexAny(w, " \n"), strings.IndexAny(wb, " \n")
		word, wordBefore := w, wb
		if k >= 0 && kb >= 0 {
			word, wordBefore = w[:k], wb[:kb]
		}
		if (k < 0) != (kb < 0) || k >= 0 && w[k] != wb[kb] ||
			utf8.RuneCountInString(word) != utf8.RuneCountInString(wordBefore) {
			return append(runs[:n], s)
		}
		if word != "" || wordBefore != "" {
			runs = append(runs, pairedRun{at, at + len(word), atBefore, atBefore + len(wordBefore)})
		}
		if k < 0 {
			return runs
		}
		at, atBefore = at+k+1, atBefore+kb+1
		w, wb = w[k+1:], wb[kb+1:]
	}
}

// read gives s, found in now (from where the last sentence read ended,
// else from its start), as before reads it; ok is false when s is not
// found, or begins or ends inside a run.
func (a *aligned) read(s string) (_ string, ok bool) {
	if !a.ok || s == "" {
		return "", false
	}
	from := strings.Index(a.now[a.next:], s)
	switch {
	case from >= 0:
		from += a.next
	case a.next > 0:
		if from = strings.Index(a.now, s); from < 0 {
			return "", false
		}
	default:
		return "", false
	}
	to := from + len(s)
	k, _ := slices.BinarySearchFunc(a.runs, from, func(r pairedRun, at int) int { return cmp.Compare(r.to, at+1) })
	var b strings.Builder
	at := from
	for ; k < len(a.runs) && a.runs[k].from < to; k++ {
		r := a.runs[k]
		if r.from < from || r.to > to {
			return "", false
		}
		b.WriteString(a.now[at:r.from])
		b.WriteString(a.before[r.beforeFrom:r.beforeTo])
		at = r.to
	}
	b.WriteString(a.now[at:to])
	a.next = to
	return b.String(), true
}

// stretchEnd is where the bytes past ASCII and spaces that s has at i end.
func stretchEnd(s string, i int) int {
	for i < len(s) && (s[i] >= utf8.RuneSelf || isSpaceByte(s[i])) {
		i++
	}
	return i
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\n' }

func pastASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// isUTF8Label reports a charset label that names UTF-8.
func isUTF8Label(label string) bool {
	_, name := charset.Lookup(label)
	return name == "utf-8"
}

// isUTF16 reports a UTF-16 document: with a byte-order mark or starting
// with "<" in UTF-16.
func isUTF16(body []byte) bool {
	return bytes.HasPrefix(body, []byte{0xFE, 0xFF}) || bytes.HasPrefix(body, []byte{0xFF, 0xFE}) || utf16WithoutBOM(body) != nil
}

// sevenBitStateful encodings (ISO-2022-JP, HZ) are always valid UTF-8 as
// bytes, so validity proves nothing for them: trust the label.
func sevenBitStateful(label string) bool {
	label = strings.ToLower(strings.TrimSpace(label))
	return strings.HasPrefix(label, "iso-2022") || strings.HasPrefix(label, "csiso2022") || label == "hz-gb-2312"
}

// utf16WithoutBOM recognizes "<" encoded as UTF-16 at the start, which
// would otherwise pass as valid (NUL-riddled) UTF-8.
func utf16WithoutBOM(body []byte) encoding.Encoding {
	switch {
	case len(body) < 4:
		return nil
	case body[0] == '<' && body[1] == 0 && body[2] != 0 && body[3] == 0:
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	case body[0] == 0 && body[1] == '<' && body[2] == 0 && body[3] != 0:
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	}
	return nil
}

func headerCharset(contentType string) string {
	if contentType == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(params["charset"])
}

// xmlDecl returns the XML declaration at the start of body (after
// whitespace) and the offset just past it; ok is false when there is none.
func xmlDecl(body []byte) (decl []byte, end int, ok bool) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if !bytes.HasPrefix(trimmed, []byte("<?xml")) {
		return nil, 0, false
	}
	i := bytes.Index(trimmed, []byte("?>"))
	if i < 0 || i > 512 {
		return nil, 0, false
	}
	start := len(body) - len(trimmed)
	return trimmed[:i+2], start + i + 2, true
}

func xmlDeclEncoding(body []byte) string {
	decl, _, ok := xmlDecl(body)
	if !ok {
		return ""
	}
	i := bytes.Index(decl, []byte("encoding"))
	if i < 0 {
		return ""
	}
	rest := bytes.TrimLeft(decl[i+len("encoding"):], " \t\r\n")
	if len(rest) == 0 || rest[0] != '=' {
		return ""
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
		return ""
	}
	q := rest[0]
	j := bytes.IndexByte(rest[1:], q)
	if j < 0 {
		return ""
	}
	return string(rest[1 : 1+j])
}

// dropXMLDecl removes the declaration when it names a non-UTF-8 encoding. It
// slices rather than copies: the declaration is always at the start.
func dropXMLDecl(body []byte) []byte {
	enc := strings.ToLower(xmlDeclEncoding(body))
	if enc == "" || enc == "utf-8" || enc == "utf8" {
		return body
	}
	_, end, _ := xmlDecl(body)
	return body[end:]
}

// charsetReader lets encoding/xml read documents in legacy encodings.
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	return charset.NewReaderLabel(label, input)
}
