package config

import (
	"fmt"
	"regexp"
	"strings"
)

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// expandEnv replaces ${NAME} with the variable's value and ${NAME:-default}
// with the value, or default when the variable is unset or empty; the
// default may itself hold references (${TOKEN:-${BOT_TOKEN}}), read only
// when it is used. "$${" is a literal "${". Any other "$" is left alone, so
// "$100" in a query stays. It returns one message per problem (unset
// variable, bad syntax).
func expandEnv(s string, env func(string) (string, bool)) (string, []string) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var out strings.Builder
	var problems []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			out.WriteString(s)
			return out.String(), problems
		}
		if i > 0 && s[i-1] == '$' {
			out.WriteString(s[:i]) // "$${": keep one "$" and the brace
			out.WriteString("{")
			s = s[i+2:]
			continue
		}
		out.WriteString(s[:i])
		end := closingBrace(s[i:])
		if end < 0 {
			problems = append(problems, fmt.Sprintf("unterminated %q (write ${NAME} or ${NAME:-default})", s[i:]))
			return out.String(), problems
		}
		value, more := lookupRef(s[i+2:i+end], env)
		problems = append(problems, more...)
		out.WriteString(value)
		s = s[i+end+1:]
	}
}

// closingBrace returns the index of the "}" that closes the "${" s starts
// with, past the references nested in it, or -1.
func closingBrace(s string) int {
	depth := 0
	for j := 0; j < len(s); j++ {
		switch {
		case strings.HasPrefix(s[j:], "$${"):
			j += 2 // a literal "${" opens nothing
		case strings.HasPrefix(s[j:], "${"):
			depth++
			j++
		case s[j] == '}':
			if depth--; depth == 0 {
				return j
			}
		}
	}
	return -1
}

// lookupRef resolves the inside of one ${...}.
func lookupRef(ref string, env func(string) (string, bool)) (value string, problems []string) {
	name, fallback, hasFallback := strings.Cut(ref, ":-")
	if !envName.MatchString(name) {
		return "", []string{fmt.Sprintf("bad environment variable reference ${%s} (write ${NAME} or ${NAME:-default})", ref)}
	}
	value, set := env(name)
	switch {
	case hasFallback && value == "":
		return expandEnv(fallback, env)
	case !set:
		return "", []string{fmt.Sprintf("environment variable %s is not set (set it, or write ${%s:-default})", name, name)}
	}
	return value, nil
}
