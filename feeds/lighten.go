package feeds

import (
	"bytes"
	"strconv"
	"strings"
)

// A changed feed usually has one new item among twenty, and decoding every
// item's description (100–300 words each) was most of what gofeed spent on
// it. With ParserOptions.LazyText, the description of each item of an RSS
// document is set aside before gofeed runs: gofeed sees a short marker
// instead, and Item.FillText decodes the real description (through gofeed,
// so it reads exactly as before) only for the items a caller asks for.
// Keys never depend on descriptions (an item known only by its text has its
// text filled at once), so they stay what they were.

// textMarker opens a set-aside description: a private-use character no
// feed writes, then the index of the raw text.
const textMarker = "\ue000nh:"

// lightenRSS returns body with the content of each non-empty
// <description> directly inside an RSS <item> replaced by a marker, and
// the raw contents by index. ok is false when body is not an RSS 2.0
// document this scanner reads with certainty; body is then to be parsed
// as it is.
func lightenRSS(body []byte) (light []byte, raws [][]byte, ok bool) {
	return lighten(body, nil)
}

// lighten is lightenRSS that, given sc, also lists the channel's items in
// sc and leaves out of light those the memo in sc knows (see ItemMemo).
func lighten(body []byte, sc *itemScan) (light []byte, raws [][]byte, ok bool) {
	root, i := rootElement(body)
	if root != "rss" {
		return nil, nil, false
	}
	var stack []string
	out := make([]byte, 0, len(body)/2)
	copied := 0
	for i < len(body) {
		j := bytes.IndexByte(body[i:], '<')
		if j < 0 {
			break
		}
		i += j
		switch {
		case bytes.HasPrefix(body[i:], []byte("<!--")):
			end := bytes.Index(body[i+4:], []byte("-->"))
			if end < 0 {
				return nil, nil, false
			}
			i += 4 + end + 3
		case bytes.HasPrefix(body[i:], []byte("<![CDATA[")):
			end := bytes.Index(body[i+9:], []byte("]]>"))
			if end < 0 {
				return nil, nil, false
			}
			i += 9 + end + 3
		case bytes.HasPrefix(body[i:], []byte("<?")), bytes.HasPrefix(body[i:], []byte("<!")):
			end := bytes.IndexByte(body[i:], '>')
			if end < 0 {
				return nil, nil, false
			}
			i += end + 1
		case bytes.HasPrefix(body[i:], []byte("</")):
			name, next, ok := tagName(body, i+2)
			if !ok {
				return nil, nil, false
			}
			for k := len(stack) - 1; k >= 0; k-- { // as encoding/xml: pop to the element it closes
				if stack[k] == name {
					stack = stack[:k]
					break
				}
			}
			i = next
		default:
			name, next, ok := tagName(body, i+1)
			if !ok {
				return nil, nil, false
			}
			end, selfClosing, ok := tagEnd(body, next)
			if !ok {
				return nil, nil, false
			}
			if sc != nil {
				skip, after, ok := sc.element(body, i, end, name, stack, selfClosing)
				if !ok {
					return nil, nil, false
				}
				if skip {
					out = append(out, body[copied:i]...)
					copied, i = after, after
					continue
				}
			}
			inItem := len(stack) >= 2 && stack[len(stack)-1] == "item" && stack[len(stack)-2] == "channel"
			if name == "description" && inItem && !selfClosing {
				closeAt, after, ok := elementEnd(body, end, "description")
				if !ok {
					return nil, nil, false
				}
				raw := body[end:closeAt]
				if !blankText(raw) {
					out = append(out, body[copied:end]...)
					out = append(out, textMarker...)
					out = strconv.AppendInt(out, int64(len(raws)), 10)
					raws = append(raws, raw)
					copied = closeAt
				}
				i = after
				continue
			}
			if !selfClosing {
				stack = append(stack, name)
			}
			i = end
		}
	}
	if len(raws) == 0 && sc == nil {
		return nil, nil, false
	}
	return append(out, body[copied:]...), raws, true
}

// rootElement is the name of the document's first element and where its
// start tag begins, past the prolog, comments and a doctype.
func rootElement(b []byte) (string, int) {
	i := 0
	for i < len(b) {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			return "", len(b)
		}
		i += j
		switch {
		case bytes.HasPrefix(b[i:], []byte("<!--")):
			end := bytes.Index(b[i+4:], []byte("-->"))
			if end < 0 {
				return "", len(b)
			}
			i += 4 + end + 3
		case bytes.HasPrefix(b[i:], []byte("<?")), bytes.HasPrefix(b[i:], []byte("<!")):
			end := bytes.IndexByte(b[i:], '>')
			if end < 0 || bytes.Contains(b[i:i+end], []byte("[")) { // an internal DTD subset: not ours to read
				return "", len(b)
			}
			i += end + 1
		default:
			name, _, ok := tagName(b, i+1)
			if !ok {
				return "", len(b)
			}
			return name, i
		}
	}
	return "", len(b)
}

// tagName reads an element name starting at i: the name (with any prefix)
// and where it ends.
func tagName(b []byte, i int) (string, int, bool) {
	start := i
	for i < len(b) && !isTagSpace(b[i]) && b[i] != '>' && b[i] != '/' {
		i++
	}
	if i == start || i >= len(b) {
		return "", i, false
	}
	return string(b[start:i]), i, true
}

// tagEnd finds the end of a start tag whose attributes begin at i,
// skipping quoted values, and reports whether it closes itself.
func tagEnd(b []byte, i int) (end int, selfClosing, ok bool) {
	for i < len(b) {
		switch c := b[i]; c {
		case '"', '\'':
			q := bytes.IndexByte(b[i+1:], c)
			if q < 0 {
				return 0, false, false
			}
			i += q + 2
		case '>':
			return i + 1, i > 0 && b[i-1] == '/', true
		default:
			i++
		}
	}
	return 0, false, false
}

// elementEnd finds the end tag of the element named name whose content
// starts at i, past nested elements of the same name, CDATA and comments:
// where the end tag starts and where it ends.
func elementEnd(b []byte, i int, name string) (closeAt, after int, ok bool) {
	depth := 0
	for i < len(b) {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			return 0, 0, false
		}
		i += j
		switch {
		case bytes.HasPrefix(b[i:], []byte("<![CDATA[")):
			end := bytes.Index(b[i+9:], []byte("]]>"))
			if end < 0 {
				return 0, 0, false
			}
			i += 9 + end + 3
		case bytes.HasPrefix(b[i:], []byte("<!--")):
			end := bytes.Index(b[i+4:], []byte("-->"))
			if end < 0 {
				return 0, 0, false
			}
			i += 4 + end + 3
		case bytes.HasPrefix(b[i:], []byte("</")):
			n, next, ok := tagName(b, i+2)
			if !ok {
				return 0, 0, false
			}
			end := bytes.IndexByte(b[next:], '>')
			if end < 0 {
				return 0, 0, false
			}
			if n == name {
				if depth == 0 {
					return i, next + end + 1, true
				}
				depth--
			}
			i = next + end + 1
		default:
			n, next, ok := tagName(b, i+1)
			if !ok {
				i++ // a stray '<' in text: encoding/xml would refuse it; gofeed's error stands
				return 0, 0, false
			}
			end, selfClosing, ok := tagEnd(b, next)
			if !ok {
				return 0, 0, false
			}
			if n == name && !selfClosing {
				depth++
			}
			i = end
		}
	}
	return 0, 0, false
}

// blankText reports whether an element's raw content reads as empty to
// gofeed (then it falls back to dc:description, which it must still see).
func blankText(raw []byte) bool {
	t := bytes.TrimSpace(raw)
	if s, ok := bytes.CutPrefix(t, []byte("<![CDATA[")); ok {
		if inner, ok := bytes.CutSuffix(s, []byte("]]>")); ok && len(bytes.TrimSpace(inner)) == 0 {
			return true
		}
	}
	return len(t) == 0
}

// setAside is the raw description a marker names, or ok false when s is
// not a marker.
func setAside(s string, raws [][]byte) ([]byte, bool) {
	rest, ok := strings.CutPrefix(s, textMarker)
	if !ok || raws == nil {
		return nil, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 || n >= len(raws) {
		return nil, false
	}
	return raws[n], true
}
