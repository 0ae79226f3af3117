package filters

import (
	"cmp"
	"slices"
	"strings"
)

// docText is one searchable text of a document: a field, or one category.
type docText struct {
	field Field
	index int
	mask  fieldMask
	text  string
	// line is text in one line for regular expressions, once asked for
	// (see oneLine; texts are never empty).
	line string
}

// oneLine is the text of slot in one line: a line break is a space, byte
// for byte, so a regular expression means what it did before item texts
// kept their lines (feeds.ParagraphText), "." runs on across them, and
// its hits are offsets into the text.
func (nd *normDoc) oneLine(slot int) string {
	t := &nd.texts[slot]
	if t.line == "" {
		t.line = strings.ReplaceAll(t.text, "\n", " ") // no copy without one
	}
	return t.line
}

// normDoc is a document normalized for matching. Its buffers are reused
// from one document to the next by a Set.
type normDoc struct {
	texts []docText
	toks  []tok // tokens of all texts; tok.slot indexes texts
	n     normalizer

	linkSlot           int32 // index of the link in texts, or -1
	host               string
	hostStart, hostEnd int32 // the host's bytes in the link
}

// load normalizes the fields of d that are in need.
func (nd *normDoc) load(d *Document, need fieldMask) {
	nd.texts = nd.texts[:0]
	nd.toks = nd.toks[:0]
	nd.n.arena = nd.n.arena[:0]
	nd.n.matchFold = true // as query words are (normalizeMatch)
	nd.linkSlot, nd.host = -1, ""
	add := func(f Field, index int, text string) {
		m := maskOf(f)
		if need&m == 0 || text == "" {
			return
		}
		slot := int32(len(nd.texts))
		nd.texts = append(nd.texts, docText{field: f, index: index, mask: m, text: text})
		nd.toks = nd.n.tokenize(text, slot, nd.toks)
	}
	add(FieldTitle, 0, d.Title)
	add(FieldSummary, 0, d.Summary)
	add(FieldContent, 0, d.Content)
	add(FieldAuthor, 0, d.Author)
	for i, c := range d.Categories {
		add(FieldCategory, i, c)
	}
	add(FieldLink, 0, d.Link)
	add(FieldFeed, 0, d.Feed)
	if need&maskSite != 0 && d.Link != "" {
		nd.loadHost(d.Link)
	}
}

// loadHost finds the host of the link for site: terms. The link gets a text
// slot of its own (outside any field scope) so that hits can point into it.
func (nd *normDoc) loadHost(link string) {
	start, end := hostSpan(link)
	if start == end {
		return
	}
	nd.linkSlot = int32(len(nd.texts))
	nd.texts = append(nd.texts, docText{field: FieldSite, mask: maskSite, text: link})
	nd.host = strings.TrimPrefix(strings.ToLower(link[start:end]), "www.")
	nd.hostStart, nd.hostEnd = int32(start), int32(end)
}

// hostSpan returns the byte range of the host in an absolute URL.
func hostSpan(link string) (start, end int) {
	i := strings.Index(link, "://")
	if i < 0 {
		return 0, 0
	}
	start = i + 3
	end = len(link)
	if j := strings.IndexAny(link[start:], "/?#"); j >= 0 {
		end = start + j
	}
	if at := strings.LastIndexByte(link[start:end], '@'); at >= 0 {
		start += at + 1
	}
	if colon := strings.LastIndexByte(link[start:end], ':'); colon >= 0 && !strings.Contains(link[start:end], "]") {
		end = start + colon
	}
	return start, end
}

// hostMatches reports whether host is site or one of its subdomains.
func hostMatches(host, site string) bool {
	return host == site || strings.HasSuffix(host, site) && host[len(host)-len(site)-1] == '.'
}

// hostTok is the pseudo-token of the link's host, for site: hits.
func (nd *normDoc) hostTok() tok {
	return tok{slot: nd.linkSlot, start: nd.hostStart, end: nd.hostEnd, pos: -1, width: 1}
}

// Text returns the original text of a Hit's field: for FieldCategory the
// category at index, for FieldSite the link. It is what Hit offsets index.
func (d *Document) Text(f Field, index int) string {
	switch f {
	case FieldTitle:
		return d.Title
	case FieldSummary:
		return d.Summary
	case FieldContent:
		return d.Content
	case FieldAuthor:
		return d.Author
	case FieldCategory:
		if index >= 0 && index < len(d.Categories) {
			return d.Categories[index]
		}
	case FieldLink, FieldSite:
		return d.Link
	case FieldFeed:
		return d.Feed
	}
	return ""
}

// MatchedWords returns the text of each hit as written in the document, in
// order of the hits, without repeats that differ only in case or accents
// ("Aleppo" and "ALEPPO" are one word). Hits that point outside their text
// are skipped.
func MatchedWords(doc *Document, hits []Hit) []string {
	var out []string
	seen := map[string]bool{}
	for _, h := range hits {
		text := doc.Text(h.Field, h.Index)
		if h.Start < 0 || h.End > len(text) || h.Start >= h.End {
			continue
		}
		word := strings.ReplaceAll(text[h.Start:h.End], "\n", " ") // a phrase across lines is a label of one line
		key := foldKey(word)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, word)
	}
	return out
}

// foldKey is the normalized form of a whole span, for comparing words.
func foldKey(s string) string {
	toks := normalizeMatch(s)
	parts := make([]string, 0, len(toks))
	for _, t := range toks {
		if t.Width == 1 {
			parts = append(parts, t.Text)
		}
	}
	if len(parts) == 0 {
		return strings.ToLower(s)
	}
	return strings.Join(parts, " ")
}

// fieldRank orders hits by field as fieldNames does.
func fieldRank(f Field) int {
	switch f {
	case FieldTitle:
		return 0
	case FieldSummary:
		return 1
	case FieldContent:
		return 2
	case FieldAuthor:
		return 3
	case FieldCategory:
		return 4
	case FieldLink:
		return 5
	case FieldSite:
		return 6
	case FieldFeed:
		return 7
	}
	return 8
}

func compareHits(a, b Hit) int {
	if a.Field != b.Field {
		return cmp.Compare(fieldRank(a.Field), fieldRank(b.Field))
	}
	return cmp.Or(cmp.Compare(a.Index, b.Index), cmp.Compare(a.Start, b.Start), cmp.Compare(a.End, b.End))
}

// mergeHits sorts hits by field, index and start, and merges overlapping
// spans so that a notifier can bold each one without nesting.
func mergeHits(hits []Hit) []Hit {
	if !slices.IsSortedFunc(hits, compareHits) {
		slices.SortFunc(hits, compareHits)
	}
	out := hits[:0]
	for _, h := range hits {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.Field == h.Field && last.Index == h.Index && h.Start < last.End {
				last.End = max(last.End, h.End)
				continue
			}
		}
		out = append(out, h)
	}
	return out
}
