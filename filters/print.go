package filters

import (
	"slices"
	"strconv"
	"strings"
)

// String returns the query in canonical form: operators spelled out (AND,
// OR, NOT), parentheses only where precedence needs them, words, phrases and
// @names as written. Parse(q.String()) gives the same query.
func (q *Query) String() string {
	var b strings.Builder
	writeNode(&b, q.root)
	return b.String()
}

// precedence orders node kinds as the parser binds them: NOT > NEAR > AND > OR.
func precedence(k nodeKind) int {
	switch k {
	case nodeOr:
		return 1
	case nodeAnd:
		return 2
	case nodeNear:
		return 3
	case nodeNot:
		return 4
	}
	return 5
}

func writeNode(b *strings.Builder, n *node) {
	switch n.kind {
	case nodeOr, nodeAnd:
		op := " OR "
		if n.kind == nodeAnd {
			op = " AND "
		}
		for i, k := range n.kids {
			if i > 0 {
				b.WriteString(op)
			}
			writeChild(b, k, precedence(k.kind) <= precedence(n.kind))
		}
	case nodeNear:
		writeChild(b, n.kids[0], precedence(n.kids[0].kind) < precedence(nodeNear))
		if n.ordered {
			b.WriteString(" ONEAR/")
		} else {
			b.WriteString(" NEAR/")
		}
		b.WriteString(strconv.Itoa(int(n.near)))
		b.WriteByte(' ')
		writeChild(b, n.kids[1], precedence(n.kids[1].kind) <= precedence(nodeNear))
	case nodeNot:
		b.WriteString("NOT ")
		writeChild(b, n.kids[0], precedence(n.kids[0].kind) <= precedence(nodeNot))
	case nodeField:
		b.WriteString(n.text)
		b.WriteByte(':')
		// The parser takes a word, phrase, prefix, regex, @name or '('
		// after a field: another field or a site: goes in parentheses.
		k := n.kids[0]
		writeChild(b, k, precedence(k.kind) < precedence(nodeText) || k.kind == nodeField || k.kind == nodeSite)
	case nodeDefine:
		b.WriteByte('@')
		b.WriteString(n.text)
	case nodeText:
		if n.quotes[0] == 0 {
			b.WriteString(n.text)
			return
		}
		b.WriteRune(n.quotes[0])
		b.WriteString(n.text)
		b.WriteRune(n.quotes[1])
	case nodePrefix:
		b.WriteString(n.text)
		b.WriteByte('*')
	case nodeRegex:
		b.WriteByte('/')
		b.WriteString(n.text)
		b.WriteByte('/')
	case nodeSite:
		b.WriteString("site:")
		b.WriteString(n.text)
	}
}

func writeChild(b *strings.Builder, n *node, parens bool) {
	if parens {
		b.WriteByte('(')
	}
	writeNode(b, n)
	if parens {
		b.WriteByte(')')
	}
}

// Normal returns a normal form of the query, for telling whether two
// queries are one: two queries with one normal form match the same items
// (two that match alike may still differ). Words, phrases and prefixes
// read as they are matched (case and accents folded), each with the fields
// it looks in, so field: and @name are what they stand for; the operands
// of AND and OR (an AND's ANDs and an OR's ORs merged into it, repeats
// dropped) and the two sides of NEAR are sorted. It is for comparing, not
// a query to read or parse again.
func (q *Query) Normal() string { return normal(q.root) }

func normal(n *node) string {
	switch n.kind {
	case nodeOr, nodeAnd:
		var kids []string
		for _, k := range operands(n, n.kind, nil) {
			kids = append(kids, normal(k))
		}
		slices.Sort(kids)
		kids = slices.Compact(kids)
		if len(kids) == 1 {
			return kids[0]
		}
		op := "OR("
		if n.kind == nodeAnd {
			op = "AND("
		}
		return op + strings.Join(kids, ",") + ")"
	case nodeNear:
		a, b := normal(n.kids[0]), normal(n.kids[1])
		op := "ONEAR/"
		if !n.ordered {
			op = "NEAR/"
			if b < a {
				a, b = b, a
			}
		}
		return op + strconv.Itoa(int(n.near)) + "(" + a + "," + b + ")"
	case nodeNot:
		return "NOT(" + normal(n.kids[0]) + ")"
	case nodeField, nodeDefine: // the leaves below have the fields
		return normal(n.kids[0])
	case nodeText:
		var elems []string
		for _, e := range n.phrase {
			var alts []string
			for _, alt := range e {
				var words []string
				for _, t := range alt {
					words = append(words, t.text)
				}
				alts = append(alts, strings.Join(words, " "))
			}
			elem := strings.Join(alts, "|")
			if len(alts) > 1 { // a hyphenated word: its parts, or joined
				elem = "(" + elem + ")"
			}
			elems = append(elems, elem)
		}
		return leaf("text", n.scope, strings.Join(elems, " "))
	case nodePrefix, nodeSite:
		return leaf(map[nodeKind]string{nodePrefix: "prefix", nodeSite: "site"}[n.kind], n.scope, n.term.text)
	case nodeRegex:
		return leaf("regex", n.scope, n.text)
	}
	return ""
}

// operands are the operands of n, an AND or an OR, with those of the
// operands of the same kind (through parentheses, field: and @name, which
// give their leaves the fields) in their place.
func operands(n *node, kind nodeKind, out []*node) []*node {
	for _, k := range n.kids {
		for k.kind == nodeField || k.kind == nodeDefine {
			k = k.kids[0]
		}
		if k.kind == kind {
			out = operands(k, kind, out)
			continue
		}
		out = append(out, k)
	}
	return out
}

// leaf is the normal form of a leaf of kind kind, its text quoted so that
// no text reads as structure, with the fields it looks in.
func leaf(kind string, scope fieldMask, text string) string {
	return kind + strconv.FormatUint(uint64(scope), 16) + strconv.Quote(text)
}
