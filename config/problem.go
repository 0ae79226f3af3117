package config

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a place in the config file: 1-based line and column (in characters).
type Pos struct {
	Line, Col int
}

// Problem is one thing wrong with a config file.
type Problem struct {
	File      string
	Line, Col int // 0 when unknown
	Msg       string
	// Warning marks a problem that does not make the config unusable, such
	// as a query hint ("did you mean OR?"): it is printed as "warning:" and
	// does not fail Load.
	Warning bool
	// Err is the underlying error, if any (a failed read), so callers can
	// test it with errors.Is.
	Err error
}

// String formats the problem as "file:line:col: msg", leaving out the
// parts that are unknown, with "warning: " before the message of a warning.
func (p Problem) String() string {
	msg := p.Msg
	if p.Warning {
		msg = "warning: " + msg
	}
	switch {
	case p.Line > 0 && p.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, msg)
	case p.Line > 0:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, msg)
	default:
		return fmt.Sprintf("%s: %s", p.File, msg)
	}
}

// Errors is every problem found in a config file, in file order. Load
// returns it only when at least one problem is not a warning; it then holds
// the warnings too, so they are all printed together.
type Errors []Problem

// ErrorCount is the number of problems that are not warnings.
func (e Errors) ErrorCount() int {
	n := 0
	for _, p := range e {
		if !p.Warning {
			n++
		}
	}
	return n
}

// Error lists the problems one per line.
func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, p := range e {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes the underlying errors, so errors.Is(err, fs.ErrNotExist)
// works on a config that could not be read.
func (e Errors) Unwrap() []error {
	var errs []error
	for _, p := range e {
		if p.Err != nil {
			errs = append(errs, p.Err)
		}
	}
	return errs
}

// sortByPosition puts problems in file order; problems without a line
// (a failed read) come first. The sort is stable so two problems at one
// place keep the order they were found in.
func (e Errors) sortByPosition() {
	sort.SliceStable(e, func(i, j int) bool {
		if e[i].Line != e[j].Line {
			return e[i].Line < e[j].Line
		}
		return e[i].Col < e[j].Col
	})
}
