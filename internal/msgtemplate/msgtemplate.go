// Package msgtemplate is the placeholder syntax of a desk's message format:
// literal text with {name} placeholders, "{{" and "}}" for literal braces.
// config parses templates to report mistakes at load with their position;
// bot/discord parses them again to render an alert. It knows nothing of
// alerts or Discord: only which names exist and where a template breaks.
package msgtemplate

import (
	"fmt"
	"strings"
)

// Names are the placeholders a template may use, in the order the docs
// list them.
var Names = []string{
	"title", "link", "summary", "feed", "feed_title", "author", "categories",
	"published", "matched", "subscription", "image",
}

// Part is a piece of a parsed template: literal text, or a placeholder
// when Name is set.
type Part struct {
	Text string
	Name string
}

// Error is a template mistake at byte Offset of the template.
type Error struct {
	Offset int
	Msg    string
	// Unknown is the name of an unknown placeholder, so the caller can
	// suggest a near one.
	Unknown string
}

func (e *Error) Error() string { return fmt.Sprintf("at byte %d: %s", e.Offset, e.Msg) }

// Parse splits a template into parts. Adjacent literal text is one part.
func Parse(s string) ([]Part, error) {
	var parts []Part
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, Part{Text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "{{"):
			lit.WriteByte('{')
			i += 2
		case strings.HasPrefix(s[i:], "}}"):
			lit.WriteByte('}')
			i += 2
		case s[i] == '}':
			return nil, &Error{Offset: i, Msg: `"}" without "{" (write "}}" for a literal brace)`}
		case s[i] == '{':
			end := strings.IndexAny(s[i+1:], "{}")
			if end < 0 || s[i+1+end] != '}' {
				return nil, &Error{Offset: i, Msg: `"{" is not closed (write "{{" for a literal brace)`}
			}
			name := s[i+1 : i+1+end]
			if !Known(name) {
				return nil, &Error{Offset: i, Unknown: name, Msg: fmt.Sprintf("unknown placeholder {%s}", name)}
			}
			flush()
			parts = append(parts, Part{Name: name})
			i += end + 2
		default:
			lit.WriteByte(s[i])
			i++
		}
	}
	flush()
	return parts, nil
}

// Known reports whether name is a placeholder.
func Known(name string) bool {
	for _, n := range Names {
		if n == name {
			return true
		}
	}
	return false
}

// Literal is the template's own text, placeholders left out.
func Literal(parts []Part) string {
	var b strings.Builder
	for _, p := range parts {
		if p.Name == "" {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// Only returns the placeholder when the template is exactly one
// placeholder and nothing else.
func Only(parts []Part) (string, bool) {
	if len(parts) == 1 && parts[0].Name != "" {
		return parts[0].Name, true
	}
	return "", false
}
