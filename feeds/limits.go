package feeds

import (
	"bytes"
	"fmt"
)

// Default parse limits, for callers that have no configuration of their
// own (NewParser uses them). Real feeds stay far below them: the largest
// feed in the test corpus has 12,215 tags in 1 MB, nests 12 deep and has a
// few hundred items.
const (
	DefaultMaxItems    = 2000
	DefaultMaxDepth    = 64
	DefaultMaxElements = 100_000
)

// maxNamespacesInScope caps the namespace declarations in scope at any
// element. The XML reader under gofeed copies all of them at every element,
// so a few thousand declarations and many small elements would cost
// minutes of CPU. Real feeds declare a few dozen at most.
const maxNamespacesInScope = 64

// maxElementText caps the text of one element, in bytes (CDATA included,
// child elements not). gofeed and normalization copy a text several times
// over before it is done; the longest full-text item in the corpus is a
// few hundred kilobytes.
const maxElementText = 1 << 20

// LimitError is the cause (the Err of an *Error of kind TooLarge) when a
// document goes over one of the Parser's limits. The whole feed fails: a
// feed is never cut short or parsed as empty.
type LimitError struct {
	Limit  string // what was counted: "items", "nesting depth", …
	Max    int    // the limit
	Got    int    // the count found (for a depth, the depth reached)
	Offset int    // byte offset where it was crossed, in the body (or its UTF-8 decoding); -1 if unknown
}

func (e *LimitError) Error() string {
	s := fmt.Sprintf("%s: %d, over the limit of %d", e.Limit, e.Got, e.Max)
	if e.Offset >= 0 {
		s += fmt.Sprintf(" (at byte %d)", e.Offset)
	}
	return s
}

// Limit names, as in LimitError.Limit.
const (
	limitItems      = "items"
	limitDepth      = "nesting depth"
	limitElements   = "elements and attributes"
	limitJSONValues = "JSON strings, objects and arrays"
	limitNamespaces = "namespace declarations in scope"
	limitTextPieces = "text split by comments, CDATA or child elements (bytes re-copied)"
	limitText       = "bytes of text in one element"
)

// nativeNamespaces are those gofeed parses itself; elements in any other
// namespace are extensions, which gofeed reads into maps and whose text it
// concatenates piece by piece (quadratic in the number of pieces).
var (
	atomNamespaces = []string{"", "http://www.w3.org/2005/Atom", "http://purl.org/atom/ns#"}
	rssNamespaces  = []string{"", "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://purl.org/rss/1.0/",
		"http://channel.netscape.com/rdf/simple/0.9/", "http://my.netscape.com/rdf/simple/0.9/"}
)

// xmlFrame is one open element during the scan.
type xmlFrame struct {
	local     []byte    // local name, a slice of the body
	nsStart   int       // its namespace declarations start here in xmlScanner.ns
	extension bool      // inside an extension element: gofeed concatenates its text
	text      int       // bytes of its own text so far (gofeed's running Value)
	construct textKinds // the text construct atomTexts follows, if any
}

type nsDecl struct{ prefix, uri []byte }

// xmlScanner checks an XML document against the limits in one pass over
// its bytes, before gofeed builds anything: it allocates only its stack,
// which the depth limit bounds. It follows encoding/xml in non-strict mode
// where that matters for counting: an end tag closes every element opened
// after the one it names (so unclosed <br> tags do not count as nesting).
type xmlScanner struct {
	o        ParserOptions
	body     []byte
	stack    []xmlFrame
	ns       []nsDecl
	native   []string
	nodes    int
	items    int
	textCost int // bytes gofeed would copy concatenating extension text
	itemsAt  int // offset of the first item over the limit
	// texts, when set, is told of each element opened (see
	// atomTexts).
	texts *atomTexts
}

// checkXML returns a *LimitError when body goes over a limit in o.
func checkXML(body []byte, o ParserOptions) error {
	s := &xmlScanner{o: o, body: body, itemsAt: -1}
	err := s.scan()
	if o.MaxItems > 0 && s.items > o.MaxItems {
		// Named first even when another limit stopped the count: it is
		// the one an operator recognizes.
		return &LimitError{Limit: limitItems, Max: o.MaxItems, Got: s.items, Offset: s.itemsAt}
	}
	return err
}

// textBudget is how many bytes the extension parser may copy building
// element values: a few times the document, enough for any honest feed.
func (s *xmlScanner) textBudget() int { return 4*len(s.body) + 1<<20 }

func (s *xmlScanner) scan() error {
	b := s.body
	i := 0
	for i < len(b) {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			return s.text(b[i:], i)
		}
		if err := s.text(b[i:i+j], i); err != nil {
			return err
		}
		i += j
		rest := b[i+1:]
		var err error
		switch {
		case bytes.HasPrefix(rest, []byte("!--")):
			i = skipPast(b, i+4, "-->")
		case bytes.HasPrefix(rest, []byte("![CDATA[")):
			end := bytes.Index(b[i+9:], []byte("]]>"))
			if end < 0 {
				return nil // truncated: gofeed reports it
			}
			err = s.text(b[i+9:i+9+end], i)
			i += 9 + end + 3
		case bytes.HasPrefix(rest, []byte("!")):
			i = skipDirective(b, i+2)
		case bytes.HasPrefix(rest, []byte("?")):
			i = skipPast(b, i+2, "?>")
		case bytes.HasPrefix(rest, []byte("/")):
			i = s.endTag(i)
		case len(rest) > 0 && isNameStart(rest[0]):
			i, err = s.startTag(i)
		default:
			i++ // a stray '<': encoding/xml decides
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// text accounts for one piece of character data in the current element.
func (s *xmlScanner) text(t []byte, at int) error {
	if len(t) == 0 || len(s.stack) == 0 {
		return nil
	}
	top := &s.stack[len(s.stack)-1]
	top.text += len(t)
	if top.text > maxElementText {
		return &LimitError{Limit: limitText, Max: maxElementText, Got: top.text, Offset: at}
	}
	if !top.extension {
		return nil
	}
	s.textCost += top.text
	if s.textCost > s.textBudget() {
		return &LimitError{Limit: limitTextPieces, Max: s.textBudget(), Got: s.textCost, Offset: at}
	}
	return nil
}

// startTag reads the tag at b[at] ('<' then a name) and returns the offset
// after it.
func (s *xmlScanner) startTag(at int) (int, error) {
	b := s.body
	i := at + 1
	nameEnd := i
	for nameEnd < len(b) && !isTagSpace(b[nameEnd]) && b[nameEnd] != '>' && b[nameEnd] != '/' {
		nameEnd++
	}
	name := b[i:nameEnd]
	frame := xmlFrame{nsStart: len(s.ns)}
	i = nameEnd
	selfClosing := false
	attrs := 0
	var typ, mode []byte // its type and mode attributes, for atomTexts
	for i < len(b) {
		c := b[i]
		switch {
		case c == '>':
			i++
			goto done
		case c == '/' && i+1 < len(b) && b[i+1] == '>':
			selfClosing = true
			i += 2
			goto done
		case isTagSpace(c) || c == '/':
			i++
		default:
			// An attribute: name, optional = and a quoted value.
			an := i
			for i < len(b) && !isTagSpace(b[i]) && b[i] != '=' && b[i] != '>' && b[i] != '/' {
				i++
			}
			attrName := b[an:i]
			for i < len(b) && isTagSpace(b[i]) {
				i++
			}
			var value []byte
			if i < len(b) && b[i] == '=' {
				i++
				for i < len(b) && isTagSpace(b[i]) {
					i++
				}
				if i < len(b) && (b[i] == '"' || b[i] == '\'') {
					q := b[i]
					end := bytes.IndexByte(b[i+1:], q)
					if end < 0 {
						return len(b), nil // truncated: gofeed reports it
					}
					value = b[i+1 : i+1+end]
					i += end + 2
				}
			}
			attrs++
			if s.texts != nil {
				switch _, local := splitName(attrName); string(local) {
				case "type":
					typ = value
				case "mode":
					mode = value
				}
			}
			if prefix, ok := bytes.CutPrefix(attrName, []byte("xmlns")); ok && (len(prefix) == 0 || prefix[0] == ':') {
				s.ns = append(s.ns, nsDecl{prefix: bytes.TrimPrefix(prefix, []byte(":")), uri: bytes.TrimSpace(value)})
				if len(s.ns) > maxNamespacesInScope {
					return 0, &LimitError{Limit: limitNamespaces, Max: maxNamespacesInScope, Got: len(s.ns), Offset: at}
				}
			}
		}
	}
done:
	s.nodes += 1 + attrs
	if s.o.MaxElements > 0 && s.nodes > s.o.MaxElements {
		return 0, &LimitError{Limit: limitElements, Max: s.o.MaxElements, Got: s.nodes, Offset: at}
	}
	prefix, local := splitName(name)
	frame.local = local
	frame.extension = s.isExtension(prefix)
	if s.texts != nil {
		s.texts.start(s.stack, &frame, typ, mode)
	}
	if !frame.extension && (bytes.Equal(local, []byte("item")) || bytes.Equal(local, []byte("entry"))) {
		s.items++
		if s.items == s.o.MaxItems+1 {
			s.itemsAt = at
		}
	}
	if selfClosing {
		s.ns = s.ns[:frame.nsStart]
		return i, nil
	}
	if s.o.MaxDepth > 0 && len(s.stack) >= s.o.MaxDepth {
		return 0, &LimitError{Limit: limitDepth, Max: s.o.MaxDepth, Got: len(s.stack) + 1, Offset: at}
	}
	s.stack = append(s.stack, frame)
	return i, nil
}

// isExtension says whether the element being opened (its own namespace
// declarations already pushed) is one gofeed parses as an extension.
func (s *xmlScanner) isExtension(prefix []byte) bool {
	if n := len(s.stack); n > 0 && s.stack[n-1].extension {
		return true
	}
	ns, declared := s.lookupNamespace(prefix)
	if !declared && len(prefix) > 0 {
		ns = prefix // gofeed: an undeclared prefix is its own namespace
	}
	if s.native == nil {
		// The root decides the format: Atom's <feed>, else RSS or RDF.
		s.native = rssNamespaces
		if string(ns) == atomNamespaces[1] || string(ns) == atomNamespaces[2] {
			s.native = atomNamespaces
		}
		return false
	}
	for _, n := range s.native {
		if string(ns) == n {
			return false
		}
	}
	return true
}

func (s *xmlScanner) lookupNamespace(prefix []byte) ([]byte, bool) {
	if bytes.Equal(prefix, []byte("xml")) {
		return []byte("http://www.w3.org/XML/1998/namespace"), true
	}
	for k := len(s.ns) - 1; k >= 0; k-- {
		if bytes.Equal(s.ns[k].prefix, prefix) {
			return s.ns[k].uri, true
		}
	}
	return nil, false
}

// endTag pops up to and including the element it names, as encoding/xml
// does when Strict is false; an end tag that names no open element pops
// nothing (the decoder reports it).
func (s *xmlScanner) endTag(at int) int {
	b := s.body
	i := at + 2
	nameEnd := i
	for nameEnd < len(b) && !isTagSpace(b[nameEnd]) && b[nameEnd] != '>' {
		nameEnd++
	}
	_, local := splitName(b[i:nameEnd])
	for k := len(s.stack) - 1; k >= 0; k-- {
		if bytes.Equal(s.stack[k].local, local) {
			s.ns = s.ns[:s.stack[k].nsStart]
			s.stack = s.stack[:k]
			break
		}
	}
	return skipPast(b, nameEnd, ">")
}

func splitName(name []byte) (prefix, local []byte) {
	if i := bytes.IndexByte(name, ':'); i >= 0 {
		return name[:i], name[i+1:]
	}
	return nil, name
}

// skipPast returns the offset just after the first end at or after i, or
// len(b) when there is none.
func skipPast(b []byte, i int, end string) int {
	if i > len(b) {
		return len(b)
	}
	j := bytes.Index(b[i:], []byte(end))
	if j < 0 {
		return len(b)
	}
	return i + j + len(end)
}

// skipDirective skips <!DOCTYPE …> and the like, including an internal
// subset in brackets and quoted strings. Entities declared there are never
// expanded: encoding/xml does not read DTDs.
func skipDirective(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch c := b[i]; c {
		case '"', '\'':
			j := bytes.IndexByte(b[i+1:], c)
			if j < 0 {
				return len(b)
			}
			i += j + 2
			continue
		case '[':
			depth++
		case ']':
			depth--
		case '>':
			if depth <= 0 {
				return i + 1
			}
		}
		i++
	}
	return len(b)
}

func isTagSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || c >= 0x80
}

// checkJSON returns a *LimitError when a JSON document nests deeper than
// o.MaxDepth, holds more than o.MaxElements string values, objects and
// arrays (a million one-letter tags would cost gofeed a slice and
// normalization a map of that size) or its top-level "items" array holds
// more than o.MaxItems entries. One pass, no allocation.
func checkJSON(body []byte, o ParserOptions) error {
	var s jsonScanner
	err := s.scan(body, o)
	if o.MaxItems > 0 && s.items > o.MaxItems {
		// Named first even when another limit stopped the count.
		return &LimitError{Limit: limitItems, Max: o.MaxItems, Got: s.items, Offset: s.itemsAt}
	}
	return err
}

type jsonScanner struct{ items, itemsAt int }

func (s *jsonScanner) scan(body []byte, o ParserOptions) error {
	depth, itemsDepth, values := 0, -1, 0
	s.itemsAt = -1
	var lastKey []byte
	countValue := func(at int) error {
		values++
		if o.MaxElements > 0 && values > o.MaxElements {
			return &LimitError{Limit: limitJSONValues, Max: o.MaxElements, Got: values, Offset: at}
		}
		return nil
	}
	for i := 0; i < len(body); i++ {
		switch c := body[i]; c {
		case '"':
			start := i
			end := jsonStringEnd(body, i+1)
			str := body[i+1 : end]
			i = end // the closing quote, or len(body)
			if depth == 1 {
				lastKey = str // a key or a value; only a key is followed by '['
			}
			if !isJSONKey(body, end+1) {
				if err := countValue(start); err != nil {
					return err
				}
			}
		case '{', '[':
			if err := countValue(i); err != nil {
				return err
			}
			if depth == itemsDepth {
				s.items++
				if s.items == o.MaxItems+1 {
					s.itemsAt = i
				}
			}
			depth++
			if o.MaxDepth > 0 && depth > o.MaxDepth {
				return &LimitError{Limit: limitDepth, Max: o.MaxDepth, Got: depth, Offset: i}
			}
			if c == '[' && depth == 2 && itemsDepth == -1 && string(lastKey) == "items" {
				itemsDepth = 2
			}
		case '}', ']':
			if depth == itemsDepth && c == ']' {
				itemsDepth = -2 // the items array ended; a second one is not read
			}
			depth--
		}
	}
	return nil
}

// isJSONKey reports whether a colon follows, after spaces, at i: the
// string just read was an object's key.
func isJSONKey(b []byte, i int) bool {
	for ; i < len(b); i++ {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			continue
		case ':':
			return true
		}
		return false
	}
	return false
}

// jsonStringEnd returns the index of the quote closing the string whose
// contents start at i, or len(b) when it is not closed.
func jsonStringEnd(b []byte, i int) int {
	for i < len(b) {
		j := bytes.IndexAny(b[i:], `"\`)
		if j < 0 {
			return len(b)
		}
		i += j
		if b[i] == '"' {
			return i
		}
		i += 2 // skip the escaped character
	}
	return len(b)
}
