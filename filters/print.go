package filters

import (
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
